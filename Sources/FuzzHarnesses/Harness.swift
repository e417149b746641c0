import Foundation

// libFuzzer harnesses over the parsers of untrusted input (docs/fuzzing.md). Each takes one
// input as bytes, puts it where the library reads it (a file in a scratch directory of this
// process, reused, or memory where the API takes bytes) and calls the parser. Thrown errors are
// expected answers; crashes, traps, hangs and sanitizer reports are findings.
//
// Built only with LLMDATA_FUZZ set (Package.swift), by scripts/fuzz.sh: `llmdata-fuzz` is the
// libFuzzer binary (-sanitize=fuzzer,address, debug: bounds and overflow checks on) and
// `llmdata-fuzz-replay` runs each file of a corpus once without libFuzzer (`make test`).

/// The harnesses, by the name scripts/fuzz.sh and the corpora (fixtures/fuzz/NAME) use.
public enum FuzzHarness: String, CaseIterable, Sendable {
    /// JSON Lines / JSON array / plain text records through the record reader and a pass-through stage.
    case records
    /// Parquet files through `ParquetReader`, every row.
    case parquet
    /// zstd and gzip streams through `ZstdSource` / `GzipSource` (and the sniffing opener).
    case compressed
    /// tokenizer.json and tiktoken ranks files through the loaders (and one encode).
    case tokenizer
    /// Token shard directories (manifest, index, frames, ids) through `ShardReader`.
    case shards

    /// Runs the harness on one input. Never throws: errors are the parser's expected answers.
    public func run(_ data: UnsafeRawBufferPointer) {
        let bytes = [UInt8](data)
        switch self {
        case .records: RecordsHarness.run(bytes)
        case .parquet: ParquetHarness.run(bytes)
        case .compressed: CompressedHarness.run(bytes)
        case .tokenizer: TokenizerHarness.run(bytes)
        case .shards: ShardsHarness.run(bytes)
        }
    }
}

/// A directory of this process for the files a harness writes (reused for every input).
enum Scratch {
    static let dir: String = {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/llmdata-fuzz-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { fatalError("llmdata-fuzz: cannot create a scratch directory in \(base)") }
        let d = String(cString: p)
        atexit { Scratch.removeAll() }
        return d
    }()

    static func path(_ name: String) -> String { dir + "/" + name }

    /// Writes `bytes` to `name` in the scratch directory (replacing it) and returns its path.
    @discardableResult
    static func write(_ name: String, _ bytes: some Collection<UInt8>) -> String {
        let p = path(name)
        let fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "llmdata-fuzz: cannot write \(p)")
        Array(bytes).withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Foundation.write(fd, b.baseAddress! + off, b.count - off)
                precondition(n > 0, "llmdata-fuzz: write to \(p) failed")
                off += n
            }
        }
        close(fd)
        return p
    }

    /// Removes `name` (a file or a directory tree) from the scratch directory.
    static func remove(_ name: String) { try? FileManager.default.removeItem(atPath: path(name)) }

    static func removeAll() { try? FileManager.default.removeItem(atPath: dir) }
}

/// Reads little-endian length-prefixed sections: `[u32 length][bytes]`... (the shards harness's
/// container). A length past the end takes what is left.
struct Sections {
    var bytes: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    mutating func next() -> ArraySlice<UInt8>? {
        guard bytes.count >= 4 else { return nil }
        let s = bytes.startIndex
        let n = Int(bytes[s]) | Int(bytes[s + 1]) << 8 | Int(bytes[s + 2]) << 16 | Int(bytes[s + 3]) << 24
        let start = s + 4
        let end = min(bytes.endIndex, start + n)
        defer { bytes = bytes[end...] }
        return bytes[start..<end]
    }
}
