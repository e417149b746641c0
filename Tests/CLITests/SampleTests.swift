import Foundation
import Testing

@Suite("sample")
struct SampleTests {
    @Test("sample picks the same records for any --jobs and batch size, prints them in input order, and another seed picks others")
    func deterministic() throws {
        let input = CLI.fixture("sample")
        let a = try CLI.run(["sample", input, "-n", "7", "--seed", "3", "--jobs", "1", "--quiet"])
        let b = try CLI.run(["sample", input, "-n", "7", "--seed", "3", "--jobs", "3", "--batch-bytes", "2048", "--quiet"])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.lines.count == 7)
        #expect(a.out == b.out)
        // input order: the ids' positions in the input increase
        let all = try CLI.run(["normalize", "--form", "none", "--no-clean", input, "--quiet"]).lines.map { CLI.json($0)["id"] as! String }
        let positions = a.lines.map { all.firstIndex(of: CLI.json($0)["id"] as! String)! }
        #expect(positions == positions.sorted())
        let c = try CLI.run(["sample", input, "-n", "7", "--seed", "4", "--quiet"])
        #expect(c.out != a.out)
        // asking for more than there are gives all of them
        let many = try CLI.run(["sample", CLI.fixture("sample/zh-web.jsonl"), "-n", "100", "--quiet"])
        #expect(many.lines.count == 5)
    }

    @Test("sample --reason takes only records dropped for that reason or rule set, from a run's rejected records, and a reason nothing was dropped for exits 1")
    func byReason() throws {
        let dir = try CLI.tempDir()
        let run = dir.appendingPathComponent("run")
        let r = try CLI.run(["run", CLI.fixture("recipe.yaml"), "-o", run.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rejected = run.appendingPathComponent("rejected").path
        let q = try CLI.run(["sample", rejected, "-n", "4", "--reason", "gopher_quality", "--quiet"])
        #expect(q.status == 0)
        #expect(q.lines.count == 4)
        for l in q.lines {
            let reason = (CLI.json(l)["metadata"] as? [String: Any])?["filter_reason"] as? String ?? ""
            #expect(reason.hasPrefix("gopher_quality:"), "\(l.prefix(200))")
        }
        let lang = try CLI.run(["sample", rejected, "-n", "3", "--reason", "langid:not_kept", "--quiet"])
        #expect(lang.lines.count == 3)
        for l in lang.lines {
            let m = CLI.json(l)["metadata"] as? [String: Any]
            #expect((m?["langid_reason"] as? String)?.contains("not in --keep") == true)
        }
        // a run's samples/ files name their reason in each line
        let s = try CLI.run(["sample", run.appendingPathComponent("samples").path, "-n", "50", "--reason", "langid", "--quiet"])
        #expect(!s.lines.isEmpty)
        #expect(s.lines.allSatisfy { (CLI.json($0)["reason"] as? String)?.hasPrefix("langid:") == true })
        let none = try CLI.run(["sample", rejected, "--reason", "no_such_rule"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("no record was dropped for no_such_rule"))
    }
}
