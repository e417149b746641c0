// The encoder's design (see docs/perf/tokenize-encoder.md for the measurements behind it):
// * one Encoder per thread; it owns its splitter's match data, scratch and a private PieceCache;
// * at --jobs > 1 the encoders share a lock-free SharedPieceCache first, held as raw pointers (a
//   class reference would be a contended reference count);
// * tables the hot path probes (PairTable, PieceCache) live in huge-page mappings, one cache line
//   per probe;
// * a piece the cache misses: a bit filter of the tokens skips most whole-piece probes of
//   non-tokens; byte-level pieces merge in raw scratch (mergeBytes, or mergeBytesLong's heap
//   beyond 48 bytes);
// * invariants: the same text gives the same ids whatever the cache state, the --jobs count or
//   the batch cut; the hot path retains and releases nothing.

import CICUShim
import Foundation
import Glibc
import LLMDataBPETraining
import Synchronization

/// Encodes UTF-8 text into token ids with a `BPEModel`. One per thread: it owns the split
/// pattern's match data, scratch buffers and a piece cache.
///
/// Phases per text: (1) split into pieces with the pattern (PCRE2 JIT); (2) for each piece, the
/// cache; (3) whole-piece lookup (tiktoken, or HF `ignore_merges`); (4) BPE merges: a piece of
/// n bytes starts as n byte tokens and the adjacent pair with the lowest priority is merged,
/// leftmost first, until no pair merges. Short pieces use a direct scan; long ones a heap with
/// lazy invalidation, so the work is O(n log n) even for a megabyte-long piece.
public final class Encoder {
    public let model: BPEModel
    /// The split pattern (LLMDataBPETraining's PCRE2 pre-tokenizer, with its ASCII fast path when the
    /// pattern is one of the built-in ones), one splitter per encoder.
    let splitter: PreTokenizer.Splitter?
    let pairs: PairTable
    let byteToID: UnsafeMutablePointer<UInt32>
    let whole: TokenTable?
    let maxTokenLength: Int
    /// ICU NFC for tokenizer.json files with an NFC normalizer (Qwen2 style).
    let nfc: OpaquePointer?
    /// Every special and added token (`--allow-special`), and the added tokens that are not
    /// special (always matched).
    /// A tokenizer.json's added tokens, normalizers and pre-tokenizer steps, run before the split
    /// pattern (nil for other formats).
    let front: TokenizerJSONFront?
    let allSpecials: TokenMatcher
    let alwaysMatched: TokenMatcher
    public var allowSpecial = false
    // scratch
    var ids: [UInt32] = []
    /// Character-level symbols (Symbols.swift), nil for byte-level models; their scratch.
    let characters: CharacterSymbols?
    var unknownChars: [UInt64] = []
    /// SentencePiece models: the normalizer, and the normalized text.
    let sentencePiece: SentencePieceNormalizer?
    var spText: [UInt8] = []
    let cache: PieceCache
    /// `mergeBytes`' symbols and pair priorities.
    let scratch = MergeScratch()
    /// A cache shared by the encoders of one run (`--jobs` > 1), consulted first; the private
    /// cache takes over once it has stopped taking pieces. `sharedOwner` keeps it alive; the hot
    /// path uses `shared`, raw pointers only: a class reference would be retained and released
    /// around every use, and with several threads on one object that reference count is a
    /// contended cache line (measured: swift_retain/release 3% -> 24% of samples at --jobs 2).
    let sharedOwner: SharedPieceCache?
    let shared: SharedPieceCache.Ref?

    /// `privateCache`: a cache made (and prefaulted) ahead of time, or nil for a new one.
    public init(model: BPEModel, sharedCache: SharedPieceCache? = nil, privateCache: PieceCache? = nil) throws {
        self.model = model
        sharedOwner = sharedCache
        shared = sharedCache?.ref
        if model.splitRegex.isEmpty {
            splitter = nil
        } else if let builtin = SplitPattern.allCases.first(where: { $0.regex == model.splitRegex }) {
            splitter = try PreTokenizer(builtin).makeSplitter()
        } else if let same = TiktokenPattern.allCases.first(where: { $0.regex == model.splitRegex }) {
            // tiktoken's spelling of a built-in pattern: the same pieces, so the same ASCII fast
            // path (without it every piece went through PCRE2: ~20% of encoding's samples)
            splitter = try PreTokenizer(regex: model.splitRegex, asciiFastPathOf: same.splitPattern).makeSplitter()
        } else {
            splitter = try PreTokenizer(regex: model.splitRegex).makeSplitter()
        }
        front = try model.pipeline.map { try TokenizerJSONFront($0, splitRegex: model.splitRegex) }
        allSpecials = TokenMatcher(model.specials)
        alwaysMatched = TokenMatcher(model.addedTokens)
        cache = privateCache ?? PieceCache()
        pairs = model.pairs
        byteToID = .allocate(capacity: 256)
        for i in 0..<256 { byteToID[i] = model.byteToID[i] }
        whole = model.wholeTable
        maxTokenLength = model.maxTokenLength
        if case .characters(let c) = model.symbols { characters = c } else { characters = nil }
        sentencePiece = model.sentencePiece
        if model.normalizer == "NFC" {
            guard let n = llm_normalizer_new(Int32(LLM_FORM_NFC), 0) else { throw TokenizerError("ICU NFC normalizer unavailable") }
            nfc = n
        } else {
            nfc = nil
        }
    }

    deinit {
        byteToID.deallocate()
        if let nfc { llm_normalizer_free(nfc) }
    }

    /// Appends the ids of `text` to `out`.
    public func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        let sc = scratch
        var sink = IDSink(base: sc.outBase, count: 0, capacity: sc.outCapacity)
        // byte-level models give at most one id per byte (one more for a prefix space)
        sink.reserve(text.count + 8)
        encode(text, into: &sink)
        sc.outBase = sink.base
        sc.outCapacity = sink.capacity
        out.append(contentsOf: UnsafeBufferPointer(start: sink.base, count: sink.count))
    }

    func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        if let front {
            encodeTokenizerJSON(front, text, into: &out)
            return
        }
        if let nfc {
            var res: UnsafePointer<UInt8>? = nil
            let n = llm_normalize_utf8(nfc, text.baseAddress, text.count, &res)
            if n >= 0 {
                let copy = Array(UnsafeBufferPointer(start: res, count: Int(n)))
                copy.withUnsafeBufferPointer { encodeSpecials($0, into: &out) }
                return
            }
        }
        encodeSpecials(text, into: &out)
    }

    /// Splits the text at the tokens to match (leftmost, then longest, as HF's added vocabulary
    /// does; tiktoken takes the first alternative of its special-token regex, the same here since
    /// no special token of these tokenizers is a prefix of another) and encodes the text between.
    func encodeSpecials(_ text: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        let m = allowSpecial ? allSpecials : alwaysMatched
        if m.isEmpty {
            encodeOrdinary(text, into: &out)
            return
        }
        var start = 0
        var i = 0
        let n = text.count
        while i < n {
            if m.first[Int(text[i])], let (len, id) = m.match(text, i) {
                encodeOrdinary(UnsafeBufferPointer(rebasing: text[start..<i]), into: &out)
                out.append(id)
                i += len
                start = i
                continue
            }
            i += 1
        }
        encodeOrdinary(UnsafeBufferPointer(rebasing: text[start..<n]), into: &out)
    }

    /// A tokenizer.json's text as HF does it (AddedTokens.swift): added tokens found in the raw
    /// text, each stretch between them normalized, the normalized added tokens found, each
    /// remaining stretch split by the pre-tokenizer steps, each piece encoded by the model (the
    /// split pattern and byte-level BPE: `encodeOrdinary`).
    func encodeTokenizerJSON(_ f: TokenizerJSONFront, _ text: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        let allow = allowSpecial
        f.scan(text, f.raw, allowSpecial: allow, atStart: true) { s, e, id, atStart in
            if let id {
                out.append(id)
                return
            }
            f.normalizer.normalize(UnsafeBufferPointer(rebasing: text[s..<e])) { norm in
                f.scan(norm, f.normed, allowSpecial: allow, atStart: atStart) { s2, e2, id2, atStart2 in
                    if let id2 {
                        out.append(id2)
                        return
                    }
                    f.pre.run(UnsafeBufferPointer(rebasing: norm[s2..<e2]), atStart: atStart2) { piece, _ in
                        encodeOrdinary(piece, into: &out)
                    }
                }
            }
        }
    }

    public func encode(_ s: String) -> [UInt32] {
        var out: [UInt32] = []
        var s = s
        s.withUTF8 { encode($0, into: &out) }
        return out
    }

    func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        if text.isEmpty { return }
        if let sentencePiece {
            encodeSentencePiece(sentencePiece, text, into: &out)
            return
        }
        if model.addPrefixSpace && text[0] != 0x20 {
            var t = [UInt8](repeating: 0x20, count: 1)
            t.append(contentsOf: text)
            t.withUnsafeBufferPointer { encodeOrdinaryNoPrefix($0, into: &out) }
        } else {
            encodeOrdinaryNoPrefix(text, into: &out)
        }
    }

    func encodeOrdinaryNoPrefix(_ text: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        if let deepseek = front?.deepseek {
            deepseek.forEachPiece(text, ahead: { p in
                if let shared { shared.prefetch(p) } else { cache.prefetch(p) }
            }) { encodePiece($0, into: &out) }
            return
        }
        guard let splitter else {
            encodePiece(text, into: &out)
            return
        }
        var done = 0
        do {
            // the pieces a batch of matches at a time, walked here (no closure call per piece);
            // the cache slot of the piece `d` places ahead is prefetched, so that lookups, which
            // miss the CPU cache, overlap instead of waiting one after another
            guard let base = text.baseAddress else { return }
            let len = text.count
            // ahead; the key (words and hash) of a piece of 2...16 bytes is computed once, for
            // the prefetch, and kept in a ring for the lookup
            let eb = scratch.ends, ring = scratch.keyRing, d = Self.prefetchDistance
            while done < len {
                let n = try splitter.split(text, from: done, into: eb, capacity: MergeScratch.endsCapacity)
                var k = 0
                while k < min(d, n) {
                    prefetchPiece(base, k == 0 ? done : Int(eb[k - 1]), Int(eb[k]), ring + (k & MergeScratch.ringMask))
                    k += 1
                }
                var i = 0
                while i < n {
                    let j = i + d
                    if j < n { prefetchPiece(base, Int(eb[j - 1]), Int(eb[j]), ring + (j & MergeScratch.ringMask)) }
                    let e = Int(eb[i])
                    let m = e - done
                    let piece = UnsafeBufferPointer(start: base + done, count: m)
                    if m >= 2 && m <= PieceCache.inlineKey {
                        encodeShort(piece, ring[i & MergeScratch.ringMask], into: &out)
                    } else {
                        encodePiece(piece, into: &out)
                    }
                    done = e
                    i += 1
                }
            }
        } catch {
            if let front {
                // a tokenizer.json pattern that matched an empty string: the rest as HF splits it
                front.splitLeaf(text, from: done) { encodePiece($0, into: &out) }
            } else {
                // PCRE2 resource errors only (patterns cannot fail to match): the rest as one piece
                encodePiece(UnsafeBufferPointer(rebasing: text[done...]), into: &out)
            }
        }
    }

    /// The key of the piece `base[s..<e]` into `slot` and its cache slot prefetched, if it has
    /// 2...16 bytes.
    @inline(__always)
    func prefetchPiece(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int, _ slot: UnsafeMutablePointer<PieceCache.ShortKey>) {
        let n = e - s
        guard n >= 2 && n <= PieceCache.inlineKey else { return }
        let k = PieceCache.shortKey(UnsafeRawPointer(base + s), n)
        slot.pointee = k
        if let shared { shared.prefetch(k) } else { cache.prefetch(k) }
    }

    /// `encodePiece` for a piece of 2...16 bytes whose key is known.
    @inline(__always)
    func encodeShort(_ piece: UnsafeBufferPointer<UInt8>, _ key: PieceCache.ShortKey, into out: inout IDSink) {
        let n = piece.count
        if let shared {
            if shared.lookup(n, key, into: &out) { return }
            if shared.isStopped, cache.lookup(n, key, into: &out) { return }
        } else if cache.lookup(n, key, into: &out) {
            return
        }
        encodeMiss(piece, into: &out)
    }

    /// A cacheable piece the caches do not hold: the whole-piece lookup or the merges, then
    /// into the cache.
    @inline(never)
    func encodeMiss(_ piece: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        let start = out.count
        if let whole, piece.count <= maxTokenLength, whole.mayHold(piece), let id = whole.get(piece) {
            out.append(id)
        } else {
            merge(piece, into: &out)
        }
        let ids = UnsafeBufferPointer(start: out.base + start, count: out.count - start)
        if shared?.insert(piece, ids) != true { cache.insert(piece, ids) }
    }

    @inline(__always)
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        if piece.count == 1 {
            if let characters {
                mergeCharacters(characters, piece, into: &out)
            } else {
                out.append(byteToID[Int(piece[0])])
            }
            return
        }
        let cacheable = piece.count <= PieceCache.maxPieceLength
        if cacheable {
            if let shared {
                if shared.lookup(piece, into: &out) { return }
                if shared.isStopped, cache.lookup(piece, into: &out) { return }
            } else if cache.lookup(piece, into: &out) {
                return
            }
        }
        let start = out.count
        if let whole, piece.count <= maxTokenLength, whole.mayHold(piece), let id = whole.get(piece) {
            out.append(id)
        } else {
            merge(piece, into: &out)
        }
        if cacheable {
            let ids = UnsafeBufferPointer(start: out.base + start, count: out.count - start)
            if shared?.insert(piece, ids) != true { cache.insert(piece, ids) }
        }
    }

    /// How many pieces ahead of the one being encoded its cache slot is prefetched.
    static let prefetchDistance = 8

    /// BPE merges over one piece.
    func merge(_ piece: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        if let characters {
            mergeCharacters(characters, piece, into: &out)
            return
        }
        let n = piece.count
        if n <= MergeScratch.capacity {
            mergeBytes(piece, into: &out)
        } else {
            mergeBytesLong(piece, into: &out)
        }
    }

    /// A byte-level piece of more than `MergeScratch.capacity` bytes: its byte ids into the
    /// scratch's long buffers, then `mergeHeap`.
    func mergeBytesLong(_ piece: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        let n = piece.count
        scratch.reserveLong(n)
        let ids = scratch.longIDs, b2i = byteToID
        for i in 0..<n { ids[i] = b2i[Int(piece[i])] }
        let count = mergeHeap(n)
        out.append(contentsOf: UnsafeBufferPointer(start: ids, count: count))
    }

    /// A byte-level piece of 2...`MergeScratch.capacity` bytes: its byte ids into the scratch,
    /// then `mergeScan`.
    @inline(__always)
    func mergeBytes(_ piece: UnsafeBufferPointer<UInt8>, into out: inout IDSink) {
        let n = piece.count
        let p = scratch.ids, b2i = byteToID
        for i in 0..<n { p[i] = b2i[Int(piece[i])] }
        let count = mergeScan(n)
        out.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
    }

    /// BPE merges over the n symbols in `symbols` (character-level pieces), the merged symbols
    /// passed to `body`: the same scan or heap as byte-level pieces, in the same scratch.
    func mergeSymbols<R>(_ symbols: UnsafeBufferPointer<UInt32>, _ body: (UnsafeBufferPointer<UInt32>) -> R) -> R {
        let n = symbols.count
        if n <= MergeScratch.capacity {
            let p = scratch.ids
            for i in 0..<n { p[i] = symbols[i] }
            return body(UnsafeBufferPointer(start: p, count: n < 2 ? n : mergeScan(n)))
        }
        scratch.reserveLong(n)
        let p = scratch.longIDs
        for i in 0..<n { p[i] = symbols[i] }
        return body(UnsafeBufferPointer(start: p, count: mergeHeap(n)))
    }

    /// Direct scan over the n (2...`MergeScratch.capacity`) symbols in `scratch.ids`: the
    /// priority of every adjacent pair is looked up once, the leftmost pair of lowest priority
    /// merges, and only the two pairs next to it are looked up again. Leaves the merged symbols
    /// in `scratch.ids` and returns their count. Raw memory: no array append, uniqueness or
    /// bounds check per symbol or per merge.
    @inline(__always)
    func mergeScan(_ n: Int) -> Int {
        let p = scratch.ids, q = scratch.prios, pairs = self.pairs
        for i in 0..<(n - 1) { q[i] = pairs.get(p[i], p[i + 1]) }
        var count = n
        while count > 1 {
            // the leftmost pair of lowest priority
            var best = q[0], at = 0
            var i = 1
            while i < count - 1 {
                if q[i] < best { best = q[i]; at = i }
                i += 1
            }
            if best == UInt64.max { break }
            p[at] = UInt32(truncatingIfNeeded: best)
            // drop symbol at+1 and the pair (at+1, at+2); later ones move down (the last move
            // copies a pair past the end, in the scratch's capacity and never read)
            var j = at + 1
            while j < count - 1 {
                p[j] = p[j + 1]
                q[j] = q[j + 1]
                j += 1
            }
            count -= 1
            if at > 0 { q[at - 1] = pairs.get(p[at - 1], p[at]) }
            if at < count - 1 { q[at] = pairs.get(p[at], p[at + 1]) }
        }
        return count
    }

    /// Heap-based merging, O(n log n), over the n symbols in `scratch.longIDs` (reserved for
    /// n): a heap of (priority, position) with lazy invalidation over a linked list of symbols;
    /// the same merges as `mergeScan`. Leaves the merged symbols at the start of
    /// `scratch.longIDs` and returns their count.
    func mergeHeap(_ n: Int) -> Int {
        let sc = scratch
        let ids = sc.longIDs, next = sc.next, prev = sc.prev, alive = sc.alive
        let hk = sc.heapKeys, hr = sc.heapRight, pairs = self.pairs
        for i in 0..<n {
            next[i] = Int32(i + 1)
            prev[i] = Int32(i - 1)
            alive[i] = true
        }
        var count = 0
        @inline(__always) func push(_ i: Int) {
            let j = Int(next[i])
            guard j < n else { return }
            let v = pairs.get(ids[i], ids[j])
            if v == UInt64.max { return }
            var c = count
            hk[c] = (v >> 32) << 32 | UInt64(i)
            hr[c] = ids[j]
            count += 1
            while c > 0 {
                let p = (c - 1) / 2
                if hk[p] <= hk[c] { break }
                swap(&hk[p], &hk[c])
                swap(&hr[p], &hr[c])
                c = p
            }
        }
        for i in 0..<(n - 1) { push(i) }
        while count > 0 {
            let k = hk[0], rightID = hr[0]
            count -= 1
            if count > 0 {
                hk[0] = hk[count]
                hr[0] = hr[count]
                var c = 0
                while true {
                    let l = 2 * c + 1, r = l + 1
                    var m = c
                    if l < count && hk[l] < hk[m] { m = l }
                    if r < count && hk[r] < hk[m] { m = r }
                    if m == c { break }
                    swap(&hk[m], &hk[c])
                    swap(&hr[m], &hr[c])
                    c = m
                }
            }
            // stale: the left symbol was merged away, the right neighbour changed, or ids changed
            let i = Int(k & 0xFFFF_FFFF)
            let j = Int(next[i])
            guard alive[i], j < n, ids[j] == rightID else { continue }
            let v = pairs.get(ids[i], ids[j])
            guard v != UInt64.max, v >> 32 == k >> 32 else { continue }
            ids[i] = UInt32(truncatingIfNeeded: v)
            alive[j] = false
            let jn = Int(next[j])
            next[i] = Int32(jn)
            if jn < n { prev[jn] = Int32(i) }
            push(i)
            let p = Int(prev[i])
            if p >= 0 { push(p) }
        }
        // the live symbols, in order, to the front (each moves to a position at or before its own)
        var k = 0, i = 0
        while i < n {
            ids[k] = ids[i]
            k += 1
            i = Int(next[i])
        }
        return k
    }
}

/// Raw scratch for the merges (`Encoder.mergeScan`, `mergeHeap`), the output buffer and the
/// splitter's batches: a class of its own, so the encoder's init and deinit stay as they are.
final class MergeScratch {
    static let capacity = 48
    let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
    let prios = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)

    init() {
        ids.initialize(repeating: 0, count: Self.capacity)
        prios.initialize(repeating: 0, count: Self.capacity)
    }

    /// The keys of the pieces being prefetched (`Encoder.prefetchDistance` < ring size).
    static let ringMask = 15
    let keyRing = UnsafeMutablePointer<PieceCache.ShortKey>.allocate(capacity: ringMask + 1)

    /// The splitter's piece ends, a batch at a time.
    static let endsCapacity = 4096
    let ends = UnsafeMutablePointer<UInt32>.allocate(capacity: endsCapacity)

    /// The encoder's output buffer (`IDSink`), kept from one text to the next.
    var outBase = UnsafeMutablePointer<UInt32>.allocate(capacity: 4096)
    var outCapacity = 4096

    /// `mergeHeap`'s symbols, links, liveness and heap (keys, right ids); `longCapacity`
    /// symbols, 3x that heap entries (n - 1 pushes, then at most two per merge).
    var longCapacity = 0
    var longIDs = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    var next = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var prev = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var alive = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
    var heapKeys = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    var heapRight = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)

    func reserveLong(_ n: Int) {
        if n <= longCapacity { return }
        freeLong()
        let c = max(n, 256)
        longCapacity = c
        longIDs = .allocate(capacity: c)
        next = .allocate(capacity: c)
        prev = .allocate(capacity: c)
        alive = .allocate(capacity: c)
        heapKeys = .allocate(capacity: 3 * c)
        heapRight = .allocate(capacity: 3 * c)
    }

    func freeLong() {
        longIDs.deallocate(); next.deallocate(); prev.deallocate(); alive.deallocate()
        heapKeys.deallocate(); heapRight.deallocate()
    }

    deinit {
        ids.deallocate()
        prios.deallocate()
        outBase.deallocate()
        ends.deallocate()
        keyRing.deallocate()
        freeLong()
    }
}

/// The ids of the text being encoded, in raw memory that the encoder's `MergeScratch` keeps from
/// one text to the next and grows rarely: an append is a compare, a store and an add (an
/// `Array.append` also calls a uniqueness check that is not inlined).
struct IDSink {
    var base: UnsafeMutablePointer<UInt32>
    var count: Int
    var capacity: Int

    @inline(__always) mutating func reserve(_ k: Int) {
        if capacity &- count < k { grow(k) }
    }

    @inline(never) mutating func grow(_ k: Int) {
        let c = Swift.max(2 * capacity, count + k, 4096)
        let b = UnsafeMutablePointer<UInt32>.allocate(capacity: c)
        b.initialize(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    @inline(__always) mutating func append(_ id: UInt32) {
        reserve(1)
        base[count] = id
        count &+= 1
    }

    /// After `reserve`.
    @inline(__always) mutating func appendReserved(_ id: UInt32) {
        base[count] = id
        count &+= 1
    }

    @inline(__always) mutating func append(contentsOf ids: UnsafeBufferPointer<UInt32>) {
        let k = ids.count
        guard k > 0, let src = ids.baseAddress else { return }
        reserve(k)
        (base + count).update(from: src, count: k)
        count &+= k
    }

    /// The first `count` (1...3) of a cache slot's ids: all three stored, `count` kept.
    @inline(__always) mutating func appendInline(_ v: (UInt32, UInt32, UInt32), count k: Int) {
        reserve(3)
        let d = base + count
        d[0] = v.0
        d[1] = v.1
        d[2] = v.2
        count &+= k
    }
}
