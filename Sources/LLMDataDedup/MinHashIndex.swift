import CXXHash
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
    /// Per band: an open-addressing table from band key to bucket number (keys are XXH3 values,
    /// so their low bits index it); each bucket holds up to 8 record numbers in `members`.
    /// (A [[UInt64: [UInt32]]] of Swift dictionaries was ~25% of the ordered consumer's time:
    /// SipHash, retains and copy-on-write of the member arrays.)
    var tableKeys: [[UInt64]]
    var tableSlots: [[Int32]]
    var tableCount: [Int]
    var members: [UInt32] = []
    var memberCount: [UInt8] = []
    var uf = UnionFind()
    /// Verified pairs (record numbers), kept for `dedup clusters --bands`.
    var pairs: [(UInt32, UInt32)] = []
    var candidatePairs = 0
    var verifiedPairs = 0
    let keepPairs: Bool

    init(options: MinHashOptions, bands: Range<Int>? = nil, keepPairs: Bool = false) {
        self.options = options
        bandRange = bands ?? 0..<options.bands
        tableKeys = [[UInt64]](repeating: [UInt64](repeating: 0, count: 1024), count: options.bands)
        tableSlots = [[Int32]](repeating: [Int32](repeating: -1, count: 1024), count: options.bands)
        tableCount = [Int](repeating: 0, count: options.bands)
        self.keepPairs = keepPairs
    }

    func add(position: UInt64, id: String, empty: Bool, signature: ArraySlice<UInt32>) {
        let perms = options.permutations, rows = options.rows
        let ord = uf.add()
        positions.append(position)
        ids.append(id)
        signatures.append(contentsOf: signature)
        if empty { return }
        for band in bandRange {
            let bandKey: UInt64 = signatures.withUnsafeBytes { raw in
                XXH3_64bits(raw.baseAddress! + 4 * (ord * perms + band * rows), 4 * rows)
            }
            let bucket = bucketFor(band: band, key: bandKey)
            let base = Int(bucket) * 8
            let count = Int(memberCount[Int(bucket)])
            for q in 0..<count {
                let m = members[base + q]
                if keepPairs || uf.find(Int(m)) != uf.find(ord) {
                    candidatePairs += 1
                    if estimatedJaccard(Int(m), ord) >= options.threshold {
                        verifiedPairs += 1
                        uf.union(Int(m), ord)
                        if keepPairs { pairs.append((m, UInt32(ord))) }
                    }
                }
            }
            if count < 8 {
                members[base + count] = UInt32(ord)
                memberCount[Int(bucket)] = UInt8(count + 1)
            }
        }
    }

    /// The bucket of `key` in `band`'s table, made (empty) when new.
    func bucketFor(band: Int, key: UInt64) -> Int32 {
        if 2 * (tableCount[band] + 1) > tableKeys[band].count { grow(band) }
        let mask = tableKeys[band].count - 1
        var h = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
        while true {
            let slot = tableSlots[band][h]
            if slot < 0 {
                let b = Int32(memberCount.count)
                tableSlots[band][h] = b
                tableKeys[band][h] = key
                tableCount[band] += 1
                memberCount.append(0)
                members.append(contentsOf: repeatElement(0, count: 8))
                return b
            }
            if tableKeys[band][h] == key { return slot }
            h = (h + 1) & mask
        }
    }

    func grow(_ band: Int) {
        let oldKeys = tableKeys[band], oldSlots = tableSlots[band]
        let cap = oldKeys.count * 2, mask = cap - 1
        var keys = [UInt64](repeating: 0, count: cap), slots = [Int32](repeating: -1, count: cap)
        for i in 0..<oldKeys.count where oldSlots[i] >= 0 {
            let key = oldKeys[i]
            var h = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
            while slots[h] >= 0 { h = (h + 1) & mask }
            keys[h] = key
            slots[h] = oldSlots[i]
        }
        tableKeys[band] = keys
        tableSlots[band] = slots
    }

    func estimatedJaccard(_ x: Int, _ y: Int) -> Double {
        let perms = options.permutations
        var same = 0
        signatures.withUnsafeBufferPointer { p in
            let a = x * perms, b = y * perms
            for i in 0..<perms where p[a + i] == p[b + i] { same += 1 }
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
