// Performance notes (branch langid-speed, 2026-11-23; 2 shared cores, AMD EPYC, 1 MB L2 per core).
//
// Measured (perf record, `llmdata langid --jobs 1 --min-score 0` on short.jsonl = dev.jsonl x 20,
// 16.5 MB, 120,000 records; CPU time, best of 3-5): 380 ms before, of which 26% summing table
// rows (the kernel compiled to eight 4-byte loads per row and stalled on the first: the padded
// 2 MB table misses the 1 MB L2), 10% hashing n-grams, 9% + 7% decoding UTF-8 twice (script
// counts, then features), 11% writing records (metadata numbers through String interpolation),
// ~8% retain/release/malloc per record (a [Int] per GroupCounts, a [Double] of probabilities, a
// String per reported language, "language." + code, and the batch's counter dictionary copied
// for every record because the Document held a second reference to it), 4% JSON parsing,
// 18 ms start-up (9 ms of it the bare process; ~4 ms model load).
//
// Done (outputs byte-identical to before on dev, short, docs2k, --top-k 3, a CJK sample, English
// web text, and a 30,000-line fuzz file of URLs, DEL, marks, emoji and mixed scripts, with
// --sample-bytes 2048, 100, 0):
//  - one UTF-8 decode: `decode` stores the (code point, class) items LetterScanner yields and
//    counts scripts in the same pass; features replay the stored items. Long texts count with
//    the same decoder (count only) and decode each sampled window on its own.
//  - ASCII tokens handled whole: the URL / e-mail check LetterScanner does at a token start,
//    then the token's letters in a tight loop; a boundary right after a boundary is not stored
//    (FeatureExtractor ignores it).
//  - kernel: whole 16-byte halves widened with vpmovzxbw (vector extensions), rows prefetched 16
//    features ahead.
//  - no heap allocation per text in identify (fixed-size group counts, scratch probabilities,
//    column names precomputed); the stage caches each rounded score's JSON and the counter keys;
//    LLMDataCore no longer copies the counters dictionary per record.
//  Result: 380 ms -> ~260 ms CPU on short.jsonl; identification alone (`--bench-identify`) 132 ms.
//
// Rejected / not tried: changing features or hashes (the model and `langid train` output would
// change); fewer windows or early exit on long texts (changes scores; the bars are on short
// segments); a Latin-only 18-byte-stride table (1.2 MB still misses the 1 MB L2); mmap of the
// model (start-up is 18 ms of which ~4 ms is loading).

import CLangIDKernels

/// One identification.
public struct LangResult: Sendable, Equatable {
    /// ISO 639-1 code, or `und` when the text has no letters of a known script.
    public var language: String
    /// Calibrated probability 0...1 (docs/langid.md, "Scores").
    public var score: Double
    /// The best languages with scores, best first (at most the requested k).
    public var top: [LangScore]
}

public struct LangScore: Sendable, Equatable {
    public var language: String
    public var score: Double
}

@inline(__always) func mix(_ g: UInt64, _ s: UInt32) -> UInt64 {
    var h = (g ^ UInt64(s)) &* 0xff51afd7ed558ccd
    h ^= h >> 33
    return h
}

let ngramSeed: UInt64 = 0x243F6A8885A308D3
let wordSeed: UInt64 = 0x13198A2E03707344
let maxWordFeatureLength = 24

/// The printable-ASCII token starting at p[i]: where it ends, and whether it looks like a URL or
/// an e-mail address (`://` inside, `www.` first, or an `@` in five or more characters). Both
/// scanners skip such tokens as one boundary.
@inline(__always) func asciiToken(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (end: Int, link: Bool) {
    var j = i
    var at = false, colonSlash = false
    while j < n && p[j] > 0x20 && p[j] < 0x7F {
        if p[j] == 0x40 { at = true }
        if p[j] == 0x3A && j + 2 < n && p[j + 1] == 0x2F && p[j + 2] == 0x2F { colonSlash = true }
        j += 1
    }
    let www = j - i >= 4 && (p[i] | 0x20) == 0x77 && (p[i + 1] | 0x20) == 0x77 && (p[i + 2] | 0x20) == 0x77 && p[i + 3] == 0x2E
    return (j, (at && j - i >= 5) || colonSlash || www)
}

/// Decodes UTF-8 into letters (lowercased, with their LetterClass) and boundaries (code point
/// 0x20, class 0). ASCII runs that look like URLs or e-mail addresses are skipped as one boundary;
/// invalid bytes are boundaries; Inherited/Common marks are skipped.
struct LetterScanner {
    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0
    let cls: UnsafeMutablePointer<UInt8>
    let low: UnsafeMutablePointer<UInt16>

    init(_ text: UnsafeBufferPointer<UInt8>, _ tables: CharTables) {
        p = text.baseAddress ?? UnsafePointer(tables.clsPtr)
        n = text.baseAddress == nil ? 0 : text.count
        cls = tables.clsPtr
        low = tables.lowPtr
    }

    /// The next letter or boundary; class 255 at the end.
    @inline(__always) mutating func next() -> (UInt32, UInt8) {
        while i < n {
            let b = p[i]
            if b < 0x80 {
                if b > 0x20 && b < 0x7F {
                    // An ASCII token: check for URL / e-mail shape once, at its start.
                    if i == 0 || p[i - 1] <= 0x20 || p[i - 1] >= 0x80 {
                        let (j, link) = asciiToken(p, n, i)
                        if link {
                            i = j
                            return (0x20, 0)
                        }
                    }
                    i += 1
                    let l = b | 0x20
                    if l >= 0x61 && l <= 0x7A { return (UInt32(l), LetterClass.latin.rawValue) }
                    return (0x20, 0)
                }
                i += 1
                return (0x20, 0)
            }
            // Multi-byte UTF-8.
            var cp: UInt32
            var len: Int
            if b & 0xE0 == 0xC0 { cp = UInt32(b & 0x1F); len = 2 }
            else if b & 0xF0 == 0xE0 { cp = UInt32(b & 0x0F); len = 3 }
            else if b & 0xF8 == 0xF0 { cp = UInt32(b & 0x07); len = 4 }
            else { i += 1; return (0x20, 0) }
            if i + len > n { i += 1; return (0x20, 0) }
            var ok = true
            for k in 1..<len {
                let c = p[i + k]
                if c & 0xC0 != 0x80 { ok = false; break }
                cp = (cp << 6) | UInt32(c & 0x3F)
            }
            if !ok { i += 1; return (0x20, 0) }
            i += len
            if cp < 0x10000 {
                let c = cls[Int(cp)]
                if c == 1 { continue }
                if c == 0 { return (0x20, 0) }
                return (UInt32(low[Int(cp)]), c)
            } else {
                let c = CharTables.classify(cp).rawValue
                if c == 1 { continue }
                if c == 0 { return (0x20, 0) }
                return (cp, c)
            }
        }
        return (0, 255)
    }
}

/// Weighted letter counts per script group for a text (a fixed-size vector: no allocation).
struct GroupCounts {
    var weighted = SIMD16<Int>()
    var han = 0, kana = 0

    init() {}

    var total: Int { weighted.wrappedSum() }

    /// The group with most weighted letters (nil when there are none).
    var best: ScriptGroup? {
        var bi = -1, bv = 0
        for i in 0..<ScriptGroup.allCases.count where weighted[i] > bv { bi = i; bv = weighted[i] }
        return bi < 0 ? nil : ScriptGroup(rawValue: UInt8(bi))
    }

    /// From letters per LetterClass raw value (16 entries).
    init(perClass pc: UnsafePointer<Int>) {
        weighted[Int(ScriptGroup.latin.rawValue)] = pc[Int(LetterClass.latin.rawValue)]
        weighted[Int(ScriptGroup.cyrillic.rawValue)] = pc[Int(LetterClass.cyrillic.rawValue)]
        weighted[Int(ScriptGroup.arabic.rawValue)] = pc[Int(LetterClass.arabic.rawValue)]
        weighted[Int(ScriptGroup.greek.rawValue)] = pc[Int(LetterClass.greek.rawValue)]
        weighted[Int(ScriptGroup.hebrew.rawValue)] = pc[Int(LetterClass.hebrew.rawValue)]
        weighted[Int(ScriptGroup.devanagari.rawValue)] = pc[Int(LetterClass.devanagari.rawValue)]
        weighted[Int(ScriptGroup.thai.rawValue)] = pc[Int(LetterClass.thai.rawValue)]
        weighted[Int(ScriptGroup.other.rawValue)] = pc[Int(LetterClass.other.rawValue)]
        han = pc[Int(LetterClass.han.rawValue)]
        kana = pc[Int(LetterClass.hiragana.rawValue)] + pc[Int(LetterClass.katakana.rawValue)]
        // ScriptGroup.letterWeight: 3 for CJK and Hangul letters, 1 for the others.
        weighted[Int(ScriptGroup.cjk.rawValue)] = (han + kana) * 3
        weighted[Int(ScriptGroup.hangul.rawValue)] = pc[Int(LetterClass.hangul.rawValue)] * 3
    }
}

/// Class → group raw value (LetterClass raw value ≥ 2).
@inline(__always) func classGroup(_ c: UInt8) -> Int {
    switch c {
    case LetterClass.latin.rawValue: return Int(ScriptGroup.latin.rawValue)
    case LetterClass.cyrillic.rawValue: return Int(ScriptGroup.cyrillic.rawValue)
    case LetterClass.arabic.rawValue: return Int(ScriptGroup.arabic.rawValue)
    case LetterClass.han.rawValue, LetterClass.hiragana.rawValue, LetterClass.katakana.rawValue: return Int(ScriptGroup.cjk.rawValue)
    case LetterClass.greek.rawValue: return Int(ScriptGroup.greek.rawValue)
    case LetterClass.hebrew.rawValue: return Int(ScriptGroup.hebrew.rawValue)
    case LetterClass.devanagari.rawValue: return Int(ScriptGroup.devanagari.rawValue)
    case LetterClass.thai.rawValue: return Int(ScriptGroup.thai.rawValue)
    case LetterClass.hangul.rawValue: return Int(ScriptGroup.hangul.rawValue)
    default: return Int(ScriptGroup.other.rawValue)
    }
}

/// Emits hashed feature buckets for the letters of one script group: character n-grams of
/// length 1-4 inside words (a word boundary counts as a space) and whole words up to 24 letters.
/// Letters of other groups are word boundaries.
struct FeatureExtractor {
    let shift: UInt64
    let mask: UInt32
    var s0: UInt32 = 0x20, s1: UInt32 = 0, s2: UInt32 = 0, s3: UInt32 = 0
    var len = 1
    var wordLen = 0
    var wordHash = wordSeed

    init(bucketBits: Int, group: ScriptGroup) {
        shift = UInt64(64 - bucketBits)
        self.mask = group.classMask
    }

    @inline(__always) func bucket(_ g: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (g &* 0x9E3779B97F4A7C15) >> shift)
    }

    /// Writes at most 5 buckets at out[n...] and advances n.
    @inline(__always) mutating func feed(_ cp: UInt32, _ c: UInt8, _ out: UnsafeMutablePointer<UInt32>, _ n: inout Int) {
        if mask & (1 << UInt32(c & 31)) != 0 {
            s3 = s2; s2 = s1; s1 = s0; s0 = cp
            if len < 4 { len += 1 }
            var g = mix(ngramSeed, s0)
            out[n] = bucket(g); n += 1
            g = mix(g, s1); out[n] = bucket(g); n += 1
            if len >= 3 { g = mix(g, s2); out[n] = bucket(g); n += 1 }
            if len >= 4 { g = mix(g, s3); out[n] = bucket(g); n += 1 }
            wordLen += 1
            wordHash = mix(wordHash, cp)
        } else if wordLen > 0 {
            endWord(out, &n)
        }
    }

    /// Writes at most 4 buckets at out[n...] and advances n.
    @inline(__always) mutating func endWord(_ out: UnsafeMutablePointer<UInt32>, _ n: inout Int) {
        guard wordLen > 0 else { return }
        s3 = s2; s2 = s1; s1 = s0; s0 = 0x20
        if len < 4 { len += 1 }
        var g = mix(ngramSeed, s0)
        g = mix(g, s1); out[n] = bucket(g); n += 1
        if len >= 3 { g = mix(g, s2); out[n] = bucket(g); n += 1 }
        if len >= 4 { g = mix(g, s3); out[n] = bucket(g); n += 1 }
        if wordLen <= maxWordFeatureLength { out[n] = bucket(mix(wordHash, 0xFFFF)); n += 1 }
        s1 = 0; s2 = 0; s3 = 0; len = 1
        wordLen = 0
        wordHash = wordSeed
    }
}

/// Identifies the language of UTF-8 text with a `LangIDModel`. One per thread (it keeps scratch
/// buffers); the model is shared.
public final class LanguageIdentifier {
    public let model: LangIDModel
    let tables = CharTables.shared
    let bucketCap = 1 << 14
    let bp: UnsafeMutablePointer<UInt32>
    /// Per-language sums (valid after `accumulate`, indices relative to the group's range).
    let acc: UnsafeMutablePointer<Int64>
    let lp: UnsafeMutablePointer<UInt32>
    let acc32: UnsafeMutablePointer<Int64>
    /// Probabilities of the group's languages (scratch for `identify`).
    let probs: UnsafeMutablePointer<Double>
    /// The decoded letters and boundaries of a short text (code point, LetterClass), so the
    /// script counts and the n-gram features share one UTF-8 decode.
    var decCP: UnsafeMutablePointer<UInt32>
    var decCls: UnsafeMutablePointer<UInt8>
    var decCap: Int
    /// The reported language of each model column (no String work per text).
    let reported: [String]

    /// Texts longer than this many bytes are sampled for the n-gram model (0: never).
    public var sampleBytes: Int
    static let sampleWindows = 8
    public static let defaultSampleBytes = 2048

    public init(model: LangIDModel, sampleBytes: Int = LanguageIdentifier.defaultSampleBytes) {
        self.model = model
        self.sampleBytes = sampleBytes
        bp = .allocate(capacity: bucketCap)
        acc = .allocate(capacity: 256)
        acc.initialize(repeating: 0, count: 256)
        lp = .allocate(capacity: 256)
        lp.initialize(repeating: 0, count: 256)
        acc32 = .allocate(capacity: 32)
        acc32.initialize(repeating: 0, count: 32)
        probs = .allocate(capacity: 256)
        probs.initialize(repeating: 0, count: 256)
        decCap = 4096
        decCP = .allocate(capacity: decCap)
        decCls = .allocate(capacity: decCap)
        reported = model.languages.map { reportedLanguage($0) }
    }

    deinit {
        bp.deallocate(); acc.deallocate(); lp.deallocate(); acc32.deallocate(); probs.deallocate()
        decCP.deallocate(); decCls.deallocate()
    }

    func counts(_ text: UnsafeBufferPointer<UInt8>) -> GroupCounts {
        // Letters per class, then weighted per group.
        var perClass = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var sc = LetterScanner(text, tables)
        return withUnsafeMutableBytes(of: &perClass) { raw in
            let pc = raw.baseAddress!.assumingMemoryBound(to: Int.self)
            while true {
                let (_, c) = sc.next()
                if c == 255 { break }
                pc[Int(c & 15)] += 1
            }
            return GroupCounts(perClass: pc)
        }
    }

    /// Decodes all of `text` into decCP/decCls and counts letters per class. The items are what
    /// LetterScanner yields, in order, except that a boundary right after a boundary is not
    /// stored (it changes no feature: FeatureExtractor ignores a boundary outside a word).
    /// ASCII tokens are handled whole: one URL / e-mail check, then their bytes in a tight loop.
    /// Returns the number of items. With `store` false it only counts (items overwrite slot 0:
    /// no buffer the size of a long document).
    func decode(_ text: UnsafeBufferPointer<UInt8>, _ gc: inout GroupCounts, store: Bool = true) -> Int {
        // Every item consumes at least one byte.
        if store && text.count + 1 > decCap {
            decCP.deallocate(); decCls.deallocate()
            decCap = text.count + 1
            decCP = .allocate(capacity: decCap)
            decCls = .allocate(capacity: decCap)
        }
        var perClass = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        guard let p = text.baseAddress else { gc = GroupCounts(); return 0 }
        let n = text.count
        let cps = decCP, cls = decCls
        let ctab = tables.clsPtr, low = tables.lowPtr
        var m = 0
        let step = store ? 1 : 0
        var latin = 0
        var lastBoundary = false
        gc = withUnsafeMutableBytes(of: &perClass) { raw in
            let pc = raw.baseAddress!.assumingMemoryBound(to: Int.self)
            @inline(__always) func boundary() {
                if !lastBoundary { cps[m] = 0x20; cls[m] = 0; m += step; lastBoundary = true }
            }
            var i = 0
            while i < n {
                let b = p[i]
                if b < 0x80 {
                    if b > 0x20 && b < 0x7F && (i == 0 || p[i - 1] <= 0x20 || p[i - 1] >= 0x80) {
                        // An ASCII token starts: check its URL / e-mail shape once (as LetterScanner).
                        let (j, link) = asciiToken(p, n, i)
                        if link {
                            boundary()
                        } else {
                            for q in i..<j {
                                let l = p[q] | 0x20
                                if l >= 0x61 && l <= 0x7A {
                                    cps[m] = UInt32(l); cls[m] = LetterClass.latin.rawValue; m += step
                                    latin += 1
                                    lastBoundary = false
                                } else {
                                    boundary()
                                }
                            }
                        }
                        i = j
                        continue
                    }
                    i += 1
                    if b > 0x20 && b < 0x7F {
                        // Inside a token that did not start as one (after DEL): byte by byte.
                        let l = b | 0x20
                        if l >= 0x61 && l <= 0x7A {
                            cps[m] = UInt32(l); cls[m] = LetterClass.latin.rawValue; m += step
                            latin += 1
                            lastBoundary = false
                            continue
                        }
                    }
                    boundary()
                    continue
                }
                // Multi-byte UTF-8 (as LetterScanner).
                var cp: UInt32
                var len: Int
                if b & 0xE0 == 0xC0 { cp = UInt32(b & 0x1F); len = 2 }
                else if b & 0xF0 == 0xE0 { cp = UInt32(b & 0x0F); len = 3 }
                else if b & 0xF8 == 0xF0 { cp = UInt32(b & 0x07); len = 4 }
                else { i += 1; boundary(); continue }
                if i + len > n { i += 1; boundary(); continue }
                var ok = true
                for k in 1..<len {
                    let c = p[i + k]
                    if c & 0xC0 != 0x80 { ok = false; break }
                    cp = (cp << 6) | UInt32(c & 0x3F)
                }
                if !ok { i += 1; boundary(); continue }
                i += len
                let c: UInt8
                if cp < 0x10000 {
                    c = ctab[Int(cp)]
                    if c >= 2 { cp = UInt32(low[Int(cp)]) }
                } else {
                    c = CharTables.classify(cp).rawValue
                }
                if c == 1 { continue }
                if c == 0 { boundary(); continue }
                pc[Int(c & 15)] += 1
                cps[m] = cp; cls[m] = c; m += step
                lastBoundary = false
            }
            pc[Int(LetterClass.latin.rawValue)] += latin
            return GroupCounts(perClass: pc)
        }
        return m
    }

    /// Adds the table rows of bp[0..<nb] to acc[0..<range.count].
    @inline(__always) func flush(_ nb: Int, _ range: Range<Int>) {
        let k = range.count
        let ap = self.acc
        if let padded = model.padded {
            // All 32 columns at once (C kernel), then the group's columns.
            let a32 = self.acc32
            for j in 0..<32 { a32[j] = 0 }
            llm_lid_accumulate32(padded.assumingMemoryBound(to: UInt8.self), bp, nb, a32)
            for j in 0..<k { ap[j] += a32[range.lowerBound + j] }
        } else {
            let lp = self.lp, table = model.table, nL = model.languages.count
            for j in 0..<k { lp[j] = 0 }
            for t in 0..<nb {
                let row = table + Int(bp[t]) * nL + range.lowerBound
                for j in 0..<k { lp[j] &+= UInt32(row[j]) }
            }
            for j in 0..<k { ap[j] += Int64(lp[j]) }
        }
    }

    /// Sums the quantized log-probabilities of the group's languages over the text's features.
    /// Returns the number of features; sums are in `acc[0..<range.count]`.
    func accumulate(_ text: UnsafeBufferPointer<UInt8>, group: ScriptGroup, reset: Bool = true) -> Int {
        let range = model.groupRange[Int(group.rawValue)]
        let k = range.count
        if reset { for j in 0..<k { acc[j] = 0 } }
        guard k > 0 else { return 0 }
        var fx = FeatureExtractor(bucketBits: model.bucketBits, group: group)
        var nb = 0
        var total = 0
        let cap = bucketCap
        let bp = self.bp
        var sc = LetterScanner(text, tables)
        while true {
            let (cp, c) = sc.next()
            if c == 255 { break }
            fx.feed(cp, c, bp, &nb)
            if nb > cap - 8 { flush(nb, range); total += nb; nb = 0 }
        }
        fx.endWord(bp, &nb)
        flush(nb, range)
        return total + nb
    }

    /// `accumulate` over the `m` items `decode` left in decCP/decCls (the same features).
    func accumulateDecoded(_ m: Int, group: ScriptGroup, reset: Bool = true) -> Int {
        let range = model.groupRange[Int(group.rawValue)]
        let k = range.count
        if reset { for j in 0..<k { acc[j] = 0 } }
        guard k > 0 else { return 0 }
        var fx = FeatureExtractor(bucketBits: model.bucketBits, group: group)
        var nb = 0
        var total = 0
        let cap = bucketCap
        let bp = self.bp, cps = decCP, cls = decCls
        for i in 0..<m {
            fx.feed(cps[i], cls[i], bp, &nb)
            if nb > cap - 8 { flush(nb, range); total += nb; nb = 0 }
        }
        fx.endWord(bp, &nb)
        flush(nb, range)
        return total + nb
    }

    /// Calibrated probabilities of the group's languages from accumulated sums, in probs[0..<k].
    func computeProbabilities(group: ScriptGroup, features: Int) {
        let range = model.groupRange[Int(group.rawValue)]
        let k = range.count
        let p = probs
        if k == 1 { p[0] = 1; return }
        let denom = Double(model.temperature) * pow(Double(max(features, 1)), Double(model.lengthExponent))
        let scale = Double(model.step) / denom
        var mx = Int64.min
        for j in 0..<k where acc[j] > mx { mx = acc[j] }
        var sum = 0.0
        for j in 0..<k { p[j] = exp(Double(acc[j] - mx) * scale); sum += p[j] }
        for j in 0..<k { p[j] /= sum }
    }

    /// Calibrated probabilities of the group's languages from accumulated sums.
    func probabilities(group: ScriptGroup, features: Int) -> [Double] {
        computeProbabilities(group: group, features: features)
        return Array(UnsafeBufferPointer(start: probs, count: model.groupRange[Int(group.rawValue)].count))
    }

    /// Identifies the language of UTF-8 `text`; `topK` > 0 also fills `top`.
    public func identify(_ text: UnsafeBufferPointer<UInt8>, topK: Int = 0) -> LangResult {
        let n = text.count
        let sampled = sampleBytes > 0 && n > sampleBytes
        var gc = GroupCounts()
        // A text the n-gram model reads whole is decoded once for both passes.
        let m = decode(text, &gc, store: !sampled)
        let total = gc.total
        guard let found = gc.best, total > 0 else { return LangResult(language: "und", score: 0, top: []) }
        let share = Double(gc.weighted[Int(found.rawValue)]) / Double(total)
        if let lang = found.uniqueLanguage {
            let top = topK > 0 ? [LangScore(language: lang, score: share)] : []
            return LangResult(language: lang, score: share, top: top)
        }
        var group = found
        // zh/ja with few kana (under a tenth of the CJK letters): the Han-only model, so a few
        // kana inside Chinese cannot flip it and Han-only Japanese is compared on its Han.
        if group == .cjk && gc.kana * 10 < gc.han + gc.kana && !model.groupRange[Int(ScriptGroup.hanOnly.rawValue)].isEmpty {
            group = .hanOnly
        }
        let range = model.groupRange[Int(group.rawValue)]
        guard group.isModelled, !range.isEmpty else { return LangResult(language: "und", score: 0, top: []) }
        var nf = 0
        if sampled {
            // Long text: the n-gram model reads `sampleWindows` windows of sampleBytes/sampleWindows
            // bytes spread evenly from the first byte to the last (the script counts above used it all).
            let w = sampleBytes / LanguageIdentifier.sampleWindows
            let base = text.baseAddress!
            for i in 0..<LanguageIdentifier.sampleWindows {
                var start = (n - w) * i / (LanguageIdentifier.sampleWindows - 1)
                while start < n && base[start] & 0xC0 == 0x80 { start += 1 }
                var end = min(n, start + w)
                while end < n && base[end] & 0xC0 == 0x80 { end += 1 }
                // Each window decoded on its own: what LetterScanner yields on the window alone.
                var unused = GroupCounts()
                let wm = decode(UnsafeBufferPointer(start: base + start, count: end - start), &unused)
                nf += accumulateDecoded(wm, group: group, reset: i == 0)
            }
        } else {
            nf = accumulateDecoded(m, group: group)
        }
        computeProbabilities(group: group, features: nf)
        let p = probs
        let k = range.count
        var best = 0
        for j in 1..<k where p[j] > p[best] { best = j }
        var top: [LangScore] = []
        if topK > 0 {
            let order = (0..<k).sorted { (a: Int, b: Int) -> Bool in
                if p[a] != p[b] { return p[a] > p[b] }
                return a < b
            }
            top = order.prefix(topK).map { LangScore(language: reported[range.lowerBound + $0], score: p[$0] * share) }
        }
        return LangResult(language: reported[range.lowerBound + best], score: p[best] * share, top: top)
    }

    public func identify(_ s: String, topK: Int = 0) -> LangResult {
        var s = s
        return s.withUTF8 { identify($0, topK: topK) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
