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

    deinit {
        llm_normalizer_free(casefold)
        mbuf.deallocate()
    }

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
        } else if !KeyNormalizer.asciiAgrees || !mixed(text) {
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

    /// The ASCII kernel's classes (letters and digits kept, <= 0x20 and 0x7F space, the rest
    /// dropped) are the table's for every ASCII byte (checked once; otherwise `mixed` is not used).
    static let asciiAgrees: Bool = {
        for b in 0..<128 {
            let letterOrDigit = (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
            let want: UInt8 = letterOrDigit ? 0 : (b <= 0x20 || b == 0x7F) ? 2 : 1
            if classes[b] != want { return false }
        }
        return true
    }()

    var mbuf = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
    var mcap = 1 << 16

    @inline(__always) func reserve(_ need: Int) {
        if need <= mcap { return }
        var c = mcap
        while c < need { c *= 2 }
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        nb.update(from: mbuf, count: mcap)
        mbuf.deallocate()
        mbuf = nb
        mcap = c
    }

    /// Text with some non-ASCII: NFKC_Casefold is applied only around the non-ASCII runs and the
    /// ASCII between them goes straight through the ASCII kernel (which lower-cases, as the case
    /// fold does). Exact because every ASCII character has a normalization boundary before it (no
    /// ASCII character combines with what precedes it), so normalizing pieces that start at ASCII
    /// characters and concatenating equals normalizing the whole; each piece starts one ASCII
    /// character before its non-ASCII run (that character may combine with a following mark:
    /// e + U+0301). Measured on the dedup benchmark: the whole-text ICU pass plus the Swift key
    /// pass were ~14% of minhash time and ~25% of exact mode's. Returns false (key untouched) when
    /// ICU fails, so the caller takes the whole-text path.
    private func mixed(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let src = text.baseAddress!
        let n = text.count
        let digits: Int32 = options.digitsToZero ? 1 : 0
        var o = 0
        var pending: Int32 = 0
        var i = 0
        reserve(n + 1)
        return table.withUnsafeBufferPointer { tab -> Bool in
            while i < n {
                let j = i + llm_ascii_span(src + i, n - i, 1)
                // the piece to normalize starts one ASCII character before the non-ASCII run
                let pieceStart = j == n ? n : (j > i ? j - 1 : j)
                if pieceStart > i {
                    reserve(o + (pieceStart - i) + 1)
                    o += llm_key_ascii(src + i, pieceStart - i, mbuf, o, digits, &pending)
                }
                if j == n { break }
                // the piece ends before an ASCII character; short ASCII gaps between non-ASCII runs
                // stay in the piece (fewer ICU calls)
                var k = j + llm_ascii_span(src + j, n - j, 0)
                while k < n {
                    let gap = llm_ascii_span(src + k, n - k, 1)
                    if gap >= 16 || k + gap == n { break }
                    k += gap
                    k += llm_ascii_span(src + k, n - k, 0)
                }
                var out: UnsafePointer<UInt8>? = nil
                let m = llm_normalize_utf8(casefold, src + pieceStart, k - pieceStart, &out)
                if m < -1 { return false }
                let piece = m >= 0 ? out! : UnsafePointer(src + pieceStart)
                let len = m >= 0 ? Int(m) : k - pieceStart
                var r = 0
                while r < len {
                    reserve(o + (len - r) + 1)
                    var p = Int32(pending)
                    r += llm_key_utf8_pass(piece + r, len - r, mbuf, &o, &p, tab.baseAddress, digits)
                    pending = p
                    if r < len {
                        // a 4-byte sequence: a supplementary code point (drop or keep)
                        let cp = UInt32(piece[r] & 0x07) << 18 | UInt32(piece[r + 1] & 0x3F) << 12
                            | UInt32(piece[r + 2] & 0x3F) << 6 | UInt32(piece[r + 3] & 0x3F)
                        if classOf(cp) == 0 {
                            if pending != 0 && o > 0 { mbuf[o] = 0x20; o += 1 }
                            pending = 0
                            for q in 0..<4 { mbuf[o + q] = piece[r + q] }
                            o += 4
                        }
                        r += 4
                    }
                }
                i = k
            }
            key = Array(UnsafeBufferPointer(start: mbuf, count: o))
            return true
        }
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
