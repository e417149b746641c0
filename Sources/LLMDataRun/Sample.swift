import Foundation
import LLMDataCore

/// `llmdata sample FILE|DIR [-n N] [--reason R] [--seed S]`: N records chosen by a fixed hash of
/// their id and the seed (the N lowest ranks: the same records for any --jobs and batch size), in
/// input order, optionally only records dropped for a reason. The terminal side of the report's
/// samples.
public enum RecordSampler {
    /// The drop reason of a record from a `--rejected` file or a run's rejected/ or samples/
    /// files, as the stage that dropped it named it: `reason` (a samples line), `filter_reason`,
    /// langid's `langid_reason`, or dedup's annotation. nil for a record no stage dropped.
    public static func reason(of doc: Document) -> String? {
        if let r = doc.topLevelString("reason") { return r }
        if let r = doc.metadataString("filter_reason") { return r }
        if let r = doc.metadataString("langid_reason") {
            return r.hasPrefix("language_score") ? "langid:low_score" : "langid:not_kept"
        }
        if let d = doc.metadata("dedup"), let s = String(bytes: d, encoding: .utf8) {
            if s.contains("\"lines_removed\"") { return "dedup:lines_empty" }
            // a kept record names itself as its cluster; a removed one names the record kept
            guard let cluster = (try? JSONSerialization.jsonObject(with: Data(d)) as? [String: Any])?["cluster"] as? String,
                  cluster != doc.id else { return nil }
            return s.contains("\"hash\"") ? "dedup:exact" : "dedup:minhash"
        }
        return nil
    }

    /// Whether `reason` is `wanted` or one of its checks (`gopher_quality` matches
    /// `gopher_quality:gopher_short_doc`).
    public static func matches(_ reason: String?, _ wanted: String) -> Bool {
        guard let reason else { return false }
        return reason == wanted || reason.hasPrefix(wanted + ":")
    }

    final class Worker: RecordWorker {
        let wanted: String?
        let seed: UInt64
        var ranks: [UInt64?] = []
        init(wanted: String?, seed: UInt64) {
            self.wanted = wanted
            self.seed = seed
        }
        func process(_ doc: inout Document) -> Verdict {
            if let w = wanted, !RecordSampler.matches(RecordSampler.reason(of: doc), w) {
                ranks.append(nil)
            } else {
                ranks.append(DropSamples.rank(doc.id) ^ seed)
            }
            return .keep
        }
        func finishBatch(_ counters: inout Counters) -> [UInt64?] {
            defer { ranks.removeAll(keepingCapacity: true) }
            return ranks
        }
    }

    struct Stage: RecordStage {
        let name = "sample"
        let wanted: String?
        let seed: UInt64
        func makeWorker() throws -> Worker { Worker(wanted: wanted, seed: seed) }
    }

    /// Writes the sample to stdout; returns the exit code.
    public static func run(inputs: [String], format: InputFormat?, reader: ReaderOptions, count: Int, reason: String?,
                           seed: UInt64, jobs: Int, quiet: Bool) -> ExitCode {
        do {
            if !reader.share.isWhole {
                throw LLMDataError("sample chooses \(count) records among all its inputs; it does not run as --shard-count \(reader.share.count) tasks",
                                   hint: "run it once over all the inputs")
            }
            let files = try InputDiscovery.discover(inputs, formatOverride: format)
            var config = Engine.Config(files: files, reader: reader, stages: [AnyStage(Stage(wanted: reason, seed: seed &* 0x9E37_79B9_7F4A_7C15))],
                                       label: "sample")
            config.jobs = jobs
            config.lastIsSink = true
            config.progress = ProgressMode.from(nil, quiet: quiet)
            let engine = try Engine(config)
            // the `count` lowest (rank, position), with their lines
            var chosen: [(rank: UInt64, position: Int, line: [UInt8])] = []
            var position = 0
            var matched = 0
            _ = try engine.run { r in
                let ranks = r.sinkResult as! [UInt64?]
                var start = 0
                var k = 0
                r.output.withUnsafeBufferPointer { out in
                    for i in out.indices where out[i] == 0x0A {
                        defer {
                            start = i + 1
                            k += 1
                            position += 1
                        }
                        guard k < ranks.count, let rank = ranks[k] else { continue }
                        matched += 1
                        if chosen.count == count, let last = chosen.last, (rank, position) > (last.rank, last.position) { continue }
                        let at = chosen.firstIndex { (rank, position) < ($0.rank, $0.position) } ?? chosen.count
                        chosen.insert((rank, position, Array(out[start...i])), at: at)
                        if chosen.count > count { chosen.removeLast() }
                    }
                }
            }
            let sink = FDSink()
            for c in chosen.sorted(by: { $0.position < $1.position }) { try sink.write(c.line) }
            try sink.finish()
            if !quiet {
                Diagnostics.write("llmdata sample: \(chosen.count) of \(matched) record(s)" + (reason.map { " dropped for \($0)" } ?? "") + "\n")
            }
            if let reason, matched == 0 {
                Diagnostics.error(stage: "sample", "no record was dropped for \(reason)",
                                  hint: "reasons are rule:check names such as gopher_quality:gopher_short_doc, or their prefix (gopher_quality)")
                return .strictViolation
            }
            return .success
        } catch {
            return Diagnostics.exitCode(for: error, stage: "sample")
        }
    }
}
