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

/// An open-addressing table of 64-bit keys with a count, the index of the first occurrence and a
/// length per key, cleared in O(1) by a generation stamp. The repetition rules use it as a set and
/// as a counter of hashed lines, paragraphs and n-grams.
struct HashCounter {
    private var keys: UnsafeMutablePointer<UInt64>
    private var stamps: UnsafeMutablePointer<UInt32>
    private(set) var counts: UnsafeMutablePointer<Int32>
    private(set) var firsts: UnsafeMutablePointer<Int32>
    private(set) var lengths: UnsafeMutablePointer<Int32>
    private var mask = 0
    private var gen: UInt32 = 1
    /// Slots in use since the last reset, in insertion order.
    private(set) var used: Buf<Int32> = Buf(capacity: 256)

    init() {
        let c = 1024
        keys = .allocate(capacity: c)
        stamps = .allocate(capacity: c)
        stamps.initialize(repeating: 0, count: c)
        counts = .allocate(capacity: c)
        firsts = .allocate(capacity: c)
        lengths = .allocate(capacity: c)
        mask = c - 1
    }

    func free() {
        keys.deallocate(); stamps.deallocate(); counts.deallocate(); firsts.deallocate(); lengths.deallocate(); used.free()
    }

    /// Empties the table and makes room for `n` keys at a load of at most 1/2.
    mutating func reset(expected n: Int) {
        used.clear()
        if 2 * n > mask + 1 {
            var c = mask + 1
            while c < 2 * n { c *= 2 }
            keys.deallocate(); stamps.deallocate(); counts.deallocate(); firsts.deallocate(); lengths.deallocate()
            keys = .allocate(capacity: c)
            stamps = .allocate(capacity: c)
            stamps.initialize(repeating: 0, count: c)
            counts = .allocate(capacity: c)
            firsts = .allocate(capacity: c)
            lengths = .allocate(capacity: c)
            mask = c - 1
            gen = 1
            return
        }
        gen &+= 1
        if gen == 0 {
            stamps.update(repeating: 0, count: mask + 1)
            gen = 1
        }
    }

    /// Adds one occurrence of `key`; returns its slot. The first occurrence records `first`, `length`.
    @inline(__always) @discardableResult
    mutating func add(_ key: UInt64, first: Int, length: Int) -> Int {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while true {
            if stamps[i] != gen {
                stamps[i] = gen
                keys[i] = key
                counts[i] = 1
                firsts[i] = Int32(truncatingIfNeeded: first)
                lengths[i] = Int32(truncatingIfNeeded: length)
                used.append(Int32(i))
                return i
            }
            if keys[i] == key {
                counts[i] += 1
                return i
            }
            i = (i + 1) & mask
        }
    }

    /// Whether `key` is present.
    @inline(__always) func contains(_ key: UInt64) -> Bool {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while stamps[i] == gen {
            if keys[i] == key { return true }
            i = (i + 1) & mask
        }
        return false
    }

    /// The count of `key` (0 when absent).
    @inline(__always) func count(of key: UInt64) -> Int {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while stamps[i] == gen {
            if keys[i] == key { return Int(counts[i]) }
            i = (i + 1) & mask
        }
        return 0
    }
}
