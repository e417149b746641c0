import CZstd
import Foundation
import LLMDataCore

// ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR (macros Swift does not import).
let zstdContentSizeUnknown = UInt64.max
let zstdContentSizeError = UInt64.max - 1

/// A parsed shard index.
public struct ShardIndex: Sendable {
    public var bytesPerToken: Int
    /// D+1 offsets: document i is tokens [docOffsets[i], docOffsets[i+1]) (BOS and EOS included, when written).
    public var docOffsets: [UInt64]
    public var tokens: UInt64
    public var frames: [FrameEntry]

    public var documents: Int { docOffsets.count - 1 }

    public init(bytes: [UInt8], path: String) throws {
        func bad(_ why: String) -> ShardError { ShardError("\(path): invalid shard index: \(why)") }
        guard bytes.count >= ShardIndexLayout.headerSize else { throw bad("shorter than its header") }
        let parsed: ShardIndex? = try bytes.withUnsafeBytes { b -> ShardIndex? in
            guard Array(b[0..<8]) == ShardIndexLayout.magic else { throw bad("bad magic") }
            let version: UInt32 = readLE(b, 8, as: UInt32.self)
            guard version == ShardIndexLayout.version else { throw bad("unknown version \(version)") }
            let bpt = Int(readLE(b, 12, as: UInt32.self) as UInt32)
            guard bpt == 2 || bpt == 4 else { throw bad("bytes per token \(bpt)") }
            let d64: UInt64 = readLE(b, 16, as: UInt64.self)
            let t: UInt64 = readLE(b, 24, as: UInt64.self)
            let f64: UInt64 = readLE(b, 32, as: UInt64.self)
            // counts beyond the file's size cannot fit (and must not overflow the size below)
            guard d64 < UInt64(bytes.count), f64 < UInt64(bytes.count) else {
                throw bad("\(d64) documents and \(f64) frames do not fit in its \(bytes.count) bytes")
            }
            let d = Int(d64), f = Int(f64)
            let need = ShardIndexLayout.headerSize + 8 * (d + 1) + 24 * f
            guard bytes.count == need else { throw bad("size \(bytes.count), expected \(need)") }
            var offs = [UInt64](repeating: 0, count: d + 1)
            var p = ShardIndexLayout.headerSize
            for i in 0...d { offs[i] = readLE(b, p, as: UInt64.self); p += 8 }
            var frames: [FrameEntry] = []
            frames.reserveCapacity(f)
            for _ in 0..<f {
                frames.append(FrameEntry(byteOffset: readLE(b, p, as: UInt64.self), firstToken: readLE(b, p + 8, as: UInt64.self),
                                         firstDocument: readLE(b, p + 16, as: UInt64.self)))
                p += 24
            }
            return ShardIndex(bytesPerToken: bpt, docOffsets: offs, tokens: t, frames: frames)
        }
        self = parsed!
        if let why = layoutProblem() { throw bad(why) }
    }

    /// What is inconsistent in the index itself, or nil: document offsets from 0 to T without
    /// going back, frames in increasing byte and document order, each starting at its first
    /// document's first token (a reader trusts these to slice frames and documents).
    func layoutProblem() -> String? {
        let d = documents
        if docOffsets[0] != 0 { return "document 0 starts at token \(docOffsets[0]), not 0" }
        if docOffsets[d] != tokens { return "the documents end at token \(docOffsets[d]), the header says \(tokens) tokens" }
        for i in 0..<d where docOffsets[i + 1] < docOffsets[i] {
            return "document \(i) ends at token \(docOffsets[i + 1]) before it starts (token \(docOffsets[i]))"
        }
        if tokens > UInt64(Int.max / 4) { return "\(tokens) tokens" }
        if frames.isEmpty != (d == 0) { return "\(frames.count) frames for \(d) documents" }
        for (k, fr) in frames.enumerated() {
            if k == 0 {
                if fr.byteOffset != 0 || fr.firstDocument != 0 { return "frame 0 starts at byte \(fr.byteOffset), document \(fr.firstDocument)" }
            } else {
                let prev = frames[k - 1]
                if fr.byteOffset <= prev.byteOffset { return "frame \(k) starts at byte \(fr.byteOffset), not after frame \(k - 1) (byte \(prev.byteOffset))" }
                if fr.firstDocument <= prev.firstDocument { return "frame \(k) starts at document \(fr.firstDocument), not after frame \(k - 1) (document \(prev.firstDocument))" }
            }
            if fr.firstDocument >= UInt64(d) { return "frame \(k) starts at document \(fr.firstDocument) of \(d)" }
            if fr.firstToken != docOffsets[Int(fr.firstDocument)] {
                return "frame \(k) starts at token \(fr.firstToken), its first document \(fr.firstDocument) at token \(docOffsets[Int(fr.firstDocument)])"
            }
        }
        return nil
    }

    init(bytesPerToken: Int, docOffsets: [UInt64], tokens: UInt64, frames: [FrameEntry]) {
        self.bytesPerToken = bytesPerToken
        self.docOffsets = docOffsets
        self.tokens = tokens
        self.frames = frames
    }
}

/// Reads a shard directory: documents by number (seeking to their frame), whole shards, checks.
public final class ShardReader {
    public let dir: String
    public let manifest: Manifest
    var indexCache: [Int: ShardIndex] = [:]

    public init(dir: String) throws {
        self.dir = dir
        manifest = try Manifest.load(dir: dir)
    }

    func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

    public func index(shard i: Int) throws -> ShardIndex {
        if let c = indexCache[i] { return c }
        let p = path(manifest.shards[i].index)
        guard let data = FileManager.default.contents(atPath: p) else { throw ShardError("\(p): missing") }
        let idx = try ShardIndex(bytes: Array(data), path: p)
        indexCache[i] = idx
        return idx
    }

    /// Decompresses frame `f` of shard `i` into token ids. The frame must lie within the shard's
    /// bytes, declare as many bytes as the index gives it tokens, and match its content checksum
    /// (frames written since the writer sets one); otherwise a ShardError names the file.
    public func frameTokens(shard i: Int, frame f: Int, compressed: [UInt8]? = nil) throws -> [UInt32] {
        let idx = try index(shard: i)
        let p = path(manifest.shards[i].file)
        guard f >= 0 && f < idx.frames.count else { throw ShardError("\(p): no frame \(f) (the index lists \(idx.frames.count))") }
        let size = UInt64(compressed?.count ?? manifest.shards[i].bytes)
        let start = idx.frames[f].byteOffset
        let end = f + 1 < idx.frames.count ? idx.frames[f + 1].byteOffset : size
        guard start < end, end <= size else {
            throw ShardError("\(p): frame \(f) at bytes \(start)..<\(end) is not within the file's \(size) bytes (the index does not match the data; run shards verify)")
        }
        let bytes: [UInt8]
        if let compressed {
            bytes = Array(compressed[Int(start)..<Int(end)])
        } else {
            guard let fh = FileHandle(forReadingAtPath: p) else { throw ShardError("\(p): cannot open") }
            defer { try? fh.close() }
            try fh.seek(toOffset: start)
            bytes = Array(try fh.read(upToCount: Int(end - start)) ?? Data())
            guard bytes.count == Int(end - start) else {
                throw ShardError("\(p): shorter than the index says (frame \(f) at byte \(start); run shards verify)")
            }
        }
        let firstNext = f + 1 < idx.frames.count ? idx.frames[f + 1].firstToken : idx.tokens
        let count = Int(firstNext - idx.frames[f].firstToken)
        // the frame's declared size, before allocating what the index claims
        let declared = bytes.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if declared == zstdContentSizeError {
            throw ShardError("\(p): frame \(f) at byte \(start) is not a zstd frame")
        }
        if declared != zstdContentSizeUnknown && declared != UInt64(count * idx.bytesPerToken) {
            throw ShardError("\(p): frame \(f) at byte \(start) holds \(declared) bytes, the index says \(count) tokens of \(idx.bytesPerToken) bytes")
        }
        var raw = [UInt8](repeating: 0, count: count * idx.bytesPerToken)
        let n = bytes.withUnsafeBytes { src in
            raw.withUnsafeMutableBytes { dst in ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count) }
        }
        if ZSTD_isError(n) != 0 {
            throw ShardError("\(p): frame \(f) at byte \(start): \(String(cString: ZSTD_getErrorName(n)))")
        }
        guard n == raw.count else { throw ShardError("\(p): frame \(f) holds \(n) bytes, index says \(raw.count)") }
        return raw.withUnsafeBytes { b in
            (0..<count).map { k in
                idx.bytesPerToken == 2 ? UInt32(readLE(b, 2 * k, as: UInt16.self) as UInt16) : readLE(b, 4 * k, as: UInt32.self)
            }
        }
    }

    /// Shard `i`'s index for a reader that passes its ids on (decode, the exports): besides its
    /// own layout, its SHA-256, counts and token width must be the manifest's. verify reports
    /// each of these separately instead.
    func checkedIndex(shard i: Int) throws -> ShardIndex {
        let s = manifest.shards[i]
        let ip = path(s.index)
        guard let data = FileManager.default.contents(atPath: ip) else { throw ShardError("\(ip): missing") }
        if SHA256.hex(of: Array(data)) != s.index_sha256 { throw ShardError("\(ip): SHA-256 does not match the manifest (run shards verify)") }
        let idx = try index(shard: i)
        if idx.documents != s.documents || Int(idx.tokens) != s.tokens || idx.frames.count != s.frames {
            throw ShardError("\(ip): \(idx.documents) documents, \(idx.tokens) tokens, \(idx.frames.count) frames; the manifest says \(s.documents), \(s.tokens), \(s.frames)")
        }
        if idx.bytesPerToken != manifest.dtype.size {
            throw ShardError("\(ip): \(idx.bytesPerToken) bytes per token, the manifest's dtype is \(manifest.dtype.rawValue)")
        }
        return idx
    }

    /// Frame `f` of shard `i` (as `frameTokens`), with every id checked against the vocabulary.
    func checkedFrameTokens(shard i: Int, frame f: Int, compressed: [UInt8]? = nil) throws -> [UInt32] {
        let toks = try frameTokens(shard: i, frame: f, compressed: compressed)
        let vocab = manifest.vocab_size
        if let k = toks.firstIndex(where: { Int($0) >= vocab }) {
            let idx = try index(shard: i)
            throw ShardError("\(path(manifest.shards[i].file)): token \(idx.frames[f].firstToken + UInt64(k)) is id \(toks[k]), beyond vocab size \(vocab) (run shards verify)")
        }
        return toks
    }

    /// The tokens of document `n` (counting across shards), BOS and EOS included (when written).
    /// The index, each id and (for frames written with one) the frame's checksum are checked.
    public func document(_ n: Int) throws -> [UInt32] {
        guard n >= 0 else { throw ShardError("document \(n) is out of range (the set holds \(manifest.documents))") }
        var rest = n
        for (i, s) in manifest.shards.enumerated() {
            if rest < s.documents {
                let idx = try checkedIndex(shard: i)
                let start = idx.docOffsets[rest], end = idx.docOffsets[rest + 1]
                // the frame holding the document: the last one starting at or before it
                var lo = 0, hi = idx.frames.count - 1
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if idx.frames[mid].firstToken <= start { lo = mid } else { hi = mid - 1 }
                }
                let toks = try checkedFrameTokens(shard: i, frame: lo)
                let base = idx.frames[lo].firstToken
                return Array(toks[Int(start - base)..<Int(end - base)])
            }
            rest -= s.documents
        }
        throw ShardError("document \(n) is out of range (the set holds \(manifest.documents))")
    }

    /// The record ids of shard `i`'s documents (`tokenize --ids`), or nil when it has none.
    public func ids(shard i: Int) throws -> [String]? {
        guard let name = manifest.shards[i].ids else { return nil }
        let p = path(name)
        guard let data = FileManager.default.contents(atPath: p) else { throw ShardError("\(p): missing") }
        var out: [String] = []
        for (n, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().enumerated() {
            guard let id = (try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])) as? String else {
                throw ShardError("\(p):\(n + 1): not a JSON string")
            }
            out.append(id)
        }
        return out
    }

    /// The record id of document `n` (counting across shards), or nil when the set has no ids.
    public func id(ofDocument n: Int) throws -> String? {
        guard n >= 0 else { throw ShardError("document \(n) is out of range (the set holds \(manifest.documents))") }
        var rest = n
        for (i, s) in manifest.shards.enumerated() {
            if rest < s.documents {
                guard let ids = try ids(shard: i) else { return nil }
                // the ids file is not checked against its SHA-256 here (verify does): it may be short
                guard rest < ids.count else {
                    throw ShardError("\(path(manifest.shards[i].ids ?? "")): \(ids.count) ids for \(s.documents) documents (run shards verify)")
                }
                return ids[rest]
            }
            rest -= s.documents
        }
        throw ShardError("document \(n) is out of range (the set holds \(manifest.documents))")
    }

    /// The first document whose record id is `id`.
    public func document(withID id: String) throws -> Int {
        var base = 0
        var any = false
        for (i, s) in manifest.shards.enumerated() {
            if let ids = try ids(shard: i) {
                any = true
                if let k = ids.firstIndex(of: id) { return base + k }
            }
            base += s.documents
        }
        throw ShardError(any ? "no document has the id \(id)" : "the shards hold no record ids (write them with tokenize --ids)")
    }

    public struct VerifyReport: Sendable {
        public var shards = 0
        public var documents = 0
        public var tokens = 0
        public var problems: [String] = []
    }

    /// Checks sizes, SHA-256 of every file, the index against the data, BOS and EOS placement and ids
    /// against the vocabulary size.
    public func verify() -> VerifyReport {
        var r = VerifyReport()
        let fm = FileManager.default
        for (i, s) in manifest.shards.enumerated() {
            r.shards += 1
            let tp = path(s.file), ip = path(s.index)
            guard let data = fm.contents(atPath: tp) else { r.problems.append("\(tp): missing"); continue }
            guard let idxData = fm.contents(atPath: ip) else { r.problems.append("\(ip): missing"); continue }
            if data.count != s.bytes { r.problems.append("\(tp): \(data.count) bytes, manifest says \(s.bytes)") }
            let bytes = Array(data)
            if SHA256.hex(of: bytes) != s.sha256 { r.problems.append("\(tp): SHA-256 does not match the manifest") }
            if SHA256.hex(of: Array(idxData)) != s.index_sha256 { r.problems.append("\(ip): SHA-256 does not match the manifest") }
            if let name = s.ids {
                let p = path(name)
                if let d = fm.contents(atPath: p) {
                    if SHA256.hex(of: Array(d)) != s.ids_sha256 { r.problems.append("\(p): SHA-256 does not match the manifest") }
                    let lines = d.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                    if lines != s.documents { r.problems.append("\(p): \(lines) ids for \(s.documents) documents") }
                } else {
                    r.problems.append("\(p): missing")
                }
            }
            let idx: ShardIndex
            do { idx = try index(shard: i) } catch { r.problems.append("\(error)"); continue }
            if idx.documents != s.documents || Int(idx.tokens) != s.tokens || idx.frames.count != s.frames {
                r.problems.append("\(ip): counts differ from the manifest")
            }
            if idx.bytesPerToken != manifest.dtype.size { r.problems.append("\(ip): token width differs from the manifest's dtype") }
            var all: [UInt32] = []
            all.reserveCapacity(Int(idx.tokens))
            for f in 0..<idx.frames.count {
                do { all += try frameTokens(shard: i, frame: f, compressed: bytes) } catch { r.problems.append("\(error)"); break }
            }
            if all.count != Int(idx.tokens) { r.problems.append("\(tp): \(all.count) tokens, index says \(idx.tokens)"); continue }
            if let bad = all.firstIndex(where: { Int($0) >= manifest.vocab_size }) {
                r.problems.append("\(tp): token \(bad) is id \(all[bad]), beyond vocab size \(manifest.vocab_size)")
            }
            if let bos = manifest.bos_id {
                for d in 0..<idx.documents {
                    let start = Int(idx.docOffsets[d]), end = Int(idx.docOffsets[d + 1])
                    if start >= end || all[start] != UInt32(bos) {
                        r.problems.append("\(tp): document \(r.documents + d) does not start with BOS \(bos)")
                        break
                    }
                }
            }
            if let eos = manifest.eos_id {
                for d in 0..<idx.documents {
                    let end = Int(idx.docOffsets[d + 1])
                    if end == 0 || all[end - 1] != UInt32(eos) {
                        r.problems.append("\(tp): document \(r.documents + d) does not end with EOS \(eos)")
                        break
                    }
                }
            }
            r.documents += idx.documents
            r.tokens += Int(idx.tokens)
        }
        if r.documents != manifest.documents || r.tokens != manifest.tokens {
            r.problems.append("\(dir): totals \(r.documents) documents / \(r.tokens) tokens differ from the manifest's \(manifest.documents) / \(manifest.tokens)")
        }
        return r
    }

    /// The prefix written to when `-o` names a directory (an existing one, or any path ending in
    /// `/`): Megatron's own `preprocess_data.py` names its files `PREFIX_text_document`.
    public static let megatronDirectoryPrefix = "corpus_text_document"

    /// The prefix `exportMegatron` writes for `-o output`: `output` itself, or
    /// `output/corpus_text_document` when it names a directory (never the hidden `DIR/.bin`).
    public static func megatronPrefix(for output: String) -> String {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: output, isDirectory: &isDir)
        if output.hasSuffix("/") || (exists && isDir.boolValue) || output == "." || output == ".." || output.hasSuffix("/.") || output.hasSuffix("/..") {
            var dir = output
            while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
            return dir == "/" ? "/" + megatronDirectoryPrefix : dir + "/" + megatronDirectoryPrefix
        }
        return output
    }

    /// Writes Megatron-LM's indexed dataset (`PREFIX.bin` + `PREFIX.idx`, MMIDIDX version 1):
    /// one sequence per document (BOS and EOS included, when written), dtype code 8 (uint16) or 4 (int32).
    /// Everything read is checked first (each shard's and index's SHA-256 against the manifest,
    /// the index's layout, frame checksums, ids below `vocab_size`); a set that fails is refused
    /// with the file named and nothing is left behind.
    public func exportMegatron(prefix: String) throws -> (sequences: Int, tokens: Int) {
        let parent = (prefix as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw ShardError("\(parent): cannot create the output directory: \(error.localizedDescription)")
            }
        }
        let bin = try FDSink(path: prefix + ".bin")
        var sizes: [Int32] = []
        var tokensOut = 0
        let code: UInt8 = manifest.dtype == .uint16 ? 8 : 4
        let width = manifest.dtype == .uint16 ? 2 : 4
        var idxSink: FDSink?
        do {
            for i in manifest.shards.indices {
                let idx = try checkedIndex(shard: i)
                let data = try checkedShardBytes(i)
                for f in 0..<idx.frames.count {
                    let toks = try checkedFrameTokens(shard: i, frame: f, compressed: data)
                    try bin.write(Self.littleEndian(toks, width: width))
                    tokensOut += toks.count
                }
                for d in 0..<idx.documents {
                    let n = idx.docOffsets[d + 1] - idx.docOffsets[d]  // the layout check keeps it >= 0
                    guard n <= UInt64(Int32.max) else {
                        throw ShardError("\(path(manifest.shards[i].file)): document \(d) has \(n) tokens, more than a Megatron sequence holds (int32)")
                    }
                    sizes.append(Int32(n))
                }
            }
            var idxBytes: [UInt8] = Array("MMIDIDX\0\0".utf8)
            appendLE(UInt64(1), to: &idxBytes)
            idxBytes.append(code)
            appendLE(UInt64(sizes.count), to: &idxBytes)
            appendLE(UInt64(sizes.count + 1), to: &idxBytes)
            for s in sizes { appendLE(s, to: &idxBytes) }
            var pointer: Int64 = 0
            for s in sizes {
                appendLE(pointer, to: &idxBytes)
                pointer += Int64(s) * Int64(width)
            }
            for d in 0...sizes.count { appendLE(Int64(d), to: &idxBytes) }
            idxSink = try FDSink(path: prefix + ".idx")
            try idxSink!.write(idxBytes)
            try bin.finish()
            try idxSink!.finish()
        } catch {
            bin.abort()
            idxSink?.abort()
            throw error
        }
        return (sizes.count, tokensOut)
    }
}

extension ShardReader {
    /// Shard `i`'s compressed bytes, checked against the manifest's size and SHA-256 (the exports
    /// slice it by the index's offsets and pass every id on).
    func checkedShardBytes(_ i: Int) throws -> [UInt8] {
        let p = path(manifest.shards[i].file)
        guard let d = FileManager.default.contents(atPath: p) else { throw ShardError("\(p): missing") }
        guard d.count == manifest.shards[i].bytes else {
            throw ShardError("\(p): \(d.count) bytes, manifest says \(manifest.shards[i].bytes) (run shards verify)")
        }
        let bytes = Array(d)
        if SHA256.hex(of: bytes) != manifest.shards[i].sha256 { throw ShardError("\(p): SHA-256 does not match the manifest (run shards verify)") }
        return bytes
    }

    /// Writes datatrove's tokenized files (`DocumentTokenizer`, datatrove 0.10), one per shard, in
    /// `outDir`: `shard-NNNNN.ds` (the ids, little-endian, 2 or 4 bytes each), `.ds.index` (each
    /// document's end in tokens, uint64) and `.ds.metadata` (`tokenizer|token size`, the token
    /// count, and the count as `humanize.metric` writes it). datatrove's
    /// `DocumentTokenizerMerger` and `DatatroveFolderDataset` (nanotron) read them as their own.
    ///
    /// datatrove's readers take every `*.ds` file of a folder, so a folder that already holds some
    /// is refused (with `overwrite`, its `shard-*.ds*` files are removed first, and others still
    /// refuse it), and a failed export removes the files it wrote.
    public func exportDatatrove(outDir: String, overwrite: Bool = false) throws -> (files: Int, documents: Int, tokens: Int) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        } catch {
            throw ShardError("\(outDir): cannot create the output directory: \(error.localizedDescription)")
        }
        let existing = ((try? fm.contentsOfDirectory(atPath: outDir)) ?? []).filter { $0.hasSuffix(".ds") || $0.contains(".ds.") }
        // with overwrite, an earlier export's own files go; anything else refuses the folder
        if let f = existing.filter({ !overwrite || !$0.hasPrefix("shard-") }).sorted().first {
            throw ShardError("\(outDir) already holds datatrove files (\(f)): datatrove would read them with the export" + (overwrite ? "" : "; pass --overwrite to replace an earlier export"))
        }
        for f in existing { unlink((outDir as NSString).appendingPathComponent(f)) }
        var written: [String] = []
        do {
            return try writeDatatrove(outDir: outDir, written: &written)
        } catch {
            for p in written { unlink(p) }
            throw error
        }
    }

    private func writeDatatrove(outDir: String, written: inout [String]) throws -> (files: Int, documents: Int, tokens: Int) {
        let width = manifest.dtype.size
        var documents = 0, tokens = 0
        for i in manifest.shards.indices {
            let idx = try checkedIndex(shard: i)
            let data = try checkedShardBytes(i)
            let base = (outDir as NSString).appendingPathComponent(String(format: "shard-%05d.ds", i))
            let ds = try FDSink(path: base)
            var files = [ds]
            do {
                var count = 0
                for f in 0..<idx.frames.count {
                    let toks = try checkedFrameTokens(shard: i, frame: f, compressed: data)
                    try ds.write(Self.littleEndian(toks, width: width))
                    count += toks.count
                }
                var ends: [UInt8] = []
                ends.reserveCapacity(8 * idx.documents)
                for d in 0..<idx.documents { appendLE(idx.docOffsets[d + 1], to: &ends) }
                let index = try FDSink(path: base + ".index")
                files.append(index)
                try index.write(ends)
                let meta = try FDSink(path: base + ".metadata")
                files.append(meta)
                // datatrove splits the first line at "|"
                let name = (manifest.tokenizer.path.isEmpty ? manifest.tokenizer.name : manifest.tokenizer.path)
                    .replacingOccurrences(of: "|", with: "_")
                try meta.write(Array("\(name)|\(width)\n\(count)\n\(Self.humanizeMetric(count, unit: "T"))".utf8))
                for f in files { try f.finish() }
                written += [base, base + ".index", base + ".metadata"]
                documents += idx.documents
                tokens += count
            } catch {
                for f in files { f.abort() }
                throw error
            }
        }
        return (manifest.shards.count, documents, tokens)
    }

    /// Ids as little-endian `uint16` or `uint32` bytes (Megatron's `int32` has the same bytes for
    /// every id below 2^31).
    static func littleEndian(_ toks: [UInt32], width: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(toks.count * width)
        for t in toks {
            if width == 2 { appendLE(UInt16(t), to: &out) } else { appendLE(t, to: &out) }
        }
        return out
    }

    /// Python humanize's `metric(value, unit)` with its default precision of 3 significant digits
    /// ("3.63 MT", "137 kT", "42.0 T"), for datatrove's metadata files.
    static func humanizeMetric(_ value: Int, unit: String) -> String {
        let v = Double(value)
        var exponent = value == 0 ? 0 : Int((log10(abs(v))).rounded(.down))
        func scaled() -> (Double, Int) {
            (v / pow(10, Double(exponent / 3 * 3)), max(0, 3 - exponent % 3 - 1))
        }
        var (s, digits) = scaled()
        // rounding to the shown digits can carry into the next power of ten (999,999 is
        // "1.00 MT", 9,999 "10.0 kT"), as humanize checks too
        let shown = (s * pow(10, Double(digits))).rounded() / pow(10, Double(digits))
        if shown >= pow(10, Double(exponent % 3 + 1)) {
            exponent += 1
            (s, digits) = scaled()
        }
        let ordinal = exponent >= 3 ? String(Array("kMGTPEZYRQ")[exponent / 3 - 1]) : ""
        return String(format: "%.\(digits)f", s) + " " + ordinal + unit
    }
}
