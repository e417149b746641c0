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
    /// CPU seconds the stage's workers spent on its records (summed over threads; a chain's
    /// stages are timed apart).
    public var cpuSeconds = 0.0

    public init() {}

    /// Every field, for a resumable run's per-file records (`init(json:)` reads it back).
    public var jsonValue: JSONValue {
        func obj(_ d: [String: Int]) -> JSONValue { .object(d.keys.sorted().map { ($0, .int(d[$0]!)) }) }
        return .object([
            ("records_in", .int(recordsIn)), ("records_out", .int(recordsOut)),
            ("bytes_in", .int(bytesIn)), ("bytes_out", .int(bytesOut)),
            ("dropped", obj(dropped)), ("rejected", obj(rejected)), ("counters", obj(counters.values)),
            ("files_processed", .int(filesProcessed)), ("files_skipped", .int(filesSkipped)),
            ("cpu_seconds", .double(cpuSeconds)),
        ])
    }

    public init(json o: [String: Any]) {
        func int(_ k: String) -> Int { (o[k] as? NSNumber)?.intValue ?? 0 }
        func dict(_ k: String) -> [String: Int] {
            var d: [String: Int] = [:]
            for (key, v) in (o[k] as? [String: Any]) ?? [:] { d[key] = (v as? NSNumber)?.intValue ?? 0 }
            return d
        }
        recordsIn = int("records_in")
        recordsOut = int("records_out")
        bytesIn = int("bytes_in")
        bytesOut = int("bytes_out")
        dropped = dict("dropped")
        rejected = dict("rejected")
        for (k, v) in dict("counters") { counters.add(k, v) }
        filesProcessed = int("files_processed")
        filesSkipped = int("files_skipped")
        cpuSeconds = (o["cpu_seconds"] as? NSNumber)?.doubleValue ?? 0
    }

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
        cpuSeconds += o.cpuSeconds
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
