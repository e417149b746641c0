import Foundation

/// A byte-level BPE vocabulary in the form the encoder needs: token bytes, the id of each single
/// byte, and a pair table (left id, right id) → (priority, merged id). Loaded from a HF
/// `tokenizer.json` (priority = merge rank) or a tiktoken ranks file (priority = rank of the
/// merged token, which reproduces tiktoken's lowest-rank-first merging exactly).
public final class BPEModel: @unchecked Sendable {
    public enum Kind: String, Sendable { case tokenizerJSON = "tokenizer.json", tiktoken, sentencePiece = "sentencepiece" }

    public let kind: Kind
    /// Bytes of every id (nil for ids not in use).
    public let tokenBytes: [[UInt8]?]
    public let byteToID: [UInt32]
    let pairs: PairTable
    /// Whole-piece lookup (tiktoken always does it first; HF when `ignore_merges`).
    let wholeTable: TokenTable?
    public let maxTokenLength: Int
    /// Special tokens by content (added tokens of tokenizer.json; tiktoken's known specials).
    public let specials: [String: UInt32]
    /// The added tokens of a tokenizer.json marked `"special": false` (Qwen2.5's `<tool_call>`,
    /// Qwen3's `<think>`): HF matches them in every text, so the encoder always does; they are in
    /// `specials` too.
    public let addedTokens: [String: UInt32]
    public let splitRegex: String
    public let addPrefixSpace: Bool
    /// A normalizer to apply before splitting (`NFC` for Qwen2-style files), or nil.
    public let normalizer: String?
    public var vocabSize: Int { tokenBytes.count }
    /// Ids the tokenizer can produce: the vocabulary, and special tokens numbered beyond it.
    public var idCount: Int { max(vocabSize, Int(specials.values.max() ?? 0) + 1) }
    /// The pattern a tiktoken ranks file was loaded with (given or inferred).
    public let tiktokenPattern: TiktokenPattern?
    /// The special token a tokenizer.json's post-processor puts before every text
    /// (`TemplateProcessing`, as Llama 3's `<|begin_of_text|>`), if any.
    public let postProcessorBOS: String?
    /// The special token a tokenizer.json's post-processor puts after every text, if any.
    public internal(set) var postProcessorEOS: String? = nil
    /// A tokenizer.json's normalizers, pre-tokenizer steps and added tokens with their flags (nil
    /// for other formats); the encoder runs them before `splitRegex`.
    public internal(set) var pipeline: TokenizerJSONPipeline? = nil
    /// What merges start from: bytes, or characters (Symbols.swift).
    public let symbols: Symbols
    /// A SentencePiece model's normalizer and segmentation, which replace the split pattern.
    public let sentencePiece: SentencePieceNormalizer?

    init(kind: Kind, tokenBytes: [[UInt8]?], pairs: PairTable, wholeLookup: TokenTable?, specials: [String: UInt32],
         addedTokens: [String: UInt32] = [:], splitRegex: String, addPrefixSpace: Bool, normalizer: String?,
         tiktokenPattern: TiktokenPattern? = nil, postProcessorBOS: String? = nil,
         symbols: Symbols = .byteLevel, sentencePiece: SentencePieceNormalizer? = nil) throws {
        self.kind = kind
        self.symbols = symbols
        self.sentencePiece = sentencePiece
        self.tiktokenPattern = tiktokenPattern
        self.postProcessorBOS = postProcessorBOS
        self.addedTokens = addedTokens
        self.tokenBytes = tokenBytes
        self.pairs = pairs
        self.wholeTable = wholeLookup
        self.specials = specials
        self.splitRegex = splitRegex
        self.addPrefixSpace = addPrefixSpace
        self.normalizer = normalizer
        var b2i = [UInt32](repeating: UInt32.max, count: 256)
        var maxLen = 1
        for (id, t) in tokenBytes.enumerated() {
            guard let t else { continue }
            if t.count == 1 && b2i[Int(t[0])] == UInt32.max { b2i[Int(t[0])] = UInt32(id) }
            maxLen = max(maxLen, t.count)
        }
        if case .characters(let c) = symbols {
            // byte tokens are the byte-fallback pieces <0xXX>, where there are any
            for b in 0..<256 { b2i[b] = c.byteIDs[b] }
        } else if let missing = b2i.firstIndex(of: UInt32.max) {
            throw TokenizerError("the vocabulary has no token for byte 0x\(String(missing, radix: 16)): not a byte-level BPE")
        }
        byteToID = b2i
        maxTokenLength = maxLen
    }

    /// End-of-document tokens by name, in the order they are looked for: OpenAI's, Llama 3's,
    /// SentencePiece's, Gemma's, DeepSeek's (fullwidth bars, U+2581) and Anthropic's.
    public static let eosNames = ["<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>", "<EOT>"]

    /// The default end-of-document token: the token a tokenizer.json's post-processor puts after
    /// every text (HF's encode), else the first of `eosNames` that the tokenizer has.
    public var defaultEOS: (String, UInt32)? {
        if let e = postProcessorEOS, let id = specials[e] { return (e, id) }
        for name in Self.eosNames {
            if let id = specials[name] { return (name, id) }
        }
        return nil
    }

    public func decode(_ ids: [UInt32]) -> [UInt8] {
        var out: [UInt8] = []
        // an id with two names (o200k_harmony's 200018: <|endofprompt|> and <|reserved_200018|>)
        // decodes to the same one in every run: a name that is not a reserved placeholder, then
        // the smallest (a dictionary's order changes from process to process)
        func preferred(_ a: String, _ b: String) -> String {
            let ra = a.hasPrefix("<|reserved"), rb = b.hasPrefix("<|reserved")
            return ra != rb ? (ra ? b : a) : min(a, b)
        }
        let specialByID = Dictionary(specials.map { ($0.value, $0.key) }, uniquingKeysWith: preferred)
        for id in ids {
            if Int(id) < tokenBytes.count, let b = tokenBytes[Int(id)] { out.append(contentsOf: b) }
            else if let s = specialByID[id] { out.append(contentsOf: Array(s.utf8)) }
        }
        // sentencepiece's decoder drops the space its dummy prefix put before the text
        if let sp = sentencePiece, sp.addDummyPrefix, let first = ids.first, Int(first) < tokenBytes.count,
           tokenBytes[Int(first)]?.first == 0x20, out.first == 0x20 {
            out.removeFirst()
        }
        return out
    }
}

public struct TokenizerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
