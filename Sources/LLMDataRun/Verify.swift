import Foundation
import LLMDataCore

/// `llmdata run --verify RUNDIR`: every input and output run.json lists still has its size and
/// SHA-256, and records/, shards/, rejected/ and stats/ hold nothing it does not list.
public enum RunVerifier {
    public static func verify(runDir: String, quiet: Bool) -> ExitCode {
        let runJSON = (runDir as NSString).appendingPathComponent("run.json")
        guard let run = parseJSONFile(runJSON) else {
            let state = (runDir as NSString).appendingPathComponent(".state/state.json")
            let unfinished = FileManager.default.fileExists(atPath: state)
            Diagnostics.error(stage: "run", "\(runJSON): " + (unfinished ? "the run has not finished" : "missing or not JSON"),
                              hint: unfinished ? "rerun the same llmdata run command to finish it" : "--verify takes a directory written by llmdata run")
            return .fatal
        }
        var problems: [String] = []
        var checked = 0
        func check(_ list: Any?, base: String?, what: String) {
            for item in (list as? [Any]) ?? [] {
                guard let want = FileDigest(item) else {
                    problems.append("\(runJSON): an entry of \(what) is not {path, bytes, sha256}")
                    continue
                }
                let full = base.map { ($0 as NSString).appendingPathComponent(want.path) } ?? want.path
                checked += 1
                var st = stat()
                guard stat(full, &st) == 0 else {
                    problems.append("\(full): missing (\(what))")
                    continue
                }
                guard let got = try? FileDigest.of(full, as: want.path) else {
                    problems.append("\(full): cannot read (\(what))")
                    continue
                }
                if got.bytes != want.bytes {
                    problems.append("\(full): \(got.bytes) bytes, run.json says \(want.bytes) (\(what))")
                } else if got.sha256 != want.sha256 {
                    problems.append("\(full): SHA-256 differs from run.json (\(what)): \(got.sha256.prefix(12))… instead of \(want.sha256.prefix(12))…")
                }
            }
        }
        check(run["inputs"], base: nil, what: "input")
        check(run["resources"], base: nil, what: "resource")
        check(run["outputs"], base: runDir, what: "output")
        // files the run did not write
        let listed = Set(((run["outputs"] as? [Any]) ?? []).compactMap { FileDigest($0)?.path })
        let fm = FileManager.default
        for d in ["records", "shards", "rejected", "stats", "samples"] {
            let dir = (runDir as NSString).appendingPathComponent(d)
            for f in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() where !listed.contains("\(d)/\(f)") {
                problems.append("\(dir)/\(f): not an output of the run (run.json does not list it)")
            }
        }
        for p in problems { Diagnostics.write("llmdata run: error: \(p)\n") }
        if !quiet || !problems.isEmpty {
            print("\(runDir): \(checked) files checked: " + (problems.isEmpty ? "ok" : "\(problems.count) problem(s)"))
        }
        return problems.isEmpty ? .success : .strictViolation
    }
}
