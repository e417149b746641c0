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
    /// Show progress on stderr (default: when stderr is a terminal and not quiet).
    public var progress: Bool? = nil
    public var strict = false
    /// Rewrite outputs that already exist in directory mode.
    public var overwrite = false
    /// Compression for directory outputs (default zst).
    public var directoryCompression: Compression = .zst
    /// Reader problems printed before the rest are only counted.
    public var maxWarnings = 100
    /// Extra fields for `--stats` (stages that run passes of their own before writing).
    public var statsExtra: [(String, JSONValue)] = []
    /// A file that stands in for stdin (see InputFile.standingInForStdin).
    public var stdinStandIn: String?
    /// Extra fields for `--stats` known only when the run has finished (after `statsExtra`).
    public var statsExtraAtEnd: (@Sendable () -> [(String, JSONValue)])? = nil
    /// When the stage started, if before `run` (so `seconds` covers all its passes).
    public var startedAt: Double? = nil
    public init() {}
}

/// Bounded in-order pipeline: one reader thread, N workers, the calling thread writes.
final class Pipeline: @unchecked Sendable {
    let cond = NSCondition()
    var queue: [Chunk] = []
    var results: [Int: ProcessedChunk] = [:]
    var inFlight = 0
    let maxInFlight: Int
    var readerDone = false
    var totalChunks = Int.max
    var cancelled = false
    var readerError: Error?

    init(maxInFlight: Int) { self.maxInFlight = maxInFlight }

    func put(_ c: Chunk) -> Bool {
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
        totalChunks = total
        readerError = error
        cond.broadcast()
        cond.unlock()
    }

    func take() -> Chunk? {
        cond.lock()
        defer { cond.unlock() }
        while queue.isEmpty && !readerDone && !cancelled { cond.wait() }
        if cancelled || queue.isEmpty { return nil }
        return queue.removeFirst()
    }

    func deliver(_ p: ProcessedChunk) {
        cond.lock()
        results[p.chunk.seq] = p
        cond.broadcast()
        cond.unlock()
    }

    /// The result for `seq`, or nil when every chunk has been written.
    func next(_ seq: Int) -> ProcessedChunk? {
        cond.lock()
        defer { cond.unlock() }
        while results[seq] == nil && !(readerDone && seq >= totalChunks) { cond.wait() }
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
    }

    /// Starts the reader thread and one thread per processor; the returned group is left when
    /// every worker has stopped. The caller takes results in order with `next(_:)`.
    func start(files: [InputFile], reader: ReaderOptions, processors: [ChunkProcessor]) -> DispatchGroup {
        let readerThread = Thread { [self] in
            let r = ChunkReader(files: files, options: reader)
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

public enum StageRunner {
    /// Runs a record stage over inputs and returns the exit code. Messages go to stderr.
    public static func run(stage: RecordStage, inputs: [String], format: InputFormat? = nil,
                           reader: ReaderOptions, options: RunOptions) -> ExitCode {
        signal(SIGPIPE, SIG_IGN)
        tuneAllocator()
        let start = options.startedAt ?? Clock.now()
        var stats = RunStats()
        var exit: ExitCode = .success
        var warnings = 0
        var outputSink: ByteSink?
        var rejectedSink: ByteSink?
        var currentFileSink: ByteSink?
        do {
            let files = try InputDiscovery.discover(inputs, formatOverride: format).map {
                $0.path == options.stdinStandIn ? $0.standingInForStdin() : $0
            }
            let outArg = options.output ?? "-"
            var isDir: ObjCBool = false
            let dirMode = outArg != "-" && (outArg.hasSuffix("/") || (FileManager.default.fileExists(atPath: outArg, isDirectory: &isDir) && isDir.boolValue))

            // Directory mode: one output per input, skipping outputs that are already complete.
            var work: [InputFile] = []
            var outPaths: [String] = []
            if dirMode {
                for f in files {
                    let p = (outArg as NSString).appendingPathComponent(f.stem + ".jsonl" + options.directoryCompression.fileExtension)
                    if !options.overwrite && FileManager.default.fileExists(atPath: p) {
                        stats.filesSkipped += 1
                        if !options.quiet { Diagnostics.write("llmdata \(stage.name): skipping \(f.path): \(p) is complete\n") }
                        continue
                    }
                    work.append(f)
                    outPaths.append(p)
                }
            } else {
                work = files
                outputSink = try openByteSink(path: outArg)
            }
            if let r = options.rejectedPath { rejectedSink = try openByteSink(path: r) }

            let jobs = max(1, options.jobs)
            let pipeline = Pipeline(maxInFlight: jobs * 2 + 2)
            // Workers are created up front so a stage's set-up errors are fatal before any I/O.
            var processors: [ChunkProcessor] = []
            for _ in 0..<jobs {
                processors.append(try ChunkProcessor(stage: stage, files: work, reader: reader,
                                                     writeRejected: rejectedSink != nil))
            }
            // OrderedStage: workers note record slots; the writer thread resolves each batch in
            // order and writes dropped records again with a processor of its own.
            let ordered = stage as? OrderedStage
            var resolver: ChunkProcessor? = nil
            if ordered != nil {
                for p in processors { p.trackSlots = true }
                resolver = try ChunkProcessor(stage: stage, files: work, reader: reader, writeRejected: rejectedSink != nil)
            }
            let done = pipeline.start(files: work, reader: reader, processors: processors)

            let progress = Progress(stage: stage.name, enabled: options.progress ?? (!options.quiet && isatty(2) != 0))
            var seq = 0
            do {
                while let r = pipeline.next(seq) {
                    seq += 1
                    let c = r.chunk
                    if dirMode && c.isFirstOfFile {
                        currentFileSink = try openByteSink(path: outPaths[c.fileIndex])
                    }
                    for m in r.messages {
                        warnings += 1
                        if warnings <= options.maxWarnings {
                            Diagnostics.write("llmdata \(stage.name): warning: \(m)\n")
                        }
                    }
                    if options.strict, let e = r.firstError {
                        Diagnostics.error(stage: stage.name, e, hint: "--strict stops at the first bad record; drop it to skip and count them")
                        exit = .strictViolation
                        pipeline.cancel()
                        break
                    }
                    if let ordered, let payload = r.payload {
                        let drops = ordered.resolve(payload)
                        if !drops.isEmpty { resolver!.applyDrops(drops, to: r) }
                    }
                    let sink = dirMode ? currentFileSink! : outputSink!
                    try sink.write(r.output)
                    if let rs = rejectedSink, !r.rejected.isEmpty { try rs.write(r.rejected) }
                    stats.merge(r.stats)
                    if c.isLastOfFile {
                        stats.filesProcessed += 1
                        if dirMode {
                            try currentFileSink?.finish()
                            currentFileSink = nil
                        }
                    }
                    progress.update(stats)
                }
            } catch {
                pipeline.cancel()
                done.wait()
                throw error
            }
            done.wait()
            if exit == .success, let e = pipeline.readerError { throw e }
            progress.finish(stats)
            if warnings > options.maxWarnings {
                Diagnostics.write("llmdata \(stage.name): warning: \(warnings - options.maxWarnings) more problems not shown (counts in --stats)\n")
            }
            if exit == .success {
                try outputSink?.finish()
                try rejectedSink?.finish()
            } else {
                outputSink?.abort()
                rejectedSink?.abort()
                currentFileSink?.abort()
            }
        } catch is BrokenPipe {
            outputSink?.abort()
            rejectedSink?.abort()
            currentFileSink?.abort()
            return .success
        } catch let e as LLMDataError {
            outputSink?.abort()
            rejectedSink?.abort()
            currentFileSink?.abort()
            Diagnostics.error(stage: stage.name, e.message, hint: e.hint)
            return e.exitCode
        } catch {
            outputSink?.abort()
            rejectedSink?.abort()
            currentFileSink?.abort()
            Diagnostics.error(stage: stage.name, "\(error)")
            return .fatal
        }
        if let sp = options.statsPath {
            let json = stats.json(stage: stage.name, seconds: Clock.now() - start,
                                  extra: options.statsExtra + (options.statsExtraAtEnd?() ?? []))
            do {
                let s = try openByteSink(path: sp)
                try s.write(Array(json.utf8))
                try s.finish()
            } catch {
                Diagnostics.error(stage: stage.name, "\(sp): cannot write stats: \(error)")
                return .fatal
            }
        }
        return exit
    }
}

/// Batches are a few MB; keep glibc from returning them to the kernel after every batch
/// (measured: page faults were ~5% of normalize's time).
public func tuneAllocator() { llm_tune_allocator() }
