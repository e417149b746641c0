import ArgumentParser
import LLMDataCore
import LLMDataDedup

extension DedupMode: ExpressibleByArgument {}

/// Key and MinHash options shared by the dedup subcommands.
struct DedupFlags: ParsableArguments {
    @Flag(name: .customLong("digits-to-zero"), help: "Map digits to 0 in the dedup key.")
    var digitsToZero = false
    @Option(help: "minhash: LSH bands.") var bands = 14
    @Option(help: "minhash: rows per band.") var rows = 8
    @Option(help: "minhash: word n-gram size.") var ngram = 5
    @Option(name: .customLong("char-ngram"), help: "minhash: character n-gram size for text without spaces.") var charNgram = 5
    @Option(help: "minhash: estimated Jaccard a candidate pair must reach.") var threshold = 0.8
    @Option(help: "minhash: seed of the permutations.") var seed: UInt64 = 1
    @Option(name: .customLong("line-min-docs"), help: "lines: remove a line found in at least this many documents.") var lineMinDocs = 3
    @Option(name: .customLong("line-min-bytes"), help: "lines: never remove lines shorter than this.") var lineMinBytes = 10

    func validate() throws {
        if bands < 1 || rows < 1 || ngram < 1 || charNgram < 1 { throw ValidationError("bands, rows and n-gram sizes must be positive") }
        if !(0...1).contains(threshold) { throw ValidationError("--threshold is between 0 and 1") }
    }

    func options(mode: DedupMode) -> DedupOptions {
        var o = DedupOptions()
        o.mode = mode
        o.key.digitsToZero = digitsToZero
        o.minhash.bands = bands
        o.minhash.rows = rows
        o.minhash.wordNgram = ngram
        o.minhash.charNgram = charNgram
        o.minhash.threshold = threshold
        o.minhash.seed = seed
        o.lineMinDocuments = lineMinDocs
        o.lineMinBytes = lineMinBytes
        return o
    }
}

struct Dedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove exact and near-duplicate documents, or boilerplate lines repeated across documents.",
        discussion: "`llmdata dedup INPUT...` runs in one process; `signatures`, `clusters` and `apply` are the same MinHash dedup as map/reduce steps for many machines (docs/scale-out.md).",
        subcommands: [Run.self, Signatures.self, Clusters.self, Apply.self],
        defaultSubcommand: Run.self
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Single-process dedup (the default): minhash and lines read the inputs twice (stdin is copied to $TMPDIR first); the first record in input order is kept. It decides over all inputs at once: --shard-count above 1 is refused (many tasks: signatures, clusters, apply).")
        @OptionGroup var input: InputOptions
        @OptionGroup var runFlags: RunFlags
        @Option(help: "exact (hash of the normalized text), minhash (near duplicates) or lines (boilerplate lines).")
        var mode: DedupMode = .exact
        @OptionGroup var dedup: DedupFlags
        @Flag(name: .customLong("bench-minhash"), help: .hidden)
        var benchMinHash = false

        func run() throws {
            if benchMinHash {
                let r = try MinHashBench.run(inputs: input.inputs, format: input.format, reader: input.reader,
                                             options: dedup.options(mode: .minhash), jobs: runFlags.options.jobs)
                print("{\"documents\":\(r.documents),\"shingles\":\(r.shingles),\"signature_seconds\":\(r.signatureSeconds),"
                      + "\"lsh_seconds\":\(r.lshSeconds),\"seconds\":\(r.seconds),\"clusters\":\(r.clusters),"
                      + "\"verified_pairs\":\(r.verifiedPairs),\"removed\":\(r.removed)}")
                return
            }
            try finish(DedupRunner.run(inputs: input.inputs, format: input.format, reader: input.reader,
                                       options: dedup.options(mode: mode), run: runFlags.options))
        }
    }

    struct Signatures: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Map step: MinHash signatures of shard i of n of the input files (--shard-index i --shard-count n) into DIR.")
        @OptionGroup var input: InputOptions
        @OptionGroup var worker: WorkerFlags
        @OptionGroup var dedup: DedupFlags
        @Option(name: [.short, .customLong("output")], help: "Directory for signatures-IIIII.bin and one band-BBB-IIIII.bin per band.") var output: String

        func run() throws {
            do {
                try refuseNonDirectory(output, flag: "-o", names: "the directory for the signature files")
                let t0 = Clock.now()
                let n = try ScaleOut.signatures(inputs: input.inputs, format: input.format, reader: input.reader,
                                                options: dedup.options(mode: .minhash), outDir: output, run: worker.options)
                if !worker.quiet { Diagnostics.write("llmdata dedup signatures: \(n) records -> \(output)\n") }
                if let sp = worker.stats { try writeCountStats(stage: "dedup signatures", seconds: Clock.now() - t0, records: n, [("signatures", .int(n))], to: sp) }
            } catch let e as LLMDataError {
                Diagnostics.error(stage: "dedup signatures", e.message, hint: e.hint)
                throw ArgumentParser.ExitCode(e.exitCode.rawValue)
            }
        }
    }

    struct Clusters: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reduce step: verified pairs for a band range, or the decisions (DIR/decisions.jsonl).")
        @Argument(help: "The directory with signatures-*.bin.") var dir: String
        @OptionGroup var dedup: DedupFlags
        @Option(name: .customLong("band-start"), help: "Only these bands: read their DIR/band-BBB-*.bin (and the signatures of candidate pairs), write DIR/pairs-SSS-CCC.bin.") var bandStart: Int?
        @Option(name: .customLong("band-count")) var bandCount = 1
        @Option(help: "Write the counts (verified pairs; or records to remove and clusters) as JSON to this file.") var stats: String?
        @Flag(help: "No summary line.") var quiet = false

        func run() throws {
            do {
                let t0 = Clock.now()
                if let bandStart {
                    let n = try ScaleOut.pairs(dir: dir, options: dedup.options(mode: .minhash), bandStart: bandStart, bandCount: bandCount)
                    if !quiet { print("\(dir): bands \(bandStart)..<\(bandStart + bandCount): \(n) verified pairs") }
                    if let stats {
                        try writeCountStats(stage: "dedup clusters", seconds: Clock.now() - t0, records: 0,
                                            [("band_start", .int(bandStart)), ("band_count", .int(bandCount)), ("verified_pairs", .int(n))], to: stats)
                    }
                } else {
                    let (removed, clusters) = try ScaleOut.clusters(dir: dir, options: dedup.options(mode: .minhash))
                    if !quiet { print("\(dir)/decisions.jsonl: \(removed) records to remove in \(clusters) clusters") }
                    if let stats {
                        try writeCountStats(stage: "dedup clusters", seconds: Clock.now() - t0, records: 0,
                                            [("removed", .int(removed)), ("clusters", .int(clusters))], to: stats)
                    }
                }
            } catch let e as LLMDataError {
                Diagnostics.error(stage: "dedup clusters", e.message, hint: e.hint)
                throw ArgumentParser.ExitCode(e.exitCode.rawValue)
            }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Final step: drop and annotate the inputs by DIR/decisions.jsonl.")
        @OptionGroup var input: InputOptions
        @OptionGroup var runFlags: RunFlags
        @Option(help: "The directory with decisions.jsonl.") var decisions: String
        @OptionGroup var dedup: DedupFlags

        func run() throws {
            try finish(ScaleOut.apply(inputs: input.inputs, format: input.format, reader: input.reader,
                                      options: dedup.options(mode: .minhash), decisionsDir: decisions, run: runFlags.options))
        }
    }
}
