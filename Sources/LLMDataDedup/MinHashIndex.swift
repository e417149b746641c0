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
    var buckets: [[UInt64: [UInt32]]]
    var uf = UnionFind()
    /// Verified pairs (record numbers), kept for `dedup clusters --bands`.
    var pairs: [(UInt32, UInt32)] = []
    var candidatePairs = 0
    var verifiedPairs = 0
    let keepPairs: Bool

    init(options: MinHashOptions, bands: Range<Int>? = nil, keepPairs: Bool = false) {
        self.options = options
        bandRange = bands ?? 0..<options.bands
        buckets = [[UInt64: [UInt32]]](repeating: [:], count: options.bands)
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
            if var members = buckets[band][bandKey] {
                for m in members where keepPairs || uf.find(Int(m)) != uf.find(ord) {
                    candidatePairs += 1
                    if estimatedJaccard(Int(m), ord) >= options.threshold {
                        verifiedPairs += 1
                        uf.union(Int(m), ord)
                        if keepPairs { pairs.append((m, UInt32(ord))) }
                    }
                }
                if members.count < 8 {
                    members.append(UInt32(ord))
                    buckets[band][bandKey] = members
                }
            } else {
                buckets[band][bandKey] = [UInt32(ord)]
            }
        }
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
