// Performance notes (issue 7: writing shards must add at most 10% to `tokenize`'s encoding time;
// `scripts/bench_tokenize.py`, heldout.jsonl, GPT-2 ranks, 3.63 M ids = 7.26 MB of uint16).
//
// Measured (2026-11-23, 2 shared cores; perf record/stat, in-process timers): before this round the
// shard path cost ~18 ms narrowing ids (`Array.append(contentsOf: repeatElement)` + element loop),
// ~20 ms in zstd level 1 (libzstd 1.5.4, 353 MB/s on token ids), ~4 ms of SHA-256 + write on the
// writer thread, a 3-4 ms fsync and 1.5 ms unlinking the previous run's files (`--overwrite`),
// both serial. Ordering waits: none seen (the writer consumes each batch in < 0.2 ms).
//
// Done:
// * ids are narrowed into a reusable typed buffer (a plain loop the compiler vectorizes); frames
//   are compressed through a reusable output buffer into one byte array per batch; the writer
//   hashes and writes each batch with one call (no per-frame allocation, zero-fill or syscall).
// * zstd level 1 with hashLog 11 and minMatch 5 (FrameCompressor): 14.3 ms instead of 19.5 ms for
//   ratio 1.972 instead of 1.990 on heldout's ids.
// * `--jobs 1`: the one encoder thread leaves frames raw and the writer thread, otherwise idle,
//   compresses them (same bytes: same frames, same parameters).
// * writeback starts as the shard is written (`FDSink.startWriteback`), so the final fsync waits
//   ~2 ms instead of ~4; the previous run's shards are unlinked on another thread.
//
// Still open: at --jobs 2 both cores encode, so all of the above shows in wall time. Measured
// again on 2026-11-23 12:00-12:40 on an Intel Xeon VM (AVX-512, SHA-NI, libzstd 1.5.4), after the
// encoder got faster (branch tokenize-speed): per run, zstd ~19 ms of CPU for heldout's 7.26 MB
// of ids (380 MB/s; the same in a C loop with or without evicting the caches between frames),
// SHA-256 ~2.2 ms (OpenSSL EVP, 1.6 GB/s), write + page cache ~2.6 ms, narrowing and frame
// bookkeeping ~2.5 ms, finish() ~2-2.6 ms serial (fsync of the shard ~0.75 ms, index and manifest
// with their fsyncs), unlinking the previous run's shard ~1 ms, ~400 extra page faults. Writeback
// itself is not the problem (kworker < 0.1% of system-wide samples). Against ~265 ms of CPU for
// encoding alone that is ~10% of CPU, three quarters of it zstd: interleaved A/B best of 12
// (12:47), +9.7% CPU / +12.5% wall at --jobs 2, -1.3% wall / +8.1% CPU at --jobs 1; clean bench
// runs +13.0% and +15.0% wall at --jobs 2 (docs/benchmarks.md). The bar is not met at --jobs 2. Not done: a buffer pool for
// the batches (the ~400 faults are ~0.5 ms), idx written while the shard is fsynced (~0.5 ms).
//
// Fourth round (2026-11-23 14:10-14:40, same Intel VM; per-worker timers and thread CPU clocks
// in a throwaway build, perf record, 8-30 interleaved rounds): at --jobs 2 each worker is idle
// 0.1-6 ms of ~150 ms, so the shard cost is CPU: per worker +11-15 ms (zstd and narrowing), the
// writer thread's SHA-256 and write (~5 ms) preempting the workers, and finish(). Done:
// * finish(): the last shard, its index and the manifest are fsynced together and renamed in
//   that order (`FDSink.finishTogether`): 2.4-2.8 ms -> 1.8-2.0 ms of serial time at the end.
// * The reader makes the last input's final batches smaller (BatchReader.batchTarget): the two
//   workers now stop within 0.2 ms of each other instead of up to a batch (~7 ms) apart. Frame
//   boundaries follow batches, so heldout's shard has 86 frames instead of 79 (+853 bytes,
//   +0.02%); the same at every --jobs.
// Measured and left: zstd 1.5.4 level 1 over heldout's 7.26 MB of ids in a C loop, best of 15,
// 128 KiB frames: 20.4 ms (hashLog 11, minMatch 5, ratio 1.974); zstd's own level 1 22.5 ms
// (1.986); hashLog 10 / 12: 21.2 / 21.6 ms; minMatch 6: 20.0 ms (1.963); targetLength 0: 25.0
// ms; 512 KiB frames 19.2 ms; 32 KiB frames 23.8 ms. Nothing is both faster and as small; a
// Huffman-only stream would be 1.38x smaller at best (byte entropy 5.81 bits), not 1.97x. So
// writing shards costs ~10% of encoding's CPU at --jobs 2, and with both cores busy that is
// what it adds to wall time: runs of `bench_tokenize.py` on the noisy VM gave +10.5% to +23.6%
// wall (best of 9-30) while --jobs 1, where the writer thread has a core of its own, gave -0.4%
// to +7.5%.
//
// * Batch buffers (`BatchBytes`) come from a pool the writer refills after writing, and zstd
//   writes into them directly: no allocation per batch on a worker and free on the writer thread
//   (perf, --jobs 1 with shards: libc's malloc, free and malloc_consolidate had about a third as
//   many samples as zstd), and no copy of the compressed bytes. Shard bytes identical at --jobs
//   1, 2 and 3. An interleaved A/B (best of 12) could not tell the two apart through this VM's
//   noise (--jobs 2 with shards: 127 / 136 ms best, 162 / 161 ms median).
//
// Rejected on this machine (C loop over heldout's ids, 128 KiB frames, best of 15): no level-1
// variant is both faster and as small: hashLog 8-13 x minMatch 4-6 gives 17.4-35.7 ms (noisy) for ratios
// 1.894-2.058 (the chosen hashLog 11 / minMatch 5: 18.7-19.6 ms, 1.974); literals left
// uncompressed (ZSTD_c_literalCompressionMode) 15.6 ms but ratio 1.736 (shards 14% larger);
// targetLength 2 15.0 ms, 1.691; level -1 16.8 ms, 1.755; level -5 13.8 ms, 1.509; 256 KiB frames
// 19.4 ms, 1.975 (frame size does not matter).
//
// Fifth round (2026-11-23 16:35-17:00, same VM): where the --jobs 2 budget goes (10% of ~210 ms
// of encoding CPU, ~10.5 ms of wall). A throwaway build that copies frames instead of
// compressing them, interleaved best of 10: encode only 105 ms, uncompressed shards 110 ms
// (+4.8%: SHA-256, writes, index, the serial finish() of 1.6-2.1 ms), level 1 118 ms (+12.4%).
// zstd's entropy stage alone, through ZSTD_registerSequenceProducer with a producer that finds no
// matches, is 12.96 ms (C loop, 7.26 MB, ratio 1.37) against 20.8 ms for level 1 (1.974), so no
// match finder can bring compression under ~13 ms; a hand-written token-aligned producer (2/3-token
// hashes, repeat offsets, backward extension) took 30-47 ms (ratio 1.99-2.07), minMatch 7 18.5 ms
// (1.885). With both cores encoding, the bar needs uncompressed shards (docs/benchmarks.md).
//
// Rejected: zstd level -1 (14.7 ms but ratio 1.767, shards 12% larger); hashLog 10 (14.7 ms, 1.961)
// and minMatch 4 (17.2 ms, ratio 2.037: better ratio, slower); hashing on the workers (SHA-256 of
// the file is one sequential stream; ~2 ms with SHA-NI, not worth a second pass per frame);
// dropping fsync (the promise is that a directory with a manifest is complete on disk).

import CZstd
import Foundation
import LLMDataCore

/// One frame of a batch: its stored size in `EncodedBatch.bytes`, tokens and documents.
public struct FrameInfo: Sendable {
    public var bytes: Int
    public var tokens: Int
    public var documents: Int
}

/// Documents of one input batch turned into frames, back to back in `bytes`. Workers build these
/// in parallel; the writer appends them in order. With `compressed` false the frames are the raw
/// little-endian ids and the writer compresses them (`--jobs 1`: the encoding thread only encodes,
/// the writer thread has a core of its own).
public struct EncodedBatch: Sendable {
    /// Tokens of each document, EOS included.
    public var documentTokens: [Int] = []
    public var frames: [FrameInfo] = []
    /// The frames' bytes (nil for a batch without documents); back to the writer's pool once
    /// written.
    public var bytes: BatchBytes?
    public var compressed = true
    /// `tokenize --ids`: each document's id as a JSON string and a newline, in order.
    public var ids: [UInt8]?
    public init() {}
}

/// A growable byte buffer that a worker fills with a batch's frames and the writer hands back to
/// `BatchBytesPool` once they are written: the batches' buffers are reused instead of allocated
/// by a worker and freed by the writer thread each time (in perf, libc's malloc, free and
/// consolidation on the writer thread were a third as many samples as zstd itself).
public final class BatchBytes: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    public private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 4096)
        base = .allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit { base.deallocate() }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Room for `n` more bytes at `base + count`.
    func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        let cap = max(count + n, capacity * 2)
        let p = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 64)
        p.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = p
        capacity = cap
    }

    func append(_ src: UnsafeRawBufferPointer) {
        reserve(src.count)
        if let s = src.baseAddress { (base + count).copyMemory(from: s, byteCount: src.count) }
        count += src.count
    }

    /// `n` bytes written at `base + count` by someone else (zstd) become part of the buffer.
    func commit(_ n: Int) { count += n }

    func reset() { count = 0 }
}

/// Buffers written batches give back, for the next batches (a few: as many as are in flight).
final class BatchBytesPool: @unchecked Sendable {
    let lock = NSLock()
    var free: [BatchBytes] = []

    func take(capacity: Int) -> BatchBytes {
        lock.lock()
        let b = free.popLast()
        lock.unlock()
        guard let b else { return BatchBytes(capacity: capacity) }
        b.reset()
        b.reserve(capacity)
        return b
    }

    func give(_ b: BatchBytes) {
        lock.lock()
        if free.count < 32 { free.append(b) }
        lock.unlock()
    }
}

/// A zstd context: compresses one frame at a time, straight into a batch's buffer (no copy of the
/// compressed bytes, no per-frame allocation or zero-fill).
///
/// Levels are zstd's: `levels` (1 to 22, and zstd's negative fast levels; 0 is zstd's default,
/// 3). Level 1 (the default) is zstd's level 1 with a 2 KiB-entry hash table (`hashLog` 11 instead of
/// 13) and 5-byte minimum matches (instead of 6): the table stays in L1 cache. On heldout's GPT-2
/// ids (7.26 MB, 79 frames, libzstd 1.5.4) this compresses in 14.3 ms instead of 19.5 ms for a
/// ratio of 1.972 instead of 1.990 (level -1: 14.7 ms, 1.767). Other levels are zstd's own.
final class FrameCompressor {
    let cctx: OpaquePointer

    /// The compression levels this libzstd takes (`ZSTD_minCLevel()` ... `ZSTD_maxCLevel()`).
    static var levels: ClosedRange<Int32> { Int32(ZSTD_minCLevel())...Int32(ZSTD_maxCLevel()) }

    init(level: Int32) {
        cctx = ZSTD_createCCtx()
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        // A content checksum (XXH64 of the frame's ids, 4 bytes per frame) lets every reader
        // (decode, the exports, verify) refuse a frame whose bytes changed instead of passing on
        // wrong ids. Measured 2026-12-07 (C loop, 14 MB of GPT-2 ids, 128 KiB frames, best of 15):
        // 39.22 -> 39.46 ms (+0.6%), 4 bytes per frame.
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        if level == 1 {
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, 11)
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_minMatch, 5)
        }
    }

    deinit { ZSTD_freeCCtx(cctx) }

    /// Compresses `src` into one independent frame (content size and content checksum included,
    /// no dictionary) written straight after the bytes already in `dst`; returns its size.
    func compress(_ src: UnsafeRawBufferPointer, into dst: BatchBytes) -> Int {
        let bound = ZSTD_compressBound(src.count)
        dst.reserve(bound)
        let n = ZSTD_compress2(cctx, dst.base + dst.count, bound, src.baseAddress, src.count)
        precondition(ZSTD_isError(n) == 0, "zstd compression failed: \(String(cString: ZSTD_getErrorName(n)))")
        dst.commit(n)
        return n
    }
}

/// Packs documents into frames of `frameTokens` tokens or more (a frame closes after the document
/// that reaches the limit, and at the end of the batch) and compresses them (or, with `compress`
/// false, leaves them raw for the writer). One per thread.
public final class FrameEncoder {
    let width: Int
    let eosID: UInt32?
    let frameTokens: Int
    let compressor: FrameCompressor?
    /// The open frame's ids, `width` bytes each (bound to UInt16 or UInt32 once for all).
    var raw: UnsafeMutableRawPointer
    var rawCapacity: Int
    var rawCount = 0
    var tokens = 0
    var docs = 0
    var batch = EncodedBatch()
    var lastBatchBytes = 0

    let pool: BatchBytesPool

    init(dtype: TokenDType, eosID: Int?, frameTokens: Int, level: Int32, compress: Bool, pool: BatchBytesPool) {
        self.pool = pool
        width = dtype.size
        self.eosID = eosID.map { UInt32($0) }
        self.frameTokens = frameTokens
        compressor = compress ? FrameCompressor(level: level) : nil
        rawCapacity = (min(frameTokens, 1 << 20) + 4096) * width
        raw = FrameEncoder.allocate(rawCapacity, width: width)
    }

    deinit { raw.deallocate() }

    static func allocate(_ bytes: Int, width: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        if width == 2 { p.bindMemory(to: UInt16.self, capacity: bytes / 2) } else { p.bindMemory(to: UInt32.self, capacity: bytes / 4) }
        return p
    }

    public func add(document t: UnsafeBufferPointer<UInt32>) {
        let n = t.count + (eosID == nil ? 0 : 1)
        let need = rawCount + n * width
        if need > rawCapacity {
            let cap = max(need, rawCapacity * 2)
            let p = FrameEncoder.allocate(cap, width: width)
            p.copyMemory(from: raw, byteCount: rawCount)
            raw.deallocate()
            raw = p
            rawCapacity = cap
        }
        // A plain loop over typed pointers: the compiler vectorizes the narrowing to uint16.
        if let src = t.baseAddress {
            let c = t.count
            if width == 2 {
                let d = (raw + rawCount).assumingMemoryBound(to: UInt16.self)
                for k in 0..<c { d[k] = UInt16(truncatingIfNeeded: src[k]).littleEndian }
            } else {
                let d = (raw + rawCount).assumingMemoryBound(to: UInt32.self)
                for k in 0..<c { d[k] = src[k].littleEndian }
            }
        }
        if let e = eosID {
            if width == 2 {
                (raw + rawCount).assumingMemoryBound(to: UInt16.self)[t.count] = UInt16(truncatingIfNeeded: e).littleEndian
            } else {
                (raw + rawCount).assumingMemoryBound(to: UInt32.self)[t.count] = e.littleEndian
            }
        }
        rawCount = need
        tokens += n
        docs += 1
        batch.documentTokens.append(n)
        if tokens >= frameTokens { closeFrame() }
    }

    func closeFrame() {
        guard docs > 0 else { return }
        if batch.bytes == nil { batch.bytes = pool.take(capacity: max(lastBatchBytes, rawCount)) }
        let src = UnsafeRawBufferPointer(start: raw, count: rawCount)
        let n: Int
        if let compressor {
            n = compressor.compress(src, into: batch.bytes!)
        } else {
            batch.bytes!.append(src)
            n = rawCount
        }
        batch.frames.append(FrameInfo(bytes: n, tokens: tokens, documents: docs))
        rawCount = 0
        tokens = 0
        docs = 0
    }

    /// Closes the open frame and returns the batch.
    public func finishBatch() -> EncodedBatch {
        closeFrame()
        batch.compressed = compressor != nil
        lastBatchBytes = (batch.bytes?.count ?? 0) + (batch.bytes?.count ?? 0) / 8
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

        /// The `--zstd-level` values this libzstd takes: 1 to 22 and the negative fast levels
        /// down to `ZSTD_minCLevel()` (0 is zstd's default level, 3).
        public static var zstdLevels: ClosedRange<Int32> { FrameCompressor.levels }
    }

    let dir: String
    public let dtype: TokenDType
    public let eosID: Int?
    /// The token each document starts with (already among the documents' ids), for the manifest.
    public let bosID: Int?
    let vocabSize: Int
    public let options: Options
    let tokenizer: Manifest.TokenizerInfo

    var shards: [Manifest.Shard] = []
    // current shard
    var sink: FDSink?
    var sha: SHA256?
    var shardIndex = 0
    var docOffsets: [UInt64] = []
    var frames: [FrameEntry] = []
    var shardTokens: UInt64 = 0
    var shardBytes: UInt64 = 0
    /// The current shard's ids file contents (`tokenize --ids`), or nil.
    var shardIDs: [UInt8]?
    public private(set) var totalDocuments = 0
    public private(set) var totalTokens = 0
    // compression of raw batches on the writer's thread
    var writerCompressor: FrameCompressor?
    let scratch = BatchBytes(capacity: 1 << 18)
    var scratchSizes: [Int] = []
    /// Batch buffers written and ready for the workers again.
    let pool = BatchBytesPool()

    public init(dir: String, vocabSize: Int, eosID: Int?, bosID: Int? = nil, tokenizer: Manifest.TokenizerInfo,
                options: Options = Options(), overwrite: Bool = false, keeping: Set<String> = []) throws {
        self.dir = dir
        self.bosID = bosID
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
        if !overwrite {
            // No manifest: whatever shard files are here are the remains of an unfinished set (a
            // killed run). They go now, so none of them sits beside the new manifest; `keeping`
            // names the shards of this set that earlier runs already committed (llmdata run).
            for f in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where f.hasPrefix("shard-") && !keeping.contains(f) {
                unlink((dir as NSString).appendingPathComponent(f))
            }
        }
        if overwrite {
            // The old manifest goes first (the directory is then no longer a complete set); the old
            // shards are unlinked on another thread while encoding starts (freeing a large file's
            // blocks takes a millisecond or more), and `closeShard` waits for that before its
            // first rename. Our own PID's temporary names are removed here, before we create them.
            let ownTmp = ".tmp-\(getpid())"
            unlink(manifestPath)
            var later: [String] = []
            for f in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where f.hasPrefix("shard-") {
                let path = (dir as NSString).appendingPathComponent(f)
                if f.hasSuffix(ownTmp) { unlink(path) } else { later.append(path) }
            }
            if !later.isEmpty {
                let group = DispatchGroup()
                let paths = later
                DispatchQueue.global().async(group: group) { for p in paths { unlink(p) } }
                oldFilesRemoved = group
            }
        }
    }

    /// Set while old shards of an `overwrite` run are still being removed.
    var oldFilesRemoved: DispatchGroup?

    func waitForOldFiles() {
        oldFilesRemoved?.wait()
        oldFilesRemoved = nil
    }

    /// A frame encoder with this writer's settings (one per worker thread). With `compress` false
    /// its batches hold raw frames, which `add` compresses on the writer's thread.
    public func makeFrameEncoder(compress: Bool = true) -> FrameEncoder {
        FrameEncoder(dtype: dtype, eosID: eosID, frameTokens: options.frameTokens, level: options.zstdLevel, compress: compress,
                     pool: pool)
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
        shardIDs = nil
    }

    /// Appends one batch (in input order): one hash update and one write for the whole batch.
    public func add(_ batch: EncodedBatch) throws {
        if batch.documentTokens.isEmpty { return }
        if sink == nil { try openShard() }
        if let ids = batch.ids { shardIDs = (shardIDs ?? []) + ids }
        guard let bytes = batch.bytes else { return }
        if !batch.compressed {
            // raw frames from a `compress: false` encoder: compressed here, in order, into a
            // scratch buffer the writer keeps
            if writerCompressor == nil { writerCompressor = FrameCompressor(level: options.zstdLevel) }
            scratch.reset()
            scratchSizes.removeAll(keepingCapacity: true)
            var off = 0
            let b = bytes.bytes
            for f in batch.frames {
                scratchSizes.append(writerCompressor!.compress(UnsafeRawBufferPointer(rebasing: b[off..<(off + f.bytes)]), into: scratch))
                off += f.bytes
            }
            try append(batch, sizes: scratchSizes, bytes: scratch.bytes)
        } else {
            try append(batch, sizes: nil, bytes: bytes.bytes)
        }
        pool.give(bytes)
        if shardTokens >= UInt64(options.tokensPerShard) {
            try closeShard()
            shardIndex += 1
        }
    }

    /// Index entries for the batch's frames (stored sizes `sizes`, or the frames' own), then the
    /// bytes into the hash and the file.
    func append(_ batch: EncodedBatch, sizes: [Int]?, bytes: UnsafeRawBufferPointer) throws {
        var doc = 0
        for (i, f) in batch.frames.enumerated() {
            frames.append(FrameEntry(byteOffset: shardBytes, firstToken: shardTokens, firstDocument: UInt64(docOffsets.count)))
            for _ in 0..<f.documents {
                docOffsets.append(shardTokens)
                shardTokens += UInt64(batch.documentTokens[doc])
                doc += 1
            }
            shardBytes += UInt64(sizes?[i] ?? f.bytes)
            totalTokens += f.tokens
            totalDocuments += f.documents
        }
        sha!.update(bytes)
        try sink!.write(bytes)
        sink!.startWriteback()
    }

    /// Writes the shard's index and, with `last`, the manifest; the files are fsynced together
    /// and renamed shard, index, manifest (`FDSink.finishTogether`).
    func closeShard(last: Bool = false) throws {
        waitForOldFiles()
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
        shards.append(Manifest.Shard(file: name + ".tok.zst", index: name + ".idx", documents: docOffsets.count,
                                     tokens: Int(shardTokens), frames: frames.count, bytes: Int(shardBytes),
                                     sha256: sha!.hexDigest(), index_sha256: SHA256.hex(of: idx),
                                     ids: shardIDs == nil ? nil : name + ".ids", ids_sha256: shardIDs.map { SHA256.hex(of: $0) }))
        var files = [sink!]
        do {
            if let ids = shardIDs {
                let idsSink = try FDSink(path: (dir as NSString).appendingPathComponent(name + ".ids"))
                files.append(idsSink)
                try idsSink.write(ids)
            }
            let idxSink = try FDSink(path: (dir as NSString).appendingPathComponent(name + ".idx"))
            files.append(idxSink)
            try idxSink.write(idx)
            if last {
                let m = try FDSink(path: (dir as NSString).appendingPathComponent("manifest.json"))
                files.append(m)
                try m.write(Array(try manifest().encoded()))
            }
            try FDSink.finishTogether(files)
        } catch {
            // temporary files go; a shard or index already renamed stays, but without a manifest
            // the directory is not a complete set
            for f in files { f.abort() }
            throw error
        }
        sink = nil
    }

    func manifest() -> Manifest {
        Manifest(tokenizer: tokenizer, dtype: dtype, vocab_size: vocabSize, eos_id: eosID, bos_id: bosID,
                 frame_tokens: options.frameTokens, documents: totalDocuments, tokens: totalTokens, shards: shards)
    }

    /// Closes the last shard and writes `manifest.json`.
    @discardableResult
    public func finish() throws -> Manifest {
        if sink == nil && shards.isEmpty { try openShard() }  // an empty input still gives a valid set
        if sink != nil {
            try closeShard(last: true)
        } else {
            // the last shard closed at a batch boundary: the manifest alone
            let s = try FDSink(path: (dir as NSString).appendingPathComponent("manifest.json"))
            try s.write(Array(try manifest().encoded()))
            try s.finish()
        }
        return manifest()
    }

    /// Closes the shard being written (if any) at this batch boundary and returns the shards
    /// closed since the last call: a resumable run commits them with the input file they came
    /// from. No manifest is written.
    public func cut() throws -> [Manifest.Shard] {
        if sink != nil {
            try closeShard()
            shardIndex += 1
        }
        defer { cutAt = shards.count }
        return Array(shards[cutAt...])
    }
    var cutAt = 0

    /// Continues a shard set whose first shards (`committed`, from earlier `cut`s) are already
    /// on disk: numbering and totals go on from them. Call before the first `add`.
    public func resume(committed: [Manifest.Shard]) {
        shards = committed
        cutAt = committed.count
        shardIndex = committed.count
        totalDocuments = committed.reduce(0) { $0 + $1.documents }
        totalTokens = committed.reduce(0) { $0 + $1.tokens }
    }

    /// Removes the temporary files of an unfinished run.
    public func abort() {
        waitForOldFiles()
        sink?.abort()
        sink = nil
    }
}
