import Foundation
import LLMDataBPETraining

/// The split patterns of tiktoken's encodings, exactly as tiktoken 0.14 writes them (possessive
/// quantifiers, `\p{L}`/`\p{N}`, case-insensitive contractions, `\s++$`), for tiktoken ranks files.
/// (tokenizer.json files carry their own pattern; `bpe train` uses LLMDataBPETraining.SplitPattern.)
///
/// Two more ranks files are in tiktoken's format with patterns of their own: Llama 3's
/// `tokenizer.model` (Meta's `tokenizer.py` gives tiktoken `llama3`'s pattern) and Qwen's
/// `qwen.tiktoken` (Qwen's `tokenization_qwen.py`: `qwen2`'s pattern, single digits). Their
/// special tokens follow the ranks (`BPEModel.tiktokenSpecials`).
public enum TiktokenPattern: String, CaseIterable, Sendable {
    case gpt2, cl100k, o200k, llama3, qwen2

    /// The encoding whose ranks file has this many ranks: GPT-2's r50k (50,256), cl100k_base
    /// (100,256), o200k_base (199,998), Llama 3's tokenizer.model (128,000), qwen.tiktoken (151,643).
    public static func forRankCount(_ n: Int) -> TiktokenPattern? {
        switch n {
        case 50_256: return .gpt2
        case 100_256: return .cl100k
        case 199_998: return .o200k
        case 128_000: return .llama3
        case 151_643: return .qwen2
        default: return nil
        }
    }

    public var regex: String {
        switch self {
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .o200k:
            // tiktoken's o200k pattern is what `bpe train` uses too
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
        case .o200k: return .o200k
        case .llama3: return .llama3
        case .qwen2: return .qwen2
        }
    }
}

extension BPEModel {
    /// The special tokens tiktoken defines for its encodings (not stored in ranks files).
    ///
    /// - llama3: Meta's `tokenizer.py` puts 256 special tokens after the ranks (Llama 3: 128,000
    ///   ranks, ids 128,000-128,255). Their names differ between Llama 3 and 3.1 at some places;
    ///   these are the ones every version gives the same id. The others are reserved ids (in the
    ///   vocabulary size; pass them to `--eos`/`--bos` as numbers).
    /// - qwen2 (Qwen's `qwen.tiktoken`): `<|endoftext|>`, `<|im_start|>`, `<|im_end|>` and
    ///   `<|extra_0|>`...`<|extra_204|>` after the ranks (151,643: ids 151,643-151,850).
    public static func tiktokenSpecials(pattern: TiktokenPattern, rankCount: Int) -> [String: UInt32] {
        let n = UInt32(rankCount)
        switch pattern {
        case .gpt2: return ["<|endoftext|>": n]
        case .cl100k: return ["<|endoftext|>": 100_257, "<|fim_prefix|>": 100_258, "<|fim_middle|>": 100_259,
                              "<|fim_suffix|>": 100_260, "<|endofprompt|>": 100_276]
        case .o200k: return ["<|endoftext|>": 199_999, "<|endofprompt|>": 200_018]
        case .llama3:
            return ["<|begin_of_text|>": n, "<|end_of_text|>": n + 1, "<|reserved_special_token_0|>": n + 2,
                    "<|reserved_special_token_1|>": n + 3, "<|start_header_id|>": n + 6, "<|end_header_id|>": n + 7,
                    "<|eot_id|>": n + 9]
        case .qwen2:
            var s = ["<|endoftext|>": n, "<|im_start|>": n + 1, "<|im_end|>": n + 2]
            for i in 0..<205 { s["<|extra_\(i)|>"] = n + 3 + UInt32(i) }
            return s
        }
    }

    /// Ids the encoding reserves after the ranks, named or not (Llama 3: 256).
    static func tiktokenReserved(pattern: TiktokenPattern) -> Int {
        switch pattern {
        case .llama3: return 256
        case .qwen2: return 208
        case .gpt2, .cl100k, .o200k: return 0
        }
    }

    /// Loads a tiktoken ranks file (`base64-token rank` per line). Without a pattern, the one whose
    /// encoding has that many ranks (`TiktokenPattern.forRankCount`), else cl100k.
    public static func loadTiktoken(path: String, pattern given: TiktokenPattern?) throws -> BPEModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw TokenizerError("\(path): cannot read") }
        var ranks: [([UInt8], UInt32)] = []
        var maxRank = -1
        for (n, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
            let parts = line.split(separator: 0x20)
            guard parts.count == 2, let tok = Data(base64Encoded: Data(parts[0])),
                  let rank = Int(String(decoding: parts[1], as: UTF8.self)) else {
                throw TokenizerError("\(path):\(n + 1): not a tiktoken ranks line (base64 token, space, rank)")
            }
            // ranks are ids: they size the token table (a negative one trapped, a huge one
            // allocated gigabytes)
            guard rank >= 0, rank < maxTokenIDs else {
                throw TokenizerError("\(path):\(n + 1): rank \(rank) is outside 0..<\(maxTokenIDs)")
            }
            ranks.append((Array(tok), UInt32(rank)))
            maxRank = max(maxRank, rank)
        }
        let pattern = given ?? TiktokenPattern.forRankCount(ranks.count) ?? .cl100k
        let specials = tiktokenSpecials(pattern: pattern, rankCount: ranks.count)
        let size = max(maxRank + 1, Int(specials.values.max() ?? 0) + 1, ranks.count + tiktokenReserved(pattern: pattern))
        var bytes = [[UInt8]?](repeating: nil, count: size)
        for (t, r) in ranks { bytes[Int(r)] = t }
        // cl100k's and o200k's special tokens have fixed ids: in a file of another encoding they
        // can land on ordinary tokens (Llama 3's 128,000 ranks hold 100257), which would make the
        // default EOS a piece of text
        for (name, id) in specials.sorted(by: { $0.value < $1.value }) where Int(id) < bytes.count && bytes[Int(id)] != nil {
            let known = TiktokenPattern.forRankCount(ranks.count).map { " (\(ranks.count) ranks is \($0.rawValue)'s count: pass --pattern \($0.rawValue))" }
                ?? " (Llama 3's tokenizer.model takes --pattern llama3, Qwen's qwen.tiktoken --pattern qwen2)"
            throw TokenizerError("\(path): \(name) would be id \(id), which is a token of this file: \(ranks.count) ranks do not go with --pattern \(pattern.rawValue)\(known)")
        }
        let lookup = TokenTable(ranks)
        // every split of every token into two tokens is a pair whose merge yields it
        var entries: [(UInt32, UInt32, UInt32, UInt32)] = []
        for (t, r) in ranks where t.count >= 2 {
            t.withUnsafeBufferPointer { tb in
                for k in 1..<tb.count {
                    if let l = lookup.get(UnsafeBufferPointer(rebasing: tb[0..<k])), let rt = lookup.get(UnsafeBufferPointer(rebasing: tb[k...])) {
                        entries.append((l, rt, r, r))
                    }
                }
            }
        }
        // Qwen's tokenizer NFC-normalizes the text before tiktoken sees it (tokenization_qwen.py)
        return try BPEModel(kind: .tiktoken, tokenBytes: bytes, pairs: PairTable(entries), wholeLookup: lookup,
                            specials: specials, splitRegex: pattern.regex, addPrefixSpace: false,
                            normalizer: pattern == .qwen2 ? "NFC" : nil, tiktokenPattern: pattern)
    }
}
