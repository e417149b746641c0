import CPCRE2Shim
import Foundation
import LLMDataCore

/// Counts pre-tokenized words in records; one per worker thread.
final class WordCountVisitor: RecordWorker {
    let counts = WordCounts(capacity: 1 << 16)
    let splitter: SplitChain.Splitter
    let shardIndex: Int
    let shardCount: Int
    let byRecord: Bool
    var failure: String?

    init(_ pre: SplitChain, shardIndex: Int, shardCount: Int, byRecord: Bool) {
        splitter = pre.makeSplitter()
        self.shardIndex = shardIndex
        self.shardCount = shardCount
        self.byRecord = byRecord
    }

    func process(_ doc: inout Document) -> Verdict {
        if byRecord && (doc.fileIndex + doc.line) % shardCount != shardIndex { return .keep }
        let table = counts
        doc.withText { t in
            do {
                try splitter.forEachPiece(t) { table.add($0) }
            } catch {
                if failure == nil { failure = "record \(doc.id): \(error)" }
            }
        }
        return .keep
    }
}

/// What `llmdata bpe count` and the counting phase of `bpe train` read.
public struct CountOptions: Sendable {
    public var pattern: SplitPattern = .cl100k
    /// Custom split regexes (`--split-regex`), applied in sequence; they replace `pattern`.
    public var splitRegexes: [String] = []
    public var split: SplitSpec { splitRegexes.isEmpty ? .builtin(pattern) : .regexes(splitRegexes) }
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Reader batch size when the reader options keep the core's default: small batches keep the
    /// bytes in flight (a few batches per thread) low.
    public var batchBytes = 256 << 10
    public var strict = false
    public var quiet = false
    public var maxWarnings = 100
    public init() {}
}

public struct CountResult {
    public var counts: WordCounts
    public var stats: RunStats
    public var seconds: Double
}

public enum BPECounting {
    /// Counts the words of `inputs` (or of this shard of them, `reader.share`) on `jobs` threads.
    /// Shards: with at least as many input files as shards, file k belongs to shard k mod n, as in
    /// every stage (`TaskShare`); otherwise the record on line L of file k belongs to shard
    /// (k + L) mod n, so that no task is idle (counts add up, a file may be split; a stage that
    /// writes records cannot split a file). Standard input cannot be split.
    public static func count(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: CountOptions) throws -> CountResult {
        let t0 = Clock.now()
        let share = reader.share
        if let p = share.problem { throw LLMDataError(p) }
        let pre: SplitChain
        do { pre = try SplitChain(options.split) } catch let e as PreTokenizerError { throw LLMDataError(e.description) }
        let all = try InputDiscovery.discover(inputs, formatOverride: format)
        var files = all
        var byRecord = false
        if !share.isWhole {
            if all.count >= share.count {
                files = try share.select(all)
            } else {
                _ = try share.select(all)  // refuses stdin
                byRecord = true
            }
        }
        var reader = reader
        // 256 KB batches unless --batch-bytes chose another size
        if reader.batchBytes == ReaderOptions().batchBytes { reader.batchBytes = options.batchBytes }
        let (visitors, stats) = try RecordScanner.scan(files: files, reader: reader, jobs: options.jobs, stageName: "bpe",
                                                       strict: options.strict, quiet: options.quiet, maxWarnings: options.maxWarnings) {
            WordCountVisitor(pre, shardIndex: share.index, shardCount: share.count, byRecord: byRecord)
        }
        for v in visitors { if let f = v.failure { throw LLMDataError("pre-tokenization failed: \(f)") } }
        // merge per-thread tables into the largest (the order of the words is arbitrary until
        // `sortByBytes`, which CountsFile.write and `bpe train` apply)
        var sorted = visitors.sorted { $0.counts.count > $1.counts.count }
        let total = sorted.isEmpty ? WordCounts() : sorted.removeFirst().counts
        for v in sorted {
            total.merge(v.counts)
            v.counts.removeAll()
        }
        llm_release_free_memory()
        return CountResult(counts: total, stats: stats, seconds: Clock.now() - t0)
    }
}

public struct TrainRunOptions: Sendable {
    public var count = CountOptions()
    public var trainer = BPETrainerOptions()
    public var output = "tokenizer.json"
    public var tiktokenPath: String?
    public var countsFiles: [String] = []
    public var statsPath: String?
    public init() {}
}

public enum BPETrainRun {
    /// `llmdata bpe train`: count words (from inputs and/or counts files), train, write outputs.
    public static func run(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: TrainRunOptions) throws -> (TrainedBPE, BPETrainStats) {
        let t0 = Clock.now()
        if !reader.share.isWhole {
            throw LLMDataError("bpe train learns from all its inputs at once; it does not run as --shard-count \(reader.share.count) tasks",
                               hint: "count each share with `llmdata bpe count INPUT... --shard-index i --shard-count n -o counts-i.bin`, then `llmdata bpe train --counts counts-*.bin`")
        }
        if options.tiktokenPath != nil, case .regexes(let rs) = options.count.split, rs.count > 1 {
            throw LLMDataError("--tiktoken: tiktoken applies one split regex, not a sequence of \(rs.count) --split-regex",
                               hint: "drop --tiktoken (tokenizer.json holds the sequence), or give one --split-regex")
        }
        if let m = options.trainer.maxTokenLength, m < 1 {
            throw LLMDataError("--max-token-length \(m): give a length of at least 1 character")
        }
        let base = baseVocabSize(specials: options.trainer.specialTokens)
        if options.trainer.vocabSize < base && !options.count.quiet {
            // HF's BpeTrainer also keeps every byte and special token whatever the size asked for;
            // say so rather than write a larger vocabulary silently
            let nSpecial = base - 256
            Diagnostics.warning(stage: "bpe train", "--vocab-size \(options.trainer.vocabSize) is below the 256 byte tokens"
                                + (nSpecial > 0 ? " + \(nSpecial) special token\(nSpecial == 1 ? "" : "s")" : "")
                                + " every byte-level vocabulary holds: the tokenizer will have those \(base) tokens and no merges (as HF tokenizers' BpeTrainer does)")
        }
        var words = WordCounts(capacity: 1 << 16)
        var runStats = RunStats()
        var countSeconds = 0.0
        if !inputs.isEmpty || options.countsFiles.isEmpty {
            let r = try BPECounting.count(inputs: inputs, format: format, reader: reader, options: options.count)
            words = r.counts
            runStats = r.stats
            countSeconds = r.seconds
        }
        let tc = Clock.now()
        for f in options.countsFiles {
            let part = WordCounts(capacity: 1 << 16)
            let name = try CountsFile.read(path: f, into: part)
            if name != options.count.split.name {
                let theirs = SplitSpec(name: name)?.flags ?? "an unknown split (\(name))"
                throw LLMDataError("\(f): counted with \(theirs), not \(options.count.split.flags)",
                                   hint: "train with the options the counts were made with, or count again with \(options.count.split.flags)")
            }
            if words.count == 0 { words = part } else { words.merge(part) }
        }
        // the canonical order: the trainer sees the same word list whatever --jobs, the task
        // split or the counts files were (see WordCounts.sortByBytes)
        words.sortByBytes()
        let readCounts = Clock.now() - tc
        let countPeak = peakRSSBytes()
        var topt = options.trainer
        topt.progress = options.trainer.progress && !options.count.quiet && isatty(2) != 0
        let trainer = BPETrainer(options: topt)
        let model = trainer.train(words: words, releaseWords: true)
        var stats = trainer.stats
        if model.vocab.count < options.trainer.vocabSize && options.trainer.vocabSize > base && !options.count.quiet {
            let why: String
            switch stats.stop {
            case .minFrequency(let c):
                why = "the most frequent pair left occurs \(c) time\(c == 1 ? "" : "s"), below --min-frequency \(options.trainer.minFrequency)"
            case .noPairs, .vocabSize:
                why = "no pair is left to merge (every word of the input is one token"
                    + (options.trainer.maxTokenLength.map { " or would make a token of \($0) characters or more, --max-token-length" } ?? "") + ")"
            }
            Diagnostics.warning(stage: "bpe train", "stopped at vocab \(model.vocab.count) of --vocab-size \(options.trainer.vocabSize): \(why); more text"
                                + (stats.stop == .noPairs ? "" : " or a lower --min-frequency") + " would reach the size asked for")
        }
        stats.phases.insert(("count_words", countSeconds), at: 0)
        stats.phasePeakRSS.insert(("count_words", countPeak), at: 0)
        if !options.countsFiles.isEmpty { stats.phases.insert(("read_counts", readCounts), at: 1) }
        let tw = Clock.now()
        try write(TokenizerJSON.serialize(model, split: options.count.split), to: options.output)
        if let t = options.tiktokenPath {
            try write(TiktokenFile.serialize(model), to: t)
            try write(TiktokenFile.sidecar(model, split: options.count.split), to: TiktokenFile.sidecarPath(t))
        }
        stats.phases.append(("write", Clock.now() - tw))
        if let sp = options.statsPath {
            var splitInfo: [(String, JSONValue)] = [("pattern", .string(options.count.pattern.rawValue))]
            if case .regexes(let rs) = options.count.split {
                splitInfo = [("split_regex", .array(rs.map { .string($0) }))]
            }
            let stop: String
            switch stats.stop {
            case .vocabSize: stop = "vocab_size"
            case .minFrequency: stop = "min_frequency"
            case .noPairs: stop = "no_pairs"
            }
            let extra: [(String, JSONValue)] = splitInfo + [
                ("words", .int(Int(stats.words))),
                ("unique_words", .int(stats.uniqueWords)),
                ("pairs", .int(stats.pairs)),
                ("merge_steps", .int(stats.mergeSteps)),
                ("pairs_created", .int(stats.pairsCreated)),
                ("queue_max", .int(stats.heapMax)),
                ("merges", .int(model.merges.count)),
                ("vocab_size", .int(model.vocab.count)),
                ("vocab_size_asked", .int(options.trainer.vocabSize)),
                ("stopped_by", .string(stop)),
                ("phase_seconds", .object(stats.phases.map { ($0.0, .double(($0.1 * 1000).rounded() / 1000)) })),
                ("phase_peak_rss_bytes", .object(stats.phasePeakRSS.map { ($0.0, .int($0.1)) })),
                ("peak_rss_bytes", .int(peakRSSBytes())),
            ]
            try write(Array((runStats.json(stage: "bpe train", seconds: Clock.now() - t0, extra: extra)).utf8), to: sp)
        }
        return (model, stats)
    }

    /// The size of the vocabulary before any merge: the distinct special tokens and the 256
    /// byte-level characters (a special token spelled as one of them shares its id). A smaller
    /// `--vocab-size` still gets all of them.
    public static func baseVocabSize(specials: [String]) -> Int {
        var seen = Set<[UInt8]>()
        for s in specials { seen.insert(Array(s.utf8)) }
        for b in 0..<256 { seen.insert(ByteLevel.utf8ForByte[b]) }
        return seen.count
    }

    /// `llmdata bpe count`: word counts of one shard to a counts file.
    public static func count(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: CountOptions,
                             output: String, statsPath: String?) throws -> CountResult {
        let r = try BPECounting.count(inputs: inputs, format: format, reader: reader, options: options)
        try CountsFile.write(r.counts, pattern: options.split.name, to: output)
        if let sp = statsPath {
            var splitInfo: [(String, JSONValue)] = [("pattern", .string(options.pattern.rawValue))]
            if case .regexes(let rs) = options.split {
                splitInfo = [("split_regex", .array(rs.map { .string($0) }))]
            }
            let extra: [(String, JSONValue)] = splitInfo + [
                ("shard_index", .int(reader.share.index)),
                ("shard_count", .int(reader.share.count)),
                ("words", .int(Int(r.counts.total))),
                ("unique_words", .int(r.counts.count)),
                ("peak_rss_bytes", .int(peakRSSBytes())),
            ]
            try write(Array((r.stats.json(stage: "bpe count", seconds: r.seconds, extra: extra)).utf8), to: sp)
        }
        return r
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let sink = try openByteSink(path: path)
        do {
            try sink.write(bytes)
            try sink.finish()
        } catch {
            sink.abort()
            throw error
        }
    }
}
