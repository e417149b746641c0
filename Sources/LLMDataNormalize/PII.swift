import Glibc
import LLMDataCore

/// `normalize --pii`: replacement of e-mail addresses and public IPv4 addresses exactly as
/// datatrove 0.10.1's `PIIFormatter(email_replacement=…, ip_replacement=…)` does on Python 3.11
/// (one replacement string each), and with `--pii-phones` also of phone numbers (Chinese mainland
/// mobiles and `+` E.164 numbers). docs/normalize.md § PII has the patterns and rules.
///
/// The three passes run one after the other on the text, in this order, each over the previous
/// pass's output (datatrove: e-mails, then IPs). All work on UTF-8 bytes; a text without `@`
/// skips the e-mail pass and one without `.` the IP pass (memchr), and the phone pass looks only
/// at `+`, `(` and digit runs.
public struct PIIOptions: Sendable, Equatable {
    public var emails = false
    public var ips = false
    public var phones = false
    public var emailReplacement = PIIOptions.defaultEmail
    public var ipReplacement = PIIOptions.defaultIP
    public var phoneReplacement = PIIOptions.defaultPhone

    /// datatrove's first e-mail replacement (example.com is reserved for examples, RFC 2606).
    public static let defaultEmail = "email@example.com"
    /// datatrove's first IP replacement.
    public static let defaultIP = "22.214.171.124"
    /// Obviously synthetic: `+0` is no country code, and it is no E.164 number for the phone pass
    /// (whose `+` must be followed by 1-9), so a second pass leaves it alone.
    public static let defaultPhone = "+00 0000 0000"

    public var any: Bool { emails || ips || phones }
    public init() {}
}

public struct PIIReplacer: Sendable {
    let options: PIIOptions
    let email: [UInt8]
    let ip: [UInt8]
    let phone: [UInt8]

    public init(options: PIIOptions) {
        self.options = options
        email = Array(options.emailReplacement.utf8)
        ip = Array(options.ipReplacement.utf8)
        phone = Array(options.phoneReplacement.utf8)
    }

    /// The text with PII replaced, or nil when nothing was replaced. Counts `pii:email`,
    /// `pii:ip` and `pii:phone` (one per replacement).
    public func apply(_ t: UnsafeBufferPointer<UInt8>, counters: inout Counters) -> [UInt8]? {
        var cur: [UInt8]? = nil
        func pass(_ f: (UnsafeBufferPointer<UInt8>, inout Int) -> [UInt8]?, _ key: String) {
            var k = 0
            let r = cur.map { c in c.withUnsafeBufferPointer { f($0, &k) } } ?? f(t, &k)
            if let r { cur = r }
            if k > 0 { counters.add(key, k) }
        }
        if options.emails { pass({ PII.replaceEmails($0, email, &$1) }, "pii:email") }
        if options.ips { pass({ PII.replaceIPs($0, ip, &$1) }, "pii:ip") }
        if options.phones { pass({ PII.replacePhones($0, phone, &$1) }, "pii:phone") }
        return cur
    }

    /// For tests and tools: the text after all enabled passes.
    public func apply(_ s: String) -> String {
        var c = Counters()
        var u = Array(s.utf8)
        if let r = u.withUnsafeBufferPointer({ apply($0, counters: &c) }) { u = r }
        return String(decoding: u, as: UTF8.self)
    }
}

public enum PII {
    // MARK: byte classes

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        c &- 0x30 < 10 || (c | 0x20) &- 0x61 < 26
    }
    /// `[A-Za-z0-9-]`
    @inline(__always) static func isLDH(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x2D }

    /// datatrove's local-part class `[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]`.
    static let localTable: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for c in UInt8(0)...127 where isAlnum(c) { t[Int(c)] = true }
        for c in "!#$%&'*+/=?^_`{|}~-".utf8 { t[Int(c)] = true }
        return t
    }()

    /// Python's `\w` on str: str.isalnum() or "_" (Unicode of the Python datatrove runs on).
    @inline(__always) static func isPythonWord(_ cp: UInt32) -> Bool {
        if cp < 0x80 {
            let c = UInt8(cp)
            return isAlnum(c) || c == 0x5F
        }
        return pythonWordRanges.withUnsafeBufferPointer { r in
            // the last range whose first element is <= cp
            var lo = 0, hi = r.count / 2
            while lo < hi {
                let mid = (lo + hi) >> 1
                if r[2 * mid] <= cp { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 && cp <= r[2 * (lo - 1) + 1]
        }
    }

    /// The code point that ends just before byte `p` (valid UTF-8), or nil at the start.
    @inline(__always) static func codePoint(before p: Int, _ s: UnsafePointer<UInt8>) -> UInt32? {
        if p == 0 { return nil }
        let c = s[p - 1]
        if c < 0x80 { return UInt32(c) }
        var i = p - 1
        while i > 0 && s[i] & 0xC0 == 0x80 && p - i < 4 { i -= 1 }
        let lead = s[i]
        var cp: UInt32
        switch p - i {
        case 2: cp = UInt32(lead & 0x1F)
        case 3: cp = UInt32(lead & 0x0F)
        default: cp = UInt32(lead & 0x07)
        }
        for k in (i + 1)..<p { cp = (cp << 6) | UInt32(s[k] & 0x3F) }
        return cp
    }

    /// Python's `\b` before the ASCII byte at `p`.
    @inline(__always) static func wordBoundary(_ s: UnsafePointer<UInt8>, _ p: Int) -> Bool {
        let prevWord = codePoint(before: p, s).map(isPythonWord) ?? false
        let c = s[p]
        let curWord = isAlnum(c) || c == 0x5F
        return prevWord != curWord
    }

    /// Copies pieces and replacements into one output.
    struct Splicer {
        var out: [UInt8] = []
        var copied = 0
        mutating func replace(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ rep: [UInt8]) {
            if out.isEmpty { out.reserveCapacity(s.count + 16) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: s[copied..<start]))
            out.append(contentsOf: rep)
            copied = end
        }
        mutating func finish(_ s: UnsafeBufferPointer<UInt8>, _ count: Int) -> [UInt8]? {
            if count == 0 { return nil }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: s[copied..<s.count]))
            return out
        }
    }

    @inline(__always) static func find(_ byte: UInt8, _ s: UnsafePointer<UInt8>, from: Int, _ n: Int) -> Int? {
        guard from < n, let q = memchr(s + from, Int32(byte), n - from) else { return nil }
        return UnsafeRawPointer(s).distance(to: UnsafeRawPointer(q))
    }

    // MARK: e-mail

    /// datatrove's e-mail pattern under Python's `re.sub`:
    ///
    ///     \b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[A-Za-z0-9]
    ///     (?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?|\[(?:(?:25[0-5]|
    ///     2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[A-Za-z0-9-]*
    ///     [A-Za-z0-9]:)])
    ///
    /// Every match holds exactly one `@`, and what follows it does not depend on where the match
    /// starts, so each `@` is looked at once: the leftmost start before it (a run of local-part
    /// characters and single dots, at a `\b`, not before the previous match's end), then the
    /// domain as the backtracking matcher would take it.
    public static func replaceEmails(_ t: UnsafeBufferPointer<UInt8>, _ rep: [UInt8], _ count: inout Int) -> [UInt8]? {
        guard let s = t.baseAddress else { return nil }
        let n = t.count
        var sp = Splicer()
        var lastEnd = 0
        var from = 0
        let local = localTable
        while let a = find(0x40, s, from: from, n) {
            from = a + 1
            // the local part: [L]+(\.[L]+)* right before '@'
            guard a > lastEnd, local[Int(s[a - 1])] else { continue }
            var b = a - 1
            while b > lastEnd && (local[Int(s[b - 1])] || s[b - 1] == 0x2E) { b -= 1 }
            var pmin = b
            var i = b
            while i + 1 < a {
                if s[i] == 0x2E && s[i + 1] == 0x2E { pmin = i + 2 }
                i += 1
            }
            var start = -1
            var p = pmin
            while p < a {
                if local[Int(s[p])] && wordBoundary(s, p) { start = p; break }
                p += 1
            }
            guard start >= 0, let end = emailDomainEnd(s, n, a + 1) else { continue }
            sp.replace(t, start, end, rep)
            count += 1
            lastEnd = end
            from = end
        }
        return sp.finish(t, count)
    }

    /// The end of the domain that starts at `q`, or nil.
    static func emailDomainEnd(_ s: UnsafePointer<UInt8>, _ n: Int, _ q0: Int) -> Int? {
        guard q0 < n else { return nil }
        if isAlnum(s[q0]) {
            // (?:label\.)+ label, label = [A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?
            var q = q0
            var k = 0
            var lastLabelEnd = -1
            while q < n && isAlnum(s[q]) {
                var r = q + 1
                while r < n && isLDH(s[r]) { r += 1 }
                if r < n && s[r] == 0x2E && isAlnum(s[r - 1]) {
                    k += 1
                    lastLabelEnd = r
                    q = r + 1
                    continue
                }
                // the final label here, up to the run's last letter or digit
                if k == 0 { return nil }
                var f = r
                while !isAlnum(s[f - 1]) { f -= 1 }
                return f
            }
            // no final label after the last dot: one label fewer, the last one final
            return k >= 2 ? lastLabelEnd : nil
        }
        guard s[q0] == 0x5B else { return nil }  // '['
        var q = q0 + 1
        for _ in 0..<3 {
            guard let r = octetBeforeDot(s, n, q) else { return nil }
            q = r + 1
        }
        // (?:octet|[A-Za-z0-9-]*[A-Za-z0-9]:)]
        var r = q
        while r < n && isDigit(s[r]) && r - q < 4 { r += 1 }
        if r > q && r - q <= 3 && r < n && s[r] == 0x5D && octetValue(s, q, r) <= 255 { return r + 1 }
        r = q
        while r < n && isLDH(s[r]) { r += 1 }
        if r > q && isAlnum(s[r - 1]) && r + 1 < n && s[r] == 0x3A && s[r + 1] == 0x5D { return r + 2 }
        return nil
    }

    @inline(__always) static func octetValue(_ s: UnsafePointer<UInt8>, _ a: Int, _ b: Int) -> Int {
        var v = 0
        for i in a..<b { v = v * 10 + Int(s[i] &- 0x30) }
        return v
    }

    /// `(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.` at `q`: the digits up to the dot are 1 to 3
    /// with a value up to 255. Returns the dot's offset.
    @inline(__always) static func octetBeforeDot(_ s: UnsafePointer<UInt8>, _ n: Int, _ q: Int) -> Int? {
        var r = q
        while r < n && isDigit(s[r]) && r - q < 4 { r += 1 }
        let len = r - q
        guard len >= 1 && len <= 3, r < n, s[r] == 0x2E else { return nil }
        if len == 3 && octetValue(s, q, r) > 255 { return nil }
        return r
    }

    // MARK: IPv4

    /// datatrove's IP pattern `(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|
    /// 2[0-4][0-9]|[01]?[0-9][0-9]?)` (no boundaries) under `re.sub` with its validator: a match
    /// is replaced when `ipaddress.ip_address(match).is_global` (Python 3.11), else kept, and
    /// either way the search goes on after it.
    public static func replaceIPs(_ t: UnsafeBufferPointer<UInt8>, _ rep: [UInt8], _ count: inout Int) -> [UInt8]? {
        guard let s = t.baseAddress else { return nil }
        let n = t.count
        var sp = Splicer()
        var lastEnd = 0
        var from = 0
        while let d = find(0x2E, s, from: from, n) {
            from = d + 1
            // the leftmost start: up to 3 digits before the first dot, value <= 255
            let floor = max(lastEnd, d - 3)
            var p = d
            while p > floor && isDigit(s[p - 1]) { p -= 1 }
            if p == d { continue }
            if d - p == 3 && octetValue(s, p, d) > 255 { p += 1 }
            guard let d2 = octetBeforeDot(s, n, d + 1), let d3 = octetBeforeDot(s, n, d2 + 1) else { continue }
            let q = d3 + 1
            guard q < n, isDigit(s[q]) else { continue }
            // the last octet: the first alternative that matches (nothing follows in the pattern)
            let c0 = s[q]
            let c1: UInt8 = q + 1 < n ? s[q + 1] : 0
            let c2: UInt8 = q + 2 < n ? s[q + 2] : 0
            let end: Int
            if c0 == 0x32 && c1 == 0x35 && c2 &- 0x30 <= 5 { end = q + 3 }
            else if c0 == 0x32 && c1 &- 0x30 <= 4 && isDigit(c2) { end = q + 3 }
            else if c0 &- 0x30 <= 1 && isDigit(c1) { end = isDigit(c2) ? q + 3 : q + 2 }
            else { end = isDigit(c1) ? q + 2 : q + 1 }
            if isGlobal(s, (p, d), (d + 1, d2), (d2 + 1, d3), (d3 + 1, end)) {
                sp.replace(t, p, end, rep)
                count += 1
            }
            lastEnd = end
            from = end
        }
        return sp.finish(t, count)
    }

    /// `ipaddress.ip_address(s).is_global` on Python 3.11 for four octets the pattern matched
    /// (each 1-3 digits, <= 255): false when an octet has a leading zero (ValueError), else not in
    /// 100.64.0.0/10 and not in `_IPv4Constants._private_networks`.
    static func isGlobal(_ s: UnsafePointer<UInt8>, _ o0: (Int, Int), _ o1: (Int, Int), _ o2: (Int, Int), _ o3: (Int, Int)) -> Bool {
        var v: UInt32 = 0
        for (a, b) in [o0, o1, o2, o3] {
            if b - a > 1 && s[a] == 0x30 { return false }  // leading zero: ValueError
            v = (v << 8) | UInt32(octetValue(s, a, b))
        }
        return isGlobal(v)
    }

    /// Python 3.11.7's rules (Lib/ipaddress.py): multicast 224.0.0.0/4 counts as global there.
    public static func isGlobal(_ v: UInt32) -> Bool {
        @inline(__always) func inNet(_ net: UInt32, _ bits: UInt32) -> Bool {
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
            return v & mask == net
        }
        if inNet(0x6440_0000, 10) { return false }  // 100.64.0.0/10 (shared address space)
        for (net, bits) in privateNetworks where inNet(net, bits) { return false }
        return true
    }

    static let privateNetworks: [(UInt32, UInt32)] = [
        (0x0000_0000, 8),   // 0.0.0.0/8
        (0x0A00_0000, 8),   // 10.0.0.0/8
        (0x7F00_0000, 8),   // 127.0.0.0/8
        (0xA9FE_0000, 16),  // 169.254.0.0/16
        (0xAC10_0000, 12),  // 172.16.0.0/12
        (0xC000_0000, 29),  // 192.0.0.0/29
        (0xC000_00AA, 31),  // 192.0.0.170/31
        (0xC000_0200, 24),  // 192.0.2.0/24
        (0xC0A8_0000, 16),  // 192.168.0.0/16
        (0xC612_0000, 15),  // 198.18.0.0/15
        (0xC633_6400, 24),  // 198.51.100.0/24
        (0xCB00_7100, 24),  // 203.0.113.0/24
        (0xF000_0000, 4),   // 240.0.0.0/4
        (0xFFFF_FFFF, 32),  // 255.255.255.255/32
    ]

    // MARK: phones

    /// Phone numbers (not datatrove's; docs/normalize.md § Phone numbers):
    ///
    /// - Chinese mainland mobiles `1[3-9]\d{9}`, or grouped 3-4-4 with one kind of separator
    ///   (`138 1234 5678`, `138-1234-5678`), optionally after `+86`, `(+86)` or `0086` (then an
    ///   optional space or hyphen) or `86` (then a required space or hyphen);
    /// - E.164: `+`, a digit 1-9, then digits and single spaces or hyphens between digit groups,
    ///   8 to 15 digits in all (the whole connected group sequence, else nothing).
    ///
    /// Never inside a longer token: the byte before may not be an ASCII letter or digit, `_`, `+`
    /// or `@`, nor `.`, `-` or `/` with a letter or digit before it; the byte after may not be an
    /// ASCII letter or digit, `_` or `@`, nor `.`, `-` or `/` with a letter or digit after it. A
    /// grouped mobile is also not taken when the grouping goes on (`1 138 1234 5678`,
    /// `138 1234 5678 9`). CJK and other non-ASCII characters may touch a number (`电话13812345678`).
    public static func replacePhones(_ t: UnsafeBufferPointer<UInt8>, _ rep: [UInt8], _ count: inout Int) -> [UInt8]? {
        guard let s = t.baseAddress else { return nil }
        let n = t.count
        var sp = Splicer()
        var i = 0
        while true {
            i = nextPhoneCandidate(s, i, n)
            if i >= n { break }
            let c = s[i]
            let digit = isDigit(c)
            if digit || c == 0x2B || c == 0x28 {
                if phoneLeftOK(s, i), let end = phoneAt(s, n, i) {
                    sp.replace(t, i, end, rep)
                    count += 1
                    i = end
                    continue
                }
                if digit {
                    // no match starts inside a digit run (a digit before it)
                    i += 1
                    while i < n && isDigit(s[i]) { i += 1 }
                    continue
                }
            }
            i += 1
        }
        return sp.finish(t, count)
    }

    /// The first byte at or after `i` that is a digit, `+` or `(` (8 bytes at a time), or `n`.
    @inline(__always) static func nextPhoneCandidate(_ s: UnsafePointer<UInt8>, _ from: Int, _ n: Int) -> Int {
        var i = from
        let raw = UnsafeRawPointer(s)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let lo7 = x & 0x7F7F_7F7F_7F7F_7F7F
            // per byte, no carries: high bit of lo7 + (0x80 - k) is set iff the byte is >= k
            let digit = (lo7 &+ 0x5050_5050_5050_5050) & ~(lo7 &+ 0x4646_4646_4646_4646) & ~x & high
            let p = x ^ 0x2B2B_2B2B_2B2B_2B2B, q = x ^ 0x2828_2828_2828_2828
            // zero bytes (exact for the lowest one, which is all that is used)
            let zero = ((p &- ones) & ~p & high) | ((q &- ones) & ~q & high)
            let m = digit | zero
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n {
            let c = s[i]
            if isDigit(c) || c == 0x2B || c == 0x28 { return i }
            i += 1
        }
        return n
    }

    @inline(__always) static func isPhoneSep(_ c: UInt8) -> Bool { c == 0x20 || c == 0x2D }
    @inline(__always) static func isJoiner(_ c: UInt8) -> Bool { c == 0x2E || c == 0x2D || c == 0x2F }

    @inline(__always) static func phoneLeftOK(_ s: UnsafePointer<UInt8>, _ p: Int) -> Bool {
        if p == 0 { return true }
        let c = s[p - 1]
        if isAlnum(c) || c == 0x5F || c == 0x2B || c == 0x40 { return false }
        if isJoiner(c) && p >= 2 && isAlnum(s[p - 2]) { return false }
        return true
    }

    @inline(__always) static func phoneRightOK(_ s: UnsafePointer<UInt8>, _ n: Int, _ q: Int) -> Bool {
        if q >= n { return true }
        let c = s[q]
        if isAlnum(c) || c == 0x5F || c == 0x40 { return false }
        if isJoiner(c) && q + 1 < n && isAlnum(s[q + 1]) { return false }
        return true
    }

    @inline(__always) static func digits(_ s: UnsafePointer<UInt8>, _ n: Int, _ q: Int, _ k: Int) -> Bool {
        if q + k > n { return false }
        for i in q..<(q + k) where !isDigit(s[i]) { return false }
        return true
    }

    @inline(__always) static func hasBytes(_ s: UnsafePointer<UInt8>, _ n: Int, _ q: Int, _ b: StaticString) -> Bool {
        let k = b.utf8CodeUnitCount
        if q + k > n { return false }
        let p = b.utf8Start
        for i in 0..<k where s[q + i] != p[i] { return false }
        return true
    }

    /// The end of a phone number starting at `p`, or nil.
    static func phoneAt(_ s: UnsafePointer<UInt8>, _ n: Int, _ p: Int) -> Int? {
        // a Chinese mobile, with or without its prefix
        var core = -1
        var prefixEnd = p
        if hasBytes(s, n, p, "(+86)") { prefixEnd = p + 5 }
        else if hasBytes(s, n, p, "+86") { prefixEnd = p + 3 }
        else if hasBytes(s, n, p, "0086") { prefixEnd = p + 4 }
        if prefixEnd > p {
            core = prefixEnd < n && isPhoneSep(s[prefixEnd]) ? prefixEnd + 1 : prefixEnd
        } else if hasBytes(s, n, p, "86"), p + 2 < n, isPhoneSep(s[p + 2]) {
            core = p + 3
        } else if s[p] == 0x31 {
            core = p
        }
        if core >= 0, let end = chineseMobile(s, n, core, groupedStart: p) { return end }
        if s[p] == 0x2B { return e164(s, n, p) }
        return nil
    }

    /// `1[3-9]\d{9}` or `1[3-9]\d S \d{4} S \d{4}` (S one space or one hyphen, the same twice).
    static func chineseMobile(_ s: UnsafePointer<UInt8>, _ n: Int, _ q: Int, groupedStart p: Int) -> Int? {
        guard q + 3 <= n, s[q] == 0x31, s[q + 1] &- 0x33 <= 6, isDigit(s[q + 2]) else { return nil }
        let r = q + 3
        if r < n && isPhoneSep(s[r]) {
            let sep = s[r]
            guard digits(s, n, r + 1, 4), r + 5 < n, s[r + 5] == sep, digits(s, n, r + 6, 4) else { return nil }
            let end = r + 10
            guard phoneRightOK(s, n, end) else { return nil }
            // the grouping goes on: part of a longer grouped number
            if end + 1 < n && s[end] == sep && isDigit(s[end + 1]) { return nil }
            if p >= 2 && s[p - 1] == sep && isDigit(s[p - 2]) { return nil }
            return end
        }
        guard digits(s, n, r, 8) else { return nil }
        let end = r + 8
        return phoneRightOK(s, n, end) ? end : nil
    }

    /// `+[1-9]`, then digits with single spaces or hyphens between groups; 8 to 15 digits.
    static func e164(_ s: UnsafePointer<UInt8>, _ n: Int, _ p: Int) -> Int? {
        let q = p + 1
        guard q < n, s[q] &- 0x31 <= 8 else { return nil }
        var r = q
        var count = 0
        while true {
            while r < n && isDigit(s[r]) { r += 1; count += 1 }
            if count > 15 { return nil }
            if r + 1 < n && isPhoneSep(s[r]) && isDigit(s[r + 1]) { r += 1; continue }
            break
        }
        guard count >= 8 && phoneRightOK(s, n, r) else { return nil }
        return r
    }
}
