import CCrypto
import CZlib
import CZstd
import Foundation

// Directory mode (`-o DIR/`) bookkeeping for StageRunner.
//
// - DIR/<stem>.jsonl.zst: one output per input, as before.
// - DIR/.llmdata/<stem>.json: the input's piece, written last (after its output and rejected
//   piece are renamed into place): the options that shape the output, the input's and output's
//   size and SHA-256, the file's stats, and whether its rejected records were kept. An output
//   without a piece is incomplete or from an older llmdata and is written again.
// - DIR/.llmdata/<stem>.rejected.jsonl[.zst|.gz]: the input's rejected records (only with
//   --rejected, and only when there are any), compressed as the --rejected file is.
// - DIR/llmdata.json: written when every output is complete: the version, stage, argv, inputs
//   and outputs with their sizes and SHA-256.
// - DIR/llmdata.task-I-of-N.json instead, for task I of a run split with --shard-index I
//   --shard-count N: the same record for that task's inputs and outputs only. Tasks share DIR
//   (their inputs, hence their outputs and pieces, are disjoint), so each reads, writes and
//   removes only its own record, pieces and temporary files; the shard flags are not among the
//   options compared (outputs do not depend on them), so a rerun with another N reuses the
//   outputs already complete.
// --rejected and --stats are assembled from the pieces of every input, so a resumed run writes
// what an uninterrupted one would. A rerun whose options or inputs differ from those that made
// the directory stops before any work (--overwrite starts over).

/// llmdata's version, as `llmdata --version` prints it (written into directory-mode records).
public enum LLMDataVersion {
    public static let current = "0.1.0"
}

/// A file as provenance records list it (directory mode's llmdata.json, llmdata run's run.json):
/// path, size and SHA-256.
public struct FileDigest: Equatable, Sendable {
    public var path: String
    public var bytes: Int
    public var sha256: String

    public var json: JSONValue { .object([("path", .string(path)), ("bytes", .int(bytes)), ("sha256", .string(sha256))]) }

    public init(path: String, bytes: Int, sha256: String) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
    }

    public init?(_ o: Any?) {
        guard let o = o as? [String: Any], let p = o["path"] as? String, let b = (o["bytes"] as? NSNumber)?.intValue,
              let h = o["sha256"] as? String else { return nil }
        self.init(path: p, bytes: b, sha256: h)
    }

    /// Several files at once on `jobs` threads (`files`: full path, path to record), in order.
    public static func of(_ files: [(String, String)], jobs: Int) throws -> [FileDigest] {
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var cursor = 0
            var results: [Result<FileDigest, Error>?]
            init(_ n: Int) { results = Array(repeating: nil, count: n) }
        }
        let shared = Shared(files.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, files.count))) { _ in
            while true {
                shared.lock.lock()
                let i = shared.cursor
                shared.cursor += 1
                shared.lock.unlock()
                if i >= files.count { return }
                let r = Result { try FileDigest.of(files[i].0, as: files[i].1) }
                shared.lock.lock()
                shared.results[i] = r
                shared.lock.unlock()
            }
        }
        return try shared.results.map { try $0!.get() }
    }

    /// Reads the file at `fullPath` once, recorded under `path`.
    public static func of(_ fullPath: String, as path: String) throws -> FileDigest {
        let fd = open(fullPath, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw LLMDataError("\(fullPath): cannot read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let h = SHA256()
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LLMDataError("\(fullPath): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            total += n
        }
        return FileDigest(path: path, bytes: total, sha256: h.hexDigest())
    }
}

/// Passes bytes to a file, counting and hashing them.
final class HashingSink: ByteSink {
    let file: FDSink
    let hash = SHA256()
    var bytes = 0

    init(_ file: FDSink) { self.file = file }

    func write(_ b: UnsafeRawBufferPointer) throws {
        hash.update(b)
        bytes += b.count
        try file.write(b)
    }

    func finish() throws { try file.finish() }
    func abort() { file.abort() }
}

extension ZstdSink {
    /// Ends the frame without finishing the sink underneath.
    func endStream() throws { try pump(UnsafeRawBufferPointer(start: nil, count: 0), mode: ZSTD_e_end) }
}

extension GzipSink {
    /// Ends the gzip member without finishing the sink underneath.
    func endStream() throws { try pump(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH) }
}

/// A file sink with compression in front, whose stream can be ended before the file is
/// committed (so several files commit together, `FDSink.finishTogether`).
struct StagedFile {
    let file: FDSink
    let hashing: HashingSink?
    let sink: ByteSink

    init(path: String, compression: Compression, hashed: Bool) throws {
        file = try FDSink(path: path)
        hashing = hashed ? HashingSink(file) : nil
        let base: ByteSink = hashing ?? file
        switch compression {
        case .none: sink = base
        case .zst: sink = ZstdSink(base)
        case .gz: sink = try GzipSink(base)
        }
    }

    /// Writes the end of the compressed stream into the file's buffer.
    func endStream() throws {
        if let z = sink as? ZstdSink { try z.endStream() }
        if let g = sink as? GzipSink { try g.endStream() }
    }

    func abort() { file.abort() }
}

/// The state of a directory-mode output directory for one run.
final class OutputDirectory {
    static let sidecarName = "llmdata.json"
    static let stateName = ".llmdata"
    static let pieceVersion = 1

    /// The record of a whole run, or of one task of a split run.
    static func sidecarName(for share: TaskShare) -> String {
        share.isWhole ? sidecarName : "llmdata.task-\(share.index)-of-\(share.count).json"
    }

    /// Whether a file name is a directory-mode record (skipped when the directory is read as input).
    static func isSidecarName(_ name: String) -> Bool {
        if name == sidecarName { return true }
        guard name.hasPrefix("llmdata.task-"), name.hasSuffix(".json") else { return false }
        let mid = name.dropFirst("llmdata.task-".count).dropLast(".json".count).split(separator: "-", omittingEmptySubsequences: false)
        return mid.count == 3 && mid[1] == "of" && Int(mid[0]) != nil && Int(mid[2]) != nil
    }

    let dir: String
    let stage: String
    let files: [InputFile]
    let compression: Compression
    /// Which task of a split run this is (`files` are its share).
    let share: TaskShare
    /// This run's record: llmdata.json, or llmdata.task-I-of-N.json.
    let ownSidecar: String
    /// The options that shape the outputs (argv without inputs, -o, --jobs and the like).
    let outputOptions: [String]
    let argv: [String]
    /// Each input's digest (nil: stdin or not a regular file, never reused).
    var inputs: [FileDigest?] = []
    /// Each input's piece: reused from an earlier run, or written by this one.
    var pieces: [[String: Any]?]

    init(dir: String, stage: String, files: [InputFile], compression: Compression, inputArgs: Set<String>,
         share: TaskShare = .whole) {
        self.dir = dir
        self.stage = stage
        self.files = files
        self.compression = compression
        self.share = share
        ownSidecar = OutputDirectory.sidecarName(for: share)
        argv = Array(CommandLine.arguments.dropFirst())
        outputOptions = OutputDirectory.outputOptions(argv: argv, inputs: inputArgs)
        pieces = Array(repeating: nil, count: files.count)
    }

    func path(_ rel: String) -> String { (dir as NSString).appendingPathComponent(rel) }
    func outputName(_ i: Int) -> String { files[i].stem + ".jsonl" + compression.fileExtension }
    func outputPath(_ i: Int) -> String { path(outputName(i)) }
    func piecePath(_ i: Int) -> String { path(OutputDirectory.stateName + "/" + files[i].stem + ".json") }
    func rejectedPieceName(_ i: Int, _ c: Compression) -> String {
        OutputDirectory.stateName + "/" + files[i].stem + ".rejected.jsonl" + c.fileExtension
    }

    // MARK: options

    /// Options that do not change what the outputs hold, with how many values follow them.
    static let ignored: [String: Int] = [
        "-o": 1, "--output": 1, "--jobs": 1, "--stats": 1, "--rejected": 1, "--max-warnings": 1,
        "--quiet": 0, "--overwrite": 0, "--strict": 0, "--shard-index": 1, "--shard-count": 1,
    ]

    /// argv without what does not shape the outputs: input arguments (compared by content
    /// instead), -o, --jobs, --stats, --rejected, --max-warnings, --quiet, --overwrite, --strict,
    /// --shard-index, --shard-count (an input's output is the same in any task).
    static func outputOptions(argv: [String], inputs: Set<String>) -> [String] {
        var out: [String] = []
        var i = 0
        while i < argv.count {
            let t = argv[i]
            i += 1
            if t == "--" { continue }
            var name = t
            var inline = false
            if t.hasPrefix("-"), let eq = t.firstIndex(of: "=") {
                name = String(t[..<eq])
                inline = true
            }
            if let n = ignored[name] {
                if !inline { i += n }
                continue
            }
            if inputs.contains(t) { continue }
            out.append(t)
        }
        return out
    }

    static func isOptionName(_ t: String) -> Bool {
        guard t.hasPrefix("-"), t.count > 1 else { return false }
        let second = t[t.index(after: t.startIndex)]
        return !(second.isNumber || second == ".")
    }

    /// What differs between two output-option lists, naming the options.
    static func describeOptionChange(old: [String], new: [String]) -> String? {
        if old == new { return nil }
        func split(_ l: [String]) -> (command: [String], units: [(String, String)]) {
            var command: [String] = []
            var units: [(String, String)] = []
            for t in l {
                if isOptionName(t) {
                    if let eq = t.firstIndex(of: "="), t.hasPrefix("--") {
                        units.append((String(t[..<eq]), String(t[t.index(after: eq)...])))
                    } else {
                        units.append((t, ""))
                    }
                } else if units.isEmpty {
                    command.append(t)
                } else {
                    let last = units.count - 1
                    units[last].1 += (units[last].1.isEmpty ? "" : " ") + t
                }
            }
            return (command, units)
        }
        let a = split(old), b = split(new)
        var what: [String] = []
        if a.command != b.command {
            what.append("it was made by `llmdata \(a.command.joined(separator: " "))`, this is `llmdata \(b.command.joined(separator: " "))`")
        }
        var names: [String] = []
        for (n, _) in a.units + b.units where !names.contains(n) { names.append(n) }
        for n in names {
            let va = a.units.filter { $0.0 == n }.map(\.1), vb = b.units.filter { $0.0 == n }.map(\.1)
            if va == vb { continue }
            func show(_ v: [String]) -> String { v.map { $0.isEmpty ? n : "\(n) \($0)" }.joined(separator: " ") }
            if va.isEmpty {
                what.append("\(show(vb)) was not given then")
            } else if vb.isEmpty {
                what.append("\(show(va)) was given then, not now")
            } else {
                what.append("\(show(va)) then, \(show(vb)) now")
            }
        }
        if what.isEmpty { what.append("options were \(old.joined(separator: " ")), now \(new.joined(separator: " "))") }
        return what.joined(separator: "; ")
    }

    // MARK: checks before work

    /// Fails when DIR is not a directory, lies inside (or is) an input directory, or an output
    /// path is a directory or one of the inputs. Reads no input.
    func checkPaths() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        var bare = dir
        while bare.count > 1 && bare.hasSuffix("/") { bare.removeLast() }
        if fm.fileExists(atPath: bare, isDirectory: &isDir) && !isDir.boolValue {
            throw LLMDataError("\(dir): exists and is not a directory", hint: "-o ending in / names an output directory; give a new or existing directory")
        }
        let out = realPathOfNew(dir)
        var roots: [String] = []
        for f in files { if let r = f.root, !roots.contains(r) { roots.append(r) } }
        for r in roots {
            let rr = realPathOfNew(r)
            if out == rr {
                throw LLMDataError("the output directory \(dir) is the input directory \(r): its outputs would be read as inputs next time",
                                   hint: "choose an output directory outside \(r)")
            }
            if out.hasPrefix(rr == "/" ? "/" : rr + "/") {
                throw LLMDataError("the output directory \(dir) is inside the input directory \(r): its outputs would be read as inputs next time",
                                   hint: "choose an output directory outside \(r)")
            }
        }
        try OutputDirectory.checkDistinctOutputs(files, dir: dir, compression: compression)
        let inputReal = Set(files.filter { $0.displayPath != "-" }.map { realPathOfNew($0.path) })
        for i in files.indices {
            let p = outputPath(i)
            if fm.fileExists(atPath: p, isDirectory: &isDir) && isDir.boolValue {
                throw LLMDataError("\(p): is a directory", hint: "the output for \(files[i].displayPath) goes there; move or remove that directory")
            }
            if inputReal.contains(realPathOfNew(p)) {
                throw LLMDataError("\(p): is the output for \(files[i].displayPath) and also an input",
                                   hint: "choose another output directory")
            }
        }
    }

    /// Fails, listing them, when several inputs would have the same output (and piece): their
    /// names differ only in extensions (`x.json`, `x.jsonl`, `x.jsonl.gz`), or two input roots or
    /// file arguments hold the same relative path (`a/part.jsonl`, `b/part.jsonl`). Each would
    /// overwrite the other's records. `files`: every input of the run (all tasks' when it is split).
    public static func checkDistinctOutputs(_ files: [InputFile], dir: String, compression: Compression) throws {
        var byName: [String: [String]] = [:]
        var order: [String] = []
        for f in files {
            let name = f.stem + ".jsonl" + compression.fileExtension
            if byName[name] == nil { order.append(name) }
            byName[name, default: []].append(f.displayPath)
        }
        let clashes = order.filter { byName[$0]!.count > 1 }
        guard !clashes.isEmpty else { return }
        let lines = clashes.prefix(20).map { name -> String in
            let ins = byName[name]!
            return "\((dir as NSString).appendingPathComponent(name)): the output of \(ins.count) inputs: \(ins.joined(separator: ", "))"
        }
        var message = lines.joined(separator: "\n  ")
        if clashes.count > 20 { message += "\n  and \(clashes.count - 20) more outputs with several inputs" }
        throw LLMDataError(message,
                           hint: "in directory mode each input's output is named after its path without extensions; rename the inputs so that they differ without their extensions, or run each input directory into its own output directory")
    }

    /// Hashes every regular input file (in parallel).
    func digestInputs(jobs: Int) throws {
        let regular = files.map { f -> Bool in
            var st = stat()
            return f.displayPath != "-" && stat(f.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        }
        let idx = files.indices.filter { regular[$0] }
        let digests = try FileDigest.of(idx.map { (files[$0].path, absolutePath(files[$0].path)) }, jobs: jobs)
        var all = [FileDigest?](repeating: nil, count: files.count)
        for (k, i) in idx.enumerated() { all[i] = digests[k] }
        inputs = all
    }

    /// Which inputs need work (true) and which outputs an earlier run completed (false, with
    /// their piece loaded). Stops when the directory was made by other options, another
    /// version, or other inputs. `needRejected`: reuse only pieces that kept rejected records.
    func plan(needRejected: Bool, quiet: Bool) throws -> [Bool] {
        let fm = FileManager.default
        var changes: [String] = []
        if let side = parseJSONFile(path(ownSidecar)) {
            changes += describeChange(side, inputsToo: true)
        }
        var redo = Array(repeating: true, count: files.count)
        var changedInputs: [String] = []
        var notices: [String] = []
        for i in files.indices {
            guard let digest = inputs[i], let piece = parseJSONFile(piecePath(i)) else {
                if inputs[i] != nil && fm.fileExists(atPath: outputPath(i)) {
                    notices.append("rewriting \(outputPath(i)): no record that a finished run wrote it")
                }
                continue
            }
            for c in describeChange(piece, inputsToo: false) where !changes.contains(c) { changes.append(c) }
            if let was = FileDigest(piece["input"]), was.bytes != digest.bytes || was.sha256 != digest.sha256 {
                changedInputs.append(files[i].displayPath)
                continue
            }
            var st = stat()
            let out = FileDigest((piece["output"]))
            guard let out, stat(outputPath(i), &st) == 0, Int(st.st_size) == out.bytes else {
                if fm.fileExists(atPath: outputPath(i)) { notices.append("rewriting \(outputPath(i)): it is not the output its record describes") }
                continue
            }
            if needRejected {
                guard let r = piece["rejected"] as? [String: Any] else {
                    notices.append("rewriting \(outputPath(i)): its rejected records were not kept (--rejected was not given then)")
                    continue
                }
                if let name = r["path"] as? String, !fm.fileExists(atPath: path(name)) {
                    notices.append("rewriting \(outputPath(i)): its rejected records \(path(name)) are missing")
                    continue
                }
            }
            redo[i] = false
            pieces[i] = piece
        }
        if !changedInputs.isEmpty {
            let c = "input files changed: " + listed(changedInputs)
            if !changes.contains(where: { $0.hasPrefix("input files changed") }) { changes.append(c) }
        }
        if !changes.isEmpty {
            throw LLMDataError("\(dir) was written with other options or inputs: " + changes.joined(separator: "; "),
                               hint: "pass --overwrite to write every output again, or choose another output directory")
        }
        if !quiet { for n in notices { Diagnostics.write("llmdata \(stage): \(n)\n") } }
        return redo
    }

    func listed(_ l: [String]) -> String { l.prefix(3).joined(separator: ", ") + (l.count > 3 ? " and \(l.count - 3) more" : "") }

    /// What differs between a sidecar or piece and this run.
    func describeChange(_ old: [String: Any], inputsToo: Bool) -> [String] {
        var what: [String] = []
        if let v = old["llmdata_version"] as? String, v != LLMDataVersion.current {
            what.append("llmdata \(v) wrote it, this is \(LLMDataVersion.current)")
        }
        if let s = old["stage"] as? String, s != stage { what.append("the stage was \(s), this is \(stage)") }
        if let o = old["output_options"] as? [String], let d = OutputDirectory.describeOptionChange(old: o, new: outputOptions) {
            what.append(d)
        }
        if inputsToo {
            let before = ((old["inputs"] as? [Any]) ?? []).compactMap { FileDigest($0) }.filter { $0.path != "-" }
            let now = inputs.compactMap { $0 }
            let bm = Dictionary(before.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            let nm = Dictionary(now.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            let changed = now.filter { bm[$0.path] != nil && bm[$0.path] != $0 }.map(\.path)
            let added = now.filter { bm[$0.path] == nil }.map(\.path)
            let removed = before.filter { nm[$0.path] == nil }.map(\.path)
            if !changed.isEmpty { what.append("input files changed: \(listed(changed))") }
            if !added.isEmpty { what.append("new input files: \(listed(added))") }
            if !removed.isEmpty { what.append("input files no longer given: \(listed(removed))") }
        }
        return what
    }

    // MARK: side effects before work

    /// --overwrite: forget what earlier runs recorded. A task forgets only its own record (its
    /// pieces go in `forgetPieces`) and llmdata.json; other tasks' records and pieces stay.
    func forget() {
        if share.isWhole {
            try? FileManager.default.removeItem(atPath: path(OutputDirectory.sidecarName))
            try? FileManager.default.removeItem(atPath: path(OutputDirectory.stateName))
            removeTaskRecords()
        } else {
            unlink(path(ownSidecar))
            unlink(path(OutputDirectory.sidecarName))
        }
    }

    /// Removes the record of inputs about to be written again (so a run killed midway never
    /// leaves a record beside another output), and llmdata.json (and a task's own record), which
    /// stands for a complete directory, while any output is missing.
    func forgetPieces(_ redo: [Bool]) {
        if redo.contains(true) {
            unlink(path(ownSidecar))
            if share.isWhole { removeTaskRecords() } else { unlink(path(OutputDirectory.sidecarName)) }
        }
        for i in files.indices where redo[i] {
            unlink(piecePath(i))
            for c in Compression.allCases { unlink(path(rejectedPieceName(i, c))) }
        }
    }

    /// A one-process run owns the whole directory: the records of earlier tasks go when it writes.
    func removeTaskRecords() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        where name != OutputDirectory.sidecarName && OutputDirectory.isSidecarName(name) {
            unlink(path(name))
        }
    }

    /// Removes NAME.tmp-PID files under DIR whose writer is gone (a killed run). A task removes
    /// only its own files' (another task's writer may be alive on another machine, where its PID
    /// cannot be checked).
    func removeStaleTemporaryFiles() {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return }
        var own: Set<String>? = nil
        if !share.isWhole {
            var names: Set<String> = [ownSidecar]
            for i in files.indices {
                names.insert(outputName(i))
                names.insert(OutputDirectory.stateName + "/" + files[i].stem + ".json")
                for c in Compression.allCases { names.insert(rejectedPieceName(i, c)) }
            }
            own = names
        }
        var stale: [String] = []
        while let rel = e.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            guard let r = name.range(of: ".tmp-", options: .backwards) else { continue }
            if let own {
                let base = (rel as NSString).deletingLastPathComponent
                let target = base.isEmpty ? String(name[..<r.lowerBound]) : base + "/" + name[..<r.lowerBound]
                if !own.contains(target) { continue }
            }
            if let pid = Int32(name[r.upperBound...]), OutputDirectory.isLiveWriter(pid) { continue }
            stale.append(rel)
        }
        for rel in stale {
            let p = path(rel)
            var st = stat()
            if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR { unlink(p) }
        }
    }

    /// Whether `pid` is another running llmdata (whose temporary files are in use).
    static func isLiveWriter(_ pid: Int32) -> Bool {
        if pid <= 0 || pid == getpid() { return false }
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        // a reused PID: only an llmdata process writes NAME.tmp-PID
        if let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) {
            return comm.hasPrefix("llmdata")
        }
        return true
    }

    // MARK: after work

    /// The piece for input `i`, written by this run.
    func pieceJSON(_ i: Int, output: FileDigest, rejected: (name: String?, bytes: Int)?, stats: RunStats) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("version", .int(OutputDirectory.pieceVersion)),
            ("llmdata_version", .string(LLMDataVersion.current)),
            ("stage", .string(stage)),
            ("output_options", .array(outputOptions.map { .string($0) })),
        ]
        if let d = inputs[i] { fields.append(("input", d.json)) }
        fields.append(("output", output.json))
        if let r = rejected {
            var o: [(String, JSONValue)] = [("bytes", .int(r.bytes))]
            if let n = r.name { o.insert(("path", .string(n)), at: 0) }
            fields.append(("rejected", .object(o)))
        }
        fields.append(("stats", stats.jsonValue))
        return .object(fields)
    }

    /// The --rejected file: every input's rejected piece, in input order. Pieces already
    /// compressed as the file is are copied as they are (zstd frames and gzip members concatenate).
    func assembleRejected(to target: String) throws {
        let want = target == "-" ? Compression.none : Compression.of(path: target)
        var parts: [String] = []
        for p in pieces {
            guard let r = p?["rejected"] as? [String: Any] else {
                throw LLMDataError("internal: an input has no rejected records recorded")
            }
            if let name = r["path"] as? String { parts.append(name) }
        }
        let copyAsIs = !parts.isEmpty && parts.allSatisfy { Compression.of(path: $0) == want }
        let sink: ByteSink = copyAsIs ? (target == "-" ? FDSink() : try FDSink(path: target)) : try openByteSink(path: target)
        do {
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            for name in parts {
                let src: ByteSource = copyAsIs ? try FDSource(path: path(name)) : try openByteSource(path: path(name))
                defer { src.close() }
                while true {
                    let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
                    if n == 0 { break }
                    try buf.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
            }
            try sink.finish()
        } catch {
            sink.abort()
            throw error
        }
    }

    /// DIR/llmdata.json (a task's DIR/llmdata.task-I-of-N.json), written when every output is complete.
    func writeSidecar() throws {
        var outs: [JSONValue] = []
        for (i, p) in pieces.enumerated() {
            guard let o = FileDigest(p?["output"]) else { throw LLMDataError("internal: \(outputPath(i)) has no record") }
            outs.append(FileDigest(path: outputName(i), bytes: o.bytes, sha256: o.sha256).json)
        }
        let ins: [JSONValue] = files.indices.map { i in
            inputs[i]?.json ?? .object([("path", .string(files[i].displayPath == "-" ? "-" : absolutePath(files[i].path)))])
        }
        let doc = JSONValue.object([
            ("llmdata_version", .string(LLMDataVersion.current)),
            ("stage", .string(stage)),
            ("options", .array(argv.map { .string($0) })),
            ("output_options", .array(outputOptions.map { .string($0) })),
            ("inputs", .array(ins)),
            ("outputs", .array(outs)),
        ] + (share.isWhole ? [] : [("task", .object([("index", .int(share.index)), ("count", .int(share.count))]))]))
        let s = try FDSink(path: path(ownSidecar))
        do {
            try s.write(Array((doc.serialized + "\n").utf8))
            try s.finish()
        } catch {
            s.abort()
            throw error
        }
        if share.isWhole { removeTaskRecords() }
    }
}

