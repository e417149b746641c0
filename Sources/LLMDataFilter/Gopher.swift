import Foundation

/// Gopher quality thresholds (datatrove's defaults, from the Gopher paper).
public struct GopherQualityOptions: Sendable, Codable {
    public var minDocWords = 50
    public var maxDocWords = 100_000
    public var minAvgWordLength = 3.0
    public var maxAvgWordLength = 10.0
    public var maxSymbolWordRatio = 0.1
    public var maxBulletLinesRatio = 0.9
    public var maxEllipsisLinesRatio = 0.3
    public var maxNonAlphaWordsRatio = 0.8
    public var minStopWords = 2
    public var stopWords = ["the", "be", "to", "of", "and", "that", "have", "with"]
    public init() {}
}

/// Gopher repetition thresholds (datatrove's defaults).
public struct GopherRepetitionOptions: Sendable, Codable {
    public var dupLineFrac = 0.3
    public var dupParaFrac = 0.3
    public var dupLineCharFrac = 0.2
    public var dupParaCharFrac = 0.2
    public var topNGrams: [[Double]] = [[2, 0.2], [3, 0.18], [4, 0.16]]
    public var dupNGrams: [[Double]] = [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.10]]
    public init() {}
}

/// A text as Unicode scalars with its words, computed once per record for all rules.
public struct TextView {
    public let scalars: [UInt32]
    public let words: [ArraySlice<UInt32>]

    public init(_ s: String) {
        scalars = s.unicodeScalars.map(\.value)
        words = WordSplitter.split(scalars)
    }

    /// Python's `str.splitlines()` line boundaries.
    static let lineBreaks: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]

    func splitlines() -> [ArraySlice<UInt32>] {
        var out: [ArraySlice<UInt32>] = []
        var s = 0
        var i = 0
        let n = scalars.count
        while i < n {
            let c = scalars[i]
            if Self.lineBreaks.contains(c) {
                out.append(scalars[s..<i])
                if c == 0x0D && i + 1 < n && scalars[i + 1] == 0x0A { i += 1 }
                s = i + 1
            }
            i += 1
        }
        if s < n { out.append(scalars[s..<n]) }
        return out
    }

    func count(_ needle: [UInt32]) -> Int {
        var c = 0, i = 0
        let n = scalars.count, m = needle.count
        while i + m <= n {
            if scalars[i..<(i + m)].elementsEqual(needle) { c += 1; i += m } else { i += 1 }
        }
        return c
    }
}

func isPythonSpace(_ c: UInt32) -> Bool {
    WordSplitter.isSpace(c) || (c >= 0x1C && c <= 0x1F)
}

func strip(_ s: ArraySlice<UInt32>) -> ArraySlice<UInt32> {
    var a = s.startIndex, b = s.endIndex
    while a < b && isPythonSpace(s[a]) { a += 1 }
    while b > a && isPythonSpace(s[b - 1]) { b -= 1 }
    return s[a..<b]
}

public enum GopherQuality {
    /// nil = keep, else the check that failed (datatrove's reason names, prefixed by the stage).
    public static func check(_ t: TextView, _ o: GopherQualityOptions) -> String? {
        let words = t.words
        let nWords = words.count
        let nonSymbol = words.filter { w in w.contains { !Punctuation.set.contains($0) } }
        if o.minDocWords > 0 && nonSymbol.count < o.minDocWords { return "gopher_short_doc" }
        if o.maxDocWords > 0 && nonSymbol.count > o.maxDocWords { return "gopher_long_doc" }
        let avg = Double(nonSymbol.reduce(0) { $0 + $1.count }) / Double(max(nonSymbol.count, 1))
        if o.minAvgWordLength > 0 && avg < o.minAvgWordLength { return "gopher_below_avg_threshold" }
        if o.maxAvgWordLength > 0 && avg > o.maxAvgWordLength { return "gopher_above_avg_threshold" }
        if o.maxSymbolWordRatio > 0 && Double(t.count([0x23])) / Double(nWords) > o.maxSymbolWordRatio { return "gopher_too_many_hashes" }
        if o.maxSymbolWordRatio > 0 && Double(t.count([0x2E, 0x2E, 0x2E]) + t.count([0x2026])) / Double(nWords) > o.maxSymbolWordRatio {
            return "gopher_too_many_ellipsis"
        }
        let lines = t.splitlines()
        if o.maxBulletLinesRatio > 0 && !lines.isEmpty {
            let bullets = lines.filter { l in
                let s = l.drop { isPythonSpace($0) }
                return s.first == 0x2022 || s.first == 0x2D
            }.count
            if Double(bullets) / Double(lines.count) > o.maxBulletLinesRatio { return "gopher_too_many_bullets" }
        }
        if o.maxEllipsisLinesRatio > 0 && !lines.isEmpty {
            let ell = lines.filter { l in
                var e = l.endIndex
                while e > l.startIndex && isPythonSpace(l[e - 1]) { e -= 1 }
                let s = l[l.startIndex..<e]
                return s.suffix(3).elementsEqual([0x2E, 0x2E, 0x2E]) || s.last == 0x2026
            }.count
            if Double(ell) / Double(lines.count) > o.maxEllipsisLinesRatio { return "gopher_too_many_end_ellipsis" }
        }
        if o.maxNonAlphaWordsRatio > 0 {
            let alpha = words.filter { w in w.contains { WordSplitter.isLetter($0) } }.count
            if Double(alpha) / Double(nWords) < o.maxNonAlphaWordsRatio { return "gopher_below_alpha_threshold" }
        }
        if o.minStopWords > 0 {
            let stops = Set(o.stopWords.map { $0.unicodeScalars.map(\.value) })
            var found = Set<[UInt32]>()
            for w in words where stops.contains(Array(w)) { found.insert(Array(w)) }
            if found.count < o.minStopWords { return "gopher_enough_stop_words" }
        }
        return nil
    }
}

public enum GopherRepetition {
    static func findDuplicates(_ xs: [ArraySlice<UInt32>]) -> (Int, Int) {
        var seen = Set<[UInt32]>()
        var elems = 0, chars = 0
        for x in xs {
            if !seen.insert(Array(x)).inserted { elems += 1; chars += x.count }
        }
        return (elems, chars)
    }

    /// Splits on runs of `\n` of at least `minRun`.
    static func splitNewlines(_ s: ArraySlice<UInt32>, minRun: Int) -> [ArraySlice<UInt32>] {
        var out: [ArraySlice<UInt32>] = []
        var start = s.startIndex
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == 0x0A {
                var e = i
                while e < s.endIndex && s[e] == 0x0A { e += 1 }
                if e - i >= minRun {
                    out.append(s[start..<i])
                    start = e
                }
                i = e
                continue
            }
            i += 1
        }
        out.append(s[start..<s.endIndex])
        return out
    }

    public static func check(_ t: TextView, _ o: GopherRepetitionOptions) -> String? {
        let len = Double(t.scalars.count)
        if t.scalars.isEmpty { return "empty" }
        let paragraphs = splitNewlines(strip(t.scalars[...]), minRun: 2)
        var (pd, pc) = findDuplicates(paragraphs)
        if o.dupParaFrac > 0 && Double(pd) / Double(paragraphs.count) > o.dupParaFrac { return "dup_para_frac" }
        if o.dupParaCharFrac > 0 && Double(pc) / len > o.dupParaCharFrac { return "dup_para_char_frac" }
        let lines = splitNewlines(t.scalars[...], minRun: 1)
        (pd, pc) = findDuplicates(lines)
        if o.dupLineFrac > 0 && Double(pd) / Double(lines.count) > o.dupLineFrac { return "dup_line_frac" }
        if o.dupLineCharFrac > 0 && Double(pc) / len > o.dupLineCharFrac { return "dup_line_char_frac" }
        let words = t.words.map { Array($0) }
        for pair in o.topNGrams {
            let n = Int(pair[0]), frac = pair[1]
            guard words.count >= n else { continue }
            var counts: [[UInt32]: Int] = [:]
            var best = 0, bestLen = 0
            var order: [[UInt32]] = []
            for i in 0...(words.count - n) {
                var g: [UInt32] = []
                for k in 0..<n { if k > 0 { g.append(0x20) }; g.append(contentsOf: words[i + k]) }
                let c = (counts[g] ?? 0) + 1
                if counts[g] == nil { order.append(g) }
                counts[g] = c
            }
            // Counter.most_common(1): the highest count, the first seen on ties
            for g in order {
                let c = counts[g]!
                if c > best { best = c; bestLen = g.count }
            }
            if Double(bestLen * best) / len > frac { return "top_\(n)_gram" }
        }
        for pair in o.dupNGrams {
            let n = Int(pair[0]), frac = pair[1]
            var seen = Set<[UInt32]>()
            var repeated = 0
            var idx = 0
            while idx < words.count - n + 1 {
                var g: [UInt32] = []
                for k in 0..<n { g.append(contentsOf: words[idx + k]) }
                if seen.contains(g) {
                    repeated += g.count
                    idx += n
                } else {
                    seen.insert(g)
                    idx += 1
                }
            }
            if Double(repeated) / len > frac { return "duplicated_\(n)_n_grams" }
        }
        return nil
    }
}
