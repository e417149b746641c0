// The Thrift compact protocol, read-only, and the parts of parquet.thrift this reader uses.
// Every other field is skipped, so files from newer writers (statistics, page indexes, bloom
// filters, size statistics, ...) read as long as the fields below mean what they meant.

/// A compact-protocol decoder over a byte buffer. Every read is bounds-checked: running off the
/// end throws `ThriftEnd` (the caller may retry with more bytes: a page header's length is not
/// known before it is parsed), anything malformed throws a `ParquetError`.
struct ThriftReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // compact type ids
    static let tTrue: UInt8 = 1, tFalse: UInt8 = 2, tByte: UInt8 = 3, tI16: UInt8 = 4, tI32: UInt8 = 5,
               tI64: UInt8 = 6, tDouble: UInt8 = 7, tBinary: UInt8 = 8, tList: UInt8 = 9, tSet: UInt8 = 10,
               tMap: UInt8 = 11, tStruct: UInt8 = 12

    mutating func byte() throws -> UInt8 {
        guard pos < bytes.count else { throw ThriftEnd() }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
            if shift > 63 { throw ParquetError("corrupt metadata (a varint is too long)") }
        }
    }

    mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// The next field's (type, id), or nil at the struct's end. `last` is the previous field id.
    mutating func field(_ last: inout Int16) throws -> (type: UInt8, id: Int16)? {
        let h = try byte()
        if h == 0 { return nil }
        let type = h & 0x0F
        let delta = h >> 4
        if delta == 0 {
            let id = try zigzag()
            guard let id16 = Int16(exactly: id) else { throw ParquetError("corrupt metadata (field id \(id))") }
            last = id16
        } else {
            last &+= Int16(delta)
        }
        return (type, last)
    }

    mutating func int(_ type: UInt8) throws -> Int64 {
        switch type {
        case Self.tByte: return Int64(Int8(bitPattern: try byte()))
        case Self.tI16, Self.tI32, Self.tI64: return try zigzag()
        default: throw ParquetError("corrupt metadata (an integer field has type \(type))")
        }
    }

    mutating func int32(_ type: UInt8) throws -> Int32 {
        let v = try int(type)
        guard let r = Int32(exactly: v) else { throw ParquetError("corrupt metadata (\(v) does not fit a 32-bit field)") }
        return r
    }

    mutating func bool(_ type: UInt8) throws -> Bool {
        switch type {
        case Self.tTrue: return true
        case Self.tFalse: return false
        default: throw ParquetError("corrupt metadata (a boolean field has type \(type))")
        }
    }

    mutating func binary(_ type: UInt8) throws -> [UInt8] {
        guard type == Self.tBinary else { throw ParquetError("corrupt metadata (a string field has type \(type))") }
        let n = try varint()
        guard n <= UInt64(bytes.count - pos) else { throw ThriftEnd() }
        defer { pos += Int(n) }
        return Array(bytes[pos..<pos + Int(n)])
    }

    mutating func string(_ type: UInt8) throws -> String { String(decoding: try binary(type), as: UTF8.self) }

    /// A list header: element type and count.
    mutating func list(_ type: UInt8) throws -> (elem: UInt8, count: Int) {
        guard type == Self.tList || type == Self.tSet else { throw ParquetError("corrupt metadata (a list field has type \(type))") }
        let h = try byte()
        var n = UInt64(h >> 4)
        if n == 15 { n = try varint() }
        // every element takes at least one byte: a count beyond the buffer is corrupt or cut off
        guard n <= UInt64(bytes.count - pos) else { throw ThriftEnd() }
        return (h & 0x0F, Int(n))
    }

    /// Reads a list of structs with `element`.
    mutating func structList<T>(_ type: UInt8, _ element: (inout ThriftReader) throws -> T) throws -> [T] {
        let (elem, n) = try list(type)
        guard elem == Self.tStruct else { throw ParquetError("corrupt metadata (a list of structs holds type \(elem))") }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    /// Skips a value of `type` (nested at most 64 deep).
    mutating func skip(_ type: UInt8, depth: Int = 0) throws {
        if depth > 64 { throw ParquetError("corrupt metadata (nested too deep)") }
        switch type {
        case Self.tTrue, Self.tFalse: return
        case Self.tByte: _ = try byte()
        case Self.tI16, Self.tI32, Self.tI64: _ = try varint()
        case Self.tDouble:
            guard bytes.count - pos >= 8 else { throw ThriftEnd() }
            pos += 8
        case Self.tBinary:
            let n = try varint()
            guard n <= UInt64(bytes.count - pos) else { throw ThriftEnd() }
            pos += Int(n)
        case Self.tList, Self.tSet:
            let (elem, n) = try list(type)
            for _ in 0..<n {
                // booleans inside a list are one byte each
                if elem == Self.tTrue || elem == Self.tFalse { _ = try byte() } else { try skip(elem, depth: depth + 1) }
            }
        case Self.tMap:
            let n = try varint()
            if n == 0 { return }
            guard n <= UInt64(bytes.count - pos) else { throw ThriftEnd() }
            let kv = try byte()
            for _ in 0..<n {
                for t in [kv >> 4, kv & 0x0F] {
                    if t == Self.tTrue || t == Self.tFalse { _ = try byte() } else { try skip(t, depth: depth + 1) }
                }
            }
        case Self.tStruct:
            var last: Int16 = 0
            while let (t, _) = try field(&last) { try skip(t, depth: depth + 1) }
        default:
            throw ParquetError("corrupt metadata (unknown thrift type \(type))")
        }
    }

    /// Walks a struct's fields, handing each to `body`, which reads the value or skips it.
    mutating func fields(_ body: (inout ThriftReader, _ id: Int16, _ type: UInt8) throws -> Void) throws {
        var last: Int16 = 0
        while let (t, id) = try field(&last) { try body(&self, id, t) }
    }
}

/// The buffer ended inside a value.
struct ThriftEnd: Error {}

// MARK: - parquet.thrift (the fields read)

enum PhysicalType: Int32 {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

enum Repetition: Int32 {
    case required = 0, optional = 1, repeated = 2
}

/// The logical-type annotations this reader distinguishes (LogicalType union or ConvertedType).
enum Annotation: Equatable {
    case none, string, list, map, decimal(scale: Int, precision: Int), date, time, timestamp,
         integer(bits: Int, signed: Bool), json, bson, uuid, float16, other(String)
}

struct SchemaElement {
    var type: PhysicalType?
    var typeLength = 0
    var repetition = Repetition.required
    var name = ""
    var numChildren = 0
    var annotation = Annotation.none

    init(_ r: inout ThriftReader) throws {
        var converted: Int32? = nil
        var logical: Annotation? = nil
        var scale = 0, precision = 0
        try r.fields { r, id, t in
            switch id {
            case 1:
                let v = try r.int32(t)
                guard let p = PhysicalType(rawValue: v) else { throw ParquetError("unknown physical type \(v)") }
                type = p
            case 2: typeLength = Int(try r.int32(t))
            case 3: repetition = Repetition(rawValue: try r.int32(t)) ?? .required
            case 4: name = try r.string(t)
            case 5: numChildren = Int(try r.int32(t))
            case 6: converted = try r.int32(t)
            case 7: scale = Int(try r.int32(t))
            case 8: precision = Int(try r.int32(t))
            case 10 where t == ThriftReader.tStruct: logical = try Self.logicalType(&r)
            default: try r.skip(t)
            }
        }
        if let logical, logical != .other("unknown") {
            annotation = logical
        } else if let c = converted {
            annotation = Self.convertedType(c, scale: scale, precision: precision)
        }
    }

    /// The LogicalType union: the one field set names the type.
    static func logicalType(_ r: inout ThriftReader) throws -> Annotation {
        var a = Annotation.other("unknown")
        try r.fields { r, id, t in
            switch id {
            case 1: a = .string; try r.skip(t)
            case 2: a = .map; try r.skip(t)
            case 3: a = .list; try r.skip(t)
            case 4: a = .string; try r.skip(t)  // ENUM: a string
            case 5:
                var scale = 0, precision = 0
                try r.fields { r, id, t in
                    switch id {
                    case 1: scale = Int(try r.int32(t))
                    case 2: precision = Int(try r.int32(t))
                    default: try r.skip(t)
                    }
                }
                a = .decimal(scale: scale, precision: precision)
            case 6: a = .date; try r.skip(t)
            case 7: a = .time; try r.skip(t)
            case 8: a = .timestamp; try r.skip(t)
            case 10:
                var bits = 64, signed = true
                try r.fields { r, id, t in
                    switch id {
                    case 1: bits = Int(try r.int(t))
                    case 2: signed = try r.bool(t)
                    default: try r.skip(t)
                    }
                }
                a = .integer(bits: bits, signed: signed)
            case 11: a = .none; try r.skip(t)  // UNKNOWN: always null
            case 12: a = .json; try r.skip(t)
            case 13: a = .bson; try r.skip(t)
            case 14: a = .uuid; try r.skip(t)
            case 15: a = .float16; try r.skip(t)
            default: a = .other("logical type \(id)"); try r.skip(t)
            }
        }
        return a
    }

    static func convertedType(_ c: Int32, scale: Int, precision: Int) -> Annotation {
        switch c {
        case 0, 4: return .string  // UTF8, ENUM
        case 1, 2: return .map     // MAP, MAP_KEY_VALUE
        case 3: return .list
        case 5: return .decimal(scale: scale, precision: precision)
        case 6: return .date
        case 7, 8: return .time
        case 9, 10: return .timestamp
        case 11: return .integer(bits: 8, signed: false)
        case 12: return .integer(bits: 16, signed: false)
        case 13: return .integer(bits: 32, signed: false)
        case 14: return .integer(bits: 64, signed: false)
        case 15: return .integer(bits: 8, signed: true)
        case 16: return .integer(bits: 16, signed: true)
        case 17: return .integer(bits: 32, signed: true)
        case 18: return .integer(bits: 64, signed: true)
        case 19: return .json
        case 20: return .bson
        default: return .none  // INTERVAL and unknown: the physical type decides
        }
    }
}

struct ColumnMeta {
    var type: PhysicalType = .int32
    var path: [String] = []
    var codec: Int32 = 0
    var numValues: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = -1
    var dictionaryPageOffset: Int64? = nil

    init(_ r: inout ThriftReader) throws {
        try r.fields { r, id, t in
            switch id {
            case 1:
                let v = try r.int32(t)
                guard let p = PhysicalType(rawValue: v) else { throw ParquetError("unknown physical type \(v)") }
                type = p
            case 3:
                let (elem, n) = try r.list(t)
                for _ in 0..<n { path.append(try r.string(elem)) }
            case 4: codec = try r.int32(t)
            case 5: numValues = try r.int(t)
            case 7: totalCompressedSize = try r.int(t)
            case 9: dataPageOffset = try r.int(t)
            case 11: dictionaryPageOffset = try r.int(t)
            default: try r.skip(t)
            }
        }
    }
}

struct ColumnChunk {
    var filePath: String? = nil
    var meta: ColumnMeta? = nil

    init(_ r: inout ThriftReader) throws {
        try r.fields { r, id, t in
            switch id {
            case 1: filePath = try r.string(t)
            case 3 where t == ThriftReader.tStruct: meta = try ColumnMeta(&r)
            default: try r.skip(t)
            }
        }
    }
}

struct RowGroup {
    var columns: [ColumnChunk] = []
    var numRows: Int64 = 0

    init(_ r: inout ThriftReader) throws {
        try r.fields { r, id, t in
            switch id {
            case 1: columns = try r.structList(t) { try ColumnChunk(&$0) }
            case 3: numRows = try r.int(t)
            default: try r.skip(t)
            }
        }
    }
}

struct FileMetaData {
    var schema: [SchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [RowGroup] = []
    var encrypted = false

    init(_ r: inout ThriftReader) throws {
        try r.fields { r, id, t in
            switch id {
            case 2: schema = try r.structList(t) { try SchemaElement(&$0) }
            case 3: numRows = try r.int(t)
            case 4: rowGroups = try r.structList(t) { try RowGroup(&$0) }
            case 8: encrypted = true; try r.skip(t)  // encryption_algorithm (plaintext footer mode)
            default: try r.skip(t)
            }
        }
    }
}

enum PageType: Int32 {
    case data = 0, index = 1, dictionary = 2, dataV2 = 3
}

/// A page header: the kind of page, its sizes, and the fields of its kind's header.
struct PageHeader {
    var type: Int32 = -1
    var uncompressedSize = 0
    var compressedSize = 0
    var numValues = 0
    var encoding: Int32 = 0
    var defLevelEncoding: Int32 = 3
    var repLevelEncoding: Int32 = 3
    // data page v2
    var defLevelsLength = 0
    var repLevelsLength = 0
    var isCompressed = true

    init(_ r: inout ThriftReader) throws {
        try r.fields { r, id, t in
            switch id {
            case 1: type = try r.int32(t)
            case 2: uncompressedSize = Int(try r.int32(t))
            case 3: compressedSize = Int(try r.int32(t))
            case 5 where t == ThriftReader.tStruct:  // DataPageHeader
                try r.fields { r, id, t in
                    switch id {
                    case 1: numValues = Int(try r.int32(t))
                    case 2: encoding = try r.int32(t)
                    case 3: defLevelEncoding = try r.int32(t)
                    case 4: repLevelEncoding = try r.int32(t)
                    default: try r.skip(t)
                    }
                }
            case 7 where t == ThriftReader.tStruct:  // DictionaryPageHeader
                try r.fields { r, id, t in
                    switch id {
                    case 1: numValues = Int(try r.int32(t))
                    case 2: encoding = try r.int32(t)
                    default: try r.skip(t)
                    }
                }
            case 8 where t == ThriftReader.tStruct:  // DataPageHeaderV2
                try r.fields { r, id, t in
                    switch id {
                    case 1: numValues = Int(try r.int32(t))
                    case 4: encoding = try r.int32(t)
                    case 5: defLevelsLength = Int(try r.int32(t))
                    case 6: repLevelsLength = Int(try r.int32(t))
                    case 7: isCompressed = try r.bool(t)
                    default: try r.skip(t)
                    }
                }
            default: try r.skip(t)
            }
        }
        guard uncompressedSize >= 0, compressedSize >= 0, numValues >= 0, defLevelsLength >= 0, repLevelsLength >= 0 else {
            throw ParquetError("corrupt page header (negative size)")
        }
    }
}

/// Names for messages.
enum Names {
    static func codec(_ c: Int32) -> String {
        switch c {
        case 0: return "UNCOMPRESSED"
        case 1: return "SNAPPY"
        case 2: return "GZIP"
        case 3: return "LZO"
        case 4: return "BROTLI"
        case 5: return "LZ4"
        case 6: return "ZSTD"
        case 7: return "LZ4_RAW"
        default: return "codec \(c)"
        }
    }

    static func encoding(_ e: Int32) -> String {
        switch e {
        case 0: return "PLAIN"
        case 2: return "PLAIN_DICTIONARY"
        case 3: return "RLE"
        case 4: return "BIT_PACKED"
        case 5: return "DELTA_BINARY_PACKED"
        case 6: return "DELTA_LENGTH_BYTE_ARRAY"
        case 7: return "DELTA_BYTE_ARRAY"
        case 8: return "RLE_DICTIONARY"
        case 9: return "BYTE_STREAM_SPLIT"
        default: return "encoding \(e)"
        }
    }
}
