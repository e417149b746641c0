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

    /// From valid UTF-8 bytes (one decoding pass).
    public init(utf8 t: UnsafeBufferPointer<UInt8>) {
        var out = [UInt32]()
        out.reserveCapacity(t.count)
        var i = 0
        let n = t.count
        while i < n {
            let b = t[i]
            if b < 0x80 { out.append(UInt32(b)); i += 1 }
            else if b < 0xE0 { out.append(UInt32(b & 0x1F) << 6 | UInt32(t[i + 1] & 0x3F)); i += 2 }
            else if b < 0xF0 { out.append(UInt32(b & 0x0F) << 12 | UInt32(t[i + 1] & 0x3F) << 6 | UInt32(t[i + 2] & 0x3F)); i += 3 }
            else { out.append(UInt32(b & 0x07) << 18 | UInt32(t[i + 1] & 0x3F) << 12 | UInt32(t[i + 2] & 0x3F) << 6 | UInt32(t[i + 3] & 0x3F)); i += 4 }
        }
        scalars = out
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
            if CharTable.flags(c) & CharTable.lineBreak != 0 {
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

@inline(__always) func isPythonSpace(_ c: UInt32) -> Bool { CharTable.flags(c) & CharTable.space != 0 }

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
        let nonSymbol = words.filter { w in w.contains { CharTable.flags($0) & CharTable.punct == 0 } }
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
        var seen = Set<UInt64>()
        var elems = 0, chars = 0
        for x in xs {
            let p = PolyHash.of(x)
            if !seen.insert(p.h ^ (UInt64(x.count) << 48)).inserted { elems += 1; chars += x.count }
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
        let words = t.words
        let wh = words.map { PolyHash.of($0) }
        var space = PolyHash()
        space.add(0x20)
        for pair in o.topNGrams {
            let n = Int(pair[0]), frac = pair[1]
            guard words.count >= n else { continue }
            // n-grams joined by a space; Counter.most_common(1): highest count, first seen on ties
            var counts: [UInt64: (count: Int, first: Int, length: Int)] = [:]
            for i in 0...(words.count - n) {
                var g = wh[i]
                var length = words[i].count
                for k in 1..<n {
                    g.append(space)
                    g.append(wh[i + k])
                    length += 1 + words[i + k].count
                }
                let key = g.h ^ (UInt64(length) << 48)
                if let c = counts[key] { counts[key] = (c.count + 1, c.first, c.length) } else { counts[key] = (1, i, length) }
            }
            var best = (count: 0, first: Int.max, length: 0)
            for (_, c) in counts where c.count > best.count || (c.count == best.count && c.first < best.first) { best = c }
            if Double(best.length * best.count) / len > frac { return "top_\(n)_gram" }
        }
        for pair in o.dupNGrams {
            let n = Int(pair[0]), frac = pair[1]
            // n-grams joined without a separator, as datatrove's find_all_duplicate
            var seen = Set<UInt64>()
            var repeated = 0
            var idx = 0
            while idx < words.count - n + 1 {
                var g = PolyHash()
                var length = 0
                for k in 0..<n { g.append(wh[idx + k]); length += words[idx + k].count }
                if !seen.insert(g.h ^ (UInt64(length) << 48)).inserted {
                    repeated += length
                    idx += n
                } else {
                    idx += 1
                }
            }
            if Double(repeated) / len > frac { return "duplicated_\(n)_n_grams" }
        }
        return nil
    }
}
