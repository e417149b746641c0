import Foundation
import LLMDataCore

/// Map/reduce steps of MinHash dedup for many machines (docs/scale-out.md):
///
/// 1. `dedup signatures INPUT... --shard-index i --shard-count n -o DIR` — the input files whose
///    number (in the sorted list of all inputs) is i mod n; writes `DIR/signatures-IIIII.bin`.
/// 2. `dedup clusters DIR [--band-start b --band-count c]` — with a band range, the verified pairs
///    of those bands (`DIR/pairs-BBB-CCC.bin`); without, the decisions from all pair files (or, when
///    there are none, from the signatures directly): `DIR/decisions.jsonl`.
/// 3. `dedup apply INPUT... --decisions DIR [--shard-index i --shard-count n]` — drops and
///    annotates like the single-process mode (a task: its share of the files, numbered as in all).
///
/// Records are numbered by position (file number in the sorted list of all inputs, line), so every
/// step agrees on input order and the result equals `dedup --mode minhash` over the same inputs.
public enum ScaleOut {
    static let sigMagic = Array("LLMDSIGS".utf8)
    static let pairMagic = Array("LLMDPAIR".utf8)
    /// 2: 32-bit permutations over rolling shingle values (1 was the 64-bit multiply-shift family
    /// over XXH3 of each shingle; its signatures do not mix with these).
    static let sigVersion: UInt32 = 2

    struct SignatureSet {
        var bands: Int
        var rows: Int
        var positions: [UInt64] = []
        var ids: [String] = []
        var empty: [Bool] = []
        var signatures: [UInt32] = []
        var fingerprint: InputFingerprint?
    }

    /// Step 1.
    /// The task is `reader.share` (`--shard-index/--shard-count`, `TaskShare`): its files keep their
    /// numbers in the list of all inputs, so positions are those of a one-process run.
    public static func signatures(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: DedupOptions,
                                  outDir: String, run: RunOptions) throws -> Int {
        let all = try InputDiscovery.discover(inputs, formatOverride: format)
        if all.contains(where: { $0.path == "-" }) { throw LLMDataError("dedup signatures reads files, not stdin") }
        let files = try reader.share.select(all)
        var fingerprint = try InputFingerprint(files: all, options: options)
        fingerprint.shardIndex = reader.share.index
        fingerprint.shardCount = reader.share.count
        var o = options
        o.mode = .minhash
        var set = SignatureSet(bands: options.minhash.bands, rows: options.minhash.rows)
        let perms = options.minhash.permutations
        if !files.isEmpty {
            _ = try RecordScanner.scanOrdered(
                files: files, reader: reader, jobs: run.jobs, stageName: "dedup signatures", strict: run.strict, quiet: run.quiet,
                maxWarnings: run.maxWarnings, make: { try FactsVisitor(options: o) },
                consume: { f, _ in
                    for k in 0..<f.positions.count {
                        set.positions.append(f.positions[k])
                        set.ids.append(f.ids[k])
                        set.empty.append(f.empty[k])
                        set.signatures.append(contentsOf: f.signatures[(k * perms)..<((k + 1) * perms)])
                    }
                })
        }
        var out: [UInt8] = sigMagic
        appendLE(sigVersion, &out)
        appendLE(UInt32(set.bands), &out)
        appendLE(UInt32(set.rows), &out)
        appendLE(UInt64(set.positions.count), &out)
        for k in 0..<set.positions.count {
            appendLE(set.positions[k], &out)
            out.append(set.empty[k] ? 1 : 0)
            let id = Array(set.ids[k].utf8)
            appendLE(UInt32(id.count), &out)
            out.append(contentsOf: id)
            for v in set.signatures[(k * perms)..<((k + 1) * perms)] { appendLE(v, &out) }
        }
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let base = (outDir as NSString).appendingPathComponent(String(format: "signatures-%05d", reader.share.index))
        let sink = try FDSink(path: base + ".bin")
        try sink.write(out)
        try sink.finish()
        // after the signatures: a fingerprint beside them means they are complete
        try fingerprint.write(base + ".json")
        return set.positions.count
    }

    /// The fingerprint all signatures files in `dir` share; refuses a missing task, a file without
    /// a fingerprint, and files made from other inputs or options, naming the first difference.
    static func checkSignatures(dir: String, names: [String]) throws -> InputFingerprint {
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir)
        var seen: [(name: String, fp: InputFingerprint)] = []
        for name in names {
            let json = String(name.dropLast(4)) + ".json"
            guard entries.contains(json) else {
                throw LLMDataError("\(dir)/\(name) has no \(json) (the input fingerprint): it was made by an older llmdata",
                                   hint: "run `llmdata dedup signatures` again with this version")
            }
            let fp = try InputFingerprint.read((dir as NSString).appendingPathComponent(json))
            guard let i = fp.shardIndex, let n = fp.shardCount, name == String(format: "signatures-%05d.bin", i) else {
                throw LLMDataError("\(dir)/\(json) does not name the task of \(name)")
            }
            if let (first, f0) = seen.first {
                if f0.shardCount != n {
                    throw LLMDataError("\(dir): \(name) was made as one of \(n) tasks, \(first) as one of \(f0.shardCount ?? 0)",
                                       hint: "run every `dedup signatures` task with the same --shard-count")
                }
                if let (opt, a, b) = fp.optionDifference(from: f0) {
                    throw LLMDataError("\(dir): \(name) and \(first) were made with other options: option \(opt) \(a) vs \(b)",
                                       hint: "run every `dedup signatures` task with the same dedup options")
                }
                if fp.files.count != f0.files.count {
                    throw LLMDataError("\(dir): \(name) was made from \(fp.files.count) input files, \(first) from \(f0.files.count)",
                                       hint: "run every `dedup signatures` task over the same inputs")
                }
                if let d = fp.fileDifference(from: f0) {
                    throw LLMDataError("\(dir): \(name) was made from other input files than \(first): \(d)",
                                       hint: "run every `dedup signatures` task over the same inputs")
                }
            }
            seen.append((name, fp))
        }
        let n = seen[0].fp.shardCount ?? 1
        let present = Set(seen.compactMap { $0.fp.shardIndex })
        let missing = (0..<n).filter { !present.contains($0) }
        if !missing.isEmpty {
            let list = missing.prefix(10).map { String(format: "signatures-%05d.bin", $0) }.joined(separator: ", ")
            throw LLMDataError("\(dir): signatures of task\(missing.count == 1 ? "" : "s") \(missing.prefix(10).map(String.init).joined(separator: ", "))\(missing.count > 10 ? ", ..." : "") of \(n) missing (\(list)\(missing.count > 10 ? ", ..." : ""))",
                               hint: "run `llmdata dedup signatures --shard-index I --shard-count \(n)` for each missing task")
        }
        var fp = seen[0].fp
        fp.shardIndex = nil
        fp.shardCount = nil
        return fp
    }

    static func loadSignatures(dir: String) throws -> SignatureSet {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("signatures-") && $0.hasSuffix(".bin") }.sorted()
        if names.isEmpty { throw LLMDataError("\(dir): no signatures-*.bin files", hint: "run `llmdata dedup signatures` first") }
        let fingerprint = try checkSignatures(dir: dir, names: names)
        var set: SignatureSet?
        var records: [(UInt64, String, Bool, ArraySlice<UInt32>)] = []
        for name in names {
            let path = (dir as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { throw LLMDataError("\(path): cannot read") }
            let b = Array(data)
            guard b.count >= 28, Array(b[0..<8]) == sigMagic else { throw LLMDataError("\(path): not a signatures file") }
            var p = 8
            let version = readLE(b, &p, UInt32.self)
            guard version == sigVersion else {
                throw LLMDataError("\(path): signatures file version \(version), this llmdata reads version \(sigVersion)",
                                   hint: "run `llmdata dedup signatures` again with this version")
            }
            let bands = Int(readLE(b, &p, UInt32.self)), rows = Int(readLE(b, &p, UInt32.self))
            let count = Int(readLE(b, &p, UInt64.self))
            if set == nil { set = SignatureSet(bands: bands, rows: rows) }
            guard set!.bands == bands && set!.rows == rows else { throw LLMDataError("\(path): made with other --bands/--rows") }
            let perms = bands * rows
            for _ in 0..<count {
                guard p + 13 <= b.count else { throw LLMDataError("\(path): truncated") }
                let pos = readLE(b, &p, UInt64.self)
                let empty = b[p] != 0
                p += 1
                let n = Int(readLE(b, &p, UInt32.self))
                guard p + n + 4 * perms <= b.count else { throw LLMDataError("\(path): truncated") }
                let id = String(decoding: b[p..<(p + n)], as: UTF8.self)
                p += n
                var sig = [UInt32](repeating: 0, count: perms)
                for i in 0..<perms { sig[i] = readLE(b, &p, UInt32.self) }
                records.append((pos, id, empty, sig[...]))
            }
        }
        // input order across shards
        records.sort { $0.0 < $1.0 }
        var s = set!
        s.fingerprint = fingerprint
        for r in records {
            s.positions.append(r.0)
            s.ids.append(r.1)
            s.empty.append(r.2)
            s.signatures.append(contentsOf: r.3)
        }
        return s
    }

    static func index(_ s: SignatureSet, options: DedupOptions, bands: Range<Int>?, keepPairs: Bool) -> MinHashIndex {
        var m = options.minhash
        m.bands = s.bands
        m.rows = s.rows
        let idx = MinHashIndex(options: m, bands: bands, keepPairs: keepPairs)
        let perms = s.bands * s.rows
        for k in 0..<s.positions.count {
            idx.add(position: s.positions[k], id: s.ids[k], empty: s.empty[k], signature: s.signatures[(k * perms)..<((k + 1) * perms)])
        }
        return idx
    }

    /// Step 2 for a band range: the verified pairs of those bands.
    public static func pairs(dir: String, options: DedupOptions, bandStart: Int, bandCount: Int) throws -> Int {
        let s = try loadSignatures(dir: dir)
        guard bandStart >= 0, bandCount >= 1, bandStart + bandCount <= s.bands else {
            throw LLMDataError("--band-start/--band-count must lie within 0..<\(s.bands)")
        }
        let idx = index(s, options: options, bands: bandStart..<(bandStart + bandCount), keepPairs: true)
        var out = pairMagic
        appendLE(UInt64(idx.pairs.count), &out)
        for (a, b) in idx.pairs {
            appendLE(s.positions[Int(a)], &out)
            appendLE(s.positions[Int(b)], &out)
        }
        let sink = try FDSink(path: (dir as NSString).appendingPathComponent(String(format: "pairs-%03d-%03d.bin", bandStart, bandCount)))
        try sink.write(out)
        try sink.finish()
        return idx.pairs.count
    }

    /// Step 2 without a band range: decisions from the pair files, or from all bands at once.
    public static func clusters(dir: String, options: DedupOptions) throws -> (removed: Int, clusters: Int) {
        let s = try loadSignatures(dir: dir)
        let d = Decisions()
        let pairFiles = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("pairs-") && $0.hasSuffix(".bin") }.sorted()
        if pairFiles.isEmpty {
            index(s, options: options, bands: nil, keepPairs: false).resolve(into: d)
        } else {
            var ordinal: [UInt64: Int] = [:]
            for (k, p) in s.positions.enumerated() { ordinal[p] = k }
            var uf = UnionFind()
            for _ in s.positions { _ = uf.add() }
            for name in pairFiles {
                let path = (dir as NSString).appendingPathComponent(name)
                let b = Array(FileManager.default.contents(atPath: path) ?? Data())
                guard b.count >= 16, Array(b[0..<8]) == pairMagic else { throw LLMDataError("\(path): not a pairs file") }
                var p = 8
                let n = Int(readLE(b, &p, UInt64.self))
                guard b.count == 16 + 16 * n else { throw LLMDataError("\(path): truncated") }
                for _ in 0..<n {
                    let x = readLE(b, &p, UInt64.self), y = readLE(b, &p, UInt64.self)
                    guard let i = ordinal[x], let j = ordinal[y] else { throw LLMDataError("\(path): pair names a record not in the signatures") }
                    uf.union(i, j)
                }
            }
            d.record(clusters: &uf, positions: s.positions, ids: s.ids)
        }
        try s.fingerprint?.write((dir as NSString).appendingPathComponent("decisions.json"))
        try writeAtomically(d.jsonLines(), to: (dir as NSString).appendingPathComponent("decisions.jsonl"))
        return (d.removed.count, d.clusters)
    }

    /// Step 3.
    public static func apply(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: DedupOptions,
                             decisionsDir: String, run: RunOptions) -> ExitCode {
        do {
            let path = (decisionsDir as NSString).appendingPathComponent("decisions.jsonl")
            guard FileManager.default.fileExists(atPath: path) else {
                throw LLMDataError("\(path): cannot read", hint: "run `llmdata dedup clusters` first")
            }
            let fpPath = (decisionsDir as NSString).appendingPathComponent("decisions.json")
            guard FileManager.default.fileExists(atPath: fpPath) else {
                throw LLMDataError("\(fpPath): missing (the input fingerprint of the decisions): they were made by an older llmdata",
                                   hint: "run `llmdata dedup clusters` again with this version")
            }
            let made = try InputFingerprint.read(fpPath)
            let here = try InputFingerprint(files: InputDiscovery.discover(inputs, formatOverride: format), options: options)
            if let diff = here.fileDifference(from: made) {
                throw LLMDataError("the inputs differ from those the decisions in \(decisionsDir) were made from (\(made.files.count) files, now \(here.files.count)): \(diff)",
                                   hint: "apply the decisions to the same inputs `dedup signatures` read")
            }
            let d = try Decisions(jsonLines: path)
            var o = options
            o.mode = .minhash
            var r = run
            r.overwrite = true
            return StageRunner.run(stage: ApplyStage(options: o, decisions: d, decideSeconds: 0), inputs: inputs, format: format, reader: reader, options: r)
        } catch {
            return Diagnostics.exitCode(for: error, stage: "dedup apply")
        }
    }
}

@inline(__always) func appendLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
    withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
}

@inline(__always) func readLE<T: FixedWidthInteger>(_ b: [UInt8], _ p: inout Int, _: T.Type) -> T {
    let v = b.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: p, as: T.self)) }
    p += MemoryLayout<T>.size
    return v
}
