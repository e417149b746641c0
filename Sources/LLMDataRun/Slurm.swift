import Foundation
import LLMDataCore
import LLMDataDedup
import LLMDataShards
import LLMDataTokenizeStage

// `llmdata run RECIPE -o RUNDIR --executor slurm --tasks N` (docs/scale-out.md)
//
// Design and invariants:
// - The run is cut into steps, each one Slurm job array whose tasks run
//   `llmdata run RECIPE -o RUNDIR --slurm-step STEP --task-index $SLURM_ARRAY_TASK_ID`:
//     passP-stream      the pass's streaming stages over a contiguous range of files per task
//     passP-decide      exact or lines dedup: one task decides over everything that reached it
//     passP-signatures  minhash: signatures of a share of the files per task
//     passP-bands       minhash: verified pairs of a range of bands per task
//     passP-clusters    minhash: one task joins the pairs into decisions
//     assemble          one task: token shards numbered in input order, rejected/, stats/, run.json
//   Each step depends (afterok) on the one before it. Exact dedup is a barrier here (locally it
//   streams), because tasks cannot share the keys they have seen.
// - A stream task writes exactly the per-file outputs and markers a local run writes (its token
//   shards in a directory of its own), so the result equals `llmdata run` on one machine: records
//   byte for byte, token ids per document, shards and manifest too.
// - A task that finishes writes `.state/slurm/tasks/STEP-IIIII.json` (its completion marker, with
//   its stats) last; a task that fails writes none. Resubmitting the same command submits only the
//   tasks without a marker (a stream task also resumes from its per-file markers).
// - The driver (the process the user starts) hashes the inputs, holds RUNDIR's lock, writes the
//   scripts to RUNDIR/slurm/, submits them, and waits: progress is the count of markers; a task
//   whose job left the queue without a marker is a failure, reported with its log, and the run's
//   other jobs are cancelled. Tasks check the input list and sizes against the driver's state.

/// `--executor slurm`'s options.
public struct SlurmSettings: Sendable {
    public var tasks = 4
    public var partition: String?
    public var time: String?
    public var cpusPerTask = 1
    public var mem: String?
    /// `--mem` of the steps with per-record state of the whole corpus (decide, bands, clusters,
    /// assemble); nil: `mem`.
    public var memGlobal: String?
    public var extraArgs: [String] = []
    public var dryRun = false
    /// Seconds between looks at the queue and the markers.
    public var poll = 5.0
    public init() {}
}

/// This process is task `index` of step `step` (run by an sbatch script).
public struct SlurmTask: Sendable {
    public var step: String
    public var index: Int
    public var tasks: Int
    public init(step: String, index: Int, tasks: Int) {
        self.step = step
        self.index = index
        self.tasks = tasks
    }
}

/// One job array of a Slurm run.
struct SlurmStep {
    enum Kind: Equatable {
        case stream(pass: Int), decide(pass: Int), signatures(pass: Int), bands(pass: Int), clusters(pass: Int), assemble
    }
    var name: String
    var kind: Kind
    var tasks: Int
}

/// `count` items cut into `parts` contiguous ranges (sizes differ by at most one).
func contiguousRange(_ k: Int, of parts: Int, count: Int) -> Range<Int> {
    (k * count / parts)..<((k + 1) * count / parts)
}

extension Execution {
    var slurmDir: String { path("slurm") }
    var slurmStateDir: String { (stateDir as NSString).appendingPathComponent("slurm") }
    func taskMarker(_ step: String, _ i: Int) -> String {
        (slurmStateDir as NSString).appendingPathComponent("tasks/\(step)-\(String(format: "%05d", i)).json")
    }
    func taskShardDir(_ p: Int, _ t: Int) -> String {
        (passDir(p) as NSString).appendingPathComponent(String(format: "shards/task-%05d", t))
    }
    func minhashDir(_ p: Int) -> String { (passDir(p) as NSString).appendingPathComponent("minhash") }

    /// The steps of this recipe with `tasks` tasks per split step.
    func slurmSteps(tasks: Int) -> [SlurmStep] {
        var steps: [SlurmStep] = []
        let perPass = max(1, min(tasks, files.count))
        for (p, idx) in splitIntoPasses().enumerated() {
            if case .dedup(let o) = plan.stages[idx[0]].stage, plan.stages[idx[0]].stage.isBarrier(exactToo: true) {
                if o.mode == .minhash {
                    steps.append(SlurmStep(name: "pass\(p)-signatures", kind: .signatures(pass: p), tasks: perPass))
                    steps.append(SlurmStep(name: "pass\(p)-bands", kind: .bands(pass: p), tasks: max(1, min(tasks, o.minhash.bands))))
                    steps.append(SlurmStep(name: "pass\(p)-clusters", kind: .clusters(pass: p), tasks: 1))
                } else {
                    steps.append(SlurmStep(name: "pass\(p)-decide", kind: .decide(pass: p), tasks: 1))
                }
            }
            steps.append(SlurmStep(name: "pass\(p)-stream", kind: .stream(pass: p), tasks: perPass))
        }
        steps.append(SlurmStep(name: "assemble", kind: .assemble, tasks: 1))
        return steps
    }

    // MARK: a task

    /// Runs one task of one step (what an sbatch script starts).
    func executeTask(_ t: SlurmTask) throws -> ExitCode {
        try discoverInputs()
        try adoptDriverState()
        guard let step = slurmSteps(tasks: t.tasks).first(where: { $0.name == t.step }) else {
            throw LLMDataError("this recipe has no Slurm step \(t.step)", hint: "the scripts in \(slurmDir) were written for another recipe; resubmit with llmdata run --executor slurm")
        }
        guard t.index >= 0 && t.index < step.tasks else {
            throw LLMDataError("task \(t.index) is outside step \(step.name)'s 0..<\(step.tasks)")
        }
        let start = Date()
        let label = "\(step.name)[\(t.index)]"
        Diagnostics.write("llmdata run: \(label) on \(ProcessInfo.processInfo.hostName) (job \(slurmJobID() ?? "none"))\n")
        var fields: [(String, JSONValue)] = [("step", .string(step.name)), ("task", .int(t.index))]
        let passes = splitIntoPasses()
        var ro = RunOptions()
        ro.jobs = settings.jobs
        ro.quiet = true
        ro.strict = settings.strict
        switch step.kind {
        case .stream(let p):
            let range = contiguousRange(t.index, of: step.tasks, count: files.count)
            let code = try runPass(p, stages: passes[p], inputs: passInputs(p), last: p == passes.count - 1, range: range, task: t.index)
            if code != .success { return code }
            let st = try passStats(p, stages: passes[p], files: range)
            fields.append(("files", .array([.int(range.lowerBound), .int(range.upperBound)])))
            fields.append(("records_in", .int(st.first?.recordsIn ?? 0)))
            fields.append(("records_out", .int(st.last?.recordsOut ?? 0)))
        case .decide(let p):
            guard case .dedup(let o) = plan.stages[passes[p][0]].stage else { preconditionFailure() }
            let d = try DedupRunner.decide(files: passInputs(p), reader: passReader(p), options: o, run: ro)
            try writeAtomically(d.jsonLines(counts: true), to: (passDir(p) as NSString).appendingPathComponent("decisions.jsonl"))
            fields.append(("removed", .int(d.removedCount)))
        case .signatures(let p):
            guard case .dedup(let o) = plan.stages[passes[p][0]].stage else { preconditionFailure() }
            var r = passReader(p)
            r.share = TaskShare(index: t.index, count: step.tasks)
            let n = try ScaleOut.signatures(inputs: p == 0 ? plan.inputs : [spoolDir(p - 1)], format: p == 0 ? plan.format : nil,
                                            reader: r, options: o, outDir: minhashDir(p), run: ro)
            fields.append(("records_in", .int(n)))
        case .bands(let p):
            guard case .dedup(let o) = plan.stages[passes[p][0]].stage else { preconditionFailure() }
            let bands = contiguousRange(t.index, of: step.tasks, count: o.minhash.bands)
            let n = try ScaleOut.pairs(dir: minhashDir(p), options: o, bandStart: bands.lowerBound, bandCount: bands.count)
            fields.append(("bands", .array([.int(bands.lowerBound), .int(bands.upperBound)])))
            fields.append(("pairs", .int(n)))
        case .clusters(let p):
            guard case .dedup(let o) = plan.stages[passes[p][0]].stage else { preconditionFailure() }
            let r = try ScaleOut.clusters(dir: minhashDir(p), options: o)
            let d = try Decisions(jsonLines: (minhashDir(p) as NSString).appendingPathComponent("decisions.jsonl"))
            d.clusterCount = r.clusters
            try writeAtomically(d.jsonLines(counts: true), to: (passDir(p) as NSString).appendingPathComponent("decisions.jsonl"))
            fields.append(("removed", .int(r.removed)))
        case .assemble:
            try assembleSlurm(steps: slurmSteps(tasks: t.tasks))
        }
        fields.append(("job_id", slurmJobID().map { .string($0) } ?? .null))
        fields.append(("host", .string(ProcessInfo.processInfo.hostName)))
        fields.append(("seconds", .double((Date().timeIntervalSince(start) * 1000).rounded() / 1000)))
        if step.kind != .assemble {
            // the completion marker, last (assemble's is run.json)
            let m = taskMarker(step.name, t.index)
            try fm.createDirectory(atPath: (m as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try writeAtomically(Array((JSONValue.object(fields).serialized + "\n").utf8), to: m)
        }
        Diagnostics.write("llmdata run: \(label) done in \(String(format: "%.1f", Date().timeIntervalSince(start))) s\n")
        return .success
    }

    /// `123_4` for task 4 of array job 123 (nil outside Slurm).
    func slurmJobID() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let a = env["SLURM_ARRAY_JOB_ID"], let t = env["SLURM_ARRAY_TASK_ID"] { return "\(a)_\(t)" }
        return env["SLURM_JOB_ID"]
    }

    /// A task takes the driver's fingerprint instead of hashing every input again: it checks
    /// that the recipe, the llmdata version and the input list with sizes are what the driver
    /// hashed, and refuses otherwise.
    func adoptDriverState() throws {
        let statePath = (stateDir as NSString).appendingPathComponent("state.json")
        guard let state = parseJSONFile(statePath) else {
            if parseJSONFile(path("run.json")) != nil { throw LLMDataError("\(runDir) is already complete (run.json); this task has nothing to do") }
            throw LLMDataError("\(statePath): missing: this task's run directory was removed or overwritten",
                               hint: "resubmit with llmdata run --executor slurm")
        }
        guard state["executor"] as? String == "slurm" else {
            throw LLMDataError("\(runDir) holds a run of the \(state["executor"] as? String ?? "local") executor, not a Slurm run")
        }
        var what: [String] = []
        if state["llmdata_version"] as? String != plan.version { what.append("llmdata \(state["llmdata_version"] as? String ?? "?") started it, this is \(plan.version)") }
        if state["recipe"] as? String != plan.canonical { what.append("the recipe differs") }
        let recorded = ((state["inputs"] as? [Any]) ?? []).compactMap { FileDigest($0) }
        if recorded.map(\.path) != files.map(\.path) {
            what.append("the input list differs (\(recorded.count) files then, \(files.count) now)")
        } else {
            for (r, f) in zip(recorded, files) {
                var st = stat()
                if stat(f.path, &st) != 0 || Int(st.st_size) != r.bytes { what.append("\(f.path) changed size"); break }
            }
        }
        if !what.isEmpty {
            throw LLMDataError("\(runDir): this task's inputs are not those the run was submitted with: " + what.joined(separator: "; "),
                               hint: "resubmit with llmdata run --executor slurm (--overwrite to start over)")
        }
        inputRecords = recorded
        resourceRecords = ((state["resources"] as? [Any]) ?? []).compactMap { FileDigest($0) }
        fingerprint = state["fingerprint"] as? String ?? ""
        if let s = state["started"] as? String, let d = ISO8601DateFormatter().date(from: s) { started = d }
    }

    // MARK: assemble

    /// The last step: the stats of every pass from the markers, the token shards of every task
    /// numbered in input order (hard links), then the same final files as a local run.
    func assembleSlurm(steps: [SlurmStep]) throws {
        for (p, idx) in splitIntoPasses().enumerated() {
            try collectStats(p, stages: idx, files: 0..<files.count)
            for s in idx {
                switch plan.stages[s].stage {
                case .dedup(let o):
                    let d = try Decisions(jsonLines: (passDir(p) as NSString).appendingPathComponent("decisions.jsonl"))
                    stageExtra[s] = ApplyStage(options: o, decisions: d, decideSeconds: 0).extraStats().filter { $0.0 != "decide_seconds" }
                case .tokenize(let o):
                    let t = try TokenizeStage(options: o, jobs: 1, quiet: true)
                    let m = try gatherShards(p, t)
                    manifest = m
                    stageStats[s].bytesOut = m.shards.reduce(0) { $0 + $1.bytes }
                    stageExtra[s] = t.stats(documents: m.documents, tokens: m.tokens, shards: m.shards.count, bytesIn: stageStats[s].bytesIn)
                        .filter { $0.0 != "load_seconds" }
                case .record(let a):
                    stageExtra[s] = a.extraStats()
                }
            }
        }
        // the driver's command and the jobs it submitted; every task's marker
        let jobs = parseJSONFile((slurmStateDir as NSString).appendingPathComponent("jobs.json"))
        if let c = jobs?["command"] as? [String] { command = c }
        var stepsJSON: [JSONValue] = []
        for st in steps where st.kind != .assemble {
            let tasks: [JSONValue] = (0..<st.tasks).map { i in
                guard let d = fm.contents(atPath: taskMarker(st.name, i)) else { return .null }
                let text = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return .raw(Array(text.utf8))
            }
            stepsJSON.append(.object([("step", .string(st.name)), ("tasks", .array(tasks))]))
        }
        let submitted = (jobs?["jobs"] as? [[String: Any]] ?? []).map { j -> JSONValue in
            .object([("step", .string(j["step"] as? String ?? "")), ("job_id", .string(j["job_id"] as? String ?? "")),
                     ("array", .string(j["array"] as? String ?? "")), ("submission", .int((j["submission"] as? NSNumber)?.intValue ?? 1))])
        }
        executorJSON = .object([
            ("name", .string("slurm")),
            ("tasks", .int(steps.first?.tasks ?? 1)),
            ("jobs", .array(submitted)),
            ("assemble_job_id", slurmJobID().map { .string($0) } ?? .null),
            ("steps", .array(stepsJSON)),
        ])
        try assemble()
    }

    /// Links every task's shards into RUNDIR/shards as shard-00000… in input order and writes
    /// the manifest: the same names and bytes a local run writes.
    func gatherShards(_ p: Int, _ t: TokenizeStage) throws -> Manifest {
        let out = path("shards")
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        try? fm.removeItem(atPath: (out as NSString).appendingPathComponent("manifest.json"))
        var shards: [Manifest.Shard] = []
        for i in files.indices {
            guard let m = parseJSONFile(marker(p, i)), let dir = m["shard_dir"] as? String, let sh = m["shards"] as? [Any] else {
                throw LLMDataError("\(marker(p, i)): no token shards recorded")
            }
            let list = try JSONDecoder().decode([Manifest.Shard].self, from: JSONSerialization.data(withJSONObject: sh))
            let src = (passDir(p) as NSString).appendingPathComponent("shards/\(dir)")
            for var s in list {
                let stem = String(format: "shard-%05d", shards.count)
                func place(_ name: String) throws -> String {
                    // shard-00003.tok.zst of the task → shard-00017.tok.zst of the run
                    let new = stem + name.drop(while: { $0 != "." })
                    let to = (out as NSString).appendingPathComponent(new)
                    unlink(to)
                    guard link((src as NSString).appendingPathComponent(name), to) == 0 else {
                        throw LLMDataError("\(src)/\(name): cannot link to \(to): \(String(cString: strerror(errno)))")
                    }
                    return new
                }
                s.file = try place(s.file)
                s.index = try place(s.index)
                if let ids = s.ids { s.ids = try place(ids) }
                shards.append(s)
            }
        }
        let keep = Set(shards.flatMap { [$0.file, $0.index] + ($0.ids.map { [$0] } ?? []) })
        let w = try t.openWriter(dir: out, overwrite: false, keeping: keep)
        w.resume(committed: shards)
        return try w.finish()
    }
}

/// An exclusive lock on RUNDIR/.lock while a run works there: a second run into the same
/// directory is refused (the kernel drops the lock when the process ends, however it ends). While
/// held, the file names the holder (`pid 4242 on vm`); it is empty after a run that ended.
final class RunLock {
    static let name = ".lock"
    let fd: Int32

    init(runDir: String) throws {
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        let p = (runDir as NSString).appendingPathComponent(RunLock.name)
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LLMDataError("\(p): cannot open: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buf, 64, 0)
            let who = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw LLMDataError("another llmdata run (\(who)) is working in \(runDir)",
                               hint: "wait for it to finish, or stop it first; two runs into one directory would overwrite each other")
        }
        let me = Array("pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n".utf8)
        _ = ftruncate(fd, 0)
        _ = me.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// The holder's name goes when the lock does: a run directory's bytes do not depend on the
    /// process that made it (a killed run leaves its name until the next run ends).
    deinit {
        _ = ftruncate(fd, 0)
        close(fd)
    }
}
