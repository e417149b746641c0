import Foundation
import LLMDataCore

/// Thai words as datatrove splits them (tha_Thai): `ThaiTokenizer.word_tokenize` =
/// pythainlp 5.4.0's `word_tokenize(text, keep_whitespace=False, engine="newmm-safe")`, then
/// `strip_strings`. A port of pythainlp/tokenize/newmm.py (`segment(safe_mode=True)`,
/// `_split_chunks`, `_find_cut_pos`, `_onecut`, `_extend_graph`, `_bfs_paths_graph`,
/// `_find_skip_end`), tcc_p.py (the Thai Character Cluster boundaries newmm allows words to end
/// on) and _utils.py's `rejoin_formatted_num` and `strip_whitespace`, on Unicode scalars (what
/// Python's str indexes) and integer offsets.
///
/// - newmm-safe cuts a text of 140 scalars or more into chunks before matching: each chunk ends
///   after the last ' ' of its scalars 100..<140, or else before the longest (last of the
///   longest) token newmm makes of those 40 scalars; so every chunk newmm sees has at most 140
///   scalars, and the per-chunk arrays below are fixed-size.
/// - rejoin_formatted_num joins the segments that overlap a match of `(\d+[\.\,:])+\d+` in the
///   text (its quirks kept: a match starting inside a segment joins from the next segment on).
/// - strip_whitespace then strip_strings: every segment stripped of Python whitespace
///   (str.isspace) at both ends, empty ones dropped. Segments are contiguous, so every word is a
///   span of the text.
///
/// The dictionary (models/thai/words_th.txt.zst, scripts/gen-thai-data.py) is pythainlp's
/// `word_dict_trie()`: words_th.txt (62,106 words). Its trie's edges sit in one open-addressing
/// table keyed by (parent node, scalar), as Jieba.swift's.
public final class ThaiNewmm: @unchecked Sendable {
    let isEnd: UnsafeMutablePointer<Bool>
    let nodeCount: Int
    /// The root's children for the Thai block U+0E00-U+0E7F (0: none), without hashing.
    let rootThai: UnsafeMutablePointer<Int32>
    /// Edges: (parent + 1) << 42 | scalar << 21 | child; 0 is an empty slot.
    let slots: UnsafeMutablePointer<UInt64>
    let slotMask: Int
    let slotShift: UInt64
    public let words: Int
    public let loadSeconds: Double
    public let directory: String

    deinit { isEnd.deallocate(); slots.deallocate(); rootThai.deallocate() }

    // MARK: loading

    nonisolated(unsafe) private static var cached: Result<ThaiNewmm, Error>?
    private static let lock = NSLock()
    static let dictFile = "words_th.txt.zst"
    public var files: [String] { [directory + "/" + Self.dictFile] }

    /// The directories searched, in order: $LLMDATA_THAI_DICT (alone, when set), `thai/` beside
    /// the executable, `<exe>/../share/llmdata/thai`, and the source tree's models/thai.
    public static func candidateDirectories() -> [String] {
        ShippedData.candidateDirectories("thai", env: "LLMDATA_THAI_DICT")
    }

    /// The shipped dictionary, loaded once per process (thread-safe).
    public static func shared() throws -> ThaiNewmm {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return try c.get() }
        let dirs = candidateDirectories()
        let r: Result<ThaiNewmm, Error>
        if let d = dirs.first(where: { FileManager.default.fileExists(atPath: $0 + "/" + dictFile) }) {
            r = Result { try ThaiNewmm(directory: d) }
        } else {
            r = .failure(LLMDataError(
                "Thai dictionary not found (\(dictFile)); looked in: " + dirs.joined(separator: ", "),
                hint: "set LLMDATA_THAI_DICT to a directory holding it (models/thai in the source tree; scripts/gen-thai-data.py makes it)"))
        }
        cached = r
        return try r.get()
    }

    /// shared(), or the error printed and exit 2 (for callers that cannot throw).
    public static func sharedOrExit(stage: String = "filter") -> ThaiNewmm {
        ShippedData.orExit(stage: stage, shared)
    }

    public init(directory: String) throws {
        let t0 = Date()
        self.directory = directory
        let path = directory + "/" + Self.dictFile
        let bytes = try ShippedData.readZstd(path)
        // the edge table starts at 2^19 slots (235,351 nodes for pythainlp 5.4.0's list) and
        // doubles at a load of 0.6
        var bits = 19
        var cap = 1 << bits
        var slots = UnsafeMutablePointer<UInt64>.allocate(capacity: cap)
        slots.initialize(repeating: 0, count: cap)
        var mask = cap - 1
        var shift = UInt64(64 - bits)
        func grow() {
            let old = slots, oldCap = cap
            bits += 1
            cap = 1 << bits
            mask = cap - 1
            shift = UInt64(64 - bits)
            slots = .allocate(capacity: cap)
            slots.initialize(repeating: 0, count: cap)
            for k in 0..<oldCap where old[k] != 0 {
                var h = Int(truncatingIfNeeded: ((old[k] >> 21) &* 0x9E37_79B9_7F4A_7C15) >> shift)
                while slots[h] != 0 { h = (h + 1) & mask }
                slots[h] = old[k]
            }
            old.deallocate()
        }
        var ends: [Bool] = [false]
        ends.reserveCapacity(250_000)
        var rootLocal = [Int32](repeating: 0, count: 128)
        var edges = 0
        var lineCount = 0
        try bytes.withUnsafeBufferPointer { bp in
            let p = bp.baseAddress!
            let n = bp.count
            var i = 0
            // the "#" header line
            if n > 0 && p[0] == 0x23 { while i < n && p[i] != 0x0A { i += 1 }; i += 1 }
            while i < n {
                if p[i] == 0x0A { i += 1; continue }
                var node = 0
                while i < n && p[i] != 0x0A {
                    let b = p[i]
                    var c: UInt32
                    if b < 0x80 { c = UInt32(b); i += 1 }
                    else if b < 0xE0 { guard i + 1 < n else { break }; c = UInt32(b & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F); i += 2 }
                    else if b < 0xF0 { guard i + 2 < n else { break }; c = UInt32(b & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F); i += 3 }
                    else { guard i + 3 < n else { break }; c = UInt32(b & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F); i += 4 }
                    let key = UInt64(node + 1) << 42 | UInt64(c) << 21
                    var h = Int(truncatingIfNeeded: ((key >> 21) &* 0x9E37_79B9_7F4A_7C15) >> shift)
                    var child = 0
                    while slots[h] != 0 {
                        if slots[h] & ~UInt64(0x1F_FFFF) == key { child = Int(slots[h] & 0x1F_FFFF); break }
                        h = (h + 1) & mask
                    }
                    if child == 0 {
                        child = ends.count
                        ends.append(false)
                        guard child < 0x1F_FFFF else { throw LLMDataError("\(path): dictionary too large") }
                        slots[h] = key | UInt64(child)
                        edges += 1
                        if edges * 10 > cap * 6 { grow() }
                    }
                    if node == 0 && c &- 0x0E00 < 128 { rootLocal[Int(c - 0x0E00)] = Int32(child) }
                    node = child
                }
                ends[node] = true
                lineCount += 1
            }
        }
        rootThai = .allocate(capacity: 128)
        rootThai.initialize(from: rootLocal, count: 128)
        isEnd = .allocate(capacity: ends.count)
        isEnd.initialize(from: ends, count: ends.count)
        nodeCount = ends.count
        self.slots = slots
        slotMask = mask
        slotShift = shift
        words = lineCount
        loadSeconds = Date().timeIntervalSince(t0)
    }

    /// The child of `node` for scalar `c`, or 0.
    @inline(__always) func child(_ node: Int, _ c: UInt32) -> Int {
        if node == 0 {
            let d = c &- 0x0E00
            if d < 128 { return Int(rootThai[Int(d)]) }
        }
        let key = UInt64(node + 1) << 42 | UInt64(c) << 21
        var h = Int(truncatingIfNeeded: ((key >> 21) &* 0x9E37_79B9_7F4A_7C15) >> slotShift)
        while true {
            let s = slots[h]
            if s == 0 { return 0 }
            if s & ~UInt64(0x1F_FFFF) == key { return Int(s & 0x1F_FFFF) }
            h = (h + 1) & slotMask
        }
    }

    // MARK: character classes (Python re semantics on str)

    /// re's \d on str: Unicode category Nd.
    @inline(__always) static func isDigit(_ c: UInt32) -> Bool {
        if c < 0x80 { return c >= 0x30 && c <= 0x39 }
        if c >= 0x0E00 && c <= 0x0E7F { return c >= 0x0E50 && c <= 0x0E59 }
        if c < 0x0660 { return false }
        return Unicode.Scalar(c)?.properties.generalCategory == .decimalNumber
    }

    @inline(__always) static func isConsonant(_ c: UInt32) -> Bool { c >= 0x0E01 && c <= 0x0E2E }

    /// `_PAT_NONTHAI.match(text, i)` on the chunk ending at `b`: the match's end, or -1.
    @inline(__always) static func nonThai(_ t: UnsafeBufferPointer<UInt32>, _ i: Int, _ b: Int) -> Int {
        let c = t[i]
        var j = i + 1
        if c == 0x2D || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) {  // [-a-zA-Z]+
            while j < b, t[j] == 0x2D || (t[j] | 0x20 >= 0x61 && t[j] | 0x20 <= 0x7A) { j += 1 }
            return j
        }
        if isDigit(c) {  // \d+([,\.]\d+)*
            while j < b && isDigit(t[j]) { j += 1 }
            while j + 1 < b && (t[j] == 0x2C || t[j] == 0x2E) && isDigit(t[j + 1]) {
                j += 2
                while j < b && isDigit(t[j]) { j += 1 }
            }
            return j
        }
        if c == 0x20 || c == 0x09 {  // [ \t]+
            while j < b && (t[j] == 0x20 || t[j] == 0x09) { j += 1 }
            return j
        }
        if c == 0x0A { return j }  // \r?\n
        if c == 0x0D { return j < b && t[j] == 0x0A ? j + 1 : -1 }
        if c >= 0x0E00 && c <= 0x0E7F { return -1 }
        // [^\u0E00-\u0E7F \t\r\n]+
        while j < b {
            let d = t[j]
            if (d >= 0x0E00 && d <= 0x0E7F) || d == 0x20 || d == 0x09 || d == 0x0D || d == 0x0A { break }
            j += 1
        }
        return j
    }

    // MARK: Thai Character Clusters (tcc_p.py)

    /// One item of a TCC alternative: a scalar of `set` (kind 0), an optional one (1), the
    /// lookahead `(?=[เ-ไก-ฮ]|$)` (2), or `k` = `(cc?[ูุิ]?[์])?` (3, always last).
    struct Item {
        var kind: UInt8
        var lo: UInt64 = 0, hi: UInt64 = 0  // the set, as bits of scalar - 0x0E00
        @inline(__always) func has(_ c: UInt32) -> Bool {
            let d = c &- 0x0E00
            if d >= 128 { return false }
            return d < 64 ? lo >> UInt64(d) & 1 != 0 : hi >> UInt64(d - 64) & 1 != 0
        }
    }

    /// tcc_p.py's _RE_TCC, verbatim before its replacements (c, t, k expanded by `parse`).
    static let tccSource = """
        เc็ck
        เcctาะk
        เccีtยะk
        เccีtย(?=[เ-ไก-ฮ]|$)k
        เcc็ck
        เcิc์ck
        เcิtck
        เcีtยะ?k
        เcืtอะ?k
        เc[ิีุู]tย(?=[เ-ไก-ฮ]|$)k
        เctา?ะ?k
        cัtวะk
        c[ัื]tc[ุิะ]?k
        c[ิุู]์
        c[ะ-ู]tk
        cรรc์
        c็
        ct[ะาำ]?k
        ck
        แc็c
        แcc์
        แctะ
        แcc็c
        แccc์
        โctะ
        [เ-ไ]ct
        ก็
        อึ
        หึ
        """

    static func set(_ ranges: [(UInt32, UInt32)]) -> Item {
        var it = Item(kind: 0)
        for (a, b) in ranges { for c in a...b { let d = c - 0x0E00; if d < 64 { it.lo |= 1 << UInt64(d) } else { it.hi |= 1 << UInt64(d - 64) } } }
        return it
    }

    static func parse(_ pattern: Substring) -> [Item] {
        let s = Array(pattern.unicodeScalars)
        var items: [Item] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            var it: Item
            if c == "c" { it = set([(0x0E01, 0x0E2E)]); i += 1 }
            else if c == "t" { it = set([(0x0E48, 0x0E4B)]); it.kind = 1; i += 1 }
            else if c == "k" { it = Item(kind: 3); i += 1 }
            else if c == "(" {  // (?=[เ-ไก-ฮ]|$)
                it = set([(0x0E40, 0x0E44), (0x0E01, 0x0E2E)]); it.kind = 2
                while s[i] != ")" { i += 1 }
                i += 1
            } else if c == "[" {
                var r: [(UInt32, UInt32)] = []
                i += 1
                while s[i] != "]" {
                    if i + 2 < s.count && s[i + 1] == "-" && s[i + 2] != "]" { r.append((s[i].value, s[i + 2].value)); i += 3 }
                    else { r.append((s[i].value, s[i].value)); i += 1 }
                }
                i += 1
                it = set(r)
            } else { it = set([(c.value, c.value)]); i += 1 }
            if i < s.count && s[i] == "?" { it.kind = 1; i += 1 }
            items.append(it)
        }
        return items
    }

    /// The alternatives, flattened; `tccStart[k]..<tccStart[k+1]` is alternative k.
    static let tccItems: [Item] = tccSource.split(separator: "\n").flatMap { parse($0.drop(while: { $0 == " " })) }
    static let tccStart: [Int] = {
        var r = [0]
        for line in tccSource.split(separator: "\n") { r.append(r.last! + parse(line.drop(while: { $0 == " " })).count) }
        return r
    }()

    /// Per scalar of the Thai block, the alternatives whose first item (always a required
    /// scalar) takes it, in order, as bits (29 alternatives).
    static let tccCandidates: [UInt32] = (0..<128).map { d in
        var m: UInt32 = 0
        for k in 0..<tccStart.count - 1 where tccItems[tccStart[k]].has(UInt32(0x0E00 + d)) { m |= 1 << UInt32(k) }
        return m
    }

    /// `_PAT_TCC.match(text[p:])` on the chunk ending at `b`: the cluster's length, or 1 without a match.
    @inline(__always) static func tccLength(_ t: UnsafeBufferPointer<UInt32>, _ p: Int, _ b: Int, _ items: UnsafeBufferPointer<Item>,
                                            _ starts: UnsafeBufferPointer<Int>, _ cands: UnsafeBufferPointer<UInt32>) -> Int {
        let d = t[p] &- 0x0E00
        guard d < 128 else { return 1 }
        var m = cands[Int(d)]
        while m != 0 {
            let k = m.trailingZeroBitCount
            m &= m - 1
            // the first item matched: the rest from p + 1
            let e = match(t, b, items, starts[k] + 1, starts[k + 1], p + 1)
            if e >= 0 { return e - p }
        }
        return 1
    }

    /// Backtracking match of items[i..<end] at p (Python re's order: optional items greedy).
    static func match(_ t: UnsafeBufferPointer<UInt32>, _ b: Int, _ items: UnsafeBufferPointer<Item>, _ i: Int, _ end: Int, _ p: Int) -> Int {
        if i == end { return p }
        let it = items[i]
        switch it.kind {
        case 0:
            return p < b && it.has(t[p]) ? match(t, b, items, i + 1, end, p + 1) : -1
        case 1:
            if p < b && it.has(t[p]) {
                let r = match(t, b, items, i + 1, end, p + 1)
                if r >= 0 { return r }
            }
            return match(t, b, items, i + 1, end, p)
        case 2:
            // $ without MULTILINE: the end, or before a final "\n"
            let ok = (p < b && it.has(t[p])) || p == b || (p == b - 1 && t[p] == 0x0A)
            return ok ? match(t, b, items, i + 1, end, p) : -1
        default:
            // (cc?[ูุิ]?[์])? at the end of its alternative
            guard p < b && isConsonant(t[p]) else { return p }
            @inline(__always) func tail(_ r: Int) -> Int {
                if r + 1 < b && (t[r] == 0x0E39 || t[r] == 0x0E38 || t[r] == 0x0E34) && t[r + 1] == 0x0E4C { return r + 2 }
                if r < b && t[r] == 0x0E4C { return r + 1 }
                return -1
            }
            if p + 1 < b && isConsonant(t[p + 1]) {
                let e = tail(p + 2)
                if e >= 0 { return e }
            }
            let e = tail(p + 1)
            return e >= 0 ? e : p
        }
    }

    // MARK: splitting

    static let maxChunk = 140
    static let maxGraphSize = 50

    /// Per-call working memory for one chunk of at most 140 scalars.
    struct Scratch {
        let cap = ThaiNewmm.maxChunk + 2
        let valid: UnsafeMutablePointer<Bool>, inHeap: UnsafeMutablePointer<Bool>, visited: UnsafeMutablePointer<Bool>
        let head: UnsafeMutablePointer<Int32>, tail: UnsafeMutablePointer<Int32>
        let parent: UnsafeMutablePointer<Int32>, queue: UnsafeMutablePointer<Int32>, path: UnsafeMutablePointer<Int32>
        var to: UnsafeMutablePointer<Int32>, next: UnsafeMutablePointer<Int32>
        var edgeCap: Int
        init() {
            valid = .allocate(capacity: cap); inHeap = .allocate(capacity: cap); visited = .allocate(capacity: cap)
            head = .allocate(capacity: cap); tail = .allocate(capacity: cap)
            parent = .allocate(capacity: cap); queue = .allocate(capacity: cap); path = .allocate(capacity: cap)
            edgeCap = 1024
            to = .allocate(capacity: edgeCap); next = .allocate(capacity: edgeCap)
            visited.initialize(repeating: false, count: cap)
        }
        mutating func growEdges() {
            let c = edgeCap * 2
            let t2 = UnsafeMutablePointer<Int32>.allocate(capacity: c), n2 = UnsafeMutablePointer<Int32>.allocate(capacity: c)
            t2.update(from: to, count: edgeCap); n2.update(from: next, count: edgeCap)
            to.deallocate(); next.deallocate()
            to = t2; next = n2; edgeCap = c
        }
        func free() {
            valid.deallocate(); inHeap.deallocate(); visited.deallocate(); head.deallocate(); tail.deallocate()
            parent.deallocate(); queue.deallocate(); path.deallocate(); to.deallocate(); next.deallocate()
        }
    }

    /// Appends one (start, end) pair per word of datatrove's
    /// `ThaiTokenizer().word_tokenize(t[lo..<hi])` (offsets into `t`).
    func split(_ t: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, into out: inout Buf<Int32>) {
        guard hi > lo else { return }
        var s = Scratch()
        defer { s.free() }
        let base = out.count
        Self.tccItems.withUnsafeBufferPointer { items in
            Self.tccStart.withUnsafeBufferPointer { starts in
              Self.tccCandidates.withUnsafeBufferPointer { cands in
                // segment(text, safe_mode=True)
                if hi - lo < Self.maxChunk {
                    onecut(t, lo, hi, &out, &s, items, starts, cands)
                } else {
                    var sample = Buf<Int32>(capacity: 128)
                    defer { sample.free() }
                    var a = lo
                    while hi - a >= Self.maxChunk {
                        let cut = cutPosition(t, a, &sample, &s, items, starts, cands)
                        onecut(t, a, a + cut, &out, &s, items, starts, cands)
                        a += cut
                    }
                    if a < hi { onecut(t, a, hi, &out, &s, items, starts, cands) }
                }
              }
            }
        }
        rejoinAndStrip(t, lo, hi, &out, base)
    }

    /// _find_cut_pos: where the chunk starting at `a` ends (the text from `a` has >= 140 scalars).
    func cutPosition(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ sample: inout Buf<Int32>, _ s: inout Scratch,
                     _ items: UnsafeBufferPointer<Item>, _ starts: UnsafeBufferPointer<Int>, _ cands: UnsafeBufferPointer<UInt32>) -> Int {
        let b0 = a + 100, b1 = a + 140
        var i = b1 - 1
        while i >= b0 { if t[i] == 0x20 { return i - a + 1 }; i -= 1 }
        sample.clear()
        onecut(t, b0, b1, &sample, &s, items, starts, cands)
        var maxIdx = 0, maxLen = 0
        for k in 0..<sample.count / 2 {
            let len = Int(sample[2 * k + 1] - sample[2 * k])
            if len >= maxLen { maxLen = len; maxIdx = k }
        }
        return maxIdx == 0 ? 100 : Int(sample[2 * maxIdx]) - a
    }

    /// _onecut on the chunk t[a..<b] (at most 140 scalars): appends its segments.
    func onecut(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int, _ out: inout Buf<Int32>, _ s: inout Scratch,
                _ items: UnsafeBufferPointer<Item>, _ starts: UnsafeBufferPointer<Int>, _ cands: UnsafeBufferPointer<UInt32>) {
        let n = b - a
        guard n > 0 else { return }
        let valid = s.valid, inHeap = s.inHeap, head = s.head, tail = s.tail
        for k in 0...n { valid[k] = false; inHeap[k] = false; head[k] = -1 }
        var p = 0
        while p < n {
            p += Self.tccLength(t, a + p, b, items, starts, cands)
            valid[p] = true
        }
        var edges = 0
        var graphSize = 0
        var heapCount = 1
        inHeap[0] = true
        var cursor = 0
        var endPos = 0
        var graphFrom = 0  // vertices with edges lie in graphFrom...begin
        @inline(__always) func heapMin() -> Int {
            while !inHeap[cursor] { cursor += 1 }
            return cursor
        }
        while heapMin() < n {
            let begin = cursor
            inHeap[begin] = false
            heapCount -= 1
            // _extend_graph
            var node = 0
            var i = begin
            while i < n {
                node = child(node, t[a + i])
                if node == 0 { break }
                i += 1
                if isEnd[node] && valid[i] {
                    if edges == s.edgeCap { s.growEdges() }
                    s.to[edges] = Int32(i); s.next[edges] = -1
                    if head[begin] < 0 { head[begin] = Int32(edges) } else { s.next[Int(tail[begin])] = Int32(edges) }
                    tail[begin] = Int32(edges)
                    edges += 1
                    graphSize += 1
                    if !inHeap[i] { inHeap[i] = true; heapCount += 1 }
                    if graphSize > Self.maxGraphSize { break }
                }
            }
            if heapCount == 1 {
                let goal = heapMin()
                // _bfs_paths_graph(graph, end_pos, goal): the first path found
                var qh = 0, qt = 0
                s.queue[qt] = Int32(endPos); qt += 1
                s.visited[endPos] = true
                s.parent[endPos] = -1
                var found = -1
                bfs: while qh < qt {
                    let v = Int(s.queue[qh]); qh += 1
                    var e = Int(head[v])
                    while e >= 0 {
                        let u = Int(s.to[e])
                        if u == goal { found = v; break bfs }
                        if !s.visited[u] { s.visited[u] = true; s.parent[u] = Int32(v); s.queue[qt] = Int32(u); qt += 1 }
                        e = Int(s.next[e])
                    }
                }
                for k in 0..<qt { s.visited[Int(s.queue[k])] = false }
                if found >= 0 {
                    var m = 0
                    var v = found
                    while v >= 0 { s.path[m] = Int32(v); m += 1; v = Int(s.parent[v]) }
                    // path: endPos ... found, goal
                    var prev = endPos
                    var k = m - 2
                    while k >= 0 { let q = Int(s.path[k]); out.append(Int32(a + prev)); out.append(Int32(a + q)); prev = q; k -= 1 }
                    out.append(Int32(a + prev)); out.append(Int32(a + goal))
                } else {
                    // (Python raises here; not reached with a graph built as above)
                    out.append(Int32(a + endPos)); out.append(Int32(a + goal))
                }
                for k in graphFrom...begin { head[k] = -1 }
                edges = 0
                graphSize = 0
                endPos = goal
                graphFrom = goal
            } else if heapCount == 0 {
                endPos = skipEnd(t, a, b, begin, valid)
                for k in graphFrom...begin { head[k] = -1 }
                edges = 0
                graphSize = 0
                out.append(Int32(a + begin)); out.append(Int32(a + endPos))
                inHeap[endPos] = true
                heapCount = 1
                graphFrom = endPos
            }
        }
    }

    /// _find_skip_end: the end of an out-of-dictionary stretch starting at `begin` (chunk offsets).
    func skipEnd(_ t: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int, _ begin: Int, _ valid: UnsafeMutablePointer<Bool>) -> Int {
        let n = b - a
        let m = Self.nonThai(t, a + begin, b)
        if m >= 0 { return m - a }
        var pos = begin + 1
        while pos < n {
            if valid[pos] {
                // a dictionary word from pos ending on a TCC boundary, other than 1-2 consonants
                var node = 0
                var i = pos
                while i < n {
                    node = child(node, t[a + i])
                    if node == 0 { break }
                    i += 1
                    if isEnd[node] && valid[i] {
                        let len = i - pos
                        let twoConsonants = len <= 2 && Self.isConsonant(t[a + pos]) && (len == 1 || Self.isConsonant(t[a + pos + 1]))
                        if !twoConsonants { return pos }
                    }
                }
                if Self.nonThai(t, a + pos, b) >= 0 { return pos }
            }
            pos += 1
        }
        return n
    }

    /// The next match of `(\d+[\.\,:])+\d+` in t[from..<hi], or nil.
    @inline(__always) static func formattedNumber(_ t: UnsafeBufferPointer<UInt32>, _ from: Int, _ hi: Int) -> (Int, Int)? {
        var i = from
        while i < hi {
            if !isDigit(t[i]) { i += 1; continue }
            var j = i + 1
            while j < hi && isDigit(t[j]) { j += 1 }
            let runEnd = j
            var groups = 0
            while j + 1 < hi && (t[j] == 0x2E || t[j] == 0x2C || t[j] == 0x3A) && isDigit(t[j + 1]) {
                j += 2
                while j < hi && isDigit(t[j]) { j += 1 }
                groups += 1
            }
            if groups > 0 { return (i, j) }
            i = runEnd
        }
        return nil
    }

    /// rejoin_formatted_num, then strip_whitespace and strip_strings, in place on out[base...].
    func rejoinAndStrip(_ t: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, _ out: inout Buf<Int32>, _ base: Int) {
        let segs = (out.count - base) / 2
        var w = base
        var k = 0
        var pos = lo
        var m = Self.formattedNumber(t, lo, hi)
        while k < segs, let (ms, me) = m {
            if pos >= ms {
                var cs = -1, ce = -1
                while pos < me && k < segs {
                    if cs < 0 { cs = Int(out[base + 2 * k]) }
                    ce = Int(out[base + 2 * k + 1])
                    pos = ce
                    k += 1
                }
                if cs >= 0 { out[w] = Int32(cs); out[w + 1] = Int32(ce); w += 2 }
                m = Self.formattedNumber(t, me, hi)
            } else {
                out[w] = out[base + 2 * k]; out[w + 1] = out[base + 2 * k + 1]; w += 2
                pos = Int(out[base + 2 * k + 1])
                k += 1
            }
        }
        while k < segs { out[w] = out[base + 2 * k]; out[w + 1] = out[base + 2 * k + 1]; w += 2; k += 1 }
        // strip (Python whitespace), drop empty
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
