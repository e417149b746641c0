import Foundation
import Testing

/// Parquet input (docs/parquet.md): rows become records, ids as for JSON Lines, errors name the
/// file. Fixtures: fixtures/parquet/, written by scripts/gen-parquet-fixtures.py. The comparison
/// with pyarrow over every writer option is scripts/check.d/45-parquet.sh.
@Suite("Parquet input")
struct ParquetTests {
    static let passthrough = ["normalize", "--form", "none", "--no-clean", "--quiet"]
    static let articles = CLI.fixture("parquet/articles.parquet")

    /// A Python with pyarrow (the checks' venv, set up by `make test`), or nil.
    static let pyarrowPython: String? = {
        let py = CLI.repoRoot.appendingPathComponent(".data/venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: py) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = ["-c", "import pyarrow"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? py : nil
    }()

    @Test("--text-field picks the Parquet column that holds the text, and the stage works on it")
    func textFieldSelection() throws {
        let r = try CLI.run(["normalize", "--text-field", "content", Self.articles])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.count == 5)
        let second = CLI.json(r.lines[1])
        #expect(second["content"] as? String == "FULL width")  // NFKC applied to the content column
        #expect(second["title"] as? String == "Second")
        // the default field `text` is not there: every row is rejected as missing it
        let stats = try CLI.tempDir().appendingPathComponent("s.json").path
        let d = try CLI.run(["normalize", Self.articles, "--stats", stats])
        #expect(d.status == 0)
        #expect(d.lines.isEmpty)
        let s = CLI.json(try String(contentsOfFile: stats, encoding: .utf8))
        #expect((s["rejected"] as? [String: Int])?["missing_text"] == 5)
    }

    @Test("rows without an id column get the ids JSON Lines records get: RELPATH:ROW, across row groups")
    func idsLikeJSONL() throws {
        let r = try CLI.run(Self.passthrough + ["--text-field", "content", Self.articles])
        #expect(r.status == 0, "\(r.stderr)")
        let ids = r.lines.map { CLI.json($0)["id"] as? String }
        #expect(ids == (1...5).map { "articles.parquet:\($0)" })
        #expect(r.lines.first == #"{"title":"First","content":"Hello, world.","n":1,"id":"articles.parquet:1"}"#)

        // under a directory: the path relative to it, as for .jsonl
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.articles, toPath: dir.appendingPathComponent("sub/a.parquet").path)
        let d = try CLI.run(Self.passthrough + ["--text-field", "content", dir.path])
        #expect(d.lines.map { CLI.json($0)["id"] as? String } == (1...5).map { "sub/a.parquet:\($0)" })

        // an id column is kept as it is
        let w = try CLI.run(Self.passthrough + [CLI.fixture("parquet/with-id.parquet")])
        #expect(w.lines == [#"{"id":"doc-a","text":"alpha"}"#, #"{"id":"doc-b","text":"beta"}"#, #"{"id":"doc-c","text":"gamma"}"#])
    }

    @Test("nested columns become arrays, objects and nulls, binary becomes base64, fields in schema order")
    func nestedColumns() throws {
        let r = try CLI.run(Self.passthrough + [CLI.fixture("parquet/nested.parquet")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == [
            #"{"text":"one","tags":["a","b"],"meta":{"a":1,"b":"x"},"pairs":[{"a":1,"b":null}],"grid":[[1,2],null,[]],"score":0.5,"ratio":0.1,"flag":true,"blob":"AAEC","id":"nested.parquet:1"}"#,
            #"{"text":"two","tags":[],"meta":null,"pairs":null,"grid":[],"score":null,"ratio":null,"flag":null,"blob":null,"id":"nested.parquet:2"}"#,
            #"{"text":"three","tags":null,"meta":{"a":null,"b":"z"},"pairs":[null,{"a":2,"b":"q"}],"grid":[[null]],"score":1e-07,"ratio":-2.5,"flag":false,"blob":"aGk=","id":"nested.parquet:3"}"#,
        ])
    }

    @Test("a truncated Parquet file is an error naming the file, exit 2")
    func truncatedFile() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.articles))
        let cut = dir.appendingPathComponent("cut.parquet")
        try data.prefix(data.count / 2).write(to: cut)
        let r = try CLI.run(Self.passthrough + ["--text-field", "content", cut.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: \(cut.path): "))
        #expect(r.stderr.contains("truncated"))
        #expect(r.lines.isEmpty)
    }

    @Test("a file named .parquet that is not Parquet is an error naming the file, exit 2")
    func notParquet() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = dir.appendingPathComponent("fake.parquet")
        try Data("{\"text\": \"a JSON line\"}\n".utf8).write(to: fake)
        let r = try CLI.run(Self.passthrough + [fake.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: \(fake.path): not a Parquet file"))
    }

    @Test("Parquet is recognised by its magic bytes on stdin (ids stdin:ROW) and in a file without the extension")
    func magicBytes() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.articles))
        let r = try CLI.run(Self.passthrough + ["--text-field", "content"], stdin: data, pauseAfter: 2)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.map { CLI.json($0)["id"] as? String } == (1...5).map { "stdin:\($0)" })

        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bare = dir.appendingPathComponent("export.bin")
        try data.write(to: bare)
        let b = try CLI.run(Self.passthrough + ["--text-field", "content", bare.path])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.lines.count == 5)
        #expect(CLI.json(b.lines[4])["id"] as? String == "export.bin:5")
    }

    @Test("directory mode mirrors a .parquet input as NAME.jsonl (.jsonl.zst by default) with the same records")
    func directoryMode() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.articles, toPath: input.appendingPathComponent("articles.parquet").path)
        let out = dir.appendingPathComponent("out").path + "/"
        let r = try CLI.run(Self.passthrough + ["--text-field", "content", input.path, "-o", out, "--compression", "none"])
        #expect(r.status == 0, "\(r.stderr)")
        let written = try String(contentsOfFile: out + "articles.jsonl", encoding: .utf8)
        let direct = try CLI.run(Self.passthrough + ["--text-field", "content", Self.articles])
        #expect(written == direct.out)
    }

    @Test("a 200 MB Parquet file in one row group is read with peak memory far below its size",
          .enabled(if: ParquetTests.pyarrowPython != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/time")))
    func boundedMemory() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("big.parquet").path
        // 204,800 rows of ~1 KiB of incompressible text, uncompressed, all in one row group
        let script = """
            import base64, os, sys, pyarrow as pa, pyarrow.parquet as pq
            n = 200 * 1024
            t = pa.table({"text": pa.array([base64.b64encode(os.urandom(760)).decode() for _ in range(n)]), "n": pa.array(range(n), pa.int64())})
            pq.write_table(t, sys.argv[1], compression="none", row_group_size=n)
            """
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: ParquetTests.pyarrowPython!)
        gen.arguments = ["-c", script, path]
        try gen.run()
        gen.waitUntilExit()
        try #require(gen.terminationStatus == 0)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(size > 200_000_000)

        let rss = dir.appendingPathComponent("rss").path
        let stats = dir.appendingPathComponent("stats.json").path
        let t = Process()
        t.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        t.arguments = ["-f", "%M", "-o", rss, CLI.binary] + Self.passthrough + [path, "-o", "/dev/null", "--stats", stats]
        try t.run()
        t.waitUntilExit()
        #expect(t.terminationStatus == 0)
        let s = CLI.json(try String(contentsOfFile: stats, encoding: .utf8))
        #expect(s["records_out"] as? Int == 200 * 1024)
        let peakKB = Int(try String(contentsOfFile: rss, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "") ?? .max
        // measured: ~40 MB (docs/parquet.md); the file is 211 MB
        #expect(peakKB < 100_000, "peak RSS \(peakKB) KB for a \(size)-byte file")
    }
}
