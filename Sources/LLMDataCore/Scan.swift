import Foundation

/// A read-only pass over records (word counting, signatures): each worker thread gets its own
/// visitor; records reach a visitor in input order within a batch, batches are spread over
/// threads. `doc.fileIndex`/`doc.line` give each record's position for order-sensitive work.
public protocol RecordVisitor: AnyObject {
    func visit(_ doc: inout Document)
}

/// A visitor whose per-batch results must be consumed in input order (token shards, dedup
/// decisions): `finishBatch()` is called after the last record of every batch.
public protocol BatchVisitor: RecordVisitor {
    associatedtype Payload
    func finishBatch() -> Payload
}

public enum RecordScanner {
    final class Adapter: RecordWorker {
        let visitor: RecordVisitor
        init(_ v: RecordVisitor) { visitor = v }
        func process(_ doc: inout Document) -> Verdict {
            visitor.visit(&doc)
            return .keep
        }
    }

    struct AdapterStage: RecordStage, @unchecked Sendable {
        let name: String
        let make: () throws -> RecordVisitor
        let made: Box
        func makeWorker() throws -> RecordWorker {
            let v = try make()
            made.lock.lock()
            made.items.append(v)
            made.lock.unlock()
            return Adapter(v)
        }
    }

    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var items: [RecordVisitor] = []
    }

    /// Reads `files` with `jobs` threads, calling visitors; returns them and the run's stats.
    /// Bad records are reported to stderr as `file:line: reason` and counted; with `strict`
    /// the first one is thrown.
    public static func scan<V: RecordVisitor>(files: [InputFile], reader: ReaderOptions, jobs: Int, stageName: String,
                                              strict: Bool = false, quiet: Bool = false, maxWarnings: Int = 100,
                                              make: @escaping () throws -> V) throws -> (visitors: [V], stats: RunStats) {
        try run(files: files, reader: reader, jobs: jobs, stageName: stageName, strict: strict, quiet: quiet,
                maxWarnings: maxWarnings, make: make, after: nil, consume: nil)
    }

    /// Like `scan`, but each batch's payload is handed to `consume` in input order, on the
    /// calling thread, together with the batch's stats.
    public static func scanOrdered<V: BatchVisitor>(files: [InputFile], reader: ReaderOptions, jobs: Int, stageName: String,
                                                    strict: Bool = false, quiet: Bool = false, maxWarnings: Int = 100,
                                                    make: @escaping () throws -> V,
                                                    consume: @escaping (V.Payload, RunStats) throws -> Void) throws -> (visitors: [V], stats: RunStats) {
        try run(files: files, reader: reader, jobs: jobs, stageName: stageName, strict: strict, quiet: quiet,
                maxWarnings: maxWarnings, make: make,
                after: { v, chunk in chunk.payload = (v as! V).finishBatch() },
                consume: { chunk in try consume(chunk.payload as! V.Payload, chunk.stats) })
    }

    static func run<V: RecordVisitor>(files: [InputFile], reader: ReaderOptions, jobs: Int, stageName: String,
                                      strict: Bool, quiet: Bool, maxWarnings: Int,
                                      make: @escaping () throws -> V,
                                      after: ((RecordVisitor, ProcessedChunk) -> Void)?,
                                      consume: ((ProcessedChunk) throws -> Void)?) throws -> (visitors: [V], stats: RunStats) {
        tuneAllocator()  // as StageRunner: batch buffers are reused, not unmapped and faulted in again
        let box = Box()
        let stage = AdapterStage(name: stageName, make: { try make() }, made: box)
        let jobs = max(1, jobs)
        let pipeline = Pipeline(maxInFlight: jobs * 2 + 2)
        var processors: [ChunkProcessor] = []
        for _ in 0..<jobs {
            let p = try ChunkProcessor(stage: stage, files: files, reader: reader, writeRejected: false)
            p.discardOutput = true
            if let after {
                let v = (p.worker as! Adapter).visitor
                p.afterChunk = { after(v, $0) }
            }
            processors.append(p)
        }
        let done = pipeline.start(files: files, reader: reader, processors: processors)
        var stats = RunStats()
        var warnings = 0
        var seq = 0
        var strictError: String?
        let progress = Progress(stage: stageName, enabled: !quiet && isatty(2) != 0)
        while let r = pipeline.next(seq) {
            seq += 1
            for m in r.messages {
                warnings += 1
                if warnings <= maxWarnings { Diagnostics.write("llmdata \(stageName): warning: \(m)\n") }
            }
            if strict, let e = r.firstError {
                strictError = e
                pipeline.cancel()
                break
            }
            if let consume {
                do { try consume(r) } catch {
                    pipeline.cancel()
                    done.wait()
                    throw error
                }
            }
            stats.merge(r.stats)
            if r.chunk.isLastOfFile { stats.filesProcessed += 1 }
            progress.update(stats)
        }
        done.wait()
        progress.finish(stats)
        if let e = strictError { throw LLMDataError(e, exitCode: .strictViolation) }
        if let e = pipeline.readerError { throw e }
        return (box.items.map { $0 as! V }, stats)
    }
}
