import CICUShim
import CTextKernels
import CXXHash
import LLMDataCore

/// Options of the key normalization that dedup applies before hashing (docs/dedup.md).
public struct KeyOptions: Sendable {
    /// Map every decimal digit to 0 (so pages that differ only in dates or counters match).
    public var digitsToZero = false
    public init() {}
}

/// Builds the dedup key of a text: NFKC_Casefold (ICU; ASCII is lower-cased directly), Unicode
/// punctuation (P*) and symbols (S*) removed, every run of white space and control characters
/// collapsed to one space, trimmed; optionally digits → 0. One per thread.
public final class KeyNormalizer {
    let options: KeyOptions
    let casefold: OpaquePointer
    static let classes: [UInt8] = {
        // 0 keep, 1 drop (punctuation/symbol), 2 space (white space, controls, format)
        var t = [UInt8](repeating: 0, count: 0x10000)
        for cp in 0..<0x10000 {
            switch llm_icu_char_type(UInt32(cp)) {
            case 19, 20, 21, 22, 23, 28, 29, 24, 25, 26, 27: t[cp] = 1  // P* and S*
            case 12, 13, 14, 15, 16: t[cp] = 2  // Z*, Cc, Cf
            default: t[cp] = 0
            }
        }
        for cp in [9, 10, 11, 12, 13] { t[cp] = 2 }
        return t
    }()
    public private(set) var key: [UInt8] = []
    let table: [UInt8] = KeyNormalizer.classes

    public init(options: KeyOptions) throws {
        self.options = options
        guard let n = llm_normalizer_new(Int32(LLM_FORM_NFKC_CASEFOLD), 0) else {
            throw LLMDataError("ICU NFKC_Casefold is not available")
        }
        casefold = n
    }

    deinit { llm_normalizer_free(casefold) }

    @inline(__always) func classOf(_ cp: UInt32) -> UInt8 {
        if cp < 0x10000 { return table[Int(cp)] }
        let t = llm_icu_char_type(cp)
        if (19...29).contains(t) { return 1 }
        return 0
    }

    /// The key of `text` (valid UTF-8), left in `key`.
    public func normalize(_ text: UnsafeBufferPointer<UInt8>) {
        key.removeAll(keepingCapacity: true)
        key.reserveCapacity(text.count)
        if llm_is_ascii(text.baseAddress, text.count) != 0 {
            // written in place, without zero-filling first
            var pending: Int32 = 0
            let digits: Int32 = options.digitsToZero ? 1 : 0
            key = [UInt8](unsafeUninitializedCapacity: text.count + 1) { buf, count in
                count = llm_key_ascii(text.baseAddress, text.count, buf.baseAddress, 0, digits, &pending)
            }
        } else {
            var out: UnsafePointer<UInt8>? = nil
            let n = llm_normalize_utf8(casefold, text.baseAddress, text.count, &out)
            if n >= 0 {
                let folded = Array(UnsafeBufferPointer(start: out, count: Int(n)))
                folded.withUnsafeBufferPointer { pass($0, lower: false) }
            } else {
                pass(text, lower: false)
            }
        }
        if key.last == 0x20 { key.removeLast() }
    }

    private func pass(_ t: UnsafeBufferPointer<UInt8>, lower: Bool) {
        let n = t.count
        let old = key.count
        key.append(contentsOf: repeatElement(0, count: n + 1))
        var o = old
        var pendingSpace = false
        let digits = options.digitsToZero
        key.withUnsafeMutableBufferPointer { kb in
            let dst = kb.baseAddress!
            table.withUnsafeBufferPointer { tab in
                var i = 0
                while i < n {
                    let b = t[i]
                    if b >= 0x61 && b <= 0x7A && !pendingSpace {
                        // lower-case ASCII letters: the common case
                        dst[o] = b
                        o += 1
                        i += 1
                        continue
                    }
                    if b < 0x80 {
                        let cls = tab[Int(b)]
                        if cls == 2 {
                            pendingSpace = true
                        } else if cls == 0 {
                            if pendingSpace && o > 0 { dst[o] = 0x20; o += 1 }
                            pendingSpace = false
                            var c = b
                            if lower && c >= 0x41 && c <= 0x5A { c |= 0x20 }
                            if digits && c >= 0x30 && c <= 0x39 { c = 0x30 }
                            dst[o] = c
                            o += 1
                        }
                        i += 1
                        continue
                    }
                    var len = 2
                    var cp: UInt32
                    if b < 0xE0 { cp = UInt32(b & 0x1F) << 6 | UInt32(t[i + 1] & 0x3F) }
                    else if b < 0xF0 { cp = UInt32(b & 0x0F) << 12 | UInt32(t[i + 1] & 0x3F) << 6 | UInt32(t[i + 2] & 0x3F); len = 3 }
                    else { cp = UInt32(b & 0x07) << 18 | UInt32(t[i + 1] & 0x3F) << 12 | UInt32(t[i + 2] & 0x3F) << 6 | UInt32(t[i + 3] & 0x3F); len = 4 }
                    let cls = cp < 0x10000 ? tab[Int(cp)] : classOf(cp)
                    if cls == 2 {
                        pendingSpace = true
                    } else if cls == 0 {
                        if pendingSpace && o > 0 { dst[o] = 0x20; o += 1 }
                        pendingSpace = false
                        for k in 0..<len { dst[o + k] = t[i + k] }
                        o += len
                    }
                    i += len
                }
            }
        }
        key.removeLast(key.count - o)
    }

    /// XXH3-128 of the current key.
    public func hash128() -> (UInt64, UInt64) {
        let h = key.withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
        return (h.high64, h.low64)
    }
}

public func hex128(_ h: (UInt64, UInt64)) -> String {
    let a = String(h.0, radix: 16), b = String(h.1, radix: 16)
    return String(repeating: "0", count: 16 - a.count) + a + String(repeating: "0", count: 16 - b.count) + b
}
