import CICUShim
import CTextKernels
import Glibc
import LLMDataCore

/// Character classes the cleaner needs, from ICU's general category.
enum CharClass: UInt8 {
    case other = 0
    /// Cc/Cf to remove (U+200C/U+200D excepted unless joiners are stripped).
    case remove = 1
    /// Zs: horizontal space.
    case space = 2
    /// U+0085, U+2028, U+2029, VT, FF, CR: line breaks that become `\n`.
    case newline = 3
    case joiner = 4
}

final class CharTable: @unchecked Sendable {
    static let shared = CharTable()
    /// Classes of the BMP; supplementary planes are asked of ICU directly.
    let bmp: [UInt8]

    init() {
        var t = [UInt8](repeating: 0, count: 0x10000)
        for cp in 0..<0x10000 {
            t[cp] = Self.classify(UInt32(cp)).rawValue
        }
        bmp = t
    }

    static func classify(_ cp: UInt32) -> CharClass {
        switch cp {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029: return .newline
        case 0x09: return .space
        case 0x200C, 0x200D: return .joiner
        default: break
        }
        switch llm_icu_char_type(cp) {
        case 15, 16: return .remove  // U_CONTROL_CHAR, U_FORMAT_CHAR
        case 12: return .space  // U_SPACE_SEPARATOR
        default: return .other
        }
    }

    @inline(__always)
    func of(_ cp: UInt32) -> CharClass {
        if cp < 0x10000 { return CharClass(rawValue: bmp[Int(cp)])! }
        return Self.classify(cp)
    }
}

/// Removes control and format characters, collapses runs of horizontal space, trims each
/// line's trailing space, keeps at most one blank line in a row and trims blank lines at both
/// ends. Works on UTF-8 bytes; returns nil when nothing changes.
struct Cleaner {
    let table = CharTable.shared
    let keepJoiners: Bool
    let collapseIndent: Bool

    init(options: NormalizeOptions) {
        keepJoiners = options.keepJoiners
        collapseIndent = options.collapseIndent
    }

    mutating func clean(_ t: UnsafeBufferPointer<UInt8>, counters: inout Counters) -> [UInt8]? {
        let n = t.count
        var removed = 0
        // Output is built in a raw buffer: it never exceeds the input's size.
        let dst = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, 1))
        defer { dst.deallocate() }
        var o = 0
        var pendingNewlines = 0
        var wsStart = -1          // offset in t of the first pending horizontal-space char
        var wsChars = 0           // number of pending space characters
        var wsContiguous = true   // pending run has no removed characters inside
        var atLineStart = true
        var anyContent = false
        var i = 0
        guard let src = t.baseAddress else { return nil }
        while i < n {
            let b = src[i]
            if b >= 0x21 && b < 0x7F && pendingNewlines == 0 && wsChars == 0 {
                // Fast path: a run of printable ASCII with single spaces between words is copied
                // as it is. Most web text is this.
                let j = i + llm_simple_ascii_prefix(src + i, n - i)
                (dst + o).update(from: src + i, count: j - i)
                o += j - i
                i = j
                anyContent = true
                atLineStart = false
                continue
            }
            var len = 1
            var cls: CharClass
            if b >= 0x21 && b < 0x7F {
                cls = .other
            } else if b < 0x80 {
                switch b {
                case 0x20, 0x09: cls = .space
                case 0x0A, 0x0B, 0x0C: cls = .newline
                case 0x0D:
                    cls = .newline
                    if i + 1 < n && src[i + 1] == 0x0A { len = 2 }
                default: cls = .remove
                }
            } else {
                var cp: UInt32
                if b < 0xE0 {
                    cp = UInt32(b & 0x1F) << 6 | UInt32(src[i + 1] & 0x3F); len = 2
                } else if b < 0xF0 {
                    cp = UInt32(b & 0x0F) << 12 | UInt32(src[i + 1] & 0x3F) << 6 | UInt32(src[i + 2] & 0x3F); len = 3
                } else {
                    cp = UInt32(b & 0x07) << 18 | UInt32(src[i + 1] & 0x3F) << 12 | UInt32(src[i + 2] & 0x3F) << 6 | UInt32(src[i + 3] & 0x3F); len = 4
                }
                cls = table.of(cp)
                if cls == .joiner { cls = keepJoiners ? .other : .remove }
            }
            switch cls {
            case .other, .joiner:
                if pendingNewlines > 0 {
                    if anyContent {
                        let k = min(pendingNewlines, 2)
                        for _ in 0..<k { dst[o] = 0x0A; o += 1 }
                    }
                    pendingNewlines = 0
                }
                if wsChars > 0 {
                    if atLineStart && !collapseIndent && wsContiguous {
                        // indentation is kept as it is
                        let wsLen = i - wsStart
                        (dst + o).update(from: src + wsStart, count: wsLen)
                        o += wsLen
                    } else if wsChars == 1 && wsContiguous {
                        let wsLen = i - wsStart
                        (dst + o).update(from: src + wsStart, count: wsLen)
                        o += wsLen
                    } else {
                        dst[o] = 0x20
                        o += 1
                    }
                    wsChars = 0
                }
                if len == 1 {
                    dst[o] = b
                } else {
                    (dst + o).update(from: src + i, count: len)
                }
                o += len
                anyContent = true
                atLineStart = false
            case .space:
                if wsChars == 0 { wsStart = i; wsContiguous = true }
                wsChars += 1
            case .newline:
                pendingNewlines += 1
                wsChars = 0
                atLineStart = true
            case .remove:
                removed += 1
                if wsChars > 0 { wsContiguous = false }
            }
            i += len
        }
        if removed > 0 { counters.add("control_chars_removed", removed) }
        if o == n && memcmp(dst, src, n) == 0 { return nil }
        return Array(UnsafeBufferPointer(start: dst, count: o))
    }
}
