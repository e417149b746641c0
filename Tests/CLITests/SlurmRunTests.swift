import Foundation
import Testing

/// `llmdata run --executor slurm`: every split step's tasks together equal one process, on the
/// test cluster (`make test` starts it; LLMDATA_SLURM_CONF) and with the sbatch scripts run by
/// hand as Slurm would; failures, resubmission, the lock and the dry run.
@Suite("run --executor slurm")
struct SlurmRunTests {
    static let conf = ProcessInfo.processInfo.environment["LLMDATA_SLURM_CONF"]
    static var slurmEnv: [String: String] { ["SLURM_CONF": conf ?? ""] }

    /// Every kind of step: exact dedup (a barrier under Slurm), MinHash (signatures, bands,
    /// clusters), lines (decide), and token shards gathered from the tasks.
    static let allSteps = """
        stages:
          - normalize: {strip-urls: true, keep-fullwidth-punct: true}
          - langid: {keep: [en, zh]}
          - filter: {rules: [gopher_quality, gopher_repetition, c4, fineweb], spam-lines: true}
          - dedup: {mode: exact}
          - dedup: {mode: minhash}
          - dedup: {mode: lines}
          - tokenize: {tiktoken: \(RunTests.gpt2), pattern: gpt2, ids: true}
        """

    /// A corpus of several files (so tasks get different shares) and a recipe over it.
    static func setUp(_ stages: String = allSteps) throws -> (top: URL, recipe: String) {
        let corpus = try RunTests.corpus()
        let top = corpus.deletingLastPathComponent()
        // more files than tasks, some of them small
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n")
        for k in 0..<3 {
            // later records of en.jsonl under other ids: more copies across files
            let part = en[(60 + k * 20)..<(80 + k * 20)].map { $0.replacingOccurrences(of: "\"id\": \"en-", with: "\"id\": \"part\(k)-") }
            try (part.joined(separator: "\n") + "\n").write(to: corpus.appendingPathComponent("y-part-\(k).jsonl"), atomically: true, encoding: .utf8)
        }
        return (top, try RunTests.writeRecipe(top, "inputs: [corpus]\n" + stages))
    }

    /// What must be equal between two run directories: the records byte for byte, the token
    /// shards and manifest, the rejected records, the samples, and every stage's counts.
    static func expectSameResult(_ a: URL, _ b: URL) throws {
        for sub in ["records", "shards", "rejected", "samples"] {
            let x = try RunTests.tree(a.appendingPathComponent(sub)), y = try RunTests.tree(b.appendingPathComponent(sub))
            #expect(x.keys.sorted() == y.keys.sorted(), "\(sub): \(x.keys.sorted()) vs \(y.keys.sorted())")
            for (k, v) in x where y[k] != v { Issue.record("\(sub)/\(k) differs") }
        }
        #expect(try RunTests.documentIDs(a.appendingPathComponent("shards")) == RunTests.documentIDs(b.appendingPathComponent("shards")))
        let sa = try RunTests.statsWithoutTime(a), sb = try RunTests.statsWithoutTime(b)
        #expect(sa.keys.sorted() == sb.keys.sorted())
        for (k, v) in sa {
            for f in ["records_in", "records_out", "records_dropped", "records_rejected"] {
                #expect((v[f] as? NSNumber) == (sb[k]?[f] as? NSNumber), "\(k) \(f)")
            }
            #expect(NSDictionary(dictionary: v["dropped"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: sb[k]?["dropped"] as? [String: Any] ?? [:]), "\(k) dropped")
        }
    }

    /// Runs every step's sbatch script as Slurm would (SLURM_ARRAY_TASK_ID per task, steps in order).
    static func runScriptsByHand(_ rundir: URL) throws {
        let dir = rundir.appendingPathComponent("slurm")
        for s in try FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".sbatch") }).sorted() {
            let text = try String(contentsOf: dir.appendingPathComponent(s), encoding: .utf8)
            // "# llmdata run --executor slurm: step 2 of 6, pass1-bands, 3 task(s)."
            let tasks = Int(text.components(separatedBy: " task(s).")[0].split(separator: " ").last ?? "") ?? 0
            #expect(tasks >= 1, "\(s)")
            for i in 0..<tasks {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/bash")
                p.arguments = [dir.appendingPathComponent(s).path]
                p.environment = ProcessInfo.processInfo.environment.merging(["SLURM_ARRAY_TASK_ID": "\(i)", "SLURM_CPUS_PER_TASK": "1"]) { $1 }
                p.standardOutput = FileHandle.nullDevice
                let err = Pipe()
                p.standardError = err
                try p.run()
                let e = err.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                try #require(p.terminationStatus == 0, "\(s) task \(i): \(String(decoding: e, as: UTF8.self))")
            }
        }
    }

    @Test("the tasks of every split step together equal one process, for 1, 2, 3 and 7 tasks (scripts run by hand)",
          arguments: [1, 2, 3, 7])
    func tasksEqualOneProcess(tasks: Int) throws {
        let (top, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: top) }
        let local = top.appendingPathComponent("local"), split = top.appendingPathComponent("split")
        let l = try CLI.run(["run", recipe, "-o", local.path, "--quiet"])
        try #require(l.status == 0, "\(l.stderr)")
        let d = try CLI.run(["run", recipe, "-o", split.path, "--executor", "slurm", "--tasks", "\(tasks)", "--dry-run"])
        try #require(d.status == 0, "\(d.stderr)")
        #expect(d.out.contains("pass2-bands"))
        try Self.runScriptsByHand(split)
        try Self.expectSameResult(local, split)
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: split.appendingPathComponent("run.json"))) as! [String: Any]
        let ex = run["executor"] as? [String: Any]
        #expect(ex?["name"] as? String == "slurm")
        #expect((ex?["steps"] as? [Any])?.count == 9)  // every step but assemble, with its tasks' stats
        #expect(!FileManager.default.fileExists(atPath: split.appendingPathComponent(".state").path))
        // verify re-hashes what the assemble step recorded
        #expect(try CLI.run(["run", "--verify", split.path, "--quiet"]).status == 0)
    }

    @Test("--dry-run writes one sbatch script per step and prints the dependent submissions without submitting")
    func dryRun() throws {
        let (top, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: top) }
        let rundir = top.appendingPathComponent("out")
        let r = try CLI.run(["run", recipe, "-o", rundir.path, "--executor", "slurm", "--tasks", "3", "--dry-run",
                             "--partition", "cpu", "--time", "1:00:00", "--mem", "4G", "--mem-global", "9G", "--cpus-per-task", "2", "--sbatch-arg=--account=lab"],
                            env: ["PATH": "/nonexistent"])
        #expect(r.status == 0, "\(r.stderr)")
        let scripts = try FileManager.default.contentsOfDirectory(atPath: rundir.appendingPathComponent("slurm").path).filter { $0.hasSuffix(".sbatch") }.sorted()
        #expect(scripts == ["01-pass0-stream.sbatch", "02-pass1-decide.sbatch", "03-pass1-stream.sbatch", "04-pass2-signatures.sbatch",
                            "05-pass2-bands.sbatch", "06-pass2-clusters.sbatch", "07-pass2-stream.sbatch", "08-pass3-decide.sbatch",
                            "09-pass3-stream.sbatch", "10-assemble.sbatch"])
        let s = try String(contentsOf: rundir.appendingPathComponent("slurm/05-pass2-bands.sbatch"), encoding: .utf8)
        for line in ["#SBATCH --partition=cpu", "#SBATCH --time=1:00:00", "#SBATCH --mem=9G", "#SBATCH --cpus-per-task=2", "--slurm-step pass2-bands"] {
            #expect(s.contains(line), "\(line)")
        }
        // a stream step gets --mem, the steps with state of the whole corpus --mem-global
        let stream = try String(contentsOf: rundir.appendingPathComponent("slurm/01-pass0-stream.sbatch"), encoding: .utf8)
        #expect(stream.contains("#SBATCH --mem=4G"))
        #expect(r.out.contains("--dependency=afterok:$j4"))
        #expect(r.out.contains("--account=lab"))
        #expect(!FileManager.default.fileExists(atPath: rundir.appendingPathComponent("records").path))
    }

    @Test("a Slurm run without sbatch on PATH stops with exit 2 and a hint")
    func missingSbatch() throws {
        let (top, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: top) }
        let r = try CLI.run(["run", recipe, "-o", top.appendingPathComponent("out").path, "--executor", "slurm"], env: ["PATH": "/nonexistent"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("sbatch and squeue are not on PATH"))
        #expect(r.stderr.contains("hint:"))
    }

    @Test("a second run into a run directory another run holds is refused")
    func lockRefusesSecondRun() throws {
        let (top, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: top) }
        let rundir = top.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: rundir, withIntermediateDirectories: true)
        // flock(1) holds RUNDIR/.lock as a running llmdata run would
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/bash")
        // one process (sleep, after exec) holds the locked descriptor: terminating it frees the lock
        holder.arguments = ["-c", "exec 9>\"$0\"; flock 9; exec sleep 30", rundir.appendingPathComponent(".lock").path]
        try holder.run()
        defer { holder.terminate() }
        Thread.sleep(forTimeInterval: 0.3)
        let r = try CLI.run(["run", recipe, "-o", rundir.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("another llmdata run"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: rundir.appendingPathComponent(".state").path))
        holder.terminate()
        holder.waitUntilExit()
        #expect(try CLI.run(["run", recipe, "-o", rundir.path, "--quiet"]).status == 0)
    }

    @Test("a run directory started under Slurm is not resumed locally, nor with another --tasks")
    func executorAndTasksAreKept() throws {
        let (top, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: top) }
        let rundir = top.appendingPathComponent("out")
        #expect(try CLI.run(["run", recipe, "-o", rundir.path, "--executor", "slurm", "--tasks", "2", "--dry-run"]).status == 0)
        let local = try CLI.run(["run", recipe, "-o", rundir.path])
        #expect(local.status == 2)
        #expect(local.stderr.contains("started with the slurm executor"), "\(local.stderr)")
        let other = try CLI.run(["run", recipe, "-o", rundir.path, "--executor", "slurm", "--tasks", "3", "--dry-run"])
        #expect(other.status == 2)
        #expect(other.stderr.contains("submitted with --tasks 2"), "\(other.stderr)")
    }

    @Test("a recipe run through sbatch on the test cluster equals the local run: records byte for byte, token ids per document",
          .enabled(if: conf != nil, "needs LLMDATA_SLURM_CONF (make test starts a one-node Slurm)"))
    func clusterRunEqualsLocal() throws {
        let (top, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: top) }
        let local = top.appendingPathComponent("local"), cluster = top.appendingPathComponent("cluster")
        try #require(try CLI.run(["run", recipe, "-o", local.path, "--quiet"]).status == 0)
        let r = try CLI.run(["run", recipe, "-o", cluster.path, "--executor", "slurm", "--tasks", "3", "--poll", "0.5"], env: Self.slurmEnv)
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("submitted assemble as job"))
        #expect(r.out.contains("10 Slurm step(s), 10 job(s) submitted now"), "\(r.out)")
        try Self.expectSameResult(local, cluster)
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: cluster.appendingPathComponent("run.json"))) as! [String: Any]
        let jobs = ((run["executor"] as? [String: Any])?["jobs"] as? [[String: Any]]) ?? []
        #expect(jobs.count == 10)
        #expect(jobs.allSatisfy { Int($0["job_id"] as? String ?? "") != nil })
        // every task's log is kept
        let logs = try FileManager.default.contentsOfDirectory(atPath: cluster.appendingPathComponent("slurm/logs").path)
        #expect(logs.count == 3 + 1 + 3 + 3 + 3 + 1 + 3 + 1 + 3 + 1)
        // the report names the executor
        let html = top.appendingPathComponent("report.html")
        #expect(try CLI.run(["report", cluster.path, "-o", html.path]).status == 0)
        #expect(try String(contentsOf: html, encoding: .utf8).contains("Slurm: 10 job(s) in 1 submission(s), 22 task(s)"))
        // the same command again: complete, nothing submitted
        let again = try CLI.run(["run", recipe, "-o", cluster.path, "--executor", "slurm", "--tasks", "3"], env: Self.slurmEnv)
        #expect(again.status == 0)
        #expect(again.stderr.contains("nothing to do"))
    }

    @Test("a task killed on the cluster fails the run with its log named; resubmitting reruns only the tasks without a completion marker",
          .enabled(if: conf != nil, "needs LLMDATA_SLURM_CONF (make test starts a one-node Slurm)"))
    func killedTaskIsResubmitted() throws {
        let (top, recipe) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: top) }
        let local = top.appendingPathComponent("local"), cluster = top.appendingPathComponent("cluster")
        try #require(try CLI.run(["run", recipe, "-o", local.path, "--quiet"]).status == 0)
        // the task of pass 1 that holds file 5 kills itself (SIGKILL) after that file's marker
        var env = Self.slurmEnv
        env["LLMDATA_CRASH_AT"] = "marker:1:5"
        let r = try CLI.run(["run", recipe, "-o", cluster.path, "--executor", "slurm", "--tasks", "3", "--poll", "0.5"], env: env)
        #expect(r.status == 2)
        #expect(r.stderr.contains("Slurm task pass1-stream[2]"), "\(r.stderr)")
        #expect(r.stderr.contains("slurm/logs/pass1-stream-"))
        #expect(!FileManager.default.fileExists(atPath: cluster.appendingPathComponent("run.json").path))
        // the rest of the run was cancelled: nothing of it is queued
        // (this run's jobs only: the suite's other Slurm tests share the cluster and the job names)
        let submitted = try JSONSerialization.jsonObject(with: Data(contentsOf: cluster.appendingPathComponent(".state/slurm/jobs.json"))) as! [String: Any]
        let ids = ((submitted["jobs"] as? [[String: Any]]) ?? []).compactMap { $0["job_id"] as? String }.joined(separator: ",")
        try #require(!ids.isEmpty)
        var q = try SlurmClusterTests.slurm(["squeue", "-h", "-j", ids])
        for _ in 0..<15 where !q.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            Thread.sleep(forTimeInterval: 1)
            q = try SlurmClusterTests.slurm(["squeue", "-h", "-j", ids])
        }
        #expect(q.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "still queued: \(q.out)")

        let again = try CLI.run(["run", recipe, "-o", cluster.path, "--executor", "slurm", "--tasks", "3", "--poll", "0.5"], env: Self.slurmEnv)
        try #require(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("submitted pass0-stream"))
        let line = again.stderr.split(separator: "\n").first { $0.contains("submitted pass1-stream as job") }
        #expect(line?.hasSuffix("(1 task(s))") == true, "\(again.stderr)")
        // run.json lists both submissions' jobs
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: cluster.appendingPathComponent("run.json"))) as! [String: Any]
        let jobs = ((run["executor"] as? [String: Any])?["jobs"] as? [[String: Any]]) ?? []
        #expect(jobs.filter { $0["step"] as? String == "pass1-stream" }.count == 2)
        try Self.expectSameResult(local, cluster)
    }
}
