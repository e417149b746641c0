import Foundation
import Testing

/// `llmdata bpe count` writes its words in one documented order (raw bytes ascending, docs/bpe.md
/// "Counts file"), so its file depends only on the counts: not on --jobs, the run, or how the
/// worker threads happened to share the batches.
@Suite("bpe count output is deterministic")
struct BPECountDeterminismTests {
    /// The sample fixtures; small batches so that several worker threads each count a part.
    static let inputs = [CLI.fixture("sample/en.jsonl"), CLI.fixture("sample/multilingual.jsonl"), CLI.fixture("sample/zh-web.jsonl"),
                         CLI.fixture("bpe/multilingual.jsonl")]
    static let batch = ["--batch-bytes", "4096"]

    /// A counts file's pattern name and (word, count) entries in file order.
    static func parse(_ data: Data) throws -> (pattern: String, words: [([UInt8], UInt64)]) {
        let b = [UInt8](data)
        var pos = 0
        func le(_ n: Int) throws -> UInt64 {
            guard pos + n <= b.count else { throw CocoaError(.fileReadCorruptFile) }
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(b[pos + k]) << (8 * k) }
            pos += n
            return v
        }
        guard b.count >= 8, Array(b[0..<8]) == Array("LLMBPEC1".utf8) else { throw CocoaError(.fileReadCorruptFile) }
        pos = 8
        let nameLen = Int(try le(4))
        let name = String(decoding: b[pos..<pos + nameLen], as: UTF8.self)
        pos += nameLen
        let n = try le(8)
        var words: [([UInt8], UInt64)] = []
        for _ in 0..<n {
            let c = try le(8)
            let len = Int(try le(4))
            guard pos + len <= b.count else { throw CocoaError(.fileReadCorruptFile) }
            words.append((Array(b[pos..<pos + len]), c))
            pos += len
        }
        guard pos == b.count else { throw CocoaError(.fileReadCorruptFile) }
        return (name, words)
    }

    /// The counts file of `words` in the documented order (bytes ascending).
    static func serialize(pattern: String, _ words: [[UInt8]: UInt64]) -> Data {
        var out = Array("LLMBPEC1".utf8)
        func le(_ v: UInt64, _ n: Int) { for k in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
        let name = Array(pattern.utf8)
        le(UInt64(name.count), 4)
        out += name
        le(UInt64(words.count), 8)
        for w in words.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            le(words[w]!, 8)
            le(UInt64(w.count), 4)
            out += w
        }
        return Data(out)
    }

    /// Runs `bpe count` and returns the file it wrote.
    static func count(_ inputs: [String], _ extra: [String], in dir: URL, _ name: String) throws -> Data {
        let out = dir.appendingPathComponent(name).path
        let r = try CLI.run(["bpe", "count"] + inputs + batch + extra + ["-o", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    @Test("bpe count writes byte-identical files for --jobs 1, 2 and 4 and on every run, words in ascending byte order")
    func jobsAndRuns() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try Self.count(Self.inputs, ["--jobs", "1"], in: dir, "j1.bin")
        for (j, run) in [(2, 1), (2, 2), (4, 1), (4, 2), (1, 2)] {
            let other = try Self.count(Self.inputs, ["--jobs", "\(j)"], in: dir, "j\(j)-\(run).bin")
            let same = other == one  // (outside #expect: a failing Data comparison would be diffed byte by byte)
            #expect(same, "--jobs \(j), run \(run) differs from --jobs 1")
        }
        let (pattern, words) = try Self.parse(one)
        #expect(pattern == "cl100k")
        #expect(words.count > 1000)
        // the documented order: each word's bytes sort before the next one's
        let ascending = zip(words, words.dropFirst()).allSatisfy { $0.0.lexicographicallyPrecedes($1.0) }
        #expect(ascending, "words are not in ascending byte order")
    }

    @Test("bpe count as tasks (whole files or split files): each task's file is the same for any --jobs, and the tasks' counts add up to one process's file byte for byte",
          arguments: [3, 7])
    func shards(n: Int) throws {
        // 4 files: 3 tasks take whole files (file k to task k mod 3), 7 tasks split the files by line.
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try Self.count(Self.inputs, ["--jobs", "2"], in: dir, "whole.bin")
        var sum: [[UInt8]: UInt64] = [:]
        for i in 0..<n {
            let flags = ["--shard-index", "\(i)", "--shard-count", "\(n)"]
            let a = try Self.count(Self.inputs, flags + ["--jobs", "1"], in: dir, "s\(i)-j1.bin")
            let b = try Self.count(Self.inputs, flags + ["--jobs", "4"], in: dir, "s\(i)-j4.bin")
            let c = try Self.count(Self.inputs, flags + ["--jobs", "4"], in: dir, "s\(i)-j4b.bin")
            let same = a == b && b == c
            #expect(same, "task \(i) of \(n): the file depends on --jobs or on the run")
            let (pattern, words) = try Self.parse(a)
            #expect(pattern == "cl100k")
            let ascending = zip(words, words.dropFirst()).allSatisfy { $0.0.lexicographicallyPrecedes($1.0) }
            #expect(ascending, "task \(i) of \(n): words are not in ascending byte order")
            for (w, c) in words { sum[w, default: 0] += c }
        }
        let sameAsWhole = Self.serialize(pattern: "cl100k", sum) == whole
        #expect(sameAsWhole, "the tasks' counts summed and written in byte order differ from one process's file")
    }
}
