import Foundation
import Testing

@Suite("dedup")
struct DedupTests {
    func write(_ records: [[String: Any]]) throws -> URL {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("in.jsonl")
        let lines = try records.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
        return f
    }

    @Test("exact mode keeps the first of texts equal after case folding, punctuation and space removal, and names it in the removed copies")
    func exact() throws {
        let f = try write([
            ["id": "a", "text": "Hello, World!  The quick brown fox."],
            ["id": "b", "text": "other text"],
            ["id": "c", "text": "hello world the QUICK brown fox"],
            ["id": "d", "text": "ＨＥＬＬＯ　ｗｏｒｌｄ — the quick brown fox…"],
        ])
        let rej = f.deletingLastPathComponent().appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["dedup", f.path, "--rejected", rej])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.map { CLI.json($0)["id"] as? String } == ["a", "b"])
        let kept = CLI.json(r.lines[0])["metadata"] as? [String: Any]
        let d = kept?["dedup"] as? [String: Any]
        #expect(d?["cluster"] as? String == "a")
        #expect((d?["hash"] as? String)?.count == 32)
        let removed = try String(contentsOfFile: rej, encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        #expect(removed.map { $0["id"] as? String } == ["c", "d"])
        for x in removed {
            let dd = (x["metadata"] as? [String: Any])?["dedup"] as? [String: Any]
            #expect(dd?["cluster"] as? String == "a")
            #expect(dd?["hash"] as? String == d?["hash"] as? String)
        }
    }

    @Test("a plain-text record dropped by exact dedup has one dedup key in its metadata, naming the kept record (it once had two)")
    func plainTextDrop() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("t.txt")
        try "hello world\nother\nHello, World!\n".write(to: f, atomically: true, encoding: .utf8)
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["dedup", f.path, "--rejected", rej])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try String(contentsOfFile: rej, encoding: .utf8)
        #expect(line.components(separatedBy: "\"dedup\"").count == 2, "\(line)")
        #expect(line.contains(#""cluster":"t.txt:1""#))
    }

    @Test("minhash dedup with --stats naming a directory fails before its decision pass reads the inputs, and writes nothing")
    func statsDirectoryFailsFirst() throws {
        let dir = try CLI.tempDir()
        let out = dir.appendingPathComponent("out.jsonl").path
        let r = try CLI.run(["dedup", "--mode", "minhash", CLI.fixture("sample"), "--stats", dir.path, "-o", out])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is a directory"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("--digits-to-zero makes texts that differ only in numbers duplicates")
    func digits() throws {
        let f = try write([["id": "1", "text": "Page 12 of 40"], ["id": "2", "text": "Page 13 of 41"]])
        #expect(try CLI.run(["dedup", f.path]).lines.count == 2)
        #expect(try CLI.run(["dedup", f.path, "--digits-to-zero"]).lines.count == 1)
    }

    @Test("minhash mode removes a lightly edited copy, keeps different documents, and works on Chinese by character n-grams")
    func minhash() throws {
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n").prefix(30).map { CLI.json(String($0))["text"] as! String }
        let zh = try String(contentsOfFile: CLI.fixture("sample/zh-web.jsonl"), encoding: .utf8).split(separator: "\n").map { CLI.json(String($0))["text"] as! String }
        var words = en[3].split(separator: " ").map(String.init)
        words[words.count / 2] = "changed"
        let edited = words.joined(separator: " ")
        var zhEdited = zh[1]
        zhEdited.replaceSubrange(zhEdited.index(zhEdited.startIndex, offsetBy: 100)..<zhEdited.index(zhEdited.startIndex, offsetBy: 102), with: "修改")
        var records: [[String: Any]] = en.enumerated().map { ["id": "en\($0.offset)", "text": $0.element] }
        records += zh.enumerated().map { ["id": "zh\($0.offset)", "text": $0.element] }
        records.append(["id": "en3-edited", "text": edited])
        records.append(["id": "zh1-edited", "text": zhEdited])
        let f = try write(records)
        let rej = f.deletingLastPathComponent().appendingPathComponent("rej.jsonl").path
        for jobs in ["1", "2"] {
            let r = try CLI.run(["dedup", "--mode", "minhash", f.path, "--rejected", rej, "--jobs", jobs])
            #expect(r.status == 0, "\(r.stderr)")
            let removed = try String(contentsOfFile: rej, encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
            #expect(removed.map { $0["id"] as? String } == ["en3-edited", "zh1-edited"])
            #expect(removed.map { (($0["metadata"] as? [String: Any])?["dedup"] as? [String: Any])?["cluster"] as? String } == ["en3", "zh1"])
            #expect(r.lines.count == records.count - 2)
        }
    }

    @Test("lines mode removes lines repeated in many documents and keeps the rest of each text")
    func lines() throws {
        let nav = "Home | About us | Contact | Privacy policy"
        let f = try write((0..<4).map { ["id": "\($0)", "text": "\(nav)\nUnique content number \($0) with several words.\nCopyright 2024 Example Corp all rights reserved"] })
        let r = try CLI.run(["dedup", "--mode", "lines", f.path, "--stats", f.deletingLastPathComponent().appendingPathComponent("s.json").path])
        #expect(r.status == 0)
        let texts = r.lines.map { CLI.json($0)["text"] as? String }
        #expect(texts == (0..<4).map { "Unique content number \($0) with several words." })
        let s = CLI.json(try String(contentsOfFile: f.deletingLastPathComponent().appendingPathComponent("s.json").path, encoding: .utf8))
        #expect((s["counters"] as? [String: Int])?["lines_removed"] == 8)
    }

    @Test("zstd on stdin is recognised when the pipe delivers its first bytes alone (the magic was once sniffed from one read)")
    func stdinSplitMagic() throws {
        let input = Data("{\"text\":\"one two three four five six\"}\n{\"text\":\"one two three four five six\"}\n{\"text\":\"other words entirely here now\"}\n".utf8)
        let z = try CLI.zstd(input)
        for k in [1, 2, 3] {
            for args in [["dedup", "--mode", "minhash", "-"], ["dedup", "--mode", "exact", "-"], ["normalize", "-"]] {
                let whole = try CLI.run(args, stdin: input)
                let split = try CLI.run(args, stdin: z, pauseAfter: k)
                #expect(split.status == 0, "\(args) \(k)")
                #expect(split.stdout == whole.stdout, "\(args) \(k)")
                #expect(split.lines.count == (args[0] == "normalize" ? 3 : 2), "\(args) \(k)")
            }
        }
    }

    @Test("every mode reads stdin, plain or zstd-compressed, with the same output, ids and messages as a file")
    func stdinInput() throws {
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n").prefix(40)
        // ids left out so that the default ids (stdin:LINE) show; a near copy, an exact copy, a bad line
        var lines = en.map { l -> String in
            let t = CLI.json(String(l))["text"] as! String
            return String(decoding: try! JSONSerialization.data(withJSONObject: ["text": t]), as: UTF8.self)
        }
        lines.append(lines[3])
        lines.append("not json")
        let input = Data((lines.joined(separator: "\n") + "\n").utf8)
        let dir = try CLI.tempDir()
        let file = dir.appendingPathComponent("stdin")  // default ids of a file named stdin: stdin:LINE
        try input.write(to: file)
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        for mode in ["exact", "minhash", "lines"] {
            let fromFile = try CLI.run(["dedup", "--mode", mode, "--format", "jsonl", file.path], cwd: dir)
            let fromStdin = try CLI.run(["dedup", "--mode", mode, "-"], stdin: input, env: ["TMPDIR": tmp.path])
            #expect(fromStdin.status == 0, "\(mode): \(fromStdin.stderr)")
            #expect(fromStdin.stdout == fromFile.stdout, "\(mode)")
            #expect(fromStdin.stderr.contains("-:42: invalid JSON"), "\(mode): \(fromStdin.stderr)")
            #expect(fromStdin.out.contains("\"id\":\"stdin:1\""), "\(mode)")
        }
        // the copy of stdin is removed afterwards
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        let z = try CLI.run(["dedup", "--mode", "minhash", "-"], stdin: try CLI.zstd(input), env: ["TMPDIR": tmp.path])
        #expect(z.status == 0, "\(z.stderr)")
        #expect(z.stdout == (try CLI.run(["dedup", "--mode", "minhash", "-"], stdin: input)).stdout)
    }

    @Test("bad records are reported and skipped")
    func errors() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("bad.jsonl")
        try "{\"text\":\"a b c\"}\nnot json\n{\"text\":\"A, B. C!\"}\n".write(to: f, atomically: true, encoding: .utf8)
        let b = try CLI.run(["dedup", f.path])
        #expect(b.status == 0)
        #expect(b.lines.count == 1)
        #expect(b.stderr.contains("\(f.path):2: invalid JSON"))
    }

    @Test("the map/reduce steps (signatures per shard, clusters split by band, apply) give the same output as the single-process mode")
    func scaleOutEqualsSingleProcess() throws {
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        // three files; the last repeats edited copies of documents from the first two
        for part in 0..<3 {
            var lines: [String] = []
            for (i, r) in en.enumerated() where i % 3 == part || (part == 2 && i % 10 == 0) {
                var t = r["text"] as! String
                if part == 2 && i % 10 == 0 { t = t.replacingOccurrences(of: " the ", with: " a ", options: [], range: t.range(of: " the ")) }
                let o: [String: Any] = ["id": "p\(part)-\(i)", "text": t]
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            }
            try (lines.joined(separator: "\n") + "\n").write(to: input.appendingPathComponent("part-\(part).jsonl"), atomically: true, encoding: .utf8)
        }
        let single = dir.appendingPathComponent("single.jsonl").path
        let r = try CLI.run(["dedup", "--mode", "minhash", input.path, "-o", single])
        #expect(r.status == 0, "\(r.stderr)")
        let work = dir.appendingPathComponent("work").path
        for i in 0..<2 {
            #expect(try CLI.run(["dedup", "signatures", input.path, "--shard-index", "\(i)", "--shard-count", "2", "-o", work, "--quiet"]).status == 0)
        }
        #expect(try CLI.run(["dedup", "clusters", work, "--band-start", "0", "--band-count", "7"]).status == 0)
        #expect(try CLI.run(["dedup", "clusters", work, "--band-start", "7", "--band-count", "7"]).status == 0)
        let c = try CLI.run(["dedup", "clusters", work])
        #expect(c.status == 0, "\(c.stderr)")
        let applied = dir.appendingPathComponent("applied.jsonl").path
        #expect(try CLI.run(["dedup", "apply", input.path, "--decisions", work, "-o", applied]).status == 0)
        let a = try String(contentsOfFile: single, encoding: .utf8), b = try String(contentsOfFile: applied, encoding: .utf8)
        #expect(a == b)
        #expect(a.split(separator: "\n").count < en.count + 12)  // something was removed

        // signatures of another format version (1: the 64-bit permutation family) are refused,
        // not mixed with these
        let sig = URL(fileURLWithPath: work).appendingPathComponent("signatures-00000.bin")
        var bytes = try Data(contentsOf: sig)
        bytes[8] = 1
        try bytes.write(to: sig)
        let old = try CLI.run(["dedup", "clusters", work])
        #expect(old.status != 0)
        #expect(old.stderr.contains("signatures file version 1"), "\(old.stderr)")
    }
}
