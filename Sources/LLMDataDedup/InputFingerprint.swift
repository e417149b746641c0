import Foundation
import LLMDataCore

/// What a scale-out dedup step saw (docs/scale-out.md): the sorted list of all input files
/// (relative paths and sizes) and the options that shape signatures. `dedup signatures` writes it
/// beside each `signatures-IIIII.bin` (as `signatures-IIIII.json`, with the task's shard index and
/// count, after the task's band files: its presence means the task is complete); `dedup clusters`
/// (the merge and every band task) refuses files that disagree and records it as `decisions.json`;
/// `dedup apply` refuses inputs that differ from it.
struct InputFingerprint: Codable, Equatable {
    struct File: Codable, Equatable {
        var path: String
        var size: UInt64
    }
    struct Options: Codable, Equatable {
        var bands: Int
        var rows: Int
        var ngram: Int
        var charNgram: Int
        var seed: UInt64
        var digitsToZero: Bool

        enum CodingKeys: String, CodingKey {
            case bands, rows, ngram, seed
            case charNgram = "char_ngram"
            case digitsToZero = "digits_to_zero"
        }

        init(_ o: DedupOptions) {
            bands = o.minhash.bands
            rows = o.minhash.rows
            ngram = o.minhash.wordNgram
            charNgram = o.minhash.charNgram
            seed = o.minhash.seed
            digitsToZero = o.key.digitsToZero
        }

        /// (flag name, value) in flag order, for naming the first difference.
        var fields: [(String, String)] {
            [("bands", "\(bands)"), ("rows", "\(rows)"), ("ngram", "\(ngram)"), ("char-ngram", "\(charNgram)"),
             ("seed", "\(seed)"), ("digits-to-zero", "\(digitsToZero)")]
        }
    }

    static let currentVersion = 1
    var version = InputFingerprint.currentVersion
    var shardIndex: Int?
    var shardCount: Int?
    var options: Options
    var files: [File]

    enum CodingKeys: String, CodingKey {
        case version, options, files
        case shardIndex = "shard_index"
        case shardCount = "shard_count"
    }

    /// The fingerprint of `files` (all inputs, in discovery order).
    init(files: [InputFile], options: DedupOptions) throws {
        self.options = Options(options)
        self.files = try files.map { f in
            if f.path == "-" { return File(path: "-", size: 0) }
            let attrs = try FileManager.default.attributesOfItem(atPath: f.path)
            return File(path: f.relativePath, size: (attrs[.size] as? NSNumber)?.uint64Value ?? 0)
        }
    }

    static func read(_ path: String) throws -> InputFingerprint {
        guard let data = FileManager.default.contents(atPath: path) else { throw LLMDataError("\(path): cannot read") }
        let f: InputFingerprint
        do { f = try JSONDecoder().decode(InputFingerprint.self, from: data) } catch {
            throw LLMDataError("\(path): not an input fingerprint (\(error))")
        }
        guard f.version == currentVersion else {
            throw LLMDataError("\(path): fingerprint version \(f.version), this llmdata reads version \(currentVersion)")
        }
        return f
    }

    func write(_ path: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        try writeAtomically(Array(e.encode(self)) + [10], to: path)
    }

    /// The first way the input lists differ, said from `self`'s side against `other`'s
    /// ("added a.jsonl", "removed b.jsonl", "changed c.jsonl (size 10 vs 12)"), or nil.
    func fileDifference(from other: InputFingerprint) -> String? {
        let mine = Dictionary(files.map { ($0.path, $0.size) }, uniquingKeysWith: { a, _ in a })
        let theirs = Dictionary(other.files.map { ($0.path, $0.size) }, uniquingKeysWith: { a, _ in a })
        for f in files where theirs[f.path] == nil { return "added \(f.path)" }
        for f in other.files where mine[f.path] == nil { return "removed \(f.path)" }
        for f in files where theirs[f.path]! != f.size { return "changed \(f.path) (\(f.size) bytes vs \(theirs[f.path]!))" }
        if files.map(\.path) != other.files.map(\.path) { return "the files are in another order" }
        return nil
    }

    /// The first option that differs: ("bands", mine, theirs).
    func optionDifference(from other: InputFingerprint) -> (String, String, String)? {
        for (a, b) in zip(options.fields, other.options.fields) where a.1 != b.1 { return (a.0, a.1, b.1) }
        return nil
    }
}
