import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataFilter

struct Filter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drop documents that fail the Gopher quality and repetition rules (datatrove's defaults). PARTIAL: see docs/filters.md.",
        discussion: "Reasons read rule:check (gopher_quality:gopher_short_doc). Dropped records go to --rejected with metadata.filter_reason."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var runFlags: RunFlags

    @Option(help: "Rule sets, comma-separated: gopher_quality, gopher_repetition (default: all).")
    var rules: String = FilterOptions.allRules.joined(separator: ",")

    @Option(help: "A JSON file with thresholds: {\"gopher_quality\": {\"minDocWords\": 50, …}, \"gopher_repetition\": {…}}.")
    var config: String?

    @Flag(help: "Keep every record; write the failed checks to metadata.quality.")
    var annotate = false

    @Option(name: .customLong("min-doc-words")) var minDocWords: Int?
    @Option(name: .customLong("max-doc-words")) var maxDocWords: Int?
    @Option(name: .customLong("min-stop-words")) var minStopWords: Int?

    func run() throws {
        var o = FilterOptions()
        o.rules = rules.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let bad = o.rules.first(where: { !FilterOptions.allRules.contains($0) }) {
            throw ValidationError("unknown rule set \(bad) (known: \(FilterOptions.allRules.joined(separator: ", ")))")
        }
        if let config {
            struct Config: Codable { var gopher_quality: GopherQualityOptions?; var gopher_repetition: GopherRepetitionOptions? }
            guard let data = FileManager.default.contents(atPath: config) else { throw ValidationError("\(config): cannot read") }
            do {
                let c = try JSONDecoder().decode(Config.self, from: data)
                if let q = c.gopher_quality { o.gopherQuality = q }
                if let r = c.gopher_repetition { o.gopherRepetition = r }
            } catch { throw ValidationError("\(config): \(error)") }
        }
        if let v = minDocWords { o.gopherQuality.minDocWords = v }
        if let v = maxDocWords { o.gopherQuality.maxDocWords = v }
        if let v = minStopWords { o.gopherQuality.minStopWords = v }
        o.annotate = annotate
        try finish(StageRunner.run(stage: FilterStage(options: o), inputs: input.inputs, format: input.format,
                                   reader: input.reader, options: runFlags.options))
    }
}
