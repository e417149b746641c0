import Foundation
import LLMDataBPETraining

/// The split patterns of tiktoken's encodings, exactly as tiktoken 0.14 writes them (possessive
/// quantifiers, `\p{L}`/`\p{N}`, case-insensitive contractions, `\s++$`), for tiktoken ranks files.
/// (tokenizer.json files carry their own pattern; `bpe train` uses LLMDataBPETraining.SplitPattern.)
///
/// Three more ranks files are in tiktoken's format with patterns of their own: Llama 3's and
/// Llama 4's `tokenizer.model` (Meta's `tokenizer.py`: Llama 3's `pat_str`, Llama 4's
/// `O200K_PATTERN`, the same string as o200k_base's) and Qwen's `qwen.tiktoken` (Qwen's
/// `tokenization_qwen.py`: `qwen2`'s pattern, single digits).
public enum TiktokenPattern: String, CaseIterable, Sendable {
    case gpt2, cl100k, o200k, llama3, qwen2, llama4

    public var regex: String {
        switch self {
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .o200k, .llama4:
            // tiktoken's o200k pattern (what `bpe train` uses too); Meta's O200K_PATTERN for
            // Llama 4 is the same string
            return SplitPattern.o200k.regex
        case .llama3:
            // Meta's pat_str, the same string as Llama 3's tokenizer.json
            return SplitPattern.llama3.regex
        case .qwen2:
            // Qwen's PAT_STR, the same string as Qwen2's tokenizer.json
            return SplitPattern.qwen2.regex
        }
    }

    /// The built-in pattern that splits text into the same pieces: gpt2's `\s++$|\s+(?!\S)|\s`
    /// gives what HF's `\s+(?!\S)|\s+` gives (a run at the end whole, else all but its last
    /// character, then that one), possessive runs match what greedy ones do where nothing
    /// follows, and cl100k's `\p{N}{1,3}+` is `\p{N}{1,3}` (SplitPattern.cl100k).
    public var splitPattern: SplitPattern {
        switch self {
        case .gpt2: return .gpt2
        case .cl100k: return .cl100k
        case .o200k, .llama4: return .o200k
        case .llama3: return .llama3
        case .qwen2: return .qwen2
        }
    }

    /// The pattern of a built-in pattern's name as `bpe train` writes it in a sidecar.
    public static func named(_ s: String) -> TiktokenPattern? { TiktokenPattern(rawValue: s) }
}

/// The tiktoken encodings whose special tokens and their numbering are known: tiktoken 0.14's
/// own (`tiktoken_ext/openai_public.py`) and the model families that load a ranks file with
/// tiktoken (Meta's Llama 3 and Llama 4 `tokenizer.py`, Qwen's `tokenization_qwen.py`).
/// Ranks files do not hold special tokens; these tables give them.
public enum TiktokenEncoding: String, CaseIterable, Sendable {
    case r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, o200k_harmony, llama3, llama4, qwen

    public var pattern: TiktokenPattern {
        switch self {
        case .r50k_base, .p50k_base, .p50k_edit: return .gpt2
        case .cl100k_base: return .cl100k
        case .o200k_base, .o200k_harmony: return .o200k
        case .llama3: return .llama3
        case .llama4: return .llama4
        case .qwen: return .qwen2
        }
    }

    /// The encoding a `--pattern` names for a file that is not one of tiktoken's own: the model
    /// families number their special tokens after the ranks of any file (Meta's and Qwen's
    /// loaders count the ranks), tiktoken's encodings have fixed ids that only fit their own file.
    public static func family(of p: TiktokenPattern) -> TiktokenEncoding? {
        switch p {
        case .llama3: return .llama3
        case .llama4: return .llama4
        case .qwen2: return .qwen
        case .gpt2, .cl100k, .o200k: return nil
        }
    }

    /// Ranks in the encoding's file: r50k_base 50,256; p50k_base 50,280 (no rank 50256: that id
    /// is `<|endoftext|>`); cl100k_base 100,256; o200k_base 199,998; Llama 3 128,000; Llama 4
    /// 200,000; Qwen 151,643.
    public var rankCount: Int {
        switch self {
        case .r50k_base: return 50_256
        case .p50k_base, .p50k_edit: return 50_280
        case .cl100k_base: return 100_256
        case .o200k_base, .o200k_harmony: return 199_998
        case .llama3: return 128_000
        case .llama4: return 200_000
        case .qwen: return 151_643
        }
    }

    /// The bytes of two ranks of the encoding's own file (rank 1000 and the last rank), base64:
    /// a file with the right number of ranks but other tokens is not this encoding.
    var fingerprint: (Int, String, Int, String) {
        switch self {
        case .r50k_base: return (1000, "YWxl", 50_255, "IGdhemVk")
        case .p50k_base, .p50k_edit: return (1000, "YWxl", 50_280, "ICAgICAgICAgICAgICAgICAgICAgICAgIA==")
        case .cl100k_base: return (1000, "aW5kb3c=", 100_255, "IENvbnZleW9y")
        case .o200k_base, .o200k_harmony: return (1000, "Lmw=", 199_997, "IGNvY29z")
        case .llama3: return (1000, "aW5kb3c=", 127_999, "6ZSm")
        case .llama4: return (1000, "0YHRgtCy", 199_999, "KGdl")
        case .qwen: return (1000, "YXR1cw==", 151_642, "4r2X")
        }
    }

    /// Whether the ranks are this encoding's own file (rank count and fingerprint).
    func matches(_ ranks: [([UInt8], UInt32)], byRank: [Int: Int]) -> Bool {
        guard ranks.count == rankCount else { return false }
        let (r1, b1, r2, b2) = fingerprint
        guard let i1 = byRank[r1], let i2 = byRank[r2] else { return false }
        return ranks[i1].0 == Array(Data(base64Encoded: b1) ?? Data()) && ranks[i2].0 == Array(Data(base64Encoded: b2) ?? Data())
    }

    /// The known encoding whose own file these ranks are (p50k_edit shares p50k_base's file and
    /// o200k_harmony o200k_base's: they are only had by name).
    static func identify(_ ranks: [([UInt8], UInt32)]) -> TiktokenEncoding? {
        let candidates = allCases.filter { $0 != .p50k_edit && $0 != .o200k_harmony && $0.rankCount == ranks.count }
        if candidates.isEmpty { return nil }
        var byRank: [Int: Int] = [:]
        let wanted = Set(candidates.flatMap { [$0.fingerprint.0, $0.fingerprint.2] })
        for (i, r) in ranks.enumerated() where wanted.contains(Int(r.1)) { byRank[Int(r.1)] = i }
        return candidates.first { $0.matches(ranks, byRank: byRank) }
    }

    /// The special tokens and their ids, `rankCount` being the file's number of ranks (the model
    /// families number theirs after the ranks).
    public func specials(rankCount: Int) -> [String: UInt32] {
        let n = UInt32(rankCount)
        switch self {
        case .r50k_base, .p50k_base:
            return ["<|endoftext|>": 50_256]
        case .p50k_edit:
            return ["<|endoftext|>": 50_256, "<|fim_prefix|>": 50_281, "<|fim_middle|>": 50_282, "<|fim_suffix|>": 50_283]
        case .cl100k_base:
            return ["<|endoftext|>": 100_257, "<|fim_prefix|>": 100_258, "<|fim_middle|>": 100_259,
                    "<|fim_suffix|>": 100_260, "<|endofprompt|>": 100_276]
        case .o200k_base:
            return ["<|endoftext|>": 199_999, "<|endofprompt|>": 200_018]
        case .o200k_harmony:
            // o200k_base's, then gpt-oss's; <|reserved_200018|> is 200018 too, as in tiktoken
            var s: [String: UInt32] = ["<|endoftext|>": 199_999, "<|endofprompt|>": 200_018, "<|startoftext|>": 199_998,
                                       "<|return|>": 200_002, "<|constrain|>": 200_003, "<|channel|>": 200_005, "<|start|>": 200_006,
                                       "<|end|>": 200_007, "<|message|>": 200_008, "<|call|>": 200_012]
            for i in [200_000, 200_001, 200_004, 200_009, 200_010, 200_011] + Array(200_013..<201_088) { s["<|reserved_\(i)|>"] = UInt32(i) }
            return s
        case .llama3:
            // Meta's tokenizer.py puts 256 special tokens after the ranks (ids 128,000-128,255
            // for Llama 3). Their names differ between Llama 3, 3.1 and 3.2 at some places;
            // these are the ones every version gives the same id. The others are reserved ids
            // (in the vocabulary size; pass them to --eos/--bos as numbers).
            return ["<|begin_of_text|>": n, "<|end_of_text|>": n + 1, "<|reserved_special_token_0|>": n + 2,
                    "<|reserved_special_token_1|>": n + 3, "<|start_header_id|>": n + 6, "<|end_header_id|>": n + 7,
                    "<|eot_id|>": n + 9]
        case .llama4:
            var s: [String: UInt32] = [:]
            for (i, t) in Self.llama4SpecialTokens.enumerated() { s[t] = n + UInt32(i) }
            return s
        case .qwen:
            // Qwen's tokenization_qwen.py: <|endoftext|>, <|im_start|>, <|im_end|>, then
            // <|extra_0|>...<|extra_204|> (151,643: ids 151,643-151,850)
            var s = ["<|endoftext|>": n, "<|im_start|>": n + 1, "<|im_end|>": n + 2]
            for i in 0..<205 { s["<|extra_\(i)|>"] = n + 3 + UInt32(i) }
            return s
        }
    }

    /// The encoding's vocabulary size (ids below it), at least its largest special id + 1:
    /// tiktoken's `explicit_n_vocab` (r50k 50,257; p50k 50,281), Meta's `n_words` (Llama 3: ranks
    /// + 256; Llama 4: ranks + 2,048), Qwen's ranks + 208.
    public func vocabSize(rankCount: Int) -> Int {
        let top = Int(specials(rankCount: rankCount).values.max() ?? 0) + 1
        switch self {
        case .r50k_base: return max(top, 50_257)
        case .p50k_base: return max(top, 50_281)
        case .llama3: return max(top, rankCount + 256)
        case .llama4: return max(top, rankCount + 2048)
        case .qwen: return max(top, rankCount + 208)
        case .p50k_edit, .cl100k_base, .o200k_base, .o200k_harmony: return top
        }
    }

    /// Llama 4's special tokens in id order after the ranks (llama_models/llama4/tokenizer.py:
    /// BASIC_SPECIAL_TOKENS, LLAMA4_SPECIAL_TOKENS, then `<|reserved_special_token_i|>` up to
    /// 2,048 tokens).
    static let llama4SpecialTokens: [String] = {
        func reserved(_ name: String, _ count: Int, _ start: Int) -> [String] {
            (start..<start + count).map { "<|\(name)_reserved_special_token_\($0)|>" }
        }
        let basic = ["<|begin_of_text|>", "<|end_of_text|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"]
        let textPostTrain = ["<|header_start|>", "<|header_end|>", "<|eom|>", "<|eot|>", "<|step|>"]
            + (0..<6).map { "<|text_post_train_reserved_special_token_\($0)|>" }
            + ["<|python_start|>", "<|python_end|>", "<|finetune_right_pad|>"] + reserved("text_post_train", 61, 8)
        let vision = ["<|image_start|>", "<|image_end|>", "<|vision_reserved_special_token_0|>",
                      "<|vision_reserved_special_token_1|>", "<|tile_x_separator|>", "<|tile_y_separator|>"]
            + (2...5).map { "<|vision_reserved_special_token_\($0)|>" }
            + ["<|image|>", "<|vision_reserved_special_token_6|>", "<|patch|>"] + reserved("vision", 1041, 7)
        let reasoning = (0..<8).map { "<|reasoning_reserved_special_token_\($0)|>" }
            + ["<|reasoning_thinking_start|>", "<|reasoning_thinking_end|>"]
        let named = basic + textPostTrain + vision + reasoning
        return named + (0..<(2048 - named.count)).map { "<|reserved_special_token_\($0)|>" }
    }()
}

/// How a tiktoken ranks file is to be read: the pattern, the special tokens and the vocabulary
/// size, and where they came from (for the manifest and the message tokenize prints).
public struct TiktokenSpec: Sendable {
    /// The named encoding, or nil for a ranks file of its own (a sidecar, or a pattern only).
    public var encoding: TiktokenEncoding?
    /// The built-in pattern, or nil when a sidecar's `pat_str` is none of them.
    public var pattern: TiktokenPattern?
    /// The pattern's name as the manifest records it (a built-in name, or the sidecar's).
    public var patternName: String
    public var regex: String
    public var specials: [String: UInt32]
    /// Ids below this are the vocabulary (reserved ids included); nil: the ranks and specials.
    public var vocabSize: Int?
    /// The sidecar the pattern and special tokens were read from, if any.
    public var sidecar: String?

    /// What the user asked for.
    public enum Choice: Sendable, Equatable {
        /// The file tells: a sidecar `FILE.json`, else a known encoding's own file.
        case detect
        /// `--pattern`: a model family's numbering after the ranks (llama3, llama4, qwen2), or a
        /// tiktoken encoding's own file with that pattern, else the sidecar's special tokens or none.
        case pattern(TiktokenPattern)
        /// `--encoding`: that encoding, which the file must be.
        case encoding(TiktokenEncoding)
    }

    /// The sidecar of a ranks file: `FILE.json` beside `FILE` (`bpe train --tiktoken` writes it).
    public static func sidecarPath(of path: String) -> String { path + ".json" }

    static func of(_ e: TiktokenEncoding, rankCount: Int) -> TiktokenSpec {
        TiktokenSpec(encoding: e, pattern: e.pattern, patternName: e.pattern.rawValue, regex: e.pattern.regex,
                     specials: e.specials(rankCount: rankCount), vocabSize: e.vocabSize(rankCount: rankCount), sidecar: nil)
    }

    /// Resolves the choice for a file with these ranks.
    static func resolve(_ choice: Choice, path: String, ranks: [([UInt8], UInt32)]) throws -> TiktokenSpec {
        let n = ranks.count
        let sidecarFile = sidecarPath(of: path)
        let hasSidecar = FileManager.default.fileExists(atPath: sidecarFile)
        let known = TiktokenEncoding.identify(ranks)
        switch choice {
        case .encoding(let e):
            if hasSidecar {
                throw TokenizerError("\(path): --encoding \(e.rawValue) with a sidecar \(sidecarFile) beside the file, which gives its own pattern and special tokens; drop --encoding (or remove the sidecar if the file is \(e.rawValue)'s)")
            }
            var byRank: [Int: Int] = [:]
            for (i, r) in ranks.enumerated() where r.1 == UInt32(e.fingerprint.0) || r.1 == UInt32(e.fingerprint.2) { byRank[Int(r.1)] = i }
            if e.matches(ranks, byRank: byRank) || (e == .p50k_edit && known == .p50k_base) {
                return of(e, rankCount: n)
            }
            if let family = TiktokenEncoding.family(of: e.pattern), family == e {
                // a model family numbers its specials after any file's ranks: give it by --pattern
                if known == nil {
                    throw TokenizerError("\(path): \(n) ranks are not \(e.rawValue)'s own file (\(e.rankCount) ranks); to read them with \(e.rawValue)'s pattern and special tokens numbered after the ranks, pass --pattern \(e.pattern.rawValue) instead of --encoding")
                }
            }
            let what = known.map { "it is \($0.rawValue)'s: pass --encoding \($0.rawValue), or leave --encoding out" }
                ?? (n == e.rankCount ? "the tokens differ from \(e.rawValue)'s" : "\(e.rawValue) has \(e.rankCount)")
                + "; a ranks file of its own takes --pattern NAME and its special tokens from \((sidecarFile as NSString).lastPathComponent)"
            throw TokenizerError("\(path): \(n) ranks are not \(e.rawValue)'s file (\(what))")
        case .pattern(let p):
            if hasSidecar {
                let s = try readSidecar(sidecarFile, ranks: ranks)
                if s.pattern != p && s.regex != p.regex {
                    throw TokenizerError("\(sidecarFile): gives pattern \(s.patternName), but --pattern \(p.rawValue) was given; drop --pattern (the sidecar says how the file was trained)")
                }
                return s
            }
            if let family = TiktokenEncoding.family(of: p) { return of(family, rankCount: n) }
            if let k = known, k.pattern == p { return of(k, rankCount: n) }
            // a ranks file of its own with one of tiktoken's patterns: no special tokens to guess
            return TiktokenSpec(encoding: nil, pattern: p, patternName: p.rawValue, regex: p.regex, specials: [:],
                                vocabSize: nil, sidecar: nil)
        case .detect:
            if hasSidecar { return try readSidecar(sidecarFile, ranks: ranks) }
            if let k = known { return of(k, rankCount: n) }
            let counts = TiktokenEncoding.allCases.filter { $0.rankCount == n }.map(\.rawValue)
            let why = counts.isEmpty ? "\(n) ranks are no known encoding's" : "\(n) ranks is \(counts.joined(separator: "/"))'s count, but the tokens differ"
            throw TokenizerError("\(path): \(why), and there is no \((sidecarFile as NSString).lastPathComponent) beside it to give its pattern and special tokens: pass --pattern gpt2|cl100k|o200k|llama3|llama4|qwen2 (the file then has no special tokens unless the pattern is a model family's; --eos takes an id or none), or --encoding NAME for a known encoding's file")
        }
    }

    /// Reads `FILE.json`: `{"pattern": NAME, "pat_str": REGEX, "special_tokens": {TOKEN: ID}}`,
    /// the keys of `tiktoken.Encoding`'s arguments (`name` and `explicit_n_vocab` are allowed too).
    static func readSidecar(_ file: String, ranks: [([UInt8], UInt32)]) throws -> TiktokenSpec {
        guard let data = FileManager.default.contents(atPath: file) else { throw TokenizerError("\(file): cannot read") }
        guard let obj = try? JSONSerialization.jsonObject(with: data), let d = obj as? [String: Any] else {
            throw TokenizerError("\(file): not a JSON object (the sidecar of a tiktoken ranks file: {\"pattern\": NAME, \"pat_str\": REGEX, \"special_tokens\": {TOKEN: ID}})")
        }
        let allowed: Set<String> = ["pattern", "pat_str", "special_tokens", "name", "explicit_n_vocab"]
        if let extra = d.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw TokenizerError("\(file): unknown key \"\(extra)\" (a tiktoken sidecar has pattern, pat_str, special_tokens, and optionally name and explicit_n_vocab)")
        }
        let name = d["pattern"] as? String
        if d["pattern"] != nil && name == nil { throw TokenizerError("\(file): \"pattern\" is not a string") }
        let patStr = d["pat_str"] as? String
        if d["pat_str"] != nil && patStr == nil { throw TokenizerError("\(file): \"pat_str\" is not a string") }
        let builtin = name.flatMap(TiktokenPattern.named)
        guard let regex = patStr ?? builtin?.regex else {
            throw TokenizerError("\(file): no \"pat_str\", and \"pattern\" \(name.map { "\"\($0)\" is not one of " } ?? "is missing; give one of ")\(TiktokenPattern.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // a pat_str that is a built-in pattern (tiktoken's or the HF spelling `bpe train` uses)
        let pattern = builtin.flatMap { b in (regex == b.regex || regex == b.splitPattern.regex) ? b : nil }
            ?? TiktokenPattern.allCases.first { $0.regex == regex }
        var specials: [String: UInt32] = [:]
        let used = Set(ranks.map(\.1))
        if let st = d["special_tokens"] {
            guard let m = st as? [String: Any] else { throw TokenizerError("\(file): \"special_tokens\" is not an object of token: id") }
            for (tok, v) in m.sorted(by: { $0.key < $1.key }) {
                guard let id = jsonInteger(v), id >= 0, id < BPEModel.maxTokenIDs else {
                    throw TokenizerError("\(file): special token \(tok) has id \(v), not an integer in 0..<\(BPEModel.maxTokenIDs)")
                }
                if tok.isEmpty { throw TokenizerError("\(file): a special token is the empty string") }
                if used.contains(UInt32(id)) {
                    throw TokenizerError("\(file): special token \(tok) has id \(id), which is a rank of the ranks file")
                }
                specials[tok] = UInt32(id)
            }
        }
        var vocab: Int? = nil
        if let v = d["explicit_n_vocab"] {
            guard let nv = jsonInteger(v), nv > 0 else {
                throw TokenizerError("\(file): \"explicit_n_vocab\" is not a positive integer")
            }
            let top = max(Int(ranks.map(\.1).max() ?? 0), Int(specials.values.max() ?? 0)) + 1
            if nv < top { throw TokenizerError("\(file): explicit_n_vocab \(nv) is below the largest id + 1 (\(top))") }
            vocab = nv
        }
        return TiktokenSpec(encoding: nil, pattern: pattern, patternName: pattern?.rawValue ?? name ?? "pat_str",
                            regex: regex, specials: specials, vocabSize: vocab, sidecar: file)
    }
}
