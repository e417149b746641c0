import Foundation
import Testing

/// Crashes the libFuzzer harnesses found (docs/fuzzing.md), each as the CLI meets it. The
/// reproducers the harnesses ran are in fixtures/fuzz/crashes/ (`make test` replays them through
/// the harnesses too); these tests give the same bad input to `llmdata` and expect an error
/// naming the problem (exit 2), not a trap, a segfault or gigabytes of memory.
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    static let gpt2 = CLI.fixture("tokenize/gpt2.tiktoken")

    /// The 256 single-byte ranks of GPT-2's file (enough for a byte-level vocabulary), then `extra`.
    func ranksFile(_ extra: String) throws -> String {
        let lines = try String(contentsOfFile: Self.gpt2, encoding: .utf8).split(separator: "\n").prefix(256)
        let dir = try CLI.tempDir()
        let p = dir.appendingPathComponent("ranks.tiktoken").path
        try (lines.joined(separator: "\n") + "\n" + extra).write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// A fixtures/fuzz tokenizer.json seed (the GPT-2 fixture cut to 280 tokens), changed by `edit`.
    func tokenizerJSON(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let seed = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("fuzz/tokenizer/json-gpt2"))).dropFirst()
        var t = try #require(try JSONSerialization.jsonObject(with: seed) as? [String: Any])
        edit(&t)
        let p = try CLI.tempDir().appendingPathComponent("tokenizer.json").path
        try JSONSerialization.data(withJSONObject: t).write(to: URL(fileURLWithPath: p))
        return p
    }

    func tokenize(_ args: [String]) throws -> CLI.Result {
        let out = try CLI.tempDir().appendingPathComponent("shards").path
        return try CLI.run(["tokenize", "-o", out, "--quiet", "--eos", "none"] + args, stdin: Data(#"{"text": "hello"}"#.utf8))
    }

    @Test("a tiktoken rank below 0 is an error naming the line (it trapped in a debug build, wrote out of bounds in release)")
    func tiktokenNegativeRank() throws {
        let r = try tokenize(["--tiktoken", try ranksFile("IQ== -1\n"), "--pattern", "gpt2"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(":257: rank -1 is outside 0..<16777216"), "\(r.stderr)")
    }

    @Test("a huge tiktoken rank is refused at once (it sized the token table: 23 GB and a minute for rank 3e9)")
    func tiktokenHugeRank() throws {
        let t0 = Date()
        let r = try tokenize(["--tiktoken", try ranksFile("IQ== 3000000000\n"), "--pattern", "gpt2"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("rank 3000000000 is outside"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(t0) < 10)
    }

    @Test("a tokenizer.json vocabulary id beyond 2^24 is an error (it allocated 32 GB and aborted)")
    func tokenizerJSONHugeVocabID() throws {
        let p = try tokenizerJSON { t in
            var m = t["model"] as! [String: Any]
            var v = m["vocab"] as! [String: Any]
            v["\u{120}zzz"] = 4_000_000_000
            m["vocab"] = v
            t["model"] = m
        }
        let r = try tokenize(["--tokenizer", p])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("has id 4000000000, outside 0..<16777216"), "\(r.stderr)")
    }

    @Test("a negative added-token id in a tokenizer.json is an error (it trapped converting to UInt32)")
    func tokenizerJSONNegativeAddedID() throws {
        let p = try tokenizerJSON { t in
            var added = t["added_tokens"] as? [[String: Any]] ?? []
            added.append(["id": -5, "content": "<x>", "special": true])
            t["added_tokens"] = added
        }
        let r = try tokenize(["--tokenizer", p])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("added token \"<x>\" has id -5"), "\(r.stderr)")
    }

    /// Two documents with record ids, tokenized with GPT-2's ranks.
    func setWithIDs() throws -> URL {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in.jsonl")
        try Data("{\"id\": \"a\", \"text\": \"Hello there\"}\n{\"id\": \"b\", \"text\": \"Second\"}\n".utf8).write(to: input)
        let out = dir.appendingPathComponent("shards")
        let r = try CLI.run(["tokenize", input.path, "--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", out.path, "--ids", "--quiet"])
        try #require(r.status == 0, "\(r.stderr)")
        return out
    }

    @Test("shards decode --doc -1 is out of range (it segfaulted reading the ids of document -1)")
    func decodeNegativeDocument() throws {
        let set = try setWithIDs()
        let r = try CLI.run(["shards", "decode", set.path, "--doc", "-1"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("document -1 is out of range"), "\(r.stderr)")
    }

    @Test("shards decode with an ids file shorter than the documents is an error naming the file (it segfaulted)")
    func decodeShortIDsFile() throws {
        let set = try setWithIDs()
        let ids = set.appendingPathComponent("shard-00000.ids")
        try Data("\"a\"\n".utf8).write(to: ids)
        let r = try CLI.run(["shards", "decode", set.path, "--doc", "1"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("shard-00000.ids: 1 ids for 2 documents"), "\(r.stderr)")
        // the first document's id is still there
        #expect(try CLI.run(["shards", "decode", set.path, "--doc", "0"]).status == 0)
    }
}
