import Foundation
import LLMDataCore

/// The decompressing byte sources of LLMDataCore/ByteSource.swift: `ZstdSource` (concatenated
/// frames, truncation) and `GzipSource` (multi-member gzip, trailing bytes), over an in-memory
/// source that hands out the input in small pieces, and `openByteSource` (extension and sniffing).
///
/// Input: byte 0 chooses, the rest is the stream.
///   bits 0-1: 0 zstd, 1 gzip, 2 `openByteSource` on `input.zst`, 3 `openByteSource` on `input.gz`
///   bits 2-4: the inner source's piece size (1, 2, 3, 7, 64, 4096, 65536, all); bits 5-7: the
///   read buffer (1, 2, 5, 16, 255, 4096, 65536, 1 MiB)
enum CompressedHarness {
    /// Output read per input at most: a few bytes of zstd can declare gigabytes.
    static let maxOutput = 32 << 20

    /// The input, `piece` bytes per read at most.
    final class MemorySource: ByteSource {
        let bytes: [UInt8]
        let piece: Int
        var pos = 0
        init(_ bytes: [UInt8], piece: Int) {
            self.bytes = bytes
            self.piece = piece
        }
        func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buf.count, piece, bytes.count - pos)
            if n > 0 {
                bytes.withUnsafeBytes { src in buf.baseAddress!.copyMemory(from: src.baseAddress! + pos, byteCount: n) }
            }
            pos += n
            return n
        }
        func close() {}
    }

    static let pieces = [1, 2, 3, 7, 64, 4096, 65536, Int.max]
    static let buffers = [1, 2, 5, 16, 255, 4096, 65536, 1 << 20]

    static func run(_ input: [UInt8]) {
        guard let flags = input.first else { return }
        let body = Array(input.dropFirst())
        let piece = pieces[Int(flags >> 2) & 7]
        let bufSize = buffers[Int(flags >> 5) & 7]
        do {
            let source: ByteSource
            switch flags & 3 {
            case 0: source = ZstdSource(MemorySource(body, piece: piece))
            case 1: source = try GzipSource(MemorySource(body, piece: piece))
            case 2: source = try openByteSource(path: Scratch.write("input.zst", body))
            default: source = try openByteSource(path: Scratch.write("input.gz", body))
            }
            defer { source.close() }
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: bufSize, alignment: 16)
            defer { buf.deallocate() }
            var total = 0
            while total < maxOutput {
                let n = try source.read(into: buf)
                if n == 0 { break }
                precondition(n > 0 && n <= bufSize, "read returned \(n) for a \(bufSize)-byte buffer")
                total += n
            }
        } catch {}
    }
}
