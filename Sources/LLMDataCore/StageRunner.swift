import Foundation

/// Writes a stats document atomically.
public func writeStats(_ stats: RunStats, stage: String, seconds: Double, extra: [(String, JSONValue)], to path: String) throws {
    let json = stats.json(stage: stage, seconds: seconds, extra: extra)
    let s = try openByteSink(path: path)
    try s.write(Array(json.utf8))
    try s.finish()
}

public enum StageRunner {
    /// Runs a record stage over inputs (a subcommand) and returns the exit code. Messages go to
    /// stderr.
    public static func run<S: RecordStage>(stage: S, inputs: [String], format: InputFormat? = nil,
                                           reader: ReaderOptions, options: RunOptions) -> ExitCode {
        do {
            let files = try InputDiscovery.discover(inputs, formatOverride: format)
            return run(stage: stage, files: files, reader: reader, options: options)
        } catch let e as LLMDataError {
            Diagnostics.error(stage: stage.name, e.message, hint: e.hint)
            return e.exitCode
        } catch {
            Diagnostics.error(stage: stage.name, "\(error)")
            return .fatal
        }
    }

    /// The same over files already discovered.
    public static func run<S: RecordStage>(stage: S, files: [InputFile], reader: ReaderOptions, options: RunOptions) -> ExitCode {
        signal(SIGPIPE, SIG_IGN)
        let start = options.startedAt ?? Clock.now()
        var stats = RunStats()
        var exit: ExitCode = .success
        var outputSink: ByteSink?
        var rejectedSink: ByteSink?
        var currentFileSink: ByteSink?
        func abortAll() {
            outputSink?.abort()
            rejectedSink?.abort()
            currentFileSink?.abort()
        }
        do {
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

            var config = Engine.Config(files: work, reader: reader, stages: [AnyStage(stage)], label: stage.name)
            config.jobs = options.jobs
            config.writeRejected = rejectedSink != nil
            config.strict = options.strict
            config.maxWarnings = options.maxWarnings
            config.progress = ProgressMode.from(options.progress, quiet: options.quiet)
            let engine = try Engine(config)
            let completed = try engine.run { r in
                let c = r.batch
                if dirMode && c.isFirstOfFile {
                    currentFileSink = try openByteSink(path: outPaths[c.fileIndex])
                }
                let sink = dirMode ? currentFileSink! : outputSink!
                try sink.write(r.output)
                if let rs = rejectedSink, !r.rejected[0].isEmpty { try rs.write(r.rejected[0]) }
                stats.merge(r.stats[0])
                if c.isLastOfFile {
                    stats.filesProcessed += 1
                    if dirMode {
                        try currentFileSink?.finish()
                        currentFileSink = nil
                    }
                }
            }
            if completed {
                try outputSink?.finish()
                try rejectedSink?.finish()
            } else {
                Diagnostics.error(stage: stage.name, engine.strictError!, hint: "--strict stops at the first bad record; drop it to skip and count them")
                exit = .strictViolation
                abortAll()
            }
            if let sp = options.statsPath {
                do {
                    try writeStats(stats, stage: stage.name, seconds: Clock.now() - start, extra: stage.extraStats(), to: sp)
                } catch {
                    Diagnostics.error(stage: stage.name, "\(sp): cannot write stats: \(error)")
                    return .fatal
                }
            }
            return exit
        } catch is BrokenPipe {
            abortAll()
            return .success
        } catch let e as LLMDataError {
            abortAll()
            Diagnostics.error(stage: stage.name, e.message, hint: e.hint)
            return e.exitCode
        } catch {
            abortAll()
            Diagnostics.error(stage: stage.name, "\(error)")
            return .fatal
        }
    }
}
