import Foundation
import Testing

/// The bad-input suite of docs/protocol.md: every case is reported as `file:line: reason`,
/// skipped, counted in --stats, kept in --rejected (a JSON object holding the line), and fatal
/// under --strict.
@Suite("bad input")
struct BadInputTests {
    struct Case {
        var name: String
        var line: Data
        var reason: String
        var message: String
    }

    static let good = Data("{\"id\":\"ok\",\"text\":\"fine\"}\n".utf8)

    static let cases: [Case] = [
        Case(name: "malformed JSON", line: Data("{\"text\": \"unterminated}\n".utf8), reason: "invalid_json", message: "invalid JSON"),
        Case(name: "a line that is not an object", line: Data("[1, 2, 3]\n".utf8), reason: "not_an_object", message: "not an object"),
        Case(name: "missing text", line: Data("{\"id\": \"x\", \"body\": \"y\"}\n".utf8), reason: "missing_text", message: "missing text field"),
        Case(name: "text that is not a string", line: Data("{\"text\": 42}\n".utf8), reason: "text_not_string", message: "not a string"),
        Case(name: "invalid UTF-8", line: Data([0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0x61, 0xFF, 0x62, 0x22, 0x7D, 0x0A]), reason: "invalid_utf8", message: "invalid UTF-8"),
        Case(name: "a lone surrogate escape", line: Data("{\"text\": \"a\\ud800b\"}\n".utf8), reason: "lone_surrogate", message: "lone surrogate"),
    ]

    @Test("each bad record is reported with file and line, counted, kept in --rejected with its reason, and the good ones pass", arguments: cases.map(\.name))
    func badRecordIsReportedAndKept(name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in.jsonl")
        var data = Self.good
        data.append(c.line)
        data.append(Self.good)
        try data.write(to: input)
        let rejected = dir.appendingPathComponent("rejected.jsonl").path
        let stats = dir.appendingPathComponent("stats.json").path
        let r = try CLI.run(["normalize", input.path, "--rejected", rejected, "--stats", stats])
        #expect(r.status == 0)
        #expect(r.lines.count == 2)
        #expect(r.stderr.contains("\(input.path):2: "))
        #expect(r.stderr.contains(c.message))
        // the line, as a record that holds it (the exact bytes in raw_base64 when it is not UTF-8)
        let rej = try Data(contentsOf: URL(fileURLWithPath: rejected))
        let o = CLI.json(String(decoding: rej, as: UTF8.self))
        let line = c.line.dropLast()
        if let b64 = o["raw_base64"] as? String {
            #expect(Data(base64Encoded: b64) == line)
        } else {
            #expect((o["text"] as? String).map { Data($0.utf8) } == line)
        }
        #expect(o["reason"] as? String == c.reason)
        #expect(o["file"] as? String == input.path)
        #expect(o["line"] as? Int == 2)
        #expect(rej.last == 0x0A && !rej.dropLast().contains(0x0A))
        let s = CLI.json(try String(contentsOfFile: stats, encoding: .utf8))
        #expect((s["rejected"] as? [String: Int])?[c.reason] == 1)
        #expect(s["records_in"] as? Int == 3)
        #expect(s["records_out"] as? Int == 2)

        let strict = try CLI.run(["normalize", input.path, "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("error: \(input.path):2: "))
    }

    @Test("invalid UTF-8 and lone surrogates are repaired to U+FFFD with --repair-utf8")
    func repairUTF8() throws {
        var data = Data([0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0x61, 0xFF, 0x62, 0x22, 0x7D, 0x0A])
        data.append(Data("{\"text\": \"a\\ud800b\"}\n".utf8))
        let r = try CLI.run(["normalize", "--repair-utf8", "-"], stdin: data)
        #expect(r.status == 0)
        #expect(r.lines.count == 2)
        for l in r.lines { #expect(CLI.json(l)["text"] as? String == "a\u{FFFD}b") }
    }

    @Test("a truncated .zst is reported with file and line, the records before the cut survive, and --strict exits 1")
    func truncatedZstd() throws {
        let dir = try CLI.tempDir()
        var text = ""
        for i in 0..<5000 { text += "{\"id\":\"r\(i)\",\"text\":\"record number \(i) with some words to compress\"}\n" }
        let full = dir.appendingPathComponent("full.jsonl")
        try text.write(to: full, atomically: true, encoding: .utf8)
        // compress with our own writer, then cut the file in half
        let zst = dir.appendingPathComponent("full.jsonl.zst").path
        let w = try CLI.run(["normalize", full.path, "-o", zst, "--quiet"])
        #expect(w.status == 0)
        let z = try Data(contentsOf: URL(fileURLWithPath: zst))
        let cut = dir.appendingPathComponent("cut.jsonl.zst")
        try z.prefix(z.count / 2).write(to: cut)
        let r = try CLI.run(["normalize", cut.path, "--max-warnings", "5"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("\(cut.path):"))
        #expect(r.stderr.contains("truncated zstd stream"))
        let n = r.lines.count
        #expect(n > 100 && n < 5000)
        // every record that came out is complete and in order
        for (i, l) in r.lines.enumerated() { #expect(CLI.json(l)["id"] as? String == "r\(i)") }
        let strict = try CLI.run(["normalize", cut.path, "--strict"])
        #expect(strict.status == 1)
    }

    @Test("a truncated .gz is reported as truncated")
    func truncatedGzip() throws {
        let dir = try CLI.tempDir()
        var text = ""
        for i in 0..<3000 { text += "{\"text\":\"line \(i) of a gzip file\"}\n" }
        let src = dir.appendingPathComponent("a.jsonl")
        try text.write(to: src, atomically: true, encoding: .utf8)
        let gz = dir.appendingPathComponent("a.jsonl.gz").path
        #expect(try CLI.run(["normalize", src.path, "-o", gz, "--quiet"]).status == 0)
        let back = try CLI.run(["normalize", gz])
        #expect(back.lines.count == 3000)
        let z = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = dir.appendingPathComponent("cut.jsonl.gz")
        try z.prefix(z.count / 2).write(to: cut)
        let r = try CLI.run(["normalize", cut.path, "--max-warnings", "3"])
        #expect(r.stderr.contains("truncated gzip stream"))
    }

    @Test("an empty file is reported and counted, a run that reads nothing else exits 2, and --strict exits 1")
    func emptyFile() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("empty.jsonl")
        try Data().write(to: f)
        let stats = dir.appendingPathComponent("s.json").path
        let r = try CLI.run(["normalize", f.path, "--stats", stats])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(f.path): empty file"))
        let s = CLI.json(try String(contentsOfFile: stats, encoding: .utf8))
        #expect((s["rejected"] as? [String: Int])?["empty_file"] == 1)
        #expect(try CLI.run(["normalize", f.path, "--strict"]).status == 1)
    }

    @Test("empty lines are skipped and counted without an error")
    func emptyLines() throws {
        let r = try CLI.run(["normalize", "-", "--stats", "/dev/stderr"], stdin: Data("\n{\"text\":\"a\"}\n   \n\n{\"text\":\"b\"}\n".utf8))
        #expect(r.status == 0)
        #expect(r.lines.count == 2)
        #expect(r.stderr.contains("\"empty_lines\":3"))
        #expect(!r.stderr.contains("warning"))
    }

    @Test("CRLF line endings and a byte order mark are read transparently")
    func crlfAndBOM() throws {
        var d = Data([0xEF, 0xBB, 0xBF])
        d.append(Data("{\"id\":\"1\",\"text\":\"first\"}\r\n{\"id\":\"2\",\"text\":\"second\"}\r\n".utf8))
        let r = try CLI.run(["normalize", "-"], stdin: d)
        #expect(r.status == 0)
        #expect(r.lines == ["{\"id\":\"1\",\"text\":\"first\"}", "{\"id\":\"2\",\"text\":\"second\"}"])
        #expect(r.stderr.isEmpty)
    }

    @Test("a 50 MB line is processed whole")
    func hugeLine() throws {
        let word = "abcdefghi "
        let text = String(repeating: word, count: 5_000_000)
        var d = Data("{\"id\":\"big\",\"text\":\"".utf8)
        d.append(Data(text.utf8))
        d.append(Data("\"}\n{\"id\":\"after\",\"text\":\"x\"}\n".utf8))
        let r = try CLI.run(["normalize", "-"], stdin: d)
        #expect(r.status == 0)
        let lines = r.lines
        #expect(lines.count == 2)
        let first = CLI.json(lines[0])
        #expect((first["text"] as? String)?.utf8.count == text.utf8.count - 1)  // trailing space trimmed
        #expect(CLI.json(lines[1])["id"] as? String == "after")
    }

    @Test("a line over --max-line-bytes is skipped and reported, and the next line is read")
    func overLongLine() throws {
        var d = Data("{\"text\":\"".utf8)
        d.append(Data(String(repeating: "x", count: 3_000_000).utf8))
        d.append(Data("\"}\n{\"id\":\"next\",\"text\":\"y\"}\n".utf8))
        let r = try CLI.run(["normalize", "-", "--max-line-bytes", "1000000"], stdin: d)
        #expect(r.lines.count == 1)
        #expect(CLI.json(r.lines[0])["id"] as? String == "next")
        #expect(r.stderr.contains("-:1: line longer than 1000000 bytes"))
    }

    @Test("a missing input file and a bad flag are fatal with exit code 2")
    func fatalErrors() throws {
        let r = try CLI.run(["normalize", "/nonexistent/file.jsonl"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("llmdata normalize: error: /nonexistent/file.jsonl: no such file or directory"))
        let f = try CLI.run(["normalize", "--form", "nfx"])
        #expect(f.status == 2)
    }
}
