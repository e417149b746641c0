import Foundation

// Number and text formatting for the page. Figures are shown with thousands separators; the
// exact value is always in a `data-value` attribute next to it.

enum Fmt {
    /// 1234567 → "1,234,567".
    static func int(_ v: Int) -> String {
        if v < 0 { return "−" + int(v == Int.min ? Int.max : -v) }
        let s = String(v)
        var out = ""
        out.reserveCapacity(s.count + s.count / 3)
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// `part` as a share of `total`: "66.6%", "<0.1%", "100%"; "–" when total is 0.
    static func share(_ part: Int, of total: Int) -> String {
        guard total > 0 else { return "–" }
        if part == 0 { return "0%" }
        if part == total { return "100%" }
        let p = Double(part) / Double(total) * 100
        if p < 0.1 { return "<0.1%" }
        if p > 99.9 { return ">99.9%" }
        return String(format: "%.1f%%", p)
    }

    /// A double as written in JSON by llmdata (shortest round-trip form).
    static func double(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"
    }

    /// A double as written in JSON, with its integer part grouped: 12345.6 → "12,345.6".
    static func decimal(_ d: Double) -> String {
        let t = double(d)
        if t.contains("e") || t.contains("n") { return t }
        let neg = t.hasPrefix("-")
        let parts = (neg ? String(t.dropFirst()) : t).split(separator: ".", maxSplits: 1)
        guard let first = parts.first, let whole = Int(first) else { return t }
        return (neg ? "−" : "") + int(whole) + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// A duration in seconds: "0.034 s", "12.5 s", "3 min 20 s", "2 h 05 min".
    static func seconds(_ s: Double) -> String {
        if s < 10 { return String(format: "%.3f s", s) }
        if s < 120 { return String(format: "%.1f s", s) }
        let t = Int(s.rounded())
        if t < 3600 { return "\(t / 60) min \(t % 60) s" }
        return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60)
    }

    /// Bytes in a unit for a sub-caption: "374 KiB", "1.2 GiB".
    static func bytesHuman(_ b: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(b)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        if u == 0 { return "\(int(b)) bytes" }
        return (v < 10 ? String(format: "%.1f", v) : String(format: "%.0f", v)) + " " + units[u]
    }

    /// The lower bound of log2 bin K as an axis label: 1, 2, 4, …, 512, 1K, 2K, …, 1M, …
    static func pow2(_ k: Int) -> String {
        if k <= 0 { return "0–1" }
        let units = ["", "K", "M", "G", "T", "P", "E"]
        let u = min(k / 10, units.count - 1)
        let v = 1 << (k - u * 10)
        return "\(v)\(units[u])"
    }

    /// The range of log2 bin K in words: "1,024–2,047".
    static func pow2Range(_ k: Int) -> String {
        if k <= 0 { return "0–1" }
        if k >= 62 { return "≥ 2^\(k)" }
        return "\(int(1 << k))–\(int((1 << (k + 1)) - 1))"
    }

    /// A SHA-256 shortened for display.
    static func hash(_ h: String) -> String { h.count > 12 ? String(h.prefix(12)) + "…" : h }
}

/// Escapes text for HTML element content and attribute values. Control characters other than
/// newline and tab are shown as their Unicode control pictures (␀, ␍, …).
func esc(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count + 16)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\n", "\t": out.unicodeScalars.append(u)
        default:
            if u.value < 0x20 {
                out.unicodeScalars.append(Unicode.Scalar(0x2400 + u.value)!)
            } else if u.value == 0x7F {
                out += "␡"
            } else if (0xFFFE...0xFFFF).contains(u.value) || (0x80...0x9F).contains(u.value) {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out
}

/// A figure: the formatted number inside an element that carries its exact value.
func figure(_ v: Int, key: String, tag: String = "span", cls: String? = nil) -> String {
    "<\(tag)\(cls.map { " class=\"\($0)\"" } ?? "") data-key=\"\(esc(key))\" data-value=\"\(v)\">\(Fmt.int(v))</\(tag)>"
}

/// A table cell with a figure.
func numCell(_ v: Int, key: String) -> String { figure(v, key: key, tag: "td", cls: "num") }
