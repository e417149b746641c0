import CZlib
import CZstd
import Foundation

/// A stream of bytes: a file, stdin, or a decompressor over one of them.
public protocol ByteSource: AnyObject {
    /// Reads up to `buf.count` bytes; 0 means end of stream. Throws on I/O errors and on
    /// truncated or corrupt compressed input.
    func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int
    func close()
}

public enum Compression: String, Sendable, CaseIterable {
    case none, zst, gz

    /// The compression named by a path's extension (`.zst`, `.gz`).
    public static func of(path: String) -> Compression {
        if path.hasSuffix(".zst") || path.hasSuffix(".zstd") { return .zst }
        if path.hasSuffix(".gz") { return .gz }
        return .none
    }

    /// Detects compression from the first bytes of a stream (used for stdin).
    public static func sniff(_ bytes: [UInt8]) -> Compression {
        if bytes.count >= 4, bytes[0] == 0x28, bytes[1] == 0xB5, bytes[2] == 0x2F, bytes[3] == 0xFD { return .zst }
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B { return .gz }
        return .none
    }

    public var fileExtension: String {
        switch self {
        case .none: return ""
        case .zst: return ".zst"
        case .gz: return ".gz"
        }
    }
}

/// Reads a file descriptor.
public final class FDSource: ByteSource {
    let fd: Int32
    let ownsFD: Bool
    /// Bytes pushed back in front of the stream (used after sniffing stdin).
    var pending: [UInt8] = []

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw LLMDataError("\(path): cannot open: \(String(cString: strerror(errno)))",
                               hint: "check the path and its permissions")
        }
        self.fd = fd
        self.ownsFD = true
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
    }

    public init(fd: Int32) {
        self.fd = fd
        self.ownsFD = false
    }

    public func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
        if !pending.isEmpty {
            let n = min(buf.count, pending.count)
            pending.withUnsafeBytes { src in
                buf.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: n)
            }
            pending.removeFirst(n)
            return n
        }
        while true {
            let n = Foundation.read(fd, buf.baseAddress, buf.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw LLMDataError("read error: \(String(cString: strerror(errno)))")
        }
    }

    public func close() {
        if ownsFD { _ = Foundation.close(fd) }
    }
}

/// Streaming zstd decompression (any number of concatenated frames).
public final class ZstdSource: ByteSource {
    let inner: ByteSource
    let dctx: OpaquePointer
    var inBuf: UnsafeMutableRawPointer
    let inCap: Int
    var inPos = 0
    var inSize = 0
    var lastHint = 0
    var sawInput = false
    var eof = false

    public init(_ inner: ByteSource) {
        self.inner = inner
        self.dctx = ZSTD_createDCtx()
        self.inCap = ZSTD_DStreamInSize()
        self.inBuf = .allocate(byteCount: inCap, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(dctx)
        inBuf.deallocate()
    }

    public func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if inPos == inSize && !eof {
                inSize = try inner.read(into: UnsafeMutableRawBufferPointer(start: inBuf, count: inCap))
                inPos = 0
                if inSize == 0 { eof = true } else { sawInput = true }
            }
            if eof && inPos == inSize {
                if lastHint != 0 {
                    throw LLMDataError("truncated zstd stream (the last frame is incomplete)",
                                       hint: "the file was cut off; re-create or re-download it")
                }
                return 0
            }
            var input = ZSTD_inBuffer(src: inBuf, size: inSize, pos: inPos)
            var output = ZSTD_outBuffer(dst: buf.baseAddress, size: buf.count, pos: 0)
            let r = ZSTD_decompressStream(dctx, &output, &input)
            if ZSTD_isError(r) != 0 {
                throw LLMDataError("corrupt zstd stream: \(String(cString: ZSTD_getErrorName(r)))")
            }
            lastHint = r
            inPos = input.pos
            if output.pos > 0 { return output.pos }
        }
    }

    public func close() { inner.close() }
}

/// Streaming gzip/zlib decompression (multi-member gzip supported).
public final class GzipSource: ByteSource {
    let inner: ByteSource
    var strm = z_stream()
    var inBuf: UnsafeMutablePointer<UInt8>
    let inCap = 1 << 16
    var eof = false
    var streamEnded = false
    var inflating = false

    public init(_ inner: ByteSource) throws {
        self.inner = inner
        inBuf = .allocate(capacity: inCap)
        let r = inflateInit2_(&strm, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if r != Z_OK { throw LLMDataError("zlib init failed (\(r))") }
        inflating = true
    }

    deinit {
        inflateEnd(&strm)
        inBuf.deallocate()
    }

    public func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if strm.avail_in == 0 && !eof {
                let n = try inner.read(into: UnsafeMutableRawBufferPointer(start: inBuf, count: inCap))
                if n == 0 { eof = true } else {
                    strm.next_in = inBuf
                    strm.avail_in = UInt32(n)
                    if streamEnded {
                        // another gzip member follows
                        inflateReset(&strm)
                        streamEnded = false
                    }
                }
            }
            if strm.avail_in == 0 && eof {
                if !streamEnded {
                    throw LLMDataError("truncated gzip stream", hint: "the file was cut off; re-create or re-download it")
                }
                return 0
            }
            if streamEnded {
                // trailing bytes after a member: start the next member
                inflateReset(&strm)
                streamEnded = false
            }
            strm.next_out = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
            strm.avail_out = UInt32(min(buf.count, Int(UInt32.max)))
            let r = inflate(&strm, Z_NO_FLUSH)
            let produced = buf.count - Int(strm.avail_out)
            if r == Z_STREAM_END {
                streamEnded = true
            } else if r != Z_OK && r != Z_BUF_ERROR {
                throw LLMDataError("corrupt gzip stream (zlib error \(r))")
            }
            if produced > 0 { return produced }
        }
    }

    public func close() { inner.close() }
}

/// Opens a path (or `-` for stdin) with decompression chosen by extension, or by sniffing
/// the first bytes for stdin and for a pipe or device without a compression extension.
public func openByteSource(path: String) throws -> ByteSource {
    if path == "-" { return try sniffed(FDSource(fd: 0)) }
    let src = try FDSource(path: path)
    switch Compression.of(path: path) {
    case .zst: return ZstdSource(src)
    case .gz: return try GzipSource(src)
    case .none:
        var st = stat()
        if fstat(src.fd, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG { return try sniffed(src) }
        return src
    }
}

/// A stream with decompression told by its first bytes (read, then pushed back).
func sniffed(_ src: FDSource) throws -> ByteSource {
    var head = [UInt8](repeating: 0, count: 4)
    var got = 0
    while got < 4 {
        let n = try head.withUnsafeMutableBytes { b in
            try src.read(into: UnsafeMutableRawBufferPointer(rebasing: b[got...]))
        }
        if n == 0 { break }
        got += n
    }
    head.removeLast(4 - got)
    src.pending = head
    switch Compression.sniff(head) {
    case .zst: return ZstdSource(src)
    case .gz: return try GzipSource(src)
    case .none: return src
    }
}
