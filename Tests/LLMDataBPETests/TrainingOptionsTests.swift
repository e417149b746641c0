import Foundation
import LLMDataCore
import Testing
@testable import LLMDataBPEEncoding
@testable import LLMDataBPETraining

/// bpe train's --split-regex, --max-token-length, the stop reason and the tiktoken sidecar, and
/// the tiktoken ranks parser (HF's and tiktoken's agreement on real text is checked by
/// scripts/check.d/60-bpe.sh).
struct TrainingOptionsTests {
    func pieces(_ spec: SplitSpec, _ text: String) throws -> [String] {
        let s = try SplitChain(spec).makeSplitter()
        var out: [String] = []
        try Array(text.utf8).withUnsafeBufferPointer { t in
            try s.forEachPiece(t) { out.append(String(decoding: $0, as: UTF8.self)) }
        }
        return out
    }

    @Test("--split-regex splits every piece of one regex with the next, keeping gaps, as HF's Sequence of Split(Isolated)")
    func splitSequence() throws {
        #expect(try pieces(.regexes([#"\p{N}{1,3}"#, "[a-z]+"]), "abc12345 xyz") == ["abc", "123", "45", " ", "xyz"])
        #expect(try pieces(.regexes(["[a-z]+"]), "ab1cd") == ["ab", "1", "cd"])
        #expect(try pieces(.builtin(.cl100k), "ab1cd") == ["ab", "1", "cd"])
    }

    @Test("a bad or empty-matching --split-regex is an error that names it")
    func splitErrors() throws {
        #expect { _ = try SplitChain(.regexes(["("])) } throws: { "\($0)".contains("--split-regex '('") }
        #expect { _ = try pieces(.regexes([#"\d*"#]), "ab") } throws: { "\($0)".contains("matched an empty string") }
    }

    @Test("counts files store the split: names round-trip")
    func splitNames() {
        for spec in [SplitSpec.builtin(.o200k), .regexes(["a+", #"\p{N}"#])] {
            #expect(SplitSpec(name: spec.name) == spec)
        }
        #expect(SplitSpec(name: "nonsense") == nil)
    }

    @Test("--max-token-length L: merged tokens are shorter than L characters (2 at least), as HF's Word::merge allows")
    func maxTokenLength() throws {
        let words = try countInputs(Repo.sampleInputs, .cl100k)
        var longest: [Int: Int] = [:]
        for l in [2, 3, 5, 8] {
            var o = BPETrainerOptions()
            o.vocabSize = 1500
            o.maxTokenLength = l
            let m = BPETrainer(options: o).train(words: words)
            longest[l] = (0..<m.vocab.count).compactMap { m.tokenBytes($0)?.count }.max()
            #expect(longest[l]! <= max(2, l - 1), "L \(l): a token of \(longest[l]!) bytes")
        }
        #expect(longest[5] == 4 && longest[8] == 7)
        var o = BPETrainerOptions()
        o.vocabSize = 1500
        let free = BPETrainer(options: o).train(words: words)
        #expect((0..<free.vocab.count).compactMap { free.tokenBytes($0)?.count }.max()! > 7)
    }

    @Test("training that stops short of --vocab-size says why")
    func stopReason() {
        let t1 = BPETrainer(options: { var o = BPETrainerOptions(); o.vocabSize = 5000; return o }())
        _ = t1.train(words: counts([("hello", 3), ("help", 2)]))
        #expect(t1.stats.stop == .noPairs)
        let t2 = BPETrainer(options: { var o = BPETrainerOptions(); o.vocabSize = 5000; o.minFrequency = 4; return o }())
        _ = t2.train(words: counts([("hello", 3), ("help", 2)]))
        #expect(t2.stats.stop == .minFrequency(3))
        let t3 = BPETrainer(options: { var o = BPETrainerOptions(); o.vocabSize = 258; return o }())
        _ = t3.train(words: counts([("hello", 3), ("help", 2)]))
        #expect(t3.stats.stop == .vocabSize)
    }

    @Test("the tiktoken sidecar holds tiktoken.Encoding's pattern name, pat_str and special tokens")
    func sidecar() throws {
        let m = train(counts([("hello", 3), ("help", 2)]), vocab: 300, specials: ["<|endoftext|>", "<|pad|>"])
        let j = try JSONSerialization.jsonObject(with: Data(try TiktokenFile.sidecar(m, split: .builtin(.cl100k)))) as! [String: Any]
        #expect(j["pattern"] as? String == "cl100k")
        #expect(j["pat_str"] as? String == SplitPattern.cl100k.tiktokenRegex)
        #expect(j["special_tokens"] as? [String: Int] == ["<|endoftext|>": 0, "<|pad|>": 1])
        let c = try JSONSerialization.jsonObject(with: Data(try TiktokenFile.sidecar(m, split: .regexes(["[a-z]+"])))) as! [String: Any]
        #expect(c["pattern"] as? String == "custom")
        #expect(c["pat_str"] as? String == "(?:[a-z]+)|(?:(?!(?:[a-z]+))(?s:.))+")
        #expect(throws: LLMDataError.self) { try TiktokenFile.sidecar(m, split: .regexes(["a", "b"])) }
    }

    @Test("tiktoken ranks parse from bytes: tokens, ranks, blank lines and CRs; bad lines name the file and line")
    func ranksParser() throws {
        let ok = "IQ== 0\r\n\nIiM= 7\nJCUm 3000\n"
        let (ranks, maxRank) = try TiktokenRanks.parse(Data(ok.utf8), path: "r.tiktoken")
        #expect(ranks.map { $0.0 } == [[0x21], [0x22, 0x23], [0x24, 0x25, 0x26]])
        #expect(ranks.map { $0.1 } == [0, 7, 3000])
        #expect(maxRank == 3000)
        let bad: [(String, String)] = [
            ("IQ== 0\nnot base64\n", "r.tiktoken:2: not a tiktoken ranks line"),
            ("IQ=A 1\n", "r.tiktoken:1: not a tiktoken ranks line"),
            ("I!== 1\n", "r.tiktoken:1: not a tiktoken ranks line"),
            ("IQ== x\n", "r.tiktoken:1: not a tiktoken ranks line"),
            ("IQ==\n", "r.tiktoken:1: not a tiktoken ranks line"),
            ("IQ== -1\n", "r.tiktoken:1: rank -1 is outside"),
            ("IQ== 99999999999999999999\n", "r.tiktoken:1: rank 99999999999999999999 is outside"),
        ]
        for (text, message) in bad {
            #expect { _ = try TiktokenRanks.parse(Data(text.utf8), path: "r.tiktoken") } throws: { "\($0)".contains(message) }
        }
    }

    @Test("TokenTable finds every token and nothing else, for lengths 1 to 40")
    func tokenTable() {
        var entries: [([UInt8], UInt32)] = []
        for len in 1...40 {
            for k in 0..<3 { entries.append(((0..<len).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ k &+ len) }, UInt32(entries.count))) }
        }
        let t = TokenTable(entries + [(entries[5].0, 999)])  // a later duplicate is ignored
        for (bytes, id) in entries {
            #expect(bytes.withUnsafeBufferPointer { t.get($0) } == id)
            var other = bytes
            other[other.count - 1] ^= 0x80
            #expect(other.withUnsafeBufferPointer { t.get($0) } == nil)
        }
    }
}
