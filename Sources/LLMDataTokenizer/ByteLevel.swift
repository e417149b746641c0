/// GPT-2's reversible byte ↔ character mapping used by byte-level BPE vocabularies: printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards in byte order.
public enum ByteLevel {
    /// byte → Unicode scalar value.
    public static let byteToChar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var keep = Set<Int>()
        for b in 0x21...0x7E { keep.insert(b) }
        for b in 0xA1...0xAC { keep.insert(b) }
        for b in 0xAE...0xFF { keep.insert(b) }
        var n: UInt32 = 0
        for b in 0..<256 {
            if keep.contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + n
                n += 1
            }
        }
        return table
    }()

    /// Unicode scalar value → byte, for the 256 mapped characters.
    public static let charToByte: [UInt32: UInt8] = {
        var d: [UInt32: UInt8] = [:]
        for (b, c) in byteToChar.enumerated() { d[c] = UInt8(b) }
        return d
    }()

    /// Decodes a vocabulary string into the bytes it stands for; nil if a character is not one
    /// of the 256 mapped ones.
    public static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            guard let b = charToByte[u.value] else { return nil }
            out.append(b)
        }
        return out
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(byteToChar[Int(b)])!) }
        return String(s)
    }
}
