import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataShards
import LLMDataTokenizeStage
import LLMDataBPEEncoding

extension TiktokenPattern: ExpressibleByArgument {}
extension TiktokenEncoding: ExpressibleByArgument {}

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode records into zstd token shards (docs/shards.md).",
        discussion: "--tokenizer takes an HF tokenizer.json, a tiktoken ranks file, a Mistral Tekken JSON, a SentencePiece model, or a model directory holding one; the kind is detected, printed, and recorded in the manifest (docs/tokenize.md has the table of formats). EOS follows every document; --bos puts a token before each."
    )

    @OptionGroup var input: InputOptions

    @Option(name: .customLong("tokenizer"), help: "A tokenizer file (tokenizer.json, tiktoken ranks, Tekken JSON, SentencePiece .model) or a model directory (tokenizer.json, tekken.json, tokenizer.model, original/tokenizer.model, qwen.tiktoken); the kind is detected.")
    var tokenizer: String?

    @Option(help: "A tiktoken ranks file (base64 token, rank per line), read as tiktoken ranks whatever its name.")
    var tiktoken: String?

    @Option(help: "For a tiktoken ranks file: the named encoding it is (r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, o200k_harmony, llama3, llama4, qwen): its pattern and special-token ids (default: recognized from the ranks).")
    var encoding: TiktokenEncoding?

    @Option(help: "For a tiktoken ranks file of its own: the split pattern (gpt2, cl100k, o200k, llama3, llama4, qwen2). llama3, llama4 and qwen2 number their model's special tokens after the ranks; otherwise the special tokens come from FILE.json beside the file, or there are none.")
    var pattern: TiktokenPattern?

    @Option(help: "End-of-document token: a special token, an id, or none (default: the tokenizer's <|endoftext|>-like token).")
    var eos: String?

    @Option(help: "A token written before every document: a special token (<|begin_of_text|> for Llama 3) or an id (default: none).")
    var bos: String?

    @Flag(name: .customLong("allow-special"), help: "Encode special-token strings in the text as the special tokens (default: plain text).")
    var allowSpecial = false

    @Option(name: [.short, .customLong("output")], help: "The shard directory to write.")
    var output: String

    @Option(name: .customLong("tokens-per-shard"), help: "Start a new shard after this many tokens (at a document boundary).")
    var tokensPerShard = 100_000_000

    @Option(name: .customLong("frame-tokens"), help: "Close a zstd frame once it holds this many tokens (at a document boundary).")
    var frameTokens = 65_536

    @Option(name: .customLong("zstd-level"), parsing: .unconditional, help: "zstd compression level of the shards: 1 to 22, or a negative fast level (1: level 1 with a smaller hash table, tuned for token ids; docs/shards.md).")
    var zstdLevel: Int32 = 1

    @Flag(help: "Replace an existing shard set in the output directory.")
    var overwrite = false

    @Flag(help: "Encode only and write nothing (to measure encoding alone).")
    var discard = false

    @Flag(help: "Write each document's record id beside its shard (shard-NNNNN.ids), for `shards decode --id` and to trace tokens back to records.")
    var ids = false

    @OptionGroup var worker: WorkerFlags

    func validate() throws {
        if (tokenizer == nil) == (tiktoken == nil) {
            throw ValidationError("give exactly one of --tokenizer PATH or --tiktoken FILE")
        }
        if encoding != nil && pattern != nil {
            throw ValidationError("--encoding \(encoding!.rawValue) sets the pattern (\(encoding!.pattern.rawValue)) and the special tokens: drop --pattern")
        }
        if tokensPerShard < 1 || frameTokens < 1 { throw ValidationError("--tokens-per-shard and --frame-tokens must be positive") }
        let levels = ShardWriter.Options.zstdLevels
        if !levels.contains(zstdLevel) {
            throw ValidationError("--zstd-level \(zstdLevel) is not a zstd level: 1 (fast) to \(levels.upperBound) (smallest), or a negative fast level down to \(levels.lowerBound) (0 is zstd's default, 3)")
        }
    }

    /// The options these flags describe (also a recipe's `tokenize:`).
    var options: TokenizeOptions {
        var o = TokenizeOptions()
        o.tokenizer = tokenizer
        o.tiktoken = tiktoken
        o.pattern = pattern
        o.encoding = encoding
        o.eos = eos
        o.bos = bos
        o.allowSpecial = allowSpecial
        o.shards.tokensPerShard = tokensPerShard
        o.shards.frameTokens = frameTokens
        o.shards.zstdLevel = zstdLevel
        o.overwrite = overwrite
        o.discard = discard
        o.recordIDs = ids
        return o
    }

    func run() throws {
        try finish(TokenizeRunner.run(inputs: input.inputs, format: input.format, reader: input.reader, options: options,
                                      outDir: output, run: worker.options))
    }
}

struct Shards: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect, check, merge and convert token shard directories.",
        subcommands: [Verify.self, Decode.self, Merge.self, ExportMegatron.self, ExportDatatrove.self]
    )

    static func fail(_ e: Error) -> ArgumentParser.ExitCode {
        Diagnostics.error(stage: "shards", "\(e)")
        return ArgumentParser.ExitCode(LLMDataCore.ExitCode.fatal.rawValue)
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check sizes, SHA-256, indexes, BOS and EOS placement and token ids; exit 1 on a problem.")
        @Argument(help: "Shard directory.") var dir: String
        @Flag(help: "No summary line; problems are still printed, and the exit code tells.") var quiet = false

        func run() throws {
            let reader: ShardReader
            do { reader = try ShardReader(dir: dir) } catch { throw Shards.fail(error) }
            let r = reader.verify()
            for p in r.problems { Diagnostics.write("llmdata shards: error: \(p)\n") }
            if !quiet { print("\(dir): \(r.shards) shard(s), \(r.documents) documents, \(r.tokens) tokens, \(reader.manifest.dtype.rawValue): " + (r.problems.isEmpty ? "ok" : "\(r.problems.count) problem(s)")) }
            if !r.problems.isEmpty { throw ArgumentParser.ExitCode(LLMDataCore.ExitCode.strictViolation.rawValue) }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a document's text (or its ids) back from the shards.",
            discussion: "The shard's index (SHA-256 and layout), the frame holding the document (its checksum) and every id (below vocab_size) are checked; a corrupt set is refused naming the file (exit 2).")
        @Argument(help: "Shard directory.") var dir: String
        @Option(parsing: .unconditional, help: "Document number, counting from 0 across shards.") var doc: Int?
        @Option(help: "The document with this record id (shards written with tokenize --ids).") var id: String?
        @Option(name: .customLong("tokenizer"), help: "The tokenizer file, or a model directory holding it (default: the path in the manifest).") var tokenizerPath: String?
        @Flag(help: "Print the token ids instead of the text.") var ids = false
        @Flag(help: "No note on stderr naming the document's record id.") var quiet = false

        func validate() throws {
            if (doc == nil) == (id == nil) { throw ValidationError("give one of --doc N or --id ID") }
        }

        func run() throws {
            do {
                let reader = try ShardReader(dir: dir)
                let n = try id.map { try reader.document(withID: $0) } ?? doc!
                // the record the document came from, when the shards hold ids
                if !quiet, let rid = try reader.id(ofDocument: n) { Diagnostics.write("llmdata shards: document \(n): id \(rid)\n") }
                var toks = try reader.document(n)
                if let eos = reader.manifest.eos_id, toks.last == UInt32(eos) { toks.removeLast() }
                if let bos = reader.manifest.bos_id, toks.first == UInt32(bos) { toks.removeFirst() }
                if ids {
                    let out = FDSink()
                    try out.write(Array((toks.map(String.init).joined(separator: " ") + "\n").utf8))
                    try out.finish()
                    return
                }
                let info = reader.manifest.tokenizer
                // the kind, encoding and pattern the manifest records, as tokenize loaded them
                let (model, path) = try reloadModel(info, override: tokenizerPath)
                if try SHA256.hex(ofFile: path) != info.sha256 {
                    Diagnostics.warning(stage: "shards", "\(path) is not the tokenizer the shards were written with (SHA-256 differs)")
                }
                let out = FDSink()
                try out.write(model.decode(toks) + [0x0A])
                try out.finish()
            } catch is BrokenPipe {
                return
            } catch { throw Shards.fail(error) }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join shard sets written by separate tasks into one set (shards hard-linked, or copied across filesystems; one manifest).",
            discussion: "Documents keep the order of the DIR arguments, each set's shards in their order; the shards are renumbered from shard-00000 and keep their bytes and SHA-256. The sets must share the tokenizer file, dtype, vocab_size, eos_id, bos_id and frame_tokens, and all or none hold record ids. The manifest is written last.")
        @Argument(help: "Shard directories, in the order their documents go into the merged set.") var dirs: [String]
        @Option(name: [.short, .customLong("output")], help: "The merged shard directory to write (not one of the inputs).") var output: String
        @Flag(help: "Replace a shard set already in the output directory (its shard files are removed first).") var overwrite = false
        @Flag(help: "Copy the files (checking each against its SHA-256) instead of hard-linking them.") var copy = false
        @Flag(help: "No summary line.") var quiet = false

        func run() throws {
            var o = ShardMerge.Options()
            o.overwrite = overwrite
            o.copy = copy
            let s: ShardMerge.Summary
            do { s = try ShardMerge.merge(inputs: dirs, outDir: output, options: o) } catch { throw Shards.fail(error) }
            if quiet { return }
            let how: String
            switch (s.linked, s.copied) {
            case (_, 0): how = "files hard-linked"
            case (0, _): how = "files copied (\(s.copyReason ?? "copy"))"
            default: how = "\(s.linked) files hard-linked, \(s.copied) copied (\(s.copyReason ?? "copy"))"
            }
            print("\(output): \(s.shards) shard(s) from \(s.sets) set(s), \(s.documents) documents, \(s.tokens) tokens, \(s.dtype.rawValue); \(how)")
        }
    }

    struct ExportMegatron: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-megatron",
            abstract: "Write Megatron-LM's indexed dataset (PREFIX.bin, PREFIX.idx; MMIDIDX, one sequence per document).",
            discussion: "Every shard, index and id is checked as it is read (SHA-256 against the manifest, the index's layout, frame checksums, ids below vocab_size); a set that fails is refused naming the file (exit 2), and nothing is written.")
        @Argument(help: "Shard directory.") var dir: String
        @Option(name: [.short, .customLong("output")], help: "Output prefix: PREFIX.bin and PREFIX.idx are written. A directory (existing, or ending in /) gets DIR/\(ShardReader.megatronDirectoryPrefix).bin/.idx.") var output: String
        @Flag(help: "No summary line.") var quiet = false

        func run() throws {
            do {
                let reader = try ShardReader(dir: dir)
                let prefix = ShardReader.megatronPrefix(for: output)
                let (n, t) = try reader.exportMegatron(prefix: prefix)
                if !quiet {
                    print("\(prefix).bin/.idx: \(n) sequences, \(t) tokens, dtype code \(reader.manifest.dtype == .uint16 ? 8 : 4)"
                          + (prefix == output ? "" : " (-o is a directory; Megatron's --data-path is \(prefix))"))
                }
            } catch { throw Shards.fail(error) }
        }
    }

    struct ExportDatatrove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-datatrove",
            abstract: "Write datatrove's tokenized files (.ds, .ds.index, .ds.metadata; one per shard) for its merger and nanotron's loader.",
            discussion: "Every shard, index and id is checked as it is read (SHA-256 against the manifest, the index's layout, frame checksums, ids below vocab_size); a set that fails is refused naming the file (exit 2), and the files written are removed.")
        @Argument(help: "Shard directory.") var dir: String
        @Option(name: [.short, .customLong("output")], help: "Output directory.") var output: String
        @Flag(help: "Replace an earlier export's shard-*.ds files in the output directory.") var overwrite = false
        @Flag(help: "No summary line.") var quiet = false

        func run() throws {
            do {
                let reader = try ShardReader(dir: dir)
                let (f, d, t) = try reader.exportDatatrove(outDir: output, overwrite: overwrite)
                if !quiet { print("\(output): \(f) .ds file(s), \(d) documents, \(t) tokens, \(reader.manifest.dtype.size) bytes per token") }
            } catch { throw Shards.fail(error) }
        }
    }
}
