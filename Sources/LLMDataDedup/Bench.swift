import Dispatch
import Foundation
import LLMDataCore

/// `llmdata dedup --mode minhash --bench-minhash` (hidden): times the MinHash phases alone --
/// signatures (shingling, shingle hashing, permutations) on `jobs` threads and, overlapping them
/// in input order, LSH, candidate verification and clustering -- over keys normalized beforehand,
/// outside the clock. `signatureSeconds` ends when the last signature is done, `lshSeconds` is
/// what indexing and clustering add after that. These are
/// the phases a MinHash library such as rensa or datasketch is timed for when it is handed ready
/// shingles; scripts/dedup_quality.py compares them side by side. The decisions equal those of a
/// normal run (the same MinHasher and MinHashIndex).
public enum MinHashBench {
    public struct Result: Sendable {
        public var documents = 0
        public var shingles = 0
        public var signatureSeconds = 0.0
        public var lshSeconds = 0.0
        public var clusters = 0
        public var verifiedPairs = 0
        public var removed = 0
        public var seconds: Double { signatureSeconds + lshSeconds }
    }

    final class KeyVisitor: RecordWorker {
        let keys: KeyNormalizer
        var batch: [(UInt64, String, [UInt8])] = []
        init(options: DedupOptions) throws { keys = try KeyNormalizer(options: options.key) }
        func process(_ doc: inout Document) -> Verdict {
            doc.withText { keys.normalize($0) }
            batch.append((position(doc), doc.id, keys.key))
            return .keep
        }
        func finishBatch(_ counters: inout Counters) -> [(UInt64, String, [UInt8])] {
            defer { batch = [] }
            return batch
        }
    }

    public static func run(inputs: [String], format: InputFormat?, reader: ReaderOptions, options: DedupOptions,
                           jobs: Int) throws -> Result {
        let files = try InputDiscovery.discover(inputs, formatOverride: format)
        var docs: [(UInt64, String, [UInt8])] = []
        _ = try RecordScanner.scanOrdered(files: files, reader: reader, jobs: jobs, stageName: "dedup", quiet: true,
                                          make: { try KeyVisitor(options: options) },
                                          consume: { b, _ in docs.append(contentsOf: b) })
        let perms = options.minhash.permutations
        let n = docs.count
        let signatures = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(1, n * perms))
        defer { signatures.deallocate() }
        let shingleCounts = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, jobs))
        defer { shingleCounts.deallocate() }
        let threads = max(1, min(jobs, n))
        let shared = SharedInputs(docs: docs, signatures: signatures, counts: shingleCounts)
        let hashers = (0..<threads).map { _ in MinHasher(options: options.minhash) }

        // Signatures on `threads` worker threads, which take blocks of 16 documents from a shared
        // counter; this thread adds each block to the LSH index, in input order, as soon as it is
        // signed (as in a normal run, where the ordered consumer indexes while workers sign).
        let block = 16, blocks = (n + block - 1) / block
        shared.done = [Bool](repeating: false, count: blocks)
        let group = DispatchGroup()
        let t0 = DispatchTime.now().uptimeNanoseconds
        for t in 0..<threads {
            group.enter()
            let h = hashers[t]
            Thread {
                var count = 0
                while true {
                    let b = shared.take(1)
                    if b >= blocks { break }
                    for d in (b * block)..<min(n, (b + 1) * block) {
                        count += h.sign(shared.docs[d].2)
                        let sig = h.signature
                        for i in 0..<perms { shared.signatures[d * perms + i] = sig[sig.startIndex + i] }
                    }
                    shared.cond.lock()
                    shared.done[b] = true
                    shared.cond.broadcast()
                    shared.cond.unlock()
                }
                shared.cond.lock()
                shared.counts[t] = count
                shared.lastSigned = max(shared.lastSigned, DispatchTime.now().uptimeNanoseconds)
                shared.cond.unlock()
                group.leave()
            }.start()
        }
        let index = MinHashIndex(options: options.minhash)
        for b in 0..<blocks {
            shared.cond.lock()
            while !shared.done[b] { shared.cond.wait() }
            shared.cond.unlock()
            for d in (b * block)..<min(n, (b + 1) * block) {
                index.add(position: docs[d].0, id: docs[d].1, empty: docs[d].2.isEmpty,
                          signature: UnsafeBufferPointer(rebasing: signatures[(d * perms)..<((d + 1) * perms)]))
            }
        }
        let decisions = Decisions()
        index.resolve(into: decisions)
        group.wait()
        let t2 = DispatchTime.now().uptimeNanoseconds
        let t1 = min(shared.lastSigned, t2)

        var r = Result()
        r.documents = n
        r.shingles = (0..<threads).reduce(0) { $0 + shingleCounts[$1] }
        r.signatureSeconds = Double(t1 - t0) / 1e9
        r.lshSeconds = Double(t2 - t1) / 1e9
        r.clusters = decisions.clusters
        r.verifiedPairs = decisions.verifiedPairs
        r.removed = decisions.removed.count
        return r
    }

    final class SharedInputs: @unchecked Sendable {
        let docs: [(UInt64, String, [UInt8])]
        let signatures: UnsafeMutableBufferPointer<UInt32>
        let counts: UnsafeMutableBufferPointer<Int>
        let lock = NSLock()
        let cond = NSCondition()
        var done: [Bool] = []
        var lastSigned: UInt64 = 0
        var next = 0
        func take(_ k: Int) -> Int {
            lock.lock()
            defer { lock.unlock() }
            let v = next
            next += k
            return v
        }
        init(docs: [(UInt64, String, [UInt8])], signatures: UnsafeMutableBufferPointer<UInt32>,
             counts: UnsafeMutableBufferPointer<Int>) {
            self.docs = docs
            self.signatures = signatures
            self.counts = counts
        }
    }
}
