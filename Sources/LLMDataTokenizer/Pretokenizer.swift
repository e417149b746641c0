import CPCRE2
import Foundation

/// The split patterns of the byte-level BPE families, exactly as tiktoken defines them
/// (possessive quantifiers, `\p{L}`/`\p{N}`, case-insensitive contractions, `\s+(?!\S)`).
public enum SplitPattern: String, CaseIterable, Sendable {
    case gpt2, cl100k, o200k

    public var regex: String {
        switch self {
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .o200k:
            return [
                #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
                #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
                #"\p{N}{1,3}"#,
                #" ?[^\s\p{L}\p{N}]+[\r\n/]*"#,
                #"\s*[\r\n]+"#,
                #"\s+(?!\S)"#,
                #"\s+"#,
            ].joined(separator: "|")
        }
    }
}

/// Splits UTF-8 text into pieces with a regex compiled by PCRE2 with its JIT. `$` means the end
/// of the text only (as in Rust's regex and Python's `regex` without MULTILINE), `\s` is Unicode
/// white space. One instance per thread (it owns its match data).
public final class Pretokenizer {
    let code: OpaquePointer
    let matchData: OpaquePointer
    public let pattern: String

    public init(regex: String) throws {
        pattern = regex
        var err: Int32 = 0
        var errOff: Int = 0
        let options = UInt32(PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_UTF_CHECK)
        let c = regex.withCString { p in
            pcre2_compile_8(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), Int(strlen(p)), options, &err, &errOff, nil)
        }
        guard let c else {
            var buf = [UInt8](repeating: 0, count: 256)
            _ = pcre2_get_error_message_8(err, &buf, 256)
            throw TokenizerError("cannot compile split pattern at offset \(errOff): \(String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self))")
        }
        code = c
        let jit = pcre2_jit_compile_8(c, UInt32(PCRE2_JIT_COMPLETE))
        if jit != 0 { throw TokenizerError("PCRE2 JIT is not available (\(jit))") }
        matchData = pcre2_match_data_create_from_pattern_8(c, nil)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_code_free_8(code)
    }

    /// Calls `body(start, end)` for every piece of `text`, in order. Bytes the pattern does not
    /// match (none of the shipped patterns leave gaps) are reported as pieces of their own.
    @inline(__always)
    public func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        let n = text.count
        var pos = 0
        let ov = pcre2_get_ovector_pointer_8(matchData)!
        while pos < n {
            let rc = pcre2_jit_match_8(code, base, n, pos, 0, matchData, nil)
            if rc < 0 {
                body(pos, n)
                return
            }
            let s = ov[0], e = ov[1]
            if s > pos { body(pos, s) }
            if e == s {
                // an empty match cannot advance: take one character as its own piece
                var next = s + 1
                while next < n && base[next] & 0xC0 == 0x80 { next += 1 }
                body(s, next)
                pos = next
                continue
            }
            body(s, e)
            pos = e
        }
    }

    /// The pieces as byte arrays (tests and tools).
    public func pieces(_ text: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var t = text
        t.withUTF8 { buf in split(buf) { s, e in out.append(Array(buf[s..<e])) } }
        return out
    }
}

public struct TokenizerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
