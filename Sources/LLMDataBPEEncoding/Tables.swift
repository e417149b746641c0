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

    init(_ entries: [(UInt32, UInt32, UInt32, UInt32)]) {
        var cap = 1024
        while cap < entries.count * 2 { cap <<= 1 }
        memory = HugePageMemory(bytes: cap * MemoryLayout<Slot>.stride)
        slots = memory.base.bindMemory(to: Slot.self, capacity: cap)
        slots.initialize(repeating: Slot(key: Self.empty, value: 0), count: cap)
        mask = cap - 1
        for (a, b, prio, merged) in entries {
            let k = UInt64(a) << 32 | UInt64(b)
            var i = Self.slot(k) & mask
            while slots[i].key != Self.empty && slots[i].key != k { i = (i + 1) & mask }
            if slots[i].key == Self.empty || UInt32(truncatingIfNeeded: slots[i].value >> 32) > prio {
                slots[i] = Slot(key: k, value: UInt64(prio) << 32 | UInt64(merged))
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

/// Open-addressing table from token bytes to id, built once (no allocation per lookup).
struct TokenTable {
    var hashes: [UInt64]
    var ids: [UInt32]
    var starts: [Int32]
    var lens: [UInt16]
    var bytes: [UInt8]
    let mask: Int

    init(_ d: [ByteKey: UInt32]) {
        self.init(d.map { ($0.key.bytes, $0.value) })
    }

    /// From (bytes, id) pairs; later duplicates of the same bytes are ignored.
    init(_ entries: [([UInt8], UInt32)]) {
        var cap = 1024
        while cap < entries.count * 2 { cap <<= 1 }
        hashes = [UInt64](repeating: 0, count: cap)
        ids = [UInt32](repeating: 0, count: cap)
        starts = [Int32](repeating: 0, count: cap)
        lens = [UInt16](repeating: 0, count: cap)
        bytes = []
        mask = cap - 1
        for (k, v) in entries {
            if k.withUnsafeBufferPointer({ get($0) }) != nil { continue }
            let h = k.withUnsafeBufferPointer { PieceCache.hash($0) }
            var i = Int(truncatingIfNeeded: h >> 20) & mask
            while hashes[i] != 0 { i = (i + 1) & mask }
            hashes[i] = h
            ids[i] = v
            starts[i] = Int32(bytes.count)
            lens[i] = UInt16(k.count)
            bytes.append(contentsOf: k)
        }
    }

    @inline(__always) func get(_ piece: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let h = PieceCache.hash(piece)
        var i = Int(truncatingIfNeeded: h >> 20) & mask
        while hashes[i] != 0 {
            if hashes[i] == h && Int(lens[i]) == piece.count {
                let s = Int(starts[i])
                var same = true
                for k in 0..<piece.count where bytes[s + k] != piece[k] { same = false; break }
                if same { return ids[i] }
            }
            i = (i + 1) & mask
        }
        return nil
    }
}
