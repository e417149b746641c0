import Foundation
import LLMDataCore

// Reading what the report shows: a run directory (run.json, stats/, samples/, shards/), an
// unfinished run directory (.state/, maybe stats/), or a plain directory of --stats files from a
// shell pipeline (and maybe --rejected files). docs/report.md says which number comes from where.

/// The stages a stats document may name.
let knownStages = ["normalize", "langid", "filter", "dedup", "tokenize"]

/// One stage: its counts (from run.json when there is one, else from its stats file) and its stats.
struct StageData {
    var index: Int  // position in the recipe (or in the stats directory), from 1
    var name: String
    var statsFile: String?  // relative to the report's directory
    var options: [(String, String)] = []
    var recordsIn = 0
    var recordsOut = 0
    var bytesIn = 0
    var bytesOut = 0
    var dropped: [(String, Int)] = []
    var rejected: [(String, Int)] = []
    var counters: [String: Int] = [:]
    var seconds: Double?
    var hasStats = false
    /// Stage-specific top-level fields of the stats document (dedup's `clusters`, `cluster_sizes`;
    /// tokenize's `documents`, `tokens`, `shards`, `bytes_per_token`).
    var extra: [String: Any] = [:]

    var droppedTotal: Int { dropped.reduce(0) { $0 &+ $1.1 } }
    var rejectedTotal: Int { rejected.reduce(0) { $0 &+ $1.1 } }
    var label: String { "\(index) \(name)" }
    var nn: String { index < 10 ? "0\(index)-\(name)" : "\(index)-\(name)" }

    /// `counters` whose key is `prefix.K` with an integer K, as K → count.
    func bins(_ prefix: String) -> [Int: Int] {
        var out: [Int: Int] = [:]
        let p = prefix + "."
        for (k, v) in counters where k.hasPrefix(p) {
            if let b = Int(k.dropFirst(p.count)) { out[b, default: 0] &+= v }
        }
        return out
    }

    /// `counters` whose key is `prefix.NAME`, as NAME → count.
    func named(_ prefix: String) -> [String: Int] {
        var out: [String: Int] = [:]
        let p = prefix + "."
        for (k, v) in counters where k.hasPrefix(p) { out[String(k.dropFirst(p.count)), default: 0] &+= v }
        return out
    }
}

/// A file as run.json lists it.
struct FileEntry {
    var path: String
    var bytes: Int?
    var sha256: String?
}

/// One sampled dropped document (samples/NN-STAGE.jsonl).
struct Sample {
    var stage: String
    var reason: String
    var id: String
    var text: String
    var truncated: Bool
    var metadata: [String: Any]?
}

struct Shard {
    var file: String
    var documents: Int
    var tokens: Int
    var bytes: Int
}

struct Provenance {
    var recipePath: String?
    var recipeText: String?
    var recipeCanonical: String?
    var recipeSHA256: String?
    var fingerprint: String?
    var llmdataVersion: String?
    var gitCommit: String?
    var gitCommitKnown = false  // run.json has the key (null means unknown)
    var started: String?
    var finished: String?
    var host: String?
    /// "local", or the Slurm jobs and tasks (run.json's `executor`).
    var executor: String?
    var command: [String]?
    var inputs: [FileEntry] = []
    var resources: [FileEntry] = []
    var outputs: [FileEntry] = []
    var tokens: (documents: Int, tokens: Int, shards: Int)?
}

enum SourceKind {
    case run  // a finished run directory (run.json)
    case unfinishedRun  // .state/ without run.json
    case statsDirectory  // stats files only
}

/// A note at the top of the report: what is missing and why.
struct Note {
    var text: String
}

struct ReportData {
    var path: String  // as given
    var kind: SourceKind
    var stages: [StageData] = []
    var provenance = Provenance()
    var samples: [Int: [Sample]] = [:]  // by stage index
    var samplesDirPresent = false
    var sampleSource: String?  // where samples came from, for the section's caption
    var shards: [Shard]?
    var manifestTotals: (documents: Int, tokens: Int)?
    var tokenizerName: String?
    var notes: [Note] = []
    /// Unfinished run: input files finished per pass.
    var progress: [(pass: Int, done: Int)] = []
}

// MARK: - JSON access

func intValue(_ v: Any?) -> Int? {
    guard let n = v as? NSNumber, !isBool(n) else { return nil }
    if let i = Int(exactly: n) { return i }
    let d = n.doubleValue
    if d.isFinite, d == d.rounded(), abs(d) < 9.2e18 { return Int(d) }
    return nil
}

/// A JSON `true` or `false` (JSONSerialization gives an NSNumber of type "c" for them).
func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

/// A JSON value as text: a string as it is, anything else as compact JSON.
func jsonText(_ v: Any) -> String {
    if let s = v as? String { return s }
    if v is NSNull { return "null" }
    if let d = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) {
        return String(decoding: d, as: UTF8.self)
    }
    return "\(v)"
}

func doubleValue(_ v: Any?) -> Double? {
    guard let n = v as? NSNumber, !isBool(n) else { return nil }
    let d = n.doubleValue
    return d.isFinite ? d : nil
}

/// An object of integer counts, sorted by key; nil when it is not one.
func countMap(_ v: Any?) -> [(String, Int)]? {
    guard let o = v as? [String: Any] else { return nil }
    var out: [(String, Int)] = []
    for (k, x) in o {
        guard let i = intValue(x) else { return nil }
        out.append((k, i))
    }
    return out.sorted { $0.0 < $1.0 }
}

func readJSONObject(_ path: String) -> [String: Any]? {
    guard let d = FileManager.default.contents(atPath: path) else { return nil }
    return (try? JSONSerialization.jsonObject(with: d, options: [.fragmentsAllowed])) as? [String: Any]
}

func join(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

func isDirectory(_ p: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: p, isDirectory: &d) && d.boolValue
}

func isFile(_ p: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: p, isDirectory: &d) && !d.boolValue
}

// MARK: - Loading

enum Loader {
    static let statsHint = "a stats document is what --stats writes (docs/protocol.md): a JSON object with stage (one of \(knownStages.joined(separator: ", "))), records_in, records_out, dropped and counters"

    /// Parses a stats document; anything else is `FILE: not a stats document`.
    static func stats(at path: String, display: String) throws -> StageData {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LLMDataError("\(display): cannot be read")
        }
        let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard let o = parsed as? [String: Any] else {
            throw LLMDataError("\(display): not a stats document (\(parsed == nil ? "not JSON" : "not a JSON object"))", hint: statsHint)
        }
        guard let stage = o["stage"] as? String else {
            throw LLMDataError("\(display): not a stats document (no stage)", hint: statsHint)
        }
        guard knownStages.contains(stage) else {
            throw LLMDataError("\(display): not a stats document (unknown stage \"\(stage)\")", hint: statsHint)
        }
        guard let rin = intValue(o["records_in"]), let rout = intValue(o["records_out"]), rin >= 0, rout >= 0 else {
            throw LLMDataError("\(display): not a stats document (records_in and records_out must be counts)", hint: statsHint)
        }
        guard let dropped = countMap(o["dropped"] ?? [String: Any]()),
              let rejected = countMap(o["rejected"] ?? [String: Any]()),
              let counters = countMap(o["counters"] ?? [String: Any]()) else {
            throw LLMDataError("\(display): not a stats document (dropped, rejected and counters must map names to counts)", hint: statsHint)
        }
        var s = StageData(index: 0, name: stage)
        s.hasStats = true
        s.recordsIn = rin
        s.recordsOut = rout
        s.bytesIn = intValue(o["bytes_in"]) ?? 0
        s.bytesOut = intValue(o["bytes_out"]) ?? 0
        s.dropped = dropped
        s.rejected = rejected
        s.counters = Dictionary(counters, uniquingKeysWith: { a, _ in a })
        s.seconds = doubleValue(o["seconds"])
        let standard: Set<String> = ["stage", "records_in", "records_out", "records_dropped", "records_rejected", "bytes_in",
                                     "bytes_out", "files_processed", "files_skipped", "dropped", "rejected", "counters", "seconds"]
        for (k, v) in o where !standard.contains(k) { s.extra[k] = v }
        return s
    }

    static func load(path: String) throws -> ReportData {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw LLMDataError("\(path): no such file or directory")
        }
        if !isDir.boolValue {
            // one stats file
            var s = try stats(at: path, display: path)
            s.index = 1
            s.statsFile = (path as NSString).lastPathComponent
            var r = ReportData(path: path, kind: .statsDirectory, stages: [s])
            r.notes.append(Note(text: "run.json missing: \(path) is a stats file, not a run directory, so there is no provenance, no samples and no shard list; `llmdata report RUNDIR` on a run made by `llmdata run` shows them"))
            return r
        }
        let runJSON = join(path, "run.json")
        if isFile(runJSON) { return try loadRun(path) }
        if isDirectory(join(path, ".state")) { return try loadUnfinished(path) }
        return try loadStatsDirectory(path)
    }

    // MARK: finished run

    static func loadRun(_ dir: String) throws -> ReportData {
        let runPath = join(dir, "run.json")
        guard let o = readJSONObject(runPath), o["format"] as? String == "llmdata-run" else {
            throw LLMDataError("\(runPath): not the run.json of llmdata run (no \"format\":\"llmdata-run\")", hint: "docs/run.md describes run.json")
        }
        // a run.json of another format version may mean other things by the same keys
        guard let v = o["version"] as? Int, v == 1 else {
            throw LLMDataError("\(runPath): run.json format version \(o["version"].map { "\($0)" } ?? "missing"); this llmdata (\(LLMDataVersion.current)) reads version 1",
                               hint: "write the report with the llmdata that made the run (run.json names it in llmdata_version)")
        }
        var r = ReportData(path: dir, kind: .run)
        r.provenance = provenance(run: o)
        guard let stages = o["stages"] as? [[String: Any]] else {
            throw LLMDataError("\(runPath): has no stages list", hint: "docs/run.md describes run.json")
        }
        var missingStats: [String] = []
        for (i, st) in stages.enumerated() {
            let name = st["stage"] as? String ?? "?"
            var s = StageData(index: i + 1, name: name)
            let file = st["stats"] as? String ?? "stats/\(s.nn).json"
            s.statsFile = file
            let full = join(dir, file)
            if isFile(full) {
                let doc = try stats(at: full, display: join(dir, file))
                s.bytesIn = doc.bytesIn
                s.bytesOut = doc.bytesOut
                s.counters = doc.counters
                s.extra = doc.extra
                s.hasStats = true
                if doc.name != name {
                    r.notes.append(Note(text: "\(file) is the stats of \(doc.name), but run.json lists stage \(i + 1) as \(name); its counters are shown under \(name)"))
                }
                var differs: [String] = []
                if let v = intValue(st["records_in"]), v != doc.recordsIn { differs.append("records_in") }
                if let v = intValue(st["records_out"]), v != doc.recordsOut { differs.append("records_out") }
                if let d = countMap(st["dropped"]), !d.elementsEqual(doc.dropped, by: { $0 == $1 }) { differs.append("dropped") }
                if !differs.isEmpty {
                    r.notes.append(Note(text: "\(file) and run.json differ on \(differs.joined(separator: ", ")); the report shows run.json's counts (`llmdata run --verify` checks the files)"))
                }
                s.recordsIn = doc.recordsIn
                s.recordsOut = doc.recordsOut
                s.dropped = doc.dropped
                s.rejected = doc.rejected
                s.seconds = doc.seconds
            } else {
                missingStats.append(file)
            }
            // run.json's own counts (equal to the stats file's in a sound run directory)
            if let v = intValue(st["records_in"]) { s.recordsIn = v }
            if let v = intValue(st["records_out"]) { s.recordsOut = v }
            if let d = countMap(st["dropped"]) { s.dropped = d }
            if let d = countMap(st["rejected"]) { s.rejected = d }
            if let v = doubleValue(st["seconds"]) { s.seconds = v }
            if let opts = st["options"] as? [String: Any] {
                s.options = opts.keys.sorted().map { ($0, jsonText(opts[$0]!)) }
            }
            r.stages.append(s)
        }
        if !missingStats.isEmpty {
            r.notes.append(Note(text: "\(missingStats.joined(separator: ", ")) missing: run.json lists \(missingStats.count == 1 ? "it" : "them") but the file is gone, so bytes, counters (languages, lengths, tokens) and dedup clusters of \(missingStats.count == 1 ? "that stage" : "those stages") are not shown; `llmdata run --verify \(dir)` lists what changed"))
        }
        loadSamples(dir: dir, into: &r)
        loadManifest(dir: dir, into: &r)
        return r
    }

    static func files(_ v: Any?) -> [FileEntry] {
        guard let a = v as? [[String: Any]] else { return [] }
        return a.map { FileEntry(path: $0["path"] as? String ?? "?", bytes: intValue($0["bytes"]), sha256: $0["sha256"] as? String) }
    }

    static func provenance(run o: [String: Any]) -> Provenance {
        var p = Provenance()
        if let rec = o["recipe"] as? [String: Any] {
            p.recipePath = rec["path"] as? String
            p.recipeText = rec["text"] as? String
            if let c = rec["canonical"], JSONSerialization.isValidJSONObject(c),
               let d = try? JSONSerialization.data(withJSONObject: c, options: [.sortedKeys]) {
                p.recipeCanonical = String(decoding: d, as: UTF8.self)
            }
        }
        p.recipeSHA256 = o["recipe_sha256"] as? String
        p.fingerprint = o["fingerprint"] as? String
        p.llmdataVersion = o["llmdata_version"] as? String
        p.gitCommitKnown = o.keys.contains("git_commit")
        p.gitCommit = o["git_commit"] as? String
        p.started = o["started"] as? String
        p.finished = o["finished"] as? String
        p.host = o["host"] as? String
        if let e = o["executor"] as? [String: Any], let name = e["name"] as? String {
            if name == "slurm" {
                let jobs = (e["jobs"] as? [[String: Any]]) ?? []
                let submissions = Set(jobs.compactMap { intValue($0["submission"]) }).count
                let tasks = ((e["steps"] as? [[String: Any]]) ?? []).flatMap { ($0["tasks"] as? [[String: Any]]) ?? [] }
                let hosts = Set(tasks.compactMap { $0["host"] as? String }).sorted()
                p.executor = "Slurm: \(jobs.count) job(s) in \(max(submissions, 1)) submission(s), \(tasks.count + 1) task(s) on "
                    + (hosts.count <= 3 ? hosts.joined(separator: ", ") : "\(hosts.count) hosts")
            } else {
                p.executor = name
            }
        }
        p.command = o["command"] as? [String]
        p.inputs = files(o["inputs"])
        p.resources = files(o["resources"])
        p.outputs = files(o["outputs"])
        if let t = o["tokens"] as? [String: Any], let d = intValue(t["documents"]), let n = intValue(t["tokens"]) {
            p.tokens = (d, n, intValue(t["shards"]) ?? 0)
        }
        return p
    }

    // MARK: unfinished run

    static func loadUnfinished(_ dir: String) throws -> ReportData {
        var r = ReportData(path: dir, kind: .unfinishedRun)
        let statePath = join(dir, ".state/state.json")
        var stageNames: [String] = []
        if let st = readJSONObject(statePath) {
            var p = Provenance()
            p.fingerprint = st["fingerprint"] as? String
            p.llmdataVersion = st["llmdata_version"] as? String
            p.started = st["started"] as? String
            p.inputs = files(st["inputs"])
            p.resources = files(st["resources"])
            if let c = st["recipe"] as? String {
                p.recipeCanonical = c
                if let o = (try? JSONSerialization.jsonObject(with: Data(c.utf8))) as? [String: Any],
                   let stages = o["stages"] as? [[String: Any]] {
                    stageNames = stages.map { $0["stage"] as? String ?? "?" }
                }
            }
            r.provenance = p
        }
        // input files finished so far, per pass
        let stateDir = join(dir, ".state")
        let passes = ((try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? [])
            .compactMap { $0.hasPrefix("pass-") ? Int($0.dropFirst(5)) : nil }.sorted()
        for p in passes {
            let done = ((try? FileManager.default.contentsOfDirectory(atPath: join(stateDir, "pass-\(p)/done"))) ?? [])
                .filter { $0.hasSuffix(".json") }.count
            r.progress.append((p, done))
        }
        var what = "run.json missing: the run did not finish (\(dir)/.state/ is the state of an unfinished run); rerun llmdata run with the same command to finish it"
        let statsDir = join(dir, "stats")
        if isDirectory(statsDir), let names = try? FileManager.default.contentsOfDirectory(atPath: statsDir).filter({ $0.hasSuffix(".json") }).sorted(),
           !names.isEmpty {
            for (i, n) in names.enumerated() {
                var s = try stats(at: join(statsDir, n), display: join(statsDir, n))
                s.index = Int(n.prefix(while: { $0.isNumber })) ?? (i + 1)
                s.statsFile = "stats/\(n)"
                r.stages.append(s)
            }
            what += ". The stats files were written, so the funnel and the charts are shown; provenance is from .state/state.json (no outputs, no finish time) and samples and shards are shown as far as they were written"
        } else {
            what += ". Only what .state/ records is shown: the recipe, the inputs and how many input files each pass finished; the stats are written when the last pass ends"
            for (i, n) in stageNames.enumerated() {
                r.stages.append(StageData(index: i + 1, name: n))
            }
        }
        r.notes.insert(Note(text: what), at: 0)
        loadSamples(dir: dir, into: &r)
        loadManifest(dir: dir, into: &r)
        return r
    }

    // MARK: stats directory

    static func loadStatsDirectory(_ dir: String) throws -> ReportData {
        var r = ReportData(path: dir, kind: .statsDirectory)
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        let jsons = all.filter { $0.hasSuffix(".json") && isFile(join(dir, $0)) }
        if jsons.isEmpty {
            throw LLMDataError("\(dir): no run.json, no .state/ and no stats files (*.json): not a run directory or a directory of --stats files",
                               hint: "give the RUNDIR of llmdata run, or a directory holding the files --stats wrote")
        }
        for (i, n) in jsons.enumerated() {
            var s = try stats(at: join(dir, n), display: join(dir, n))
            s.index = i + 1
            s.statsFile = n
            r.stages.append(s)
        }
        r.notes.append(Note(text: "run.json missing: \(dir) holds stats files (as --stats writes them), not a run directory, so the report has no provenance (recipe, inputs, hashes) and no shard list, and the stages are taken in file-name order. `llmdata run RECIPE -o RUNDIR` records all of it"))
        // --rejected files: samples of the dropped records, by reason
        let rejectedFiles = all.filter { n in
            [".jsonl", ".jsonl.zst", ".jsonl.gz", ".ndjson"].contains { n.hasSuffix($0) } && isFile(join(dir, n))
        }
        if !rejectedFiles.isEmpty {
            samplesFromRejected(dir: dir, files: rejectedFiles, into: &r)
        }
        return r
    }

    // MARK: samples

    static func parseSample(_ o: [String: Any]) -> Sample? {
        guard let reason = o["reason"] as? String else { return nil }
        let id: String
        if let s = o["id"] as? String {
            id = s
        } else if let v = o["id"], !(v is NSNull), let d = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed]) {
            id = String(decoding: d, as: UTF8.self)
        } else {
            id = "(no id)"
        }
        return Sample(stage: o["stage"] as? String ?? "", reason: reason, id: id, text: o["text"] as? String ?? "",
                      truncated: (o["truncated"] as? Bool) ?? false, metadata: o["metadata"] as? [String: Any])
    }

    static func loadSamples(dir: String, into r: inout ReportData) {
        let sdir = join(dir, "samples")
        guard isDirectory(sdir) else { return }
        r.samplesDirPresent = true
        r.sampleSource = "samples/"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: sdir)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
        var bad = 0
        for n in names {
            let stem = String(n.dropLast(6))
            let number = Int(stem.prefix(while: { $0.isNumber }))
            guard let stage = r.stages.first(where: { $0.nn == stem }) ?? r.stages.first(where: { $0.index == number }) else {
                r.notes.append(Note(text: "samples/\(n) matches no stage of the run; it is not shown"))
                continue
            }
            guard let data = FileManager.default.contents(atPath: join(sdir, n)) else { continue }
            var list: [Sample] = []
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                if let o = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any], let s = parseSample(o) {
                    list.append(s)
                } else {
                    bad += 1
                }
            }
            r.samples[stage.index, default: []].append(contentsOf: list)
        }
        if bad > 0 { r.notes.append(Note(text: "\(bad) line(s) under samples/ are not sample objects and are not shown")) }
    }

    /// Up to 5 records per drop reason from `--rejected` files; the reason is read from the record's
    /// metadata (filter_reason, langid_reason, dedup) and the stage is the one whose stats count it.
    static func samplesFromRejected(dir: String, files: [String], into r: inout ReportData) {
        var byReason: [String: [Sample]] = [:]
        var stageOfReason: [String: Int] = [:]
        for s in r.stages { for (reason, _) in s.dropped where stageOfReason[reason] == nil { stageOfReason[reason] = s.index } }
        let maxBytes = 64 << 20
        for f in files {
            guard let src = try? openByteSource(path: join(dir, f)) else { continue }
            defer { src.close() }
            var pending = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            var read = 0
            var lines = 0
            func take(_ line: ArraySlice<UInt8>) {
                lines += 1
                guard let o = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else { return }
                let meta = o["metadata"] as? [String: Any] ?? o["llmdata_metadata"] as? [String: Any]
                guard let reason = reasonOf(meta) else { return }
                if byReason[reason, default: []].count >= 5 { return }
                var text = o["text"] as? String ?? ""
                var truncated = false
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                if lines.count > 10 || text.utf8.count > 1000 {
                    text = String(lines.prefix(10).joined(separator: "\n").prefix(1000))
                    truncated = true
                }
                var id = "(no id)"
                if let s = o["id"] as? String { id = s } else if let v = o["id"], let d = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed]) { id = String(decoding: d, as: UTF8.self) }
                byReason[reason, default: []].append(Sample(stage: "", reason: reason, id: id, text: text, truncated: truncated, metadata: meta))
            }
            while read < maxBytes {
                let n = (try? buf.withUnsafeMutableBytes { try src.read(into: $0) }) ?? 0
                if n == 0 { break }
                read += n
                pending.append(contentsOf: buf[0..<n])
                var start = pending.startIndex
                while let nl = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    take(pending[start..<nl])
                    start = nl + 1
                }
                pending.removeSubrange(pending.startIndex..<start)
            }
            if !pending.isEmpty && read < maxBytes { take(pending[...]) }
        }
        guard !byReason.isEmpty else { return }
        r.sampleSource = "the --rejected files (\(files.joined(separator: ", ")))"
        for reason in byReason.keys.sorted() {
            guard let idx = stageOfReason[reason] else { continue }
            let name = r.stages.first { $0.index == idx }?.name ?? ""
            r.samples[idx, default: []].append(contentsOf: byReason[reason]!.map { var s = $0; s.stage = name; return s })
        }
        r.samplesDirPresent = true
    }

    static func reasonOf(_ meta: [String: Any]?) -> String? {
        guard let m = meta else { return nil }
        if let f = m["filter_reason"] as? String { return f }
        if let l = m["langid_reason"] as? String { return l.hasPrefix("language_score") ? "langid:low_score" : "langid:not_kept" }
        if let d = m["dedup"] as? [String: Any] {
            if d["hash"] != nil { return "dedup:exact" }
            if d["lines_removed"] != nil { return "dedup:lines_empty" }
            return "dedup:minhash"
        }
        return nil
    }

    // MARK: shards

    static func loadManifest(dir: String, into r: inout ReportData) {
        let path = join(dir, "shards/manifest.json")
        guard isFile(path) else {
            if r.stages.last?.name == "tokenize" && r.kind == .run {
                r.notes.append(Note(text: "shards/manifest.json missing: the per-shard totals are not shown"))
            }
            return
        }
        guard let m = readJSONObject(path) else {
            r.notes.append(Note(text: "shards/manifest.json is not a JSON object: the per-shard totals are not shown"))
            return
        }
        r.shards = ((m["shards"] as? [[String: Any]]) ?? []).map {
            Shard(file: $0["file"] as? String ?? "?", documents: intValue($0["documents"]) ?? 0,
                  tokens: intValue($0["tokens"]) ?? 0, bytes: intValue($0["bytes"]) ?? 0)
        }
        if let d = intValue(m["documents"]), let t = intValue(m["tokens"]) { r.manifestTotals = (d, t) }
        if let t = m["tokenizer"] as? [String: Any] {
            r.tokenizerName = [t["name"] as? String, (t["pattern"] as? String).map { "pattern \($0)" }].compactMap { $0 }.joined(separator: ", ")
        }
    }
}
