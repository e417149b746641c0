import Foundation
import LLMDataCore
import LLMDataPresets

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
    /// `--preset fineweb2`: the configurations, loaded once for every worker.
    let preset: FineWeb2Preset?

    /// The jieba data, loaded up front when Chinese words may be needed (cmn_Hani).
    let jieba: Jieba?

    /// Data files the stage reads (a preset's configurations, jieba's data), for a run's fingerprint.
    public var resources: [String] { (preset?.files ?? []) + (jieba?.files ?? []) }

    /// Throws PresetError when a preset's configurations cannot be read, LLMDataError when jieba's data cannot.
    public init(options: FilterOptions) throws {
        self.options = options
        if let p = options.preset {
            guard p == FineWeb2Preset.name else { throw PresetError("unknown preset \(p) (known: \(FineWeb2Preset.name))") }
            preset = try FineWeb2Preset(presetDir: options.presetDir)
        } else {
            preset = nil
        }
        // loaded here so that missing data is an error before the first record, not in a worker
        jieba = preset != nil || options.language?.hasPrefix("cmn") == true ? try Jieba.shared() : nil
    }

    public final class Worker: RecordWorker {
        let o: FilterOptions
        let analysis = Analysis()
        let blocklist: Spam.Blocklist
        /// LLMDATA_FILTER_DEBUG=1 prints each document's words as a JSON array to stderr
        /// (scripts compare them with datatrove's).
        let debugWords = ProcessInfo.processInfo.environment["LLMDATA_FILTER_DEBUG"] != nil
        let ruleSets: [RuleSet]
        let preset: FineWeb2Preset?
        /// The preset's options per configuration name, made on first use.
        var presetOptions: [String: FilterOptions] = [:]

        init(_ o: FilterOptions, preset: FineWeb2Preset?) {
            self.o = o
            self.preset = preset
            ruleSets = preset != nil
                ? FineWeb2Rules.order.filter { o.rules.contains($0.rawValue) }
                : FilterOptions.allRules.filter { o.rules.contains($0) }.compactMap(RuleSet.init(rawValue:))
            blocklist = Spam.Blocklist(Spam.defaultBlocklist + o.spam.blocklist)
        }

        public func process(_ doc: inout Document) -> Verdict {
            guard let preset else {
                // a datatrove/FineWeb-2 language name (cmn_Hani) asks for datatrove's arithmetic
                let language = o.language ?? doc.metadataString("language")
                return process(&doc, o, language: language, exact: language.map(Self.isDatatroveName) ?? false)
            }
            // the language's FineWeb-2 configuration; its name is the language the words follow
            let code = o.language ?? doc.metadataString("language")
            let script = o.language == nil ? doc.metadataString("language_script") : nil
            guard let code, let c = doc.withText({ preset.config(language: code, script: script, text: $0) }) else {
                let reason = "fineweb2:no_config"
                doc.counters.add("fineweb2.no_config.\(code ?? "none")")
                if o.presetMissing == .drop { return .drop(reason: reason, annotation: ("filter_reason", .string(reason))) }
                if o.annotate { doc.setMetadata("quality", .object([("failed", .object([])), ("fineweb2_config", .null)])) }
                return .keep
            }
            doc.counters.add("fineweb2.config.\(c.name)")
            let opts: FilterOptions
            if let known = presetOptions[c.name] { opts = known } else {
                opts = FineWeb2Rules.options(c, base: o)
                presetOptions[c.name] = opts
            }
            return process(&doc, opts, language: c.name, exact: true, configName: c.name)
        }

        /// `{iso3}_{Script}`, as datatrove and FineWeb-2 name languages.
        static func isDatatroveName(_ s: String) -> Bool {
            let u = Array(s.utf8)
            guard u.count == 8, u[3] == 0x5F else { return false }
            return u[0..<3].allSatisfy { $0 >= 0x61 && $0 <= 0x7A } && (0x41...0x5A).contains(u[4])
                && u[5..<8].allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
        }

        /// The rule sets over one document with these options. `exact`: datatrove's arithmetic
        /// for every script (the preset), without llmdata's documented deviations for unspaced ones.
        func process(_ doc: inout Document, _ o: FilterOptions, language: String?, exact: Bool, configName: String? = nil) -> Verdict {
            analysis.exact = exact
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
                let config: [(String, JSONValue)] = configName.map { [("fineweb2_config", .string($0))] } ?? []
                doc.setMetadata("quality", .object([("failed", .object(failed))] + config + signals))
            }
            return .keep
        }
    }

    public func makeWorker() throws -> Worker { Worker(options, preset: preset) }
}
