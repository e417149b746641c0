import CTextKernels
import Foundation

/// LSH over signatures added in input order. For each band, a record is compared with the first
/// (at most 8) earlier members of its bucket; a pair is kept when its estimated Jaccard reaches the
/// threshold. Clusters are the connected components of kept pairs, rooted at the earliest record.
/// Bands are independent, which is what lets `dedup clusters` split the work by band
/// (`ScaleOut.bandPairs` applies the same rule -- first ≤ 8 earlier members of equal band keys --
/// to sorted band files: change both together).
///
/// Layout (bytes per record matter: docs/dedup.md promises 10 M documents in 24 GiB):
/// * signatures in chunks of 65,536 records, so growing never copies them;
/// * per band, an open-addressing table of Int32 (load at most 1/2) from the band key's low bits
///   to an entry: the band key, the bucket's first member and the index of a group of up to 7
///   more (-1 while there is none). Most band keys are unique, so most buckets cost one 16-byte
///   entry and no group: ~30 bytes per record and band, with the table.
/// Band keys are computed first and their table slots prefetched: with many documents the tables
/// outgrow the caches and the bands' misses then overlap instead of queueing. (Earlier layouts:
/// Swift dictionaries of member arrays were ~25% of the consumer's time -- SipHash, retains,
/// copy-on-write; a fixed 8-member bucket per key cost 44 bytes per record and band, and growing
/// flat arrays of signatures and buckets spent a quarter of a 1 M-document run clearing the
/// fresh pages of each doubling.)
final class MinHashIndex {
    let options: MinHashOptions
    let bandRange: Range<Int>
    var positions: [UInt64] = []
    var ids: [String] = []
    let perms: Int
    var chunks: [UnsafeMutablePointer<UInt32>] = []
    static let chunkShift = 16
    var count = 0

    var capacity = 16384
    var used = 0
    var table: [Int32]
    struct Entry {
        var key: UInt64
        var first: UInt32
        var more: Int32
    }
    var entries: [Entry] = []
    /// Groups of 8 words: the number of further members (up to 7), then the members.
    var groups: [UInt32] = []
    var uf = UnionFind()
    /// Verified pairs (record numbers), kept for `dedup clusters --bands`.
    var pairs: [(UInt32, UInt32)] = []
    var candidatePairs = 0
    var verifiedPairs = 0
    let keepPairs: Bool
    var keys: [UInt64]

    init(options: MinHashOptions, bands: Range<Int>? = nil, keepPairs: Bool = false) {
        self.options = options
        perms = options.permutations
        bandRange = bands ?? 0..<options.bands
        table = [Int32](repeating: -1, count: capacity * options.bands)
        keys = [UInt64](repeating: 0, count: options.bands)
        self.keepPairs = keepPairs
    }

    deinit { for c in chunks { c.deallocate() } }

    @inline(__always) func signature(_ r: Int) -> UnsafeMutablePointer<UInt32> {
        chunks[r >> MinHashIndex.chunkShift] + (r & ((1 << MinHashIndex.chunkShift) - 1)) * perms
    }

    func add(position: UInt64, id: String, empty: Bool, signature: ArraySlice<UInt32>) {
        signature.withUnsafeBufferPointer { add(position: position, id: id, empty: empty, signature: $0) }
    }

    func add(position: UInt64, id: String, empty: Bool, signature sig: UnsafeBufferPointer<UInt32>) {
        let rows = options.rows
        let ord = uf.add()
        positions.append(position)
        ids.append(id)
        if count >> MinHashIndex.chunkShift == chunks.count {
            chunks.append(.allocate(capacity: perms << MinHashIndex.chunkShift))
        }
        signature(count).update(from: sig.baseAddress!, count: perms)
        count += 1
        if empty { return }
        if 2 * (used + 1) > capacity { grow() }
        used += 1
        let mask = capacity - 1
        for band in bandRange {
            let k = MinHashIndex.bandKey(sig.baseAddress! + band * rows, rows)
            keys[band] = k
            table.withUnsafeBufferPointer { llm_prefetch($0.baseAddress! + band * capacity + Int(truncatingIfNeeded: k) & mask) }
        }
        for band in bandRange {
            let slot = table[band * capacity + Int(truncatingIfNeeded: keys[band]) & mask]
            if slot >= 0 { entries.withUnsafeBufferPointer { llm_prefetch($0.baseAddress! + Int(slot)) } }
        }
        for band in bandRange {
            let key = keys[band]
            let base = band * capacity
            var h = Int(truncatingIfNeeded: key) & mask
            var e: Int32 = -1
            while true {
                let slot = table[base + h]
                if slot < 0 { break }
                if entries[Int(slot)].key == key {
                    e = slot
                    break
                }
                h = (h + 1) & mask
            }
            if e < 0 {
                // a new bucket: this record is its first member
                table[base + h] = Int32(entries.count)
                entries.append(Entry(key: key, first: UInt32(ord), more: -1))
                continue
            }
            let entry = entries[Int(e)]
            compare(Int(entry.first), ord, sig)
            var more = 0
            if entry.more >= 0 {
                let g = Int(entry.more) * 8
                more = Int(groups[g])
                for q in 0..<more { compare(Int(groups[g + 1 + q]), ord, sig) }
            }
            if more < 7 {
                if entry.more < 0 {
                    entries[Int(e)].more = Int32(groups.count / 8)
                    groups.append(contentsOf: [1, UInt32(ord), 0, 0, 0, 0, 0, 0])
                } else {
                    let g = Int(entry.more) * 8
                    groups[g + 1 + more] = UInt32(ord)
                    groups[g] = UInt32(more + 1)
                }
            }
        }
    }

    @inline(__always) func compare(_ m: Int, _ ord: Int, _ sig: UnsafeBufferPointer<UInt32>) {
        if keepPairs || uf.find(m) != uf.find(ord) {
            candidatePairs += 1
            if estimatedJaccard(m, sig) >= options.threshold {
                verifiedPairs += 1
                uf.union(m, ord)
                if keepPairs { pairs.append((UInt32(m), UInt32(ord))) }
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

    func grow() {
        let oldCap = capacity, cap = capacity * 2, mask = cap - 1
        var t = [Int32](repeating: -1, count: cap * options.bands)
        for band in 0..<options.bands {
            let ob = band * oldCap, nb = band * cap
            for i in 0..<oldCap where table[ob + i] >= 0 {
                var h = Int(truncatingIfNeeded: entries[Int(table[ob + i])].key) & mask
                while t[nb + h] >= 0 { h = (h + 1) & mask }
                t[nb + h] = table[ob + i]
            }
        }
        table = t
        capacity = cap
    }

    /// Share of equal values between record x's signature and `sig`.
    @inline(__always) func estimatedJaccard(_ x: Int, _ sig: UnsafeBufferPointer<UInt32>) -> Double {
        let p = signature(x)
        var same = 0
        for i in 0..<perms where p[i] == sig[i] { same += 1 }
        return Double(same) / Double(perms)
    }

    /// Writes removed records and cluster ids into `d`.
    func resolve(into d: Decisions) {
        d.record(clusters: &uf, positions: positions, ids: ids)
        d.candidatePairs = candidatePairs
        d.verifiedPairs = verifiedPairs
    }
}
