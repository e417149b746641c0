import Foundation
import Testing

@Suite("llmdata langid (CLI)")
struct LangIDCLITests {
    static let input = """
    {"text":"The weather is lovely today and we are going to the park.","id":"a"}
    {"text":"今天天气很好，我们去公园散步吧。","id":"b"}
    {"text":"Aujourd'hui il fait beau et nous allons au parc.","id":"c"}
    {"text":"12345 !!! 😀","id":"d"}
    {"text":"Сегодня хорошая погода, и мы идём в парк.","id":"e","metadata":{"source":"x"}}

    """

    @Test("writes language and score, keeps and drops by --keep with reasons in --rejected")
    func keepAndReject() throws {
        let dir = try CLI.tempDir()
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["langid", "--keep", "en,zh", "--top-k", "2", "--rejected", rej, "--jobs", "1"], stdin: Data(Self.input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let out = r.lines.map(CLI.json)
        #expect(out.map { $0["id"] as? String } == ["a", "b"])
        let md = out.map { $0["metadata"] as? [String: Any] ?? [:] }
        #expect(md.map { $0["language"] as? String } == ["en", "zh"])
        for m in md {
            #expect((m["language_score"] as? Double ?? 0) > 0.65)
            #expect((m["language_top"] as? [[String: Any]])?.count == 2)
        }
        let rejected = try String(contentsOfFile: rej, encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        #expect(rejected.map { $0["id"] as? String } == ["c", "d", "e"])
        let rmd = rejected.map { $0["metadata"] as? [String: Any] ?? [:] }
        #expect(rmd.map { $0["language"] as? String } == ["fr", "und", "ru"])
        #expect(rmd.allSatisfy { ($0["langid_reason"] as? String)?.contains("not in --keep") == true })
        #expect(rmd[2]["source"] as? String == "x")
    }

    @Test("--min-score / --drop-low-score drop low-confidence and und records; by default and with --min-score 0 all are kept")
    func minScore() throws {
        let tagged = try CLI.run(["langid", "--jobs", "1"], stdin: Data(Self.input.utf8))
        #expect(tagged.lines.count == 5)
        let r = try CLI.run(["langid", "--jobs", "1", "--drop-low-score"], stdin: Data(Self.input.utf8))
        #expect(r.status == 0)
        #expect(!r.lines.map(CLI.json).contains { $0["id"] as? String == "d" })
        let r2 = try CLI.run(["langid", "--min-score", "0.65"], stdin: Data(Self.input.utf8))
        #expect(r2.out == r.out)
        let all = try CLI.run(["langid", "--min-score", "0"], stdin: Data(Self.input.utf8))
        #expect(all.lines.count == 5)
        let strictR = try CLI.run(["langid", "--min-score", "1"], stdin: Data(Self.input.utf8))
        #expect(strictR.lines.count < 5)
    }

    @Test("output is byte-identical for --jobs 1 and --jobs 3")
    func deterministicJobs() throws {
        let f = CLI.fixture("langid/dev-sample.jsonl")
        let a = try CLI.run(["langid", "--jobs", "1", "--min-score", "0", "--top-k", "3", "--batch-bytes", "4096", f])
        let b = try CLI.run(["langid", "--jobs", "3", "--min-score", "0", "--top-k", "3", "--batch-bytes", "4096", f])
        #expect(a.status == 0)
        #expect(a.lines.count == 1200)
        #expect(a.stdout == b.stdout)
    }

    @Test("bad input: malformed line reported as file:line and written to --rejected; --strict exits 1")
    func badInput() throws {
        let dir = try CLI.tempDir()
        let inp = dir.appendingPathComponent("in.jsonl")
        try "{\"text\":\"Hello there, how are you doing today?\"}\n{not json\n{\"text\":42}\n".write(to: inp, atomically: true, encoding: .utf8)
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["langid", "--rejected", rej, inp.path])
        #expect(r.status == 0)
        #expect(r.lines.count == 1)
        #expect(r.stderr.contains("in.jsonl:2:"))
        #expect(r.stderr.contains("in.jsonl:3:"))
        let rejected = try String(contentsOfFile: rej, encoding: .utf8)
        #expect(rejected.contains("{not json"))
        let s = try CLI.run(["langid", "--strict", inp.path])
        #expect(s.status == 1)
    }

    @Test("unknown --keep language, bad --min-score and a bad model file are usage errors")
    func usageErrors() throws {
        let a = try CLI.run(["langid", "--keep", "xx"], stdin: Data())
        #expect(a.status == 2)
        #expect(a.stderr.contains("xx"))
        let b = try CLI.run(["langid", "--min-score", "1.5"], stdin: Data())
        #expect(b.status == 2)
        let dir = try CLI.tempDir()
        let bad = dir.appendingPathComponent("bad.model")
        try Data("garbage".utf8).write(to: bad)
        let c = try CLI.run(["langid", "--model", bad.path], stdin: Data(Self.input.utf8))
        #expect(c.status == 2)
        #expect(c.stderr.contains("not a langid model"))
    }

    @Test("langid train writes a loadable model that tags the sample")
    func trainCommand() throws {
        let dir = try CLI.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("train"), withIntermediateDirectories: true)
        try "Hello world, this is English text.\nAnother English sentence here.\n".write(to: dir.appendingPathComponent("train/en.txt"), atomically: true, encoding: .utf8)
        try "Bonjour le monde, ceci est un texte français.\nUne autre phrase en français.\n".write(to: dir.appendingPathComponent("train/fr.txt"), atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.model").path
        let t = try CLI.run(["langid", "train", "--data", dir.path, "-o", model, "--bucket-bits", "12"])
        #expect(t.status == 0, "\(t.stderr)")
        let r = try CLI.run(["langid", "--model", model, "--min-score", "0"], stdin: Data("{\"text\":\"ceci est un autre texte en français\"}\n".utf8))
        #expect(CLI.json(r.lines.first ?? "")["metadata"].flatMap { ($0 as? [String: Any])?["language"] as? String } == "fr")
        let bad = try CLI.run(["langid", "train", "--data", dir.appendingPathComponent("nope").path, "-o", model])
        #expect(bad.status != 0)
    }
}
