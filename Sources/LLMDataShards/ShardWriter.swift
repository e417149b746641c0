import CZstd
import Foundation
import LLMDataCore

/// One compressed frame: whole documents, EOS after each.
public struct CompressedFrame: Sendable {
    public var bytes: [UInt8]
    public var tokens: Int
    public var documents: Int
}

/// Documents of one input batch turned into compressed frames. Workers build these in parallel;
/// the writer only appends them, so compression never waits on the ordered writer.
public struct EncodedBatch: Sendable {
    /// Tokens of each document, EOS included.
    public var documentTokens: [Int] = []
    public var frames: [CompressedFrame] = []
    public init() {}
}

/// Packs documents into frames of `frameTokens` tokens or more (a frame closes after the document
/// that reaches the limit, and at the end of the batch) and compresses them. One per thread.
public final class FrameEncoder {
    let dtype: TokenDType
    let eosID: UInt32?
    let frameTokens: Int
    let level: Int32
    let cctx: OpaquePointer
    var buf: [UInt8] = []
    var tokens = 0
    var docs = 0
    var batch = EncodedBatch()

    public init(dtype: TokenDType, eosID: Int?, frameTokens: Int, level: Int32) {
        self.dtype = dtype
        self.eosID = eosID.map { UInt32($0) }
        self.frameTokens = frameTokens
        self.level = level
        cctx = ZSTD_createCCtx()
    }

    deinit { ZSTD_freeCCtx(cctx) }

    public func add(document t: UnsafeBufferPointer<UInt32>) {
        let n = t.count + (eosID == nil ? 0 : 1)
        let width = dtype.size
        let old = buf.count
        buf.append(contentsOf: repeatElement(0, count: n * width))
        buf.withUnsafeMutableBytes { raw in
            let dst = raw.baseAddress! + old
            if width == 2 {
                let d = dst.assumingMemoryBound(to: UInt16.self)
                for k in 0..<t.count { d[k] = UInt16(truncatingIfNeeded: t[k]).littleEndian }
                if let e = eosID { d[t.count] = UInt16(truncatingIfNeeded: e).littleEndian }
            } else {
                let d = dst.assumingMemoryBound(to: UInt32.self)
                for k in 0..<t.count { d[k] = t[k].littleEndian }
                if let e = eosID { d[t.count] = e.littleEndian }
            }
        }
        tokens += n
        docs += 1
        batch.documentTokens.append(n)
        if tokens >= frameTokens { closeFrame() }
    }

    func closeFrame() {
        guard docs > 0 else { return }
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(buf.count))
        let n = buf.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in ZSTD_compressCCtx(cctx, dst.baseAddress, dst.count, src.baseAddress, src.count, level) }
        }
        precondition(ZSTD_isError(n) == 0, "zstd compression failed: \(String(cString: ZSTD_getErrorName(n)))")
        out.removeLast(out.count - n)
        batch.frames.append(CompressedFrame(bytes: out, tokens: tokens, documents: docs))
        buf.removeAll(keepingCapacity: true)
        tokens = 0
        docs = 0
    }

    /// Closes the open frame and returns the batch.
    public func finishBatch() -> EncodedBatch {
        closeFrame()
        defer { batch = EncodedBatch() }
        return batch
    }
}

/// Writes token shards (docs/shards.md) from encoded batches, in order: frames are appended to
/// `shard-NNNNN.tok.zst`, a shard closes at the first batch boundary after `tokensPerShard`
/// tokens, then its index is written; `manifest.json` comes last. Every file is written under a
/// temporary name and renamed when complete, so a directory with a manifest is always complete.
public final class ShardWriter {
    public struct Options: Sendable {
        public var frameTokens = 1 << 16
        public var tokensPerShard = 100_000_000
        public var zstdLevel: Int32 = 1
        public init() {}
    }

    let dir: String
    public let dtype: TokenDType
    public let eosID: Int?
    let vocabSize: Int
    public let options: Options
    let tokenizer: Manifest.TokenizerInfo

    var shards: [Manifest.Shard] = []
    // current shard
    var sink: ByteSink?
    var sha: SHA256?
    var shardIndex = 0
    var docOffsets: [UInt64] = []
    var frames: [FrameEntry] = []
    var shardTokens: UInt64 = 0
    var shardBytes: UInt64 = 0
    public private(set) var totalDocuments = 0
    public private(set) var totalTokens = 0

    public init(dir: String, vocabSize: Int, eosID: Int?, tokenizer: Manifest.TokenizerInfo, options: Options = Options(),
                overwrite: Bool = false) throws {
        self.dir = dir
        self.vocabSize = vocabSize
        self.dtype = TokenDType.forVocab(vocabSize)
        self.eosID = eosID
        self.tokenizer = tokenizer
        self.options = options
        let fm = FileManager.default
        let manifestPath = (dir as NSString).appendingPathComponent("manifest.json")
        if fm.fileExists(atPath: manifestPath) && !overwrite {
            throw ShardError("\(dir) already holds a complete shard set (manifest.json); pass --overwrite to replace it")
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) && !isDir.boolValue {
            throw ShardError("\(dir) exists and is not a directory (-o names the shard directory)")
        }
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw ShardError("\(dir): cannot create the shard directory: \(error.localizedDescription)")
        }
        if overwrite {
            for f in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where f.hasPrefix("shard-") || f == "manifest.json" {
                try? fm.removeItem(atPath: (dir as NSString).appendingPathComponent(f))
            }
        }
    }

    /// A frame encoder with this writer's settings (one per worker thread).
    public func makeFrameEncoder() -> FrameEncoder {
        FrameEncoder(dtype: dtype, eosID: eosID, frameTokens: options.frameTokens, level: options.zstdLevel)
    }

    func shardName(_ i: Int) -> String { String(format: "shard-%05d", i) }

    func openShard() throws {
        let path = (dir as NSString).appendingPathComponent(shardName(shardIndex) + ".tok.zst")
        sink = try FDSink(path: path)
        sha = SHA256()
        docOffsets = []
        frames = []
        shardTokens = 0
        shardBytes = 0
    }

    /// Appends one batch (in input order).
    public func add(_ batch: EncodedBatch) throws {
        if batch.documentTokens.isEmpty { return }
        if sink == nil { try openShard() }
        var doc = 0
        for f in batch.frames {
            frames.append(FrameEntry(byteOffset: shardBytes, firstToken: shardTokens, firstDocument: UInt64(docOffsets.count)))
            for _ in 0..<f.documents {
                docOffsets.append(shardTokens)
                shardTokens += UInt64(batch.documentTokens[doc])
                doc += 1
            }
            try f.bytes.withUnsafeBytes { b in
                sha!.update(b)
                try sink!.write(b)
            }
            shardBytes += UInt64(f.bytes.count)
            totalTokens += f.tokens
            totalDocuments += f.documents
        }
        if shardTokens >= UInt64(options.tokensPerShard) {
            try closeShard()
            shardIndex += 1
        }
    }

    func closeShard() throws {
        try sink!.finish()
        sink = nil
        var idx: [UInt8] = []
        idx.reserveCapacity(ShardIndexLayout.headerSize + 8 * (docOffsets.count + 1) + 24 * frames.count)
        idx.append(contentsOf: ShardIndexLayout.magic)
        appendLE(ShardIndexLayout.version, to: &idx)
        appendLE(UInt32(dtype.size), to: &idx)
        appendLE(UInt64(docOffsets.count), to: &idx)
        appendLE(shardTokens, to: &idx)
        appendLE(UInt64(frames.count), to: &idx)
        for o in docOffsets { appendLE(o, to: &idx) }
        appendLE(shardTokens, to: &idx)
        for f in frames {
            appendLE(f.byteOffset, to: &idx)
            appendLE(f.firstToken, to: &idx)
            appendLE(f.firstDocument, to: &idx)
        }
        let name = shardName(shardIndex)
        let idxSink = try FDSink(path: (dir as NSString).appendingPathComponent(name + ".idx"))
        try idxSink.write(idx)
        try idxSink.finish()
        shards.append(Manifest.Shard(file: name + ".tok.zst", index: name + ".idx", documents: docOffsets.count,
                                     tokens: Int(shardTokens), frames: frames.count, bytes: Int(shardBytes),
                                     sha256: sha!.hexDigest(), index_sha256: SHA256.hex(of: idx)))
    }

    /// Closes the last shard and writes `manifest.json`.
    @discardableResult
    public func finish() throws -> Manifest {
        if sink == nil && shards.isEmpty { try openShard() }  // an empty input still gives a valid set
        if sink != nil { try closeShard() }
        let m = Manifest(tokenizer: tokenizer, dtype: dtype, vocab_size: vocabSize, eos_id: eosID,
                         frame_tokens: options.frameTokens, documents: totalDocuments, tokens: totalTokens, shards: shards)
        let s = try FDSink(path: (dir as NSString).appendingPathComponent("manifest.json"))
        try s.write(Array(try m.encoded()))
        try s.finish()
        return m
    }

    /// Removes the temporary files of an unfinished run.
    public func abort() {
        sink?.abort()
        sink = nil
    }
}
