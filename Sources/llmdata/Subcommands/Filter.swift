import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataFilter
import LLMDataPresets

struct Filter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drop documents that fail the length, Gopher, C4, FineWeb and spam rules (datatrove's thresholds).",
        discussion: """
        Rule sets run in this order: spam, length, gopher_repetition, gopher_quality, c4, fineweb. \
        Reasons read rule:check (gopher_quality:gopher_short_doc); dropped records go to --rejected \
        with metadata.filter_reason. Chinese, Japanese and Thai text (metadata.language, or by script) \
        is split into words by ICU. Every threshold can be set in --config (TOML or JSON) or with \
        --set RULE.KEY=VALUE; docs/filters.md lists them with their sources. --preset fineweb2 filters \
        each record with its language's FineWeb-2 configuration instead (docs/fineweb2.md).
        """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var runFlags: RunFlags

    @Option(help: "Rule sets, comma-separated: \(FilterOptions.allRules.joined(separator: ", ")) (default: all).")
    var rules: String?

    @Option(help: "A TOML (.toml) or JSON file of thresholds: [gopher_quality] min_doc_words = 50 …")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Set one threshold, e.g. gopher_quality.min_doc_words=30 (repeatable; after --config).", valueName: "rule.key=value"))
    var sets: [String] = []

    @Flag(help: "Keep every record; write each rule set's signals and failed checks to metadata.quality.")
    var annotate = false

    @Flag(name: .customLong("c4-lines"), help: "Also remove the lines C4 rejects and rewrite the text, as C4 does.")
    var c4Lines = false

    @Flag(name: .customLong("spam-lines"), help: "Remove navigation lines and code-listing numbers instead of counting them against the document.")
    var spamLines = false

    @Option(help: "Treat every document as this language (en, zh, ja, th, ...) instead of metadata.language or its script, as datatrove's language= does.")
    var language: String?

    @Option(help: ArgumentHelp("Filter each record with its language's published configuration: fineweb2 (FineWeb-2's per-language thresholds and stop words, with its pipeline's overrides; the language from --language or metadata.language).", valueName: "name"))
    var preset: String?

    @Option(name: .customLong("preset-dir"), help: ArgumentHelp("More FineWeb-2 configurations ({iso3}_{script}.yml, e.g. a fineweb-2 checkout's configs/); they replace shipped ones of the same name.", valueName: "dir"))
    var presetDir: String?

    @Option(name: .customLong("preset-missing"), help: "A record whose language has no configuration: keep (counted) or drop (reason fineweb2:no_config).")
    var presetMissing: String = "keep"

    @Option(name: .customLong("min-chars")) var minChars: Int?
    @Option(name: .customLong("max-chars")) var maxChars: Int?
    @Option(name: .customLong("min-words")) var minWords: Int?
    @Option(name: .customLong("min-doc-words"), help: "gopher_quality.min_doc_words") var minDocWords: Int?
    @Option(name: .customLong("max-doc-words"), help: "gopher_quality.max_doc_words") var maxDocWords: Int?
    @Option(name: .customLong("min-stop-words"), help: "gopher_quality.min_stop_words") var minStopWords: Int?
    @Option(name: .customLong("min-sentences"), help: "c4.min_num_sentences") var minSentences: Int?

    func validate() throws {
        if let rules, rules.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            // no rule set would keep every record and still exit 0
            throw ValidationError("--rules \"\(rules)\" names no rule set (known: \(FilterOptions.allRules.joined(separator: ", "))); without --rules all run")
        }
    }

    /// The stage these flags describe (also a recipe's `filter:`); bad values throw ValidationError.
    func makeStage() throws -> FilterStage {
        if preset != nil { return try makePresetStage() }
        if presetDir != nil || presetMissing != "keep" {
            throw ValidationError("--preset-dir and --preset-missing need --preset fineweb2")
        }
        var table: [String: Any] = [:]
        do {
            if let config { table = try FilterOptions.readConfig(path: config) }
            let named: [(String, Int?)] = [
                ("length.min_chars", minChars), ("length.max_chars", maxChars), ("length.min_words", minWords),
                ("gopher_quality.min_doc_words", minDocWords), ("gopher_quality.max_doc_words", maxDocWords),
                ("gopher_quality.min_stop_words", minStopWords), ("c4.min_num_sentences", minSentences),
            ]
            for (k, v) in named { if let v { try FilterOptions.apply(set: "\(k)=\(v)", to: &table) } }
            if c4Lines { try FilterOptions.apply(set: "c4.rewrite_lines=true", to: &table) }
            if spamLines { try FilterOptions.apply(set: "spam.rewrite_lines=true", to: &table) }
            for s in sets { try FilterOptions.apply(set: s, to: &table) }
        } catch let e as ConfigError {
            throw ValidationError(e.message)
        }
        var o: FilterOptions
        do { o = try FilterOptions.decode(table, source: config ?? "--set") } catch let e as ConfigError { throw ValidationError(e.message) }
        if let rules {
            o.rules = rules.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let bad = o.rules.first(where: { !FilterOptions.allRules.contains($0) }) {
            throw ValidationError("unknown rule set \(bad) (known: \(FilterOptions.allRules.joined(separator: ", ")))")
        }
        o.annotate = annotate
        o.language = language
        do { return try FilterStage(options: o) } catch let e as LLMDataError {
            throw ValidationError(e.message + (e.hint.map { " (\($0))" } ?? ""))
        }
    }

    /// `--preset`: the thresholds come from the language's configuration, so flags that set
    /// thresholds are refused rather than silently overridden per language.
    func makePresetStage() throws -> FilterStage {
        let thresholdFlags: [(String, Bool)] = [
            ("--config", config != nil), ("--set", !sets.isEmpty), ("--c4-lines", c4Lines), ("--spam-lines", spamLines),
            ("--min-chars", minChars != nil), ("--max-chars", maxChars != nil), ("--min-words", minWords != nil),
            ("--min-doc-words", minDocWords != nil), ("--max-doc-words", maxDocWords != nil),
            ("--min-stop-words", minStopWords != nil), ("--min-sentences", minSentences != nil),
        ]
        if let (flag, _) = thresholdFlags.first(where: { $0.1 }) {
            throw ValidationError("\(flag) cannot be combined with --preset: the preset sets every threshold per language (edit a copy of its configurations and pass --preset-dir)")
        }
        var o = FilterOptions()
        o.rules = FineWeb2Rules.names
        if let rules {
            o.rules = rules.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let bad = o.rules.first(where: { !FineWeb2Rules.names.contains($0) }) {
                throw ValidationError("--preset \(preset!) runs \(FineWeb2Rules.names.joined(separator: ", ")); \(bad) is not one of them")
            }
        }
        guard let missing = FilterOptions.PresetMissing(rawValue: presetMissing) else {
            throw ValidationError("--preset-missing \(presetMissing): expected keep or drop")
        }
        o.preset = preset
        o.presetDir = presetDir
        o.presetMissing = missing
        o.annotate = annotate
        o.language = language
        do { return try FilterStage(options: o) } catch let e as PresetError { throw ValidationError(e.message) } catch let e as LLMDataError {
            throw ValidationError(e.message + (e.hint.map { " (\($0))" } ?? ""))
        }
    }

    func run() throws {
        try finish(StageRunner.run(stage: makeStage(), inputs: input.inputs, format: input.format,
                                   reader: input.reader, options: runFlags.options))
    }
}
