/// A growable buffer of trivial values that a worker reuses from document to document (no ARC,
/// no uniqueness checks, no per-document allocation once it has grown).
struct Buf<T> {
    private(set) var p: UnsafeMutablePointer<T>
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
        p = .allocate(capacity: capacity)
    }

    func free() { p.deallocate() }

    @inline(__always) mutating func clear() { count = 0 }

    mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        var c = capacity
        while c < n { c *= 2 }
        let q = UnsafeMutablePointer<T>.allocate(capacity: c)
        q.moveInitialize(from: p, count: count)
        p.deallocate()
        p = q
        capacity = c
    }

    @inline(__always) mutating func append(_ x: T) {
        if count == capacity { reserve(count + 1) }
        p[count] = x
        count += 1
    }

    @inline(__always) subscript(i: Int) -> T {
        get { p[i] }
        nonmutating set { p[i] = newValue }
    }

    var buffer: UnsafeBufferPointer<T> { UnsafeBufferPointer(start: p, count: count) }
}

/// An open-addressing table of 64-bit keys with a count per key, cleared in O(1) by a generation stamp. The repetition rules use it as a set and as a
/// counter of hashed lines, paragraphs and n-grams. One entry is one 16-byte record, so a probe
/// touches one cache line.
struct HashCounter {
    struct Entry {
        var key: UInt64
        var stamp: UInt32
        var count: Int32
    }

    private var entries: UnsafeMutablePointer<Entry>
    private var mask = 0
    private var gen: UInt32 = 1

    init() {
        let c = 1024
        entries = .allocate(capacity: c)
        entries.initialize(repeating: Entry(key: 0, stamp: 0, count: 0), count: c)
        mask = c - 1
    }

    func free() { entries.deallocate() }

    private var capacity = 1024

    /// Empties the table and makes room for `n` keys at a load of at most 1/2. The table uses
    /// only the smallest power of two that fits, so small documents after a large one stay in cache.
    mutating func reset(expected n: Int) {
        var c = 256
        while c < 2 * n { c *= 2 }
        if c > capacity {
            entries.deallocate()
            entries = .allocate(capacity: c)
            entries.initialize(repeating: Entry(key: 0, stamp: 0, count: 0), count: c)
            capacity = c
            gen = 1
        } else {
            gen &+= 1
            if gen == 0 {
                for i in 0..<capacity { entries[i].stamp = 0 }
                gen = 1
            }
        }
        mask = c - 1
    }

    /// Keys are PolyHash.key values, which end in a multiply: their high bits are mixed already.
    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: key >> 40) & mask
    }

    /// Adds one occurrence of `key`; returns its slot. New and seen keys take the same path
    /// (the entry is rewritten either way, the count chosen without a branch): which one a key is
    /// cannot be predicted, and the probe loop ends at the first slot for both but on collisions.
    @inline(__always) @discardableResult
    mutating func add(_ key: UInt64) -> Int {
        var i = home(key)
        var e = entries + i
        while e.pointee.stamp == gen && e.pointee.key != key {
            i = (i + 1) & mask
            e = entries + i
        }
        let seen = e.pointee.stamp == gen
        let c: Int32 = seen ? e.pointee.count &+ 1 : 1
        e.pointee = Entry(key: key, stamp: gen, count: c)
        return i
    }

    /// The count at `slot` (without mark()'s bit).
    @inline(__always) func count(at slot: Int) -> Int32 { entries[slot].count & 0x3FFF_FFFF }

    /// When `active`, marks the key at `slot` (a bit beside its count, which stays readable) and
    /// returns whether it was marked already; otherwise false. Without branches (whether a
    /// position takes part is not predictable). For use once the counting is done.
    @inline(__always) func mark(_ active: Bool, at slot: Int) -> Bool {
        let e = entries + slot
        let c = e.pointee.count
        e.pointee.count = c | (active ? 0x4000_0000 : 0)
        return active && c & 0x4000_0000 != 0
    }
}
