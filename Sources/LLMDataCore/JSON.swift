import CTextKernels
import Foundation

/// A JSON value that a stage writes into `metadata`. Numbers are written in a fixed,
/// locale-independent form so output is byte-identical across runs.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Pre-serialized JSON, copied as is.
    case raw([UInt8])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        var x: [UInt8] = [], y: [UInt8] = []
        a.write(to: &x)
        b.write(to: &y)
        return x == y
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .string(let s):
            JSONWriter.appendString(s, to: &out)
        case .int(let i):
            JSONWriter.appendInt(i, to: &out)
        case .double(let d):
            out.append(contentsOf: JSONWriter.formatDouble(d).utf8)
        case .bool(let b):
            JSONWriter.appendStatic(b ? "true" : "false", to: &out)
        case .null:
            JSONWriter.appendStatic("null", to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, v) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            JSONWriter.appendObject(fields, to: &out)
        case .raw(let bytes):
            out.append(contentsOf: bytes)
        }
    }

    public var serialized: String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

public enum JSONWriter {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `bytes` (valid UTF-8) as a JSON string: `"` and `\` escaped, control characters
    /// as `\n`, `\t`, `\r`, `\b`, `\f` or `\u00XX`; everything else, non-ASCII included, raw.
    public static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count + 2)
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        let n = bytes.count
        var i = 0
        guard let base = bytes.baseAddress else {
            out.append(UInt8(ascii: "\""))
            return
        }
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
            default:
                out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
            }
            i += 1
            runStart = i
        }
        if n > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<n])) }
        out.append(UInt8(ascii: "\""))
    }

    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString($0, to: &out) }
    }

    /// Appends a literal's bytes (no String is made).
    @inline(__always)
    public static func appendStatic(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends an integer's decimal digits (what `String(i)` gives, without making the String).
    public static func appendInt(_ i: Int, to out: inout [UInt8]) {
        if i == Int.min {
            out.append(contentsOf: String(i).utf8)
            return
        }
        var v = i < 0 ? -i : i
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, more than Int.max's 19 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                n += 1
                d[24 - n] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                v /= 10
            } while v > 0
            if i < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(24 - n)...]))
        }
    }

    /// Appends `{"key":value,…}`.
    public static func appendObject(_ fields: [(String, JSONValue)], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(k, to: &out)
            out.append(UInt8(ascii: ":"))
            v.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Shortest round-trip form for finite doubles; integral values keep a `.0`.
    public static func formatDouble(_ d: Double) -> String {
        if !d.isFinite { return "null" }
        return "\(d)"
    }
}
