/// Character classes the rules need, precomputed for the BMP (Unicode properties are slow to ask
/// per character); other planes are asked directly.
enum CharTable {
    static let alpha: UInt8 = 1, lower: UInt8 = 2, upper: UInt8 = 4, punct: UInt8 = 8, space: UInt8 = 16
    static let prefix: UInt8 = 32, suffix: UInt8 = 64, lineBreak: UInt8 = 128

    static let bmp: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 0x10000)
        for cp in 0..<0x10000 { t[cp] = compute(UInt32(cp)) }
        return t
    }()

    static func compute(_ c: UInt32) -> UInt8 {
        var f: UInt8 = 0
        if let s = Unicode.Scalar(c) {
            if s.properties.isAlphabetic { f |= alpha }
            if s.properties.isLowercase { f |= lower }
            if s.properties.isUppercase { f |= upper }
        }
        if Punctuation.set.contains(c) { f |= punct }
        if WordSplitter.isSpace(c) || (c >= 0x1C && c <= 0x1F) { f |= space }
        if WordSplitter.prefixChars.contains(c) { f |= prefix }
        if WordSplitter.suffixChars.contains(c) { f |= suffix }
        if TextView.lineBreaks.contains(c) { f |= lineBreak }
        return f
    }

    @inline(__always) static func flags(_ c: UInt32) -> UInt8 { c < 0x10000 ? bmp[Int(c)] : compute(c) }
}

/// Polynomial hash over scalars, composable: H(a + b) = H(a)·B^|b| + H(b) (mod 2^64). Equal
/// texts hash equal; the rules compare these 64-bit values instead of strings.
struct PolyHash {
    static let base: UInt64 = 0x100_0000_01B3

    var h: UInt64 = 0
    var pow: UInt64 = 1

    @inline(__always) mutating func add(_ c: UInt32) {
        h = h &* Self.base &+ UInt64(c) &+ 1
        pow = pow &* Self.base
    }

    @inline(__always) mutating func append(_ o: PolyHash) {
        h = h &* o.pow &+ o.h
        pow = pow &* o.pow
    }

    static func of(_ s: ArraySlice<UInt32>) -> PolyHash {
        var p = PolyHash()
        for c in s { p.add(c) }
        return p
    }
}
