// The pre-tokenizers of a HF tokenizer.json that the encoder reproduces. HF keeps a list of
// pieces; each pre-tokenizer splits every piece of the list the previous one left (a `Sequence`
// applies its steps in turn), pieces that come out empty are dropped, and the model encodes each
// final piece by itself. Here the steps run depth first over byte ranges of the text: a piece is
// split by step k into ranges kept in step k's buffer, and each range goes on to step k+1 before
// the next one, so nothing is allocated per piece.

import CPCRE2Shim
import Foundation
import LLMDataBPETraining

/// HF's `SplitDelimiterBehavior`.
public enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious",
         mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

/// What a split step looks for.
public enum SplitMatcher: Sendable, Equatable {
    /// A regular expression (PCRE2 here; Oniguruma in HF), leftmost matches in turn.
    case regex(String)
    /// A string, every non-overlapping occurrence.
    case literal([UInt8])
    /// Every character of a class (PCRE2 class syntax) is a match by itself: HF's char predicates
    /// (`Digits`' is_numeric, `Punctuation`, `WhitespaceSplit`'s is_whitespace).
    case eachChar(String)
    /// A regex that is one character class with a quantifier (`\p{N}{1,3}`, `[一-龥]+`): a match
    /// is min(run, max) characters of a run of at least `min` of the class. Found by a scan over
    /// the bytes with the class of each code point looked up (ASCII precomputed, others cached).
    case classRun(String, min: Int, max: Int)
}

public enum PrependScheme: String, Sendable { case first, always, never }

public enum PreTokenizerStep: Sendable, Equatable {
    case split(SplitMatcher, SplitBehavior, invert: Bool)
    /// Byte-level (GPT-2 mapping; the vocabulary holds bytes): a space before a piece that does
    /// not start with one, then (use_regex) GPT-2's split, Isolated. Always the last step.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Metaspace`: spaces become `replacement`, which is put before the piece as the scheme
    /// says, then (split) the piece is split before every `replacement` (MergedWithNext).
    case metaspace(replacement: [UInt8], prepend: PrependScheme, split: Bool)

    public var name: String {
        switch self {
        case .split: return "Split"
        case .byteLevel: return "ByteLevel"
        case .metaspace: return "Metaspace"
        }
    }
}

/// The White_Space property as a PCRE2 class body (`\s` in Oniguruma and Rust's regex).
let whiteSpaceClass = PreTokenizer.whiteSpace
/// Rust regex's Unicode `\w` (UTS #18): Alphabetic, marks, decimal numbers, connector
/// punctuation, Join_Control.
let wordClass = #"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}"#

extension PreTokenizerStep {
    /// The steps of a tokenizer.json `pre_tokenizer`; unsupported types are refused by name.
    static func parse(_ json: Any?, path: String) throws -> [PreTokenizerStep] {
        guard let json, !(json is NSNull) else { return [] }
        guard let p = json as? [String: Any], let type = p["type"] as? String else {
            throw TokenizerError("\(path): pre_tokenizer is not an object with a \"type\"")
        }
        func behavior(_ d: String) throws -> SplitBehavior {
            let b = p["behavior"] as? String ?? d
            guard let v = SplitBehavior(rawValue: b) else { throw TokenizerError("\(path): pre-tokenizer \(type) behavior \(b) is not supported") }
            return v
        }
        switch type {
        case "Sequence":
            return try (p["pretokenizers"] as? [Any] ?? []).flatMap { try parse($0, path: path) }
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: p["add_prefix_space"] as? Bool ?? true, useRegex: p["use_regex"] as? Bool ?? true)]
        case "Split":
            let b = try behavior("Isolated")
            let invert = p["invert"] as? Bool ?? false
            guard let pat = p["pattern"] as? [String: Any] else { throw TokenizerError("\(path): pre-tokenizer Split has no pattern") }
            if let s = pat["String"] as? String {
                if s.isEmpty { throw TokenizerError("\(path): pre-tokenizer Split with an empty String pattern is not supported") }
                return [.split(.literal(Array(s.utf8)), b, invert: invert)]
            }
            guard let onig = pat["Regex"] as? String else { throw TokenizerError("\(path): pre-tokenizer Split pattern is neither String nor Regex") }
            let r = try RegexHandle.fromOniguruma(onig, path: path, what: "pre-tokenizer Split")
            if let (cls, lo, hi) = classRun(r) { return [.split(.classRun(cls, min: lo, max: hi), b, invert: invert)] }
            return [.split(.regex(r), b, invert: invert)]
        case "Digits":
            let individual = p["individual_digits"] as? Bool ?? false
            return [.split(.eachChar(#"\p{N}"#), individual ? .isolated : .contiguous, invert: false)]
        case "Punctuation":
            // Rust's char::is_ascii_punctuation or is_punctuation (general category P)
            return [.split(.eachChar(#"[\p{P}!-/:-@\[-`{-~]"#), try behavior("Isolated"), invert: false)]
        case "WhitespaceSplit":
            return [.split(.eachChar("[" + whiteSpaceClass + "]"), .removed, invert: false)]
        case "Whitespace":
            // \w+|[^\w\s]+, the matches kept (Removed, inverted)
            return [.split(.regex("[\(wordClass)]+|[^\(wordClass)\(whiteSpaceClass)]+"), .removed, invert: true)]
        case "Metaspace":
            let rep = p["replacement"] as? String ?? "\u{2581}"
            guard rep.unicodeScalars.count == 1 else { throw TokenizerError("\(path): pre-tokenizer Metaspace replacement must be one character") }
            var scheme = PrependScheme.always
            if let s = p["prepend_scheme"] as? String {
                guard let v = PrependScheme(rawValue: s) else { throw TokenizerError("\(path): pre-tokenizer Metaspace prepend_scheme \(s) is not supported") }
                scheme = v
            } else if let add = p["add_prefix_space"] as? Bool {
                scheme = add ? .always : .never
            }
            return [.metaspace(replacement: Array(rep.utf8), prepend: scheme, split: p["split"] as? Bool ?? true)]
        default:
            throw TokenizerError("\(path): pre-tokenizer \(type) is not supported (supported: ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Sequence)")
        }
    }

    /// `CLASS{m,n}`, `CLASS+`, `CLASS{m,}`, `CLASS{m}` with one class (`[...]`, `\p{..}`,
    /// `\P{..}`, `\d`, `\w`) and m ≥ 1: (class, min, max), else nil.
    static func classRun(_ r: String) -> (String, Int, Int)? {
        let s = Array(r.unicodeScalars)
        var i = 0
        if s.first == "[" {
            i = 1
            if i < s.count && s[i] == "^" { i += 1 }
            if i < s.count && s[i] == "]" { i += 1 }
            while i < s.count && s[i] != "]" {
                if s[i] == "\\" { i += 2; continue }
                if s[i] == "[" { return nil }  // nested classes, POSIX classes: not here
                i += 1
            }
            guard i < s.count else { return nil }
            i += 1
        } else if s.count >= 2 && s[0] == "\\" && (s[1] == "p" || s[1] == "P") {
            guard let close = s.firstIndex(of: "}"), s.count > 2, s[2] == "{" else { return nil }
            i = close + 1
        } else if s.count >= 2 && s[0] == "\\" && (s[1] == "d" || s[1] == "w") {
            i = 2
        } else {
            return nil
        }
        let cls = String(String.UnicodeScalarView(s[0..<i]))
        let q = String(String.UnicodeScalarView(s[i...]))
        if q == "+" { return (cls, 1, Int.max) }
        guard q.hasPrefix("{"), q.hasSuffix("}") else { return nil }
        let body = q.dropFirst().dropLast()
        let parts = body.split(separator: ",", omittingEmptySubsequences: false)
        guard let lo = Int(parts[0]), lo >= 1 else { return nil }
        if parts.count == 1 { return (cls, lo, lo) }
        guard parts.count == 2 else { return nil }
        if parts[1].isEmpty { return (cls, lo, Int.max) }
        guard let hi = Int(parts[1]), hi >= lo else { return nil }
        return (cls, lo, hi)
    }
}

/// A compiled PCRE2 regex and one match context (per encoder).
enum RegexHandle {
    /// `\s` / `\S` spelled out as White_Space classes: the pre-tokenizer's own rewriting.
    static func pcreForm(_ pattern: String) -> String { PreTokenizer.pcreForm(pattern) }

    /// An Oniguruma pattern (HF's regexes) in PCRE2 terms: `\uHHHH` as `\x{HHHH}`. Patterns
    /// that use `\w`, `\W`, `\b` or `\B` are refused: Oniguruma's word characters (HF) and
    /// PCRE2's differ on characters such as ² or Ⅸ, so such a pattern could split some texts
    /// differently without any sign.
    static func fromOniguruma(_ pattern: String, path: String, what: String) throws -> String {
        var escaped = false
        for c in pattern.unicodeScalars {
            if escaped, "wWbB".unicodeScalars.contains(c) {
                throw TokenizerError("\(path): \(what) regex \(pattern.debugDescription) uses \\\(c), which Oniguruma (HF tokenizers) and PCRE2 define differently for some characters: not supported")
            }
            escaped = !escaped && c == "\\"
        }
        guard pattern.contains("\\u") else { return pattern }
        var out = ""
        let s = Array(pattern.unicodeScalars)
        var i = 0
        while i < s.count {
            if s[i] == "\\", i + 1 < s.count {
                if s[i + 1] == "u", i + 5 < s.count, s[(i + 2)...(i + 5)].allSatisfy({ $0.properties.isASCIIHexDigit }) {
                    out += "\\x{" + String(String.UnicodeScalarView(s[(i + 2)...(i + 5)])) + "}"
                    i += 6
                    continue
                }
                out.unicodeScalars.append(s[i])
                out.unicodeScalars.append(s[i + 1])
                i += 2
                continue
            }
            out.unicodeScalars.append(s[i])
            i += 1
        }
        return out
    }

    static func compile(_ pattern: String) throws -> (OpaquePointer, OpaquePointer) {
        var err = [CChar](repeating: 0, count: 256)
        guard let re = llm_re_compile(pcreForm(pattern), &err, err.count) else {
            throw TokenizerError("regex \(pattern.debugDescription) does not compile: \(String(cString: err))")
        }
        return (re, llm_re_ctx_new(re))
    }

    static func free(_ re: OpaquePointer, _ ctx: OpaquePointer) {
        llm_re_ctx_free(ctx)
        llm_re_free(re)
    }

    /// Every match, leftmost first, as Oniguruma's find_iter gives them: after an empty match the
    /// search goes on one character later, and an empty match right where the previous match
    /// ended is skipped.
    @inline(__always)
    static func forEachMatch(_ ctx: OpaquePointer, _ t: UnsafeBufferPointer<UInt8>, from: Int = 0, _ body: (Int, Int) -> Void) {
        guard let base = t.baseAddress else { return }
        var pos = from
        var lastEnd = -1
        var ms = 0, me = 0
        while pos <= t.count {
            let rc = llm_re_find(ctx, base, t.count, pos, &ms, &me)
            if rc <= 0 { return }
            if me == ms {
                if ms != lastEnd { body(ms, me) }
                lastEnd = me
                if ms >= t.count { return }
                pos = ms + UTF8Scan.length(t[ms])
                continue
            }
            body(ms, me)
            lastEnd = me
            pos = me
        }
    }
}

/// Membership of code points in a character class: ASCII precomputed, the others asked of PCRE2
/// once and kept (0 unknown, 1 no, 2 yes) in a table that is zero until touched.
final class CharClass {
    let re: OpaquePointer
    let ctx: OpaquePointer
    var ascii = [Bool](repeating: false, count: 128)
    let table: UnsafeMutablePointer<UInt8>
    let memory: HugePageMemory

    init(_ cls: String) throws {
        (re, ctx) = try RegexHandle.compile("(?:" + cls + ")")
        memory = HugePageMemory(bytes: 0x110000)
        table = memory.base.bindMemory(to: UInt8.self, capacity: 0x110000)
        for c in 0..<128 { ascii[c] = ask(UInt32(c)) }
    }

    deinit { RegexHandle.free(re, ctx) }

    func ask(_ cp: UInt32) -> Bool {
        guard let u = Unicode.Scalar(cp) else { return false }
        var b = Array(String(Character(u)).utf8)
        var ms = 0, me = 0
        let rc = llm_re_find(ctx, &b, b.count, 0, &ms, &me)
        return rc == 1 && ms == 0 && me == b.count
    }

    /// Whether the character at `i` is in the class, and its length.
    @inline(__always) func at(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Bool, Int) {
        let c = t[i]
        if c < 0x80 { return (ascii[Int(c)], 1) }
        let (v, n) = UTF8Scan.value(t, i)
        let k = table[Int(v)]
        if k != 0 { return (k == 2, n) }
        let yes = ask(v)
        table[Int(v)] = yes ? 2 : 1
        return (yes, n)
    }
}

/// The per-encoder state of a list of pre-tokenizer steps.
final class PreTokenizerRunner {
    enum Compiled {
        case regex(OpaquePointer, OpaquePointer)
        case literal([UInt8])
        case eachChar(CharClass)
        case classRun(CharClass, Int, Int)
    }

    /// One split step with its buffers: the events (start << 33 | end << 1 | isMatch) of the
    /// piece being split, and the pieces that come out of it (start << 32 | end).
    final class Level {
        let matcher: Compiled?
        let behavior: SplitBehavior
        let invert: Bool
        let metaspace: (replacement: [UInt8], prepend: PrependScheme, split: Bool)?
        var events: [UInt64] = []
        var pieces: [UInt64] = []
        var scratch: [UInt8] = []

        init(matcher: Compiled?, behavior: SplitBehavior, invert: Bool, metaspace: (replacement: [UInt8], prepend: PrependScheme, split: Bool)? = nil) {
            self.matcher = matcher
            self.behavior = behavior
            self.invert = invert
            self.metaspace = metaspace
        }
    }

    let levels: [Level]
    /// The last step when it is ByteLevel (the leaf adds the prefix space and splits).
    let byteLevel: (addPrefixSpace: Bool, useRegex: Bool)?

    init(_ steps: [PreTokenizerStep]) throws {
        var lv: [Level] = []
        var bl: (Bool, Bool)? = nil
        for (k, s) in steps.enumerated() {
            switch s {
            case .byteLevel(let p, let r):
                guard k == steps.count - 1 else { throw TokenizerError("a pre-tokenizer after ByteLevel is not supported") }
                bl = (p, r)
            case .split(let m, let b, let inv):
                let c: Compiled
                switch m {
                case .regex(let r):
                    let (re, ctx) = try RegexHandle.compile(r)
                    c = .regex(re, ctx)
                case .literal(let l): c = .literal(l)
                case .eachChar(let cls): c = .eachChar(try CharClass(cls))
                case .classRun(let cls, let lo, let hi): c = .classRun(try CharClass(cls), lo, hi)
                }
                lv.append(Level(matcher: c, behavior: b, invert: inv))
            case .metaspace(let r, let p, let sp):
                lv.append(Level(matcher: sp ? .literal(r) : nil, behavior: .mergedWithNext, invert: false, metaspace: (r, p, sp)))
            }
        }
        levels = lv
        byteLevel = bl.map { (addPrefixSpace: $0.0, useRegex: $0.1) }
    }

    deinit {
        for l in levels { if case .regex(let re, let ctx)? = l.matcher { RegexHandle.free(re, ctx) } }
    }

    /// Calls `leaf` with every piece of `text`, in order, and whether it starts the original
    /// text (Metaspace's `first` scheme).
    @inline(__always)
    func run(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, _ leaf: (UnsafeBufferPointer<UInt8>, Bool) -> Void) {
        step(0, text, atStart, leaf)
    }

    func step(_ k: Int, _ piece: UnsafeBufferPointer<UInt8>, _ atStart: Bool, _ leaf: (UnsafeBufferPointer<UInt8>, Bool) -> Void) {
        if piece.isEmpty { return }
        if k == levels.count {
            leaf(piece, atStart)
            return
        }
        let l = levels[k]
        if let ms = l.metaspace {
            // spaces become the replacement, and the prefix
            l.scratch.removeAll(keepingCapacity: true)
            let rep = ms.replacement
            let startsWithRep = piece.count >= rep.count && memcmp(piece.baseAddress!, rep, rep.count) == 0
            let startsWithSpace = piece[0] == 0x20
            if !(startsWithRep || startsWithSpace) && (ms.prepend == .always || (ms.prepend == .first && atStart)) {
                l.scratch.append(contentsOf: rep)
            }
            for b in piece { if b == 0x20 { l.scratch.append(contentsOf: rep) } else { l.scratch.append(b) } }
            if l.matcher == nil {
                l.scratch.withUnsafeBufferPointer { step(k + 1, $0, atStart, leaf) }
                return
            }
            let scratch = l.scratch
            scratch.withUnsafeBufferPointer { split(l, k, $0, atStart, leaf) }
            return
        }
        split(l, k, piece, atStart, leaf)
    }

    @inline(__always) static func ev(_ s: Int, _ e: Int, _ m: Bool) -> UInt64 { UInt64(s) << 33 | UInt64(e) << 1 | (m ? 1 : 0) }

    func split(_ l: Level, _ k: Int, _ piece: UnsafeBufferPointer<UInt8>, _ atStart: Bool, _ leaf: (UnsafeBufferPointer<UInt8>, Bool) -> Void) {
        l.events.removeAll(keepingCapacity: true)
        let n = piece.count
        var prev = 0
        // matches as events, the gaps between them too
        func match(_ s: Int, _ e: Int) {
            if prev != s { l.events.append(Self.ev(prev, s, false)) }
            l.events.append(Self.ev(s, e, true))
            prev = e
        }
        switch l.matcher! {
        case .regex(_, let ctx):
            RegexHandle.forEachMatch(ctx, piece) { s, e in match(s, e) }
        case .literal(let p):
            var i = 0
            let f = p[0]
            while i + p.count <= n {
                if piece[i] == f && (p.count == 1 || memcmp(piece.baseAddress! + i, p, p.count) == 0) {
                    match(i, i + p.count)
                    i += p.count
                } else {
                    i += 1
                }
            }
        case .eachChar(let c):
            var i = 0
            while i < n {
                let (yes, len) = c.at(piece, i)
                if yes { match(i, i + len) }
                i += len
            }
        case .classRun(let c, let lo, let hi):
            var i = 0
            while i < n {
                let (yes, len) = c.at(piece, i)
                if !yes { i += len; continue }
                // a run of the class from i, at most `hi` characters; shorter than `lo`: no match
                var j = i + len, count = 1
                while count < hi && j < n {
                    let (y, m) = c.at(piece, j)
                    if !y { break }
                    j += m
                    count += 1
                }
                if count >= lo { match(i, j) }
                i = j
            }
        }
        if prev != n { l.events.append(Self.ev(prev, n, false)) }
        // the behavior (HF's NormalizedString::split), then empty pieces dropped
        let invert = l.invert
        switch l.behavior {
        case .isolated:
            for e in l.events { emit(e, k, piece, atStart, leaf) }
        case .removed:
            for e in l.events where (e & 1 == 1) == invert { emit(e, k, piece, atStart, leaf) }
        default:
            l.pieces.removeAll(keepingCapacity: true)
            var previousMatch = false
            let events = l.events
            if l.behavior == .mergedWithNext {
                for e in events.reversed() {
                    let isMatch = (e & 1 == 1) != invert
                    if isMatch && !previousMatch, let last = l.pieces.last {
                        l.pieces[l.pieces.count - 1] = (e >> 33) << 32 | (last & 0xFFFF_FFFF)
                    } else {
                        l.pieces.append((e >> 33) << 32 | ((e >> 1) & 0xFFFF_FFFF))
                    }
                    previousMatch = isMatch
                }
                l.pieces.reverse()
            } else {
                let contiguous = l.behavior == .contiguous
                for e in events {
                    let isMatch = (e & 1 == 1) != invert
                    let merge = contiguous ? isMatch == previousMatch : (isMatch && !previousMatch)
                    if merge, let last = l.pieces.last {
                        l.pieces[l.pieces.count - 1] = (last >> 32) << 32 | ((e >> 1) & 0xFFFF_FFFF)
                    } else {
                        l.pieces.append((e >> 33) << 32 | ((e >> 1) & 0xFFFF_FFFF))
                    }
                    previousMatch = isMatch
                }
            }
            let pieces = l.pieces
            for p in pieces {
                let s = Int(p >> 32), e = Int(p & 0xFFFF_FFFF)
                if e > s { step(k + 1, UnsafeBufferPointer(rebasing: piece[s..<e]), atStart && s == 0, leaf) }
            }
        }
    }

    @inline(__always)
    func emit(_ ev: UInt64, _ k: Int, _ piece: UnsafeBufferPointer<UInt8>, _ atStart: Bool, _ leaf: (UnsafeBufferPointer<UInt8>, Bool) -> Void) {
        let s = Int(ev >> 33), e = Int((ev >> 1) & 0xFFFF_FFFF)
        if e > s { step(k + 1, UnsafeBufferPointer(rebasing: piece[s..<e]), atStart && s == 0, leaf) }
    }
}
