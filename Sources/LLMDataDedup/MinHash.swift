// Performance notes (dedup hot path; measured on 2 shared cores: AMD EPYC with AVX-512 until
// 2026-11-23 midday, Intel Xeon with AVX-512 since).
// First round (0f68daa, AMD): minhash CPU was the permutation loop 22%, Swift shingling 15%, XXH3
// calls 7%, key normalization 13% (ICU 4.5%), JSON 4%; exact: the byte-at-a-time ASCII key loop
// 28%, and pass 2 cost as much CPU as pass 1. Done then: permutations in registers while a
// document's shingles stream past; shingle boundaries + XXH3 in C; ASCII key with AVX-512 VBMI2
// (~3.3 GB/s vs 0.5); NFKC_Casefold only around non-ASCII runs (Key.swift); open-addressing LSH
// tables (MinHashIndex.swift); exact mode in one pass (ExactStage, an ordered stage: LLMDataCore/Worker.swift).
// Second round (Intel; `dedup --bench-minhash` times signatures + LSH + clustering over ready
// keys, the phases rensa is timed for; 5,743 documents of scripts/dedup_quality.py):
//   * permutations: the 64-bit family ((a·x + b) mod 2^64) >> 32 needs vpmullq (3 uops) and ran
//     ~15 ns a shingle for 112 permutations; splitting it into 32×32→64 multiplies gives the same
//     values no faster. The 32-bit family (a·x + b) mod 2^32 (vpmulld, 16 lanes) runs ~4.5 ns,
//     with the binomial mean and spread of the estimate (MinHashTests; a C simulation over set
//     sizes 10 to 1,000 agreed with the 64-bit family to the third decimal).
//   * shingle values: XXH3 over each word 5-gram hashed every word five times; a rolling
//     polynomial over per-word hashes (one multiply and one add on the dependency chain), with
//     words hashed from one 16-byte load where they fit, about halves the shingling time.
//   * repeated shingles: a direct-mapped table of recent values (slot = low bits) skips values
//     already given to the kernel: character-shingled keys repeat most of theirs (7.2 M
//     occurrences, 0.85 M reached the kernel). The first round rejected a hash-set probe for
//     this: it cost as much as the 64-bit kernel; a single compare against one slot does not.
//   * the shingle rule: "fewer than one space in eight characters" sent 171 English word lists
//     and identifier-heavy texts to character 5-grams (7.2 M of 9.6 M shingles, and the wrong
//     unit for English); the script rule (Han, kana, Thai, ...) leaves 2.7 M shingles.
//   * per-document scratch arrays sized to the key cost more in page faults than the hashing
//     (a 10 MB key: 60 MB of fresh pages); values now pass through a 2,048-entry stack buffer.
//   * LSH: XXH3 of each band through the library call, nested per-band arrays and 9-element
//     appends per new bucket: replaced by an inlined fold, flat tables and buckets that hold
//     their key; about 8 ms warm / 13 ms cold for 5,743 documents, most of it cache misses.
//   Result: MinHash phases ~2.2x rensa's time on its own ready shingles (docs/benchmarks.md);
//   the whole command still reads, parses and normalizes, which rensa's timing leaves out.
// Rejected: minhash in one pass (a later record can merge two clusters, so the whole output
// would wait in memory); keeping pass 1's batches for pass 2 (re-reading from the page cache is
// ~1% of the time); 16-bit permutations (a 16-bit universe collides within large documents).
import CTextKernels

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
/// the key's space-separated tokens), or character n-grams when at least half of the key's
/// characters belong to scripts written without word spaces (Han, kana, Thai, ...). A shingle's 32-bit value x is a
/// polynomial over its units' hashes (kernels.c); permutation i maps x to (a_i·x + b_i) mod 2^32
/// (odd 32-bit a_i and 32-bit b_i from a fixed SplitMix64 sequence) and keeps the minimum.
public final class MinHasher {
    public let options: MinHashOptions
    /// a, b and the running minima, padded to a multiple of 16 lanes for the vector kernel.
    let a: [UInt32]
    let b: [UInt32]
    var minima: [UInt32]

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
        let p = options.permutations, padded = (p + 15) / 16 * 16
        var a = [UInt32](repeating: 1, count: padded), b = [UInt32](repeating: 0, count: padded)
        for i in 0..<p {
            a[i] = UInt32(truncatingIfNeeded: next()) | 1
            b[i] = UInt32(truncatingIfNeeded: next())
        }
        self.a = a
        self.b = b
        minima = [UInt32](repeating: UInt32.max, count: padded)
    }

    /// The signature of the last key signed (`permutations` values).
    public var signature: ArraySlice<UInt32> { minima[0..<options.permutations] }

    /// Signature of a key (see KeyNormalizer). Returns the number of shingles (0 for an empty key).
    @discardableResult
    public func sign(_ key: [UInt8]) -> Int {
        let padded = minima.count
        return minima.withUnsafeMutableBufferPointer { m in
            for i in 0..<padded { m[i] = UInt32.max }
            if key.isEmpty { return 0 }
            return key.withUnsafeBufferPointer { k in
                let words = llm_key_unspaced(k.baseAddress, k.count) == 0
                return llm_minhash_sign(k.baseAddress, k.count, words ? 0 : 1, words ? options.wordNgram : options.charNgram,
                                        m.baseAddress, a, b, padded)
            }
        }
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
