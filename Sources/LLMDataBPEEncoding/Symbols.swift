/// What a piece's BPE merges start from.
///
/// - `byteLevel`: one symbol per byte (GPT-2-style byte-level BPE, tiktoken): every byte has a
///   token, so every piece can be encoded.
/// - `characters`: one symbol per UTF-8 character (SentencePiece BPE, HF BPE models without a
///   ByteLevel pre-tokenizer). A character without a token of its own becomes byte tokens
///   `<0xXX>` (byte fallback) or the unknown token; see `CharacterSymbols`.
public enum Symbols: Sendable {
    case byteLevel
    case characters(CharacterSymbols)

    public var isByteLevel: Bool {
        if case .byteLevel = self { return true }
        return false
    }
}

/// Character-level initial symbols: a piece's characters looked up as tokens, and what happens to
/// the characters (or merged symbols) that are not tokens.
///
/// HF's BPE model (`continuing_subword_prefix`, `end_of_word_suffix`): every character but the
/// first of a piece is looked up as prefix + character, the last one as character + suffix (a
/// one-character piece: character + suffix).
/// SentencePiece: plain characters; characters that occur inside tokens without being tokens
/// themselves get ids of their own (`extraCharacters`), since sentencepiece merges by string and
/// such a character can still become part of a token.
///
/// Symbols that are not tokens carry ids with the top bit set (`unknownTag`): they never match a
/// pair, and `emit` turns them into byte tokens or the unknown token.
public final class CharacterSymbols: @unchecked Sendable {
    /// How characters without a token are written.
    public enum Fallback: Sendable {
        /// sentencepiece: with byte fallback each UTF-8 byte becomes `<0xXX>` (or the unknown id
        /// where that byte token is missing); without it one unknown id for a run of unknown
        /// characters.
        case sentencePiece
        /// HF tokenizers' BPE (`BPE::merge_word`), before the merges: with byte fallback the
        /// bytes of the string looked up (prefix and suffix included) as `<0xXX>` if all of them
        /// are tokens, else the unknown token; consecutive unknown characters give one unknown
        /// token when `fuseUnk`; with no unknown token the character is dropped.
        case huggingFace(fuseUnk: Bool)
    }

    static let unknownTag: UInt32 = 0x8000_0000

    public let byteFallback: Bool
    public let unk: UInt32?
    public let fallback: Fallback
    /// Ids of the byte tokens `<0x00>`...`<0xFF>` (UInt32.max where missing).
    let byteIDs: [UInt32]
    /// Variants: 0 plain, 1 prefix + c, 2 c + suffix, 3 prefix + c + suffix.
    let tables: [CharTable]
    let hasPrefix: Bool
    let hasSuffix: Bool
    let prefixBytes: [UInt8]
    let suffixBytes: [UInt8]
    let isHF: Bool
    let fuseUnk: Bool
    /// Ids from `extraBase` on: characters that are not tokens but occur inside tokens.
    let extraBase: UInt32
    let extraBytes: [UInt32]

    /// `vocab`: every token (bytes, id) a character may be looked up as; `extraCharacters`:
    /// characters that get ids `extraBase`, `extraBase + 1`, ... (sentencepiece only).
    public init(vocab: [([UInt8], UInt32)], continuingSubwordPrefix: String? = nil, endOfWordSuffix: String? = nil,
                byteFallback: Bool, unk: UInt32?, fallback: Fallback,
                extraCharacters: [[UInt8]] = [], extraBase: UInt32 = 0) {
        self.byteFallback = byteFallback
        self.unk = unk
        self.fallback = fallback
        let prefix = Array((continuingSubwordPrefix ?? "").utf8)
        let suffix = Array((endOfWordSuffix ?? "").utf8)
        hasPrefix = !prefix.isEmpty
        hasSuffix = !suffix.isEmpty
        prefixBytes = prefix
        suffixBytes = suffix
        if case .huggingFace(let f) = fallback { isHF = true; fuseUnk = f } else { isHF = false; fuseUnk = false }
        var entries = [[(UInt32, UInt32)]](repeating: [], count: 4)
        var bytes = [UInt32](repeating: UInt32.max, count: 256)
        for (t, id) in vocab {
            if let b = Self.byteToken(t), bytes[Int(b)] == UInt32.max { bytes[Int(b)] = id }
            for v in 0..<4 {
                let p = v & 1 != 0 ? prefix : [], s = v & 2 != 0 ? suffix : []
                if (v & 1 != 0 && prefix.isEmpty) || (v & 2 != 0 && suffix.isEmpty) { continue }
                guard t.count > p.count + s.count, t.starts(with: p), t.reversed().starts(with: s.reversed()) else { continue }
                let c = Array(t[p.count..<(t.count - s.count)])
                if let key = Self.oneCharacter(c) { entries[v].append((key, id)) }
            }
        }
        self.extraBase = extraBase
        var extra: [UInt32] = []
        for (i, c) in extraCharacters.enumerated() {
            guard let key = Self.oneCharacter(c) else { continue }
            entries[0].append((key, extraBase + UInt32(i)))
            extra.append(key)
        }
        extraBytes = extra
        byteIDs = bytes
        tables = entries.map { CharTable($0) }
    }

    /// `<0xXX>` → XX.
    static func byteToken(_ t: [UInt8]) -> UInt8? {
        guard t.count == 6, t[0] == 0x3C, t[1] == 0x30, t[2] == 0x78, t[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        guard let h = hex(t[3]), let l = hex(t[4]) else { return nil }
        return h << 4 | l
    }

    /// The bytes of exactly one UTF-8 character, packed little-endian (never 0 for a non-NUL
    /// character; NUL packs to 0 and is kept apart by the table).
    static func oneCharacter(_ c: [UInt8]) -> UInt32? {
        guard !c.isEmpty, c.count <= 4, utf8Length(c[0]) == c.count else { return nil }
        var k: UInt32 = 0
        for (i, b) in c.enumerated() { k |= UInt32(b) << (8 * UInt32(i)) }
        return k
    }

    /// Length of the UTF-8 sequence a lead byte starts (1 for bytes that cannot lead one).
    @inline(__always) static func utf8Length(_ b: UInt8) -> Int {
        if b < 0xC0 { return 1 }
        if b < 0xE0 { return 2 }
        if b < 0xF0 { return 3 }
        if b < 0xF8 { return 4 }
        return 1
    }

    /// Appends the initial symbols of `piece` to `ids`; `unknown` receives length << 32 | packed
    /// bytes of each character that is not a token (its id is `unknownTag | index`).
    @inline(__always)
    func fill(_ piece: UnsafeBufferPointer<UInt8>, ids: inout [UInt32], unknown: inout [UInt64]) {
        let n = piece.count
        var i = 0
        let plain = tables[0]
        let simple = !hasPrefix && !hasSuffix
        var pendingUnk = false
        while i < n {
            let b = piece[i]
            var len = Self.utf8Length(b)
            if i + len > n { len = 1 }
            var key = UInt32(b)
            if len > 1 {
                var ok = true
                for k in 1..<len {
                    let c = piece[i + k]
                    if c & 0xC0 != 0x80 { ok = false; break }
                    key |= UInt32(c) << (8 * UInt32(k))
                }
                if !ok { len = 1; key = UInt32(b) }
            }
            let table: CharTable
            var v = 0
            if simple {
                table = plain
            } else {
                v = (i > 0 && hasPrefix ? 1 : 0) | (i + len == n && hasSuffix ? 2 : 0)
                table = tables[v]
            }
            if let id = table.get(key, length: len) {
                if pendingUnk { ids.append(unk!); pendingUnk = false }
                ids.append(id)
            } else if isHF {
                huggingFaceUnknown(key, len, variant: v, ids: &ids, pending: &pendingUnk)
            } else {
                ids.append(Self.unknownTag | UInt32(unknown.count))
                unknown.append(UInt64(len) << 32 | UInt64(key))
            }
            i += len
        }
        if pendingUnk { ids.append(unk!) }
    }

    /// HF's handling of a character that is not in the vocabulary (in `merge_word`, before the
    /// merges): byte tokens for the looked-up string's bytes when all exist (a pending unknown
    /// token stays pending, as in HF), else an unknown token, fused with the pending one.
    func huggingFaceUnknown(_ key: UInt32, _ len: Int, variant v: Int, ids: inout [UInt32], pending: inout Bool) {
        if byteFallback {
            var bytes: [UInt8] = v & 1 != 0 ? prefixBytes : []
            for k in 0..<len { bytes.append(UInt8(truncatingIfNeeded: key >> (8 * UInt32(k)))) }
            if v & 2 != 0 { bytes.append(contentsOf: suffixBytes) }
            if bytes.allSatisfy({ byteIDs[Int($0)] != UInt32.max }) {
                for b in bytes { ids.append(byteIDs[Int(b)]) }
                return
            }
        }
        guard let unk else { return }
        if pending {
            if !fuseUnk { ids.append(unk) }
        } else {
            pending = true
        }
    }

    /// Appends the final symbols to `out`, with the unknown ones resolved (sentencepiece: after the
    /// merges; HF models resolve them in `fill`, so their symbols are final).
    @inline(__always)
    func emit(_ ids: UnsafeBufferPointer<UInt32>, unknown: [UInt64], into out: inout IDSink) {
        var prevUnk = false
        for id in ids {
            var key: UInt32 = 0, len = 0
            if id & Self.unknownTag != 0 {
                let u = unknown[Int(id & ~Self.unknownTag)]
                key = UInt32(truncatingIfNeeded: u)
                len = Int(u >> 32)
            } else if id >= extraBase && Int(id - extraBase) < extraBytes.count {
                key = extraBytes[Int(id - extraBase)]
                len = Self.utf8Length(UInt8(truncatingIfNeeded: key))
            } else {
                out.append(id)
                prevUnk = false
                continue
            }
            switch fallback {
            case .sentencePiece:
                if byteFallback {
                    for k in 0..<len {
                        let b = byteIDs[Int(key >> (8 * UInt32(k)) & 0xFF)]
                        if b != UInt32.max { out.append(b) } else if let unk { out.append(unk) }
                    }
                } else if let unk, !prevUnk {
                    out.append(unk)
                    prevUnk = true
                }
            case .huggingFace:
                // resolved by `fill` before the merges; never tagged
                break
            }
        }
    }
}

/// Open-addressing table from one packed UTF-8 character (with its length, so that NUL and
/// stray bytes are told apart) to an id; ASCII in a direct array.
struct CharTable {
    let ascii: [UInt32]
    let keys: [UInt64]
    let ids: [UInt32]
    let mask: Int

    init(_ entries: [(UInt32, UInt32)]) {
        var a = [UInt32](repeating: UInt32.max, count: 128)
        var cap = 64
        while cap < entries.count * 2 { cap <<= 1 }
        var k = [UInt64](repeating: 0, count: cap)
        var v = [UInt32](repeating: 0, count: cap)
        let m = cap - 1
        for (key, id) in entries {
            let len = CharacterSymbols.utf8Length(UInt8(truncatingIfNeeded: key))
            if len == 1 && key < 0x80 {
                if a[Int(key)] == UInt32.max { a[Int(key)] = id }
                continue
            }
            let full = Self.full(key, len)
            var i = Self.slot(full) & m
            while k[i] != 0 && k[i] != full { i = (i + 1) & m }
            if k[i] == 0 { k[i] = full; v[i] = id }
        }
        ascii = a
        keys = k
        ids = v
        mask = m
    }

    @inline(__always) static func full(_ key: UInt32, _ len: Int) -> UInt64 { UInt64(len) << 32 | UInt64(key) }
    @inline(__always) static func slot(_ k: UInt64) -> Int { Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 40) }

    @inline(__always) func get(_ key: UInt32, length: Int) -> UInt32? {
        if length == 1 && key < 0x80 {
            let id = ascii[Int(key)]
            return id == UInt32.max ? nil : id
        }
        let full = Self.full(key, length)
        var i = Self.slot(full) & mask
        while true {
            let k = keys[i]
            if k == full { return ids[i] }
            if k == 0 { return nil }
            i = (i + 1) & mask
        }
    }
}

extension Encoder {
    /// Character-level BPE over one piece: its characters as symbols, the merges, then the
    /// symbols that are not tokens resolved (byte fallback or the unknown token).
    func mergeCharacters(_ c: CharacterSymbols, _ piece: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        ids.removeAll(keepingCapacity: true)
        unknownChars.removeAll(keepingCapacity: true)
        c.fill(piece, ids: &ids, unknown: &unknownChars)
        let unknown = unknownChars
        ids.withUnsafeBufferPointer { symbols in
            mergeSymbols(symbols) { c.emit($0, unknown: unknown, into: &out) }
        }
    }
}
