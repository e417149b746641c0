import Foundation

/// A small deterministic sample of dropped records per drop reason (the report's "Samples",
/// `samples/NN-STAGE.jsonl` of a run): per reason, the `perReason` records whose id ranks lowest
/// by a fixed hash. The same records are chosen whatever the batch sizes, thread count or resume
/// points, because samples of parts merge into the sample of the whole (bottom-k sampling).
public struct DropSamples: Sendable {
    public static let perReason = 5

    public struct Item: Sendable {
        public var rank: UInt64
        public var id: String
        /// The sample line (JSON object, no newline).
        public var line: [UInt8]
    }

    /// Per reason, sorted by (rank, id), at most `perReason`.
    public private(set) var byReason: [String: [Item]] = [:]

    public init() {}

    /// FNV-1a 64 of a fixed prefix and the id, then SplitMix64's finalizer.
    public static func rank(_ id: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "llmdata-sample\u{0}".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
        h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }

    static func before(_ a: (UInt64, String), _ b: (UInt64, String)) -> Bool { a.0 != b.0 ? a.0 < b.0 : a.1 < b.1 }

    /// Whether a record of `reason` with this rank would be kept (so its line is worth building).
    public func wants(reason: String, rank: UInt64) -> Bool {
        guard let items = byReason[reason], items.count >= Self.perReason else { return true }
        return rank <= items[items.count - 1].rank
    }

    public mutating func add(reason: String, rank: UInt64, id: String, line: [UInt8]) {
        var items = byReason[reason] ?? []
        let i = items.firstIndex { Self.before((rank, id), ($0.rank, $0.id)) } ?? items.count
        if i >= Self.perReason { return }
        items.insert(Item(rank: rank, id: id, line: line), at: i)
        if items.count > Self.perReason { items.removeLast() }
        byReason[reason] = items
    }

    public mutating func merge(_ o: DropSamples) {
        for (reason, items) in o.byReason {
            for it in items { add(reason: reason, rank: it.rank, id: it.id, line: it.line) }
        }
    }

    /// The sample lines, by reason, then rank.
    public var lines: [[UInt8]] { byReason.keys.sorted().flatMap { byReason[$0]!.map(\.line) } }

    /// For a resumable run's per-file records: `{reason: [{"rank": hex, "id", "line": the line as a string}]}`.
    public var jsonValue: JSONValue {
        .object(byReason.keys.sorted().map { r in
            (r, .array(byReason[r]!.map { .object([("rank", .string(String($0.rank, radix: 16))), ("id", .string($0.id)),
                                                   ("line", .string(String(decoding: $0.line, as: UTF8.self)))]) }))
        })
    }

    public init(json: [String: Any]) {
        for (reason, v) in json {
            for item in (v as? [[String: Any]]) ?? [] {
                guard let r = (item["rank"] as? String).flatMap({ UInt64($0, radix: 16) }), let id = item["id"] as? String,
                      let line = item["line"] as? String else { continue }
                add(reason: reason, rank: r, id: id, line: Array(line.utf8))
            }
        }
    }

    /// The first lines of a text for a sample: at most 20 lines and 2,000 characters; whether it
    /// was cut.
    public static func head(_ t: UnsafeBufferPointer<UInt8>) -> (String, Bool) {
        var lines = 0
        var chars = 0
        var end = 0
        while end < t.count {
            let b = t[end]
            if b & 0xC0 != 0x80 {
                if chars == 2000 { break }
                chars += 1
            }
            if b == 0x0A {
                lines += 1
                if lines == 20 { break }
            }
            end += 1
        }
        return (String(decoding: t[0..<end], as: UTF8.self), end < t.count)
    }
}
