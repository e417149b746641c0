import CXXHash
import Foundation
import LLMDataCore

/// Map/reduce steps of MinHash dedup for many machines (docs/scale-out.md, docs/perf/minhash-bands.md):
///
/// 1. `dedup signatures INPUT... --shard-index i --shard-count n -o DIR` — the input files whose
///    number (in the sorted list of all inputs) is i mod n; writes `DIR/signatures-IIIII.bin`, one
///    `DIR/band-BBB-IIIII.bin` per band, and last `DIR/signatures-IIIII.json` (the fingerprint).
/// 2. `dedup clusters DIR [--band-start b --band-count c]` — with a band range, the verified pairs
///    of those bands (`DIR/pairs-BBB-CCC.bin`), reading only those bands' files and the signatures
///    of candidate pairs; without, the decisions from all pair files (which must cover every band;
///    when there are none, from the signatures directly): `DIR/decisions.jsonl`.
/// 3. `dedup apply INPUT... --decisions DIR [--shard-index i --shard-count n]` — drops and
///    annotates like the single-process mode (a task: its share of the files, numbered as in all).
///
/// Records are numbered by position (file number in the sorted list of all inputs, line), so every
/// step agrees on input order and the result equals `dedup --mode minhash` over the same inputs.
///
/// Files (version 3, little-endian; B bands, R rows, P = B·R values per signature; N records of the
/// task, in input order; offsets in bytes):
///
///     signatures-IIIII.bin (task IIIII)
///       0        8      magic "LLMDSIGS"
///       8        4      version (u32) = 3
///       12       4      B (u32)
///       16       4      R (u32)
///       20       8      N (u64)
///       28       8      content hash (u64): XXH3-64 of the positions section, with that as seed
///                       of the flags section, with that as seed of the signatures section
///       36       8·N    positions (u64, ascending: file number << 40 | line)
///       36+8N    N      empty-key flags (u8; 1: in no band)
///       36+9N    4·P·N  signatures: record k's P values (u32) at 36 + 9N + 4·P·k
///       …        4·N    id lengths (u32)
///       …        Σ      id bytes (UTF-8), concatenated; the file ends there
///
///     band-BBB-IIIII.bin (band BBB of task IIIII)
///       0        8      magic "LLMDBAND"
///       8        4      version (u32) = 3
///       12       4      band (u32)
///       16       4      R (u32)
///       20       8      M (u64): records with a non-empty key
///       28       8      content hash of signatures-IIIII.bin (ties the two to one run of the task)
///       36       M·(12+4R)  per record, in input order: position (u64), record number k in
///                       signatures-IIIII.bin (u32), the band's R values (u32); the file ends there
///
///     pairs-BBB-CCC.bin (bands BBB..<BBB+CCC)
///       0        8      magic "LLMDPAIR"
///       8        8      count (u64)
///       16       16·count  verified pairs: earlier position (u64), later position (u64)
///
/// Who reads what: a band task reads every task's band file of its bands (12 + 4R bytes a record;
/// it keeps 24 a record: band key, position, task, record number), the headers of the signatures
/// files, and with pread the signatures of the members of buckets with two or more members (to
/// verify candidates by estimated Jaccard over all P values, as MinHashIndex does); never the ids.
/// The merge reads positions and ids of the signatures files and the pair files, not the
/// signature values; without pair files it reads everything.
public enum ScaleOut {
    static let sigMagic = Array("LLMDSIGS".utf8)
    static let bandMagic = Array("LLMDBAND".utf8)
    static let pairMagic = Array("LLMDPAIR".utf8)
    /// 3: sections (positions, flags, fixed-stride signatures, ids) and band files beside them.
    /// 2: records of position, flag, id and signature, one after another; 32-bit permutations over
    /// rolling shingle values (1 was the 64-bit multiply-shift family over XXH3 of each shingle;
    /// its signatures do not mix with these).
    static let sigVersion: UInt32 = 3
    static let headerSize = 36

    static func signaturesName(_ task: Int) -> String { String(format: "signatures-%05d.bin", task) }
    static func bandName(_ band: Int, _ task: Int) -> String { String(format: "band-%03d-%05d.bin", band, task) }

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
        let bands = options.minhash.bands, rows = options.minhash.rows
        let perms = options.minhash.permutations
        var positions: [UInt64] = [], ids: [String] = [], empty: [UInt8] = [], sigs: [UInt32] = []
        if !files.isEmpty {
            _ = try RecordScanner.scanOrdered(
                files: files, reader: reader, jobs: run.jobs, stageName: "dedup signatures", strict: run.strict, quiet: run.quiet,
                maxWarnings: run.maxWarnings, make: { try FactsVisitor(options: o) },
                consume: { f, _ in
                    positions.append(contentsOf: f.positions)
                    ids.append(contentsOf: f.ids)
                    for e in f.empty { empty.append(e ? 1 : 0) }
                    sigs.append(contentsOf: f.signatures)
                })
        }
        let n = positions.count
        for k in 1..<max(n, 1) where positions[k - 1] >= positions[k] {
            throw LLMDataError("dedup signatures: records out of input order at \(positions[k])")
        }
        guard n < 1 << 32 else {
            throw LLMDataError("dedup signatures: \(n) records in one task (at most 2^32)", hint: "run more tasks (--shard-count)")
        }
        // what band files must agree with: positions, flags and signatures
        var hash: UInt64 = 0
        withLittleEndianBytes(positions) { hash = XXH3_64bits($0.baseAddress, $0.count) }
        empty.withUnsafeBytes { hash = XXH3_64bits_withSeed($0.baseAddress, $0.count, hash) }
        withLittleEndianBytes(sigs) { hash = XXH3_64bits_withSeed($0.baseAddress, $0.count, hash) }

        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let task = reader.share.index
        let base = (outDir as NSString).appendingPathComponent(String(format: "signatures-%05d", task))
        // until the new fingerprint is written, the task counts as missing
        if unlink(base + ".json") != 0 && errno != ENOENT {
            throw LLMDataError("\(base).json: cannot remove: \(String(cString: strerror(errno)))")
        }
        var sinks: [FDSink] = []
        do {
            let sink = try FDSink(path: base + ".bin")
            sinks.append(sink)
            var head = sigMagic
            appendLE(sigVersion, &head)
            appendLE(UInt32(bands), &head)
            appendLE(UInt32(rows), &head)
            appendLE(UInt64(n), &head)
            appendLE(hash, &head)
            try sink.write(head)
            try writeLE(positions, to: sink)
            try sink.write(empty)
            try writeLE(sigs, to: sink)
            var chunk: [UInt8] = []
            chunk.reserveCapacity(1 << 20)
            for id in ids {
                appendLE(UInt32(id.utf8.count), &chunk)
                if chunk.count >= 1 << 20 { try sink.write(chunk); chunk.removeAll(keepingCapacity: true) }
            }
            for id in ids {
                chunk.append(contentsOf: id.utf8)
                if chunk.count >= 1 << 20 { try sink.write(chunk); chunk.removeAll(keepingCapacity: true) }
            }
            try sink.write(chunk)

            var nonEmpty = 0
            for e in empty where e == 0 { nonEmpty += 1 }
            let rec = 12 + 4 * rows, per = max(1, (1 << 20) / rec)
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: per * rec, alignment: 8)
            defer { buf.deallocate() }
            for band in 0..<bands {
                let sink = try FDSink(path: (outDir as NSString).appendingPathComponent(bandName(band, task)))
                sinks.append(sink)
                var head = bandMagic
                appendLE(sigVersion, &head)
                appendLE(UInt32(band), &head)
                appendLE(UInt32(rows), &head)
                appendLE(UInt64(nonEmpty), &head)
                appendLE(hash, &head)
                try sink.write(head)
                var used = 0
                try sigs.withUnsafeBufferPointer { s in
                    for k in 0..<n where empty[k] == 0 {
                        let o = used * rec
                        buf.storeBytes(of: positions[k].littleEndian, toByteOffset: o, as: UInt64.self)
                        buf.storeBytes(of: UInt32(k).littleEndian, toByteOffset: o + 8, as: UInt32.self)
                        let v = s.baseAddress! + k * perms + band * rows
                        for j in 0..<rows { buf.storeBytes(of: v[j].littleEndian, toByteOffset: o + 12 + 4 * j, as: UInt32.self) }
                        used += 1
                        if used == per {
                            try sink.write(UnsafeRawBufferPointer(rebasing: buf[0..<(used * rec)]))
                            used = 0
                        }
                    }
                }
                try sink.write(UnsafeRawBufferPointer(rebasing: buf[0..<(used * rec)]))
            }
            try FDSink.finishTogether(sinks)
        } catch {
            for s in sinks { s.abort() }
            throw error
        }
        // band files of this task beyond --bands (an earlier run with more bands)
        let stale = "-" + String(format: "%05d", task) + ".bin"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: outDir)) ?? []
        where name.hasPrefix("band-") && name.hasSuffix(stale) {
            if let b = Int(name.dropFirst(5).dropLast(stale.count)), b >= bands {
                try? FileManager.default.removeItem(atPath: (outDir as NSString).appendingPathComponent(name))
            }
        }
        // after the signatures and band files: a fingerprint beside them means they are complete
        try fingerprint.write(base + ".json")
        return n
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

    /// A task's signatures file, open for reading by offset (header checked).
    final class TaskFile {
        let path: String
        let name: String
        let task: Int
        let fd: Int32
        let size: Int
        let bands: Int
        let rows: Int
        let count: Int
        let hash: UInt64
        var perms: Int { bands * rows }
        var signaturesOffset: Int { headerSize + 9 * count }
        var idLengthsOffset: Int { signaturesOffset + 4 * perms * count }
        var idBytesOffset: Int { idLengthsOffset + 4 * count }

        init(dir: String, task: Int) throws {
            name = signaturesName(task)
            path = (dir as NSString).appendingPathComponent(name)
            self.task = task
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw LLMDataError("\(path): cannot open: \(String(cString: strerror(errno)))") }
            var st = stat()
            _ = fstat(fd, &st)
            size = Int(st.st_size)
            var h = [UInt8](repeating: 0, count: headerSize)
            let got = size >= 12 ? min(size, headerSize) : 0
            if got > 0 { try ScaleOut.read(fd, path, &h, got, at: 0) }
            guard got >= 12, Array(h[0..<8]) == sigMagic else {
                close(fd)
                throw LLMDataError("\(path): not a signatures file")
            }
            var p = 8
            let version = readLE(h, &p, UInt32.self)
            guard version == sigVersion else {
                close(fd)
                throw LLMDataError("\(path): signatures file version \(version), this llmdata reads version \(sigVersion)",
                                   hint: "run `llmdata dedup signatures` again with this version")
            }
            bands = Int(readLE(h, &p, UInt32.self))
            rows = Int(readLE(h, &p, UInt32.self))
            count = Int(readLE(h, &p, UInt64.self))
            hash = readLE(h, &p, UInt64.self)
            guard size >= headerSize, count <= size, size >= headerSize + (9 + 4 * bands * rows + 4) * count else {
                close(fd)
                throw LLMDataError("\(path): truncated")
            }
        }

        deinit { close(fd) }

        func array<T: FixedWidthInteger>(_ n: Int, at offset: Int, _: T.Type) throws -> [T] {
            var a = [T](repeating: 0, count: n)
            try a.withUnsafeMutableBytes { try ScaleOut.read(fd, path, $0.baseAddress!, $0.count, at: offset) }
            #if _endian(big)
            for i in 0..<n { a[i] = T(littleEndian: a[i]) }
            #endif
            return a
        }

        func positions() throws -> [UInt64] {
            let p = try array(count, at: headerSize, UInt64.self)
            for k in 1..<max(count, 1) where p[k - 1] >= p[k] { throw LLMDataError("\(path): positions out of input order (corrupt)") }
            return p
        }

        func emptyFlags() throws -> [UInt8] { try array(count, at: headerSize + 8 * count, UInt8.self) }

        func ids() throws -> [String] {
            let lengths = try array(count, at: idLengthsOffset, UInt32.self)
            var out: [String] = []
            out.reserveCapacity(count)
            var off = idBytesOffset, k = 0
            var chunk: [UInt8] = []
            while k < count {
                var end = k, bytes = 0
                while end < count && (end == k || bytes + Int(lengths[end]) <= 1 << 20) {
                    bytes += Int(lengths[end])
                    end += 1
                }
                guard off + bytes <= size else { throw LLMDataError("\(path): truncated") }
                if chunk.count < bytes { chunk = [UInt8](repeating: 0, count: bytes) }
                try chunk.withUnsafeMutableBytes { try ScaleOut.read(fd, path, $0.baseAddress!, bytes, at: off) }
                var p = 0
                for j in k..<end {
                    let l = Int(lengths[j])
                    out.append(String(decoding: chunk[p..<(p + l)], as: UTF8.self))
                    p += l
                }
                off += bytes
                k = end
            }
            guard off == size else { throw LLMDataError("\(path): \(size - off) bytes after the ids (corrupt)") }
            return out
        }

        /// Signatures of records k..<k+n into `into` (n·P values).
        func signatures(_ k: Int, _ n: Int, into: UnsafeMutablePointer<UInt32>) throws {
            try ScaleOut.read(fd, path, UnsafeMutableRawPointer(into), 4 * perms * n, at: signaturesOffset + 4 * perms * k)
            #if _endian(big)
            for i in 0..<(n * perms) { into[i] = UInt32(littleEndian: into[i]) }
            #endif
        }
    }

    /// All tasks' signatures files of `dir`, their fingerprints checked (every task present, same
    /// inputs and options) and their headers read; nothing else of them.
    struct TaskSet {
        var fingerprint: InputFingerprint
        var files: [TaskFile]
        var bands: Int
        var rows: Int
    }

    static func openTasks(dir: String) throws -> TaskSet {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
            $0.hasPrefix("signatures-") && $0.hasSuffix(".bin") && $0.dropFirst(11).dropLast(4).allSatisfy { $0.isASCII && $0.isNumber }
        }.sorted()
        if names.isEmpty { throw LLMDataError("\(dir): no signatures-*.bin files", hint: "run `llmdata dedup signatures` first") }
        let fingerprint = try checkSignatures(dir: dir, names: names)
        let n = names.count
        raiseOpenFileLimit(n + 64)
        var files: [TaskFile] = []
        for t in 0..<n { files.append(try TaskFile(dir: dir, task: t)) }
        let f0 = files[0]
        for f in files where f.bands != f0.bands || f.rows != f0.rows {
            throw LLMDataError("\(f.path): made with other --bands/--rows than \(f0.name)")
        }
        guard f0.bands == fingerprint.options.bands && f0.rows == fingerprint.options.rows else {
            throw LLMDataError("\(f0.path): \(f0.bands) bands of \(f0.rows) rows, its fingerprint says \(fingerprint.options.bands) of \(fingerprint.options.rows)")
        }
        return TaskSet(fingerprint: fingerprint, files: files, bands: f0.bands, rows: f0.rows)
    }

    /// The records of all tasks in input order, as runs of consecutive records of one task.
    static func mergeRuns(_ positions: [[UInt64]]) -> [(task: Int, range: Range<Int>)] {
        var heads = [Int](repeating: 0, count: positions.count)
        var runs: [(task: Int, range: Range<Int>)] = []
        while true {
            // the task with the smallest next position; the smallest next position of the others
            var best = -1, bestPos = UInt64.max, second = UInt64.max
            for t in 0..<positions.count where heads[t] < positions[t].count {
                let p = positions[t][heads[t]]
                if best < 0 || p < bestPos {
                    second = min(second, bestPos)
                    best = t
                    bestPos = p
                } else {
                    second = min(second, p)
                }
            }
            if best < 0 { return runs }
            let p = positions[best]
            var e = heads[best] + 1
            while e < p.count && p[e] < second { e += 1 }
            runs.append((best, heads[best]..<e))
            heads[best] = e
        }
    }

    /// Positions and ids of all records in input order (the merge's share of the signatures files).
    static func records(_ s: TaskSet) throws -> (positions: [UInt64], ids: [String]) {
        var perTask: [[UInt64]] = []
        var perTaskIDs: [[String]] = []
        for f in s.files {
            perTask.append(try f.positions())
            perTaskIDs.append(try f.ids())
        }
        var positions: [UInt64] = [], ids: [String] = []
        let total = perTask.reduce(0) { $0 + $1.count }
        positions.reserveCapacity(total)
        ids.reserveCapacity(total)
        for (t, r) in mergeRuns(perTask) {
            positions.append(contentsOf: perTask[t][r])
            ids.append(contentsOf: perTaskIDs[t][r])
        }
        perTask = []
        perTaskIDs = []
        for k in 1..<max(positions.count, 1) where positions[k - 1] == positions[k] {
            throw LLMDataError("signatures of two tasks name the same record (position \(positions[k]))")
        }
        return (positions, ids)
    }

    /// One record of a band in a band task: 24 bytes.
    struct BandEntry {
        var key: UInt64
        var position: UInt64
        var task: UInt32
        var index: UInt32
    }

    /// Step 2 for a band range: the verified pairs of those bands.
    public static func pairs(dir: String, options: DedupOptions, bandStart: Int, bandCount: Int) throws -> Int {
        let s = try openTasks(dir: dir)
        guard bandStart >= 0, bandCount >= 1, bandStart + bandCount <= s.bands else {
            throw LLMDataError("--band-start/--band-count must lie within 0..<\(s.bands)")
        }
        var pairs: [UInt64] = []
        var entries: [BandEntry] = []
        for band in bandStart..<(bandStart + bandCount) {
            try bandPairs(dir: dir, band: band, tasks: s, threshold: options.minhash.threshold, entries: &entries, into: &pairs)
        }
        let sink = try FDSink(path: (dir as NSString).appendingPathComponent(String(format: "pairs-%03d-%03d.bin", bandStart, bandCount)))
        do {
            var head = pairMagic
            appendLE(UInt64(pairs.count / 2), &head)
            try sink.write(head)
            try writeLE(pairs, to: sink)
            try sink.finish()
        } catch {
            sink.abort()
            throw error
        }
        return pairs.count / 2
    }

    /// One band: every task's band file read into 24-byte entries, sorted by (band key, position);
    /// in each bucket (equal keys) the member j is compared with members 0..<min(j, 8) -- the first
    /// ≤ 8 earlier members, as MinHashIndex does -- by estimated Jaccard over the full signatures,
    /// which are read (pread) for members of buckets with two or more members only.
    /// `entries`: scratch, kept from band to band so a task over several bands allocates it once.
    static func bandPairs(dir: String, band: Int, tasks s: TaskSet, threshold: Double, entries: inout [BandEntry],
                          into pairs: inout [UInt64]) throws {
        let rows = s.rows, perms = s.bands * s.rows, rec = 12 + 4 * rows
        var files: [(path: String, count: Int)] = []
        func openBand(_ path: String, _ task: Int) throws -> Int32 {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT {
                    throw LLMDataError("\(path): missing (band \(band) of the signatures of task \(task))",
                                       hint: "run `llmdata dedup signatures --shard-index \(task) --shard-count \(s.files.count)` again")
                }
                throw LLMDataError("\(path): cannot open: \(String(cString: strerror(errno)))")
            }
            return fd
        }
        // check them all before reading any, so a missing or foreign file is named first
        for t in s.files {
            let path = (dir as NSString).appendingPathComponent(bandName(band, t.task))
            let fd = try openBand(path, t.task)
            defer { close(fd) }
            var st = stat()
            _ = fstat(fd, &st)
            let size = Int(st.st_size)
            var h = [UInt8](repeating: 0, count: headerSize)
            guard size >= headerSize else { throw LLMDataError("\(path): not a band file") }
            try read(fd, path, &h, headerSize, at: 0)
            guard Array(h[0..<8]) == bandMagic else { throw LLMDataError("\(path): not a band file") }
            var p = 8
            let version = readLE(h, &p, UInt32.self), b = Int(readLE(h, &p, UInt32.self)), r = Int(readLE(h, &p, UInt32.self))
            let m = Int(readLE(h, &p, UInt64.self)), hash = readLE(h, &p, UInt64.self)
            guard version == sigVersion else {
                throw LLMDataError("\(path): band file version \(version), this llmdata reads version \(sigVersion)",
                                   hint: "run `llmdata dedup signatures` again with this version")
            }
            guard b == band, r == rows else { throw LLMDataError("\(path): holds band \(b) of \(r) rows, not band \(band) of \(rows)") }
            guard hash == t.hash else {
                throw LLMDataError("\(path): made by another run of task \(t.task) than \(t.name)",
                                   hint: "run `llmdata dedup signatures --shard-index \(t.task) --shard-count \(s.files.count)` again")
            }
            guard m <= t.count, size == headerSize + m * rec else { throw LLMDataError("\(path): truncated or corrupt") }
            files.append((path, m))
        }

        entries.removeAll(keepingCapacity: true)
        entries.reserveCapacity(files.reduce(0) { $0 + $1.count })
        var buf = [UInt8](repeating: 0, count: max(1, (1 << 20) / rec) * rec)
        var vals = [UInt32](repeating: 0, count: rows)
        for (t, f) in files.enumerated() {
            let fd = try openBand(f.path, t)
            defer { close(fd) }
            var left = f.count, off = headerSize
            let limit = UInt32(s.files[t].count)
            while left > 0 {
                let n = min(left, buf.count / rec)
                try read(fd, f.path, &buf, n * rec, at: off)
                var bad = false
                buf.withUnsafeBytes { raw in
                    vals.withUnsafeMutableBufferPointer { v in
                        for i in 0..<n {
                            let o = i * rec
                            let pos = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))
                            let k = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o + 8, as: UInt32.self))
                            for j in 0..<rows { v[j] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o + 12 + 4 * j, as: UInt32.self)) }
                            if k >= limit { bad = true }
                            entries.append(BandEntry(key: MinHashIndex.bandKey(UnsafePointer(v.baseAddress!), rows), position: pos,
                                                     task: UInt32(t), index: k))
                        }
                    }
                }
                if bad { throw LLMDataError("\(f.path): names a record beyond the \(limit) of \(s.files[t].name) (corrupt)") }
                left -= n
                off += n * rec
            }
        }

        entries.withUnsafeMutableBufferPointer { sortEntries($0) }
        // signatures of the bucket's first 8 members, then the current one
        let cache = UnsafeMutablePointer<UInt32>.allocate(capacity: 9 * perms)
        defer { cache.deallocate() }
        try entries.withUnsafeBufferPointer { e in
            var g = 0
            while g < e.count {
                var h = g + 1
                while h < e.count && e[h].key == e[g].key { h += 1 }
                if h - g >= 2 {
                    for j in 0..<(h - g) {
                        let slot = min(j, 8), x = e[g + j]
                        let sig = cache + slot * perms
                        try s.files[Int(x.task)].signatures(Int(x.index), 1, into: sig)
                        for i in 0..<min(j, 8) {
                            let other = cache + i * perms
                            var same = 0
                            for v in 0..<perms where other[v] == sig[v] { same += 1 }
                            if Double(same) / Double(perms) >= threshold {
                                pairs.append(e[g + i].position)
                                pairs.append(x.position)
                            }
                        }
                    }
                }
                g = h
            }
        }
    }

    @inline(__always) static func less(_ a: BandEntry, _ b: BandEntry) -> Bool {
        a.key != b.key ? a.key < b.key : a.position < b.position
    }

    /// In-place introsort by (key, position) (the standard library's sort would take a buffer of
    /// half the entries; this takes none).
    static func sortEntries(_ a: UnsafeMutableBufferPointer<BandEntry>) {
        var depth = 0, n = a.count
        while n > 1 { depth += 2; n >>= 1 }
        quickSort(a, 0, a.count, depth)
    }

    static func quickSort(_ a: UnsafeMutableBufferPointer<BandEntry>, _ lo0: Int, _ hi0: Int, _ depth0: Int) {
        var lo = lo0, hi = hi0, depth = depth0
        while hi - lo > 16 {
            if depth == 0 {
                heapSort(a, lo, hi)
                return
            }
            depth -= 1
            let mid = lo + (hi - lo) / 2
            if less(a[mid], a[lo]) { a.swapAt(mid, lo) }
            if less(a[hi - 1], a[lo]) { a.swapAt(hi - 1, lo) }
            if less(a[hi - 1], a[mid]) { a.swapAt(hi - 1, mid) }
            let pivot = a[mid]
            var i = lo, j = hi - 1
            while true {
                while less(a[i], pivot) { i += 1 }
                while less(pivot, a[j]) { j -= 1 }
                if i >= j { break }
                a.swapAt(i, j)
                i += 1
                j -= 1
            }
            // [lo, j] ≤ pivot ≤ [j+1, hi): recurse into the smaller side
            let split = j + 1
            if split - lo < hi - split {
                quickSort(a, lo, split, depth)
                lo = split
            } else {
                quickSort(a, split, hi, depth)
                hi = split
            }
        }
        if hi - lo < 2 { return }
        for i in (lo + 1)..<hi {
            let x = a[i]
            var j = i
            while j > lo && less(x, a[j - 1]) {
                a[j] = a[j - 1]
                j -= 1
            }
            a[j] = x
        }
    }

    static func heapSort(_ a: UnsafeMutableBufferPointer<BandEntry>, _ lo: Int, _ hi: Int) {
        let n = hi - lo
        func sift(_ root0: Int, _ end: Int) {
            var root = root0
            while 2 * root + 1 < end {
                var c = 2 * root + 1
                if c + 1 < end && less(a[lo + c], a[lo + c + 1]) { c += 1 }
                if !less(a[lo + root], a[lo + c]) { return }
                a.swapAt(lo + root, lo + c)
                root = c
            }
        }
        var s = n / 2 - 1
        while s >= 0 { sift(s, n); s -= 1 }
        var end = n - 1
        while end > 0 {
            a.swapAt(lo, lo + end)
            sift(0, end)
            end -= 1
        }
    }

    /// Step 2 without a band range: decisions from the pair files, or from all bands at once.
    public static func clusters(dir: String, options: DedupOptions) throws -> (removed: Int, clusters: Int) {
        let s = try openTasks(dir: dir)
        let d = Decisions()
        let pairFiles = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("pairs-") && $0.hasSuffix(".bin") }.sorted()
        if pairFiles.isEmpty {
            var m = options.minhash
            m.bands = s.bands
            m.rows = s.rows
            let idx = MinHashIndex(options: m, bands: nil, keepPairs: false)
            var perTask: [[UInt64]] = [], perTaskIDs: [[String]] = [], perTaskEmpty: [[UInt8]] = []
            for f in s.files {
                perTask.append(try f.positions())
                perTaskIDs.append(try f.ids())
                perTaskEmpty.append(try f.emptyFlags())
            }
            let perms = s.bands * s.rows, step = 4096
            let buf = UnsafeMutablePointer<UInt32>.allocate(capacity: step * perms)
            defer { buf.deallocate() }
            var last: UInt64?
            for (t, r) in mergeRuns(perTask) {
                if let l = last, l >= perTask[t][r.lowerBound] {
                    throw LLMDataError("signatures of two tasks name the same record (position \(l))")
                }
                last = perTask[t][r.upperBound - 1]
                var k = r.lowerBound
                while k < r.upperBound {
                    let n = min(step, r.upperBound - k)
                    try s.files[t].signatures(k, n, into: buf)
                    for i in 0..<n {
                        idx.add(position: perTask[t][k + i], id: perTaskIDs[t][k + i], empty: perTaskEmpty[t][k + i] != 0,
                                signature: UnsafeBufferPointer(start: buf + i * perms, count: perms))
                    }
                    k += n
                }
            }
            idx.resolve(into: d)
        } else {
            // every band must be in some pair file, or pairs (and so duplicates) would be missing
            var covered = [Bool](repeating: false, count: s.bands)
            for name in pairFiles {
                let parts = name.dropFirst(6).dropLast(4).split(separator: "-")
                guard parts.count == 2, let b = Int(parts[0]), let c = Int(parts[1]), b >= 0, c >= 1, b + c <= s.bands else {
                    throw LLMDataError("\(dir)/\(name): not a pairs file of bands within 0..<\(s.bands)")
                }
                for i in b..<(b + c) { covered[i] = true }
            }
            let missing = (0..<s.bands).filter { !covered[$0] }
            if !missing.isEmpty {
                throw LLMDataError("\(dir): no pairs file covers band\(missing.count == 1 ? "" : "s") \(missing.prefix(10).map(String.init).joined(separator: ", "))\(missing.count > 10 ? ", ..." : "") of \(s.bands)",
                                   hint: "run `llmdata dedup clusters \(dir) --band-start B --band-count C` for them, or remove the pairs-*.bin files to run all bands here")
            }
            let (positions, ids) = try records(s)
            var uf = UnionFind()
            uf.parent = (0..<UInt32(positions.count)).map { $0 }
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            for name in pairFiles {
                let path = (dir as NSString).appendingPathComponent(name)
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 { throw LLMDataError("\(path): cannot open: \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                var st = stat()
                _ = fstat(fd, &st)
                let size = Int(st.st_size)
                var h = [UInt8](repeating: 0, count: 16)
                guard size >= 16 else { throw LLMDataError("\(path): not a pairs file") }
                try read(fd, path, &h, 16, at: 0)
                guard Array(h[0..<8]) == pairMagic else { throw LLMDataError("\(path): not a pairs file") }
                var p = 8
                let n = Int(readLE(h, &p, UInt64.self))
                guard size == 16 + 16 * n else { throw LLMDataError("\(path): truncated") }
                var left = n, off = 16
                while left > 0 {
                    let c = min(left, buf.count / 16)
                    try read(fd, path, &buf, 16 * c, at: off)
                    var bad = false
                    buf.withUnsafeBytes { raw in
                        positions.withUnsafeBufferPointer { pos in
                            for i in 0..<c {
                                let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16 * i, as: UInt64.self))
                                let y = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16 * i + 8, as: UInt64.self))
                                guard let a = ordinal(x, pos), let b = ordinal(y, pos) else {
                                    bad = true
                                    return
                                }
                                uf.union(a, b)
                            }
                        }
                    }
                    if bad { throw LLMDataError("\(path): pair names a record not in the signatures") }
                    left -= c
                    off += 16 * c
                }
            }
            d.record(clusters: &uf, positions: positions, ids: ids)
        }
        try s.fingerprint.write((dir as NSString).appendingPathComponent("decisions.json"))
        try writeAtomically(d.jsonLines(), to: (dir as NSString).appendingPathComponent("decisions.jsonl"))
        return (d.removed.count, d.clusters)
    }

    /// The record number of position `p` in the sorted `positions`.
    @inline(__always) static func ordinal(_ p: UInt64, _ positions: UnsafeBufferPointer<UInt64>) -> Int? {
        var lo = 0, hi = positions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if positions[mid] < p { lo = mid + 1 } else { hi = mid }
        }
        return lo < positions.count && positions[lo] == p ? lo : nil
    }

    /// Every task's signatures file stays open (a band task reads candidates' signatures from any
    /// of them): with more tasks than the soft limit of open files allows, raise it toward the hard one.
    static func raiseOpenFileLimit(_ needed: Int) {
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var l = rlimit()
        guard getrlimit(resource, &l) == 0, l.rlim_cur < rlim_t(needed) else { return }
        l.rlim_cur = min(l.rlim_max, rlim_t(needed))
        _ = setrlimit(resource, &l)
    }

    /// Reads exactly `n` bytes at `offset` (pread), or throws naming the file.
    static func read(_ fd: Int32, _ path: String, _ into: UnsafeMutableRawPointer, _ n: Int, at offset: Int) throws {
        var done = 0
        while done < n {
            let r = pread(fd, into + done, n - done, off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw LLMDataError("\(path): read error: \(String(cString: strerror(errno)))")
            }
            if r == 0 { throw LLMDataError("\(path): truncated") }
            done += r
        }
    }

    static func read(_ fd: Int32, _ path: String, _ into: inout [UInt8], _ n: Int, at offset: Int) throws {
        try into.withUnsafeMutableBytes { try read(fd, path, $0.baseAddress!, n, at: offset) }
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

/// `body` with the bytes of `a` in little-endian order (on little-endian hosts, its own storage).
func withLittleEndianBytes<T: FixedWidthInteger>(_ a: [T], _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    #if _endian(big)
    try a.map { $0.littleEndian }.withUnsafeBytes(body)
    #else
    try a.withUnsafeBytes(body)
    #endif
}

/// Writes `a` little-endian in pieces of at most 64 MB (the sink writes large pieces directly).
func writeLE<T: FixedWidthInteger>(_ a: [T], to sink: FDSink) throws {
    try withLittleEndianBytes(a) { raw in
        var off = 0
        while off < raw.count {
            let n = min(raw.count - off, 64 << 20)
            try sink.write(UnsafeRawBufferPointer(rebasing: raw[off..<(off + n)]))
            off += n
        }
    }
}
