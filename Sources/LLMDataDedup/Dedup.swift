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
final class FactsVisitor: BatchVisitor {
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

    func visit(_ doc: inout Document) {
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
    }

    func finishBatch() -> BatchFacts {
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
final class Decisions: @unchecked Sendable {
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
struct ApplyStage: RecordStage {
    let name = "dedup"
    let options: DedupOptions
    let decisions: Decisions

    final class Worker: RecordWorker {
        let options: DedupOptions
        let decisions: Decisions
        let keys: KeyNormalizer

        init(_ s: ApplyStage) throws {
            options = s.options
            decisions = s.decisions
            keys = try KeyNormalizer(options: s.options.key)
        }

        func process(_ doc: inout Document) -> Verdict {
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

    func makeWorker() throws -> RecordWorker { try Worker(self) }
}

/// `--mode exact` in one pass: whether a record is the first with its key depends only on the
/// records before it, so workers hash and write every record as kept (metadata.dedup with its
/// own id as cluster) and the writer thread, in input order, turns later copies into drops
/// (OrderedStage). The output is byte for byte what the two-pass version wrote.
final class ExactStage: OrderedStage, @unchecked Sendable {
    let name = "dedup"
    let options: DedupOptions
    /// Writer thread only: key hash → id of the first record with it.
    var first: [HashKey: String] = [:]
    var keptWithCopies = Set<String>()

    init(options: DedupOptions) { self.options = options }

    final class Worker: BatchPayloadWorker {
        let keys: KeyNormalizer
        var lines: [Int] = []
        var ids: [String] = []
        var hashes: [(UInt64, UInt64)] = []

        init(options: DedupOptions) throws { keys = try KeyNormalizer(options: options.key) }

        func process(_ doc: inout Document) -> Verdict {
            doc.withText { keys.normalize($0) }
            let h = keys.hash128()
            lines.append(doc.line)
            ids.append(doc.id)
            hashes.append(h)
            doc.setMetadata("dedup", .object([("hash", .string(hex128(h))), ("cluster", .string(doc.id))]))
            return .keep
        }

        func finishBatch() -> Any {
            defer {
                lines.removeAll(keepingCapacity: true)
                ids.removeAll(keepingCapacity: true)
                hashes.removeAll(keepingCapacity: true)
            }
            return (lines, ids, hashes)
        }
    }

    func makeWorker() throws -> RecordWorker { try Worker(options: options) }

    func resolve(_ payload: Any) -> [(line: Int, verdict: Verdict)] {
        let (lines, ids, hashes) = payload as! ([Int], [String], [(UInt64, UInt64)])
        var drops: [(line: Int, verdict: Verdict)] = []
        for k in 0..<lines.count {
            let key = HashKey(a: hashes[k].0, b: hashes[k].1)
            if let kept = first[key] {
                keptWithCopies.insert(kept)
                drops.append((lines[k], .drop(reason: "dedup:exact", annotation: ("dedup", .object([("hash", .string(hex128(hashes[k]))), ("cluster", .string(kept))])))))
            } else {
                first[key] = ids[k]
            }
        }
        return drops
    }
}

public enum DedupRunner {
    /// `llmdata dedup`: pass 1 reads every input once to decide, pass 2 reads them again to write.
    public static func run(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: DedupOptions,
                           run: RunOptions) -> ExitCode {
        do {
            var files = try InputDiscovery.discover(inputs, formatOverride: format)
            let start = Clock.now()
            if options.mode == .exact && !run.strict {
                // one pass (ExactStage); the stats keep the two-pass fields. --strict keeps the
                // two passes, which stop at the first bad record before writing anything
                let stage = ExactStage(options: options)
                var r = run
                r.overwrite = true  // as the two-pass version: every input is read and written
                r.startedAt = start
                r.statsExtraAtEnd = {
                    [("decide_seconds", .double(((Clock.now() - start) * 1000).rounded() / 1000)),
                     ("clusters", .int(stage.keptWithCopies.count)), ("candidate_pairs", .int(0)),
                     ("verified_pairs", .int(0)), ("boilerplate_lines", .int(0))]
                }
                return StageRunner.run(stage: stage, inputs: inputs, format: format, reader: reader, options: r)
            }
            // the other modes read their inputs twice: stdin is first copied to a temporary file
            var inputs = inputs
            var spoolDir: String?
            var standIn: String?
            defer { if let d = spoolDir { try? FileManager.default.removeItem(atPath: d) } }
            if let stdin = files.first(where: { $0.path == "-" }) {
                let (dir, path) = try spoolStdin(format: stdin.format)
                spoolDir = dir
                inputs = inputs.isEmpty ? [path] : inputs.map { $0 == "-" ? path : $0 }
                files = try InputDiscovery.discover(inputs, formatOverride: format).map {
                    $0.path == path ? $0.standingInForStdin() : $0
                }
                standIn = path
            }
            let decisions = try decide(files: files, reader: reader, options: options, run: run)
            var r = run
            r.overwrite = true  // pass 2 must see the same files as pass 1
            r.startedAt = start
            r.stdinStandIn = standIn
            r.statsExtra = [
                ("decide_seconds", .double(((Clock.now() - start) * 1000).rounded() / 1000)),
                ("clusters", .int(decisions.clusters)),
                ("candidate_pairs", .int(decisions.candidatePairs)),
                ("verified_pairs", .int(decisions.verifiedPairs)),
                ("boilerplate_lines", .int(decisions.boilerplate.count)),
            ]
            return StageRunner.run(stage: ApplyStage(options: options, decisions: decisions), inputs: inputs, format: format,
                                   reader: reader, options: r)
        } catch let e as LLMDataError {
            Diagnostics.error(stage: "dedup", e.message, hint: e.hint)
            return e.exitCode
        } catch {
            Diagnostics.error(stage: "dedup", "\(error)")
            return .fatal
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
    static func decide(files: [InputFile], reader: ReaderOptions, options: DedupOptions, run: RunOptions) throws -> Decisions {
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

struct HashKey: Hashable {
    let a: UInt64
    let b: UInt64
    func hash(into h: inout Hasher) { h.combine(b) }
}
