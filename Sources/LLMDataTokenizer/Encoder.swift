// Performance notes (issue 7: one thread >= 2x tiktoken's encode_ordinary; `--jobs 2` >= 1.8x one
// thread; `scripts/bench_tokenize.py`, heldout.jsonl, GPT-2 ranks).
//
// Measured (2026-11-23, 2 shared Xeon cores, perf record): the piece cache's lookup is the
// hottest spot. With five parallel arrays (hash, key offset, key length, value offset, value
// length) and the key and ids in arenas, one lookup touched up to seven cache lines and 39% of
// the samples of the per-piece closure sat on the first load of `hashes[i]`.
//
// Done (encode only, `--jobs 1 --discard`, heldout; cachegrind with a 2 MiB last-level cache for
// counts that the machine's noise does not move, vocabulary load subtracted):
// * PieceCache: one 32-byte slot per piece, 64-byte aligned. Pieces of up to 16 bytes (nearly
//   all) are kept in the slot as two zero-padded words and compared exactly; up to 3 ids are kept
//   in the slot too. Longer pieces: 64-bit hash in the slot, bytes compared in the arena. A hit
//   touches one cache line. Instructions 1,862 M -> 1,659 M, L1d misses 11.3 M -> 5.8 M, L2
//   misses 3.65 M -> 2.73 M; interleaved A/B (best of 8, CPU minus load): --jobs 1 336 -> 308 ms,
//   --jobs 2 340 -> 329 ms. Ids identical (heldout, en10m, `make test`'s cross-checks).
// * `let cache` (was `var`): no retain/release of the cache around each lookup.
// * 2^18 slots instead of 2^17: heldout has 131 k distinct pieces (2-64 bytes) in 1.87 M, so the
//   smaller table was cleared (cleared when half full) and its pieces missed and were merged
//   again. Instructions 1,659 M -> 1,616 M, L1d misses 5.8 M -> 5.1 M, L2 misses 2.73 M -> 2.51 M.
//   The 8 MiB table is an anonymous mapping with MADV_HUGEPAGE: zero until touched (no clearing
//   and no page faults while the encoders are built, serially, before the workers start) and
//   four TLB entries instead of 2,048 (2,000 fewer page faults per run). A/B: CPU --jobs 2
//   296 -> 287 ms (best of 8). Without MADV_HUGEPAGE (4 KiB pages, same mapping) an interleaved
//   A/B of 16 rounds gave --jobs 2 CPU 279 ms with huge pages and 410 ms without (this VM's page
//   faults and TLB misses are expensive); malloc + memset (the old way) 325 ms.
// * PairTable (BPEModel.swift): key and value side by side in one 16-byte slot (a probe reads one
//   cache line instead of two), in a huge-page mapping. L1d misses 4.40 M -> 3.60 M, L2 misses
//   1.67 M -> 1.65 M; A/B best of 12: --jobs 2 CPU 269 -> 256 ms, --jobs 1 unchanged (246 ms).
//
// * `--jobs` > 1: one SharedPieceCache for all encoders (lock-free, see the type). Each private
//   cache had to learn every common piece by itself: heldout's 40 batches alternating between
//   two workers give 83 k distinct pieces each, 166 k misses against 131 k with one thread
//   (+27%), each a whole-token lookup and usually merges. The first version kept a class
//   reference in the encoder: swift_retain/release on the one shared object went from 3% to 24%
//   of the samples (a contended reference count), CPU 262 -> 357 ms; the encoders now hold a
//   struct of raw pointers. A/B best / median of 12: --jobs 2 wall 116 / 130 -> 114 / 117 ms,
//   CPU 244 / 269 -> 239 / 248 ms; --jobs 1 (private cache, unchanged) 216 / 224 vs 211 / 223.
//   Ids identical on heldout, en10m and en100m (the table stops taking pieces there and the
//   private caches take over) at --jobs 2, 3, 4 and 8 with 4 KiB, 64 KiB and 256 KiB batches.
//
// * The first piece cache (the shared one at --jobs > 1, else the one encoder's) is made and
//   faulted in (MADV_POPULATE_WRITE) on another thread while `tokenize` loads the vocabulary
//   (PieceCache.prefault, SharedPieceCache.prefault; `CacheWarmer` in LLMDataTokenize). perf at
//   --jobs 2 had 2.5-2.8% of all samples in clear_page_erms under SharedPieceCache's inserts
//   (do_huge_pmd_wp_page: a read mapped the huge zero page, the first write then zeroed 2 MiB),
//   ~15-20 ms of CPU inside the encoding. On this VM faulting in fresh memory costs ~2.5 ms per
//   2 MiB page; the vocabulary load (~50 ms, one thread) leaves the other core free for it.
//   With per-worker timers: at --jobs 2 both workers are busy to within 0.1-6 ms of the end, and
//   their CPU sum is the --jobs 1 worker's within noise, so --jobs 2 / --jobs 1 is bounded by the
//   reader thread (~3-6% of the worker's CPU, free at --jobs 1): about 1.9x. bench_tokenize.py
//   (best of 9): 1.85x, 1.85x, 1.91x.
//
// * tiktoken ranks files with `--pattern gpt2` or `cl100k` never took the pre-tokenizer's ASCII
//   fast path: the encoder looked the split regex up among LLMDataBPE's spellings (HF's for gpt2,
//   `\p{N}{1,3}` for cl100k), found none, and matched every piece with PCRE2's JIT code: 20% of a
//   `--jobs 1 --discard` run's samples were in "[JIT]" code on heldout, which has 0.44% of its
//   pieces non-ASCII. Now TiktokenPattern.splitPattern names the equivalent built-in pattern and
//   PCRE2 runs tiktoken's own regex only where the fast path bails. Ids identical (heldout,
//   en10m, cjk24m, the samples, a 30,000-text fuzz file checked against tiktoken itself; a unit
//   test compares pieces with PCRE2's on 20,000 random edge-case texts per pattern).
//
// Still open: the first load of a slot is still ~45% of the per-piece closure's samples (a miss
// for pieces outside the few thousand hot ones); merges of uncached pieces ~18% of CPU. The
// hot path no longer retains or releases anything (swift_retain/release are now in the
// vocabulary load only, at --jobs 1 and 2).
// Tried and dropped: TokenTable (whole-piece lookup, on misses only) in 16-byte slots with huge
// pages: no difference in an A/B (best of 12: 218 / 218 ms wall at --jobs 1, 122 / 123 at 2).

import CICUShim
import Foundation
import Glibc
import LLMDataBPE
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
    /// The split pattern (LLMDataBPE's PCRE2 pre-tokenizer, with its ASCII fast path when the
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
    let allSpecials: TokenMatcher
    let alwaysMatched: TokenMatcher
    public var allowSpecial = false
    // scratch
    var ids: [UInt32] = []
    var next: [Int32] = []
    var prev: [Int32] = []
    var heap: [(UInt64, Int32)] = []
    var prios: [UInt64] = []
    let cache: PieceCache
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
        allSpecials = TokenMatcher(model.specials)
        alwaysMatched = TokenMatcher(model.addedTokens)
        cache = privateCache ?? PieceCache()
        pairs = model.pairs
        byteToID = .allocate(capacity: 256)
        for i in 0..<256 { byteToID[i] = model.byteToID[i] }
        whole = model.wholeTable
        maxTokenLength = model.maxTokenLength
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
    func encodeSpecials(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
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

    public func encode(_ s: String) -> [UInt32] {
        var out: [UInt32] = []
        var s = s
        s.withUTF8 { encode($0, into: &out) }
        return out
    }

    func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        if text.isEmpty { return }
        if model.addPrefixSpace && text[0] != 0x20 {
            var t = [UInt8](repeating: 0x20, count: 1)
            t.append(contentsOf: text)
            t.withUnsafeBufferPointer { encodeOrdinaryNoPrefix($0, into: &out) }
        } else {
            encodeOrdinaryNoPrefix(text, into: &out)
        }
    }

    func encodeOrdinaryNoPrefix(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        guard let splitter else {
            encodePiece(text, into: &out)
            return
        }
        do {
            try splitter.forEachPiece(text) { encodePiece($0, into: &out) }
        } catch {
            // PCRE2 resource errors only (patterns cannot fail to match): the text as one piece
            encodePiece(text, into: &out)
        }
    }

    @inline(__always)
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        if piece.count == 1 {
            out.append(byteToID[Int(piece[0])])
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
        if let whole, piece.count <= maxTokenLength, let id = whole.get(piece) {
            out.append(id)
        } else {
            merge(piece, into: &out)
        }
        if cacheable {
            out.withUnsafeBufferPointer {
                let ids = UnsafeBufferPointer(rebasing: $0[start...])
                if shared?.insert(piece, ids) != true { cache.insert(piece, ids) }
            }
        }
    }

    /// BPE merges over one piece.
    func merge(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        let n = piece.count
        ids.removeAll(keepingCapacity: true)
        for b in piece { ids.append(byteToID[Int(b)]) }
        if n <= 48 {
            // Direct scan: the priority of every adjacent pair is looked up once; after a merge
            // only the two pairs next to it are looked up again.
            var count = n
            let pairs = self.pairs
            if prios.count < n { prios = [UInt64](repeating: 0, count: max(n, 64)) }
            ids.withUnsafeMutableBufferPointer { p in
                prios.withUnsafeMutableBufferPointer { q in
                    for i in 0..<(n - 1) { q[i] = pairs.get(p[i], p[i + 1]) }
                    while count > 1 {
                        var best = UInt64.max, at = -1
                        for i in 0..<(count - 1) where q[i] < best {
                            best = q[i]
                            at = i
                        }
                        if at < 0 { break }
                        p[at] = UInt32(truncatingIfNeeded: best)
                        // drop symbol at+1 and the pair (at+1, at+2); later pairs move down
                        var j = at + 1
                        while j < count - 1 {
                            p[j] = p[j + 1]
                            if j < count - 2 { q[j] = q[j + 1] }
                            j += 1
                        }
                        count -= 1
                        if at > 0 { q[at - 1] = pairs.get(p[at - 1], p[at]) }
                        if at < count - 1 { q[at] = pairs.get(p[at], p[at + 1]) }
                    }
                }
            }
            out.append(contentsOf: ids[0..<count])
            return
        }
        mergeLong(n, into: &out)
    }

    /// Heap-based merging for long pieces: O(n log n).
    func mergeLong(_ n: Int, into out: inout [UInt32]) {
        let pairs = self.pairs
        next = (0..<n).map { Int32($0 + 1) }
        prev = (0..<n).map { Int32($0 - 1) }
        heap.removeAll(keepingCapacity: true)
        @inline(__always) func key(_ prio: UInt32, _ pos: Int) -> UInt64 { UInt64(prio) << 32 | UInt64(pos) }
        func push(_ i: Int) {
            let j = Int(next[i])
            guard j < n else { return }
            let v = pairs.get(ids[i], ids[j])
            if v == UInt64.max { return }
            heap.append((key(UInt32(truncatingIfNeeded: v >> 32), i), Int32(ids[j])))
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                if heap[p].0 <= heap[c].0 { break }
                heap.swapAt(p, c)
                c = p
            }
        }
        func pop() -> (UInt64, Int32) {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var c = 0
                while true {
                    let l = 2 * c + 1, r = l + 1
                    var m = c
                    if l < heap.count && heap[l].0 < heap[m].0 { m = l }
                    if r < heap.count && heap[r].0 < heap[m].0 { m = r }
                    if m == c { break }
                    heap.swapAt(m, c)
                    c = m
                }
            }
            return top
        }
        var alive = [Bool](repeating: true, count: n)
        for i in 0..<(n - 1) { push(i) }
        while !heap.isEmpty {
            let (k, rightID) = pop()
            let i = Int(k & 0xFFFF_FFFF)
            let j = Int(next[i])
            // stale: the left symbol was merged away, the right neighbour changed, or ids changed
            guard alive[i], j < n, ids[j] == UInt32(rightID) else { continue }
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
        var i = 0
        while i < n {
            out.append(ids[i])
            i = Int(next[i])
        }
    }
}

/// A bounded cache from piece bytes to their ids (open addressing, cleared when half full).
/// Raw storage: lookups do not retain or check exclusivity.
///
/// One 32-byte slot per piece, so a lookup of a typical piece touches one cache line: pieces of
/// up to 16 bytes are stored in the slot itself (two zero-padded words, compared exactly), and up
/// to 3 ids too. Longer pieces keep their 64-bit hash in the slot and their bytes in an arena;
/// longer id lists live in an arena.
public final class PieceCache: @unchecked Sendable {
    static let maxPieceLength = 64
    static let slots = 1 << 18
    static let arenaBytes = 1 << 22
    static let inlineKey = 16
    static let inlineIDs = 3

    /// `meta` 0 marks an empty slot (cached pieces have 2 bytes or more); otherwise key length
    /// (bits 0-7) and id count (bits 8-15). `k0`/`k1`: the key's bytes (≤ 16) or its hash and
    /// arena offset. `v`: the ids (≤ 3) or the first one's arena offset in `v.0`.
    struct Slot {
        var k0: UInt64
        var k1: UInt64
        var meta: UInt32
        var v: (UInt32, UInt32, UInt32)
    }

    static let tableBytes = slots * MemoryLayout<Slot>.stride
    /// Zero until touched (no clearing and no page faults on the thread that builds the
    /// encoders), 2 MiB-aligned with transparent huge pages (`HugePageMemory`), so random slot
    /// accesses do not also miss the TLB. A slot never straddles cache lines.
    let memory = HugePageMemory(bytes: tableBytes)
    let table: UnsafeMutablePointer<Slot>
    let keys = UnsafeMutablePointer<UInt8>.allocate(capacity: arenaBytes)
    let vals = UnsafeMutablePointer<UInt32>.allocate(capacity: arenaBytes)
    var keyUsed = 0
    var valUsed = 0
    var used = 0

    public init() { table = memory.base.bindMemory(to: Slot.self, capacity: Self.slots) }

    /// Faults the table in now (see `HugePageMemory.prefault`): call on an idle thread before
    /// the encoder that owns the cache starts.
    public func prefault() { memory.prefault(bytes: Self.tableBytes) }

    deinit {
        keys.deallocate(); vals.deallocate()
    }

    func clear() {
        UnsafeMutableRawPointer(table).initializeMemory(as: UInt8.self, repeating: 0, count: Self.tableBytes)
        keyUsed = 0
        valUsed = 0
        used = 0
    }

    /// 8 bytes at a time, multiply-xorshift mixing; never 0 (0 marks an empty slot).
    @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = b.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(n &+ 1)
        guard let p = b.baseAddress else { return h | 1 }
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 29
        }
        return h | 1
    }

    /// The bytes of a piece of 2...16 bytes as two little-endian words, zero-padded, read with
    /// overlapping loads that stay inside the piece.
    @inline(__always) static func words(_ p: UnsafeRawPointer, _ n: Int) -> (UInt64, UInt64) {
        if n >= 8 {
            let w0 = p.loadUnaligned(as: UInt64.self)
            if n == 8 { return (w0, 0) }
            let w1 = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64(8 * (16 - n))
            return (w0, w1)
        }
        if n >= 4 {
            let lo = UInt64(p.loadUnaligned(as: UInt32.self))
            let hi = UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            return (lo | hi << UInt64(8 * (n - 4)), 0)
        }
        var w: UInt64 = 0
        for i in 0..<n { w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << UInt64(8 * i) }
        return (w, 0)
    }

    @inline(__always) static func index(_ h: UInt64) -> Int {
        Int(truncatingIfNeeded: h >> 20) & (slots - 1)
    }

    @inline(__always) static func shortHash(_ w0: UInt64, _ w1: UInt64, _ n: Int) -> UInt64 {
        var h = (w0 &* 0x9E37_79B9_7F4A_7C15) ^ ((w1 ^ UInt64(n)) &* 0xC4CE_B9FE_1A85_EC53)
        h ^= h >> 29
        return h &* 0xFF51_AFD7_ED55_8CCD
    }

    @inline(__always)
    func emit(_ s: UnsafeMutablePointer<Slot>, into out: inout [UInt32]) {
        let count = Int(s.pointee.meta >> 8) & 0xFF
        switch count {
        case 1: out.append(s.pointee.v.0)
        case 2: out.append(s.pointee.v.0); out.append(s.pointee.v.1)
        case 3: out.append(s.pointee.v.0); out.append(s.pointee.v.1); out.append(s.pointee.v.2)
        default: out.append(contentsOf: UnsafeBufferPointer(start: vals + Int(s.pointee.v.0), count: count))
        }
    }

    @inline(__always)
    func lookup(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) -> Bool {
        let n = piece.count
        guard let base = piece.baseAddress, n >= 2 else { return false }
        let p = UnsafeRawPointer(base)
        if n <= Self.inlineKey {
            let (w0, w1) = Self.words(p, n)
            var i = Self.index(Self.shortHash(w0, w1, n))
            while true {
                let s = table + i
                let meta = s.pointee.meta
                if meta == 0 { return false }
                if Int(meta & 0xFF) == n && s.pointee.k0 == w0 && s.pointee.k1 == w1 {
                    emit(s, into: &out)
                    return true
                }
                i = (i + 1) & (Self.slots - 1)
            }
        }
        let h = Self.hash(piece)
        var i = Self.index(h)
        while true {
            let s = table + i
            let meta = s.pointee.meta
            if meta == 0 { return false }
            if Int(meta & 0xFF) == n && s.pointee.k0 == h && memcmp(keys + Int(s.pointee.k1), p, n) == 0 {
                emit(s, into: &out)
                return true
            }
            i = (i + 1) & (Self.slots - 1)
        }
    }

    func insert(_ piece: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt32>) {
        let n = piece.count
        if value.count > 255 || value.isEmpty || n < 2 || n > Self.maxPieceLength { return }
        let longKey = n > Self.inlineKey, longVal = value.count > Self.inlineIDs
        if used >= Self.slots / 2 || (longKey && keyUsed + n > Self.arenaBytes) || (longVal && valUsed + value.count > Self.arenaBytes) {
            clear()
        }
        let p = UnsafeRawPointer(piece.baseAddress!)
        var k0: UInt64, k1: UInt64, h: UInt64
        if longKey {
            h = Self.hash(piece)
            k0 = h
            k1 = UInt64(keyUsed)
            (keys + keyUsed).update(from: piece.baseAddress!, count: n)
            keyUsed += n
        } else {
            (k0, k1) = Self.words(p, n)
            h = Self.shortHash(k0, k1, n)
        }
        var v: (UInt32, UInt32, UInt32) = (0, 0, 0)
        if longVal {
            v.0 = UInt32(valUsed)
            (vals + valUsed).update(from: value.baseAddress!, count: value.count)
            valUsed += value.count
        } else {
            v.0 = value[0]
            if value.count > 1 { v.1 = value[1] }
            if value.count > 2 { v.2 = value[2] }
        }
        var i = Self.index(h)
        while table[i].meta != 0 { i = (i + 1) & (Self.slots - 1) }
        table[i] = Slot(k0: k0, k1: k1, meta: UInt32(n) | UInt32(value.count) << 8, v: v)
        used += 1
    }
}

/// The piece cache of `PieceCache` (same slots, hashing and arenas), shared by the encoders of
/// one run: at `--jobs 2` each private cache had to learn every common piece by itself (heldout:
/// 166 k misses against 131 k with one thread). Lock-free: an insert claims an empty slot by a
/// compare-and-swap of `meta` from 0 to `busy`, writes the key and ids, then publishes `meta`
/// with a release store; a lookup reads `meta` with an acquire load and looks at the rest of a
/// slot only once it is published (busy slots are skipped). Published slots never change, and the
/// table is never cleared: once half full (or an arena is used up) it stops taking pieces and
/// each encoder's private cache (cleared when full, as before) takes the new ones. The class
/// owns the memory; encoders use `Ref`, a struct of raw pointers (no reference counting).
public final class SharedPieceCache: @unchecked Sendable {
    static let slots = 1 << 19
    static let capacity = slots / 2
    static let arenaBytes = 1 << 22
    static let busy: UInt32 = 0xFFFF_FFFF

    struct Slot: ~Copyable {
        var k0: UInt64
        var k1: UInt64
        let meta: Atomic<UInt32>
        var v: (UInt32, UInt32, UInt32)
    }

    /// Zero until touched (an all-zero slot is empty), huge pages.
    let memory = HugePageMemory(bytes: slots * MemoryLayout<Slot>.stride)
    let keys = UnsafeMutablePointer<UInt8>.allocate(capacity: arenaBytes)
    let vals = UnsafeMutablePointer<UInt32>.allocate(capacity: arenaBytes)
    /// used slots, key arena, id arena (one cache line); `stopped` (0/1) on the next line, so the
    /// flag every miss reads is not on the line every insert writes.
    let counters = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
    let ref: Ref

    public init() {
        let c = counters.bindMemory(to: Atomic<Int>.self, capacity: 16)
        for k in [0, 1, 2, 8] { (c + k).initialize(to: Atomic(0)) }
        ref = Ref(table: memory.base.bindMemory(to: Slot.self, capacity: Self.slots), keys: keys, vals: vals,
                  used: c, keyUsed: c + 1, valUsed: c + 2, stopped: c + 8)
    }

    deinit {
        keys.deallocate(); vals.deallocate(); counters.deallocate()
    }

    /// Faults the table in now (see `HugePageMemory.prefault`), before the encoders start.
    public func prefault() { memory.prefault(bytes: Self.slots * MemoryLayout<Slot>.stride) }

    struct Ref: @unchecked Sendable {
        let table: UnsafeMutablePointer<Slot>
        let keys: UnsafeMutablePointer<UInt8>
        let vals: UnsafeMutablePointer<UInt32>
        let used: UnsafeMutablePointer<Atomic<Int>>
        let keyUsed: UnsafeMutablePointer<Atomic<Int>>
        let valUsed: UnsafeMutablePointer<Atomic<Int>>
        let stopped: UnsafeMutablePointer<Atomic<Int>>

        /// Set once the table takes no more pieces.
        @inline(__always) var isStopped: Bool { stopped.pointee.load(ordering: .relaxed) != 0 }

        @inline(__always) static func index(_ h: UInt64) -> Int {
            Int(truncatingIfNeeded: h >> 20) & (SharedPieceCache.slots - 1)
        }

        @inline(__always)
        func lookup(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) -> Bool {
            let n = piece.count
            guard let base = piece.baseAddress, n >= 2 else { return false }
            let p = UnsafeRawPointer(base)
            let short = n <= PieceCache.inlineKey
            let w0: UInt64, w1: UInt64, h: UInt64
            if short {
                (w0, w1) = PieceCache.words(p, n)
                h = PieceCache.shortHash(w0, w1, n)
            } else {
                h = PieceCache.hash(piece)
                (w0, w1) = (h, 0)
            }
            var i = Self.index(h)
            while true {
                let meta = table[i].meta.load(ordering: .acquiring)
                if meta == 0 { return false }
                if meta != SharedPieceCache.busy && Int(meta & 0xFF) == n && table[i].k0 == w0
                    && (short ? table[i].k1 == w1 : memcmp(keys + Int(table[i].k1), p, n) == 0) {
                    let count = Int(meta >> 8) & 0xFF
                    switch count {
                    case 1: out.append(table[i].v.0)
                    case 2: out.append(table[i].v.0); out.append(table[i].v.1)
                    case 3: out.append(table[i].v.0); out.append(table[i].v.1); out.append(table[i].v.2)
                    default: out.append(contentsOf: UnsafeBufferPointer(start: vals + Int(table[i].v.0), count: count))
                    }
                    return true
                }
                i = (i + 1) & (SharedPieceCache.slots - 1)
            }
        }

        func stop() -> Bool {
            stopped.pointee.store(1, ordering: .relaxed)
            return false
        }

        /// Adds a piece and its ids; false when the table takes no more pieces (the caller keeps
        /// the piece in its private cache). Pieces no cache keeps (too long, > 255 ids) count as
        /// done.
        func insert(_ piece: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt32>) -> Bool {
            let n = piece.count
            if value.count > 255 || value.isEmpty || n < 2 || n > PieceCache.maxPieceLength { return true }
            if isStopped { return false }
            if used.pointee.wrappingAdd(1, ordering: .relaxed).newValue > SharedPieceCache.capacity { return stop() }
            let p = UnsafeRawPointer(piece.baseAddress!)
            var k0: UInt64, k1: UInt64
            let h: UInt64
            if n > PieceCache.inlineKey {
                let at = keyUsed.pointee.wrappingAdd(n, ordering: .relaxed).oldValue
                if at + n > SharedPieceCache.arenaBytes { return stop() }
                (keys + at).update(from: piece.baseAddress!, count: n)
                h = PieceCache.hash(piece)
                k0 = h
                k1 = UInt64(at)
            } else {
                (k0, k1) = PieceCache.words(p, n)
                h = PieceCache.shortHash(k0, k1, n)
            }
            var v: (UInt32, UInt32, UInt32) = (0, 0, 0)
            if value.count > PieceCache.inlineIDs {
                let at = valUsed.pointee.wrappingAdd(value.count, ordering: .relaxed).oldValue
                if at + value.count > SharedPieceCache.arenaBytes { return stop() }
                (vals + at).update(from: value.baseAddress!, count: value.count)
                v.0 = UInt32(at)
            } else {
                v.0 = value[0]
                if value.count > 1 { v.1 = value[1] }
                if value.count > 2 { v.2 = value[2] }
            }
            let meta = UInt32(n) | UInt32(value.count) << 8
            var i = Self.index(h)
            while true {
                if table[i].meta.load(ordering: .relaxed) == 0 {
                    if table[i].meta.compareExchange(expected: 0, desired: SharedPieceCache.busy, ordering: .acquiring).exchanged {
                        table[i].k0 = k0
                        table[i].k1 = k1
                        table[i].v = v
                        table[i].meta.store(meta, ordering: .releasing)
                        return true
                    }
                    continue  // another encoder took this slot: look at it again
                }
                i = (i + 1) & (SharedPieceCache.slots - 1)
            }
        }
    }
}

/// Token strings to find in text: a table of the bytes they start with and one of their first two
/// bytes (most positions cost one load, most `<` in HTML two), then a walk down a trie of the
/// tokens that keeps the longest one passed (Llama 3's 256 special tokens all start with `<|`: a
/// `<|` that starts none of them costs a few steps, not 256 comparisons).
struct TokenMatcher {
    let first: [Bool]
    /// Bit (b0 << 8 | b1) set when a token starts with b0 b1 (or is b0 alone).
    let pairs: [UInt64]
    /// Trie nodes: each node's children as (byte, node) sorted by byte, and the id of the token
    /// that ends there (or nil). Node 0 is the root.
    let children: [[(UInt8, Int32)]]
    let ends: [UInt32?]
    let isEmpty: Bool

    init(_ byContent: [String: UInt32]) {
        let tokens = byContent.map { (Array($0.key.utf8), $0.value) }.filter { !$0.0.isEmpty }
        var f = [Bool](repeating: false, count: 256)
        var p = [UInt64](repeating: 0, count: 1024)
        var children: [[(UInt8, Int32)]] = [[]]
        var ends: [UInt32?] = [nil]
        for (t, id) in tokens {
            f[Int(t[0])] = true
            let seconds = t.count > 1 ? [Int(t[1])] : Array(0..<256)
            for b in seconds {
                let k = Int(t[0]) << 8 | b
                p[k >> 6] |= 1 << UInt64(k & 63)
            }
            var node = 0
            for b in t {
                if let c = children[node].first(where: { $0.0 == b }) {
                    node = Int(c.1)
                } else {
                    children.append([])
                    ends.append(nil)
                    children[node].append((b, Int32(children.count - 1)))
                    node = children.count - 1
                }
            }
            ends[node] = id
        }
        for i in children.indices { children[i].sort { $0.0 < $1.0 } }
        first = f
        pairs = p
        self.children = children
        self.ends = ends
        isEmpty = tokens.isEmpty
    }

    /// The longest token that starts at `i`.
    func match(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int, UInt32)? {
        if i + 1 < t.count {
            let k = Int(t[i]) << 8 | Int(t[i + 1])
            if pairs[k >> 6] & (1 << UInt64(k & 63)) == 0 { return nil }
        }
        var node = 0
        var best: (Int, UInt32)? = nil
        var j = i
        while j < t.count {
            let b = t[j]
            guard let c = children[node].first(where: { $0.0 == b }) else { break }
            node = Int(c.1)
            j += 1
            if let id = ends[node] { best = (j - i, id) }
        }
        return best
    }
}
