import Foundation
import Testing
import LLMDataBPETraining

enum Bin {
    static let path: String = {
        if let b = ProcessInfo.processInfo.environment["LLMDATA_BIN"], FileManager.default.isExecutableFile(atPath: b) { return b }
        for p in [".build/debug/llmdata", ".build/release/llmdata"] where FileManager.default.isExecutableFile(atPath: Repo.path(p)) {
            return Repo.path(p)
        }
        return Repo.path(".build/debug/llmdata")
    }()

    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        final class Box: @unchecked Sendable { var d = Data() }
        let e = Box()
        let done = DispatchSemaphore(value: 0)
        Thread { e.d = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        done.wait()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e.d, as: UTF8.self))
    }
}

@Suite("bpe CLI")
struct BPECLITests {
    @Test("bpe train writes HF's tokenizer.json, tiktoken ranks and --stats")
    func train() throws {
        let dir = try Repo.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("tok.json").path
        let tt = dir.appendingPathComponent("tok.tiktoken").path
        let st = dir.appendingPathComponent("stats.json").path
        let r = try Bin.run(["bpe", "train"] + Repo.sampleInputs + ["--vocab-size", "1000", "--special", "<|endoftext|>", "--special", "<|pad|>",
                                                                   "-o", out, "--tiktoken", tt, "--stats", st, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.contents(atPath: out) == FileManager.default.contents(atPath: Repo.path("fixtures/bpe/hf/cl100k-1000-special.json")))
        let lines = String(decoding: FileManager.default.contents(atPath: tt) ?? Data(), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 998)
        #expect(lines.first == "IQ== 2")  // "!" has id 2 after the two special tokens
        let stats = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: st)!) as! [String: Any]
        #expect((stats["unique_words"] as? Int ?? 0) > 0)
        #expect((stats["phase_seconds"] as? [String: Any])?["merges"] != nil)
        #expect((stats["peak_rss_bytes"] as? Int ?? 0) > 0)
        // one thread gives the same file
        let one = dir.appendingPathComponent("one.json").path
        #expect(try Bin.run(["bpe", "train"] + Repo.sampleInputs + ["--vocab-size", "1000", "--special", "<|endoftext|>", "--special", "<|pad|>",
                                                                   "-o", one, "--jobs", "1", "--quiet"]).status == 0)
        #expect(FileManager.default.contents(atPath: one) == FileManager.default.contents(atPath: out))
    }

    @Test("bpe count shards + train --counts equal training on the inputs")
    func countShards() throws {
        let dir = try Repo.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [String] = []
        for i in 0..<2 {
            let c = dir.appendingPathComponent("c\(i).bin").path
            let r = try Bin.run(["bpe", "count"] + Repo.sampleInputs + ["--pattern", "o200k", "--shard-index", "\(i)", "--shard-count", "2", "-o", c, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            files.append(c)
        }
        let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
        #expect(try Bin.run(["bpe", "train", "--pattern", "o200k", "--counts"] + files + ["--vocab-size", "900", "--min-frequency", "3", "--special", "<s>", "-o", a, "--quiet"]).status == 0)
        #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: Repo.path("fixtures/bpe/hf/o200k-900-min3.json")))
        // counts made with another pattern are refused
        let r = try Bin.run(["bpe", "train", "--pattern", "gpt2", "--counts"] + files + ["--vocab-size", "900", "-o", b, "--quiet"])
        #expect(r.status != 0 && r.stderr.contains("o200k"))
        #expect(!FileManager.default.fileExists(atPath: b))
    }

    @Test("bad records are reported as file:line and skipped; --strict fails")
    func badInput() throws {
        let dir = try Repo.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl").path
        try "{\"text\": \"hello hello world\"}\n{\"text\": broken\n{\"id\": 3}\n{\"text\": \"world hello\"}\n".write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("t.json").path
        let r = try Bin.run(["bpe", "train", input, "--vocab-size", "260", "-o", out, "--quiet"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("in.jsonl:2:") && r.stderr.contains("in.jsonl:3:"))
        #expect(FileManager.default.fileExists(atPath: out))
        let s = try Bin.run(["bpe", "train", input, "--vocab-size", "260", "-o", out + "2", "--quiet", "--strict"])
        #expect(s.status == 1)
        #expect(!FileManager.default.fileExists(atPath: out + "2"))
    }
}

@Suite("counts order")
struct CountsOrderTests {
    @Test("sortByBytes orders words by their raw bytes (shared 8-byte prefixes, zero bytes, the empty word) and the table still finds every word")
    func sortByBytes() throws {
        let words: [[UInt8]] = [Array("abcdefghZ".utf8), Array("abcdefgh".utf8), Array("abcdefghA".utf8), [0x61], [0x61, 0], [0x61, 0, 0],
                                [0xFF], [0xC3, 0xA9], Array("Ġthe".utf8), Array(" the".utf8), [], Array("abcdefghAB".utf8), [0x7F, 0x80]]
        let wc = WordCounts(capacity: 4)
        for (i, w) in words.enumerated() { w.withUnsafeBufferPointer { wc.add($0, UInt64(i + 1)) } }
        wc.sortByBytes()
        let sorted = words.sorted { $0.lexicographicallyPrecedes($1) }
        #expect((0..<wc.count).map { Array(wc.word($0)) } == sorted)
        for e in 0..<wc.count {
            let i = words.firstIndex(of: Array(wc.word(e)))!
            #expect(wc.count(of: e) == UInt64(i + 1))
        }
        // adding again finds each word at its new place
        for w in words { w.withUnsafeBufferPointer { wc.add($0, 100) } }
        #expect(wc.count == words.count)
        for e in 0..<wc.count { #expect(wc.count(of: e) == UInt64(words.firstIndex(of: Array(wc.word(e)))! + 101)) }
        // many words, added in two different orders, end in the same order
        let many = (0..<5000).map { i in Array("w\(i * 7919 % 5003)-\(i % 13)".utf8) }
        let a = WordCounts(), b = WordCounts()
        for w in many { w.withUnsafeBufferPointer { a.add($0) } }
        for w in many.reversed() { w.withUnsafeBufferPointer { b.add($0) } }
        a.sortByBytes()
        b.sortByBytes()
        #expect(a.count == b.count)
        let same = (0..<a.count).allSatisfy { Array(a.word($0)) == Array(b.word($0)) && a.count(of: $0) == b.count(of: $0) }
        #expect(same)
        // sorting again changes nothing
        a.sortByBytes()
        #expect((0..<a.count).allSatisfy { Array(a.word($0)) == Array(b.word($0)) })
    }
}
