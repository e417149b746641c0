import CSimdjsonShim
import Foundation
import LLMDataBPETraining

extension BPEModel {
    /// Ids of a tokenizer file (vocabulary ids, added tokens, tiktoken ranks) must be below this
    /// (2^24; the largest real vocabularies have ~260k): they size the token table.
    public static let maxTokenIDs = 1 << 24

    /// The GPT-2 split pattern that HF's `ByteLevel(use_regex=true)` pre-tokenizer applies: the
    /// built-in gpt2 pattern itself, so the encoder finds it and takes its ASCII fast path.
    public static let hfByteLevelRegex = SplitPattern.gpt2.regex

    /// Loads a byte-level BPE `tokenizer.json` (HF tokenizers): ours, GPT-2, Llama-3 and Qwen2
    /// style files. Supported: model BPE (merges as "a b" strings or [a, b] pairs,
    /// `ignore_merges`), pre-tokenizer ByteLevel or Sequence[Split(Regex, Isolated), ByteLevel],
    /// normalizer none or NFC, added tokens.
    public static func loadTokenizerJSON(path: String) throws -> BPEModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError("\(path): cannot read")
        }
        // simdjson reads the file; model.vocab and model.merges (nearly all of it) come back as
        // string spans, the rest as a small JSON text for JSONSerialization (which took ~110 of
        // ~150 ms on GPT-2's file when it read everything).
        var failure: UnsafePointer<CChar>? = nil
        let parsed = data.withUnsafeBytes { b in
            llm_tokjson_parse(b.baseAddress?.assumingMemoryBound(to: UInt8.self), b.count, &failure)
        }
        guard let tj = parsed else {
            let why = failure.map { String(cString: $0) } ?? "not valid JSON"
            if why.hasPrefix("no model") {
                throw TokenizerError("\(path): not a BPE tokenizer.json (model.type, model.vocab and model.merges are needed)")
            }
            throw TokenizerError("\(path): \(why) (a tokenizer.json is one JSON object)")
        }
        defer { llm_tokjson_free(tj) }
        var restCount = 0
        let restBytes = llm_tokjson_rest(tj, &restCount)
        guard let restPtr = restBytes,
              let root = try? JSONSerialization.jsonObject(with: Data(bytes: restPtr, count: restCount)) as? [String: Any],
              let model = root["model"] as? [String: Any], (model["type"] as? String ?? "BPE") == "BPE" else {
            throw TokenizerError("\(path): not a BPE tokenizer.json (model.type, model.vocab and model.merges are needed)")
        }
        if model["byte_fallback"] as? Bool == true { throw TokenizerError("\(path): byte_fallback BPE (sentencepiece style) is not supported") }
        func string(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String {
            String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        }
        var maxID = -1
        var ids: [String: UInt32] = [:]
        let vocabCount = llm_tokjson_vocab_count(tj)
        ids.reserveCapacity(vocabCount)
        for i in 0..<vocabCount {
            var key: UnsafePointer<UInt8>? = nil
            var keyLength = 0
            var n: Int64 = 0
            // an id that is not an integer is skipped, as before
            guard llm_tokjson_vocab_entry(tj, i, &key, &keyLength, &n) != 0 else { continue }
            // ids size the token table: a negative or huge one would trap or allocate gigabytes
            guard n >= 0, n < Int64(maxTokenIDs) else {
                throw TokenizerError("\(path): vocabulary entry \(string(key, keyLength).debugDescription) has id \(n), outside 0..<\(maxTokenIDs)")
            }
            ids[string(key, keyLength)] = UInt32(n)
            maxID = max(maxID, Int(n))
        }
        var specials: [String: UInt32] = [:]
        var nonSpecial: [String: UInt32] = [:]
        var added: [(String, Int)] = []
        for t in root["added_tokens"] as? [[String: Any]] ?? [] {
            if let c = t["content"] as? String, let id = (t["id"] as? NSNumber)?.intValue {
                guard id >= 0, id < maxTokenIDs else {
                    throw TokenizerError("\(path): added token \(c.debugDescription) has id \(id), outside 0..<\(maxTokenIDs)")
                }
                specials[c] = UInt32(id)
                // HF splits the text on every added token; the special ones only matter with
                // --allow-special here (issue 7), the others always
                if (t["special"] as? Bool) == false, !c.isEmpty {
                    // HF's lstrip / rstrip / single_word change where such a token matches (in
                    // every text): not reproduced, so refused rather than encoded differently
                    for flag in ["lstrip", "rstrip", "single_word"] where (t[flag] as? Bool) == true {
                        throw TokenizerError("\(path): added token \(c.debugDescription) has \(flag): true, which is not supported for tokens that are not special")
                    }
                    nonSpecial[c] = UInt32(id)
                }
                added.append((c, id))
                maxID = max(maxID, id)
            }
        }
        var bytes = [[UInt8]?](repeating: nil, count: maxID + 1)
        for (k, id) in ids {
            guard let b = ByteLevel.decode(k) else {
                throw TokenizerError("\(path): vocabulary entry \(k.debugDescription) is not byte-level (GPT-2 byte mapping)")
            }
            bytes[Int(id)] = b
        }
        var entries: [(UInt32, UInt32, UInt32, UInt32)] = []
        let mergeCount = llm_tokjson_merge_count(tj)
        entries.reserveCapacity(mergeCount)
        for rank in 0..<mergeCount {
            var a: UnsafePointer<UInt8>? = nil, b: UnsafePointer<UInt8>? = nil
            var aLength = 0, bLength = 0
            guard llm_tokjson_merge(tj, rank, &a, &aLength, &b, &bLength) != 0 else {
                throw TokenizerError("\(path): merge \(rank) is neither \"a b\" nor [a, b]")
            }
            let pair = (string(a, aLength), string(b, bLength))
            guard let l = ids[pair.0], let r = ids[pair.1], let merged = ids[pair.0 + pair.1] else {
                throw TokenizerError("\(path): merge \(rank) (\(pair.0) \(pair.1)) uses tokens missing from the vocabulary")
            }
            entries.append((l, r, UInt32(rank), merged))
        }
        var whole: TokenTable? = nil
        if model["ignore_merges"] as? Bool == true {
            whole = TokenTable(bytes.enumerated().compactMap { id, b in b.map { ($0, UInt32(id)) } })
        }
        // pre-tokenizer
        var regex = hfByteLevelRegex
        var prefix = false
        func byteLevel(_ p: [String: Any]) {
            prefix = p["add_prefix_space"] as? Bool ?? false
        }
        if let pre = root["pre_tokenizer"] as? [String: Any] {
            switch pre["type"] as? String {
            case "ByteLevel":
                byteLevel(pre)
                if pre["use_regex"] as? Bool == false { regex = "" }
            case "Sequence":
                var found = false
                for p in pre["pretokenizers"] as? [[String: Any]] ?? [] {
                    switch p["type"] as? String {
                    case "Split":
                        guard let pat = p["pattern"] as? [String: Any], let r = pat["Regex"] as? String,
                              (p["behavior"] as? String ?? "Isolated") == "Isolated", p["invert"] as? Bool != true else {
                            throw TokenizerError("\(path): only Split with a Regex pattern, Isolated, not inverted, is supported")
                        }
                        regex = r
                        found = true
                    case "ByteLevel":
                        byteLevel(p)
                        if p["use_regex"] as? Bool != false && !found { regex = hfByteLevelRegex; found = true }
                    case let other:
                        throw TokenizerError("\(path): pre-tokenizer \(other ?? "?") is not supported")
                    }
                }
            case let other:
                throw TokenizerError("\(path): pre-tokenizer \(other ?? "?") is not supported")
            }
        }
        var normalizer: String? = nil
        if let norm = root["normalizer"] as? [String: Any] {
            guard norm["type"] as? String == "NFC" else {
                throw TokenizerError("\(path): normalizer \(norm["type"] ?? "?") is not supported (only NFC)")
            }
            normalizer = "NFC"
        }
        return try BPEModel(kind: .tokenizerJSON, tokenBytes: bytes, pairs: PairTable(entries), wholeLookup: whole,
                            specials: specials, addedTokens: nonSpecial, splitRegex: regex, addPrefixSpace: prefix, normalizer: normalizer,
                            postProcessorBOS: leadingSpecial(root["post_processor"]))
    }

    /// The special token a post-processor's `TemplateProcessing` puts before a single text
    /// (`"single": [{"SpecialToken": {"id": "<|begin_of_text|>"}}, {"Sequence": {"id": "A"}}]`),
    /// also inside a `Sequence` of processors (Llama 3.1); nil when the text comes first.
    static func leadingSpecial(_ p: Any?) -> String? {
        guard let p = p as? [String: Any] else { return nil }
        if p["type"] as? String == "Sequence" {
            for q in p["processors"] as? [Any] ?? [] { if let s = leadingSpecial(q) { return s } }
            return nil
        }
        guard p["type"] as? String == "TemplateProcessing", let first = (p["single"] as? [Any])?.first as? [String: Any],
              let special = first["SpecialToken"] as? [String: Any] else { return nil }
        return special["id"] as? String
    }
}
