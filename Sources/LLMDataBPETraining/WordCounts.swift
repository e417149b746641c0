import Foundation
import LLMDataCore

@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
    let raw = UnsafeRawPointer(p)
    var i = 0
    while i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        i += 8
    }
    if i < n {
        var v: UInt64 = 0
        var s: UInt64 = 0
        while i < n {
            v |= UInt64(p[i]) << s
            s += 8
            i += 1
        }
        h = (h ^ v) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
    }
    h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
    return h ^ (h >> 32)
}

/// Compares `n` bytes (short words: 8 bytes at a time, no call).
@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    var i = 0
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// Counts of pre-tokenized words (raw bytes, before byte-level mapping). An open-addressing hash
/// table over an append-only byte arena: memory grows with the number of unique words, not with
/// the amount of text counted. A reference type: one table per counting thread.
public final class WordCounts {
    /// Word i is `arena[starts[i] ..< starts[i + 1]]`.
    let arena: RawVec<UInt8>
    let starts: RawVec<UInt32>
    let counts: RawVec<UInt64>
    var slots: RawVec<Int32>
    var mask: Int

    public init(capacity: Int = 1 << 16) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        slots = RawVec(capacity: cap)
        slots.append(repeating: -1, count: cap)
        mask = cap - 1
        arena = RawVec(capacity: capacity * 8)
        starts = RawVec(capacity: capacity + 1)
        starts.append(0)
        counts = RawVec(capacity: capacity)
    }

    /// Number of unique words.
    public var count: Int { counts.count }
    /// Sum of all counts.
    public var total: UInt64 {
        var t: UInt64 = 0
        for i in 0..<counts.count { t &+= counts[i] }
        return t
    }

    /// Word `i`'s bytes (valid until the table changes).
    @inline(__always)
    public func word(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let a = Int(starts[i])
        return UnsafeBufferPointer(start: arena.base + a, count: Int(starts[i + 1]) - a)
    }

    /// Word `i`'s count.
    @inline(__always)
    public func count(of i: Int) -> UInt64 { counts[i] }

    /// Adds `n` occurrences of `word`.
    @inline(__always)
    public func add(_ word: UnsafeBufferPointer<UInt8>, _ n: UInt64 = 1) {
        let len = word.count
        guard let w = word.baseAddress, len > 0 else { return addEmpty(n) }
        let h = hashBytes(w, len)
        var i = Int(truncatingIfNeeded: h) & mask
        let sl = slots.base, st = starts.base, ar = arena.base
        while true {
            let s = sl[i]
            if s < 0 { break }
            let e = Int(s)
            let a = Int(st[e])
            if Int(st[e + 1]) - a == len && bytesEqual(ar + a, w, len) {
                counts[e] &+= n
                return
            }
            i = (i + 1) & mask
        }
        let idx = counts.count
        slots[i] = Int32(idx)
        arena.reserve(arena.count + len)
        (arena.base + arena.count).update(from: w, count: len)
        arena.advance(by: len)
        precondition(arena.count <= Int(UInt32.max), "more than 4 GiB of unique words")
        starts.append(UInt32(arena.count))
        counts.append(n)
        if counts.count * 2 > slots.count { grow() }
    }

    /// The empty word (never produced by the pre-tokenizer; kept so counts files round-trip).
    private func addEmpty(_ n: UInt64) {
        for e in 0..<count where starts[e] == starts[e + 1] {
            counts[e] &+= n
            return
        }
        starts.append(UInt32(arena.count))
        counts.append(n)
    }

    func grow() {
        let cap = slots.count * 2
        let ns = RawVec<Int32>(capacity: cap)
        ns.append(repeating: -1, count: cap)
        let m = cap - 1
        for e in 0..<counts.count {
            let w = word(e)
            if w.isEmpty { continue }
            var i = Int(truncatingIfNeeded: hashBytes(w.baseAddress!, w.count)) & m
            while ns[i] >= 0 { i = (i + 1) & m }
            ns[i] = Int32(e)
        }
        slots = ns
        mask = m
    }

    /// Adds every word of `other` (the merge of per-thread or per-shard counts).
    public func merge(_ other: WordCounts) {
        for e in 0..<other.count { add(other.word(e), other.counts[e]) }
    }

    /// Puts the words in the canonical order: by their raw bytes, ascending (unsigned bytewise, a
    /// word before any longer word it begins). Insertion order depends on which worker thread saw
    /// a word first and on the order the per-thread tables were merged; after this the order
    /// depends only on the set of words. Counts files are written in this order and the trainer
    /// reads words in it. O(n log n) in the unique words (comparisons mostly on an 8-byte prefix),
    /// linear when already sorted; the hash slots are renumbered, not rehashed.
    public func sortByBytes() {
        let n = count
        if n < 2 { return }
        struct Key {
            var prefix: UInt64  // the first 8 bytes, big-endian, zero-padded
            var index: UInt32
        }
        let st = starts.base, ar = arena.base
        var keys = [Key]()
        keys.reserveCapacity(n)
        for e in 0..<n {
            let a = Int(st[e]), len = Int(st[e + 1]) - a
            var p: UInt64 = 0
            if len >= 8 {
                p = UInt64(bigEndian: UnsafeRawPointer(ar + a).loadUnaligned(as: UInt64.self))
            } else {
                for k in 0..<len { p |= UInt64(ar[a + k]) << (56 - 8 * k) }
            }
            keys.append(Key(prefix: p, index: UInt32(e)))
        }
        keys.sort { x, y in
            if x.prefix != y.prefix { return x.prefix < y.prefix }
            // equal first 8 bytes (or a shorter word padded with zeros): compare the rest, then lengths
            let xa = Int(st[Int(x.index)]), xl = Int(st[Int(x.index) + 1]) - xa
            let ya = Int(st[Int(y.index)]), yl = Int(st[Int(y.index) + 1]) - ya
            let m = min(xl, yl)
            if m > 8 {
                let c = memcmp(ar + xa + 8, ar + ya + 8, m - 8)
                if c != 0 { return c < 0 }
            }
            return xl < yl
        }
        var inOrder = true
        for i in 0..<n where keys[i].index != UInt32(i) {
            inOrder = false
            break
        }
        if inOrder { return }
        let newArena = RawVec<UInt8>(capacity: arena.count)
        let newStarts = RawVec<UInt32>(capacity: n + 1)
        let newCounts = RawVec<UInt64>(capacity: n)
        var newIndex = [Int32](repeating: 0, count: n)
        newStarts.append(0)
        for (i, k) in keys.enumerated() {
            let e = Int(k.index)
            let a = Int(st[e]), len = Int(st[e + 1]) - a
            newArena.reserve(newArena.count + len)
            (newArena.base + newArena.count).update(from: ar + a, count: len)
            newArena.advance(by: len)
            newStarts.append(UInt32(newArena.count))
            newCounts.append(counts[e])
            newIndex[e] = Int32(i)
        }
        keys = []
        // a word's slot depends only on its bytes: renumber the slots in place
        for i in 0..<slots.count where slots[i] >= 0 { slots[i] = newIndex[Int(slots[i])] }
        arena.swapContents(with: newArena)
        starts.swapContents(with: newStarts)
        counts.swapContents(with: newCounts)
        newArena.release()
        newStarts.release()
        newCounts.release()
    }

    /// Bytes held by the table (for --stats).
    public var memoryBytes: Int { arena.capacity + starts.capacity * 4 + counts.capacity * 8 + slots.capacity * 4 }

    /// Releases the table's memory.
    public func removeAll() {
        arena.release()
        starts.release()
        counts.release()
        slots = RawVec(capacity: 16)
        slots.append(repeating: -1, count: 16)
        mask = 15
        starts.append(0)
    }
}

// MARK: - counts files

/// The binary word-counts file written by `llmdata bpe count` and read by `bpe train --counts`:
///
///     magic "LLMBPEC1" (8 bytes)
///     u32 LE  pattern name length, then the name (UTF-8): gpt2, cl100k, o200k
///     u64 LE  number of words
///     per word: u64 LE count, u32 LE byte length, the word's raw bytes (before byte-level mapping)
///
/// Words are written in ascending order of their raw bytes (`WordCounts.sortByBytes`), so the file
/// depends only on the counts: not on --jobs, on the run, or on how the input was split into
/// tasks (the tasks' files summed word by word and written again equal one process's file).
/// Compressed with zstd or gzip when the file name ends in .zst or .gz.
public enum CountsFile {
    static let magic = Array("LLMBPEC1".utf8)

    /// Writes `wc` in the canonical order (sorting the table first).
    public static func write(_ wc: WordCounts, pattern: String, to path: String) throws {
        wc.sortByBytes()
        let sink = try openByteSink(path: path)
        do {
            var buf: [UInt8] = magic
            func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { buf.append(contentsOf: $0) } }
            func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { buf.append(contentsOf: $0) } }
            let name = Array(pattern.utf8)
            u32(UInt32(name.count))
            buf.append(contentsOf: name)
            u64(UInt64(wc.count))
            for e in 0..<wc.count {
                u64(wc.count(of: e))
                let w = wc.word(e)
                u32(UInt32(w.count))
                buf.append(contentsOf: w)
                if buf.count >= 1 << 20 {
                    try sink.write(buf)
                    buf.removeAll(keepingCapacity: true)
                }
            }
            try sink.write(buf)
            try sink.finish()
        } catch {
            sink.abort()
            throw error
        }
    }

    /// Reads a counts file, adding its words into `into`; returns the pattern name it was made with.
    @discardableResult
    public static func read(path: String, into wc: WordCounts) throws -> String {
        let src = try openByteSource(path: path)
        defer { src.close() }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try src.read(into: $0) }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        func bad(_ why: String) -> LLMDataError { LLMDataError("\(path): not a bpe counts file (\(why))") }
        var pos = 0
        func need(_ n: Int) throws { if pos + n > data.count { throw bad("truncated at byte \(pos)") } }
        func u32() throws -> UInt32 {
            try need(4)
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(data[pos + k]) << (8 * k) }
            pos += 4
            return v
        }
        func u64() throws -> UInt64 {
            try need(8)
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(data[pos + k]) << (8 * k) }
            pos += 8
            return v
        }
        try need(8)
        if Array(data[0..<8]) != magic { throw bad("bad magic") }
        pos = 8
        let nameLen = Int(try u32())
        try need(nameLen)
        let name = String(decoding: data[pos..<pos + nameLen], as: UTF8.self)
        pos += nameLen
        let n = try u64()
        try data.withUnsafeBufferPointer { d in
            for _ in 0..<n {
                let c = try u64()
                let len = Int(try u32())
                try need(len)
                wc.add(UnsafeBufferPointer(rebasing: d[pos..<pos + len]), c)
                pos += len
            }
        }
        if pos != data.count { throw bad("\(data.count - pos) trailing bytes") }
        return name
    }
}
