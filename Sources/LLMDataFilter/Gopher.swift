import LLMDataCore

/// One rule set's run over one document: the first failing check (datatrove's order and names)
/// and, when annotating, every signal measured on the way.
struct Eval {
    let annotate: Bool
    private(set) var failed: String?
    private(set) var signals: [(String, JSONValue)] = []

    init(annotate: Bool) { self.annotate = annotate }

    /// Records `reason` if `condition` holds and nothing failed before; true when the rule set
    /// should stop (a failure and no annotation).
    @inline(__always) mutating func fail(_ condition: Bool, _ reason: @autoclosure () -> String) -> Bool {
        if condition && failed == nil { failed = reason() }
        return failed != nil && !annotate
    }

    @inline(__always) mutating func signal(_ key: String, _ v: Double) {
        if annotate { signals.append((key, v.isFinite ? .double((v * 10000).rounded() / 10000) : .null)) }
    }

    @inline(__always) mutating func signal(_ key: String, _ v: Int) {
        if annotate { signals.append((key, .int(v))) }
    }
}

@inline(__always) func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

/// GopherQualityFilter (datatrove), over the shared word split.
enum GopherQuality {
    static let dots: [UInt32] = [0x2E, 0x2E, 0x2E]
    static let hash: [UInt32] = [0x23]
    static let ellipsis: [UInt32] = [0x2026]

    static func evaluate(_ a: Analysis, _ o: GopherQualityOptions, _ e: inout Eval) {
        let t = a.text
        let nWords = a.wordCount
        var nonSymbol = 0, nonSymbolChars = 0, alphaWords = 0
        for k in 0..<nWords {
            let s = a.wordStart(k), end = a.wordEnd(k)
            var symbol = true, alpha = false
            var i = s
            while i < end {
                let f = CharTable.flags(t[i])
                if f & CharTable.punct == 0 { symbol = false }
                if f & CharTable.alpha != 0 { alpha = true }
                i += 1
            }
            if !symbol { nonSymbol += 1; nonSymbolChars += end - s }
            if alpha { alphaWords += 1 }
        }
        e.signal("words", nonSymbol)
        if e.fail(o.minDocWords > 0 && nonSymbol < o.minDocWords, "gopher_short_doc") { return }
        if e.fail(o.maxDocWords > 0 && nonSymbol > o.maxDocWords, "gopher_long_doc") { return }
        // numpy's mean of no words is nan, and comparisons with nan are false
        let avg = nonSymbol > 0 ? Double(nonSymbolChars) / Double(nonSymbol) : .nan
        e.signal("avg_word_length", avg)
        // Dictionary words of unspaced scripts average under 2 characters: the English bounds
        // would drop every Chinese document, so this check is skipped for them (docs/filters.md).
        if !a.unspaced {
            if e.fail(o.minAvgWordLength > 0 && avg < o.minAvgWordLength, "gopher_below_avg_threshold") { return }
            if e.fail(o.maxAvgWordLength > 0 && avg > o.maxAvgWordLength, "gopher_above_avg_threshold") { return }
        }
        let hashes = ratio(a.occurrences(hash), nWords)
        e.signal("hash_word_ratio", hashes)
        if e.fail(o.maxSymbolWordRatio > 0 && hashes > o.maxSymbolWordRatio, "gopher_too_many_hashes") { return }
        let ell = ratio(a.occurrences(dots) + a.occurrences(ellipsis), nWords)
        e.signal("ellipsis_word_ratio", ell)
        if e.fail(o.maxSymbolWordRatio > 0 && ell > o.maxSymbolWordRatio, "gopher_too_many_ellipsis") { return }
        var lines = 0, bullets = 0, ellipsisLines = 0
        a.forEachLine { s, end in
            lines += 1
            var i = s
            while i < end && a.isSpace(i) { i += 1 }
            if i < end && (t[i] == 0x2022 || t[i] == 0x2D) { bullets += 1 }
            var j = end
            while j > s && a.isSpace(j - 1) { j -= 1 }
            if j > s && (t[j - 1] == 0x2026 || (j - s >= 3 && t[j - 1] == 0x2E && t[j - 2] == 0x2E && t[j - 3] == 0x2E)) { ellipsisLines += 1 }
        }
        if lines > 0 {
            e.signal("bullet_lines_ratio", ratio(bullets, lines))
            if e.fail(o.maxBulletLinesRatio > 0 && ratio(bullets, lines) > o.maxBulletLinesRatio, "gopher_too_many_bullets") { return }
            e.signal("end_ellipsis_lines_ratio", ratio(ellipsisLines, lines))
            if e.fail(o.maxEllipsisLinesRatio > 0 && ratio(ellipsisLines, lines) > o.maxEllipsisLinesRatio, "gopher_too_many_end_ellipsis") { return }
        }
        e.signal("alpha_words_ratio", ratio(alphaWords, nWords))
        if e.fail(o.maxNonAlphaWordsRatio > 0 && ratio(alphaWords, nWords) < o.maxNonAlphaWordsRatio, "gopher_below_alpha_threshold") { return }
        if o.minStopWords > 0, let list = stopWords(a, o) {
            let found = distinctStopWords(a, list)
            e.signal("stop_words", found)
            if e.fail(found < o.minStopWords, "gopher_enough_stop_words") { return }
        }
    }

    /// The stop-word list for the document's language; nil when there is none (Thai, Lao, ...).
    static func stopWords(_ a: Analysis, _ o: GopherQualityOptions) -> [String]? {
        guard a.unspaced else { return o.stopWords }
        let lang = a.language.map { String($0.prefix(2)) }
        if lang == "zh" { return o.stopWordsZh }
        if lang == "ja" { return o.stopWordsJa }
        if lang != nil { return nil }
        // no language given: Japanese when the text has kana, Chinese when it has Han, else none
        var kana = 0, han = 0
        for c in a.text {
            if (0x3040...0x30FF).contains(c) { kana += 1 } else if (0x4E00...0x9FFF).contains(c) { han += 1 }
        }
        if kana > 0 && kana * 10 >= han { return o.stopWordsJa }
        return han > 0 ? o.stopWordsZh : nil
    }

    static func distinctStopWords(_ a: Analysis, _ list: [String]) -> Int {
        let words = list.map { Array($0.unicodeScalars.map(\.value)) }
        let longest = words.map(\.count).max() ?? 0
        var seen = [Bool](repeating: false, count: words.count)
        var found = 0
        let t = a.text
        for k in 0..<a.wordCount {
            let s = a.wordStart(k), end = a.wordEnd(k)
            guard end - s <= longest else { continue }
            for (j, w) in words.enumerated() where !seen[j] && WordSplitter.equals(t, s, end, w) {
                seen[j] = true
                found += 1
                if found == words.count { return found }
            }
        }
        return found
    }
}

/// GopherRepetitionFilter (datatrove): duplicate paragraphs and lines, top n-grams, duplicated n-grams.
enum GopherRepetition {
    /// datatrove's find_duplicates over pieces given as ranges: (duplicate pieces, their characters).
    static func duplicates(_ a: Analysis, _ pieces: [(Int, Int)]) -> (Int, Int) {
        a.table.reset(expected: pieces.count)
        var elems = 0, chars = 0
        for (s, e) in pieces {
            let slot = a.table.add(a.hash(s, e), first: s, length: e - s)
            if a.table.counts[slot] > 1 { elems += 1; chars += e - s }
        }
        return (elems, chars)
    }

    /// re.split(r"\n{minRun,}", text[a..<b]).
    static func splitNewlines(_ a: Analysis, _ lo: Int, _ hi: Int, minRun: Int) -> [(Int, Int)] {
        let t = a.text
        var out: [(Int, Int)] = []
        var start = lo
        var i = lo
        while i < hi {
            if t[i] == 0x0A {
                var e = i
                while e < hi && t[e] == 0x0A { e += 1 }
                if e - i >= minRun {
                    out.append((start, i))
                    start = e
                }
                i = e
                continue
            }
            i += 1
        }
        out.append((start, hi))
        return out
    }

    static func evaluate(_ a: Analysis, _ o: GopherRepetitionOptions, _ e: inout Eval) {
        let len = a.count
        if e.fail(len == 0, "empty") { return }
        let (ps, pe) = a.stripped(0, len)
        let paragraphs = splitNewlines(a, ps, pe, minRun: 2)
        var (dups, chars) = duplicates(a, paragraphs)
        e.signal("dup_para_frac", ratio(dups, paragraphs.count))
        if e.fail(o.dupParaFrac > 0 && ratio(dups, paragraphs.count) > o.dupParaFrac, "dup_para_frac") { return }
        e.signal("dup_para_char_frac", ratio(chars, len))
        if e.fail(o.dupParaCharFrac > 0 && ratio(chars, len) > o.dupParaCharFrac, "dup_para_char_frac") { return }
        let lines = splitNewlines(a, 0, len, minRun: 1)
        (dups, chars) = duplicates(a, lines)
        e.signal("dup_line_frac", ratio(dups, lines.count))
        if e.fail(o.dupLineFrac > 0 && ratio(dups, lines.count) > o.dupLineFrac, "dup_line_frac") { return }
        e.signal("dup_line_char_frac", ratio(chars, len))
        if e.fail(o.dupLineCharFrac > 0 && ratio(chars, len) > o.dupLineCharFrac, "dup_line_char_frac") { return }

        a.ensureWordHashes()
        let nw = a.wordCount
        let wh = a.wordHash.p
        var wpow = [UInt64](repeating: 1, count: nw)
        var wlen = [Int](repeating: 0, count: nw)
        for k in 0..<nw {
            let l = a.wordEnd(k) - a.wordStart(k)
            wlen[k] = l
            var p: UInt64 = 1
            for _ in 0..<l { p = p &* PolyHash.base }
            wpow[k] = p
        }
        for pair in o.topNGrams {
            let n = Int(pair[0]), frac = pair[1]
            guard n >= 1, nw >= n else { continue }
            // n-grams joined by a space; Counter.most_common(1): highest count, first seen on ties
            a.table.reset(expected: nw - n + 1)
            for i in 0...(nw - n) {
                var h = wh[i]
                var length = wlen[i]
                for k in 1..<n {
                    h = PolyHash.step(h, 0x20) &* wpow[i + k] &+ wh[i + k]
                    length += 1 + wlen[i + k]
                }
                a.table.add(PolyHash.key(h, length: length), first: i, length: length)
            }
            var bestCount: Int32 = 0, bestLength: Int32 = 0
            let used = a.table.used
            for u in 0..<used.count {  // in insertion order: the first seen wins ties
                let slot = Int(used[u])
                if a.table.counts[slot] > bestCount { bestCount = a.table.counts[slot]; bestLength = a.table.lengths[slot] }
            }
            let v = ratio(Int(bestLength) * Int(bestCount), len)
            e.signal("top_\(n)_gram", v)
            if e.fail(v > frac, "top_\(n)_gram") { return }
        }
        for pair in o.dupNGrams {
            let n = Int(pair[0]), frac = pair[1]
            guard n >= 1 else { continue }
            // n-grams joined without a separator, as datatrove's find_all_duplicate
            a.table.reset(expected: max(nw - n + 1, 1))
            var repeated = 0
            var idx = 0
            while idx < nw - n + 1 {
                var h: UInt64 = 0
                var length = 0
                for k in 0..<n { h = h &* wpow[idx + k] &+ wh[idx + k]; length += wlen[idx + k] }
                let slot = a.table.add(PolyHash.key(h, length: length), first: idx, length: length)
                if a.table.counts[slot] > 1 {
                    repeated += length
                    idx += n
                } else {
                    idx += 1
                }
            }
            let v = ratio(repeated, len)
            e.signal("duplicated_\(n)_n_grams", v)
            if e.fail(v > frac, "duplicated_\(n)_n_grams") { return }
        }
    }
}
