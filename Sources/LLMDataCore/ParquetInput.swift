import CSimdjsonShim
import Foundation
import LLMDataParquet

// The Parquet branch of input reading (docs/parquet.md). LLMDataParquet turns each row into one
// JSON object; here those become batches of JSON Lines records, so every stage reads Parquet
// as it reads `.jsonl`: the record's line is its 1-based row number (default ids `RELPATH:ROW`).

let parquetMagic: [UInt8] = Array("PAR1".utf8)

extension InputDiscovery {
    /// `.parquet` for a regular file that starts with the Parquet magic `PAR1` (a file argument
    /// whose extension names no format), else nil.
    static func parquetByMagic(_ path: String) -> InputFormat? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        var head = [UInt8](repeating: 0, count: 4)
        guard pread(fd, &head, 4, 0) == 4, head == parquetMagic else { return nil }
        return .parquet
    }
}

extension BatchReader {
    /// Reads `file` as Parquet when it is one: its format says so, or JSON was expected and the
    /// stream starts with `PAR1` (stdin, a pipe, a mislabelled file). Returns false otherwise,
    /// having consumed nothing. A file that is not valid Parquet is fatal: `FILE: reason`.
    func readParquet(index: Int, file: InputFile, source: ByteSource, emit: (Batch) throws -> Void) throws -> Bool {
        guard file.format == .parquet || file.format == .jsonl || file.format == .json else { return false }
        guard let src = source as? FDSource else {
            // a compressed stream: Parquet compresses inside, a compressed Parquet file is not one
            if file.format == .parquet {
                throw LLMDataError("\(file.displayPath): not a Parquet file (it is zstd or gzip compressed)",
                                   hint: "decompress it first; Parquet pages are compressed inside the file")
            }
            return false
        }
        var st = stat()
        let regular = fstat(src.fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        if file.format != .parquet {
            var head = [UInt8](repeating: 0, count: 4)
            if regular && src.pending.isEmpty {
                guard pread(src.fd, &head, 4, 0) == 4 else { return false }
            } else {
                head = Array(src.pending.prefix(4))
            }
            guard head == parquetMagic else { return false }
        }
        func failed(_ e: ParquetError) -> LLMDataError {
            LLMDataError("\(file.displayPath): \(e.message)", hint: "see docs/parquet.md for what is read")
        }
        let reader: ParquetReader
        do {
            // Parquet is read from its footer backwards: a stream is copied to $TMPDIR first
            reader = regular ? try ParquetReader(fd: src.fd, ownsFD: false) : try ParquetReader(fd: spoolForParquet(src, file), ownsFD: true)
        } catch let e as ParquetError {
            throw failed(e)
        }

        let padding = Int(LLM_JSON_PADDING)
        var data: [UInt8] = []
        data.reserveCapacity(options.batchBytes + (1 << 16) + padding)
        var spans: [(start: Int, end: Int, line: Int)] = []
        var notices: [ReaderNotice] = []
        var first = true
        var row = 0

        func flush(last: Bool) throws {
            let n = data.count
            data.append(contentsOf: repeatElement(0, count: padding))
            let c = makeBatch(index, .json, data)
            c.spans = spans
            c.notices = notices
            c.isFirstOfFile = first
            c.isLastOfFile = last
            c.bytesIn = n
            first = false
            data = []
            data.reserveCapacity(options.batchBytes + (1 << 16) + padding)
            spans = []
            notices = []
            try emit(c)
        }

        while true {
            let start = data.count
            do {
                guard try reader.nextRow(appendingTo: &data) else { break }
            } catch let e as ParquetError {
                throw failed(e)
            }
            row += 1
            if data.count - start > options.maxLineBytes {
                data.removeSubrange(start...)
                notices.append(ReaderNotice(line: row, reason: "line_too_long",
                                            message: "row longer than \(options.maxLineBytes) bytes as JSON skipped (raise --max-line-bytes)"))
                continue
            }
            spans.append((start, data.count, row))
            data.append(0x0A)
            if data.count >= options.batchBytes { try flush(last: false) }
        }
        try flush(last: true)
        return true
    }

    /// Copies a stream (what was sniffed, then the rest) to an unlinked file in $TMPDIR and
    /// returns its descriptor.
    func spoolForParquet(_ src: FDSource, _ file: InputFile) throws -> Int32 {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base as NSString).appendingPathComponent("llmdata-parquet-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 {
            throw LLMDataError("\(file.displayPath): cannot create a temporary file in \(base) to read Parquet from a stream: \(String(cString: strerror(errno)))",
                               hint: "set TMPDIR to a writable directory, or pass the input as a file")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
                if n == 0 { break }
                var off = 0
                while off < n {
                    let w = buf.withUnsafeBytes { write(fd, $0.baseAddress! + off, n - off) }
                    if w < 0 {
                        if errno == EINTR { continue }
                        throw LLMDataError("\(file.displayPath): cannot copy the Parquet stream to \(base): \(String(cString: strerror(errno)))",
                                           hint: "free space there or set TMPDIR")
                    }
                    off += w
                }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }
}
