import Foundation

/// Counts in bins of powers of two, kept as counters (`PREFIX.K` = how many values had
/// floor(log2(max(v, 1))) == K), so they sum over batches, files and resumed runs like any
/// counter (docs/protocol.md). `llmdata report` draws them on a log scale.
public enum Log2Histogram {
    public static let bins = 64

    @inline(__always) public static func bin(_ v: Int) -> Int { v <= 1 ? 0 : (Int.bitWidth - 1 - v.leadingZeroBitCount) }

    /// Adds the non-empty bins to `counters` and clears them.
    public static func flush(_ counts: inout [Int], prefix: String, into counters: inout Counters) {
        for k in counts.indices where counts[k] > 0 {
            counters.add(key(prefix, k), counts[k])
            counts[k] = 0
        }
    }

    static func key(_ prefix: String, _ k: Int) -> String { prefix + "." + String(k) }

    /// Characters in UTF-8 text: bytes that do not continue a sequence (eight at a time).
    public static func characters(_ t: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = t.baseAddress else { return 0 }
        var cont = 0
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 8 <= t.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // continuation bytes are 10xxxxxx: bit 7 set and bit 6 clear
            cont += (w & ~(w << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
            i += 8
        }
        while i < t.count {
            if t[i] & 0xC0 == 0x80 { cont += 1 }
            i += 1
        }
        return t.count - cont
    }
}
