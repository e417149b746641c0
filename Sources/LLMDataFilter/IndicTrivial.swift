/// Hindi words as datatrove splits them (hin_Deva): `IndicNLPTokenizer("hi").word_tokenize` =
/// indic-nlp-library 0.92's `indic_tokenize.trivial_tokenize(text, "hi")` (trivial_tokenize_indic),
/// then `strip_strings`. On Unicode scalars and integer offsets:
///
/// - trivial_tokenize_indic replaces "\t" by " ", puts " " around every character of
///   `string.punctuation` but the backslash (the pattern's "\]" escapes "]") and of U+0964 U+0965 U+AAF0 U+AAF1 U+ABEB-U+ABEF U+1C7E U+1C7F, collapses
///   runs of " ", strips " " at both ends and splits on " ". So the tokens are the maximal runs of
///   characters other than " ", "\t" and those punctuation marks, and each punctuation mark alone
///   ("\n" and other whitespace stay inside tokens).
/// - pat_num_seq `([0-9]+ [,.:/] )+[0-9]+` then removes the spaces inside its matches of that
///   string: a token ending in ASCII digits, then (a token of one of , . : / and a token starting
///   with ASCII digits), repeated while the last token is all digits, become one token. As in the
///   library, a match starting at offset 0 of the string (a first token of digits only) is not
///   joined (its `if start>prev`).
/// - strip_strings: each token stripped of Python whitespace (str.isspace), empty ones dropped.
///
/// A joined token is written as the span from its first to its last character: when the text had
/// spaces inside it ("1, 000" is datatrove's word "1,000"), the span holds them too.
enum IndicTrivial {
    /// The punctuation trivial_tokenize_indic isolates.
    @inline(__always) static func isPunct(_ c: UInt32) -> Bool {
        if c < 0x80 {
            // string.punctuation !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ pasted into a character class:
            // its "\]" is an escaped "]", so the backslash itself is not isolated
            return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60 && c != 0x5C) || (c >= 0x7B && c <= 0x7E)
        }
        switch c {
        case 0x0964, 0x0965, 0xAAF0, 0xAAF1, 0xABEB...0xABEF, 0x1C7E, 0x1C7F: return true
        default: return false
        }
    }

    @inline(__always) static func isASCIIDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Appends one (start, end) pair per word of datatrove's
    /// `IndicNLPTokenizer("hi").word_tokenize(t[lo..<hi])` (offsets into `t`).
    static func split(_ t: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>) {
        let base = out.count
        // the tokens of the space-normalised string
        var i = lo
        while i < hi {
            let c = t[i]
            if c == 0x20 || c == 0x09 { i += 1; continue }
            if isPunct(c) { out.append(Int32(i)); out.append(Int32(i + 1)); i += 1; continue }
            var j = i + 1
            while j < hi {
                let d = t[j]
                if d == 0x20 || d == 0x09 || isPunct(d) { break }
                j += 1
            }
            out.append(Int32(i)); out.append(Int32(j))
            i = j
        }
        let m = (out.count - base) / 2
        @inline(__always) func s(_ k: Int) -> Int { Int(out[base + 2 * k]) }
        @inline(__always) func e(_ k: Int) -> Int { Int(out[base + 2 * k + 1]) }
        @inline(__always) func isSep(_ k: Int) -> Bool {
            let a = s(k)
            guard e(k) == a + 1 else { return false }
            let c = t[a]
            return c == 0x2C || c == 0x2E || c == 0x3A || c == 0x2F
        }
        @inline(__always) func allDigits(_ k: Int) -> Bool {
            var p = s(k)
            while p < e(k) { if !isASCIIDigit(t[p]) { return false }; p += 1 }
            return true
        }
        // pat_num_seq over the tokens; joined tokens are written back in place (w <= k)
        var w = base
        var k = 0
        var first = true  // no match seen yet: one at string offset 0 is not joined
        while k < m {
            // a match starting in token k: k ends in a digit (its trailing run is after any earlier
            // match's end, see below), then separator, then a token starting with a digit
            if isASCIIDigit(t[e(k) - 1]) && k + 2 < m && isSep(k + 1) && isASCIIDigit(t[s(k + 2)]) {
                var j = k + 2
                while allDigits(j) && j + 2 < m && isSep(j + 1) && isASCIIDigit(t[s(j + 2)]) { j += 2 }
                let atZero = first && k == 0 && allDigits(0)
                first = false
                if !atZero {
                    out[w] = Int32(s(k)); out[w + 1] = Int32(e(j)); w += 2
                    // the match ended inside token j when it is not all digits: a next match may
                    // start at its trailing digits, joining on from there
                    if !allDigits(j) && w >= base + 2 {
                        // continue with token j as the joined token's tail: handled by treating
                        // the joined token as token k' = j
                        out[base + 2 * j] = out[w - 2]
                        w -= 2
                        k = j
                        continue
                    }
                    k = j + 1
                } else {
                    // not joined: the tokens stay as they are; the search resumes after the match
                    for q in k...j - 1 { out[w] = Int32(s(q)); out[w + 1] = Int32(e(q)); w += 2 }
                    if allDigits(j) {
                        out[w] = Int32(s(j)); out[w + 1] = Int32(e(j)); w += 2
                        k = j + 1
                    } else {
                        k = j
                    }
                }
                continue
            }
            out[w] = Int32(s(k)); out[w + 1] = Int32(e(k)); w += 2
            k += 1
        }
        // strip_strings
        var r = base
        var o = base
        while r < w {
            var a = Int(out[r]), b = Int(out[r + 1])
            while a < b && Jieba.isSpace(t[a]) { a += 1 }
            while b > a && Jieba.isSpace(t[b - 1]) { b -= 1 }
            if b > a { out[o] = Int32(a); out[o + 1] = Int32(b); o += 2 }
            r += 2
        }
        out.count = o
    }
}
