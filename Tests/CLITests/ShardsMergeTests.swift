import Foundation
import Testing

@Suite("shards merge")
struct ShardsMergeTests {
    static let gpt2 = CLI.fixture("tokenize/gpt2.tiktoken")
    static let parts = ["sample/en.jsonl", "sample/zh-web.jsonl", "sample/multilingual.jsonl"].map(CLI.fixture)

    /// `tokenize` of `inputs` into `dir` with the GPT-2 ranks (small shards, so that a set has several).
    @discardableResult
    func tokenize(_ inputs: [String], into dir: URL, tiktoken: String = gpt2, _ extra: [String] = []) throws -> URL {
        let r = try CLI.run(["tokenize"] + inputs + ["--tiktoken", tiktoken, "--pattern", "gpt2", "-o", dir.path, "--quiet",
                                                     "--tokens-per-shard", "20000"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    /// The three samples tokenized one set each, under a fresh directory.
    func threeSets(_ extra: [String] = []) throws -> (root: URL, sets: [URL]) {
        let root = try CLI.tempDir()
        let sets = try Self.parts.enumerated().map { i, f in try tokenize([f], into: root.appendingPathComponent("part-\(i)"), extra) }
        return (root, sets)
    }

    func merge(_ sets: [URL], into out: URL, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["shards", "merge"] + sets.map(\.path) + ["-o", out.path] + extra)
    }

    func manifest(_ dir: URL) throws -> [String: Any] {
        CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
    }

    func shardEntries(_ dir: URL) throws -> [[String: Any]] { try manifest(dir)["shards"] as? [[String: Any]] ?? [] }

    func inode(_ path: String) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    @Test("every document of the merged set has the ids a single tokenize of the three files in the same order gives")
    func sameIDsAsOneTokenize() throws {
        let (root, sets) = try threeSets()
        let out = root.appendingPathComponent("merged")
        let r = try merge(sets, into: out)
        #expect(r.status == 0, "\(r.stderr)")
        let single = try tokenize(Self.parts, into: root.appendingPathComponent("single"))
        let m = try manifest(out), s = try manifest(single)
        let documents = m["documents"] as? Int ?? -1
        #expect(documents == 425)
        #expect(documents == s["documents"] as? Int)
        #expect(m["tokens"] as? Int == s["tokens"] as? Int)
        var differ: [Int] = []
        for n in 0..<documents {
            let a = try CLI.run(["shards", "decode", out.path, "--doc", String(n), "--ids"])
            let b = try CLI.run(["shards", "decode", single.path, "--doc", String(n), "--ids"])
            #expect(a.status == 0 && b.status == 0, "document \(n): \(a.stderr) \(b.stderr)")
            if a.out != b.out || a.out.isEmpty { differ.append(n) }
        }
        #expect(differ.isEmpty, "documents whose ids differ: \(differ.prefix(20))")
        #expect(try CLI.run(["shards", "decode", out.path, "--doc", String(documents), "--ids"]).status != 0)
    }

    @Test("the merged shards are the inputs' shards renumbered in argument order, with their SHA-256s, and shards verify passes")
    func verifyPasses() throws {
        let (root, sets) = try threeSets()
        let out = root.appendingPathComponent("merged")
        // the order of the arguments, not of the directory names, decides
        let order = [sets[2], sets[0], sets[1]]
        #expect(try merge(order, into: out).status == 0)
        let v = try CLI.run(["shards", "verify", out.path])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(v.out.hasSuffix(": ok\n"), "\(v.out)")
        let merged = try shardEntries(out)
        let inputs = try order.flatMap { try shardEntries($0) }
        #expect(merged.count == inputs.count && inputs.count > 3)
        #expect(merged.map { $0["sha256"] as? String } == inputs.map { $0["sha256"] as? String })
        #expect(merged.map { $0["index_sha256"] as? String } == inputs.map { $0["index_sha256"] as? String })
        #expect(merged.map { $0["file"] as? String } == (0..<merged.count).map { String(format: "shard-%05d.tok.zst", $0) })
        let m = try manifest(out)
        #expect(m["documents"] as? Int == (try order.map { try manifest($0)["documents"] as? Int ?? 0 }.reduce(0, +)))
        #expect(m["tokens"] as? Int == (try order.map { try manifest($0)["tokens"] as? Int ?? 0 }.reduce(0, +)))
        // the first document of the merged set is multilingual.jsonl's first
        let first = try CLI.run(["shards", "decode", out.path, "--doc", "0", "--ids"])
        #expect(first.out == (try CLI.run(["shards", "decode", sets[2].path, "--doc", "0", "--ids"])).out)
    }

    @Test("on one filesystem every merged file is a hard link to the input's file (same inode), and the summary says so")
    func hardLinks() throws {
        let (root, sets) = try threeSets(["--ids"])
        let out = root.appendingPathComponent("merged")
        let r = try merge(sets, into: out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out.contains("hard-linked") && !r.out.contains("copied"), "\(r.out)")
        let merged = try shardEntries(out)
        let inputs = try sets.flatMap { s in try shardEntries(s).map { (s, $0) } }
        #expect(merged.count == inputs.count)
        for (m, (dir, s)) in zip(merged, inputs) {
            for key in ["file", "index", "ids"] {
                let a = out.appendingPathComponent(m[key] as? String ?? "?").path
                let b = dir.appendingPathComponent(s[key] as? String ?? "?").path
                #expect(try inode(a) == inode(b), "\(a) / \(b)")
            }
        }
    }

    @Test("--copy writes copies (other inodes) with the inputs' bytes, and they verify")
    func copies() throws {
        let (root, sets) = try threeSets()
        let out = root.appendingPathComponent("merged")
        let r = try merge(sets, into: out, ["--copy"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out.contains("copied") && !r.out.contains("hard-linked"), "\(r.out)")
        let first = try shardEntries(sets[0])[0]["file"] as? String ?? "?"
        #expect(try inode(out.appendingPathComponent("shard-00000.tok.zst").path) != inode(sets[0].appendingPathComponent(first).path))
        #expect(try CLI.sha256(out.appendingPathComponent("shard-00000.tok.zst").path) == CLI.sha256(sets[0].appendingPathComponent(first).path))
        #expect(try CLI.run(["shards", "verify", out.path]).status == 0)
    }

    static var shmIsAnotherFilesystem: Bool {
        let fm = FileManager.default
        guard let a = try? fm.attributesOfItem(atPath: "/dev/shm")[.systemNumber] as? NSNumber,
              let b = try? fm.attributesOfItem(atPath: fm.temporaryDirectory.path)[.systemNumber] as? NSNumber else { return false }
        return a != b && fm.isWritableFile(atPath: "/dev/shm")
    }

    @Test("sets on another filesystem are copied instead of linked, and the copy verifies",
          .enabled(if: shmIsAnotherFilesystem, "needs /dev/shm on another filesystem than the temporary directory"))
    func acrossFilesystems() throws {
        let (root, sets) = try threeSets()
        let out = URL(fileURLWithPath: "/dev/shm/llmdata-merge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try merge(sets, into: out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out.contains("copied (another filesystem)"), "\(r.out)")
        #expect(try CLI.run(["shards", "verify", out.path]).status == 0)
        #expect(try manifest(out)["documents"] as? Int == 425)
        _ = root
    }

    @Test("sets made with different tokenizers are refused with exit 2, naming the tokenizer, and nothing is written")
    func differentTokenizers() throws {
        let (root, sets) = try threeSets()
        // the same ranks plus a blank line: the same ids, another file (another SHA-256)
        let other = root.appendingPathComponent("other.tiktoken")
        var data = try Data(contentsOf: URL(fileURLWithPath: Self.gpt2))
        data.append(0x0A)
        try data.write(to: other)
        let odd = try tokenize([Self.parts[1]], into: root.appendingPathComponent("odd"), tiktoken: other.path)
        let out = root.appendingPathComponent("merged")
        let r = try merge([sets[0], odd, sets[2]], into: out)
        #expect(r.status == 2)
        #expect(r.stderr.contains("tokenizer.sha256") && r.stderr.contains("other.tiktoken") && r.stderr.contains(odd.path), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("sets with another EOS or frame size are refused, naming what differs")
    func differentSettings() throws {
        let (root, sets) = try threeSets()
        let odd = try tokenize([Self.parts[1]], into: root.appendingPathComponent("odd"), ["--eos", "none"])
        let r = try merge([sets[0], odd], into: root.appendingPathComponent("merged"))
        #expect(r.status == 2)
        #expect(r.stderr.contains("eos_id (50256 vs none)") && !r.stderr.contains("frame_tokens"), "\(r.stderr)")
        let odd2 = try tokenize([Self.parts[1]], into: root.appendingPathComponent("odd2"), ["--frame-tokens", "1000"])
        let r2 = try merge([sets[0], odd2], into: root.appendingPathComponent("merged"))
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("frame_tokens (65536 vs 1000)") && !r2.stderr.contains("eos_id"), "\(r2.stderr)")
    }

    @Test("a set without a manifest (an unfinished task) is refused with exit 2, naming its directory")
    func missingManifest() throws {
        let (root, sets) = try threeSets()
        try FileManager.default.removeItem(at: sets[1].appendingPathComponent("manifest.json"))
        let out = root.appendingPathComponent("merged")
        let r = try merge(sets, into: out)
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(sets[1].path): no manifest.json"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("an output holding a set is refused without --overwrite, and --overwrite removes its old shards before the new manifest")
    func overwrite() throws {
        let (root, sets) = try threeSets()
        let out = root.appendingPathComponent("merged")
        #expect(try merge(sets, into: out).status == 0)
        let before = try shardEntries(out).count
        let refused = try merge([sets[1]], into: out)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--overwrite"), "\(refused.stderr)")
        #expect(try shardEntries(out).count == before)
        // a leftover of a killed run goes too
        try Data("stale".utf8).write(to: out.appendingPathComponent("shard-00099.tok.zst.tmp-12345"))
        let r = try merge([sets[1]], into: out, ["--overwrite"])
        #expect(r.status == 0, "\(r.stderr)")
        let entries = try shardEntries(out)
        #expect(before > entries.count && entries.count == 1)
        let expected = Set(entries.flatMap { [$0["file"] as? String ?? "?", $0["index"] as? String ?? "?"] } + ["manifest.json"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out.path)) == expected)
        #expect(try CLI.run(["shards", "verify", out.path]).status == 0)
        #expect(try manifest(out)["documents"] as? Int == 5)
    }

    @Test("record ids carry over when every set has them, and a mix of sets with and without them is refused")
    func recordIDs() throws {
        let (root, sets) = try threeSets(["--ids"])
        let out = root.appendingPathComponent("merged")
        #expect(try merge(sets, into: out).status == 0)
        #expect(try shardEntries(out).allSatisfy { ($0["ids"] as? String)?.hasSuffix(".ids") == true })
        // zh-web.jsonl's third record is document 120 + 2 of the merged set
        let id = try CLI.run(["shards", "decode", sets[1].path, "--doc", "2", "--ids"]).stderr
            .components(separatedBy: "id ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        let d = try CLI.run(["shards", "decode", out.path, "--id", id, "--ids"])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.stderr.contains("document 122: id \(id)"), "\(d.stderr)")
        let plain = try tokenize([Self.parts[1]], into: root.appendingPathComponent("plain"))
        let r = try merge([sets[0], plain], into: root.appendingPathComponent("mixed"))
        #expect(r.status == 2)
        #expect(r.stderr.contains("record ids") && r.stderr.contains("\(plain.path) does not"), "\(r.stderr)")
    }

    @Test("-o naming one of the inputs is refused, and the input is left as it was")
    func outputIsAnInput() throws {
        let (_, sets) = try threeSets()
        let before = try String(contentsOf: sets[0].appendingPathComponent("manifest.json"), encoding: .utf8)
        let r = try CLI.run(["shards", "merge"] + sets.map(\.path) + ["-o", sets[0].path + "/", "--overwrite"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is the input"), "\(r.stderr)")
        #expect(try String(contentsOf: sets[0].appendingPathComponent("manifest.json"), encoding: .utf8) == before)
        #expect(try CLI.run(["shards", "verify", sets[0].path]).status == 0)
    }
}
