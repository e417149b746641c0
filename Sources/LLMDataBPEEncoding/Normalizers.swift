// The normalizers of a HF tokenizer.json that the encoder reproduces, as HF tokenizers applies
// them: to each stretch of text between the added tokens that are matched before normalization.

import CICUShim
import Foundation

/// One normalizer step, as read from a tokenizer.json (`Sequence`s are flattened).
public enum NormalizerStep: Sendable, Equatable {
    /// ICU forms: NFC, NFD, NFKC, NFKD.
    case unicode(String)
    case lowercase
    /// `Replace` with a string pattern: every non-overlapping occurrence, leftmost first.
    case replaceString([UInt8], with: [UInt8])
    /// `Replace` with a regex pattern (PCRE2 here, Oniguruma in HF).
    case replaceRegex(String, with: [UInt8])
    /// `Prepend`: added before a non-empty text.
    case prepend([UInt8])
    /// `Strip`: White_Space removed at the start and/or the end.
    case strip(left: Bool, right: Bool)

    public var name: String {
        switch self {
        case .unicode(let f): return f
        case .lowercase: return "Lowercase"
        case .replaceString, .replaceRegex: return "Replace"
        case .prepend: return "Prepend"
        case .strip: return "Strip"
        }
    }

    /// The steps of a tokenizer.json `normalizer` object; unsupported types are refused by name.
    static func parse(_ json: Any?, path: String) throws -> [NormalizerStep] {
        guard let json, !(json is NSNull) else { return [] }
        guard let n = json as? [String: Any], let type = n["type"] as? String else {
            throw TokenizerError("\(path): normalizer is not an object with a \"type\"")
        }
        switch type {
        case "Sequence":
            return try (n["normalizers"] as? [Any] ?? []).flatMap { try parse($0, path: path) }
        case "NFC", "NFD", "NFKC", "NFKD":
            return [.unicode(type)]
        case "Lowercase":
            return [.lowercase]
        case "Prepend":
            guard let s = n["prepend"] as? String else { throw TokenizerError("\(path): normalizer Prepend has no \"prepend\" string") }
            return [.prepend(Array(s.utf8))]
        case "Strip":
            return [.strip(left: n["strip_left"] as? Bool ?? true, right: n["strip_right"] as? Bool ?? true)]
        case "Replace":
            let content = Array((n["content"] as? String ?? "").utf8)
            guard let p = n["pattern"] as? [String: Any] else { throw TokenizerError("\(path): normalizer Replace has no pattern") }
            if let s = p["String"] as? String {
                if s.isEmpty { throw TokenizerError("\(path): normalizer Replace with an empty String pattern is not supported") }
                return [.replaceString(Array(s.utf8), with: content)]
            }
            if let r = p["Regex"] as? String { return [.replaceRegex(try RegexHandle.fromOniguruma(r, path: path, what: "normalizer Replace"), with: content)] }
            throw TokenizerError("\(path): normalizer Replace pattern is neither String nor Regex")
        default:
            throw TokenizerError("\(path): normalizer \(type) is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Strip, Sequence)")
        }
    }
}

/// The per-encoder state of a list of normalizer steps (ICU handles, compiled regexes, buffers).
final class NormalizerRunner {
    enum Compiled {
        case icu(OpaquePointer)
        case lowercase
        case replaceString([UInt8], [UInt8])
        case replaceRegex(OpaquePointer, OpaquePointer, [UInt8])  // llm_re, llm_re_ctx
        case prepend([UInt8])
        case strip(Bool, Bool)
    }

    let steps: [Compiled]
    var a: [UInt8] = []
    var b: [UInt8] = []

    init(_ specs: [NormalizerStep]) throws {
        var out: [Compiled] = []
        for s in specs {
            switch s {
            case .unicode(let f):
                let form: Int32 = ["NFC": LLM_FORM_NFC, "NFKC": LLM_FORM_NFKC, "NFD": LLM_FORM_NFD, "NFKD": LLM_FORM_NFKD][f].map { Int32($0) } ?? -1
                guard let n = llm_normalizer_new(form, 0) else { throw TokenizerError("ICU \(f) normalizer unavailable") }
                out.append(.icu(n))
            case .lowercase: out.append(.lowercase)
            case .replaceString(let p, let c): out.append(.replaceString(p, c))
            case .replaceRegex(let r, let c):
                let (re, ctx) = try RegexHandle.compile(r)
                out.append(.replaceRegex(re, ctx, c))
            case .prepend(let p): out.append(.prepend(p))
            case .strip(let l, let r): out.append(.strip(l, r))
            }
        }
        steps = out
    }

    deinit {
        for s in steps {
            switch s {
            case .icu(let n): llm_normalizer_free(n)
            case .replaceRegex(let re, let ctx, _): RegexHandle.free(re, ctx)
            default: break
            }
        }
    }

    var isEmpty: Bool { steps.isEmpty }

    /// Normalizes `text` and calls `body` with the result (which may be `text` itself).
    func normalize<R>(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if steps.isEmpty { return body(text) }
        a.removeAll(keepingCapacity: true)
        a.append(contentsOf: text)
        for s in steps {
            b.removeAll(keepingCapacity: true)
            let changed: Bool = a.withUnsafeBufferPointer { apply(s, $0, into: &b) }
            if changed { swap(&a, &b) }
        }
        return a.withUnsafeBufferPointer(body)
    }

    /// Writes the result into `out` and returns true, or returns false when `t` is unchanged.
    func apply(_ s: Compiled, _ t: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        switch s {
        case .icu(let n):
            var res: UnsafePointer<UInt8>? = nil
            let k = llm_normalize_utf8(n, t.baseAddress, t.count, &res)
            if k < 0 { return false }
            out.append(contentsOf: UnsafeBufferPointer(start: res, count: Int(k)))
            return true
        case .lowercase:
            var i = 0
            var changed = false
            out.reserveCapacity(t.count)
            while i < t.count {
                let c = t[i]
                if c < 0x80 {
                    if c >= 0x41 && c <= 0x5A { out.append(c | 0x20); changed = true } else { out.append(c) }
                    i += 1
                    continue
                }
                let (scalar, len) = UTF8Scan.decode(t, i)
                let lower = scalar.properties.lowercaseMapping
                if lower.unicodeScalars.count == 1 && lower.unicodeScalars.first! == scalar {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: t[i..<(i + len)]))
                } else {
                    out.append(contentsOf: lower.utf8)
                    changed = true
                }
                i += len
            }
            return changed
        case .replaceString(let p, let c):
            guard t.count >= p.count else { return false }
            var i = 0, start = 0
            var changed = false
            let first = p[0]
            while i + p.count <= t.count {
                if t[i] == first && (p.count == 1 || memcmp(t.baseAddress! + i, p, p.count) == 0) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: t[start..<i]))
                    out.append(contentsOf: c)
                    i += p.count
                    start = i
                    changed = true
                } else {
                    i += 1
                }
            }
            if !changed { return false }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[start...]))
            return true
        case .replaceRegex(_, let ctx, let c):
            var changed = false
            var start = 0
            RegexHandle.forEachMatch(ctx, t) { ms, me in
                out.append(contentsOf: UnsafeBufferPointer(rebasing: t[start..<ms]))
                out.append(contentsOf: c)
                start = me
                changed = true
            }
            if !changed { return false }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[start...]))
            return true
        case .prepend(let p):
            if t.isEmpty { return false }
            out.append(contentsOf: p)
            out.append(contentsOf: t)
            return true
        case .strip(let left, let right):
            var s = 0, e = t.count
            if left {
                while s < e {
                    let (u, len) = UTF8Scan.decode(t, s)
                    if !u.properties.isWhitespace { break }
                    s += len
                }
            }
            if right {
                while e > s {
                    var k = e - 1
                    while k > s && t[k] & 0xC0 == 0x80 { k -= 1 }
                    let (u, _) = UTF8Scan.decode(t, k)
                    if !u.properties.isWhitespace { break }
                    e = k
                }
            }
            if s == 0 && e == t.count { return false }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[s..<e]))
            return true
        }
    }
}

/// UTF-8 decoding on valid text.
enum UTF8Scan {
    @inline(__always) static func length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// The scalar at `i` and its length in bytes (U+FFFD, 1 for a stray byte).
    @inline(__always) static func decode(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Unicode.Scalar, Int) {
        let (v, n) = value(t, i)
        return (Unicode.Scalar(v) ?? "\u{FFFD}", n)
    }

    @inline(__always) static func value(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let c = t[i]
        if c < 0x80 { return (UInt32(c), 1) }
        let n = length(c)
        guard i + n <= t.count, c >= 0xC0 else { return (0xFFFD, 1) }
        var v = UInt32(c) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
        for k in 1..<n { v = v << 6 | UInt32(t[i + k] & 0x3F) }
        return (v, n)
    }
}
