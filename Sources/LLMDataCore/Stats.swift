import Foundation

/// Counts for `--stats` (docs/protocol.md#stats).
public struct RunStats: Sendable {
    public var recordsIn = 0
    public var recordsOut = 0
    public var bytesIn = 0
    public var bytesOut = 0
    /// Records a stage decided to drop, by reason (`gopher_quality:min_words`).
    public var dropped: [String: Int] = [:]
    /// Records or inputs that could not be read, by reason (`invalid_json`).
    public var rejected: [String: Int] = [:]
    public var counters = Counters()
    public var filesProcessed = 0
    public var filesSkipped = 0

    public init() {}

    public mutating func merge(_ o: RunStats) {
        recordsIn += o.recordsIn
        recordsOut += o.recordsOut
        bytesIn += o.bytesIn
        bytesOut += o.bytesOut
        for (k, v) in o.dropped { dropped[k, default: 0] += v }
        for (k, v) in o.rejected { rejected[k, default: 0] += v }
        counters.merge(o.counters)
        filesProcessed += o.filesProcessed
        filesSkipped += o.filesSkipped
    }

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
    public var droppedTotal: Int { dropped.values.reduce(0, +) }

    /// The stats document: keys sorted so the file is deterministic apart from `seconds`.
    public func json(stage: String, seconds: Double, extra: [(String, JSONValue)] = []) -> String {
        func sortedObject(_ d: [String: Int]) -> JSONValue {
            .object(d.keys.sorted().map { ($0, .int(d[$0]!)) })
        }
        var fields: [(String, JSONValue)] = [
            ("stage", .string(stage)),
            ("records_in", .int(recordsIn)),
            ("records_out", .int(recordsOut)),
            ("records_dropped", .int(droppedTotal)),
            ("records_rejected", .int(rejectedTotal)),
            ("bytes_in", .int(bytesIn)),
            ("bytes_out", .int(bytesOut)),
            ("files_processed", .int(filesProcessed)),
            ("files_skipped", .int(filesSkipped)),
            ("dropped", sortedObject(dropped)),
            ("rejected", sortedObject(rejected)),
            ("counters", sortedObject(counters.values)),
            ("seconds", .double((seconds * 1000).rounded() / 1000)),
        ]
        fields.append(contentsOf: extra)
        return JSONValue.object(fields).serialized + "\n"
    }
}

/// A one-line progress display on stderr, redrawn at most every half second.
final class Progress {
    let stage: String
    let enabled: Bool
    var last = 0.0
    let start: Double
    var drawn = false

    init(stage: String, enabled: Bool) {
        self.stage = stage
        self.enabled = enabled
        start = Clock.now()
    }

    func update(_ s: RunStats, force: Bool = false) {
        guard enabled else { return }
        let now = Clock.now()
        if !force && now - last < 0.5 { return }
        last = now
        let secs = max(now - start, 1e-9)
        let mb = Double(s.bytesIn) / 1e6
        let line = String(format: "\r\u{1B}[K%@: %d records in, %d out, %d rejected, %.1f MB, %.1f MB/s",
                          stage, s.recordsIn, s.recordsOut, s.rejectedTotal, mb, mb / secs)
        Diagnostics.write(line)
        drawn = true
    }

    func finish(_ s: RunStats) {
        guard enabled else { return }
        update(s, force: true)
        if drawn { Diagnostics.write("\n") }
    }
}

public enum Clock {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Peak resident memory of this process, in bytes (VmHWM on Linux).
public func peakRSSBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.filter { $0.isNumber }
        return (Int(digits) ?? 0) * 1024
    }
    return 0
}
