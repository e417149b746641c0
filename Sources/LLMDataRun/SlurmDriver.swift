import Foundation
import LLMDataCore

/// The process a user starts with `llmdata run --executor slurm`: writes the sbatch scripts,
/// submits the steps that are not done, and waits for the run to finish (Slurm.swift's header).
final class SlurmDriver {
    let x: Execution
    let s: SlurmSettings
    let fm = FileManager.default
    var label: String { RecipeRunner.label }

    init(_ x: Execution, _ s: SlurmSettings) {
        self.x = x
        self.s = s
    }

    /// One submitted job array.
    struct Job {
        var step: String
        var id: String
        var tasks: [Int]
        /// 1 for the first submission of the run, 2 for the first resubmission, …
        var submission: Int
        var json: JSONValue {
            .object([("step", .string(step)), ("job_id", .string(id)), ("array", .string(SlurmDriver.arraySpec(tasks))),
                     ("submission", .int(submission))])
        }
    }

    var jobsPath: String { (x.slurmStateDir as NSString).appendingPathComponent("jobs.json") }
    func script(_ k: Int, _ st: SlurmStep) -> String {
        (x.slurmDir as NSString).appendingPathComponent(String(format: "%02d-%@.sbatch", k + 1, st.name))
    }
    var logDir: String { (x.slurmDir as NSString).appendingPathComponent("logs") }

    func execute() throws -> ExitCode {
        let wallStart = Date()
        try x.prepareInputs()
        x.lock = try RunLock(runDir: x.runDir)
        // tasks of an earlier submission may still be writing: each task cleans its own share
        if case .complete = try x.prepareRunDir(removeTemporary: false) {
            if !x.settings.quiet { Diagnostics.write("llmdata run: \(x.runDir) is complete for this recipe and these inputs; nothing to do (--overwrite runs it again)\n") }
            return .success
        }
        try checkTaskCount()
        let steps = x.slurmSteps(tasks: s.tasks)
        try fm.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: (x.slurmStateDir as NSString).appendingPathComponent("tasks"), withIntermediateDirectories: true)
        for (k, st) in steps.enumerated() { try writeAtomically(Array(scriptText(k, st, of: steps.count).utf8), to: script(k, st)) }

        if s.dryRun {
            var out = "llmdata run: wrote \(steps.count) sbatch script(s) to \(x.slurmDir); a submission would run:\n"
            var prev: String?
            for (k, st) in steps.enumerated() {
                let pending = pendingTasks(st)
                if pending.isEmpty { continue }
                let dep = prev.map { " --dependency=afterok:$\($0)" } ?? ""
                out += "  j\(k + 1)=$(sbatch --parsable --kill-on-invalid-dep=yes --array=\(Self.arraySpec(pending))\(dep)"
                    + s.extraArgs.map { " " + shellQuote($0) }.joined() + " \(shellQuote(script(k, st))))\n"
                prev = "j\(k + 1)"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            return .success
        }
        guard let sbatch = executable("sbatch"), let squeue = executable("squeue") else {
            throw LLMDataError("sbatch and squeue are not on PATH: --executor slurm submits jobs with them",
                               hint: "run on a Slurm login node (Debian: apt install slurm-client), or use --dry-run to write the scripts only, or run here without --executor")
        }
        // the latest submission's jobs: if some are still queued, wait for them instead
        let latest = loadJobs().map(\.submission).max() ?? 0
        var jobs = loadJobs().filter { $0.submission == latest }
        let earlier = try queueStates(jobs.map(\.id), squeue: squeue).filter { Self.alive.contains($0.value.state) }
        if !earlier.isEmpty {
            let ids = Set(earlier.keys.map { String($0.split(separator: "_")[0]) }).sorted()
            if !x.settings.quiet {
                Diagnostics.write("llmdata run: job(s) \(ids.joined(separator: ", ")) of an earlier submission are still queued; waiting for them (scancel them to submit afresh)\n")
            }
        } else {
            jobs = try submit(steps, sbatch: sbatch)
        }
        return try wait(steps, jobs: jobs, squeue: squeue, since: wallStart)
    }

    /// A run keeps the task count it was submitted with: a task's share of the files and of the
    /// bands depends on it.
    func checkTaskCount() throws {
        let p = (x.slurmStateDir as NSString).appendingPathComponent("settings.json")
        if let o = parseJSONFile(p), let n = (o["tasks"] as? NSNumber)?.intValue {
            if n != s.tasks {
                throw LLMDataError("\(x.runDir) was submitted with --tasks \(n); this is --tasks \(s.tasks)",
                                   hint: "resubmit with --tasks \(n), or pass --overwrite to start over")
            }
            return
        }
        try fm.createDirectory(atPath: x.slurmStateDir, withIntermediateDirectories: true)
        try writeAtomically(Array("{\"tasks\":\(s.tasks)}\n".utf8), to: p)
    }

    // MARK: scripts

    func scriptText(_ k: Int, _ st: SlurmStep, of count: Int) -> String {
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var t = """
        #!/bin/bash
        # llmdata run --executor slurm: step \(k + 1) of \(count), \(st.name), \(st.tasks) task(s).
        # Written by `llmdata run \(x.plan.recipePath) -o \(x.runDir) --executor slurm` at each submission;
        # rerun that command to resubmit (only tasks without a completion marker run again).
        #SBATCH --job-name=llmdata-\(st.name)
        #SBATCH --output=\(logDir)/\(st.name)-%A_%a.log
        #SBATCH --cpus-per-task=\(s.cpusPerTask)

        """
        if let p = s.partition { t += "#SBATCH --partition=\(p)\n" }
        if let v = s.time { t += "#SBATCH --time=\(v)\n" }
        let global: Bool
        switch st.kind {
        case .stream, .signatures: global = false
        case .decide, .bands, .clusters, .assemble: global = true
        }
        if let m = global ? (s.memGlobal ?? s.mem) : s.mem { t += "#SBATCH --mem=\(m)\n" }
        var args = [exe, "run", absolutePath(x.plan.recipePath), "-o", absolutePath(x.runDir), "--slurm-step", st.name,
                    "--tasks", String(s.tasks), "--max-warnings", String(x.settings.maxWarnings)]
        if x.settings.strict { args.append("--strict") }
        t += "set -eu\ncd \(shellQuote(fm.currentDirectoryPath))\n"
        t += "exec " + args.map(shellQuote).joined(separator: " ")
            + " --task-index \"$SLURM_ARRAY_TASK_ID\" --jobs \"${SLURM_CPUS_PER_TASK:-1}\"\n"
        return t
    }

    // MARK: submission

    func pendingTasks(_ st: SlurmStep) -> [Int] {
        if st.kind == .assemble { return [0] }
        return (0..<st.tasks).filter { !fm.fileExists(atPath: x.taskMarker(st.name, $0)) }
    }

    /// Submits the tasks without a completion marker; returns this submission's jobs (jobs.json
    /// keeps every submission's, for run.json).
    func submit(_ steps: [SlurmStep], sbatch: String) throws -> [Job] {
        let before = loadJobs()
        var jobs: [Job] = []
        var prev: String?
        for (k, st) in steps.enumerated() {
            let pending = pendingTasks(st)
            if pending.isEmpty { continue }
            var args = ["--parsable", "--kill-on-invalid-dep=yes", "--array=\(Self.arraySpec(pending))"]
            if let p = prev { args.append("--dependency=afterok:\(p)") }
            args += s.extraArgs
            args.append(script(k, st))
            let r = try runTool(sbatch, args)
            guard r.status == 0, let id = r.out.split(separator: ";").first.map({ String($0).trimmingCharacters(in: .whitespacesAndNewlines) }),
                  !id.isEmpty, id.allSatisfy(\.isNumber) else {
                if !jobs.isEmpty { _ = try? runTool(executable("scancel") ?? "scancel", jobs.map(\.id)) }
                throw LLMDataError("sbatch refused step \(st.name): \((r.err + r.out).trimmingCharacters(in: .whitespacesAndNewlines))",
                                   hint: "check the partition, time, cpus-per-task and mem options; the script is \(script(k, st))")
            }
            jobs.append(Job(step: st.name, id: id, tasks: pending, submission: (before.map(\.submission).max() ?? 0) + 1))
            prev = id
            try saveJobs(before + jobs)
            if !x.settings.quiet { Diagnostics.write("llmdata run: submitted \(st.name) as job \(id) (\(pending.count) task(s))\n") }
        }
        return jobs
    }

    func saveJobs(_ jobs: [Job]) throws {
        let v: JSONValue = .object([("command", .array(x.command.map { .string($0) })), ("jobs", .array(jobs.map(\.json)))])
        try writeAtomically(Array((v.serialized + "\n").utf8), to: jobsPath)
    }

    func loadJobs() -> [Job] {
        ((parseJSONFile(jobsPath)?["jobs"] as? [[String: Any]]) ?? []).compactMap { j in
            guard let st = j["step"] as? String, let id = j["job_id"] as? String, let a = j["array"] as? String else { return nil }
            return Job(step: st, id: id, tasks: Self.parseArraySpec(a), submission: (j["submission"] as? NSNumber)?.intValue ?? 1)
        }
    }

    /// `[0, 1, 2, 5]` → `0-2,5`
    static func arraySpec(_ tasks: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < tasks.count {
            var j = i
            while j + 1 < tasks.count && tasks[j + 1] == tasks[j] + 1 { j += 1 }
            parts.append(i == j ? "\(tasks[i])" : "\(tasks[i])-\(tasks[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    static func parseArraySpec(_ s: String) -> [Int] {
        s.split(separator: ",").flatMap { part -> [Int] in
            let r = part.split(separator: "-").compactMap { Int($0) }
            return r.count == 2 ? Array(r[0]...r[1]) : r
        }
    }

    // MARK: waiting

    static let alive: Set<String> = ["PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING", "REQUEUED", "RESIZING",
                                     "SIGNALING", "STAGE_OUT", "STOPPED", "REQUEUE_FED", "REQUEUE_HOLD"]

    /// State and reason of every task of `ids` the queue still knows (`123_4` → RUNNING).
    func queueStates(_ ids: [String], squeue: String) throws -> [String: (state: String, reason: String)] {
        if ids.isEmpty { return [:] }
        var lastError = ""
        for attempt in 0..<5 {
            let r = try runTool(squeue, ["-h", "-r", "-t", "all", "-j", ids.joined(separator: ","), "-o", "%i|%T|%r"])
            if r.status == 0 {
                var out: [String: (String, String)] = [:]
                for line in r.out.split(separator: "\n") {
                    let f = line.split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
                    if f.count >= 3 { out[f[0]] = (f[1], f[2]) }
                }
                return out
            }
            // jobs the controller has forgotten (finished long ago) are not an error here
            if r.err.contains("Invalid job id") { return [:] }
            lastError = r.err
            Thread.sleep(forTimeInterval: Double(attempt + 1))
        }
        throw LLMDataError("squeue failed: \(lastError.trimmingCharacters(in: .whitespacesAndNewlines))",
                           hint: "the jobs keep running; rerun the same command to wait for them again")
    }

    func runComplete() -> Bool {
        parseJSONFile(x.path("run.json"))?["fingerprint"] as? String == x.fingerprint
    }

    func wait(_ steps: [SlurmStep], jobs: [Job], squeue: String, since start: Date) throws -> ExitCode {
        var lastLine = ""
        var lastPrinted = Date.distantPast
        while true {
            if runComplete() { break }
            let states = try queueStates(jobs.map(\.id), squeue: squeue)
            if runComplete() { break }
            // the first task, in step order, whose job has left the queue (or failed) without
            // its completion marker
            for j in jobs {
                guard let st = steps.first(where: { $0.name == j.step }) else { continue }
                for i in j.tasks {
                    let done = st.kind == .assemble ? runComplete() : fm.fileExists(atPath: x.taskMarker(st.name, i))
                    if done { continue }
                    let q = states["\(j.id)_\(i)"]
                    if let q, Self.alive.contains(q.state) { continue }
                    return failed(st, task: i, job: j, state: q?.state, jobs: jobs)
                }
            }
            if !x.settings.quiet {
                let line = steps.map { st -> String in
                    let n = st.kind == .assemble ? (runComplete() ? 1 : 0) : (0..<st.tasks).filter { fm.fileExists(atPath: x.taskMarker(st.name, $0)) }.count
                    return "\(st.name) \(n)/\(st.tasks)"
                }.joined(separator: " · ")
                if line != lastLine || Date().timeIntervalSince(lastPrinted) >= 60 {
                    Diagnostics.write("llmdata run: slurm: \(line)  (\(Int(Date().timeIntervalSince(start))) s)\n")
                    lastLine = line
                    lastPrinted = Date()
                }
            }
            Thread.sleep(forTimeInterval: s.poll)
        }
        if !x.settings.quiet { printSummary(steps, jobs: jobs, seconds: Date().timeIntervalSince(start)) }
        return .success
    }

    func failed(_ st: SlurmStep, task i: Int, job j: Job, state: String?, jobs: [Job]) -> ExitCode {
        let log = (logDir as NSString).appendingPathComponent("\(st.name)-\(j.id)_\(i).log")
        var tail = ""
        if let d = fm.contents(atPath: log) {
            let lines = String(decoding: d, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            tail = lines.suffix(12).map { "    " + $0 }.joined(separator: "\n")
        }
        cancel(jobs)
        let how = state.map { "ended with state \($0)" } ?? "left the queue"
        Diagnostics.error(stage: label, "Slurm task \(st.name)[\(i)] (job \(j.id)_\(i)) \(how) without its completion marker; its log is \(log)"
                          + (tail.isEmpty ? " (empty or missing)" : ":\n" + tail),
                          hint: "fix the cause and rerun the same command: only tasks without a completion marker run again (the run's other jobs were cancelled)")
        return .fatal
    }

    /// Cancels `jobs` and waits (up to ~10 s) until none of them is queued any more: a pending
    /// array can outlive one scancel for a moment.
    func cancel(_ jobs: [Job]) {
        guard let scancel = executable("scancel"), !jobs.isEmpty else { return }
        for _ in 0..<10 {
            _ = try? runTool(scancel, jobs.map(\.id))
            guard let squeue = executable("squeue"),
                  let left = try? queueStates(jobs.map(\.id), squeue: squeue).filter({ Self.alive.contains($0.value.state) }),
                  !left.isEmpty else { return }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    func printSummary(_ steps: [SlurmStep], jobs: [Job], seconds: Double) {
        guard let run = parseJSONFile(x.path("run.json")) else { return }
        var out = "\(x.runDir): \(x.files.count) input file(s), \(steps.count) Slurm step(s), \(jobs.count) job(s) submitted now, \(Int(seconds.rounded())) s\n"
        let stages = (run["stages"] as? [[String: Any]]) ?? []
        let width = stages.map { ($0["stage"] as? String ?? "").count }.max() ?? 8
        for (i, st) in stages.enumerated() {
            let name = (st["stage"] as? String ?? "").padding(toLength: width, withPad: " ", startingAt: 0)
            let n = { (k: String) in Progress.grouped((st[k] as? NSNumber)?.intValue ?? 0) }
            out += "  \(String(format: "%02d", i + 1)) \(name)  \(n("records_in")) in → \(n("records_out")) out\n"
        }
        if let t = run["tokens"] as? [String: Any] {
            let n = { (k: String) in Progress.grouped((t[k] as? NSNumber)?.intValue ?? 0) }
            out += "  shards/   \(n("documents")) documents, \(n("tokens")) tokens in \(n("shards")) shard(s)\n"
        }
        out += "  run.json  provenance, with the jobs and every task's stats (logs in \(logDir))\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

/// The path of `name` on PATH, or nil.
func executable(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}

/// Runs a tool to completion: its exit status, stdout and stderr.
func runTool(_ path: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let o = Pipe(), e = Pipe()
    p.standardOutput = o
    p.standardError = e
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // stderr is read on another thread so that neither pipe fills while the other is drained
    final class Box: @unchecked Sendable { var data = Data() }
    let err = Box()
    let g = DispatchGroup()
    DispatchQueue.global().async(group: g) { err.data = e.fileHandleForReading.readDataToEndOfFile() }
    let outData = o.fileHandleForReading.readDataToEndOfFile()
    g.wait()
    let errData = err.data
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

