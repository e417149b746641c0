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
    static func evaluate(_ a: Analysis, _ o: GopherQualityOptions, _ e: inout Eval) {
        let t = a.text
        let fl = a.flags.p
        let nWords = a.wordCount
        let nonSymbol = a.nonSymbolWords, nonSymbolChars = a.nonSymbolChars, alphaWords = a.alphaWords
        e.signal("words", nonSymbol)
        if e.fail(o.minDocWords > 0 && nonSymbol < o.minDocWords, "gopher_short_doc") { return }
        if e.fail(o.maxDocWords > 0 && nonSymbol > o.maxDocWords, "gopher_long_doc") { return }
        // numpy's mean of no words is nan, and comparisons with nan are false
        let avg = nonSymbol > 0 ? Double(nonSymbolChars) / Double(nonSymbol) : .nan
        e.signal("avg_word_length", avg)
        // Dictionary words of unspaced scripts average under 2 characters: the English bounds
        // would drop every Chinese document, so this check is skipped for them (docs/filters.md).
        if !a.unspaced || a.exact {
            if e.fail(o.minAvgWordLength > 0 && avg < o.minAvgWordLength, "gopher_below_avg_threshold") { return }
            if e.fail(o.maxAvgWordLength > 0 && avg > o.maxAvgWordLength, "gopher_above_avg_threshold") { return }
        }
        // text.count("#"), text.count("...") + text.count("…"), and per line of str.splitlines()
        // whether it starts with a bullet and ends with an ellipsis: one pass over the text
        var nHash = 0, nDots = 0, nEllipsis = 0
        var lines = 0, bullets = 0, ellipsisLines = 0
        do {
            @inline(__always) func line(_ s: Int, _ end: Int) {
                lines += 1
                var i = s
                while i < end && fl[i] & CharTable.space != 0 { i += 1 }
                if i < end && (t[i] == 0x2022 || t[i] == 0x2D) { bullets += 1 }
                var j = end
                while j > s && fl[j - 1] & CharTable.space != 0 { j -= 1 }
                if j > s && (t[j - 1] == 0x2026 || (j - s >= 3 && t[j - 1] == 0x2E && t[j - 2] == 0x2E && t[j - 3] == 0x2E)) { ellipsisLines += 1 }
            }
            let n = a.count
            var i = 0
            var s = 0
            // four characters at a time while none is counted or breaks a line (their flags
            // tested as one 64-bit word): most text is neither
            let skip = UInt64(CharTable.gopherCounted | CharTable.lineBreak) &* 0x0001_0001_0001_0001
            while i < n {
                if i + 4 <= n && UnsafeRawPointer(fl + i).loadUnaligned(as: UInt64.self) & skip == 0 {
                    i += 4
                    continue
                }
                let c = t[i]
                if c < 0x80 {
                    if c >= 0x20 {
                        if c == 0x23 {
                            nHash += 1
                        } else if c == 0x2E && i + 2 < n && t[i + 1] == 0x2E && t[i + 2] == 0x2E {
                            nDots += 1
                            i += 3
                            continue
                        }
                        i += 1
                        continue
                    }
                } else if c == 0x2026 {
                    nEllipsis += 1
                }
                // Analysis.forEachLine's line breaks
                if fl[i] & CharTable.lineBreak != 0 {
                    line(s, i)
                    if c == 0x0D && i + 1 < n && t[i + 1] == 0x0A { i += 1 }
                    s = i + 1
                }
                i += 1
            }
            if s < n { line(s, n) }
        }
        let hashes = ratio(nHash, nWords)
        e.signal("hash_word_ratio", hashes)
        if e.fail(o.maxSymbolWordRatio > 0 && hashes > o.maxSymbolWordRatio, "gopher_too_many_hashes") { return }
        let ell = ratio(nDots + nEllipsis, nWords)
        e.signal("ellipsis_word_ratio", ell)
        if e.fail(o.maxSymbolWordRatio > 0 && ell > o.maxSymbolWordRatio, "gopher_too_many_ellipsis") { return }
        if lines > 0 {
            e.signal("bullet_lines_ratio", ratio(bullets, lines))
            if e.fail(o.maxBulletLinesRatio > 0 && ratio(bullets, lines) > o.maxBulletLinesRatio, "gopher_too_many_bullets") { return }
            e.signal("end_ellipsis_lines_ratio", ratio(ellipsisLines, lines))
            if e.fail(o.maxEllipsisLinesRatio > 0 && ratio(ellipsisLines, lines) > o.maxEllipsisLinesRatio, "gopher_too_many_end_ellipsis") { return }
        }
        // Unspaced scripts: ICU makes every punctuation mark a word, about twice as often as
        // spaCy does in English, so the share is taken over the words that are not symbols.
        let alphaRatio = a.unspaced && !a.exact ? ratio(alphaWords, nonSymbol) : ratio(alphaWords, nWords)
        e.signal("alpha_words_ratio", alphaRatio)
        if e.fail(o.maxNonAlphaWordsRatio > 0 && alphaRatio < o.maxNonAlphaWordsRatio, "gopher_below_alpha_threshold") { return }
        if o.minStopWords > 0, let list = stopWords(a, o) {
            let found = distinctStopWords(a, list)
            e.signal("stop_words", found)
            if e.fail(found < o.minStopWords, "gopher_enough_stop_words") { return }
        }
    }

    /// The stop-word list for the document's language; nil when there is none (Thai, Lao, ...).
    static func stopWords(_ a: Analysis, _ o: GopherQualityOptions) -> [String]? {
        if a.exact { return o.stopWords }
        if !a.unspaced {
            // Gopher's list is English: applied to English and to text of unknown language (as
            // datatrove does); a document known to be in another language skips the check
            // rather than being dropped for lacking English function words
            guard let lang = a.language?.prefix(2).lowercased(), lang != "en", lang != "un" else { return o.stopWords }
            return nil
        }
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
        // the list's table, built once per worker and list (a preset alternates between lists)
        let set: StopWordSet
        if let c = a.stopWordsCache.first(where: { $0.list == list }) { set = c } else {
            set = StopWordSet(list)
            if a.stopWordsCache.count >= 8 { a.stopWordsCache.removeFirst() }
            a.stopWordsCache.append(set)
        }
        var seen = [Bool](repeating: false, count: set.words.count)
        var found = 0
        let t = a.text
        let wh = a.wordHash.p
        for k in 0..<a.wordCount {
            let j = set.find(wh[k])
            guard j >= 0, !seen[j], WordSplitter.equals(t, a.wordStart(k), a.wordEnd(k), set.words[j]) else { continue }
            seen[j] = true
            found += 1
            if found == set.words.count { return found }
        }
        return found
    }
}

/// A stop-word list as a table from each word's hash (Analysis.wordHash: PolyHash over its scalars,
/// low 62 bits) to its index: one probe per word of the document instead of a comparison with
/// every word of the list (FineWeb-2's lists hold 20-100 words).
final class StopWordSet {
    let list: [String]
    let words: [[UInt32]]
    private let keys: [UInt64]
    private let index: [Int32]
    private let mask: Int

    init(_ list: [String]) {
        self.list = list
        words = list.map { Array($0.unicodeScalars.map(\.value)) }
        var size = 16
        while size < 4 * words.count { size *= 2 }
        var keys = [UInt64](repeating: 0, count: size), index = [Int32](repeating: -1, count: size)
        for (j, w) in words.enumerated() {
            var h: UInt64 = 0
            for c in w { h = PolyHash.step(h, c) }
            h &= 0x3FFF_FFFF_FFFF_FFFF
            var s = Self.slot(h, size - 1)
            // a repeated word is one entry, as in datatrove's set(stop_words)
            while index[s] >= 0 && keys[s] != h { s = (s + 1) & (size - 1) }
            if index[s] < 0 { keys[s] = h; index[s] = Int32(j) }
        }
        self.keys = keys; self.index = index; mask = size - 1
    }

    @inline(__always) static func slot(_ h: UInt64, _ mask: Int) -> Int { Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask }

    /// The index of the word with this hash, or -1 (the caller compares the characters).
    @inline(__always) func find(_ h: UInt64) -> Int {
        var s = Self.slot(h, mask)
        while true {
            let j = index[s]
            if j < 0 || keys[s] == h { return Int(j) }
            s = (s + 1) & mask
        }
    }
}

/// GopherRepetitionFilter (datatrove): duplicate paragraphs and lines, top n-grams, duplicated n-grams.
enum GopherRepetition {
    /// datatrove's find_duplicates over pieces given as (key, length): (duplicate pieces, their characters).
    static func duplicates(_ a: Analysis, _ pieces: [(UInt64, Int)]) -> (Int, Int) {
        a.table.reset(expected: pieces.count)
        var elems = 0, chars = 0
        for (key, length) in pieces {
            let slot = a.table.add(key)
            if a.table.count(at: slot) > 1 { elems += 1; chars += length }
        }
        return (elems, chars)
    }

    static func evaluate(_ a: Analysis, _ o: GopherRepetitionOptions, _ e: inout Eval) {
        let len = a.count
        if e.fail(len == 0, "empty") { return }
        let lines = a.newlineLines()
        let paragraphs = a.paragraphs()
        var (dups, chars) = duplicates(a, paragraphs)
        e.signal("dup_para_frac", ratio(dups, paragraphs.count))
        if e.fail(o.dupParaFrac > 0 && ratio(dups, paragraphs.count) > o.dupParaFrac, "dup_para_frac") { return }
        e.signal("dup_para_char_frac", ratio(chars, len))
        if e.fail(o.dupParaCharFrac > 0 && ratio(chars, len) > o.dupParaCharFrac, "dup_para_char_frac") { return }
        // re.split("\n+", text): the non-empty lines, and an empty piece first or last when the
        // text starts or ends with a newline
        var pieces: [(UInt64, Int)] = []
        pieces.reserveCapacity(lines.count)
        for k in 0..<lines.count {
            let l = lines[k]
            if l.end > l.start || k == 0 || k == lines.count - 1 { pieces.append((l.key, l.end - l.start)) }
        }
        (dups, chars) = duplicates(a, pieces)
        e.signal("dup_line_frac", ratio(dups, pieces.count))
        if e.fail(o.dupLineFrac > 0 && ratio(dups, pieces.count) > o.dupLineFrac, "dup_line_frac") { return }
        e.signal("dup_line_char_frac", ratio(chars, len))
        if e.fail(o.dupLineCharFrac > 0 && ratio(chars, len) > o.dupLineCharFrac, "dup_line_char_frac") { return }

        let nw = a.wordCount
        var maxN = 0, countWords = false
        for p in o.topNGrams { maxN = max(maxN, Int(p[0])); countWords = countWords || Int(p[0]) == 1 }
        for p in o.dupNGrams { maxN = max(maxN, Int(p[0])); countWords = countWords || Int(p[0]) == 1 }
        // Without annotations the chain stops once the first failing n-gram check is known
        // (every check before it, in the rule's order, computed and passing)
        var stop: ((NGramChain.Result, Int) -> Bool)? = nil
        if !e.annotate {
            stop = { r, done in
                for pair in o.topNGrams {
                    let n = Int(pair[0])
                    guard n >= 1, nw >= n else { continue }
                    if n > done { return false }
                    if ratio(r.topChars[n], len) > pair[1] { return true }
                }
                for pair in o.dupNGrams {
                    let n = Int(pair[0])
                    guard n >= 1 else { continue }
                    if n > done { return false }
                    if ratio(n < r.dupChars.count ? r.dupChars[n] : 0, len) > pair[1] { return true }
                }
                return false
            }
        }
        let grams = NGramChain.run(a, upTo: maxN, countWords: countWords, stop: stop)
        for pair in o.topNGrams {
            let n = Int(pair[0]), frac = pair[1]
            guard n >= 1, nw >= n else { continue }
            let v = ratio(grams.topChars[n], len)
            e.signal("top_\(n)_gram", v)
            if e.fail(v > frac, "top_\(n)_gram") { return }
        }
        for pair in o.dupNGrams {
            let n = Int(pair[0]), frac = pair[1]
            guard n >= 1 else { continue }
            let v = ratio(n < grams.dupChars.count ? grams.dupChars[n] : 0, len)
            e.signal("duplicated_\(n)_n_grams", v)
            if e.fail(v > frac, "duplicated_\(n)_n_grams") { return }
        }
    }
}

/// The n-gram statistics of the repetition rules for n = 1...N in one chain. An n-gram can occur
/// twice only if its (n-1)-gram prefix does, so each step hashes and counts only the positions
/// whose previous n-gram repeated: all words for n = 1, then a shrinking share.
///
/// - topChars[n]: characters of the most common n-gram joined by spaces times its count
///   (Counter.most_common(1): the first seen wins ties; with no repeats, the first n-gram).
/// - dupChars[n]: characters in repeated n-grams as datatrove's find_all_duplicate counts them,
///   scanning left to right and skipping a repeat's n words. datatrove compares the n-grams
///   joined without a separator; we compare word sequences, which differs only when two
///   different splits glue into the same string (docs/filters.md).
enum NGramChain {
    struct Result {
        var topChars: [Int]
        var dupChars: [Int]
    }

    /// `stop(result, n)`, asked before each step after the first, ends the chain when true: the
    /// statistics up to n are final, the later ones stay 0.
    static func run(_ a: Analysis, upTo maxN: Int, countWords: Bool = false, stop: ((Result, Int) -> Bool)? = nil) -> Result {
        let nw = a.wordCount
        var r = Result(topChars: [Int](repeating: 0, count: maxN + 1), dupChars: [Int](repeating: 0, count: maxN + 1))
        guard maxN >= 1, nw >= 1 else { return r }
        let wh = a.wordHash.p
        let wpow = a.wordPow.p
        let s = a.chainScratch
        s.reserve(nw)
        // prefix sums of word lengths: chars of words[i..<i+n] = c[i+n] - c[i]
        let c = s.prefix
        c[0] = 0
        for k in 0..<nw { c[k + 1] = c[k] + a.wordEnd(k) - a.wordStart(k) }
        // alive positions and the hash of the n-gram (joined by spaces) starting there
        let alive = s.alive, hashes = s.hashes
        for k in 0..<nw { alive[k] = Int32(k); hashes[k] = wh[k] }
        var aliveCount = nw
        // per alive position: the table slot of its n-gram
        let slots = s.slots
        for n in 1...maxN {
            guard nw >= n else { break }
            if n > 1, let stop, stop(r, n - 1) { break }
            let firstLength = c[n] - c[0] + (n - 1)
            // single words are counted only when a rule asks for them: filtering the 2-grams by
            // repeated first words saved less than the extra pass cost (measured)
            if n == 1 && !countWords { continue }
            // positions too close to the end for an n-gram are the last ones (they ascend)
            while aliveCount > 0 && Int(alive[aliveCount - 1]) + n > nw { aliveCount -= 1 }
            if aliveCount == 0 {
                r.topChars[n] = firstLength  // every n-gram is unique: the first one, once
                continue
            }
            // extend the surviving (n-1)-grams by one word and count them (the table is copied to
            // a local: through the class every add reloaded its fields)
            a.table.reset(expected: aliveCount)
            var table = a.table
            for j in 0..<aliveCount {
                let i = Int(alive[j])
                let h = n == 1 ? hashes[j] : PolyHash.step(hashes[j], 0x20) &* wpow[i + n - 1] &+ wh[i + n - 1]
                hashes[j] = h
                let key = PolyHash.key(h, length: c[i + n] - c[i] + (n - 1))
                slots[j] = Int32(truncatingIfNeeded: table.add(key))
            }
            // the most common n-gram: highest count, first seen on ties. Positions ascend, so the
            // first position met with a higher count is that n-gram's first occurrence. The
            // repeating positions are kept without a branch (repeats are not predictable).
            var bestCount: Int32 = 1, bestPos = 0
            var w = 0
            // datatrove's find_all_duplicate in the same pass, over the repeating positions only
            // (in ascending order; a repeat skips the next n - 1 positions). Its set of n-grams
            // seen is a mark on the counting table's slot: no second table, no second hashing.
            var repeated = 0, idx = 0
            for j in 0..<aliveCount {
                let i = Int(alive[j])
                let slot = Int(slots[j])
                let cnt = table.count(at: slot)
                if cnt > bestCount {
                    bestCount = cnt
                    bestPos = i
                }
                alive[w] = Int32(truncatingIfNeeded: i)
                hashes[w] = hashes[j]
                let repeats = cnt >= 2
                w &+= repeats ? 1 : 0
                // without branches: an n-gram seen before (a repeat) adds its characters and
                // skips to i + n; one seen first goes into the set and idx moves to i + 1
                let active = repeats ? i >= idx : false
                let seen = table.mark(active, at: slot)
                repeated &+= seen ? c[i + n] - c[i] : 0
                idx = active ? (seen ? i + n : i + 1) : idx
            }
            r.topChars[n] = bestCount >= 2 ? Int(bestCount) * (c[bestPos + n] - c[bestPos] + (n - 1)) : firstLength
            r.dupChars[n] = repeated
            aliveCount = w
        }
        return r
    }
}

/// NGramChain's per-position arrays, kept by the Analysis and grown as needed.
final class ChainScratch {
    private(set) var capacity = 0
    var prefix = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    var alive = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    var slots = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    func reserve(_ n: Int) {
        guard n + 1 > capacity else { return }
        let c = max(n + 1, 2 * capacity, 1024)
        free()
        prefix = .allocate(capacity: c); alive = .allocate(capacity: c); hashes = .allocate(capacity: c)
        slots = .allocate(capacity: c)
        capacity = c
    }

    private func free() {
        prefix.deallocate(); alive.deallocate(); hashes.deallocate(); slots.deallocate()
    }

    deinit { free() }
}
