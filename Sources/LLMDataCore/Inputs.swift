import Foundation

/// How a file's content becomes records.
public enum InputFormat: String, Sendable, CaseIterable {
    /// One JSON object per line.
    case jsonl
    /// `.json`: a top-level array of objects, or JSON Lines when the first byte is not `[`.
    case json
    /// Plain text, split according to `TxtMode`.
    case txt
    /// A Parquet file: each row is a record (docs/parquet.md; read by `BatchReader.readParquet`).
    case parquet
}

/// How plain text becomes records.
public enum TxtMode: String, Sendable, CaseIterable {
    /// Every non-empty line is a record.
    case line
    /// Blocks separated by blank lines are records.
    case paragraph
    /// The whole file is one record.
    case file
}

/// One input: a file path (or `-` for stdin), the path relative to its root (used for
/// assigned ids and for mirroring into an output directory), and its format.
public struct InputFile: Sendable, Equatable {
    public var path: String
    public var relativePath: String
    public var format: InputFormat
    /// The name messages use: the path, or `-` for a copy of stdin standing in for it.
    public var displayPath: String
    /// The directory argument this file was found under (nil for a file argument or stdin).
    public var root: String?
    /// Its number in the sorted list of all inputs when this run reads only a task's share of
    /// them (`TaskShare`); nil when the run reads them all (the number is then its index).
    /// Records carry it as `Document.fileIndex`, so positions agree with a one-process run.
    public var number: Int?

    public init(path: String, relativePath: String, format: InputFormat) {
        self.path = path
        self.relativePath = relativePath
        self.format = format
        displayPath = path
    }

    /// This file as a stand-in for stdin (a copy a stage reads twice): messages say `-` and
    /// default ids `stdin:LINE`, as when stdin is read directly.
    public func standingInForStdin() -> InputFile {
        var f = self
        f.relativePath = "stdin"
        f.displayPath = "-"
        return f
    }

    /// The file name with container and compression extensions removed (`a/b.jsonl.zst` → `a/b`).
    public var stem: String {
        var s = relativePath
        for ext in [".zst", ".zstd", ".gz"] where s.hasSuffix(ext) { s.removeLast(ext.count) }
        for ext in [".jsonl", ".json", ".txt", ".parquet"] where s.hasSuffix(ext) {
            s.removeLast(ext.count)
            break
        }
        return s
    }
}

/// One task's share of the inputs when a stage runs as `count` independent tasks (a Slurm job
/// array): `--shard-index index --shard-count count`. File k of the discovered, sorted input list
/// goes to task k mod count, so tasks need no coordination, every file is read by exactly one
/// task, and a record's id (its own, or `RELPATH:LINE` from its own file) is the one a
/// one-process run gives it.
public struct TaskShare: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// The whole input: one task.
    public static let whole = TaskShare(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public var isWhole: Bool { count == 1 }

    /// "task 2 of 8" (index from 0).
    public var description: String { "task \(index) of \(count)" }

    /// The problem with these flags, or nil when 0 <= index < count.
    public var problem: String? {
        if count < 1 { return "--shard-count must be at least 1 (got \(count))" }
        if index < 0 || index >= count {
            return "--shard-index must be in 0..<\(count) for --shard-count \(count) (got \(index))"
        }
        return nil
    }

    /// Whether file number `k` (in the sorted list of all inputs) is this task's.
    public func owns(fileNumber k: Int) -> Bool { k % count == index }

    /// This task's files of the whole discovered list, each with its number in that list.
    /// A share of stdin is an error: a stream cannot be split without reading all of it.
    public func select(_ all: [InputFile]) throws -> [InputFile] {
        if let p = problem { throw LLMDataError(p) }
        if isWhole { return all }
        if all.contains(where: { $0.path == "-" }) {
            throw LLMDataError("--shard-count \(count): standard input cannot be split into tasks (each task would have to read all of it)",
                               hint: "name the input files or directories; each task then reads the files whose number is its --shard-index modulo --shard-count")
        }
        var out: [InputFile] = []
        for (k, f) in all.enumerated() where owns(fileNumber: k) {
            var f = f
            f.number = k
            out.append(f)
        }
        return out
    }
}

public enum InputDiscovery {
    /// The format a file name implies, or nil when it is not a record container.
    public static func format(of name: String) -> InputFormat? {
        if name.hasSuffix(".parquet") { return .parquet }  // compressed inside: no .zst/.gz around it
        var s = name
        for ext in [".zst", ".zstd", ".gz"] where s.hasSuffix(ext) { s.removeLast(ext.count) }
        if s.hasSuffix(".jsonl") || s.hasSuffix(".ndjson") { return .jsonl }
        if s.hasSuffix(".json") { return .json }
        if s.hasSuffix(".txt") { return .txt }
        return nil
    }

    /// Expands arguments into input files: directories recursively (hidden entries, temporary
    /// outputs and a directory-mode output's `llmdata.json` records skipped), sorted by relative path in byte order; `-` or nothing is stdin.
    /// A walk follows symbolic links but reads each real directory and file once (a link back to
    /// an ancestor is a loop, not followed); what it leaves out, and files whose extension is not
    /// an input format, are reported once per process on stderr and listed in `skipped`.
    /// With a `share` of several tasks, only that task's files (`TaskShare.select`).
    public static func discover(_ args: [String], formatOverride: InputFormat? = nil, share: TaskShare) throws -> [InputFile] {
        try share.select(discover(args, formatOverride: formatOverride))
    }

    /// Every input file the arguments name (see `discover(_:formatOverride:share:)`).
    public static func discover(_ args: [String], formatOverride: InputFormat? = nil) throws -> [InputFile] {
        if args.isEmpty { return [InputFile(path: "-", relativePath: "stdin", format: formatOverride ?? .jsonl)] }
        var out: [InputFile] = []
        let fm = FileManager.default
        for arg in args {
            if arg == "-" {
                out.append(InputFile(path: "-", relativePath: "stdin", format: formatOverride ?? .jsonl))
                continue
            }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: arg, isDirectory: &isDir) else {
                throw LLMDataError("\(arg): no such file or directory", hint: "inputs are files, directories or - for stdin")
            }
            if isDir.boolValue {
                var walk = Walk(root: arg)
                try walk.walk(rel: "")
                walk.report()
                let found = walk.found.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                for rel in found {
                    guard let f = formatOverride ?? format(of: rel) else { continue }
                    var file = InputFile(path: (arg as NSString).appendingPathComponent(rel), relativePath: rel, format: f)
                    file.root = arg
                    out.append(file)
                }
            } else {
                let name = (arg as NSString).lastPathComponent
                // a pipe or device named by the shell (`<(zcat f)` is /dev/fd/63) has no extension:
                // it is read as stdin is, JSON Lines with compression told by its first bytes
                guard let f = formatOverride ?? format(of: name) ?? (isStream(arg) ? .jsonl : nil) ?? parquetByMagic(arg) else {
                    throw LLMDataError("\(arg): unknown input format",
                                       hint: "use .jsonl, .json, .txt (optionally .zst or .gz), .parquet, or pass --format")
                }
                out.append(InputFile(path: arg, relativePath: name, format: f))
            }
        }
        return out
    }

    /// Whether `path` exists and is neither a regular file nor a directory (a FIFO, a device).
    public static func isStream(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }

    /// What a directory walk left out.
    public struct Skipped: Sendable, Equatable {
        public enum Reason: String, Sendable {
            /// A file whose extension is not an input format.
            case unknownExtension = "unknown_extension"
            /// A link to a directory that contains it: following it would read the tree again and again.
            case symlinkLoop = "symlink_loop"
            /// A file or directory already read through another path (a symbolic or hard link).
            case duplicate = "duplicate"
        }
        /// The path as the walk met it (the root argument joined with the relative path).
        public var path: String
        public var reason: Reason
        public var isDirectory: Bool
        /// For a loop or a duplicate: the path already read.
        public var sameAs: String?
    }

    final class SkippedLog: @unchecked Sendable {
        let lock = NSLock()
        var entries: [Skipped] = []
        var paths: Set<String> = []
    }
    static let skippedLog = SkippedLog()

    /// Everything this process's directory walks left out, each path once, in the order met.
    public static var skipped: [Skipped] {
        skippedLog.lock.lock()
        defer { skippedLog.lock.unlock() }
        return skippedLog.entries
    }

    /// Adds what was left out to a stage's stats: `files_skipped` counts the files, and the
    /// counters `skipped_unknown_extension`, `skipped_symlink_loop`, `skipped_duplicate` every entry.
    public static func count(skippedInto stats: inout RunStats) {
        for s in skipped {
            if !s.isDirectory { stats.filesSkipped += 1 }
            stats.counters.add("skipped_" + s.reason.rawValue)
        }
    }

    /// The walk of one directory argument.
    struct Walk {
        struct Key: Hashable { var dev: UInt64; var ino: UInt64 }
        let root: String
        var found: [String] = []
        var skipped: [Skipped] = []
        /// Real directories and files already met, with the relative path they were read as.
        var dirs: [Key: String] = [:]
        var files: [Key: String] = [:]
        /// The directories from the root down to the one being walked.
        var stack: [Key] = []

        init(root: String) { self.root = root }

        func full(_ rel: String) -> String { rel.isEmpty ? root : (root as NSString).appendingPathComponent(rel) }

        static func key(_ path: String) -> Key? {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return Key(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
        }

        mutating func walk(rel: String) throws {
            let dir = full(rel)
            var pushed = false
            if let k = Walk.key(dir) {
                if stack.contains(k) {
                    skipped.append(Skipped(path: dir, reason: .symlinkLoop, isDirectory: true, sameAs: full(dirs[k] ?? "")))
                    return
                }
                if let first = dirs[k] {
                    skipped.append(Skipped(path: dir, reason: .duplicate, isDirectory: true, sameAs: full(first)))
                    return
                }
                dirs[k] = rel
                stack.append(k)
                pushed = true
            }
            defer { if pushed { stack.removeLast() } }
            var entries: [String]
            do {
                entries = try FileManager.default.contentsOfDirectory(atPath: dir)
            } catch {
                throw LLMDataError("\(dir): cannot list directory: \(error.localizedDescription)")
            }
            // a fixed order, so which of two paths to one file is read does not vary
            entries.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for name in entries {
                if name.hasPrefix(".") || name.contains(".tmp-") || OutputDirectory.isSidecarName(name) { continue }
                let childRel = rel.isEmpty ? name : rel + "/" + name
                let path = full(childRel)
                var isDir: ObjCBool = false
                // a dangling link is not a directory: it is listed, and opening it names the problem
                _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
                if isDir.boolValue {
                    try walk(rel: childRel)
                } else if InputDiscovery.format(of: name) == nil {
                    skipped.append(Skipped(path: path, reason: .unknownExtension, isDirectory: false))
                } else if let k = Walk.key(path), let first = files[k] {
                    skipped.append(Skipped(path: path, reason: .duplicate, isDirectory: false, sameAs: full(first)))
                } else {
                    if let k = Walk.key(path) { files[k] = childRel }
                    found.append(childRel)
                }
            }
        }

        /// Warnings for what this walk left out (the first time this process meets each path).
        func report() {
            let log = InputDiscovery.skippedLog
            log.lock.lock()
            let fresh = skipped.filter { log.paths.insert($0.path).inserted }
            log.entries += fresh
            log.lock.unlock()
            guard !fresh.isEmpty else { return }
            let label = Diagnostics.commandLabel
            let unknown = fresh.filter { $0.reason == .unknownExtension }.map(\.path)
            if !unknown.isEmpty {
                let shown = unknown.prefix(10).joined(separator: ", ") + (unknown.count > 10 ? " and \(unknown.count - 10) more" : "")
                Diagnostics.warning(stage: label, "\(root): \(unknown.count) file\(unknown.count == 1 ? "" : "s") not read, the extension is not an input format: \(shown) (give such a file by name with --format to read it)")
            }
            for s in fresh where s.reason != .unknownExtension {
                let what = s.isDirectory ? "directory" : "file"
                if s.reason == .symlinkLoop {
                    Diagnostics.warning(stage: label, "\(s.path): symbolic link loop (it leads back to \(s.sameAs ?? root)), not followed")
                } else {
                    Diagnostics.warning(stage: label, "\(s.path): the same \(what) as \(s.sameAs ?? "?"), read once")
                }
            }
        }
    }
}
