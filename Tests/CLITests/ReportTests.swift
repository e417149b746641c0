import Foundation
import Testing

/// `llmdata report`: the page's figures (read back from their `data-key`/`data-value`
/// attributes) against run.json, the stats files and the shard manifest; directories without
/// run.json; files that are not stats documents; huge and zero counts.
@Suite("report")
struct ReportTests {
    // MARK: helpers

    /// Every `data-key`/`data-value` pair of the page, by key (a key may occur several times: a
    /// bar and a table cell).
    static func figures(_ html: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        let re = try! NSRegularExpression(pattern: #"data-key="([^"]*)" data-value="([^"]*)""#)
        let ns = html as NSString
        for m in re.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            out[unescape(ns.substring(with: m.range(at: 1))), default: []].append(unescape(ns.substring(with: m.range(at: 2))))
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func object(_ path: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as! [String: Any]
    }

    static func ints(_ v: Any?) -> [String: Int] {
        var out: [String: Int] = [:]
        for (k, x) in (v as? [String: Any]) ?? [:] { out[k] = (x as! NSNumber).intValue }
        return out
    }

    enum Expected: Equatable {
        case int(Int)
        case double(Double)
        case text(String)

        func matches(_ s: String) -> Bool {
            switch self {
            case .int(let i): return s == String(i)
            case .double(let d): return Double(s) == d
            case .text(let t): return s == t
            }
        }
    }

    /// What the page must show for a run directory (or, with `statsFiles` given, a directory of
    /// stats files): every figure's key and exact value, from run.json, the stats files and the
    /// shard manifest, read here independently of llmdata.
    static func expectedFigures(runDir: URL, statsFiles: [URL]? = nil) throws -> [String: Expected] {
        var e: [String: Expected] = [:]
        var stats: [[String: Any]] = []
        var runStages: [[String: Any]] = []
        if let files = statsFiles {
            stats = try files.map { try object($0) }
        } else {
            let run = try object(runDir.appendingPathComponent("run.json"))
            runStages = run["stages"] as! [[String: Any]]
            stats = try runStages.map { try object(runDir.appendingPathComponent($0["stats"] as! String)) }
            for (kind, list) in [("input", run["inputs"]), ("resource", run["resources"]), ("output", run["outputs"])] {
                for (i, f) in ((list as? [[String: Any]]) ?? []).enumerated() {
                    e["\(kind).\(i).bytes"] = .int((f["bytes"] as! NSNumber).intValue)
                    e["\(kind).\(i).sha256"] = .text(f["sha256"] as! String)
                }
            }
        }
        for (i, s) in stats.enumerated() {
            let n = i + 1
            let src = runStages.isEmpty ? s : runStages[i]
            let dropped = ints(src["dropped"]), rejected = ints(src["rejected"])
            e["stage.\(n).records_in"] = .int((src["records_in"] as! NSNumber).intValue)
            e["stage.\(n).records_out"] = .int((src["records_out"] as! NSNumber).intValue)
            e["stage.\(n).dropped"] = .int(dropped.values.reduce(0, +))
            e["stage.\(n).rejected"] = .int(rejected.values.reduce(0, +))
            for (k, v) in dropped { e["stage.\(n).dropped.\(k)"] = .int(v) }
            for (k, v) in rejected { e["stage.\(n).rejected.\(k)"] = .int(v) }
            e["stage.\(n).bytes_in"] = .int((s["bytes_in"] as! NSNumber).intValue)
            e["stage.\(n).bytes_out"] = .int((s["bytes_out"] as! NSNumber).intValue)
            e["stage.\(n).seconds"] = .double((src["seconds"] as! NSNumber).doubleValue)
            let counters = ints(s["counters"])
            let stage = s["stage"] as! String
            if stage == "langid" && !stats.prefix(i).contains(where: { $0["stage"] as? String == "langid" }) {
                for (k, v) in counters where k.hasPrefix("language.") || k.hasPrefix("language_bytes.") || k.hasPrefix("language_score.") { e[k] = .int(v) }
                for b in 0..<20 where counters["language_score.\(b)"] == nil && counters.keys.contains(where: { $0.hasPrefix("language_score.") }) {
                    e["language_score.\(b)"] = .int(0)
                }
            }
            if i == 0 { for (k, v) in counters where k.hasPrefix("length_in_log2.") { e[k] = .int(v) } }
            if i == stats.count - 1 { for (k, v) in counters where k.hasPrefix("length_out_log2.") { e[k] = .int(v) } }
            if stage == "tokenize" {
                for (k, v) in counters where k.hasPrefix("tokens_per_doc_log2.") { e[k] = .int(v) }
                for k in ["documents", "tokens", "shards"] { if let v = s[k] as? NSNumber { e["tokens.\(k)"] = .int(v.intValue) } }
                if let v = s["bytes_per_token"] as? NSNumber { e["tokens.bytes_per_token"] = .double(v.doubleValue) }
                if let v = s["tokens"] as? NSNumber { e["summary.tokens"] = .int(v.intValue) }
            }
            if stage == "dedup" {
                for (k, v) in ints(s["cluster_sizes"]) { e["dedup.\(n).cluster_size.\(k)"] = .int(v) }
                for k in ["clusters", "candidate_pairs", "verified_pairs", "boilerplate_lines"] {
                    if let v = s[k] as? NSNumber { e["dedup.\(n).\(k)"] = .int(v.intValue) }
                }
            }
        }
        if let first = stats.first {
            let src = runStages.first ?? first
            e["summary.records_in"] = .int((src["records_in"] as! NSNumber).intValue)
            e["summary.bytes_in"] = .int((first["bytes_in"] as! NSNumber).intValue)
        }
        if let last = runStages.last ?? stats.last { e["summary.records_out"] = .int((last["records_out"] as! NSNumber).intValue) }
        let manifest = runDir.appendingPathComponent("shards/manifest.json")
        if statsFiles == nil, FileManager.default.fileExists(atPath: manifest.path) {
            for (i, sh) in (try object(manifest)["shards"] as! [[String: Any]]).enumerated() {
                for k in ["documents", "tokens", "bytes"] { e["shard.\(i).\(k)"] = .int((sh[k] as! NSNumber).intValue) }
            }
        }
        return e
    }

    /// Bins drawn between the smallest and largest counted bin carry 0 when the stats have no
    /// counter for them.
    static let zeroFilled = ["length_in_log2.", "length_out_log2.", "tokens_per_doc_log2.", "language_score."]

    /// Every expected figure is on the page with its exact value, every figure on the page is one
    /// of them (or an empty bin), and no key has two values.
    static func checkFigures(_ html: String, _ expected: [String: Expected]) {
        let got = figures(html)
        for (k, v) in expected.sorted(by: { $0.key < $1.key }) {
            guard let values = got[k] else {
                // shown only when not 0
                let hiddenWhenZero = k == "summary.bytes_in" || k.hasSuffix(".candidate_pairs") || k.hasSuffix(".verified_pairs") || k.hasSuffix(".boilerplate_lines")
                #expect(hiddenWhenZero && v == .int(0), "\(k) (\(v)) is not on the page")
                continue
            }
            for s in values { #expect(v.matches(s), "\(k): the page says \(s), the files say \(v)") }
        }
        for (k, values) in got where expected[k] == nil {
            if zeroFilled.contains(where: { k.hasPrefix($0) }) {
                #expect(values.allSatisfy { $0 == "0" }, "\(k): \(values) but no counter")
            } else {
                Issue.record("\(k) = \(values) is on the page but in no file")
            }
        }
    }

    static func report(_ dir: URL, _ extra: [String] = []) throws -> (CLI.Result, String) {
        let out = dir.deletingLastPathComponent().appendingPathComponent("report-\(UUID().uuidString).html")
        let r = try CLI.run(["report", dir.path, "-o", out.path] + extra)
        let html = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        return (r, html)
    }

    static func write(_ o: Any, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) + Data("\n".utf8)).write(to: url)
    }

    static func statsDoc(_ stage: String, _ rin: Int, _ rout: Int, dropped: [String: Int] = [:], rejected: [String: Int] = [:],
                         bytesIn: Int = 0, bytesOut: Int = 0, counters: [String: Int] = [:], extra: [String: Any] = [:]) -> [String: Any] {
        var o: [String: Any] = [
            "stage": stage, "records_in": rin, "records_out": rout, "records_dropped": dropped.values.reduce(0, +),
            "records_rejected": rejected.values.reduce(0, +), "bytes_in": bytesIn, "bytes_out": bytesOut, "files_processed": 1,
            "files_skipped": 0, "dropped": dropped, "rejected": rejected, "counters": counters, "seconds": 0.25,
        ]
        for (k, v) in extra { o[k] = v }
        return o
    }

    static let hash = String(repeating: "ab", count: 32)

    /// A run directory in the shape docs/run.md and the report's data contract give, with every
    /// kind of figure the report shows; `scale` multiplies every count (10^9 gives counts of 10^12).
    static func handMadeRun(scale: Int = 1) throws -> URL {
        let dir = try CLI.tempDir().appendingPathComponent("run")
        let x = scale
        let names = ["normalize", "langid", "filter", "dedup", "tokenize"]
        let docs = [
            statsDoc("normalize", 1000 * x, 990 * x, rejected: ["invalid_json": 10 * x], bytesIn: 5_000_000 * x,
                     counters: ["records_changed": 12 * x, "length_in_log2.0": 1 * x, "length_in_log2.3": 9 * x, "length_in_log2.7": 400 * x,
                                "length_in_log2.10": 500 * x, "length_in_log2.14": 80 * x]),
            statsDoc("langid", 990 * x, 700 * x, dropped: ["langid:not_kept": 280 * x, "langid:low_score": 10 * x],
                     counters: ["language.en": 690 * x, "language.zh": 10 * x, "language.fr": 280 * x, "language.und": 10 * x,
                                "language_bytes.en": 3_000_000 * x, "language_bytes.zh": 40_000 * x, "language_bytes.fr": 1_200_000 * x,
                                "language_bytes.und": 900 * x, "language_score.3": 10 * x, "language_score.17": 80 * x, "language_score.19": 900 * x]),
            statsDoc("filter", 700 * x, 500 * x, dropped: ["gopher_quality:gopher_short_doc": 150 * x, "c4:curly_bracket": 50 * x]),
            statsDoc("dedup", 500 * x, 450 * x, dropped: ["dedup:exact": 50 * x], bytesOut: 2_000_000 * x,
                     extra: ["clusters": 45 * x, "candidate_pairs": 0, "verified_pairs": 0, "boilerplate_lines": 0,
                             "cluster_sizes": ["2": 40 * x, "3": 5 * x]]),
            statsDoc("tokenize", 450 * x, 450 * x, bytesIn: 2_000_000 * x, bytesOut: 2_000_000 * x,
                     counters: ["length_out_log2.7": 100 * x, "length_out_log2.10": 300 * x, "length_out_log2.12": 50 * x,
                                "tokens_per_doc_log2.5": 100 * x, "tokens_per_doc_log2.8": 350 * x],
                     extra: ["documents": 450 * x, "tokens": 621_700 * x, "shards": 2, "bytes_per_token": 3.217]),
        ]
        var stages: [[String: Any]] = []
        var outputs: [[String: Any]] = []
        for (i, d) in docs.enumerated() {
            let nn = "0\(i + 1)-\(names[i])"
            try write(d, to: dir.appendingPathComponent("stats/\(nn).json"))
            stages.append(["stage": names[i], "options": i == 3 ? ["mode": "exact"] : [String: String](), "records_in": d["records_in"]!,
                           "records_out": d["records_out"]!, "dropped": d["dropped"]!, "rejected": d["rejected"]!, "seconds": 0.25,
                           "stats": "stats/\(nn).json", "rejected_file": "rejected/\(nn).jsonl.zst"])
            outputs.append(["path": "stats/\(nn).json", "bytes": 300 + i, "sha256": hash])
        }
        let manifest: [String: Any] = ["format": "llmdata-token-shards", "version": 1, "documents": 450 * x, "tokens": 621_700 * x,
                                       "shards": [["file": "shard-00000.tok.zst", "documents": 300 * x, "tokens": 400_000 * x, "bytes": 700_000 * x],
                                                  ["file": "shard-00001.tok.zst", "documents": 150 * x, "tokens": 221_700 * x, "bytes": 390_000 * x]],
                                       "tokenizer": ["name": "gpt2.tiktoken", "pattern": "gpt2"]]
        try write(manifest, to: dir.appendingPathComponent("shards/manifest.json"))
        let samples: [(String, [[String: Any]])] = [
            ("02-langid", [["stage": "langid", "reason": "langid:low_score", "id": "d-1", "text": "???", "truncated": false,
                            "metadata": ["language": "und", "language_score": 0.17, "langid_reason": "language_score 0.17 < 0.65"]],
                           ["stage": "langid", "reason": "langid:not_kept", "id": "d-2", "text": "Bonjour tout le monde", "truncated": false,
                            "metadata": ["language": "fr", "language_score": 0.99, "langid_reason": "language fr not in --keep"]]]),
            ("03-filter", [["stage": "filter", "reason": "c4:curly_bracket", "id": 17, "text": "<script>alert(1)</script> {x}\nsecond line & more",
                            "truncated": true, "metadata": ["filter_reason": "c4:curly_bracket"]],
                           ["stage": "filter", "reason": "gopher_quality:gopher_short_doc", "id": "d-4", "text": "too short", "truncated": false,
                            "metadata": NSNull()]]),
            ("04-dedup", [["stage": "dedup", "reason": "dedup:exact", "id": "d-5", "text": "copy", "truncated": false,
                           "metadata": ["dedup": ["hash": "00ff", "cluster": "d-0"]]]]),
        ]
        for (nn, lines) in samples {
            let url = dir.appendingPathComponent("samples/\(nn).jsonl")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let text = try lines.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }.joined(separator: "\n") + "\n"
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let run: [String: Any] = [
            "format": "llmdata-run", "version": 1, "llmdata_version": "0.1.0", "git_commit": "0123456789abcdef0123456789abcdef01234567",
            "recipe": ["path": "/data/recipe.yaml", "text": "inputs: [in/]\nstages:\n  - normalize: {}\n  - dedup: {mode: exact}\n", "canonical": ["inputs": ["/data/in/"], "reader": [String: Any](), "stages": [[String: Any]]()]],
            "recipe_sha256": hash, "fingerprint": hash,
            "inputs": [["path": "/data/in/a.jsonl", "bytes": 3_000_000 * x, "sha256": hash], ["path": "/data/in/b.jsonl.zst", "bytes": 700_000 * x, "sha256": hash]],
            "resources": [["path": "/data/gpt2.tiktoken", "bytes": 835_554, "sha256": hash]],
            "outputs": outputs, "stages": stages,
            "started": "2026-01-02T03:04:05Z", "finished": "2026-01-02T03:06:10Z", "host": "node-7",
            "command": ["llmdata", "run", "recipe.yaml", "-o", "run dir"], "tokens": ["documents": 450 * x, "tokens": 621_700 * x, "shards": 2],
        ]
        try write(run, to: dir.appendingPathComponent("run.json"))
        return dir
    }

    /// A corpus whose run drops records at langid, filter and dedup (exact copies in a second file).
    static func corpus() throws -> URL {
        let dir = try CLI.tempDir().appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["en.jsonl", "multilingual.jsonl", "zh-web.jsonl"] {
            try FileManager.default.copyItem(atPath: CLI.fixture("sample/\(f)"), toPath: dir.appendingPathComponent(f).path)
        }
        try FileManager.default.copyItem(atPath: CLI.fixture("sample/en.jsonl"), toPath: dir.appendingPathComponent("x-copy.jsonl").path)
        return dir
    }

    static func recipe(_ corpus: URL) throws -> String {
        let p = corpus.deletingLastPathComponent().appendingPathComponent("recipe.yaml").path
        try """
        inputs: [\(corpus.path)/]
        stages:
          - normalize: {strip-urls: true}
          - langid: {keep: [en, zh]}
          - filter: {spam-lines: true}
          - dedup: {mode: exact}
          - tokenize: {tiktoken: \(CLI.fixture("tokenize/gpt2.tiktoken")), pattern: gpt2}
        """.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    // MARK: tests

    @Test("the figures of a real run's report equal run.json, the stats files and the shard manifest")
    func figuresOfARealRun() throws {
        let corpus = try Self.corpus()
        let runDir = corpus.deletingLastPathComponent().appendingPathComponent("run")
        let r = try CLI.run(["run", try Self.recipe(corpus), "-o", runDir.path, "--quiet", "--jobs", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let (rep, html) = try Self.report(runDir)
        #expect(rep.status == 0, "\(rep.stderr)")
        #expect(rep.stderr.contains("wrote"))
        Self.checkFigures(html, try Self.expectedFigures(runDir: runDir))
        let got = Self.figures(html)
        #expect(got["stage.4.dropped.dedup:exact"] != nil, "the copies are dropped by dedup")
        #expect(got["shard.0.tokens"] != nil)
        #expect(html.contains("<section id=\"provenance\">"))
        #expect(!html.contains("run.json missing"))
        #expect(!html.contains("NaN") && !html.contains("Infinity"))
    }

    @Test("the figures of a hand-made run directory equal its files, samples are escaped and grouped by reason, and the page loads nothing")
    func figuresOfAHandMadeRun() throws {
        let dir = try Self.handMadeRun()
        let (r, html) = try Self.report(dir)
        #expect(r.status == 0, "\(r.stderr)")
        Self.checkFigures(html, try Self.expectedFigures(runDir: dir))
        let got = Self.figures(html)
        for k in ["language.en", "language_bytes.fr", "language_score.19", "length_in_log2.14", "length_out_log2.12",
                  "tokens_per_doc_log2.8", "dedup.4.cluster_size.3", "tokens.bytes_per_token", "shard.1.bytes", "output.4.sha256"] {
            #expect(got[k] != nil, "\(k) is shown")
        }
        // thousands separators, shortened hashes with the full value in title, the wall time
        #expect(html.contains(">5,000,000<"))
        #expect(html.contains("<code class=\"hash\" title=\"\(Self.hash)\" data-key=\"input.0.sha256\" data-value=\"\(Self.hash)\">\(Self.hash.prefix(12))…</code>"))
        #expect(html.contains("2 min 5 s"))
        // samples: one <details> per reason, text escaped, the signal metadata shown
        for reason in ["langid:low_score", "langid:not_kept", "c4:curly_bracket", "gopher_quality:gopher_short_doc", "dedup:exact"] {
            #expect(html.contains("<details class=\"reason\" data-reason=\"\(reason)\""), "\(reason)")
        }
        #expect(!html.contains("<script>alert(1)"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("langid_reason") && html.contains("filter_reason"))
        #expect(html.contains("&#39;run dir&#39;"), "the command is shell-quoted")
        // self-contained: no external loads
        for bad in ["src=\"http", "href=\"http", "@import", "url(", "<link", "<img"] { #expect(!html.contains(bad), "\(bad)") }
        #expect(html.contains("<details") && html.contains("@media print"))
    }

    @Test("a directory of stats files without run.json is reported and says what is missing")
    func statsDirectoryWithoutRunJSON() throws {
        let run = try Self.handMadeRun()
        let dir = run.deletingLastPathComponent().appendingPathComponent("stats-only")
        try FileManager.default.copyItem(at: run.appendingPathComponent("stats"), to: dir)
        let (r, html) = try Self.report(dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(html.contains("run.json missing"))
        #expect(r.stderr.contains("note: run.json missing"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0) }
        Self.checkFigures(html, try Self.expectedFigures(runDir: dir, statsFiles: files))
    }

    @Test("an unfinished run directory (killed before run.json) says run.json is missing because the run did not finish, and how to finish it")
    func unfinishedRun() throws {
        let corpus = try Self.corpus()
        let recipe = try Self.recipe(corpus)
        for point in ["marker:0:1", "assemble"] {
            let runDir = corpus.deletingLastPathComponent().appendingPathComponent("run-\(point.replacingOccurrences(of: ":", with: "-"))")
            let k = try CLI.run(["run", recipe, "-o", runDir.path, "--quiet", "--jobs", "2"], env: ["LLMDATA_CRASH_AT": point])
            #expect(k.status != 0)
            #expect(!FileManager.default.fileExists(atPath: runDir.appendingPathComponent("run.json").path))
            let (r, html) = try Self.report(runDir)
            #expect(r.status == 0, "\(point): \(r.stderr)")
            #expect(html.contains("run.json missing: the run did not finish"), "\(point)")
            #expect(html.contains("rerun llmdata run with the same command"), "\(point)")
            #expect(r.stderr.contains("run.json missing"))
            if point == "assemble" {
                // the stats were written: the funnel is shown from them
                let files = try FileManager.default.contentsOfDirectory(atPath: runDir.appendingPathComponent("stats").path).sorted()
                    .map { runDir.appendingPathComponent("stats/\($0)") }
                let out = "\((try Self.object(files[1])["records_out"] as! NSNumber).intValue)"
                #expect(Self.figures(html)["stage.2.records_out"]?.allSatisfy { $0 == out } == true)
            } else {
                #expect(html.contains("input files finished"))
            }
        }
    }

    @Test("a JSON file that is not a stats document, or names an unknown stage, is a clear error (exit 2)")
    func notAStatsDocument() throws {
        let cases: [(String, String, String)] = [
            ("notes.json", "{\"title\": \"my notes\"}\n", "not a stats document (no stage)"),
            ("resize.json", "{\"stage\":\"resize\",\"records_in\":1,\"records_out\":1,\"dropped\":{},\"counters\":{}}\n", "not a stats document (unknown stage \"resize\")"),
            ("broken.json", "{\"stage\": \"filter\", \n", "not a stats document (not JSON)"),
            ("list.json", "[1, 2]\n", "not a stats document (not a JSON object)"),
            ("counts.json", "{\"stage\":\"filter\",\"records_in\":\"many\",\"records_out\":1,\"dropped\":{},\"counters\":{}}\n", "not a stats document (records_in and records_out must be counts)"),
        ]
        for (name, text, message) in cases {
            let run = try Self.handMadeRun()
            let dir = run.deletingLastPathComponent().appendingPathComponent("stats")
            try FileManager.default.copyItem(at: run.appendingPathComponent("stats"), to: dir)
            let bad = dir.appendingPathComponent(name)
            try text.write(to: bad, atomically: true, encoding: .utf8)
            let out = dir.deletingLastPathComponent().appendingPathComponent("r.html")
            let r = try CLI.run(["report", dir.path, "-o", out.path])
            #expect(r.status == 2, "\(name)")
            #expect(r.stderr.contains("llmdata report: error: \(bad.path): \(message)"), "\(name): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "no page is written")
            // the same file given alone
            let alone = try CLI.run(["report", bad.path, "-o", out.path])
            #expect(alone.status == 2)
            #expect(alone.stderr.contains("\(bad.path): not a stats document"))
            // and as a run's stats file
            try FileManager.default.removeItem(at: run.appendingPathComponent("stats/03-filter.json"))
            try text.write(to: run.appendingPathComponent("stats/03-filter.json"), atomically: true, encoding: .utf8)
            let inRun = try CLI.run(["report", run.path, "-o", out.path])
            #expect(inRun.status == 2)
            #expect(inRun.stderr.contains("03-filter.json: not a stats document"))
        }
        // a directory with nothing to report on, and a missing path
        let empty = try CLI.tempDir()
        let r = try CLI.run(["report", empty.path, "-o", empty.appendingPathComponent("r.html").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no run.json, no .state/ and no stats files"))
        let missing = try CLI.run(["report", empty.appendingPathComponent("nope").path, "-o", "-"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file or directory"))
    }

    @Test("a run.json of another format version is a clear error naming the version (exit 2)")
    func otherRunVersion() throws {
        let dir = try CLI.tempDir()
        let run = dir.appendingPathComponent("run")
        #expect(try CLI.run(["run", CLI.fixture("recipe.yaml"), "-o", run.path, "--quiet"]).status == 0)
        let p = run.appendingPathComponent("run.json")
        let text = try String(contentsOf: p, encoding: .utf8).replacingOccurrences(of: #""version":1,"#, with: #""version":2,"#)
        try text.write(to: p, atomically: true, encoding: .utf8)
        let r = try CLI.run(["report", run.path, "-o", dir.appendingPathComponent("r.html").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("run.json format version 2"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.html").path))
    }

    @Test("huge counts (10^12) and empty stages (records_in 0) render with exact figures and finite charts")
    func hugeAndZeroCounts() throws {
        // every count times 10^9: records_in 10^12
        let huge = try Self.handMadeRun(scale: 1_000_000_000)
        let (r, html) = try Self.report(huge)
        #expect(r.status == 0, "\(r.stderr)")
        Self.checkFigures(html, try Self.expectedFigures(runDir: huge))
        #expect(html.contains(">1,000,000,000,000<"))
        Self.checkSVG(html)

        // a run in which nothing came in: every stage has records_in 0, no counters, empty bins
        let dir = try CLI.tempDir().appendingPathComponent("empty")
        let docs = [Self.statsDoc("normalize", 0, 0), Self.statsDoc("langid", 0, 0), Self.statsDoc("filter", 0, 0),
                    Self.statsDoc("dedup", 0, 0, extra: ["clusters": 0, "cluster_sizes": [String: Int]()]),
                    Self.statsDoc("tokenize", 0, 0, extra: ["documents": 0, "tokens": 0, "shards": 0, "bytes_per_token": 0])]
        for (i, d) in docs.enumerated() { try Self.write(d, to: dir.appendingPathComponent("0\(i + 1)-\(d["stage"]!).json")) }
        // and a stage that saw records but whose bins are all zero
        try Self.write(Self.statsDoc("langid", 0, 0, counters: ["language.en": 0, "language_score.19": 0]), to: dir.appendingPathComponent("02-langid.json"))
        let (r2, html2) = try Self.report(dir)
        #expect(r2.status == 0, "\(r2.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0) }
        Self.checkFigures(html2, try Self.expectedFigures(runDir: dir, statsFiles: files))
        Self.checkSVG(html2)
        #expect(html2.contains("No stage dropped a record"))
    }

    /// Every number in an SVG attribute is finite, and no bar has a negative size.
    static func checkSVG(_ html: String) {
        for bad in ["NaN", "Infinity", "inf\"", "-nan", "nan\""] { #expect(!html.contains(bad), "\(bad) in the page") }
        let re = try! NSRegularExpression(pattern: #" (x|y|width|height|x1|x2|y1|y2)="([^"]*)""#)
        let ns = html as NSString
        var n = 0
        for m in re.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: m.range(at: 1)), v = ns.substring(with: m.range(at: 2))
            guard let d = Double(v) else {
                Issue.record("\(name)=\"\(v)\" is not a number")
                continue
            }
            #expect(d.isFinite)
            if name == "width" || name == "height" { #expect(d >= 0, "\(name)=\(v)") }
            n += 1
        }
        #expect(n > 50, "the page has charts")
    }
}
