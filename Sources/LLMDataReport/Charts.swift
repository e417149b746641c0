import Foundation

// Inline SVG charts: horizontal bars (stacked or not) and vertical histograms with one or more
// series. Every bar carries `data-key` and `data-value` with the exact count it stands for; the
// scales are computed in Double from Int counts, so 10^12 and 0 draw without NaN.

struct Segment {
    var value: Int
    var color: String
    var key: String?
    var title: String
}

struct HRow {
    var label: String
    var segments: [Segment]
    var note: String
}

struct Series {
    var name: String
    var color: String
    var values: [Int]
    var keys: [String]
}

enum Chart {
    static let width = 1100.0
    static let charW = 6.6  // average width of a character at the charts' 11 px font

    /// Tick values for an axis from 0 to at least `max`: steps of 1, 2 or 5 × 10^k.
    static func ticks(max m: Int) -> [Int] {
        guard m > 0 else { return [0] }
        if m <= 5 { return Array(0...m) }
        let raw = m / 5
        var mag = 1
        while mag <= raw / 10 { mag *= 10 }
        var step = 10 * mag
        for f in [1, 2, 5] where f * mag >= raw { step = f * mag; break }
        if step * 5 < m / 2 { step = 10 * mag }
        var t: [Int] = [0]
        var v = 0
        while v < m {
            let (n, overflow) = v.addingReportingOverflow(step)
            if overflow { t.append(m); break }
            v = n
            t.append(v)
        }
        return t
    }

    static func num(_ d: Double) -> String {
        guard d.isFinite else { return "0" }
        let r = (d * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }

    static func textWidth(_ s: String) -> Double { Double(s.count) * charW }

    /// Horizontal bars, one row per label, each made of segments laid end to end.
    static func hbar(rows: [HRow], axisTitle: String, legend: [(String, String)] = [], ariaLabel: String, compact: Bool = false) -> String {
        let labelW = min(360, max(80, (rows.map { textWidth($0.label) }.max() ?? 0) + 16))
        let noteW = min(420, max(60, (rows.map { textWidth($0.note) }.max() ?? 0) + 16))
        let x0 = labelW, plotW = max(100, width - labelW - noteW - 8)
        let rowH = compact ? 19.0 : 24.0, barH = compact ? 13.0 : 16.0
        let top = legend.isEmpty ? 6.0 : 30.0
        let height = top + Double(rows.count) * rowH + 44
        let maxTotal = rows.map { $0.segments.reduce(0) { $0 &+ max(0, $1.value) } }.max() ?? 0
        let t = ticks(max: maxTotal)
        let axisMax = Double(max(t.last ?? 1, 1))
        var s = "<svg class=\"chart\" viewBox=\"0 0 \(num(width)) \(num(height))\" width=\"\(num(width))\" height=\"\(num(height))\" role=\"img\" aria-label=\"\(esc(ariaLabel))\">"
        s += legendSVG(legend, x: x0, y: 10)
        let plotBottom = top + Double(rows.count) * rowH
        // grid and tick labels
        for v in t {
            let x = x0 + Double(v) / axisMax * plotW
            s += "<line class=\"grid\" x1=\"\(num(x))\" y1=\"\(num(top))\" x2=\"\(num(x))\" y2=\"\(num(plotBottom))\"/>"
            s += "<text class=\"tick\" x=\"\(num(x))\" y=\"\(num(plotBottom + 14))\" text-anchor=\"middle\">\(Fmt.int(v))</text>"
        }
        s += "<text class=\"axis-title\" x=\"\(num(x0 + plotW / 2))\" y=\"\(num(plotBottom + 34))\" text-anchor=\"middle\">\(esc(axisTitle))</text>"
        for (i, r) in rows.enumerated() {
            let y = top + Double(i) * rowH
            s += "<text class=\"label\" x=\"\(num(x0 - 8))\" y=\"\(num(y + rowH / 2 + 4))\" text-anchor=\"end\">\(esc(clip(r.label, labelW - 8)))<title>\(esc(r.label))</title></text>"
            var x = x0
            for seg in r.segments {
                var w = Double(max(0, seg.value)) / axisMax * plotW
                if seg.value > 0 && w < 1 { w = 1 }
                s += "<rect x=\"\(num(x))\" y=\"\(num(y + (rowH - barH) / 2))\" width=\"\(num(w))\" height=\"\(num(barH))\" fill=\"\(seg.color)\""
                if let k = seg.key { s += " data-key=\"\(esc(k))\" data-value=\"\(seg.value)\"" }
                s += "><title>\(esc(seg.title))</title></rect>"
                x += w
            }
            s += "<text class=\"note\" x=\"\(num(x + 6))\" y=\"\(num(y + rowH / 2 + 4))\">\(esc(r.note))</text>"
        }
        s += "<line class=\"axis\" x1=\"\(num(x0))\" y1=\"\(num(top))\" x2=\"\(num(x0))\" y2=\"\(num(plotBottom))\"/>"
        return s + "</svg>"
    }

    /// Vertical bars: one group per bin, one bar per series in each group.
    static func vbars(bins: [(label: String, range: String)], series: [Series], xTitle: String, yTitle: String, unit: String, ariaLabel: String,
                      width: Double = Chart.width, plotH: Double = 220, legend: Bool = true) -> String {
        let maxV = series.flatMap { $0.values }.max() ?? 0
        let t = ticks(max: max(0, maxV))
        let axisMax = Double(max(t.last ?? 1, 1))
        let yLabelW = (t.map { textWidth(Fmt.int($0)) }.max() ?? 10) + 12
        let x0 = 22 + yLabelW
        let plotW = width - x0 - 12
        let showLegend = legend && series.count > 1
        let top = showLegend ? 34.0 : 14.0
        let plotBottom = top + plotH
        let height = plotBottom + 50
        let n = max(1, bins.count)
        let groupW = plotW / Double(n)
        let barW = min(56, groupW * 0.8 / Double(max(1, series.count)))
        let inset = (groupW - barW * Double(max(1, series.count))) / 2
        var s = "<svg class=\"chart\" viewBox=\"0 0 \(num(width)) \(num(height))\" width=\"\(num(width))\" height=\"\(num(height))\" role=\"img\" aria-label=\"\(esc(ariaLabel))\">"
        if showLegend { s += legendSVG(series.map { ($0.name, $0.color) }, x: x0, y: 12) }
        for v in t {
            let y = plotBottom - Double(v) / axisMax * plotH
            s += "<line class=\"grid\" x1=\"\(num(x0))\" y1=\"\(num(y))\" x2=\"\(num(x0 + plotW))\" y2=\"\(num(y))\"/>"
            s += "<text class=\"tick\" x=\"\(num(x0 - 6))\" y=\"\(num(y + 4))\" text-anchor=\"end\">\(Fmt.int(v))</text>"
        }
        s += "<text class=\"axis-title\" transform=\"translate(12 \(num(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yTitle))</text>"
        let maxLabel = bins.map { textWidth($0.label) }.max() ?? 0
        let every = max(1, Int((maxLabel + 6) / groupW) + 1)
        for (i, b) in bins.enumerated() {
            let gx = x0 + Double(i) * groupW
            for (j, se) in series.enumerated() {
                let v = i < se.values.count ? max(0, se.values[i]) : 0
                var h = Double(v) / axisMax * plotH
                if v > 0 && h < 1 { h = 1 }
                let x = gx + inset + Double(j) * barW
                s += "<rect x=\"\(num(x))\" y=\"\(num(plotBottom - h))\" width=\"\(num(max(1, barW - (series.count > 1 ? 1 : 0))))\" height=\"\(num(h))\" fill=\"\(se.color)\""
                if i < se.keys.count { s += " data-key=\"\(esc(se.keys[i]))\" data-value=\"\(v)\"" }
                s += "><title>\(esc((series.count > 1 ? se.name + ": " : "") + b.range + ": " + Fmt.int(v) + " " + unit))</title></rect>"
            }
            if i % every == 0 {
                s += "<text class=\"tick\" x=\"\(num(gx + groupW / 2))\" y=\"\(num(plotBottom + 14))\" text-anchor=\"middle\">\(esc(b.label))</text>"
            }
        }
        s += "<line class=\"axis\" x1=\"\(num(x0))\" y1=\"\(num(plotBottom))\" x2=\"\(num(x0 + plotW))\" y2=\"\(num(plotBottom))\"/>"
        s += "<text class=\"axis-title\" x=\"\(num(x0 + plotW / 2))\" y=\"\(num(plotBottom + 38))\" text-anchor=\"middle\">\(esc(xTitle))</text>"
        return s + "</svg>"
    }

    static func legendSVG(_ items: [(String, String)], x: Double, y: Double) -> String {
        var s = ""
        var cx = x
        for (name, color) in items {
            s += "<rect x=\"\(num(cx))\" y=\"\(num(y - 9))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>"
            s += "<text class=\"legend\" x=\"\(num(cx + 17))\" y=\"\(num(y + 1))\">\(esc(name))</text>"
            cx += 17 + textWidth(name) + 22
        }
        return s
    }

    /// A label cut to fit `w` pixels.
    static func clip(_ s: String, _ w: Double) -> String {
        let n = Int(w / charW)
        return s.count <= n ? s : String(s.prefix(max(1, n - 1))) + "…"
    }
}
