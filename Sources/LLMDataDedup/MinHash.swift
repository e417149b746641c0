// Performance notes (dedup hot path; 2026-11-23, 2 shared cores, AMD EPYC with AVX-512).
// Measured with `perf record -F 10000` on the dedup_quality.py corpus (5,743 documents, 27.5 MB,
// 2.4 M word + 7.2 M character shingles: 171 keys with few spaces take character 5-grams) and on
// en100m.jsonl for exact mode. Before (0f68daa), minhash CPU: permutation min loop 22%, Swift
// shingling 15%, XXH3 calls 7%, key normalization 13% (ICU 4.5%), JSON 4%; exact: the byte-at-a-
// time ASCII key loop 28%, and pass 2 (re-read, re-parse) cost as much CPU as pass 1.
// Done: llm_minhash_update keeps 32 permutations' a, b and minima in registers while all of a
// document's shingles stream past (5x faster kernel, ~4.6 ns per shingle for 112 permutations);
// shingle boundaries + XXH3 (short-input paths inlined, equal to XXH3_64bits) in C into a reused
// buffer; ASCII key with AVX-512 VBMI2 (pext/pdep + vpcompressb, ~3.3 GB/s vs 0.5); mixed text:
// NFKC_Casefold only around non-ASCII runs (Key.swift); LSH buckets in open-addressing tables
// (MinHashIndex.swift); exact mode in one pass (ExactStage, OrderedStage in LLMDataCore).
// Rejected: dropping repeated shingle hashes before the permutations (a table probe costs about
// what the 112-permutation kernel costs per shingle: 15-46 ms vs 13 ms for 2.8 M character
// shingles); a 32-bit permutation family with 16 lanes (changes every signature); minhash in one
// pass (a later record can merge two clusters, so the whole output would wait in memory);
// keeping pass 1's batches for pass 2 (re-reading from the page cache is ~1% of the time).
import CTextKernels
import CXXHash

/// MinHash parameters (defaults: datatrove's 14 bands × 8 rows, 5-grams).
public struct MinHashOptions: Sendable {
    public var bands = 14
    public var rows = 8
    /// Word n-gram size for text with spaces.
    public var wordNgram = 5
    /// Character n-gram size for text written without spaces (Chinese, Japanese, Thai).
    public var charNgram = 5
    /// Estimated Jaccard a candidate pair must reach to count as duplicates.
    public var threshold = 0.8
    public var seed: UInt64 = 1
    public init() {}
    public var permutations: Int { bands * rows }
}

/// Computes MinHash signatures of dedup keys. Shingles are word n-grams of the key (words are
/// the key's space-separated tokens), or character n-grams when fewer than one character in
/// eight of the key is a space (text without word spaces). Each shingle is hashed with XXH3-64
/// and x is its low 32 bits; permutation i maps x to ((a_i·x + b_i) mod 2^64) >> 32
/// (multiply-shift hashing; odd 64-bit a_i and 64-bit b_i from a fixed SplitMix64 sequence) and
/// keeps the minimum.
public final class MinHasher {
    public let options: MinHashOptions
    let a: [UInt64]
    let b: [UInt64]
    var xs: [UInt32] = []
    public private(set) var signature: [UInt32]
    var words: [Range<Int>] = []
    var chars: [Int] = []
    var scratch: [UInt32] = []

    public init(options: MinHashOptions) {
        self.options = options
        var state = options.seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        a = (0..<options.permutations).map { _ in next() | 1 }
        b = (0..<options.permutations).map { _ in next() }
        signature = [UInt32](repeating: UInt32.max, count: options.permutations)
    }

    @inline(__always) func add(_ x: UInt64) { xs.append(UInt32(truncatingIfNeeded: x)) }

    /// Signature of a key (see KeyNormalizer). Returns the number of shingles (0 for an empty key).
    @discardableResult
    public func sign(_ key: [UInt8]) -> Int {
        for i in 0..<signature.count { signature[i] = UInt32.max }
        xs.removeAll(keepingCapacity: true)
        if key.isEmpty { return 0 }
        defer {
            let p = options.permutations
            signature.withUnsafeMutableBufferPointer { s in
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        xs.withUnsafeBufferPointer { x in llm_minhash_update(s.baseAddress, ap.baseAddress, bp.baseAddress, p, x.baseAddress, x.count) }
                    }
                }
            }
        }
        var sp = 0, cc = 0
        key.withUnsafeBufferPointer { k in llm_count_spaces_chars(k.baseAddress, k.count, &sp, &cc) }
        let spaces = sp, charCount = cc
        let wordShingles = spaces * 8 >= charCount
        if (wordShingles ? options.wordNgram : options.charNgram) <= 64 {
            // shingle boundaries and XXH3 in one C loop (the same values as the Swift loops
            // below, which remain for n-gram sizes above 64), into a scratch buffer reused across
            // documents; xs stays empty
            let need = key.count + 2
            if scratch.count < need { scratch = [UInt32](repeating: 0, count: max(need, 2 * scratch.count)) }
            let p = options.permutations
            var count = 0
            key.withUnsafeBufferPointer { k in
                scratch.withUnsafeMutableBufferPointer { x in
                    count = wordShingles ? llm_word_shingle_hashes(k.baseAddress, k.count, options.wordNgram, x.baseAddress)
                                  : llm_char_shingle_hashes(k.baseAddress, k.count, options.charNgram, x.baseAddress)
                    signature.withUnsafeMutableBufferPointer { s in
                        llm_minhash_update(s.baseAddress, a, b, p, x.baseAddress, count)
                    }
                }
            }
            return count
        }
        var shingles = 0
        key.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            if spaces * 8 >= charCount {
                words.removeAll(keepingCapacity: true)
                var s = 0
                for (i, c) in key.enumerated() where c == 0x20 {
                    if i > s { words.append(s..<i) }
                    s = i + 1
                }
                if s < key.count { words.append(s..<key.count) }
                let n = options.wordNgram
                if words.count <= n {
                    add(XXH3_64bits(base, key.count))
                    shingles = 1
                } else {
                    for w in 0...(words.count - n) {
                        let start = words[w].lowerBound, end = words[w + n - 1].upperBound
                        add(XXH3_64bits(base + start, end - start))
                        shingles += 1
                    }
                }
            } else {
                chars.removeAll(keepingCapacity: true)
                for (i, c) in key.enumerated() where c & 0xC0 != 0x80 && c != 0x20 { chars.append(i) }
                let n = options.charNgram
                if chars.count <= n {
                    add(XXH3_64bits(base, key.count))
                    shingles = 1
                } else {
                    for k in 0...(chars.count - n) {
                        let start = chars[k]
                        let end = k + n < chars.count ? chars[k + n] : key.count
                        add(XXH3_64bits(base + start, end - start))
                        shingles += 1
                    }
                }
            }
        }
        return shingles
    }
}

/// Union-find over document ordinals; the smallest ordinal (first in input order) is the root.
struct UnionFind {
    var parent: [UInt32] = []

    mutating func add() -> Int {
        parent.append(UInt32(parent.count))
        return parent.count - 1
    }

    mutating func find(_ x: Int) -> Int {
        var r = x
        while Int(parent[r]) != r { r = Int(parent[r]) }
        var c = x
        while Int(parent[c]) != r {
            let n = Int(parent[c])
            parent[c] = UInt32(r)
            c = n
        }
        return r
    }

    mutating func union(_ x: Int, _ y: Int) {
        let a = find(x), b = find(y)
        if a == b { return }
        if a < b { parent[b] = UInt32(a) } else { parent[a] = UInt32(b) }
    }
}
