import CSnappy
import CZlib
import CZstd
import Foundation

/// Reads byte ranges of the file with pread: nothing is mapped, nothing is read twice.
final class FileBytes {
    let fd: Int32
    let size: Int
    let ownsFD: Bool

    init(fd: Int32, ownsFD: Bool) throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw ParquetError("cannot stat: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.size = Int(st.st_size)
        self.ownsFD = ownsFD
    }

    deinit { if ownsFD { _ = close(fd) } }

    /// Exactly `count` bytes at `offset` into `buf` (resized), or an error naming the range.
    func read(at offset: Int, count: Int, into buf: inout [UInt8]) throws {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw ParquetError("truncated or corrupt file: bytes \(offset)..<\(offset &+ count) are past its end (\(size) bytes)")
        }
        if buf.count != count { buf = [UInt8](repeating: 0, count: count) }
        var done = 0
        while done < count {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ParquetError("read error: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw ParquetError("truncated file: it ended while reading bytes \(offset)..<\(offset + count)") }
            done += n
        }
    }
}

/// How a leaf column's values are written as JSON (from its physical type and annotation).
enum ValueKind {
    case bool, int32, uint32, int64, uint64, int96, float, double, float16
    case string, base64, uuid
    case decimal(scale: Int)

    init(_ type: PhysicalType, _ a: Annotation, typeLength: Int) {
        switch (type, a) {
        case (.boolean, _): self = .bool
        case (.int32, .integer(_, false)): self = .uint32
        case (.int32, .decimal(let s, _)): self = .decimal(scale: s)
        case (.int32, _): self = .int32
        case (.int64, .integer(_, false)): self = .uint64
        case (.int64, .decimal(let s, _)): self = .decimal(scale: s)
        case (.int64, _): self = .int64
        case (.int96, _): self = .int96
        case (.float, _): self = .float
        case (.double, _): self = .double
        case (.byteArray, .string), (.byteArray, .json): self = .string
        case (.byteArray, .decimal(let s, _)), (.fixedLenByteArray, .decimal(let s, _)): self = .decimal(scale: s)
        case (.fixedLenByteArray, .uuid) where typeLength == 16: self = .uuid
        case (.fixedLenByteArray, .float16) where typeLength == 2: self = .float16
        default: self = .base64
        }
    }
}

/// Values rendered as JSON text, one after another: value i is `bytes[ends[i-1]..<ends[i]]`.
struct Rendered {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    var count: Int { ends.count }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }
}

/// One leaf column as the schema describes it.
struct Leaf {
    var name: String       // dotted path, for messages
    var type: PhysicalType
    var typeLength: Int
    var kind: ValueKind
    var maxDef: Int32
    var maxRep: Int32
}

/// Reads one column chunk page by page: its levels and its values rendered as JSON. At most one
/// data page (compressed and decompressed) and the chunk's dictionary are held.
final class ColumnReader {
    let file: FileBytes
    let leaf: Leaf
    let codec: Int32
    var pos: Int
    let end: Int
    var valuesLeft: Int64

    var dict: Rendered? = nil
    // the current data page
    var defs: [Int32] = []
    var reps: [Int32] = []
    var count = 0
    var idx = 0
    var values = Rendered()
    var indices: [Int32] = []
    var usesDict = false
    var vIdx = 0

    var raw: [UInt8] = []
    var plain: [UInt8] = []

    init(file: FileBytes, leaf: Leaf, meta: ColumnMeta) throws {
        self.file = file
        self.leaf = leaf
        codec = meta.codec
        var start = meta.dataPageOffset
        if let d = meta.dictionaryPageOffset, d > 0, d < start { start = d }
        guard start >= 4, meta.totalCompressedSize >= 0, start <= Int64(file.size),
              meta.totalCompressedSize <= Int64(file.size) - start else {
            throw ParquetError("column \(leaf.name): its chunk (offset \(start), \(meta.totalCompressedSize) bytes) is outside the file (\(file.size) bytes): truncated or corrupt")
        }
        pos = Int(start)
        end = Int(start + meta.totalCompressedSize)
        valuesLeft = meta.numValues
    }

    func fail(_ s: String) -> ParquetError { ParquetError("column \(leaf.name): \(s)") }

    /// Whether an entry (a level pair, with or without a value) is available; loads pages.
    func hasEntry() throws -> Bool {
        while idx >= count {
            if !(try loadPage()) { return false }
        }
        return true
    }

    var currentDef: Int32 { defs[idx] }
    var currentRep: Int32 { leaf.maxRep == 0 ? 0 : reps[idx] }

    /// The current entry's value as JSON (it must have one: def == maxDef).
    func withCurrentValue<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if usesDict {
            let d = dict!
            let r = d.range(Int(indices[vIdx]))
            return try d.bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[r])) }
        }
        let r = values.range(vIdx)
        return try values.bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    /// Moves past the current entry.
    func advance() {
        if defs[idx] == leaf.maxDef { vIdx += 1 }
        idx += 1
    }

    // MARK: pages

    /// Reads the next page; false at the chunk's end. A dictionary page is decoded and kept; a
    /// data page replaces the current one.
    func loadPage() throws -> Bool {
        if valuesLeft <= 0 || pos >= end { return false }
        // the header: its length is known only once parsed, so parse a window and grow it
        var window = min(end - pos, 4096)
        var header: PageHeader
        var headerLen = 0
        while true {
            try file.read(at: pos, count: window, into: &raw)
            do {
                (header, headerLen) = try raw.withUnsafeBufferPointer { b in
                    var r = ThriftReader(b)
                    let h = try PageHeader(&r)
                    return (h, r.pos)
                }
                break
            } catch is ThriftEnd {
                if window >= end - pos { throw fail("truncated page header at offset \(pos)") }
                window = min(end - pos, window * 8)
            }
        }
        let bodyStart = pos + headerLen
        guard header.compressedSize <= end - bodyStart else {
            throw fail("page at offset \(pos) (\(header.compressedSize) bytes) runs past the column chunk: truncated or corrupt")
        }
        pos = bodyStart + header.compressedSize
        switch PageType(rawValue: header.type) {
        case .dictionary:
            try file.read(at: bodyStart, count: header.compressedSize, into: &raw)
            try decompress(raw[...], size: header.uncompressedSize)
            guard header.encoding == 0 || header.encoding == 2 else {
                throw fail("dictionary page encoding \(Names.encoding(header.encoding)) is not supported")
            }
            var d = Rendered()
            let used = try plain.withUnsafeBufferPointer { try decodePlain($0, count: header.numValues, into: &d) }
            _ = used
            dict = d
            count = 0
            idx = 0
            return true
        case .data:
            try file.read(at: bodyStart, count: header.compressedSize, into: &raw)
            try decompress(raw[...], size: header.uncompressedSize)
            try plain.withUnsafeBufferPointer { p in
                var at = 0
                let n = header.numValues
                if leaf.maxRep > 0 {
                    try checkLevelEncoding(header.repLevelEncoding, "repetition")
                    at = try levelsV1(p, at: at, count: n, max: leaf.maxRep, into: &reps)
                }
                if leaf.maxDef > 0 {
                    try checkLevelEncoding(header.defLevelEncoding, "definition")
                    at = try levelsV1(p, at: at, count: n, max: leaf.maxDef, into: &defs)
                } else {
                    defs = [Int32](repeating: 0, count: n)
                }
                try decodeValues(UnsafeBufferPointer(rebasing: p[at...]), encoding: header.encoding, entries: n)
            }
            return true
        case .dataV2:
            let n = header.numValues
            let levels = header.repLevelsLength + header.defLevelsLength
            guard levels <= header.compressedSize, levels <= header.uncompressedSize else {
                throw fail("corrupt data page v2 header (levels longer than the page)")
            }
            try file.read(at: bodyStart, count: header.compressedSize, into: &raw)
            try raw.withUnsafeBufferPointer { b in
                if leaf.maxRep > 0 {
                    try hybrid(UnsafeBufferPointer(rebasing: b[0..<header.repLevelsLength]), bitWidth: bitWidth(leaf.maxRep),
                               count: n, max: leaf.maxRep, into: &reps, what: "repetition levels")
                }
                if leaf.maxDef > 0 {
                    try hybrid(UnsafeBufferPointer(rebasing: b[header.repLevelsLength..<levels]), bitWidth: bitWidth(leaf.maxDef),
                               count: n, max: leaf.maxDef, into: &defs, what: "definition levels")
                } else {
                    defs = [Int32](repeating: 0, count: n)
                }
            }
            if header.isCompressed {
                try decompress(raw[levels...], size: header.uncompressedSize - levels)
            } else {
                plain = Array(raw[levels...])
            }
            try plain.withUnsafeBufferPointer { p in
                try decodeValues(p, encoding: header.encoding, entries: n)
            }
            return true
        default:
            return true  // an index page (or an unknown kind): skipped
        }
    }

    func checkLevelEncoding(_ e: Int32, _ what: String) throws {
        if e != 3 { throw fail("\(what) levels in encoding \(Names.encoding(e)) are not supported (only RLE)") }
    }

    /// Data page v1 levels: a 4-byte length, then the RLE/bit-packed hybrid. Returns the end.
    func levelsV1(_ p: UnsafeBufferPointer<UInt8>, at: Int, count: Int, max: Int32, into out: inout [Int32]) throws -> Int {
        guard p.count - at >= 4 else { throw fail("page ends inside its levels") }
        let len = Int(le32(p, at))
        guard len <= p.count - at - 4 else { throw fail("page ends inside its levels") }
        try hybrid(UnsafeBufferPointer(rebasing: p[(at + 4)..<(at + 4 + len)]), bitWidth: bitWidth(max), count: count, max: max,
                   into: &out, what: "levels")
        return at + 4 + len
    }

    /// The page's values after its levels; sets the entry count and value cursor.
    func decodeValues(_ p: UnsafeBufferPointer<UInt8>, encoding: Int32, entries n: Int) throws {
        var nonNull = 0
        if leaf.maxDef == 0 {
            nonNull = n
        } else {
            for d in defs where d == leaf.maxDef { nonNull += 1 }
        }
        values.removeAll()
        usesDict = false
        switch encoding {
        case 0:
            _ = try decodePlain(p, count: nonNull, into: &values)
        case 2, 8:
            guard let d = dict else { throw fail("dictionary-encoded page without a dictionary page") }
            usesDict = true
            if nonNull > 0 {
                guard d.count > 0 else { throw fail("dictionary index into an empty dictionary") }
                guard p.count >= 1 else { throw fail("page ends before its dictionary indices") }
                let bw = Int(p[0])
                guard bw <= 32 else { throw fail("dictionary index bit width \(bw) is over 32") }
                try hybrid(UnsafeBufferPointer(rebasing: p[1...]), bitWidth: bw, count: nonNull, max: Int32(clamping: d.count - 1),
                           into: &indices, what: "dictionary indices")
            }
        case 3 where leaf.type == .boolean:
            guard p.count >= 4 else { throw fail("page ends inside its boolean values") }
            let len = Int(le32(p, 0))
            guard len <= p.count - 4 else { throw fail("page ends inside its boolean values") }
            var bits: [Int32] = []
            try hybrid(UnsafeBufferPointer(rebasing: p[4..<(4 + len)]), bitWidth: 1, count: nonNull, max: 1, into: &bits, what: "boolean values")
            for b in bits {
                values.bytes.append(contentsOf: b != 0 ? Self.trueText : Self.falseText)
                values.ends.append(values.bytes.count)
            }
        case 9:  // BYTE_STREAM_SPLIT: byte k of value i at k*n + i
            let w: Int
            switch leaf.type {
            case .int32, .float: w = 4
            case .int64, .double: w = 8
            case .fixedLenByteArray: w = leaf.typeLength
            default: throw fail("BYTE_STREAM_SPLIT on \(leaf.type) values")
            }
            guard w > 0, nonNull <= p.count / w else { throw fail("page ends inside its values") }
            var joined = [UInt8](repeating: 0, count: nonNull * w)
            for i in 0..<nonNull { for k in 0..<w { joined[i * w + k] = p[k * nonNull + i] } }
            _ = try joined.withUnsafeBufferPointer { try decodePlain($0, count: nonNull, into: &values) }
        case 5, 6, 7:
            try decodeDelta(p, encoding: encoding, count: nonNull)
        default:
            throw fail("encoding \(Names.encoding(encoding)) is not supported")
        }
        count = n
        idx = 0
        vIdx = 0
        valuesLeft -= Int64(n)
    }

    static let trueText = Array("true".utf8), falseText = Array("false".utf8)

    /// PLAIN-encoded values rendered into `out`; returns the bytes used.
    func decodePlain(_ p: UnsafeBufferPointer<UInt8>, count n: Int, into out: inout Rendered) throws -> Int {
        out.ends.reserveCapacity(out.ends.count + Swift.min(n, p.count * 8 + 16))  // n comes from the file
        func need(_ k: Int, _ at: Int) throws {
            guard k >= 0, k <= p.count - at else { throw fail("page ends inside its values (\(n) expected)") }
        }
        var at = 0
        switch leaf.type {
        case .boolean:
            try need((n + 7) / 8, 0)
            for i in 0..<n {
                out.bytes.append(contentsOf: (p[i >> 3] >> (i & 7)) & 1 != 0 ? Self.trueText : Self.falseText)
                out.ends.append(out.bytes.count)
            }
            return (n + 7) / 8
        case .int32, .float:
            try need(n * 4, 0)
            for i in 0..<n {
                let v = le32(p, i * 4)
                switch leaf.kind {
                case .float: JSONText.appendFloat(Float(bitPattern: v), to: &out.bytes)
                case .uint32: JSONText.appendUInt(UInt64(v), to: &out.bytes)
                case .decimal(let s): JSONText.appendDecimal(Int64(Int32(bitPattern: v)), scale: s, to: &out.bytes)
                default: JSONText.appendInt(Int64(Int32(bitPattern: v)), to: &out.bytes)
                }
                out.ends.append(out.bytes.count)
            }
            return n * 4
        case .int64, .double:
            try need(n * 8, 0)
            for i in 0..<n {
                let v = UInt64(le32(p, i * 8)) | UInt64(le32(p, i * 8 + 4)) << 32
                switch leaf.kind {
                case .double: JSONText.appendDouble(Double(bitPattern: v), to: &out.bytes)
                case .uint64: JSONText.appendUInt(v, to: &out.bytes)
                case .decimal(let s): JSONText.appendDecimal(Int64(bitPattern: v), scale: s, to: &out.bytes)
                default: JSONText.appendInt(Int64(bitPattern: v), to: &out.bytes)
                }
                out.ends.append(out.bytes.count)
            }
            return n * 8
        case .int96:
            // legacy timestamps: nanoseconds of the day (8 bytes), then the Julian day (4 bytes)
            try need(n * 12, 0)
            for i in 0..<n {
                let nanos = Int64(bitPattern: UInt64(le32(p, i * 12)) | UInt64(le32(p, i * 12 + 4)) << 32)
                let day = Int64(le32(p, i * 12 + 8))
                let (a, o1) = (day - 2_440_588).multipliedReportingOverflow(by: 86_400_000_000_000)
                let (v, o2) = a.addingReportingOverflow(nanos)
                if o1 || o2 { out.bytes.append(contentsOf: "null".utf8) } else { JSONText.appendInt(v, to: &out.bytes) }
                out.ends.append(out.bytes.count)
            }
            return n * 12
        case .byteArray:
            for _ in 0..<n {
                try need(4, at)
                let len = Int(le32(p, at))
                try need(len, at + 4)
                let v = UnsafeBufferPointer(rebasing: p[(at + 4)..<(at + 4 + len)])
                render(v, into: &out.bytes)
                out.ends.append(out.bytes.count)
                at += 4 + len
            }
            return at
        case .fixedLenByteArray:
            let w = leaf.typeLength
            guard w >= 0 else { throw fail("negative fixed length") }
            try need(n * w, 0)
            for i in 0..<n {
                render(UnsafeBufferPointer(rebasing: p[(i * w)..<(i * w + w)]), into: &out.bytes)
                out.ends.append(out.bytes.count)
            }
            return n * w
        }
    }

    /// A byte string value as JSON.
    func render(_ v: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        switch leaf.kind {
        case .string: JSONText.appendString(v, to: &out)
        case .uuid: JSONText.appendUUID(v, to: &out)
        case .float16: JSONText.appendFloat(JSONText.float16(UInt16(v[0]) | UInt16(v[1]) << 8), to: &out)
        case .decimal(let s): JSONText.appendDecimal(bigEndian: v, scale: s, to: &out)
        default: JSONText.appendBase64(v, to: &out)
        }
    }

    /// `count` values of the RLE/bit-packed hybrid, each at most `max`.
    func hybrid(_ p: UnsafeBufferPointer<UInt8>, bitWidth bw: Int, count n: Int, max: Int32, into out: inout [Int32], what: String) throws {
        out.removeAll(keepingCapacity: true)
        if bw == 0 {
            out.append(contentsOf: repeatElement(0, count: n))
            return
        }
        let mask: UInt64 = (1 << UInt64(bw)) - 1
        var at = 0
        while out.count < n {
            // the run header: a ULEB128 varint
            var h: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard at < p.count else { throw fail("\(what) end early (\(out.count) of \(n))") }
                let b = p[at]
                at += 1
                h |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                if shift > 35 { throw fail("corrupt \(what) (run header too long)") }
            }
            if h & 1 == 0 {
                // a repeated value, in ceil(bw/8) little-endian bytes
                let run = Int(h >> 1)
                let w = (bw + 7) / 8
                guard w <= p.count - at else { throw fail("\(what) end early (\(out.count) of \(n))") }
                var v: UInt64 = 0
                for k in 0..<w { v |= UInt64(p[at + k]) << (8 * UInt64(k)) }
                at += w
                guard v <= UInt64(max) else { throw fail("corrupt \(what) (\(v) is over \(max))") }
                out.append(contentsOf: repeatElement(Int32(v), count: Swift.min(run, n - out.count)))
            } else {
                // groups of 8 values, bw bits each, least significant bit first
                let values = Int(h >> 1) * 8
                let bytes = Swift.min(Int(h >> 1) * bw, p.count - at)  // a last run may be cut short
                let take = Swift.min(values, n - out.count, bytes * 8 / bw)
                if take == 0 && values > 0 { throw fail("\(what) end early (\(out.count) of \(n))") }
                var buf: UInt64 = 0
                var have = 0
                var k = at
                for _ in 0..<take {
                    while have < bw {
                        buf |= UInt64(p[k]) << UInt64(have)
                        k += 1
                        have += 8
                    }
                    let v = buf & mask
                    buf >>= UInt64(bw)
                    have -= bw
                    guard v <= UInt64(max) else { throw fail("corrupt \(what) (\(v) is over \(max))") }
                    out.append(Int32(v))
                }
                at += bytes
            }
        }
    }

    /// Decompresses a page body into `plain` (exactly `size` bytes).
    func decompress(_ src: ArraySlice<UInt8>, size: Int) throws {
        guard size >= 0 else { throw fail("negative page size") }
        if codec == 0 {
            plain = Array(src)
            return
        }
        if plain.count != size { plain = [UInt8](repeating: 0, count: size) }
        let ok: Bool = src.withUnsafeBufferPointer { s in
            plain.withUnsafeMutableBufferPointer { d in
                let sp = s.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let dp = d.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!
                switch codec {
                case 1:
                    var len = 0
                    guard snappy_uncompressed_length(UnsafeRawPointer(sp).assumingMemoryBound(to: CChar.self), s.count, &len) == SNAPPY_OK,
                          len == size else { return false }
                    var outLen = size
                    return snappy_uncompress(UnsafeRawPointer(sp).assumingMemoryBound(to: CChar.self), s.count,
                                             UnsafeMutableRawPointer(dp).assumingMemoryBound(to: CChar.self), &outLen) == SNAPPY_OK && outLen == size
                case 6:
                    let r = ZSTD_decompress(dp, size, sp, s.count)
                    return ZSTD_isError(r) == 0 && r == size
                case 2:
                    // gzip (RFC 1952) as Parquet specifies; zlib streams are accepted too
                    var z = z_stream()
                    guard inflateInit2_(&z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return false }
                    defer { inflateEnd(&z) }
                    z.next_in = UnsafeMutablePointer(mutating: sp)
                    z.avail_in = UInt32(s.count)
                    z.next_out = dp
                    z.avail_out = UInt32(size)
                    var r = inflate(&z, Z_FINISH)
                    // concatenated gzip members
                    while r == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0 {
                        guard inflateReset(&z) == Z_OK else { return false }
                        r = inflate(&z, Z_FINISH)
                    }
                    return r == Z_STREAM_END && z.avail_out == 0
                default:
                    return false
                }
            }
        }
        if !ok {
            switch codec {
            case 1, 2, 6: throw fail("corrupt \(Names.codec(codec)) page (it does not decompress to its \(size) bytes)")
            default: throw fail("compression \(Names.codec(codec)) is not supported (supported: SNAPPY, ZSTD, GZIP, UNCOMPRESSED)")
            }
        }
    }
}

@inline(__always)
func le32(_ p: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
    UInt32(p[at]) | UInt32(p[at + 1]) << 8 | UInt32(p[at + 2]) << 16 | UInt32(p[at + 3]) << 24
}

/// Bits needed for levels up to `max`.
func bitWidth(_ max: Int32) -> Int { max <= 0 ? 0 : 32 - Int(max.leadingZeroBitCount) }
