import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataLangID
import LLMDataPresets

struct LangID: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "langid",
        abstract: "Language identification: metadata.language (ISO 639-1 or und) and metadata.language_score.",
        discussion: "The built-in model covers 30 languages; see docs/langid.md. `llmdata langid train` rebuilds it.",
        subcommands: [LangIDRun.self, LangIDTrain.self],
        defaultSubcommand: LangIDRun.self
    )
}

struct LangIDRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Tag records with their language; drop by --keep and --min-score (the default subcommand)."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var runFlags: RunFlags

    @Option(help: "Keep only these languages (comma-separated ISO 639-1 codes, e.g. en,zh; und allowed).")
    var keep: String?

    @Option(name: .customLong("min-score"), help: "Drop records whose language_score is below this (default 0.65; applies when given, with --keep, or with --drop-low-score).")
    var minScore: Double?

    @Option(name: .customLong("min-score-preset"), help: ArgumentHelp("Each language's own minimum score: fineweb2 (FineWeb-2's per-language language_score; languages without a configuration use --min-score). Implies dropping low scores.", valueName: "name"))
    var minScorePreset: String?

    @Flag(name: .customLong("drop-low-score"), help: "Drop records below --min-score (0.65) even without --keep.")
    var dropLowScore = false

    @Option(name: .customLong("top-k"), help: "Also write metadata.language_top: the K best languages with scores.")
    var topK = 0

    @Option(name: .customLong("sample-bytes"), help: "Texts longer than this are read by the n-gram model in 8 windows spread from start to end (script counts always use all of it); 0 reads everything.")
    var sampleBytes = 2048

    @Option(help: "Model file (default: the shipped langid.model, see docs/langid.md).")
    var model: String?

    /// Benchmark only (scripts/bench.d/30-langid.sh): reads the JSONL inputs' text fields into
    /// memory (untimed) and prints the seconds spent in identification alone, the way the peers
    /// are timed (their detect calls only). Writes no records.
    @Flag(name: .customLong("bench-identify"), help: .hidden)
    var benchIdentify = false

    func validate() throws {
        if topK < 0 { throw ValidationError("--top-k must be at least 0") }
        if let m = minScore, !(m >= 0 && m <= 1) { throw ValidationError("--min-score must be within 0...1") }
        if let keep, keep.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            // an empty selection would drop every record and still exit 0
            throw ValidationError("--keep \"\(keep)\" names no language: give comma-separated codes such as en,zh (without --keep every language is kept)")
        }
    }

    /// The model and options these flags describe (also a recipe's `langid:`). A model that
    /// cannot be read throws LangIDError; a bad --keep throws ValidationError.
    func makeStage() throws -> LangIDStage {
        let m = try model.map { try LangIDModel(path: $0) } ?? LangIDModel.shipped()
        var o = LangIDOptions()
        if let keep = keep {
            let set = Set(keep.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            for l in set.sorted() where l != "und" && !m.reportedLanguages.contains(l) {
                throw ValidationError("--keep: '\(l)' is not a language of the model (\(m.reportedLanguages.joined(separator: ",")))")
            }
            o.keep = set
        }
        o.minScore = minScore ?? 0.65
        o.dropLowScore = dropLowScore || minScore != nil || keep != nil || minScorePreset != nil
        if let p = minScorePreset {
            guard p == FineWeb2Preset.name else { throw ValidationError("--min-score-preset \(p): unknown (known: \(FineWeb2Preset.name))") }
            do { o.scorePreset = try FineWeb2Preset() } catch let e as PresetError { throw ValidationError(e.message) }
        }
        o.topK = topK
        o.sampleBytes = max(0, sampleBytes)
        return LangIDStage(options: o, model: m)
    }

    func run() throws {
        let stage: LangIDStage
        do {
            stage = try makeStage()
        } catch let e as LangIDError {
            // A missing or unreadable model is an argument error (exit 2).
            FileHandle.standardError.write(("llmdata: error: " + e.description + "\n").data(using: .utf8)!)
            throw ArgumentParser.ExitCode(2)
        }
        if benchIdentify {
            try runBenchIdentify(model: stage.model, options: stage.options)
            return
        }
        try finish(StageRunner.run(stage: stage, inputs: input.inputs, format: input.format,
                                   reader: input.reader, options: runFlags.options))
    }
}

extension LangIDRun {
    func runBenchIdentify(model m: LangIDModel, options o: LangIDOptions) throws {
        var texts: [[UInt8]] = []
        for path in input.inputs {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot read") }
            for line in data.split(separator: 0x0A) where !line.isEmpty {
                guard let obj = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                      let t = obj[input.textField] as? String else { continue }
                texts.append(Array(t.utf8))
            }
        }
        let ident = LanguageIdentifier(model: m, sampleBytes: o.sampleBytes)
        var check = 0.0
        let t0 = DispatchTime.now().uptimeNanoseconds
        for t in texts {
            check += t.withUnsafeBufferPointer { ident.identify($0, topK: o.topK) }.score
        }
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        FileHandle.standardError.write("bench-identify: \(texts.count) texts, score sum \(check)\n".data(using: .utf8)!)
        print(String(format: "%.4f", dt))
    }
}

struct LangIDTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the model from DIR/train/<lang>.txt (as built by build-langid-data.sh)."
    )

    @Option(help: "Data directory holding train/<lang>.txt.")
    var data: String

    @Option(name: [.short, .customLong("output")], help: "Model file to write.")
    var output: String

    @Option(name: .customLong("bucket-bits"), help: "log2 of the number of hashed feature buckets.")
    var bucketBits = 16

    @Option(parsing: .unconditional, help: "Threads used to count features, 1 to 1024 (the model is identical for any value).")
    var threads = 2

    func validate() throws {
        if let p = JobsFlag.problem(threads, flag: "--threads") { throw ValidationError(p) }
    }

    func run() throws {
        var o = LangIDTrainOptions()
        o.bucketBits = bucketBits
        o.threads = max(1, threads)
        let log: (String) -> Void = { FileHandle.standardError.write(("langid train: " + $0 + "\n").data(using: .utf8)!) }
        let (model, report) = try LangIDTrainer.train(dataDir: data, options: o, logger: log)
        try model.write(to: output)
        for l in report.languages {
            let l = l
            let acc = report.heldOutAccuracy[l].map { String(format: "%.4f", $0) } ?? "script"
            log("\(l)\tlines \(report.trainLines[l] ?? 0)\tbytes \(report.trainBytes[l] ?? 0)\theld-out accuracy \(acc)")
        }
        log("wrote \(output)")
    }
}
