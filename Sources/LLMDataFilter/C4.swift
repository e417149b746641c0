/// C4QualityFilter (datatrove, split_paragraph=True): line-level cleaning decides which lines
/// count; the document is dropped for lorem ipsum, a curly bracket or too few sentences in the
/// kept lines. With `rewriteLines` the kept lines replace the text, as C4 does.
enum C4 {
    static let policy: [[UInt32]] = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"]
        .map { $0.unicodeScalars.map(\.value) }
    static let lorem: [UInt32] = "lorem ipsum".unicodeScalars.map(\.value)
    static let javascript: [UInt32] = "javascript".unicodeScalars.map(\.value)
    static let citationEdit: [UInt32] = "[edit]".unicodeScalars.map(\.value)
    static let citationNeeded: [UInt32] = "[citation needed]".unicodeScalars.map(\.value)
    /// Line ends that count as terminal in unspaced scripts, besides C4's . ? ! " '
    static let unspacedEnds: Set<UInt32> = [0x3002, 0xFF01, 0xFF1F, 0xFF0E, 0xFF61, 0x201D, 0x300D, 0x300F, 0xFF09]

    /// Whether `needle` (lower-case ASCII) occurs in t[a..<b], comparing ASCII letters case-insensitively.
    @inline(__always) static func containsLower(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int, _ needle: [UInt32]) -> Bool {
        let m = needle.count
        guard b - a >= m else { return false }
        let f = needle[0]
        var i = a
        while i <= b - m {
            let c = t[i]
            if c == f || ((c &- 0x41) < 26 && c | 0x20 == f) {
                var k = 1
                while k < m {
                    let d = t[i + k]
                    let l = (d &- 0x41) < 26 ? d | 0x20 : d
                    if l != needle[k] { break }
                    k += 1
                }
                if k == m { return true }
            }
            i += 1
        }
        return false
    }

    /// C4's CITATION_REGEX `\[\d*]|\[edit]|\[citation needed]` removed from t[a..<b]; nil when absent.
    static func removeCitations(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int) -> [UInt32]? {
        var i = a
        var out: [UInt32]? = nil
        var copied = a
        while i < b {
            if t[i] == 0x5B {
                var e = i + 1
                while e < b && (t[e] &- 0x30) < 10 { e += 1 }
                var end = -1
                if e < b && t[e] == 0x5D { end = e + 1 } else if WordSplitter.equals(t, i, min(b, i + citationEdit.count), citationEdit) {
                    end = i + citationEdit.count
                } else if WordSplitter.equals(t, i, min(b, i + citationNeeded.count), citationNeeded) {
                    end = i + citationNeeded.count
                }
                if end > 0 {
                    if out == nil { out = [] }
                    out!.append(contentsOf: t[copied..<i])
                    copied = end
                    i = end
                    continue
                }
            }
            i += 1
        }
        guard var o = out else { return nil }
        o.append(contentsOf: t[copied..<b])
        return o
    }

    /// spaCy's sentencizer over the words of a line: a sentence starts at the first token and at
    /// each token that follows sentence-final punctuation and is not itself punctuation.
    static func sentences(_ t: UnsafeBufferPointer<UInt32>, words: UnsafeBufferPointer<Int32>) -> Int {
        var count = 0
        var seenPeriod = false
        var k = 0
        let table = CharTable.table  // once, not per character (a swift_once call each)
        @inline(__always) func flags(_ c: UInt32) -> UInt16 { c < 0x10000 ? table[Int(c)] : CharTable.compute(c) }
        while k < words.count {
            let s = Int(words[k]), e = Int(words[k + 1])
            if count == 0 { count = 1 }
            let single = e - s == 1
            let f0 = flags(t[s])
            let inPunctChars = single && f0 & CharTable.sentenceEnd != 0
            var isPunct = true
            var i = s
            while i < e { if flags(t[i]) & CharTable.categoryP == 0 { isPunct = false; break }; i += 1 }
            if seenPeriod && !isPunct && !inPunctChars {
                count += 1
                seenPeriod = false
            } else if inPunctChars {
                seenPeriod = true
            }
            k += 2
        }
        return count
    }

    static func evaluate(_ a: Analysis, _ o: C4Options, _ e: inout Eval, keptText: inout [UInt32]?) {
        let t = a.text
        var numSentences = 0
        var kept: [(Int, Int)] = []
        var keptCleaned: [Int: [UInt32]] = [:]
        var linesTotal = 0
        var dropReason: String? = nil
        var cursor = 0  // first document word not before the current line
        a.forEachLine { ls, le in
            if dropReason != nil { return }
            linesTotal += 1
            let (s, end) = a.stripped(ls, le)
            // Python's str.split(): whitespace-separated words
            var nWords = 0
            var longest = 0
            var i = s
            while i < end {
                while i < end && a.isSpace(i) { i += 1 }
                let w = i
                while i < end && !a.isSpace(i) { i += 1 }
                if i > w { nWords += 1; longest = max(longest, i - w) }
            }
            while cursor < a.wordCount && a.wordStart(cursor) < s { cursor += 1 }
            var wEnd = cursor
            while wEnd < a.wordCount && a.wordEnd(wEnd) <= end { wEnd += 1 }
            if a.unspaced {
                // words are ICU's; a line's "words" are its segments with a letter or digit, and the
                // longest-word check uses them too (a Chinese paragraph has no spaces)
                nWords = 0
                longest = 0
                for k in cursor..<wEnd {
                    let ws = a.wordStart(k), we = a.wordEnd(k)
                    var content = false
                    for j in ws..<we where a.flags[j] & (CharTable.punct | CharTable.categoryP) == 0 { content = true; break }
                    if content { nWords += 1; longest = max(longest, we - ws) }
                }
            }
            if o.maxWordLength >= 0 && longest > o.maxWordLength { return }
            var cleaned: [UInt32]? = nil
            if o.removeCitations { cleaned = removeCitations(t, s, end) }
            func check(_ lineText: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int) -> Bool {
                if o.filterNoTerminalPunct {
                    guard hi > lo else { return false }
                    let last = lineText[hi - 1]
                    var terminal = last == 0x2E || last == 0x3F || last == 0x21 || last == 0x22 || last == 0x27
                    if a.unspaced && unspacedEnds.contains(last) { terminal = true }
                    let ellipsis = hi - lo >= 3 && lineText[hi - 1] == 0x2E && lineText[hi - 2] == 0x2E && lineText[hi - 3] == 0x2E
                    if !terminal || ellipsis || (a.unspaced && last == 0x2026) { return false }
                }
                if nWords < o.minWordsPerLine { return false }
                if o.filterLoremIpsum && containsLower(lineText, lo, hi, lorem) { dropReason = "lorem_ipsum"; return false }
                if o.filterJavascript && containsLower(lineText, lo, hi, javascript) { return false }
                if o.filterCurlyBracket {
                    for j in lo..<hi where lineText[j] == 0x7B { dropReason = "curly_bracket"; return false }
                }
                if o.filterPolicy && policy.contains(where: { containsLower(lineText, lo, hi, $0) }) { return false }
                if o.minNumSentences >= 0 {
                    if a.unspaced {
                        numSentences += WordSplitter.icuSentences(lineText, lo, hi)
                    } else if cleaned == nil {
                        numSentences += sentences(t, words: UnsafeBufferPointer(start: a.words.p + 2 * cursor, count: 2 * (wEnd - cursor)))
                    } else {
                        // a citation was cut out: split the cleaned line itself (rare)
                        var lineWords = Buf<Int32>(capacity: 64), lineScratch = Buf<Int32>(capacity: 64), unused = Buf<UInt64>(capacity: 64)
                        defer { lineWords.free(); lineScratch.free(); unused.free() }
                        var lf = [UInt16](repeating: 0, count: hi)
                        lf.withUnsafeMutableBufferPointer { CharTable.fill(lineText, $0.baseAddress!) }
                        lf.withUnsafeBufferPointer { WordSplitter.split(lineText, $0.baseAddress!, lo, hi, into: &lineWords, hashes: &unused, scratch: &lineScratch) }
                        numSentences += max(1, sentences(lineText, words: lineWords.buffer))
                    }
                }
                return true
            }
            let result: Bool
            if let c = cleaned { result = c.withUnsafeBufferPointer { check($0, 0, c.count) } } else { result = check(t, s, end) }
            if result {
                kept.append((s, end))
                if let c = cleaned { keptCleaned[kept.count - 1] = c }
            }
        }
        e.signal("lines", linesTotal)
        e.signal("kept_lines", kept.count)
        e.signal("sentences", numSentences)
        if let r = dropReason, e.fail(true, r) { return }
        if e.fail(o.minNumSentences >= 0 && numSentences < o.minNumSentences, "too_few_sentences") { return }
        if o.rewriteLines {
            var out: [UInt32] = []
            for (k, (s, end)) in kept.enumerated() {
                if k > 0 { out.append(0x0A) }
                if let c = keptCleaned[k] { out.append(contentsOf: c) } else { out.append(contentsOf: t[s..<end]) }
            }
            keptText = out
        }
    }
}
