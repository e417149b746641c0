import CSimdjsonShim
import CZstd
import Foundation

/// A batch after its chain ran: the kept records serialized, what each stage dropped or
/// rejected, per-stage stats and the sink's batch result. Merged in input order by the runner.
public final class ProcessedBatch: @unchecked Sendable {
    public let batch: Batch
    /// Kept records as JSON Lines (empty with `discardOutput`).
    public internal(set) var output: [UInt8] = []
    /// Per stage: dropped records (with their reason in metadata) as JSON Lines; stage 0 also
    /// holds the lines that could not be read, verbatim, in record order.
    public internal(set) var rejected: [[UInt8]]
    public internal(set) var messages: [String] = []
    /// Per stage.
    public internal(set) var stats: [RunStats]
    /// First error in this batch (for --strict).
    public internal(set) var firstError: String?
    /// The last stage's batch result when it is a sink.
    public internal(set) var sinkResult: Any?
    /// With `Engine.Config.collectReport`: per stage, per drop reason, the batch's sampled
    /// dropped records (`DropSamples`).
    public internal(set) var samples: [Int: DropSamples] = [:]

    init(batch: Batch, stages: Int) {
        self.batch = batch
        rejected = Array(repeating: [], count: stages)
        stats = Array(repeating: RunStats(), count: stages)
    }
}

/// In-order turns for an ordered stage: batch `seq` resolves after batch `seq - 1`.
final class Sequencer: @unchecked Sendable {
    let cond = NSCondition()
    var next = 0
    var cancelled = false

    /// Waits for `seq`'s turn; false when the run was cancelled.
    func wait(_ seq: Int) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while next != seq && !cancelled { cond.wait() }
        return !cancelled
    }

    func done() {
        cond.lock()
        next += 1
        cond.broadcast()
        cond.unlock()
    }

    func cancel() {
        cond.lock()
        cancelled = true
        cond.broadcast()
        cond.unlock()
    }
}

/// Bump allocation for the text and ids of a batch's documents (the parser's unescaped strings
/// live only until its next call, and a batch's documents live until the batch is written).
final class Arena {
    var blocks: [UnsafeMutablePointer<UInt8>] = []
    var sizes: [Int] = []
    var current = 0
    var used = 0

    func copy(_ p: UnsafePointer<UInt8>, _ n: Int) -> UnsafeBufferPointer<UInt8> {
        if blocks.isEmpty || used + n > sizes[current] {
            if !blocks.isEmpty && current + 1 < blocks.count && sizes[current + 1] >= n {
                current += 1
            } else {
                let size = max(n, 1 << 20)
                blocks.append(.allocate(capacity: size))
                sizes.append(size)
                current = blocks.count - 1
            }
            used = 0
        }
        let dst = blocks[current] + used
        dst.update(from: p, count: n)
        used += n
        return UnsafeBufferPointer(start: dst, count: n)
    }

    func reset() {
        current = 0
        used = 0
        // keep the first block only: an odd large batch does not pin its memory
        while blocks.count > 1 && sizes.last! > (1 << 20) {
            blocks.removeLast().deallocate()
            sizes.removeLast()
        }
    }

    deinit { for b in blocks { b.deallocate() } }
}

/// One zstd frame per call (with a checksum, as ZstdSink writes), for compressing on workers.
public final class FrameZstd {
    let cctx: OpaquePointer
    public init(level: Int32) {
        cctx = ZSTD_createCCtx()
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
    }
    deinit { ZSTD_freeCCtx(cctx) }

    /// A complete frame holding `bytes` (a valid, empty frame for no bytes).
    public func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let n = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in ZSTD_compress2(cctx, dst.baseAddress, dst.count, src.baseAddress, src.count) }
        }
        precondition(ZSTD_isError(n) == 0, "zstd: \(String(cString: ZSTD_getErrorName(n)))")
        out.removeLast(out.count - n)
        return out
    }
}

/// Runs a chain of stages over batches; one per worker thread.
final class BatchProcessor {
    let stages: [AnyStage]
    let workers: [AnyWorker]
    /// The last stage is a sink: its batch result goes to the runner's consumer.
    let lastIsSink: Bool
    let sequencers: [Sequencer?]
    let files: [InputFile]
    let reader: ReaderOptions
    let writeRejected: Bool
    /// Scans and token sinks that need no serialized records.
    let discardOutput: Bool
    let parser: OpaquePointer
    let textFieldBytes: [CChar]
    var spans: [llm_field_span]
    let arena = Arena()
    /// Set: serialized bytes are compressed here, on the worker thread (one zstd frame each).
    var compressor: FrameZstd?
    /// `idPrefix` by file (and JSON or text).
    var idPrefixes: [Int: (string: String, json: [UInt8])] = [:]

    /// One record of the batch being processed.
    struct Slot {
        enum State { case live, dropped(stage: Int, verdict: Verdict), unreadable(reason: String) }
        var doc: Document
        var raw: UnsafeBufferPointer<UInt8>
        var kind: RecordKind
        var fieldStart: Int
        var info: llm_record_info
        var assigned: AssignedID?
        var state: State
    }
    var slots: [Slot] = []
    var fields: [llm_field_span] = []
    /// No ordered stage in the chain: each record goes through every stage and is written as
    /// soon as it is parsed (no copy of its text, no deferred slots). With an ordered stage, the
    /// batch's records are held until its turn (`runStages`).
    let streaming: Bool
    /// The first ordered stage: records run through it one by one as they are parsed, and only
    /// the live ones are held for its turn (their text copied when a later stage reads it).
    let firstOrdered: Int
    /// Per stage, for the streaming path.
    var stageCounters: [Counters] = []
    /// `llmdata run`'s report data: length histograms at the chain's ends and samples of what
    /// each stage dropped.
    var collectReport = false
    /// Which ends of the chain count lengths (a run's first stage, its last).
    var countLengthIn = true, countLengthOut = true
    var lengthIn = [Int](repeating: 0, count: Log2Histogram.bins)
    var lengthOut = [Int](repeating: 0, count: Log2Histogram.bins)
    var scratch: [UInt8] = []
    /// Repaired record bytes of the batch (their raw spans point into them).
    var owned: [[UInt8]] = []

    init(stages: [AnyStage], lastIsSink: Bool, sequencers: [Sequencer?], files: [InputFile], reader: ReaderOptions,
         writeRejected: Bool, discardOutput: Bool) throws {
        self.stages = stages
        self.workers = try stages.map { try $0.make() }
        self.lastIsSink = lastIsSink
        self.sequencers = sequencers
        self.files = files
        self.reader = reader
        self.writeRejected = writeRejected
        self.discardOutput = discardOutput
        self.parser = llm_json_parser_new()
        self.textFieldBytes = Array(reader.textField.utf8CString)
        self.spans = [llm_field_span](repeating: llm_field_span(), count: 64)
        self.firstOrdered = stages.firstIndex { $0.resolve != nil } ?? stages.count
        self.streaming = firstOrdered == stages.count
        self.stageCounters = Array(repeating: Counters(), count: stages.count)
    }

    deinit { llm_json_parser_free(parser) }

    func process(_ batch: Batch) -> ProcessedBatch {
        let out = ProcessedBatch(batch: batch, stages: stages.count)
        let file = files[batch.fileIndex]
        out.stats[0].bytesIn = batch.bytesIn
        if batch.emptyLines > 0 { out.stats[0].counters.add("empty_lines", batch.emptyLines) }
        for n in batch.notices {
            let where_ = n.line > 0 ? "\(file.displayPath):\(n.line)" : file.displayPath
            out.messages.append("\(where_): \(n.message)")
            out.stats[0].rejected[n.reason, default: 0] += 1
            // an over-long line is a record that was read and rejected, like an unparsable one
            // (records_in = out + dropped + rejected); the other notices are not records
            if n.reason == "line_too_long" { out.stats[0].recordsIn += 1 }
            if out.firstError == nil { out.firstError = "\(where_): \(n.message)" }
        }
        slots.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        owned.removeAll(keepingCapacity: true)
        arena.reset()
        var counters = Counters()
        if !discardOutput { out.output.reserveCapacity(batch.bytesIn + batch.bytesIn / 8) }
        batch.data.withUnsafeBufferPointer { data in
            if streaming {
                let t0 = Clock.now()
                for span in batch.spans {
                    parse(span, data, batch: batch, file: file, out: out, saveFields: false)
                    runRecord(out: out)
                    write(out: out)
                    slots.removeAll(keepingCapacity: true)
                }
                finishStreaming(out: out, start: t0)
                flushLengths(out: out)
                return
            }
            slots.reserveCapacity(batch.spans.count)
            let t0 = Clock.now()
            let k = firstOrdered
            // the text is read again after the turn by later stages, and by the report's lengths
            // and samples when writing
            let readLater = k < stages.count - 1 || collectReport
            var atK: [Int] = []
            for span in batch.spans {
                parse(span, data, batch: batch, file: file, out: out, saveFields: true)
                let i = slots.count - 1
                guard case .live = slots[i].state else { continue }
                if runRecord(i, through: k, out: out) { atK.append(i) }
                if readLater { holdText(i) }
            }
            if workers.count == 1 { out.stats[0].cpuSeconds += Clock.now() - t0 }
            resolveOrdered(k, processed: atK, batch: batch, out: out)
            runStages(from: k + 1, batch: batch, out: out, counters: &counters)
            write(out: out)
            flushLengths(out: out)
        }
        // stats count the JSON Lines bytes (before any compression), as a subcommand's do
        if !discardOutput {
            let last = stages.count - 1
            out.stats[last].bytesOut = out.output.count
            if lastIsSink && last > 0 {
                // the sink keeps every record: what it consumed is what is written, and what the
                // stage before it would have written in a shell pipeline
                out.stats[last].bytesIn = out.output.count
                out.stats[last - 1].bytesOut = out.output.count
            }
        }
        if let z = compressor {
            out.output = z.compress(out.output)
            for k in out.rejected.indices where !out.rejected[k].isEmpty { out.rejected[k] = z.compress(out.rejected[k]) }
        }
        return out
    }

    /// Slot `i` (live) through stages `0...last` until one drops it; true when it reached
    /// stage `last`. Stages are timed one by one only in a chain (a single stage is timed per
    /// batch).
    @inline(__always) @discardableResult
    func runRecord(_ i: Int, through last: Int, out: ProcessedBatch) -> Bool {
        let timed = workers.count > 1
        for s in 0...last {
            let t0 = timed ? Clock.now() : 0
            if s > 0 { out.stats[s].recordsIn += 1 }
            // the document holds the only reference, so a stage's counters.add does not copy
            swap(&slots[i].doc.counters, &stageCounters[s])
            let verdict = workers[s].process(&slots[i].doc)
            swap(&slots[i].doc.counters, &stageCounters[s])
            if timed { out.stats[s].cpuSeconds += Clock.now() - t0 }
            if case .drop(let reason, _) = verdict {
                slots[i].state = .dropped(stage: s, verdict: verdict)
                out.stats[s].dropped[reason, default: 0] += 1
                return s == last
            }
            out.stats[s].recordsOut += 1
        }
        return true
    }

    /// One record of the batch into a new slot (unreadable ones too).
    @inline(__always)
    func parse(_ span: (start: Int, end: Int, line: Int), _ data: UnsafeBufferPointer<UInt8>, batch: Batch, file: InputFile,
               out: ProcessedBatch, saveFields: Bool) {
        out.stats[0].recordsIn += 1
        let raw = UnsafeBufferPointer(rebasing: data[span.start..<span.end])
        switch batch.kind {
        case .json: parseJSON(raw, line: span.line, batch: batch, file: file, out: out, counters: &stageCounters[0], saveFields: saveFields)
        case .text: parseText(raw, line: span.line, batch: batch, file: file, counters: &stageCounters[0])
        }
    }

    /// Streaming: the record just parsed (`slots[0]`, if readable) through every stage.
    @inline(__always)
    func runRecord(out: ProcessedBatch) {
        guard !slots.isEmpty, case .live = slots[0].state else { return }
        runRecord(0, through: workers.count - 1, out: out)
    }

    /// A held document's text and id, copied out of the parser's buffer (the next parse reuses it).
    func holdText(_ i: Int) {
        let raw = slots[i].raw
        func inRaw(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let p = b.baseAddress, let base = raw.baseAddress else { return true }
            return p >= base && p + b.count <= base + raw.count
        }
        if slots[i].doc.newText == nil && slots[i].doc.originalText.count > 0 && !inRaw(slots[i].doc.originalText) {
            slots[i].doc.originalText = arena.copy(slots[i].doc.originalText.baseAddress!, slots[i].doc.originalText.count)
        }
        if let id = slots[i].doc.ownID, id.count > 0, !inRaw(id) {
            slots[i].doc.ownID = arena.copy(id.baseAddress!, id.count)
        }
    }

    /// The ordered stage `k` (its records processed one by one): its batch result, then its
    /// turn to resolve, then its drops. Stages before it finish their batch too.
    func resolveOrdered(_ k: Int, processed: [Int], batch: Batch, out: ProcessedBatch) {
        for s in 0...k {
            let result = workers[s].finishBatch(&stageCounters[s])
            out.stats[s].counters.merge(stageCounters[s])
            stageCounters[s] = Counters()
            if s == k { out.stats[s].recordsOut -= resolveInTurn(s, result, processed: processed, batch: batch, out: out) }
        }
    }

    /// Waits for batch `seq`'s turn at ordered stage `s`, resolves its result and drops what it
    /// names (`processed`: the slots the stage saw, in order). Returns how many it dropped.
    func resolveInTurn(_ s: Int, _ result: Any, processed: [Int], batch: Batch, out: ProcessedBatch) -> Int {
        guard let resolve = stages[s].resolve, let seqr = sequencers[s], seqr.wait(batch.seq) else { return 0 }
        let drops = resolve(result)
        seqr.done()
        var n = 0
        for d in drops {
            let i = processed[d.index]
            guard case .live = slots[i].state, case .drop(let reason, _) = d.verdict else { continue }
            slots[i].state = .dropped(stage: s, verdict: d.verdict)
            out.stats[s].dropped[reason, default: 0] += 1
            n += 1
        }
        return n
    }

    /// Streaming: each stage's batch result and counters.
    func finishStreaming(out: ProcessedBatch, start: Double) {
        for (s, worker) in workers.enumerated() {
            let result = worker.finishBatch(&stageCounters[s])
            if s == workers.count - 1 && lastIsSink { out.sinkResult = result }
            out.stats[s].counters.merge(stageCounters[s])
            stageCounters[s] = Counters()
        }
        if workers.count == 1 { out.stats[0].cpuSeconds += Clock.now() - start }
    }

    /// Stages `first...` over the live records of the batch, in chain order (after an ordered
    /// stage: their records were held for its turn).
    func runStages(from first: Int, batch: Batch, out: ProcessedBatch, counters: inout Counters) {
        var processed: [Int] = []
        for (s, worker) in workers.enumerated() where s >= first {
            let t0 = Clock.now()
            var live = 0
            processed.removeAll(keepingCapacity: true)
            for i in slots.indices {
                guard case .live = slots[i].state else { continue }
                live += 1
                processed.append(i)
                // the document holds the only reference, so a stage's counters.add does not copy
                swap(&slots[i].doc.counters, &counters)
                let verdict = worker.process(&slots[i].doc)
                swap(&slots[i].doc.counters, &counters)
                if case .drop(let reason, _) = verdict {
                    slots[i].state = .dropped(stage: s, verdict: verdict)
                    out.stats[s].dropped[reason, default: 0] += 1
                }
            }
            let result = worker.finishBatch(&counters)
            _ = resolveInTurn(s, result, processed: processed, batch: batch, out: out)
            if s == workers.count - 1 && lastIsSink { out.sinkResult = result }
            if s > 0 { out.stats[s].recordsIn = live }
            var kept = 0
            for i in processed { if case .live = slots[i].state { kept += 1 } }
            out.stats[s].recordsOut = kept
            out.stats[s].counters.merge(counters)
            counters = Counters()
            out.stats[s].cpuSeconds += Clock.now() - t0
        }
    }

    /// Serializes the batch: kept records to `output`, dropped ones to their stage's rejected
    /// bytes, unreadable ones to stage 0's as `unreadableRecord`s, all in record order.
    func write(out: ProcessedBatch) {
        // streaming: the record's fields are the parser's spans of this record
        (streaming ? spans : fields).withUnsafeBufferPointer { allFields in
            slots.withUnsafeBufferPointer { all in
                for i in all.indices {
                    switch all[i].state {
                    case .live:
                        if collectReport { lengthOut[Log2Histogram.bin(all[i].doc.withText { Log2Histogram.characters($0) })] += 1 }
                        if discardOutput { continue }
                        write(all[i], allFields, extra: nil, to: &out.output)
                    case .dropped(let s, let verdict):
                        guard case .drop(let reason, let annotation) = verdict else { continue }
                        if collectReport { sample(all[i], allFields, stage: s, reason: reason, extra: annotation, out: out) }
                        guard writeRejected else { continue }
                        write(all[i], allFields, extra: annotation, to: &out.rejected[s])
                    case .unreadable(let reason):
                        if writeRejected {
                            unreadableRecord(all[i].raw, reason: reason, line: all[i].doc.line,
                                             file: files[out.batch.fileIndex], to: &out.rejected[0])
                        }
                    }
                }
            }
        }
    }

    /// Offers a dropped record to its stage's and reason's sample (`DropSamples`); the sample
    /// line is built only when the record's hash ranks among the kept ones.
    func sample(_ slot: borrowing Slot, _ allFields: UnsafeBufferPointer<llm_field_span>, stage s: Int, reason: String,
                extra: (String, JSONValue)?, out: ProcessedBatch) {
        let id = slot.doc.id
        let h = DropSamples.rank(id)
        if out.samples[s] == nil { out.samples[s] = DropSamples() }
        guard out.samples[s]!.wants(reason: reason, rank: h) else { return }
        scratch.removeAll(keepingCapacity: true)
        write(slot, allFields, extra: extra, to: &scratch)
        let metadata: [UInt8] = scratch.withUnsafeBufferPointer { rec in
            ObjectScanner.value(of: "metadata", in: UnsafeBufferPointer(rebasing: rec[0..<max(0, rec.count - 1)])).map { Array(rec[$0]) } ?? Array("null".utf8)
        }
        let (head, truncated) = slot.doc.withText { DropSamples.head($0) }
        var line: [UInt8] = []
        JSONWriter.appendObject([("stage", .string(stages[s].name)), ("reason", .string(reason)), ("id", .string(id)),
                                 ("text", .string(head)), ("truncated", .bool(truncated)), ("metadata", .raw(metadata))], to: &line)
        out.samples[s]!.add(reason: reason, rank: h, id: id, line: line)
    }

    /// The report's length histograms into the batch's stats (first and last stage).
    func flushLengths(out: ProcessedBatch) {
        guard collectReport else { return }
        if countLengthIn { Log2Histogram.flush(&lengthIn, prefix: "length_in_log2", into: &out.stats[0].counters) }
        if countLengthOut { Log2Histogram.flush(&lengthOut, prefix: "length_out_log2", into: &out.stats[stages.count - 1].counters) }
        for k in lengthIn.indices { lengthIn[k] = 0; lengthOut[k] = 0 }
    }

    @inline(__always)
    func write(_ slot: borrowing Slot, _ allFields: UnsafeBufferPointer<llm_field_span>, extra: (String, JSONValue)?, to out: inout [UInt8]) {
        switch slot.kind {
        case .json:
            let f = UnsafeBufferPointer(rebasing: allFields[slot.fieldStart..<(slot.fieldStart + Int(slot.info.field_count))])
            RecordWriter.write(raw: slot.raw, fields: f, info: slot.info, doc: slot.doc, assignedID: slot.assigned, extra: extra, to: &out)
        case .text:
            RecordWriter.writeNew(doc: slot.doc, id: slot.assigned!, textField: reader.textField, extra: extra, to: &out)
        }
    }

    func unreadable(_ raw: UnsafeBufferPointer<UInt8>, reason: String, message: String, line: Int, file: InputFile, out: ProcessedBatch) {
        let m = "\(file.displayPath):\(line): \(message)"
        out.messages.append(m)
        if out.firstError == nil { out.firstError = m }
        out.stats[0].rejected[reason, default: 0] += 1
        var doc = Document(text: UnsafeBufferPointer(start: nil, count: 0), ownID: nil, assignedIDPrefix: "", metadataRaw: nil, counters: Counters())
        doc.line = line
        slots.append(Slot(doc: doc, raw: raw, kind: .json, fieldStart: 0, info: llm_record_info(), assigned: nil,
                          state: .unreadable(reason: reason)))
    }

    /// A record that could not be read, as `--rejected` holds it (docs/protocol.md, "Bad input"):
    /// one JSON object whose text field is the input line as a string, then `reason`, `file` and
    /// `line`. A line that is not UTF-8 has U+FFFD in its text and its exact bytes in `raw_base64`.
    /// So the rejected file stays JSON Lines, whatever the line held.
    func unreadableRecord(_ raw: UnsafeBufferPointer<UInt8>, reason: String, line: Int, file: InputFile, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        JSONWriter.appendString(reader.textField, to: &out)
        out.append(UInt8(ascii: ":"))
        let valid = raw.isEmpty || llm_utf8_valid(raw.baseAddress, raw.count) != 0
        if valid {
            JSONWriter.appendString(raw, to: &out)
        } else {
            UTF8Repair.repair(raw).withUnsafeBufferPointer { JSONWriter.appendString($0, to: &out) }
        }
        JSONWriter.appendStatic(",\"reason\":", to: &out)
        JSONWriter.appendString(reason, to: &out)
        JSONWriter.appendStatic(",\"file\":", to: &out)
        JSONWriter.appendString(file.displayPath, to: &out)
        JSONWriter.appendStatic(",\"line\":", to: &out)
        JSONWriter.appendInt(line, to: &out)
        if !valid {
            JSONWriter.appendStatic(",\"raw_base64\":", to: &out)
            JSONWriter.appendString(Data(raw).base64EncodedString(), to: &out)
        }
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }

    /// An element of a `.json` array with a line break, carriage return or tab between its tokens,
    /// without the whitespace outside its strings, padded for the parser (nil when it has none):
    /// its record then stays on one line of the output. Raw control characters inside strings
    /// are invalid JSON and are left for the parser to reject.
    static func compacted(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let base = raw.baseAddress,
              memchr(base, 0x0A, raw.count) != nil || memchr(base, 0x0D, raw.count) != nil || memchr(base, 0x09, raw.count) != nil
        else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + Int(LLM_JSON_PADDING))
        var inString = false, escape = false
        for c in raw {
            if inString {
                if escape { escape = false } else if c == 0x5C { escape = true } else if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true
            } else if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                continue
            }
            out.append(c)
        }
        out.append(contentsOf: repeatElement(0, count: Int(LLM_JSON_PADDING)))
        return out
    }

    func parse(_ raw: UnsafeBufferPointer<UInt8>, _ info: inout llm_record_info) -> Int32 {
        while true {
            let st = textFieldBytes.withUnsafeBufferPointer { tf in
                spans.withUnsafeMutableBufferPointer { sp in
                    llm_json_parse_record(parser, raw.baseAddress, raw.count, tf.baseAddress, tf.count - 1,
                                          sp.baseAddress, UInt32(sp.count), &info)
                }
            }
            if Int(st) == LLM_JSON_TOO_MANY_FIELDS {
                spans = [llm_field_span](repeating: llm_field_span(), count: Int(info.field_count) * 2)
                continue
            }
            return st
        }
    }

    /// The document's text and id point into the parser's buffer, valid until the next parse
    /// (`holdText` copies them for a document held longer). `saveFields`: keep the record's field
    /// spans for writing it after later records were parsed.
    func parseJSON(_ rawIn: UnsafeBufferPointer<UInt8>, line: Int, batch: Batch, file: InputFile, out: ProcessedBatch, counters: inout Counters,
                   saveFields: Bool) {
        var info = llm_record_info()
        var raw = rawIn
        if batch.fromArray, let compact = Self.compacted(rawIn) {
            owned.append(compact)
            // the array's storage does not move while `owned` holds it unchanged
            raw = owned[owned.count - 1].withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[0..<($0.count - Int(LLM_JSON_PADDING))]) }
        }
        var st = parse(raw, &info)
        if (Int(st) == LLM_JSON_INVALID_UTF8 || Int(st) == LLM_JSON_BAD_STRING) && reader.repairUTF8 {
            var fixed = UTF8Repair.repair(raw)
            if Int(st) == LLM_JSON_BAD_STRING { fixed = UTF8Repair.replaceLoneSurrogateEscapes(fixed) }
            fixed.append(contentsOf: repeatElement(0, count: Int(LLM_JSON_PADDING)))
            owned.append(fixed)
            // the array's storage does not move while `owned` holds it unchanged
            raw = owned[owned.count - 1].withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[0..<($0.count - Int(LLM_JSON_PADDING))]) }
            st = parse(raw, &info)
            if Int(st) == LLM_JSON_OK { counters.add("utf8_repaired") }
        }
        guard Int(st) == LLM_JSON_OK else {
            let (reason, msg) = Self.describe(st, info, raw: rawIn)
            unreadable(rawIn, reason: reason, message: msg, line: line, file: file, out: out)
            return
        }
        let text = UnsafeBufferPointer(start: info.text ?? UnsafePointer(bitPattern: 1), count: info.text_len)
        let ownID: UnsafeBufferPointer<UInt8>?
        if let p = info.id {
            ownID = UnsafeBufferPointer(start: p, count: info.id_len)
        } else if info.id_field >= 0 {
            let f = spans[Int(info.id_field)]
            ownID = UnsafeBufferPointer(rebasing: raw[Int(f.value_start)..<Int(f.value_end)])
        } else {
            ownID = nil
        }
        let prefix = idPrefix(file, fileIndex: batch.fileIndex, json: true)
        var metaRaw: UnsafeBufferPointer<UInt8>? = nil
        if info.metadata_field >= 0 {
            let f = spans[Int(info.metadata_field)]
            metaRaw = UnsafeBufferPointer(rebasing: raw[Int(f.value_start)..<Int(f.value_end)])
        }
        var doc = Document(text: text, ownID: ownID, assignedIDPrefix: prefix.string, metadataRaw: metaRaw, counters: Counters())
        doc.fileIndex = file.number ?? batch.fileIndex
        doc.line = line
        doc.rawRecord = raw
        let start = saveFields ? fields.count : 0
        if saveFields { fields.append(contentsOf: spans[0..<Int(info.field_count)]) }
        if collectReport { lengthIn[Log2Histogram.bin(Log2Histogram.characters(text))] += 1 }
        slots.append(Slot(doc: doc, raw: raw, kind: .json, fieldStart: start, info: info,
                          assigned: ownID == nil ? AssignedID(prefix: prefix.json, line: line) : nil, state: .live))
    }

    func parseText(_ raw: UnsafeBufferPointer<UInt8>, line: Int, batch: Batch, file: InputFile, counters: inout Counters) {
        var ownedText: [UInt8]? = nil
        if llm_utf8_valid(raw.baseAddress, raw.count) == 0 {
            ownedText = UTF8Repair.repair(raw)
            counters.add("utf8_repaired")
        }
        // CRLF inside paragraph or whole-file records becomes LF.
        if (ownedText.map { $0.contains(0x0D) } ?? raw.contains(0x0D)) {
            var b = ownedText ?? Array(raw)
            var w = 0
            for r in 0..<b.count {
                if b[r] == 0x0D && r + 1 < b.count && b[r + 1] == 0x0A { continue }
                b[w] = b[r]
                w += 1
            }
            b.removeLast(b.count - w)
            ownedText = b
        }
        let text: UnsafeBufferPointer<UInt8>
        if let ownedText {
            text = ownedText.isEmpty ? UnsafeBufferPointer(start: UnsafePointer(bitPattern: 1), count: 0)
                : ownedText.withUnsafeBufferPointer { arena.copy($0.baseAddress!, $0.count) }
        } else {
            text = raw
        }
        let prefix = idPrefix(file, fileIndex: batch.fileIndex, json: false)
        var doc = Document(text: text, ownID: nil, assignedIDPrefix: prefix.string, metadataRaw: nil, counters: Counters())
        doc.fileIndex = file.number ?? batch.fileIndex
        doc.line = line
        if collectReport { lengthIn[Log2Histogram.bin(Log2Histogram.characters(text))] += 1 }
        slots.append(Slot(doc: doc, raw: raw, kind: .text, fieldStart: 0, info: llm_record_info(),
                          assigned: AssignedID(prefix: prefix.json, line: line), state: .live))
    }

    /// The assigned-id prefix of a file's records (`PATH:`, or `stdin:` for plain text read from
    /// stdin), as a String and JSON-escaped without its closing quote; made once per file.
    func idPrefix(_ file: InputFile, fileIndex: Int, json: Bool) -> (string: String, json: [UInt8]) {
        let key = fileIndex * 2 + (json ? 1 : 0)
        if let p = idPrefixes[key] { return p }
        let s = !json && file.format == .txt && file.path == "-" ? "stdin:" : "\(file.relativePath):"
        var j: [UInt8] = []
        JSONWriter.appendString(s, to: &j)
        j.removeLast()  // the closing quote: the line number follows
        idPrefixes[key] = (s, j)
        return (s, j)
    }

    static func describe(_ st: Int32, _ info: llm_record_info, raw: UnsafeBufferPointer<UInt8>) -> (String, String) {
        let detail = info.error.map { String(cString: $0) } ?? "unknown error"
        switch Int(st) {
        case LLM_JSON_INVALID:
            return ("invalid_json", "invalid JSON: \(detail)")
        case LLM_JSON_NOT_OBJECT:
            return ("not_an_object", "the line is JSON but not an object")
        case LLM_JSON_MISSING_TEXT:
            return ("missing_text", "missing text field (hint: --text-field NAME reads another field)")
        case LLM_JSON_TEXT_NOT_STRING:
            return ("text_not_string", "the text field is not a string")
        case LLM_JSON_INVALID_UTF8:
            return ("invalid_utf8", "invalid UTF-8 (hint: --repair-utf8 replaces bad bytes with U+FFFD)")
        case LLM_JSON_BAD_STRING:
            if UTF8Repair.hasSurrogateEscape(raw) {
                return ("lone_surrogate", "lone surrogate escape in a string (hint: --repair-utf8 replaces it with U+FFFD)")
            }
            return ("invalid_json", "invalid JSON: bad string escape")
        case LLM_JSON_CAPACITY:
            return ("too_large", "record too large for the JSON parser")
        default:
            return ("invalid_json", "invalid JSON: \(detail)")
        }
    }
}
