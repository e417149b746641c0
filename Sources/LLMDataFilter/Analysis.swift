// Performance notes (the four datatrove rule sets, one core; 2026-11-23, 2 shared cores):
// - The first version ran the rules on [UInt32] arrays with words as ArraySlices and Swift Sets:
//   0.53 s per 10 MB (en10m.jsonl). ARC on the slices and a Set insert per n-gram dominated.
// - Words as offset pairs into worker-owned buffers (Buf), a per-scalar flag table filled once,
//   one-pass symbol counts, NGramChain (Gopher.swift: count only the positions whose shorter
//   n-gram repeats, instead of nine full passes of hash-set inserts): 0.36 s.
// - `-enforce-exclusivity=unchecked` for the hot modules: every access to an Analysis buffer went
//   through swift_beginAccess; the base analysis alone fell from 0.22 to 0.14 s per 10 MB.
// - 16-byte hash entries, line hashes composed into paragraph hashes instead of hashing the text
//   twice more, word hashes taken from the splitter's fast path: 0.21 s per 10 MB; on en100m
//   1.86 s on one core, 0.96-1.02 s with --jobs 2 (about 105 MB/s).
// - Reading the ProcessInfo environment per document (a debug switch) cost 8%: read once.
// Rejected: sizing hash tables down per document (no change: the cost is branch misses on
// new-versus-seen keys, not cache misses); a second accumulator to break the PolyHash
// multiply chain (words average 5 characters; not worth the code).
// Intel Xeon VM (2 shared vCPUs, AVX-512), en100m.jsonl, --jobs 2, the four rule sets: 1.28-1.40 s
// wall and ~2.45-2.6 s user+sys at the start (75-82 MB/s; 106.8 MB/s on the previous AMD machine).
// perf shares below are of the whole run. Outputs stayed byte-identical throughout (--annotate,
// --annotate --c4-lines, default rules, --rejected reasons, LLMDATA_FILTER_DEBUG word lists).
// - n-gram chain: find_all_duplicate's "seen" set is a mark bit beside the count in the counting
//   table (the second table and the second hashing of every key are gone), taken in the pass
//   that finds the top n-gram and without branches; HashCounter.add rewrites the entry for new
//   and seen keys alike (the count picked without a branch) and homes from the key's high bits.
//   Without --annotate the chain stops once the first failing n-gram check is known: NGramChain
//   28.4% -> 25.4% from that alone (about 12% of en10m documents fail an n-gram check).
// - splitter: a 128-entry ASCII class table instead of three range tests per character (upper /
//   lower case mispredicted); fast paths for a word of ASCII letters and digits with one final
//   suffix ("word." "word," "word)") or one prefix ("(word" "[word:") — what splitChunk would
//   make of them, with the word's hash: splitChunk + mergeSpecials 12.1% -> 9.6%.
// - lazy globals (specials, CharTable.table) read once per call, not per word: swift_once 1.3%
//   -> 0. Special cases looked up in an open-addressing array: Dictionary + SipHash 1.7% -> 0.1%.
// - flags filled while decoding (CharTable.fill's pass gone); GopherQuality's #, ellipsis and
//   line counts in one pass; line hashes four characters per multiply on the dependency chain
//   (the same polynomial, so the same values); stop words converted once per worker.
// - Together: best of 4-5 interleaved runs 2.52 -> ~2.15-2.26 s user+sys, 1.28 -> 1.10-1.16 s
//   wall (90-95 MB/s): short of 100 MB/s on this machine (see the commit messages for figures).
// Rejected: SIMD8<UInt32> compares to skip eight uninteresting characters at a time in
// GopherQuality (the generic SIMD operators were not lowered to vector code: that function went
// from 5.6% to 57% of the samples); loading eight ASCII bytes at a time in load() (no change
// measurable through the noise: 2.16 vs 2.20 s best).
// Left: the splitter (split 23%, splitChunk 8%) and the n-gram chain (25%) are still half the
// time; wordStats 6% could be folded into the splitter's fast paths.
// 2026-11-23, second round, same Intel VM. Other jobs held a core for minutes at a time (wall
// times of the same binary from 1.1 to 3.0 s), so instruction and branch-mispredict counts decided:
// cachegrind runs on a copy without debug info (`strip --strip-debug`: valgrind cannot read the
// debuginfo but reads the symbol table), over the first 2 MB of en10m (781 records, --jobs 1, the
// four rule sets). Start-up included (one record alone, after the first change below: 190M
// instructions, 96M of them the table's Unicode property queries), the run went from 523.7M to
// 454.2M instructions and from 5.02M to 4.68M mispredicts. Outputs stayed byte-identical (same checks as above, and zh-web with --language zh).
// - CharTable's BMP table, built before the first document while both workers wait: the five
//   character sets scattered in from their members instead of five Set lookups per scalar
//   (one-record run, best of 15 interleaved: 49 -> 39 ms user+sys), and the Unicode property
//   queries split over two threads (best of 25: 28 -> 23 ms wall, CPU unchanged).
// - load() counts letters only when no language is given: 28.7M -> 24.8M instructions.
// - GopherQuality's count pass skips four characters at a time when their flags, read as one
//   64-bit word, have no counted character (# . …, a flag bit) and no line break: 21.6M -> 8.3M.
// - splitter: the fast paths hand their key to Specials.find (no second hashing after the
//   prefilter); a one-character chunk skips splitChunk: split + splitChunk 87.3M -> 84.2M.
// Rejected: wordStats folded into the splitter (a stats struct passed inout, hash and base^length
// appended per word): split + stats 84.0M -> 103.5M instructions (the split loop spilled), also
// with base^length moved to the n-gram chain; wordStats in two passes (one without branches over
// the words the splitter hashed, listing the rest for a second): mispredicts 234K -> 103K but
// instructions 18.8M -> 22.9M and no change in time; HashCounter at a load of 1/4 instead of 1/2:
// 100K fewer mispredicts, 155K more D1 misses, no change in time; newlineLines testing four
// flags as one word instead of four compares: 1.9M fewer instructions, 60K more mispredicts; an
// early end of the n-gram chain once every duplicated n-gram check must pass (the union of the
// repeating windows bounds their characters): NGramChain 54.9M -> 52.9M, but the whole run
// unchanged (the steps it saves, n >= 5, are short already).
// Left (instructions, mispredicts on that 2 MB): split 62.8M, 833K; NGramChain 54.9M, 675K;
// load 24.8M; splitChunk 21.4M, 322K; wordStats 18.8M, 234K; newlineLines 18.8M. Mispredicts
// (~20 cycles each) are about a third of the cycles. 74% of en10m's records fail
// gopher_below_alpha_threshold, after the whole repetition rule set.
// Timed (en100m, --jobs 2, the four rule sets, the previous binary against this one, interleaved,
// five sessions of 8-12 rounds): best user+sys lower in every session, by 0.4-5% (best of all
// 2.128 -> 2.065 s); best wall of all sessions 1.097 -> 1.093 s (95 MB/s), within the noise:
// still short of 100 MB/s here.

/// One document as the rules see it, computed once and shared by every rule set: the text as
/// Unicode scalars (Python's `len` counts these), its words, and whether it is in a script written
/// without spaces. A worker owns one Analysis and reuses its buffers from document to document.
public final class Analysis {
    var scalars = Buf<UInt32>(capacity: 1 << 14)
    /// CharTable flags of each scalar.
    var flags = Buf<UInt16>(capacity: 1 << 14)
    /// Words as (start, end) scalar offsets, two entries per word.
    var words = Buf<Int32>(capacity: 1 << 12)
    var scratch = Buf<Int32>(capacity: 256)
    /// Per word: the polynomial hash of its characters.
    var wordHash = Buf<UInt64>(capacity: 1 << 11)
    /// Per word: base^length, to append it to a hash.
    var wordPow = Buf<UInt64>(capacity: 1 << 11)
    var table = HashCounter()
    let chainScratch = ChainScratch()
    /// GopherQuality's stop-word list and its scalars.
    var stopWordsCache: [StopWordSet] = []
    /// Chinese, Japanese, Thai ...: words come from ICU's dictionaries; rules that assume spaces
    /// between words use their documented equivalents.
    public private(set) var unspaced = false
    /// datatrove's arithmetic for every script (`--preset fineweb2`): GopherQuality's word-length
    /// bounds, alpha share and stop words as datatrove computes them, also for unspaced scripts.
    public var exact = false
    /// The document's language from metadata.language, if any.
    public private(set) var language: String?
    /// Words with a character that is not punctuation (datatrove's non-symbol words), their
    /// characters, and words with a letter.
    public private(set) var nonSymbolWords = 0
    public private(set) var nonSymbolChars = 0
    public private(set) var alphaWords = 0

    public init() {}

    deinit {
        scalars.free(); flags.free(); words.free(); scratch.free(); wordHash.free(); wordPow.free(); table.free()
    }

    var text: UnsafeBufferPointer<UInt32> { scalars.buffer }
    var count: Int { scalars.count }
    var wordCount: Int { words.count / 2 }
    @inline(__always) func wordStart(_ i: Int) -> Int { Int(words[2 * i]) }
    @inline(__always) func wordEnd(_ i: Int) -> Int { Int(words[2 * i + 1]) }

    /// ISO 639-1, and ISO 639-3 as in FineWeb-2's names (cmn_Hani, jpn_Jpan, tha_Thai, ...).
    static let unspacedLanguages: Set<String> = ["zh", "ja", "th", "lo", "km", "my", "bo", "cmn", "jpn", "tha", "lao", "khm", "mya", "bod"]

    /// Decodes valid UTF-8 into scalars and their flags; returns the scalar count and, when
    /// `countLetters`, the letters and the letters of unspaced scripts.
    @inline(__always) private func decode(_ t: UnsafeBufferPointer<UInt8>, countLetters: Bool) -> (Int, Int, Int) {
        let out = scalars.p
        let fo = flags.p
        var n = 0
        var i = 0
        let end = t.count
        var letters = 0, unspacedLetters = 0
        let table = CharTable.table
        while i < end {
            let b = t[i]
            if b < 0x80 {
                out[n] = UInt32(b)
                fo[n] = table[Int(b)]
                if countLetters { letters &+= Int((UInt32(b | 0x20) &- 0x61) < 26 ? 1 : 0) }
                i += 1
            } else {
                let c: UInt32
                if b < 0xE0 { c = UInt32(b & 0x1F) << 6 | UInt32(t[i + 1] & 0x3F); i += 2 }
                else if b < 0xF0 { c = UInt32(b & 0x0F) << 12 | UInt32(t[i + 1] & 0x3F) << 6 | UInt32(t[i + 2] & 0x3F); i += 3 }
                else { c = UInt32(b & 0x07) << 18 | UInt32(t[i + 1] & 0x3F) << 12 | UInt32(t[i + 2] & 0x3F) << 6 | UInt32(t[i + 3] & 0x3F); i += 4 }
                out[n] = c
                let f = c < 0x10000 ? table[Int(c)] : CharTable.compute(c)
                fo[n] = f
                if countLetters && f & CharTable.alpha != 0 {
                    letters += 1
                    if f & CharTable.unspaced != 0 { unspacedLetters += 1 }
                }
            }
            n += 1
        }
        return (n, letters, unspacedLetters)
    }

    /// Loads valid UTF-8. `language` is metadata.language when present (or --language). A datatrove
    /// name selects datatrove's tokenizer for it: cmn_* jieba, tha_* newmm-safe, hin_Deva
    /// trivial_tokenize, the spaCy names of models/spacy/index.tsv spaCy's rules. Otherwise zh, ja,
    /// th, lo, km, my and bo (and their ISO 639-3 codes) select ICU word breaks; other languages the
    /// spaced splitter (spaCy's English rules); nil decides by script (more than a third of the
    /// letters in unspaced scripts: Chinese pages often carry code and Latin names).
    public func load(utf8 t: UnsafeBufferPointer<UInt8>, language: String?) {
        self.language = language
        scalars.clear()
        scalars.reserve(t.count)
        flags.reserve(t.count)
        // letters are counted only to decide the script when the language is not given (two
        // copies of the loop: the constant argument takes the counting out of one)
        let (n, letters, unspacedLetters) = language == nil ? decode(t, countLetters: true) : decode(t, countLetters: false)
        scalars.count = n
        flags.count = n  // filled in the same pass
        if let language {
            let base = language.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? language
            unspaced = Self.unspacedLanguages.contains(base)
        } else {
            unspaced = 3 * unspacedLetters > letters
        }
        words.clear()
        wordHash.clear()
        if let language, language.hasPrefix("cmn") {
            // cmn_Hani (FineWeb-2's name): datatrove's SpaCyTokenizer("zh"), i.e. jieba (Jieba.swift)
            Jieba.sharedOrExit().split(text, 0, n, into: &words)
        } else if let language, language.hasPrefix("tha_") {
            // tha_Thai: datatrove's ThaiTokenizer, pythainlp's newmm-safe (ThaiNewmm.swift)
            ThaiNewmm.sharedOrExit().split(text, 0, n, into: &words)
        } else if language == "hin_Deva" {
            // datatrove's IndicNLPTokenizer("hi"): indic-nlp-library's trivial_tokenize (IndicTrivial.swift)
            IndicTrivial.split(text, 0, n, into: &words)
        } else if let language, language.contains("_"), let spacy = SpacyTokenizer.forThread(name: language) {
            // a FineWeb-2 name whose datatrove tokenizer is spaCy's blank(code) (models/spacy/index.tsv)
            spacy.split(text, flags.p, 0, n, into: &words)
        } else if unspaced {
            WordSplitter.splitICU(text, flags.p, 0, n, into: &words, scratch: &scratch)
        } else {
            WordSplitter.split(text, flags.p, 0, n, into: &words, hashes: &wordHash, scratch: &scratch)
        }
        wordStats()
        lineCacheValid = false
    }

    /// base^k for short words.
    private let powers: [UInt64] = {
        var p: [UInt64] = [1]
        for _ in 1..<64 { p.append(p[p.count - 1] &* PolyHash.base) }
        return p
    }()

    /// One pass over the words: their hashes, base^length, and the symbol and letter counts.
    /// Works on raw pointers: appending through the class's Buf properties stored and reloaded
    /// their counts for every word.
    private func wordStats() {
        let w = wordCount
        let fl = flags.p
        var nonSymbol = 0, nonSymbolChars = 0, alphaWords = 0
        // the splitter's fast path hashed most words already (0: not hashed)
        wordHash.reserve(w)
        let wh = wordHash.p
        var k0 = wordHash.count
        while k0 < w { wh[k0] = 0; k0 += 1 }
        wordHash.count = w
        wordPow.clear()
        wordPow.reserve(w)
        wordPow.count = w
        let wp = wordPow.p
        let ws = words.p
        let t = text
        powers.withUnsafeBufferPointer { pw in
            let np = pw.count
            for k in 0..<w {
                var h: UInt64 = 0
                var p: UInt64 = 1
                let s = Int(ws[2 * k])
                var i = s
                let e = Int(ws[2 * k + 1])
                var any: UInt16 = 0, all: UInt16 = 0xFFFF
                if e - s < np { p = pw[e - s] } else { for _ in s..<e { p = p &* PolyHash.base } }
                wp[k] = p
                let known = wh[k]
                if known & (1 << 63) != 0 {
                    // ASCII letters and digits: not a symbol word; a letter if bit 62 says so
                    wh[k] = known & 0x3FFF_FFFF_FFFF_FFFF
                    nonSymbol += 1
                    nonSymbolChars += e - s
                    alphaWords += Int(truncatingIfNeeded: (known >> 62) & 1)
                    continue
                }
                while i < e { h = PolyHash.step(h, t[i]); i += 1 }
                wh[k] = h & 0x3FFF_FFFF_FFFF_FFFF
                i = s
                while i < e {
                    any |= fl[i]
                    all &= fl[i]
                    i += 1
                }
                if all & CharTable.punct == 0 { nonSymbol += 1; nonSymbolChars += e - s }
                if any & CharTable.alpha != 0 { alphaWords += 1 }
            }
        }
        nonSymbolWords = nonSymbol
        self.nonSymbolChars = nonSymbolChars
        self.alphaWords = alphaWords
    }

    struct Line {
        var start: Int
        var end: Int
        /// Polynomial hash of the line's characters, and base^length.
        var h: UInt64
        var pow: UInt64
        var key: UInt64 { PolyHash.key(h, length: end - start) }
    }
    private var lineCache: [Line] = []
    private var lineCacheValid = false

    /// text.split("\n") with each line's hash, computed once per document.
    func newlineLines() -> [Line] {
        if lineCacheValid { return lineCache }
        lineCacheValid = true
        lineCache.removeAll(keepingCapacity: true)
        let t = text
        let n = count
        var s = 0
        var h: UInt64 = 0, p: UInt64 = 1
        // four characters per step when none is a newline: the same polynomial,
        // h·B⁴ + (c0+1)·B³ + (c1+1)·B² + (c2+1)·B + c3+1, with one multiply on the dependency
        // chain instead of four
        let b1 = PolyHash.base, b2 = b1 &* b1, b3 = b2 &* b1, b4 = b2 &* b2
        var i = 0
        while i < n {
            if i + 4 <= n {
                let c0 = t[i], c1 = t[i + 1], c2 = t[i + 2], c3 = t[i + 3]
                if c0 != 0x0A && c1 != 0x0A && c2 != 0x0A && c3 != 0x0A {
                    let m = (UInt64(c0) &+ 1) &* b3 &+ (UInt64(c1) &+ 1) &* b2 &+ (UInt64(c2) &+ 1) &* b1 &+ UInt64(c3) &+ 1
                    h = h &* b4 &+ m
                    p = p &* b4
                    i += 4
                    continue
                }
            }
            let c = t[i]
            if c == 0x0A {
                lineCache.append(Line(start: s, end: i, h: h, pow: p))
                s = i + 1; h = 0; p = 1
            } else {
                h = PolyHash.step(h, c)
                p = p &* b1
            }
            i += 1
        }
        lineCache.append(Line(start: s, end: n, h: h, pow: p))
        return lineCache
    }

    /// re.split(r"\n{2,}", text.strip()) as (key, length) pieces, composed from the line hashes
    /// (the first and last piece are cut at the stripped ends).
    func paragraphs() -> [(UInt64, Int)] {
        let (ps, pe) = stripped(0, count)
        if ps == pe { return [(PolyHash.key(0, length: 0), 0)] }
        let lines = newlineLines()
        var out: [(UInt64, Int)] = []
        var h: UInt64 = 0
        var start = -1, end = 0
        var pendingNewline = false
        for l in lines {
            if l.end < ps { continue }
            if l.start > pe { break }
            let a = max(l.start, ps), b = min(l.end, pe)
            if b == a && a > ps && b < pe {
                // an empty line inside: a paragraph break (consecutive ones are one break)
                if start >= 0 { out.append((PolyHash.key(h, length: end - start), end - start)); start = -1; h = 0 }
                pendingNewline = false
                continue
            }
            if start < 0 { start = a; h = 0; pendingNewline = false }
            if pendingNewline { h = PolyHash.step(h, 0x0A) }
            if a == l.start && b == l.end {
                h = h &* l.pow &+ l.h
            } else {
                for i in a..<b { h = PolyHash.step(h, scalars[i]) }
            }
            end = b
            pendingNewline = true
        }
        if start >= 0 { out.append((PolyHash.key(h, length: end - start), end - start)) }
        return out
    }

    @inline(__always) func isSpace(_ i: Int) -> Bool { flags[i] & CharTable.space != 0 }

    /// Python's str.splitlines(): calls body(start, end) for each line, without its line break.
    func forEachLine(_ body: (Int, Int) -> Void) {
        let t = text
        let n = count
        var s = 0
        var i = 0
        while i < n {
            let c = t[i]
            if c < 0x20 || c >= 0x80, flags[i] & CharTable.lineBreak != 0 {
                body(s, i)
                if c == 0x0D && i + 1 < n && t[i + 1] == 0x0A { i += 1 }
                s = i + 1
            }
            i += 1
        }
        if s < n { body(s, n) }
    }

    /// The range without leading and trailing whitespace (Python's str.strip()).
    @inline(__always) func stripped(_ a: Int, _ b: Int) -> (Int, Int) {
        var a = a, b = b
        while a < b && isSpace(a) { a += 1 }
        while b > a && isSpace(b - 1) { b -= 1 }
        return (a, b)
    }

    func string(_ a: Int, _ b: Int) -> String {
        var s = String.UnicodeScalarView()
        for i in a..<b { if let u = Unicode.Scalar(scalars[i]) { s.append(u) } }
        return String(s)
    }
}
