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

/// Counts of pre-tokenized words (raw bytes, before byte-level mapping). An open-addressing hash
/// table over an append-only byte arena: memory grows with the number of unique words, not with
/// the amount of text counted.
public struct WordCounts {
    /// Word i is `arena[starts[i] ..< starts[i + 1]]`.
    public private(set) var arena: [UInt8] = []
    public private(set) var starts: [UInt32] = [0]
    public private(set) var counts: [UInt64] = []
    var slots: [Int32]
    var mask: Int

    public init(capacity: Int = 1 << 16) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
    }

    /// Number of unique words.
    public var count: Int { counts.count }
    /// Sum of all counts.
    public var total: UInt64 { counts.reduce(0, &+) }

    /// Calls `body` with word `i`'s bytes.
    @inline(__always)
    public func withWord<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        arena.withUnsafeBufferPointer { a in
            body(UnsafeBufferPointer(rebasing: a[Int(starts[i])..<Int(starts[i + 1])]))
        }
    }

    /// Adds `n` occurrences of `word`.
    @inline(__always)
    public mutating func add(_ word: UnsafeBufferPointer<UInt8>, _ n: UInt64 = 1) {
        let len = word.count
        let h = len > 0 ? hashBytes(word.baseAddress!, len) : hashBytes(UnsafePointer(bitPattern: 1)!, 0)
        add(word, hash: h, n)
    }

    @inline(__always)
    mutating func add(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, _ n: UInt64) {
        let len = word.count
        var i = Int(truncatingIfNeeded: h) & mask
        let found: Int32 = slots.withUnsafeBufferPointer { sl in
            arena.withUnsafeBufferPointer { ar in
                starts.withUnsafeBufferPointer { st in
                    while true {
                        let s = sl[i]
                        if s < 0 { return -1 - Int32(i) }
                        let e = Int(s)
                        let a = Int(st[e]), b = Int(st[e + 1])
                        if b - a == len && (len == 0 || memcmp(ar.baseAddress! + a, word.baseAddress!, len) == 0) { return s }
                        i = (i + 1) & mask
                    }
                }
            }
        }
        if found >= 0 {
            counts[Int(found)] &+= n
            return
        }
        let slot = Int(-1 - found)
        let idx = counts.count
        slots[slot] = Int32(idx)
        arena.append(contentsOf: word)
        precondition(arena.count <= Int(UInt32.max), "more than 4 GiB of unique words")
        starts.append(UInt32(arena.count))
        counts.append(n)
        if counts.count * 2 > slots.count { grow() }
    }

    mutating func grow() {
        let cap = slots.count * 2
        var ns = [Int32](repeating: -1, count: cap)
        let m = cap - 1
        arena.withUnsafeBufferPointer { a in
        for e in 0..<counts.count {
            let s = Int(starts[e]), t = Int(starts[e + 1])
            let h = t > s ? hashBytes(a.baseAddress! + s, t - s) : hashBytes(UnsafePointer(bitPattern: 1)!, 0)
            var i = Int(truncatingIfNeeded: h) & m
            while ns[i] >= 0 { i = (i + 1) & m }
            ns[i] = Int32(e)
        }
        }
        slots = ns
        mask = m
    }

    /// Adds every word of `other` (the merge of per-thread or per-shard counts).
    public mutating func merge(_ other: WordCounts) {
        other.arena.withUnsafeBufferPointer { a in
            for e in 0..<other.count {
                let w = UnsafeBufferPointer(rebasing: a[Int(other.starts[e])..<Int(other.starts[e + 1])])
                add(w, other.counts[e])
            }
        }
    }

    /// Bytes held by the table (for --stats).
    public var memoryBytes: Int { arena.capacity + starts.capacity * 4 + counts.capacity * 8 + slots.capacity * 4 }

    /// Releases the table's memory.
    public mutating func removeAll() { self = WordCounts(capacity: 1) }
}

// MARK: - counts files

/// The binary word-counts file written by `llmdata bpe count` and read by `bpe train --counts`:
///
///     magic "LLMBPEC1" (8 bytes)
///     u32 LE  pattern name length, then the name (UTF-8): gpt2, cl100k, o200k
///     u64 LE  number of words
///     per word: u64 LE count, u32 LE byte length, the word's raw bytes (before byte-level mapping)
///
/// Compressed with zstd or gzip when the file name ends in .zst or .gz.
public enum CountsFile {
    static let magic = Array("LLMBPEC1".utf8)

    public static func write(_ wc: WordCounts, pattern: String, to path: String) throws {
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
                u64(wc.counts[e])
                let a = Int(wc.starts[e]), b = Int(wc.starts[e + 1])
                u32(UInt32(b - a))
                buf.append(contentsOf: wc.arena[a..<b])
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
    public static func read(path: String, into wc: inout WordCounts) throws -> String {
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
