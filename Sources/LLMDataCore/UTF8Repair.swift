/// Replaces ill-formed UTF-8 with U+FFFD, one replacement per maximal ill-formed subpart
/// (the W3C/Unicode "substitution of maximal subparts" practice that Python's
/// `errors='replace'` and ICU follow).
public enum UTF8Repair {
    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    public static func repair(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count + 16)
        var i = 0
        let n = s.count
        while i < n {
            let b0 = s[i]
            if b0 < 0x80 { out.append(b0); i += 1; continue }
            var need = 0
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default:
                out.append(contentsOf: replacement)
                i += 1
                continue
            }
            var j = 1
            var ok = true
            while j <= need {
                if i + j >= n { ok = false; break }
                let b = s[i + j]
                let l: UInt8 = j == 1 ? lo : 0x80
                let h: UInt8 = j == 1 ? hi : 0xBF
                if b < l || b > h { ok = false; break }
                j += 1
            }
            if ok {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: s[i...(i + need)]))
                i += need + 1
            } else {
                out.append(contentsOf: replacement)
                i += j  // skip the maximal subpart
            }
        }
        return out
    }

    public static func repair(_ a: [UInt8]) -> [UInt8] { a.withUnsafeBufferPointer { repair($0) } }

    /// True when the bytes contain a `\uD800`–`\uDFFF` escape.
    public static func hasSurrogateEscape(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i + 5 < s.count {
            if s[i] == 0x5C, s[i + 1] == UInt8(ascii: "u"), s[i + 2] | 0x20 == UInt8(ascii: "d"),
               (s[i + 3] | 0x20) >= UInt8(ascii: "8"), isHexAbove8(s[i + 3]) {
                return true
            }
            i += s[i] == 0x5C ? 2 : 1
        }
        return false
    }

    static func isHexAbove8(_ c: UInt8) -> Bool {
        switch c | 0x20 {
        case UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b"),
             UInt8(ascii: "c"), UInt8(ascii: "d"), UInt8(ascii: "e"), UInt8(ascii: "f"): return true
        default: return false
        }
    }

    /// Replaces `\uD8xx`…`\uDFxx` escapes that do not form a valid pair with `\uFFFD`.
    public static func replaceLoneSurrogateEscapes(_ a: [UInt8]) -> [UInt8] {
        func hex4(_ i: Int) -> Int? {
            guard i + 4 <= a.count else { return nil }
            var v = 0
            for k in 0..<4 {
                let c = a[i + k]
                let d: Int
                switch c {
                case 0x30...0x39: d = Int(c) - 0x30
                case 0x41...0x46: d = Int(c) - 0x41 + 10
                case 0x61...0x66: d = Int(c) - 0x61 + 10
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        var out: [UInt8] = []
        out.reserveCapacity(a.count)
        var i = 0
        while i < a.count {
            if a[i] == 0x5C, i + 1 < a.count {
                if a[i + 1] == UInt8(ascii: "u"), let v = hex4(i + 2) {
                    if v >= 0xD800 && v <= 0xDBFF, i + 11 < a.count, a[i + 6] == 0x5C, a[i + 7] == UInt8(ascii: "u"),
                       let w = hex4(i + 8), w >= 0xDC00 && w <= 0xDFFF {
                        out.append(contentsOf: a[i..<(i + 12)])
                        i += 12
                        continue
                    }
                    if v >= 0xD800 && v <= 0xDFFF {
                        out.append(contentsOf: Array("\\ufffd".utf8))
                        i += 6
                        continue
                    }
                }
                out.append(a[i])
                out.append(a[i + 1])
                i += 2
                continue
            }
            out.append(a[i])
            i += 1
        }
        return out
    }
}
