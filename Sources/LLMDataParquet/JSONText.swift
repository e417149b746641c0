import CTextKernels

/// JSON text for Parquet values, in the record protocol's form (docs/protocol.md): strings as
/// UTF-8 with only `"`, `\` and control characters escaped — the same bytes as
/// `LLMDataCore.JSONWriter.appendString`, which this target cannot import (LLMDataCore imports
/// it) — and numbers in a fixed, locale-independent form.
enum JSONText {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        guard let base = bytes.baseAddress else {
            out.append(0x22)
            return
        }
        let n = bytes.count
        var runStart = 0
        var i = 0
        while i < n {
            i += llm_json_escape_scan(base + i, n - i)
            if i >= n { break }
            let c = bytes[i]
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            out.append(0x5C)
            switch c {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default: out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
            }
            i += 1
            runStart = i
        }
        if n > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<n])) }
        out.append(0x22)
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString($0, to: &out) }
    }

    static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            appendUInt(v.magnitude, to: &out)
        } else {
            appendUInt(UInt64(v), to: &out)
        }
    }

    static func appendUInt(_ v: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: more than UInt64.max's 20 digits
        var n = 0
        var v = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                n += 1
                d[24 - n] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                v /= 10
            } while v > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(24 - n)...]))
        }
    }

    /// Shortest round-trip digits (Swift's `description`); NaN and ±infinity are not JSON: null.
    static func appendDouble(_ d: Double, to out: inout [UInt8]) {
        if d.isFinite { out.append(contentsOf: d.description.utf8) } else { out.append(contentsOf: "null".utf8) }
    }

    /// The shortest digits that read back as the same 32-bit float.
    static func appendFloat(_ f: Float, to out: inout [UInt8]) {
        if f.isFinite { out.append(contentsOf: f.description.utf8) } else { out.append(contentsOf: "null".utf8) }
    }

    /// An IEEE half-precision value, widened to Float.
    static func float16(_ bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits >> 15) << 31
        let exp = Int((bits >> 10) & 0x1F)
        let frac = UInt32(bits & 0x3FF)
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
        if exp == 0 {
            let v = Float(frac) * 0x1p-24  // subnormal (or zero)
            return sign != 0 ? -v : v
        }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (frac << 13))
    }

    static let b64: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding, quoted.
    static func appendBase64(_ b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        var i = 0
        let n = b.count
        while i + 3 <= n {
            let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            out.append(b64[Int(v >> 18)])
            out.append(b64[Int(v >> 12 & 63)])
            out.append(b64[Int(v >> 6 & 63)])
            out.append(b64[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(b[i]) << 16
            out.append(contentsOf: [b64[Int(v >> 18)], b64[Int(v >> 12 & 63)], 0x3D, 0x3D])
        } else if n - i == 2 {
            let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
            out.append(contentsOf: [b64[Int(v >> 18)], b64[Int(v >> 12 & 63)], b64[Int(v >> 6 & 63)], 0x3D])
        }
        out.append(0x22)
    }

    /// A UUID's 16 bytes as the quoted canonical form `"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"`.
    static func appendUUID(_ b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        for (i, c) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(c >> 4)])
            out.append(hex[Int(c & 15)])
        }
        out.append(0x22)
    }

    /// A decimal's unscaled two's-complement big-endian integer and scale as a quoted exact
    /// decimal string (`"-12.340"`): JSON numbers of 38 digits do not survive most parsers.
    static func appendDecimal(bigEndian b: UnsafeBufferPointer<UInt8>, scale: Int, to out: inout [UInt8]) {
        // magnitude as base-1e9 limbs, by repeated division of the byte string
        var mag = Array(b)
        let negative = (mag.first ?? 0) & 0x80 != 0
        if negative {  // two's complement negate
            var carry = 1
            for k in stride(from: mag.count - 1, through: 0, by: -1) {
                let v = Int(~mag[k]) + carry
                mag[k] = UInt8(truncatingIfNeeded: v)
                carry = v >> 8
            }
        }
        var digits: [UInt8] = []
        while mag.contains(where: { $0 != 0 }) {
            var rem = 0
            for k in 0..<mag.count {
                let cur = rem << 8 | Int(mag[k])
                mag[k] = UInt8(cur / 10)
                rem = cur % 10
            }
            digits.append(UInt8(0x30 + rem))
        }
        if digits.isEmpty { digits = [0x30] }
        while digits.count <= scale { digits.append(0x30) }  // at least one digit before the point
        digits.reverse()
        out.append(0x22)
        if negative { out.append(UInt8(ascii: "-")) }
        if scale > 0 {
            out.append(contentsOf: digits[0..<(digits.count - scale)])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[(digits.count - scale)...])
        } else {
            out.append(contentsOf: digits)
            if scale < 0 { out.append(contentsOf: repeatElement(0x30, count: -scale)) }
        }
        out.append(0x22)
    }

    static func appendDecimal(_ v: Int64, scale: Int, to out: inout [UInt8]) {
        var be = [UInt8](repeating: 0, count: 8)
        for k in 0..<8 { be[k] = UInt8(truncatingIfNeeded: v >> (56 - 8 * k)) }
        be.withUnsafeBufferPointer { appendDecimal(bigEndian: $0, scale: scale, to: &out) }
    }
}
