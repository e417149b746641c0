import Foundation
import Testing

/// Faults of the record input side (discovery, reading, parsing, directory mode), each reproduced
/// end to end through the binary.
@Suite("input faults")
struct InputFaultTests {
    /// Runs `script` in bash with `$LLMDATA` set to the binary under test.
    static func sh(_ script: String, cwd: URL) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = cwd
        p.environment = ProcessInfo.processInfo.environment.merging(["LLMDATA": CLI.binary]) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        done.wait()
        return CLI.Result(status: p.terminationStatus, stdout: o, stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    static func records(_ n: Int, prefix: String) -> String {
        (0..<n).map { "{\"id\":\"\(prefix)\($0)\",\"text\":\"record \($0) of \(prefix)\"}\n" }.joined()
    }

    static func stats(_ path: String) throws -> [String: Any] {
        CLI.json(try String(contentsOfFile: path, encoding: .utf8))
    }

    // MARK: 1

    @Test("a named pipe is read as a stream, not taken for an empty file")
    func namedPipeIsReadAsStream() throws {
        let dir = try CLI.tempDir()
        try Self.records(300, prefix: "p").write(to: dir.appendingPathComponent("src.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("in"), withIntermediateDirectories: true)
        try Self.records(2, prefix: "f").write(to: dir.appendingPathComponent("in/a.jsonl"), atomically: true, encoding: .utf8)
        // a writer that gives up after 30 s, so a reader that never opens the pipe fails the test instead of hanging it
        let feed = "timeout 30 sh -c 'cat src.jsonl > in/b.jsonl' &"
        // a FIFO named as a file, in a directory, and the shell's <(…) (no extension; zstd sniffed)
        let named = try Self.sh("mkfifo in/b.jsonl && \(feed) \"$LLMDATA\" normalize in/b.jsonl --stats s1.json", cwd: dir)
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.lines.count == 300)
        #expect(!named.stderr.contains("empty file"))
        #expect(try Self.stats(dir.appendingPathComponent("s1.json").path)["records_in"] as? Int == 300)

        let inDir = try Self.sh("\(feed) \"$LLMDATA\" normalize in --stats s2.json", cwd: dir)
        #expect(inDir.status == 0, "\(inDir.stderr)")
        #expect(inDir.lines.count == 302)
        #expect(CLI.json(inDir.lines[2])["id"] as? String == "p0")

        let substituted = try Self.sh("\"$LLMDATA\" normalize <(cat src.jsonl) <(zstd -q -c src.jsonl)", cwd: dir)
        #expect(substituted.status == 0, "\(substituted.stderr)")
        #expect(substituted.lines.count == 600)

        // dedup's one-pass mode reads a pipe; the modes that read their inputs twice refuse it
        // (the second read would find it empty)
        let exact = try Self.sh("\"$LLMDATA\" dedup --mode exact <(cat src.jsonl)", cwd: dir)
        #expect(exact.status == 0, "\(exact.stderr)")
        #expect(exact.lines.count == 300)
        let twice = try Self.sh("\"$LLMDATA\" dedup --mode minhash <(cat src.jsonl)", cwd: dir)
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("is not a regular file: dedup reads its inputs twice"), "\(twice.stderr)")

        // `llmdata run` still refuses a pipe among its inputs (it reads its inputs twice)
        try "inputs: [in]\nstages:\n  - normalize:\n".write(to: dir.appendingPathComponent("r.yaml"), atomically: true, encoding: .utf8)
        let run = try CLI.run(["run", dir.appendingPathComponent("r.yaml").path, "-o", dir.appendingPathComponent("out").path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("is not a regular file"), "\(run.stderr)")
    }

    // MARK: 2

    @Test("inputs whose outputs collide in directory mode are refused before any work, with the list")
    func collidingOutputsAreRefused() throws {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try Self.records(2, prefix: "json").write(to: input.appendingPathComponent("x.json"), atomically: true, encoding: .utf8)
        try Self.records(3, prefix: "jsonl").write(to: input.appendingPathComponent("x.jsonl"), atomically: true, encoding: .utf8)
        try CLI.zstd(Data(Self.records(4, prefix: "zst").utf8)).write(to: input.appendingPathComponent("x.jsonl.zst"))
        try Self.records(1, prefix: "y").write(to: input.appendingPathComponent("y.jsonl"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path + "/"
        let r = try CLI.run(["normalize", input.path, "-o", out])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: \(out)x.jsonl.zst: the output of 3 inputs: \(input.path)/x.json, \(input.path)/x.jsonl, \(input.path)/x.jsonl.zst"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: "))
        #expect(!FileManager.default.fileExists(atPath: out + "y.jsonl.zst"))

        // two input roots holding the same relative path
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        for (d, p) in [(a, "a"), (b, "b")] {
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            try Self.records(2, prefix: p).write(to: d.appendingPathComponent("part.jsonl"), atomically: true, encoding: .utf8)
        }
        let out2 = dir.appendingPathComponent("out2").path + "/"
        let two = try CLI.run(["normalize", a.path, b.path, "-o", out2])
        #expect(two.status == 2)
        #expect(two.stderr.contains("\(out2)part.jsonl.zst: the output of 2 inputs: \(a.path)/part.jsonl, \(b.path)/part.jsonl"), "\(two.stderr)")
        // also when the two are different tasks' files
        for i in 0..<2 {
            let t = try CLI.run(["normalize", a.path, b.path, "-o", out2, "--shard-index", "\(i)", "--shard-count", "2"])
            #expect(t.status == 2, "\(t.stderr)")
            #expect(t.stderr.contains("part.jsonl.zst: the output of 2 inputs"))
        }
        #expect(!FileManager.default.fileExists(atPath: out2 + "part.jsonl.zst"))
        // distinct names still work
        #expect(try CLI.run(["normalize", a.path, "-o", out2, "--quiet"]).status == 0)
    }

    // MARK: 3

    @Test("a symbolic link loop in an input directory is reported and each real file is read once")
    func symlinkLoopIsReadOnce() throws {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        let sub = input.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try Self.records(2, prefix: "a").write(to: input.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        try Self.records(3, prefix: "b").write(to: sub.appendingPathComponent("b.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: sub.appendingPathComponent("loop").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: input.appendingPathComponent("latest.jsonl").path, withDestinationPath: "a.jsonl")
        let stats = dir.appendingPathComponent("s.json").path
        let r = try CLI.run(["normalize", input.path, "--stats", stats])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.map { CLI.json($0)["id"] as? String ?? "" } == ["a0", "a1", "b0", "b1", "b2"])
        #expect(r.stderr.contains("warning: \(sub.path)/loop: symbolic link loop"), "\(r.stderr)")
        #expect(r.stderr.contains("warning: \(input.path)/latest.jsonl: the same file as \(input.path)/a.jsonl, read once"), "\(r.stderr)")
        let s = try Self.stats(stats)
        #expect(s["files_processed"] as? Int == 2)
        #expect(s["files_skipped"] as? Int == 1)
        let counters = s["counters"] as? [String: Int] ?? [:]
        #expect(counters["skipped_symlink_loop"] == 1)
        #expect(counters["skipped_duplicate"] == 1)
    }

    // MARK: 4 and 10

    @Test("every line longer than --max-line-bytes is rejected as line_too_long with its file and line")
    func everyOverLongLineIsRejected() throws {
        let dir = try CLI.tempDir()
        let long = "{\"text\":\"" + String(repeating: "x", count: 200) + "\"}\n"
        let f = dir.appendingPathComponent("in.jsonl")
        try ("{\"id\":\"1\",\"text\":\"a\"}\n" + long + "{\"id\":\"3\",\"text\":\"b\"}\n" + long + "{\"id\":\"5\",\"text\":\"c\"}\n")
            .write(to: f, atomically: true, encoding: .utf8)
        let stats = dir.appendingPathComponent("s.json").path
        let r = try CLI.run(["normalize", f.path, "--max-line-bytes", "100", "--stats", stats])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.map { CLI.json($0)["id"] as? String ?? "" } == ["1", "3", "5"])
        #expect(r.stderr.contains("\(f.path):2: line longer than 100 bytes"), "\(r.stderr)")
        #expect(r.stderr.contains("\(f.path):4: line longer than 100 bytes"), "\(r.stderr)")
        #expect((try Self.stats(stats)["rejected"] as? [String: Int])?["line_too_long"] == 2)
        #expect(try CLI.run(["normalize", f.path, "--max-line-bytes", "100", "--strict"]).status == 1)

        // plain text lines and paragraphs, and .json array elements
        let t = dir.appendingPathComponent("in.txt")
        try ("short\n" + String(repeating: "y", count: 150) + "\nshort again\n").write(to: t, atomically: true, encoding: .utf8)
        let txt = try CLI.run(["normalize", t.path, "--max-line-bytes", "100"])
        #expect(txt.lines.count == 2)
        #expect(txt.stderr.contains("\(t.path):2: line longer than 100 bytes"))
        let para = try CLI.run(["normalize", t.path, "--max-line-bytes", "100", "--txt-mode", "paragraph"])
        #expect(para.lines.map { CLI.json($0)["text"] as? String ?? "" } == ["short", "short again"], "\(para.out)")
        let j = dir.appendingPathComponent("in.json")
        try ("[{\"id\":\"1\",\"text\":\"a\"},\n" + long.dropLast() + ",\n{\"id\":\"3\",\"text\":\"b\"}]\n").write(to: j, atomically: true, encoding: .utf8)
        let arr = try CLI.run(["normalize", j.path, "--max-line-bytes", "100"])
        #expect(arr.lines.map { CLI.json($0)["id"] as? String ?? "" } == ["1", "3"])
        #expect(arr.stderr.contains("\(j.path):2: array element longer than 100 bytes"), "\(arr.stderr)")
    }

    @Test("a line rejected as too long is counted in records_in")
    func overLongLineIsCountedInRecordsIn() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("in.jsonl")
        // one over-long line that is complete in the first read, one that spans reads, one bad line
        try ("{\"text\":\"a\"}\n{\"text\":\"" + String(repeating: "x", count: 500) + "\"}\n{\"text\":\"b\"}\n" +
             "{\"text\":\"" + String(repeating: "z", count: 3_000_000) + "\"}\nnot json\n{\"text\":\"c\"}\n")
            .write(to: f, atomically: true, encoding: .utf8)
        let stats = dir.appendingPathComponent("s.json").path
        let r = try CLI.run(["normalize", f.path, "--max-line-bytes", "400", "--stats", stats])
        #expect(r.lines.count == 3)
        let s = try Self.stats(stats)
        #expect((s["rejected"] as? [String: Int])?["line_too_long"] == 2)
        #expect(s["records_in"] as? Int == 6)
        let out = s["records_out"] as? Int ?? -1, dropped = s["records_dropped"] as? Int ?? -1, rejected = s["records_rejected"] as? Int ?? -1
        #expect(s["records_in"] as? Int == out + dropped + rejected)
    }

    // MARK: 6

    @Test("elements of a .json array are written as clean JSON Lines, without the whitespace around them")
    func jsonArrayElementsAreCleanLines() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("in.json")
        let doc = "[\n\t{\"id\":\"a\",\"text\":\"one\"}\t ,\n\n" +
            "  {\n    \"id\": \"b\",\n    \"text\": \"two words\",\n    \"metadata\": {\n      \"tags\": [1,\n 2]\n    }\n  },\r\n" +
            "\t{\"text\":\"three\"}  \n\n]\n"
        try doc.write(to: f, atomically: true, encoding: .utf8)
        let r = try CLI.run(["normalize", f.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out == "{\"id\":\"a\",\"text\":\"one\"}\n" +
                "{\"id\":\"b\",\"text\":\"two words\",\"metadata\":{\"tags\":[1,2]}}\n" +
                "{\"text\":\"three\",\"id\":\"in.json:12\"}\n", "\(r.out)")
    }

    // MARK: 7

    @Test("valid JSON with numbers beyond 64 bits or double range is read, and the numbers are kept as written")
    func largeNumbersAreKept() throws {
        let lines = [
            "{\"id\":\"1\",\"text\":\"hello world\",\"n\":18446744073709551616}",
            "{\"id\":\"2\",\"text\":\"hello world\",\"x\":1e309,\"y\":-1E+400}",
            "{\"id\":123456789012345678901234567890,\"text\":\"hello world\",\"m\":[-123456789012345678901234567890.5e2]}",
            "{\"id\":\"4\",\"text\":\"he said \\\"18446744073709551616\\\"\",\"metadata\":{\"big\":99999999999999999999999}}",
        ]
        let input = Data((lines.joined(separator: "\n") + "\n{\"id\":\"bad\",\"text\":\"x\",\"n\":01}\n").utf8)
        let same = try CLI.run(["normalize", "-"], stdin: input)
        #expect(same.lines == lines, "\(same.stderr)")
        #expect(same.stderr.contains("-:5: invalid JSON"))
        // a stage that annotates reads the text and copies the numbers' bytes
        let tagged = try CLI.run(["langid", "-"], stdin: input)
        #expect(tagged.lines.count == 4, "\(tagged.stderr)")
        #expect(tagged.lines[0].hasPrefix("{\"id\":\"1\",\"text\":\"hello world\",\"n\":18446744073709551616,\"metadata\":{\"language\":"))
        #expect(tagged.lines[1].contains("\"x\":1e309,\"y\":-1E+400"))
        #expect(tagged.lines[2].hasPrefix("{\"id\":123456789012345678901234567890,"))
        #expect(tagged.lines[3].contains("\"metadata\":{\"big\":99999999999999999999999,\"language\":"))
    }

    // MARK: failures that show

    @Test("a directory walk lists the files it does not read in a warning and counts them in the stats")
    func unreadFilesAreReportedAndCounted() throws {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Self.records(2, prefix: "a").write(to: input.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        try "a,b\n".write(to: input.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        try "notes".write(to: input.appendingPathComponent("sub/README"), atomically: true, encoding: .utf8)
        let stats = dir.appendingPathComponent("s.json").path
        let r = try CLI.run(["normalize", input.path, "--stats", stats])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.count == 2)
        #expect(r.stderr.contains("warning: \(input.path): 2 files not read, the extension is not an input format: \(input.path)/data.csv, \(input.path)/sub/README"), "\(r.stderr)")
        let s = try Self.stats(stats)
        #expect(s["files_skipped"] as? Int == 2)
        #expect((s["counters"] as? [String: Int])?["skipped_unknown_extension"] == 2)
    }

    @Test("a run that reads no records exits 2 with no records read")
    func noRecordsReadIsFatal() throws {
        let dir = try CLI.tempDir()
        let empty = dir.appendingPathComponent("empty.jsonl")
        try Data().write(to: empty)
        let out = dir.appendingPathComponent("out.jsonl").path
        let r = try CLI.run(["normalize", empty.path, "-o", out, "--stats", dir.appendingPathComponent("s.json").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(empty.path): empty file"))
        #expect(r.stderr.contains("error: no records read: 1 input file (\(empty.path)) holds none"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("s.json").path))
        // --strict stops at the empty file first: exit 1
        #expect(try CLI.run(["normalize", empty.path, "--strict"]).status == 1)
        // blank lines only, empty stdin, a directory with no input files
        #expect(try CLI.run(["normalize", "-"], stdin: Data("\n  \n".utf8)).status == 2)
        #expect(try CLI.run(["filter", "-"], stdin: Data()).status == 2)
        let none = dir.appendingPathComponent("none")
        try FileManager.default.createDirectory(at: none, withIntermediateDirectories: true)
        try "x".write(to: none.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        let d = try CLI.run(["langid", none.path])
        #expect(d.status == 2)
        #expect(d.stderr.contains("error: no records read: no input files found"), "\(d.stderr)")
        // a record that a stage drops was read: not an error
        #expect(try CLI.run(["langid", "-", "--keep", "zh"], stdin: Data("{\"text\":\"an English sentence\"}\n".utf8)).status == 0)
    }

    @Test("tokenize and llmdata run that read no records exit 2: no shard set, no run.json")
    func noRecordsReadIsFatalForTokenizeAndRun() throws {
        let dir = try CLI.tempDir()
        let corpus = dir.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try "\n\n".write(to: corpus.appendingPathComponent("blank.jsonl"), atomically: true, encoding: .utf8)
        let shards = dir.appendingPathComponent("shards")
        let t = try CLI.run(["tokenize", corpus.path, "--tiktoken", RunTests.gpt2, "--pattern", "gpt2", "-o", shards.path])
        #expect(t.status == 2)
        #expect(t.stderr.contains("error: no records read: 1 input file"), "\(t.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shards.appendingPathComponent("manifest.json").path))
        let recipe = try RunTests.writeRecipe(dir, "inputs: [corpus]\nstages:\n  - normalize:\n")
        let r = try CLI.run(["run", recipe, "-o", dir.appendingPathComponent("out").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: no records read: 1 input file"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/run.json").path))
        // a record that a stage drops was read: the run completes
        try "{\"text\":\"x\"}\n".write(to: corpus.appendingPathComponent("one.jsonl"), atomically: true, encoding: .utf8)
        let recipe2 = try RunTests.writeRecipe(dir, "inputs: [corpus]\nstages:\n  - langid: {keep: [zh]}\n", name: "r2.yaml")
        #expect(try CLI.run(["run", recipe2, "-o", dir.appendingPathComponent("out2").path, "--quiet"]).status == 0)
    }

    @Test("--rejected is always valid JSON Lines: an unreadable line becomes a record that holds it, with file, line and reason")
    func rejectedIsValidJSONLines() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("in.jsonl")
        var data = try JSONSerialization.data(withJSONObject: ["id": "ok", "text": FilterTests.good])
        data.append(Data("\nnot json {\n[1, 2]\n".utf8))
        data.append(Data([0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0x61, 0xFF, 0x62, 0x22, 0x7D, 0x0A]))
        data.append(Data("{\"id\":\"d\",\"text\":\"hi\"}\n{\"body\":\"no text\"}\n".utf8))
        try data.write(to: f)
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["filter", f.path, "--rejected", rej])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: rej, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        let objs = lines.map(CLI.json)
        for (l, o) in zip(lines, objs) { #expect(!o.isEmpty, "not a JSON object: \(l)") }
        #expect(lines[0] == "{\"text\":\"not json {\",\"reason\":\"invalid_json\",\"file\":\"\(f.path)\",\"line\":2}")
        #expect(lines[1] == "{\"text\":\"[1, 2]\",\"reason\":\"not_an_object\",\"file\":\"\(f.path)\",\"line\":3}")
        #expect(objs[2]["text"] as? String == "{\"text\":\"a\u{FFFD}b\"}")
        #expect(objs[2]["reason"] as? String == "invalid_utf8")
        #expect(objs[2]["raw_base64"] as? String == Data([0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0x61, 0xFF, 0x62, 0x22, 0x7D]).base64EncodedString())
        // a record the stage dropped keeps its own shape, with the reason in its metadata
        #expect(objs[3]["id"] as? String == "d")
        #expect((objs[3]["metadata"] as? [String: Any])?["filter_reason"] is String)
        #expect(lines[4] == "{\"text\":\"{\\\"body\\\":\\\"no text\\\"}\",\"reason\":\"missing_text\",\"file\":\"\(f.path)\",\"line\":6}")
        // the rejected file is itself read as records: `sample --reason` finds the unreadable lines
        let s = try CLI.run(["sample", rej, "--reason", "invalid_json"])
        #expect(s.lines.count == 1, "\(s.stderr)")
        #expect(s.lines.first.map(CLI.json)?["line"] as? Int == 2)
    }
}
