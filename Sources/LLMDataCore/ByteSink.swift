import CTextKernels
import CZlib
import CZstd
import Foundation

/// A destination for bytes. File sinks write to a temporary name and rename on `finish()`.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes, closes and (for files) renames the temporary file into place.
    func finish() throws
    /// Closes and removes any temporary file.
    func abort()
}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Buffered writes to a file descriptor. EPIPE becomes `BrokenPipe`.
public final class FDSink: ByteSink {
    let fd: Int32
    let ownsFD: Bool
    let tmpPath: String?
    let finalPath: String?
    var buffer: [UInt8] = []
    let bufferLimit = 1 << 20
    var done = false
    /// Bytes written to the file, and how many of them have been handed to writeback.
    var written = 0
    var writebackStarted = 0
    /// Bytes given to `write` so far (buffered or written).
    public var bytesWritten: Int { written + buffer.count }

    /// Standard output.
    public init(stdout: Void = ()) {
        fd = 1
        ownsFD = false
        tmpPath = nil
        finalPath = nil
        buffer.reserveCapacity(bufferLimit)
    }

    /// A file written atomically: `PATH.tmp-PID` first, renamed to PATH by `finish()`.
    public init(path requested: String) throws {
        var path = requested
        var st = stat()
        let exists = stat(path, &st) == 0
        let kind = st.st_mode & S_IFMT
        // Devices, FIFOs, and existing /dev or /proc paths (/dev/stderr may point at a log file)
        let special = exists && ((kind != S_IFREG && kind != S_IFDIR) || requested.hasPrefix("/dev/") || requested.hasPrefix("/proc/"))
        if special {
            // Devices, FIFOs and /dev/stdout-style links are written in place (appending), never
            // replaced by a rename.
            let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            if fd < 0 {
                throw LLMDataError("\(path): cannot open: \(String(cString: strerror(errno)))")
            }
            self.fd = fd
            ownsFD = true
            tmpPath = nil
            finalPath = path
            buffer.reserveCapacity(bufferLimit)
            return
        }
        var lst = stat()
        if lstat(path, &lst) == 0 && (lst.st_mode & S_IFMT) == S_IFLNK, let real = realpath(path, nil) {
            // a symlinked output: replace the file it points to, keep the link
            path = String(cString: real)
            free(real)
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let tmp = "\(path).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw LLMDataError("\(path): cannot create: \(String(cString: strerror(errno)))",
                               hint: "check that the output directory exists and is writable")
        }
        self.fd = fd
        ownsFD = true
        tmpPath = tmp
        finalPath = path
        buffer.reserveCapacity(bufferLimit)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count >= 1 << 16 {
            // large writes (whole batches) skip the buffer
            try flush()
            try writeAll(bytes)
            return
        }
        if buffer.count + bytes.count > bufferLimit { try flush() }
        buffer.append(contentsOf: bytes)
    }

    func flush() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw BrokenPipe() }
                throw LLMDataError("\(finalPath ?? "stdout"): write error: \(String(cString: strerror(errno)))")
            }
            off += n
        }
        written += bytes.count
    }

    /// Starts the kernel writing what has been written so far to disk, without waiting (Linux
    /// `sync_file_range(SYNC_FILE_RANGE_WRITE)`, once at least `minBytes` are new), so that the
    /// `fsync` of `finish()` has little left to wait for. Elsewhere it does nothing.
    public func startWriteback(minBytes: Int = 1 << 20) {
        guard tmpPath != nil, written - writebackStarted >= minBytes else { return }
        _ = llm_start_writeback(fd, Int64(writebackStarted), Int64(written - writebackStarted))
        writebackStarted = written
    }

    public func finish() throws {
        if done { return }
        try flush()
        try sync()
        try commit()
    }

    /// fsync of a file written under a temporary name (0 or an errno).
    func syncError() -> Int32 {
        guard ownsFD, tmpPath != nil, fsync(fd) != 0, errno != EINVAL else { return 0 }
        return errno
    }

    func sync() throws {
        let e = syncError()
        if e != 0 { throw LLMDataError("\(finalPath!): fsync failed: \(String(cString: strerror(e)))") }
    }

    /// Closes the file and renames it into place.
    func commit() throws {
        done = true
        guard ownsFD else { return }
        _ = close(fd)
        if tmpPath != nil && rename(tmpPath!, finalPath!) != 0 {
            throw LLMDataError("\(finalPath!): cannot rename from temporary file: \(String(cString: strerror(errno)))")
        }
    }

    /// Finishes several files as one step: all are flushed, their fsyncs run at the same time
    /// (one waits for the disk instead of each in turn: ~0.7 ms each on the test VM), then they
    /// are closed and renamed into place in the order given, so a file that marks a set as
    /// complete (a manifest) goes last and appears only once the others are on disk.
    public static func finishTogether(_ sinks: [FDSink]) throws {
        let open = sinks.filter { !$0.done }
        for s in open { try s.flush() }
        let errors = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(open.count, 1))
        defer { errors.deallocate() }
        let box = SinkList(sinks: open, errors: errors)
        DispatchQueue.concurrentPerform(iterations: open.count) { i in box.errors[i] = box.sinks[i].syncError() }
        for (i, s) in open.enumerated() where errors[i] != 0 {
            throw LLMDataError("\(s.finalPath!): fsync failed: \(String(cString: strerror(errors[i])))")
        }
        for s in open { try s.commit() }
    }

    private struct SinkList: @unchecked Sendable {
        let sinks: [FDSink]
        let errors: UnsafeMutableBufferPointer<Int32>
    }

    public func abort() {
        if done { return }
        done = true
        if ownsFD {
            _ = close(fd)
            if let tmpPath { unlink(tmpPath) }
        }
    }
}

/// zstd streaming compression in front of another sink.
public final class ZstdSink: ByteSink {
    let inner: ByteSink
    let cctx: OpaquePointer
    var out: [UInt8]

    public init(_ inner: ByteSink, level: Int32 = 3) {
        self.inner = inner
        cctx = ZSTD_createCCtx()
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        out = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
    }

    deinit { ZSTD_freeCCtx(cctx) }

    func pump(_ bytes: UnsafeRawBufferPointer, mode: ZSTD_EndDirective) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while true {
            let (r, produced): (Int, Int) = out.withUnsafeMutableBytes { ob in
                var output = ZSTD_outBuffer(dst: ob.baseAddress, size: ob.count, pos: 0)
                let r = ZSTD_compressStream2(cctx, &output, &input, mode)
                return (r, output.pos)
            }
            if ZSTD_isError(r) != 0 {
                throw LLMDataError("zstd compression failed: \(String(cString: ZSTD_getErrorName(r)))")
            }
            if produced > 0 {
                try out.withUnsafeBytes { try inner.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            }
            if mode == ZSTD_e_continue {
                if input.pos == input.size { return }
            } else if r == 0 {
                return
            }
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.isEmpty { return }
        try pump(bytes, mode: ZSTD_e_continue)
    }

    public func finish() throws {
        try pump(UnsafeRawBufferPointer(start: nil, count: 0), mode: ZSTD_e_end)
        try inner.finish()
    }

    public func abort() { inner.abort() }
}

/// gzip compression in front of another sink.
public final class GzipSink: ByteSink {
    let inner: ByteSink
    var strm = z_stream()
    var out = [UInt8](repeating: 0, count: 1 << 16)

    public init(_ inner: ByteSink, level: Int32 = 6) throws {
        self.inner = inner
        let r = deflateInit2_(&strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if r != Z_OK { throw LLMDataError("zlib init failed (\(r))") }
    }

    deinit { deflateEnd(&strm) }

    func pump(_ bytes: UnsafeRawBufferPointer, flush: Int32) throws {
        strm.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        strm.avail_in = UInt32(bytes.count)
        while true {
            let (r, produced): (Int32, Int) = out.withUnsafeMutableBytes { ob in
                strm.next_out = ob.baseAddress!.assumingMemoryBound(to: UInt8.self)
                strm.avail_out = UInt32(ob.count)
                let r = deflate(&strm, flush)
                return (r, ob.count - Int(strm.avail_out))
            }
            if r == Z_STREAM_ERROR { throw LLMDataError("gzip compression failed") }
            if produced > 0 {
                try out.withUnsafeBytes { try inner.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            }
            if flush == Z_FINISH {
                if r == Z_STREAM_END { return }
            } else if strm.avail_in == 0 && produced < out.count {
                return
            }
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.isEmpty { return }
        try pump(bytes, flush: Z_NO_FLUSH)
    }

    public func finish() throws {
        try pump(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
        try inner.finish()
    }

    public func abort() { inner.abort() }
}

/// Opens an output: `-` is stdout, anything else a file written atomically, compressed by
/// its extension unless `compression` overrides it.
public func openByteSink(path: String, compression: Compression? = nil) throws -> ByteSink {
    let base: ByteSink = path == "-" ? FDSink() : try FDSink(path: path)
    switch compression ?? (path == "-" ? .none : Compression.of(path: path)) {
    case .none: return base
    case .zst: return ZstdSink(base)
    case .gz: return try GzipSink(base)
    }
}
