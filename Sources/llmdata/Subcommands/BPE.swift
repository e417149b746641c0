import ArgumentParser
import Foundation
import LLMDataBPETraining
import LLMDataCore

extension SplitPattern: ExpressibleByArgument {}

struct BPE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bpe",
        abstract: "Byte-level BPE: train a tokenizer identical to HF tokenizers' BpeTrainer, count words by shard.",
        subcommands: [BPETrain.self, BPECount.self, BPEPretokenize.self]
    )
}

/// Runs `body`; an LLMDataError is printed as `llmdata bpe: error: …` and exits with its code
/// (1 for --strict violations, 2 otherwise).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as LLMDataError {
        Diagnostics.write("llmdata bpe: error: \(e.message)\n" + (e.hint.map { "hint: \($0)\n" } ?? ""))
        throw ArgumentParser.ExitCode(e.exitCode.rawValue)
    }
}

/// Options shared by the bpe subcommands.
struct BPECommon: ParsableArguments {
    @Option(help: "Split pattern: gpt2, cl100k, o200k, llama3 or qwen2 (default: cl100k).")
    var pattern: SplitPattern?

    @Option(name: .customLong("split-regex"), help: ArgumentHelp("A custom split regex (PCRE2 syntax) instead of --pattern; repeat it to split each piece again, as HF tokenizers' Sequence of Split pre-tokenizers does.", valueName: "regex"))
    var splitRegex: [String] = []

    @Option(parsing: .unconditional, help: "Worker threads for reading and counting, 1 to 1024 (default: all cores).")
    var jobs: Int?

    @Option(help: "Write run statistics (phase seconds, words, unique words, peak memory) as JSON to this file.")
    var stats: String?

    @Flag(help: "Stop with exit code 1 at the first bad record or input.")
    var strict = false

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        if let j = jobs, let p = JobsFlag.problem(j) { throw ValidationError(p) }
        if pattern != nil && !splitRegex.isEmpty {
            throw ValidationError("--pattern and --split-regex both choose the split: give one of them")
        }
        if splitRegex.contains("") { throw ValidationError("--split-regex \"\" is empty: give a regex such as '\\p{N}{1,3}'") }
    }

    var countOptions: CountOptions {
        var o = CountOptions()
        o.pattern = pattern ?? .cl100k
        o.splitRegexes = splitRegex
        o.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        o.strict = strict
        o.quiet = quiet
        return o
    }
}

struct BPETrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train byte-level BPE and write tokenizer.json (and optionally tiktoken ranks).",
        discussion: "Merges, vocab and ids equal HF tokenizers' BpeTrainer with the same split pattern and ByteLevel alphabet. Special tokens take ids 0, 1, … in the order given. See docs/bpe.md."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var common: BPECommon

    @Option(name: .customLong("vocab-size"), help: "Vocabulary size, special tokens and the 256 byte tokens included.")
    var vocabSize: Int

    @Option(name: [.short, .customLong("output")], help: "Where to write tokenizer.json.")
    var output: String

    @Option(name: .customLong("special"), help: "A special token (repeatable); ids 0, 1, … in this order.")
    var special: [String] = []

    @Option(name: .customLong("min-frequency"), help: "Stop when the best pair occurs fewer times than this.")
    var minFrequency: UInt64 = 0

    @Option(name: .customLong("max-token-length"), help: "No merge makes a token of this many characters (bytes) or more, as HF tokenizers' BpeTrainer max_token_length does.")
    var maxTokenLength: Int?

    @Option(help: "Also write tiktoken ranks (base64 token, rank = tokenizer.json id) to this file, and FILE.json with the pattern and special tokens (tiktoken.Encoding's pat_str and special_tokens).")
    var tiktoken: String?

    @Option(name: .customLong("counts"), parsing: .upToNextOption, help: "Word-counts files from `llmdata bpe count` to train on (added to any inputs).")
    var counts: [String] = []

    func validate() throws {
        if vocabSize < 1 { throw ValidationError("--vocab-size must be positive") }
        if special.contains("") { throw ValidationError("--special \"\" is an empty token: give the special token's text, such as <|endoftext|>") }
        if let m = maxTokenLength, m < 1 { throw ValidationError("--max-token-length must be at least 1") }
        if tiktoken != nil && common.splitRegex.count > 1 {
            throw ValidationError("--tiktoken: tiktoken applies one split regex, not a sequence of \(common.splitRegex.count) --split-regex (tokenizer.json holds the sequence)")
        }
    }

    func run() throws {
        var o = TrainRunOptions()
        o.count = common.countOptions
        o.trainer.vocabSize = vocabSize
        o.trainer.minFrequency = minFrequency
        o.trainer.specialTokens = special
        o.trainer.maxTokenLength = maxTokenLength
        o.trainer.progress = !common.quiet
        o.output = output
        o.tiktokenPath = tiktoken
        o.countsFiles = counts
        o.statsPath = common.stats
        try reportingErrors {
            let (model, stats) = try BPETrainRun.run(inputs: input.inputs, format: input.format, reader: input.reader, options: o)
            if !common.quiet {
                let phases = stats.phases.map { String(format: "%@ %.2fs", $0.0, $0.1) }.joined(separator: ", ")
                let short = model.vocab.count < vocabSize ? " of \(vocabSize) asked" : ""
                Diagnostics.write("llmdata bpe train: \(stats.words) words, \(stats.uniqueWords) unique, vocab \(model.vocab.count)\(short), \(model.merges.count) merges (\(phases))\n")
            }
        }
    }
}

struct BPECount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Count pre-tokenized words of one shard into a counts file for `bpe train --counts`.",
        discussion: "--shard-index i --shard-count n: with at least as many input files as shards, file k goes to shard k mod n (as in every stage); otherwise the record on line L of file k goes to shard (k + L) mod n (counts add up, so a file may be split). Training on the merged counts of all shards equals training on the whole input. Words are written in ascending byte order, so the file depends only on the counts (not on --jobs, the run or the task split)."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var common: BPECommon

    @Option(name: [.short, .customLong("output")], help: "Where to write the counts (.bin; .zst or .gz compress).")
    var output: String

    func run() throws {
        try reportingErrors {
            let r = try BPETrainRun.count(inputs: input.inputs, format: input.format, reader: input.reader, options: common.countOptions,
                                          output: output, statsPath: common.stats)
            if !common.quiet {
                Diagnostics.write("llmdata bpe count: shard \(input.shardIndex)/\(input.shardCount): \(r.counts.total) words, \(r.counts.count) unique\n")
            }
        }
    }
}

struct BPEPretokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretokenize",
        abstract: "Print each record's pre-tokenization pieces as a JSON array per line (for checks).",
        shouldDisplay: false
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Split pattern: gpt2, cl100k, o200k, llama3 or qwen2.")
    var pattern: SplitPattern = .cl100k

    @Option(name: .customLong("split-regex"), help: "Custom split regexes instead of --pattern, applied in sequence.")
    var splitRegex: [String] = []

    func run() throws {
        try reportingErrors {
            try PretokenizeDump.run(inputs: input.inputs, format: input.format, reader: input.reader,
                                    split: splitRegex.isEmpty ? .builtin(pattern) : .regexes(splitRegex))
        }
    }
}
