import Foundation
import LLMDataCore
import Testing
@testable import LLMDataBPETraining

enum Repo {
    static let root: URL = {
        var u = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { u.deleteLastPathComponent() }
        return u
    }()
    static func path(_ p: String) -> String { root.appendingPathComponent(p).path }
    static let sampleInputs = [path("fixtures/sample/en.jsonl"), path("fixtures/bpe/multilingual.jsonl")]

    static func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("llmdata-bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}

func counts(_ words: [(String, UInt64)]) -> WordCounts {
    let wc = WordCounts()
    for (w, n) in words { Array(w.utf8).withUnsafeBufferPointer { wc.add($0, n) } }
    return wc
}

func countInputs(_ inputs: [String], _ pattern: SplitPattern, shard: (Int, Int) = (0, 1)) throws -> WordCounts {
    var o = CountOptions()
    o.pattern = pattern
    o.jobs = 2
    o.quiet = true
    var r = ReaderOptions()
    r.share = TaskShare(index: shard.0, count: shard.1)
    return try BPECounting.count(inputs: inputs, format: nil, reader: r, options: o).counts
}

func train(_ wc: WordCounts, vocab: Int, specials: [String] = [], minFrequency: UInt64 = 0) -> TrainedBPE {
    var o = BPETrainerOptions()
    o.vocabSize = vocab
    o.specialTokens = specials
    o.minFrequency = minFrequency
    return BPETrainer(options: o).train(words: wc)
}

func str(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

@Suite("byte level")
struct ByteLevelTests {
    @Test("bytes map to GPT-2's characters and back")
    func roundTrip() {
        #expect(str(ByteLevel.utf8ForByte[0x20]) == "Ġ")
        #expect(str(ByteLevel.utf8ForByte[0x0A]) == "Ċ")
        #expect(str(ByteLevel.utf8ForByte[0x41]) == "A")
        let all = (0..<256).map { UInt8($0) }
        #expect(ByteLevel.decode(str(ByteLevel.encode(all))) == all)
        #expect(ByteLevel.decode("<|endoftext|>é") == nil || ByteLevel.decode("<|endoftext|>é") != Array("<|endoftext|>é".utf8))
    }

    @Test("the alphabet is ordered by code point as HF's trainer assigns it")
    func alphabetOrder() {
        let order = ByteLevel.bytesInAlphabetOrder
        #expect(order.count == 256 && Set(order).count == 256)
        #expect(order.first == UInt8(ascii: "!"))
        #expect(order[93] == UInt8(ascii: "~"))
        #expect(order[94] == 0xA1)
        #expect(order.last == 0xAD)  // soft hyphen maps to the highest character, U+0143
    }
}

@Suite("pre-tokenizer")
struct PreTokenizerTests {
    static let texts = [
        "Hello world's END, it'S 12345 ok?!  \n\n  x\ty  ",
        "中文字符测试，标点！ 123四五 Ünïcödé naïve café",
        "I'LL don't we've 3.14159 $100,000 ... -- __init__(self):\r\n\tpass  ",
        "Tail 2024:\n  \n\t ",  // trailing white space with a line break: cl100k and llama3 differ
    ]
    // regex.findall(pattern, text) with the patterns as tiktoken ships them (Python `regex`).
    static let expected: [SplitPattern: [[String]]] = [
        .gpt2: [
            ["Hello", " world", "'s", " END", ",", " it", "'", "S", " 12345", " ok", "?!", "  \n\n ", " x", "\t", "y", "  "],
            ["中文字符测试", "，", "标点", "！", " 123", "四五", " Ünïcödé", " naïve", " café"],
            ["I", "'", "LL", " don", "'t", " we", "'ve", " 3", ".", "14159", " $", "100", ",", "000", " ...", " --", " __", "init", "__(", "self", "):", "\r\n", "\t", "pass", "  "],
            ["Tail", " 2024", ":", "\n  \n\t "],
        ],
        .cl100k: [
            ["Hello", " world", "'s", " END", ",", " it", "'S", " ", "123", "45", " ok", "?!", "  \n\n", " ", " x", "\ty", "  "],
            ["中文字符测试", "，标点", "！", " ", "123", "四五", " Ünïcödé", " naïve", " café"],
            ["I", "'LL", " don", "'t", " we", "'ve", " ", "3", ".", "141", "59", " $", "100", ",", "000", " ...", " --", " __", "init", "__(", "self", "):\r\n", "\tpass", "  "],
            ["Tail", " ", "202", "4", ":\n", "  \n\t "],
        ],
        .o200k: [
            ["Hello", " world's", " END", ",", " it'S", " ", "123", "45", " ok", "?!", "  \n\n", " ", " x", "\ty", "  "],
            ["中文字符测试", "，标点", "！", " ", "123", "四五", " Ünïcödé", " naïve", " café"],
            ["I'LL", " don't", " we've", " ", "3", ".", "141", "59", " $", "100", ",", "000", " ...", " --", " __", "init", "__(", "self", "):\r\n", "\tpass", "  "],
            ["Tail", " ", "202", "4", ":\n", "  \n", "\t "],
        ],
        .llama3: [
            ["Hello", " world", "'s", " END", ",", " it", "'S", " ", "123", "45", " ok", "?!", "  \n\n", " ", " x", "\ty", "  "],
            ["中文字符测试", "，标点", "！", " ", "123", "四五", " Ünïcödé", " naïve", " café"],
            ["I", "'LL", " don", "'t", " we", "'ve", " ", "3", ".", "141", "59", " $", "100", ",", "000", " ...", " --", " __", "init", "__(", "self", "):\r\n", "\tpass", "  "],
            ["Tail", " ", "202", "4", ":\n", "  \n", "\t "],
        ],
        .qwen2: [
            ["Hello", " world", "'s", " END", ",", " it", "'S", " ", "1", "2", "3", "4", "5", " ok", "?!", "  \n\n", " ", " x", "\ty", "  "],
            ["中文字符测试", "，标点", "！", " ", "1", "2", "3", "四五", " Ünïcödé", " naïve", " café"],
            ["I", "'LL", " don", "'t", " we", "'ve", " ", "3", ".", "1", "4", "1", "5", "9", " $", "1", "0", "0", ",", "0", "0", "0", " ...", " --", " __", "init", "__(", "self", "):\r\n", "\tpass", "  "],
            ["Tail", " ", "2", "0", "2", "4", ":\n", "  \n", "\t "],
        ],
    ]

    @Test("pieces equal Python regex.findall for each pattern", arguments: SplitPattern.allCases)
    func pieces(_ p: SplitPattern) throws {
        let s = try PreTokenizer(p).makeSplitter()
        for (t, want) in zip(Self.texts, Self.expected[p]!) {
            #expect(try s.pieces(Array(t.utf8)).map(str) == want)
        }
    }

    @Test("U+180E is not white space, as in regex and Oniguruma")
    func mongolianVowelSeparator() throws {
        let s = try PreTokenizer(.cl100k).makeSplitter()
        #expect(try s.pieces(Array("a \u{180E}\u{180E}b".utf8)).map(str) == ["a", " \u{180E}\u{180E}", "b"])
    }

    @Test("long runs of one character split in linear pieces without failing")
    func longRuns() throws {
        let s = try PreTokenizer(.cl100k).makeSplitter()
        let spaces = [UInt8](repeating: 0x20, count: 1 << 20) + Array("x".utf8)
        let p = try s.pieces(spaces)
        #expect(p.count == 2 && p[0].count == (1 << 20) - 1)
        let digits = [UInt8](repeating: UInt8(ascii: "7"), count: 3000)
        #expect(try s.pieces(digits).count == 1000)
    }

    @Test("the ASCII fast path gives PCRE2's pieces on random text full of edge cases", arguments: SplitPattern.allCases)
    func fastPathEqualsPCRE(_ p: SplitPattern) throws {
        #expect(try Self.mismatches(try PreTokenizer(p).makeSplitter(), try PreTokenizer(p, fastPath: false).makeSplitter()) == 0)
    }

    /// Texts of random pieces of edge cases on which the two splitters disagree (of 20,000).
    static func mismatches(_ fast: PreTokenizer.Splitter, _ slow: PreTokenizer.Splitter) throws -> Int {
        let alphabet = ["a", "Z", "q", "'", "s", "S", "t", "l", "L", "e", "E", "v", "r", "R", "d", "m", "1", "2", "3", " ", " ", "\t",
                        "\n", "\r", "\u{0B}", "!", "/", ".", "\u{7F}", "\u{1F}", "é", "ſ", "\u{A0}", "\u{85}", "٣", "²", "中",
                        "\u{301}", "\u{2028}", "\u{180E}", "É", "ǅ", "ʰ"].map { Array($0.utf8) }
        var seed: UInt64 = 0x5EED
        func next() -> UInt64 {  // deterministic (splitmix64)
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var mismatches = 0
        for _ in 0..<20000 {
            let n = Int(next() % 24)
            var t: [UInt8] = []
            for _ in 0..<n { t += alphabet[Int(next() % UInt64(alphabet.count))] }
            if try fast.pieces(t) != slow.pieces(t) { mismatches += 1 }
        }
        return mismatches
    }

    @Test("the PCRE2 form spells out \\s and \\S")
    func pcreForm() {
        let f = PreTokenizer.pcreForm(#"\s+(?!\S)|[^\s\p{L}]|\\s"#)
        #expect(!f.contains(#"\s+"#))
        #expect(f.hasPrefix("[" + PreTokenizer.whiteSpace + "]+(?![^" + PreTokenizer.whiteSpace + "])|[^" + PreTokenizer.whiteSpace + #"\p{L}]"#))
        #expect(f.hasSuffix(#"|\\s"#))
    }
}

@Suite("trainer")
struct TrainerTests {
    @Test("ties go to the smaller (left id, right id), not the smaller string")
    func tieBreak() {
        // " q" and "qz" both occur 5 times. In HF's id space "Ġ" (U+0120) sorts after "q", so
        // ("q","z") has the smaller left id and is merged first.
        let m = train(counts([(" q", 5), ("qz", 5)]), vocab: 258)
        #expect(m.merges.map { str(m.vocab[Int($0.0)]) + "+" + str(m.vocab[Int($0.1)]) } == ["q+z", "Ġ+q"])
        #expect(m.vocab.count == 258)
    }

    @Test("the higher count wins")
    func higherCount() {
        let m = train(counts([("ab", 2), ("cd", 3)]), vocab: 257)
        #expect(str(m.vocab[256]) == "cd")
    }

    @Test("special tokens take ids 0, 1, … and duplicates are skipped")
    func specials() {
        let m = train(counts([("hello", 10)]), vocab: 262, specials: ["<|endoftext|>", "<pad>", "<|endoftext|>"])
        #expect(m.specialTokens == ["<|endoftext|>", "<pad>"])
        #expect(str(m.vocab[0]) == "<|endoftext|>" && str(m.vocab[1]) == "<pad>" && str(m.vocab[2]) == "!")
        #expect(m.vocab.count == 262)
    }

    @Test("a special token equal to a byte character takes that character's place")
    func specialIsAByte() {
        let m = train(counts([("ab", 4)]), vocab: 300, specials: ["a"])
        #expect(m.vocab.count == 256 + 1)  // 256 characters ("a" being the special) + "ab"
        #expect(m.merges.count == 1 && m.merges[0].0 == 0)
    }

    @Test("min frequency stops the merges")
    func minFrequency() {
        let wc = counts([("abc", 5), ("xy", 2)])
        #expect(train(wc, vocab: 1000, minFrequency: 3).merges.count == 2)  // ab, abc
        #expect(train(wc, vocab: 1000, minFrequency: 6).merges.isEmpty)
        #expect(train(wc, vocab: 1000).merges.count == 3)
    }

    @Test("overlapping pairs: aaaaa merges as HF's Word::merge does (HF tokenizers 0.23.3 gives a+a, aa+a, aa+aaa)")
    func overlapping() {
        let m = train(counts([("aaaaa", 1)]), vocab: 300)
        #expect(m.merges.map { str(m.vocab[Int($0.0)]) + "+" + str(m.vocab[Int($0.1)]) } == ["a+a", "aa+a", "aa+aaa"])
    }

    @Test("tokenizer.json equals the file HF tokenizers writes, byte for byte",
          arguments: [
              ("cl100k-1000-special.json", SplitPattern.cl100k, 1000, ["<|endoftext|>", "<|pad|>"], UInt64(0)),
              ("gpt2-700.json", SplitPattern.gpt2, 700, [], UInt64(0)),
              ("o200k-900-min3.json", SplitPattern.o200k, 900, ["<s>"], UInt64(3)),
          ])
    func matchesHF(_ file: String, _ pattern: SplitPattern, _ vocab: Int, _ specials: [String], _ minFrequency: UInt64) throws {
        let wc = try countInputs(Repo.sampleInputs, pattern)
        let m = train(wc, vocab: vocab, specials: specials, minFrequency: minFrequency)
        let ours = TokenizerJSON.serialize(m, pattern: pattern)
        let theirs = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Repo.path("fixtures/bpe/hf/" + file))))
        #expect(ours == theirs)
    }

    @Test("the loader reads back vocab, merges, specials and pattern")
    func loader() throws {
        let f = try ByteLevelBPEFile.load(path: Repo.path("fixtures/bpe/hf/cl100k-1000-special.json"))
        #expect(f.vocab.count == 1000 && f.vocab[0].0 == "<|endoftext|>" && f.vocab[2].0 == "!")
        #expect(f.merges.count == 1000 - 258)
        #expect(f.addedTokens.map(\.content) == ["<|endoftext|>", "<|pad|>"])
        #expect(f.splitPattern == SplitPattern.cl100k.regex)
        let g = try ByteLevelBPEFile.load(path: Repo.path("fixtures/bpe/hf/gpt2-700.json"))
        #expect(g.splitPattern == SplitPattern.gpt2.regex)
        #expect(ByteLevelBPEFile.rawBytes("Ġthe") == Array(" the".utf8))
    }
}

@Suite("counts")
struct CountsTests {
    @Test("counts files round-trip and sharded counts train the same tokenizer as the whole input")
    func shards() throws {
        let dir = try Repo.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try countInputs(Repo.sampleInputs, .cl100k)
        let merged = WordCounts()
        for i in 0..<3 {
            let part = try countInputs(Repo.sampleInputs, .cl100k, shard: (i, 3))
            #expect(part.count > 0 && part.count < whole.count)
            let path = dir.appendingPathComponent("c\(i).bin.zst").path
            try CountsFile.write(part, pattern: "cl100k", to: path)
            #expect(try CountsFile.read(path: path, into: merged) == "cl100k")
        }
        #expect(merged.total == whole.total && merged.count == whole.count)
        let a = TokenizerJSON.serialize(train(whole, vocab: 800), pattern: .cl100k)
        let b = TokenizerJSON.serialize(train(merged, vocab: 800), pattern: .cl100k)
        #expect(a == b)
    }

    @Test("a truncated counts file is an error that names the file")
    func truncated() throws {
        let dir = try Repo.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("c.bin").path
        try CountsFile.write(counts([("hello", 3), ("world", 2)]), pattern: "gpt2", to: path)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.removeLast(3)
        try data.write(to: URL(fileURLWithPath: path))
        let wc = WordCounts()
        #expect(throws: LLMDataError.self) { try CountsFile.read(path: path, into: wc) }
    }
}
