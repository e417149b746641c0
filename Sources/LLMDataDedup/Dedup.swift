import CXXHash
import Foundation
import LLMDataCore

public enum DedupMode: String, Sendable, CaseIterable {
    case exact, minhash, lines
}

public struct DedupOptions: Sendable {
    public var mode: DedupMode = .exact
    public var key = KeyOptions()
    public var minhash = MinHashOptions()
    /// `lines`: a line found in at least this many documents is removed from all of them.
    public var lineMinDocuments = 3
    /// `lines`: lines shorter than this (after trimming, in bytes) are never removed.
    public var lineMinBytes = 10
    public init() {}
}

/// Clusters by size (a kept record and its removed copies: copies + 1), for the stats:
/// `{"2": clusters of two, …}` in increasing size.
func clusterSizes<C: Sequence>(_ copies: C) -> JSONValue where C.Element == Int {
    var bySize: [Int: Int] = [:]
    for c in copies { bySize[c + 1, default: 0] += 1 }
    return .object(bySize.keys.sorted().map { (String($0), .int(bySize[$0]!)) })
}

/// Position of a record in a run: file index and line.
@inline(__always) func position(_ doc: Document) -> UInt64 { UInt64(doc.fileIndex) << 40 | UInt64(doc.line) }

/// What pass 1 learns about one batch, in input order.
struct BatchFacts {
    var positions: [UInt64] = []
    var ids: [String] = []
    var hashes: [(UInt64, UInt64)] = []
    /// minhash: signatures, `permutations` per record, flattened.
    var signatures: [UInt32] = []
    var empty: [Bool] = []
    /// lines: distinct line hashes of each record, flattened, with counts per record.
    var lineHashes: [UInt64] = []
    var lineCounts: [Int] = []
}

/// Pass 1 visitor: keys and hashes (exact), signatures (minhash) or line hashes (lines).
final class FactsVisitor: RecordWorker {
    let options: DedupOptions
    let keys: KeyNormalizer
    let hasher: MinHasher?
    var facts = BatchFacts()
    var seen = Set<UInt64>()

    init(options: DedupOptions) throws {
        self.options = options
        keys = try KeyNormalizer(options: options.key)
        hasher = options.mode == .minhash ? MinHasher(options: options.minhash) : nil
    }

    func process(_ doc: inout Document) -> Verdict {
        facts.positions.append(position(doc))
        facts.ids.append(doc.id)
        switch options.mode {
        case .exact, .minhash:
            doc.withText { keys.normalize($0) }
            // the key hash is only used by exact mode (minhash needs the signature)
            if options.mode == .exact { facts.hashes.append(keys.hash128()) }
            facts.empty.append(keys.key.isEmpty)
            if let hasher {
                hasher.sign(keys.key)
                facts.signatures.append(contentsOf: hasher.signature)
            }
        case .lines:
            seen.removeAll(keepingCapacity: true)
            doc.withText { t in
                forEachLine(t, minBytes: options.lineMinBytes) { h in
                    if seen.insert(h).inserted { facts.lineHashes.append(h) }
                }
            }
            facts.lineCounts.append(seen.count)
        }
        return .keep
    }

    func finishBatch(_ counters: inout Counters) -> BatchFacts {
        defer { facts = BatchFacts() }
        return facts
    }
}

/// Calls `body` with the XXH3-64 of every line of `t` (trailing spaces and tabs trimmed) that is
/// at least `minBytes` long.
func forEachLine(_ t: UnsafeBufferPointer<UInt8>, minBytes: Int, _ body: (UInt64) -> Void) {
    var s = 0
    let n = t.count
    while s <= n {
        var e = s
        while e < n && t[e] != 0x0A { e += 1 }
        var te = e
        while te > s && (t[te - 1] == 0x20 || t[te - 1] == 0x09 || t[te - 1] == 0x0D) { te -= 1 }
        var ts = s
        while ts < te && (t[ts] == 0x20 || t[ts] == 0x09) { ts += 1 }
        if te - ts >= minBytes { body(XXH3_64bits(t.baseAddress! + ts, te - ts)) }
        s = e + 1
    }
}

/// The decisions of pass 1.
public final class Decisions: @unchecked Sendable {
    public init() {}
    /// Removed records: position → id of the record kept in their place.
    var removed: [UInt64: String] = [:]
    /// Records whose cluster has duplicates (kept ones included): position → cluster id.
    var cluster: [UInt64: String] = [:]
    /// exact: positions in input order and the key hash of each (pass 2 does not normalize again).
    var positions: [UInt64] = []
    var hashes: [(UInt64, UInt64)] = []

    func hash(at pos: UInt64) -> (UInt64, UInt64)? {
        var lo = 0, hi = positions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if positions[mid] < pos { lo = mid + 1 } else { hi = mid }
        }
        return lo < positions.count && positions[lo] == pos ? hashes[lo] : nil
    }
    /// lines: line hashes to remove.
    var boilerplate = Set<UInt64>()
    var clusters = 0
    var candidatePairs = 0
    var verifiedPairs = 0
    /// How many records are removed.
    public var removedCount: Int { removed.count }
    /// The number of clusters (`jsonLines(counts: true)` writes it; a decisions file of
    /// `dedup clusters` has none, so its reader sets it).
    public var clusterCount: Int {
        get { clusters }
        set { clusters = newValue }
    }

    /// Every record whose root is another record is removed in favour of the root; roots with
    /// duplicates name themselves as cluster.
    func record(clusters uf: inout UnionFind, positions: [UInt64], ids: [String]) {
        var roots = Set<Int>()
        for k in 0..<positions.count {
            let root = uf.find(k)
            if root != k {
                removed[positions[k]] = ids[root]
                cluster[positions[root]] = ids[root]
                roots.insert(root)
            }
        }
        clusters = roots.count
    }
}

/// Pass 2: keep or drop by the decisions; annotate metadata.dedup; rewrite text in lines mode.
public struct ApplyStage: RecordStage {
    public let name = "dedup"
    let options: DedupOptions
    let decisions: Decisions
    /// When the decisions were made (seconds since the stage started), for the stats.
    var decideSeconds = 0.0

    public init(options: DedupOptions, decisions: Decisions, decideSeconds: Double) {
        self.options = options
        self.decisions = decisions
        self.decideSeconds = decideSeconds
    }

    public func extraStats() -> [(String, JSONValue)] {
        [("decide_seconds", .double((decideSeconds * 1000).rounded() / 1000)),
         ("clusters", .int(decisions.clusters)),
         ("candidate_pairs", .int(decisions.candidatePairs)),
         ("verified_pairs", .int(decisions.verifiedPairs)),
         ("boilerplate_lines", .int(decisions.boilerplate.count)),
         ("cluster_sizes", clusterSizes(Dictionary(grouping: decisions.removed.values, by: { $0 }).values.map(\.count)))]
    }

    public final class Worker: RecordWorker {
        let options: DedupOptions
        let decisions: Decisions
        let keys: KeyNormalizer

        init(_ s: ApplyStage) throws {
            options = s.options
            decisions = s.decisions
            keys = try KeyNormalizer(options: s.options.key)
        }

        public func process(_ doc: inout Document) -> Verdict {
            let pos = position(doc)
            switch options.mode {
            case .exact:
                let h: (UInt64, UInt64)
                if let known = decisions.hash(at: pos) {
                    h = known
                } else {
                    doc.withText { keys.normalize($0) }
                    h = keys.hash128()
                }
                let hash = hex128(h)
                if let kept = decisions.removed[pos] {
                    return .drop(reason: "dedup:exact", annotation: ("dedup", .object([("hash", .string(hash)), ("cluster", .string(kept))])))
                }
                doc.setMetadata("dedup", .object([("hash", .string(hash)), ("cluster", .string(doc.id))]))
                return .keep
            case .minhash:
                // near duplicates share a cluster, not a hash: only the cluster is written
                if let kept = decisions.removed[pos] {
                    return .drop(reason: "dedup:minhash", annotation: ("dedup", .object([("cluster", .string(kept))])))
                }
                doc.setMetadata("dedup", .object([("cluster", .string(decisions.cluster[pos] ?? doc.id))]))
                return .keep
            case .lines:
                var out: [UInt8] = []
                var removed = 0
                doc.withText { t in
                    var s = 0
                    let n = t.count
                    out.reserveCapacity(n)
                    while s <= n {
                        var e = s
                        while e < n && t[e] != 0x0A { e += 1 }
                        var drop = false
                        forEachLine(UnsafeBufferPointer(rebasing: t[s..<e]), minBytes: options.lineMinBytes) { h in
                            drop = decisions.boilerplate.contains(h)
                        }
                        if drop {
                            removed += 1
                        } else {
                            if !out.isEmpty { out.append(0x0A) }
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[s..<e]))
                        }
                        s = e + 1
                    }
                }
                if removed > 0 {
                    doc.counters.add("lines_removed", removed)
                    if out.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 }) {
                        return .drop(reason: "dedup:lines_empty", annotation: ("dedup", .object([("lines_removed", .int(removed))])))
                    }
                    doc.setText(out)
                }
                return .keep
            }
        }
    }

    public func makeWorker() throws -> Worker { try Worker(self) }
}

/// `--mode exact` in one pass: whether a record is the first with its key depends only on the
/// records before it, so workers hash every record and annotate it as kept (metadata.dedup with
/// its own id as cluster), and `resolve`, called for each batch in input order, turns later
/// copies into drops. The output is byte for byte what the two-pass version wrote.
public final class ExactStage: RecordStage, @unchecked Sendable {
    public let name = "dedup"
    let options: DedupOptions
    let started = Clock.now()
    /// `resolve` only (batches in order): key hash → id of the first record with it.
    var first: [HashKey: String] = [:]
    /// Kept record id → how many copies of it were removed.
    var copiesOf: [String: Int] = [:]
    /// With `journaling`: per input file, the keys first seen in it and the kept ids that gained
    /// their first copy in it (a resumable run saves them with the file's outputs).
    var journal: [Int: (first: [(HashKey, String)], copies: [String])] = [:]
    let journalLock = NSLock()
    public var journaling = false

    public init(options: DedupOptions) { self.options = options }

    public final class Worker: RecordWorker {
        let keys: KeyNormalizer
        var ids: [String] = []
        var hashes: [(UInt64, UInt64)] = []
        var fileIndex = 0

        init(options: DedupOptions) throws { keys = try KeyNormalizer(options: options.key) }

        public func process(_ doc: inout Document) -> Verdict {
            fileIndex = doc.fileIndex
            doc.withText { keys.normalize($0) }
            let h = keys.hash128()
            ids.append(doc.id)
            hashes.append(h)
            doc.setMetadata("dedup", .object([("hash", .string(hex128(h))), ("cluster", .string(doc.id))]))
            return .keep
        }

        public func finishBatch(_ counters: inout Counters) -> (Int, [String], [(UInt64, UInt64)]) {
            defer {
                ids.removeAll(keepingCapacity: true)
                hashes.removeAll(keepingCapacity: true)
            }
            return (fileIndex, ids, hashes)
        }
    }

    public func makeWorker() throws -> Worker { try Worker(options: options) }

    public var isOrdered: Bool { true }

    public func resolve(_ batch: (Int, [String], [(UInt64, UInt64)])) -> [(index: Int, verdict: Verdict)] {
        let (file, ids, hashes) = batch
        var drops: [(index: Int, verdict: Verdict)] = []
        var newFirst: [(HashKey, String)] = []
        var newCopies: [String] = []
        for k in 0..<ids.count {
            let key = HashKey(a: hashes[k].0, b: hashes[k].1)
            if let kept = first[key] {
                copiesOf[kept, default: 0] += 1
                if journaling { newCopies.append(kept) }
                drops.append((k, .drop(reason: "dedup:exact", annotation: ("dedup", .object([("hash", .string(hex128(hashes[k]))), ("cluster", .string(kept))])))))
            } else {
                first[key] = ids[k]
                if journaling { newFirst.append((key, ids[k])) }
            }
        }
        if journaling && !(newFirst.isEmpty && newCopies.isEmpty) {
            journalLock.lock()
            journal[file, default: ([], [])].first += newFirst
            journal[file, default: ([], [])].copies += newCopies
            journalLock.unlock()
        }
        return drops
    }

    /// The journal of input file `file` as bytes (and forgets it): per entry the key's 16 bytes,
    /// the id's length (4 bytes) and UTF-8, then the copies' ids the same way; all little-endian.
    public func takeJournal(file: Int) -> [UInt8] {
        journalLock.lock()
        let j = journal.removeValue(forKey: file) ?? ([], [])
        journalLock.unlock()
        var out: [UInt8] = []
        func str(_ s: String) {
            let u = Array(s.utf8)
            appendLE(UInt32(u.count), &out)
            out += u
        }
        appendLE(UInt64(j.first.count), &out)
        for (k, id) in j.first {
            appendLE(k.a, &out)
            appendLE(k.b, &out)
            str(id)
        }
        appendLE(UInt64(j.copies.count), &out)
        for id in j.copies { str(id) }
        return out
    }

    /// Replays a journal from `takeJournal` (files in input order, before any batch runs).
    public func restore(journal bytes: [UInt8]) throws {
        var p = 0
        func need(_ n: Int) throws { if p + n > bytes.count { throw LLMDataError("dedup journal is truncated") } }
        func str() throws -> String {
            try need(4)
            let n = Int(readLE(bytes, &p, UInt32.self))
            try need(n)
            defer { p += n }
            return String(decoding: bytes[p..<(p + n)], as: UTF8.self)
        }
        try need(8)
        for _ in 0..<readLE(bytes, &p, UInt64.self) {
            try need(16)
            let a = readLE(bytes, &p, UInt64.self), b = readLE(bytes, &p, UInt64.self)
            first[HashKey(a: a, b: b)] = try str()
        }
        try need(8)
        for _ in 0..<readLE(bytes, &p, UInt64.self) { copiesOf[try str(), default: 0] += 1 }
    }

    public func extraStats() -> [(String, JSONValue)] {
        [("decide_seconds", .double(((Clock.now() - started) * 1000).rounded() / 1000)),
         ("clusters", .int(copiesOf.count)), ("candidate_pairs", .int(0)),
         ("verified_pairs", .int(0)), ("boilerplate_lines", .int(0)),
         ("cluster_sizes", clusterSizes(copiesOf.values))]
    }
}

public enum DedupRunner {
    /// `llmdata dedup`: pass 1 reads every input once to decide, pass 2 reads them again to write.
    public static func run(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: DedupOptions,
                           run: RunOptions) -> ExitCode {
        do {
            if !reader.share.isWhole {
                // a task would only see its own files' duplicates: the union of the tasks'
                // outputs would keep copies that sit in two tasks' files
                throw LLMDataError("dedup run decides over all its inputs at once; --shard-count \(reader.share.count) would dedup each task's files alone and keep duplicates across tasks",
                                   hint: "to dedup on many machines use `llmdata dedup signatures` (one task per share), `dedup clusters` and `dedup apply` (one task per share again), docs/scale-out.md; exact copies are near duplicates too")
            }
            var files = try InputDiscovery.discover(inputs, formatOverride: format)
            // output paths are checked before the decision pass reads every input
            try StageRunner.preflight(stage: "dedup", files: files, options: run)
            let start = Clock.now()
            if options.mode == .exact && !run.strict {
                // one pass (ExactStage); the stats keep the two-pass fields. --strict keeps the
                // two passes, which stop at the first bad record before writing anything
                let stage = ExactStage(options: options)
                var r = run
                r.overwrite = true  // as the two-pass version: every input is read and written
                r.startedAt = start
                return StageRunner.run(stage: stage, files: files, reader: reader, options: r)
            }
            // the other modes read their inputs twice: stdin is first copied to a temporary file;
            // a named pipe or device would be empty the second time
            if let pipe = files.first(where: { $0.path != "-" && InputDiscovery.isStream($0.path) }) {
                throw LLMDataError("\(pipe.path) is not a regular file: dedup reads its inputs twice (once to decide, once to write)",
                                   hint: "pipe it to dedup's stdin instead (stdin is copied to a temporary file), or write it to a file first")
            }
            var inputs = inputs
            var spoolDir: String?
            defer { if let d = spoolDir { try? FileManager.default.removeItem(atPath: d) } }
            if let stdin = files.first(where: { $0.path == "-" }) {
                let (dir, path) = try spoolStdin(format: stdin.format)
                spoolDir = dir
                inputs = inputs.isEmpty ? [path] : inputs.map { $0 == "-" ? path : $0 }
                files = try InputDiscovery.discover(inputs, formatOverride: format).map {
                    $0.path == path ? $0.standingInForStdin() : $0
                }
            }
            let decisions = try decide(files: files, reader: reader, options: options, run: run)
            var r = run
            r.overwrite = true  // pass 2 must see the same files as pass 1
            r.startedAt = start
            return StageRunner.run(stage: ApplyStage(options: options, decisions: decisions, decideSeconds: Clock.now() - start),
                                   files: files, reader: reader, options: r)
        } catch {
            return Diagnostics.exitCode(for: error, stage: "dedup")
        }
    }

    /// Copies stdin to `stdin.<format>[.zst|.gz]` in a new directory under $TMPDIR (compressed
    /// input stays compressed; the extension tells the reader which). Returns the directory and
    /// the file's path.
    static func spoolStdin(format: InputFormat) throws -> (String, String) {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base as NSString).appendingPathComponent("llmdata-dedup-stdin-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw LLMDataError("cannot create a temporary directory in \(base) for stdin: \(String(cString: strerror(errno)))",
                               hint: "set TMPDIR to a writable directory, or pass the input as a file")
        }
        let dir = String(cString: made)
        do {
            return (dir, try copyStdin(into: dir, format: format))
        } catch {
            try? FileManager.default.removeItem(atPath: dir)  // nothing is left behind on failure
            throw error
        }
    }

    static func copyStdin(into dir: String, format: InputFormat) throws -> String {
        let stdin = FDSource(fd: 0)
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        // the first bytes choose the extension, then the rest streams through the same buffer
        var n = 0
        while n < 4 {  // a pipe may hand over fewer bytes than the magic number
            let got = try buf.withUnsafeMutableBytes { try stdin.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[n...])) }
            if got == 0 { break }
            n += got
        }
        let head = buf[0..<n]
        var ext = "." + format.rawValue
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { ext += ".zst" }
        if head.starts(with: [0x1F, 0x8B]) { ext += ".gz" }
        let path = (dir as NSString).appendingPathComponent("stdin" + ext)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 { throw LLMDataError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while n > 0 {
            var off = 0
            while off < n {
                let w = buf.withUnsafeBytes { write(fd, $0.baseAddress! + off, n - off) }
                if w < 0 {
                    if errno == EINTR { continue }
                    throw LLMDataError("\(path): write failed: \(String(cString: strerror(errno)))",
                                       hint: "stdin is copied to $TMPDIR before dedup reads it twice; free space there or set TMPDIR")
                }
                off += w
            }
            n = try buf.withUnsafeMutableBytes { try stdin.read(into: $0) }
        }
        return path
    }

    /// Pass 1.
    public static func decide(files: [InputFile], reader: ReaderOptions, options: DedupOptions, run: RunOptions) throws -> Decisions {
        let d = Decisions()
        let perms = options.minhash.permutations
        // exact
        var first: [HashKey: (UInt64, String)] = [:]
        // minhash
        let index = MinHashIndex(options: options.minhash)
        // lines
        var lineDocs: [UInt64: UInt32] = [:]
        _ = try RecordScanner.scanOrdered(
            files: files, reader: reader, jobs: run.jobs, stageName: "dedup", strict: run.strict, quiet: true,
            maxWarnings: 0, make: { try FactsVisitor(options: options) },
            consume: { f, _ in
                switch options.mode {
                case .exact:
                    d.positions.append(contentsOf: f.positions)
                    d.hashes.append(contentsOf: f.hashes)
                    for (k, h) in f.hashes.enumerated() {
                        let key = HashKey(a: h.0, b: h.1)
                        if let (_, keptID) = first[key] {
                            d.removed[f.positions[k]] = keptID
                        } else {
                            first[key] = (f.positions[k], f.ids[k])
                        }
                    }
                case .minhash:
                    for k in 0..<f.positions.count {
                        index.add(position: f.positions[k], id: f.ids[k], empty: f.empty[k],
                                  signature: f.signatures[(k * perms)..<((k + 1) * perms)])
                    }
                case .lines:
                    var off = 0
                    for c in f.lineCounts {
                        for h in f.lineHashes[off..<(off + c)] { lineDocs[h, default: 0] += 1 }
                        off += c
                    }
                }
            })
        switch options.mode {
        case .exact:
            d.clusters = Set(d.removed.values).count
        case .minhash:
            index.resolve(into: d)
        case .lines:
            for (h, c) in lineDocs where Int(c) >= options.lineMinDocuments { d.boilerplate.insert(h) }
        }
        return d
    }

}

extension Decisions {
    /// The decisions as JSON Lines (`decisions.jsonl`, docs/scale-out.md): one line per removed
    /// record (`position`, `removed_for`), per record of a cluster with copies (`position`,
    /// `cluster`), per boilerplate line hash (`boilerplate`), and with `counts` a first line of the
    /// counts (`clusters`, `candidate_pairs`, `verified_pairs`).
    public func jsonLines(counts: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        func line(_ v: JSONValue) {
            out.append(contentsOf: v.serialized.utf8)
            out.append(0x0A)
        }
        if counts {
            line(.object([("clusters", .int(clusters)), ("candidate_pairs", .int(candidatePairs)), ("verified_pairs", .int(verifiedPairs))]))
        }
        for (pos, kept) in removed.sorted(by: { $0.key < $1.key }) {
            line(.object([("position", .int(Int(pos))), ("removed_for", .string(kept))]))
        }
        for (pos, id) in cluster.sorted(by: { $0.key < $1.key }) {
            line(.object([("position", .int(Int(pos))), ("cluster", .string(id))]))
        }
        for h in boilerplate.sorted() { line(.object([("boilerplate", .string(String(h, radix: 16)))])) }
        return out
    }

    /// Reads `jsonLines()`'s file.
    public convenience init(jsonLines path: String) throws {
        self.init()
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw LLMDataError("\(path): cannot read") }
        for (n, line) in text.split(separator: "\n").enumerated() {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw LLMDataError("\(path):\(n + 1): not a decision line")
            }
            if let pos = (o["position"] as? NSNumber)?.uint64Value {
                if let k = o["removed_for"] as? String { removed[pos] = k }
                if let c = o["cluster"] as? String { cluster[pos] = c }
            } else if let h = (o["boilerplate"] as? String).flatMap({ UInt64($0, radix: 16) }) {
                boilerplate.insert(h)
            } else if let c = (o["clusters"] as? NSNumber)?.intValue {
                clusters = c
                candidatePairs = (o["candidate_pairs"] as? NSNumber)?.intValue ?? 0
                verifiedPairs = (o["verified_pairs"] as? NSNumber)?.intValue ?? 0
            } else {
                throw LLMDataError("\(path):\(n + 1): not a decision line")
            }
        }
    }
}

struct HashKey: Hashable {
    let a: UInt64
    let b: UInt64
    func hash(into h: inout Hasher) { h.combine(b) }
}
