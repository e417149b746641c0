import Foundation
import LLMDataCore
import LLMDataDedup
import LLMDataShards
import LLMDataTokenizeStage

// `llmdata run RECIPE -o RUNDIR` (docs/run.md)
//
// Design and invariants:
// - The stages run as one chain in one process (Engine): records are parsed once, pass from stage
//   to stage in memory, and are serialized once. A barrier stage (dedup minhash or lines) splits
//   the run into passes: the records that reach it are spooled under RUNDIR/.state, it decides
//   over all of them, and the next pass streams the spool through it and the later stages.
// - The unit of commit is one input file of one pass. When a file's last batch is written, its
//   outputs (records part, rejected pieces per stage, token shards cut at the file's end, exact
//   dedup's journal) are renamed into place and then a done marker with the file's per-stage
//   stats is written. Batches are written in input order, so the done files of a pass are always
//   a prefix of its inputs; a rerun restores state from the markers and starts after them.
// - Whatever a marker does not cover is removed before work starts (partial parts, shards of an
//   unfinished file, leftover NAME.tmp-PID files), so nothing from a killed run is reused.
// - RUNDIR/.state/state.json holds the fingerprint of the run: llmdata's version, the canonical
//   recipe, and the size and SHA-256 of every input and resource file. A rerun with another
//   fingerprint stops and says what changed; --overwrite starts over.
// - The final files (rejected/, stats/, shards/manifest.json, run.json) are assembled from the
//   markers, so an interrupted or resumed run gives the same bytes as an uninterrupted one.
//   run.json is written last; then .state is removed.

public enum RecipeRunner {
    static let label = "run"

    /// Runs `plan` into `runDir`; returns the exit code (messages on stderr, the summary on stdout).
    public static func run(plan: RunPlan, runDir: String, settings: RunSettings) -> ExitCode {
        signal(SIGPIPE, SIG_IGN)
        do {
            let r = try Execution(plan: plan, runDir: runDir, settings: settings)
            if let t = settings.slurmTask { return try r.executeTask(t) }
            if let s = settings.slurm { return try SlurmDriver(r, s).execute() }
            return try r.execute()
        } catch {
            return Diagnostics.exitCode(for: error, stage: label)
        }
    }
}

func isoDate(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: d)
}

/// Fault injection for the resume tests: with `LLMDATA_CRASH_AT=POINT` the process kills itself
/// (SIGKILL, as `kill -9`) when it reaches POINT: `outputs:P:N` (file N of pass P renamed into
/// place, its marker not yet written), `marker:P:N` (right after that marker), `pass:P` (pass P
/// done, before the next starts), `assemble` (final rejected/ and stats/ written, before run.json),
/// `run.json` (after run.json, before .state is removed). docs/run.md.
let crashAt = ProcessInfo.processInfo.environment["LLMDATA_CRASH_AT"]

@inline(__always) func crashPoint(_ point: @autoclosure () -> String) {
    if let c = crashAt, c == point() { kill(getpid(), SIGKILL) }
}

/// A zstd frame of no bytes.
let emptyFrame = FrameZstd(level: 3).compress([])

/// `part-00042`
func partName(_ i: Int) -> String { String(format: "part-%05d", i) }

/// The git commit the running binary was built from: `make build` and `make test` write it
/// beside the binary (`llmdata.commit`, with `-dirty` when tracked files had changes); a binary
/// built otherwise has none (nil).
func gitCommit() -> String? {
    guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
          let s = try? String(contentsOfFile: exe + ".commit", encoding: .utf8) else { return nil }
    // a stamp older than the binary belongs to an earlier build
    var a = stat(), b = stat()
    guard stat(exe, &a) == 0, stat(exe + ".commit", &b) == 0, b.st_mtim.tv_sec >= a.st_mtim.tv_sec else { return nil }
    let c = s.trimmingCharacters(in: .whitespacesAndNewlines)
    return c.isEmpty ? nil : c
}

/// One execution of a plan into a run directory.
final class Execution {
    let plan: RunPlan
    let runDir: String
    let settings: RunSettings
    let fm = FileManager.default
    var files: [InputFile] = []
    var inputRecords: [FileDigest] = []
    var resourceRecords: [FileDigest] = []
    var fingerprint = ""
    var started = Date()
    /// Stats per recipe stage, summed over files and passes.
    var stageStats: [RunStats]
    var stageExtra: [[(String, JSONValue)]]
    /// Samples of dropped records per recipe stage, merged over files and passes.
    var stageSamples: [DropSamples]
    var manifest: Manifest?
    var resumedFiles = 0
    /// run.json's `executor` (the Slurm assemble step sets its jobs and tasks).
    var executorJSON: JSONValue = .object([("name", .string("local"))])
    /// The command run.json records (under Slurm: the driver's, not the assemble task's).
    var command: [String]
    /// Held while this process works in RUNDIR.
    var lock: RunLock?

    /// "local" or "slurm": a run directory is finished with the executor that started it.
    var executorName: String { settings.slurm != nil || settings.slurmTask != nil ? "slurm" : "local" }
    /// Under Slurm exact dedup is a barrier too (PlannedStage.isBarrier(exactToo:)).
    var exactIsBarrier: Bool { executorName == "slurm" }

    var stateDir: String { path(".state") }
    func path(_ rel: String) -> String { (runDir as NSString).appendingPathComponent(rel) }

    init(plan: RunPlan, runDir: String, settings: RunSettings) throws {
        self.plan = plan
        self.runDir = runDir
        self.settings = settings
        stageStats = Array(repeating: RunStats(), count: plan.stages.count)
        stageExtra = Array(repeating: [], count: plan.stages.count)
        stageSamples = Array(repeating: DropSamples(), count: plan.stages.count)
        command = plan.command
    }

    func stageFileName(_ s: Int) -> String { String(format: "%02d-%@", s + 1, plan.stages[s].name) }

    func execute() throws -> ExitCode {
        try prepareInputs()
        lock = try RunLock(runDir: runDir)
        switch try prepareRunDir() {
        case .complete:
            if !settings.quiet { Diagnostics.write("llmdata run: \(runDir) is complete for this recipe and these inputs; nothing to do (--overwrite runs it again)\n") }
            return .success
        case .fresh, .resume:
            break
        }
        let passes = splitIntoPasses()
        for (p, stages) in passes.enumerated() {
            let last = p == passes.count - 1
            let code = try runPass(p, stages: stages, inputs: passInputs(p), last: last)
            if code != .success { return code }
            crashPoint("pass:\(p)")
        }
        try assemble()
        return .success
    }

    /// What pass `p` reads: the inputs, or the previous pass's spool (one part per input file).
    func passInputs(_ p: Int) -> [InputFile] {
        if p == 0 { return files }
        return files.indices.map { i in
            InputFile(path: (spoolDir(p - 1) as NSString).appendingPathComponent(partName(i) + ".jsonl.zst"),
                      relativePath: partName(i) + ".jsonl.zst", format: .jsonl)
        }
    }

    func passReader(_ p: Int) -> ReaderOptions { p == 0 ? plan.reader : spoolReader }

    // MARK: inputs and the run directory

    func prepareInputs() throws {
        try discoverInputs()
        try hashInputs()
    }

    func discoverInputs() throws {
        files = try InputDiscovery.discover(plan.inputs, formatOverride: plan.format)
        if files.contains(where: { $0.path == "-" }) {
            throw LLMDataError("a recipe reads files, not stdin", hint: "list files or directories under inputs:")
        }
        if files.isEmpty {
            throw LLMDataError("the inputs hold no .jsonl, .json or .txt files (optionally .zst or .gz): \(plan.inputs.joined(separator: ", "))")
        }
        // a run hashes its inputs, reads them, and may read them again when resumed: a pipe or a
        // device would be read up by the first of these
        for f in files {
            var st = stat()
            if stat(f.path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
                throw LLMDataError("\(f.path) is not a regular file (a pipe or a device can be read only once; a run reads its inputs to hash them and again when resumed)",
                                           hint: "copy it to a file first, or pipe it into a subcommand (llmdata normalize - | …)")
            }
        }
        // RUNDIR must be neither inside an input directory nor hold an input
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: runDir, isDirectory: &isDir) && !isDir.boolValue {
            throw LLMDataError("\(runDir) exists and is not a directory", hint: "-o names the run directory")
        }
        let out = realPathOfNew(runDir) + "/"
        for i in plan.inputs {
            let r = realPathOfNew(i)
            if fm.fileExists(atPath: i, isDirectory: &isDir) && isDir.boolValue && out.hasPrefix(r + "/") {
                throw LLMDataError("the run directory \(runDir) is inside the input directory \(i): its outputs would become inputs",
                                           hint: "choose a run directory outside \(i)")
            }
            if (r + "/").hasPrefix(out) {
                throw LLMDataError("the input \(i) is inside the run directory \(runDir)", hint: "choose another run directory")
            }
        }
    }

    /// The size and SHA-256 of every input and resource, and the run's fingerprint from them.
    func hashInputs() throws {
        inputRecords = try FileDigest.of(files.map { ($0.path, absolutePath($0.path)) }, jobs: settings.jobs)
        resourceRecords = try FileDigest.of(plan.resources.map { ($0, absolutePath($0)) }, jobs: settings.jobs)
        var h: [UInt8] = Array("llmdata-run-fingerprint 1\n\(plan.version)\n\(plan.canonical)\n".utf8)
        for r in inputRecords { h += Array("\(r.path)\t\(r.bytes)\t\(r.sha256)\n".utf8) }
        // a tokenizer or model counts by its content, wherever it is installed
        for r in resourceRecords { h += Array("resource\t\(r.bytes)\t\(r.sha256)\n".utf8) }
        fingerprint = SHA256.hex(of: h)
    }

    enum DirState { case fresh, resume, complete }

    var stateJSON: JSONValue {
        .object([
            ("fingerprint", .string(fingerprint)),
            ("llmdata_version", .string(plan.version)),
            ("recipe", .string(plan.canonical)),
            ("inputs", .array(inputRecords.map(\.json))),
            ("resources", .array(resourceRecords.map(\.json))),
            ("started", .string(isoDate(started))),
            ("executor", .string(executorName)),
        ])
    }

    func prepareRunDir(removeTemporary: Bool = true) throws -> DirState {
        let finals = ["records", "shards", "rejected", "stats", "samples", ".state", "slurm", "run.json"]
        if settings.overwrite {
            for f in finals { try? fm.removeItem(atPath: path(f)) }
        }
        try fm.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        let statePath = (stateDir as NSString).appendingPathComponent("state.json")
        if let done = parseJSONFile(path("run.json")) {
            if done["fingerprint"] as? String == fingerprint {
                try? fm.removeItem(atPath: stateDir)
                return .complete
            }
            throw LLMDataError("\(runDir) was made from other inputs or another recipe: " + describeChange(from: done),
                                       hint: "pass --overwrite to replace it, or choose another run directory")
        }
        if let state = parseJSONFile(statePath) {
            if state["fingerprint"] as? String != fingerprint {
                throw LLMDataError("\(runDir) holds an unfinished run of other inputs or another recipe: " + describeChange(from: state),
                                           hint: "pass --overwrite to discard it and start over, or rerun with the recipe and inputs it was started with")
            }
            let was = state["executor"] as? String ?? "local"
            if was != executorName {
                throw LLMDataError("\(runDir) holds an unfinished run started with the \(was) executor; this is --executor \(executorName)",
                                   hint: "finish it with --executor \(was), or pass --overwrite to start over")
            }
            if let s = state["started"] as? String, let d = ISO8601DateFormatter().date(from: s) { started = d }
            if removeTemporary { removeTemporaryFiles(runDir) }
            return .resume
        }
        let present = ((try? fm.contentsOfDirectory(atPath: runDir)) ?? []).filter { !$0.contains(".tmp-") && $0 != RunLock.name }
        if !present.isEmpty {
            throw LLMDataError("\(runDir) is not empty and is not a run directory (it holds \(present.sorted().prefix(5).joined(separator: ", ")))",
                                       hint: "choose an empty or new directory (llmdata run writes only into a directory it made)")
        }
        removeTemporaryFiles(runDir)
        try fm.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        try writeAtomically(Array((stateJSON.serialized + "\n").utf8), to: statePath)
        return .fresh
    }

    /// What differs between the state or run.json a directory holds and this run.
    func describeChange(from old: [String: Any]) -> String {
        var what: [String] = []
        if let v = old["llmdata_version"] as? String, v != plan.version { what.append("llmdata \(v) made it, this is \(plan.version)") }
        var oldRecipe: Any? = (old["recipe"] as? [String: Any])?["canonical"]
        if let text = old["recipe"] as? String { oldRecipe = try? JSONSerialization.jsonObject(with: Data(text.utf8)) }
        let newRecipe = try? JSONSerialization.jsonObject(with: Data(plan.canonical.utf8))
        func sorted(_ o: Any) -> Data? { try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) }
        if let o = oldRecipe as? [String: Any], let n = newRecipe as? [String: Any], sorted(o) != sorted(n) {
            what.append("the recipe differs (\(diffRecipes(o, n)))")
        }
        func compare(_ key: String, _ now: [FileDigest], _ noun: String) {
            let before = ((old[key] as? [Any]) ?? []).compactMap { FileDigest($0) }
            let bm = Dictionary(before.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            let nm = Dictionary(now.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            let changed = now.filter { bm[$0.path] != nil && bm[$0.path] != $0 }.map(\.path)
            let added = now.filter { bm[$0.path] == nil }.map(\.path)
            let removed = before.filter { nm[$0.path] == nil }.map(\.path)
            func list(_ l: [String]) -> String { l.prefix(3).joined(separator: ", ") + (l.count > 3 ? " and \(l.count - 3) more" : "") }
            if !changed.isEmpty { what.append("\(noun) changed: \(list(changed))") }
            if !added.isEmpty { what.append("new \(noun): \(list(added))") }
            if !removed.isEmpty { what.append("\(noun) no longer given: \(list(removed))") }
        }
        compare("inputs", inputRecords, "input files")
        compare("resources", resourceRecords, "files the stages read (tokenizer, model, config)")
        return what.isEmpty ? "its fingerprint differs" : what.joined(separator: "; ")
    }

    /// The first stage whose canonical form differs, for the message.
    func diffRecipes(_ a: [String: Any], _ b: [String: Any]) -> String {
        func stages(_ o: [String: Any]) -> [String] {
            ((o["stages"] as? [Any]) ?? []).map {
                (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
        }
        let sa = stages(a), sb = stages(b)
        for i in 0..<max(sa.count, sb.count) where i >= sa.count || i >= sb.count || sa[i] != sb[i] {
            if i >= sb.count { return "stage \(i + 1) was removed" }
            if i >= sa.count { return "stage \(i + 1) is new" }
            return "stage \(i + 1) was \(sa[i]), now \(sb[i])"
        }
        return "inputs or reader options"
    }

    /// Removes NAME.tmp-PID files that killed runs left behind (under RUNDIR, recursively).
    func removeTemporaryFiles(_ dir: String) {
        guard let e = fm.enumerator(atPath: dir) else { return }
        var stale: [String] = []
        while let rel = e.nextObject() as? String {
            if (rel as NSString).lastPathComponent.contains(".tmp-") { stale.append(rel) }
        }
        for rel in stale { try? fm.removeItem(atPath: (dir as NSString).appendingPathComponent(rel)) }
    }

    // MARK: passes

    /// Recipe stage indices per pass: a barrier stage starts a new pass.
    func splitIntoPasses() -> [[Int]] {
        var passes: [[Int]] = [[]]
        for (i, s) in plan.stages.enumerated() {
            if s.stage.isBarrier(exactToo: exactIsBarrier) && !(passes.count == 1 && passes[0].isEmpty) { passes.append([]) }
            passes[passes.count - 1].append(i)
        }
        // a barrier first in the recipe: its decisions come from the inputs themselves
        return passes
    }

    func passDir(_ p: Int) -> String { (stateDir as NSString).appendingPathComponent("pass-\(p)") }
    func spoolDir(_ p: Int) -> String { (passDir(p) as NSString).appendingPathComponent("spool") }
    func doneDir(_ p: Int) -> String { (passDir(p) as NSString).appendingPathComponent("done") }
    func rejectedPieceDir(_ p: Int, stage s: Int) -> String { (passDir(p) as NSString).appendingPathComponent("rejected/\(stageFileName(s))") }
    func journalDir(_ p: Int) -> String { (passDir(p) as NSString).appendingPathComponent("journal") }
    func journalPath(_ p: Int, _ i: Int, stage s: Int) -> String {
        (journalDir(p) as NSString).appendingPathComponent(partName(i) + "-" + stageFileName(s) + ".bin")
    }
    func marker(_ p: Int, _ i: Int) -> String { (doneDir(p) as NSString).appendingPathComponent(partName(i) + ".json") }

    /// Runs pass `p` over `inputs` (a Slurm task: over `range` of them, its token shards in a
    /// directory of its own; the assemble step gathers them).
    func runPass(_ p: Int, stages idx: [Int], inputs: [InputFile], last: Bool, range: Range<Int>? = nil,
                 task: Int? = nil) throws -> ExitCode {
        let range = range ?? 0..<inputs.count
        let start = Clock.now()
        for d in [doneDir(p), journalDir(p)] + (last ? [path("records")] : [spoolDir(p)]) {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        let outDir = last ? path("records") : spoolDir(p)

        // The chain.
        var chain: [AnyStage] = []
        // exact dedup stages (ordered: their seen keys are journaled per file for a resume)
        var exacts: [(stage: Int, dedup: ExactStage)] = []
        var tokenize: TokenizeStage?
        var firstPassStats: [Int: [(String, JSONValue)]] = [:]
        for (k, s) in idx.enumerated() {
            switch plan.stages[s].stage {
            case .record(let a):
                chain.append(a)
            case .dedup(let o) where o.mode == .exact && !exactIsBarrier:
                let e = ExactStage(options: o)
                e.journaling = true
                exacts.append((s, e))
                chain.append(AnyStage(e))
            case .dedup(let o):
                // a barrier: decide over everything that reached it, then apply in this pass.
                // The decisions are kept with the pass: a rerun reads them instead of deciding
                // again.
                precondition(k == 0)
                let saved = (passDir(p) as NSString).appendingPathComponent("decisions.jsonl")
                let decisions: Decisions
                if fm.fileExists(atPath: saved) {
                    decisions = try Decisions(jsonLines: saved)
                } else if task != nil {
                    throw LLMDataError("\(saved): missing (the decisions of dedup --mode \(o.mode), made by an earlier step of this run)",
                                       hint: "resubmit the run: its decide step runs again first")
                } else {
                    var ro = RunOptions()
                    ro.jobs = settings.jobs
                    ro.quiet = true
                    ro.strict = settings.strict
                    decisions = try DedupRunner.decide(files: inputs, reader: p == 0 ? plan.reader : spoolReader, options: o, run: ro)
                    try writeAtomically(decisions.jsonLines(counts: true), to: saved)
                }
                let apply = ApplyStage(options: o, decisions: decisions, decideSeconds: Clock.now() - start)
                firstPassStats[s] = apply.extraStats().filter { $0.0 != "decide_seconds" }
                chain.append(AnyStage(apply))
            case .tokenize(let o):
                let t = try TokenizeStage(options: o, jobs: settings.jobs, quiet: settings.quiet)
                tokenize = t
                chain.append(AnyStage(t))
            }
        }

        // What earlier runs finished: a prefix of the inputs (of the task's range).
        var done = range.lowerBound
        var committedShards: [Manifest.Shard] = []
        while done < range.upperBound, let m = parseJSONFile(marker(p, done)) {
            if let sh = m["shards"] as? [Any], !sh.isEmpty {
                let data = try JSONSerialization.data(withJSONObject: sh)
                committedShards += try JSONDecoder().decode([Manifest.Shard].self, from: data)
            }
            // a marker without its journals is not a finished file
            let journals = exacts.map { fm.contents(atPath: journalPath(p, done, stage: $0.stage)) }
            if journals.contains(where: { $0 == nil }) { break }
            for (x, j) in zip(exacts, journals) { try x.dedup.restore(journal: Array(j!)) }
            done += 1
        }
        resumedFiles += done - range.lowerBound
        try removeUnfinished(p, files: done..<range.upperBound, stages: idx, outDir: outDir, all: task == nil)
        var writer: ShardWriter?
        if let t = tokenize {
            let dir = task.map { taskShardDir(p, $0) } ?? path("shards")
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // the manifest of an earlier assembly goes (it is written again at the end); shard
            // files of unfinished input files go in the writer
            try? fm.removeItem(atPath: (dir as NSString).appendingPathComponent("manifest.json"))
            let w = try t.openWriter(dir: dir, overwrite: false, keeping: Set(committedShards.flatMap { [$0.file, $0.index] + ($0.ids.map { [$0] } ?? []) }))
            w.resume(committed: committedShards)
            writer = w
        }

        if done < range.upperBound {
            var config = Engine.Config(files: inputs, reader: passReader(p), stages: chain, label: RecipeRunner.label)
            config.firstFile = done
            config.endFile = range.upperBound
            config.lastIsSink = tokenize != nil
            config.jobs = settings.jobs
            config.writeRejected = true
            config.strict = settings.strict
            config.maxWarnings = settings.maxWarnings
            config.progress = ProgressMode.from(settings.progress, quiet: settings.quiet)
            config.compressLevel = 3  // frames made on the workers; the writer only appends them
            config.collectReport = true
            config.countLengths = (in: p == 0, out: last)  // before the run's first stage, after its last
            let engine = try Engine(config)
            var recordsSink: FDSink?
            var pieces: [Int: FDSink] = [:]
            var fileStats: [RunStats] = []
            var fileSamples: [Int: DropSamples] = [:]
            do {
                let completed = try engine.run { r in
                    let i = r.batch.fileIndex
                    if r.batch.isFirstOfFile {
                        recordsSink = try FDSink(path: (outDir as NSString).appendingPathComponent(partName(i) + ".jsonl.zst"))
                        fileStats = Array(repeating: RunStats(), count: chain.count)
                    }
                    try recordsSink!.write(r.output)
                    for (k, bytes) in r.rejected.enumerated() where !bytes.isEmpty {
                        if pieces[k] == nil {
                            let d = rejectedPieceDir(p, stage: idx[k])
                            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
                            pieces[k] = try FDSink(path: (d as NSString).appendingPathComponent(partName(i) + ".jsonl.zst"))
                        }
                        try pieces[k]!.write(bytes)
                    }
                    for k in 0..<chain.count { fileStats[k].merge(r.stats[k]) }
                    for (k, smp) in r.samples { fileSamples[idx[k], default: DropSamples()].merge(smp) }
                    if let w = writer, let (batch, _, _) = r.sinkResult as? (EncodedBatch, Int, Int) { try w.add(batch) }
                    if r.batch.isLastOfFile {
                        try commitFile(p, i, records: recordsSink!, pieces: pieces, stats: fileStats, samples: fileSamples,
                                       writer: writer, exacts: exacts, task: task)
                        recordsSink = nil
                        pieces = [:]
                        fileSamples = [:]
                    }
                }
                if !completed {
                    recordsSink?.abort()
                    for s in pieces.values { s.abort() }
                    writer?.abort()
                    Diagnostics.error(stage: RecipeRunner.label, engine.strictError!, hint: "--strict stops at the first bad record; rerun without it to drop and count bad records (finished files are kept)")
                    return .strictViolation
                }
            } catch {
                recordsSink?.abort()
                for s in pieces.values { s.abort() }
                writer?.abort()
                throw error
            }
        }
        // a task's shards stay in its own directory (the assemble step numbers them in order)
        if task != nil { return .success }
        if let w = writer { manifest = try w.finish() }

        // Stats of this pass, from every file's marker (resumed or not: the same bytes).
        try collectStats(p, stages: idx, files: 0..<inputs.count)
        for s in idx {
            switch plan.stages[s].stage {
            case .dedup(let o) where o.mode == .exact:
                var e = exacts.first { $0.stage == s }!.dedup.extraStats()
                e.removeAll { $0.0 == "decide_seconds" }  // a resumed run would report another value
                stageExtra[s] = e
            case .dedup:
                stageExtra[s] = (firstPassStats[s] ?? []).filter { $0.0 != "decide_seconds" }
            case .tokenize:
                if let m = manifest, let t = tokenize {
                    // as `llmdata tokenize --stats`: what it wrote is the shards
                    stageStats[s].bytesOut = m.shards.reduce(0) { $0 + $1.bytes }
                    stageExtra[s] = t.stats(documents: m.documents, tokens: m.tokens, shards: m.shards.count, bytesIn: stageStats[s].bytesIn)
                        .filter { $0.0 != "load_seconds" }
                }
            case .record(let a):
                stageExtra[s] = a.extraStats()
            }
        }
        return .success
    }

    /// Adds the per-file markers' stats and samples of `files` in pass `p` to the run's.
    func collectStats(_ p: Int, stages idx: [Int], files: Range<Int>) throws {
        for (k, st) in try passStats(p, stages: idx, files: files).enumerated() { stageStats[idx[k]].merge(st) }
        for i in files {
            for (key, v) in (parseJSONFile(marker(p, i))?["samples"] as? [String: Any]) ?? [:] {
                if let s = Int(key), s < stageSamples.count { stageSamples[s].merge(DropSamples(json: (v as? [String: Any]) ?? [:])) }
            }
        }
    }

    /// The stats of pass `p`'s stages over `files`, summed from their markers.
    func passStats(_ p: Int, stages idx: [Int], files: Range<Int>) throws -> [RunStats] {
        var out = Array(repeating: RunStats(), count: idx.count)
        for i in files {
            guard let m = parseJSONFile(marker(p, i)), let st = m["stats"] as? [Any], st.count == idx.count else {
                throw LLMDataError("\(marker(p, i)): missing or unreadable after the pass")
            }
            for k in idx.indices { out[k].merge(RunStats(json: (st[k] as? [String: Any]) ?? [:])) }
        }
        return out
    }

    /// Reading spooled records: JSON Lines that already carry ids.
    var spoolReader: ReaderOptions {
        var r = ReaderOptions()
        r.textField = plan.reader.textField
        r.batchBytes = plan.reader.batchBytes
        r.maxLineBytes = plan.reader.maxLineBytes
        return r
    }

    /// Removes what `files` of pass `p` may have left: their parts, rejected pieces, journals and
    /// markers. With `all` (one process owns the pass) other files in the output directory go too;
    /// a Slurm task leaves the other tasks' files alone.
    func removeUnfinished(_ p: Int, files: Range<Int>, stages idx: [Int], outDir: String, all: Bool) throws {
        var dirs = [outDir, journalDir(p), doneDir(p)]
        for s in idx { dirs.append(rejectedPieceDir(p, stage: s)) }
        for d in dirs {
            for f in (try? fm.contentsOfDirectory(atPath: d)) ?? [] {
                guard f.hasPrefix("part-"), let n = Int(f.dropFirst(5).prefix(5)) else {
                    if d == outDir && all { try? fm.removeItem(atPath: (d as NSString).appendingPathComponent(f)) }
                    continue
                }
                if files.contains(n) || (all && n >= files.lowerBound) {
                    try fm.removeItem(atPath: (d as NSString).appendingPathComponent(f))
                }
            }
        }
    }

    /// A file's outputs are complete: rename them into place, then write its done marker.
    func commitFile(_ p: Int, _ i: Int, records: FDSink, pieces: [Int: FDSink], stats: [RunStats], samples: [Int: DropSamples],
                    writer: ShardWriter?, exacts: [(stage: Int, dedup: ExactStage)], task: Int? = nil) throws {
        if records.bytesWritten == 0 { try records.write(emptyFrame) }  // a valid .zst of no records
        try records.finish()
        for s in pieces.values { try s.finish() }
        var fields: [(String, JSONValue)] = [("stats", .array(stats.map { s in
            var s = s
            s.filesProcessed = 1
            return s.jsonValue
        }))]
        // dropped-record samples by recipe stage index
        fields.append(("samples", .object(samples.keys.sorted().map { (String($0), samples[$0]!.jsonValue) })))
        if let w = writer {
            let shards = try w.cut()
            let data = try JSONEncoder().encode(shards)
            fields.append(("shards", .raw(Array(data))))
            if let t = task { fields.append(("shard_dir", .string((taskShardDir(p, t) as NSString).lastPathComponent))) }
        }
        for x in exacts { try writeAtomically(x.dedup.takeJournal(file: i), to: journalPath(p, i, stage: x.stage)) }
        crashPoint("outputs:\(p):\(i)")
        try writeAtomically(Array((JSONValue.object(fields).serialized + "\n").utf8), to: marker(p, i))
        crashPoint("marker:\(p):\(i)")
    }

    // MARK: final files

    func assemble() throws {
        // a run that read nothing is not a finished run (exit 2; no run.json)
        if !plan.stages.isEmpty && stageStats[0].recordsIn == 0 { throw Diagnostics.noRecordsError(files: files) }
        for d in ["rejected", "stats", "samples"] { try fm.createDirectory(atPath: path(d), withIntermediateDirectories: true) }
        // samples/NN-STAGE.jsonl: a few dropped records per reason (llmdata report)
        for f in (try? fm.contentsOfDirectory(atPath: path("samples"))) ?? [] { try? fm.removeItem(atPath: path("samples/\(f)")) }
        for s in plan.stages.indices where !stageSamples[s].byReason.isEmpty {
            try writeAtomically(stageSamples[s].lines.flatMap { $0 + [0x0A] }, to: path("samples/\(stageFileName(s)).jsonl"))
        }
        let passes = splitIntoPasses()
        for (p, idx) in passes.enumerated() {
            for s in idx {
                // rejected/NN-STAGE.jsonl.zst: the pieces' zstd frames one after another
                let final = path("rejected/\(stageFileName(s)).jsonl.zst")
                let pieceDir = rejectedPieceDir(p, stage: s)
                let pieces = ((try? fm.contentsOfDirectory(atPath: pieceDir)) ?? []).filter { $0.hasPrefix("part-") }.sorted()
                if pieces.isEmpty {
                    let e = try openByteSink(path: final)
                    try e.finish()
                } else {
                    let sink = try FDSink(path: final)
                    do {
                        for f in pieces {
                            guard let d = fm.contents(atPath: (pieceDir as NSString).appendingPathComponent(f)) else {
                                throw LLMDataError("\(pieceDir)/\(f): cannot read")
                            }
                            try sink.write(Array(d))
                        }
                        try sink.finish()
                    } catch {
                        sink.abort()
                        throw error
                    }
                }
                let seconds = stageStats[s].cpuSeconds
                try writeStats(stageStats[s], stage: plan.stages[s].name, seconds: seconds, extra: stageExtra[s],
                               to: path("stats/\(stageFileName(s)).json"))
            }
        }
        crashPoint("assemble")
        // run.json
        var written: [(String, String)] = []
        for d in ["records", "shards", "rejected", "stats", "samples"] {
            for f in ((try? fm.contentsOfDirectory(atPath: path(d))) ?? []).sorted() where !f.contains(".tmp-") {
                written.append((path("\(d)/\(f)"), "\(d)/\(f)"))
            }
        }
        let outputs = try FileDigest.of(written, jobs: settings.jobs)
        // each stage's options as the canonical recipe has them (absolute paths; a repeatable
        // option's values as a list)
        let canonicalStages = ((try? JSONSerialization.jsonObject(with: Data(plan.canonical.utf8))) as? [String: Any])?["stages"] as? [[String: Any]] ?? []
        func canonicalOptions(_ s: Int) -> JSONValue {
            guard s < canonicalStages.count, let o = canonicalStages[s]["options"],
                  let d = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) else { return .object([]) }
            return .raw(Array(d))
        }
        let stagesJSON: [JSONValue] = plan.stages.enumerated().map { (s, st) in
            let stats = stageStats[s]
            func obj(_ d: [String: Int]) -> JSONValue { .object(d.keys.sorted().map { ($0, .int(d[$0]!)) }) }
            return .object([
                ("stage", .string(st.name)),
                ("options", canonicalOptions(s)),
                ("records_in", .int(stats.recordsIn)),
                ("records_out", .int(stats.recordsOut)),
                ("dropped", obj(stats.dropped)),
                ("rejected", obj(stats.rejected)),
                ("seconds", .double((stats.cpuSeconds * 1000).rounded() / 1000)),
                ("stats", .string("stats/\(stageFileName(s)).json")),
                ("rejected_file", .string("rejected/\(stageFileName(s)).jsonl.zst")),
            ])
        }
        let canonicalValue: JSONValue = .raw(Array(plan.canonical.utf8))
        var fields: [(String, JSONValue)] = [
            ("format", .string("llmdata-run")),
            ("version", .int(1)),
            ("llmdata_version", .string(plan.version)),
            ("git_commit", gitCommit().map { .string($0) } ?? .null),
            ("recipe", .object([("path", .string(absolutePath(plan.recipePath))), ("text", .string(plan.recipeText)), ("canonical", canonicalValue)])),
            ("recipe_sha256", .string(SHA256.hex(of: Array(plan.canonical.utf8)))),
            ("fingerprint", .string(fingerprint)),
            ("inputs", .array(inputRecords.map(\.json))),
            ("resources", .array(resourceRecords.map(\.json))),
            ("outputs", .array(outputs.map(\.json))),
            ("stages", .array(stagesJSON)),
            ("started", .string(isoDate(started))),
            ("finished", .string(isoDate(Date()))),
            ("host", .string(ProcessInfo.processInfo.hostName)),
            ("command", .array(command.map { .string($0) })),
            ("executor", executorJSON),
        ]
        if let m = manifest {
            fields.append(("tokens", .object([("documents", .int(m.documents)), ("tokens", .int(m.tokens)), ("shards", .int(m.shards.count))])))
        }
        try writeAtomically(Array((JSONValue.object(fields).serialized + "\n").utf8), to: path("run.json"))
        crashPoint("run.json")
        try? fm.removeItem(atPath: stateDir)
        if !settings.quiet { printSummary(outputs: outputs) }
    }

    func printSummary(outputs: [FileDigest]) {
        var s = "\(runDir): \(files.count) input file(s)" + (resumedFiles > 0 ? " (\(resumedFiles) file pass(es) resumed from an earlier run)" : "") + "\n"
        let width = plan.stages.map(\.name.count).max() ?? 8
        for (i, st) in plan.stages.enumerated() {
            let x = stageStats[i]
            let name = st.name.padding(toLength: width, withPad: " ", startingAt: 0)
            var line = "  \(String(format: "%02d", i + 1)) \(name)  \(Progress.grouped(x.recordsIn)) in → \(Progress.grouped(x.recordsOut)) out"
            let dropped = x.dropped.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            if !dropped.isEmpty {
                line += "  dropped \(Progress.grouped(x.droppedTotal)): " + dropped.prefix(4).map { "\($0.key) \(Progress.grouped($0.value))" }.joined(separator: ", ")
                if dropped.count > 4 { line += ", …" }
            }
            if x.rejectedTotal > 0 { line += "  rejected \(Progress.grouped(x.rejectedTotal))" }
            s += line + "\n"
        }
        let recordBytes = outputs.filter { $0.path.hasPrefix("records/") }.reduce(0) { $0 + $1.bytes }
        s += "  records/  \(outputs.filter { $0.path.hasPrefix("records/") }.count) file(s), \(Progress.grouped(recordBytes)) bytes (zstd)\n"
        if let m = manifest {
            s += "  shards/   \(Progress.grouped(m.documents)) documents, \(Progress.grouped(m.tokens)) tokens in \(m.shards.count) shard(s)\n"
        }
        s += "  run.json  provenance (llmdata run --verify \(runDir) re-hashes it)\n"
        FileHandle.standardOutput.write(Data(s.utf8))
    }
}
