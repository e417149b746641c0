import CPCRE2Shim
import Foundation
import Glibc

/// Bytes as a dictionary key.
struct ByteKey: Hashable {
    let bytes: [UInt8]
}

/// Zeroed memory in an anonymous mapping, 2 MiB-aligned and marked for transparent huge pages
/// (tables the encoder probes at random: one TLB entry per 2 MiB instead of 512). Pages are
/// zero until touched.
final class HugePageMemory: @unchecked Sendable {
    static let hugePage = 2 << 20
    let mapping: UnsafeMutableRawPointer
    let length: Int
    let base: UnsafeMutableRawPointer

    init(bytes: Int) {
        length = bytes + Self.hugePage
        guard let m = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              m != UnsafeMutableRawPointer(bitPattern: -1) else {
            fatalError("cannot map \(length) bytes: \(String(cString: strerror(errno)))")
        }
        mapping = m
        base = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: m) + Self.hugePage - 1) & ~(Self.hugePage - 1))!
        _ = madvise(base, bytes, MADV_HUGEPAGE)
    }

    deinit { munmap(mapping, length) }

    /// Faults in and zeroes the first `bytes` now (MADV_POPULATE_WRITE, Linux 5.14+; otherwise one
    /// write per 4 KiB page), so that the thread which later uses the table takes no page faults.
    /// On this VM the first write to a fresh huge page costs ~2.5 ms (the kernel zeroes 2 MiB
    /// that the host may not have backed yet); call this on a thread that would otherwise idle.
    func prefault(bytes: Int) {
        let madvPopulateWrite: Int32 = 23
        if madvise(base, bytes, madvPopulateWrite) == 0 { return }
        var off = 0
        while off < bytes {
            (base + off).storeBytes(of: 0, as: UInt8.self)
            off += 4096
        }
    }
}

/// Open-addressing hash table from a (left, right) id pair to (priority, merged id). Storage is
/// allocated once and never resized, so lookups touch raw memory only (no retain/release). Each
/// slot holds its key and value side by side (16 bytes): a probe reads one cache line, not two.
final class PairTable: @unchecked Sendable {
    struct Slot {
        var key: UInt64
        var value: UInt64
    }

    let memory: HugePageMemory
    let slots: UnsafeMutablePointer<Slot>
    let mask: Int
    static let empty = UInt64.max

    /// `keepLast`: of two entries with the same pair the later one is kept (HF's merges: a
    /// repeated pair takes its later rank); otherwise the one with the lower priority.
    convenience init(_ entries: [(UInt32, UInt32, UInt32, UInt32)], keepLast: Bool = false) {
        var keys: [UInt64] = [], values: [UInt64] = []
        keys.reserveCapacity(entries.count)
        values.reserveCapacity(entries.count)
        for (a, b, prio, merged) in entries {
            keys.append(UInt64(a) << 32 | UInt64(b))
            values.append(UInt64(prio) << 32 | UInt64(merged))
        }
        self.init(keys: keys, values: values, keepLast: keepLast)
    }

    /// From keys (left << 32 | right) and values (priority << 32 | merged id); of two entries
    /// with the same key the lower priority is kept.
    init(keys: [UInt64], values: [UInt64], keepLast: Bool = false) {
        var cap = 1024
        while cap < keys.count * 2 { cap <<= 1 }
        memory = HugePageMemory(bytes: cap * MemoryLayout<Slot>.stride)
        slots = memory.base.bindMemory(to: Slot.self, capacity: cap)
        slots.initialize(repeating: Slot(key: Self.empty, value: 0), count: cap)
        mask = cap - 1
        keys.withUnsafeBufferPointer { kb in
            values.withUnsafeBufferPointer { vb in
                for e in 0..<kb.count {
                    let k = kb[e], v = vb[e]
                    var i = Self.slot(k) & mask
                    while slots[i].key != Self.empty && slots[i].key != k { i = (i + 1) & mask }
                    if slots[i].key == Self.empty || keepLast || slots[i].value >> 32 > v >> 32 {
                        slots[i] = Slot(key: k, value: v)
                    }
                }
            }
        }
    }

    @inline(__always) static func slot(_ k: UInt64) -> Int {
        Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    /// priority << 32 | merged id, or UInt64.max when the pair does not merge.
    @inline(__always) func get(_ a: UInt32, _ b: UInt32) -> UInt64 {
        let k = UInt64(a) << 32 | UInt64(b)
        var i = Self.slot(k) & mask
        while true {
            let c = slots[i].key
            if c == k { return slots[i].value }
            if c == Self.empty { return UInt64.max }
            i = (i + 1) & mask
        }
    }
}

/// Open-addressing table from token bytes to id, built once (no allocation per lookup). A slot
/// is 16 bytes: the key (the bytes' hash with their length in the low 16 bits) and the bytes'
/// offset in one arena and id, so a probe reads one slot.
struct TokenTable {
    struct Slot {
        var key: UInt64
        var start: UInt32
        var id: UInt32
    }

    /// Slots, then the arena of token bytes, in one huge-page mapping (zero until written: a zero
    /// key is an empty slot). The encoder probes it at random for every piece its cache misses;
    /// in 4 KiB pages each probe also missed the TLB.
    let memory: HugePageMemory
    let slots: UnsafeMutablePointer<Slot>
    let arena: UnsafeMutablePointer<UInt8>
    let mask: Int
    /// A one-hash bit filter (2^21 bits, 256 KiB) of the tokens of 2...16 bytes under the piece
    /// cache's hash (`PieceCache.shortHash`): a piece the cache missed and the filter does not
    /// hold is no token, and its whole-piece probe (a miss in the 4 MB table) is skipped. No false
    /// negatives, so the same ids; ~5% false positives for 100 k tokens. It sits between the
    /// slots and the arena in the one mapping (a second mapping object would be retained with
    /// every copy of the table the encoder makes).
    let filter: UnsafeMutablePointer<UInt64>
    static let filterBits = 21

    @inline(__always) static func filterBit(_ p: UnsafeRawPointer, _ n: Int) -> Int {
        let (w0, w1) = PieceCache.words(p, n)
        return Int(truncatingIfNeeded: PieceCache.shortHash(w0, w1, n) >> UInt64(64 - filterBits))
    }

    /// False when `piece` is certainly no token (2...16 bytes, not in the filter).
    @inline(__always) func mayHold(_ piece: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = piece.count
        guard n >= 2, n <= PieceCache.inlineKey, let p = piece.baseAddress else { return true }
        let bit = Self.filterBit(UnsafeRawPointer(p), n)
        return filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    init(_ d: [ByteKey: UInt32]) {
        self.init(d.map { ($0.key.bytes, $0.value) })
    }

    /// The bytes of a piece of 1...16 bytes as two words read with loads that stay inside it
    /// and together cover every byte (so equal words and equal lengths mean equal bytes).
    @inline(__always) static func words(_ p: UnsafeRawPointer, _ n: Int) -> (UInt64, UInt64) {
        if n >= 8 {
            return (p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
        }
        if n >= 4 {
            return (UInt64(p.loadUnaligned(as: UInt32.self)), UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
        }
        let a = UInt64(p.load(as: UInt8.self)) | UInt64(p.load(fromByteOffset: n >> 1, as: UInt8.self)) << 8
            | UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self)) << 16
        return (a, 0)
    }

    /// The slot key: a hash of the bytes (two multiply-xorshift rounds over overlapping words)
    /// with the length in the low 16 bits; never 0 (0 marks an empty slot) for 1...65,535 bytes.
    @inline(__always) static func key(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var h: UInt64
        if n <= 16 {
            let (a, b) = words(p, n)
            h = (a ^ 0x9E37_79B9_7F4A_7C15) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            h = (h ^ b) &* 0xC4CE_B9FE_1A85_EC53
        } else {
            h = 0x9E37_79B9_7F4A_7C15 &* UInt64(n)
            var i = 0
            while i + 8 < n {
                h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i += 8
            }
            h = (h ^ p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 29
        return (h & ~0xFFFF) | UInt64(n)
    }

    @inline(__always) static func key(_ piece: UnsafeBufferPointer<UInt8>) -> UInt64 {
        key(UnsafeRawPointer(piece.baseAddress!), piece.count)
    }

    /// Whether `n` bytes at `a` and `b` are the same.
    @inline(__always) static func same(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n <= 16 { return words(a, n) == words(b, n) }
        return memcmp(a, b, n) == 0
    }

    @inline(__always) static func index(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: key >> 20) & mask
    }

    /// From (bytes, id) pairs; later duplicates of the same bytes are ignored, and so are tokens
    /// of more than 65,535 bytes (no text piece is matched whole against them).
    init(_ entries: [([UInt8], UInt32)]) {
        var cap = 1024
        while cap < entries.count * 2 { cap <<= 1 }
        mask = cap - 1
        var total = 0
        for (k, _) in entries { total += k.count }
        let slotBytes = cap * MemoryLayout<Slot>.stride, filterBytes = 1 << (Self.filterBits - 3)
        memory = HugePageMemory(bytes: slotBytes + filterBytes + total + 16)
        slots = memory.base.bindMemory(to: Slot.self, capacity: cap)
        filter = (memory.base + slotBytes).bindMemory(to: UInt64.self, capacity: filterBytes / 8)
        arena = (memory.base + slotBytes + filterBytes).bindMemory(to: UInt8.self, capacity: total + 16)
        let sl = slots, ar = arena, m = mask, f = filter
        var used = 0
        for (k, v) in entries {
            let n = k.count
            if n == 0 || n > 0xFFFF { continue }
            k.withUnsafeBufferPointer { kb in
                let p = UnsafeRawPointer(kb.baseAddress!)
                if n >= 2 && n <= PieceCache.inlineKey {
                    let bit = Self.filterBit(p, n)
                    f[bit >> 6] |= 1 << UInt64(bit & 63)
                }
                let key = Self.key(p, n)
                var i = Self.index(key, m)
                while sl[i].key != 0 {
                    if sl[i].key == key && Self.same(ar + Int(sl[i].start), p, n) { return }  // a duplicate
                    i = (i + 1) & m
                }
                sl[i] = Slot(key: key, start: UInt32(used), id: v)
                (ar + used).update(from: kb.baseAddress!, count: n)
                used += n
            }
        }
    }

    @inline(__always) func get(_ piece: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let n = piece.count
        guard n > 0, n <= 0xFFFF, let p = piece.baseAddress else { return nil }
        return Self.probe(slots, arena, mask, Self.key(p, n), p, n)
    }

    /// The id stored under `key` for the `n` bytes at `p`, from raw slots and arena.
    @inline(__always) static func probe(_ sl: UnsafePointer<Slot>, _ arena: UnsafePointer<UInt8>, _ mask: Int,
                                        _ key: UInt64, _ p: UnsafeRawPointer, _ n: Int) -> UInt32? {
        var i = index(key, mask)
        while true {
            let s = sl[i]
            if s.key == key && same(arena + Int(s.start), p, n) { return s.id }
            if s.key == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// A tiktoken vocabulary's pair table: every split of every token into two tokens of this
    /// table is a pair whose merge yields it, with the merged token's rank as priority (tiktoken
    /// merges the lowest-ranked pair first). The lookups miss the cache (a 4 MB table for
    /// cl100k): each token's keys are computed and their slots prefetched before any is probed.
    func tiktokenPairs(_ ranks: [([UInt8], UInt32)]) -> PairTable {
        var keys: [UInt64] = [], values: [UInt64] = []
        keys.reserveCapacity(ranks.count * 3)
        values.reserveCapacity(ranks.count * 3)
        let m = mask
        let sl = slots, arena = self.arena
        var pre = [UInt64](repeating: 0, count: 256), suf = [UInt64](repeating: 0, count: 256)
        for (t, r) in ranks where t.count >= 2 {
            t.withUnsafeBufferPointer { tb in
                let n = tb.count
                let p = UnsafeRawPointer(tb.baseAddress!)
                if n > pre.count {
                    pre = [UInt64](repeating: 0, count: n)
                    suf = [UInt64](repeating: 0, count: n)
                }
                pre.withUnsafeMutableBufferPointer { pk in
                    suf.withUnsafeMutableBufferPointer { sk in
                        for k in 1..<n {
                            pk[k] = Self.key(p, k)
                            sk[k] = Self.key(p + k, n - k)
                            llm_prefetch(sl + Self.index(pk[k], m))
                            llm_prefetch(sl + Self.index(sk[k], m))
                        }
                        for k in 1..<n {
                            guard let l = Self.probe(sl, arena, m, pk[k], p, k),
                                  let rt = Self.probe(sl, arena, m, sk[k], p + k, n - k) else { continue }
                            keys.append(UInt64(l) << 32 | UInt64(rt))
                            values.append(UInt64(r) << 32 | UInt64(r))
                        }
                    }
                }
            }
        }
        return PairTable(keys: keys, values: values)
    }
}
