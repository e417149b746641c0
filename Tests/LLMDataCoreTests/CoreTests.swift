import Foundation
import Testing
@testable import LLMDataCore

struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("core")
struct CoreTests {
    @Test("UTF-8 repair replaces maximal ill-formed subparts exactly as Swift's own decoder does")
    func utf8RepairMatchesSwift() {
        var rng = SeededRandom(state: 42)
        let pool: [UInt8] = [0x41, 0x20, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0, 0x8F, 0x90]
        for _ in 0..<20000 {
            let n = Int.random(in: 0..<12, using: &rng)
            let bytes = (0..<n).map { _ in Bool.random(using: &rng) ? pool.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng) }
            let ours = UTF8Repair.repair(bytes)
            let swift = Array(String(decoding: bytes, as: UTF8.self).utf8)
            #expect(ours == swift, "\(bytes)")
        }
    }

    @Test("JSON string escaping round-trips through Foundation's parser")
    func escapingRoundTrips() throws {
        var rng = SeededRandom(state: 7)
        let alphabet: [Character] = ["a", "\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "中", "😀", "/", " ", "\u{2028}"]
        for _ in 0..<2000 {
            let s = String((0..<Int.random(in: 0..<40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            var out: [UInt8] = []
            JSONWriter.appendString(s, to: &out)
            let back = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? String
            #expect(back == s)
        }
    }

    func readAll(_ content: [UInt8], name: String, batchBytes: Int, readSize: Int, txtMode: TxtMode = .line) throws -> [(String, Int)] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(content).write(to: URL(fileURLWithPath: path))
        var opts = ReaderOptions()
        opts.batchBytes = batchBytes
        opts.txtMode = txtMode
        let files = try InputDiscovery.discover([path])
        let r = BatchReader(files: files, options: opts)
        r.readSize = readSize
        var got: [(String, Int)] = []
        try r.run { c in
            for s in c.spans { got.append((String(decoding: c.data[s.start..<s.end], as: UTF8.self), s.line)) }
        }
        return got
    }

    @Test("JSON Lines split the same way whatever the batch and read sizes", arguments: [(1, 1), (7, 3), (64, 16), (1 << 20, 1 << 20)])
    func lineSplitting(sizes: (Int, Int)) throws {
        var rng = SeededRandom(state: 3)
        var lines: [String] = []
        var content = ""
        for i in 0..<300 {
            let kind = Int.random(in: 0..<6, using: &rng)
            if kind == 0 { content += "\n"; continue }
            if kind == 1 { content += "  \r\n"; continue }
            let body = "{\"i\":\(i),\"text\":\"" + String(repeating: "x", count: Int.random(in: 0..<50, using: &rng)) + "\"}"
            lines.append(body)
            content += body + (kind == 2 ? "\r\n" : "\n")
        }
        let got = try readAll(Array(content.utf8), name: "a.jsonl", batchBytes: sizes.0, readSize: sizes.1)
        #expect(got.map(\.0) == lines)
        // line numbers point at the real lines
        // (split bytes: "\r\n" is one Character in Swift)
        let all = content.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        for (text, line) in got { #expect(all[line - 1].hasPrefix(text)) }
    }

    @Test("paragraph mode and arrays split the same way whatever the batch and read sizes", arguments: [(1, 1), (5, 2), (1 << 20, 1 << 20)])
    func paragraphsAndArrays(sizes: (Int, Int)) throws {
        let text = "\n\nfirst para\nstill first\n\n\n second\n\nthird\n"
        let paras = try readAll(Array(text.utf8), name: "p.txt", batchBytes: sizes.0, readSize: sizes.1, txtMode: .paragraph)
        #expect(paras.map(\.0) == ["first para\nstill first", " second", "third"])
        #expect(paras.map(\.1) == [3, 7, 9])
        let arr = "[ {\"text\":\"a]\"},\n {\"text\":\"b\\\"}\", \"x\":[1,{\"y\":2}]} ,{\"text\":\"c\"}]"
        let els = try readAll(Array(arr.utf8), name: "a.json", batchBytes: sizes.0, readSize: sizes.1)
        #expect(els.map { $0.0.trimmingCharacters(in: .whitespaces) } == ["{\"text\":\"a]\"}", "{\"text\":\"b\\\"}\", \"x\":[1,{\"y\":2}]}", "{\"text\":\"c\"}"])
        #expect(els.map(\.1) == [1, 2, 2])
    }

    @Test("zstd and gzip sinks round-trip through the sources")
    func compressionRoundTrip() throws {
        var rng = SeededRandom(state: 11)
        let payload = (0..<300_000).map { _ in UInt8.random(in: 0x20...0x7A, using: &rng) }
        for ext in ["zst", "gz"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString).\(ext)").path
            let sink = try openByteSink(path: path)
            for part in stride(from: 0, to: payload.count, by: 7777) {
                try sink.write(Array(payload[part..<min(part + 7777, payload.count)]))
            }
            try sink.finish()
            let src = try openByteSource(path: path)
            var back: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
                if n == 0 { break }
                back.append(contentsOf: buf[0..<n])
            }
            #expect(back == payload, "\(ext)")
        }
    }
}

/// A stage that annotates, to test metadata merging.
struct AnnotateStage: RecordStage {
    let name = "annotate"
    final class W: RecordWorker {
        func process(_ doc: inout Document) -> Verdict {
            doc.setMetadata("language", .string("xx"))
            doc.setMetadata("score", .double(0.5))
            if doc.metadataString("drop") == "yes" { return .drop(reason: "test:drop", annotation: ("filter_reason", .string("test:drop"))) }
            return .keep
        }
    }
    func makeWorker() throws -> W { W() }
}

@Suite("metadata")
struct MetadataTests {
    @Test("annotations replace existing metadata keys in place, append new ones, and create metadata when absent")
    func merge() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let input = dir.appendingPathComponent("in.jsonl")
        try """
        {"text":"a","id":"1","metadata":{"score":1,"keep":[1,2],"language":"en"},"tail":0}
        {"text":"b","id":"2"}
        {"text":"c","id":"3","metadata":"not an object"}
        {"text":"d","id":"4","metadata":{"drop":"yes"}}

        """.write(to: input, atomically: true, encoding: .utf8)
        var o = RunOptions()
        o.output = dir.appendingPathComponent("out.jsonl").path
        o.rejectedPath = dir.appendingPathComponent("rej.jsonl").path
        o.quiet = true
        let code = StageRunner.run(stage: AnnotateStage(), inputs: [input.path], reader: ReaderOptions(), options: o)
        #expect(code == .success)
        let out = try String(contentsOfFile: o.output!, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(out == [
            #"{"text":"a","id":"1","metadata":{"score":0.5,"keep":[1,2],"language":"xx"},"tail":0}"#,
            #"{"text":"b","id":"2","metadata":{"language":"xx","score":0.5}}"#,
            #"{"text":"c","id":"3","metadata":"not an object","llmdata_metadata":{"language":"xx","score":0.5}}"#,
        ])
        let rej = try String(contentsOfFile: o.rejectedPath!, encoding: .utf8)
        #expect(rej == #"{"text":"d","id":"4","metadata":{"drop":"yes","language":"xx","score":0.5,"filter_reason":"test:drop"}}"# + "\n")
    }
}

final class IDCollector: RecordWorker {
    var batch: [String] = []
    func process(_ doc: inout Document) -> Verdict {
        batch.append(doc.id)
        return .keep
    }
    func finishBatch(_ counters: inout Counters) -> [String] {
        defer { batch = [] }
        return batch
    }
}

@Suite("scans")
struct ScanTests {
    @Test("an ordered scan hands every batch's payload over in input order, whatever the thread count")
    func orderedScan() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var text = ""
        for i in 0..<5000 { text += "{\"id\":\"d\(i)\",\"text\":\"\(String(repeating: "w ", count: i % 50))\"}\n" }
        try text.write(to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        try "{\"text\":\"tail\"}\n".write(to: dir.appendingPathComponent("b.jsonl"), atomically: true, encoding: .utf8)
        var reader = ReaderOptions()
        reader.batchBytes = 4096
        let files = try InputDiscovery.discover([dir.path])
        for jobs in [1, 3] {
            var seen: [String] = []
            var batches = 0
            let (_, stats) = try RecordScanner.scanOrdered(files: files, reader: reader, jobs: jobs, stageName: "t", quiet: true,
                                                          make: { IDCollector() }, consume: { ids, _ in seen += ids; batches += 1 })
            #expect(seen == (0..<5000).map { "d\($0)" } + ["b.jsonl:1"])
            // batches follow --batch-bytes, not the 1 MB read size (the input is about 320 KB)
            #expect(batches > 50)
            #expect(stats.recordsIn == 5001)
        }
    }
}
