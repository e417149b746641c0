import CZstd
import Foundation
import LLMDataCore

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
            let d = Int(readLE(b, 16, as: UInt64.self) as UInt64)
            let t: UInt64 = readLE(b, 24, as: UInt64.self)
            let f = Int(readLE(b, 32, as: UInt64.self) as UInt64)
            let need = ShardIndexLayout.headerSize + 8 * (d + 1) + 24 * f
            guard d >= 0, f >= 0, bytes.count == need else { throw bad("size \(bytes.count), expected \(need)") }
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

    /// Decompresses frame `f` of shard `i` into token ids.
    public func frameTokens(shard i: Int, frame f: Int, compressed: [UInt8]? = nil) throws -> [UInt32] {
        let idx = try index(shard: i)
        let p = path(manifest.shards[i].file)
        let start = idx.frames[f].byteOffset
        let end = f + 1 < idx.frames.count ? idx.frames[f + 1].byteOffset : UInt64(manifest.shards[i].bytes)
        let bytes: [UInt8]
        if let compressed {
            bytes = Array(compressed[Int(start)..<Int(end)])
        } else {
            guard let fh = FileHandle(forReadingAtPath: p) else { throw ShardError("\(p): cannot open") }
            defer { try? fh.close() }
            try fh.seek(toOffset: start)
            bytes = Array(try fh.read(upToCount: Int(end - start)) ?? Data())
        }
        let firstNext = f + 1 < idx.frames.count ? idx.frames[f + 1].firstToken : idx.tokens
        let count = Int(firstNext - idx.frames[f].firstToken)
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

    /// The tokens of document `n` (counting across shards), BOS and EOS included (when written).
    public func document(_ n: Int) throws -> [UInt32] {
        var rest = n
        for (i, s) in manifest.shards.enumerated() {
            if rest < s.documents {
                let idx = try index(shard: i)
                let start = idx.docOffsets[rest], end = idx.docOffsets[rest + 1]
                // the frame holding the document: the last one starting at or before it
                var lo = 0, hi = idx.frames.count - 1
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if idx.frames[mid].firstToken <= start { lo = mid } else { hi = mid - 1 }
                }
                let toks = try frameTokens(shard: i, frame: lo)
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
        var rest = n
        for (i, s) in manifest.shards.enumerated() {
            if rest < s.documents { return try ids(shard: i)?[rest] }
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

    /// Writes Megatron-LM's indexed dataset (`PREFIX.bin` + `PREFIX.idx`, MMIDIDX version 1):
    /// one sequence per document (BOS and EOS included, when written), dtype code 8 (uint16) or 4 (int32).
    public func exportMegatron(prefix: String) throws -> (sequences: Int, tokens: Int) {
        let bin = try FDSink(path: prefix + ".bin")
        var sizes: [Int32] = []
        var tokensOut = 0
        let code: UInt8 = manifest.dtype == .uint16 ? 8 : 4
        let width = manifest.dtype == .uint16 ? 2 : 4
        do {
            for (i, s) in manifest.shards.enumerated() {
                let idx = try index(shard: i)
                let data = try shardBytes(i)
                for f in 0..<idx.frames.count {
                    let toks = try frameTokens(shard: i, frame: f, compressed: data)
                    try bin.write(Self.littleEndian(toks, width: width))
                    tokensOut += toks.count
                }
                for d in 0..<idx.documents { sizes.append(Int32(idx.docOffsets[d + 1] - idx.docOffsets[d])) }
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
            let idxSink = try FDSink(path: prefix + ".idx")
            try idxSink.write(idxBytes)
            try bin.finish()
            try idxSink.finish()
        } catch {
            bin.abort()
            throw error
        }
        return (sizes.count, tokensOut)
    }
}

extension ShardReader {
    /// Shard `i`'s compressed bytes, checked against the manifest's size (the exports slice it by
    /// the index's offsets).
    func shardBytes(_ i: Int) throws -> [UInt8] {
        let p = path(manifest.shards[i].file)
        guard let d = FileManager.default.contents(atPath: p) else { throw ShardError("\(p): missing") }
        guard d.count == manifest.shards[i].bytes else {
            throw ShardError("\(p): \(d.count) bytes, manifest says \(manifest.shards[i].bytes) (run shards verify)")
        }
        return Array(d)
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
        for (i, s) in manifest.shards.enumerated() {
            let idx = try index(shard: i)
            let data = try shardBytes(i)
            let base = (outDir as NSString).appendingPathComponent(String(format: "shard-%05d.ds", i))
            let ds = try FDSink(path: base)
            var files = [ds]
            do {
                var count = 0
                for f in 0..<idx.frames.count {
                    let toks = try frameTokens(shard: i, frame: f, compressed: data)
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
