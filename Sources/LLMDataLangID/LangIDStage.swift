import LLMDataCore
import LLMDataPresets

public struct LangIDOptions: Sendable {
    /// Keep only these languages (nil: every language).
    public var keep: Set<String>?
    /// Records whose best score is below this (default 0.65, as datatrove) are dropped when
    /// `dropLowScore` is set (the CLI sets it with --keep, --min-score or --drop-low-score).
    public var minScore = 0.65
    public var dropLowScore = false
    /// `--min-score-preset fineweb2`: each language's own minimum, FineWeb-2's `language_score`;
    /// languages without a configuration keep `minScore`.
    public var scorePreset: FineWeb2Preset?
    /// Also write metadata.language_top with the K best languages.
    public var topK = 0
    /// Documents longer than this many bytes are sampled for the n-gram model (docs/langid.md); 0 reads all.
    public var sampleBytes = LanguageIdentifier.defaultSampleBytes
    public init() {}
}

/// `llmdata langid`: writes metadata.language and metadata.language_score (docs/langid.md).
/// Script counts use the whole text; the n-gram model reads texts longer than `sampleBytes` in 8
/// windows spread across them.
public struct LangIDStage: RecordStage {
    public let name = "langid"
    public let options: LangIDOptions
    public let model: LangIDModel

    public init(options: LangIDOptions, model: LangIDModel) {
        self.options = options
        self.model = model
    }

    public func makeWorker() throws -> LangIDWorker {
        LangIDWorker(options: options, identifier: LanguageIdentifier(model: model, sampleBytes: options.sampleBytes))
    }
}

/// Scores as written: 4 decimals (a calibrated probability needs no more).
func rounded(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }

public final class LangIDWorker: RecordWorker {
    let options: LangIDOptions
    let identifier: LanguageIdentifier
    /// Records per language in the current batch, with their "language.<code>" counter keys;
    /// found by a linear search from the last language seen (Strings of a few bytes compare
    /// without hashing), added to the batch's counters in `finishBatch`.
    var languageCounts: [(language: String, key: String, count: Int, bytesKey: String, bytes: Int)] = []
    /// Records by language_score in bins of 0.05 (`language_score.B`, B = 0…19).
    var scoreBins = [Int](repeating: 0, count: 20)
    static let scoreKeys = (0..<20).map { "language_score.\($0)" }
    var lastLanguage = 0
    /// The written form of each rounded score k/10000 (what `.double(rounded(x))` writes),
    /// built on first use: no number formatting per record.
    var scoreBytes = [JSONValue?](repeating: nil, count: 10001)

    /// The preset's minimum per language, for languages with one configuration.
    var presetMinimum: [String: Double] = [:]

    init(options: LangIDOptions, identifier: LanguageIdentifier) {
        self.options = options
        self.identifier = identifier
    }

    /// The minimum score for a record identified as `language`.
    func minimum(_ language: String, _ doc: Document) -> Double {
        guard let p = options.scorePreset else { return options.minScore }
        if let m = presetMinimum[language] { return m }
        let m = doc.withText { p.config(language: language, script: nil, text: $0) }?.languageScore ?? options.minScore
        if !p.dependsOnText(language: language) { presetMinimum[language] = m }
        return m
    }

    @inline(__always) func count(_ language: String, bytes: Int, score: Double) {
        scoreBins[min(19, max(0, Int(score * 20)))] += 1
        if !(lastLanguage < languageCounts.count && languageCounts[lastLanguage].language == language) {
            if let i = languageCounts.firstIndex(where: { $0.language == language }) {
                lastLanguage = i
            } else {
                lastLanguage = languageCounts.count
                languageCounts.append((language, "language." + language, 0, "language_bytes." + language, 0))
            }
        }
        languageCounts[lastLanguage].count += 1
        languageCounts[lastLanguage].bytes += bytes
    }

    public func finishBatch(_ counters: inout Counters) {
        for i in languageCounts.indices where languageCounts[i].count > 0 {
            counters.add(languageCounts[i].key, languageCounts[i].count)
            counters.add(languageCounts[i].bytesKey, languageCounts[i].bytes)
            languageCounts[i].count = 0
            languageCounts[i].bytes = 0
        }
        for b in 0..<20 where scoreBins[b] > 0 {
            counters.add(Self.scoreKeys[b], scoreBins[b])
            scoreBins[b] = 0
        }
    }

    @inline(__always) func scoreValue(_ x: Double) -> JSONValue {
        let k = (x * 10000).rounded()
        guard k >= 0 && k <= 10000 else { return .double(rounded(x)) }
        let i = Int(k)
        if let v = scoreBytes[i] { return v }
        var out: [UInt8] = []
        JSONValue.double(k / 10000).write(to: &out)
        let v = JSONValue.raw(out)
        scoreBytes[i] = v
        return v
    }

    public func process(_ doc: inout Document) -> Verdict {
        let r = doc.withText { identifier.identify($0, topK: options.topK) }
        doc.setMetadata("language", .string(r.language))
        doc.setMetadata("language_score", scoreValue(r.score))
        if options.topK > 0 {
            doc.setMetadata("language_top", .array(r.top.map {
                .object([("lang", .string($0.language)), ("score", .double(rounded($0.score)))])
            }))
        }
        count(r.language, bytes: doc.withText { $0.count }, score: r.score)
        if let keep = options.keep, !keep.contains(r.language) {
            return .drop(reason: "langid:not_kept", annotation: ("langid_reason", .string("language \(r.language) not in --keep")))
        }
        if options.dropLowScore {
            let minimum = minimum(r.language, doc)
            if r.score < minimum {
                return .drop(reason: "langid:low_score",
                             annotation: ("langid_reason", .string("language_score \(rounded(r.score)) < \(minimum)")))
            }
        }
        return .keep
    }
}
