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

    /// Loads a BPE `tokenizer.json` (HF tokenizers). Supported, as HF applies them: normalizers
    /// NFC/NFD/NFKC/NFKD, Lowercase, Replace, Prepend, Strip, Sequence; pre-tokenizers ByteLevel
    /// (with or without its regex), Split (every behavior, invert), Digits, Metaspace, Whitespace,
    /// WhitespaceSplit, Punctuation, Sequence; added tokens with special / normalized / lstrip /
    /// rstrip / single_word; model BPE with merges as "a b" or [a, b], `ignore_merges`,
    /// `byte_fallback`, `unk_token`, `fuse_unk`, `continuing_subword_prefix`,
    /// `end_of_word_suffix` (byte-level vocabularies when the pre-tokenizer ends with ByteLevel,
    /// character-level ones otherwise); post-processors TemplateProcessing (a special token before
    /// and/or after the text), ByteLevel, and a Sequence of them. Anything else is refused by name.
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
              let model = root["model"] as? [String: Any] else {
            throw TokenizerError("\(path): not a BPE tokenizer.json (model.type, model.vocab and model.merges are needed)")
        }
        let modelType = model["type"] as? String ?? "BPE"
        guard modelType == "BPE" else {
            throw TokenizerError("\(path): model \(modelType) is not supported (only BPE models)")
        }
        if let d = model["dropout"] as? NSNumber, d.doubleValue != 0 {
            throw TokenizerError("\(path): BPE dropout \(d) is not supported (it makes the ids random)")
        }
        for key in ["truncation", "padding"] where root[key] != nil && !(root[key] is NSNull) {
            throw TokenizerError("\(path): \"\(key)\" is set, which changes HF's ids for every text; it is not supported (set it to null)")
        }
        // normalizer and pre-tokenizer first: the pre-tokenizer says whether the vocabulary is
        // byte-level
        let normalizer = try NormalizerStep.parse(root["normalizer"], path: path)
        var steps = try PreTokenizerStep.parse(root["pre_tokenizer"], path: path)
        for (k, s) in steps.enumerated() where s.name == "ByteLevel" && k != steps.count - 1 {
            throw TokenizerError("\(path): pre-tokenizer \(steps[k + 1].name) after ByteLevel is not supported")
        }
        var byteLevel = false
        var regex = ""
        var prefix = false
        if case .byteLevel(let p, let useRegex)? = steps.last {
            byteLevel = true
            steps.removeLast()
            prefix = p
            if useRegex {
                regex = hfByteLevelRegex
            } else if !p, case .split(.regex(let r), .isolated, invert: false)? = steps.last {
                // the last split on the encoder's split pattern (the built-in patterns' fast path)
                regex = r
                steps.removeLast()
            }
        }
        if !byteLevel, case .split(.regex(let r), .isolated, invert: false)? = steps.last {
            regex = r
            steps.removeLast()
        }
        let prefixString = model["continuing_subword_prefix"] as? String
        let suffixString = model["end_of_word_suffix"] as? String
        if byteLevel, (prefixString ?? "") != "" || (suffixString ?? "") != "" {
            throw TokenizerError("\(path): continuing_subword_prefix / end_of_word_suffix with a ByteLevel pre-tokenizer is not supported")
        }
        let byteFallback = model["byte_fallback"] as? Bool ?? false
        let fuseUnk = model["fuse_unk"] as? Bool ?? false
        func string(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String {
            String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        }
        var maxID = -1
        // the vocabulary as spans of the parsed file (no String per entry: DeepSeek-V3's 128k
        // entries and 127k merges took ~0.2 s through a [String: UInt32])
        let vocabCount = llm_tokjson_vocab_count(tj)
        let ids = SpanTable(capacity: vocabCount)
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
            ids.set(key, keyLength, UInt32(n))
            maxID = max(maxID, Int(n))
        }
        var specials: [String: UInt32] = [:]
        var nonSpecial: [String: UInt32] = [:]
        var added: [AddedTokenSpec] = []
        // HF numbers the added tokens itself, whatever ids the file gives (it warns when they
        // differ): the vocabulary's id for a token that is in it, else the next id from the
        // vocabulary's size on; the first entry of a content wins
        var nextID = ids.count
        var addedByContent: [String: Int] = [:]
        for t in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let c = t["content"] as? String, let declared = (t["id"] as? NSNumber)?.intValue, !c.isEmpty else { continue }
            guard declared >= 0, declared < maxTokenIDs else {
                throw TokenizerError("\(path): added token \(c.debugDescription) has id \(declared), outside 0..<\(maxTokenIDs)")
            }
            let id: Int
            if let a = addedByContent[c] { id = a } else if let v = ids[c] { id = Int(v) } else { id = nextID; nextID += 1 }
            guard id < maxTokenIDs else {
                throw TokenizerError("\(path): added token \(c.debugDescription) gets id \(id), outside 0..<\(maxTokenIDs)")
            }
            if addedByContent[c] != nil { added.removeAll { $0.content == c } }
            addedByContent[c] = id
            let special = t["special"] as? Bool ?? false
            specials[c] = UInt32(id)
            if !special && !c.isEmpty { nonSpecial[c] = UInt32(id) }
            added.append(AddedTokenSpec(content: c, id: UInt32(id), special: special,
                                        normalized: t["normalized"] as? Bool ?? !special, lstrip: t["lstrip"] as? Bool ?? false,
                                        rstrip: t["rstrip"] as? Bool ?? false, singleWord: t["single_word"] as? Bool ?? false))
            maxID = max(maxID, id)
        }
        var bytes = [[UInt8]?](repeating: nil, count: maxID + 1)
        for e in 0..<ids.count {
            let (k, id) = (ids.key(e), ids.id(e))
            if byteLevel {
                // an entry outside the byte-level alphabet (DeepSeek-V3's added tokens are in its
                // vocabulary too) can never be a piece or a merge of one: no bytes
                bytes[Int(id)] = SpanTable.byteLevelDecode(k)
            } else {
                bytes[Int(id)] = Array(k)
            }
        }
        let prefixLength = (prefixString ?? "").utf8.count
        var entries: [(UInt32, UInt32, UInt32, UInt32)] = []
        let mergeCount = llm_tokjson_merge_count(tj)
        entries.reserveCapacity(mergeCount)
        var scratch: [UInt8] = []
        for rank in 0..<mergeCount {
            var a: UnsafePointer<UInt8>? = nil, b: UnsafePointer<UInt8>? = nil
            var aLength = 0, bLength = 0
            guard llm_tokjson_merge(tj, rank, &a, &aLength, &b, &bLength) != 0 else {
                throw TokenizerError("\(path): merge \(rank) is neither \"a b\" nor [a, b]")
            }
            // HF: the merged token is a + b without the continuing-subword prefix's length
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(start: a, count: aLength))
            if bLength > prefixLength { scratch.append(contentsOf: UnsafeBufferPointer(start: b! + prefixLength, count: bLength - prefixLength)) }
            guard let l = ids.get(a, aLength), let r = ids.get(b, bLength),
                  let merged = scratch.withUnsafeBufferPointer({ ids.get($0.baseAddress, $0.count) }) else {
                throw TokenizerError("\(path): merge \(rank) (\(string(a, aLength)) \(string(b, bLength))) uses tokens missing from the vocabulary")
            }
            entries.append((l, r, UInt32(rank), merged))
        }
        var whole: TokenTable? = nil
        if model["ignore_merges"] as? Bool == true {
            // HF looks the whole piece up in the model's vocabulary (not the added tokens)
            whole = TokenTable((0..<ids.count).compactMap { e in bytes[Int(ids.id(e))].map { ($0, ids.id(e)) } })
        }
        var symbols = Symbols.byteLevel
        if !byteLevel {
            var unk: UInt32? = nil
            if let u = model["unk_token"] as? String {
                guard let id = ids[u] ?? specials[u] else {
                    throw TokenizerError("\(path): unk_token \(u.debugDescription) is not in the vocabulary")
                }
                unk = id
            }
            let vocab = (0..<ids.count).map { (Array(ids.key($0)), ids.id($0)) }
            symbols = .characters(CharacterSymbols(vocab: vocab, continuingSubwordPrefix: prefixString, endOfWordSuffix: suffixString,
                                                   byteFallback: byteFallback, unk: unk, fallback: .huggingFace(fuseUnk: fuseUnk)))
        }
        // added tokens with normalized: true are matched by their normalized form
        var normalizedContent: [UInt32: String] = [:]
        if !normalizer.isEmpty {
            let runner = try NormalizerRunner(normalizer)
            for t in added where t.normalized {
                var c = Array(t.content.utf8)
                let n = c.withUnsafeBufferPointer { runner.normalize($0) { String(decoding: $0, as: UTF8.self) } }
                if n != t.content { normalizedContent[t.id] = n }
                c.removeAll()
            }
        }
        let (lead, trail) = try template(root["post_processor"], path: path)
        for name in [lead, trail].compactMap({ $0 }) where specials[name] == nil && ids[name] == nil {
            throw TokenizerError("\(path): the post-processor's token \(name.debugDescription) is not a token of the file")
        }
        let m = try BPEModel(kind: .tokenizerJSON, tokenBytes: bytes, pairs: PairTable(entries, keepLast: true), wholeLookup: whole,
                             specials: specials, addedTokens: nonSpecial, splitRegex: regex, addPrefixSpace: prefix, normalizer: nil,
                             postProcessorBOS: lead, symbols: symbols)
        m.postProcessorEOS = trail
        let pipeline = TokenizerJSONPipeline(normalizer: normalizer, preTokenizer: steps, addedTokens: added,
                                             normalizedContent: normalizedContent)
        // every regex compiles (PCRE2) now, so that a bad one is named with the file
        do {
            _ = try TokenizerJSONFront(pipeline, splitRegex: regex)
        } catch let e as TokenizerError {
            throw TokenizerError("\(path): \(e.description)")
        }
        m.pipeline = pipeline
        return m
    }

    /// The special tokens a post-processor puts before and after a single text: HF's
    /// `TemplateProcessing` with `single` = [SpecialToken]? Sequence A [SpecialToken]?, ByteLevel
    /// (offsets only), or a `Sequence` of them. Other processors (BertProcessing,
    /// RobertaProcessing) and other templates are refused by name.
    static func template(_ p: Any?, path: String) throws -> (String?, String?) {
        guard let p, !(p is NSNull) else { return (nil, nil) }
        guard let d = p as? [String: Any], let type = d["type"] as? String else {
            throw TokenizerError("\(path): post_processor is not an object with a \"type\"")
        }
        switch type {
        case "ByteLevel":
            return (nil, nil)
        case "Sequence":
            var lead: String? = nil, trail: String? = nil
            for q in d["processors"] as? [Any] ?? [] {
                let (l, t) = try template(q, path: path)
                if (l != nil && lead != nil) || (t != nil && trail != nil) {
                    throw TokenizerError("\(path): post-processor Sequence with two templates is not supported")
                }
                lead = lead ?? l
                trail = trail ?? t
            }
            return (lead, trail)
        case "TemplateProcessing":
            let single = d["single"] as? [Any] ?? []
            var names: [String?] = []  // nil: the text
            for item in single {
                guard let it = item as? [String: Any] else { continue }
                if let s = it["SpecialToken"] as? [String: Any], let id = s["id"] as? String {
                    names.append(id)
                } else if let s = it["Sequence"] as? [String: Any], (s["id"] as? String ?? "A") == "A" {
                    names.append(nil)
                } else {
                    throw TokenizerError("\(path): post-processor TemplateProcessing item \(it) is not supported")
                }
            }
            guard let at = names.firstIndex(where: { $0 == nil }), names.filter({ $0 == nil }).count == 1, at <= 1, names.count - at <= 2 else {
                throw TokenizerError("\(path): post-processor TemplateProcessing single \(names.map { $0 ?? "$A" }) is not supported (at most one special token before and one after the text)")
            }
            // each special token of the template must stand for exactly one id
            let table = d["special_tokens"] as? [String: Any] ?? [:]
            for name in names.compactMap({ $0 }) {
                if let e = table[name] as? [String: Any], let tokenIDs = e["ids"] as? [Any], tokenIDs.count != 1 {
                    throw TokenizerError("\(path): post-processor TemplateProcessing token \(name.debugDescription) stands for \(tokenIDs.count) ids; not supported")
                }
            }
            return (at == 1 ? names[0] : nil, at + 1 < names.count ? names[at + 1] : nil)
        default:
            throw TokenizerError("\(path): post-processor \(type) is not supported (supported: TemplateProcessing with a token before and/or after the text, ByteLevel, Sequence)")
        }
    }
}

/// Token strings as byte spans of the parsed file (valid while it is alive) → id, open
/// addressing; a later entry with the same bytes replaces the id (as a dictionary would).
final class SpanTable {
    struct Entry {
        var ptr: UnsafePointer<UInt8>?
        var len: Int
        var hash: UInt64
        var id: UInt32
    }

    let slots: UnsafeMutablePointer<Int32>
    let entries: UnsafeMutablePointer<Entry>
    let capacity: Int
    let mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var cap = 1024
        while cap < capacity * 2 { cap <<= 1 }
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: -1, count: cap)
        mask = cap - 1
        self.capacity = max(capacity, 1)
        entries = .allocate(capacity: self.capacity)
    }

    deinit {
        slots.deallocate()
        entries.deallocate()
    }

    func key(_ e: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: entries[e].ptr, count: entries[e].len) }
    func id(_ e: Int) -> UInt32 { entries[e].id }

    @inline(__always) func find(_ p: UnsafePointer<UInt8>?, _ n: Int, _ h: UInt64) -> Int {
        var i = Int(truncatingIfNeeded: h >> 20) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return -1 - i }
            let en = entries + e
            if en.pointee.hash == h && en.pointee.len == n && (n == 0 || memcmp(en.pointee.ptr!, p!, n) == 0) { return e }
            i = (i + 1) & mask
        }
    }

    func set(_ p: UnsafePointer<UInt8>?, _ n: Int, _ id: UInt32) {
        let h = PieceCache.hash(UnsafeBufferPointer(start: p, count: n))
        let f = find(p, n, h)
        if f >= 0 {
            entries[f].id = id
            return
        }
        precondition(count < capacity)
        slots[-1 - f] = Int32(count)
        (entries + count).initialize(to: Entry(ptr: p, len: n, hash: h, id: id))
        count += 1
    }

    @inline(__always) func get(_ p: UnsafePointer<UInt8>?, _ n: Int) -> UInt32? {
        let f = find(p, n, PieceCache.hash(UnsafeBufferPointer(start: p, count: n)))
        return f >= 0 ? entries[f].id : nil
    }

    subscript(_ s: String) -> UInt32? {
        var s = s
        return s.withUTF8 { get($0.baseAddress, $0.count) }
    }

    /// The byte of each byte-level character U+0000..U+0143 (-1: not in the alphabet).
    static let byteOfScalar: [Int16] = {
        var t = [Int16](repeating: -1, count: 0x144)
        for b in 0..<256 { t[Int(ByteLevel.scalarForByte[b])] = Int16(b) }
        return t
    }()

    /// A byte-level token's bytes (nil when a character is outside GPT-2's byte alphabet).
    static func byteLevelDecode(_ k: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(k.count)
        var i = 0
        while i < k.count {
            let c = k[i]
            var v: Int
            if c < 0x80 {
                v = Int(c)
                i += 1
            } else if c & 0xE0 == 0xC0, i + 1 < k.count {
                v = Int(c & 0x1F) << 6 | Int(k[i + 1] & 0x3F)
                i += 2
            } else {
                return nil
            }
            guard v < 0x144, byteOfScalar[v] >= 0 else { return nil }
            out.append(UInt8(byteOfScalar[v]))
        }
        return out
    }
}
