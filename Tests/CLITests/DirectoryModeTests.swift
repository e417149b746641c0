import Foundation
import Testing

/// `-o DIR/`: resume, the llmdata.json record, refusals and checks before work.
@Suite("directory mode")
struct DirectoryModeTests {
    /// DIR/in with three inputs (one in a subdirectory), each holding a line that is not JSON.
    static func corpus() throws -> (dir: URL, input: String) {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "{\"text\":\"one  two\"}\nnot json 1\n{\"text\":\"three\"}\n".write(to: input.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        try "{\"text\":\"four\"}\n{broken 2\n".write(to: input.appendingPathComponent("b.jsonl"), atomically: true, encoding: .utf8)
        try "{\"text\":\"five\"}\n[3]\n{\"text\":\"six\"}\n".write(to: input.appendingPathComponent("sub/c.jsonl"), atomically: true, encoding: .utf8)
        return (dir, input.path)
    }

    /// A stats file without what differs between an uninterrupted and a resumed run.
    static func statsWithoutRunFields(_ path: String) throws -> NSDictionary {
        var s = CLI.json(try String(contentsOfFile: path, encoding: .utf8))
        for k in ["seconds", "files_processed", "files_skipped"] { s.removeValue(forKey: k) }
        return s as NSDictionary
    }

    /// The input lines a --rejected file holds (each unreadable line is a record holding it).
    static func rejectedLines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map { CLI.json(String($0))["text"] as? String ?? "?" }
    }

    static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    @Test("a rerun after deleting one output writes only that output, and its --rejected and --stats equal an uninterrupted run's (a resumed run once truncated --rejected and counted only the new files)")
    func resumeKeepsRejectedAndStats() throws {
        let (dir, input) = try Self.corpus()
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        // one uninterrupted run
        let whole = try CLI.run(["normalize", input, "-o", p("whole") + "/", "--rejected", p("whole.rejected.jsonl"), "--stats", p("whole.json"), "--quiet"])
        #expect(whole.status == 0, "\(whole.stderr)")
        // a run, one output lost, a rerun
        let out = p("out") + "/"
        #expect(try CLI.run(["normalize", input, "-o", out, "--rejected", p("r1.jsonl"), "--stats", p("s1.json"), "--quiet"]).status == 0)
        let keptA = Self.inode(out + "a.jsonl.zst"), keptC = Self.inode(out + "sub/c.jsonl.zst")
        try FileManager.default.removeItem(atPath: out + "b.jsonl.zst")
        let again = try CLI.run(["normalize", input, "-o", out, "--rejected", p("r2.jsonl"), "--stats", p("s2.json")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.components(separatedBy: "is complete").count - 1 == 2)
        // only b was written again
        #expect(FileManager.default.fileExists(atPath: out + "b.jsonl.zst"))
        #expect(Self.inode(out + "a.jsonl.zst") == keptA)
        #expect(Self.inode(out + "sub/c.jsonl.zst") == keptC)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "b.jsonl.zst")) == Data(contentsOf: URL(fileURLWithPath: p("whole") + "/b.jsonl.zst")))
        // --rejected and --stats as one uninterrupted run wrote them
        let wholeRejected = try String(contentsOfFile: p("whole.rejected.jsonl"), encoding: .utf8)
        #expect(Self.rejectedLines(p("whole.rejected.jsonl")) == ["not json 1", "{broken 2", "[3]"])
        #expect(try String(contentsOfFile: p("r2.jsonl"), encoding: .utf8) == wholeRejected)
        #expect(try Self.statsWithoutRunFields(p("s2.json")) == Self.statsWithoutRunFields(p("whole.json")))
        let s2 = CLI.json(try String(contentsOfFile: p("s2.json"), encoding: .utf8))
        #expect(s2["files_processed"] as? Int == 1)
        #expect(s2["files_skipped"] as? Int == 2)
        #expect(s2["records_in"] as? Int == 8)
        #expect(s2["records_rejected"] as? Int == 3)
    }

    @Test("outputs without a record of a finished run (an older llmdata, an interrupted run) are written again, so --rejected is complete")
    func outputsWithoutRecordAreRewritten() throws {
        let (dir, input) = try Self.corpus()
        let out = dir.appendingPathComponent("out").path + "/"
        #expect(try CLI.run(["normalize", input, "-o", out, "--quiet"]).status == 0)
        // as an older llmdata left it: outputs only
        try? FileManager.default.removeItem(atPath: out + ".llmdata")
        try? FileManager.default.removeItem(atPath: out + "llmdata.json")
        let rejected = dir.appendingPathComponent("r.jsonl").path
        let again = try CLI.run(["normalize", input, "-o", out, "--rejected", rejected])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("rewriting"))
        #expect(Self.rejectedLines(rejected) == ["not json 1", "{broken 2", "[3]"])
        // a run without --rejected kept no rejected records: a rerun that asks for them redoes the files
        let other = dir.appendingPathComponent("other").path + "/"
        #expect(try CLI.run(["normalize", input, "-o", other, "--quiet"]).status == 0)
        let more = try CLI.run(["normalize", input, "-o", other, "--rejected", rejected, "--quiet"])
        #expect(more.status == 0, "\(more.stderr)")
        #expect(Self.rejectedLines(rejected) == ["not json 1", "{broken 2", "[3]"])
    }

    @Test("a rerun with another option is refused with exit 2, names the option and suggests --overwrite; --overwrite writes everything again")
    func changedOptionIsRefused() throws {
        let (dir, input) = try Self.corpus()
        let out = dir.appendingPathComponent("out").path + "/"
        #expect(try CLI.run(["normalize", input, "-o", out, "--quiet", "--jobs", "1"]).status == 0)
        let before = Self.inode(out + "a.jsonl.zst")
        // options that do not shape the outputs may differ
        let same = try CLI.run(["normalize", "--jobs", "2", input, "-o", out, "--stats", dir.appendingPathComponent("s.json").path])
        #expect(same.status == 0, "\(same.stderr)")
        let changed = try CLI.run(["normalize", input, "-o", out, "--form", "nfc"])
        #expect(changed.status == 2)
        #expect(changed.stderr.contains("--form nfc"), "\(changed.stderr)")
        #expect(changed.stderr.contains("--overwrite"))
        #expect(Self.inode(out + "a.jsonl.zst") == before)
        // also when only the per-input records say which options made the outputs
        try FileManager.default.removeItem(atPath: out + "llmdata.json")
        let stillChanged = try CLI.run(["normalize", input, "-o", out, "--strip-urls"])
        #expect(stillChanged.status == 2)
        #expect(stillChanged.stderr.contains("--strip-urls"), "\(stillChanged.stderr)")
        let over = try CLI.run(["normalize", input, "-o", out, "--form", "nfc", "--overwrite", "--quiet"])
        #expect(over.status == 0, "\(over.stderr)")
        #expect(Self.inode(out + "a.jsonl.zst") != before)
        let side = CLI.json(try String(contentsOfFile: out + "llmdata.json", encoding: .utf8))
        #expect((side["options"] as? [String])?.contains("nfc") == true)
    }

    @Test("a rerun after an input changed is refused with exit 2 and names the input")
    func changedInputIsRefused() throws {
        let (dir, input) = try Self.corpus()
        let out = dir.appendingPathComponent("out").path + "/"
        #expect(try CLI.run(["normalize", input, "-o", out, "--quiet"]).status == 0)
        try "{\"text\":\"four, changed\"}\n".write(toFile: input + "/b.jsonl", atomically: true, encoding: .utf8)
        let r = try CLI.run(["normalize", input, "-o", out])
        #expect(r.status == 2)
        #expect(r.stderr.contains("b.jsonl"), "\(r.stderr)")
        #expect(r.stderr.contains("--overwrite"))
        // a new input file is a change too
        try FileManager.default.removeItem(atPath: out)
        #expect(try CLI.run(["normalize", input, "-o", out, "--quiet"]).status == 0)
        try "{\"text\":\"seven\"}\n".write(toFile: input + "/d.jsonl", atomically: true, encoding: .utf8)
        let added = try CLI.run(["normalize", input, "-o", out])
        #expect(added.status == 2)
        #expect(added.stderr.contains("d.jsonl"), "\(added.stderr)")
    }

    @Test("stale NAME.tmp-PID files that a killed run left in the output directory are removed")
    func staleTemporaryFilesAreRemoved() throws {
        let (dir, input) = try Self.corpus()
        let out = dir.appendingPathComponent("out").path + "/"
        #expect(try CLI.run(["normalize", input, "-o", out, "--quiet"]).status == 0)
        // PID 4194305 is above the kernel's limit: no process has it
        let stale = [out + "b.jsonl.zst.tmp-4194305", out + "sub/c.jsonl.zst.tmp-4194305", out + ".llmdata/a.json.tmp-4194305"]
        for s in stale {
            try FileManager.default.createDirectory(atPath: (s as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("partial".utf8).write(to: URL(fileURLWithPath: s))
        }
        let r = try CLI.run(["normalize", input, "-o", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        for s in stale { #expect(!FileManager.default.fileExists(atPath: s), "\(s)") }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("--stats or --rejected naming a directory fails before any work and creates no output")
    func directoryWhereAFileBelongsFailsBeforeWork() throws {
        let (dir, input) = try Self.corpus()
        let existing = dir.appendingPathComponent("existing").path
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("out").path + "/"
        let r = try CLI.run(["normalize", input, "-o", out, "--stats", existing])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(existing): is a directory"), "\(r.stderr)")
        #expect(r.stderr.contains("hint:"))
        #expect(!FileManager.default.fileExists(atPath: out))
        // a single output file and --rejected
        let file = dir.appendingPathComponent("out.jsonl").path
        let f = try CLI.run(["normalize", input, "-o", file, "--rejected", existing])
        #expect(f.status == 2)
        #expect(f.stderr.contains("\(existing): is a directory"), "\(f.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing).isEmpty)
        // a directory where an output file goes
        try FileManager.default.createDirectory(atPath: out + "a.jsonl.zst", withIntermediateDirectories: true)
        let o = try CLI.run(["normalize", input, "-o", out])
        #expect(o.status == 2)
        #expect(o.stderr.contains("a.jsonl.zst: is a directory"), "\(o.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "b.jsonl.zst"))
    }

    @Test("an output directory inside an input directory, or equal to it, is refused before any work")
    func outputInsideInputIsRefused() throws {
        let (_, input) = try Self.corpus()
        for out in [input + "/out/", input + "/sub/", input, input + "/"] {
            let r = try CLI.run(["normalize", input, "-o", out])
            #expect(r.status == 2, "\(out)")
            #expect(r.stderr.contains("input directory"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: input + "/out"))
            #expect(!FileManager.default.fileExists(atPath: input + "/a.jsonl.zst"))
            #expect(!FileManager.default.fileExists(atPath: input + "/sub/c.jsonl.zst"))
        }
    }

    @Test("llmdata.json records the version, the stage, the command's options and each input's and output's size and SHA-256, and is not read as an input")
    func sidecarRecordsTheRun() throws {
        let (dir, input) = try Self.corpus()
        let out = dir.appendingPathComponent("out").path + "/"
        let args = ["normalize", input, "-o", out, "--strip-urls", "--quiet"]
        #expect(try CLI.run(args).status == 0)
        let side = CLI.json(try String(contentsOfFile: out + "llmdata.json", encoding: .utf8))
        let version = try CLI.run(["--version"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(side["llmdata_version"] as? String == version)
        #expect(side["stage"] as? String == "normalize")
        #expect(side["options"] as? [String] == args)
        let inputs = (side["inputs"] as? [[String: Any]]) ?? []
        #expect(inputs.compactMap { ($0["path"] as? String).map { ($0 as NSString).lastPathComponent } } == ["a.jsonl", "b.jsonl", "c.jsonl"])
        for i in inputs {
            let path = i["path"] as? String ?? ""
            #expect(path.hasPrefix("/"))
            #expect(i["sha256"] as? String == (try CLI.sha256(path)))
            #expect(i["bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
        }
        let outputs = (side["outputs"] as? [[String: Any]]) ?? []
        #expect(outputs.compactMap { $0["path"] as? String } == ["a.jsonl.zst", "b.jsonl.zst", "sub/c.jsonl.zst"])
        for o in outputs {
            let path = out + (o["path"] as? String ?? "")
            #expect(o["sha256"] as? String == (try CLI.sha256(path)))
            #expect(o["bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
        }
        // the next stage reads the directory's records only
        let next = try CLI.run(["normalize", out])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.lines.count == 5)
    }
}
