import CICUShim

/// Word splitting. Spaced scripts: close to spaCy's blank English tokenizer, which datatrove's
/// rules use (docs/filters.md lists where it differs): whitespace separates chunks; each chunk
/// loses leading punctuation (one token per character, "..." as one), trailing punctuation and
/// English clitics ('s, n't, 'll, 're, 've, 'd, 'm), and is split at hyphens between letters; URLs
/// stay whole. Unspaced scripts (Chinese, Japanese, Thai, ...): ICU's dictionary word breaks.
/// Words are written as scalar index ranges into the analysed text.
public enum WordSplitter {
    static let prefixChars: Set<UInt32> = Set("§%=—–+([{<_#*&\"'‘“«„‚`´$£€¥:;!?,…¡¿)]}>»”’「」『』（）〔〕【】《》〈〉".unicodeScalars.map(\.value))
    static let suffixChars: Set<UInt32> = Set("…,:;!?()[]{}<>_#*&\"'”’»«“‘`´.%—–「」『』（）〔〕【】《》〈〉".unicodeScalars.map(\.value))
    static let clitics: [[UInt32]] = ["n't", "'s", "'ll", "'re", "'ve", "'d", "'m", "’s", "n’t", "N'T", "'S", "'LL", "'RE", "'VE", "'D", "'M"]
        .map { $0.unicodeScalars.map(\.value) }
    /// spaCy's special cases by hash, with a bitmap prefilter.
    struct Specials {
        let keys: [[UInt32]]
        let pieces: [[Int]]  // piece lengths
        /// Open addressing from key hash to index in keys (-1: empty): a Dictionary lookup
        /// (SipHash) per candidate cost 1.5% of the filter.
        let slotKeys: [UInt64]
        let slotValues: [Int]
        let slotMask: Int
        let filter: [Bool]
        let maxLength: Int

        init() {
            var keys: [[UInt32]] = [], pieces: [[Int]] = [], index: [UInt64: Int] = [:]
            var filter = [Bool](repeating: false, count: 1 << 14)
            for (k, p) in SpacySpecials.table {
                let key = k.unicodeScalars.map(\.value)
                // only splits that cut the key into pieces (the rest keep the chunk whole)
                let lens = p.map { $0.unicodeScalars.count }
                guard lens.reduce(0, +) == key.count else { continue }
                let h = Specials.hash(key[...])
                index[h] = keys.count
                filter[Int(h & UInt64(filter.count - 1))] = true
                keys.append(key)
                pieces.append(lens)
            }
            self.keys = keys; self.pieces = pieces; self.filter = filter
            maxLength = keys.map(\.count).max() ?? 0
            var size = 64
            while size < 2 * index.count { size *= 2 }
            var sk = [UInt64](repeating: 0, count: size), sv = [Int](repeating: -1, count: size)
            for (k, v) in index {
                var s = Specials.slot(k, size - 1)
                while sv[s] >= 0 { s = (s + 1) & (size - 1) }
                sk[s] = k; sv[s] = v
            }
            slotKeys = sk; slotValues = sv; slotMask = size - 1
        }

        @inline(__always) static func slot(_ key: UInt64, _ mask: Int) -> Int { Int(truncatingIfNeeded: key >> 40) & mask }

        /// The index in keys of the special case with this key, or -1.
        @inline(__always) func lookup(_ key: UInt64) -> Int {
            var s = Specials.slot(key, slotMask)
            while true {
                let v = slotValues[s]
                if v < 0 || slotKeys[s] == key { return v }
                s = (s + 1) & slotMask
            }
        }

        static func hash<C: Collection>(_ s: C) -> UInt64 where C.Element == UInt32 {
            var h: UInt64 = 0
            for c in s { h = PolyHash.step(h, c) }
            return PolyHash.key(h, length: s.count)
        }

        @inline(__always) func mayContain(_ key: UInt64) -> Bool { filter[Int(key & UInt64(filter.count - 1))] }

        /// The special case equal to t[a..<b], if any.
        @inline(__always) func find(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int) -> Int? {
            guard b - a <= maxLength, b > a else { return nil }
            var h: UInt64 = 0
            for i in a..<b { h = PolyHash.step(h, t[i]) }
            return find(t, a, b, key: PolyHash.key(h, length: b - a))
        }

        /// find() when the caller has the key of t[a..<b] (b - a <= maxLength) from its own hash.
        @inline(__always) func find(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int, key k: UInt64) -> Int? {
            guard filter[Int(k & UInt64(filter.count - 1))] else { return nil }
            let j = lookup(k)
            guard j >= 0, WordSplitter.equals(t, a, b, keys[j]) else { return nil }
            return j
        }

        func emit(_ j: Int, at a: Int, into out: inout Buf<Int32>) {
            var s = a
            for l in pieces[j] { out.append(Int32(s)); out.append(Int32(s + l)); s += l }
        }
    }
    static let specials = Specials()

    static let urlPrefixes: [[UInt32]] = ["http://", "https://", "www."].map { $0.unicodeScalars.map(\.value) }
    static let urlTrailing: Set<UInt32> = [0x2E, 0x2C, 0x29, 0x22, 0x27, 0x3B, 0x3A, 0x21, 0x3F, 0x3E, 0x5D]

    /// ASCII characters for the splitter's fast path: 1 letters and digits, 2 whitespace that
    /// ends a chunk (Python's isspace: \t-\r, 0x1C-0x1F, space), 0 the rest.
    static let asciiClass: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
        for c in 0..<128 {
            let u = UInt32(c)
            p[c] = isAlnumASCII(u) ? 1 : (u == 0x20 || (u >= 0x09 && u <= 0x0D) || (u >= 0x1C && u <= 0x1F)) ? 2 : 0
        }
        return UnsafePointer(p)
    }()

    @inline(__always) static func isApostrophe(_ c: UInt32) -> Bool { c == 0x27 || c == 0x2019 }

    @inline(__always) static func isSpace(_ c: UInt32) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000
    }
    @inline(__always) static func isLetter(_ c: UInt32) -> Bool { CharTable.flags(c) & CharTable.alpha != 0 }
    @inline(__always) static func isAlnumASCII(_ c: UInt32) -> Bool {
        (c &- 0x61) < 26 || (c &- 0x41) < 26 || (c &- 0x30) < 10
    }

    /// Splits t[lo..<hi] into words, appended to `out` as (start, end) pairs. `hashes` gets one
    /// entry per word: 0, or for words of ASCII letters and digits found on the fast path, bit 63
    /// set, bit 62 when the word has a letter, and the low 62 bits of its PolyHash.
    static func split(_ t: UnsafeBufferPointer<UInt32>, _ f: UnsafePointer<UInt16>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>,
                      hashes: inout Buf<UInt64>, scratch: inout Buf<Int32>) {
        // the lazy global once per call, not per word (each access was a swift_once call)
        let specials = Self.specials
        let maxSpecial = specials.maxLength
        let ascii = asciiClass
        var i = lo
        while i < hi {
            while i < hi && f[i] & CharTable.space != 0 { i += 1 }
            var e = i
            var simple = true  // ASCII letters and digits only
            var other = -1, second = -1  // the first two characters that are not
            var h: UInt64 = 0
            var letters: UInt32 = 0
            while e < hi {
                let c = t[e]
                if c < 0x80 {
                    // one table load instead of three range tests (upper/lower case mispredicted)
                    let k = ascii[Int(c)]
                    if k == 1 { h = PolyHash.step(h, c); letters |= c & 0x40; e += 1; continue }
                    if k == 2 { break }
                } else if f[e] & CharTable.space != 0 { break }
                if simple { other = e } else if second < 0 { second = e }
                simple = false
                e += 1
            }
            if e > i {
                if simple {
                    if e - i <= maxSpecial, let j = specials.find(t, i, e, key: PolyHash.key(h, length: e - i)) {
                        specials.emit(j, at: i, into: &out)
                    } else {
                        out.append(Int32(i)); out.append(Int32(e))
                        // the hash, with the top bit telling wordStats "ASCII letters and digits
                        // only" and the next one "has a letter"
                        hashes.append((h & 0x3FFF_FFFF_FFFF_FFFF) | (1 << 63) | (letters != 0 ? 1 << 62 : 0))
                    }
                } else if other == e - 1 && e - i > 1 && cutsLast(t, f, i, e)
                            && !(e - i <= maxSpecial && specials.find(t, i, e, key: PolyHash.key(PolyHash.step(h, t[e - 1]), length: e - i)) != nil)
                            && !(e - 1 - i <= maxSpecial && specials.find(t, i, e - 1, key: PolyHash.key(h, length: e - 1 - i)) != nil) {
                    // ASCII letters and digits and one final suffix ("word," "word." "word)"):
                    // what splitChunk makes of them, with the word's hash (h covers it)
                    out.append(Int32(i)); out.append(Int32(e - 1))
                    out.append(Int32(e - 1)); out.append(Int32(e))
                    hashes.append((h & 0x3FFF_FFFF_FFFF_FFFF) | (1 << 63) | (letters != 0 ? 1 << 62 : 0))
                } else if other == i && e - i > 1 && t[i] != 0x2E && f[i] & CharTable.prefix != 0
                            && (second < 0 || (second == e - 1 && e - i > 3 && cutsLast(t, f, i + 1, e)))
                            && !(e - i <= maxSpecial && specials.find(t, i, e) != nil)
                            && !(e - i - 1 <= maxSpecial
                                 && specials.find(t, i + 1, e, key: PolyHash.key(second < 0 ? h : PolyHash.step(h, t[e - 1]), length: e - i - 1)) != nil)
                            && !(second >= 0 && e - i - 2 <= maxSpecial && specials.find(t, i + 1, e - 1, key: PolyHash.key(h, length: e - i - 2)) != nil) {
                    // one prefix character ("(word" "[word" "\"word"), perhaps a suffix as above:
                    // splitChunk cuts the prefix and goes on with the rest, where it would take
                    // the paths above; spaCy's merges across tokens still apply
                    let first = out.count
                    let we = second < 0 ? e : e - 1
                    out.append(Int32(i)); out.append(Int32(i + 1))
                    out.append(Int32(i + 1)); out.append(Int32(we))
                    if second >= 0 { out.append(Int32(e - 1)); out.append(Int32(e)) }
                    let emitted = out.count
                    mergeSpecials(t, &out, from: first, specials: specials)
                    if out.count == emitted {
                        hashes.append(0)
                        hashes.append((h & 0x3FFF_FFFF_FFFF_FFFF) | (1 << 63) | (letters != 0 ? 1 << 62 : 0))
                    }
                } else if e - i == 1 {
                    // one character that is not a letter or digit ("-" "|" "&"): splitChunk keeps it
                    // whole (a special case of one character is one piece too)
                    out.append(Int32(i)); out.append(Int32(e))
                } else {
                    let first = out.count
                    splitChunk(t, f, i, e, into: &out, suffixes: &scratch, specials: specials)
                    if out.count - first > 2 { mergeSpecials(t, &out, from: first, specials: specials) }
                }
                while hashes.count < out.count / 2 { hashes.append(0) }
            }
            i = e
        }
    }

    /// For a chunk t[i..<e] of ASCII letters and digits and then one other character (e - i > 1):
    /// whether splitChunk's first round cuts that character off as a suffix and leaves the rest
    /// whole, as it does when neither the chunk nor the rest is a special case. A final period
    /// is cut after a digit, a lower-case letter or two upper-case letters; "www." is a URL.
    @inline(__always) static func cutsLast(_ t: UnsafeBufferPointer<UInt32>, _ f: UnsafePointer<UInt16>, _ i: Int, _ e: Int) -> Bool {
        let c = t[e - 1]
        if c == 0x2E {
            let p = t[e - 2]
            if (p &- 0x30) < 10 { return true }
            if (p &- 0x61) < 26 { return !(e - i == 4 && t[i] == 0x77 && t[i + 1] == 0x77 && t[i + 2] == 0x77) }
            return e - i > 2 && (p &- 0x41) < 26 && (t[e - 3] &- 0x41) < 26
        }
        return f[e - 1] & CharTable.suffix != 0
    }

    /// spaCy matches special cases across the tokens of a chunk too ("):" from ")" ":"): merges
    /// two or three adjacent tokens that together form a special case kept whole.
    static func mergeSpecials(_ t: UnsafeBufferPointer<UInt32>, _ out: inout Buf<Int32>, from first: Int, specials: Specials) {
        var k = first
        while k + 2 < out.count {
            // the specials that span tokens are emoticons, quote pairs and elisions: short,
            // starting with punctuation
            let a = Int(out[k])
            if isAlnumASCII(t[a]) || (t[a] >= 0x80 && isLetter(t[a])) { k += 2; continue }
            var merged = false
            for span in stride(from: 3, through: 2, by: -1) where k + 2 * span <= out.count {
                let b = Int(out[k + 2 * span - 1])
                if b - a > 4 { continue }
                if let j = specials.find(t, a, b), specials.pieces[j].count == 1 {
                    // replace `span` tokens by one
                    out[k + 1] = Int32(b)
                    var r = k + 2, w = k + 2 * span
                    while w < out.count { out[r] = out[w]; r += 1; w += 1 }
                    out.count = r
                    merged = true
                    break
                }
            }
            if !merged { k += 2 }
        }
    }

    @inline(__always) static func equals(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int, _ w: [UInt32]) -> Bool {
        guard b - a == w.count else { return false }
        for k in 0..<w.count where t[a + k] != w[k] { return false }
        return true
    }

    static func splitChunk(_ t: UnsafeBufferPointer<UInt32>, _ f: UnsafePointer<UInt16>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>, suffixes: inout Buf<Int32>,
                           specials: Specials) {
        var a = lo, b = hi
        suffixes.clear()
        func finish(_ a: Int, _ b: Int, special j: Int, into out: inout Buf<Int32>) {
            specials.emit(j, at: a, into: &out)
            var s = suffixes.count - 2
            while s >= 0 { out.append(suffixes[s]); out.append(suffixes[s + 1]); s -= 2 }
        }
        if let j = specials.find(t, a, b) { finish(a, b, special: j, into: &out); return }
        var changed = true
        while changed && a < b {
            changed = false
            // URLs stay whole (spaCy's url_match) once prefixes are gone, after trailing punctuation
            if t[a] == 0x68 || t[a] == 0x77, urlPrefixes.contains(where: { b - a >= $0.count && equals(t, a, a + $0.count, $0) }) {
                let urlEnd = b
                while b - a > 1 && urlTrailing.contains(t[b - 1]) { b -= 1 }
                out.append(Int32(a)); out.append(Int32(b))
                for k in b..<urlEnd { out.append(Int32(k)); out.append(Int32(k + 1)) }
                var s = suffixes.count - 2
                while s >= 0 { out.append(suffixes[s]); out.append(suffixes[s + 1]); s -= 2 }
                return
            }
            let n = b - a
            // prefixes: a run of two or more periods is one token
            var lead = 0
            while lead < n && t[a + lead] == 0x2E { lead += 1 }
            if lead == n && n >= 2 { break }  // "..", "...": one token
            if lead >= 2 && lead < n {
                out.append(Int32(a)); out.append(Int32(a + lead)); a += lead; changed = true
                if let j = specials.find(t, a, b) { finish(a, b, special: j, into: &out); return }
                continue
            }
            if n > 1 && f[a] & CharTable.prefix != 0 {
                out.append(Int32(a)); out.append(Int32(a + 1)); a += 1; changed = true
                if let j = specials.find(t, a, b) { finish(a, b, special: j, into: &out); return }
                continue
            }
            // suffixes: a run of two or more periods is one token
            var dots = 0
            while dots < n && t[b - 1 - dots] == 0x2E { dots += 1 }
            if dots == n && n >= 2 { break }
            var cut = 0
            if dots >= 2 && n > dots {
                cut = dots
            } else if n > 1 && t[b - 1] == 0x2E {
                // spaCy: a final period splits after a digit, a lower-case letter, % ² - +,
                // punctuation or a quote, or after two upper-case letters
                let p = t[b - 2]
                let fp = f[b - 2]
                if (p &- 0x30) < 10 || fp & CharTable.lower != 0 || p == 0x25 || p == 0xB2 || p == 0x2D || p == 0x2B
                    || fp & (CharTable.categoryP | CharTable.suffix) != 0
                    || (n > 2 && fp & CharTable.upper != 0 && f[b - 3] & CharTable.upper != 0) {
                    cut = 1
                }
            } else if n > 1 && f[b - 1] & CharTable.suffix != 0 {
                cut = 1
            } else if n > 2 && (isApostrophe(t[b - 2]) || isApostrophe(t[b - 3])) {
                // every clitic has its apostrophe second or third from the end
                for c in clitics where n > c.count && equals(t, b - c.count, b, c) { cut = c.count; break }
            }
            if cut > 0 {
                suffixes.append(Int32(b - cut)); suffixes.append(Int32(b)); b -= cut; changed = true
                if let j = specials.find(t, a, b) { finish(a, b, special: j, into: &out); return }
                continue
            }
        }
        // infixes: hyphens (and runs of them) after a letter or digit and before a letter; one of
        // : < > = / after a letter or digit and before a letter; a comma between letters; a period
        // between a lower- and an upper-case letter
        var start = a
        var k = a
        while k < b {
            let c = t[k]
            if k > start && k + 1 < b {
                let prev = t[k - 1]
                let prevOK = f[k - 1] & CharTable.alpha != 0 || (prev >= 0x30 && prev <= 0x39)
                if prevOK && (c == 0x2D || c == 0x2013 || c == 0x2014) {
                    var e = k
                    while e < b && (t[e] == 0x2D || t[e] == 0x2013 || t[e] == 0x2014) { e += 1 }
                    if e < b && f[e] & CharTable.alpha != 0 {
                        out.append(Int32(start)); out.append(Int32(k))
                        out.append(Int32(k)); out.append(Int32(e))
                        start = e
                        k = e
                        continue
                    }
                } else if (prevOK && (c == 0x3A || c == 0x3C || c == 0x3E || c == 0x3D || c == 0x2F) && f[k + 1] & CharTable.alpha != 0)
                            || (c == 0x2C && f[k - 1] & CharTable.alpha != 0 && f[k + 1] & CharTable.alpha != 0)
                            || (c == 0x2E && f[k - 1] & CharTable.lower != 0 && f[k + 1] & CharTable.upper != 0) {
                    out.append(Int32(start)); out.append(Int32(k))
                    out.append(Int32(k)); out.append(Int32(k + 1))
                    start = k + 1
                    k += 1
                    continue
                }
            }
            k += 1
        }
        if start < b { out.append(Int32(start)); out.append(Int32(b)) }
        var s = suffixes.count - 2
        while s >= 0 { out.append(suffixes[s]); out.append(suffixes[s + 1]); s -= 2 }
    }

    /// ICU dictionary words of t[lo..<hi]: every segment that is not only whitespace.
    static func splitICU(_ t: UnsafeBufferPointer<UInt32>, _ f: UnsafePointer<UInt16>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>, scratch: inout Buf<Int32>) {
        let n = hi - lo
        guard n > 0 else { return }
        scratch.clear()
        scratch.reserve(n + 1)
        let got = Int(llm_icu_breaks(t.baseAddress! + lo, Int32(n), Int32(LLM_BREAK_WORD), scratch.p, nil, Int32(n + 1)))
        guard got > 0 else {
            var hashes = Buf<UInt64>(capacity: 64)
            defer { hashes.free() }
            split(t, f, lo, hi, into: &out, hashes: &hashes, scratch: &scratch)
            return
        }
        var s = lo
        for k in 0..<min(got, n + 1) {
            let e = lo + Int(scratch[k])
            var a = s, b = e
            while a < b && f[a] & CharTable.space != 0 { a += 1 }
            while b > a && f[b - 1] & CharTable.space != 0 { b -= 1 }
            if b > a { out.append(Int32(a)); out.append(Int32(b)) }
            s = e
        }
    }

    /// Number of ICU sentences in t[lo..<hi].
    static func icuSentences(_ t: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int) -> Int {
        guard hi > lo else { return 0 }
        return max(0, Int(llm_icu_breaks(t.baseAddress! + lo, Int32(hi - lo), Int32(LLM_BREAK_SENTENCE), nil, nil, 0)))
    }
}
