import Foundation
import Testing

/// Faults at the output end: exports and decode that passed corrupt shards on, absurd or negative
/// --jobs and --zstd-level, Megatron's hidden DIR/.bin, empty selections, a silent vocabulary
/// size, and options the README promised that were missing.
@Suite("output faults")
struct OutputFaultTests {
    static let gpt2 = CLI.fixture("tokenize/gpt2.tiktoken")
    static let en = CLI.fixture("sample/en.jsonl")

    /// A fresh shard set of the English sample, several frames in one shard.
    func shards() throws -> URL {
        let dir = try CLI.tempDir().appendingPathComponent("shards")
        let r = try CLI.run(["tokenize", Self.en, "--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", dir.path, "--quiet",
                             "--frame-tokens", "2000"])
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    func manifest(_ dir: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json"))) as! [String: Any]
    }

    func writeManifest(_ m: [String: Any], _ dir: URL) throws {
        try JSONSerialization.data(withJSONObject: m, options: [.prettyPrinted, .sortedKeys]).write(to: dir.appendingPathComponent("manifest.json"))
    }

    /// Sets shard 0's `key` in the manifest to the SHA-256 of `file` as it is now (a manifest
    /// rewritten to match a changed file, so that only the deeper checks can catch the change).
    func rehash(_ dir: URL, key: String, file: String) throws {
        var m = try manifest(dir)
        var s = m["shards"] as! [[String: Any]]
        s[0][key] = try CLI.sha256(dir.appendingPathComponent(file).path)
        m["shards"] = s
        try writeManifest(m, dir)
    }

    /// The byte offsets of shard 0's frames, from its index (docs/shards.md).
    func frameOffsets(_ dir: URL) throws -> [Int] {
        let idx = try Data(contentsOf: dir.appendingPathComponent("shard-00000.idx"))
        func u64(_ at: Int) -> Int { Int(idx.subdata(in: at..<(at + 8)).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }) }
        let docs = u64(16), frames = u64(32)
        let table = 40 + 8 * (docs + 1)
        return (0..<frames).map { u64(table + 24 * $0) }
    }

    /// decode, export-megatron and export-datatrove on `dir`: each exits 2 naming `file` (and
    /// `expect` when given), and the exports leave nothing behind.
    func expectRefused(_ dir: URL, naming file: String, expect: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let out = try CLI.tempDir()
        let runs: [(String, [String])] = [
            ("decode", ["shards", "decode", dir.path, "--doc", "0", "--ids"]),
            ("export-megatron", ["shards", "export-megatron", dir.path, "-o", out.appendingPathComponent("mega/corpus").path]),
            ("export-datatrove", ["shards", "export-datatrove", dir.path, "-o", out.appendingPathComponent("dt").path]),
        ]
        for (name, args) in runs {
            let r = try CLI.run(args)
            #expect(r.status == 2, "\(name): \(r.status) \(r.stderr)", sourceLocation: sourceLocation)
            #expect(r.stderr.contains(dir.appendingPathComponent(file).path), "\(name): \(r.stderr)", sourceLocation: sourceLocation)
            if let expect { #expect(r.stderr.contains(expect), "\(name): \(r.stderr)", sourceLocation: sourceLocation) }
        }
        let mega = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("mega").path)) ?? []
        #expect(mega.isEmpty, "\(mega)", sourceLocation: sourceLocation)
        let dt = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("dt").path)) ?? []
        #expect(dt.isEmpty, "\(dt)", sourceLocation: sourceLocation)
    }

    // MARK: 5. exports check what they read

    @Test("a shard with a flipped byte in a frame is refused by decode and both exports with the file named (exit 2), as verify rejects it")
    func flippedFrameByteRefused() throws {
        let dir = try shards()
        let shard = dir.appendingPathComponent("shard-00000.tok.zst")
        var data = try Data(contentsOf: shard)
        // a byte in the middle of frame 0 (the one decode --doc 0 reads)
        let end = try frameOffsets(dir)[1]
        data[end / 2] ^= 0x5A
        try data.write(to: shard)
        #expect(try CLI.run(["shards", "verify", dir.path]).status == 1)
        try expectRefused(dir, naming: "shard-00000.tok.zst")
    }

    @Test("a changed frame is still refused when the manifest's SHA-256 was rewritten to match: the frames carry zstd content checksums")
    func frameChecksumCatchesChange() throws {
        let dir = try shards()
        let shard = dir.appendingPathComponent("shard-00000.tok.zst")
        var data = try Data(contentsOf: shard)
        // the last four bytes of the last frame are its XXH64 content checksum
        data[data.count - 1] ^= 0x01
        try data.write(to: shard)
        try rehash(dir, key: "sha256", file: "shard-00000.tok.zst")
        let v = try CLI.run(["shards", "verify", dir.path])
        #expect(v.status == 1)
        #expect(v.stderr.contains("checksum"), "\(v.stderr)")
        // decode reads the frame that holds the last document
        let m = try manifest(dir)
        let last = (m["documents"] as! Int) - 1
        let d = try CLI.run(["shards", "decode", dir.path, "--doc", String(last), "--ids"])
        #expect(d.status == 2, "\(d.stderr)")
        #expect(d.stderr.contains(shard.path) && d.stderr.contains("checksum"), "\(d.stderr)")
        let out = try CLI.tempDir()
        for args in [["shards", "export-megatron", dir.path, "-o", out.appendingPathComponent("m").path],
                     ["shards", "export-datatrove", dir.path, "-o", out.appendingPathComponent("dt").path]] {
            let r = try CLI.run(args)
            #expect(r.status == 2, "\(args[1]): \(r.stderr)")
            #expect(r.stderr.contains(shard.path) && r.stderr.contains("checksum"), "\(args[1]): \(r.stderr)")
        }
    }

    @Test("an index whose document offsets go backwards is refused instead of exported as a negative sequence length")
    func corruptIndexRefused() throws {
        let dir = try shards()
        let idx = dir.appendingPathComponent("shard-00000.idx")
        var data = try Data(contentsOf: idx)
        // document 1 ends (offset 2) one token before it starts (offset 1)
        let off1 = data.subdata(in: 48..<56).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        withUnsafeBytes(of: (off1 - 1).littleEndian) { data.replaceSubrange(56..<64, with: $0) }
        try data.write(to: idx)
        // first with the manifest as it was: the index's SHA-256 differs
        #expect(try CLI.run(["shards", "verify", dir.path]).status == 1)
        try expectRefused(dir, naming: "shard-00000.idx", expect: "SHA-256 does not match")
        // then with a manifest rewritten to match: the layout check refuses it
        try rehash(dir, key: "index_sha256", file: "shard-00000.idx")
        let v = try CLI.run(["shards", "verify", dir.path])
        #expect(v.status == 1)
        #expect(v.stderr.contains("invalid shard index"), "\(v.stderr)")
        try expectRefused(dir, naming: "shard-00000.idx", expect: "invalid shard index")
    }

    @Test("ids at or above the manifest's vocab_size are refused by decode and both exports (exit 2)")
    func idBeyondVocabRefused() throws {
        let dir = try shards()
        var m = try manifest(dir)
        m["vocab_size"] = 300  // GPT-2 ids of English text are mostly far above 300
        try writeManifest(m, dir)
        let v = try CLI.run(["shards", "verify", dir.path])
        #expect(v.status == 1)
        #expect(v.stderr.contains("beyond vocab size 300"), "\(v.stderr)")
        try expectRefused(dir, naming: "shard-00000.tok.zst", expect: "beyond vocab size 300")
    }

    @Test("a fresh set still decodes and exports, and its frames carry content checksums")
    func freshSetExports() throws {
        let dir = try shards()
        #expect(try frameOffsets(dir).count > 1)
        #expect(try CLI.run(["shards", "verify", dir.path]).status == 0)
        let out = try CLI.tempDir()
        #expect(try CLI.run(["shards", "export-megatron", dir.path, "-o", out.appendingPathComponent("m").path]).status == 0)
        #expect(try CLI.run(["shards", "export-datatrove", dir.path, "-o", out.appendingPathComponent("dt").path]).status == 0)
        #expect(try CLI.run(["shards", "decode", dir.path, "--doc", "3"]).status == 0)
        // the frame header's descriptor byte: bit 2 is the content checksum flag
        let data = try Data(contentsOf: dir.appendingPathComponent("shard-00000.tok.zst"))
        #expect(data.prefix(4) == Data([0x28, 0xB5, 0x2F, 0xFD]))
        #expect(data[4] & 0x04 != 0)
    }

    // MARK: 8 and 10. --jobs and --zstd-level

    /// Every subcommand that takes --jobs, with arguments that pass the rest of its validation.
    func jobsCommands(_ tmp: URL) -> [[String]] {
        [
            ["normalize", Self.en], ["langid", Self.en], ["filter", Self.en], ["dedup", Self.en],
            ["dedup", "signatures", Self.en, "-o", tmp.appendingPathComponent("sig").path],
            ["dedup", "apply", Self.en, "--decisions", tmp.path],
            ["tokenize", Self.en, "--tiktoken", Self.gpt2, "-o", tmp.appendingPathComponent("t").path],
            ["bpe", "train", Self.en, "--vocab-size", "300", "-o", tmp.appendingPathComponent("tok.json").path],
            ["bpe", "count", Self.en, "-o", tmp.appendingPathComponent("c.bin").path],
            ["sample", Self.en], ["run", "recipe.yaml", "-o", tmp.appendingPathComponent("run").path],
        ]
    }

    @Test("--jobs 100000 is refused with a clear error by every subcommand that takes --jobs (tokenize once died of SIGILL)")
    func absurdJobsRefused() throws {
        let tmp = try CLI.tempDir()
        for cmd in jobsCommands(tmp) {
            let r = try CLI.run(cmd + ["--jobs", "100000"])
            #expect(r.status == 2, "\(cmd): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("--jobs 100000 is more than 1024"), "\(cmd): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("t").path))
        // the limit itself still runs
        let ok = try CLI.run(["tokenize", Self.en, "--tiktoken", Self.gpt2, "-o", tmp.appendingPathComponent("t").path, "--quiet", "--jobs", "1024"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("--jobs -1 and --jobs=-1 say --jobs must be at least 1, not that a value is missing")
    func negativeJobsMessage() throws {
        let tmp = try CLI.tempDir()
        for cmd in jobsCommands(tmp) {
            for flag in [["--jobs", "-1"], ["--jobs=-1"], ["--jobs", "0"]] {
                let r = try CLI.run(cmd + flag)
                #expect(r.status == 2, "\(cmd) \(flag): \(r.status) \(r.stderr)")
                #expect(r.stderr.contains("--jobs must be at least 1"), "\(cmd) \(flag): \(r.stderr)")
                #expect(!r.stderr.contains("Missing value"), "\(cmd) \(flag): \(r.stderr)")
            }
        }
    }

    @Test("--zstd-level outside zstd's levels is refused; 19 and a negative fast level are accepted")
    func zstdLevelRange() throws {
        let tmp = try CLI.tempDir()
        for level in ["100", "23", "-200000"] {
            let r = try CLI.run(["tokenize", Self.en, "--tiktoken", Self.gpt2, "-o", tmp.appendingPathComponent("x").path, "--zstd-level", level])
            #expect(r.status == 2, "\(level): \(r.stderr)")
            #expect(r.stderr.contains("--zstd-level \(level) is not a zstd level"), "\(level): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("x").path))
        for level in ["19", "-5"] {
            let dir = tmp.appendingPathComponent("l\(level)")
            let r = try CLI.run(["tokenize", Self.en, "--tiktoken", Self.gpt2, "-o", dir.path, "--quiet", "--zstd-level", level])
            #expect(r.status == 0, "\(level): \(r.stderr)")
            #expect(try CLI.run(["shards", "verify", dir.path]).status == 0)
        }
    }

    @Test("dedup signatures -o an existing file says it exists and is not a directory, with a hint, before reading the input")
    func signaturesOutputIsFile() throws {
        let tmp = try CLI.tempDir()
        let file = tmp.appendingPathComponent("taken")
        try Data("x".utf8).write(to: file)
        let r = try CLI.run(["dedup", "signatures", Self.en, "-o", file.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(file.path): exists and is not a directory"), "\(r.stderr)")
        #expect(r.stderr.contains("hint:"), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
    }

    // MARK: 9. Megatron prefix

    @Test("export-megatron -o DIR/ or an existing DIR writes DIR/corpus_text_document.bin and .idx, never the hidden DIR/.bin")
    func megatronDirectoryPrefix() throws {
        let dir = try shards()
        let tmp = try CLI.tempDir()
        let fresh = tmp.appendingPathComponent("fresh")
        let existing = tmp.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        for out in [fresh.path + "/", existing.path, existing.path + "/"] {
            let r = try CLI.run(["shards", "export-megatron", dir.path, "-o", out])
            #expect(r.status == 0, "\(out): \(r.stderr)")
            let base = out.hasSuffix("/") ? String(out.dropLast()) : out
            #expect(r.out.contains("\(base)/corpus_text_document"), "\(r.out)")
            let files = try FileManager.default.contentsOfDirectory(atPath: base).sorted()
            #expect(files == ["corpus_text_document.bin", "corpus_text_document.idx"], "\(out): \(files)")
        }
        // a plain prefix is still a prefix, its folder made when missing
        let plain = tmp.appendingPathComponent("made/corpus").path
        #expect(try CLI.run(["shards", "export-megatron", dir.path, "-o", plain]).status == 0)
        #expect(FileManager.default.fileExists(atPath: plain + ".bin") && FileManager.default.fileExists(atPath: plain + ".idx"))
    }

    // MARK: 11. empty selections

    @Test("an empty selection (langid --keep \"\", filter --rules \"\", bpe train --special \"\", sample --reason \"\") is an error (exit 2), not a run that drops or keeps everything")
    func emptySelectionRefused() throws {
        let tmp = try CLI.tempDir()
        let cases: [([String], String)] = [
            (["langid", Self.en, "--keep", ""], "--keep \"\" names no language"),
            (["langid", Self.en, "--keep", " , "], "names no language"),
            (["filter", Self.en, "--rules", ""], "--rules \"\" names no rule set"),
            (["filter", Self.en, "--rules", ","], "names no rule set"),
            (["bpe", "train", Self.en, "--vocab-size", "300", "--special", "", "-o", tmp.appendingPathComponent("t.json").path], "empty token"),
            (["sample", Self.en, "--reason", ""], "--reason \"\" names no reason"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.out.isEmpty, "\(args)")
        }
        // a real selection still works
        let ok = try CLI.run(["langid", Self.en, "--keep", "en"])
        #expect(ok.status == 0 && !ok.lines.isEmpty)
    }

    // MARK: 12. vocab size below the base vocabulary

    @Test("bpe train --vocab-size below the 256 byte tokens plus specials warns and says what it produces")
    func smallVocabWarns() throws {
        let out = try CLI.tempDir().appendingPathComponent("tok.json")
        let r = try CLI.run(["bpe", "train", Self.en, "--vocab-size", "10", "--special", "<|endoftext|>", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: --vocab-size 10 is below the 256 byte tokens + 1 special token"), "\(r.stderr)")
        #expect(r.stderr.contains("257 tokens and no merges"), "\(r.stderr)")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
        let model = root["model"] as! [String: Any]
        #expect((model["vocab"] as! [String: Any]).count + (root["added_tokens"] as! [Any]).count >= 257)
        #expect((model["merges"] as! [Any]).isEmpty)
        // a size the base fits in says nothing
        let fine = try CLI.run(["bpe", "train", Self.en, "--vocab-size", "300", "-o", out.path])
        #expect(!fine.stderr.contains("warning"), "\(fine.stderr)")
    }

    // MARK: the README's options

    @Test("shards verify takes --quiet (problems still printed), and dedup clusters writes its counts with --stats")
    func readmeOptionsExist() throws {
        let dir = try shards()
        let q = try CLI.run(["shards", "verify", dir.path, "--quiet"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.out.isEmpty && q.stderr.isEmpty)
        var m = try manifest(dir)
        m["vocab_size"] = 300
        try writeManifest(m, dir)
        let bad = try CLI.run(["shards", "verify", dir.path, "--quiet"])
        #expect(bad.status == 1)
        #expect(bad.out.isEmpty && bad.stderr.contains("beyond vocab size"))

        let work = try CLI.tempDir().appendingPathComponent("sig").path
        #expect(try CLI.run(["dedup", "signatures", Self.en, "-o", work, "--quiet"]).status == 0)
        let stats = try CLI.tempDir().appendingPathComponent("clusters.json").path
        let c = try CLI.run(["dedup", "clusters", work, "--stats", stats, "--quiet"])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.out.isEmpty)
        let s = CLI.json(try String(contentsOfFile: stats, encoding: .utf8))
        #expect(s["stage"] as? String == "dedup clusters")
        #expect(s["removed"] is Int && s["clusters"] is Int, "\(s)")
    }
}
