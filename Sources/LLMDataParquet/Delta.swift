// The DELTA_* encodings (Spark's and parquet-mr's v2 writers, DuckDB, parquet-rs use them). Each
// is decoded into PLAIN bytes, which `decodePlain` then renders: one extra copy on a path that
// pyarrow does not take by default, and one renderer for every physical type.

extension ColumnReader {
    /// Reads `bw` bits (0...64) at bit offset `bit`, least significant first.
    func bits(_ p: UnsafeBufferPointer<UInt8>, _ bit: Int, _ bw: Int) throws -> UInt64 {
        guard (bit + bw + 7) / 8 <= p.count else { throw fail("page ends inside its DELTA values") }
        var v: UInt64 = 0
        var got = 0
        var pos = bit
        while got < bw {
            let shift = pos & 7
            let take = Swift.min(8 - shift, bw - got)
            let part = (UInt64(p[pos >> 3]) >> UInt64(shift)) & ((1 << UInt64(take)) - 1)
            v |= part << UInt64(got)
            got += take
            pos += take
        }
        return v
    }

    /// DELTA_BINARY_PACKED: exactly `n` integers (as two's-complement 64-bit values; INT32 columns
    /// keep the low 32 bits) and the bytes they took.
    func deltaIntegers(_ p: UnsafeBufferPointer<UInt8>, count n: Int) throws -> ([UInt64], Int) {
        var at = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard at < p.count else { throw fail("page ends inside its DELTA_BINARY_PACKED header") }
                let b = p[at]
                at += 1
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
                if shift > 63 { throw fail("corrupt DELTA_BINARY_PACKED header") }
            }
        }
        func zigzag() throws -> UInt64 {
            let v = try varint()
            return (v >> 1) ^ (0 &- (v & 1))
        }
        let blockSize = try varint(), miniblocks = try varint(), total = try varint()
        var last = try zigzag()
        guard blockSize > 0, blockSize <= 1 << 20, miniblocks > 0, blockSize % miniblocks == 0 else {
            throw fail("corrupt DELTA_BINARY_PACKED header (block of \(blockSize) values in \(miniblocks) miniblocks)")
        }
        guard total == UInt64(n) else { throw fail("DELTA_BINARY_PACKED holds \(total) values where the page has \(n)") }
        let perMini = Int(blockSize / miniblocks)
        var out: [UInt64] = []
        out.reserveCapacity(Swift.min(n, p.count * 8 + 16))
        if n > 0 { out.append(last) }
        while out.count < n {
            let minDelta = try zigzag()
            guard Int(miniblocks) <= p.count - at else { throw fail("page ends inside its DELTA values") }
            let widths = Array(p[at..<(at + Int(miniblocks))])
            at += Int(miniblocks)
            for bw in widths {
                if out.count >= n { break }  // the last block's unused miniblocks are absent
                guard bw <= 64 else { throw fail("corrupt DELTA values (bit width \(bw))") }
                let bw = Int(bw)
                for i in 0..<perMini where out.count < n {
                    last = last &+ minDelta &+ (try bits(p, at * 8 + i * bw, bw))
                    out.append(last)
                }
                at += Swift.min(perMini * bw / 8, p.count - at)
            }
        }
        return (out, at)
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the byte strings' ranges in `p` and the bytes they took.
    func deltaLengths(_ p: UnsafeBufferPointer<UInt8>, count n: Int) throws -> ([Range<Int>], Int) {
        let (lengths, used) = try deltaIntegers(p, count: n)
        var at = used
        var out: [Range<Int>] = []
        out.reserveCapacity(lengths.count)
        for l in lengths {
            let len = Int(Int32(truncatingIfNeeded: l))
            guard len >= 0, len <= p.count - at else { throw fail("page ends inside its DELTA_LENGTH_BYTE_ARRAY values") }
            out.append(at..<(at + len))
            at += len
        }
        return (out, at)
    }

    /// The page's `n` values in a DELTA encoding, rendered into `values`.
    func decodeDelta(_ p: UnsafeBufferPointer<UInt8>, encoding: Int32, count n: Int) throws {
        var plainBytes: [UInt8] = []
        func appendLE(_ v: UInt64, _ width: Int) { for k in 0..<width { plainBytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
        func appendValue(_ bytes: UnsafeBufferPointer<UInt8>) throws {
            if leaf.type == .byteArray {
                appendLE(UInt64(bytes.count), 4)
            } else if bytes.count != leaf.typeLength {
                throw fail("a DELTA_BYTE_ARRAY value of \(bytes.count) bytes in a column of \(leaf.typeLength)-byte values")
            }
            plainBytes.append(contentsOf: bytes)
        }
        switch (encoding, leaf.type) {
        case (5, .int32), (5, .int64):
            let width = leaf.type == .int32 ? 4 : 8
            for v in try deltaIntegers(p, count: n).0 { appendLE(v, width) }
        case (6, .byteArray):
            for r in try deltaLengths(p, count: n).0 { try appendValue(UnsafeBufferPointer(rebasing: p[r])) }
        case (7, .byteArray), (7, .fixedLenByteArray):
            let (prefixes, used) = try deltaIntegers(p, count: n)
            let (suffixes, _) = try deltaLengths(UnsafeBufferPointer(rebasing: p[used...]), count: n)
            var previous: [UInt8] = []
            for (pre, r) in zip(prefixes, suffixes) {
                let k = Int(Int32(truncatingIfNeeded: pre))
                guard k >= 0, k <= previous.count else { throw fail("corrupt DELTA_BYTE_ARRAY (prefix \(k) of a \(previous.count)-byte value)") }
                var value = Array(previous[0..<k])
                value.append(contentsOf: UnsafeBufferPointer(rebasing: p[(used + r.lowerBound)..<(used + r.upperBound)]))
                try value.withUnsafeBufferPointer { try appendValue($0) }
                previous = value
            }
        default:
            throw fail("encoding \(Names.encoding(encoding)) on \(leaf.type) values")
        }
        _ = try plainBytes.withUnsafeBufferPointer { try decodePlain($0, count: n, into: &values) }
    }
}
