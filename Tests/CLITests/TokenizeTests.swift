import Foundation
import Testing

@Suite("tokenize and shards")
struct TokenizeTests {
    static let gpt2 = CLI.fixture("tokenize/gpt2.tiktoken")
    static let inputs = ["sample/en.jsonl", "sample/zh-web.jsonl", "sample/multilingual.jsonl", "normalize/cjk.jsonl"].map(CLI.fixture)

    func tokenize(_ extra: [String], inputs: [String] = inputs) throws -> (URL, CLI.Result) {
        let dir = try CLI.tempDir().appendingPathComponent("shards")
        let r = try CLI.run(["tokenize"] + inputs + ["--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", dir.path, "--quiet"] + extra)
        return (dir, r)
    }

    func texts(_ files: [String]) throws -> [String] {
        try files.flatMap { f in
            try String(contentsOfFile: f, encoding: .utf8).split(separator: "\n").map { CLI.json(String($0))["text"] as! String }
        }
    }

    /// A tokenizer.json trained by `bpe train` on the English sample (`<|endoftext|>` is id 0 when
    /// `special`).
    func trainTokenizer(at url: URL, vocabSize: Int, special: Bool = true) throws {
        let r = try CLI.run(["bpe", "train", CLI.fixture("sample/en.jsonl"), "--vocab-size", String(vocabSize), "-o", url.path, "--quiet"]
                            + (special ? ["--special", "<|endoftext|>"] : []))
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// The ids of document `doc` as `shards decode --ids` prints them.
    func decodedIDs(_ dir: URL, doc: Int = 0) throws -> [String] {
        try CLI.run(["shards", "decode", dir.path, "--doc", String(doc), "--ids"]).out.split(separator: " ")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// A copy of `tokenizer` at `to` with added tokens that are not special (`extra` overrides
    /// their fields).
    func addTokens(_ tokens: [(Int, String)], to tokenizer: URL, writingTo out: URL, extra: [String: Any] = [:]) throws {
        var root = try JSONSerialization.jsonObject(with: Data(contentsOf: tokenizer)) as! [String: Any]
        var added = root["added_tokens"] as! [[String: Any]]
        for (id, content) in tokens {
            added.append(["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": false].merging(extra) { $1 })
        }
        root["added_tokens"] = added
        try JSONSerialization.data(withJSONObject: root).write(to: out)
    }

    @Test("every record decodes back to its text")
    func roundTrip() throws {
        let (dir, r) = try tokenize(["--tokens-per-shard", "50000", "--frame-tokens", "3000", "--batch-bytes", "65536"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try texts(Self.inputs)
        let m = CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect(m["documents"] as? Int == all.count)
        #expect((m["shards"] as? [Any])?.count ?? 0 > 3)
        for (i, t) in all.enumerated() where i % 7 == 0 {
            let d = try CLI.run(["shards", "decode", dir.path, "--doc", String(i)])
            #expect(d.status == 0)
            #expect(d.out == t + "\n", "document \(i)")
        }
    }

    @Test("shards are byte-identical for any --jobs")
    func deterministic() throws {
        let (a, _) = try tokenize(["--jobs", "1", "--batch-bytes", "100000", "--tokens-per-shard", "100000"])
        let (b, _) = try tokenize(["--jobs", "3", "--batch-bytes", "100000", "--tokens-per-shard", "100000"])
        for f in try FileManager.default.contentsOfDirectory(atPath: a.path) where !f.hasSuffix(".json") {
            #expect(FileManager.default.contents(atPath: a.appendingPathComponent(f).path) == FileManager.default.contents(atPath: b.appendingPathComponent(f).path), "\(f)")
        }
        let ma = CLI.json(try String(contentsOf: a.appendingPathComponent("manifest.json"), encoding: .utf8))
        let mb = CLI.json(try String(contentsOf: b.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect((ma["shards"] as? [[String: Any]])?.map { $0["sha256"] as? String } == (mb["shards"] as? [[String: Any]])?.map { $0["sha256"] as? String })
    }

    @Test("shards left by a killed tokenize never sit beside the new manifest (a stale shard-00007 once stayed next to a three-shard set)")
    func staleShardsGo() throws {
        let dir = try CLI.tempDir().appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["shard-00007.tok.zst", "shard-00007.idx", "shard-00000.tok.zst.tmp-99999"] {
            try Data("stale".utf8).write(to: dir.appendingPathComponent(f))
        }
        let r = try CLI.run(["tokenize"] + Self.inputs + ["--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", dir.path, "--quiet",
                                                          "--tokens-per-shard", "50000"])
        #expect(r.status == 0, "\(r.stderr)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(!files.contains("shard-00007.tok.zst") && !files.contains("shard-00007.idx"))
        #expect(!files.contains { $0.contains(".tmp-") })
        let m = CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect(files.count == 1 + 2 * ((m["shards"] as? [Any])?.count ?? 0))
        #expect(try CLI.run(["shards", "verify", dir.path]).status == 0)
    }

    @Test("--ids writes each document's record id beside its shard: decode --doc names the record, decode --id finds the document, verify catches a changed ids file")
    func recordIDs() throws {
        let (dir, r) = try tokenize(["--ids", "--tokens-per-shard", "40000", "--jobs", "2", "--batch-bytes", "8192"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json"))) as! [String: Any]
        let shards = m["shards"] as! [[String: Any]]
        #expect(shards.count > 2)
        var all: [String] = []
        for s in shards {
            let f = dir.appendingPathComponent(s["ids"] as! String)
            let lines = try String(contentsOf: f, encoding: .utf8).split(separator: "\n").map { CLI.json("{\"x\":\($0)}")["x"] as! String }
            #expect(lines.count == s["documents"] as! Int)
            all += lines
        }
        let expected = try Self.inputs.flatMap { f in
            try String(contentsOfFile: f, encoding: .utf8).split(separator: "\n").map { CLI.json(String($0))["id"] as! String }
        }
        #expect(all == expected)
        let d = try CLI.run(["shards", "decode", dir.path, "--doc", "130"])
        #expect(d.stderr.contains("id \(expected[130])"))
        let byID = try CLI.run(["shards", "decode", dir.path, "--id", expected[130]])
        #expect(byID.out == d.out)
        #expect(try CLI.run(["shards", "verify", dir.path]).status == 0)
        let ids = dir.appendingPathComponent(shards[1]["ids"] as! String)
        var bytes = try Data(contentsOf: ids)
        bytes[2] = bytes[2] == UInt8(ascii: "X") ? UInt8(ascii: "Y") : UInt8(ascii: "X")
        try bytes.write(to: ids)
        let bad = try CLI.run(["shards", "verify", dir.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains(".ids: SHA-256 does not match"))
    }

    @Test("verify passes on a fresh set and fails with exit 1 when a shard byte changes")
    func verifyDetectsCorruption() throws {
        let (dir, _) = try tokenize([])
        let ok = try CLI.run(["shards", "verify", dir.path])
        #expect(ok.status == 0)
        #expect(ok.out.contains(": ok"))
        let shard = dir.appendingPathComponent("shard-00000.tok.zst")
        var data = try Data(contentsOf: shard)
        data[data.count / 2] ^= 0x40
        try data.write(to: shard)
        let bad = try CLI.run(["shards", "verify", dir.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("SHA-256 does not match"))
    }

    @Test("--pattern llama3 puts Llama 3's special tokens after the ranks, and --bos starts every document with one")
    func llama3BOS() throws {
        let dir = try CLI.tempDir().appendingPathComponent("shards")
        let files = [CLI.fixture("sample/en.jsonl")]
        let r = try CLI.run(["tokenize"] + files + ["--tiktoken", Self.gpt2, "--pattern", "llama3", "--bos", "<|begin_of_text|>",
                                                    "-o", dir.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        // GPT-2's 50,256 ranks: <|begin_of_text|> 50256, <|end_of_text|> 50257, 256 ids reserved
        #expect(m["bos_id"] as? Int == 50256)
        #expect(m["eos_id"] as? Int == 50257)
        #expect(m["vocab_size"] as? Int == 50512)
        #expect(try CLI.run(["shards", "verify", dir.path]).status == 0)
        // every document is BOS, the text's ids, EOS (read from the Megatron export)
        let prefix = try CLI.tempDir().appendingPathComponent("m").path
        #expect(try CLI.run(["shards", "export-megatron", dir.path, "-o", prefix]).status == 0)
        let idx = try Data(contentsOf: URL(fileURLWithPath: prefix + ".idx"))
        let bin = try Data(contentsOf: URL(fileURLWithPath: prefix + ".bin"))
        let n = Int(idx.subdata(in: 18..<26).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let sizes = (0..<n).map { Int(idx.subdata(in: (34 + 4 * $0)..<(38 + 4 * $0)).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }) }
        let ids = bin.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        var at = 0
        for s in sizes {
            #expect(ids[at] == 50256 && ids[at + s - 1] == 50257)
            at += s
        }
        #expect(at == ids.count)
        // decode gives the text back without BOS and EOS
        let text = try texts(files)[3]
        #expect(try CLI.run(["shards", "decode", dir.path, "--doc", "3"]).out == text + "\n")
        // a manifest naming another BOS fails verify
        let mp = dir.appendingPathComponent("manifest.json")
        let edited = try String(contentsOf: mp, encoding: .utf8).replacingOccurrences(of: "\"bos_id\" : 50256", with: "\"bos_id\" : 50258")
        try edited.write(to: mp, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["shards", "verify", dir.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("document 0 does not start with BOS 50258"))
    }

    @Test("without --bos the manifest has no bos_id; qwen2's tiktoken specials follow Qwen's numbering")
    func noBOSAndQwenSpecials() throws {
        let (dir, r) = try tokenize([], inputs: [CLI.fixture("sample/en.jsonl")])
        #expect(r.status == 0)
        #expect(!(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8)).contains("bos_id"))
        let q = try CLI.tempDir().appendingPathComponent("q")
        let f = try CLI.tempDir().appendingPathComponent("s.jsonl")
        try "{\"text\":\"a<|im_end|>b\"}\n".write(to: f, atomically: true, encoding: .utf8)
        let rq = try CLI.run(["tokenize", f.path, "--tiktoken", Self.gpt2, "--pattern", "qwen2", "--allow-special", "--bos", "<|im_start|>",
                              "-o", q.path, "--quiet"])
        #expect(rq.status == 0, "\(rq.stderr)")
        let m = CLI.json(try String(contentsOf: q.appendingPathComponent("manifest.json"), encoding: .utf8))
        // <|endoftext|> 50256 (EOS), <|im_start|> 50257, <|im_end|> 50258, <|extra_0|>...<|extra_204|>
        #expect(m["bos_id"] as? Int == 50257)
        #expect(m["eos_id"] as? Int == 50256)
        #expect(m["vocab_size"] as? Int == 50256 + 208)
        let ids = try CLI.run(["shards", "decode", q.path, "--doc", "0", "--ids"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(ids == "64 50258 65")
        let bad = try CLI.run(["tokenize", f.path, "--tiktoken", Self.gpt2, "--pattern", "qwen2", "--bos", "<|nope|>", "-o", q.path, "--overwrite"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--bos <|nope|> is neither a special token"))
    }

    @Test("added tokens that are not special (Qwen3's <think>) are matched in every text, as HF does; special ones only with --allow-special")
    func nonSpecialAddedTokens() throws {
        let dir = try CLI.tempDir()
        let tj = dir.appendingPathComponent("tokenizer.json")
        try trainTokenizer(at: tj, vocabSize: 400)
        func withAdded(_ extra: [String: Any], name: String) throws -> String {
            let out = dir.appendingPathComponent(name)
            try addTokens([(400, "<think>")], to: tj, writingTo: out, extra: extra)
            return out.path
        }
        let path = try withAdded([:], name: "added.json")
        let f = dir.appendingPathComponent("s.jsonl")
        try "{\"text\":\"a<think>b<|endoftext|>\"}\n".write(to: f, atomically: true, encoding: .utf8)
        func ids(_ extra: [String]) throws -> [String] {
            let out = dir.appendingPathComponent("shards-\(extra.count)")
            let r = try CLI.run(["tokenize", f.path, "--tokenizer", path, "-o", out.path, "--quiet", "--eos", "none"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return try decodedIDs(out)
        }
        let plain = try ids([])
        #expect(plain.contains("400"))
        #expect(!plain.contains("0"))  // bpe train gives <|endoftext|> id 0
        let special = try ids(["--allow-special"])
        #expect(special.contains("400") && special.last == "0")
        // lstrip / rstrip take the White_Space next to the token into its match, as HF does
        let strip = try withAdded(["lstrip": true, "rstrip": true], name: "strip.json")
        try "{\"text\":\"a  <think>\\n b\"}\n".write(to: f, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("strip")
        let r = try CLI.run(["tokenize", f.path, "--tokenizer", strip, "-o", out.path, "--quiet", "--eos", "none"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try decodedIDs(out).contains("400"))
        #expect(try CLI.run(["shards", "decode", out.path, "--doc", "0"]).out == "a<think>b\n")
    }

    @Test("of two added tokens where one starts the other, the longest that matches wins, at the end of the text too")
    func longestAddedToken() throws {
        let dir = try CLI.tempDir()
        let tj = dir.appendingPathComponent("tokenizer.json")
        try trainTokenizer(at: tj, vocabSize: 400)
        // (an added token whose content is already a vocabulary token takes that token's id, as
        // in HF: the third one is not a single byte-level character)
        try addTokens([(400, "<t>"), (401, "<t>x"), (402, "q\u{2042}")], to: tj, writingTo: tj)
        let f = dir.appendingPathComponent("s.jsonl")
        try "{\"text\":\"<t>x<t>y <t q\u{2042}<t>\"}\n".write(to: f, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("s")
        #expect(try CLI.run(["tokenize", f.path, "--tokenizer", tj.path, "-o", out.path, "--quiet", "--eos", "none"]).status == 0)
        let ids = try decodedIDs(out)
        // <t>x, then <t>, y, " <t" as text, then " ", q\u{2042}, <t> last
        #expect(ids.first == "401")
        #expect(ids.filter { $0 == "400" }.count == 2 && ids.last == "400")
        #expect(ids.filter { $0 == "402" }.count == 1 && ids.filter { $0 == "401" }.count == 1)
        #expect(try CLI.run(["shards", "decode", out.path, "--doc", "0"]).out == "<t>x<t>y <t q\u{2042}<t>\n")
    }

    @Test("--tokenizer DIR reads DIR/tokenizer.json, and a directory without one is a clear error")
    func tokenizerDirectory() throws {
        let model = try CLI.tempDir()
        try trainTokenizer(at: model.appendingPathComponent("tokenizer.json"), vocabSize: 300, special: false)
        let out = try CLI.tempDir().appendingPathComponent("s")
        let r = try CLI.run(["tokenize", CLI.fixture("sample/en.jsonl"), "--tokenizer", model.path, "-o", out.path, "--quiet", "--eos", "none"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = CLI.json(try String(contentsOf: out.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect((m["tokenizer"] as? [String: Any])?["name"] as? String == "tokenizer.json")
        let empty = try CLI.tempDir()
        let bad = try CLI.run(["tokenize", CLI.fixture("sample/en.jsonl"), "--tokenizer", empty.path, "-o", out.path, "--overwrite"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("is a directory without a tokenizer.json"))
    }

    @Test("without --pattern the ranks pick the encoding; a file of no known encoding is not read as cl100k (a Llama 3 file read as cl100k once got a text token as EOS)")
    func patternInferenceAndCollisions() throws {
        let f = try CLI.tempDir().appendingPathComponent("s.jsonl")
        try "{\"text\":\"hello world\"}\n".write(to: f, atomically: true, encoding: .utf8)
        let out = try CLI.tempDir().appendingPathComponent("s")
        let r = try CLI.run(["tokenize", f.path, "--tiktoken", Self.gpt2, "-o", out.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = CLI.json(try String(contentsOf: out.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect((m["tokenizer"] as? [String: Any])?["pattern"] as? String == "gpt2")
        #expect(m["eos_id"] as? Int == 50256)
        // 100,300 ranks (every byte, every byte pair, then byte triples): cl100k's <|endoftext|> =
        // 100257 is one of them
        var lines: [String] = []
        for b in 0..<256 { lines.append("\(Data([UInt8(b)]).base64EncodedString()) \(b)") }
        for a in 0..<256 { for b in 0..<256 { lines.append("\(Data([UInt8(a), UInt8(b)]).base64EncodedString()) \(lines.count)") } }
        var k = 0
        while lines.count < 100_300 {
            lines.append("\(Data([UInt8(k >> 16), UInt8((k >> 8) & 255), UInt8(k & 255)]).base64EncodedString()) \(lines.count)")
            k += 1
        }
        let ranks = try CLI.tempDir().appendingPathComponent("big.tiktoken")
        try (lines.joined(separator: "\n") + "\n").write(to: ranks, atomically: true, encoding: .utf8)
        // no known encoding's ranks: no pattern or special tokens are guessed (cl100k's were once)
        let bare = try CLI.run(["tokenize", f.path, "--tiktoken", ranks.path, "-o", out.path, "--overwrite"])
        #expect(bare.status == 2)
        #expect(bare.stderr.contains("100300 ranks are no known encoding's"), "\(bare.stderr)")
        let cl = try CLI.run(["tokenize", f.path, "--tiktoken", ranks.path, "--pattern", "cl100k", "-o", out.path, "--overwrite"])
        #expect(cl.status == 2)
        #expect(cl.stderr.contains("the tokenizer has no special tokens"), "\(cl.stderr)")
        // a special id its sidecar puts on a rank is refused
        try #"{"pattern": "cl100k", "special_tokens": {"<|endoftext|>": 100257}}"#.write(toFile: ranks.path + ".json", atomically: true, encoding: .utf8)
        let side = try CLI.run(["tokenize", f.path, "--tiktoken", ranks.path, "-o", out.path, "--overwrite"])
        #expect(side.status == 2)
        #expect(side.stderr.contains("special token <|endoftext|> has id 100257, which is a rank of the ranks file"), "\(side.stderr)")
    }

    @Test("a tokenizer.json whose post-processor puts a token first gets a warning unless --bos is given")
    func postProcessorWarning() throws {
        let dir = try CLI.tempDir()
        let tj = dir.appendingPathComponent("tokenizer.json")
        try trainTokenizer(at: tj, vocabSize: 300)
        var root = try JSONSerialization.jsonObject(with: Data(contentsOf: tj)) as! [String: Any]
        root["post_processor"] = ["type": "Sequence", "processors": [
            ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            ["type": "TemplateProcessing",
             "single": [["SpecialToken": ["id": "<|endoftext|>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
             "pair": [["Sequence": ["id": "A", "type_id": 0]], ["Sequence": ["id": "B", "type_id": 1]]],
             "special_tokens": ["<|endoftext|>": ["id": "<|endoftext|>", "ids": [0], "tokens": ["<|endoftext|>"]]]],
        ]]
        try JSONSerialization.data(withJSONObject: root).write(to: tj)
        let out = dir.appendingPathComponent("s")
        let warned = try CLI.run(["tokenize", CLI.fixture("sample/en.jsonl"), "--tokenizer", tj.path, "-o", out.path])
        #expect(warned.status == 0)
        #expect(warned.stderr.contains("post-processor puts <|endoftext|> before every text"), "\(warned.stderr)")
        let given = try CLI.run(["tokenize", CLI.fixture("sample/en.jsonl"), "--tokenizer", tj.path, "-o", out.path, "--overwrite", "--bos", "none"])
        #expect(given.status == 0)
        #expect(!given.stderr.contains("post-processor"))
    }

    @Test("the datatrove export is the shards' ids, each document's end in tokens, and a metadata file datatrove reads")
    func datatroveExport() throws {
        let (dir, r) = try tokenize(["--tokens-per-shard", "30000"], inputs: [CLI.fixture("sample/en.jsonl")])
        #expect(r.status == 0)
        let out = try CLI.tempDir().appendingPathComponent("dt")
        let e = try CLI.run(["shards", "export-datatrove", dir.path, "-o", out.path])
        #expect(e.status == 0, "\(e.stderr)")
        let m = CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        let shards = m["shards"] as! [[String: Any]]
        #expect(shards.count > 1)
        var doc = 0
        for i in 0..<shards.count {
            let base = out.appendingPathComponent(String(format: "shard-%05d.ds", i)).path
            let ds = try Data(contentsOf: URL(fileURLWithPath: base))
            let index = try Data(contentsOf: URL(fileURLWithPath: base + ".index"))
            let meta = try String(contentsOfFile: base + ".metadata", encoding: .utf8).split(separator: "\n")
            #expect(meta.count == 3 && meta[0].hasSuffix("gpt2.tiktoken|2") && Int(meta[1]) == ds.count / 2)
            let ends = index.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
            #expect(ends.count == shards[i]["documents"] as? Int && Int(ends.last ?? 0) == ds.count / 2)
            let ids = ds.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
            // a document's ids there are those `shards decode --ids` prints, then EOS
            var start = 0
            for end in ends.prefix(3) {
                let want = try CLI.run(["shards", "decode", dir.path, "--doc", String(doc), "--ids"]).out
                    .split(separator: " ").compactMap { UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                #expect(Array(ids[start..<(Int(end) - 1)]) == want && ids[Int(end) - 1] == 50256)
                start = Int(end)
                doc += 1
            }
            doc += ends.count - min(3, ends.count)
        }
    }

    @Test("export-datatrove refuses a folder with other .ds files, replaces its own with --overwrite, and leaves nothing when a shard is missing")
    func datatroveExportFolder() throws {
        let (dir, r) = try tokenize(["--tokens-per-shard", "30000"], inputs: [CLI.fixture("sample/en.jsonl")])
        #expect(r.status == 0)
        let out = try CLI.tempDir().appendingPathComponent("dt")
        #expect(try CLI.run(["shards", "export-datatrove", dir.path, "-o", out.path]).status == 0)
        let again = try CLI.run(["shards", "export-datatrove", dir.path, "-o", out.path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already holds datatrove files (shard-00000.ds)"))
        #expect(try CLI.run(["shards", "export-datatrove", dir.path, "-o", out.path, "--overwrite"]).status == 0)
        try Data().write(to: out.appendingPathComponent("other.ds"))
        let other = try CLI.run(["shards", "export-datatrove", dir.path, "-o", out.path, "--overwrite"])
        #expect(other.status == 2 && other.stderr.contains("(other.ds)"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("shard-00000.ds").path))  // not removed
        // a shard file gone: a clear error, and no partial export
        try FileManager.default.removeItem(at: dir.appendingPathComponent("shard-00001.tok.zst"))
        let fresh = try CLI.tempDir().appendingPathComponent("dt2")
        let missing = try CLI.run(["shards", "export-datatrove", dir.path, "-o", fresh.path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("shard-00001.tok.zst: missing"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fresh.path).isEmpty)
    }

    @Test("special-token strings are plain text unless --allow-special")
    func specials() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("s.jsonl")
        try "{\"text\":\"a<|endoftext|>b\"}\n".write(to: f, atomically: true, encoding: .utf8)
        let (plain, _) = try tokenize([], inputs: [f.path])
        let ids = try CLI.run(["shards", "decode", plain.path, "--doc", "0", "--ids"]).out
        #expect(!ids.split(separator: " ").contains("50256"))
        let (special, _) = try tokenize(["--allow-special"], inputs: [f.path])
        let ids2 = try CLI.run(["shards", "decode", special.path, "--doc", "0", "--ids"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(ids2 == "64 50256 65")
    }

    @Test("the Megatron export follows MMIDIDX: header, dtype code 8, sizes, pointers and document indices")
    func megatronExport() throws {
        let (dir, _) = try tokenize(["--tokens-per-shard", "40000", "--batch-bytes", "65536"])
        let prefix = dir.deletingLastPathComponent().appendingPathComponent("meg").path
        let r = try CLI.run(["shards", "export-megatron", dir.path, "-o", prefix])
        #expect(r.status == 0)
        let idx = try Data(contentsOf: URL(fileURLWithPath: prefix + ".idx"))
        let bin = try Data(contentsOf: URL(fileURLWithPath: prefix + ".bin"))
        #expect(idx.prefix(9) == Data("MMIDIDX\0\0".utf8))
        func u64(_ o: Int) -> UInt64 { idx.subdata(in: o..<(o + 8)).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
        #expect(u64(9) == 1)
        #expect(idx[17] == 8)
        let n = Int(u64(18))
        #expect(u64(26) == UInt64(n + 1))
        let sizesAt = 34, ptrsAt = 34 + 4 * n, docsAt = ptrsAt + 8 * n
        #expect(idx.count == docsAt + 8 * (n + 1))
        var expected: UInt64 = 0
        var total = 0
        for i in 0..<n {
            let size = idx.subdata(in: (sizesAt + 4 * i)..<(sizesAt + 4 * i + 4)).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
            #expect(u64(ptrsAt + 8 * i) == expected)
            expected += UInt64(size) * 2
            total += Int(size)
            // every sequence ends with EOS
            let last = bin.subdata(in: (Int(expected) - 2)..<Int(expected)).withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
            #expect(last == 50256)
        }
        #expect(bin.count == total * 2)
        for d in 0...n { #expect(u64(docsAt + 8 * d) == UInt64(d)) }
    }

    @Test("a 4 MB run of one character costs about four times a 1 MB run, not sixteen")
    func linearWorstCase() throws {
        let dir = try CLI.tempDir()
        var times: [Double] = []
        for mb in [1, 4] {
            let f = dir.appendingPathComponent("run\(mb).jsonl")
            try ("{\"text\":\"" + String(repeating: "a", count: mb * 1_000_000) + "\"}\n").write(to: f, atomically: true, encoding: .utf8)
            let t0 = Date()
            let (_, r) = try tokenize(["--jobs", "1"], inputs: [f.path])
            #expect(r.status == 0)
            times.append(Date().timeIntervalSince(t0))
        }
        #expect(times[1] / times[0] < 8, "1 MB: \(times[0]) s, 4 MB: \(times[1]) s")
    }

    @Test("a bad tokenizer file or a missing manifest is a clear fatal error")
    func errors() throws {
        let dir = try CLI.tempDir()
        let bad = dir.appendingPathComponent("bad.tiktoken")
        try "not base64 at all\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try CLI.run(["tokenize", Self.inputs[0], "--tiktoken", bad.path, "--pattern", "gpt2", "-o", dir.appendingPathComponent("o").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.tiktoken:1: not a tiktoken ranks line"))
        let v = try CLI.run(["shards", "verify", dir.path])
        #expect(v.status == 2)
        #expect(v.stderr.contains("no manifest"))
        let file = dir.appendingPathComponent("plain-file")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        let notDir = try CLI.run(["tokenize", Self.inputs[0], "--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", file.path])
        #expect(notDir.status == 2)
        #expect(notDir.stderr.contains("exists and is not a directory"))
        let (out, _) = try tokenize([])
        let again = try CLI.run(["tokenize", Self.inputs[0], "--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", out.path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already holds a complete shard set"))
    }

    @Test("a malformed tokenizer.json names the file and what is wrong with it")
    func badTokenizerJSON() throws {
        let dir = try CLI.tempDir()
        let cases: [(String, String)] = [
            ("nope", "not valid JSON"),
            ("[1, 2]", "not a JSON object"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0}}}"#, "not a BPE tokenizer.json"),
            (#"{"model": {"type": "Unigram", "vocab": {"a": 0}, "merges": []}}"#, "model Unigram is not supported"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["ab"]}}"#, #"merge 0 is neither "a b" nor [a, b]"#),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}"#, "merge 0 (a b) uses tokens missing from the vocabulary"),
        ]
        for (i, (text, message)) in cases.enumerated() {
            let f = dir.appendingPathComponent("t\(i).json")
            try text.write(to: f, atomically: true, encoding: .utf8)
            let r = try CLI.run(["tokenize", Self.inputs[0], "--tokenizer", f.path, "-o", dir.appendingPathComponent("o\(i)").path])
            #expect(r.status == 2, "\(text)")
            #expect(r.stderr.contains("t\(i).json: " + message), "\(r.stderr)")
        }
    }

    @Test("shards decode into a closed pipe ends quietly with exit 0 (it once died of SIGPIPE, failing make demo)")
    func decodeIntoClosedPipe() throws {
        let (dir, _) = try tokenize([])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "set -o pipefail; '\(CLI.binary)' shards decode '\(dir.path)' --doc 0 | head -c 5 > /dev/null"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(err.fileHandleForReading.readDataToEndOfFile().isEmpty)
    }
}
