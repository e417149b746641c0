import Dispatch
import Foundation
import LLMDataCore

/// `llmdata dedup --mode minhash --bench-minhash` (hidden): times the MinHash phases alone --
/// signatures (shingling, shingle hashing, permutations) on `jobs` threads, then LSH, candidate
/// verification and clustering -- over keys normalized beforehand, outside the clock. These are
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

    final class KeyVisitor: BatchVisitor {
        let keys: KeyNormalizer
        var batch: [(UInt64, String, [UInt8])] = []
        init(options: DedupOptions) throws { keys = try KeyNormalizer(options: options.key) }
        func visit(_ doc: inout Document) {
            doc.withText { keys.normalize($0) }
            batch.append((position(doc), doc.id, keys.key))
        }
        func finishBatch() -> [(UInt64, String, [UInt8])] {
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

        // phase 1: signatures; threads take blocks of 16 documents from a shared counter
        let t0 = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let h = hashers[t]
            var count = 0
            while true {
                let first = shared.take(16)
                if first >= n { break }
                for d in first..<min(n, first + 16) {
                    count += h.sign(shared.docs[d].2)
                    let sig = h.signature
                    for i in 0..<perms { shared.signatures[d * perms + i] = sig[sig.startIndex + i] }
                }
            }
            shared.counts[t] = count
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        // phase 2: LSH, verification, union-find, decisions
        let index = MinHashIndex(options: options.minhash)
        for d in 0..<n {
            index.add(position: docs[d].0, id: docs[d].1, empty: docs[d].2.isEmpty,
                      signature: UnsafeBufferPointer(rebasing: signatures[(d * perms)..<((d + 1) * perms)]))
        }
        let decisions = Decisions()
        index.resolve(into: decisions)
        let t2 = DispatchTime.now().uptimeNanoseconds

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
