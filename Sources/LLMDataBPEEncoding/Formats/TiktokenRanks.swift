import Foundation

/// The lines of a tiktoken ranks file, `base64(token bytes) rank`, parsed straight from the file's
/// bytes: one pass, base64 through a table, no per-line `Data` or `String`.
enum TiktokenRanks {
    /// 0-63 for the base64 alphabet (standard, `+` `/`), 64 for `=`, 255 otherwise.
    static let base64Value: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(UInt8(ascii: "="))] = 64
        return t
    }()

    /// (token bytes, rank) per line in file order, and the largest rank. Blank lines are skipped;
    /// a line is `TOKEN RANK` (spaces between them, a trailing CR allowed), TOKEN padded base64.
    /// Errors name the file and the line.
    static func parse(_ data: Data, path: String) throws -> (ranks: [([UInt8], UInt32)], maxRank: Int) {
        try data.withUnsafeBytes { raw -> ([([UInt8], UInt32)], Int) in
            let buf = raw.bindMemory(to: UInt8.self)
            let n = buf.count
            var ranks: [([UInt8], UInt32)] = []
            // cl100k's lines are ~12 bytes: reserve for that, so the array does not regrow
            ranks.reserveCapacity(n / 10 + 16)
            var maxRank = -1
            var lineNo = 0
            var pos = 0
            try base64Value.withUnsafeBufferPointer { table in
                while pos < n {
                    lineNo += 1
                    var end = pos
                    while end < n && buf[end] != 0x0A { end += 1 }
                    let next = end + 1
                    var stop = end
                    if stop > pos && buf[stop - 1] == 0x0D { stop -= 1 }
                    defer { pos = next }
                    if stop == pos { continue }
                    func bad() -> TokenizerError {
                        TokenizerError("\(path):\(lineNo): not a tiktoken ranks line (base64 token, space, rank)")
                    }
                    // the token: base64 up to the first space
                    var sp = pos
                    while sp < stop && buf[sp] != 0x20 { sp += 1 }
                    let b64 = sp - pos
                    guard b64 > 0, b64 % 4 == 0, sp < stop else { throw bad() }
                    var pad = 0
                    if buf[sp - 1] == UInt8(ascii: "=") { pad += 1 }
                    if buf[sp - 2] == UInt8(ascii: "=") { pad += 1 }
                    let count = b64 / 4 * 3 - pad
                    guard count > 0 else { throw bad() }
                    var ok = true
                    let tok = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                        var o = 0
                        var i = pos
                        while i < sp {
                            let a = table[Int(buf[i])], b = table[Int(buf[i + 1])]
                            let c = table[Int(buf[i + 2])], d = table[Int(buf[i + 3])]
                            // '=' (64) only as the last one or two characters
                            if (a | b) >= 64 || c == 255 || d == 255 || (c == 64 && (d != 64 || i + 4 != sp)) || (d == 64 && i + 4 != sp) {
                                ok = false
                                break
                            }
                            let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c & 63) << 6 | UInt32(d & 63)
                            out[o] = UInt8(truncatingIfNeeded: v >> 16)
                            if o + 1 < count { out[o + 1] = UInt8(truncatingIfNeeded: v >> 8) }
                            if o + 2 < count { out[o + 2] = UInt8(truncatingIfNeeded: v) }
                            o += 3
                            i += 4
                        }
                        initialized = ok ? count : 0
                    }
                    guard ok else { throw bad() }
                    // the rank: digits after the spaces, with a sign for the message
                    var r = sp
                    while r < stop && buf[r] == 0x20 { r += 1 }
                    var rEnd = stop
                    while rEnd > r && buf[rEnd - 1] == 0x20 { rEnd -= 1 }
                    var d = r
                    let negative = d < rEnd && buf[d] == UInt8(ascii: "-")
                    if negative || (d < rEnd && buf[d] == UInt8(ascii: "+")) { d += 1 }
                    guard d < rEnd else { throw bad() }
                    var value = 0
                    while d < rEnd {
                        let c = buf[d]
                        guard c >= 0x30 && c <= 0x39 else { throw bad() }
                        if value < 1 << 40 { value = value * 10 + Int(c - 0x30) }
                        d += 1
                    }
                    // ranks are ids: they size the token table (a negative one trapped, a huge
                    // one allocated gigabytes)
                    guard !negative || value == 0, value < BPEModel.maxTokenIDs else {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[r..<rEnd]), as: UTF8.self)
                        throw TokenizerError("\(path):\(lineNo): rank \(text) is outside 0..<\(BPEModel.maxTokenIDs)")
                    }
                    ranks.append((tok, UInt32(value)))
                    if value > maxRank { maxRank = value }
                }
            }
            return (ranks, maxRank)
        }
    }
}
