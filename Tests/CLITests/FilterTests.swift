import Foundation
import Testing

@Suite("filter")
struct FilterTests {
    func run(_ texts: [String], _ extra: [String] = []) throws -> (CLI.Result, String) {
        let dir = try CLI.tempDir()
        let input = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }.joined(separator: "\n") + "\n"
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["filter", "-", "--rejected", rej] + extra, stdin: Data(input.utf8))
        return (r, (try? String(contentsOfFile: rej, encoding: .utf8)) ?? "")
    }

    static let good = "The quick brown fox jumps over the lazy dog, and that is what the story is about. " +
        "It is a tale of speed and patience with a simple moral that anyone can understand. " +
        "Many readers have enjoyed it over the years, and it remains popular with children and adults alike. " +
        "The fox is clever and the dog is calm, which makes for a pleasant contrast in the narrative."

    @Test("a well-formed English paragraph passes both rule sets")
    func keepsGoodText() throws {
        let (r, rej) = try run([Self.good])
        #expect(r.status == 0)
        #expect(r.lines.count == 1)
        #expect(rej.isEmpty)
    }

    @Test("short, symbol-heavy, stop-word-free and repetitive texts are dropped with rule:check reasons in --rejected")
    func dropsWithReasons() throws {
        let cases: [(String, String)] = [
            ("Too short to keep.", "gopher_quality:gopher_short_doc"),
            (String(repeating: "#tag #more #hash words here ", count: 20), "gopher_quality:gopher_too_many_hashes"),
            (String(repeating: "alpha beta gamma delta epsilon zeta eta theta iota kappa ", count: 8), "gopher_quality:gopher_enough_stop_words"),
            (String(repeating: "the same line is repeated here and that is with a lot of words\n", count: 30), "gopher_repetition:dup_line_frac"),
        ]
        let (r, rej) = try run(cases.map(\.0))
        #expect(r.lines.isEmpty)
        let reasons = rej.split(separator: "\n").map { (CLI.json(String($0))["metadata"] as? [String: Any])?["filter_reason"] as? String }
        #expect(reasons == cases.map(\.1))
    }

    @Test("--annotate keeps every record and records the failed checks; --config and flags change thresholds")
    func annotateAndConfig() throws {
        let (r, _) = try run(["Too short to keep.", Self.good], ["--annotate"])
        #expect(r.lines.count == 2)
        let q = (CLI.json(r.lines[0])["metadata"] as? [String: Any])?["quality"] as? [String: Any]
        #expect((q?["failed"] as? [String: Any])?["gopher_quality"] as? String == "gopher_short_doc")
        let (r2, _) = try run(["Too short to keep but now it is fine with the rules."], ["--min-doc-words", "3", "--rules", "gopher_quality"])
        #expect(r2.lines.count == 1)
    }

    @Test("the scraped Chinese articles are judged by English word rules: the quality rules drop them as too short (documented)")
    func chineseSeeds() throws {
        let r = try CLI.run(["filter", CLI.fixture("sample/zh-web.jsonl"), "--annotate"])
        #expect(r.status == 0)
        for l in r.lines {
            let q = (CLI.json(l)["metadata"] as? [String: Any])?["quality"] as? [String: Any]
            #expect((q?["failed"] as? [String: Any])?["gopher_quality"] != nil)
        }
    }

    @Test("bad records reach filter's caller as file:line warnings, go verbatim to --rejected, and --strict exits 1")
    func badInput() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("in.jsonl")
        let good = String(decoding: try JSONSerialization.data(withJSONObject: ["text": Self.good]), as: UTF8.self)
        try (good + "\n{\"text\": 7}\nnot json\n").write(to: f, atomically: true, encoding: .utf8)
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["filter", f.path, "--rejected", rej])
        #expect(r.status == 0)
        #expect(r.lines.count == 1)
        #expect(r.stderr.contains("\(f.path):2: the text field is not a string"))
        #expect(r.stderr.contains("\(f.path):3: invalid JSON"))
        #expect(try String(contentsOfFile: rej, encoding: .utf8) == "{\"text\": 7}\nnot json\n")
        #expect(try CLI.run(["filter", f.path, "--strict"]).status == 1)
    }
}
