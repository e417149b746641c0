import CPCRE2Shim

/// The split patterns byte-level BPE tokenizers use before byte-level mapping.
public enum SplitPattern: String, CaseIterable, Sendable {
    /// GPT-2's pattern, as HF tokenizers' `ByteLevel(use_regex: true)` applies it.
    case gpt2
    /// GPT-4's cl100k_base pattern. tiktoken writes `\p{N}{1,3}+` (possessive); that is the same
    /// match here (nothing follows it in its alternative), but HF tokenizers' Oniguruma reads
    /// `{1,3}+` as "one or more runs of 1-3 digits". We write `\p{N}{1,3}`, which means the same
    /// in Python's `regex`, PCRE2 and Oniguruma, so tokenizer.json behaves as tiktoken's pattern.
    case cl100k
    /// GPT-4o's o200k_base pattern, as tiktoken writes it.
    case o200k
    /// Llama 3's pattern, as its tokenizer.json writes it: cl100k's alternatives without `\s++$`
    /// and with `\s*[\r\n]+` and `\s+` at the end.
    case llama3
    /// Qwen2's pattern, as its tokenizer.json writes it: Llama 3's with single digits (`\p{N}`).
    case qwen2

    /// The regular expression (Python `regex` / PCRE syntax).
    public var regex: String {
        switch self {
        case .gpt2:
            return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
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
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }
}

extension SplitPattern {
    /// The pattern as tiktoken writes it (`pat_str` of `tiktoken.Encoding`): tiktoken's own
    /// spellings for gpt2 (r50k_base) and cl100k_base, which split text into the same pieces as
    /// `regex` above; the others are the same string.
    public var tiktokenRegex: String {
        switch self {
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .o200k, .llama3, .qwen2:
            return regex
        }
    }
}

/// How `bpe count` and `bpe train` split text into words: a built-in pattern (`--pattern`), or
/// custom regexes (`--split-regex`, repeatable) applied in sequence as HF tokenizers applies a
/// `Sequence` of `Split(Regex, behavior: Isolated)` pre-tokenizers: each regex splits every piece
/// the previous one left (matches and the gaps between them are pieces).
public enum SplitSpec: Sendable, Equatable {
    case builtin(SplitPattern)
    case regexes([String])

    /// The name counts files store: the pattern's name, or `split-regex` and each regex after a
    /// NUL byte.
    public var name: String {
        switch self {
        case .builtin(let p): return p.rawValue
        case .regexes(let rs): return (["split-regex"] + rs).joined(separator: "\u{0}")
        }
    }

    /// The options that select this split, as a user types them.
    public var flags: String {
        switch self {
        case .builtin(let p): return "--pattern \(p.rawValue)"
        case .regexes(let rs): return rs.map { "--split-regex '\($0)'" }.joined(separator: " ")
        }
    }

    /// The split a counts file's stored name stands for (nil for an unknown name).
    public init?(name: String) {
        if let p = SplitPattern(rawValue: name) {
            self = .builtin(p)
            return
        }
        let parts = name.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0] == "split-regex" else { return nil }
        self = .regexes(Array(parts.dropFirst()))
    }
}

/// The compiled pre-tokenizers of a `SplitSpec`, applied in sequence. Thread-safe; each thread
/// splits through its own `makeSplitter()`.
public final class SplitChain: @unchecked Sendable {
    public let stages: [PreTokenizer]

    public init(_ spec: SplitSpec) throws {
        switch spec {
        case .builtin(let p):
            stages = [try PreTokenizer(p)]
        case .regexes(let rs):
            guard !rs.isEmpty else { throw PreTokenizerError(description: "no split regex given") }
            stages = try rs.map { r in
                do {
                    return try PreTokenizer(regex: r)
                } catch let e as PreTokenizerError {
                    throw PreTokenizerError(description: "--split-regex '\(r)': \(e.description) (PCRE2 syntax, as HF tokenizers' Split reads it)")
                }
            }
        }
    }

    public func makeSplitter() -> Splitter { Splitter(stages.map { $0.makeSplitter() }, custom: custom) }

    /// Whether the regexes are the user's (`--split-regex`): their errors name them.
    var custom: Bool { stages.count > 1 || stages[0].fastKind < 0 }

    public final class Splitter {
        let parts: [PreTokenizer.Splitter]
        let custom: Bool

        init(_ parts: [PreTokenizer.Splitter], custom: Bool) {
            self.parts = parts
            self.custom = custom
        }

        /// Calls `body` with each final piece of `text` (valid UTF-8), in order.
        @inline(__always)
        public func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws {
            if parts.count == 1 && !custom {
                try parts[0].forEachPiece(text, body)
            } else {
                try level(0, text, body)
            }
        }

        func level(_ k: Int, _ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws {
            var failure: Error?
            do {
                if k == parts.count - 1 {
                    try parts[k].forEachPiece(text, body)
                } else {
                    try parts[k].forEachPiece(text) { p in
                        if failure != nil { return }
                        do { try level(k + 1, p, body) } catch { failure = error }
                    }
                }
            } catch let e as PreTokenizerError {
                throw PreTokenizerError(description: "--split-regex '\(parts[k].owner.pattern)': \(e.description)"
                                        + (e.description.contains("empty") ? " (every piece must hold a character: use + rather than * or ?)" : ""))
            }
            if let f = failure { throw f }
        }
    }
}

public struct PreTokenizerError: Error, CustomStringConvertible {
    public let description: String
}

/// A compiled split pattern (PCRE2 with JIT, UTF + UCP). Thread-safe; each thread splits text
/// through its own `PreTokenizer.Splitter`.
public final class PreTokenizer: @unchecked Sendable {
    public let pattern: String
    let re: OpaquePointer
    /// The built-in pattern's ASCII fast path (its index in SplitPattern.allCases, the `kind` of
    /// `llm_re_split_fast`: 0 gpt2, 1 cl100k, 2 o200k, 3 llama3, 4 qwen2), or -1 for PCRE2 only.
    let fastKind: Int32

    /// A built-in pattern. `fastPath: false` matches every piece with PCRE2 (tests compare both).
    public convenience init(_ pattern: SplitPattern, fastPath: Bool = true) throws {
        try self.init(regex: pattern.regex, fastKind: fastPath ? Int32(SplitPattern.allCases.firstIndex(of: pattern)!) : -1)
    }

    /// Any regex (PCRE2 syntax), matched with PCRE2 only.
    public convenience init(regex: String) throws {
        try self.init(regex: regex, fastKind: -1)
    }

    /// Another spelling of a built-in pattern (tiktoken's, with possessive quantifiers and `\s++$`):
    /// PCRE2 matches `regex` where the built-in pattern's ASCII fast path bails (non-ASCII). Only
    /// for spellings that match exactly what `pattern` matches; the tokenize cross-checks compare
    /// the ids with tiktoken's.
    public convenience init(regex: String, asciiFastPathOf pattern: SplitPattern) throws {
        try self.init(regex: regex, fastKind: Int32(SplitPattern.allCases.firstIndex(of: pattern)!))
    }

    init(regex: String, fastKind: Int32) throws {
        pattern = regex
        self.fastKind = fastKind
        var err = [CChar](repeating: 0, count: 256)
        guard let r = llm_re_compile(PreTokenizer.pcreForm(regex), &err, err.count) else {
            throw PreTokenizerError(description: "bad split pattern: " + String(cString: err))
        }
        re = r
    }

    deinit { llm_re_free(re) }

    /// The Unicode White_Space property, which `\s` means in Python's `regex` and in Oniguruma.
    /// PCRE2 10.42's `\s` also matches U+180E (a space before Unicode 6.3), so `\s` and `\S`
    /// are spelled out for PCRE2.
    public static let whiteSpace = #"\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"#

    /// `pattern` with `\s` / `\S` replaced by explicit White_Space classes.
    public static func pcreForm(_ pattern: String) -> String {
        var out = ""
        var inClass = false
        var it = Array(pattern.unicodeScalars)[...]
        while let c = it.popFirst() {
            if c == "\\", let n = it.popFirst() {
                if n == "s" {
                    out += inClass ? whiteSpace : "[" + whiteSpace + "]"
                } else if n == "S" && !inClass {
                    out += "[^" + whiteSpace + "]"
                } else {
                    out.unicodeScalars.append(c)
                    out.unicodeScalars.append(n)
                }
                continue
            }
            if c == "[" && !inClass {
                inClass = true
                out += "["
                if it.first == "^" { out += "^"; it.removeFirst() }
                if it.first == "]" { out += "]"; it.removeFirst() }
                continue
            }
            if c == "]" && inClass { inClass = false }
            out.unicodeScalars.append(c)
        }
        return out
    }

    public func makeSplitter() -> Splitter { Splitter(self) }

    /// Per-thread matching state. Splits UTF-8 text into pieces as HF tokenizers'
    /// `Split(pattern, behavior: isolated)` does: every match is a piece, and so is every gap.
    public final class Splitter {
        let owner: PreTokenizer
        let ctx: OpaquePointer
        var ends = [UInt32](repeating: 0, count: 4096)

        init(_ owner: PreTokenizer) {
            self.owner = owner
            ctx = llm_re_ctx_new(owner.re)
        }

        deinit { llm_re_ctx_free(ctx) }

        /// Calls `body` with each piece of `text` (valid UTF-8), in order.
        @inline(__always)
        public func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws {
            guard let base = text.baseAddress, text.count > 0 else { return }
            let len = text.count
            var start = 0
            try ends.withUnsafeMutableBufferPointer { eb in
                while start < len {
                    let kind = owner.fastKind
                    let n = kind >= 0 ? llm_re_split_fast(ctx, kind, base, len, start, eb.baseAddress, eb.count)
                                      : llm_re_split(ctx, base, len, start, eb.baseAddress, eb.count)
                    if n < 0 { throw PreTokenizerError(description: n == -2 ? "split pattern matched an empty string" : "split pattern failed to match (PCRE2 error)") }
                    var i = 0
                    while i < Int(n) {
                        let e = Int(eb[i])
                        body(UnsafeBufferPointer(start: base + start, count: e - start))
                        start = e
                        i += 1
                    }
                }
            }
        }

        /// As `forEachPiece(_:_:)`, and calls `ahead` with the piece `prefetchDistance` places
        /// ahead of the one `body` gets, from the same batch of matches: an encoder prefetches
        /// the cache slot of a piece it will look up soon, so that lookups, which miss the CPU
        /// cache, overlap instead of waiting one after another.
        @inline(__always)
        public func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, ahead: (UnsafeBufferPointer<UInt8>) -> Void,
                                 _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws {
            guard let base = text.baseAddress, text.count > 0 else { return }
            let len = text.count
            let d = Self.prefetchDistance
            var start = 0
            try ends.withUnsafeMutableBufferPointer { eb in
                while start < len {
                    let kind = owner.fastKind
                    let n = Int(kind >= 0 ? llm_re_split_fast(ctx, kind, base, len, start, eb.baseAddress, eb.count)
                                          : llm_re_split(ctx, base, len, start, eb.baseAddress, eb.count))
                    if n < 0 { throw PreTokenizerError(description: n == -2 ? "split pattern matched an empty string" : "split pattern failed to match (PCRE2 error)") }
                    let batchStart = start
                    var k = 0
                    while k < min(d, n) {
                        let s = k == 0 ? batchStart : Int(eb[k - 1])
                        ahead(UnsafeBufferPointer(start: base + s, count: Int(eb[k]) - s))
                        k += 1
                    }
                    var i = 0
                    while i < n {
                        let j = i + d
                        if j < n {
                            let s = Int(eb[j - 1])
                            ahead(UnsafeBufferPointer(start: base + s, count: Int(eb[j]) - s))
                        }
                        let e = Int(eb[i])
                        body(UnsafeBufferPointer(start: base + start, count: e - start))
                        start = e
                        i += 1
                    }
                }
            }
        }

        /// The ends of the next pieces of `text` from `start` (at most `capacity`, at least one
        /// while `start < text.count`), written to `ends`; their count. For a caller that walks
        /// the pieces in its own loop (the encoder: no closure call per piece).
        @inline(__always)
        public func split(_ text: UnsafeBufferPointer<UInt8>, from start: Int, into ends: UnsafeMutablePointer<UInt32>,
                          capacity: Int) throws -> Int {
            let kind = owner.fastKind
            let n = Int(kind >= 0 ? llm_re_split_fast(ctx, kind, text.baseAddress, text.count, start, ends, capacity)
                                  : llm_re_split(ctx, text.baseAddress, text.count, start, ends, capacity))
            if n < 0 { throw PreTokenizerError(description: n == -2 ? "split pattern matched an empty string" : "split pattern failed to match (PCRE2 error)") }
            return n
        }

        /// How many pieces ahead `forEachPiece(_:ahead:_:)` looks.
        static let prefetchDistance = 8

        /// The pieces of `text` as byte arrays (tests and tools).
        public func pieces(_ text: [UInt8]) throws -> [[UInt8]] {
            var out: [[UInt8]] = []
            try text.withUnsafeBufferPointer { try forEachPiece($0) { out.append(Array($0)) } }
            return out
        }
    }
}

/// GPT-2's byte-to-unicode table (`bytes_to_unicode`), as HF tokenizers' ByteLevel uses it.
public enum ByteLevel {
    /// The code point that stands for each byte.
    public static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + n
                n += 1
            }
        }
        return table
    }()

    /// The UTF-8 encoding of each byte's character.
    public static let utf8ForByte: [[UInt8]] = scalarForByte.map { Array(String(Character(Unicode.Scalar($0)!)).utf8) }

    /// Bytes in the order of their characters' code points: the order in which HF's BpeTrainer
    /// assigns the 256 alphabet ids (it sorts the initial alphabet by code point).
    public static let bytesInAlphabetOrder: [UInt8] = (0..<256).map { UInt8($0) }.sorted { scalarForByte[Int($0)] < scalarForByte[Int($1)] }

    static let byteForScalar: [UInt32: UInt8] = {
        var d: [UInt32: UInt8] = [:]
        for b in 0..<256 { d[scalarForByte[b]] = UInt8(b) }
        return d
    }()

    /// Raw bytes → byte-level string (UTF-8).
    public static func encode<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(contentsOf: utf8ForByte[Int(b)]) }
        return out
    }

    /// Byte-level string → raw bytes; nil when a character is not in the byte-level alphabet.
    public static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            guard let b = byteForScalar[u.value] else { return nil }
            out.append(b)
        }
        return out
    }
}
