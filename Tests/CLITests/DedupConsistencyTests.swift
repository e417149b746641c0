import Foundation
import Testing

/// The scale-out dedup steps refuse inputs that do not fit together (docs/scale-out.md).
@Suite struct DedupConsistencyTests {
    /// A directory of `count` input files cut from the English sample, and a scratch directory.
    static func inputs(_ count: Int) throws -> (dir: URL, input: URL) {
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n")
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        for part in 0..<count {
            let lines = en.enumerated().filter { $0.offset % count == part }.map { String($0.element) }
            try (lines.joined(separator: "\n") + "\n").write(to: input.appendingPathComponent("part-\(part).jsonl"), atomically: true, encoding: .utf8)
        }
        return (dir, input)
    }

    static func signatures(_ input: URL, _ work: String, task i: Int, of n: Int, _ extra: [String] = []) throws {
        let r = try CLI.run(["dedup", "signatures", input.path, "-o", work, "--quiet", "--shard-index", "\(i)", "--shard-count", "\(n)"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test("dedup clusters refuses a directory where a task's signatures file is missing, naming the task")
    func missingTask() throws {
        let (dir, input) = try Self.inputs(4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, task: 0, of: 3)
        try Self.signatures(input, work, task: 2, of: 3)
        let r = try CLI.run(["dedup", "clusters", work])
        #expect(r.status == 2)
        #expect(r.stderr.contains("signatures-00001.bin") && r.stderr.contains("of 3 missing"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/decisions.jsonl"))
        // a band task checks the same before reading its bands
        let band = try CLI.run(["dedup", "clusters", work, "--band-start", "0", "--band-count", "1"])
        #expect(band.status == 2)
        #expect(band.stderr.contains("signatures-00001.bin") && band.stderr.contains("of 3 missing"), "\(band.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/pairs-000-001.bin"))
        // with the task run, the same directory decides
        try Self.signatures(input, work, task: 1, of: 3)
        let ok = try CLI.run(["dedup", "clusters", work])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("dedup clusters refuses signatures made with different --bands, naming the option and both values")
    func differentBands() throws {
        let (dir, input) = try Self.inputs(4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, task: 0, of: 2)
        try Self.signatures(input, work, task: 1, of: 2, ["--bands", "20"])
        let r = try CLI.run(["dedup", "clusters", work])
        #expect(r.status == 2)
        #expect(r.stderr.contains("option bands 20 vs 14"), "\(r.stderr)")
        let band = try CLI.run(["dedup", "clusters", work, "--band-start", "0", "--band-count", "1"])
        #expect(band.status == 2)
        #expect(band.stderr.contains("option bands 20 vs 14"), "\(band.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/decisions.jsonl"))
    }

    @Test("dedup clusters refuses signatures made from different input lists, naming the counts")
    func differentInputs() throws {
        let (dir, input) = try Self.inputs(4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, task: 0, of: 2)
        try FileManager.default.removeItem(at: input.appendingPathComponent("part-2.jsonl"))
        try Self.signatures(input, work, task: 1, of: 2)
        let r = try CLI.run(["dedup", "clusters", work])
        #expect(r.status == 2)
        #expect(r.stderr.contains("signatures-00001.bin was made from 3 input files, signatures-00000.bin from 4"), "\(r.stderr)")
    }

    @Test("dedup apply refuses inputs that differ from those the decisions were made from, naming the file")
    func applyOverOtherInputs() throws {
        let (dir, input) = try Self.inputs(4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, task: 0, of: 2)
        try Self.signatures(input, work, task: 1, of: 2)
        #expect(try CLI.run(["dedup", "clusters", work]).status == 0)
        let out = dir.appendingPathComponent("out").path + "/"
        let same = try CLI.run(["dedup", "apply", input.path, "--decisions", work, "-o", out, "--quiet"])
        #expect(same.status == 0, "\(same.stderr)")

        // a file added
        try "{\"text\":\"new\"}\n".write(to: input.appendingPathComponent("part-9.jsonl"), atomically: true, encoding: .utf8)
        var r = try CLI.run(["dedup", "apply", input.path, "--decisions", work, "-o", out, "--quiet"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("added part-9.jsonl"), "\(r.stderr)")
        try FileManager.default.removeItem(at: input.appendingPathComponent("part-9.jsonl"))

        // a file changed in size
        let h = try FileHandle(forWritingTo: input.appendingPathComponent("part-1.jsonl"))
        h.seekToEndOfFile()
        h.write(Data("{\"text\":\"more\"}\n".utf8))
        h.closeFile()
        r = try CLI.run(["dedup", "apply", input.path, "--decisions", work, "-o", out, "--quiet"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("changed part-1.jsonl"), "\(r.stderr)")

        // a file removed
        try FileManager.default.removeItem(at: input.appendingPathComponent("part-3.jsonl"))
        r = try CLI.run(["dedup", "apply", input.path, "--decisions", work, "-o", out, "--quiet"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("removed part-3.jsonl") || r.stderr.contains("changed part-1.jsonl"), "\(r.stderr)")
    }

    @Test("dedup apply refuses decisions without the input fingerprint (made by an older llmdata)")
    func applyWithoutFingerprint() throws {
        let (dir, input) = try Self.inputs(2)
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, task: 0, of: 1)
        #expect(try CLI.run(["dedup", "clusters", work]).status == 0)
        try FileManager.default.removeItem(atPath: work + "/decisions.json")
        let r = try CLI.run(["dedup", "apply", input.path, "--decisions", work, "-o", dir.appendingPathComponent("out").path + "/", "--quiet"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("decisions.json") && r.stderr.contains("older llmdata"), "\(r.stderr)")
    }
}
