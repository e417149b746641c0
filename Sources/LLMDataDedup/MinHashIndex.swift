import Foundation

/// LSH over signatures added in input order. For each band, a record is compared with the first
/// (at most 8) earlier members of its bucket; a pair is kept when its estimated Jaccard reaches the
/// threshold. Clusters are the connected components of kept pairs, rooted at the earliest record.
/// Bands are independent, which is what lets `dedup clusters` split the work by band.
final class MinHashIndex {
    let options: MinHashOptions
    let bandRange: Range<Int>
    var positions: [UInt64] = []
    var ids: [String] = []
    var signatures: [UInt32] = []
    /// One open-addressing table per band, all of the same capacity, stored flat (band b's slots
    /// are [b * capacity, (b + 1) * capacity)), from a band key (its low bits index the table) to
    /// a bucket number. A bucket is 11 words of `buckets`: the band key (2 words), the member
    /// count, then up to 8 record numbers, so a probe and the members it finds share cache lines.
    /// A band gains at most one bucket per record, so the tables grow together. (Swift
    /// dictionaries of member arrays were ~25% of the consumer's time: SipHash, retains,
    /// copy-on-write.)
    var capacity = 16384
    var used = 0
    var table: [Int32]
    var buckets: [UInt32] = []
    var bucketCount = 0
    var uf = UnionFind()
    /// Verified pairs (record numbers), kept for `dedup clusters --bands`.
    var pairs: [(UInt32, UInt32)] = []
    var candidatePairs = 0
    var verifiedPairs = 0
    let keepPairs: Bool
    static let bucketWords = 11

    init(options: MinHashOptions, bands: Range<Int>? = nil, keepPairs: Bool = false) {
        self.options = options
        bandRange = bands ?? 0..<options.bands
        table = [Int32](repeating: -1, count: capacity * options.bands)
        self.keepPairs = keepPairs
    }

    func add(position: UInt64, id: String, empty: Bool, signature: ArraySlice<UInt32>) {
        signature.withUnsafeBufferPointer { add(position: position, id: id, empty: empty, signature: $0) }
    }

    func add(position: UInt64, id: String, empty: Bool, signature: UnsafeBufferPointer<UInt32>) {
        let rows = options.rows
        let ord = uf.add()
        positions.append(position)
        ids.append(id)
        signatures.append(contentsOf: signature)
        if empty { return }
        if 2 * (used + 1) > capacity { grow() }
        used += 1
        for band in bandRange {
            let bandKey = MinHashIndex.bandKey(signature.baseAddress! + band * rows, rows)
            let base = Int(bucketFor(band: band, key: bandKey)) * MinHashIndex.bucketWords + 2
            let count = Int(buckets[base])
            for q in 0..<count {
                let m = buckets[base + 1 + q]
                if keepPairs || uf.find(Int(m)) != uf.find(ord) {
                    candidatePairs += 1
                    if estimatedJaccard(Int(m), signature) >= options.threshold {
                        verifiedPairs += 1
                        uf.union(Int(m), ord)
                        if keepPairs { pairs.append((m, UInt32(ord))) }
                    }
                }
            }
            if count < 8 {
                buckets[base + 1 + count] = UInt32(ord)
                buckets[base] = UInt32(count + 1)
            }
        }
    }

    /// A band's key: its values folded two at a time by multiply-xorshift (inlined; XXH3 through
    /// the library call cost more than the rest of the band's work).
    @inline(__always) static func bandKey(_ p: UnsafePointer<UInt32>, _ rows: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(rows)
        var i = 0
        while i + 1 < rows {
            h = (h ^ (UInt64(p[i]) | UInt64(p[i + 1]) << 32)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 2
        }
        if i < rows {
            h = (h ^ UInt64(p[i])) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
        }
        h = h &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 29)
    }

    @inline(__always) func keyOf(bucket: Int32) -> UInt64 {
        let o = Int(bucket) * MinHashIndex.bucketWords
        return UInt64(buckets[o]) | UInt64(buckets[o + 1]) << 32
    }

    /// The bucket of `key` in `band`'s table, made (empty) when new.
    @inline(__always) func bucketFor(band: Int, key: UInt64) -> Int32 {
        let mask = capacity - 1, base = band * capacity
        var h = Int(truncatingIfNeeded: key) & mask
        while true {
            let slot = table[base + h]
            if slot < 0 {
                let b = Int32(bucketCount)
                bucketCount += 1
                if bucketCount * MinHashIndex.bucketWords > buckets.count {
                    // zeroed in large steps, not 11 words per new bucket
                    buckets += [UInt32](repeating: 0, count: max(MinHashIndex.bucketWords * 4096, buckets.count))
                }
                let o = Int(b) * MinHashIndex.bucketWords
                buckets[o] = UInt32(truncatingIfNeeded: key)
                buckets[o + 1] = UInt32(truncatingIfNeeded: key >> 32)
                table[base + h] = b
                return b
            }
            if keyOf(bucket: slot) == key { return slot }
            h = (h + 1) & mask
        }
    }

    func grow() {
        let oldCap = capacity, cap = capacity * 2, mask = cap - 1
        var t = [Int32](repeating: -1, count: cap * options.bands)
        for band in 0..<options.bands {
            let ob = band * oldCap, nb = band * cap
            for i in 0..<oldCap where table[ob + i] >= 0 {
                var h = Int(truncatingIfNeeded: keyOf(bucket: table[ob + i])) & mask
                while t[nb + h] >= 0 { h = (h + 1) & mask }
                t[nb + h] = table[ob + i]
            }
        }
        table = t
        capacity = cap
    }

    /// Share of equal values between record x's signature and `sig`.
    func estimatedJaccard(_ x: Int, _ sig: UnsafeBufferPointer<UInt32>) -> Double {
        let perms = options.permutations
        var same = 0
        signatures.withUnsafeBufferPointer { p in
            let a = x * perms
            for i in 0..<perms where p[a + i] == sig[i] { same += 1 }
        }
        return Double(same) / Double(perms)
    }

    /// Writes removed records and cluster ids into `d`.
    func resolve(into d: Decisions) {
        d.record(clusters: &uf, positions: positions, ids: ids)
        d.candidatePairs = candidatePairs
        d.verifiedPairs = verifiedPairs
    }
}
