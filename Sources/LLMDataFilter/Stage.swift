import Foundation
import LLMDataCore

/// `llmdata filter`: each rule set decides keep or drop(`rule:check`); the first failing rule set
/// drops the record. Rule sets run in a fixed order — spam, length, gopher_repetition,
/// gopher_quality, c4, fineweb — and those that rewrite the text (`--spam-lines`, `--c4-lines`)
/// hand the new text to the ones after them. `--annotate` keeps every record and writes the
/// signals and failed checks of every rule set to metadata.quality.
enum RuleSet: String {
    case spam, length, gopherRepetition = "gopher_repetition", gopherQuality = "gopher_quality", c4, fineweb
}

public struct FilterStage: RecordStage {
    public let name = "filter"
    let options: FilterOptions

    public init(options: FilterOptions) { self.options = options }

    public final class Worker: RecordWorker {
        let o: FilterOptions
        let analysis = Analysis()
        let blocklist: Spam.Blocklist
        /// LLMDATA_FILTER_DEBUG=1 prints each document's words as a JSON array to stderr
        /// (scripts compare them with datatrove's).
        let debugWords = ProcessInfo.processInfo.environment["LLMDATA_FILTER_DEBUG"] != nil
        let ruleSets: [RuleSet]

        init(_ o: FilterOptions) {
            self.o = o
            ruleSets = FilterOptions.allRules.filter { o.rules.contains($0) }.compactMap(RuleSet.init(rawValue:))
            blocklist = Spam.Blocklist(Spam.defaultBlocklist + o.spam.blocklist)
        }

        public func process(_ doc: inout Document) -> Verdict {
            let language = o.language ?? doc.metadataString("language")
            doc.withText { analysis.load(utf8: $0, language: language) }
            if debugWords {
                var ws: [JSONValue] = []
                for k in 0..<analysis.wordCount { ws.append(.string(analysis.string(analysis.wordStart(k), analysis.wordEnd(k)))) }
                var out: [UInt8] = []
                JSONValue.array(ws).write(to: &out)
                out.append(0x0A)
                FileHandle.standardError.write(Data(out))
            }
            var failed: [(String, JSONValue)] = []
            var signals: [(String, JSONValue)] = []
            for ruleSet in ruleSets {
                let rule = ruleSet.rawValue
                var e = Eval(annotate: o.annotate)
                var rewritten: [UInt32]? = nil
                switch ruleSet {
                case .length: Length.evaluate(analysis, o.length, &e)
                case .gopherQuality: GopherQuality.evaluate(analysis, o.gopherQuality, &e)
                case .gopherRepetition: GopherRepetition.evaluate(analysis, o.gopherRepetition, &e)
                case .c4: C4.evaluate(analysis, o.c4, &e, keptText: &rewritten)
                case .fineweb: FineWeb.evaluate(analysis, o.fineweb, &e)
                case .spam: Spam.evaluate(analysis, o.spam, blocklist, &e, rewritten: &rewritten)
                }
                if o.annotate { signals.append((rule, .object(e.signals))) }
                if let r = e.failed {
                    let reason = "\(rule):\(r)"
                    if !o.annotate { return .drop(reason: reason, annotation: ("filter_reason", .string(reason))) }
                    failed.append((rule, .string(r)))
                    continue
                }
                if let text = rewritten {
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(text.count)
                    for c in text {
                        if let u = Unicode.Scalar(c) { UTF8.encode(u) { bytes.append($0) } }
                    }
                    doc.setText(bytes)
                    doc.counters.add("\(rule):rewritten")
                    doc.withText { analysis.load(utf8: $0, language: language) }
                }
            }
            if o.annotate {
                doc.setMetadata("quality", .object([("failed", .object(failed))] + signals))
            }
            return .keep
        }
    }

    public func makeWorker() throws -> Worker { Worker(options) }
}
