import ArgumentParser
import Foundation
import LLMDataCore

extension InputFormat: ExpressibleByArgument {}
extension TxtMode: ExpressibleByArgument {}
extension Compression: ExpressibleByArgument {}

/// Input options shared by every record stage.
struct InputOptions: ParsableArguments {
    @Argument(help: "Input files or directories (recursive, sorted); - or nothing reads stdin.")
    var inputs: [String] = []

    @Option(name: .customLong("text-field"), help: "The field that holds the text.")
    var textField = "text"

    @Option(help: "Input format, overriding the file extension (jsonl, json, txt, parquet).")
    var format: InputFormat?

    @Option(name: .customLong("txt-mode"), help: "How plain text becomes records: line, paragraph or file.")
    var txtMode: TxtMode = .line

    @Flag(name: .customLong("repair-utf8"), help: "Repair invalid UTF-8 and lone surrogate escapes in JSON input to U+FFFD instead of rejecting the record.")
    var repairUTF8 = false

    @Option(name: .customLong("max-line-bytes"), help: "Skip and report lines longer than this.")
    var maxLineBytes = 1 << 30

    @Option(name: .customLong("batch-bytes"), help: "Input bytes per batch handed to a worker (batches end at record boundaries).")
    var batchBytes = 1 << 18

    @Option(name: .customLong("shard-index"), help: ArgumentHelp("Run as task I of --shard-count tasks (0-based, e.g. $SLURM_ARRAY_TASK_ID): read only the input files whose number in the sorted list of all inputs is I modulo the count.", valueName: "I"))
    var shardIndex = 0

    @Option(name: .customLong("shard-count"), help: ArgumentHelp("Number of tasks the inputs are split into (each file is read by one task; ids and outputs are those of a one-process run).", valueName: "N"))
    var shardCount = 1

    func validate() throws {
        if let p = share.problem { throw ValidationError(p) }
    }

    /// This task's share of the inputs (`--shard-index/--shard-count`).
    var share: TaskShare { TaskShare(index: shardIndex, count: shardCount) }

    var reader: ReaderOptions {
        var r = ReaderOptions()
        r.textField = textField
        r.txtMode = txtMode
        r.repairUTF8 = repairUTF8
        r.maxLineBytes = maxLineBytes
        r.batchBytes = max(1, batchBytes)
        r.share = share
        return r
    }
}

/// `--jobs N`, wherever it is declared: from 1 to `limit` worker threads. Declared with
/// `parsing: .unconditional`, so that `--jobs -1` reads -1 (and is refused by `problem`) instead of
/// taking -1 for a flag and reporting a missing value.
enum JobsFlag {
    /// Far above any useful count (a worker per core is the default; more than a few per core only
    /// costs memory), and low enough that each worker's buffers cannot exhaust the address space
    /// (`tokenize --jobs 100000` once died of SIGILL after mapping 2 GB).
    static let limit = 1024

    /// Why `n` is not a worker count, or nil.
    static func problem(_ n: Int, flag: String = "--jobs") -> String? {
        if n < 1 { return "\(flag) must be at least 1 (got \(n))" }
        if n > limit {
            return "\(flag) \(n) is more than \(limit) worker threads (this machine has \(ProcessInfo.processInfo.activeProcessorCount) cores; the default is one per core)"
        }
        return nil
    }
}

/// Worker, statistics and strictness options shared by every stage.
struct WorkerFlags: ParsableArguments {
    @Option(parsing: .unconditional, help: "Worker threads, 1 to 1024 (default: all cores). Output is identical for any value.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Write run statistics as JSON to this file.")
    var stats: String?

    @Flag(help: "Stop with exit code 1 at the first bad record or input.")
    var strict = false

    @Flag(help: "No progress line and no skip notices.")
    var quiet = false

    @Option(name: .customLong("max-warnings"), help: "Print at most this many per-record warnings; the rest are counted.")
    var maxWarnings = 100

    func validate() throws {
        if let p = JobsFlag.problem(jobs) { throw ValidationError(p) }
    }

    var options: RunOptions {
        var o = RunOptions()
        o.jobs = jobs
        o.statsPath = stats
        o.strict = strict
        o.quiet = quiet
        o.maxWarnings = maxWarnings
        return o
    }
}

/// Output and run options shared by every record stage that writes records.
struct RunFlags: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Output: - (stdout, default), a file (.jsonl, .jsonl.zst, .jsonl.gz), or a directory (ends in / or exists) that mirrors the input tree.")
    var output: String?

    @Option(help: "Write rejected and dropped records to this file (an unreadable line as a record that holds it, with file, line and reason).")
    var rejected: String?

    @Flag(help: "In directory mode, rewrite outputs that already exist instead of skipping them.")
    var overwrite = false

    @Option(name: .customLong("compression"), help: "Compression of directory outputs: zst (default), gz or none.")
    var compression: Compression = .zst

    @OptionGroup var worker: WorkerFlags

    var jobs: Int { worker.jobs }
    var stats: String? { worker.stats }
    var strict: Bool { worker.strict }
    var quiet: Bool { worker.quiet }
    var maxWarnings: Int { worker.maxWarnings }

    var options: RunOptions {
        var o = worker.options
        o.output = output
        o.rejectedPath = rejected
        o.overwrite = overwrite
        o.directoryCompression = compression
        return o
    }
}

/// Turns a runner's exit code into the process exit code.
func finish(_ code: LLMDataCore.ExitCode) throws {
    if code != .success { throw ArgumentParser.ExitCode(code.rawValue) }
}

/// Refuses an output path that exists and is not a directory (before any input is read), as
/// `PATH: exists and is not a directory` with a hint, instead of the raw error of creating it.
func refuseNonDirectory(_ path: String, flag: String, names what: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
        throw LLMDataError("\(path): exists and is not a directory", hint: "\(flag) names \(what): give a new or existing directory")
    }
}

/// A stats document (`--stats FILE`) for a step that reads no records itself or only counts them:
/// the usual keys (records_in and records_out = `records`) and the step's own counts.
func writeCountStats(stage: String, seconds: Double, records: Int, _ extra: [(String, JSONValue)], to path: String) throws {
    var s = RunStats()
    s.recordsIn = records
    s.recordsOut = records
    try writeStats(s, stage: stage, seconds: seconds, extra: extra, to: path)
}
