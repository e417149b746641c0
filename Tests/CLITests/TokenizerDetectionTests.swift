import Foundation
import Testing

/// `--tokenizer PATH` tells the kind of file (tokenizer.json, tiktoken ranks, Tekken JSON,
/// SentencePiece, model directory), `--encoding` and the sidecar of a ranks file of its own, and
/// the refusals. Real files of every kind are cross-checked in scripts/check.d/72-74; these build
/// small ones from GPT-2's ranks (fixtures/tokenize/gpt2.tiktoken, tiktoken's r50k_base file).
@Suite("tokenizer detection")
struct TokenizerDetectionTests {
    static let gpt2 = CLI.fixture("tokenize/gpt2.tiktoken")
    static let text = #"{"text": "Hello world, it's 2024! [INST] <s> naïve café 日本語 <|fim_prefix|> <|endoftext|>   x\n\n"}"# + "\n"

    func input(_ dir: URL) throws -> String {
        let p = dir.appendingPathComponent("in.jsonl").path
        try Self.text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func manifest(_ dir: URL) throws -> [String: Any] {
        CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
    }

    /// The ids of document 0 (`shards decode --ids`).
    func ids(_ dir: URL) throws -> [Int] {
        let r = try CLI.run(["shards", "decode", dir.path, "--doc", "0", "--ids", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return String(decoding: r.stdout, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
    }

    /// The text of document 0 (`shards decode`), which reloads the tokenizer from the manifest.
    func decoded(_ dir: URL) throws -> String {
        let r = try CLI.run(["shards", "decode", dir.path, "--doc", "0", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return String(decoding: r.stdout, as: UTF8.self)
    }

    /// The first `n` ranks of GPT-2's file (a ranks file of no known encoding).
    func ownRanks(_ dir: URL, _ n: Int, name: String = "own.tiktoken") throws -> String {
        let lines = try String(contentsOfFile: Self.gpt2, encoding: .utf8).split(separator: "\n").prefix(n)
        let p = dir.appendingPathComponent(name).path
        try (lines.joined(separator: "\n") + "\n").write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// `n` ranks as Tekken orders them: byte i at rank i, then GPT-2's longer tokens in their order
    /// (base64 token, rank).
    func tekkenOrderRanks(_ n: Int) throws -> [(String, Int)] {
        let longer = try String(contentsOfFile: Self.gpt2, encoding: .utf8).split(separator: "\n").dropFirst(256).prefix(n - 256)
        return (0..<256).map { (Data([UInt8($0)]).base64EncodedString(), $0) } + longer.enumerated().map { (String($1.split(separator: " ")[0]), 256 + $0) }
    }

    /// A Tekken file over the first `ranks` of GPT-2's file: `special` special tokens first
    /// (Tekkenizer's deprecated default list, then fillers), GPT-2's pattern.
    func tekken(_ dir: URL, ranks: Int, special: Int, version: String = "v3", name: String = "tekken.json") throws -> String {
        let vocab: [[String: Any]] = try tekkenOrderRanks(ranks).map { ["rank": $0.1, "token_bytes": $0.0, "token_str": NSNull()] }
        let root: [String: Any] = [
            "config": ["pattern": #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#,
                       "num_vocab_tokens": ranks, "default_vocab_size": ranks + special,
                       "default_num_special_tokens": special, "version": version],
            "vocab": vocab,
        ]
        let p = dir.appendingPathComponent(name).path
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: p))
        return p
    }

    @Test("--tokenizer with GPT-2's ranks file recognizes r50k_base, says so on stderr and records kind and encoding in the manifest")
    func recognizesR50k() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("s")
        let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", Self.gpt2, "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("llmdata tokenize: tokenizer: \(Self.gpt2): tiktoken ranks, encoding r50k_base"), "\(r.stderr)")
        let m = try manifest(out)
        let t = m["tokenizer"] as? [String: Any] ?? [:]
        #expect(t["kind"] as? String == "tiktoken" && t["encoding"] as? String == "r50k_base" && t["pattern"] as? String == "gpt2")
        #expect(m["eos_id"] as? Int == 50256 && m["vocab_size"] as? Int == 50257)
        // --quiet: no line
        let q = try CLI.run(["tokenize", try input(dir), "--tokenizer", Self.gpt2, "-o", out.path, "--overwrite", "--quiet"])
        #expect(q.status == 0 && q.stderr.isEmpty, "\(q.stderr)")
    }

    @Test("p50k_base (r50k's ranks, then 24 runs of spaces from 50257) is recognized with EOS 50256, the rank it skips, and 50,281 ids; --encoding p50k_edit adds the FIM tokens 50281-50283")
    func p50k() throws {
        let dir = try CLI.tempDir()
        var body = try String(contentsOfFile: Self.gpt2, encoding: .utf8)
        for n in 2...25 { body += "\(Data(repeating: 0x20, count: n).base64EncodedString()) \(50_255 + n)\n" }
        let p50k = dir.appendingPathComponent("p50k.tiktoken").path
        try body.write(toFile: p50k, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("s")
        let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", p50k, "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("encoding p50k_base"), "\(r.stderr)")
        var m = try manifest(out)
        #expect(m["eos_id"] as? Int == 50256 && m["vocab_size"] as? Int == 50281)
        let plain = try ids(out)
        #expect(plain.contains { $0 >= 50_257 })  // the run of spaces before x
        let edit = dir.appendingPathComponent("e")
        let e = try CLI.run(["tokenize", try input(dir), "--tiktoken", p50k, "--encoding", "p50k_edit", "--allow-special", "-o", edit.path, "--quiet"])
        #expect(e.status == 0, "\(e.stderr)")
        m = try manifest(edit)
        #expect((m["tokenizer"] as? [String: Any])?["encoding"] as? String == "p50k_edit" && m["vocab_size"] as? Int == 50284)
        let special = try ids(edit)
        #expect(special.contains(50_281) && special.contains(50_256) && special.count < plain.count, "\(special)")
    }

    @Test("--encoding that the file is not is refused, naming the encoding it is")
    func wrongEncoding() throws {
        let dir = try CLI.tempDir()
        for enc in ["cl100k_base", "p50k_base", "o200k_base"] {
            let r = try CLI.run(["tokenize", try input(dir), "--tiktoken", Self.gpt2, "--encoding", enc, "-o", dir.appendingPathComponent("s").path])
            #expect(r.status == 2)
            #expect(r.stderr.contains("\(Self.gpt2): 50256 ranks are not \(enc)'s file") && r.stderr.contains("pass --encoding r50k_base"), "\(r.stderr)")
        }
        let both = try CLI.run(["tokenize", try input(dir), "--tiktoken", Self.gpt2, "--encoding", "r50k_base", "--pattern", "gpt2", "-o", dir.appendingPathComponent("s").path])
        #expect(both.status == 2 && both.stderr.contains("drop --pattern"), "\(both.stderr)")
    }

    @Test("--encoding or --pattern with a tokenizer.json or a Tekken file is refused naming the kind of file")
    func encodingWithOtherKinds() throws {
        let dir = try CLI.tempDir()
        let json = CLI.fixture("bpe/hf/gpt2-700.json")
        let tek = try tekken(dir, ranks: 300, special: 30)
        for (file, kind) in [(json, "an HF tokenizer.json"), (tek, "a Mistral Tekken file")] {
            for flag in [["--encoding", "cl100k_base"], ["--pattern", "gpt2"]] {
                let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", file, "-o", dir.appendingPathComponent("s").path] + flag)
                #expect(r.status == 2)
                #expect(r.stderr.contains("\(file): \(flag[0]) \(flag[1]) is for tiktoken ranks files, and this is \(kind)") && r.stderr.contains("drop \(flag[0])"), "\(r.stderr)")
            }
        }
    }

    @Test("a ranks file of no known encoding needs --pattern; without a sidecar it has no special tokens, so --eos takes an id or none")
    func ownRanksFile() throws {
        let dir = try CLI.tempDir()
        let own = try ownRanks(dir, 1000)
        let out = dir.appendingPathComponent("s")
        let bare = try CLI.run(["tokenize", try input(dir), "--tokenizer", own, "-o", out.path])
        #expect(bare.status == 2)
        #expect(bare.stderr.contains("\(own): 1000 ranks are no known encoding's") && bare.stderr.contains("no own.tiktoken.json beside it") && bare.stderr.contains("--pattern"), "\(bare.stderr)")
        let noEOS = try CLI.run(["tokenize", try input(dir), "--tokenizer", own, "--pattern", "gpt2", "-o", out.path])
        #expect(noEOS.status == 2)
        #expect(noEOS.stderr.contains("\(own): the tokenizer has no special tokens") && noEOS.stderr.contains("--eos ID"), "\(noEOS.stderr)")
        let named = try CLI.run(["tokenize", try input(dir), "--tokenizer", own, "--pattern", "gpt2", "--eos", "<|endoftext|>", "-o", out.path])
        #expect(named.status == 2 && named.stderr.contains("give an id from 0 to 999, or none"), "\(named.stderr)")
        let ok = try CLI.run(["tokenize", try input(dir), "--tokenizer", own, "--pattern", "gpt2", "--eos", "5", "-o", out.path])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("pattern gpt2, no special tokens"), "\(ok.stderr)")
        let m = try manifest(out)
        let t = m["tokenizer"] as? [String: Any] ?? [:]
        #expect(m["eos_id"] as? Int == 5 && m["vocab_size"] as? Int == 1000 && t["encoding"] == nil && t["pattern"] as? String == "gpt2")
        // <|endoftext|> in the text is text: no id at or above the ranks
        #expect(try ids(out).allSatisfy { $0 < 1000 })
        #expect(try decoded(out) == "Hello world, it's 2024! [INST] <s> naïve café 日本語 <|fim_prefix|> <|endoftext|>   x\n\n\n")
    }

    @Test("an id with two special-token names decodes to the same name in every run (o200k_harmony's 200018 decoded to either name, by dictionary order)")
    func twoNamesOneID() throws {
        let dir = try CLI.tempDir()
        let own = try ownRanks(dir, 300)
        try #"{"pattern": "gpt2", "special_tokens": {"<|reserved_300|>": 300, "<|endofprompt|>": 300, "<|endoftext|>": 301}}"#
            .write(toFile: own + ".json", atomically: true, encoding: .utf8)
        let f = dir.appendingPathComponent("p.jsonl").path
        try #"{"text": "a<|endofprompt|>b<|reserved_300|>c"}"#.appending("\n").write(toFile: f, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("s")
        #expect(try CLI.run(["tokenize", f, "--tokenizer", own, "--allow-special", "-o", out.path, "--quiet", "--eos", "none"]).status == 0)
        #expect(try ids(out).filter { $0 == 300 }.count == 2)
        // a fresh process each time: a dictionary's iteration order changes from run to run
        for _ in 0..<6 { #expect(try decoded(out) == "a<|endofprompt|>b<|endofprompt|>c\n") }
    }

    @Test("a sidecar FILE.json gives a ranks file its pattern and special tokens (recorded in the manifest, used by shards decode); a wrong sidecar is refused naming it")
    func sidecar() throws {
        let dir = try CLI.tempDir()
        let own = try ownRanks(dir, 1000)
        let side = own + ".json"
        try #"{"pattern": "gpt2", "special_tokens": {"<|endoftext|>": 1000, "<|pad|>": 1001}}"#.write(toFile: side, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("s")
        let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", own, "--allow-special", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("pattern gpt2 and special tokens from \(side)"), "\(r.stderr)")
        let m = try manifest(out)
        let t = m["tokenizer"] as? [String: Any] ?? [:]
        #expect(m["eos_id"] as? Int == 1000 && m["vocab_size"] as? Int == 1002 && t["sidecar"] as? String == "own.tiktoken.json")
        #expect(t["sidecar_sha256"] as? String == (try CLI.sha256(side)))
        #expect(try ids(out).filter { $0 == 1000 }.count == 1)  // the <|endoftext|> in the text, --allow-special
        #expect(try decoded(out).hasPrefix("Hello world"))
        // --pattern that the sidecar contradicts
        let other = try CLI.run(["tokenize", try input(dir), "--tokenizer", own, "--pattern", "o200k", "-o", out.path, "--overwrite"])
        #expect(other.status == 2 && other.stderr.contains("\(side): gives pattern gpt2, but --pattern o200k was given"), "\(other.stderr)")
        let bad: [(String, String)] = [
            (#"{"pattern": "gpt2", "special_tokens": {"<|endoftext|>": 7}}"#, "\(side): special token <|endoftext|> has id 7, which is a rank of the ranks file"),
            (#"{"pattern": "gpt2", "specials": {}}"#, #"\#(side): unknown key "specials""#),
            (#"{"pattern": "gpt9"}"#, #"\#(side): no "pat_str", and "pattern" "gpt9" is not one of"#),
            (#"{"pattern": "gpt2", "special_tokens": {"<|x|>": -1}}"#, "\(side): special token <|x|> has id -1"),
            ("[1, 2]", "\(side): not a JSON object"),
        ]
        for (body, message) in bad {
            try body.write(toFile: side, atomically: true, encoding: .utf8)
            let b = try CLI.run(["tokenize", try input(dir), "--tokenizer", own, "-o", out.path, "--overwrite"])
            #expect(b.status == 2)
            #expect(b.stderr.contains(message), "\(b.stderr)")
        }
    }

    @Test("a Tekken file is detected; its ids are the ranks' tiktoken ids after the special tokens, [INST] and <s> in text are text, </s> is EOS; --allow-special is refused")
    func tekkenFile() throws {
        let dir = try CLI.tempDir()
        let tek = try tekken(dir, ranks: 2000, special: 100)
        let out = dir.appendingPathComponent("t")
        let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", tek, "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(tek): Mistral Tekken v3, 100 special tokens then 2000 ranks (2100 ids)"), "\(r.stderr)")
        let m = try manifest(out)
        let t = m["tokenizer"] as? [String: Any] ?? [:]
        #expect(t["kind"] as? String == "tekken" && t["encoding"] as? String == "v3" && m["eos_id"] as? Int == 2 && m["vocab_size"] as? Int == 2100)
        // the same ranks as a tiktoken file with the same pattern: every id 100 lower
        let own = dir.appendingPathComponent("tekken-order.tiktoken").path
        try (try tekkenOrderRanks(2000)).map { "\($0.0) \($0.1)\n" }.joined().write(toFile: own, atomically: true, encoding: .utf8)
        let ref = dir.appendingPathComponent("r")
        let rr = try CLI.run(["tokenize", try input(dir), "--tiktoken", own, "--pattern", "gpt2", "--eos", "none", "-o", ref.path, "--quiet"])
        #expect(rr.status == 0, "\(rr.stderr)")
        let tekIDs = try ids(out), refIDs = try ids(ref)
        #expect(!refIDs.isEmpty && tekIDs == refIDs.map { $0 + 100 }, "\(tekIDs) \(refIDs)")
        #expect(try decoded(out) == "Hello world, it's 2024! [INST] <s> naïve café 日本語 <|fim_prefix|> <|endoftext|>   x\n\n\n")
        let special = try CLI.run(["tokenize", try input(dir), "--tokenizer", tek, "--allow-special", "-o", out.path, "--overwrite"])
        #expect(special.status == 2 && special.stderr.contains("\(tek): --allow-special with a Tekken file"), "\(special.stderr)")
    }

    @Test("Tekken files Tekkenizer refuses are refused: an unknown version, a v11 file without special_tokens, a vocabulary too small for default_vocab_size")
    func tekkenRefusals() throws {
        let dir = try CLI.tempDir()
        let cases: [(String, String)] = [
            (try tekken(dir, ranks: 300, special: 20, version: "v99", name: "a.json"), "config.version v99: not a Tekken version"),
            (try tekken(dir, ranks: 300, special: 20, version: "v11", name: "b.json"), "a v11 Tekken file without special_tokens"),
            (try tekken(dir, ranks: 300, special: 10, name: "c.json"), "20 special tokens, more than config.default_num_special_tokens (10)"),
        ]
        for (file, message) in cases {
            let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", file, "-o", dir.appendingPathComponent("s").path])
            #expect(r.status == 2)
            #expect(r.stderr.contains("\(file): ") && r.stderr.contains(message), "\(r.stderr)")
        }
    }

    @Test("a model directory is searched for tokenizer.json, tekken.json, tokenizer.model, original/tokenizer.model, qwen.tiktoken in that order, and the manifest names the file found")
    func modelDirectory() throws {
        let dir = try CLI.tempDir()
        let model = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model.appendingPathComponent("original"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.gpt2, toPath: model.appendingPathComponent("original/tokenizer.model").path)
        let out = dir.appendingPathComponent("s")
        var r = try CLI.run(["tokenize", try input(dir), "--tokenizer", model.path, "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("original/tokenizer.model: tiktoken ranks (in model directory \(model.path)), encoding r50k_base"), "\(r.stderr)")
        #expect((try manifest(out)["tokenizer"] as? [String: Any])?["name"] as? String == "tokenizer.model")
        _ = try tekken(model, ranks: 300, special: 20)
        r = try CLI.run(["tokenize", try input(dir), "--tokenizer", model.path, "-o", out.path, "--overwrite"])
        #expect(r.status == 0 && r.stderr.contains("tekken.json: Mistral Tekken v3 (in model directory"), "\(r.stderr)")
        #expect((try manifest(out)["tokenizer"] as? [String: Any])?["kind"] as? String == "tekken")
        try FileManager.default.copyItem(atPath: CLI.fixture("bpe/hf/gpt2-700.json"), toPath: model.appendingPathComponent("tokenizer.json").path)
        r = try CLI.run(["tokenize", try input(dir), "--tokenizer", model.path, "-o", out.path, "--overwrite", "--eos", "none"])
        #expect(r.status == 0 && r.stderr.contains("tokenizer.json: HF tokenizer.json (in model directory"), "\(r.stderr)")
        // shards decode with the directory in place of the manifest's path
        let d = try CLI.run(["shards", "decode", out.path, "--doc", "0", "--tokenizer", model.path])
        #expect(d.status == 0 && String(decoding: d.stdout, as: UTF8.self).hasPrefix("Hello world"), "\(d.stderr)")
    }

    @Test("files that are no tokenizer are refused naming the file: empty, random bytes, a directory with none of the known files")
    func notATokenizer() throws {
        let dir = try CLI.tempDir()
        let empty = dir.appendingPathComponent("empty.model").path
        try Data().write(to: URL(fileURLWithPath: empty))
        let noise = dir.appendingPathComponent("noise.bin").path
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) | 0x80 }).write(to: URL(fileURLWithPath: noise))
        let bare = dir.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        for (p, message) in [(empty, "\(empty): empty file, not a tokenizer"), (noise, "\(noise): not a tokenizer file llmdata reads"),
                             (bare.path, "\(bare.path) is a directory without a tokenizer.json, tekken.json, tokenizer.model")] {
            let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", p, "-o", dir.appendingPathComponent("s").path])
            #expect(r.status == 2)
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
    }

    @Test("tokenize reads what bpe train --tiktoken writes: the sidecar's special tokens and pattern, so EOS and the vocabulary size are the trained ones (it once read a 1,000-token file as cl100k: EOS 100257, 100,277 ids)")
    func trainedRanksFile() throws {
        let dir = try CLI.tempDir()
        let tt = dir.appendingPathComponent("trained.tiktoken").path
        let t = try CLI.run(["bpe", "train", CLI.fixture("sample/en.jsonl"), "--vocab-size", "1000", "--pattern", "o200k", "--special", "<|endoftext|>",
                             "--special", "<|pad|>", "-o", dir.appendingPathComponent("trained.json").path, "--tiktoken", tt, "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let out = dir.appendingPathComponent("s")
        let r = try CLI.run(["tokenize", try input(dir), "--tokenizer", tt, "--allow-special", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("pattern o200k and special tokens from \(tt).json"), "\(r.stderr)")
        let m = try manifest(out)
        #expect(m["eos_id"] as? Int == 0 && m["vocab_size"] as? Int == 1000, "\(m)")
        // the same ids as the tokenizer.json bpe train wrote beside it
        let viaJSON = dir.appendingPathComponent("j")
        let j = try CLI.run(["tokenize", try input(dir), "--tokenizer", dir.appendingPathComponent("trained.json").path, "--allow-special", "-o", viaJSON.path, "--quiet"])
        #expect(j.status == 0, "\(j.stderr)")
        #expect(try ids(out) == (try ids(viaJSON)))
    }

    @Test("a manifest written before tokenize recorded the encoding (kind tiktoken, pattern only) still decodes")
    func oldManifest() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("s")
        let r = try CLI.run(["tokenize", try input(dir), "--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", out.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let path = out.appendingPathComponent("manifest.json")
        var m = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as! [String: Any]
        var t = m["tokenizer"] as! [String: Any]
        t.removeValue(forKey: "encoding")
        m["tokenizer"] = t
        try JSONSerialization.data(withJSONObject: m).write(to: path)
        #expect(try decoded(out).hasPrefix("Hello world, it's 2024!"))
        #expect(try CLI.run(["shards", "verify", out.path]).status == 0)
    }
}
