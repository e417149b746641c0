import Foundation
import LLMDataCore

public struct FilterOptions: Sendable {
    public var rules: [String] = ["gopher_quality", "gopher_repetition"]
    public var gopherQuality = GopherQualityOptions()
    public var gopherRepetition = GopherRepetitionOptions()
    public var annotate = false
    public init() {}
    public static let allRules = ["gopher_quality", "gopher_repetition"]
}

/// `llmdata filter`: each rule set decides keep or drop(`rule:check`), the first failing rule
/// wins; `--annotate` records the decisions in metadata.quality without dropping.
public struct FilterStage: RecordStage {
    public let name = "filter"
    let options: FilterOptions

    public init(options: FilterOptions) { self.options = options }

    final class Worker: RecordWorker {
        let o: FilterOptions
        init(_ o: FilterOptions) { self.o = o }

        func process(_ doc: inout Document) -> Verdict {
            let view = doc.withText { TextView(utf8: $0) }
            var failed: [(String, JSONValue)] = []
            for rule in o.rules {
                let r: String?
                switch rule {
                case "gopher_quality": r = GopherQuality.check(view, o.gopherQuality)
                case "gopher_repetition": r = GopherRepetition.check(view, o.gopherRepetition)
                default: r = nil
                }
                if let r {
                    let reason = "\(rule):\(r)"
                    if !o.annotate { return .drop(reason: reason, annotation: ("filter_reason", .string(reason))) }
                    failed.append((rule, .string(r)))
                }
            }
            if o.annotate {
                doc.setMetadata("quality", .object([("words", .int(view.words.count)), ("failed", .object(failed))]))
            }
            return .keep
        }
    }

    public func makeWorker() throws -> RecordWorker { Worker(options) }
}
