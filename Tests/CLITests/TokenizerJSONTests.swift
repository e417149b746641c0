import Foundation
import Testing

/// tokenizer.json components end to end (scripts/check.d/71-tokenizer-json.sh compares every one
/// with HF tokenizers; these run without Python).
@Suite("tokenize: tokenizer.json components")
struct TokenizerJSONTests {
    /// A tokenizer.json trained by `bpe train` on the English sample, with `edit` applied.
    func tokenizer(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = try CLI.tempDir()
        let tj = dir.appendingPathComponent("tokenizer.json")
        let r = try CLI.run(["bpe", "train", CLI.fixture("sample/en.jsonl"), "--vocab-size", "400", "-o", tj.path, "--quiet",
                             "--special", "<|endoftext|>"])
        #expect(r.status == 0, "\(r.stderr)")
        var root = try JSONSerialization.jsonObject(with: Data(contentsOf: tj)) as! [String: Any]
        edit(&root)
        try JSONSerialization.data(withJSONObject: root).write(to: tj)
        return tj.path
    }

    func run(_ tokenizer: String, text: String, _ extra: [String] = []) throws -> (CLI.Result, URL) {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("s.jsonl")
        let line = try JSONSerialization.data(withJSONObject: ["text": text])
        try (String(decoding: line, as: UTF8.self) + "\n").write(to: f, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("shards")
        return (try CLI.run(["tokenize", f.path, "--tokenizer", tokenizer, "-o", out.path, "--quiet"] + extra), out)
    }

    @Test("an NFKC + Lowercase normalizer gives the ids of the lowercased text")
    func lowercaseAndSplits() throws {
        let plain = try tokenizer { _ in }
        let lowered = try tokenizer {
            $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFKC"], ["type": "Lowercase"]]]
        }
        let (a, outA) = try run(lowered, text: "The CAT sat", ["--eos", "none"])
        let (b, outB) = try run(plain, text: "the cat sat", ["--eos", "none"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        let ids = { (u: URL) in try CLI.run(["shards", "decode", u.path, "--doc", "0", "--ids"]).out }
        #expect(try ids(outA) == ids(outB))
    }

    @Test("unsupported components are refused by name with exit 2, naming the file")
    func refusals() throws {
        for (key, value, word) in [("normalizer", ["type": "BertNormalizer"], "BertNormalizer"),
                                   ("pre_tokenizer", ["type": "UnicodeScripts"], "UnicodeScripts"),
                                   ("post_processor", ["type": "BertProcessing", "sep": ["<|endoftext|>", 0], "cls": ["<|endoftext|>", 0]], "BertProcessing")] {
            let tj = try tokenizer { $0[key] = value }
            let (r, _) = try run(tj, text: "hello")
            #expect(r.status == 2)
            #expect(r.stderr.contains(word) && r.stderr.contains(tj), "\(r.stderr)")
        }
        let dropout = try tokenizer { root in
            var m = root["model"] as! [String: Any]
            m["dropout"] = 0.1
            root["model"] = m
        }
        let (r, _) = try run(dropout, text: "hello")
        #expect(r.status == 2 && r.stderr.contains("dropout"), "\(r.stderr)")
    }

    @Test("a TemplateProcessing post-processor's closing token is the default EOS")
    func templateEOS() throws {
        let tj = try tokenizer {
            $0["post_processor"] = ["type": "TemplateProcessing",
                                    "single": [["Sequence": ["id": "A", "type_id": 0]], ["SpecialToken": ["id": "<|endoftext|>", "type_id": 0]]],
                                    "pair": [["Sequence": ["id": "A", "type_id": 0]]],
                                    "special_tokens": ["<|endoftext|>": ["id": "<|endoftext|>", "ids": [0], "tokens": ["<|endoftext|>"]]]]
        }
        let (r, out) = try run(tj, text: "hello world")
        #expect(r.status == 0, "\(r.stderr)")
        let m = CLI.json(try String(contentsOf: out.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect(m["eos_id"] as? Int == 0)
    }
}
