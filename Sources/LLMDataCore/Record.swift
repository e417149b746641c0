import CSimdjsonShim
import Foundation

/// What a stage decides for one record.
public enum Verdict: Sendable {
    case keep
    /// Dropped with a reason such as `gopher_quality:min_words`. `annotation` is written into the
    /// rejected copy's metadata (e.g. `filter_reason`).
    case drop(reason: String, annotation: (String, JSONValue)? = nil)
}

/// Counters a stage bumps while it works (summed into `--stats` under `counters`).
public struct Counters: Sendable {
    public private(set) var values: [String: Int] = [:]
    public init() {}
    public mutating func add(_ key: String, _ n: Int = 1) { values[key, default: 0] += n }
    public mutating func merge(_ other: Counters) {
        for (k, v) in other.values { values[k, default: 0] += v }
    }
}

/// One record as a stage sees it. `text` is the current text as UTF-8 bytes (valid UTF-8);
/// a stage replaces it with `setText`, adds annotations with `setMetadata`, and reads existing
/// metadata with `metadata(_:)`. Everything else in the record passes through untouched.
public struct Document {
    /// The input text as UTF-8, valid until the stage returns. Use `withText` for the current text.
    public internal(set) var originalText: UnsafeBufferPointer<UInt8>
    /// Set when a stage changed the text.
    public private(set) var newText: [UInt8]?
    /// Annotations to write into `metadata`, in order.
    public private(set) var annotations: [(String, JSONValue)] = []
    /// The record's id: the input's own (its string value, or the raw JSON of a non-string id),
    /// else one assigned from the file and line (`PATH:LINE`). Built only when a stage asks: most
    /// stages never read it, and making a String per record cost ~5% of `langid` on short texts.
    public var id: String {
        if let ownID { return String(decoding: ownID, as: UTF8.self) }
        return assignedIDPrefix + String(line)
    }
    /// The input's id bytes (valid while the stage processes the record), or nil.
    var ownID: UnsafeBufferPointer<UInt8>?
    /// `PATH:` (or `stdin:`) for an assigned id.
    let assignedIDPrefix: String
    /// Where the record came from: the number of its file in the sorted list of all inputs (the
    /// index into the run's files, unless the run reads a task's share, `InputFile.number`), and its line.
    public internal(set) var fileIndex = 0
    public internal(set) var line = 0
    /// Counters shared by the stage's worker for this batch.
    public var counters: Counters
    /// Raw JSON of the existing `metadata` object, if any.
    let metadataRaw: UnsafeBufferPointer<UInt8>?
    /// The whole input record (JSON input only).
    var rawRecord: UnsafeBufferPointer<UInt8>?

    init(text: UnsafeBufferPointer<UInt8>, ownID: UnsafeBufferPointer<UInt8>?, assignedIDPrefix: String,
         metadataRaw: UnsafeBufferPointer<UInt8>?, counters: Counters) {
        self.originalText = text
        self.ownID = ownID
        self.assignedIDPrefix = assignedIDPrefix
        self.metadataRaw = metadataRaw
        self.counters = counters
    }

    /// Replaces the text. Later stages in the same process see the new text.
    public mutating func setText(_ bytes: [UInt8]) {
        newText = bytes
    }

    /// The current text; use this when the text may have been replaced.
    public func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let newText { return try newText.withUnsafeBufferPointer(body) }
        return try body(originalText)
    }

    /// The text as a Swift String (for tests and slow paths).
    public var textString: String { withText { String(decoding: $0, as: UTF8.self) } }

    public mutating func setMetadata(_ key: String, _ value: JSONValue) {
        if let i = annotations.firstIndex(where: { $0.0 == key }) {
            annotations[i].1 = value
        } else {
            annotations.append((key, value))
        }
    }

    /// The raw JSON of `metadata.KEY` in the input record, if present.
    public func metadata(_ key: String) -> [UInt8]? {
        if let a = annotations.first(where: { $0.0 == key }) {
            var out: [UInt8] = []
            a.1.write(to: &out)
            return out
        }
        guard let raw = metadataRaw else { return nil }
        return ObjectScanner.value(of: key, in: raw).map { Array(raw[$0]) }
    }

    /// A top-level field of the input record as a string, if it is one (JSON input only).
    public func topLevelString(_ key: String) -> String? {
        guard let rec = rawRecord, let r = ObjectScanner.value(of: key, in: rec) else { return nil }
        return Self.unescapeString(Array(rec[r]))
    }

    /// `metadata.KEY` as a string, if it is one.
    public func metadataString(_ key: String) -> String? {
        guard let raw = metadata(key) else { return nil }
        return Self.unescapeString(raw)
    }

    /// A JSON string's value, or nil when `raw` is not a string.
    static func unescapeString(_ raw: [UInt8]) -> String? {
        guard raw.first == UInt8(ascii: "\"") else { return nil }
        var out = [UInt8](repeating: 0, count: raw.count)
        let n = raw.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in llm_json_unescape(r.baseAddress, r.count, o.baseAddress) }
        }
        if n < 0 { return nil }
        return String(decoding: out[0..<Int(n)], as: UTF8.self)
    }
}

/// Top-level field spans of a JSON object that is already known to be valid.
public enum ObjectScanner {
    public static func fields(_ raw: UnsafeBufferPointer<UInt8>) -> [llm_field_span] {
        var cap: UInt32 = 16
        while true {
            var spans = [llm_field_span](repeating: llm_field_span(), count: Int(cap))
            let n = spans.withUnsafeMutableBufferPointer { llm_json_scan_object(raw.baseAddress, raw.count, $0.baseAddress, cap) }
            if n < 0 { return [] }
            if n <= Int64(cap) { return Array(spans[0..<Int(n)]) }
            cap = UInt32(n)
        }
    }

    /// The byte range of the value of `key` (matched on the raw key without escapes).
    public static func value(of key: String, in raw: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let want = Array("\"\(key)\"".utf8)
        var found: Range<Int>?
        for f in fields(raw) {
            let k = raw[Int(f.key_start)..<Int(f.key_end)]
            if k.elementsEqual(want) { found = Int(f.value_start)..<Int(f.value_end) }
        }
        return found
    }
}
