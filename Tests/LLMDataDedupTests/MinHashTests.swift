import Foundation
import Testing
@testable import LLMDataDedup

/// Distinct lower-case pseudo-words from a seeded generator (SplitMix64).
struct WordSource {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func word(minLength: Int = 3) -> String {
        var v = next()
        var s = ""
        let n = minLength + Int(v % 8)
        v /= 8
        for _ in 0..<n {
            s.append(Character(UnicodeScalar(UInt8(97 + v % 26))))
            v = v / 26 == 0 ? next() : v / 26
        }
        return s
    }
}

@Suite("MinHash signatures")
struct MinHashTests {
    /// Two keys of 304 distinct words sharing their first `shared` words: 300 word 5-grams each,
    /// `shared - 4` of them common.
    func pair(_ src: inout WordSource, shared: Int) -> ([UInt8], [UInt8]) {
        let common = (0..<shared).map { _ in src.word() }
        let a = common + (0..<(304 - shared)).map { _ in src.word() }
        let b = common + (0..<(304 - shared)).map { _ in src.word() }
        return (Array(a.joined(separator: " ").utf8), Array(b.joined(separator: " ").utf8))
    }

    @Test("the share of equal signature values estimates the Jaccard similarity without bias and with the binomial spread")
    func estimates() {
        let hasher = MinHasher(options: MinHashOptions())
        var src = WordSource(state: 7)
        for shared in [124, 204, 271] {
            let j = Double(shared - 4) / Double(600 - (shared - 4))
            var sum = 0.0, sq = 0.0
            let trials = 150
            for _ in 0..<trials {
                let (a, b) = pair(&src, shared: shared)
                #expect(hasher.sign(a) == 300)
                let sa = Array(hasher.signature)
                hasher.sign(b)
                let e = Double(zip(sa, hasher.signature).filter { $0 == $1 }.count) / 112
                sum += e
                sq += e * e
            }
            let mean = sum / Double(trials), sd = (sq / Double(trials) - mean * mean).squareRoot()
            let ideal = (j * (1 - j) / 112).squareRoot()
            // the mean of 150 estimates has a standard error of ideal / sqrt(150) (~0.003)
            #expect(abs(mean - j) < 4 * ideal / Double(trials).squareRoot(), "J \(j): mean estimate \(mean)")
            #expect(sd > 0.75 * ideal && sd < 1.25 * ideal, "J \(j): spread \(sd), binomial \(ideal)")
        }
    }

    @Test("a list of long English words is shingled by words, Chinese and Thai text by characters")
    func shingleUnits() {
        let hasher = MinHasher(options: MinHashOptions())
        var src = WordSource(state: 11)
        // 40 words of 9 to 16 letters: fewer than one space in eight characters
        let longWords = (0..<40).map { _ in src.word(minLength: 9) }.joined(separator: " ")
        #expect(hasher.sign(Array(longWords.utf8)) == 36)
        let zh = "重复数据会浪费训练算力并导致模型记忆"
        #expect(hasher.sign(Array(zh.utf8)) == zh.count - 4)
        // clause breaks become spaces in the key; characters still make the shingles
        let zhSpaced = "重复数据会浪费训练算力 并导致模型记忆 每个流程都要去重"
        #expect(hasher.sign(Array(zhSpaced.utf8)) == zhSpaced.filter { $0 != " " }.count - 4)
        let th = "การทำซ้ำข้อมูลทำให้สิ้นเปลือง"
        #expect(hasher.sign(Array(th.utf8)) == th.unicodeScalars.count - 4)
        // a key of at most n units is one shingle
        #expect(hasher.sign(Array("short key".utf8)) == 1)
        #expect(hasher.sign([]) == 0)
    }

    @Test("a word hashes the same wherever it falls: key start or end, before or after a 16-byte boundary")
    func wordsAnywhere() {
        // five words alone are one shingle; the same five words behind or before k one-letter words
        // contain that shingle, so every signature value is at most the lone shingle's (a word
        // hashed differently there would break this for most of the 112 permutations)
        let hasher = MinHasher(options: MinHashOptions())
        let five = "internationalization a bb supercalifragilisticexpialidocious ccc"
        hasher.sign(Array(five.utf8))
        let alone = Array(hasher.signature)
        for k in 1...20 {
            for key in [String(repeating: "x ", count: k) + five, five + String(repeating: " y", count: k)] {
                hasher.sign(Array(key.utf8))
                #expect(zip(hasher.signature, alone).allSatisfy { $0 <= $1 }, "\(key)")
            }
        }
    }
}
