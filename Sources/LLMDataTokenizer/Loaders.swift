import CSimdjsonShim
import Foundation
import LLMDataBPE

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
