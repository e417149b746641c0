import Foundation

/// What a Mistral Tekken file holds besides the vocabulary.
public struct TekkenInfo: Sendable {
    /// `config.version` (v1 ... v15).
    public var version: String
    /// Special-token ids come first: 0..<numSpecial (`default_num_special_tokens`).
    public var numSpecial: Int
    /// `default_vocab_size`: special tokens and the vocabulary, which is cut to its first
    /// `vocabSize - numSpecial` ranks.
    public var vocabSize: Int
    /// Whether the file lists its special tokens (else Tekkenizer's deprecated default list).
    public var specialsInFile: Bool
}

/// Mistral's Tekken tokenizer file (`tekken.json`, `tekken_*.json`), read as mistral-common
/// 1.13's `Tekkenizer.from_file` reads it:
/// - `config.pattern` is tiktoken's `pat_str`; `vocab` is `[{rank, token_bytes, token_str}]`,
///   tiktoken ranks in order (rank i is entry i; the first 256 are the single bytes);
/// - the special tokens are `special_tokens` (`[{rank, token_str, is_control}]`, rank i entry i),
///   or for files of version v7 and older without that key, Tekkenizer's
///   `DEPRECATED_SPECIAL_TOKENS` (`<unk>`, `<s>`, `</s>`, `[INST]`, ...); they are filled up to
///   `default_num_special_tokens` with `<SPECIAL_i>`;
/// - ids: special token i is id i, rank r is id r + `default_num_special_tokens`, and the
///   vocabulary is cut to its first `default_vocab_size - default_num_special_tokens` ranks.
///
/// `Tekkenizer.encode(text, bos=False, eos=False)` never turns text into special tokens (its
/// tiktoken has none: `[INST]` in a document is text), and neither does tokenize.
extension BPEModel {
    /// Tekkenizer.DEPRECATED_SPECIAL_TOKENS (mistral_common/tokens/tokenizers/tekken.py), ids 0-19.
    static let tekkenDeprecatedSpecials = [
        "<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]",
        "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]", "[IMG_END]", "[PREFIX]", "[MIDDLE]",
        "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]",
    ]

    /// TokenizerVersion's members, in order.
    static let tekkenVersions = ["v1", "v2", "v3", "v7", "v11", "v13", "v15"]

    /// Whether a JSON file's first bytes look like a Tekken file rather than a tokenizer.json:
    /// Tekken's keys (`token_bytes`, `default_num_special_tokens`) and no tokenizer.json `"model"`
    /// object before them.
    public static func looksLikeTekken(_ head: [UInt8]) -> Bool {
        let s = String(decoding: head, as: UTF8.self)
        guard let first = s.firstIndex(where: { !$0.isWhitespace }), s[first] == "{" else { return false }
        let tekkenKey = [#""default_num_special_tokens""#, #""token_bytes""#, #""num_vocab_tokens""#]
            .compactMap { s.range(of: $0)?.lowerBound }.min()
        guard let t = tekkenKey else { return false }
        if let m = s.range(of: #""model""#)?.lowerBound, m < t { return false }
        return true
    }

    public static func loadTekken(path: String) throws -> (model: BPEModel, info: TekkenInfo) {
        guard let data = FileManager.default.contents(atPath: path) else { throw TokenizerError("\(path): cannot read") }
        guard let obj = try? JSONSerialization.jsonObject(with: data), let root = obj as? [String: Any] else {
            throw TokenizerError("\(path): not valid JSON (a Tekken file is one JSON object with config and vocab)")
        }
        guard let config = root["config"] as? [String: Any], let vocab = root["vocab"] as? [[String: Any]] else {
            throw TokenizerError("\(path): not a Tekken file (config and vocab are needed)")
        }
        func int(_ key: String) throws -> Int {
            guard let v = config[key].flatMap(jsonInteger), v >= 0 else {
                throw TokenizerError("\(path): config.\(key) is missing or not a non-negative integer")
            }
            return v
        }
        guard let pattern = config["pattern"] as? String, !pattern.isEmpty else {
            throw TokenizerError("\(path): config.pattern is missing (tiktoken's pat_str)")
        }
        guard let version = config["version"] as? String, let vIndex = tekkenVersions.firstIndex(of: version) else {
            throw TokenizerError("\(path): config.version \(config["version"].map { "\($0)" } ?? "is missing"): not a Tekken version (\(tekkenVersions.joined(separator: ", ")))")
        }
        let numSpecial = try int("default_num_special_tokens")
        let vocabSize = try int("default_vocab_size")
        guard vocabSize <= vocab.count + numSpecial, vocabSize > numSpecial + 255 else {
            throw TokenizerError("\(path): config.default_vocab_size \(vocabSize) does not fit \(vocab.count) vocabulary entries and \(numSpecial) special tokens")
        }
        guard vocabSize < maxTokenIDs else { throw TokenizerError("\(path): config.default_vocab_size \(vocabSize) is above \(maxTokenIDs)") }

        var specialNames: [String]
        let specialsInFile = root["special_tokens"] != nil && !(root["special_tokens"] is NSNull)
        if specialsInFile {
            guard let list = root["special_tokens"] as? [[String: Any]] else {
                throw TokenizerError("\(path): special_tokens is not a list of {rank, token_str, is_control}")
            }
            specialNames = []
            for (i, t) in list.enumerated() {
                guard let s = t["token_str"] as? String, let r = t["rank"] as? NSNumber, r.intValue == i else {
                    throw TokenizerError("\(path): special_tokens[\(i)] is not {rank: \(i), token_str: ...} (special token i has id i)")
                }
                specialNames.append(s)
            }
        } else {
            // Tekkenizer.from_file: files after v7 must list their special tokens
            guard vIndex <= tekkenVersions.firstIndex(of: "v7")! else {
                throw TokenizerError("\(path): a \(version) Tekken file without special_tokens (Tekkenizer refuses it: files after v7 list their special tokens)")
            }
            specialNames = tekkenDeprecatedSpecials
        }
        guard specialNames.count <= numSpecial else {
            throw TokenizerError("\(path): \(specialNames.count) special tokens, more than config.default_num_special_tokens (\(numSpecial))")
        }
        for i in specialNames.count..<numSpecial { specialNames.append("<SPECIAL_\(i)>") }
        var specials: [String: UInt32] = [:]
        for (i, s) in specialNames.enumerated() {
            if specials[s] != nil { throw TokenizerError("\(path): special token \(s) is listed twice") }
            specials[s] = UInt32(i)
        }

        let inner = vocabSize - numSpecial
        var ranks: [([UInt8], UInt32)] = []
        ranks.reserveCapacity(inner)
        var tokenBytes = [[UInt8]?](repeating: nil, count: vocabSize)
        var seen = Set<[UInt8]>()
        seen.reserveCapacity(inner)
        for i in 0..<inner {
            let e = vocab[i]
            guard let r = e["rank"] as? NSNumber, r.intValue == i, let b64 = e["token_bytes"] as? String,
                  let d = Data(base64Encoded: b64), !d.isEmpty else {
                throw TokenizerError("\(path): vocab[\(i)] is not {rank: \(i), token_bytes: BASE64, token_str} (ranks in order)")
            }
            let t = Array(d)
            if i < 256 && t != [UInt8(i)] {
                throw TokenizerError("\(path): vocab[\(i)] is not the byte \(i) (the first 256 ranks are the single bytes)")
            }
            guard seen.insert(t).inserted else { throw TokenizerError("\(path): vocab[\(i)] repeats an earlier token's bytes") }
            let id = UInt32(i + numSpecial)
            ranks.append((t, id))
            tokenBytes[Int(id)] = t
        }
        let model = try tiktokenModel(ranks: ranks, tokenBytes: tokenBytes, specials: specials, regex: pattern,
                                      normalizer: nil, pattern: nil)
        return (model, TekkenInfo(version: version, numSpecial: numSpecial, vocabSize: vocabSize, specialsInFile: specialsInFile))
    }
}

/// A JSON number that is an integer (not a boolean, not a fraction), from JSONSerialization.
func jsonInteger(_ v: Any) -> Int? {
    if type(of: v) == Bool.self { return nil }
    if let i = v as? Int { return i }
    if let n = v as? NSNumber, let i = Int(exactly: n.doubleValue) { return i }
    return nil
}
