import Foundation
import LLMDataCore

/// jieba.finalseg (0.42.1): the HMM that splits a buffer of single characters that is not a
/// dictionary word. finalseg.cut splits the buffer at runs of [\u4E00-\u9FD5]: the runs go to
/// the Viterbi decoder (states B, M, E, S), the rest to re_skip `[a-zA-Z0-9]+(?:\.\d+)?%?` (its
/// matches and the text between them are tokens). The buffer holds only re_han_default's class,
/// so `\d` can only meet ASCII digits there.
struct JiebaHMM {
    /// finalseg's MIN_FLOAT: the log probability of a missing emission or transition.
    static let minFloat = -3.14e100
    static let first: UInt32 = 0x4E00
    static let last: UInt32 = 0x9FD5
    /// State order B, M, E, S (the order finalseg loops over them); for ties Python compares the
    /// state letters: B < E < M < S.
    static let letters: [UInt8] = [0x42, 0x4D, 0x45, 0x53]
    /// PrevStatus: B <- E, S; M <- M, B; E <- B, M; S <- S, E (in that order).
    static let prev: [(Int, Int)] = [(2, 3), (1, 0), (0, 1), (3, 2)]

    var start = [Double](repeating: minFloat, count: 4)
    /// trans[from * 4 + to]
    var trans = [Double](repeating: minFloat, count: 16)
    /// emit[(c - 0x4E00) * 4 + state] for c in U+4E00...U+9FD5 (the only characters the decoder
    /// sees; the table's few others can never be looked up).
    var emit: [Double]

    /// Reads the "start S P", "trans S1 S2 P" and "emit S HEX P" lines of hmm.txt (bytes, strtod:
    /// correctly rounded, so Python's repr reads back to the same double).
    init(text: [UInt8], path: String) throws {
        emit = [Double](repeating: Self.minFloat, count: Int(Self.last - Self.first + 1) * 4)
        var text = text
        text.append(0)
        var lineNo = 0
        try text.withUnsafeMutableBufferPointer { tb in
            let p = tb.baseAddress!
            let n = tb.count - 1
            var i = 0
            func state(_ b: UInt8) -> Int? { b == 0x42 ? 0 : b == 0x4D ? 1 : b == 0x45 ? 2 : b == 0x53 ? 3 : nil }
            while i < n {
                var e = i
                while e < n && p[e] != 0x0A { e += 1 }
                lineNo += 1
                defer { i = e + 1 }
                if e == i || p[i] == 0x23 { continue }
                p[e] = 0  // strtod stops here
                let bad = LLMDataError("\(path): invalid line \(lineNo)")
                // fields
                var f: [Int] = []
                var k = i
                while k < e {
                    while k < e && p[k] == 0x20 { k += 1 }
                    if k < e { f.append(k) }
                    while k < e && p[k] != 0x20 { k += 1 }
                }
                guard f.count >= 3, let s = state(p[f[1]]) else { throw bad }
                var endp: UnsafeMutablePointer<CChar>? = nil
                let start = UnsafeMutableRawPointer(p + f[f.count - 1]).assumingMemoryBound(to: CChar.self)
                let v = strtod(start, &endp)
                guard let endp, UnsafeMutableRawPointer(endp) == UnsafeMutableRawPointer(p + e) else { throw bad }
                switch (p[i], f.count) {
                case (0x73, 3): self.start[s] = v  // start
                case (0x74, 4):  // trans
                    guard let s2 = state(p[f[2]]) else { throw bad }
                    trans[s * 4 + s2] = v
                case (0x65, 4):  // emit
                    var c: UInt32 = 0
                    var q = f[2]
                    while p[q] != 0x20 {
                        let b = p[q] | 0x20
                        guard (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) else { throw bad }
                        c = c << 4 | UInt32(b <= 0x39 ? b - 0x30 : b - 0x61 + 10)
                        q += 1
                    }
                    if c >= Self.first && c <= Self.last { emit[Int(c - Self.first) * 4 + s] = v }
                default: throw bad
                }
            }
        }
    }

    /// finalseg.cut(t[s..<e]), appending (start, end) pairs.
    func cut(_ t: UnsafeBufferPointer<UInt32>, _ s: Int, _ e: Int, into out: inout Buf<Int32>, _ sc: JiebaScratch) {
        var i = s
        while i < e {
            let c = t[i]
            if c >= Self.first && c <= Self.last {
                var j = i + 1
                while j < e && t[j] >= Self.first && t[j] <= Self.last { j += 1 }
                viterbi(t, i, j, into: &out, sc)
                i = j
            } else {
                var j = i + 1
                while j < e && !(t[j] >= Self.first && t[j] <= Self.last) { j += 1 }
                skipSplit(t, i, j, into: &out)
                i = j
            }
        }
    }

    @inline(__always) static func isAlnum(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A)
    }

    /// re_skip.split on a run without Han characters: matches and the non-empty text between.
    func skipSplit(_ t: UnsafeBufferPointer<UInt32>, _ s: Int, _ e: Int, into out: inout Buf<Int32>) {
        var p = s
        while p < e {
            var m = p
            while m < e && !Self.isAlnum(t[m]) { m += 1 }
            if m > p { out.append(Int32(p)); out.append(Int32(m)) }
            if m == e { break }
            var q = m + 1
            while q < e && Self.isAlnum(t[q]) { q += 1 }
            if q + 1 < e && t[q] == 0x2E && t[q + 1] >= 0x30 && t[q + 1] <= 0x39 {
                q += 2
                while q < e && t[q] >= 0x30 && t[q] <= 0x39 { q += 1 }
            }
            if q < e && t[q] == 0x25 { q += 1 }
            out.append(Int32(m)); out.append(Int32(q))
            p = q
        }
    }

    /// finalseg.viterbi and __cut on the Han run t[s..<e].
    func viterbi(_ t: UnsafeBufferPointer<UInt32>, _ s: Int, _ e: Int, into out: inout Buf<Int32>, _ sc: JiebaScratch) {
        let n = e - s
        sc.back.reserve(4 * n)
        sc.states.reserve(n)
        let back = sc.back.p
        let st = sc.states.p
        emit.withUnsafeBufferPointer { em in
            trans.withUnsafeBufferPointer { tr in
                var v = (0.0, 0.0, 0.0, 0.0)
                var e0 = Int(t[s] - Self.first) * 4
                v.0 = start[0] + em[e0]
                v.1 = start[1] + em[e0 + 1]
                v.2 = start[2] + em[e0 + 2]
                v.3 = start[3] + em[e0 + 3]
                var k = 1
                while k < n {
                    e0 = Int(t[s + k] - Self.first) * 4
                    let b = back + 4 * k
                    // (prob, state) = max((V[y0] + trans[y0][y] + em_p, y0) for y0 in PrevStatus[y])
                    // B <- (E, S): a tie goes to S
                    let b1 = v.2 + tr[2 * 4 + 0] + em[e0], b2 = v.3 + tr[3 * 4 + 0] + em[e0]
                    let nb: Double; if b2 >= b1 { nb = b2; b[0] = 3 } else { nb = b1; b[0] = 2 }
                    // M <- (M, B): a tie stays with M
                    let m1 = v.1 + tr[1 * 4 + 1] + em[e0 + 1], m2 = v.0 + tr[0 * 4 + 1] + em[e0 + 1]
                    let nm: Double; if m2 > m1 { nm = m2; b[1] = 0 } else { nm = m1; b[1] = 1 }
                    // E <- (B, M): a tie goes to M
                    let x1 = v.0 + tr[0 * 4 + 2] + em[e0 + 2], x2 = v.1 + tr[1 * 4 + 2] + em[e0 + 2]
                    let ne: Double; if x2 >= x1 { ne = x2; b[2] = 1 } else { ne = x1; b[2] = 0 }
                    // S <- (S, E): a tie stays with S
                    let s1 = v.3 + tr[3 * 4 + 3] + em[e0 + 3], s2 = v.2 + tr[2 * 4 + 3] + em[e0 + 3]
                    let ns: Double; if s2 > s1 { ns = s2; b[3] = 2 } else { ns = s1; b[3] = 3 }
                    v = (nb, nm, ne, ns)
                    k += 1
                }
                // max((V[-1][y], y) for y in 'ES'): a tie goes to S
                var state: UInt8 = v.3 >= v.2 ? 3 : 2
                k = n - 1
                while true {
                    st[k] = state
                    if k == 0 { break }
                    state = back[4 * k + Int(state)]
                    k -= 1
                }
            }
        }
        // __cut: B opens a word, E closes it, S is a word, M continues; a rest is one word
        var begin = 0, next = 0
        for i in 0..<n {
            switch st[i] {
            case 0: begin = i
            case 2:
                out.append(Int32(s + begin)); out.append(Int32(s + i + 1))
                next = i + 1
            case 3:
                out.append(Int32(s + i)); out.append(Int32(s + i + 1))
                next = i + 1
            default: break
            }
        }
        if next < n { out.append(Int32(s + next)); out.append(Int32(e)) }
    }
}
