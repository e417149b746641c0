import Foundation
import LLMDataCore
import LLMDataShards
import LLMDataBPEEncoding

public struct TokenizeOptions: Sendable {
    /// A HF `tokenizer.json`, or
    public var tokenizerJSON: String?
    /// a tiktoken ranks file with its split pattern.
    public var tiktoken: String?
    /// nil: inferred from the number of ranks (`TiktokenPattern.forRankCount`), else cl100k.
    public var pattern: TiktokenPattern?
    /// The EOS written after every document: a token string, a numeric id, `none`, or nil for the
    /// tokenizer's default.
    public var eos: String?
    /// A token written before every document (a token string or a numeric id), or nil for none.
    public var bos: String?
    public var allowSpecial = false
    public var shards = ShardWriter.Options()
    public var overwrite = false
    /// Encode only and write nothing (measures encoding alone in benchmarks).
    public var discard = false
    /// Write each document's record id beside its shard (`shard-NNNNN.ids`).
    public var recordIDs = false
    public init() {}
}

/// Loads the tokenizer named by the options and describes it for the manifest.
public func loadModel(_ o: TokenizeOptions) throws -> (BPEModel, Manifest.TokenizerInfo) {
    if let given = o.tokenizerJSON {
        let p = try resolveTokenizerJSON(given)
        let m = try BPEModel.loadTokenizerJSON(path: p)
        return (m, .init(name: (p as NSString).lastPathComponent, kind: "tokenizer.json", sha256: try SHA256.hex(ofFile: p),
                         pattern: nil, path: absolute(p)))
    }
    if let p = o.tiktoken {
        let m = try BPEModel.loadTiktoken(path: p, pattern: o.pattern)
        return (m, .init(name: (p as NSString).lastPathComponent, kind: "tiktoken", sha256: try SHA256.hex(ofFile: p),
                         pattern: m.tiktokenPattern?.rawValue, path: absolute(p)))
    }
    throw LLMDataError("no tokenizer given", hint: "pass --tokenizer tokenizer.json, or --tiktoken FILE --pattern gpt2|cl100k|o200k|llama3|qwen2")
}

/// A tokenizer.json path: the file itself, or a model directory (as downloaded from the HF hub)
/// that holds one.
public func resolveTokenizerJSON(_ p: String) throws -> String {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue else { return p }
    let inside = (p as NSString).appendingPathComponent("tokenizer.json")
    if FileManager.default.fileExists(atPath: inside) { return inside }
    // Meta's and Qwen's own releases ship tiktoken ranks files instead
    for (file, pattern) in [("original/tokenizer.model", "llama3"), ("tokenizer.model", "llama3"), ("qwen.tiktoken", "qwen2")] {
        let f = (p as NSString).appendingPathComponent(file)
        if FileManager.default.fileExists(atPath: f) {
            throw LLMDataError("\(p) is a directory without a tokenizer.json", hint: "it has \(file): if that is a tiktoken ranks file, pass --tiktoken \(f) --pattern \(pattern)")
        }
    }
    throw LLMDataError("\(p) is a directory without a tokenizer.json", hint: "pass a byte-level BPE tokenizer.json (--tokenizer) or a tiktoken ranks file (--tiktoken)")
}

func absolute(_ p: String) -> String {
    p.hasPrefix("/") ? p : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
}

/// Resolves `--eos`: nil → the tokenizer's default, `none` → no separator.
public func resolveEOS(_ spec: String?, model: BPEModel) throws -> Int? {
    guard let spec else {
        guard let (_, id) = model.defaultEOS else {
            throw LLMDataError("the tokenizer has no <|endoftext|>, <|end_of_text|>, </s> or <eos> token",
                               hint: "pass --eos TOKEN, --eos ID or --eos none")
        }
        return Int(id)
    }
    return try resolveToken(spec, flag: "--eos", model: model)
}

/// Resolves `--bos`: nil or `none` → no token before documents.
public func resolveBOS(_ spec: String?, model: BPEModel) throws -> Int? {
    guard let spec else { return nil }
    return try resolveToken(spec, flag: "--bos", model: model)
}

/// A special token's name or an id in the vocabulary; `none` → nil.
func resolveToken(_ spec: String, flag: String, model: BPEModel) throws -> Int? {
    if spec == "none" { return nil }
    if let id = model.specials[spec] { return Int(id) }
    let limit = model.idCount
    if let n = Int(spec), n >= 0, n < limit { return n }
    let names = model.specials.sorted { $0.value < $1.value }.prefix(6).map(\.key).joined(separator: ", ")
    throw LLMDataError("\(flag) \(spec) is neither a special token of the tokenizer nor an id in range",
                       hint: (names.isEmpty ? "give" : "special tokens include \(names); or give") + " an id from 0 to \(limit - 1), or none")
}

/// Encodes the records of a batch and packs them into compressed frames (or only counts tokens
/// with `discard`).
public final class TokenizeWorker: RecordWorker {
    let encoder: Encoder
    let frames: FrameEncoder?
    let eos: Bool
    let bos: UInt32?
    var tokens: [UInt32] = []
    var counted = (documents: 0, tokens: 0)
    /// `--ids`: the batch's record ids, one JSON string per line.
    var ids: [UInt8]?
    /// Documents by their token count, log2 bins (`tokens_per_doc_log2.K`).
    var tokenBins = [Int](repeating: 0, count: Log2Histogram.bins)

    init(model: BPEModel, allowSpecial: Bool, frames: FrameEncoder?, eos: Bool, bos: Int?, sharedCache: SharedPieceCache?,
         privateCache: PieceCache?) throws {
        encoder = try Encoder(model: model, sharedCache: sharedCache, privateCache: privateCache)
        encoder.allowSpecial = allowSpecial
        self.frames = frames
        self.eos = eos
        self.bos = bos.map { UInt32($0) }
    }

    public func process(_ doc: inout Document) -> Verdict {
        tokens.removeAll(keepingCapacity: true)
        if let bos { tokens.append(bos) }  // the encoder appends after it
        doc.withText { encoder.encode($0, into: &tokens) }
        if let frames {
            tokens.withUnsafeBufferPointer { frames.add(document: $0) }
        }
        counted.documents += 1
        if ids != nil {
            JSONWriter.appendString(doc.id, to: &ids!)
            ids!.append(0x0A)
        }
        let n = tokens.count + (eos ? 1 : 0)
        counted.tokens += n
        tokenBins[Log2Histogram.bin(n)] += 1
        return .keep
    }

    public func finishBatch(_ counters: inout Counters) -> (EncodedBatch, Int, Int) {
        Log2Histogram.flush(&tokenBins, prefix: "tokens_per_doc_log2", into: &counters)
        defer {
            counted = (0, 0)
            if ids != nil { ids = [] }
        }
        var b = frames?.finishBatch() ?? EncodedBatch()
        b.ids = ids
        return (b, counted.documents, counted.tokens)
    }
}

/// Makes the encoders' first piece cache and faults its memory in on a thread of its own.
final class CacheWarmer: @unchecked Sendable {
    private(set) var shared: SharedPieceCache?
    private(set) var `private`: PieceCache?
    private let done = DispatchSemaphore(value: 0)

    init(shared: Bool) {
        let t = Thread { [self] in
            if shared {
                let c = SharedPieceCache()
                c.prefault()
                self.shared = c
            } else {
                let c = PieceCache()
                c.prefault()
                self.private = c
            }
            done.signal()
        }
        t.start()
    }

    func wait() { done.wait() }
}

/// The tokenize stage: a sink whose batch results (encoded frames, documents, tokens) go to a
/// `ShardWriter` in input order. Loading the tokenizer happens here, before any input is read.
public final class TokenizeStage: RecordStage, @unchecked Sendable {
    public let name = "tokenize"
    public let options: TokenizeOptions
    public let model: BPEModel
    public let info: Manifest.TokenizerInfo
    public let eos: Int?
    public let bos: Int?
    /// Seconds spent loading the vocabulary.
    public let loadSeconds: Double
    let jobs: Int
    var writer: ShardWriter?
    var sharedCache: SharedPieceCache?
    var privateCache: PieceCache?

    public init(options: TokenizeOptions, jobs: Int, quiet: Bool) throws {
        let start = Clock.now()
        self.options = options
        self.jobs = jobs
        // The piece cache the encoders start with (shared at --jobs > 1, else the one encoder's
        // own) is made and faulted in on another thread while this one loads the vocabulary: the
        // first write to each of its huge pages otherwise costs the encoders ~20 ms (16 MiB) of
        // page clearing in the middle of encoding, on cores that are busy by then.
        let caches = CacheWarmer(shared: jobs > 1)
        (model, info) = try loadModel(options)
        // `load_seconds` ends here: a wait for the caches (a vocabulary that loads faster
        // than they fault in) counts as encoding time, not as loading.
        loadSeconds = Clock.now() - start
        caches.wait()
        sharedCache = caches.shared
        privateCache = caches.private
        eos = try resolveEOS(options.eos, model: model)
        bos = try resolveBOS(options.bos, model: model)
        if options.bos == nil, let lead = model.postProcessorBOS, !quiet {
            // HF's encode(text) and Megatron's preprocess_data.py with this tokenizer start
            // every document with it; say so rather than differ silently
            Diagnostics.warning(stage: "tokenize", "the tokenizer's post-processor puts \(lead) before every text (HF's encode); no token is written before documents unless --bos \"\(lead)\" (--bos none silences this)")
        }
    }

    /// The shard writer the workers' frame encoders belong to; call before the workers are made.
    public func openWriter(dir: String, overwrite: Bool, keeping: Set<String> = []) throws -> ShardWriter {
        let w = try ShardWriter(dir: dir, vocabSize: model.idCount, eosID: eos, bosID: bos, tokenizer: info,
                                options: options.shards, overwrite: overwrite, keeping: keeping)
        writer = w
        return w
    }

    public func makeWorker() throws -> TokenizeWorker {
        // With several workers, one piece cache for all of them (each would otherwise learn every
        // common piece by itself); one worker keeps its private cache, which goes to the first.
        defer { privateCache = nil }
        let w = try TokenizeWorker(model: model, allowSpecial: options.allowSpecial,
                                   frames: writer?.makeFrameEncoder(compress: jobs > 1), eos: eos != nil, bos: bos,
                                   sharedCache: sharedCache, privateCache: privateCache)
        if options.recordIDs { w.ids = [] }
        return w
    }

    /// The stats fields tokenize adds.
    public func stats(documents: Int, tokens: Int, shards: Int, bytesIn: Int) -> [(String, JSONValue)] {
        [("documents", .int(documents)), ("tokens", .int(tokens)),
         ("shards", .int(shards)),
         ("load_seconds", .double((loadSeconds * 1000).rounded() / 1000)),
         ("bytes_per_token", .double(tokens > 0 ? (Double(bytesIn) / Double(tokens) * 1000).rounded() / 1000 : 0))]
    }
}

public enum TokenizeRunner {
    /// `llmdata tokenize`: records → token shards in `outDir`.
    public static func run(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: TokenizeOptions,
                           outDir: String, run: RunOptions) -> ExitCode {
        let start = Clock.now()
        tuneAllocator()
        var writer: ShardWriter?
        do {
            // this task's files (all of them unless --shard-count), before any output is touched
            let files = try InputDiscovery.discover(inputs, formatOverride: format, share: reader.share)
            let stage = try TokenizeStage(options: options, jobs: run.jobs, quiet: run.quiet)
            if !options.discard { try TaskClaim.take(dir: outDir, share: reader.share, overwrite: options.overwrite) }
            let w = options.discard ? nil : try stage.openWriter(dir: outDir, overwrite: options.overwrite)
            writer = w
            var discarded = (documents: 0, tokens: 0)
            let (_, stats) = try RecordScanner.scanOrdered(
                files: files, reader: reader, jobs: run.jobs, stageName: "tokenize", strict: run.strict, quiet: run.quiet,
                maxWarnings: run.maxWarnings, make: { try stage.makeWorker() },
                consume: { result, _ in
                    let (batch, documents, tokens) = result
                    if let w {
                        try w.add(batch)
                    } else {
                        discarded.documents += documents
                        discarded.tokens += tokens
                    }
                })
            if stats.recordsIn == 0 && !(files.isEmpty && !reader.share.isWhole) {
                // nothing read: no shard set is made (a task with no files of its own is fine)
                w?.abort()
                writer = nil
                if let sp = run.statsPath {
                    try writeStats(stats, stage: "tokenize", seconds: Clock.now() - start, extra: [], to: sp)
                }
                Diagnostics.noRecordsRead(stage: "tokenize", files: files)
                return .fatal
            }
            let manifest = try w?.finish()
            let seconds = Clock.now() - start
            let documents = manifest?.documents ?? discarded.documents
            let tokenCount = manifest?.tokens ?? discarded.tokens
            if !run.quiet {
                Diagnostics.write("llmdata tokenize: \(documents) documents, \(tokenCount) tokens" + (manifest.map { " (\($0.dtype.rawValue)) in \($0.shards.count) shard(s) -> \(outDir)" } ?? " (discarded)") + "\n")
            }
            if let sp = run.statsPath {
                var s = stats
                s.bytesOut = manifest?.shards.reduce(0) { $0 + $1.bytes } ?? 0
                try writeStats(s, stage: "tokenize", seconds: seconds,
                               extra: stage.stats(documents: documents, tokens: tokenCount, shards: manifest?.shards.count ?? 0, bytesIn: stats.bytesIn),
                               to: sp)
            }
            return .success
        } catch {
            writer?.abort()
            return Diagnostics.exitCode(for: error, stage: "tokenize")
        }
    }
}

/// Which task of a split run (`--shard-index/--shard-count`) a shard directory belongs to:
/// `DIR/.llmdata-task` holds `task I of N`. Every task writes its own shard set (shard numbers,
/// the manifest and the removal of an unfinished set's files are per directory), so a task
/// refuses a directory another task has claimed, --overwrite or not, instead of removing that
/// task's shards; the same task again (a rerun) may replace its own set.
enum TaskClaim {
    static let name = ".llmdata-task"

    static func take(dir: String, share: TaskShare, overwrite: Bool) throws {
        let path = (dir as NSString).appendingPathComponent(name)
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let isDirectory = fm.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue
        if share.isWhole {
            // a one-process run writes the whole set: an earlier task's claim no longer holds
            if isDirectory && (overwrite || !fm.fileExists(atPath: (dir as NSString).appendingPathComponent("manifest.json"))) {
                unlink(path)
            }
            return
        }
        if fm.fileExists(atPath: dir) && !isDirectory { return }  // ShardWriter names the problem
        try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let mine = "\(share)\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 {
            let ok = Array(mine.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
            close(fd)
            if !ok { throw LLMDataError("\(path): cannot write: \(String(cString: strerror(errno)))") }
            return
        }
        if errno != EEXIST { return }  // an unwritable directory: ShardWriter names the problem
        let held = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if held == mine { return }
        let who = held.trimmingCharacters(in: .whitespacesAndNewlines)
        throw LLMDataError("\(dir) holds the shards of \(who.isEmpty ? "another task" : who) (\(path)); this is \(share)",
                           hint: "give each task its own shard directory, such as -o OUT/task-\(share.index); remove \(dir) if that set is no longer wanted")
    }
}
