import Foundation
import LLMDataCore

// The HTML page: one file, CSS and JS inline, charts as inline SVG. Every figure taken from
// run.json, a stats file or the shard manifest is written with `data-key` and `data-value`
// (the exact number); docs/report.md lists the keys.

enum Color {
    static let kept = "#4c78a8"
    static let dropped = "#f58518"
    static let rejected = "#e45756"
    static let language = "#54a24b"
    static let score = "#72b7b2"
    static let before = "#b8b0a8"
    static let after = "#4c78a8"
    static let cluster = "#9d755d"
    static let tokens = "#b279a2"
}

struct Page {
    var d: ReportData
    var version: String

    /// Keys of the metadata that carry a stage's measured signal, shown first in samples.
    static let signalKeys = ["filter_reason", "quality", "langid_reason", "language", "language_score", "dedup", "llmdata_metadata"]

    func render() -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<meta name=\"generator\" content=\"llmdata \(esc(version))\">\n"
        h += "<title>llmdata report: \(esc(title))</title>\n<style>\n\(Page.css)</style>\n</head>\n<body>\n<main>\n"
        h += header()
        h += nav()
        h += funnel()
        h += languages()
        h += lengths()
        h += dedup()
        h += tokens()
        h += samples()
        h += provenance()
        h += "<footer>Written by llmdata \(esc(version)) (<code>llmdata report</code>). Where each number comes from: docs/report.md.</footer>\n"
        h += "</main>\n<script>\n\(Page.js)</script>\n</body>\n</html>\n"
        return h
    }

    var title: String {
        if let p = d.provenance.recipePath { return (p as NSString).lastPathComponent + " → " + (d.path as NSString).lastPathComponent }
        return (d.path as NSString).lastPathComponent
    }

    var stages: [StageData] { d.stages }
    var withStats: [StageData] { d.stages.filter { $0.hasStats } }

    // MARK: header

    func header() -> String {
        var h = "<header>\n<h1>llmdata report</h1>\n"
        let kind: String
        switch d.kind {
        case .run: kind = "run directory"
        case .unfinishedRun: kind = "unfinished run directory"
        case .statsDirectory: kind = "stats files"
        }
        h += "<p class=\"sub\"><code>\(esc(absolute(d.path)))</code> (\(kind))"
        if let r = d.provenance.recipePath { h += " · recipe <code>\(esc(r))</code>" }
        if let f = d.provenance.finished { h += " · finished \(esc(f))" }
        h += "</p>\n"
        if !d.notes.isEmpty {
            h += "<div class=\"notes\" id=\"notes\"><strong>What this report lacks</strong><ul>"
            for n in d.notes {
                // `command` in a note is shown as code
                h += "<li>" + esc(n.text).replacingOccurrences(of: "`([^`]+)`", with: "<code>$1</code>", options: .regularExpression) + "</li>"
            }
            h += "</ul></div>\n"
        }
        // summary cards
        var cards: [(String, String, String?)] = []
        if let first = stages.first, first.hasStats || d.kind == .run {
            cards.append(("records read", figure(first.recordsIn, key: "summary.records_in"), "stage 1, \(first.name)"))
        }
        if let last = stages.last, last.hasStats || d.kind == .run {
            let share = stages.first.map { Fmt.share(last.recordsOut, of: $0.recordsIn) } ?? ""
            cards.append(("records kept", figure(last.recordsOut, key: "summary.records_out"), "\(share) of those read"))
        }
        if let first = stages.first, first.bytesIn > 0 {
            cards.append(("bytes read", figure(first.bytesIn, key: "summary.bytes_in"), Fmt.bytesHuman(first.bytesIn) + " of JSON Lines"))
        }
        if let t = tokenTotals() {
            cards.append(("tokens", figure(t.tokens, key: "summary.tokens"), "\(Fmt.int(t.documents)) documents"))
        }
        cards.append(("stages", "<span>\(stages.count)</span>", stages.map { $0.name }.joined(separator: " → ")))
        if let s = d.provenance.started, let f = d.provenance.finished, let a = Page.parseDate(s), let b = Page.parseDate(f) {
            let w = b.timeIntervalSince(a)
            cards.append(("wall time", "<span>\(w < 1 ? "under 1 s" : esc(Fmt.seconds(w)))</span>", "started \(esc(s))"))
        }
        h += "<div class=\"cards\">"
        for (k, v, sub) in cards { h += card(k, v, sub: sub.map(esc)) }
        h += "</div>\n</header>\n"
        return h
    }

    func nav() -> String {
        let items = [("funnel", "Funnel"), ("languages", "Languages"), ("lengths", "Lengths"), ("dedup", "Dedup"),
                     ("tokens", "Tokens"), ("samples", "Samples"), ("provenance", "Provenance")]
        return "<nav>" + items.map { "<a href=\"#\($0.0)\">\($0.1)</a>" }.joined() + "</nav>\n"
    }

    func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p) as NSString).standardizingPath
    }

    static func parseDate(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(esc(title))</h2>\n\(body)</section>\n"
    }

    /// Why a stage's stats are not there, or nil when they are.
    func noStats(_ s: StageData) -> String? {
        if s.hasStats { return nil }
        if d.kind == .unfinishedRun { return "The stats of \(s.label) are not written yet: the run did not finish." }
        return "The stats file of \(s.label) (\(s.statsFile ?? "?")) is missing."
    }

    /// A summary card; long figures get a smaller font so that they fit.
    func card(_ k: String, _ v: String, sub: String? = nil, cls: String = "") -> String {
        let visible = v.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression).count
        let size = visible > 15 ? " xlong" : visible > 11 ? " long" : ""
        var h = "<div class=\"card\"><div class=\"k\">\(esc(k))</div><div class=\"v\(size)\(cls.isEmpty ? "" : " " + cls)\">\(v)</div>"
        if let sub { h += "<div class=\"s\">\(sub)</div>" }
        return h + "</div>"
    }

    func missing(_ text: String) -> String { "<p class=\"missing\">\(esc(text))</p>\n" }

    func source(_ text: String) -> String { "<p class=\"source\">\(text)</p>\n" }

    // MARK: 1. funnel

    func funnel() -> String {
        guard !stages.isEmpty else { return section("funnel", "1. Funnel", missing("No stages.")) }
        if !stages.contains(where: { $0.hasStats }) && d.kind == .unfinishedRun {
            var b = missing("No stats yet: the run writes them when its last pass ends. Progress recorded in .state/:")
            b += "<ul>"
            let n = d.provenance.inputs.count
            for p in d.progress {
                b += "<li>pass \(p.pass): " + figure(p.done, key: "progress.pass.\(p.pass).done") + " of \(Fmt.int(n)) input files finished</li>"
            }
            b += "</ul><p>The recipe's stages: " + stages.map { esc($0.label) }.joined(separator: " → ") + "</p>\n"
            return section("funnel", "1. Funnel", b)
        }
        var b = source(d.kind == .run
            ? "Records into and out of each stage, from <code>run.json</code> <code>stages</code>; bytes from each stage's stats file. The bar's length is the records the stage read: kept, dropped by the stage, and (first stage only) unreadable."
            : "Records into and out of each stage, from the stats files in file-name order. The bar's length is the records the stage read: kept, dropped by the stage, and unreadable.")
        var rows: [HRow] = []
        for s in stages {
            var segs = [Segment(value: s.recordsOut, color: Color.kept, key: "stage.\(s.index).records_out",
                                title: "\(s.label): \(Fmt.int(s.recordsOut)) kept (\(Fmt.share(s.recordsOut, of: s.recordsIn)))")]
            if s.droppedTotal > 0 || s.dropped.isEmpty == false {
                segs.append(Segment(value: s.droppedTotal, color: Color.dropped, key: "stage.\(s.index).dropped",
                                    title: "\(s.label): \(Fmt.int(s.droppedTotal)) dropped (\(Fmt.share(s.droppedTotal, of: s.recordsIn)))"))
            }
            if s.rejectedTotal > 0 {
                segs.append(Segment(value: s.rejectedTotal, color: Color.rejected, key: "stage.\(s.index).rejected",
                                    title: "\(s.label): \(Fmt.int(s.rejectedTotal)) could not be read"))
            }
            let note = "\(Fmt.int(s.recordsIn)) → \(Fmt.int(s.recordsOut))" + (s.recordsIn > 0 && s.recordsOut != s.recordsIn ? " (−\(Fmt.share(s.recordsIn - s.recordsOut, of: s.recordsIn)))" : "")
            rows.append(HRow(label: s.label, segments: segs, note: note))
        }
        b += Chart.hbar(rows: rows, axisTitle: "records", legend: [("kept", Color.kept), ("dropped", Color.dropped), ("could not be read", Color.rejected)],
                        ariaLabel: "records per stage")
        // table
        let bytesNote = d.kind == .run || d.kind == .unfinishedRun
        b += "<div class=\"wide\"><table class=\"funnel\"><thead><tr><th>#</th><th>stage</th><th class=\"num\">records in</th><th class=\"num\">records out</th><th class=\"num\">dropped</th><th class=\"num\">unreadable</th><th class=\"num\">bytes in</th><th class=\"num\">bytes out</th><th class=\"num\">CPU s</th><th>options</th></tr></thead><tbody>"
        for s in stages {
            b += "<tr><td>\(s.index)</td><td>\(esc(s.name))" + (s.statsFile.map { "<div class=\"file\">\(esc($0))</div>" } ?? "") + "</td>"
            b += numCell(s.recordsIn, key: "stage.\(s.index).records_in")
            b += numCell(s.recordsOut, key: "stage.\(s.index).records_out")
            b += numCell(s.droppedTotal, key: "stage.\(s.index).dropped")
            b += numCell(s.rejectedTotal, key: "stage.\(s.index).rejected")
            for (v, k) in [(s.bytesIn, "bytes_in"), (s.bytesOut, "bytes_out")] {
                if !s.hasStats {
                    b += "<td class=\"num muted\" title=\"no stats file\">?</td>"
                } else if v == 0 && bytesNote {
                    b += "<td class=\"num muted\" data-key=\"stage.\(s.index).\(k)\" data-value=\"0\" title=\"not measured here: a run counts bytes only where they enter or leave a pass (docs/run.md)\">–</td>"
                } else {
                    b += numCell(v, key: "stage.\(s.index).\(k)")
                }
            }
            b += "<td class=\"num\">" + (s.seconds.map { "<span data-key=\"stage.\(s.index).seconds\" data-value=\"\(Fmt.double($0))\">\(esc(Fmt.decimal($0)))</span>" } ?? "") + "</td>"
            b += "<td class=\"opts\">" + s.options.map { "<code>\(esc($0.0))=\(esc($0.1))</code>" }.joined(separator: " ") + "</td></tr>"
        }
        b += "</tbody></table></div>\n"
        if bytesNote {
            b += "<p class=\"caption\">– : not measured at this stage. A run counts bytes where they cross the ends of a pass: the first stage's bytes in (the inputs, decompressed) and the bytes the last stage writes (docs/run.md). CPU s is the time the stage's workers spent, summed over threads.</p>\n"
        }
        // drop reasons
        b += "<h3>Drop reasons</h3>\n"
        var any = false
        for s in stages where !s.dropped.isEmpty || !s.rejected.isEmpty {
            let total = s.droppedTotal &+ s.rejectedTotal
            guard total > 0 || !s.dropped.isEmpty else { continue }
            any = true
            b += "<h4>\(esc(s.label)): " + figure(s.droppedTotal, key: "stage.\(s.index).dropped") + " of " + figure(s.recordsIn, key: "stage.\(s.index).records_in") + " records dropped (\(Fmt.share(s.droppedTotal, of: s.recordsIn)))"
            if s.rejectedTotal > 0 { b += ", " + figure(s.rejectedTotal, key: "stage.\(s.index).rejected") + " could not be read" }
            b += "</h4>\n"
            var rrows: [HRow] = []
            let reasons = s.dropped.map { ($0.0, $0.1, false) } + s.rejected.map { ($0.0, $0.1, true) }
            for (reason, n, rej) in reasons.sorted(by: { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }) {
                let key = "stage.\(s.index).\(rej ? "rejected" : "dropped").\(reason)"
                let note = "\(Fmt.int(n)) · \(Fmt.share(n, of: s.recordsIn)) of records in" + (rej ? "" : " · \(Fmt.share(n, of: s.droppedTotal)) of dropped")
                rrows.append(HRow(label: rej ? "unreadable: \(reason)" : reason,
                                  segments: [Segment(value: n, color: rej ? Color.rejected : Color.dropped, key: key, title: "\(reason): \(Fmt.int(n))")],
                                  note: note))
            }
            b += Chart.hbar(rows: rrows, axisTitle: "records dropped by \(s.label)", ariaLabel: "drop reasons of \(s.label)")
        }
        if !any { b += "<p>No stage dropped a record.</p>\n" }
        // PII replacements (normalize --pii): the counters pii:email, pii:ip, pii:phone
        let pii = stages.filter { s in s.counters.keys.contains { $0.hasPrefix("pii:") } }
        if !pii.isEmpty {
            b += "<h3>PII replaced</h3>\n"
            b += source("From the counters <code>pii:email</code>, <code>pii:ip</code> and <code>pii:phone</code> (one per replacement; docs/normalize.md).")
            b += "<table><thead><tr><th>stage</th><th class=\"num\">e-mail addresses</th><th class=\"num\">IP addresses</th><th class=\"num\">phone numbers</th></tr></thead><tbody>"
            for s in pii {
                b += "<tr><td>\(esc(s.label))</td>"
                for k in ["email", "ip", "phone"] { b += numCell(s.counters["pii:\(k)"] ?? 0, key: "stage.\(s.index).pii.\(k)") }
                b += "</tr>"
            }
            b += "</tbody></table>\n"
        }
        return section("funnel", "1. Funnel", b)
    }

    // MARK: 2. languages

    func languages() -> String {
        guard let s = stages.first(where: { $0.name == "langid" }) else {
            return section("languages", "2. Languages", missing("No langid stage in this run, so there is no language breakdown."))
        }
        if let why = noStats(s) {
            return section("languages", "2. Languages", missing(why + " The languages are not known."))
        }
        let docs = s.named("language")
        let bytes = s.named("language_bytes")
        let score = s.bins("language_score")
        var b = source("From the <code>counters</code> of <code>\(esc(s.statsFile ?? ""))</code>: <code>language.CODE</code> (documents), <code>language_bytes.CODE</code> (UTF-8 bytes of text) and <code>language_score.B</code> (documents whose score lies in [B/20, (B+1)/20)). Every document langid read is counted, dropped ones included.")
        if docs.isEmpty {
            b += missing("The stats have no language.* counters.")
            return section("languages", "2. Languages", b)
        }
        let totalDocs = docs.values.reduce(0, &+)
        let totalBytes = bytes.values.reduce(0, &+)
        let order = docs.keys.sorted { docs[$0]! != docs[$1]! ? docs[$0]! > docs[$1]! : $0 < $1 }
        let shown = order.prefix(30)
        var rows: [HRow] = shown.map { code in
            let n = docs[code]!
            let bytesNote = bytes[code].map { " · \(Fmt.bytesHuman($0))" } ?? ""
            return HRow(label: code, segments: [Segment(value: n, color: Color.language, key: "language.\(code)", title: "\(code): \(Fmt.int(n)) documents")],
                        note: "\(Fmt.int(n)) · \(Fmt.share(n, of: totalDocs))\(bytesNote)")
        }
        if order.count > shown.count {
            let rest = order.dropFirst(shown.count).reduce(0) { $0 &+ docs[$1]! }
            rows.append(HRow(label: "\(order.count - shown.count) other languages", segments: [Segment(value: rest, color: "#a6c99a", key: nil, title: "other: \(Fmt.int(rest))")],
                             note: "\(Fmt.int(rest)) · \(Fmt.share(rest, of: totalDocs))"))
        }
        b += "<h3>Documents per language</h3>\n"
        b += Chart.hbar(rows: rows, axisTitle: "documents", ariaLabel: "documents per language", compact: rows.count > 12)
        // table
        var t = "<table class=\"langs\"><thead><tr><th>language</th><th class=\"num\">documents</th><th class=\"num\">share</th><th class=\"num\">bytes</th><th class=\"num\">share</th><th class=\"num\">bytes per document</th></tr></thead><tbody>"
        for code in order {
            let n = docs[code]!
            t += "<tr><td><code>\(esc(code))</code></td>" + numCell(n, key: "language.\(code)") + "<td class=\"num\">\(Fmt.share(n, of: totalDocs))</td>"
            if let by = bytes[code] {
                t += numCell(by, key: "language_bytes.\(code)") + "<td class=\"num\">\(Fmt.share(by, of: totalBytes))</td><td class=\"num\">\(n > 0 ? Fmt.int(by / n) : "–")</td>"
            } else {
                t += "<td class=\"num muted\">?</td><td></td><td></td>"
            }
            t += "</tr>"
        }
        t += "<tr class=\"total\"><td>all</td><td class=\"num\">\(Fmt.int(totalDocs))</td><td></td><td class=\"num\">\(bytes.isEmpty ? "?" : Fmt.int(totalBytes))</td><td></td><td></td></tr></tbody></table>\n"
        b += order.count > 12 ? "<details class=\"table\"><summary>Table: \(order.count) languages</summary>\(t)</details>\n" : t
        if bytes.isEmpty { b += missing("The stats have no language_bytes.* counters (written by an older llmdata), so bytes per language are not shown.") }
        b += "<h3>Language score</h3>\n"
        if score.isEmpty {
            b += missing("The stats have no language_score.* counters (written by an older llmdata), so the score distribution is not shown.")
        } else {
            let bins = (0..<20).map { i -> (label: String, range: String) in
                (String(format: "%.2f", Double(i) / 20), String(format: "score %.2f–%.2f", Double(i) / 20, Double(i + 1) / 20))
            }
            let values = (0..<20).map { score[$0] ?? 0 }
            b += Chart.vbars(bins: bins, series: [Series(name: "documents", color: Color.score, values: values, keys: (0..<20).map { "language_score.\($0)" })],
                             xTitle: "language score (bins of 0.05; the last holds 0.95–1.00)", yTitle: "documents", unit: "documents", ariaLabel: "language score distribution")
            let extra = score.keys.filter { $0 < 0 || $0 >= 20 }
            if !extra.isEmpty { b += missing("language_score bins outside 0–19 are not drawn: \(extra.sorted().map(String.init).joined(separator: ", ")).") }
            b += binTable(title: "score bins", header: "score", rows: (0..<20).map { (String(format: "%.2f–%.2f", Double($0) / 20, Double($0 + 1) / 20), [("language_score.\($0)", score[$0] ?? 0)]) }, columns: ["documents"])
        }
        return section("languages", "2. Languages", b)
    }

    /// A collapsed table of bins under a chart (for reading exact values and for print).
    func binTable(title: String, header: String, rows: [(String, [(String, Int)])], columns: [String]) -> String {
        var t = "<details class=\"table\"><summary>Table: \(esc(title))</summary><table class=\"bins\"><thead><tr><th>\(esc(header))</th>"
        for c in columns { t += "<th class=\"num\">\(esc(c))</th>" }
        t += "</tr></thead><tbody>"
        for (label, cells) in rows {
            t += "<tr><td>\(esc(label))</td>"
            for (k, v) in cells { t += k.isEmpty ? "<td class=\"num\">\(Fmt.int(v))</td>" : numCell(v, key: k) }
            t += "</tr>"
        }
        return t + "</tbody></table></details>\n"
    }

    // MARK: 3. lengths

    func lengths() -> String {
        let inStage = stages.first { !$0.bins("length_in_log2").isEmpty }
        let outStage = stages.last { !$0.bins("length_out_log2").isEmpty }
        var b = source("Document lengths in characters (Unicode scalars), binned by floor(log2(length)): from the counters <code>length_in_log2.K</code> of the first stage (documents entering the run) and <code>length_out_log2.K</code> of the last (documents written to records/).")
        guard inStage != nil || outStage != nil else {
            b += missing(withStats.isEmpty ? (d.kind == .unfinishedRun ? "Not written yet: the lengths are counted in the stats, which the run writes when it finishes." : "No stats, so no lengths.") : "The stats have no length_in_log2.* or length_out_log2.* counters (written by an older llmdata), so the length histograms are not shown.")
            return section("lengths", "3. Lengths", b)
        }
        let inBins = inStage?.bins("length_in_log2") ?? [:]
        let outBins = outStage?.bins("length_out_log2") ?? [:]
        let ks = Array(inBins.keys) + Array(outBins.keys)
        let lo = max(0, ks.min()!), hi = min(62, ks.max()!)
        let range = Array(lo...max(lo, hi))
        var series: [Series] = []
        var cols: [String] = []
        if let s = inStage {
            let n = inBins.values.reduce(0, &+)
            series.append(Series(name: "before \(s.label) (\(Fmt.int(n)) documents)", color: Color.before, values: range.map { inBins[$0] ?? 0 }, keys: range.map { "length_in_log2.\($0)" }))
            cols.append("before \(s.label)")
        } else {
            b += missing("No length_in_log2 counters: only the lengths after the last stage are shown.")
        }
        if let s = outStage {
            let n = outBins.values.reduce(0, &+)
            series.append(Series(name: "after \(s.label) (\(Fmt.int(n)) documents)", color: Color.after, values: range.map { outBins[$0] ?? 0 }, keys: range.map { "length_out_log2.\($0)" }))
            cols.append("after \(s.label)")
        } else {
            b += missing("No length_out_log2 counters: only the lengths before the first stage are shown.")
        }
        let bins = range.map { (label: Fmt.pow2($0), range: "\(Fmt.pow2Range($0)) characters") }
        if series.count == 2 {
            // side by side, each on its own scale: the run keeps a small share of what it reads
            b += "<div class=\"pair\">"
            for se in series {
                b += "<figure><figcaption><span class=\"swatch\" style=\"background:\(se.color)\"></span>\(esc(se.name))</figcaption>"
                b += Chart.vbars(bins: bins, series: [se], xTitle: "characters per document (log2 bins)", yTitle: "documents", unit: "documents",
                                 ariaLabel: "document lengths \(se.name)", width: 560, plotH: 200)
                b += "</figure>"
            }
            b += "</div>\n"
        } else {
            b += Chart.vbars(bins: bins, series: series, xTitle: "characters per document (log2 bins)", yTitle: "documents", unit: "documents",
                             ariaLabel: "document lengths")
        }
        b += "<p class=\"caption\">A bar holds the documents whose length lies between its label and just under twice it (K = 1,024, M = 1,024²); 0–1 holds empty and one-character documents. The two charts share their bins but not their vertical scale.</p>\n"
        let rows = range.map { k -> (String, [(String, Int)]) in
            var cells: [(String, Int)] = []
            if inStage != nil { cells.append(("length_in_log2.\(k)", inBins[k] ?? 0)) }
            if outStage != nil { cells.append(("length_out_log2.\(k)", outBins[k] ?? 0)) }
            return (Fmt.pow2Range(k), cells)
        }
        b += binTable(title: "length bins", header: "characters", rows: rows, columns: cols)
        return section("lengths", "3. Lengths", b)
    }

    // MARK: 4. dedup

    func dedup() -> String {
        let ds = stages.filter { $0.name == "dedup" }
        guard !ds.isEmpty else {
            return section("dedup", "4. Dedup", missing("No dedup stage in this run."))
        }
        var b = source("From each dedup stage: <code>records_in</code> and <code>dropped</code> (run.json or its stats file), and the stats file's <code>clusters</code> and <code>cluster_sizes</code> (a cluster is a kept record and the copies removed for it; its size counts both).")
        for s in ds {
            let mode = s.options.first { $0.0 == "mode" }?.1
            b += "<h3>\(esc(s.label))\(mode.map { " (mode \(esc($0)))" } ?? "")</h3>\n"
            if d.kind != .run, let why = noStats(s) {
                b += missing(why)
                continue
            }
            var cards = "<div class=\"cards small\">"
            cards += card("records in", figure(s.recordsIn, key: "stage.\(s.index).records_in"))
            cards += card("removed", figure(s.droppedTotal, key: "stage.\(s.index).dropped"), sub: "\(Fmt.share(s.droppedTotal, of: s.recordsIn)) of records in")
            if let c = intValue(s.extra["clusters"]) {
                cards += card("clusters", figure(c, key: "dedup.\(s.index).clusters"))
            }
            for (k, label) in [("candidate_pairs", "candidate pairs"), ("verified_pairs", "verified pairs"), ("boilerplate_lines", "boilerplate lines")] {
                if let v = intValue(s.extra[k]), v > 0 {
                    cards += card(label, figure(v, key: "dedup.\(s.index).\(k)"))
                }
            }
            b += cards + "</div>\n"
            if let why = noStats(s) {
                b += missing(why + " No cluster sizes.")
                continue
            }
            guard let cs = s.extra["cluster_sizes"] as? [String: Any] else {
                b += missing("The stats have no cluster_sizes field (written by an older llmdata), so the cluster-size distribution is not shown.")
                continue
            }
            let sizes = cs.compactMap { k, v -> (Int, Int)? in
                guard let n = Int(k), let c = intValue(v) else { return nil }
                return (n, c)
            }.sorted { $0.0 < $1.0 }
            if sizes.isEmpty {
                b += "<p>No clusters: no record had a copy.</p>\n"
                continue
            }
            var bins = sizes.map { (label: Fmt.int($0.0), range: "clusters of \(Fmt.int($0.0)) records") }
            var values = sizes.map { $0.1 }
            var keys = sizes.map { "dedup.\(s.index).cluster_size.\($0.0)" }
            if sizes.count > 40 {
                // the long tail in log2 groups above the first 24 sizes
                let head = sizes.prefix(24)
                bins = head.map { (label: Fmt.int($0.0), range: "clusters of \(Fmt.int($0.0)) records") }
                values = head.map { $0.1 }
                keys = head.map { "dedup.\(s.index).cluster_size.\($0.0)" }
                var groups: [Int: Int] = [:]
                for (n, c) in sizes.dropFirst(24) { groups[Int(log2(Double(n))), default: 0] &+= c }
                for g in groups.keys.sorted() {
                    bins.append((label: "\(Fmt.pow2(g))+", range: "clusters of \(Fmt.pow2Range(g)) records"))
                    values.append(groups[g]!)
                    keys.append("dedup.\(s.index).cluster_size_log2.\(g)")
                }
            }
            b += Chart.vbars(bins: bins, series: [Series(name: "clusters", color: Color.cluster, values: values, keys: keys)],
                             xTitle: "cluster size (records: the kept one and its removed copies)", yTitle: "clusters", unit: "clusters", ariaLabel: "cluster sizes")
            let clustered = sizes.reduce(0) { $0 &+ $1.0 &* $1.1 }
            b += "<p class=\"caption\">\(Fmt.int(sizes.reduce(0) { $0 &+ $1.1 })) clusters hold \(Fmt.int(clustered)) records; removing all but one of each removes \(Fmt.int(clustered &- sizes.reduce(0) { $0 &+ $1.1 })).</p>\n"
            b += binTable(title: "cluster sizes", header: "size", rows: sizes.map { (Fmt.int($0.0), [("dedup.\(s.index).cluster_size.\($0.0)", $0.1)]) }, columns: ["clusters"])
        }
        return section("dedup", "4. Dedup", b)
    }

    // MARK: 5. tokens

    func tokenTotals() -> (documents: Int, tokens: Int)? {
        if let s = stages.last(where: { $0.name == "tokenize" }), let d = intValue(s.extra["documents"]), let t = intValue(s.extra["tokens"]) { return (d, t) }
        if let t = d.provenance.tokens { return (t.documents, t.tokens) }
        return d.manifestTotals
    }

    func tokens() -> String {
        guard let s = stages.last(where: { $0.name == "tokenize" }) else {
            return section("tokens", "5. Tokens", missing("No tokenize stage in this run."))
        }
        if d.kind == .unfinishedRun, let why = noStats(s) {
            return section("tokens", "5. Tokens", missing(why))
        }
        var b = source("From <code>\(esc(s.statsFile ?? "the tokenize stats"))</code> (<code>documents</code>, <code>tokens</code>, <code>shards</code>, <code>bytes_per_token</code>, counters <code>tokens_per_doc_log2.K</code>) and <code>shards/manifest.json</code> <code>shards[]</code>. Token counts include the EOS (and BOS) token of each document.")
        var cards = "<div class=\"cards small\">"
        let docs = intValue(s.extra["documents"]) ?? d.provenance.tokens?.documents
        let toks = intValue(s.extra["tokens"]) ?? d.provenance.tokens?.tokens
        let shardsN = intValue(s.extra["shards"]) ?? d.provenance.tokens?.shards
        if let v = docs { cards += card("documents", figure(v, key: "tokens.documents")) }
        if let v = toks { cards += card("tokens", figure(v, key: "tokens.tokens"), sub: docs.flatMap { $0 > 0 ? "\(Fmt.int(v / $0)) per document on average" : nil }) }
        if let v = shardsN { cards += card("shards", figure(v, key: "tokens.shards")) }
        if let bpt = doubleValue(s.extra["bytes_per_token"]) {
            cards += card("bytes per token", "<span data-key=\"tokens.bytes_per_token\" data-value=\"\(Fmt.double(bpt))\">\(esc(Fmt.double(bpt)))</span>", sub: "from the stats")
        } else if let t = toks, t > 0, s.bytesIn > 0 {
            let bpt = Double(s.bytesIn) / Double(t)
            cards += card("bytes per token", String(format: "%.3f", bpt), sub: "bytes in ÷ tokens")
        }
        if let tk = d.tokenizerName, !tk.isEmpty { cards += card("tokenizer", esc(tk), cls: "tk") }
        b += cards + "</div>\n"
        b += "<h3>Tokens per document</h3>\n"
        let bins = s.bins("tokens_per_doc_log2")
        if bins.isEmpty {
            b += missing(noStats(s) ?? "The stats have no tokens_per_doc_log2.* counters (written by an older llmdata), so the histogram is not shown.")
        } else {
            let lo = max(0, bins.keys.min()!), hi = min(62, bins.keys.max()!)
            let range = Array(lo...max(lo, hi))
            b += Chart.vbars(bins: range.map { (Fmt.pow2($0), "\(Fmt.pow2Range($0)) tokens") },
                             series: [Series(name: "documents", color: Color.tokens, values: range.map { bins[$0] ?? 0 }, keys: range.map { "tokens_per_doc_log2.\($0)" })],
                             xTitle: "tokens per document (log2 bins; K = 1,024)", yTitle: "documents", unit: "documents", ariaLabel: "tokens per document")
            b += binTable(title: "token bins", header: "tokens", rows: range.map { (Fmt.pow2Range($0), [("tokens_per_doc_log2.\($0)", bins[$0] ?? 0)]) }, columns: ["documents"])
        }
        b += "<h3>Shards</h3>\n"
        guard let shards = d.shards else {
            b += missing("No shards/manifest.json, so the per-shard totals are not shown.")
            return section("tokens", "5. Tokens", b)
        }
        if shards.count >= 3 && shards.count <= 60 {
            b += Chart.vbars(bins: shards.enumerated().map { (String($0.offset), $0.element.file) },
                             series: [Series(name: "tokens", color: Color.tokens, values: shards.map { $0.tokens }, keys: shards.indices.map { "shard.\($0).tokens" })],
                             xTitle: "shard (number in the set)", yTitle: "tokens", unit: "tokens", ariaLabel: "tokens per shard")
        }
        var t = "<table class=\"shards\"><thead><tr><th>#</th><th>file</th><th class=\"num\">documents</th><th class=\"num\">tokens</th><th class=\"num\">bytes</th><th class=\"num\">bytes per token</th></tr></thead><tbody>"
        for (i, sh) in shards.enumerated() {
            t += "<tr><td>\(i)</td><td><code>\(esc(sh.file))</code></td>" + numCell(sh.documents, key: "shard.\(i).documents") + numCell(sh.tokens, key: "shard.\(i).tokens") + numCell(sh.bytes, key: "shard.\(i).bytes")
            t += "<td class=\"num\">\(sh.tokens > 0 ? String(format: "%.2f", Double(sh.bytes) / Double(sh.tokens)) : "–")</td></tr>"
        }
        let sd = shards.reduce(0) { $0 &+ $1.documents }, st = shards.reduce(0) { $0 &+ $1.tokens }, sb = shards.reduce(0) { $0 &+ $1.bytes }
        t += "<tr class=\"total\"><td></td><td>all \(shards.count) shards</td><td class=\"num\">\(Fmt.int(sd))</td><td class=\"num\">\(Fmt.int(st))</td><td class=\"num\">\(Fmt.int(sb))</td><td class=\"num\">\(st > 0 ? String(format: "%.2f", Double(sb) / Double(st)) : "–")</td></tr></tbody></table>\n"
        b += shards.count > 20 ? "<details class=\"table\"><summary>Table: \(shards.count) shards</summary>\(t)</details>\n" : t
        b += "<p class=\"caption\">bytes: the compressed shard file (.tok.zst); bytes per token here is the on-disk size per token, not the text's.</p>\n"
        if let m = d.manifestTotals, let tt = toks, m.tokens != tt {
            b += missing("shards/manifest.json counts \(Fmt.int(m.tokens)) tokens, the stats \(Fmt.int(tt)).")
        }
        return section("tokens", "5. Tokens", b)
    }

    // MARK: 6. samples

    func samples() -> String {
        let dropping = stages.filter { $0.droppedTotal > 0 }
        var b = ""
        if d.kind == .unfinishedRun && !stages.contains(where: { $0.hasStats }) && d.samples.isEmpty {
            return section("samples", "6. Samples", missing("Not written yet: samples of dropped documents are written when the run finishes."))
        }
        if dropping.isEmpty && d.samples.isEmpty {
            return section("samples", "6. Samples", "<p>No stage dropped a record, so there is nothing to sample.</p>\n")
        }
        if !d.samplesDirPresent {
            b += missing(d.kind == .statsDirectory
                ? "No samples: the directory holds no --rejected files (JSON Lines of dropped records) to take them from."
                : "samples/ missing: this run directory was made by an llmdata that does not keep samples of dropped documents; rerun with --overwrite to get them.")
            return section("samples", "6. Samples", b)
        }
        b += source("Up to 5 dropped documents per reason, from \(d.sampleSource.map { d.sampleSource == "samples/" ? "<code>samples/NN-STAGE.jsonl</code>" : esc($0) } ?? ""), with the metadata that carries the measured signal. Click a reason to open it.")
        b += "<div class=\"search\" id=\"sample-search\" hidden><label>Filter by reason or stage: <input type=\"search\" id=\"sample-filter\" placeholder=\"e.g. gopher, langid:not_kept\" autocomplete=\"off\"></label> <span id=\"sample-count\"></span></div>\n"
        let indices = Set(dropping.map { $0.index }).union(d.samples.keys).sorted()
        for idx in indices {
            guard let s = stages.first(where: { $0.index == idx }) else { continue }
            let list = d.samples[idx] ?? []
            b += "<div class=\"sample-stage\" data-stage=\"\(esc(s.name))\"><h3>\(esc(s.label))</h3>\n"
            var reasons = s.dropped.map { $0.0 }
            for r in list.map({ $0.reason }) where !reasons.contains(r) { reasons.append(r) }
            reasons.sort()
            if list.isEmpty {
                b += missing("No samples for this stage" + (d.kind == .run ? " (samples/\(s.nn).jsonl missing)." : "."))
            }
            for reason in reasons {
                let items = list.filter { $0.reason == reason }
                let count = s.dropped.first { $0.0 == reason }?.1
                b += "<details class=\"reason\" data-reason=\"\(esc(reason))\" data-stage=\"\(esc(s.name))\"><summary><code class=\"reason-name\">\(esc(reason))</code> <span class=\"muted\">"
                if let c = count { b += figure(c, key: "stage.\(s.index).dropped.\(reason)") + " dropped · " }
                b += "\(items.count) sample\(items.count == 1 ? "" : "s")</span></summary>\n"
                if items.isEmpty { b += "<p class=\"muted\">No sample kept for this reason.</p>" }
                for it in items { b += sampleHTML(it) }
                b += "</details>\n"
            }
            b += "</div>\n"
        }
        return section("samples", "6. Samples", b)
    }

    func sampleHTML(_ s: Sample) -> String {
        var h = "<div class=\"sample\"><div class=\"sample-id\">id <code>\(esc(s.id))</code>"
        if s.truncated { h += " <span class=\"tag\">first lines only</span>" }
        h += "</div>"
        var text = s.text
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var cut = false
        if lines.count > 20 { text = lines.prefix(20).joined(separator: "\n"); cut = true }
        if text.count > 2000 { text = String(text.prefix(2000)); cut = true }
        h += "<pre class=\"text\">\(esc(text))\((cut || s.truncated) ? "<span class=\"more\">…</span>" : "")</pre>"
        if let m = s.metadata {
            let keys = Page.signalKeys.filter { m[$0] != nil } + m.keys.filter { !Page.signalKeys.contains($0) }.sorted()
            if !keys.isEmpty {
                h += "<dl class=\"meta\">"
                for k in keys {
                    var v = jsonText(m[k]!)
                    if v.count > 400 { v = String(v.prefix(400)) + "…" }
                    h += "<dt\(Page.signalKeys.contains(k) ? " class=\"signal\"" : "")>\(esc(k))</dt><dd><code>\(esc(v))</code></dd>"
                }
                h += "</dl>"
            }
        } else {
            h += "<p class=\"muted\">no metadata</p>"
        }
        return h + "</div>\n"
    }

    // MARK: 7. provenance

    func provenance() -> String {
        let p = d.provenance
        var b = ""
        if d.kind == .statsDirectory {
            b += missing("No run.json: no recipe, version, inputs or hashes to show. The stats files read:")
            b += "<ul>" + stages.map { "<li><code>\(esc($0.statsFile ?? ""))</code> (\(esc($0.name)))</li>" }.joined() + "</ul>\n"
            return section("provenance", "7. Provenance", b)
        }
        b += source(d.kind == .run ? "From <code>run.json</code> (docs/run.md)." : "From <code>.state/state.json</code> of the unfinished run.")
        var rows: [(String, String)] = []
        if let v = p.llmdataVersion { rows.append(("llmdata version", "<code>\(esc(v))</code>")) }
        if d.kind == .run {
            rows.append(("git commit", p.gitCommit.map { "<code title=\"\(esc($0))\">\(esc($0))</code>" } ?? "<span class=\"muted\">not recorded (the binary carries no build stamp: make build writes one beside it)</span>"))
        }
        if let r = p.recipePath { rows.append(("recipe", "<code>\(esc(r))</code>")) }
        if let h = p.recipeSHA256 { rows.append(("recipe SHA-256", "<code title=\"\(esc(h))\">\(esc(h))</code> (of the canonical form)")) }
        if let f = p.fingerprint { rows.append(("fingerprint", "<code title=\"\(esc(f))\">\(esc(f))</code>")) }
        if let s = p.started { rows.append(("started", esc(s))) }
        if d.kind == .run { rows.append(("finished", esc(p.finished ?? "?"))) }
        if let h = p.host { rows.append(("host", "<code>\(esc(h))</code>")) }
        if let e = p.executor { rows.append(("executor", esc(e) + (e.hasPrefix("Slurm") ? " (job ids and every task's stats in run.json; logs in <code>slurm/logs/</code>)" : ""))) }
        if let c = p.command { rows.append(("command", "<code>\(esc(c.map(shellQuote).joined(separator: " ")))</code>")) }
        b += "<table class=\"kv\"><tbody>" + rows.map { "<tr><th>\(esc($0.0))</th><td>\($0.1)</td></tr>" }.joined() + "</tbody></table>\n"
        if let t = p.recipeText {
            b += "<h3>Recipe</h3>\n<pre class=\"recipe\">\(esc(t))</pre>\n"
        }
        if let c = p.recipeCanonical {
            b += "<details><summary>Canonical recipe (what the fingerprint and recipe SHA-256 are taken of)</summary><pre class=\"recipe\">\(esc(c))</pre></details>\n"
        }
        b += fileTable("Inputs", p.inputs, key: "input")
        b += fileTable("Resources", p.resources, key: "resource")
        if d.kind == .run { b += fileTable("Outputs", p.outputs, key: "output") }
        return section("provenance", "7. Provenance", b)
    }

    func fileTable(_ title: String, _ files: [FileEntry], key: String) -> String {
        let total = files.reduce(0) { $0 &+ ($1.bytes ?? 0) }
        var t = "<table class=\"files\"><thead><tr><th>#</th><th>path</th><th class=\"num\">bytes</th><th>SHA-256</th></tr></thead><tbody>"
        if files.isEmpty { t += "<tr><td></td><td class=\"muted\">none</td><td></td><td></td></tr>" }
        for (i, f) in files.enumerated() {
            t += "<tr><td>\(i)</td><td><code>\(esc(f.path))</code></td>"
            t += f.bytes.map { numCell($0, key: "\(key).\(i).bytes") } ?? "<td></td>"
            t += "<td>" + (f.sha256.map { "<code class=\"hash\" title=\"\(esc($0))\" data-key=\"\(key).\(i).sha256\" data-value=\"\(esc($0))\">\(esc(Fmt.hash($0)))</code>" } ?? "") + "</td></tr>"
        }
        if files.count > 1 { t += "<tr class=\"total\"><td></td><td>\(files.count) files</td><td class=\"num\">\(Fmt.int(total))</td><td></td></tr>" }
        t += "</tbody></table>\n"
        let head = "\(title): \(files.count) file\(files.count == 1 ? "" : "s"), \(Fmt.int(total)) bytes (\(Fmt.bytesHuman(total)))"
        if files.count > 30 { return "<details class=\"table\"><summary><strong>\(esc(head))</strong></summary>\(t)</details>\n" }
        return "<h3>\(esc(head))</h3>\n" + t
    }

    // MARK: style and script

    static let css = """
    :root { --fg: #1d232b; --muted: #5b6673; --line: #d9dee4; --panel: #f6f8fa; --accent: #2f6db0; }
    * { box-sizing: border-box; }
    html { background: #fff; }
    body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; color: var(--fg); background: #fff; }
    main { max-width: 1180px; margin: 0 auto; padding: 20px 28px 48px; }
    h1 { font-size: 26px; margin: 0 0 2px; }
    h2 { font-size: 20px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
    h3 { font-size: 16px; margin: 22px 0 6px; }
    h4 { font-size: 14px; margin: 16px 0 4px; font-weight: 600; }
    section { margin-top: 34px; }
    a { color: var(--accent); }
    code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
    .sub { color: var(--muted); margin: 0 0 12px; word-break: break-all; }
    .muted, .missing, .caption, .source, .file { color: var(--muted); }
    .file { white-space: nowrap; }
    .missing { font-style: italic; }
    .caption, .source, .file { font-size: 12.5px; }
    .notes { border: 1px solid #e0c36a; border-left: 5px solid #d9a400; background: #fffbea; border-radius: 6px; padding: 8px 14px; margin: 10px 0 14px; }
    .notes ul { margin: 4px 0 2px; padding-left: 20px; }
    .cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
    .card { flex: 1 1 170px; max-width: 340px; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--panel); }
    .card .k { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; }
    .card .v { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .card .v.long { font-size: 17px; line-height: 1.75; }
    .card .v.xlong { font-size: 14.5px; line-height: 2; }
    .card .v.tk { font-size: 14px; white-space: normal; line-height: 1.5; }
    .card .s { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
    .cards.small .v { font-size: 18px; }
    nav { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); padding: 6px 0; margin-top: 8px; }
    nav a { margin-right: 18px; text-decoration: none; font-weight: 550; }
    table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
    th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
    thead th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); }
    td.num, th.num { text-align: right; white-space: nowrap; }
    tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
    table.kv th { width: 170px; color: var(--muted); font-weight: 500; }
    table.kv td code { word-break: break-all; }
    table.files td code { word-break: break-all; }
    td.opts code { display: inline-block; margin: 0 4px 2px 0; padding: 0 4px; background: var(--panel); border-radius: 3px; font-size: 11.5px; }
    .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
    .pair figure { margin: 0; min-width: 0; }
    .pair figcaption { font-size: 13px; font-weight: 600; }
    .swatch { display: inline-block; width: 11px; height: 11px; margin-right: 6px; vertical-align: -1px; }
    .wide { overflow-x: auto; }
    td.opts { min-width: 160px; }
    svg.chart { display: block; width: 100%; height: auto; max-width: 1100px; margin: 6px 0 4px; }
    svg.chart text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; fill: #2b333c; }
    svg.chart .tick { fill: #5b6673; }
    svg.chart .axis-title { font-size: 12px; fill: #5b6673; }
    svg.chart .note { fill: #3b444e; }
    svg.chart .grid { stroke: #e5e9ee; stroke-width: 1; }
    svg.chart .axis { stroke: #8a949e; stroke-width: 1; }
    svg.chart rect[data-key]:hover { opacity: .8; }
    details { margin: 6px 0; }
    details > summary { cursor: pointer; }
    details.table > summary { color: var(--accent); font-size: 13px; }
    details.reason { border: 1px solid var(--line); border-radius: 6px; padding: 0 12px; margin: 6px 0; }
    details.reason > summary { padding: 6px 0; }
    details.reason[open] > summary { border-bottom: 1px solid var(--line); }
    .reason-name { font-weight: 600; font-size: 13px; }
    .sample { padding: 8px 0 10px; border-bottom: 1px dashed var(--line); }
    .sample:last-child { border-bottom: 0; }
    .sample-id { font-size: 12.5px; color: var(--muted); }
    .sample-id code { color: var(--fg); }
    .tag { font-size: 11px; border: 1px solid var(--line); border-radius: 8px; padding: 0 6px; }
    pre { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
    pre.text { max-height: 16em; overflow: auto; }
    pre.recipe { max-height: 30em; overflow: auto; }
    .more { color: var(--muted); }
    dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 1px 12px; margin: 4px 0 0; font-size: 12.5px; }
    dl.meta dt { color: var(--muted); }
    dl.meta dt.signal { color: var(--fg); font-weight: 600; }
    dl.meta dd { margin: 0; overflow-wrap: anywhere; }
    .search { margin: 8px 0 10px; }
    .search input { font: inherit; padding: 4px 8px; width: 320px; border: 1px solid #b9c1ca; border-radius: 4px; }
    footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
    @media print {
      @page { margin: 14mm 12mm; }
      html, body { background: #fff !important; color: #000; }
      body { font-size: 11px; }
      main { max-width: none; padding: 0; }
      nav, .search { display: none !important; }
      .card, pre, .notes, td.opts code { background: #fff !important; }
      a { color: inherit; text-decoration: none; }
      details::details-content { content-visibility: visible; display: block; }
      details > summary { list-style: none; }
      details.reason[hidden], .sample-stage[hidden] { display: block !important; }
      pre.text, pre.recipe { max-height: none; overflow: visible; }
      .wide { overflow: visible; }
      svg.chart, tr, .sample, .card { break-inside: avoid; }
      h2, h3, h4 { break-after: avoid; }
      * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    }

    """

    static let js = """
    (function () {
      "use strict";
      var box = document.getElementById("sample-filter");
      var wrap = document.getElementById("sample-search");
      if (box && wrap) {
        wrap.hidden = false;
        var count = document.getElementById("sample-count");
        var apply = function () {
          var q = box.value.trim().toLowerCase();
          var items = document.querySelectorAll("details.reason");
          var shown = 0;
          for (var i = 0; i < items.length; i++) {
            var d = items[i];
            var hay = (d.getAttribute("data-reason") + " " + d.getAttribute("data-stage")).toLowerCase();
            var match = q === "" || hay.indexOf(q) >= 0;
            d.hidden = !match;
            if (match) shown++;
          }
          var groups = document.querySelectorAll(".sample-stage");
          for (var j = 0; j < groups.length; j++) {
            groups[j].hidden = q !== "" && !groups[j].querySelector("details.reason:not([hidden])");
          }
          count.textContent = q === "" ? "" : shown + " of " + items.length + " reasons";
        };
        box.addEventListener("input", apply);
        // report.html?reason=gopher opens the page filtered
        var m = /[?&]reason=([^&#]*)/.exec(window.location.search);
        if (m) box.value = decodeURIComponent(m[1].replace(/\\+/g, " "));
        apply();
      }
      // printing shows every collapsed section
      var opened = [];
      window.addEventListener("beforeprint", function () {
        var all = document.querySelectorAll("details:not([open])");
        for (var i = 0; i < all.length; i++) { all[i].open = true; opened.push(all[i]); }
      });
      window.addEventListener("afterprint", function () {
        for (var i = 0; i < opened.length; i++) opened[i].open = false;
        opened = [];
      });
    })();

    """
}
