import Foundation

/// Errors about shard directories: printed as `llmdata shards: error: …`.
public struct ShardError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Token width on disk: uint16 when every id fits (vocab ≤ 65,536), else uint32. Little-endian.
public enum TokenDType: String, Codable, Sendable {
    case uint16, uint32

    public var size: Int { self == .uint16 ? 2 : 4 }

    public static func forVocab(_ vocabSize: Int) -> TokenDType { vocabSize <= 65_536 ? .uint16 : .uint32 }
}

/// The shard index file (`shard-NNNNN.idx`), all integers little-endian (docs/shards.md):
///
///     offset  size        field
///     0       8           magic "LLMDSIDX"
///     8       4           version (1)
///     12      4           bytes per token (2 or 4)
///     16      8           D: documents
///     24      8           T: tokens (EOS included)
///     32      8           F: zstd frames
///     40      8·(D+1)     token offset of each document, then T
///     …       24·F        per frame: byte offset in the .tok.zst file, first token, first document
public enum ShardIndexLayout {
    public static let magic: [UInt8] = Array("LLMDSIDX".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 40
}

public struct FrameEntry: Equatable, Sendable {
    public var byteOffset: UInt64
    public var firstToken: UInt64
    public var firstDocument: UInt64
}

/// `manifest.json` of a shard directory.
public struct Manifest: Codable, Sendable, Equatable {
    public struct TokenizerInfo: Codable, Sendable, Equatable {
        /// File name the shards were made with (as given).
        public var name: String
        /// `tokenizer.json`, `tiktoken`, `tekken` or `sentencepiece`.
        public var kind: String
        /// SHA-256 of the tokenizer file.
        public var sha256: String
        /// Split pattern name for tiktoken files (gpt2, cl100k, o200k, llama3, llama4, qwen2, or a
        /// sidecar's name); nil for the other kinds.
        public var pattern: String?
        /// Absolute path at the time of writing (a hint for `shards decode`).
        public var path: String
        /// What the ids follow within the kind: a tiktoken encoding's name (`cl100k_base`,
        /// `p50k_edit`, `llama4`, ...) or a Tekken file's version (`v3`); absent when none (and in
        /// manifests written before tokenize recorded it).
        public var encoding: String? = nil
        /// A tiktoken ranks file's sidecar (`FILE.json`: pattern and special tokens) and its SHA-256.
        public var sidecar: String? = nil
        public var sidecar_sha256: String? = nil

        public init(name: String, kind: String, sha256: String, pattern: String?, path: String) {
            self.name = name
            self.kind = kind
            self.sha256 = sha256
            self.pattern = pattern
            self.path = path
        }
    }

    public struct Shard: Codable, Sendable, Equatable {
        public var file: String
        public var index: String
        public var documents: Int
        public var tokens: Int
        public var frames: Int
        public var bytes: Int
        public var sha256: String
        public var index_sha256: String
        /// `tokenize --ids`: `shard-NNNNN.ids`, each document's record id as a JSON string, one
        /// per line in document order; absent from the manifest otherwise.
        public var ids: String? = nil
        public var ids_sha256: String? = nil
    }

    public var format = "llmdata-token-shards"
    public var version = 1
    public var tokenizer: TokenizerInfo
    public var dtype: TokenDType
    public var vocab_size: Int
    /// The separator written after every document, or nil when none.
    public var eos_id: Int?
    /// The token written before every document (`tokenize --bos`), or nil (and absent from the
    /// file) when none.
    public var bos_id: Int?
    public var frame_tokens: Int
    public var documents: Int
    public var tokens: Int
    public var shards: [Shard]

    public static func load(dir: String) throws -> Manifest {
        let path = (dir as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShardError("\(path): no manifest (is this a shard directory, and did the run finish?)")
        }
        do {
            return try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw ShardError("\(path): invalid manifest: \(error)")
        }
    }

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        var d = try e.encode(self)
        d.append(0x0A)
        return d
    }
}

@inline(__always) func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
}

@inline(__always) func readLE<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, as: T.Type) -> T {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
}
