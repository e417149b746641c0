import Foundation

/// SentencePiece `.model` files (a serialized `ModelProto`, sentencepiece's
/// src/sentencepiece_model.proto): BPE models are read; every other model type and the options the
/// encoder does not implement are refused by name.
///
/// What is read: the pieces (piece, score, type), `trainer_spec.model_type`, `byte_fallback`,
/// `treat_whitespace_as_suffix`, and the normalizer spec (`precompiled_charsmap`,
/// `add_dummy_prefix`, `remove_extra_whitespaces`, `escape_whitespaces`). Everything else in the
/// file is training-time information that does not change encoding.
///
/// Encoding follows sentencepiece 0.2's `SentencePieceProcessor::Encode` (normalizer.cc,
/// bpe_model.cc, PopulateSentencePieceText): the normalized text is cut into characters (user
/// defined pieces matched whole first and never merged), adjacent symbols merge when their
/// concatenation is a piece, highest score first and leftmost on ties; a symbol that is not a
/// piece becomes byte pieces `<0xXX>` with byte fallback, else the unknown id (one for a run).
extension BPEModel {
    enum SPType: UInt64 { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }

    /// True when `head` (the first bytes of a file) starts like a serialized ModelProto: its first
    /// field is a piece (field 1, length-delimited) whose own first field is a piece string.
    public static func looksLikeSentencePiece(_ head: [UInt8]) -> Bool {
        var r = ProtoReader(head, path: "")
        guard let (field, wire) = try? r.key(), field == 1, wire == 2,
              let len = try? r.varint(), len >= 2, len < 1 << 20 else { return false }
        guard let (f2, w2) = try? r.key(), f2 == 1, w2 == 2, let slen = try? r.varint(), slen >= 1, slen < len else { return false }
        return true
    }

    /// Loads a SentencePiece BPE `.model`.
    public static func loadSentencePiece(path: String) throws -> BPEModel {
        let data: [UInt8]
        do { data = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw TokenizerError("\(path): cannot read: \(error.localizedDescription)")
        }
        return try loadSentencePiece(data, path: path)
    }

    static func loadSentencePiece(_ data: [UInt8], path: String) throws -> BPEModel {
        func fail(_ reason: String, hint: String = "") -> TokenizerError {
            TokenizerError("\(path): \(reason)" + (hint.isEmpty ? "" : " (\(hint))"))
        }
        var pieces: [([UInt8], Float, SPType)] = []
        var modelType: UInt64 = 1  // the proto's default: UNIGRAM
        var byteFallback = false, suffix = false
        var charsmap: [UInt8] = []
        var addDummyPrefix = true, removeExtra = true, escape = true
        var normalizerName = ""
        var r = ProtoReader(data, path: path)
        while !r.atEnd {
            let (field, wire) = try r.key()
            switch (field, wire) {
            case (1, 2):
                var p = try r.message()
                var piece: [UInt8]? = nil, score: Float = 0, type = SPType.normal
                while !p.atEnd {
                    let (f, w) = try p.key()
                    switch (f, w) {
                    case (1, 2): piece = try p.bytes()
                    case (2, 5): score = Float(bitPattern: try p.fixed32())
                    case (3, 0):
                        let t = try p.varint()
                        guard let k = SPType(rawValue: t) else { throw fail("piece \(pieces.count) has an unknown type \(t)") }
                        type = k
                    default: try p.skip(w)
                    }
                }
                guard let piece, !piece.isEmpty else { throw fail("piece \(pieces.count) is empty") }
                pieces.append((piece, score, type))
            case (2, 2):
                var t = try r.message()
                while !t.atEnd {
                    let (f, w) = try t.key()
                    switch (f, w) {
                    case (3, 0): modelType = try t.varint()
                    case (24, 0): suffix = try t.varint() != 0
                    case (35, 0): byteFallback = try t.varint() != 0
                    default: try t.skip(w)
                    }
                }
            case (3, 2):
                var n = try r.message()
                while !n.atEnd {
                    let (f, w) = try n.key()
                    switch (f, w) {
                    case (1, 2): normalizerName = String(decoding: try n.bytes(), as: UTF8.self)
                    case (2, 2): charsmap = try n.bytes()
                    case (3, 0): addDummyPrefix = try n.varint() != 0
                    case (4, 0): removeExtra = try n.varint() != 0
                    case (5, 0): escape = try n.varint() != 0
                    default: try n.skip(w)
                    }
                }
            default:
                try r.skip(wire)
            }
        }
        guard !pieces.isEmpty else { throw fail("no pieces: not a SentencePiece model", hint: "pass a sentencepiece .model file, a tokenizer.json or a tiktoken ranks file") }
        let typeName = [1: "unigram", 2: "bpe", 3: "word", 4: "char"][Int(clamping: modelType)] ?? "type \(modelType)"
        guard modelType == 2 else {
            throw fail("a SentencePiece \(typeName) model: only BPE models (model_type BPE) are supported",
                       hint: "unigram, word and char models would give different ids; use a BPE model or sentencepiece itself")
        }
        guard !suffix else {
            throw fail("treat_whitespace_as_suffix is set: not supported", hint: "only models that put the whitespace symbol before words are read")
        }

        // sentencepiece's two maps (model_interface.cc): mergeable pieces (normal, user defined,
        // unused) and reserved ones (unknown, control, byte); a string looked up as an id is
        // found among the reserved ones first. Open-addressing tables over the bytes (a Swift
        // dictionary keyed by [UInt8] made loading 3x slower).
        var mergeableEntries: [([UInt8], UInt32)] = [], reservedEntries: [([UInt8], UInt32)] = []
        mergeableEntries.reserveCapacity(pieces.count)
        var unk: UInt32? = nil
        var userDefined: [String: UInt32] = [:]
        var specials: [String: UInt32] = [:]
        var tokenBytes: [[UInt8]?] = []
        tokenBytes.reserveCapacity(pieces.count)
        let ws: [UInt8] = [0xE2, 0x96, 0x81]
        var byteSeen = [Bool](repeating: false, count: 256)
        for (i, (piece, score, type)) in pieces.enumerated() {
            let id = UInt32(i)
            guard !score.isNaN else { throw fail("piece \(i) has a NaN score") }
            if type == .normal || type == .userDefined || type == .unused {
                mergeableEntries.append((piece, id))
            } else {
                reservedEntries.append((piece, id))
            }
            switch type {
            case .unused:
                throw fail("piece \(i) is of type UNUSED: sentencepiece resegments such pieces, which is not supported",
                           hint: "a model trained by spm_train has none")
            case .unknown:
                guard unk == nil else { throw fail("more than one unknown piece (\(unk!) and \(i))") }
                unk = id
                specials[String(decoding: piece, as: UTF8.self)] = id
                tokenBytes.append(nil)
            case .control:
                specials[String(decoding: piece, as: UTF8.self)] = id
                tokenBytes.append(nil)
            case .byte:
                guard byteFallback else { throw fail("piece \(i) is a byte piece but byte_fallback is off") }
                guard let b = CharacterSymbols.byteToken(piece) else { throw fail("piece \(i) (\(String(decoding: piece, as: UTF8.self))) is of type BYTE but not <0xXX>") }
                byteSeen[Int(b)] = true
                tokenBytes.append([b])
            case .normal, .userDefined:
                if type == .userDefined {
                    guard String(validating: piece, as: UTF8.self) != nil, !piece.contains(0) else {
                        throw fail("user-defined piece \(i) is not valid UTF-8")
                    }
                    userDefined[String(decoding: piece, as: UTF8.self)] = id
                }
                tokenBytes.append(replacing(ws, with: escape ? [0x20] : ws, in: piece))
            }
        }
        guard let unk else { throw fail("the model has no unknown piece (sentencepiece refuses it too)") }
        if byteFallback, let b = byteSeen.firstIndex(of: false) {
            throw fail("byte_fallback is on but there is no byte piece <0x\(String(format: "%02X", b))>")
        }
        let mergeable = TokenTable(mergeableEntries), reserved = TokenTable(reservedEntries)
        for (table, entries) in [(mergeable, mergeableEntries), (reserved, reservedEntries)] {
            for (piece, id) in entries where piece.withUnsafeBufferPointer({ table.get($0) }) != id {
                throw fail("piece \(id) (\(String(decoding: piece, as: UTF8.self))) is a duplicate")
            }
        }

        // The id each string gets as a symbol: one character → reserved, mergeable, else an id
        // of its own when it occurs inside a mergeable piece (sentencepiece merges strings, so
        // such a character can still become part of a piece); longer → a mergeable piece.
        // Characters are keyed by their packed UTF-8 bytes.
        var charIDs: [([UInt8], UInt32)] = []
        var charMap: [UInt32: UInt32] = [:]
        for (piece, id) in mergeableEntries {
            if let k = CharacterSymbols.oneCharacter(piece) { charMap[k] = id }
        }
        for (piece, id) in reservedEntries {
            if let k = CharacterSymbols.oneCharacter(piece) { charMap[k] = id }
        }
        for (piece, id) in reservedEntries where CharacterSymbols.byteToken(piece) != nil { charIDs.append((piece, id)) }
        var extra: [[UInt8]] = []
        var extraIDs: [UInt32: UInt32] = [:]
        let extraBase = UInt32(pieces.count)
        // characters of mergeable pieces that are not pieces themselves
        for (piece, _, type) in pieces where type == .normal || type == .userDefined {
            var i = 0
            while i < piece.count {
                let len = CharacterSymbols.utf8Length(piece[i])
                guard i + len <= piece.count, let k = CharacterSymbols.oneCharacter(Array(piece[i..<(i + len)])) else {
                    throw fail("piece \(String(decoding: piece, as: UTF8.self)) is not valid UTF-8")
                }
                if charMap[k] == nil && extraIDs[k] == nil {
                    extraIDs[k] = extraBase + UInt32(extra.count)
                    extra.append(Array(piece[i..<(i + len)]))
                }
                i += len
            }
        }
        for (k, id) in charMap {
            var c: [UInt8] = []
            var v = k
            for _ in 0..<CharacterSymbols.utf8Length(UInt8(truncatingIfNeeded: k)) { c.append(UInt8(truncatingIfNeeded: v)); v >>= 8 }
            charIDs.append((c, id))
        }
        @inline(__always) func symbolID(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> UInt32? {
            if CharacterSymbols.utf8Length(p[a]) == b - a {
                var k: UInt32 = 0
                for j in a..<b { k |= UInt32(p[j]) << (8 * UInt32(j - a)) }
                return charMap[k] ?? extraIDs[k]
            }
            return mergeable.get(UnsafeBufferPointer(rebasing: p[a..<b]))
        }

        // Pair table: (left symbol, right symbol) → (priority, piece) for every way of cutting a
        // mergeable piece in two symbols; priority = rank of the score, highest first (equal
        // scores share a rank: the leftmost pair merges first, as in sentencepiece's agenda).
        let scores = Set(pieces.lazy.filter { $0.2 == .normal || $0.2 == .userDefined }.map { $0.1 }).sorted(by: >)
        var rank: [Float: UInt32] = [:]
        rank.reserveCapacity(scores.count)
        for (i, s) in scores.enumerated() { rank[s] = UInt32(i) }
        var entries: [(UInt32, UInt32, UInt32, UInt32)] = []
        entries.reserveCapacity(pieces.count * 4)
        let wsSymbol = escape ? ws : [0x20]
        var crossesSpace = false
        for (i, (piece, score, type)) in pieces.enumerated() where type == .normal || type == .userDefined {
            let prio = rank[score]!
            piece.withUnsafeBufferPointer { p in
                let n = p.count
                @inline(__always) func isWS(_ at: Int) -> Bool {
                    at + wsSymbol.count <= n && (0..<wsSymbol.count).allSatisfy { p[at + $0] == wsSymbol[$0] }
                }
                var cut = CharacterSymbols.utf8Length(p[0])
                var prevWS = isWS(0)
                while cut < n {
                    let here = isWS(cut)
                    if here && !prevWS { crossesSpace = true }
                    if let l = symbolID(p, 0, cut), let r = symbolID(p, cut, n) {
                        entries.append((l, r, prio, UInt32(i)))
                    }
                    prevWS = here
                    cut += CharacterSymbols.utf8Length(p[cut])
                }
            }
        }
        // Cutting the normalized text before each whitespace symbol that follows another
        // character gives the same ids as merging over the whole text when no piece holds such
        // a pair (merges and user-defined matches never cross the cut) and a run of unknown
        // characters cannot continue across it (the whitespace symbol is a piece, or byte
        // fallback writes unknown characters byte by byte).
        let wsKey = CharacterSymbols.oneCharacter(wsSymbol)!
        let splitAtSpaces = !crossesSpace && (byteFallback || charMap[wsKey] != nil)

        let normalizer: SentencePieceNormalizer
        do {
            normalizer = try SentencePieceNormalizer(charsmap: charsmap, addDummyPrefix: addDummyPrefix, removeExtraWhitespaces: removeExtra,
                                                     escapeWhitespaces: escape, userDefined: userDefined, splitAtSpaces: splitAtSpaces,
                                                     name: normalizerName)
        } catch let e as TokenizerError {
            throw fail(e.description)
        }
        let symbols = CharacterSymbols(vocab: charIDs, byteFallback: byteFallback, unk: unk, fallback: .sentencePiece,
                                       extraCharacters: extra, extraBase: extraBase)
        // the extra characters' ids (beyond the vocabulary) are never written: emit turns them
        // into byte pieces or the unknown id
        return try BPEModel(kind: .sentencePiece, tokenBytes: tokenBytes, pairs: PairTable(entries), wholeLookup: nil,
                            specials: specials, splitRegex: "", addPrefixSpace: false, normalizer: nil,
                            symbols: .characters(symbols), sentencePiece: normalizer)
    }

    static func replacing(_ a: [UInt8], with b: [UInt8], in s: [UInt8]) -> [UInt8] {
        guard a != b, s.count >= a.count else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + a.count <= s.count && s[i..<(i + a.count)].elementsEqual(a) {
                out.append(contentsOf: b)
                i += a.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }
}

/// A bounds-checked reader of protobuf's wire format (untrusted input: every length is checked
/// against what is left; groups are refused).
struct ProtoReader {
    let data: [UInt8]
    var pos: Int
    let end: Int
    let path: String

    init(_ data: [UInt8], path: String) {
        self.data = data
        pos = 0
        end = data.count
        self.path = path
    }

    init(_ data: [UInt8], from: Int, to: Int, path: String) {
        self.data = data
        pos = from
        end = to
        self.path = path
    }

    var atEnd: Bool { pos >= end }

    func fail(_ reason: String) -> TokenizerError {
        TokenizerError("\(path): not a valid SentencePiece model: \(reason) at byte \(pos) (a truncated or corrupt file? a .model is a serialized sentencepiece ModelProto)")
    }

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw fail("truncated varint") }
            let b = data[pos]
            pos += 1
            guard shift < 64 else { throw fail("varint longer than 10 bytes") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    mutating func key() throws -> (UInt64, UInt64) {
        let k = try varint()
        guard k >> 3 != 0 else { throw fail("field number 0") }
        return (k >> 3, k & 7)
    }

    mutating func length() throws -> Int {
        let n = try varint()
        guard n <= UInt64(end - pos) else { throw fail("length \(n) runs past the end") }
        return Int(n)
    }

    mutating func bytes() throws -> [UInt8] {
        let n = try length()
        defer { pos += n }
        return Array(data[pos..<(pos + n)])
    }

    mutating func message() throws -> ProtoReader {
        let n = try length()
        defer { pos += n }
        return ProtoReader(data, from: pos, to: pos + n, path: path)
    }

    mutating func fixed32() throws -> UInt32 {
        guard end - pos >= 4 else { throw fail("truncated 32-bit field") }
        defer { pos += 4 }
        return UInt32(data[pos]) | UInt32(data[pos + 1]) << 8 | UInt32(data[pos + 2]) << 16 | UInt32(data[pos + 3]) << 24
    }

    mutating func skip(_ wire: UInt64) throws {
        switch wire {
        case 0: _ = try varint()
        case 1:
            guard end - pos >= 8 else { throw fail("truncated 64-bit field") }
            pos += 8
        case 2: pos += try length()
        case 5: _ = try fixed32()
        default: throw fail("wire type \(wire) is not supported")
        }
    }
}
