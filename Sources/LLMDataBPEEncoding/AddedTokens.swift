// What a tokenizer.json does before its model sees a piece, as HF tokenizers does it
// (tokenizers/src/tokenizer/added_vocabulary.rs, `extract_and_normalize`):
// 1. the added tokens with `normalized: false` are found in the raw text;
// 2. each stretch between them is normalized, and the added tokens with `normalized: true` are
//    found in it (matched by their own normalized form);
// 3. each stretch left goes through the pre-tokenizer steps, and each piece to the model.
// Tokens are found leftmost-longest without overlaps; a match that is not used (a special token
// without --allow-special, a single_word token inside a word) is skipped, its text stays with the
// stretch around it. lstrip / rstrip widen a match over the White_Space next to it.

import Foundation

/// An added token of a tokenizer.json with HF's flags.
public struct AddedTokenSpec: Sendable, Equatable {
    public var content: String
    public var id: UInt32
    public var special: Bool
    public var normalized: Bool
    public var lstrip: Bool
    public var rstrip: Bool
    public var singleWord: Bool
}

/// Everything a tokenizer.json adds around the BPE model (the steps the encoder runs before a
/// piece reaches the split pattern `BPEModel.splitRegex`).
public struct TokenizerJSONPipeline: Sendable {
    public var normalizer: [NormalizerStep]
    /// Pre-tokenizer steps before the last split, which `BPEModel.splitRegex` (with its ASCII
    /// fast path when it is a built-in pattern) and `addPrefixSpace` do.
    public var preTokenizer: [PreTokenizerStep]
    public var addedTokens: [AddedTokenSpec]
    /// The normalized form of each `normalized: true` token's content (HF matches that form).
    public var normalizedContent: [UInt32: String]
}

/// The per-encoder state of a `TokenizerJSONPipeline`.
final class TokenizerJSONFront {
    let normalizer: NormalizerRunner
    let pre: PreTokenizerRunner
    let raw: TokenMatcher
    let normed: TokenMatcher
    /// Flags by id; `plain` when no token has lstrip, rstrip, single_word or special set.
    let flags: [UInt32: AddedTokenSpec]

    /// The split pattern for texts where it matches an empty string, which the splitter's batched
    /// split refuses (HF splits there: Oniguruma's find_iter).
    let leafRegex: (OpaquePointer, OpaquePointer)?

    /// DeepSeek-V3's split pattern matched by hand (DeepSeekSplit.swift), when it is the pattern.
    let deepseek: DeepSeekSplitter?

    init(_ p: TokenizerJSONPipeline, splitRegex: String) throws {
        deepseek = DeepSeekSplitter.spellings.contains(splitRegex) ? try DeepSeekSplitter() : nil
        leafRegex = splitRegex.isEmpty ? nil : try RegexHandle.compile(splitRegex)
        normalizer = try NormalizerRunner(p.normalizer)
        pre = try PreTokenizerRunner(p.preTokenizer)
        var r: [String: UInt32] = [:], n: [String: UInt32] = [:]
        var f: [UInt32: AddedTokenSpec] = [:]
        for t in p.addedTokens where !t.content.isEmpty {
            if t.normalized {
                let c = p.normalizedContent[t.id] ?? t.content
                if !c.isEmpty { n[c] = t.id }
            } else {
                r[t.content] = t.id
            }
            f[t.id] = t
        }
        raw = TokenMatcher(r)
        normed = TokenMatcher(n)
        flags = f
    }

    deinit { if let (re, ctx) = leafRegex { RegexHandle.free(re, ctx) } }

    /// The pieces of `text[from...]` by the split pattern, matches and gaps (Isolated).
    func splitLeaf(_ text: UnsafeBufferPointer<UInt8>, from: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let (_, ctx) = leafRegex else {
            body(UnsafeBufferPointer(rebasing: text[from...]))
            return
        }
        var prev = from
        RegexHandle.forEachMatch(ctx, text, from: from) { s, e in
            if s > prev { body(UnsafeBufferPointer(rebasing: text[prev..<s])) }
            if e > s { body(UnsafeBufferPointer(rebasing: text[s..<e])) }
            prev = e
        }
        if prev < text.count { body(UnsafeBufferPointer(rebasing: text[prev...])) }
    }

    /// Splits `text` at the added tokens of `m`: `body(start, end, nil, atStart)` for each
    /// stretch between them (non-empty), `body(0, 0, id, false)` for each token.
    @inline(__always)
    func scan(_ text: UnsafeBufferPointer<UInt8>, _ m: TokenMatcher, allowSpecial: Bool, atStart: Bool,
              _ body: (Int, Int, UInt32?, Bool) -> Void) {
        let n = text.count
        if m.isEmpty {
            if n > 0 { body(0, n, nil, atStart) }
            return
        }
        var startOffset = 0
        var i = 0
        while i < n {
            guard m.first[Int(text[i])], let (len, id) = m.match(text, i) else {
                i += 1
                continue
            }
            var s = i, e = i + len
            i = e
            guard let t = flags[id] else { continue }
            if t.special && !allowSpecial { continue }
            if t.singleWord && ((s > 0 && Self.wordBefore(text, s)) || (e < n && Self.wordAt(text, e))) { continue }
            if t.lstrip {
                var k = s
                while k > 0 {
                    var j = k - 1
                    while j > 0 && text[j] & 0xC0 == 0x80 { j -= 1 }
                    guard UTF8Scan.decode(text, j).0.properties.isWhitespace else { break }
                    k = j
                }
                s = max(k, startOffset)
            }
            if t.rstrip {
                while e < n {
                    let (u, l) = UTF8Scan.decode(text, e)
                    guard u.properties.isWhitespace else { break }
                    e += l
                }
                i = e
            }
            if startOffset < s { body(startOffset, s, nil, atStart && startOffset == 0) }
            body(0, 0, id, false)
            startOffset = e
        }
        if startOffset < n { body(startOffset, n, nil, atStart && startOffset == 0) }
    }

    /// Rust regex's Unicode `\w`.
    static func isWord(_ u: Unicode.Scalar) -> Bool {
        let p = u.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    static func wordBefore(_ t: UnsafeBufferPointer<UInt8>, _ s: Int) -> Bool {
        var j = s - 1
        while j > 0 && t[j] & 0xC0 == 0x80 { j -= 1 }
        return isWord(UTF8Scan.decode(t, j).0)
    }

    static func wordAt(_ t: UnsafeBufferPointer<UInt8>, _ e: Int) -> Bool {
        isWord(UTF8Scan.decode(t, e).0)
    }
}
