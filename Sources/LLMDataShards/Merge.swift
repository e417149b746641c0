import Foundation
import LLMDataCore

/// `llmdata shards merge DIR… -o OUT`: joins shard sets written by separate tasks into one set
/// (docs/shards.md, "Merging shard sets").
///
/// A shard's bytes never depend on the shards before it (its index holds token and byte offsets
/// within the shard, and frames are independent), so merging is renaming: the inputs' shards, in
/// argument order and each set's own order, become `shard-00000…` of the output, each file a hard
/// link to the input's (or a copy, across filesystems), with the same SHA-256. The manifest, with
/// the documents and tokens summed, is written last, so a directory with a manifest is complete.
public enum ShardMerge {
    public struct Options: Sendable {
        /// Replace a complete set already in the output directory (its shard files go first).
        public var overwrite = false
        /// Copy every file instead of hard-linking it.
        public var copy = false
        public init() {}
    }

    public struct Summary: Sendable {
        public var sets = 0
        public var shards = 0
        public var documents = 0
        public var tokens = 0
        public var dtype = TokenDType.uint16
        /// Files hard-linked and files copied (`.tok.zst`, `.idx` and `.ids` each count).
        public var linked = 0
        public var copied = 0
        /// Why files were copied rather than linked (the first reason seen), when some were.
        public var copyReason: String?
    }

    /// One input set, checked.
    struct Input {
        var dir: String
        var manifest: Manifest
        var hasIDs: Bool
    }

    public static func merge(inputs: [String], outDir: String, options: Options = Options()) throws -> Summary {
        guard !inputs.isEmpty else { throw ShardError("give at least one shard directory to merge") }
        let sets = try inputs.map(load)
        try checkDistinct(sets.map(\.dir), outDir: outDir)
        try checkCompatible(sets)
        let withIDs = try idsDecision(sets)
        for s in sets { try checkFiles(s) }
        try prepareOutput(outDir, overwrite: options.overwrite)

        var summary = Summary()
        summary.sets = sets.count
        summary.dtype = sets[0].manifest.dtype
        var shards: [Manifest.Shard] = []
        var created: [String] = []
        do {
            for s in sets {
                for shard in s.manifest.shards {
                    let name = String(format: "shard-%05d", shards.count)
                    var out = shard
                    out.file = name + ".tok.zst"
                    out.index = name + ".idx"
                    try place(s.dir, shard.file, sha256: shard.sha256, as: out.file, in: outDir, options, &summary, &created)
                    try place(s.dir, shard.index, sha256: shard.index_sha256, as: out.index, in: outDir, options, &summary, &created)
                    if withIDs, let ids = shard.ids {
                        out.ids = name + ".ids"
                        try place(s.dir, ids, sha256: shard.ids_sha256 ?? "", as: out.ids!, in: outDir, options, &summary, &created)
                    } else {
                        out.ids = nil
                        out.ids_sha256 = nil
                    }
                    shards.append(out)
                    summary.documents += shard.documents
                    summary.tokens += shard.tokens
                }
            }
            summary.shards = shards.count
            let first = sets[0].manifest
            let manifest = Manifest(tokenizer: first.tokenizer, dtype: first.dtype, vocab_size: first.vocab_size, eos_id: first.eos_id,
                                    bos_id: first.bos_id, frame_tokens: first.frame_tokens, documents: summary.documents,
                                    tokens: summary.tokens, shards: shards)
            // the links' directory entries reach the disk before the manifest that vouches for them
            syncDirectory(outDir)
            let sink = try FDSink(path: (outDir as NSString).appendingPathComponent("manifest.json"))
            do {
                try sink.write(Array(try manifest.encoded()))
                try sink.finish()
            } catch {
                sink.abort()
                throw error
            }
            syncDirectory(outDir)
        } catch {
            // without a manifest the directory is no set; what this merge put there goes
            for p in created { unlink(p) }
            throw error
        }
        return summary
    }

    // MARK: - Checks (nothing in the output directory changes until they all pass)

    static func load(_ dir: String) throws -> Input {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else { throw ShardError("\(dir): no such directory") }
        guard isDir.boolValue else { throw ShardError("\(dir): not a directory (give shard directories)") }
        guard FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("manifest.json")) else {
            throw ShardError("\(dir): no manifest.json, so not a complete shard set (an unfinished or failed task?); merge finished sets only")
        }
        let m = try Manifest.load(dir: dir)
        guard m.format == "llmdata-token-shards", m.version == 1 else {
            throw ShardError("\(dir): manifest.json is format \(m.format) version \(m.version); this llmdata merges llmdata-token-shards version 1")
        }
        let withIDs = m.shards.filter { $0.ids != nil }.count
        if withIDs != 0 && withIDs != m.shards.count {
            throw ShardError("\(dir): \(withIDs) of its \(m.shards.count) shards have record ids (shard-NNNNN.ids), the others not")
        }
        return Input(dir: dir, manifest: m, hasIDs: withIDs > 0)
    }

    static func fileID(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// No set named twice (its documents would be in the output twice), and -o none of them.
    static func checkDistinct(_ dirs: [String], outDir: String) throws {
        var seen: [String: String] = [:]
        for d in dirs {
            guard let id = fileID(d) else { throw ShardError("\(d): cannot stat: \(String(cString: strerror(errno)))") }
            let key = "\(id.0):\(id.1)"
            if let earlier = seen[key] {
                throw ShardError("\(d) is named twice" + (earlier == d ? "" : " (also as \(earlier))") + ": its documents would be in the merged set twice")
            }
            seen[key] = d
        }
        if let o = fileID(outDir), let d = seen["\(o.0):\(o.1)"] {
            throw ShardError("-o \(outDir) is the input \(d): write the merged set to a new directory")
        }
    }

    /// Every set against the first: same tokenizer file, dtype, vocabulary, EOS, BOS and frame size.
    static func checkCompatible(_ sets: [Input]) throws {
        let a = sets[0].manifest
        func show(_ v: Int?) -> String { v.map(String.init) ?? "none" }
        for s in sets.dropFirst() {
            let b = s.manifest
            var diffs: [String] = []
            if a.tokenizer.sha256 != b.tokenizer.sha256 {
                diffs.append("tokenizer (tokenizer.sha256 \(a.tokenizer.sha256.prefix(12))… \(a.tokenizer.name) vs \(b.tokenizer.sha256.prefix(12))… \(b.tokenizer.name))")
            }
            if a.dtype != b.dtype { diffs.append("dtype (\(a.dtype.rawValue) vs \(b.dtype.rawValue))") }
            if a.vocab_size != b.vocab_size { diffs.append("vocab_size (\(a.vocab_size) vs \(b.vocab_size))") }
            if a.eos_id != b.eos_id { diffs.append("eos_id (\(show(a.eos_id)) vs \(show(b.eos_id)))") }
            if a.bos_id != b.bos_id { diffs.append("bos_id (\(show(a.bos_id)) vs \(show(b.bos_id)))") }
            if a.frame_tokens != b.frame_tokens { diffs.append("frame_tokens (\(a.frame_tokens) vs \(b.frame_tokens))") }
            if !diffs.isEmpty {
                throw ShardError("\(sets[0].dir) and \(s.dir) differ in " + diffs.joined(separator: ", ") + ": sets made with different tokenizers or settings cannot be merged")
            }
        }
    }

    /// Ids carry over when every set has them; a mix is refused (the merged set would have ids for
    /// some documents only). Sets without shards count either way.
    static func idsDecision(_ sets: [Input]) throws -> Bool {
        let counted = sets.filter { !$0.manifest.shards.isEmpty }
        let with = counted.filter(\.hasIDs).map(\.dir), without = counted.filter { !$0.hasIDs }.map(\.dir)
        if !with.isEmpty && !without.isEmpty {
            throw ShardError("record ids: \(with.joined(separator: ", ")) \(with.count == 1 ? "has" : "have") them (tokenize --ids) and "
                             + "\(without.joined(separator: ", ")) \(without.count == 1 ? "does" : "do") not; merge sets that all have ids or none "
                             + "(tokenize the others again with --ids)")
        }
        return !with.isEmpty
    }

    /// Every file the manifest names is there with the size it implies (contents are checked by
    /// SHA-256 when copied, and by `shards verify`).
    static func checkFiles(_ s: Input) throws {
        for shard in s.manifest.shards {
            var names: [(String, Int?)] = [(shard.file, shard.bytes),
                                           (shard.index, ShardIndexLayout.headerSize + 8 * (shard.documents + 1) + 24 * shard.frames)]
            if let ids = shard.ids { names.append((ids, nil)) }
            for (name, size) in names {
                guard !name.contains("/") else { throw ShardError("\(s.dir)/manifest.json: shard file name \(name) is not a plain file name") }
                let p = (s.dir as NSString).appendingPathComponent(name)
                var st = stat()
                guard stat(p, &st) == 0 else { throw ShardError("\(p): missing (\(String(cString: strerror(errno)))); the set is incomplete") }
                guard (st.st_mode & S_IFMT) == S_IFREG else { throw ShardError("\(p): not a regular file") }
                if let size, Int(st.st_size) != size {
                    throw ShardError("\(p): \(st.st_size) bytes, its manifest implies \(size) (run llmdata shards verify \(s.dir))")
                }
            }
        }
    }

    /// Creates the output directory, or empties it of an earlier set: with a manifest only under
    /// `overwrite` (the manifest goes first, then every `shard-*` file); without one, the
    /// `shard-*` files there are the remains of an unfinished run and go too, so that no stale
    /// shard is left beside the new manifest.
    static func prepareOutput(_ dir: String, overwrite: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) && !isDir.boolValue {
            throw ShardError("\(dir) exists and is not a directory (-o names the merged shard directory)")
        }
        let manifestPath = (dir as NSString).appendingPathComponent("manifest.json")
        if fm.fileExists(atPath: manifestPath) {
            guard overwrite else {
                throw ShardError("\(dir) already holds a complete shard set (manifest.json); pass --overwrite to replace it")
            }
            guard unlink(manifestPath) == 0 else {
                throw ShardError("\(manifestPath): cannot remove: \(String(cString: strerror(errno)))")
            }
        }
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw ShardError("\(dir): cannot create the output directory: \(error.localizedDescription)")
        }
        for f in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where f.hasPrefix("shard-") {
            let p = (dir as NSString).appendingPathComponent(f)
            var st = stat()
            if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { continue }  // not a shard file
            if unlink(p) != 0 && errno != ENOENT {
                throw ShardError("\(p): cannot remove the old shard file: \(String(cString: strerror(errno)))")
            }
        }
    }

    // MARK: - Files

    /// Puts `srcDir/name` into `outDir` as `newName`: a hard link, or a copy (checked against
    /// `sha256`) with `options.copy` or when linking is not possible (another filesystem, a
    /// filesystem without hard links, a file we may not link).
    static func place(_ srcDir: String, _ name: String, sha256: String, as newName: String, in outDir: String, _ options: Options,
                      _ summary: inout Summary, _ created: inout [String]) throws {
        let src = (srcDir as NSString).appendingPathComponent(name)
        let dst = (outDir as NSString).appendingPathComponent(newName)
        if !options.copy {
            var rc = link(src, dst)
            if rc != 0 && errno == EEXIST {
                unlink(dst)
                rc = link(src, dst)
            }
            if rc == 0 {
                created.append(dst)
                summary.linked += 1
                return
            }
            let e = errno
            switch e {
            case EXDEV: summary.copyReason = summary.copyReason ?? "another filesystem"
            case EPERM, EMLINK, ENOTSUP, EOPNOTSUPP, EACCES:
                summary.copyReason = summary.copyReason ?? "link(2): \(String(cString: strerror(e)))"
            default:
                throw ShardError("\(dst): cannot link to \(src): \(String(cString: strerror(e)))")
            }
        } else {
            summary.copyReason = summary.copyReason ?? "--copy"
        }
        try copy(src, to: dst, sha256: sha256)
        created.append(dst)
        summary.copied += 1
    }

    /// Copies `src` to `dst` (a temporary name, fsynced and renamed), refusing a file whose
    /// SHA-256 is not its manifest's.
    static func copy(_ src: String, to dst: String, sha256: String) throws {
        let fd = open(src, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ShardError("\(src): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let sink = try FDSink(path: dst)
        do {
            let hash = SHA256()
            let size = 1 << 20
            let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
            defer { buf.deallocate() }
            while true {
                let n = read(fd, buf, size)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ShardError("\(src): read error: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                let chunk = UnsafeRawBufferPointer(start: buf, count: n)
                hash.update(chunk)
                try sink.write(chunk)
            }
            guard hash.hexDigest() == sha256 else {
                throw ShardError("\(src): SHA-256 does not match its manifest (run llmdata shards verify \((src as NSString).deletingLastPathComponent))")
            }
            try sink.finish()
        } catch {
            sink.abort()
            throw error
        }
    }

    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
