/// English word splitting close to spaCy's blank English tokenizer, which datatrove's Gopher
/// filters use (docs/filters.md lists where it differs). Works on Unicode scalars: whitespace
/// separates chunks; each chunk loses leading punctuation (one token per character, "..." as one),
/// trailing punctuation and English clitics ('s, n't, 'll, 're, 've, 'd, 'm), and is split at
/// hyphens between letters; URLs stay whole.
public enum WordSplitter {
    static let prefixChars: Set<UInt32> = Set("§%=—–+([{<_#*&\"'‘“«„‚`´$£€¥:;!?,…¡¿)]}>»”’「」『』（）〔〕【】《》〈〉".unicodeScalars.map(\.value))
    static let suffixChars: Set<UInt32> = Set("…,:;!?()[]{}<>_#*&\"'”’»«“‘`´.%—–「」『』（）〔〕【】《》〈〉".unicodeScalars.map(\.value))
    static let clitics: [[UInt32]] = ["n't", "'s", "'ll", "'re", "'ve", "'d", "'m", "’s", "n’t", "N'T", "'S", "'LL", "'RE", "'VE", "'D", "'M"]
        .map { $0.unicodeScalars.map(\.value) }
    static let abbreviations: Set<String> = ["e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Jr.", "Sr.", "Inc.", "Ltd.", "Co.", "Corp.", "a.m.", "p.m.", "U.S.", "U.K.", "No.", "Fig.", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.", "Mt.", "Gen.", "Gov.", "Rev.", "vol.", "p.", "pp.", "cf."]

    @inline(__always) static func isSpace(_ c: UInt32) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000
    }

    @inline(__always) static func isLetter(_ c: UInt32) -> Bool { CharTable.flags(c) & CharTable.alpha != 0 }

    @inline(__always) static func isLower(_ c: UInt32) -> Bool { CharTable.flags(c) & CharTable.lower != 0 }
    @inline(__always) static func isUpper(_ c: UInt32) -> Bool { CharTable.flags(c) & CharTable.upper != 0 }

    /// The words of `text`.
    public static func split(_ text: [UInt32]) -> [ArraySlice<UInt32>] {
        var out: [ArraySlice<UInt32>] = []
        var i = 0
        let n = text.count
        while i < n {
            while i < n && isSpace(text[i]) { i += 1 }
            var e = i
            while e < n && !isSpace(text[e]) { e += 1 }
            if e > i { splitChunk(text[i..<e], into: &out) }
            i = e
        }
        return out
    }

    static func hasPrefix(_ s: ArraySlice<UInt32>, _ p: String) -> Bool {
        let u = p.unicodeScalars.map(\.value)
        return s.count >= u.count && s.prefix(u.count).elementsEqual(u)
    }

    static func splitChunk(_ chunk: ArraySlice<UInt32>, into out: inout [ArraySlice<UInt32>]) {
        var s = chunk
        // URLs stay whole (spaCy's url_match), after trailing punctuation
        if hasPrefix(s, "http://") || hasPrefix(s, "https://") || hasPrefix(s, "www.") {
            var tail: [ArraySlice<UInt32>] = []
            while let last = s.last, s.count > 1, [0x2E, 0x2C, 0x29, 0x22, 0x27, 0x3B, 0x3A, 0x21, 0x3F].contains(last) {
                tail.insert(s[(s.endIndex - 1)...], at: 0)
                s = s.dropLast()
            }
            out.append(s)
            out.append(contentsOf: tail)
            return
        }
        var suffixes: [ArraySlice<UInt32>] = []
        var changed = true
        while changed && !s.isEmpty {
            changed = false
            if s.count <= 6 && s.last == 0x2E && abbreviations.contains(String(String.UnicodeScalarView(s.compactMap(Unicode.Scalar.init)))) { break }
            // prefixes
            if s.count >= 3 && s.prefix(3).allSatisfy({ $0 == 0x2E }) {
                out.append(s.prefix(3)); s = s.dropFirst(3); changed = true; continue
            }
            if let f = s.first, s.count > 1, CharTable.flags(f) & CharTable.prefix != 0 {
                out.append(s.prefix(1)); s = s.dropFirst(); changed = true; continue
            }
            // suffixes
            // a run of two or more periods is one token
            var dots = 0
            while dots < s.count && s[s.endIndex - 1 - dots] == 0x2E { dots += 1 }
            if dots >= 2 && s.count > dots {
                suffixes.insert(s.suffix(dots), at: 0); s = s.dropLast(dots); changed = true; continue
            }
            // a single letter with a period (initials, "n." in dictionaries) stays whole
            if s.count == 2 && s.last == 0x2E && isLetter(s.first!) { break }
            if let l = s.last, s.count > 1, CharTable.flags(l) & CharTable.suffix != 0 {
                // a final period stays on single-letter abbreviations like "U.S." handled above
                suffixes.insert(s.suffix(1), at: 0); s = s.dropLast(); changed = true; continue
            }
            for c in clitics where s.count > c.count && s.suffix(c.count).elementsEqual(c) {
                suffixes.insert(s.suffix(c.count), at: 0); s = s.dropLast(c.count); changed = true; break
            }
        }
        // infixes: hyphens (and runs of them) after a letter or digit and before a letter; one of
        // : < > = / after a letter or digit and before a letter; a comma between letters
        var start = s.startIndex
        var k = s.startIndex
        while k < s.endIndex {
            let c = s[k]
            if k > start && k + 1 < s.endIndex {
                let prev = s[k - 1]
                let prevOK = isLetter(prev) || (prev >= 0x30 && prev <= 0x39)
                if prevOK && (c == 0x2D || c == 0x2013 || c == 0x2014) {
                    var e = k
                    while e < s.endIndex && (s[e] == 0x2D || s[e] == 0x2013 || s[e] == 0x2014) { e += 1 }
                    if e < s.endIndex && isLetter(s[e]) {
                        out.append(s[start..<k])
                        out.append(s[k..<e])
                        start = e
                        k = e
                        continue
                    }
                } else if (prevOK && [0x3A, 0x3C, 0x3E, 0x3D, 0x2F].contains(c) && isLetter(s[k + 1]))
                            || (c == 0x2C && isLetter(prev) && isLetter(s[k + 1]))
                            || (c == 0x2E && isLower(prev) && isUpper(s[k + 1])) {
                    out.append(s[start..<k])
                    out.append(s[k...k])
                    start = k + 1
                    k += 1
                    continue
                }
            }
            k += 1
        }
        if start < s.endIndex { out.append(s[start..<s.endIndex]) }
        out.append(contentsOf: suffixes)
    }
}
