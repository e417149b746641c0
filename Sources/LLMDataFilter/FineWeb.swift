/// FineWebQualityFilter (datatrove): share of lines ending in terminal punctuation, share of short
/// lines, characters in duplicated lines, and newlines per word.
enum FineWeb {
    static func evaluate(_ a: Analysis, _ o: FineWebOptions, _ e: inout Eval) {
        let n = a.count
        // text.split("\n"), keeping lines that are not blank
        let all = a.newlineLines()
        let newlines = all.count - 1
        var lines: [Analysis.Line] = []
        lines.reserveCapacity(all.count)
        for l in all {
            var j = l.start
            while j < l.end && a.isSpace(j) { j += 1 }
            if j < l.end { lines.append(l) }
        }
        if e.fail(lines.isEmpty, "empty") { return }
        var terminal = 0, short = 0
        for l in lines {
            if a.flags[l.end - 1] & CharTable.terminal != 0 { terminal += 1 }
            if l.end - l.start <= o.shortLineLength { short += 1 }
        }
        let punct = ratio(terminal, lines.count)
        e.signal("line_punct_ratio", punct)
        if e.fail(punct < o.linePunctThr && !(punct == 0 && o.linePunctExcludeZero), "line_punct_ratio") { return }
        let shortRatio = ratio(short, lines.count)
        e.signal("short_line_ratio", shortRatio)
        if e.fail(shortRatio > o.shortLineThr, "short_line_ratio") { return }
        let (_, dupChars) = GopherRepetition.duplicates(a, lines.map { ($0.key, $0.end - $0.start) })
        let dup = ratio(dupChars, n - newlines)
        e.signal("char_dup_ratio", dup)
        if e.fail(dup > o.charDuplicatesRatio, "char_dup_ratio") { return }
        let list = ratio(newlines, a.wordCount)
        e.signal("list_ratio", list)
        if e.fail(list > o.newLineRatio, "list_ratio") { return }
    }
}

/// `length`: characters (code points), words (tokens with a character that is not punctuation).
enum Length {
    static func evaluate(_ a: Analysis, _ o: LengthOptions, _ e: inout Eval) {
        let chars = a.count
        let words = a.nonSymbolWords
        e.signal("chars", chars)
        e.signal("words", words)
        if e.fail(o.minChars > 0 && chars < o.minChars, "min_chars") { return }
        if e.fail(o.maxChars > 0 && chars > o.maxChars, "max_chars") { return }
        if e.fail(o.minWords > 0 && words < o.minWords, "min_words") { return }
        if e.fail(o.maxWords > 0 && words > o.maxWords, "max_words") { return }
    }
}
