import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataLangID

struct LangID: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "langid",
        abstract: "Identify each record's language: metadata.language (ISO 639-1, und when no letters) and metadata.language_score.",
        discussion: "The model ships in models/langid.bin (built by `llmdata langid train`). See docs/langid.md.",
        subcommands: [Run.self, Train.self],
        defaultSubcommand: Run.self
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Annotate (and optionally filter) records (the default).")
        @OptionGroup var input: InputOptions
        @OptionGroup var runFlags: RunFlags
        @Option(help: "The model file (default: $LLMDATA_LANGID_MODEL, then models/langid.bin next to the installation).")
        var model: String?
        @Option(help: "Keep only these languages, comma-separated (e.g. en,zh); others go to --rejected.")
        var keep: String?
        @Option(name: .customLong("min-score"), help: "With --keep (or --drop-low-score): drop records scoring below this.")
        var minScore = 0.65
        @Flag(name: .customLong("drop-low-score"), help: "Drop records below --min-score even without --keep.")
        var dropLowScore = false
        @Option(name: .customLong("top-k"), help: "Also write the K best languages with scores to metadata.language_top.")
        var topK = 0

        func run() throws {
            guard let path = locateLangIDModel(model) else {
                Diagnostics.error(stage: "langid", "no langid model found", hint: "pass --model FILE or set LLMDATA_LANGID_MODEL")
                throw ArgumentParser.ExitCode(LLMDataCore.ExitCode.fatal.rawValue)
            }
            let m: LangIDModel
            do { m = try LangIDModel.load(path: path) } catch let e as LLMDataError {
                Diagnostics.error(stage: "langid", e.message, hint: e.hint)
                throw ArgumentParser.ExitCode(e.exitCode.rawValue)
            }
            var o = LangIDOptions()
            o.keep = Set((keep ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            o.minScore = minScore
            o.dropLowScore = dropLowScore
            o.topK = topK
            try finish(StageRunner.run(stage: LangIDStage(model: m, options: o), inputs: input.inputs, format: input.format,
                                       reader: input.reader, options: runFlags.options))
        }
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train the model from DIR/train/<lang>.txt (../shared/data/build-langid-data.sh).")
        @Option(help: "The langid data directory.") var data: String
        @Option(name: [.short, .customLong("output")], help: "The model file to write.") var output: String
        @Option(help: "Hash buckets per language (a power of two).") var buckets = 1 << 15
        @Flag var quiet = false

        func run() throws {
            do {
                let m = try LangIDTrainer.train(dataDir: data, buckets: buckets, output: output) { if !quiet { Diagnostics.write($0 + "\n") } }
                if !quiet { Diagnostics.write("llmdata langid train: \(m.languages.count) languages, temperature \(m.temperature) -> \(output)\n") }
            } catch let e as LLMDataError {
                Diagnostics.error(stage: "langid train", e.message, hint: e.hint)
                throw ArgumentParser.ExitCode(e.exitCode.rawValue)
            }
        }
    }
}
