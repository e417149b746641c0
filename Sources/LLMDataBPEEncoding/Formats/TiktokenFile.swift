import Foundation
import LLMDataBPETraining

// A tiktoken ranks file (`base64-token rank` per line): the named encodings, the model families'
// special tokens and the sidecar are in TiktokenEncodings.swift.

extension BPEModel {
    /// Loads a tiktoken ranks file with a pattern (`--pattern`), or as the file tells without one
    /// (`TiktokenSpec.Choice`).
    public static func loadTiktoken(path: String, pattern given: TiktokenPattern?) throws -> BPEModel {
        try loadTiktoken(path: path, choice: given.map { .pattern($0) } ?? .detect).model
    }

    /// Loads a tiktoken ranks file (`base64-token rank` per line) and says how it was read: a named
    /// encoding (`--encoding`, or the file is one's own), a pattern, or the file's sidecar.
    public static func loadTiktoken(path: String, choice: TiktokenSpec.Choice) throws -> (model: BPEModel, spec: TiktokenSpec) {
        guard let data = FileManager.default.contents(atPath: path) else { throw TokenizerError("\(path): cannot read") }
        let (ranks, maxRank) = try TiktokenRanks.parse(data, path: path)
        if ranks.isEmpty { throw TokenizerError("\(path): no ranks (an empty file is not a tiktoken ranks file)") }
        let spec = try TiktokenSpec.resolve(choice, path: path, ranks: ranks)
        let size = max(maxRank + 1, Int(spec.specials.values.max() ?? 0) + 1, spec.vocabSize ?? 0)
        // a named encoding's special tokens have fixed ids: in a file that is not its own they
        // can land on ordinary tokens, which would make the default EOS a piece of text
        var bytes = [[UInt8]?](repeating: nil, count: size)
        for (t, r) in ranks { bytes[Int(r)] = t }
        for (name, id) in spec.specials.sorted(by: { $0.value < $1.value }) where Int(id) < bytes.count && bytes[Int(id)] != nil {
            throw TokenizerError("\(path): \(name) would be id \(id), which is a token of this file: \(ranks.count) ranks do not go with \(spec.encoding.map { "encoding \($0.rawValue)" } ?? "pattern \(spec.patternName)")")
        }
        // Qwen's tokenizer NFC-normalizes the text before tiktoken sees it (tokenization_qwen.py)
        let model = try tiktokenModel(ranks: ranks, tokenBytes: bytes, specials: spec.specials, regex: spec.regex,
                                      normalizer: spec.encoding == .qwen ? "NFC" : nil, pattern: spec.pattern)
        return (model, spec)
    }

    /// The model of a tiktoken-style vocabulary: `ranks` are (token bytes, id), the id being the
    /// merge priority (lowest first), `tokenBytes` the bytes of every id (nil for special and
    /// reserved ids).
    static func tiktokenModel(ranks: [([UInt8], UInt32)], tokenBytes bytes: [[UInt8]?], specials: [String: UInt32],
                              regex: String, normalizer: String?, pattern: TiktokenPattern?) throws -> BPEModel {
        let lookup = TokenTable(ranks)
        // every split of every token into two tokens is a pair whose merge yields it
        let pairs = lookup.tiktokenPairs(ranks)
        return try BPEModel(kind: .tiktoken, tokenBytes: bytes, pairs: pairs, wholeLookup: lookup,
                            specials: specials, splitRegex: regex, addPrefixSpace: false,
                            normalizer: normalizer, tiktokenPattern: pattern)
    }
}
