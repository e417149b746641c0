import CSimdjsonShim
import Foundation

/// Options that govern how inputs become records.
public struct ReaderOptions: Sendable {
    public var textField = "text"
    public var txtMode: TxtMode = .line
    /// Repair invalid UTF-8 (and lone surrogate escapes) in JSON input to U+FFFD instead of
    /// rejecting the record. Plain text is always repaired.
    public var repairUTF8 = false
    /// Lines longer than this are skipped and reported (they cannot be held in memory).
    public var maxLineBytes = 1 << 30
    /// Target bytes per batch handed to a worker.
    public var batchBytes = 1 << 18
    /// Which of the discovered inputs this run reads (`--shard-index/--shard-count`); every
    /// discovery of a stage's inputs goes through `InputDiscovery.discover(_:formatOverride:share:)`.
    public var share = TaskShare.whole
    public init() {}
}

/// A problem the reader found that is not tied to parsing one record (truncated stream,
/// over-long line, empty file). Reported as `file:line: message`.
public struct ReaderNotice: Sendable {
    public var line: Int
    public var reason: String
    public var message: String
}

/// What the records in a batch are.
public enum RecordKind: Sendable {
    case json
    case text
}

/// A batch of raw records from one file, in input order.
public final class Batch: @unchecked Sendable {
    public let seq: Int
    public let fileIndex: Int
    public let kind: RecordKind
    /// Record bytes followed by at least LLM_JSON_PADDING bytes of padding.
    public var data: [UInt8]
    /// Record spans inside `data` and the line each starts on.
    public var spans: [(start: Int, end: Int, line: Int)] = []
    public var notices: [ReaderNotice] = []
    public var isFirstOfFile = false
    public var isLastOfFile = false
    public var bytesIn = 0
    public var emptyLines = 0
    /// The records are elements of a `.json` array: one may span lines or hold tabs between its
    /// tokens, so it is written compact (`BatchProcessor.parseJSON`) to stay one JSON Lines line.
    public var fromArray = false

    init(seq: Int, fileIndex: Int, kind: RecordKind, data: [UInt8]) {
        self.seq = seq
        self.fileIndex = fileIndex
        self.kind = kind
        self.data = data
    }
}

/// Turns a list of inputs into a sequence of batches, one file after another.
public final class BatchReader {
    let files: [InputFile]
    let options: ReaderOptions
    var seq = 0
    var readSize = 1 << 20
    /// Files before this index are not read (a resumed run finished them); indices stay those
    /// of `files`.
    public var firstFile = 0
    /// Files from this index on are not read either (a Slurm task reads a range of the run's
    /// files); nil reads to the end. The last batches of the run's last file taper the same
    /// way whichever files a process reads, so batch boundaries are those of one process.
    public var endFile: Int?

    public init(files: [InputFile], options: ReaderOptions) {
        self.files = files
        self.options = options
    }

    /// Reads every input, calling `emit` with each batch in order. Errors opening a file are
    /// fatal (thrown); errors inside a stream become notices.
    public func run(_ emit: (Batch) throws -> Void) throws {
        for (i, f) in files.enumerated() where i >= firstFile && i < (endFile ?? files.count) {
            try readFile(index: i, file: f, emit: emit)
        }
    }

    func makeBatch(_ fileIndex: Int, _ kind: RecordKind, _ data: [UInt8]) -> Batch {
        defer { seq += 1 }
        return Batch(seq: seq, fileIndex: fileIndex, kind: kind, data: data)
    }

    func readFile(index: Int, file: InputFile, emit: (Batch) throws -> Void) throws {
        var plainSize: Int? = nil
        if file.path != "-" {
            var st = stat()
            let known = stat(file.path, &st) == 0
            if known && (st.st_mode & S_IFMT) == S_IFREG { plainSize = Int(st.st_size) }
            // Only a regular file's size says it is empty: a named pipe (`<(zcat f)`, a FIFO in
            // an input directory) or a device reports 0 and is read as a stream.
            if plainSize == 0 {
                let c = makeBatch(index, .json, [UInt8](repeating: 0, count: Int(LLM_JSON_PADDING)))
                c.isFirstOfFile = true
                c.isLastOfFile = true
                c.notices.append(ReaderNotice(line: 0, reason: "empty_file", message: "empty file"))
                try emit(c)
                return
            }
        }
        let source = try openByteSource(path: file.path)
        defer { source.close() }
        // Parquet (ParquetInput.swift): by its format, or by its magic where JSON was expected
        if try readParquet(index: index, file: file, source: source, emit: emit) { return }
        // The last file's last batches get smaller (`batchTarget`), when its size is known.
        let taperSize = index == files.count - 1 && source is FDSource ? plainSize : nil
        var emitted = 0
        var kind: RecordKind = file.format == .txt ? .text : .json
        var splitter: Splitter
        switch file.format {
        case .jsonl: splitter = LineSplitter(paragraphs: false)
        case .txt:
            switch options.txtMode {
            case .line: splitter = LineSplitter(paragraphs: false)
            case .paragraph: splitter = LineSplitter(paragraphs: true)
            case .file: splitter = WholeSplitter()
            }
        case .json: splitter = LineSplitter(paragraphs: false)  // replaced after sniffing
        case .parquet: splitter = LineSplitter(paragraphs: false)  // not reached: readParquet read it
        }
        kind = file.format == .txt ? .text : .json

        var data: [UInt8] = []
        data.reserveCapacity(options.batchBytes + readSize + Int(LLM_JSON_PADDING))
        var readBuf = [UInt8](repeating: 0, count: readSize)
        var first = true
        var atStart = true
        var sniffed = file.format != .json
        var eof = false
        var pendingNotices: [ReaderNotice] = []

        /// `batchBytes`, except at the end of the run's last input when its size is known: once
        /// less than four batches' worth is left, a quarter of what is left (at least
        /// `batchBytes / 16`). With two workers, the last full-size batch otherwise kept one
        /// worker busy for up to a whole batch's time (~7 ms in `tokenize`, 2-4% of the run)
        /// while the other had nothing left to take. Depends on the file only, so output that
        /// follows batch boundaries (token shard frames) is the same at every `--jobs`.
        func batchTarget() -> Int {
            guard let size = taperSize else { return options.batchBytes }
            return max(options.batchBytes / 16, min(options.batchBytes, (size - emitted) / 4), 1)
        }

        func emitChunk(upTo cut: Int, last: Bool) throws {
            // The buffer itself becomes the batch; only the partial record after `cut` is copied.
            var carry = [UInt8]()
            carry.reserveCapacity(options.batchBytes + readSize + Int(LLM_JSON_PADDING))
            carry.append(contentsOf: data[cut...])
            data.removeSubrange(cut...)
            data.append(contentsOf: repeatElement(0, count: Int(LLM_JSON_PADDING)))
            let c = makeBatch(index, kind, data)
            data = carry
            c.spans = splitter.takeSpans(before: cut)
            c.notices = pendingNotices
            pendingNotices = []
            c.isFirstOfFile = first
            c.isLastOfFile = last
            c.bytesIn = cut
            c.emptyLines = splitter.takeEmptyLines()
            c.fromArray = splitter is ArraySplitter
            emitted += cut
            first = false
            splitter.shift(by: cut)
            try emit(c)
        }

        while !eof {
            // Read only about what the next batch still needs (plus 64 KiB for the record that
            // straddles the cut): a 1 MiB read for a 256 KiB batch left ~768 KiB to be copied into
            // the next batch's buffer, then ~512 KiB into the one after, touching fresh pages each
            // time (the reader thread's page faults and copies were ~15 ms on a 10 MB file). Past
            // the batch size (a long record) it reads whole buffers as before.
            let want = data.count < options.batchBytes ? min(readSize, options.batchBytes - data.count + (1 << 16)) : readSize
            let n: Int
            do {
                n = try readBuf.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            } catch let e as LLMDataError {
                pendingNotices.append(ReaderNotice(line: splitter.currentLine, reason: "input_error", message: e.message))
                n = 0
            }
            if n == 0 {
                eof = true
            } else {
                var slice = readBuf[0..<n]
                if atStart {
                    atStart = false
                    // A UTF-8 byte order mark at the start of a file is dropped.
                    if slice.count >= 3, slice[0] == 0xEF, slice[1] == 0xBB, slice[2] == 0xBF {
                        slice = slice.dropFirst(3)
                    }
                }
                data.append(contentsOf: slice)
            }
            if !sniffed {
                if let firstByte = data.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) {
                    sniffed = true
                    if firstByte == UInt8(ascii: "[") { splitter = ArraySplitter() }
                } else if !eof {
                    continue
                }
            }
            splitter.scan(data, eof: eof, maxLineBytes: options.maxLineBytes)
            for note in splitter.takeNotices() { pendingNotices.append(note) }
            if splitter.dropBuffered {
                // an over-long line is being skipped: keep only complete records
                let keep = splitter.completeEnd
                splitter.dropBuffered = false
                data.removeSubrange(keep..<data.count)
                splitter.truncate(to: keep)
            }
            // Batches of about `batchTarget()` bytes, cut at record boundaries.
            while splitter.completeEnd >= batchTarget() {
                let cut = splitter.cutPoint(atLeast: batchTarget())
                if eof && cut >= data.count { break }  // the rest goes out as the file's last batch
                try emitChunk(upTo: cut, last: false)
            }
            if eof {
                try emitChunk(upTo: data.count, last: true)
            }
        }
    }
}

/// Finds record boundaries in a growing buffer.
protocol Splitter {
    /// Scans bytes not yet scanned. With `eof`, the final partial record is completed.
    mutating func scan(_ data: [UInt8], eof: Bool, maxLineBytes: Int)
    /// End offset of the last complete record (a safe cut point).
    var completeEnd: Int { get }
    /// The line the scanner is on (for notices).
    var currentLine: Int { get }
    /// Set when an over-long record is being skipped: the buffer beyond `completeEnd` must go.
    var dropBuffered: Bool { get set }
    mutating func truncate(to n: Int)
    /// A record boundary at or after `n` and at most `completeEnd` (the start of the first record
    /// that ends at or after `n`'s successor), or `completeEnd`.
    func cutPoint(atLeast n: Int) -> Int
    mutating func takeSpans(before cut: Int) -> [(start: Int, end: Int, line: Int)]
    mutating func takeNotices() -> [ReaderNotice]
    mutating func takeEmptyLines() -> Int
    mutating func shift(by n: Int)
}

/// JSON Lines and plain text: records are lines, or blocks of lines separated by blank lines.
struct LineSplitter: Splitter {
    let paragraphs: Bool
    var spans: [(start: Int, end: Int, line: Int)] = []
    var notices: [ReaderNotice] = []
    var scanPos = 0
    var lineStart = 0
    var line = 1
    var completeEnd = 0
    var emptyLines = 0
    var skipping = false
    var dropBuffered = false
    var maxLineBytes = Int.max
    // paragraph state
    var paraStart = -1
    var paraEnd = 0
    var paraLine = 0

    init(paragraphs: Bool) { self.paragraphs = paragraphs }

    var currentLine: Int { line }

    mutating func scan(_ data: [UInt8], eof: Bool, maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
        data.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            var pos = scanPos
            let n = buf.count
            while pos < n {
                let rest = n - pos
                guard let hit = memchr(base + pos, 0x0A, rest) else {
                    pos = n
                    break
                }
                let nl = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
                finishLine(buf, start: lineStart, end: nl)
                line += 1
                lineStart = nl + 1
                pos = nl + 1
            }
            scanPos = pos
            if eof && lineStart < n {
                finishLine(buf, start: lineStart, end: n)
                lineStart = n
            }
            if eof && paragraphs { closeParagraph() }
            if !skipping && n - lineStart > maxLineBytes && !eof {
                // the line is not complete yet: what is buffered of it goes, the rest is skipped
                // as it arrives (finishLine), so it is never held in memory
                tooLong()
                skipping = true
            }
            // after tooLong: it closes a paragraph, whose lines are then complete
            if !paragraphs { completeEnd = lineStart } else { completeEnd = paraStart >= 0 ? paraStart : lineStart }
            if skipping {
                dropBuffered = true
            }
        }
    }

    /// The current line is longer than `maxLineBytes`: reported, counted as a record read
    /// (`line_too_long`), not parsed. It ends a paragraph.
    private mutating func tooLong() {
        notices.append(ReaderNotice(line: line, reason: "line_too_long",
                                    message: "line longer than \(maxLineBytes) bytes skipped (raise --max-line-bytes)"))
        if paragraphs { closeParagraph() }
    }

    private mutating func finishLine(_ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int) {
        if skipping {
            skipping = false
            return
        }
        var e = end
        if e > start && buf[e - 1] == 0x0D { e -= 1 }
        // a complete line read in one piece is checked here (a partial one in `scan`)
        if e - start > maxLineBytes {
            tooLong()
            return
        }
        var blank = true
        var i = start
        while i < e {
            let c = buf[i]
            if c != 0x20 && c != 0x09 && c != 0x0D { blank = false; break }
            i += 1
        }
        if paragraphs {
            if blank {
                closeParagraph()
            } else {
                if paraStart < 0 { paraStart = start; paraLine = line }
                paraEnd = e
            }
            return
        }
        if blank {
            emptyLines += 1
            return
        }
        spans.append((start, e, line))
    }

    private mutating func closeParagraph() {
        if paraStart >= 0 {
            spans.append((paraStart, paraEnd, paraLine))
            paraStart = -1
        }
    }

    func cutPoint(atLeast n: Int) -> Int { spanCut(spans, atLeast: n, completeEnd: completeEnd) }

    mutating func truncate(to n: Int) {
        // bytes after n were dropped while skipping an over-long line
        scanPos = n
        lineStart = n
    }

    mutating func takeSpans(before cut: Int) -> [(start: Int, end: Int, line: Int)] { takeSpansBefore(&spans, cut) }

    mutating func takeNotices() -> [ReaderNotice] {
        defer { notices = [] }
        return notices
    }

    mutating func takeEmptyLines() -> Int {
        defer { emptyLines = 0 }
        return emptyLines
    }

    mutating func shift(by n: Int) {
        scanPos -= n
        lineStart -= n
        completeEnd -= n
        if paraStart >= 0 { paraStart -= n; paraEnd -= n }
        spans = spans.map { ($0.start - n, $0.end - n, $0.line) }
    }
}

/// The whole file is one record.
struct WholeSplitter: Splitter {
    var spans: [(start: Int, end: Int, line: Int)] = []
    var completeEnd = 0
    var currentLine: Int { 1 }
    var dropBuffered = false

    mutating func scan(_ data: [UInt8], eof: Bool, maxLineBytes: Int) {
        if eof {
            var end = data.count
            while end > 0, data[end - 1] == 0x0A || data[end - 1] == 0x0D { end -= 1 }
            if end > 0 { spans = [(0, end, 1)] }
            completeEnd = data.count
        }
    }

    mutating func truncate(to n: Int) {}
    func cutPoint(atLeast n: Int) -> Int { completeEnd }
    mutating func takeSpans(before cut: Int) -> [(start: Int, end: Int, line: Int)] {
        defer { spans = [] }
        return spans
    }
    mutating func takeNotices() -> [ReaderNotice] { [] }
    mutating func takeEmptyLines() -> Int { 0 }
    mutating func shift(by n: Int) { completeEnd -= n }
}

/// A `.json` file holding a top-level array: each element is a record, numbered by the line
/// on which it starts.
struct ArraySplitter: Splitter {
    var spans: [(start: Int, end: Int, line: Int)] = []
    var notices: [ReaderNotice] = []
    var scanPos = 0
    var line = 1
    var depth = 0          // 0 before '[', 1 inside the array, >1 inside an element
    var inString = false
    var escape = false
    var elemStart = -1
    var elemLine = 0
    var completeEnd = 0
    var closed = false
    var dropBuffered = false
    var maxLineBytes = Int.max

    var currentLine: Int { line }

    mutating func scan(_ data: [UInt8], eof: Bool, maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
        var i = scanPos
        let n = data.count
        while i < n {
            let c = data[i]
            if c == 0x0A { line += 1 }
            if inString {
                if escape { escape = false } else if c == 0x5C { escape = true } else if c == 0x22 { inString = false }
                i += 1
                continue
            }
            switch c {
            case 0x22:
                inString = true
                if depth == 1 && elemStart < 0 { elemStart = i; elemLine = line }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if depth == 0 {
                    if c == UInt8(ascii: "[") { depth = 1 }
                } else {
                    if depth == 1 && elemStart < 0 { elemStart = i; elemLine = line }
                    depth += 1
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 1 {
                    closeElement(end: i, data)
                    depth = 0
                    closed = true
                } else if depth > 1 {
                    depth -= 1
                }
            case UInt8(ascii: ","):
                if depth == 1 { closeElement(end: i, data) }
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                if depth == 1 && elemStart < 0 { elemStart = i; elemLine = line }
            }
            i += 1
        }
        scanPos = i
        if eof {
            if depth != 0 || !closed {
                notices.append(ReaderNotice(line: line, reason: "invalid_json",
                                            message: "invalid JSON: the top-level array is not closed"))
                if elemStart >= 0 { closeElement(end: n, data) }
            }
            completeEnd = n
        } else {
            completeEnd = elemStart >= 0 ? elemStart : scanPos
        }
    }

    private mutating func closeElement(end: Int, _ data: [UInt8]) {
        guard elemStart >= 0 else { return }
        // the whitespace between the element and its `,` or `]` is not part of the record
        var e = end
        while e > elemStart, data[e - 1] == 0x20 || data[e - 1] == 0x0A || data[e - 1] == 0x0D || data[e - 1] == 0x09 { e -= 1 }
        if e - elemStart > maxLineBytes {
            notices.append(ReaderNotice(line: elemLine, reason: "line_too_long",
                                        message: "array element longer than \(maxLineBytes) bytes skipped (raise --max-line-bytes)"))
        } else {
            spans.append((elemStart, e, elemLine))
        }
        elemStart = -1
    }

    mutating func truncate(to n: Int) {}

    func cutPoint(atLeast n: Int) -> Int { spanCut(spans, atLeast: n, completeEnd: completeEnd) }

    mutating func takeSpans(before cut: Int) -> [(start: Int, end: Int, line: Int)] { takeSpansBefore(&spans, cut) }

    mutating func takeNotices() -> [ReaderNotice] {
        defer { notices = [] }
        return notices
    }

    mutating func takeEmptyLines() -> Int { 0 }

    mutating func shift(by n: Int) {
        scanPos -= n
        completeEnd -= n
        if elemStart >= 0 { elemStart -= n }
        spans = spans.map { ($0.start - n, $0.end - n, $0.line) }
    }
}

/// The first boundary after the record that reaches `n`: the next record's start, or `completeEnd`.
func spanCut(_ spans: [(start: Int, end: Int, line: Int)], atLeast n: Int, completeEnd: Int) -> Int {
    // spans are in order; find the first whose end reaches n
    var lo = 0, hi = spans.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if spans[mid].end < n { lo = mid + 1 } else { hi = mid }
    }
    if lo + 1 < spans.count && spans[lo + 1].start <= completeEnd { return spans[lo + 1].start }
    return completeEnd
}

/// Removes and returns the spans that end at or before `cut` (they are in order).
func takeSpansBefore(_ spans: inout [(start: Int, end: Int, line: Int)], _ cut: Int) -> [(start: Int, end: Int, line: Int)] {
    var k = 0
    while k < spans.count && spans[k].end <= cut { k += 1 }
    let taken = Array(spans[0..<k])
    spans.removeFirst(k)
    return taken
}
