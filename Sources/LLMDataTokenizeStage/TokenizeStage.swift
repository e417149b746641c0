import Foundation
import LLMDataCore
import LLMDataShards
import LLMDataBPEEncoding

public struct TokenizeOptions: Sendable {
    /// `--tokenizer`: a tokenizer file of any kind or a model directory (the kind is detected), or
    public var tokenizer: String?
    /// `--tiktoken`: a tiktoken ranks file.
    public var tiktoken: String?
    /// `--pattern` for a tiktoken ranks file (`TiktokenSpec.Choice.pattern`).
    public var pattern: TiktokenPattern?
    /// `--encoding`: the named tiktoken encoding the ranks file is.
    public var encoding: TiktokenEncoding?
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

/// The kinds of tokenizer file `--tokenizer` tells apart (the manifest's `tokenizer.kind`).
public enum TokenizerKind: String, Sendable, CaseIterable {
    case tokenizerJSON = "tokenizer.json", tiktoken, tekken, sentencePiece = "sentencepiece"

    var described: String {
        switch self {
        case .tokenizerJSON: return "an HF tokenizer.json"
        case .tiktoken: return "a tiktoken ranks file"
        case .tekken: return "a Mistral Tekken file"
        case .sentencePiece: return "a SentencePiece model"
        }
    }
}

/// A tokenizer file found by `--tokenizer`: the file (inside a model directory, when one was
/// given) and its kind.
public struct DetectedTokenizer: Sendable, Equatable {
    public var path: String
    public var kind: TokenizerKind
    /// The model directory it was found in, if one was given.
    public var directory: String?
}

/// The files of a model directory that hold its tokenizer, in the order they are looked for:
/// HF's tokenizer.json first (HF downloads of Llama, Mistral and Qwen models have one), then
/// Mistral's tekken.json, then a tokenizer.model (Meta's tiktoken ranks or a SentencePiece model,
/// by its contents), Meta's original/ folder and Qwen's qwen.tiktoken.
public let modelDirectoryFiles = ["tokenizer.json", "tekken.json", "tokenizer.model", "original/tokenizer.model", "qwen.tiktoken"]

/// What `path` is: a model directory is searched for `modelDirectoryFiles`, a file is told by its
/// first bytes (a JSON object: tokenizer.json or Tekken by its keys; lines of base64, space, rank:
/// tiktoken; a protobuf: SentencePiece).
public func detectTokenizer(_ path: String) throws -> DetectedTokenizer {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw LLMDataError("\(path): no such file or directory", hint: "pass --tokenizer with a tokenizer file or a model directory")
    }
    if isDir.boolValue {
        for f in modelDirectoryFiles {
            let inside = (path as NSString).appendingPathComponent(f)
            var sub: ObjCBool = false
            if FileManager.default.fileExists(atPath: inside, isDirectory: &sub), !sub.boolValue {
                var d = try detectTokenizer(inside)
                d.directory = path
                return d
            }
        }
        throw LLMDataError("\(path) is a directory without a tokenizer.json, tekken.json, tokenizer.model, original/tokenizer.model or qwen.tiktoken",
                           hint: "pass the tokenizer file itself with --tokenizer FILE")
    }
    guard let h = FileHandle(forReadingAtPath: path) else { throw LLMDataError("\(path): cannot read") }
    defer { try? h.close() }
    let head = [UInt8]((try? h.read(upToCount: 1 << 16)) ?? Data())
    if head.isEmpty { throw LLMDataError("\(path): empty file, not a tokenizer", hint: "pass a tokenizer.json, tiktoken ranks file, Tekken JSON or SentencePiece model") }
    var i = 0
    if head.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
    while i < head.count, [0x20, 0x09, 0x0A, 0x0D].contains(head[i]) { i += 1 }
    if i < head.count, head[i] == UInt8(ascii: "{") {
        return DetectedTokenizer(path: path, kind: BPEModel.looksLikeTekken(head) ? .tekken : .tokenizerJSON)
    }
    // other JSON, or a .json file that is not JSON: the tokenizer.json reader says what is wrong
    if (i < head.count && head[i] == UInt8(ascii: "[")) || path.lowercased().hasSuffix(".json") {
        return DetectedTokenizer(path: path, kind: .tokenizerJSON)
    }
    if looksLikeTiktokenRanks(head) { return DetectedTokenizer(path: path, kind: .tiktoken) }
    // SentencePiece's own test, else anything protobuf-like (its loader names what is wrong)
    if BPEModel.looksLikeSentencePiece(head) || looksLikeProtobuf(head) { return DetectedTokenizer(path: path, kind: .sentencePiece) }
    throw LLMDataError("\(path): not a tokenizer file llmdata reads",
                       hint: "--tokenizer takes an HF tokenizer.json, a tiktoken ranks file (base64 token, space, rank per line), a Mistral Tekken JSON, a SentencePiece .model, or a model directory holding one")
}

/// The first line is `base64 rank`.
func looksLikeTiktokenRanks(_ head: [UInt8]) -> Bool {
    let line = head.prefix { $0 != 0x0A && $0 != 0x0D }
    guard let sp = line.firstIndex(of: 0x20), sp > line.startIndex, sp + 1 < line.endIndex else { return false }
    let b64 = line[line.startIndex..<sp], digits = line[(sp + 1)...]
    func isB64(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F || c == 0x3D
    }
    return b64.allSatisfy(isB64) && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}

/// A SentencePiece `ModelProto` starts with field 1 (`pieces`, length-delimited: tag 0x0A) or
/// field 2 (`trainer_spec`, tag 0x12), and holds a piece's `<unk>`/`<s>`-like strings early on.
func looksLikeProtobuf(_ head: [UInt8]) -> Bool {
    guard let f = head.first, f == 0x0A || f == 0x12, head.count > 2 else { return false }
    // not text: a length varint follows, and a control byte appears in the first bytes
    return head.prefix(64).contains { $0 < 0x09 || ($0 > 0x0D && $0 < 0x20) }
}

/// The tokenizer files a run depends on (the file and a tiktoken sidecar), for a recipe's
/// resources.
public func tokenizerResources(_ o: TokenizeOptions) throws -> [String] {
    let file: String
    if let t = o.tokenizer { file = try detectTokenizer(t).path } else if let t = o.tiktoken { file = t } else { return [] }
    let side = TiktokenSpec.sidecarPath(of: file)
    return FileManager.default.fileExists(atPath: side) ? [file, side] : [file]
}

/// Loads the tokenizer named by the options and describes it for the manifest; `detected` is the
/// one-line description tokenize prints.
public func loadModel(_ o: TokenizeOptions) throws -> (BPEModel, Manifest.TokenizerInfo) {
    let (m, info, _) = try loadModelDescribed(o)
    return (m, info)
}

public func loadModelDescribed(_ o: TokenizeOptions) throws -> (BPEModel, Manifest.TokenizerInfo, String) {
    let found: DetectedTokenizer
    if let t = o.tiktoken {
        found = DetectedTokenizer(path: t, kind: .tiktoken)
    } else if let t = o.tokenizer {
        found = try detectTokenizer(t)
    } else {
        throw LLMDataError("no tokenizer given", hint: "pass --tokenizer FILE (tokenizer.json, tiktoken ranks, Tekken JSON, SentencePiece model or a model directory)")
    }
    if o.encoding != nil && o.pattern != nil {
        throw LLMDataError("--encoding and --pattern together", hint: "--encoding \(o.encoding!.rawValue) sets the pattern (\(o.encoding!.pattern.rawValue)) and the special tokens; drop --pattern")
    }
    let p = found.path
    let name = (p as NSString).lastPathComponent
    let whereFound = found.directory.map { " (in model directory \($0))" } ?? ""
    if found.kind != .tiktoken {
        if let e = o.encoding {
            throw LLMDataError("\(p): --encoding \(e.rawValue) is for tiktoken ranks files, and this is \(found.kind.described)",
                               hint: "the file carries its own pattern and special tokens: drop --encoding")
        }
        if let pat = o.pattern {
            throw LLMDataError("\(p): --pattern \(pat.rawValue) is for tiktoken ranks files, and this is \(found.kind.described)",
                               hint: "the file carries its own pattern: drop --pattern")
        }
    }
    switch found.kind {
    case .tokenizerJSON:
        let m = try BPEModel.loadTokenizerJSON(path: p)
        return (m, .init(name: name, kind: TokenizerKind.tokenizerJSON.rawValue, sha256: try SHA256.hex(ofFile: p), pattern: nil, path: absolute(p)),
                "\(p): HF tokenizer.json\(whereFound), \(m.idCount) ids, \(m.specials.count) special/added tokens")
    case .tiktoken:
        let choice: TiktokenSpec.Choice = o.encoding.map { .encoding($0) } ?? o.pattern.map { .pattern($0) } ?? .detect
        let (m, spec) = try BPEModel.loadTiktoken(path: p, choice: choice)
        var info = Manifest.TokenizerInfo(name: name, kind: TokenizerKind.tiktoken.rawValue, sha256: try SHA256.hex(ofFile: p),
                                          pattern: spec.patternName, path: absolute(p))
        info.encoding = spec.encoding?.rawValue
        if let side = spec.sidecar {
            info.sidecar = (side as NSString).lastPathComponent
            info.sidecar_sha256 = try SHA256.hex(ofFile: side)
        }
        let how = spec.encoding.map { "encoding \($0.rawValue)" + (o.encoding == nil && o.pattern == nil ? " (recognized by its ranks)" : "") }
            ?? spec.sidecar.map { "pattern \(spec.patternName) and special tokens from \($0)" }
            ?? "pattern \(spec.patternName), no special tokens (no \((TiktokenSpec.sidecarPath(of: p) as NSString).lastPathComponent))"
        return (m, info, "\(p): tiktoken ranks\(whereFound), \(how); \(m.idCount) ids, \(m.specials.count) special tokens")
    case .tekken:
        if o.allowSpecial {
            throw LLMDataError("\(p): --allow-special with a Tekken file",
                               hint: "Tekkenizer.encode never turns text into special tokens ([INST] in a document is text), and neither does tokenize: drop --allow-special")
        }
        let (m, t) = try BPEModel.loadTekken(path: p)
        var info = Manifest.TokenizerInfo(name: name, kind: TokenizerKind.tekken.rawValue, sha256: try SHA256.hex(ofFile: p), pattern: nil, path: absolute(p))
        info.encoding = t.version
        return (m, info, "\(p): Mistral Tekken \(t.version)\(whereFound), \(t.numSpecial) special tokens then \(t.vocabSize - t.numSpecial) ranks (\(t.vocabSize) ids)")
    case .sentencePiece:
        let m = try BPEModel.loadSentencePiece(path: p)
        return (m, .init(name: name, kind: TokenizerKind.sentencePiece.rawValue, sha256: try SHA256.hex(ofFile: p), pattern: nil, path: absolute(p)),
                "\(p): SentencePiece BPE model\(whereFound), \(m.idCount) ids, \(m.specials.count) control/unknown pieces")
    }
}

/// Loads the tokenizer a shard set was written with, from its manifest, the way tokenize loaded
/// it (`shards decode`); `override` is another path for the file (or a model directory).
public func reloadModel(_ info: Manifest.TokenizerInfo, override: String?) throws -> (BPEModel, path: String) {
    let kind = TokenizerKind(rawValue: info.kind)
    let path: String
    if let o = override {
        let found = try detectTokenizer(o)
        if let k = kind, found.kind != k {
            throw LLMDataError("\(found.path): \(found.kind.described), but the shards were written with \(k.described) (\(info.name))",
                               hint: "pass the tokenizer file the shards were made with")
        }
        path = found.path
    } else {
        path = info.path
    }
    switch kind {
    case .tokenizerJSON:
        return (try BPEModel.loadTokenizerJSON(path: path), path)
    case .tiktoken:
        // the named encoding, else the pattern (manifests before --encoding have only that)
        let choice: TiktokenSpec.Choice
        if let e = info.encoding.flatMap(TiktokenEncoding.init(rawValue:)) {
            // a model family's numbering follows any file's ranks (it may have come by --pattern)
            choice = TiktokenEncoding.family(of: e.pattern) == e ? .pattern(e.pattern) : .encoding(e)
        } else if info.sidecar != nil {
            choice = .detect
        } else {
            choice = TiktokenPattern(rawValue: info.pattern ?? "cl100k").map { .pattern($0) } ?? .detect
        }
        return (try BPEModel.loadTiktoken(path: path, choice: choice).model, path)
    case .tekken:
        return (try BPEModel.loadTekken(path: path).model, path)
    case .sentencePiece:
        return (try BPEModel.loadSentencePiece(path: path), path)
    case nil:
        throw LLMDataError("the manifest's tokenizer.kind \(info.kind) is not one llmdata reads (tokenizer.json, tiktoken, tekken, sentencepiece)")
    }
}

func absolute(_ p: String) -> String {
    p.hasPrefix("/") ? p : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
}

/// Resolves `--eos`: nil → the tokenizer's default, `none` → no separator.
public func resolveEOS(_ spec: String?, model: BPEModel, file: String? = nil) throws -> Int? {
    let at = file.map { "\($0): " } ?? ""
    guard let spec else {
        guard let (_, id) = model.defaultEOS else {
            if model.specials.isEmpty {
                // a ranks file of its own without a sidecar: no special token to default to
                throw LLMDataError("\(at)the tokenizer has no special tokens (a tiktoken ranks file has none unless a FILE.json beside it names them), so no default end-of-document token",
                                   hint: "pass --eos ID (a number from 0 to \(model.idCount - 1)) or --eos none; `bpe train --tiktoken FILE --special TOKEN` writes FILE.json with the special tokens")
            }
            throw LLMDataError("\(at)the tokenizer has none of the end-of-document tokens " + BPEModel.eosNames.joined(separator: ", "),
                               hint: "pass --eos TOKEN, --eos ID or --eos none")
        }
        return Int(id)
    }
    return try resolveToken(spec, flag: "--eos", model: model, file: file)
}

/// Resolves `--bos`: nil or `none` → no token before documents.
public func resolveBOS(_ spec: String?, model: BPEModel, file: String? = nil) throws -> Int? {
    guard let spec else { return nil }
    return try resolveToken(spec, flag: "--bos", model: model, file: file)
}

/// A special token's name or an id in the vocabulary; `none` → nil.
func resolveToken(_ spec: String, flag: String, model: BPEModel, file: String? = nil) throws -> Int? {
    let at = file.map { "\($0): " } ?? ""
    if spec == "none" { return nil }
    if let id = model.specials[spec] { return Int(id) }
    let limit = model.idCount
    if let n = Int(spec), n >= 0, n < limit { return n }
    if model.specials.isEmpty {
        throw LLMDataError("\(at)\(flag) \(spec): the tokenizer has no special tokens (a tiktoken ranks file has none unless a FILE.json beside it names them)",
                           hint: "give an id from 0 to \(limit - 1), or none")
    }
    let names = model.specials.sorted { $0.value < $1.value }.prefix(6).map(\.key).joined(separator: ", ")
    throw LLMDataError("\(at)\(flag) \(spec) is neither a special token of the tokenizer nor an id in range",
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
        let detected: String
        (model, info, detected) = try loadModelDescribed(options)
        // what the tokenizer was read as, so a wrong guess of the user's is seen at once
        if !quiet { Diagnostics.write("llmdata tokenize: tokenizer: \(detected)\n") }
        // `load_seconds` ends here: a wait for the caches (a vocabulary that loads faster
        // than they fault in) counts as encoding time, not as loading.
        loadSeconds = Clock.now() - start
        caches.wait()
        sharedCache = caches.shared
        privateCache = caches.private
        eos = try resolveEOS(options.eos, model: model, file: info.path)
        bos = try resolveBOS(options.bos, model: model, file: info.path)
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
