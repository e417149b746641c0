import CPCRE2Shim
import Foundation
import LLMDataCore

/// spaCy's rule-based tokenizer (spacy/tokenizer.pyx, spaCy 3.8) driven by one language's rules
/// from models/spacy (scripts/gen-spacy-rules.py): the words datatrove's SpaCyTokenizer(code)
/// gives FineWeb-2's filters for the languages index.tsv lists, after strip_strings.
///
/// The algorithm, as Tokenizer.__call__ runs it:
/// - The text is cut into runs of whitespace (str.isspace) and runs of other characters; one ' '
///   between two runs is dropped. Whitespace runs become whitespace tokens, which strip_strings
///   drops, so only the other runs ("chunks") are tokenized here.
/// - A chunk that is a special case becomes its pieces. Otherwise _split_affixes: while the rest
///   changes, stop at a token_match or a special case; cut a prefix (prefix_search) and stop if
///   the rest is a special case; look for a suffix (suffix_search) of what follows the prefix and
///   stop if the rest without it is a special case; cut both, or the prefix alone when they
///   overlap, or the suffix alone.
/// - _attach_tokens: the prefixes; the rest as a special case, or whole when token_match or
///   url_match accepts it, or cut at the infix_finditer matches (a match at 0 is skipped); the
///   suffixes in reverse order.
/// - _apply_special_cases: special cases whose affix tokenization is several tokens (or which
///   have several pieces) are matched over the document's tokens (PhraseMatcher: by text only, so
///   also across one ' ', but not across a whitespace token). Longest first, then leftmost, a
///   match is taken unless its first or last token belongs to one seen before; the text a taken
///   match covers becomes its special case's pieces ("и пр." in Russian), or stays as it was
///   when that text, spaces included, is no special case ("( :").
/// Regexes are Python `re` patterns run with PCRE2 (UTF, UCP), each on the UTF-8 of the string
/// spaCy would pass (a slice: lookbehind sees nothing before it). A chunk's tokens before the
/// matcher are cached per chunk text, as spaCy caches them.
final class SpacyRules: @unchecked Sendable {
    let code: String
    let prefix: OpaquePointer
    let suffix: OpaquePointer
    let infix: OpaquePointer
    /// token_match and url_match: any of the list matching at the start (French's token_match is
    /// cut in groups of alternatives, too large for one PCRE2 pattern).
    let tokenMatch: [OpaquePointer]
    let urlMatch: [OpaquePointer]
    /// Special cases: scalars of the key and the lengths of its pieces, by PolyHash key.
    let specialKeys: [[UInt32]]
    let specialPieces: [[Int32]]
    let specialSlots: [Int32]
    let specialMask: Int
    let specialMax: Int
    /// Matcher patterns (token texts), by first-token key.
    let patterns: [[[UInt32]]]
    let firstSlots: [Int32]  // pattern index, chains through nextPattern
    let firstKeys: [UInt64]
    let nextPattern: [Int32]
    let firstMask: Int
    /// (first scalar, length) of the patterns' first tokens, hashed into 4096 flags.
    let firstChar: [Bool]
    @inline(__always) static func firstFlag(_ c: UInt32, _ length: Int) -> Int { Int((c &* 31 &+ UInt32(truncatingIfNeeded: length)) & 4095) }

    static func hashKey(_ p: UnsafePointer<UInt32>, _ a: Int, _ b: Int) -> UInt64 {
        var h: UInt64 = 0
        var i = a
        while i < b { h = PolyHash.step(h, p[i]); i += 1 }
        return PolyHash.key(h, length: b - a)
    }

    static func compile(_ p: String) throws -> OpaquePointer {
        var err = [CChar](repeating: 0, count: 256)
        guard let re = llm_re_compile(p, &err, err.count) else {
            throw LLMDataError("spaCy rule regex does not compile: " + String(cString: err) + " (\(p.prefix(60))...)")
        }
        return re
    }

    init(directory: String, code: String) throws {
        self.code = code
        func json(_ path: String) throws -> [String: Any] {
            let bytes = try ShippedData.readZstd(path)
            guard let o = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { throw LLMDataError("cannot read \(path)") }
            return o
        }
        // patterns.txt.zst: a comment line, then one pattern a line
        let lines = try ShippedData.readZstd(directory + "/patterns.txt.zst").split(separator: 0x0A, omittingEmptySubsequences: false)
        let pats = lines.dropFirst().map { String(decoding: $0, as: UTF8.self) }
        let o = try json(directory + "/\(code).json.zst")
        func re(_ k: String) throws -> OpaquePointer? {
            guard let i = o[k] as? Int, i >= 0, i < pats.count else { return nil }
            return try Self.compile(pats[i])
        }
        func res(_ k: String) throws -> [OpaquePointer] {
            try ((o[k] as? [Int]) ?? []).filter { $0 >= 0 && $0 < pats.count }.map { try Self.compile(pats[$0]) }
        }
        guard let p = try re("prefix"), let s = try re("suffix"), let f = try re("infix") else {
            throw LLMDataError("models/spacy/\(code).json.zst: prefix, suffix or infix pattern missing")
        }
        prefix = p; suffix = s; infix = f
        tokenMatch = try res("token_match")
        urlMatch = try res("url_match")

        let specials = (o["specials"] as? [[String]]) ?? []
        var keys: [[UInt32]] = [], pieces: [[Int32]] = []
        var size = 64
        while size < 2 * specials.count { size *= 2 }
        var slots = [Int32](repeating: -1, count: size)
        for sp in specials {
            let key = sp.joined().unicodeScalars.map(\.value)
            let k = key.withUnsafeBufferPointer { Self.hashKey($0.baseAddress!, 0, key.count) }
            var slot = Int(truncatingIfNeeded: k >> 40) & (size - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(keys.count)
            keys.append(key)
            pieces.append(sp.map { Int32($0.unicodeScalars.count) })
        }
        specialKeys = keys; specialPieces = pieces; specialSlots = slots; specialMask = size - 1
        specialMax = keys.map(\.count).max() ?? 0

        let matcher = (o["matcher"] as? [[String]]) ?? []
        var pt: [[[UInt32]]] = []
        var fsize = 64
        while fsize < 2 * matcher.count { fsize *= 2 }
        var fslots = [Int32](repeating: -1, count: fsize), fkeys = [UInt64](repeating: 0, count: fsize)
        var next: [Int32] = []
        var fc = [Bool](repeating: false, count: 4096)
        for m in matcher {
            guard let first = m.first, !first.isEmpty else { continue }
            let toks = m.map { $0.unicodeScalars.map(\.value) }
            let k = toks[0].withUnsafeBufferPointer { Self.hashKey($0.baseAddress!, 0, toks[0].count) }
            var slot = Int(truncatingIfNeeded: k >> 40) & (fsize - 1)
            while fslots[slot] >= 0 && fkeys[slot] != k { slot = (slot + 1) & (fsize - 1) }
            next.append(fslots[slot])  // chain patterns with the same first token
            fslots[slot] = Int32(pt.count)
            fkeys[slot] = k
            fc[Self.firstFlag(toks[0][0], toks[0].count)] = true
            pt.append(toks)
        }
        patterns = pt; firstSlots = fslots; firstKeys = fkeys; nextPattern = next; firstMask = fsize - 1
        firstChar = fc
    }

    /// The special case equal to p[a..<b], or -1.
    @inline(__always) func special(_ p: UnsafePointer<UInt32>, _ a: Int, _ b: Int) -> Int {
        guard b - a <= specialMax, b > a else { return -1 }
        let k = Self.hashKey(p, a, b)
        var slot = Int(truncatingIfNeeded: k >> 40) & specialMask
        while true {
            let v = Int(specialSlots[slot])
            if v < 0 { return -1 }
            let key = specialKeys[v]
            if key.count == b - a {
                var same = true
                for j in 0..<key.count where key[j] != p[a + j] { same = false; break }
                if same { return v }
            }
            slot = (slot + 1) & specialMask
        }
    }

    /// The first pattern whose first token is p[a..<b], or -1 (then nextPattern).
    @inline(__always) func firstPattern(_ p: UnsafePointer<UInt32>, _ a: Int, _ b: Int) -> Int {
        guard firstChar[Self.firstFlag(p[a], b - a)] else { return -1 }
        let k = Self.hashKey(p, a, b)
        var slot = Int(truncatingIfNeeded: k >> 40) & firstMask
        while true {
            let v = Int(firstSlots[slot])
            if v < 0 { return -1 }
            if firstKeys[slot] == k { return v }
            slot = (slot + 1) & firstMask
        }
    }

    // MARK: loading

    nonisolated(unsafe) private static var loaded: [String: SpacyRules] = [:]
    nonisolated(unsafe) private static var index: [String: String]?
    private static let lock = NSLock()

    /// $LLMDATA_SPACY_RULES (alone, when set), `spacy/` beside the executable,
    /// `<exe>/../share/llmdata/spacy`, and the source tree's models/spacy.
    static func candidateDirectories() -> [String] {
        ShippedData.candidateDirectories("spacy", env: "LLMDATA_SPACY_RULES")
    }

    nonisolated(unsafe) private static var directory: String?

    /// The spaCy code index.tsv gives a FineWeb-2 name (deu_Latn -> de), or nil.
    static func code(for name: String) -> String? {
        lock.lock(); defer { lock.unlock() }
        if index == nil {
            var m: [String: String] = [:]
            let fm = FileManager.default
            if let d = candidateDirectories().first(where: { fm.fileExists(atPath: $0 + "/index.tsv") }),
               let s = try? String(contentsOfFile: d + "/index.tsv", encoding: .utf8) {
                directory = d
                for line in s.split(separator: "\n") where !line.hasPrefix("#") {
                    let f = line.split(separator: "\t")
                    if f.count == 2 { m[String(f[0])] = String(f[1]) }
                }
            }
            index = m
        }
        return index?[name]
    }

    /// One language's rules, loaded once per process (thread-safe); exits on broken data.
    static func shared(code: String) -> SpacyRules {
        lock.lock(); defer { lock.unlock() }
        if let r = loaded[code] { return r }
        do {
            let r = try SpacyRules(directory: directory ?? "models/spacy", code: code)
            loaded[code] = r
            return r
        } catch {
            let e = error as? LLMDataError
            Diagnostics.error(stage: "filter", e?.message ?? "\(error)", hint: "models/spacy is made by scripts/gen-spacy-rules.py")
            exit(ExitCode.fatal.rawValue)
        }
    }
}

/// One worker's tokenizer for one language: regex match contexts, scratch buffers and the cache.
final class SpacyTokenizer {
    let rules: SpacyRules
    private let prefixCtx: OpaquePointer
    private let suffixCtx: OpaquePointer
    private let infixCtx: OpaquePointer
    private let tokenCtx: [OpaquePointer]
    private let urlCtx: [OpaquePointer]
    /// The chunk's UTF-8 and the byte offset of each of its scalars (one more at the end).
    private var bytes = Buf<UInt8>(capacity: 1024)
    private var offsets = Buf<Int32>(capacity: 256)
    private var toks = Buf<Int32>(capacity: 256)
    private var suffixes = Buf<Int32>(capacity: 64)
    private var matches = Buf<Int32>(capacity: 64)
    private var seen = Buf<UInt8>(capacity: 64)
    /// Per word of the document: 1 when nothing but one ' ' separates it from the word before
    /// (spaCy's matcher sees no whitespace token between them).
    private var joins = Buf<UInt8>(capacity: 64)
    private var old = Buf<Int32>(capacity: 64)
    /// Chunk text -> its tokens as (start, end) offsets into the chunk.
    /// An open-addressing table (key, entry + 1; 0 empty) over flat pools of chunk texts and
    /// tokens; emptied when it holds cacheMax chunks or its pools grow past 4M entries. (A
    /// Dictionary of arrays cost a third of the tokenizer's time.)
    private struct Entry { var key: UInt64; var text: Int32; var length: Int32; var toks: Int32; var count: Int32 }
    private static let cacheSlots = 1 << 17, cacheMax = 1 << 16
    private var slots = [Int32](repeating: 0, count: SpacyTokenizer.cacheSlots)
    private var slotKeys = [UInt64](repeating: 0, count: SpacyTokenizer.cacheSlots)
    private var entries: [Entry] = []
    private var textPool = Buf<UInt32>(capacity: 1 << 16)
    private var tokPool = Buf<Int32>(capacity: 1 << 16)

    init(rules: SpacyRules) {
        self.rules = rules
        prefixCtx = llm_re_ctx_new(rules.prefix)
        suffixCtx = llm_re_ctx_new(rules.suffix)
        infixCtx = llm_re_ctx_new(rules.infix)
        tokenCtx = rules.tokenMatch.map { llm_re_ctx_new($0) }
        urlCtx = rules.urlMatch.map { llm_re_ctx_new($0) }
        if !rules.patterns.isEmpty { joins.reserve(1024) }
    }

    deinit {
        llm_re_ctx_free(prefixCtx); llm_re_ctx_free(suffixCtx); llm_re_ctx_free(infixCtx)
        for c in tokenCtx { llm_re_ctx_free(c) }
        for c in urlCtx { llm_re_ctx_free(c) }
        textPool.free(); tokPool.free()
        bytes.free(); offsets.free(); toks.free(); suffixes.free(); matches.free(); seen.free(); joins.free(); old.free()
    }

    // MARK: per-thread instances

    private final class PerThread { var byCode: [String: SpacyTokenizer] = [:] }
    nonisolated(unsafe) private static var key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { p in if let p { Unmanaged<AnyObject>.fromOpaque(p).release() } }
        return k
    }()

    /// This thread's tokenizer for the FineWeb-2 name, or nil when its words are not spaCy's rules.
    static func forThread(name: String) -> SpacyTokenizer? {
        let k = key
        let box: PerThread
        if let p = pthread_getspecific(k) {
            box = Unmanaged<PerThread>.fromOpaque(p).takeUnretainedValue()
        } else {
            box = PerThread()
            pthread_setspecific(k, Unmanaged.passRetained(box as AnyObject).toOpaque())
        }
        if let t = box.byCode[name] { return t }
        guard let code = SpacyRules.code(for: name) else { return nil }
        let t = SpacyTokenizer(rules: SpacyRules.shared(code: code))
        box.byCode[name] = t
        return t
    }

    // MARK: splitting

    /// Appends the words of t[lo..<hi] to `out` as (start, end) pairs.
    func split(_ t: UnsafeBufferPointer<UInt32>, _ f: UnsafePointer<UInt16>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>) {
        var i = lo
        let p = t.baseAddress!
        let first = out.count
        let matcher = !rules.patterns.isEmpty
        joins.clear()
        while i < hi {
            let ws = i
            while i < hi && f[i] & CharTable.space != 0 { i += 1 }
            var e = i
            while e < hi && f[e] & CharTable.space == 0 { e += 1 }
            if e > i {
                let before = out.count
                chunk(p, i, e, into: &out)
                if matcher {
                    // a whitespace run other than one ' ' is a token of its own in spaCy's Doc
                    let joined: UInt8 = i - ws == 1 && p[ws] == 0x20 && ws > lo ? 1 : 0
                    var k = before
                    while k < out.count { joins.append(k == before ? joined : 1); k += 2 }
                }
            }
            i = e
        }
        if matcher && out.count > first { applyMatcher(p, &out, from: first) }
    }

    private func chunk(_ p: UnsafePointer<UInt32>, _ a: Int, _ b: Int, into out: inout Buf<Int32>) {
        let k = SpacyRules.hashKey(p, a, b)
        let mask = Self.cacheSlots - 1
        var slot = Int(truncatingIfNeeded: k >> 40) & mask
        let n = b - a
        while true {
            let v = Int(slots[slot])
            if v == 0 { break }
            if slotKeys[slot] == k {
                let e = entries[v - 1]
                if Int(e.length) == n && memcmp(textPool.p + Int(e.text), p + a, 4 * n) == 0 {
                    out.reserve(out.count + Int(e.count))
                    let tp = tokPool.p + Int(e.toks)
                    for j in 0..<Int(e.count) { out.append(Int32(a) + tp[j]) }
                    return
                }
            }
            slot = (slot + 1) & mask
        }
        toks.clear()
        tokenize(p, a, b)
        for j in 0..<toks.count { out.append(toks[j]) }
        if entries.count >= Self.cacheMax || textPool.count > 1 << 22 || tokPool.count > 1 << 22 {
            entries.removeAll(keepingCapacity: true)
            for q in 0..<slots.count { slots[q] = 0 }
            textPool.clear(); tokPool.clear()
            slot = Int(truncatingIfNeeded: k >> 40) & mask
        }
        entries.append(Entry(key: k, text: Int32(textPool.count), length: Int32(n), toks: Int32(tokPool.count), count: Int32(toks.count)))
        textPool.reserve(textPool.count + n)
        for j in 0..<n { textPool.append(p[a + j]) }
        tokPool.reserve(tokPool.count + toks.count)
        for j in 0..<toks.count { tokPool.append(toks[j] - Int32(a)) }
        slots[slot] = Int32(entries.count)
        slotKeys[slot] = k
    }

    @inline(__always) private func emit(_ s: Int, _ e: Int) { toks.append(Int32(s)); toks.append(Int32(e)) }

    private func emitSpecial(_ j: Int, at a: Int) {
        var s = a
        for l in rules.specialPieces[j] { emit(s, s + Int(l)); s += Int(l) }
    }

    /// Encodes the chunk p[a..<b] as UTF-8 into `bytes`, with the byte offset of every scalar.
    private func encode(_ p: UnsafePointer<UInt32>, _ a: Int, _ b: Int) {
        bytes.clear(); offsets.clear()
        bytes.reserve(4 * (b - a)); offsets.reserve(b - a + 1)
        for i in a..<b {
            offsets.append(Int32(bytes.count))
            let c = p[i]
            if c < 0x80 { bytes.append(UInt8(c)) }
            else if c < 0x800 { bytes.append(UInt8(0xC0 | c >> 6)); bytes.append(UInt8(0x80 | c & 0x3F)) }
            else if c < 0x10000 {
                bytes.append(UInt8(0xE0 | c >> 12)); bytes.append(UInt8(0x80 | (c >> 6) & 0x3F)); bytes.append(UInt8(0x80 | c & 0x3F))
            } else {
                bytes.append(UInt8(0xF0 | c >> 18)); bytes.append(UInt8(0x80 | (c >> 12) & 0x3F))
                bytes.append(UInt8(0x80 | (c >> 6) & 0x3F)); bytes.append(UInt8(0x80 | c & 0x3F))
            }
        }
        offsets.append(Int32(bytes.count))
    }

    /// Scalar index (relative to the chunk) of a byte offset on a scalar boundary.
    @inline(__always) private func scalarAt(_ byte: Int, from lo: Int, to hi: Int) -> Int {
        var l = lo, h = hi
        while l < h {
            let m = (l + h) >> 1
            if Int(offsets[m]) < byte { l = m + 1 } else { h = m }
        }
        return l
    }

    /// The first match of `ctx`'s regex in the chunk's scalars r[s..<e] (a slice of its own):
    /// relative scalar range, or nil.
    @inline(__always) private func find(_ ctx: OpaquePointer, _ s: Int, _ e: Int, from: Int = 0) -> (Int, Int)? {
        let bs = Int(offsets[s]), be = Int(offsets[e])
        var ms = 0, me = 0
        let r = llm_re_find(ctx, bytes.p + bs, be - bs, Int(offsets[s + from]) - bs, &ms, &me)
        guard r == 1 else { return nil }
        let a = scalarAt(bs + ms, from: s, to: e)
        let b = scalarAt(bs + me, from: a, to: e)
        return (a - s, b - s)
    }

    /// Whether one of the (\A-anchored) regexes matches the chunk's r[s..<e] at its start.
    private func anyMatch(_ ctxs: [OpaquePointer], _ s: Int, _ e: Int) -> Bool {
        for c in ctxs { if let m = find(c, s, e), m.0 == 0 { return true } }
        return false
    }

    /// tokenize the chunk p[a..<b] into `toks` (absolute offsets).
    private func tokenize(_ p: UnsafePointer<UInt32>, _ a0: Int, _ b0: Int) {
        let r = rules
        let j0 = r.special(p, a0, b0)
        if j0 >= 0 { emitSpecial(j0, at: a0); return }
        encode(p, a0, b0)
        // relative offsets into the chunk from here
        var a = 0, b = b0 - a0
        let base = a0
        suffixes.clear()
        var lastSize = -1
        // _split_affixes
        while a < b && b - a != lastSize {
            if !tokenCtx.isEmpty && anyMatch(tokenCtx, a, b) { break }
            if r.special(p, base + a, base + b) >= 0 { break }
            lastSize = b - a
            var pre = 0
            if let m = find(prefixCtx, a, b) {
                pre = m.1 - m.0
                if pre != 0 && a + pre < b && r.special(p, base + a + pre, base + b) >= 0 {
                    emit(base + a, base + a + pre); a += pre
                    break
                }
            }
            var suf = 0
            if let m = find(suffixCtx, a + pre, b) {
                suf = m.1 - m.0
                if suf != 0 && b - suf > a && r.special(p, base + a, base + b - suf) >= 0 {
                    suffixes.append(Int32(base + b - suf)); suffixes.append(Int32(base + b)); b -= suf
                    break
                }
            }
            if pre != 0 && suf != 0 && pre + suf <= b - a {
                emit(base + a, base + a + pre); a += pre
                suffixes.append(Int32(base + b - suf)); suffixes.append(Int32(base + b)); b -= suf
            } else if pre != 0 {
                emit(base + a, base + a + pre); a += pre
            } else if suf != 0 {
                suffixes.append(Int32(base + b - suf)); suffixes.append(Int32(base + b)); b -= suf
            }
        }
        // _attach_tokens
        if a < b {
            let j = r.special(p, base + a, base + b)
            if j >= 0 {
                emitSpecial(j, at: base + a)
            } else if !tokenCtx.isEmpty && anyMatch(tokenCtx, a, b) {
                emit(base + a, base + b)
            } else if !urlCtx.isEmpty && anyMatch(urlCtx, a, b) {
                emit(base + a, base + b)
            } else {
                var start = 0
                var from = 0
                let n = b - a
                while from <= n, let m = find(infixCtx, a, b, from: from) {
                    let (ms, me) = m
                    if ms != 0 {
                        if ms != start { emit(base + a + start, base + a + ms) }
                        if ms != me { emit(base + a + ms, base + a + me) }
                        start = me
                    }
                    from = me > ms ? me : me + 1
                }
                if start < n { emit(base + a + start, base + b) }
            }
        }
        var s = suffixes.count - 2
        while s >= 0 { toks.append(suffixes[s]); toks.append(suffixes[s + 1]); s -= 2 }
    }

    /// _apply_special_cases over the document's words out[first...]: matches of the patterns
    /// over words joined by at most one ' ' (joins); the text a taken match covers, spaces
    /// included, becomes its special case's pieces, or stays as it is when it is no special case.
    private func applyMatcher(_ p: UnsafePointer<UInt32>, _ out: inout Buf<Int32>, from first: Int) {
        let r = rules
        let n = (out.count - first) / 2
        let w = out.p + first
        matches.clear()
        for i in 0..<n {
            var pi = r.firstPattern(p, Int(w[2 * i]), Int(w[2 * i + 1]))
            while pi >= 0 {
                let pat = r.patterns[pi]
                if pat.count <= n - i {
                    var ok = true
                    for (j, tok) in pat.enumerated() {
                        if j > 0 && joins[i + j] == 0 { ok = false; break }
                        let s = Int(w[2 * (i + j)]), e = Int(w[2 * (i + j) + 1])
                        if e - s != tok.count { ok = false; break }
                        for q in 0..<tok.count where p[s + q] != tok[q] { ok = false; break }
                        if !ok { break }
                    }
                    if ok { matches.append(Int32(i)); matches.append(Int32(i + pat.count)) }
                }
                pi = Int(r.nextPattern[pi])
            }
        }
        guard matches.count > 0 else { return }
        // longest first, then leftmost; taken unless its first or last word was seen before
        var order = Array(0..<(matches.count / 2))
        order.sort { x, y in
            let lx = matches[2 * x + 1] - matches[2 * x], ly = matches[2 * y + 1] - matches[2 * y]
            if lx != ly { return lx > ly }
            return matches[2 * x] < matches[2 * y]
        }
        seen.clear(); seen.reserve(n)
        for _ in 0..<n { seen.append(0) }
        var taken: [(Int, Int)] = []
        for m in order {
            let s = Int(matches[2 * m]), e = Int(matches[2 * m + 1])
            if seen[s] == 0 && seen[e - 1] == 0 { taken.append((s, e)) }
            for q in s..<e { seen[q] = 1 }
        }
        taken.sort { $0.0 < $1.0 }
        old.clear(); old.reserve(2 * n)
        for q in 0..<(2 * n) { old.append(w[q]) }
        out.count = first
        var i = 0
        var ti = 0
        while i < n {
            if ti < taken.count && taken[ti].0 == i {
                let (s, e) = taken[ti]
                let a = Int(old[2 * s]), b = Int(old[2 * e - 1])
                let j = r.special(p, a, b)
                if j >= 0 {
                    var st = a
                    for l in r.specialPieces[j] { out.append(Int32(st)); out.append(Int32(st + Int(l))); st += Int(l) }
                } else {
                    for q in s..<e { out.append(old[2 * q]); out.append(old[2 * q + 1]) }
                }
                i = e
                ti += 1
            } else {
                out.append(old[2 * i]); out.append(old[2 * i + 1])
                i += 1
            }
        }
    }
}
