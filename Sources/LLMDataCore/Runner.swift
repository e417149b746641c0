import CTextKernels
import Foundation

/// Options every record stage shares (docs/cli.md#common-options).
public struct RunOptions: Sendable {
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// nil or `-`: stdout. A path ending in `/` or an existing directory: mirror the input tree.
    public var output: String?
    public var rejectedPath: String?
    public var statsPath: String?
    public var quiet = false
    /// Show progress on stderr (default: redrawn on a terminal, a log line every
    /// `Progress.logInterval` seconds otherwise; nothing with `quiet`).
    public var progress: Bool? = nil
    public var strict = false
    /// Rewrite outputs that already exist in directory mode.
    public var overwrite = false
    /// Compression for directory outputs (default zst).
    public var directoryCompression: Compression = .zst
    /// Reader problems printed before the rest are only counted.
    public var maxWarnings = 100
    /// When the stage started, if before `run` (so `seconds` covers all its passes).
    public var startedAt: Double? = nil
    public init() {}
}

/// Bounded in-order pipeline: one reader thread, N workers, the calling thread writes.
final class Pipeline: @unchecked Sendable {
    let cond = NSCondition()
    var queue: [Batch] = []
    var results: [Int: ProcessedBatch] = [:]
    var inFlight = 0
    let maxInFlight: Int
    var readerDone = false
    var totalBatches = Int.max
    var cancelled = false
    var readerError: Error?
    let sequencers: [Sequencer]

    init(maxInFlight: Int, sequencers: [Sequencer]) {
        self.maxInFlight = maxInFlight
        self.sequencers = sequencers
    }

    func put(_ c: Batch) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while inFlight >= maxInFlight && !cancelled { cond.wait() }
        if cancelled { return false }
        inFlight += 1
        queue.append(c)
        cond.broadcast()
        return true
    }

    func finishReading(total: Int, error: Error?) {
        cond.lock()
        readerDone = true
        totalBatches = total
        readerError = error
        cond.broadcast()
        cond.unlock()
    }

    func take() -> Batch? {
        cond.lock()
        defer { cond.unlock() }
        while queue.isEmpty && !readerDone && !cancelled { cond.wait() }
        if cancelled || queue.isEmpty { return nil }
        return queue.removeFirst()
    }

    func deliver(_ p: ProcessedBatch) {
        cond.lock()
        results[p.batch.seq] = p
        cond.broadcast()
        cond.unlock()
    }

    /// The result for `seq`, or nil when every batch has been written.
    func next(_ seq: Int) -> ProcessedBatch? {
        cond.lock()
        defer { cond.unlock() }
        while results[seq] == nil && !(readerDone && seq >= totalBatches) && !cancelled { cond.wait() }
        guard let r = results.removeValue(forKey: seq) else { return nil }
        inFlight -= 1
        cond.broadcast()
        return r
    }

    func cancel() {
        cond.lock()
        cancelled = true
        cond.broadcast()
        cond.unlock()
        for s in sequencers { s.cancel() }
    }

    /// Starts the reader thread and one thread per processor; the returned group is left when
    /// every worker has stopped. The caller takes results in order with `next(_:)`.
    func start(files: [InputFile], firstFile: Int, endFile: Int? = nil, reader: ReaderOptions, processors: [BatchProcessor]) -> DispatchGroup {
        let readerThread = Thread { [self] in
            let r = BatchReader(files: files, options: reader)
            r.firstFile = firstFile
            r.endFile = endFile
            var count = 0
            var err: Error?
            do {
                try r.run { c in
                    if !put(c) { throw CancellationError() }
                    count += 1
                }
            } catch is CancellationError {
            } catch { err = error }
            finishReading(total: count, error: err)
        }
        readerThread.stackSize = 8 << 20
        readerThread.start()
        let done = DispatchGroup()
        for p in processors {
            done.enter()
            let t = Thread { [self] in
                while let c = take() { deliver(p.process(c)) }
                done.leave()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        return done
    }
}

/// The one runner: reads `files`, runs the chain of `stages` on `jobs` worker threads, and hands
/// each processed batch to `onBatch` in input order on the calling thread. It prints the
/// batches' warnings, stops at the first bad record with `strict`, shows progress and cleans up
/// its threads on every exit path. Callers decide what to do with the output (Runner's
/// `StageRunner`, `RecordScanner`, and the recipe runner in LLMDataRun).
public final class Engine {
    public struct Config {
        public var files: [InputFile]
        public var reader: ReaderOptions
        public var stages: [AnyStage]
        /// The last stage's batch results go to `ProcessedBatch.sinkResult`.
        public var lastIsSink = false
        public var jobs = 1
        public var writeRejected = false
        public var discardOutput = false
        public var strict = false
        public var maxWarnings = 100
        /// `llmdata LABEL: warning: …`
        public var label: String
        public var progress = ProgressMode.off
        /// Files before this index are skipped (already done); file indices stay those of `files`.
        public var firstFile = 0
        /// Files from this index on are not read (nil: to the end); see `BatchReader.endFile`.
        public var endFile: Int?
        /// Compress each batch's output and rejected bytes into one zstd frame each on the worker
        /// threads; nil leaves them JSON Lines.
        public var compressLevel: Int32?
        /// Collect `llmdata report`'s data: length histograms (counters) and samples of dropped
        /// records (`ProcessedBatch.samples`).
        public var collectReport = false
        /// With `collectReport`: count document lengths entering the chain (`length_in_log2`)
        /// and leaving it (`length_out_log2`).
        public var countLengths = (in: true, out: true)
        public init(files: [InputFile], reader: ReaderOptions, stages: [AnyStage], label: String) {
            self.files = files
            self.reader = reader
            self.stages = stages
            self.label = label
        }
    }

    public let config: Config
    let processors: [BatchProcessor]
    let sequencers: [Sequencer]
    public private(set) var warnings = 0
    /// The first bad record's message when `strict` stopped the run.
    public private(set) var strictError: String?

    /// Workers are created up front, so a stage's set-up errors are fatal before any I/O.
    public init(_ config: Config) throws {
        self.config = config
        let seqs: [Sequencer?] = config.stages.map { $0.resolve == nil ? nil : Sequencer() }
        sequencers = seqs.compactMap { $0 }
        var ps: [BatchProcessor] = []
        for _ in 0..<max(1, config.jobs) {
            let p = try BatchProcessor(stages: config.stages, lastIsSink: config.lastIsSink, sequencers: seqs,
                                       files: config.files, reader: config.reader, writeRejected: config.writeRejected,
                                       discardOutput: config.discardOutput)
            if let level = config.compressLevel { p.compressor = FrameZstd(level: level) }
            p.collectReport = config.collectReport
            (p.countLengthIn, p.countLengthOut) = config.countLengths
            ps.append(p)
        }
        processors = ps
    }

    /// The workers' own stage instances (`AnyWorkerBox.worker`), one per thread, for stage `index`.
    public func workers<W: RecordWorker>(of index: Int, as: W.Type) -> [W] {
        processors.map { ($0.workers[index] as! AnyWorkerBox<W>).worker }
    }

    /// Runs to the end. Returns false when `strict` stopped the run at a bad record (the message
    /// is printed and in `strictError`); errors from `onBatch` and the reader are thrown.
    public func run(_ onBatch: (ProcessedBatch) throws -> Void) throws -> Bool {
        tuneAllocator()
        let pipeline = Pipeline(maxInFlight: processors.count * 2 + 2, sequencers: sequencers)
        let done = pipeline.start(files: config.files, firstFile: config.firstFile, endFile: config.endFile, reader: config.reader, processors: processors)
        let progress = Progress(label: config.label, stages: config.stages.map(\.name), files: Array(config.files.prefix(config.endFile ?? config.files.count)),
                                mode: config.progress)
        progress.skip(filesBefore: config.firstFile)
        var seq = 0
        do {
            while let r = pipeline.next(seq) {
                seq += 1
                for m in r.messages {
                    warnings += 1
                    if warnings <= config.maxWarnings { Diagnostics.write("llmdata \(config.label): warning: \(m)\n") }
                }
                if config.strict, let e = r.firstError {
                    strictError = e
                    pipeline.cancel()
                    break
                }
                try onBatch(r)
                progress.update(r)
            }
        } catch {
            pipeline.cancel()
            done.wait()
            progress.finish()
            throw error
        }
        done.wait()
        progress.finish()
        if strictError != nil { return false }
        if let e = pipeline.readerError { throw e }
        if warnings > config.maxWarnings {
            Diagnostics.write("llmdata \(config.label): warning: \(warnings - config.maxWarnings) more problems not shown (counts in --stats)\n")
        }
        return true
    }
}

public enum ProgressMode: Sendable {
    case off
    /// One line redrawn in place (stderr is a terminal).
    case redraw
    /// One log line per interval (a log file, a Slurm job).
    case log

    public static func from(_ explicit: Bool?, quiet: Bool) -> ProgressMode {
        if explicit == false || (explicit == nil && quiet) { return .off }
        return isatty(2) != 0 ? .redraw : .log
    }
}

/// Progress on stderr: records and bytes per stage, rate and ETA. On a terminal one line redrawn
/// every half second; otherwise one log line every `logInterval` seconds
/// (`LLMDATA_PROGRESS_INTERVAL`, default 30).
public final class Progress {
    let label: String
    let stages: [String]
    let mode: ProgressMode
    let start: Double
    var last = 0.0
    var drawn = false
    /// On-disk bytes of every input (for the ETA), and of the files finished so far.
    let fileSizes: [Int]
    let compressed: [Bool]
    let totalBytes: Int
    /// Bytes already done when this process started (the rate and ETA count from there).
    var startBytes = 0
    var finishedBytes = 0
    var currentFileIn = 0
    var recordsIn = 0
    var out: [Int]
    var bytesIn = 0
    public static let logInterval: Double = {
        ProcessInfo.processInfo.environment["LLMDATA_PROGRESS_INTERVAL"].flatMap(Double.init) ?? 30
    }()

    public init(label: String, stages: [String], files: [InputFile], mode: ProgressMode) {
        self.label = label
        self.stages = stages
        self.mode = mode
        start = Clock.now()
        last = mode == .log ? start : 0  // a log line after the first interval, not at the start
        fileSizes = files.map { f in
            var st = stat()
            return stat(f.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        }
        compressed = files.map { Compression.of(path: $0.path) != .none }
        totalBytes = fileSizes.reduce(0, +)
        out = Array(repeating: 0, count: stages.count)
    }

    func update(_ r: ProcessedBatch) {
        guard mode != .off else { return }
        recordsIn += r.stats[0].recordsIn
        bytesIn += r.batch.bytesIn
        for (i, s) in r.stats.enumerated() { out[i] += s.recordsOut }
        // within a file, only an uncompressed one's bytes read tell how far it is
        if !compressed[r.batch.fileIndex] { currentFileIn += r.batch.bytesIn }
        if r.batch.isLastOfFile {
            finishedBytes += fileSizes[r.batch.fileIndex]
            currentFileIn = 0
        }
        draw(force: false, currentFile: r.batch.fileIndex)
    }

    /// Files before `index` were done before this process started (a resumed run).
    func skip(filesBefore index: Int) {
        finishedBytes = fileSizes.prefix(index).reduce(0, +)
        startBytes = finishedBytes
    }

    func draw(force: Bool, currentFile: Int?) {
        let now = Clock.now()
        let interval = mode == .redraw ? 0.5 : Progress.logInterval
        if !force && now - last < interval { return }
        last = now
        let secs = max(now - start, 1e-9)
        let mb = Double(bytesIn) / 1e6
        var line = "\(label): \(Progress.grouped(recordsIn)) records, " + String(format: "%.1f MB, %.1f MB/s", mb, mb / secs)
        if totalBytes > 0 {
            var doneBytes = finishedBytes
            if let f = currentFile, f < fileSizes.count { doneBytes += min(currentFileIn, fileSizes[f]) }
            let frac = min(1, Double(doneBytes) / Double(totalBytes))
            line += String(format: ", %.0f%%", frac * 100)
            // the rate of this process's own work sets the ETA
            let doneHere = Double(doneBytes - startBytes), left = Double(totalBytes - doneBytes)
            if doneHere > 0.01 * Double(totalBytes) && left > 0 {
                let eta = Int(secs * left / doneHere)
                line += String(format: ", ETA %d:%02d", eta / 60, eta % 60)
            }
        }
        if stages.count > 1 || stages.first != label {
            line += " | " + zip(stages, out).map { "\($0) \(Progress.grouped($1))" }.joined(separator: " → ")
        }
        if mode == .redraw {
            Diagnostics.write("\r\u{1B}[Kllmdata " + line)
            drawn = true
        } else {
            Diagnostics.write("llmdata " + line + "\n")
        }
    }

    func finish() {
        guard mode == .redraw, drawn else { return }
        draw(force: true, currentFile: nil)
        Diagnostics.write("\n")
        drawn = false
    }

    /// 1234567 → "1,234,567".
    public static func grouped(_ n: Int) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}

/// A stage made from a closure (scans whose workers count or collect, and hand back nothing
/// through verdicts).
public struct ScanStage<W: RecordWorker>: RecordStage, @unchecked Sendable {
    public let name: String
    let make: () throws -> W
    public init(name: String, make: @escaping () throws -> W) {
        self.name = name
        self.make = make
    }
    public func makeWorker() throws -> W { try make() }
}

public enum RecordScanner {
    /// Reads `files` with `jobs` threads through workers that keep every record (word counts,
    /// signatures); returns the workers and the run's stats. Bad records are reported to stderr
    /// as `file:line: reason` and counted; with `strict` the first one is thrown.
    public static func scan<W: RecordWorker>(files: [InputFile], reader: ReaderOptions, jobs: Int, stageName: String,
                                             strict: Bool = false, quiet: Bool = false, maxWarnings: Int = 100,
                                             make: @escaping () throws -> W) throws -> (visitors: [W], stats: RunStats) {
        try scanOrdered(files: files, reader: reader, jobs: jobs, stageName: stageName, strict: strict, quiet: quiet,
                        maxWarnings: maxWarnings, make: make, consume: nil)
    }

    /// Like `scan`, with each batch's result handed to `consume` in input order, on the calling
    /// thread, together with the batch's stats.
    public static func scanOrdered<W: RecordWorker>(files: [InputFile], reader: ReaderOptions, jobs: Int, stageName: String,
                                                    strict: Bool = false, quiet: Bool = false, maxWarnings: Int = 100,
                                                    make: @escaping () throws -> W,
                                                    consume: ((W.Batch, RunStats) throws -> Void)?) throws -> (visitors: [W], stats: RunStats) {
        var config = Engine.Config(files: files, reader: reader, stages: [AnyStage(ScanStage(name: stageName, make: make))], label: stageName)
        config.jobs = jobs
        config.lastIsSink = true
        config.discardOutput = true
        config.strict = strict
        config.maxWarnings = maxWarnings
        config.progress = ProgressMode.from(nil, quiet: quiet)
        let engine = try Engine(config)
        var stats = RunStats()
        let completed = try engine.run { r in
            if let consume { try consume(r.sinkResult as! W.Batch, r.stats[0]) }
            stats.merge(r.stats[0])
            if r.batch.isLastOfFile { stats.filesProcessed += 1 }
        }
        if !completed, let e = engine.strictError { throw LLMDataError(e, exitCode: .strictViolation) }
        return (engine.workers(of: 0, as: W.self), stats)
    }
}

/// Batches are a few MB; keep glibc from returning them to the kernel after every batch
/// (measured: page faults were ~5% of normalize's time).
public func tuneAllocator() { llm_tune_allocator() }
