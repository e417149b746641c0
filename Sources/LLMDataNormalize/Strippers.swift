import LLMDataCore

/// Optional removal of URLs, e-mail addresses and reference brackets (docs/normalize.md).
/// Each works on UTF-8 bytes and leaves a single space where something was cut between words;
/// the cleaner then collapses the spaces.
enum Strippers {
    static func apply(_ o: NormalizeOptions, _ t: UnsafeBufferPointer<UInt8>, counters: inout Counters) -> [UInt8]? {
        var cur: [UInt8]? = nil
        if o.stripURLs, let r = (cur.map { c in c.withUnsafeBufferPointer { stripURLs($0, &counters) } } ?? stripURLs(t, &counters)) { cur = r }
        if o.stripEmails, let r = (cur.map { c in c.withUnsafeBufferPointer { stripEmails($0, &counters) } } ?? stripEmails(t, &counters)) { cur = r }
        if o.stripBrackets, let r = (cur.map { c in c.withUnsafeBufferPointer { stripBrackets($0, &counters) } } ?? stripBrackets(t, &counters)) { cur = r }
        return cur
    }

    @inline(__always) static func isURLByte(_ c: UInt8) -> Bool {
        // printable ASCII except space, quotes and angle brackets; non-ASCII ends a URL
        c > 0x20 && c < 0x7F && c != 0x22 && c != 0x3C && c != 0x3E && c != 0x60
    }

    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A)
    }

    static func hasPrefix(_ t: UnsafeBufferPointer<UInt8>, _ i: Int, _ p: StaticString) -> Bool {
        let n = p.utf8CodeUnitCount
        if i + n > t.count { return false }
        let pb = p.utf8Start
        for k in 0..<n where t[i + k] | 0x20 != pb[k] | 0x20 { return false }
        return true
    }

    /// `scheme://…` for http, https and ftp, and `www.…`, up to whitespace, a quote, an angle
    /// bracket or a non-ASCII character; trailing punctuation and unbalanced closing brackets
    /// stay in the text.
    static func stripURLs(_ t: UnsafeBufferPointer<UInt8>, _ counters: inout Counters) -> [UInt8]? {
        var out: [UInt8] = []
        var copied = 0
        var i = 0
        var count = 0
        let n = t.count
        while i < n {
            let c = t[i] | 0x20
            guard c == UInt8(ascii: "h") || c == UInt8(ascii: "f") || c == UInt8(ascii: "w") else { i += 1; continue }
            if i > 0 && isAlnum(t[i - 1]) { i += 1; continue }
            var start = -1
            if hasPrefix(t, i, "http://") || hasPrefix(t, i, "https://") || hasPrefix(t, i, "ftp://") { start = i }
            else if hasPrefix(t, i, "www."), i + 4 < n, isAlnum(t[i + 4]) { start = i }
            if start < 0 { i += 1; continue }
            var e = start
            while e < n && isURLByte(t[e]) { e += 1 }
            // trim trailing punctuation and closing brackets without a partner inside the URL
            while e > start {
                let last = t[e - 1]
                if [UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "!"),
                    UInt8(ascii: "?"), UInt8(ascii: "'")].contains(last) { e -= 1; continue }
                if last == UInt8(ascii: ")") || last == UInt8(ascii: "]") || last == UInt8(ascii: "}") {
                    let open: UInt8 = last == UInt8(ascii: ")") ? UInt8(ascii: "(") : (last == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{"))
                    var opens = 0, closes = 0
                    for k in start..<e { if t[k] == open { opens += 1 } else if t[k] == last { closes += 1 } }
                    if closes > opens { e -= 1; continue }
                }
                break
            }
            if e - start < 8 { i += 1; continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<start]))
            copied = e
            i = e
            count += 1
        }
        if count == 0 { return nil }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<n]))
        counters.add("urls_removed", count)
        return out
    }

    @inline(__always) static func isLocalByte(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "%") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
    }

    @inline(__always) static func isDomainByte(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
    }

    /// `local@domain.tld` with an ASCII local part and a domain that has a dot and a
    /// letters-only final label of at least two letters.
    static func stripEmails(_ t: UnsafeBufferPointer<UInt8>, _ counters: inout Counters) -> [UInt8]? {
        var out: [UInt8] = []
        var copied = 0
        var count = 0
        let n = t.count
        var i = 0
        while i < n {
            guard t[i] == UInt8(ascii: "@") else { i += 1; continue }
            var s = i
            while s > copied && isLocalByte(t[s - 1]) { s -= 1 }
            while s < i && t[s] == UInt8(ascii: ".") { s += 1 }
            var e = i + 1
            while e < n && isDomainByte(t[e]) { e += 1 }
            while e > i + 1 && (t[e - 1] == UInt8(ascii: ".") || t[e - 1] == UInt8(ascii: "-")) { e -= 1 }
            guard s < i, e > i + 1 else { i += 1; continue }
            // the final label: letters only, at least two
            var lastDot = -1
            for k in (i + 1)..<e where t[k] == UInt8(ascii: ".") { lastDot = k }
            guard lastDot > i + 1, e - lastDot - 1 >= 2,
                  (lastDot + 1..<e).allSatisfy({ t[$0] | 0x20 >= 0x61 && t[$0] | 0x20 <= 0x7A }) else { i += 1; continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<s]))
            copied = e
            i = e
            count += 1
        }
        if count == 0 { return nil }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<n]))
        counters.add("emails_removed", count)
        return out
    }

    static let markers: [[UInt8]] = [
        "edit", "citation needed", "clarification needed", "who?", "when?", "dead link", "verification needed",
        "编辑", "來源請求", "来源请求", "需要引用", "需要來源", "需要来源", "注", "編集", "要出典",
    ].map { Array($0.utf8) }

    /// Reference markers: `[12]`, `[1, 3]`, `[4–6]`, `[citation needed]`, `[编辑]` and friends,
    /// and labels in lenticular brackets `【…】` of at most 20 characters.
    static func stripBrackets(_ t: UnsafeBufferPointer<UInt8>, _ counters: inout Counters) -> [UInt8]? {
        var out: [UInt8] = []
        var copied = 0
        var count = 0
        let n = t.count
        var i = 0
        while i < n {
            let c = t[i]
            if c == UInt8(ascii: "[") {
                var e = i + 1
                while e < n && e - i <= 64 && t[e] != UInt8(ascii: "]") && t[e] != UInt8(ascii: "[") && t[e] != 0x0A { e += 1 }
                if e < n && t[e] == UInt8(ascii: "]") {
                    let inner = UnsafeBufferPointer(rebasing: t[(i + 1)..<e])
                    let numeric = !inner.isEmpty && inner.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2C || $0 == 0x20 || $0 == 0x2D } && inner.contains { $0 >= 0x30 && $0 <= 0x39 }
                    let lowered = inner.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                    if numeric || markers.contains(where: { $0 == lowered }) {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<i]))
                        copied = e + 1
                        i = e + 1
                        count += 1
                        continue
                    }
                }
            } else if c == 0xE3, i + 2 < n, t[i + 1] == 0x80, t[i + 2] == 0x90 {
                // 【 U+3010 … 】 U+3011
                var e = i + 3
                var chars = 0
                var found = -1
                while e + 2 < n && chars <= 20 && t[e] != 0x0A {
                    if t[e] == 0xE3 && t[e + 1] == 0x80 && t[e + 2] == 0x91 { found = e; break }
                    if t[e] & 0xC0 != 0x80 { chars += 1 }
                    e += 1
                }
                if found > i + 3 && chars <= 20 {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<i]))
                    copied = found + 3
                    i = found + 3
                    count += 1
                    continue
                }
            }
            i += 1
        }
        if count == 0 { return nil }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<n]))
        counters.add("brackets_removed", count)
        return out
    }
}
