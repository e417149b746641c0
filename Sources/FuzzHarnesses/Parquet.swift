import Foundation
import LLMDataParquet

/// The Parquet reader: footer (thrift compact), schema, row groups, pages (plain, dictionary,
/// RLE/bit-packed, delta encodings; snappy/gzip/zstd), record assembly into JSON rows.
///
/// Input: the file itself (seeds are real Parquet files), read through `ParquetReader(path:)`.
enum ParquetHarness {
    /// Rows and JSON bytes read per input at most (a tiny file can declare millions of rows).
    static let maxRows = 5_000
    static let maxBytes = 8 << 20

    static func run(_ input: [UInt8]) {
        let path = Scratch.write("input.parquet", input)
        do {
            let reader = try ParquetReader(path: path)
            _ = reader.numRows
            _ = reader.columnNames
            var out: [UInt8] = []
            var rows = 0
            while rows < maxRows, out.count < maxBytes, try reader.nextRow(appendingTo: &out) {
                out.append(0x0A)
                rows += 1
            }
        } catch {}
    }
}
