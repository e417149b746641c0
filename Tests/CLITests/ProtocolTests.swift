import Foundation
import Testing

@Suite("record protocol")
struct ProtocolTests {
    @Test("unknown fields keep their values and order, and records that need no change are copied byte for byte")
    func fieldsPreserved() throws {
        let input = """
        {"url": "https://x.test/a", "text": "Already clean.", "id": "a", "n": 1.50, "nested": {"b": [1, {"c": null}]}, "metadata": {"k": "v"}}
        {"text":"Needs  cleaning ","zz":true,"aa":[],"id":"b"}

        """
        let r = try CLI.run(["normalize", "-"], stdin: Data(input.utf8))
        #expect(r.status == 0)
        let lines = r.lines
        #expect(lines[0] == input.split(separator: "\n")[0].description)
        #expect(lines[1] == #"{"text":"Needs cleaning","zz":true,"aa":[],"id":"b"}"#)
    }

    @Test("records without an id get path:line relative to the input root")
    func idAssignment() throws {
        let dir = try CLI.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "{\"text\":\"a\"}\n\n{\"text\":\"b\",\"id\":7}\n{\"text\":\"c\"}\n".write(to: dir.appendingPathComponent("sub/part.jsonl"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["normalize", dir.path])
        let ids = r.lines.map { CLI.json($0)["id"] }
        #expect(ids[0] as? String == "sub/part.jsonl:1")
        #expect(ids[1] as? Int == 7)
        #expect(ids[2] as? String == "sub/part.jsonl:4")
    }

    @Test("an assigned id is JSON-escaped like the path it comes from, and dedup reports the same id as a cluster")
    func assignedIDEscaped() throws {
        let dir = try CLI.tempDir()
        let name = "q\"uo\\te.jsonl"
        try "{\"text\":\"same words here\"}\n{\"text\":\"same words here\"}\n".write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        let r = try CLI.run(["normalize", dir.path])
        #expect(r.status == 0)
        #expect(r.lines.map { CLI.json($0)["id"] as? String } == ["q\"uo\\te.jsonl:1", "q\"uo\\te.jsonl:2"])
        let rej = dir.appendingPathComponent("rejected.jsonl").path
        let d = try CLI.run(["dedup", "--mode", "exact", dir.appendingPathComponent(name).path, "--rejected", rej])
        #expect(d.status == 0)
        #expect(d.lines.map { CLI.json($0)["id"] as? String } == ["q\"uo\\te.jsonl:1"])
        let dropped = try String(contentsOfFile: rej, encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        #expect(dropped.map { $0["id"] as? String } == ["q\"uo\\te.jsonl:2"])
        #expect(((dropped.first?["metadata"] as? [String: Any])?["dedup"] as? [String: Any])?["cluster"] as? String == "q\"uo\\te.jsonl:1")
    }

    @Test("--text-field reads and writes another field")
    func textField() throws {
        let r = try CLI.run(["normalize", "--text-field", "content", "-"], stdin: Data("{\"content\":\"ＡＢＣ\",\"text\":\"ＡＢＣ\"}\n".utf8))
        #expect(r.lines == [#"{"content":"ABC","text":"ＡＢＣ","id":"stdin:1"}"#])
    }

    @Test("output is byte-identical for any --jobs")
    func jobsDeterminism() throws {
        let files = ["sample/en.jsonl", "sample/zh-web.jsonl", "sample/multilingual.jsonl", "normalize/cjk.jsonl"].map(CLI.fixture)
        let base = try CLI.run(["normalize", "--jobs", "1"] + files)
        #expect(base.status == 0)
        #expect(base.lines.count > 500)
        for j in ["2", "3", "8"] {
            let r = try CLI.run(["normalize", "--jobs", j] + files)
            #expect(r.stdout == base.stdout)
        }
    }

    @Test("a directory is mirrored into an output directory with .jsonl.zst files, and a rerun skips complete outputs")
    func directoryMirrorAndResume() throws {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        try "{\"text\":\"one\"}\n".write(to: input.appendingPathComponent("x.jsonl"), atomically: true, encoding: .utf8)
        try "{\"text\":\"two\"}\n".write(to: input.appendingPathComponent("a/b/y.jsonl"), atomically: true, encoding: .utf8)
        try "three\nfour\n".write(to: input.appendingPathComponent("a/z.txt"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path + "/"
        let r = try CLI.run(["normalize", input.path, "-o", out])
        #expect(r.status == 0)
        let produced = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.hasSuffix(".zst") }.sorted()
        #expect(produced == ["a/b/y.jsonl.zst", "a/z.jsonl.zst", "x.jsonl.zst"])
        let back = try CLI.run(["normalize", out + "a/z.jsonl.zst"])
        #expect(back.lines.map { CLI.json($0)["text"] as? String } == ["three", "four"])
        // remove one output: the rerun writes only that one
        try FileManager.default.removeItem(atPath: out + "x.jsonl.zst")
        let again = try CLI.run(["normalize", input.path, "-o", out, "--stats", dir.appendingPathComponent("s.json").path])
        #expect(again.stderr.contains("is complete"))
        let s = CLI.json(try String(contentsOfFile: dir.appendingPathComponent("s.json").path, encoding: .utf8))
        #expect(s["files_processed"] as? Int == 1)
        #expect(s["files_skipped"] as? Int == 2)
        #expect(FileManager.default.fileExists(atPath: out + "x.jsonl.zst"))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("a failed run leaves no output file behind")
    func atomicOutput() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.jsonl").path
        let r = try CLI.run(["normalize", "-", "-o", out, "--strict"], stdin: Data("{\"text\":\"ok\"}\nbroken\n".utf8))
        #expect(r.status == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("plain text becomes records by line, paragraph or file")
    func txtModes() throws {
        let text = "Para one\nline two\r\n\n\nPara two\n"
        let byLine = try CLI.run(["normalize", "--format", "txt", "-"], stdin: Data(text.utf8))
        #expect(byLine.lines.map { CLI.json($0)["text"] as? String } == ["Para one", "line two", "Para two"])
        #expect(byLine.lines.map { CLI.json($0)["id"] as? String } == ["stdin:1", "stdin:2", "stdin:5"])
        let byPara = try CLI.run(["normalize", "--format", "txt", "--txt-mode", "paragraph", "-"], stdin: Data(text.utf8))
        #expect(byPara.lines.map { CLI.json($0)["text"] as? String } == ["Para one\nline two", "Para two"])
        let byFile = try CLI.run(["normalize", "--format", "txt", "--txt-mode", "file", "-"], stdin: Data(text.utf8))
        #expect(byFile.lines.map { CLI.json($0)["text"] as? String } == ["Para one\nline two\n\nPara two"])
    }

    @Test("a .json file holding an array of records is read element by element")
    func jsonArray() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("recs.json")
        try "[\n  {\"text\": \"a, [b]\", \"id\": \"1\"},\n  {\"text\": \"}{\"}\n]\n".write(to: f, atomically: true, encoding: .utf8)
        let r = try CLI.run(["normalize", f.path])
        #expect(r.status == 0)
        #expect(r.lines.map { CLI.json($0)["text"] as? String } == ["a, [b]", "}{"])
        #expect(CLI.json(r.lines[1])["id"] as? String == "recs.json:3")
    }

    @Test("compressed stdin is detected by its magic bytes")
    func compressedStdin() throws {
        let dir = try CLI.tempDir()
        let gz = dir.appendingPathComponent("a.jsonl.gz").path
        #expect(try CLI.run(["normalize", "-", "-o", gz], stdin: Data("{\"text\":\"zipped\"}\n".utf8)).status == 0)
        let r = try CLI.run(["normalize", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: gz)))
        #expect(r.lines == [#"{"text":"zipped","id":"stdin:1"}"#])
    }

    @Test("a closed downstream pipe ends the stage quietly")
    func brokenPipe() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "'\(CLI.binary)' normalize '\(CLI.fixture("sample/en.jsonl"))' '\(CLI.fixture("normalize/cjk.jsonl"))' | head -c 10 > /dev/null; echo \"${PIPESTATUS:-}\""]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        p.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.isEmpty)
    }
}

@Suite("regressions")
struct RegressionTests {
    @Test("writing --stats to /dev/stderr appends to the stream and never replaces the /dev/stderr link (it once renamed a temp file over it)")
    func statsToDevStderrKeepsTheLink() throws {
        var before = stat()
        lstat("/dev/stderr", &before)
        let r = try CLI.run(["normalize", "--stats", "/dev/stderr", "-"], stdin: Data("{\"text\":\"a\"}\n".utf8))
        #expect(r.status == 0)
        #expect(r.stderr.contains("\"records_in\":1"))
        var after = stat()
        lstat("/dev/stderr", &after)
        #expect((after.st_mode & S_IFMT) == (before.st_mode & S_IFMT))
        #expect(!FileManager.default.fileExists(atPath: "/dev/stderr.tmp-\(r.status)"))
    }

    @Test("a run of simple ASCII that ends in a double space is still collapsed (the SIMD scan once skipped the check after a block)")
    func doubleSpaceAfterSIMDBlock() throws {
        let text = "the directory will be\\n   copied up (but not the contents).  Then the x"
        let r = try CLI.run(["normalize", "-"], stdin: Data("{\"text\":\"\(text)\"}\n".utf8))
        #expect(CLI.json(r.lines[0])["text"] as? String == "the directory will be\n   copied up (but not the contents). Then the x")
    }

    @Test("a new file under /dev/shm is created normally (the /dev special case once refused to create it)",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/shm")))
    func newFileUnderDevShm() throws {
        let path = "/dev/shm/llmdata-test-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["normalize", "-", "-o", path], stdin: Data("{\"text\":\"a\"}\n".utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
