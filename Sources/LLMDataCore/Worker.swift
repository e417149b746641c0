import Foundation

// The execution model (docs/design-notes.md#execution-model)
//
// - A *stage* (normalize, langid, filter, dedup, tokenize, a scan) makes one *worker* per worker
//   thread. Workers see the records of a *batch* (a run of records from one input file) in input
//   order and decide keep or drop for each; at the end of the batch they hand over a typed batch
//   result (`RecordWorker.Batch`).
// - Stages compose in memory: a batch passes through every stage of a chain inside one worker
//   thread; records are parsed once and serialized once.
// - An *ordered* stage (exact dedup) decides on a batch only after every earlier batch: the
//   runner calls its `resolve` in batch order, while later stages of the chain wait for it.
// - A *sink* (tokenize, counting scans) ends a chain: its batch results reach the runner's
//   consumer on the writer thread in batch order.
// - The runner (Runner.swift) owns reading, ordering, stats, progress, errors, output and
//   cleanup. Stages only decide and count; they report extra stats through `extraStats()`.

/// A stage of records. `makeWorker()` is called once per worker thread.
public protocol RecordStage: Sendable {
    associatedtype Worker: RecordWorker
    /// The subcommand name used in messages and stats (`normalize`).
    var name: String { get }
    func makeWorker() throws -> Worker
    /// Ordered stages only: called once per batch, in input order, with the worker's result for
    /// the batch. Returns the records to drop after all, by their position among the records the
    /// worker processed in that batch (0-based), with the drop verdict.
    func resolve(_ batch: Worker.Batch) -> [(index: Int, verdict: Verdict)]
    /// Whether `resolve` must be called (exact dedup).
    var isOrdered: Bool { get }
    /// Fields this stage adds to its `--stats` document, asked once after the last batch.
    func extraStats() -> [(String, JSONValue)]
}

extension RecordStage {
    public func resolve(_ batch: Worker.Batch) -> [(index: Int, verdict: Verdict)] { [] }
    public var isOrdered: Bool { false }
    public func extraStats() -> [(String, JSONValue)] { [] }
}

/// One worker thread's instance of a stage.
public protocol RecordWorker: AnyObject {
    /// What the worker hands over after each batch (Void for most stages).
    associatedtype Batch = Void
    func process(_ doc: inout Document) -> Verdict
    /// Called after the last record of each batch. A worker that counts in its own form (per
    /// language index, not by String key per record) adds its counts for the batch here.
    func finishBatch(_ counters: inout Counters) -> Batch
}

extension RecordWorker where Batch == Void {
    public func finishBatch(_ counters: inout Counters) {}
}

// MARK: - Type erasure used by the runner (a chain holds stages of different types)

/// A stage of a chain with its type erased.
public struct AnyStage: @unchecked Sendable {
    public let name: String
    let make: () throws -> AnyWorker
    let resolve: ((Any) -> [(index: Int, verdict: Verdict)])?
    public let extraStats: () -> [(String, JSONValue)]

    public init<S: RecordStage>(_ s: S) {
        name = s.name
        make = { AnyWorkerBox<S.Worker>(try s.makeWorker()) }
        resolve = s.isOrdered ? { s.resolve($0 as! S.Worker.Batch) } : nil
        extraStats = { s.extraStats() }
    }
}

class AnyWorker {
    func process(_ doc: inout Document) -> Verdict { fatalError("abstract") }
    func finishBatch(_ counters: inout Counters) -> Any { fatalError("abstract") }
    var base: AnyObject { fatalError("abstract") }
}

final class AnyWorkerBox<W: RecordWorker>: AnyWorker {
    let worker: W
    init(_ w: W) { worker = w }
    override func process(_ doc: inout Document) -> Verdict { worker.process(&doc) }
    override func finishBatch(_ counters: inout Counters) -> Any { worker.finishBatch(&counters) }
    override var base: AnyObject { worker }
}
