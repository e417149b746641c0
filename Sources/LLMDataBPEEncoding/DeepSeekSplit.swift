// DeepSeek-V3's last split pattern (also DeepSeek-V2's and R1's), matched by hand over the bytes:
// the same pieces as PCRE2 (and HF's Oniguruma) give, without a regex engine call per piece. The
// class of a non-ASCII character (letter, mark, punctuation or symbol, White_Space) is asked of
// PCRE2 once and kept (`CharClass`), so the decisions are PCRE2's own.

/// Matches
/// `[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// leftmost first, alternatives in order, as a backtracking engine does.
final class DeepSeekSplitter {
    static let pattern = ##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"##

    /// The pattern as written with `\r` `\n` escapes, and as DeepSeek-V3's tokenizer.json holds it
    /// (CR and LF themselves inside the classes).
    static let spellings: Set<String> = [pattern, pattern.replacingOccurrences(of: "\\r", with: "\r").replacingOccurrences(of: "\\n", with: "\n")]

    static let L: UInt8 = 1, M: UInt8 = 2, PS: UInt8 = 4, WS: UInt8 = 8, CRLF: UInt8 = 16, ALPHA: UInt8 = 32, APUNCT: UInt8 = 64

    var ascii = [UInt8](repeating: 0, count: 128)
    let letter: CharClass
    let mark: CharClass
    let punctSymbol: CharClass
    let space: CharClass

    init() throws {
        letter = try CharClass(#"\p{L}"#)
        mark = try CharClass(#"\p{M}"#)
        punctSymbol = try CharClass(#"[\p{P}\p{S}]"#)
        space = try CharClass("[" + whiteSpaceClass + "]")
        for c in 0..<128 {
            var k: UInt8 = 0
            if letter.ascii[c] { k |= Self.L }
            if mark.ascii[c] { k |= Self.M }
            if punctSymbol.ascii[c] { k |= Self.PS }
            if space.ascii[c] { k |= Self.WS }
            if c == 0x0D || c == 0x0A { k |= Self.CRLF }
            if (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { k |= Self.ALPHA }
            if (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E) { k |= Self.APUNCT }
            ascii[c] = k
        }
    }

    /// The classes of the character at `i` and its length.
    @inline(__always) func props(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt8, Int) {
        let c = t[i]
        if c < 0x80 { return (ascii[Int(c)], 1) }
        var k: UInt8 = 0
        let (l, n) = letter.at(t, i)
        if l { return (Self.L, n) }
        if mark.at(t, i).0 { k |= Self.M }
        if punctSymbol.at(t, i).0 { k |= Self.PS }
        if space.at(t, i).0 { k |= Self.WS }
        return (k, n)
    }

    /// The end of the run of characters with one of `mask` from `i`.
    @inline(__always) func run(_ t: UnsafeBufferPointer<UInt8>, _ i: Int, _ mask: UInt8) -> Int {
        var j = i
        while j < t.count {
            let (k, n) = props(t, j)
            if k & mask == 0 { break }
            j += n
        }
        return j
    }

    /// The end of the match that starts at `i`, or -1 when none does.
    @inline(__always) func matchAt(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let n = t.count
        let (c, len) = props(t, i)
        let next: UInt8 = i + len < n ? props(t, i + len).0 : 0
        // [ASCII punctuation][A-Za-z]+
        if c & Self.APUNCT != 0 && next & Self.ALPHA != 0 {
            var j = i + 2
            while j < n && t[j] < 0x80 && ascii[Int(t[j])] & Self.ALPHA != 0 { j += 1 }
            return j
        }
        // [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
        if c & (Self.L | Self.M) != 0 { return run(t, i, Self.L | Self.M) }
        if c & (Self.CRLF | Self.L | Self.PS) == 0 && next & (Self.L | Self.M) != 0 { return run(t, i + len, Self.L | Self.M) }
        // ` ?[\p{P}\p{S}]+[\r\n]*`
        if c & Self.PS != 0 || (t[i] == 0x20 && next & Self.PS != 0) {
            let j = run(t, c & Self.PS != 0 ? i : i + 1, Self.PS)
            var k = j
            while k < n && (t[k] == 0x0D || t[k] == 0x0A) { k += 1 }
            return k
        }
        guard c & Self.WS != 0 else { return -1 }
        // \s*[\r\n]+ : to the last CR/LF of the whitespace run
        var j = i
        var lastBreak = -1
        var lastStart = i
        while j < n {
            let (k, m) = props(t, j)
            if k & Self.WS == 0 { break }
            if k & Self.CRLF != 0 { lastBreak = j }
            lastStart = j
            j += m
        }
        if lastBreak >= 0 { return lastBreak + 1 }
        // \s+(?!\S) : the run at the end, else all but its last character; \s+ : one character
        if j == n { return j }
        if lastStart > i { return lastStart }
        return j
    }

    /// Calls `body` with each piece of `t` (matches and the gaps between them), in order;
    /// `ahead` sees each piece eight pieces before `body` does (the encoder prefetches its piece
    /// cache slot, so the lookups' CPU cache misses overlap).
    @inline(__always)
    func forEachPiece(_ t: UnsafeBufferPointer<UInt8>, ahead: (UnsafeBufferPointer<UInt8>) -> Void,
                      _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let n = t.count
        var ring: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)  // piece ends
        var head = 0, tail = 0  // pieces seen, pieces given to body
        var last = 0  // where the piece tail + 1 starts
        func push(_ e: Int) {
            let s = head == 0 ? 0 : withUnsafeBytes(of: &ring) { $0.load(fromByteOffset: ((head - 1) & 7) * 8, as: Int.self) }
            ahead(UnsafeBufferPointer(rebasing: t[s..<e]))
            withUnsafeMutableBytes(of: &ring) { $0.storeBytes(of: e, toByteOffset: (head & 7) * 8, as: Int.self) }
            head += 1
            if head - tail == 8 { pop() }
        }
        func pop() {
            let e = withUnsafeBytes(of: &ring) { $0.load(fromByteOffset: (tail & 7) * 8, as: Int.self) }
            body(UnsafeBufferPointer(rebasing: t[last..<e]))
            last = e
            tail += 1
        }
        var gap = 0
        var i = 0
        while i < n {
            let e = matchAt(t, i)
            if e < 0 {
                i += UTF8Scan.length(t[i])
                continue
            }
            if gap < i { push(i) }
            push(e)
            i = e
            gap = e
        }
        if gap < n { push(n) }
        while tail < head { pop() }
    }
}
