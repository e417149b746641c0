import Foundation
import Testing

/// `--shard-index I --shard-count N`: every stage that reads records runs as N independent tasks,
/// task I reading the input files whose number (in the sorted list of all inputs) is I mod N.
@Suite("stages split into tasks")
struct ShardingTests {
    /// The sorted input list of `corpus()`: the three sample files and four generated ones.
    static let files = ["a-noid.jsonl", "b.txt", "en.jsonl", "multilingual.jsonl", "sub/c-noid.jsonl", "sub/d.json", "sub/e.jsonl.zst", "zh-web.jsonl"]

    /// The output name directory mode gives each input (`--compression none`).
    static func stem(_ f: String) -> String {
        var s = f
        for ext in [".zst", ".jsonl", ".json", ".txt"] where s.hasSuffix(ext) { s.removeLast(ext.count) }
        return s + ".jsonl"
    }

    /// DIR/in: fixtures/sample plus records without ids (their ids are RELPATH:LINE) in plain text,
    /// JSON Lines (one in a subdirectory, one zstd-compressed, one with a line that is not JSON)
    /// and a JSON array.
    static func corpus() throws -> (dir: URL, input: String) {
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        let fm = FileManager.default
        try fm.createDirectory(at: input.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for f in ["en.jsonl", "multilingual.jsonl", "zh-web.jsonl"] {
            try fm.copyItem(atPath: CLI.fixture("sample/" + f), toPath: input.appendingPathComponent(f).path)
        }
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        let ml = try String(contentsOfFile: CLI.fixture("sample/multilingual.jsonl"), encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        func line(_ o: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
        }
        func text(_ r: [String: Any]) -> String { r["text"] as! String }
        var a = try en[0..<12].map { try line(["text": text($0)]) }
        a.insert("{\"text\": broken", at: 5)
        try (a.joined(separator: "\n") + "\n").write(to: input.appendingPathComponent("a-noid.jsonl"), atomically: true, encoding: .utf8)
        let b = en[20..<40].map { text($0).split(separator: "\n").first.map(String.init) ?? "x" }
        try (b.joined(separator: "\n") + "\n").write(to: input.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        let c = try ml.enumerated().filter { $0.offset % 7 == 0 }.map { try line(["text": text($0.element), "metadata": ["source": "c"]]) }
        try (c.joined(separator: "\n") + "\n").write(to: input.appendingPathComponent("sub/c-noid.jsonl"), atomically: true, encoding: .utf8)
        let d = try JSONSerialization.data(withJSONObject: en[50..<58].map { ["text": text($0)] }, options: [.sortedKeys])
        try d.write(to: input.appendingPathComponent("sub/d.json"))
        let e = try en[60..<75].map { try line(["text": text($0)]) }
        try CLI.zstd(Data((e.joined(separator: "\n") + "\n").utf8)).write(to: input.appendingPathComponent("sub/e.jsonl.zst"))
        return (dir, input.path)
    }

    static func data(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    static func task(_ i: Int, of n: Int) -> [String] { ["--shard-index", String(i), "--shard-count", String(n)] }

    /// Runs `stage` over the corpus once in one process and as three tasks, each to stdout (a
    /// file) and all into one output directory, and checks the tasks' outputs against the
    /// single run's byte for byte.
    func checkSplitEqualsWhole(_ stage: [String]) throws {
        let (dir, input) = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ n: String) -> String { dir.appendingPathComponent(n).path }
        let common = ["--compression", "none", "--quiet", "--jobs", "2"]
        var r = try CLI.run(stage + [input, "-o", p("whole.jsonl"), "--rejected", p("whole.rejected.jsonl")] + common)
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(stage + [input, "-o", p("whole") + "/"] + common)
        #expect(r.status == 0, "\(r.stderr)")
        for t in 0..<3 {
            r = try CLI.run(stage + [input, "-o", p("task-\(t).jsonl"), "--rejected", p("task-\(t).rejected.jsonl")] + common + Self.task(t, of: 3))
            #expect(r.status == 0, "\(r.stderr)")
            // every task writes into the same directory
            r = try CLI.run(stage + [input, "-o", p("tasks") + "/"] + common + Self.task(t, of: 3))
            #expect(r.status == 0, "task \(t): \(r.stderr)")
        }
        // the one-process run: its directory outputs, in input order, are its stdout output
        let perFile = Self.files.map { Self.data(p("whole") + "/" + Self.stem($0)) }
        #expect(perFile.reduce(Data(), +) == Self.data(p("whole.jsonl")))
        #expect(perFile.filter { !$0.isEmpty }.count >= 5)
        // each task's stdout holds its own files' records; the union ordered by input file is the
        // one-process output
        var union = [Data](repeating: Data(), count: Self.files.count)
        var rejected = Data()
        for t in 0..<3 {
            let mine = Self.files.indices.filter { $0 % 3 == t }
            #expect(Self.data(p("task-\(t).jsonl")) == mine.map { perFile[$0] }.reduce(Data(), +), "task \(t)")
            for k in mine { union[k] = Self.data(p("tasks") + "/" + Self.stem(Self.files[k])) }
            rejected += Self.data(p("task-\(t).rejected.jsonl"))
        }
        #expect(union.reduce(Data(), +) == Self.data(p("whole.jsonl")))
        for k in Self.files.indices { #expect(union[k] == perFile[k], "\(Self.files[k])") }
        // the bad line of a-noid.jsonl (file 0) is task 0's
        #expect(String(decoding: Self.data(p("task-0.rejected.jsonl")), as: UTF8.self).split(separator: "\n")
            .contains { CLI.json(String($0))["text"] as? String == "{\"text\": broken" })
        #expect(rejected.count == Self.data(p("whole.rejected.jsonl")).count)
        // ids assigned to records without one come from their own file (RELPATH:LINE), as in one
        // process, in the tasks that do not start with file 0
        let later = String(decoding: Self.data(p("task-1.jsonl")) + Self.data(p("task-2.jsonl")), as: UTF8.self)
        #expect(["b.txt", "sub/c-noid.jsonl", "sub/d.json", "sub/e.jsonl.zst"].contains { later.contains("\"id\":\"\($0):") })
        // each task keeps its own record of the directory; none claims the whole of it
        #expect(!FileManager.default.fileExists(atPath: p("tasks/llmdata.json")))
        for t in 0..<3 {
            let side = CLI.json(try String(contentsOfFile: p("tasks/llmdata.task-\(t)-of-3.json"), encoding: .utf8))
            let outs = (side["outputs"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(outs == Self.files.indices.filter { $0 % 3 == t }.map { Self.stem(Self.files[$0]) })
            #expect((side["task"] as? [String: Any])?["count"] as? Int == 3)
        }
    }

    @Test("normalize as three tasks writes, file by file, what one process writes")
    func normalizeSplit() throws { try checkSplitEqualsWhole(["normalize"]) }

    @Test("filter as three tasks writes, file by file, what one process writes")
    func filterSplit() throws { try checkSplitEqualsWhole(["filter"]) }

    @Test("langid as three tasks writes, file by file, what one process writes")
    func langidSplit() throws { try checkSplitEqualsWhole(["langid", "--keep", "en,zh,de,fr,es,ja"]) }

    /// Each document of a shard directory: its record id and its token ids, as `shards decode`
    /// prints them.
    func documents(_ dir: String) throws -> [(id: String, tokens: String)] {
        let manifest = CLI.json(try String(contentsOfFile: dir + "/manifest.json", encoding: .utf8))
        let n = manifest["documents"] as? Int ?? 0
        return try (0..<n).map { k in
            let r = try CLI.run(["shards", "decode", dir, "--doc", String(k), "--ids"])
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stderr.components(separatedBy: ": id ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return (id, r.out)
        }
    }

    @Test("tokenize as three tasks encodes every document as one process does, each task into its own shard directory")
    func tokenizeSplit() throws {
        let (dir, input) = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ n: String) -> String { dir.appendingPathComponent(n).path }
        let tok = ["tokenize", input, "--tiktoken", CLI.fixture("tokenize/gpt2.tiktoken"), "--pattern", "gpt2", "--ids", "--quiet",
                   "--tokens-per-shard", "20000"]
        var r = try CLI.run(tok + ["-o", p("whole")])
        #expect(r.status == 0, "\(r.stderr)")
        for t in 0..<3 {
            r = try CLI.run(tok + ["-o", p("task-\(t)")] + Self.task(t, of: 3))
            #expect(r.status == 0, "\(r.stderr)")
        }
        // which input file a record id belongs to: the sample files' own ids, else RELPATH:LINE
        var fileOf: [String: Int] = [:]
        for (k, f) in Self.files.enumerated() where !f.contains("noid") && f.hasSuffix(".jsonl") {
            for l in try String(contentsOfFile: input + "/" + f, encoding: .utf8).split(separator: "\n") {
                if let id = CLI.json(String(l))["id"] as? String { fileOf[id] = k }
            }
        }
        func file(_ id: String) -> Int {
            if let k = fileOf[id] { return k }
            let rel = id.split(separator: ":").dropLast().joined(separator: ":")
            return Self.files.firstIndex(of: rel) ?? -1
        }
        let whole = try documents(p("whole"))
        #expect(whole.count > 400)
        #expect(whole.map { file($0.id) } == whole.map { file($0.id) }.sorted())  // input order
        #expect(!whole.contains { file($0.id) < 0 })
        var union: [[(id: String, tokens: String)]] = Array(repeating: [], count: Self.files.count)
        for t in 0..<3 {
            let docs = try documents(p("task-\(t)"))
            #expect(!docs.isEmpty)
            for d in docs {
                #expect(file(d.id) % 3 == t, "task \(t) holds \(d.id)")
                if file(d.id) >= 0 { union[file(d.id)].append(d) }
            }
        }
        let joined = union.flatMap { $0 }
        #expect(joined.map(\.id) == whole.map(\.id))
        #expect(joined.map(\.tokens) == whole.map(\.tokens))
        #expect(joined.contains { $0.id.hasPrefix("sub/d.json:") })
    }

    @Test("tokenize tasks given one shard directory: the second refuses it and leaves the first task's shards intact")
    func tokenizeTasksShareNoDirectory() throws {
        let (dir, input) = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("shards").path
        let tok = ["tokenize", input, "--tiktoken", CLI.fixture("tokenize/gpt2.tiktoken"), "--pattern", "gpt2", "--quiet", "-o", out]
        #expect(try CLI.run(tok + Self.task(0, of: 3)).status == 0)
        let r = try CLI.run(tok + Self.task(1, of: 3) + ["--overwrite"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("task 0 of 3") && r.stderr.contains("its own shard directory"), "\(r.stderr)")
        #expect(try CLI.run(["shards", "verify", out]).status == 0)
        // the same task again replaces its own set; a one-process run may take the directory over
        #expect(try CLI.run(tok + Self.task(0, of: 3) + ["--overwrite"]).status == 0)
        #expect(try CLI.run(tok + ["--overwrite"]).status == 0)
        #expect(try CLI.run(tok + Self.task(1, of: 3) + ["--overwrite"]).status == 0)
    }

    @Test("a task of a directory-mode run leaves other tasks' outputs, records and temporary files alone, even with --overwrite")
    func directoryTasksKeepToTheirFiles() throws {
        let (dir, input) = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path + "/"
        let run = ["normalize", input, "-o", out, "--quiet", "--compression", "none"]
        #expect(try CLI.run(run + Self.task(0, of: 3)).status == 0)
        // a temporary file of task 2's (en.jsonl is file 2) written on another machine, whose PID
        // means nothing here
        let foreignTmp = out + "en.jsonl.tmp-999999"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: foreignTmp))
        let first = Self.data(out + "a-noid.jsonl")
        let r = try CLI.run(run + Self.task(1, of: 3) + ["--overwrite"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: foreignTmp))
        #expect(Self.data(out + "a-noid.jsonl") == first && !first.isEmpty)
        #expect(FileManager.default.fileExists(atPath: out + ".llmdata/a-noid.json"))
        #expect(FileManager.default.fileExists(atPath: out + "llmdata.task-0-of-3.json"))
        // task 0 run again reuses its outputs
        let again = try CLI.run(["normalize", input, "-o", out, "--compression", "none"] + Self.task(0, of: 3))
        #expect(again.status == 0)
        #expect(again.stderr.components(separatedBy: "is complete").count - 1 == 3, "\(again.stderr)")
        // task 2 clears its own dead writer's file
        #expect(try CLI.run(run + Self.task(2, of: 3)).status == 0)
        #expect(!FileManager.default.fileExists(atPath: foreignTmp))
        // split another way, the complete outputs are reused: the shard flags do not shape them
        let two = try CLI.run(["normalize", input, "-o", out, "--compression", "none"] + Self.task(1, of: 2))
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.components(separatedBy: "is complete").count - 1 == 4, "\(two.stderr)")
        // and the task records are not read back as inputs
        let next = try CLI.run(["normalize", out, "-o", "-", "--quiet"])
        #expect(next.status == 0)
        #expect(!next.out.contains("llmdata_version"))
        // one process over the same directory reuses every output and claims the whole of it
        let whole = try CLI.run(["normalize", input, "-o", out, "--compression", "none"])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stderr.components(separatedBy: "is complete").count - 1 == 8, "\(whole.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "llmdata.json"))
        #expect(!FileManager.default.fileExists(atPath: out + "llmdata.task-0-of-3.json"))
    }

    @Test("bad shard flags exit 2 with a message naming them, in every stage that reads records")
    func badShardFlags() throws {
        let input = CLI.fixture("sample/zh-web.jsonl")
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stages: [[String]] = [
            ["normalize"], ["filter"], ["langid"], ["dedup"], ["dedup", "apply", "--decisions", dir.path],
            ["dedup", "signatures", "-o", dir.path], ["bpe", "count", "-o", dir.appendingPathComponent("c.bin").path],
            ["tokenize", "--tiktoken", CLI.fixture("tokenize/gpt2.tiktoken"), "-o", dir.appendingPathComponent("s").path],
        ]
        for s in stages {
            for (i, n) in [(3, 3), (-1, 2), (0, 0), (5, 2)] {
                let r = try CLI.run(s + [input, "--shard-index", String(i), "--shard-count", String(n)])
                #expect(r.status == 2, "\(s) \(i)/\(n)")
                #expect(r.stderr.contains("--shard-"), "\(s): \(r.stderr)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("s").path))
    }

    @Test("reading stdin as one of several tasks exits 2; as the only task it runs")
    func stdinIsNotSplit() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = Data("{\"text\":\"Hello world, this is a test.\"}\n".utf8)
        let stages: [[String]] = [
            ["normalize"], ["filter"], ["langid"], ["bpe", "count", "-o", dir.appendingPathComponent("c.bin").path],
            ["tokenize", "--tiktoken", CLI.fixture("tokenize/gpt2.tiktoken"), "-o", dir.appendingPathComponent("s").path],
        ]
        for s in stages {
            for args in [["--shard-index", "1", "--shard-count", "2"], ["-", "--shard-index", "0", "--shard-count", "2"]] {
                let r = try CLI.run(s + args, stdin: record)
                #expect(r.status == 2, "\(s)")
                #expect(r.stderr.contains("standard input cannot be split"), "\(s): \(r.stderr)")
            }
            let one = try CLI.run(s + ["--shard-index", "0", "--shard-count", "1", "--quiet"], stdin: record)
            #expect(one.status == 0, "\(s): \(one.stderr)")
        }
        #expect(try CLI.run(["normalize", "--quiet"], stdin: record).out.contains("Hello world"))
    }

    @Test("dedup run refuses to split (each task would keep the duplicates of other tasks' files) and points to signatures, clusters and apply")
    func dedupRunRefusesShards() throws {
        let (dir, input) = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path + "/"
        for mode in ["exact", "minhash", "lines"] {
            let r = try CLI.run(["dedup", input, "--mode", mode, "-o", out] + Self.task(1, of: 3))
            #expect(r.status == 2, "\(mode)")
            #expect(r.stderr.contains("dedup signatures") && r.stderr.contains("dedup apply"), "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        // one task of one is the whole run
        let one = try CLI.run(["dedup", input, "-o", dir.appendingPathComponent("one.jsonl").path, "--quiet"] + Self.task(0, of: 1))
        #expect(one.status == 0, "\(one.stderr)")
    }

    @Test("dedup signatures and apply as tasks number records as one process does, so the tasks' outputs equal dedup --mode minhash")
    func dedupScaleOutTasks() throws {
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        // four files, without ids; each file after the first repeats documents of the one before it
        for part in 0..<4 {
            var lines: [String] = []
            for (i, r) in en.enumerated() where i % 4 == part || (part > 0 && i % 4 == part - 1 && i % 3 == 0) {
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: ["text": r["text"] as! String]), as: UTF8.self))
            }
            try (lines.joined(separator: "\n") + "\n").write(to: input.appendingPathComponent("part-\(part).jsonl"), atomically: true, encoding: .utf8)
        }
        func p(_ n: String) -> String { dir.appendingPathComponent(n).path }
        var r = try CLI.run(["dedup", "--mode", "minhash", input.path, "-o", p("single") + "/", "--compression", "none", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        for t in 0..<3 {
            r = try CLI.run(["dedup", "signatures", input.path, "-o", p("work"), "--quiet"] + Self.task(t, of: 3))
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try CLI.run(["dedup", "clusters", p("work")]).status == 0)
        for t in 0..<3 {
            r = try CLI.run(["dedup", "apply", input.path, "--decisions", p("work"), "-o", p("applied") + "/", "--compression", "none", "--quiet"]
                            + Self.task(t, of: 3))
            #expect(r.status == 0, "\(r.stderr)")
        }
        var removed = 0
        for part in 0..<4 {
            let a = Self.data(p("single") + "/part-\(part).jsonl"), b = Self.data(p("applied") + "/part-\(part).jsonl")
            #expect(a == b, "part-\(part)")
            if part > 0 { removed += en.count / 4 + 1 - String(decoding: b, as: UTF8.self).split(separator: "\n").count }
        }
        #expect(removed > 0)  // duplicates across files (and tasks) were removed
    }

    @Test("bpe train and sample read all their inputs and refuse to run as one of several tasks")
    func wholeInputCommandsRefuse() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try CLI.run(["bpe", "train", CLI.fixture("sample/en.jsonl"), "--vocab-size", "300", "-o", dir.appendingPathComponent("t.json").path]
                            + Self.task(0, of: 2))
        #expect(t.status == 2)
        #expect(t.stderr.contains("bpe count") && t.stderr.contains("--counts"), "\(t.stderr)")
        let s = try CLI.run(["sample", CLI.fixture("sample/en.jsonl")] + Self.task(0, of: 2))
        #expect(s.status == 2)
        #expect(s.stderr.contains("--shard-count 2"), "\(s.stderr)")
    }

    @Test("a recipe refuses the task flags: they split one command's inputs")
    func recipeRefusesShardKeys() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recipe = dir.appendingPathComponent("r.yaml")
        try "inputs: \(CLI.fixture("sample/zh-web.jsonl"))\nshard-index: 1\nstages:\n  - normalize\n".write(to: recipe, atomically: true, encoding: .utf8)
        var r = try CLI.run(["run", recipe.path, "-o", dir.appendingPathComponent("run").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("'shard-index' is not a recipe key"), "\(r.stderr)")
        try "inputs: \(CLI.fixture("sample/zh-web.jsonl"))\nstages:\n  - normalize: {shard-count: 2}\n".write(to: recipe, atomically: true, encoding: .utf8)
        r = try CLI.run(["run", recipe.path, "-o", dir.appendingPathComponent("run").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("'shard-count' is not a recipe option"), "\(r.stderr)")
    }
}
