import Foundation

/// A SentencePiece model's normalizer, as sentencepiece 0.2's normalizer.cc applies it: at each
/// position a user-defined piece is copied as it is; else the longest rule of the precompiled
/// charsmap (a darts-clone double-array trie over UTF-8 keys whose values point at
/// NUL-terminated replacements) replaces its key; else one character is copied (a malformed
/// byte becomes U+FFFD). Leading, trailing and repeated spaces are dropped with
/// `remove_extra_whitespaces`, a space goes before the text with `add_dummy_prefix`, and spaces
/// become U+2581 with `escape_whitespaces`.
public final class SentencePieceNormalizer: @unchecked Sendable {
    let units: UnsafeMutablePointer<UInt32>
    let unitCount: Int
    /// The replacement strings, with a NUL appended so that every one ends.
    let replacements: UnsafeMutablePointer<UInt8>
    let replacementCount: Int
    public let addDummyPrefix: Bool
    public let removeExtraWhitespaces: Bool
    public let escapeWhitespaces: Bool
    /// The charsmap's name in the file (nmt_nfkc, identity, ...): informational only.
    public let name: String
    let userDefined: TokenMatcher
    let userDefinedIDs: [String: UInt32]
    /// The normalized text may be cut before each whitespace symbol that follows another
    /// character (see `BPEModel.loadSentencePiece`).
    let splitAtSpaces: Bool
    /// Bytes < 0x80 that normalize to themselves: no rule and no user-defined piece starts with them.
    let plain: [Bool]

    init(charsmap: [UInt8], addDummyPrefix: Bool, removeExtraWhitespaces: Bool, escapeWhitespaces: Bool,
         userDefined: [String: UInt32], splitAtSpaces: Bool, name: String) throws {
        self.addDummyPrefix = addDummyPrefix
        self.removeExtraWhitespaces = removeExtraWhitespaces
        self.escapeWhitespaces = escapeWhitespaces
        self.userDefined = TokenMatcher(userDefined)
        self.userDefinedIDs = userDefined
        self.splitAtSpaces = splitAtSpaces
        self.name = name
        var trie: [UInt32] = []
        var strings: [UInt8] = []
        if !charsmap.isEmpty {
            // <trie size (4 bytes, little-endian)><double array><replacements>
            guard charsmap.count > 4 else { throw TokenizerError("normalizer_spec.precompiled_charsmap is broken (\(charsmap.count) bytes)") }
            let size = Int(UInt32(charsmap[0]) | UInt32(charsmap[1]) << 8 | UInt32(charsmap[2]) << 16 | UInt32(charsmap[3]) << 24)
            guard size < charsmap.count, size <= charsmap.count - 4, size >= 4 else {
                throw TokenizerError("normalizer_spec.precompiled_charsmap: its trie (\(size) bytes) exceeds the blob (\(charsmap.count) bytes)")
            }
            trie.reserveCapacity(size / 4)
            var i = 4
            while i + 4 <= 4 + size {
                trie.append(UInt32(charsmap[i]) | UInt32(charsmap[i + 1]) << 8 | UInt32(charsmap[i + 2]) << 16 | UInt32(charsmap[i + 3]) << 24)
                i += 4
            }
            strings = Array(charsmap[(4 + size)...])
        }
        strings.append(0)
        unitCount = trie.count
        units = .allocate(capacity: max(1, trie.count))
        units.initialize(repeating: 0, count: max(1, trie.count))
        for (i, u) in trie.enumerated() { units[i] = u }
        replacementCount = strings.count
        replacements = .allocate(capacity: strings.count)
        for (i, b) in strings.enumerated() { replacements[i] = b }
        var p = [Bool](repeating: false, count: 256)
        let udFirst = TokenMatcher(userDefined).first
        for b in 0..<128 {
            p[b] = !Self.startsRule(units, unitCount, UInt8(b)) && !udFirst[b]
        }
        plain = p
    }

    deinit {
        units.deallocate()
        replacements.deallocate()
    }

    @inline(__always) static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// True when some key of the trie starts with `b`.
    static func startsRule(_ units: UnsafeMutablePointer<UInt32>, _ count: Int, _ b: UInt8) -> Bool {
        guard count > 0 else { return false }
        let node = offset(units[0]) ^ Int(b)
        return node < count && units[node] & (1 << 31 | 0xFF) == UInt32(b)
    }

    /// The longest key of the trie that `t[i...]` starts with: (its length, its value), or (0, 0).
    @inline(__always)
    static func longestRule(_ units: UnsafeMutablePointer<UInt32>, _ count: Int, _ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int, Int) {
        guard count > 0 else { return (0, 0) }
        var node = offset(units[0])
        var best = 0, value = 0
        var j = i
        let n = t.count
        while j < n {
            let b = t[j]
            node ^= Int(b)
            guard node < count else { break }
            let u = units[node]
            if u & (1 << 31 | 0xFF) != UInt32(b) { break }
            node ^= offset(u)
            j += 1
            if (u >> 8) & 1 == 1 {
                guard node < count else { break }
                best = j - i
                value = Int(units[node] & 0x7FFF_FFFF)
            }
        }
        return (best, value)
    }

    /// Length of the valid UTF-8 character at t[i] as sentencepiece's DecodeUTF8 decodes it, or 0
    /// when it is malformed (sentencepiece then writes U+FFFD and moves one byte on).
    @inline(__always)
    static func validCharLength(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let n = t.count - i
        let b0 = UInt32(t[i])
        if b0 < 0x80 { return 1 }
        @inline(__always) func trail(_ k: Int) -> Bool { t[i + k] & 0xC0 == 0x80 }
        @inline(__always) func ok(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }
        if n >= 2 && b0 & 0xE0 == 0xC0 {
            let c = (b0 & 0x1F) << 6 | UInt32(t[i + 1] & 0x3F)
            return trail(1) && c >= 0x80 && ok(c) ? 2 : 0
        } else if n >= 3 && b0 & 0xF0 == 0xE0 {
            let c = (b0 & 0x0F) << 12 | UInt32(t[i + 1] & 0x3F) << 6 | UInt32(t[i + 2] & 0x3F)
            return trail(1) && trail(2) && c >= 0x800 && ok(c) ? 3 : 0
        } else if n >= 4 && b0 & 0xF8 == 0xF0 {
            let c = (b0 & 0x07) << 18 | UInt32(t[i + 1] & 0x3F) << 12 | UInt32(t[i + 2] & 0x3F) << 6 | UInt32(t[i + 3] & 0x3F)
            return trail(1) && trail(2) && trail(3) && c >= 0x10000 && ok(c) ? 4 : 0
        }
        return 0
    }

    static let replacementChar: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// The normalized form of the longest prefix at t[i]: calls `body` with its bytes and returns
    /// how many input bytes it consumed.
    @inline(__always)
    func prefix(_ t: UnsafeBufferPointer<UInt8>, _ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Int {
        if userDefined.first[Int(t[i])], let (len, _) = userDefined.match(t, i) {
            body(UnsafeBufferPointer(rebasing: t[i..<(i + len)]))
            return len
        }
        let (len, value) = Self.longestRule(units, unitCount, t, i)
        if len > 0 {
            guard value < replacementCount else {
                body(UnsafeBufferPointer(start: replacements, count: 0))
                return len
            }
            let start = replacements + value
            let l = strlen(UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self))
            body(UnsafeBufferPointer(start: start, count: l))
            return len
        }
        let c = Self.validCharLength(t, i)
        if c == 0 {
            Self.replacementChar.withUnsafeBufferPointer { body($0) }
            return 1
        }
        body(UnsafeBufferPointer(rebasing: t[i..<(i + c)]))
        return c
    }

    /// Normalizes `t` into `out` (cleared first).
    public func normalize(_ t: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        let n = t.count
        if n == 0 { return }
        var i = 0
        if removeExtraWhitespaces {
            // leading prefixes that normalize to exactly one space
            while i < n {
                var isSpace = false
                let c = prefix(t, i) { isSpace = $0.count == 1 && $0[0] == 0x20 }
                if !isSpace { break }
                i += c
            }
            if i == n { return }
        }
        out.reserveCapacity(3 * (n - i) + 3)
        let escape = escapeWhitespaces
        @inline(__always) func space(_ out: inout [UInt8]) {
            if escape { out.append(0xE2); out.append(0x96); out.append(0x81) } else { out.append(0x20) }
        }
        if addDummyPrefix { space(&out) }
        let remove = removeExtraWhitespaces
        var prevSpace = remove
        while i < n {
            let b = t[i]
            if b < 0x80 && plain[Int(b)] {
                if b == 0x20 {
                    if !prevSpace { space(&out) }
                    prevSpace = remove
                } else {
                    out.append(b)
                    prevSpace = false
                }
                i += 1
                continue
            }
            i += prefix(t, i) { s in
                var k = 0
                if prevSpace { while k < s.count && s[k] == 0x20 { k += 1 } }
                if k < s.count {
                    while k < s.count {
                        if escape && s[k] == 0x20 { space(&out) } else { out.append(s[k]) }
                        k += 1
                    }
                    prevSpace = s[s.count - 1] == 0x20
                }
            }
            if !remove { prevSpace = false }
        }
        if remove {
            if escape {
                while out.count >= 3 && out[out.count - 3] == 0xE2 && out[out.count - 2] == 0x96 && out[out.count - 1] == 0x81 {
                    out.removeLast(3)
                }
            } else {
                while out.last == 0x20 { out.removeLast() }
            }
        }
    }
}

extension Encoder {
    /// SentencePiece: normalize, take out the user-defined pieces (matched whole, never merged),
    /// and cut the rest before each whitespace symbol that follows another character when the
    /// model allows it; each part is a piece for the cache and the merges.
    func encodeSentencePiece(_ sp: SentencePieceNormalizer, _ text: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        sp.normalize(text, into: &spText)
        spText.withUnsafeBufferPointer { t in
            let n = t.count
            if sp.userDefined.isEmpty {
                encodeSentencePieceRun(sp, t, into: &out)
                return
            }
            var start = 0, i = 0
            while i < n {
                if sp.userDefined.first[Int(t[i])], let (len, id) = sp.userDefined.match(t, i) {
                    if i > start { encodeSentencePieceRun(sp, UnsafeBufferPointer(rebasing: t[start..<i]), into: &out) }
                    out.append(id)
                    i += len
                    start = i
                    continue
                }
                i += CharacterSymbols.utf8Length(t[i])
            }
            if n > start { encodeSentencePieceRun(sp, UnsafeBufferPointer(rebasing: t[start..<n]), into: &out) }
        }
    }

    @inline(__always)
    func encodeSentencePieceRun(_ sp: SentencePieceNormalizer, _ t: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        guard sp.splitAtSpaces else {
            encodePiece(t, into: &out)
            return
        }
        let n = t.count
        var start = 0
        if sp.escapeWhitespaces {
            // before each U+2581 (E2 96 81) that does not follow another
            var i = 1
            while i + 2 < n {
                if t[i] == 0xE2 && t[i + 1] == 0x96 && t[i + 2] == 0x81 {
                    if !(i >= 3 && t[i - 3] == 0xE2 && t[i - 2] == 0x96 && t[i - 1] == 0x81) {
                        encodePiece(UnsafeBufferPointer(rebasing: t[start..<i]), into: &out)
                        start = i
                    }
                    i += 3
                } else {
                    i += 1
                }
            }
        } else {
            var i = 1
            while i < n {
                if t[i] == 0x20 && t[i - 1] != 0x20 {
                    encodePiece(UnsafeBufferPointer(rebasing: t[start..<i]), into: &out)
                    start = i
                }
                i += 1
            }
        }
        if n > start { encodePiece(UnsafeBufferPointer(rebasing: t[start..<n]), into: &out) }
    }
}
