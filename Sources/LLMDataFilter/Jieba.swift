import Foundation
import LLMDataCore

/// Chinese words as datatrove splits them (language cmn_Hani): `SpaCyTokenizer("zh")`, i.e.
/// spaCy's ChineseTokenizer over jieba 0.42.1's `cut(text, cut_all=False, HMM=True)` with the
/// default dictionary, then `strip_strings`. A port of jieba's Tokenizer.cut, __cut_DAG, get_DAG,
/// calc and gen_pfdict, and of finalseg's Viterbi (JiebaHMM.swift), on Unicode scalars (what
/// Python's str indexes) and integer offsets.
///
/// What spaCy and strip_strings make of jieba's tokens: jieba returns every character of the text
/// in some token, and each token is either all whitespace (re_skip's `\r\n` or one `\s`
/// character) or holds none; get_words_and_spaces drops the whitespace tokens and puts the runs
/// between words back as gap tokens (or a word's trailing space), and strip_strings drops those
/// gaps again and strips nothing from the words. So the words are exactly jieba's tokens that
/// are not whitespace, at their own offsets.
///
/// The data (models/jieba/, scripts/gen-jieba-data.py): jieba's dict.txt and finalseg's HMM
/// tables, zstd-compressed text. The dictionary becomes a trie whose edges sit in one
/// open-addressing table keyed by (parent node, scalar): exact (no hash verification needed),
/// one 8-byte slot per edge; the root's children in the BMP are a dense array. The trie's nodes
/// are jieba's FREQ: every word and every prefix of a word (prefixes with frequency 0).
public final class Jieba: @unchecked Sendable {
    /// Per node: log(freq) - log(total) when freq > 0 (jieba's calc, same operations), else +1
    /// (no word ends here: a prefix only).
    let lp: UnsafeMutablePointer<Double>
    let nodeCount: Int
    /// Root's children for scalars below 0x10000 (0: none; node 0 is the root).
    let rootChild: UnsafeMutablePointer<UInt32>
    /// Edges: (parent + 1) << 42 | scalar << 21 | child; 0 is an empty slot.
    let slots: UnsafeMutablePointer<UInt64>
    let slotMask: Int
    let slotShift: UInt64
    /// log(total) and log(1) - log(total): a character without a word of its own.
    let logTotal: Double
    let negLogTotal: Double
    /// Sum of the frequencies (jieba's `total`) and the number of FREQ entries.
    public let total: Int
    public var entries: Int { nodeCount - 1 }
    let hmm: JiebaHMM
    /// Seconds spent loading (read, decompress, build).
    public let loadSeconds: Double
    public let directory: String
    private let scratchKey: pthread_key_t

    deinit {
        lp.deallocate(); rootChild.deallocate(); slots.deallocate()
        pthread_key_delete(scratchKey)
    }

    // MARK: loading

    nonisolated(unsafe) private static var cached: Result<Jieba, Error>?
    private static let lock = NSLock()

    /// The directories searched, in order: $LLMDATA_JIEBA_DICT (alone, when set), `jieba/` beside
    /// the executable, `<exe>/../share/llmdata/jieba`, and the source tree's models/jieba.
    public static func candidateDirectories() -> [String] {
        ShippedData.candidateDirectories("jieba", env: "LLMDATA_JIEBA_DICT")
    }

    static let dictFile = "dict.txt.zst"
    static let hmmFile = "hmm.txt.zst"
    /// The data files read (for a run's fingerprint).
    public var files: [String] { [directory + "/" + Self.dictFile, directory + "/" + Self.hmmFile] }

    /// The shipped dictionary and HMM tables, loaded once per process (thread-safe).
    public static func shared() throws -> Jieba {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return try c.get() }
        let dirs = candidateDirectories()
        let fm = FileManager.default
        let r: Result<Jieba, Error>
        if let d = dirs.first(where: { fm.fileExists(atPath: $0 + "/" + dictFile) && fm.fileExists(atPath: $0 + "/" + hmmFile) }) {
            r = Result { try Jieba(directory: d) }
        } else {
            r = .failure(LLMDataError(
                "jieba dictionary not found (\(dictFile) and \(hmmFile)); looked in: " + dirs.joined(separator: ", "),
                hint: "set LLMDATA_JIEBA_DICT to a directory holding them (models/jieba in the source tree; scripts/gen-jieba-data.py makes them)"))
        }
        cached = r
        return try r.get()
    }

    /// shared(), or the error printed and exit 2 (for callers that cannot throw).
    public static func sharedOrExit(stage: String = "filter") -> Jieba {
        ShippedData.orExit(stage: stage, shared)
    }

    public init(directory: String) throws {
        let t0 = Date()
        self.directory = directory
        let dictPath = directory + "/" + Self.dictFile
        let text = try ShippedData.readZstd(dictPath)
        var slotBits = 19
        var cap = 1 << slotBits
        var slots = UnsafeMutablePointer<UInt64>.allocate(capacity: cap)
        slots.initialize(repeating: 0, count: cap)
        var mask = cap - 1
        var shift = UInt64(64 - slotBits)
        var edges = 0
        let rootChild = UnsafeMutablePointer<UInt32>.allocate(capacity: 0x10000)
        rootChild.initialize(repeating: 0, count: 0x10000)
        var freq = [Int](repeating: 0, count: 1)
        freq.reserveCapacity(600_000)
        /// Doubles the edge table (kept at a load of at most 0.6).
        func grow() {
            let old = slots, oldCap = cap
            slotBits += 1
            cap = 1 << slotBits
            mask = cap - 1
            shift = UInt64(64 - slotBits)
            slots = .allocate(capacity: cap)
            slots.initialize(repeating: 0, count: cap)
            for k in 0..<oldCap where old[k] != 0 {
                var h = Int(truncatingIfNeeded: ((old[k] >> 21) &* 0x9E37_79B9_7F4A_7C15) >> shift)
                while slots[h] != 0 { h = (h + 1) & mask }
                slots[h] = old[k]
            }
            old.deallocate()
        }
        var total = 0

        // gen_pfdict: per line, line.strip() (bytes: ASCII whitespace), split(' ')[:2], int(freq);
        // FREQ[word] = freq (a later line overwrites), total += freq, every prefix absent from
        // FREQ gets 0.
        let n = text.count
        var i = 0
        var lineNo = 0
        try text.withUnsafeBufferPointer { tp in
            let p = tp.baseAddress!
            @inline(__always) func isWS(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
            while i < n {
                var e = i
                while e < n && p[e] != 0x0A { e += 1 }
                let next = e + 1
                lineNo += 1
                var s = i
                while s < e && isWS(p[s]) { s += 1 }
                var t = e
                while t > s && isWS(p[t - 1]) { t -= 1 }
                defer { i = next }
                if s == t || (p[i] == 0x23 && lineNo <= 8) { continue }  // the header's "#" lines
                var w = s
                while w < t && p[w] != 0x20 { w += 1 }
                var f = w + 1
                var value = 0
                var digits = 0
                while f < t && p[f] != 0x20 {
                    let d = Int(p[f]) - 0x30
                    guard d >= 0 && d <= 9 else { digits = -1; break }
                    value = value * 10 + d
                    digits += 1
                    f += 1
                }
                guard w < t, digits > 0, w > s else {
                    throw LLMDataError("\(dictPath): invalid dictionary entry at line \(lineNo)")
                }
                // walk / insert the word's scalars
                var node = 0
                var k = s
                while k < w {
                    let b = p[k]
                    let len = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0
                    guard len > 0, k + len <= w else {
                        throw LLMDataError("\(dictPath): invalid UTF-8 at line \(lineNo)")
                    }
                    var c: UInt32
                    if b < 0x80 { c = UInt32(b); k += 1 }
                    else if b < 0xE0 { c = UInt32(b & 0x1F) << 6 | UInt32(p[k + 1] & 0x3F); k += 2 }
                    else if b < 0xF0 { c = UInt32(b & 0x0F) << 12 | UInt32(p[k + 1] & 0x3F) << 6 | UInt32(p[k + 2] & 0x3F); k += 3 }
                    else { c = UInt32(b & 0x07) << 18 | UInt32(p[k + 1] & 0x3F) << 12 | UInt32(p[k + 2] & 0x3F) << 6 | UInt32(p[k + 3] & 0x3F); k += 4 }
                    if node == 0 && c < 0x10000 {
                        var ch = Int(rootChild[Int(c)])
                        if ch == 0 { ch = freq.count; freq.append(0); rootChild[Int(c)] = UInt32(ch) }
                        node = ch
                        continue
                    }
                    let key = UInt64(node + 1) << 21 | UInt64(c)
                    var h = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
                    while true {
                        let sl = slots[h]
                        if sl == 0 {
                            if 5 * (edges + 1) > 3 * cap { grow(); h = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift); continue }
                            edges += 1
                            let ch = freq.count
                            guard ch < 1 << 21 else { throw LLMDataError("\(dictPath): more than 2M entries") }
                            freq.append(0)
                            slots[h] = key << 21 | UInt64(ch)
                            node = ch
                            break
                        }
                        if sl >> 21 == key { node = Int(sl & 0x1F_FFFF); break }
                        h = (h + 1) & mask
                    }
                }
                freq[node] = value
                total += value
            }
        }
        guard total > 0 else { throw LLMDataError("\(dictPath): no entries") }
        let logTotal = log(Double(total))
        let lp = UnsafeMutablePointer<Double>.allocate(capacity: freq.count)
        for k in 0..<freq.count {
            lp[k] = freq[k] > 0 ? log(Double(freq[k])) - logTotal : 1
        }
        self.lp = lp
        self.nodeCount = freq.count
        self.rootChild = rootChild
        self.slots = slots
        self.slotMask = mask
        self.slotShift = shift
        self.logTotal = logTotal
        self.negLogTotal = log(1.0) - logTotal
        self.total = total
        self.hmm = try JiebaHMM(text: ShippedData.readZstd(directory + "/" + Self.hmmFile), path: directory + "/" + Self.hmmFile)
        var key = pthread_key_t()
        pthread_key_create(&key) { p in
            if let p { Unmanaged<JiebaScratch>.fromOpaque(p).release() }
        }
        scratchKey = key
        loadSeconds = Date().timeIntervalSince(t0)
    }

    // MARK: lookup

    /// The child of `node` for scalar `c`, or 0.
    @inline(__always) func child(_ node: Int, _ c: UInt32) -> Int {
        if node == 0 { return c < 0x10000 ? Int(rootChild[Int(c)]) : childSlow(0, c) }
        return childSlow(node, c)
    }

    @inline(__always) func childSlow(_ node: Int, _ c: UInt32) -> Int {
        let key = UInt64(node + 1) << 21 | UInt64(c)
        var h = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> slotShift)
        while true {
            let sl = slots[h]
            if sl >> 21 == key { return Int(sl & 0x1F_FFFF) }
            if sl == 0 { return 0 }
            h = (h + 1) & slotMask
        }
    }

    /// FREQ.get(word) > 0 for t[s..<e].
    @inline(__always) func isWord(_ t: UnsafeBufferPointer<UInt32>, _ s: Int, _ e: Int) -> Bool {
        var node = 0
        for i in s..<e {
            node = child(node, t[i])
            if node == 0 { return false }
        }
        return lp[node] <= 0
    }

    // MARK: character classes (Python re semantics on str)

    /// re_han_default's class [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-], ASCII part.
    static let hanDefaultASCII: [Bool] = (0..<128).map { c in
        let u = UInt8(c)
        return (u >= 0x30 && u <= 0x39) || (u | 0x20 >= 0x61 && u | 0x20 <= 0x7A) || "+#&._%-".utf8.contains(u)
    }

    /// Python's str.isspace() (also what re's \s matches in a str pattern).
    @inline(__always) static func isSpace(_ c: UInt32) -> Bool {
        if c < 0x80 { return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) }
        switch c {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    // MARK: splitting

    /// Appends one (start, end) pair per word of `SpaCyTokenizer("zh").word_tokenize(t[lo..<hi])`
    /// (offsets into `t`). Uses this thread's scratch buffers.
    func split(_ t: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>) {
        split(t, lo, hi, into: &out, scratch: threadScratch())
    }

    func threadScratch() -> JiebaScratch {
        if let p = pthread_getspecific(scratchKey) { return Unmanaged<JiebaScratch>.fromOpaque(p).takeUnretainedValue() }
        let s = JiebaScratch()
        pthread_setspecific(scratchKey, Unmanaged.passRetained(s).toOpaque())
        return s
    }

    /// Tokenizer.cut: runs of re_han_default's class go to __cut_DAG; every other character is a
    /// token of its own (re_skip's whitespace tokens, `\r\n` included, are not words).
    func split(_ t: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>, scratch: JiebaScratch) {
        Self.hanDefaultASCII.withUnsafeBufferPointer { cls in
            var i = lo
            while i < hi {
                let c = t[i]
                let inClass = c < 0x80 ? cls[Int(c)] : (c >= 0x4E00 && c <= 0x9FD5)
                if inClass {
                    var j = i + 1
                    while j < hi {
                        let d = t[j]
                        if d < 0x80 ? !cls[Int(d)] : !(d >= 0x4E00 && d <= 0x9FD5) { break }
                        j += 1
                    }
                    cutDAG(t, i, j, into: &out, scratch)
                    i = j
                } else {
                    if !Self.isSpace(c) {
                        out.append(Int32(i)); out.append(Int32(i + 1))
                    }
                    i += 1
                }
            }
        }
    }

    /// __cut_DAG on the block t[s..<e]: get_DAG and calc in one right-to-left pass, then the
    /// route with single characters buffered.
    func cutDAG(_ t: UnsafeBufferPointer<UInt32>, _ s: Int, _ e: Int, into out: inout Buf<Int32>, _ sc: JiebaScratch) {
        let n = e - s
        sc.route.reserve(n + 1)
        sc.routeEnd.reserve(n + 1)
        let rv = sc.route.p
        let rx = sc.routeEnd.p
        rv[n] = 0
        rx[n] = 0
        let lp = self.lp
        let neg = negLogTotal
        var idx = n - 1
        while idx >= 0 {
            // max over DAG[idx] of (log(FREQ.get(frag) or 1) - logtotal + route[x+1][0], x);
            // ties go to the larger x (x ascends here, so >= replaces)
            var best = 0.0
            var bestX = -1
            var node = child(0, t[s + idx])
            var x = idx
            while node != 0 {
                let l = lp[node]
                if l <= 0 {
                    let v = l + rv[x + 1]
                    if bestX < 0 || v >= best { best = v; bestX = x }
                }
                x += 1
                if x >= n { break }
                node = childSlow(node, t[s + x])
            }
            if bestX < 0 { best = neg + rv[idx + 1]; bestX = idx }
            rv[idx] = best
            rx[idx] = Int32(bestX)
            idx -= 1
        }
        var x = 0
        var bufStart = -1
        while x < n {
            let y = Int(rx[x]) + 1
            if y - x == 1 {
                if bufStart < 0 { bufStart = x }
            } else {
                if bufStart >= 0 { flush(t, s + bufStart, s + x, into: &out, sc); bufStart = -1 }
                out.append(Int32(s + x)); out.append(Int32(s + y))
            }
            x = y
        }
        if bufStart >= 0 { flush(t, s + bufStart, s + n, into: &out, sc) }
    }

    /// A buffer of single-character routes: one character is a word; a longer buffer that is a
    /// dictionary word is split into characters; otherwise finalseg.cut decides.
    @inline(__always) func flush(_ t: UnsafeBufferPointer<UInt32>, _ s: Int, _ e: Int, into out: inout Buf<Int32>, _ sc: JiebaScratch) {
        if e - s == 1 {
            out.append(Int32(s)); out.append(Int32(e))
        } else if isWord(t, s, e) {
            for k in s..<e { out.append(Int32(k)); out.append(Int32(k + 1)) }
        } else {
            hmm.cut(t, s, e, into: &out, sc)
        }
    }
}

/// A worker's reusable buffers for Jieba.split.
public final class JiebaScratch {
    var route = Buf<Double>(capacity: 1024)
    var routeEnd = Buf<Int32>(capacity: 1024)
    /// Viterbi back pointers, 4 per character.
    var back = Buf<UInt8>(capacity: 1024)
    var states = Buf<UInt8>(capacity: 256)

    public init() {}
    deinit { route.free(); routeEnd.free(); back.free(); states.free() }
}
