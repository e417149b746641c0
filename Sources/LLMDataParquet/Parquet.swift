// Parquet files as JSON records (docs/parquet.md).
//
// Design. `ParquetReader` turns each row of a Parquet file into one JSON object, fields in
// schema order, in the record protocol's string and number forms; LLMDataCore's BatchReader
// cuts those lines into batches exactly as it cuts JSON Lines, so every stage reads Parquet
// unchanged. The pieces, each small:
//   Thrift.swift    the Thrift compact protocol and the parquet.thrift fields used (FileMetaData,
//                   SchemaElement with converted and logical types, RowGroup, ColumnChunk,
//                   ColumnMetaData, PageHeader with its data v1/v2 and dictionary headers);
//   Column.swift    one column chunk read page by page: decompression (snappy, zstd, gzip),
//                   levels (RLE/bit-packed hybrid), values (PLAIN for every physical type,
//                   dictionary, RLE booleans, BYTE_STREAM_SPLIT) rendered as JSON text at once;
//   Delta.swift     the DELTA_* encodings, decoded to PLAIN bytes;
//   JSONText.swift  JSON text: escaped strings, integers, shortest round-trip floats, base64;
//   this file       the footer, the schema as a tree of JSON shapes (object, list, leaf) with
//                   their definition and repetition levels, and record assembly.
//
// Invariants.
// * Memory: the footer metadata, then per leaf column one page (compressed and decompressed),
//   its dictionary, and the current row's entries. Row groups are read one after another and
//   columns page by page with pread, never the whole file or a whole column chunk.
// * Every length, offset, count and index from the file is checked before use; a malformed or
//   truncated file throws a `ParquetError` naming the column and the problem, never traps. This
//   target is built with bounds checks on as a second line.
// * Output order is row order: row groups in file order, rows in order within each.
// * Record assembly (Dremel): a leaf's entries for one row run from an entry with repetition
//   level 0 to the next one. An optional node is null when the definition level of its first
//   leaf's entry is below the node's own; a list is empty when it is below the level of its
//   repeated child, and its elements start at the entries whose repetition level is the list's.
//   All leaves under a node split into the same elements, which is checked.
// * Leaves with max repetition level 0 have exactly one entry per row: they are written straight
//   from the page (no copy); repeated leaves' entries for the row are gathered first.

import Foundation

/// A file that cannot be read as Parquet, or uses a feature this reader does not have. The
/// message names the problem (and the column); the caller adds the file name.
public struct ParquetError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The JSON shape of a schema node.
final class Node {
    enum Kind {
        case leaf(Int)
        /// Fields with their pre-rendered `"name":` bytes.
        case object([([UInt8], Node)])
        case list(Node)
    }

    let kind: Kind
    /// For an optional node: it is present when the definition level reaches this.
    let nullDef: Int32?
    /// For a list: it has elements when the definition level reaches this.
    let elemDef: Int32
    /// For a list: the repetition level of its repeated node (a new element starts there).
    let repLevel: Int32
    /// The leaf columns under this node (contiguous: leaves are numbered depth first).
    let leaves: Range<Int>

    init(_ kind: Kind, nullDef: Int32?, elemDef: Int32 = 0, repLevel: Int32 = 0, leaves: Range<Int>) {
        self.kind = kind
        self.nullDef = nullDef
        self.elemDef = elemDef
        self.repLevel = repLevel
        self.leaves = leaves
    }
}

/// The schema's flat list as a tree, and then as JSON shapes with levels.
struct SchemaBuilder {
    final class Element {
        let el: SchemaElement
        var children: [Element] = []
        init(_ el: SchemaElement) { self.el = el }
    }

    let elements: [SchemaElement]
    var next = 0
    var leaves: [Leaf] = []
    var topNames: [String] = []

    init(_ elements: [SchemaElement]) { self.elements = elements }

    mutating func tree(depth: Int = 0) throws -> Element {
        guard next < elements.count else { throw ParquetError("corrupt schema (fewer elements than its groups declare)") }
        guard depth < 100 else { throw ParquetError("schema nested more than 100 deep") }
        let e = Element(elements[next])
        next += 1
        if e.el.numChildren < 0 || e.el.numChildren > elements.count { throw ParquetError("corrupt schema (\(e.el.numChildren) children)") }
        for _ in 0..<e.el.numChildren { e.children.append(try tree(depth: depth + 1)) }
        return e
    }

    mutating func root() throws -> Node {
        guard !elements.isEmpty else { throw ParquetError("corrupt metadata (empty schema)") }
        let r = try tree()
        guard next == elements.count else { throw ParquetError("corrupt schema (\(elements.count - next) elements outside the root)") }
        guard !r.children.isEmpty else { throw ParquetError("the file has no columns") }
        topNames = r.children.map(\.el.name)
        return try object(r, def: 0, rep: 0, nullDef: nil, path: "")
    }

    /// A node as a field of its parent: repetition decides null and (legacy) bare lists.
    mutating func field(_ e: Element, def: Int32, rep: Int32, path: String) throws -> Node {
        let path = path.isEmpty ? e.el.name : path + "." + e.el.name
        if e.el.repetition == .repeated {
            // a repeated field outside a LIST group: a list of its values (never null)
            let first = leaves.count
            let elem = try inner(e, def: def + 1, rep: rep + 1, nullDef: nil, path: path)
            return Node(.list(elem), nullDef: nil, elemDef: def + 1, repLevel: rep + 1, leaves: first..<leaves.count)
        }
        if e.el.repetition == .optional { return try inner(e, def: def + 1, rep: rep, nullDef: def + 1, path: path) }
        return try inner(e, def: def, rep: rep, nullDef: nil, path: path)
    }

    /// A node's value, its own repetition already counted in `def` and `rep`.
    mutating func inner(_ e: Element, def: Int32, rep: Int32, nullDef: Int32?, path: String) throws -> Node {
        let first = leaves.count
        if e.children.isEmpty {
            guard let t = e.el.type else { throw ParquetError("schema element \(path) is a group without fields") }
            if t == .fixedLenByteArray && e.el.typeLength < 0 { throw ParquetError("schema element \(path) has a negative length") }
            leaves.append(Leaf(name: path, type: t, typeLength: e.el.typeLength, kind: ValueKind(t, e.el.annotation, typeLength: e.el.typeLength),
                               maxDef: def, maxRep: rep))
            return Node(.leaf(first), nullDef: nullDef, leaves: first..<first + 1)
        }
        let isMap = e.el.annotation == .map
        if e.el.annotation == .list || isMap, e.children.count == 1, e.children[0].el.repetition == .repeated {
            // LIST: group { repeated group list { element } } (3 levels), or the repeated child
            // itself as the element (2-level legacy forms: a repeated primitive, a group named
            // `array` or `NAME_tuple`, a group of several fields). MAP: a list of key/value objects.
            let r = e.children[0]
            let elem: Node
            if !isMap, r.children.count == 1, r.el.name != "array", r.el.name != e.el.name + "_tuple" {
                elem = try field(r.children[0], def: def + 1, rep: rep + 1, path: path)
            } else {
                elem = try inner(r, def: def + 1, rep: rep + 1, nullDef: nil, path: path)
            }
            return Node(.list(elem), nullDef: nullDef, elemDef: def + 1, repLevel: rep + 1, leaves: first..<leaves.count)
        }
        return try object(e, def: def, rep: rep, nullDef: nullDef, path: path)
    }

    mutating func object(_ e: Element, def: Int32, rep: Int32, nullDef: Int32?, path: String) throws -> Node {
        let first = leaves.count
        var fields: [([UInt8], Node)] = []
        for c in e.children {
            var key: [UInt8] = []
            JSONText.appendString(c.el.name, to: &key)
            key.append(UInt8(ascii: ":"))
            fields.append((key, try field(c, def: def, rep: rep, path: path)))
        }
        return Node(.object(fields), nullDef: nullDef, leaves: first..<leaves.count)
    }
}

/// Reads a Parquet file row by row as JSON objects. Not thread-safe; one reader per file.
public final class ParquetReader {
    let file: FileBytes
    let meta: FileMetaData
    let root: Node
    let leaves: [Leaf]
    /// Rows in the whole file (from the footer).
    public var numRows: Int64 { meta.numRows }
    /// The top-level column names in schema order.
    public let columnNames: [String]

    var group = -1
    var rowsLeft: Int64 = 0
    var cols: [ColumnReader] = []
    var rows: [LeafRow]
    var lo: [Int]
    var hi: [Int]

    /// One repeated leaf's entries for the current row: levels and, for present values, the
    /// value's JSON text in `bytes`.
    struct LeafRow {
        var defs: [Int32] = []
        var reps: [Int32] = []
        var starts: [Int] = []
        var ends: [Int] = []
        var bytes: [UInt8] = []

        mutating func reset() {
            defs.removeAll(keepingCapacity: true)
            reps.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            bytes.removeAll(keepingCapacity: true)
        }
    }

    /// Opens `path`.
    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ParquetError("cannot open: \(String(cString: strerror(errno)))") }
        try self.init(fd: fd, ownsFD: true)
    }

    /// Reads from an open descriptor (random access: a regular file); closes it with the reader
    /// when `ownsFD`.
    public init(fd: Int32, ownsFD: Bool) throws {
        let file: FileBytes
        do {
            file = try FileBytes(fd: fd, ownsFD: ownsFD)
        } catch {
            if ownsFD { close(fd) }
            throw error
        }
        self.file = file
        guard file.size >= 12 else { throw ParquetError("not a Parquet file (\(file.size) bytes: too short for its header and footer)") }
        var b: [UInt8] = []
        try file.read(at: 0, count: 4, into: &b)
        if b == Array("PARE".utf8) { throw ParquetError("encrypted Parquet files are not supported") }
        guard b == Array("PAR1".utf8) else { throw ParquetError("not a Parquet file (it does not start with the magic PAR1)") }
        try file.read(at: file.size - 8, count: 8, into: &b)
        guard Array(b[4..<8]) == Array("PAR1".utf8) else {
            throw ParquetError("not a Parquet file, or truncated (it does not end with the magic PAR1 after its footer)")
        }
        let metaLen = b.withUnsafeBufferPointer { Int(le32($0, 0)) }
        guard metaLen <= file.size - 12 else { throw ParquetError("corrupt footer (metadata of \(metaLen) bytes in a \(file.size)-byte file)") }
        try file.read(at: file.size - 8 - metaLen, count: metaLen, into: &b)
        do {
            meta = try b.withUnsafeBufferPointer { p in
                var r = ThriftReader(p)
                return try FileMetaData(&r)
            }
        } catch is ThriftEnd {
            throw ParquetError("corrupt footer (the metadata ends early)")
        }
        if meta.encrypted { throw ParquetError("encrypted Parquet files are not supported") }
        var builder = SchemaBuilder(meta.schema)
        root = try builder.root()
        leaves = builder.leaves
        columnNames = builder.topNames
        rows = Array(repeating: LeafRow(), count: leaves.count)
        lo = Array(repeating: 0, count: leaves.count)
        hi = Array(repeating: 0, count: leaves.count)
    }

    /// Starts the next row group with rows; false after the last.
    func nextGroup() throws -> Bool {
        cols = []
        while group + 1 < meta.rowGroups.count {
            group += 1
            let g = meta.rowGroups[group]
            guard g.numRows >= 0 else { throw ParquetError("row group \(group): negative row count") }
            if g.numRows == 0 { continue }
            guard g.columns.count == leaves.count else {
                throw ParquetError("row group \(group) has \(g.columns.count) column chunks for \(leaves.count) leaf columns")
            }
            var made: [ColumnReader] = []
            for (i, c) in g.columns.enumerated() {
                if c.filePath != nil { throw ParquetError("column \(leaves[i].name): chunks in other files are not supported") }
                guard let m = c.meta else { throw ParquetError("column \(leaves[i].name): no column metadata (encrypted?)") }
                guard m.type == leaves[i].type else {
                    throw ParquetError("column \(leaves[i].name): chunk type \(m.type) differs from the schema's \(leaves[i].type)")
                }
                made.append(try ColumnReader(file: file, leaf: leaves[i], meta: m))
            }
            cols = made
            rowsLeft = g.numRows
            return true
        }
        return false
    }

    /// Appends the next row as one JSON object (no newline) to `out`; false after the last row.
    public func nextRow(appendingTo out: inout [UInt8]) throws -> Bool {
        if rowsLeft == 0 {
            if !(try nextGroup()) { return false }
        }
        for i in 0..<leaves.count {
            let c = cols[i]
            guard try c.hasEntry() else {
                throw ParquetError("column \(leaves[i].name) ends before row group \(group)'s \(meta.rowGroups[group].numRows) rows")
            }
            if leaves[i].maxRep > 0 { try gather(i) }
        }
        try write(root, &out)
        for i in 0..<leaves.count where leaves[i].maxRep == 0 { cols[i].advance() }
        rowsLeft -= 1
        if rowsLeft == 0 {
            for (i, c) in cols.enumerated() where try c.hasEntry() {
                throw ParquetError("column \(leaves[i].name) holds more values than row group \(group)'s \(meta.rowGroups[group].numRows) rows")
            }
        }
        return true
    }

    /// Collects a repeated leaf's entries for the current row.
    func gather(_ i: Int) throws {
        let c = cols[i]
        let maxDef = leaves[i].maxDef
        rows[i].reset()
        guard c.currentRep == 0 else { throw ParquetError("column \(leaves[i].name): a row starts at repetition level \(c.currentRep), not 0") }
        repeat {
            let d = c.currentDef
            rows[i].defs.append(d)
            rows[i].reps.append(c.currentRep)
            let s = rows[i].bytes.count
            if d == maxDef { c.withCurrentValue { rows[i].bytes.append(contentsOf: $0) } }
            rows[i].starts.append(s)
            rows[i].ends.append(rows[i].bytes.count)
            c.advance()
        } while try c.hasEntry() && c.currentRep > 0
        lo[i] = 0
        hi[i] = rows[i].defs.count
    }

    func inconsistent(_ leaf: Int) -> ParquetError {
        ParquetError("column \(leaves[leaf].name): its repetition and definition levels do not agree with the other columns of its list or struct (row group \(group))")
    }

    /// The definition level of `leaf`'s current entry.
    func def(_ leaf: Int) throws -> Int32 {
        if leaves[leaf].maxRep == 0 { return cols[leaf].currentDef }
        guard lo[leaf] < hi[leaf] else { throw inconsistent(leaf) }
        return rows[leaf].defs[lo[leaf]]
    }

    static let null = Array("null".utf8)

    func write(_ node: Node, _ out: inout [UInt8]) throws {
        let d = try def(node.leaves.lowerBound)
        if let nd = node.nullDef, d < nd {
            out.append(contentsOf: Self.null)
            return
        }
        switch node.kind {
        case .leaf(let i):
            if d < leaves[i].maxDef {
                out.append(contentsOf: Self.null)
            } else if leaves[i].maxRep == 0 {
                cols[i].withCurrentValue { out.append(contentsOf: $0) }
            } else {
                let k = lo[i]
                out.append(contentsOf: rows[i].bytes[rows[i].starts[k]..<rows[i].ends[k]])
            }
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (k, (key, child)) in fields.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: key)
                try write(child, &out)
            }
            out.append(UInt8(ascii: "}"))
        case .list(let elem):
            if d < node.elemDef {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            let range = node.leaves
            let savedHi = Array(hi[range])
            let r = node.repLevel
            var first = true
            while lo[range.lowerBound] < savedHi[0] {
                // this element's entries: up to the next entry that starts an element at this level
                for (j, leaf) in range.enumerated() {
                    guard lo[leaf] < savedHi[j] else { throw inconsistent(leaf) }
                    var k = lo[leaf] + 1
                    while k < savedHi[j] && rows[leaf].reps[k] > r { k += 1 }
                    hi[leaf] = k
                }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                try write(elem, &out)
                for leaf in range { lo[leaf] = hi[leaf] }
            }
            for (j, leaf) in range.enumerated() {
                guard lo[leaf] == savedHi[j] else { throw inconsistent(leaf) }
                hi[leaf] = savedHi[j]
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}
