import Foundation
import Testing

/// `llmdata run`: a recipe against the shell pipeline of the same stages, provenance, --verify,
/// resume after kill -9, changed recipes and inputs, and recipe errors.
@Suite("run")
struct RunTests {
    static let gpt2 = CLI.fixture("tokenize/gpt2.tiktoken")

    /// A corpus of the sample fixtures plus exact copies of records in another file (so dedup
    /// drops across files) and a plain-text file.
    static func corpus() throws -> URL {
        let dir = try CLI.tempDir().appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["en.jsonl", "multilingual.jsonl", "zh-web.jsonl"] {
            try FileManager.default.copyItem(atPath: CLI.fixture("sample/\(f)"), toPath: dir.appendingPathComponent(f).path)
        }
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n")
        // the same texts under other ids, and without ids (assigned from the file and line)
        var dups = en.prefix(40).enumerated().map { i, l in
            l.replacingOccurrences(of: "\"id\": \"en-", with: "\"id\": \"copy\(i)-")
        }
        dups += en[40..<60].map { l -> String in
            var o = CLI.json(String(l))
            o.removeValue(forKey: "id")
            return String(decoding: try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
        }
        try (dups.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("x-copies.jsonl"), atomically: true, encoding: .utf8)
        return dir
    }

    static func writeRecipe(_ dir: URL, _ text: String, name: String = "recipe.yaml") throws -> String {
        let p = dir.appendingPathComponent(name).path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    static let fiveStages = """
        stages:
          - normalize: {strip-urls: true, keep-fullwidth-punct: true}
          - langid: {keep: [en, zh]}
          - filter: {rules: [gopher_quality, gopher_repetition, c4, fineweb], spam-lines: true}
          - dedup: {mode: exact}
          - tokenize: {tiktoken: \(gpt2), pattern: gpt2, ids: true}
        """

    /// The decompressed concatenation of RUNDIR/SUB/*.jsonl.zst in sorted order.
    static func concat(_ dir: URL) throws -> Data {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".zst") }.sorted()
        var out = Data()
        for f in files { out += try unzstd(dir.appendingPathComponent(f)) }
        return out
    }

    static func unzstd(_ f: URL) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        p.arguments = ["-q", "-d", "-c", f.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "zstd -d \(f.path)")
        return d
    }

    /// Every document's ids of a shard set (`shards decode --ids`), via the manifest's count.
    static func documentIDs(_ shards: URL) throws -> [String] {
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: shards.appendingPathComponent("manifest.json"))) as! [String: Any]
        let n = (m["documents"] as! NSNumber).intValue
        return try (0..<n).map { try CLI.run(["shards", "decode", shards.path, "--doc", "\($0)", "--ids"]).out }
    }

    /// Every file under `dir` (relative path → bytes), for comparing two run directories.
    static func tree(_ dir: URL, skip: Set<String> = ["run.json"]) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: dir.path)!
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            let full = dir.appendingPathComponent(rel).path
            FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
            if isDir.boolValue || skip.contains(rel) { continue }
            out[rel] = try Data(contentsOf: URL(fileURLWithPath: full))
        }
        return out
    }

    /// run.json without the fields that differ between two runs of the same recipe.
    static func runJSON(_ dir: URL) throws -> [String: Any] {
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run.json"))) as! [String: Any]
        for k in ["started", "finished", "command"] { o.removeValue(forKey: k) }
        if var stages = o["stages"] as? [[String: Any]] {
            for i in stages.indices { stages[i].removeValue(forKey: "seconds") }
            o["stages"] = stages
        }
        return o
    }

    /// stats/*.json without `seconds` (CPU time differs between runs).
    static func statsWithoutTime(_ dir: URL) throws -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("stats").path) {
            var o = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("stats/\(f)"))) as! [String: Any]
            o.removeValue(forKey: "seconds")
            out[f] = o
        }
        return out
    }

    @Test("a recipe's records, rejected records and token ids equal the shell pipeline of the same five subcommands")
    func equalsShellPipeline() throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let recipe = try Self.writeRecipe(top, "inputs: [corpus]\n" + Self.fiveStages)
        let rundir = top.appendingPathComponent("out")
        let r = try CLI.run(["run", recipe, "-o", rundir.path, "--jobs", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.out.contains("05 tokenize"))

        // the shell pipeline, stage by stage through files (as a pipe would pass them)
        let sh = top.appendingPathComponent("sh")
        try FileManager.default.createDirectory(at: sh, withIntermediateDirectories: true)
        func step(_ args: [String]) throws {
            let x = try CLI.run(args + ["--quiet"])
            #expect(x.status == 0, "\(args): \(x.stderr)")
        }
        try step(["normalize", corpus.path, "--strip-urls", "--keep-fullwidth-punct", "-o", sh.path + "/1.jsonl", "--rejected", sh.path + "/r1.jsonl"])
        try step(["langid", sh.path + "/1.jsonl", "--keep", "en,zh", "-o", sh.path + "/2.jsonl", "--rejected", sh.path + "/r2.jsonl"])
        try step(["filter", sh.path + "/2.jsonl", "--rules", "gopher_quality,gopher_repetition,c4,fineweb", "--spam-lines",
                  "-o", sh.path + "/3.jsonl", "--rejected", sh.path + "/r3.jsonl"])
        try step(["dedup", sh.path + "/3.jsonl", "--mode", "exact", "-o", sh.path + "/4.jsonl", "--rejected", sh.path + "/r4.jsonl"])
        try step(["tokenize", sh.path + "/4.jsonl", "--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", sh.path + "/shards"])

        let records = try Self.concat(rundir.appendingPathComponent("records"))
        #expect(records == (try Data(contentsOf: sh.appendingPathComponent("4.jsonl"))))
        #expect(!records.isEmpty)
        let rejected = ["01-normalize", "02-langid", "03-filter", "04-dedup"]
        for (i, name) in rejected.enumerated() {
            let got = try Self.unzstd(rundir.appendingPathComponent("rejected/\(name).jsonl.zst"))
            #expect(got == (try Data(contentsOf: sh.appendingPathComponent("r\(i + 1).jsonl"))), "\(name)")
        }
        // exact dedup dropped the copies in x-copies.jsonl
        let dedupRejected = try Self.unzstd(rundir.appendingPathComponent("rejected/04-dedup.jsonl.zst"))
        // the copy of en-000001 under another id is dropped in favour of the original
        #expect(String(decoding: dedupRejected, as: UTF8.self).contains(#""id":"copy1-000001""#))
        #expect(String(decoding: dedupRejected, as: UTF8.self).contains(#""cluster":"en-000001""#))
        #expect(try Self.documentIDs(rundir.appendingPathComponent("shards")) == (try Self.documentIDs(sh.appendingPathComponent("shards"))))
        #expect(try CLI.run(["shards", "verify", rundir.appendingPathComponent("shards").path]).status == 0)

        // each stage's records_out is the next stage's records_in; dropped counts match the shell's stats
        let run = try Self.runJSON(rundir)
        let stages = run["stages"] as! [[String: Any]]
        #expect(stages.map { $0["stage"] as! String } == ["normalize", "langid", "filter", "dedup", "tokenize"])
        for i in 1..<stages.count {
            #expect((stages[i]["records_in"] as! NSNumber) == (stages[i - 1]["records_out"] as! NSNumber))
        }
        #expect((stages[3]["dropped"] as! [String: Any])["dedup:exact"] != nil)
    }

    @Test("a MinHash dedup in the middle of a recipe is a barrier whose result equals the shell pipeline")
    func minhashBarrier() throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let recipe = try Self.writeRecipe(top, """
            inputs: [corpus]
            stages:
              - normalize:
              - dedup: {mode: minhash}
              - filter: {rules: [gopher_repetition]}
              - tokenize: {tiktoken: \(Self.gpt2), pattern: gpt2}
            """)
        let rundir = top.appendingPathComponent("out")
        let r = try CLI.run(["run", recipe, "-o", rundir.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let sh = top.appendingPathComponent("sh")
        try FileManager.default.createDirectory(at: sh, withIntermediateDirectories: true)
        for args in [["normalize", corpus.path, "-o", sh.path + "/1.jsonl"],
                     ["dedup", sh.path + "/1.jsonl", "--mode", "minhash", "-o", sh.path + "/2.jsonl", "--rejected", sh.path + "/r2.jsonl"],
                     ["filter", sh.path + "/2.jsonl", "--rules", "gopher_repetition", "-o", sh.path + "/3.jsonl"],
                     ["tokenize", sh.path + "/3.jsonl", "--tiktoken", Self.gpt2, "--pattern", "gpt2", "-o", sh.path + "/shards"]] {
            let x = try CLI.run(args + ["--quiet"])
            #expect(x.status == 0, "\(args): \(x.stderr)")
        }
        #expect(try Self.concat(rundir.appendingPathComponent("records")) == (try Data(contentsOf: sh.appendingPathComponent("3.jsonl"))))
        let dedupRejected = try Self.unzstd(rundir.appendingPathComponent("rejected/02-dedup.jsonl.zst"))
        #expect(dedupRejected == (try Data(contentsOf: sh.appendingPathComponent("r2.jsonl"))))
        #expect(String(decoding: dedupRejected, as: UTF8.self).contains(#""id":"copy0-000000""#))
        #expect(try Self.documentIDs(rundir.appendingPathComponent("shards")) == (try Self.documentIDs(sh.appendingPathComponent("shards"))))
        // the spool is gone once the run is complete
        #expect(!FileManager.default.fileExists(atPath: rundir.appendingPathComponent(".state").path))
    }

    @Test("run.json lists every input and output with its true size and SHA-256, and --verify catches one changed byte")
    func provenanceAndVerify() throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let recipe = try Self.writeRecipe(top, "inputs: [corpus]\n" + Self.fiveStages)
        let rundir = top.appendingPathComponent("out")
        #expect(try CLI.run(["run", recipe, "-o", rundir.path, "--quiet"]).status == 0)
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: rundir.appendingPathComponent("run.json"))) as! [String: Any]
        for k in ["llmdata_version", "recipe", "recipe_sha256", "inputs", "outputs", "stages", "started", "finished", "host", "command"] {
            #expect(run[k] != nil, "run.json lacks \(k)")
        }
        let inputs = run["inputs"] as! [[String: Any]]
        #expect(inputs.count == 4)
        for i in inputs {
            let p = i["path"] as! String
            #expect(try CLI.sha256(p) == i["sha256"] as! String)
            #expect((try FileManager.default.attributesOfItem(atPath: p)[.size] as! NSNumber) == (i["bytes"] as! NSNumber))
        }
        let outputs = run["outputs"] as! [[String: Any]]
        let listed = Set(outputs.map { $0["path"] as! String })
        for o in outputs {
            let p = rundir.appendingPathComponent(o["path"] as! String).path
            #expect(try CLI.sha256(p) == o["sha256"] as! String, "\(p)")
        }
        // every file under records/ and shards/ is listed
        for d in ["records", "shards"] {
            for f in try FileManager.default.contentsOfDirectory(atPath: rundir.appendingPathComponent(d).path) {
                #expect(listed.contains("\(d)/\(f)"), "\(d)/\(f) is not in run.json")
            }
        }
        let recipeObj = run["recipe"] as! [String: Any]
        #expect(recipeObj["text"] as? String == (try String(contentsOfFile: recipe, encoding: .utf8)))

        let ok = try CLI.run(["run", "--verify", rundir.path])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.out.contains("ok"))
        // one byte of a records part changes
        let part = rundir.appendingPathComponent("records/part-00001.jsonl.zst")
        var bytes = try Data(contentsOf: part)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: part)
        let bad = try CLI.run(["run", "--verify", rundir.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("records/part-00001.jsonl.zst"))
        #expect(bad.stderr.contains("SHA-256 differs"))
        // a missing shard and an input that changed are named too
        try FileManager.default.removeItem(at: rundir.appendingPathComponent("shards/shard-00000.idx"))
        try "{\"text\":\"changed\"}\n".write(to: corpus.appendingPathComponent("zh-web.jsonl"), atomically: true, encoding: .utf8)
        let worse = try CLI.run(["run", "--verify", rundir.path])
        #expect(worse.status == 1)
        #expect(worse.stderr.contains("shard-00000.idx: missing"))
        #expect(worse.stderr.contains("zh-web.jsonl"))
    }

    /// Runs the recipe once without interruption, then again killed at `points` one after another
    /// (each rerun resumes), and checks the second directory equals the first.
    func killAndResume(recipeBody: String, points: [String], jobs: String = "2") throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let recipe = try Self.writeRecipe(top, "inputs: [corpus]\n" + recipeBody)
        let clean = top.appendingPathComponent("clean")
        let c = try CLI.run(["run", recipe, "-o", clean.path, "--quiet", "--jobs", jobs])
        #expect(c.status == 0, "\(c.stderr)")
        let resumed = top.appendingPathComponent("resumed")
        for point in points {
            let k = try CLI.run(["run", recipe, "-o", resumed.path, "--quiet", "--jobs", jobs], env: ["LLMDATA_CRASH_AT": point])
            #expect(k.status == 9 || k.status == 137 || k.status == 0, "\(point): \(k.status) \(k.stderr)")
        }
        let f = try CLI.run(["run", recipe, "-o", resumed.path, "--jobs", jobs])
        #expect(f.status == 0, "\(f.stderr)")
        #expect(try Self.tree(resumed, skip: ["run.json"]).filter { !$0.key.hasPrefix("stats/") } == (try Self.tree(clean, skip: ["run.json"])).filter { !$0.key.hasPrefix("stats/") })
        let a = try Self.statsWithoutTime(clean), b = try Self.statsWithoutTime(resumed)
        #expect(a.keys.sorted() == b.keys.sorted())
        for k in a.keys { #expect(NSDictionary(dictionary: a[k]!) == NSDictionary(dictionary: b[k] ?? [:]), "\(k)") }
        let ra = try Self.runJSON(clean), rb = try Self.runJSON(resumed)
        #expect(NSDictionary(dictionary: ra["stages"].map { ["s": $0] } ?? [:]) == NSDictionary(dictionary: rb["stages"].map { ["s": $0] } ?? [:]))
        // stats files differ in `seconds` only (compared above without it)
        let outputsA = (ra["outputs"] as! [[String: Any]]).map { "\($0["path"]!) \($0["sha256"]!)" }.filter { !$0.hasPrefix("stats/") }
        let outputsB = (rb["outputs"] as! [[String: Any]]).map { "\($0["path"]!) \($0["sha256"]!)" }.filter { !$0.hasPrefix("stats/") }
        #expect(outputsA == outputsB)
        #expect(try CLI.run(["run", "--verify", resumed.path, "--quiet"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: resumed.appendingPathComponent(".state").path))
    }

    @Test("kill -9 after a file's outputs and before its marker, between files, and before run.json: the reruns finish with identical output")
    func killAtCommitPoints() throws {
        try killAndResume(recipeBody: Self.fiveStages,
                          points: ["outputs:0:0", "marker:0:1", "outputs:0:2", "assemble", "run.json"])
    }

    @Test("kill -9 inside the barrier of a MinHash recipe, then rerun, gives identical output")
    func killAroundBarrier() throws {
        try killAndResume(recipeBody: """
            stages:
              - normalize:
              - dedup: {mode: minhash}
              - filter: {rules: [gopher_repetition]}
              - dedup: {mode: exact}
              - tokenize: {tiktoken: \(Self.gpt2), pattern: gpt2}
            """, points: ["marker:0:1", "pass:0", "outputs:1:1", "marker:1:2", "assemble"], jobs: "1")
    }

    @Test("two exact dedup stages in one pass (the second with --digits-to-zero) resume from their own journals to identical output")
    func killWithTwoExactStages() throws {
        try killAndResume(recipeBody: """
            stages:
              - dedup: {mode: exact}
              - normalize:
              - dedup: {mode: exact, digits-to-zero: true}
            """, points: ["outputs:0:1", "marker:0:2"])
    }

    @Test("a lines dedup barrier, killed before its pass, after a file of its pass and between two, resumes to identical output")
    func killAroundLinesBarrier() throws {
        try killAndResume(recipeBody: """
            stages:
              - normalize:
              - dedup: {mode: lines, line-min-docs: 2}
              - tokenize: {tiktoken: \(Self.gpt2), pattern: gpt2}
            """, points: ["pass:0", "outputs:1:0", "marker:1:2"])
    }

    @Test("kill -9 at random moments of a longer run, rerun after each, gives identical output")
    func killAtRandomMoments() throws {
        // 24 files of about 400 KB: long enough that kills land inside the work
        let dir = try CLI.tempDir()
        let corpus = dir.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n")
        for f in 0..<24 {
            var lines: [String] = []
            for (i, l) in en.enumerated() where (i + f) % 3 != 0 {
                lines.append(l.replacingOccurrences(of: "\"id\": \"en-", with: "\"id\": \"f\(f)-"))
            }
            try (lines.joined(separator: "\n") + "\n").write(to: corpus.appendingPathComponent(String(format: "p%02d.jsonl", f)), atomically: true, encoding: .utf8)
        }
        let recipe = try Self.writeRecipe(dir, "inputs: [corpus]\n" + Self.fiveStages)
        let clean = dir.appendingPathComponent("clean")
        let start = Date()
        #expect(try CLI.run(["run", recipe, "-o", clean.path, "--quiet"]).status == 0)
        let total = Date().timeIntervalSince(start)
        let resumed = dir.appendingPathComponent("resumed")
        var kills = 0
        for frac in [0.15, 0.3, 0.45, 0.6, 0.8] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["run", recipe, "-o", resumed.path, "--quiet"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: total * frac)
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
        }
        #expect(kills > 0, "no run was still going when killed (total \(total) s)")
        let f = try CLI.run(["run", recipe, "-o", resumed.path, "--quiet"])
        #expect(f.status == 0, "\(f.stderr)")
        #expect(try Self.tree(resumed).filter { !$0.key.hasPrefix("stats/") } == (try Self.tree(clean)).filter { !$0.key.hasPrefix("stats/") })
        let a = try Self.statsWithoutTime(clean), b = try Self.statsWithoutTime(resumed)
        for k in a.keys { #expect(NSDictionary(dictionary: a[k]!) == NSDictionary(dictionary: b[k] ?? [:]), "\(k)") }
    }

    @Test("a changed recipe or input is not silently reused: the rerun stops and names the change, and --overwrite starts over")
    func changedRecipeIsRefused() throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let recipe = try Self.writeRecipe(top, "inputs: [corpus]\n" + Self.fiveStages)
        let rundir = top.appendingPathComponent("out")
        #expect(try CLI.run(["run", recipe, "-o", rundir.path, "--quiet"]).status == 0)
        // the same command again: nothing to do
        let again = try CLI.run(["run", recipe, "-o", rundir.path])
        #expect(again.status == 0)
        #expect(again.stderr.contains("nothing to do"))
        // another filter option
        try Self.writeRecipe(top, "inputs: [corpus]\n" + Self.fiveStages.replacingOccurrences(of: "spam-lines: true", with: "spam-lines: false"))
        let changed = try CLI.run(["run", recipe, "-o", rundir.path])
        #expect(changed.status == 2)
        #expect(changed.stderr.contains("the recipe differs"))
        #expect(changed.stderr.contains("stage 3"))
        #expect(changed.stderr.contains("--overwrite"))
        // an unfinished run of the old recipe is refused the same way
        try Self.writeRecipe(top, "inputs: [corpus]\n" + Self.fiveStages)
        let half = top.appendingPathComponent("half")
        _ = try CLI.run(["run", recipe, "-o", half.path, "--quiet"], env: ["LLMDATA_CRASH_AT": "marker:0:1"])
        try "{\"text\":\"a new input file\"}\n".write(to: corpus.appendingPathComponent("y-new.jsonl"), atomically: true, encoding: .utf8)
        let newInput = try CLI.run(["run", recipe, "-o", half.path])
        #expect(newInput.status == 2)
        #expect(newInput.stderr.contains("new input files"))
        #expect(newInput.stderr.contains("y-new.jsonl"))
        #expect(!newInput.stderr.contains("recipe differs"), "only the inputs changed: \(newInput.stderr)")
        // --overwrite: equal to a fresh run
        let over = try CLI.run(["run", recipe, "-o", half.path, "--overwrite", "--quiet"])
        #expect(over.status == 0, "\(over.stderr)")
        let fresh = top.appendingPathComponent("fresh")
        #expect(try CLI.run(["run", recipe, "-o", fresh.path, "--quiet"]).status == 0)
        #expect(try Self.tree(half).filter { !$0.key.hasPrefix("stats/") } == (try Self.tree(fresh)).filter { !$0.key.hasPrefix("stats/") })
        // a directory that is not a run directory is not written into
        let other = top.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try "keep me".write(to: other.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let notRun = try CLI.run(["run", recipe, "-o", other.path])
        #expect(notRun.status == 2)
        #expect(notRun.stderr.contains("not a run directory"))
        // nor one inside an input directory
        let inside = try CLI.run(["run", recipe, "-o", corpus.appendingPathComponent("out").path])
        #expect(inside.status == 2)
        #expect(inside.stderr.contains("inside the input directory"))
    }

    @Test("a bad recipe is an error before any work, naming the recipe line and the valid choices")
    func badRecipes() throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let cases: [(String, [String])] = [
            ("inputs: [corpus]\nstages:\n  - normalize:\n  - fliter: {rules: [c4]}\n",
             ["recipe.yaml:4:", "unknown stage 'fliter'", "normalize, langid, filter, dedup, tokenize"]),
            ("inputs: [corpus]\nstages:\n  - filter:\n      rule: c4\n",
             ["recipe.yaml:4:", "filter", "unknown option 'rule'", "rules"]),
            ("inputs: [corpus]\nstages:\n  - filter: {rules: {a: 1}}\n",
             ["recipe.yaml:3:", "rules", "mapping"]),
            ("inputs: [corpus]\nstages:\n  - tokenize: {tiktoken: \(Self.gpt2), pattern: gpt2}\n  - normalize:\n",
             ["recipe.yaml:4:", "after tokenize"]),
            ("inputs: [corpus]\nstages:\n  - filter: {rules: [c4, nope]}\n",
             ["recipe.yaml:3:", "unknown rule set nope"]),
            ("inputs: [corpus]\nstages:\n  - langid: {keep: [en, xx]}\n",
             ["recipe.yaml:3:", "'xx' is not a language of the model"]),
            ("inputs: [corpus]\nstages:\n  - normalize: {form: nfx}\n",
             ["recipe.yaml:3:", "form"]),
            ("inputs: [corpus]\nstages:\n  - normalize: {output: x.jsonl}\n",
             ["recipe.yaml:3:", "output"]),
            ("inputs: [nowhere]\nstages:\n  - normalize:\n",
             ["recipe.yaml:1:", "nowhere"]),
            ("inputs: [corpus]\nstages: [normalize: {strip-urls: true}\n",
             ["recipe.yaml:"]),
        ]
        for (text, wants) in cases {
            let recipe = try Self.writeRecipe(top, text)
            let rundir = top.appendingPathComponent("never")
            let r = try CLI.run(["run", recipe, "-o", rundir.path])
            #expect(r.status == 2, "\(text)")
            for w in wants { #expect(r.stderr.contains(w), "\(text)\n→ \(r.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: rundir.path), "a bad recipe made the run directory")
        }
    }

    @Test("relative inputs and tokenizer paths resolve against the recipe's folder, whatever the working directory")
    func relativePaths() throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        try FileManager.default.copyItem(atPath: Self.gpt2, toPath: top.appendingPathComponent("gpt2.tiktoken").path)
        let recipe = try Self.writeRecipe(top, "inputs: corpus\nstages:\n  - tokenize: {tiktoken: gpt2.tiktoken, pattern: gpt2}\n")
        let r = try CLI.run(["run", recipe, "-o", top.appendingPathComponent("out").path, "--quiet"], cwd: URL(fileURLWithPath: "/"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["shards", "verify", top.appendingPathComponent("out/shards").path]).status == 0)
    }

    @Test("when stderr is not a terminal, a subcommand and a run print one progress log line per interval with rate and ETA, and --quiet prints none")
    func progressLogLines() throws {
        let env = ["LLMDATA_PROGRESS_INTERVAL": "0.0001"]
        let f = try CLI.run(["filter", CLI.fixture("sample/en.jsonl"), "--batch-bytes", "4096", "-o", "/dev/null"], env: env)
        #expect(f.status == 0)
        let lines = f.stderr.split(separator: "\n").filter { $0.hasPrefix("llmdata filter: ") }
        #expect(lines.count >= 2, "\(f.stderr)")
        #expect(lines.contains { $0.contains("records") && $0.contains("MB/s") && $0.contains("ETA") })
        #expect(!f.stderr.contains("\u{1B}"), "no terminal escapes in a log")
        let q = try CLI.run(["filter", CLI.fixture("sample/en.jsonl"), "--batch-bytes", "4096", "-o", "/dev/null", "--quiet"], env: env)
        #expect(q.stderr.isEmpty)

        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let recipe = try Self.writeRecipe(top, "inputs: [corpus]\nbatch-bytes: 4096\nstages:\n  - normalize:\n  - filter:\n")
        let r = try CLI.run(["run", recipe, "-o", top.appendingPathComponent("out").path], env: env)
        #expect(r.status == 0)
        let runLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("llmdata run: ") }
        #expect(runLines.count >= 2, "\(r.stderr)")
        // per stage: records each stage kept so far
        #expect(runLines.contains { $0.contains("normalize ") && $0.contains("→ filter ") })
    }

    @Test("a named pipe among a recipe's inputs is refused before any work (hashing it would read it up)")
    func fifoInputRefused() throws {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.fixture("sample/zh-web.jsonl"), toPath: input.appendingPathComponent("a.jsonl").path)
        #expect(mkfifo(input.appendingPathComponent("b.jsonl").path, 0o600) == 0)
        let recipe = try Self.writeRecipe(dir, "inputs: [in]\nstages:\n  - normalize:\n")
        let r = try CLI.run(["run", recipe, "-o", dir.appendingPathComponent("out").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("b.jsonl is not a regular file"), "\(r.stderr)")
    }

    @Test("a run collects the report's data: length histograms at both ends, language bytes and scores, tokens per document, cluster sizes, and the same dropped-record samples for any --jobs")
    func reportData() throws {
        let corpus = try Self.corpus()
        let top = corpus.deletingLastPathComponent()
        let recipe = try Self.writeRecipe(top, "inputs: [corpus]\n" + Self.fiveStages)
        let a = top.appendingPathComponent("a"), b = top.appendingPathComponent("b")
        #expect(try CLI.run(["run", recipe, "-o", a.path, "--quiet", "--jobs", "1"]).status == 0)
        #expect(try CLI.run(["run", recipe, "-o", b.path, "--quiet", "--jobs", "3"]).status == 0)
        func stats(_ dir: URL, _ name: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("stats/\(name).json"))) as! [String: Any]
        }
        func sum(_ c: [String: Any], _ prefix: String) -> Int {
            c.filter { $0.key.hasPrefix(prefix + ".") }.values.reduce(0) { $0 + ($1 as! Int) }
        }
        let first = try stats(a, "01-normalize"), langid = try stats(a, "02-langid"), dedup = try stats(a, "04-dedup"),
            tok = try stats(a, "05-tokenize")
        let c1 = first["counters"] as! [String: Any], cl = langid["counters"] as! [String: Any], ct = tok["counters"] as! [String: Any]
        #expect(sum(c1, "length_in_log2") == first["records_in"] as! Int)
        #expect(sum(ct, "length_out_log2") == tok["records_out"] as! Int)
        #expect(sum(ct, "tokens_per_doc_log2") == tok["documents"] as! Int)
        #expect(sum(cl, "language_score") == langid["records_in"] as! Int)
        #expect(sum(cl, "language") == langid["records_in"] as! Int)
        #expect((cl["language_bytes.en"] as? Int ?? 0) > 100_000)
        // every removed copy belongs to a cluster: sum over sizes of (size - 1) × clusters
        let sizes = dedup["cluster_sizes"] as! [String: Any]
        #expect(sizes.reduce(0) { $0 + (Int($1.key)! - 1) * ($1.value as! Int) } == dedup["records_dropped"] as! Int)
        #expect(!sizes.isEmpty)
        // samples: at most 5 per reason, each with the stage, reason, id, text and metadata
        let lines = try String(contentsOf: a.appendingPathComponent("samples/03-filter.jsonl"), encoding: .utf8).split(separator: "\n")
        var perReason: [String: Int] = [:]
        for l in lines {
            let o = CLI.json(String(l))
            #expect(o["stage"] as? String == "filter")
            perReason[o["reason"] as! String, default: 0] += 1
            #expect((o["metadata"] as? [String: Any])?["filter_reason"] != nil)
        }
        #expect(!perReason.isEmpty && perReason.values.allSatisfy { $0 <= 5 })
        let dropped = (try stats(a, "03-filter"))["dropped"] as! [String: Any]
        #expect(Set(perReason.keys) == Set(dropped.keys))
        for f in ["samples/02-langid.jsonl", "samples/03-filter.jsonl", "samples/04-dedup.jsonl"] {
            #expect(FileManager.default.contents(atPath: a.appendingPathComponent(f).path) == FileManager.default.contents(atPath: b.appendingPathComponent(f).path), "\(f)")
        }
    }
}
