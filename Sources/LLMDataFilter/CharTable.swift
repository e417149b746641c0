import CICUShim
import Dispatch

/// Character classes the rules need, precomputed for the BMP (Unicode properties are slow to ask
/// per character); other planes are asked directly.
enum CharTable {
    static let alpha: UInt16 = 1, lower: UInt16 = 2, upper: UInt16 = 4, punct: UInt16 = 8
    /// Python's str.isspace(), which spaCy also splits on.
    static let space: UInt16 = 16
    static let prefix: UInt16 = 32, suffix: UInt16 = 64, lineBreak: UInt16 = 128
    /// datatrove's TERMINAL_PUNCTUATION (FineWeb line ends).
    static let terminal: UInt16 = 256
    /// spaCy's sentencizer punct_chars.
    static let sentenceEnd: UInt16 = 512
    /// Unicode general category P* (spaCy's is_punct).
    static let categoryP: UInt16 = 1024
    /// Scripts written without spaces between words, segmented by ICU's dictionaries: Han, kana,
    /// Thai, Lao, Khmer, Myanmar.
    static let unspaced: UInt16 = 2048
    /// The characters GopherQuality counts: # . …
    static let gopherCounted: UInt16 = 4096

    /// The BMP's flags. The table is built before the first document, on the critical path: the
    /// Unicode properties (three-quarters of the cost) are asked for on two threads, one half of
    /// the BMP each; the five character sets are scattered in from their members afterwards
    /// (five hashed Set lookups per scalar were a quarter of the cost).
    static let bmp: [UInt16] = {
        var t = [UInt16](repeating: 0, count: 0x10000)
        t.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let p = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: 2) { half in
                for cp in half * 0x8000..<(half + 1) * 0x8000 { p[cp] = properties(UInt32(cp)) }
            }
        }
        for (set, flag) in memberships { for c in set where c < 0x10000 { t[Int(c)] |= flag } }
        return t
    }()

    static func isUnspacedScript(_ c: UInt32) -> Bool {
        switch c {
        case 0x0E00...0x0EFF, 0x1000...0x109F, 0x1780...0x17FF, 0x3040...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF,
             0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF66...0xFF9F, 0x20000...0x3FFFF:
            return true
        default:
            return false
        }
    }

    /// The flags that come from character sets (compute's five lookups), with the set of each.
    static var memberships: [(Set<UInt32>, UInt16)] {
        [(Punctuation.set, punct), (Punctuation.terminal, terminal), (Punctuation.sentenceEnd, sentenceEnd),
         (WordSplitter.prefixChars, prefix), (WordSplitter.suffixChars, suffix)]
    }

    static func compute(_ c: UInt32) -> UInt16 {
        var f = properties(c)
        if Punctuation.set.contains(c) { f |= punct }
        if Punctuation.terminal.contains(c) { f |= terminal }
        if Punctuation.sentenceEnd.contains(c) { f |= sentenceEnd }
        if WordSplitter.prefixChars.contains(c) { f |= prefix }
        if WordSplitter.suffixChars.contains(c) { f |= suffix }
        return f
    }

    /// The flags that come from Unicode properties and fixed ranges.
    static func properties(_ c: UInt32) -> UInt16 {
        var f: UInt16 = 0
        if let s = Unicode.Scalar(c) {
            let p = s.properties
            if p.isAlphabetic { f |= alpha }
            if p.isLowercase { f |= lower }
            if p.isUppercase { f |= upper }
            switch p.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
                 .finalPunctuation, .otherPunctuation:
                f |= categoryP
            default: break
            }
        }
        if WordSplitter.isSpace(c) || (c >= 0x1C && c <= 0x1F) { f |= space }
        switch c {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: f |= lineBreak
        default: break
        }
        if isUnspacedScript(c) { f |= unspaced }
        if c == 0x23 || c == 0x2E || c == 0x2026 { f |= gopherCounted }
        return f
    }

    /// The BMP table as a raw pointer (hot loops copy it into a local once).
    static let table: UnsafePointer<UInt16> = {
        let p = UnsafeMutablePointer<UInt16>.allocate(capacity: 0x10000)
        bmp.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: 0x10000) }
        return UnsafePointer(p)
    }()

    @inline(__always) static func flags(_ c: UInt32) -> UInt16 { c < 0x10000 ? table[Int(c)] : compute(c) }

    /// Flags of each scalar of t, written to f.
    static func fill(_ t: UnsafeBufferPointer<UInt32>, _ f: UnsafeMutablePointer<UInt16>) {
        let tbl = table
        for i in 0..<t.count {
            let c = t[i]
            f[i] = c < 0x10000 ? tbl[Int(c)] : compute(c)
        }
    }
}

/// Polynomial hash over scalars, composable: H(a + b) = H(a)·B^|b| + H(b) (mod 2^64). Equal
/// texts hash equal; the rules compare these 64-bit values (mixed with the length) instead of strings.
struct PolyHash {
    static let base: UInt64 = 0x100_0000_01B3
    /// base⁻¹ mod 2^64 (the base is odd, so it is invertible).
    static let inverseBase: UInt64 = {
        var x: UInt64 = 1
        for _ in 0..<7 { x = x &* (2 &- base &* x) }  // Newton's iteration doubles the correct bits
        return x
    }()

    var h: UInt64 = 0
    var pow: UInt64 = 1

    @inline(__always) static func step(_ h: UInt64, _ c: UInt32) -> UInt64 { h &* base &+ UInt64(c) &+ 1 }

    @inline(__always) mutating func add(_ c: UInt32) {
        h = Self.step(h, c)
        pow = pow &* Self.base
    }

    @inline(__always) mutating func append(_ o: PolyHash) {
        h = h &* o.pow &+ o.h
        pow = pow &* o.pow
    }

    static func of(_ s: UnsafeBufferPointer<UInt32>, _ a: Int, _ b: Int) -> PolyHash {
        var p = PolyHash()
        var i = a
        while i < b { p.add(s[i]); i += 1 }
        return p
    }

    /// The key the tables store: the hash mixed with the length in characters.
    @inline(__always) static func key(_ h: UInt64, length: Int) -> UInt64 {
        (h ^ (UInt64(truncatingIfNeeded: length) &* 0xD6E8_FEB8_6659_FD93)) &* 0xFF51_AFD7_ED55_8CCD
    }
}
