import CPCRE2Shim
import Foundation
import LLMDataCore

/// Options of `BPETrainer` (the HF tokenizers BpeTrainer settings this project supports).
public struct BPETrainerOptions: Sendable {
    /// Target vocabulary size, special tokens and the 256 byte-level characters included.
    public var vocabSize = 30000
    /// A pair needs at least this count to be merged (HF: `min_frequency`, default 0).
    public var minFrequency: UInt64 = 0
    /// Special tokens, given ids 0, 1, … in this order (as HF's BpeTrainer does).
    public var specialTokens: [String] = []
    /// HF's `max_token_length`: a merge whose token would be this many characters (byte-level
    /// characters: bytes) or more is not counted as a new pair (see `BPETrainer.train`).
    public var maxTokenLength: Int?
    /// Progress line on stderr.
    public var progress = false
    public init() {}
}

/// A trained byte-level BPE model in HF tokenizers' id space.
public struct TrainedBPE: Sendable {
    /// Token strings by id: special tokens verbatim, everything else as byte-level strings (UTF-8).
    public var vocab: [[UInt8]]
    /// Merges as HF writes them: pairs of ids in rank order (a pair merged twice keeps its last rank).
    public var merges: [(UInt32, UInt32)]
    /// The special tokens (ids 0 ..< count).
    public var specialTokens: [String]
    /// Merges performed by the trainer, duplicates included.
    public var mergeSteps = 0

    public init(vocab: [[UInt8]], merges: [(UInt32, UInt32)], specialTokens: [String]) {
        self.vocab = vocab
        self.merges = merges
        self.specialTokens = specialTokens
    }

    /// A token's raw bytes (nil for special tokens).
    public func tokenBytes(_ id: Int) -> [UInt8]? {
        if id < specialTokens.count { return nil }
        return ByteLevel.decode(String(decoding: vocab[id], as: UTF8.self))
    }
}

/// Seconds spent in each phase and the sizes seen (for --stats).
public struct BPETrainStats: Sendable {
    public var phases: [(String, Double)] = []
    /// Peak resident memory (VmHWM) at the end of each phase.
    public var phasePeakRSS: [(String, Int)] = []
    public var uniqueWords = 0
    public var words: UInt64 = 0
    public var pairs = 0
    public var mergeSteps = 0
    /// Distinct pairs ever counted, and the largest queue size.
    public var pairsCreated = 0
    public var heapMax = 0
    /// Why the merges stopped: `.vocabSize` when the vocabulary reached the size asked for.
    public var stop: BPEStopReason = .vocabSize
    public init() {}
}

/// Why training stopped merging.
public enum BPEStopReason: Sendable, Equatable {
    /// The vocabulary reached --vocab-size.
    case vocabSize
    /// The most frequent pair left occurs fewer than --min-frequency times (its count).
    case minFrequency(UInt64)
    /// No pair is left to merge: every word is one token (or --max-token-length forbids the rest).
    case noPairs
}

/// An open-addressing map from a pair (left id << 32 | right id) to a dense pair index.
struct PairIndex {
    var keys: RawVec<UInt64>
    var vals: RawVec<Int32>
    var mask: Int
    var count = 0

    init(capacity: Int) {
        var cap = 1024
        while cap < capacity * 2 { cap <<= 1 }
        keys = RawVec(capacity: cap)
        keys.append(repeating: .max, count: cap)
        vals = RawVec(capacity: cap)
        vals.append(repeating: -1, count: cap)
        mask = cap - 1
    }

    @inline(__always) static func slot(_ k: UInt64, _ mask: Int) -> Int {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The index of `key`, or a new index `next` when absent (then `inserted` is true).
    @inline(__always)
    mutating func index(_ key: UInt64, next: Int32, inserted: inout Bool) -> Int32 {
        var i = PairIndex.slot(key, mask)
        while true {
            let k = keys[i]
            if k == key { inserted = false; return vals[i] }
            if k == .max {
                keys[i] = key
                vals[i] = next
                count += 1
                inserted = true
                if count * 4 > keys.count * 3 { grow() }
                return next
            }
            i = (i + 1) & mask
        }
    }

    mutating func grow() {
        let cap = keys.count * 2
        let nk = RawVec<UInt64>(capacity: cap)
        nk.append(repeating: .max, count: cap)
        let nv = RawVec<Int32>(capacity: cap)
        nv.append(repeating: -1, count: cap)
        let m = cap - 1
        for i in 0..<keys.count where keys[i] != .max {
            var j = PairIndex.slot(keys[i], m)
            while nk[j] != .max { j = (j + 1) & m }
            nk[j] = keys[i]
            nv[j] = vals[i]
        }
        keys = nk
        vals = nv
        mask = m
    }
}

/// A unique word in the trainer: its symbols `symbols[start ..< start + len]` and its count
/// (as HF's `i32`).
struct WordInfo {
    var start: UInt32
    var len: Int32
    var count: Int32
}

/// A queue entry as in HF's BpeTrainer: the pair, the count it had when pushed, and the words
/// (`pool[posStart ..< posStart + posLen]`) to merge it in.
struct QueueEntry {
    /// The pair's count when pushed (HF keeps an i32 count and compares it as u64).
    var count: Int32
    var left: UInt32
    var right: UInt32
    var posStart: UInt32
    var posLen: UInt32

    var pair: UInt64 { UInt64(left) << 32 | UInt64(right) }
    @inline(__always) var countU64: UInt64 { UInt64(bitPattern: Int64(count)) }

    /// HF's order: higher count first; on equal counts the smaller (left id, right id) first.
    @inline(__always) static func before(_ a: QueueEntry, _ b: QueueEntry) -> Bool {
        if a.count != b.count { return a.countU64 > b.countU64 }
        return a.left != b.left ? a.left < b.left : a.right < b.right
    }
}

struct MaxHeap {
    let items = RawVec<QueueEntry>()

    mutating func heapify() {
        if items.count < 2 { return }
        var i = items.count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    mutating func push(_ e: QueueEntry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !QueueEntry.before(items[i], items[p]) { break }
            let t = items[i]
            items[i] = items[p]
            items[p] = t
            i = p
        }
    }

    mutating func pop() -> QueueEntry? {
        if items.count == 0 { return nil }
        let last = items.removeLast()
        if items.count == 0 { return last }
        let top = items[0]
        items[0] = last
        siftDown(0)
        return top
    }

    mutating func siftDown(_ start: Int) {
        var i = start
        let n = items.count
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var c = l
            if l + 1 < n && QueueEntry.before(items[l + 1], items[l]) { c = l + 1 }
            if !QueueEntry.before(items[c], items[i]) { break }
            let t = items[i]
            items[i] = items[c]
            items[c] = t
            i = c
        }
    }
}

/// Byte-level BPE training with the same phases and the same result as HF tokenizers' BpeTrainer
/// (see docs/bpe.md): special tokens, alphabet, words as symbol ids, pair counts with a
/// where-to-update index, then merges from a max-heap whose stale counts are refreshed lazily.
public final class BPETrainer {
    public let options: BPETrainerOptions
    public private(set) var stats = BPETrainStats()

    public init(options: BPETrainerOptions) {
        self.options = options
    }

    /// Trains on word counts. With `releaseWords`, `wc` is emptied once the words are turned into
    /// symbol ids, so its memory is released before the pair index is built.
    public func train(words wc: WordCounts, releaseWords: Bool = false) -> TrainedBPE {
        var t0 = Clock.now()
        func phase(_ name: String) {
            let t = Clock.now()
            stats.phases.append((name, t - t0))
            stats.phasePeakRSS.append((name, peakRSSBytes()))
            t0 = t
        }
        stats.uniqueWords = wc.count
        stats.words = wc.total

        // Phase 1: special tokens take ids 0, 1, … (duplicates skipped).
        var vocab: [[UInt8]] = []
        var w2id: [[UInt8]: UInt32] = [:]
        for s in options.specialTokens {
            let b = Array(s.utf8)
            if w2id[b] == nil {
                w2id[b] = UInt32(vocab.count)
                vocab.append(b)
            }
        }
        let specials = vocab.map { String(decoding: $0, as: UTF8.self) }

        // Phase 2: the alphabet, all 256 byte-level characters in code point order.
        var byteID = [UInt32](repeating: 0, count: 256)
        for b in ByteLevel.bytesInAlphabetOrder {
            let s = ByteLevel.utf8ForByte[Int(b)]
            if let id = w2id[s] {
                byteID[Int(b)] = id
            } else {
                let id = UInt32(vocab.count)
                w2id[s] = id
                vocab.append(s)
                byteID[Int(b)] = id
            }
        }

        // Phase 3: words as symbol ids. Words of one symbol form no pair and are left out.
        let symbols = RawVec<UInt32>(capacity: wc.arena.count)
        let words = RawVec<WordInfo>(capacity: wc.count)
        for e in 0..<wc.count {
            let w = wc.word(e)
            if w.count < 2 { continue }
            precondition(symbols.count + w.count <= Int(UInt32.max), "more than 4 G symbols in unique words")
            words.append(WordInfo(start: UInt32(symbols.count), len: Int32(w.count), count: Int32(truncatingIfNeeded: wc.count(of: e))))
            for b in w { symbols.append(byteID[Int(b)]) }
        }
        let nWords = words.count
        if releaseWords {
            wc.removeAll()
            releaseFreeMemory()
        }
        phase("tokenize_words")

        // Phase 4: pair counts and where each pair occurs.
        var index = PairIndex(capacity: 1 << 16)
        let pairKey = RawVec<UInt64>(capacity: 1 << 16)
        let pairCount = RawVec<Int32>(capacity: 1 << 16)
        var lastWord: [Int32] = []
        var occ: [Int32] = []
        for w in 0..<nWords {
            let s = Int(words[w].start), n = Int(words[w].len)
            let c = words[w].count
            for i in s..<(s + n - 1) {
                let key = UInt64(symbols[i]) << 32 | UInt64(symbols[i + 1])
                var ins = false
                let p = Int(index.index(key, next: Int32(pairKey.count), inserted: &ins))
                if ins {
                    pairKey.append(key)
                    pairCount.append(0)
                    lastWord.append(-1)
                    occ.append(0)
                }
                pairCount[p] &+= c
                if lastWord[p] != Int32(w) {
                    lastWord[p] = Int32(w)
                    occ[p] += 1
                }
            }
        }
        // where-to-update lists, laid out pair after pair in one pool
        let pool = RawVec<UInt32>()
        var poolStart = [Int](repeating: 0, count: pairKey.count)
        var total = 0
        for p in 0..<pairKey.count {
            poolStart[p] = total
            total += Int(occ[p])
        }
        pool.reserve(total + total / 4)
        pool.append(repeating: 0, count: total)
        var fill = poolStart
        for w in 0..<nWords {
            let s = Int(words[w].start), n = Int(words[w].len)
            for i in s..<(s + n - 1) {
                var ins = false
                let p = Int(index.index(UInt64(symbols[i]) << 32 | UInt64(symbols[i + 1]), next: -1, inserted: &ins))
                if lastWord[p] != Int32(~w) {  // second pass: mark words with ~w
                    lastWord[p] = Int32(~w)
                    pool[fill[p]] = UInt32(w)
                    fill[p] += 1
                }
            }
        }
        lastWord = []
        var heap = MaxHeap()
        heap.items.reserve(pairKey.count * 4)
        for p in 0..<pairKey.count where pairCount[p] > 0 {
            heap.items.append(QueueEntry(count: pairCount[p], left: UInt32(truncatingIfNeeded: pairKey[p] >> 32), right: UInt32(truncatingIfNeeded: pairKey[p]), posStart: UInt32(poolStart[p]), posLen: UInt32(occ[p])))
        }
        occ = []
        poolStart = []
        fill = []
        heap.heapify()
        stats.pairs = pairKey.count
        phase("count_pairs")

        // Phase 5: merges.
        var mergeList: [(UInt64, UInt32)] = []
        let stepSlot = RawVec<Int32>(capacity: pairKey.count * 4)
        stepSlot.append(repeating: -1, count: pairKey.count)
        var touched: [Int32] = []
        let tupleSlot = RawVec<Int32>(capacity: 1 << 12)
        let tupleWord = RawVec<UInt32>(capacity: 1 << 12)
        var slotFill: [Int] = []
        let baseVocab = vocab.count
        let progress = BPEProgress(enabled: options.progress, total: max(0, options.vocabSize - baseVocab))
        let target = options.vocabSize
        let minFreq = options.minFrequency

        // HF's Word::merge: a new pair (neighbour, new token) is counted only when the two
        // symbols' lengths (characters: 1 per byte) add up to less than max_token_length
        let maxLen = options.maxTokenLength ?? Int.max
        var tokLen = [Int32](repeating: 0, count: vocab.count)
        for b in 0..<256 { tokLen[Int(byteID[b])] = 1 }
        var heapMax = 0
        var live = 0  // positions referenced by queued entries
        for i in 0..<heap.items.count { live += Int(heap.items[i].posLen) }
        while vocab.count < target {
            guard var top = heap.pop() else {
                stats.stop = .noPairs
                break
            }
            var ins = false
            let tp = Int(index.index(top.pair, next: -1, inserted: &ins))
            if top.count != pairCount[tp] {
                top.count = pairCount[tp]
                heap.push(top)
                continue
            }
            if top.countU64 < 1 {
                stats.stop = .noPairs
                break
            }
            if minFreq > top.countU64 {
                stats.stop = .minFrequency(top.countU64)
                break
            }

            let a = top.left, b = top.right
            let newToken = vocab[Int(a)] + vocab[Int(b)]
            let newID: UInt32
            if let id = w2id[newToken] {
                newID = id
            } else {
                newID = UInt32(vocab.count)
                w2id[newToken] = newID
                vocab.append(newToken)
                tokLen.append(0)
            }
            let newLen = tokLen[Int(a)] + tokLen[Int(b)]
            tokLen[Int(newID)] = newLen
            mergeList.append((top.pair, newID))

            touched.removeAll(keepingCapacity: true)
            tupleSlot.truncate(to: 0)
            tupleWord.truncate(to: 0)

            @inline(__always) func change(_ key: UInt64, _ delta: Int32, _ w: Int, _ c: Int32) {
                var ins = false
                let p = Int(index.index(key, next: Int32(pairKey.count), inserted: &ins))
                if ins {
                    pairKey.append(key)
                    pairCount.append(0)
                    stepSlot.append(-1)
                }
                pairCount[p] &+= delta &* c
                if delta > 0 {
                    var s = stepSlot[p]
                    if s < 0 {
                        s = Int32(touched.count)
                        stepSlot[p] = s
                        touched.append(Int32(p))
                    }
                    tupleSlot.append(s)
                    tupleWord.append(UInt32(w))
                }
            }

            let posStart = Int(top.posStart), posLen = Int(top.posLen)
            for k in 0..<posLen {
                // The words are scattered: fetch a word's entry and then its symbols ahead of use.
                if k + 8 < posLen { llm_prefetch(words.base + Int(pool[posStart + k + 8])) }
                if k + 4 < posLen { llm_prefetch(symbols.base + Int(words[Int(pool[posStart + k + 4])].start)) }
                let w = Int(pool[posStart + k])
                let info = words[w]
                let s = Int(info.start)
                let n = Int(info.len)
                let c = info.count
                var r = s, o = s
                let end = s + n
                while r < end {
                    let x = symbols[r]
                    if x == a && r + 1 < end && symbols[r + 1] == b {
                        if o > s {
                            let prev = symbols[o - 1]
                            change(UInt64(prev) << 32 | UInt64(a), -1, w, c)
                            if Int(tokLen[Int(prev)]) + Int(newLen) < maxLen {
                                change(UInt64(prev) << 32 | UInt64(newID), 1, w, c)
                            }
                        }
                        if r + 2 < end {
                            let next = symbols[r + 2]
                            change(UInt64(b) << 32 | UInt64(next), -1, w, c)
                            if Int(tokLen[Int(next)]) + Int(newLen) < maxLen {
                                change(UInt64(newID) << 32 | UInt64(next), 1, w, c)
                            }
                        }
                        symbols[o] = newID
                        o += 1
                        r += 2
                    } else {
                        symbols[o] = x
                        o += 1
                        r += 1
                    }
                }
                words[w].len = Int32(o - s)
            }

            // Group the new positions by pair (in processing order, one entry per word) and
            // queue every pair that gained occurrences, as HF drains `where_to_update`.
            let nSlots = touched.count
            if nSlots > 0 {
                slotFill.removeAll(keepingCapacity: true)
                slotFill.append(contentsOf: repeatElement(0, count: nSlots + 1))
                for i in 0..<tupleSlot.count { slotFill[Int(tupleSlot[i]) + 1] += 1 }
                for i in 0..<nSlots { slotFill[i + 1] += slotFill[i] }
                // Positions of popped entries are garbage: before the pool would have to grow,
                // slide the live lists down over the garbage, in place.
                if pool.count + tupleWord.count > pool.capacity && pool.count - live > live / 8 {
                    compact(pool, heap, live)
                }
                let base = pool.count
                pool.append(repeating: 0, count: tupleWord.count)
                var cursor = Array(slotFill[0..<nSlots])
                for i in 0..<tupleSlot.count {
                    let s = Int(tupleSlot[i])
                    pool[base + cursor[s]] = tupleWord[i]
                    cursor[s] += 1
                }
                // compact each slot's run, dropping repeats of the same word
                var out = base
                for s in 0..<nSlots {
                    let p = Int(touched[s])
                    stepSlot[p] = -1
                    let from = base + slotFill[s], to = base + slotFill[s + 1]
                    let runStart = out
                    var last: UInt32 = .max
                    for i in from..<to {
                        let w = pool[i]
                        if w != last {
                            pool[out] = w
                            out += 1
                            last = w
                        }
                    }
                    let cnt = pairCount[p]
                    if cnt > 0 {
                        heap.push(QueueEntry(count: cnt, left: UInt32(truncatingIfNeeded: pairKey[p] >> 32), right: UInt32(truncatingIfNeeded: pairKey[p]), posStart: UInt32(runStart), posLen: UInt32(out - runStart)))
                        live += out - runStart
                    }
                }
                pool.truncate(to: out)
            }
            live -= posLen
            if heap.items.count > heapMax { heapMax = heap.items.count }
            progress.update(done: vocab.count - baseVocab, merges: mergeList.count)
        }
        progress.finish(done: vocab.count - baseVocab, merges: mergeList.count)
        phase("merges")

        // HF keeps merges in a map from pair to (rank, id): a pair merged twice keeps its last rank.
        var lastRank: [UInt64: Int] = [:]
        for (i, m) in mergeList.enumerated() { lastRank[m.0] = i }
        var merges: [(UInt32, UInt32)] = []
        merges.reserveCapacity(lastRank.count)
        for (i, m) in mergeList.enumerated() where lastRank[m.0] == i {
            merges.append((UInt32(truncatingIfNeeded: m.0 >> 32), UInt32(truncatingIfNeeded: m.0)))
        }
        stats.mergeSteps = mergeList.count
        stats.pairsCreated = pairKey.count
        stats.heapMax = heapMax
        var model = TrainedBPE(vocab: vocab, merges: merges, specialTokens: specials)
        model.mergeSteps = mergeList.count
        return model
    }
}

/// Moves every queued entry's word list down to the start of the pool, in pool order, dropping
/// the lists of popped entries.
func compact(_ pool: RawVec<UInt32>, _ heap: MaxHeap, _ live: Int) {
    var order = [(UInt32, Int32)]()
    order.reserveCapacity(heap.items.count)
    for i in 0..<heap.items.count { order.append((heap.items[i].posStart, Int32(i))) }
    order.sort { $0.0 < $1.0 }
    var cursor = 0
    var lastStart = -1, lastNew = 0
    for (start, i) in order {
        let e = heap.items[Int(i)]
        let s = Int(start)
        if s == lastStart {  // entries re-pushed with a new count share their list
            heap.items[Int(i)].posStart = UInt32(lastNew)
            continue
        }
        pool.move(from: s, to: cursor, count: Int(e.posLen))
        heap.items[Int(i)].posStart = UInt32(cursor)
        lastStart = s
        lastNew = cursor
        cursor += Int(e.posLen)
    }
    pool.truncate(to: cursor)
    pool.shrinkToFit()
}

/// Returns freed heap memory (the counting threads' arenas, the word table) to the system, so
/// the merge phase's peak does not stack on memory that is no longer used.
func releaseFreeMemory() {
    llm_release_free_memory()
}

/// Progress on stderr: phase, merges done of total, ETA.
final class BPEProgress {
    let enabled: Bool
    let total: Int
    let start = Clock.now()
    var last = 0.0

    init(enabled: Bool, total: Int) {
        self.enabled = enabled
        self.total = total
    }

    func update(done: Int, merges: Int, force: Bool = false) {
        guard enabled else { return }
        let now = Clock.now()
        if !force && now - last < 0.5 { return }
        last = now
        let el = now - start
        let eta = done > 0 ? el * Double(total - done) / Double(done) : 0
        Diagnostics.write(String(format: "\r\u{1B}[Kbpe train: merges %d/%d, %.1f s, ETA %.0f s", done, total, el, eta))
    }

    func finish(done: Int, merges: Int) {
        guard enabled else { return }
        update(done: done, merges: merges, force: true)
        Diagnostics.write("\n")
    }
}
