import Foundation
import LLMDataCore

/// Writes and reads HF tokenizers' `tokenizer.json` for byte-level BPE.
public enum TokenizerJSON {
    /// The file tokenizers 0.2x writes (`Tokenizer.save`, pretty JSON, no trailing newline) for a
    /// BPE model trained with `Split(pattern, isolated)` + `ByteLevel(use_regex: false)` (or
    /// `ByteLevel(use_regex: true)` alone for GPT-2's pattern) and a ByteLevel decoder.
    public static func serialize(_ model: TrainedBPE, pattern: SplitPattern) -> [UInt8] {
        serialize(model, split: .builtin(pattern))
    }

    /// As above for any split: custom regexes (`--split-regex`) are written as HF writes a
    /// `Sequence` of `Split(Regex, Isolated)` before `ByteLevel(use_regex: false)`.
    public static func serialize(_ model: TrainedBPE, split: SplitSpec) -> [UInt8] {
        var o: [UInt8] = []
        o.reserveCapacity(model.vocab.count * 40 + model.merges.count * 40)
        func raw(_ s: String) { o.append(contentsOf: s.utf8) }
        func str(_ b: [UInt8]) { b.withUnsafeBufferPointer { JSONWriter.appendString($0, to: &o) } }
        func str(_ s: String) { str(Array(s.utf8)) }

        raw("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
        if model.specialTokens.isEmpty {
            raw("],\n")
        } else {
            for (i, t) in model.specialTokens.enumerated() {
                raw(i == 0 ? "\n" : ",\n")
                raw("    {\n      \"id\": \(i),\n      \"content\": ")
                str(t)
                raw(",\n      \"single_word\": false,\n      \"lstrip\": false,\n      \"rstrip\": false,\n      \"normalized\": false,\n      \"special\": true\n    }")
            }
            raw("\n  ],\n")
        }
        raw("  \"normalizer\": null,\n  \"pre_tokenizer\": {\n")
        let regexes: [String]
        switch split {
        case .builtin(let p): regexes = p == .gpt2 ? [] : [p.regex]
        case .regexes(let rs): regexes = rs
        }
        if regexes.isEmpty {
            raw("    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": false,\n    \"trim_offsets\": true,\n    \"use_regex\": true\n")
        } else {
            raw("    \"type\": \"Sequence\",\n    \"pretokenizers\": [\n")
            for re in regexes {
                raw("      {\n        \"type\": \"Split\",\n        \"pattern\": {\n          \"Regex\": ")
                str(re)
                raw("\n        },\n        \"behavior\": \"Isolated\",\n        \"invert\": false\n      },\n")
            }
            raw("      {\n        \"type\": \"ByteLevel\",\n        \"add_prefix_space\": false,\n        \"trim_offsets\": true,\n        \"use_regex\": false\n      }\n    ]\n")
        }
        raw("  },\n  \"post_processor\": null,\n  \"decoder\": {\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": true,\n    \"trim_offsets\": true,\n    \"use_regex\": true\n  },\n")
        raw("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {")
        for (i, t) in model.vocab.enumerated() {
            raw(i == 0 ? "\n      " : ",\n      ")
            str(t)
            raw(": \(i)")
        }
        raw(model.vocab.isEmpty ? "},\n" : "\n    },\n")
        raw("    \"merges\": [")
        for (i, m) in model.merges.enumerated() {
            raw(i == 0 ? "\n      [\n        " : ",\n      [\n        ")
            str(model.vocab[Int(m.0)])
            raw(",\n        ")
            str(model.vocab[Int(m.1)])
            raw("\n      ]")
        }
        raw(model.merges.isEmpty ? "]\n  }\n}" : "\n    ]\n  }\n}")
        return o
    }
}

/// A byte-level BPE `tokenizer.json` as loaded for encoding: ours and existing ones of the same
/// family (GPT-2: ByteLevel with its regex; Llama-3 / Qwen2: Split(Regex) + ByteLevel).
public struct ByteLevelBPEFile: Sendable {
    /// (token string, id) in file order; token strings are byte-level strings.
    public var vocab: [(String, Int)]
    /// Merges in rank order, as pairs of token strings.
    public var merges: [(String, String)]
    /// Added tokens: id, content, special flag.
    public var addedTokens: [(id: Int, content: String, special: Bool)]
    /// The split regex applied before byte-level mapping (GPT-2's when ByteLevel uses its own).
    public var splitPattern: String?
    /// The normalizer's type, if any (e.g. "NFC"); callers decide whether they support it.
    public var normalizer: String?

    /// A token string's raw bytes (nil when it is not a byte-level string, e.g. a special token).
    public static func rawBytes(_ token: String) -> [UInt8]? { ByteLevel.decode(token) }

    public static func load(path: String) throws -> ByteLevelBPEFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw LLMDataError("\(path): cannot read") }
        return try parse(data, name: path)
    }

    public static func parse(_ data: Data, name: String = "tokenizer.json") throws -> ByteLevelBPEFile {
        func bad(_ why: String) -> LLMDataError { LLMDataError("\(name): \(why)") }
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw bad("not a JSON object") }
        guard let model = root["model"] as? [String: Any] else { throw bad("no model") }
        if let t = model["type"] as? String, t != "BPE" { throw bad("model type \(t) is not BPE") }
        guard let vocabObj = model["vocab"] as? [String: Any] else { throw bad("no model.vocab") }
        var vocab: [(String, Int)] = []
        vocab.reserveCapacity(vocabObj.count)
        for (k, v) in vocabObj {
            guard let id = (v as? NSNumber)?.intValue else { throw bad("vocab id of \(k) is not a number") }
            vocab.append((k, id))
        }
        vocab.sort { $0.1 < $1.1 }
        var merges: [(String, String)] = []
        if let ms = model["merges"] as? [Any] {
            merges.reserveCapacity(ms.count)
            for m in ms {
                if let pair = m as? [String], pair.count == 2 {
                    merges.append((pair[0], pair[1]))
                } else if let s = m as? String, let sp = s.firstIndex(of: " ") {
                    merges.append((String(s[..<sp]), String(s[s.index(after: sp)...])))
                } else {
                    throw bad("bad merge entry \(m)")
                }
            }
        }
        var added: [(id: Int, content: String, special: Bool)] = []
        for t in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = (t["id"] as? NSNumber)?.intValue, let c = t["content"] as? String else { throw bad("bad added token") }
            added.append((id, c, (t["special"] as? Bool) ?? false))
        }
        var pattern: String?
        func visit(_ pt: [String: Any]) throws {
            switch pt["type"] as? String {
            case "Sequence":
                for p in pt["pretokenizers"] as? [[String: Any]] ?? [] { try visit(p) }
            case "Split":
                guard let pat = pt["pattern"] as? [String: Any], let re = pat["Regex"] as? String else {
                    throw bad("Split pre-tokenizer without a Regex pattern is not supported")
                }
                pattern = re
            case "ByteLevel":
                if (pt["use_regex"] as? Bool) ?? true { pattern = SplitPattern.gpt2.regex }
                if (pt["add_prefix_space"] as? Bool) ?? false { throw bad("ByteLevel add_prefix_space is not supported") }
            case let t:
                throw bad("pre-tokenizer \(t ?? "?") is not supported")
            }
        }
        if let pt = root["pre_tokenizer"] as? [String: Any] { try visit(pt) }
        let norm = (root["normalizer"] as? [String: Any])?["type"] as? String
        return ByteLevelBPEFile(vocab: vocab, merges: merges, addedTokens: added, splitPattern: pattern, normalizer: norm)
    }
}

/// tiktoken's ranks file: one `base64(token bytes) rank` line per mergeable token.
public enum TiktokenFile {
    /// Ranks are the tokenizer.json ids, so ids agree between the two files; special tokens
    /// (ids below the byte alphabet) are not written, as tiktoken takes them separately.
    public static func serialize(_ model: TrainedBPE) -> [UInt8] {
        var o: [UInt8] = []
        for id in model.specialTokens.count..<model.vocab.count {
            guard let bytes = model.tokenBytes(id) else { continue }
            o.append(contentsOf: Data(bytes).base64EncodedString().utf8)
            o.append(UInt8(ascii: " "))
            o.append(contentsOf: String(id).utf8)
            o.append(0x0A)
        }
        return o
    }

    /// A Split regex in tiktoken's terms. HF's `Split(Regex, Isolated)` keeps the text between
    /// matches as pieces; tiktoken's `findall` drops it. The gap is a run of characters at none of
    /// which the regex matches, so `R|(?:(?!R)(?s:.))+` gives tiktoken HF's pieces (the same
    /// pieces as R alone when R matches all text).
    public static func tiktokenForm(ofSplitRegex r: String) -> String {
        "(?:\(r))|(?:(?!(?:\(r)))(?s:.))+"
    }

    /// Where `bpe train --tiktoken X` writes the rest of what `tiktoken.Encoding` needs: X.json.
    public static func sidecarPath(_ ranksPath: String) -> String { ranksPath + ".json" }

    /// The sidecar: `{"pattern": name, "pat_str": regex, "special_tokens": {token: id, …}}`, the
    /// arguments of `tiktoken.Encoding(name, pat_str=, mergeable_ranks=, special_tokens=)`; the
    /// name is the built-in pattern's (`custom` for --split-regex). tiktoken takes one regex, so
    /// a sequence of several --split-regex has no tiktoken form.
    public static func sidecar(_ model: TrainedBPE, split: SplitSpec) throws -> [UInt8] {
        let name: String, patStr: String
        switch split {
        case .builtin(let p):
            name = p.rawValue
            patStr = p.tiktokenRegex
        case .regexes(let rs):
            guard rs.count == 1 else {
                throw LLMDataError("--tiktoken: tiktoken applies one split regex, not a sequence of \(rs.count) --split-regex",
                                   hint: "drop --tiktoken (tokenizer.json holds the sequence), or give one --split-regex")
            }
            name = "custom"
            patStr = tiktokenForm(ofSplitRegex: rs[0])
        }
        var specials: [(String, JSONValue)] = []
        for (i, t) in model.specialTokens.enumerated() { specials.append((t, .int(i))) }
        var o: [UInt8] = []
        JSONWriter.appendObject([("pattern", .string(name)), ("pat_str", .string(patStr)), ("special_tokens", .object(specials))], to: &o)
        o.append(0x0A)
        return o
    }
}
