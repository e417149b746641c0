import Foundation
import LLMDataCore

public struct LangIDOptions: Sendable {
    /// Languages to keep (empty: keep all).
    public var keep: Set<String> = []
    /// Records below this score are dropped when --keep or --min-score is given.
    public var minScore = 0.65
    public var dropLowScore = false
    public var topK = 0
    public init() {}
}

/// `llmdata langid`: writes metadata.language and metadata.language_score.
public struct LangIDStage: RecordStage {
    public let name = "langid"
    let model: LangIDModel
    let options: LangIDOptions

    public init(model: LangIDModel, options: LangIDOptions) {
        self.model = model
        self.options = options
    }

    final class Worker: RecordWorker {
        let id: LangIdentifier
        let options: LangIDOptions
        init(_ s: LangIDStage) {
            id = LangIdentifier(model: s.model)
            options = s.options
        }

        func process(_ doc: inout Document) -> Verdict {
            let r = doc.withText { id.identify($0) }
            let score = (r.score * 10_000).rounded() / 10_000
            doc.setMetadata("language", .string(r.language))
            doc.setMetadata("language_score", .double(score))
            if options.topK > 0 {
                doc.setMetadata("language_top", .array(r.ranked.prefix(options.topK).map {
                    .object([("lang", .string($0.0)), ("score", .double(($0.1 * 10_000).rounded() / 10_000))])
                }))
            }
            doc.counters.add("lang_\(r.language)")
            if !options.keep.isEmpty && !options.keep.contains(r.language) {
                return .drop(reason: "langid:not_kept", annotation: ("langid_reason", .string("language \(r.language) not in --keep")))
            }
            if (options.dropLowScore || !options.keep.isEmpty) && score < options.minScore {
                return .drop(reason: "langid:low_score", annotation: ("langid_reason", .string("score \(score) < \(options.minScore)")))
            }
            return .keep
        }
    }

    public func makeWorker() throws -> RecordWorker { Worker(self) }
}

/// Where the shipped model is found: --model, $LLMDATA_LANGID_MODEL, then `models/langid.bin`
/// beside the binary's install prefix (`<bin>/../share/llmdata/langid.bin`) or in the source tree
/// the binary was built in (`<repo>/.build/<config>/llmdata` → `<repo>/models/langid.bin`).
public func locateLangIDModel(_ explicit: String?) -> String? {
    if let explicit { return explicit }
    if let env = ProcessInfo.processInfo.environment["LLMDATA_LANGID_MODEL"] { return env }
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    var candidates = [exe.appendingPathComponent("../share/llmdata/langid.bin").path]
    var dir = exe
    for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("models/langid.bin").path)
        dir.deleteLastPathComponent()
    }
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
}
