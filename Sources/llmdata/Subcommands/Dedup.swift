import ArgumentParser
import LLMDataCore
import LLMDataDedup

extension DedupMode: ExpressibleByArgument {}

struct Dedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove exact and near-duplicate documents, or boilerplate lines repeated across documents.",
        discussion: "Reads the inputs twice (files, not stdin): once to decide, once to write. The first record in input order is kept. See docs/dedup.md."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var runFlags: RunFlags

    @Option(help: "exact (hash of the normalized text), minhash (near duplicates) or lines (boilerplate lines).")
    var mode: DedupMode = .exact

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

    func run() throws {
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
        try finish(DedupRunner.run(inputs: input.inputs, format: input.format, reader: input.reader, options: o,
                                   run: runFlags.options))
    }
}
