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
        // the vocabulary (nearly all of the file) is scanned here; the other members are small
        // and go to JSONSerialization (which took 1.7 s on the whole of tekken_240911.json)
        let scan = try data.withUnsafeBytes { raw in
            var sc = TekkenScanner(raw.bindMemory(to: UInt8.self), path: path)
            return try sc.top()
        }
        var root: [String: Any] = [:]
        for (k, r) in scan.others {
            guard let v = try? JSONSerialization.jsonObject(with: data.subdata(in: r), options: .fragmentsAllowed) else {
                throw TokenizerError("\(path): the value of \"\(k)\" is not valid JSON")
            }
            root[k] = v
        }
        guard let config = root["config"] as? [String: Any], let vocab = scan.vocab else {
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
            guard e.rank == i, let d = Data(base64Encoded: e.base64), !d.isEmpty else {
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

/// Splits a Tekken file at its top level: `vocab`'s entries as (rank, token_bytes) read here, every
/// other member as the byte range of its JSON value.
struct TekkenScanner {
    struct Entry { var rank: Int; var base64: Data }
    let b: UnsafeBufferPointer<UInt8>
    let path: String
    var i = 0

    init(_ b: UnsafeBufferPointer<UInt8>, path: String) {
        self.b = b
        self.path = path
    }

    func fail(_ what: String) -> TokenizerError {
        TokenizerError("\(path): not valid JSON at byte \(i): \(what) (a Tekken file is one JSON object with config and vocab)")
    }

    mutating func ws() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws {
        ws()
        guard i < b.count, b[i] == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    /// A string at `i` (after whitespace): the range of its contents and whether it has escapes.
    mutating func string() throws -> (Range<Int>, Bool) {
        try expect(0x22)
        let start = i
        var escaped = false
        while i < b.count {
            let c = b[i]
            if c == 0x22 { i += 1; return (start..<i - 1, escaped) }
            if c == 0x5C { escaped = true; i += 2; continue }
            i += 1
        }
        throw fail("unterminated string")
    }

    /// Skips one value (object and array nesting counted, strings skipped whole).
    mutating func skipValue() throws {
        ws()
        guard i < b.count else { throw fail("value expected") }
        switch b[i] {
        case 0x22:
            _ = try string()
        case 0x7B, 0x5B:
            var depth = 0
            repeat {
                guard i < b.count else { throw fail("unterminated object or array") }
                let c = b[i]
                if c == 0x22 { _ = try string(); continue }
                if c == 0x7B || c == 0x5B { depth += 1 } else if c == 0x7D || c == 0x5D { depth -= 1 }
                i += 1
            } while depth > 0
        default:
            let start = i
            while i < b.count, !(b[i] == 0x2C || b[i] == 0x7D || b[i] == 0x5D || b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09) { i += 1 }
            if i == start { throw fail("value expected") }
        }
    }

    func equals(_ r: Range<Int>, _ s: StaticString) -> Bool {
        guard r.count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for k in 0..<r.count where b[r.lowerBound + k] != p[k] { return false }
        return true
    }

    /// `[{"rank": N, "token_bytes": "...", ...}, ...]`
    mutating func vocab() throws -> [Entry] {
        var out: [Entry] = []
        out.reserveCapacity(160_000)
        try expect(0x5B)
        ws()
        if i < b.count, b[i] == 0x5D { i += 1; return out }
        while true {
            try expect(0x7B)
            var rank = -1
            var token: Data? = nil
            ws()
            if i < b.count, b[i] == 0x7D { i += 1 } else {
                while true {
                    let (k, _) = try string()
                    try expect(0x3A)
                    ws()
                    if equals(k, "rank") {
                        var n = 0, digits = 0
                        while i < b.count, b[i] >= 0x30, b[i] <= 0x39, digits < 10 { n = n * 10 + Int(b[i] - 0x30); i += 1; digits += 1 }
                        if digits == 0 { try skipValue() } else { rank = n }
                    } else if equals(k, "token_bytes") {
                        let (r, escaped) = try string()
                        var d = Data(UnsafeBufferPointer(rebasing: b[r]))
                        // JSON may write "/" as "\/"; no other escape belongs in base64
                        if escaped { d = Data(String(decoding: d, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/").utf8) }
                        token = d
                    } else {
                        try skipValue()
                    }
                    ws()
                    guard i < b.count else { throw fail("unterminated vocabulary entry") }
                    if b[i] == 0x2C { i += 1; continue }
                    if b[i] == 0x7D { i += 1; break }
                    throw fail("expected ',' or '}'")
                }
            }
            out.append(Entry(rank: rank, base64: token ?? Data()))
            ws()
            guard i < b.count else { throw fail("unterminated vocab") }
            if b[i] == 0x2C { i += 1; continue }
            if b[i] == 0x5D { i += 1; break }
            throw fail("expected ',' or ']'")
        }
        return out
    }

    /// The top-level object.
    mutating func top() throws -> (vocab: [Entry]?, others: [String: Range<Int>]) {
        var vocabEntries: [Entry]? = nil
        var others: [String: Range<Int>] = [:]
        try expect(0x7B)
        ws()
        if i < b.count, b[i] == 0x7D { return (nil, [:]) }
        while true {
            let (k, escaped) = try string()
            try expect(0x3A)
            ws()
            let key = String(decoding: UnsafeBufferPointer(rebasing: b[k]), as: UTF8.self)
            if !escaped && key == "vocab" {
                vocabEntries = try vocab()
            } else {
                let start = i
                try skipValue()
                others[key] = start..<i
            }
            ws()
            guard i < b.count else { throw fail("unterminated object") }
            if b[i] == 0x2C { i += 1; continue }
            if b[i] == 0x7D { i += 1; break }
            throw fail("expected ',' or '}'")
        }
        ws()
        if i != b.count { throw fail("text after the object") }
        return (vocabEntries, others)
    }
}
