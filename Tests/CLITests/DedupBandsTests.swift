import Foundation
import Testing

/// Band-partitioned signatures (docs/perf/minhash-bands.md): `dedup signatures` writes one
/// `band-BBB-IIIII.bin` per band beside `signatures-IIIII.bin`, and a band task reads only its bands.
@Suite struct DedupBandsTests {
    /// Three input files with ids, the last repeating edited copies of documents of the first two,
    /// and a scratch directory.
    static func inputs() throws -> (dir: URL, input: URL) {
        let en = try String(contentsOfFile: CLI.fixture("sample/en.jsonl"), encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        let dir = try CLI.tempDir()
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        for part in 0..<3 {
            var lines: [String] = []
            for (i, r) in en.enumerated() where i % 3 == part || (part == 2 && i % 5 == 0) {
                var t = r["text"] as! String
                if part == 2 && i % 5 == 0, let the = t.range(of: " the ") { t = t.replacingCharacters(in: the, with: " a ") }
                let o: [String: Any] = ["id": "p\(part)-\(i)", "text": t]
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            }
            try (lines.joined(separator: "\n") + "\n").write(to: input.appendingPathComponent("part-\(part).jsonl"), atomically: true, encoding: .utf8)
        }
        return (dir, input)
    }

    static func signatures(_ input: URL, _ work: String, tasks n: Int) throws {
        for i in 0..<n {
            let r = try CLI.run(["dedup", "signatures", input.path, "-o", work, "--quiet", "--shard-index", "\(i)", "--shard-count", "\(n)"])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    static func bands(_ work: String, _ start: Int, _ count: Int) throws -> CLI.Result {
        try CLI.run(["dedup", "clusters", work, "--band-start", "\(start)", "--band-count", "\(count)"])
    }

    @Test("band tasks over any split of the bands, unioned, give the decisions of one process and the output of dedup --mode minhash")
    func bandSplitsEqualOneProcess() throws {
        let (dir, input) = try Self.inputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = dir.appendingPathComponent("one").path
        try Self.signatures(input, one, tasks: 3)
        // without pair files, the merge runs all bands itself from the signatures
        let c = try CLI.run(["dedup", "clusters", one])
        #expect(c.status == 0, "\(c.stderr)")
        let expected = try Data(contentsOf: URL(fileURLWithPath: one + "/decisions.jsonl"))
        #expect(String(decoding: expected, as: UTF8.self).contains("removed_for"))  // something was removed

        for (k, split) in [[(0, 14)], [(0, 1), (1, 3), (4, 5), (9, 5)], (0..<14).map { ($0, 1) }].enumerated() {
            let work = dir.appendingPathComponent("split-\(k)").path
            try Self.signatures(input, work, tasks: k == 0 ? 1 : 3)
            for (start, count) in split {
                let r = try Self.bands(work, start, count)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(FileManager.default.fileExists(atPath: work + String(format: "/pairs-%03d-%03d.bin", start, count)))
            }
            let m = try CLI.run(["dedup", "clusters", work])
            #expect(m.status == 0, "\(m.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/decisions.jsonl")) == expected, "split \(split)")
        }

        let single = dir.appendingPathComponent("single.jsonl").path
        let s = try CLI.run(["dedup", "--mode", "minhash", input.path, "-o", single])
        #expect(s.status == 0, "\(s.stderr)")
        let applied = dir.appendingPathComponent("applied.jsonl").path
        let a = try CLI.run(["dedup", "apply", input.path, "--decisions", dir.appendingPathComponent("split-1").path, "-o", applied])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: single)) == Data(contentsOf: URL(fileURLWithPath: applied)))
    }

    @Test("a band task reads only its bands' files: with another band's file deleted or corrupted it succeeds, and the task needing that file fails naming it")
    func bandTaskReadsOnlyItsBands() throws {
        let (dir, input) = try Self.inputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, tasks: 2)
        for band in 0..<14 {
            for task in 0..<2 {
                #expect(FileManager.default.fileExists(atPath: work + String(format: "/band-%03d-%05d.bin", band, task)))
            }
        }
        try FileManager.default.removeItem(atPath: work + "/band-003-00001.bin")
        let corrupt = URL(fileURLWithPath: work + "/band-005-00000.bin")
        var bytes = try Data(contentsOf: corrupt)
        for i in 0..<8 { bytes[i] = 0x58 }
        try bytes.write(to: corrupt)
        // the band tasks never read ids: a signatures file cut short in its ids does not stop them
        let sig = URL(fileURLWithPath: work + "/signatures-00000.bin")
        let whole = try Data(contentsOf: sig)
        try whole.dropLast(3).write(to: sig)

        for (start, count) in [(0, 3), (4, 1), (6, 8)] {
            let r = try Self.bands(work, start, count)
            #expect(r.status == 0, "bands \(start)..<\(start + count): \(r.stderr)")
        }
        let missing = try Self.bands(work, 3, 1)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("band-003-00001.bin") && missing.stderr.contains("missing"), "\(missing.stderr)")
        #expect(missing.stderr.contains("--shard-index 1 --shard-count 2"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/pairs-003-001.bin"))
        let bad = try Self.bands(work, 4, 2)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("band-005-00000.bin") && bad.stderr.contains("not a band file"), "\(bad.stderr)")

        // with the task run again, the missing bands run; the merge reads the ids, so it notices a cut
        try Self.signatures(input, work, tasks: 2)
        for (start, count) in [(3, 1), (5, 1)] { #expect(try Self.bands(work, start, count).status == 0) }
        try whole.dropLast(3).write(to: sig)
        let cut = try CLI.run(["dedup", "clusters", work])
        #expect(cut.status == 2)
        #expect(cut.stderr.contains("signatures-00000.bin") && cut.stderr.contains("truncated"), "\(cut.stderr)")
        try whole.write(to: sig)
        let merged = try CLI.run(["dedup", "clusters", work])
        #expect(merged.status == 0, "\(merged.stderr)")
    }

    @Test("a band file left by another run of its task is refused, naming it")
    func staleBandFile() throws {
        let (dir, input) = try Self.inputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, tasks: 1)
        let band = URL(fileURLWithPath: work + "/band-002-00000.bin")
        let old = try Data(contentsOf: band)
        // the same inputs give the same files
        try Self.signatures(input, work, tasks: 1)
        #expect(try Data(contentsOf: band) == old)
        // other inputs: the old band file no longer belongs to the signatures
        try "{\"id\":\"new\",\"text\":\"one more document, with a few more words than one\"}\n"
            .write(to: input.appendingPathComponent("part-3.jsonl"), atomically: true, encoding: .utf8)
        try Self.signatures(input, work, tasks: 1)
        try old.write(to: band)
        #expect(try Self.bands(work, 0, 2).status == 0)
        let r = try Self.bands(work, 2, 1)
        #expect(r.status == 2)
        #expect(r.stderr.contains("band-002-00000.bin") && r.stderr.contains("another run of task 0"), "\(r.stderr)")
    }

    @Test("the merge refuses pair files that leave bands out, naming them")
    func mergeNeedsEveryBand() throws {
        let (dir, input) = try Self.inputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, tasks: 2)
        #expect(try Self.bands(work, 0, 7).status == 0)
        #expect(try Self.bands(work, 8, 6).status == 0)
        let r = try CLI.run(["dedup", "clusters", work])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no pairs file covers band 7 of 14"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/decisions.jsonl"))
        #expect(try Self.bands(work, 7, 1).status == 0)
        let ok = try CLI.run(["dedup", "clusters", work])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("a band task compares a record with at most the first 8 earlier members of its bucket, as one process does: 20 copies give 124 pairs a band")
    func bucketCap() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl")
        let text = "the quick brown fox jumps over the lazy dog near the river bank on a sunny day in june"
        var lines = (0..<20).map { "{\"id\":\"c\($0)\",\"text\":\"\(text)\"}" }
        lines.append("{\"id\":\"other\",\"text\":\"a completely different text about something else entirely\"}")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let work = dir.appendingPathComponent("work").path
        try Self.signatures(input, work, tasks: 1)
        // 1 + 2 + ... + 8 for the copies 1 to 8, then 8 each for the 11 after them
        let one = try Self.bands(work, 0, 1)
        #expect(one.out.contains("124 verified pairs"), "\(one.out) \(one.stderr)")
        let rest = try Self.bands(work, 1, 13)
        #expect(rest.out.contains("\(13 * 124) verified pairs"), "\(rest.out) \(rest.stderr)")
        let m = try CLI.run(["dedup", "clusters", work])
        #expect(m.out.contains("19 records to remove in 1 clusters"), "\(m.out) \(m.stderr)")
    }
}
