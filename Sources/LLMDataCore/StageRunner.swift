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
            let all = try InputDiscovery.discover(inputs, formatOverride: format)
            if !reader.share.isWhole, isDirectoryOutput(options.output) {
                // tasks share the output directory: no two of all the tasks' inputs may share an output
                try OutputDirectory.checkDistinctOutputs(all, dir: options.output!, compression: options.directoryCompression)
            }
            let files = try reader.share.select(all)
            return run(stage: stage, files: files, reader: reader, options: options, inputArgs: inputs)
        } catch {
            return Diagnostics.exitCode(for: error, stage: stage.name)
        }
    }

    /// The same over files already discovered.
    public static func run<S: RecordStage>(stage: S, files: [InputFile], reader: ReaderOptions, options: RunOptions) -> ExitCode {
        run(stage: stage, files: files, reader: reader, options: options, inputArgs: nil)
    }

    /// One input's files in directory mode while its batches arrive.
    struct FileInProgress {
        var output: StagedFile
        var rejected: StagedFile?
        var rejectedBytes = 0
        var piece: FDSink?
        var stats = RunStats()

        func abort() {
            output.abort()
            rejected?.abort()
            piece?.abort()
        }
    }

    /// The checks a run makes on its output paths before reading any input (for stages that read
    /// their inputs before `run`, such as dedup's decision pass).
    public static func preflight(stage: String, files: [InputFile], options: RunOptions) throws {
        try checkIsNotDirectory(options.rejectedPath, flag: "--rejected", example: "rejected.jsonl")
        try checkIsNotDirectory(options.statsPath, flag: "--stats", example: "stats.json")
        let outArg = options.output ?? "-"
        var isDir: ObjCBool = false
        if outArg != "-" && (outArg.hasSuffix("/") || (FileManager.default.fileExists(atPath: outArg, isDirectory: &isDir) && isDir.boolValue)) {
            try OutputDirectory(dir: outArg, stage: stage, files: files, compression: options.directoryCompression,
                                inputArgs: Set(files.map { $0.root ?? $0.path })).checkPaths()
        }
    }

    /// Whether `-o` names an output directory (a trailing `/` or an existing directory).
    static func isDirectoryOutput(_ output: String?) -> Bool {
        let outArg = output ?? "-"
        var isDir: ObjCBool = false
        return outArg != "-" && (outArg.hasSuffix("/") || (FileManager.default.fileExists(atPath: outArg, isDirectory: &isDir) && isDir.boolValue))
    }

    /// Fails when a path where a file is expected is a directory.
    static func checkIsNotDirectory(_ path: String?, flag: String, example: String) throws {
        guard let path, path != "-" else { return }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue {
            throw LLMDataError("\(path): is a directory", hint: "\(flag) names a file, such as \((path as NSString).appendingPathComponent(example))")
        }
    }

    /// `inputArgs`: the arguments the files came from (a directory-mode record leaves them out
    /// of the options it compares, the files themselves are compared by content).
    static func run<S: RecordStage>(stage: S, files: [InputFile], reader: ReaderOptions, options: RunOptions,
                                    inputArgs: [String]?) -> ExitCode {
        signal(SIGPIPE, SIG_IGN)
        let start = options.startedAt ?? Clock.now()
        var stats = RunStats()
        var exit: ExitCode = .success
        var outputSink: ByteSink?
        var rejectedSink: ByteSink?
        var current: FileInProgress?
        func abortAll() {
            outputSink?.abort()
            rejectedSink?.abort()
            current?.abort()
        }
        do {
            let outArg = options.output ?? "-"
            var isDir: ObjCBool = false
            let dirMode = outArg != "-" && (outArg.hasSuffix("/") || (FileManager.default.fileExists(atPath: outArg, isDirectory: &isDir) && isDir.boolValue))

            // Before any input is read: files that would land on directories.
            try checkIsNotDirectory(options.rejectedPath, flag: "--rejected", example: "rejected.jsonl")
            try checkIsNotDirectory(options.statsPath, flag: "--stats", example: "stats.json")

            // Directory mode: one output per input; outputs an earlier run completed (with the
            // same options and inputs) are reused, their rejected records and stats with them.
            var work: [InputFile] = []
            var workIndex: [Int] = []
            var dir: OutputDirectory?
            let rejectedCompression = options.rejectedPath.map { $0 == "-" ? Compression.none : Compression.of(path: $0) } ?? .none
            if dirMode {
                let d = OutputDirectory(dir: outArg, stage: stage.name, files: files, compression: options.directoryCompression,
                                        inputArgs: Set(inputArgs ?? files.map { $0.root ?? $0.path }), share: reader.share)
                dir = d
                try d.checkPaths()
                try d.digestInputs(jobs: options.jobs)
                let redo = options.overwrite ? Array(repeating: true, count: files.count)
                    : try d.plan(needRejected: options.rejectedPath != nil, quiet: options.quiet)
                if options.overwrite { d.forget() }
                d.removeStaleTemporaryFiles()
                d.forgetPieces(redo)
                for (i, f) in files.enumerated() {
                    if redo[i] {
                        work.append(f)
                        workIndex.append(i)
                        continue
                    }
                    stats.merge(RunStats(json: (d.pieces[i]?["stats"] as? [String: Any]) ?? [:]))
                    stats.filesSkipped += 1
                    if !options.quiet { Diagnostics.write("llmdata \(stage.name): skipping \(f.path): \(d.outputPath(i)) is complete\n") }
                }
            } else {
                work = files
                outputSink = try openByteSink(path: outArg)
                if let r = options.rejectedPath { rejectedSink = try openByteSink(path: r) }
            }

            var config = Engine.Config(files: work, reader: reader, stages: [AnyStage(stage)], label: stage.name)
            config.jobs = options.jobs
            config.writeRejected = options.rejectedPath != nil
            config.strict = options.strict
            config.maxWarnings = options.maxWarnings
            config.progress = ProgressMode.from(options.progress, quiet: options.quiet)
            let engine = try Engine(config)
            let completed = try engine.run { r in
                let c = r.batch
                stats.merge(r.stats[0])
                if c.isLastOfFile { stats.filesProcessed += 1 }
                guard let d = dir else {
                    try outputSink!.write(r.output)
                    if let rs = rejectedSink, !r.rejected[0].isEmpty { try rs.write(r.rejected[0]) }
                    return
                }
                let i = workIndex[c.fileIndex]
                if c.isFirstOfFile {
                    current = FileInProgress(output: try StagedFile(path: d.outputPath(i), compression: options.directoryCompression, hashed: true))
                }
                try current!.output.sink.write(r.output)
                if options.rejectedPath != nil && !r.rejected[0].isEmpty {
                    if current!.rejected == nil {
                        current!.rejected = try StagedFile(path: d.path(d.rejectedPieceName(i, rejectedCompression)),
                                                           compression: rejectedCompression, hashed: false)
                    }
                    try current!.rejected!.sink.write(r.rejected[0])
                    current!.rejectedBytes += r.rejected[0].count
                }
                current!.stats.merge(r.stats[0])
                if c.isLastOfFile {
                    try finishFile(&current!, index: i, dir: d, keepsRejected: options.rejectedPath != nil, rejectedCompression: rejectedCompression)
                    current = nil
                }
            }
            // Nothing read at all (empty inputs, a directory with no input files) is an error, not an
            // empty result; a task whose share of the files is empty has simply nothing to do.
            let noRecords = completed && stats.recordsIn == 0 && !(files.isEmpty && !reader.share.isWhole)
            if noRecords {
                abortAll()
                exit = .fatal
            } else if completed {
                try outputSink?.finish()
                try rejectedSink?.finish()
                if let d = dir, let rp = options.rejectedPath { try d.assembleRejected(to: rp) }
            } else {
                Diagnostics.error(stage: stage.name, engine.strictError!, hint: "--strict stops at the first bad record; drop it to skip and count them")
                exit = .strictViolation
                abortAll()
            }
            if reader.share.index == 0 { InputDiscovery.count(skippedInto: &stats) }
            if let sp = options.statsPath {
                do {
                    try writeStats(stats, stage: stage.name, seconds: Clock.now() - start, extra: stage.extraStats(), to: sp)
                } catch {
                    Diagnostics.error(stage: stage.name, "\(sp): cannot write stats: \(error)")
                    return .fatal
                }
            }
            if noRecords {
                Diagnostics.noRecordsRead(stage: stage.name, files: files)
                return exit
            }
            // last: the record that the directory is complete
            if completed, let d = dir { try d.writeSidecar() }
            return exit
        } catch {
            abortAll()
            return Diagnostics.exitCode(for: error, stage: stage.name)
        }
    }

    /// Commits one input's output, rejected piece and piece record together, the record last.
    static func finishFile(_ f: inout FileInProgress, index i: Int, dir d: OutputDirectory, keepsRejected: Bool,
                           rejectedCompression: Compression) throws {
        try f.output.endStream()
        try f.rejected?.endStream()
        let h = f.output.hashing!
        let output = FileDigest(path: d.outputName(i), bytes: h.bytes, sha256: h.hash.hexDigest())
        let rejected = keepsRejected ? (name: f.rejected == nil ? nil : d.rejectedPieceName(i, rejectedCompression), bytes: f.rejectedBytes) : nil
        let json = Array((d.pieceJSON(i, output: output, rejected: rejected, stats: f.stats).serialized + "\n").utf8)
        let piece = try FDSink(path: d.piecePath(i))
        f.piece = piece
        try piece.write(json)
        try FDSink.finishTogether([f.rejected?.file, f.output.file, piece].compactMap { $0 })
        d.pieces[i] = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any]
    }
}
