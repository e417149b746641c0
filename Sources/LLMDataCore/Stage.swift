import CSimdjsonShim
import Foundation

/// A record-at-a-time stage (normalize, langid, filter, …). The executor calls `makeWorker()`
/// once per worker thread; a worker sees records in batch order and decides keep or drop.
public protocol RecordStage: Sendable {
    /// The subcommand name used in messages and stats (`normalize`).
    var name: String { get }
    func makeWorker() throws -> RecordWorker
}

public protocol RecordWorker: AnyObject {
    func process(_ doc: inout Document) -> Verdict
    /// Called after the last record of each batch: a worker that counts in its own form (per
    /// language index, not by String key per record) adds its counts for the batch here.
    func finishChunk(_ counters: inout Counters)
}

extension RecordWorker {
    public func finishChunk(_ counters: inout Counters) {}
}

/// A stage whose keep-or-drop depends on earlier records in input order (`dedup --mode exact`),
/// run in one pass: workers process batches in parallel as if every record were kept, and their
/// worker's `finishBatch()` goes to the writer thread, which calls `resolve` on each batch in
/// input order. Records it names are dropped after all: their kept output is taken back and they
/// are parsed and written again with the given verdict (the same parser and writer as a worker),
/// so the output is what a second pass that knew the decisions would write.
public protocol OrderedStage: RecordStage {
    /// For one batch (its workers' `finishBatch()`), in input order: the records to drop after
    /// all, by line, with their drop verdict.
    func resolve(_ payload: Any) -> [(line: Int, verdict: Verdict)]
}

/// A worker that hands what it learnt about a batch to `OrderedStage.resolve`.
public protocol BatchPayloadWorker: RecordWorker {
    func finishBatch() -> Any
}

/// Per-batch results, merged in input order by the writer.
final class ProcessedChunk: @unchecked Sendable {
    let chunk: Chunk
    var output: [UInt8] = []
    var rejected: [UInt8] = []
    var messages: [String] = []
    var stats = RunStats()
    /// First error in this batch (for --strict).
    var firstError: String?
    /// What an ordered scan's visitor (or a BatchPayloadWorker) produced for this batch.
    var payload: Any?
    /// OrderedStage: each record's span and its byte ranges in `output` and `rejected`.
    var slots: [(span: (start: Int, end: Int, line: Int), out: Range<Int>, rej: Range<Int>)] = []

    init(chunk: Chunk) { self.chunk = chunk }
}

/// Runs one stage over chunks; one per worker thread.
final class ChunkProcessor {
    let stage: RecordStage
    let worker: RecordWorker
    let files: [InputFile]
    let reader: ReaderOptions
    let writeRejected: Bool
    let parser: OpaquePointer
    let textFieldBytes: [CChar]
    var spans: [llm_field_span]
    var repairBuf: [UInt8] = []
    /// Scans (bpe count, dedup signatures) need no serialized output.
    var discardOutput = false
    var chunk_fileIndex = 0
    /// Called after each batch (ordered scans collect their visitor's payload here).
    var afterChunk: ((ProcessedChunk) -> Void)?
    /// OrderedStage: note each record's output ranges (`ProcessedChunk.slots`).
    var trackSlots = false
    /// Set while `applyDrops` writes a record again: the verdict, instead of asking the worker.
    var forcedVerdict: Verdict?
    /// `idPrefix` by file (and JSON or text).
    var idPrefixes: [Int: (string: String, json: [UInt8])] = [:]

    init(stage: RecordStage, files: [InputFile], reader: ReaderOptions, writeRejected: Bool) throws {
        self.stage = stage
        self.worker = try stage.makeWorker()
        self.files = files
        self.reader = reader
        self.writeRejected = writeRejected
        self.parser = llm_json_parser_new()
        self.textFieldBytes = Array(reader.textField.utf8CString)
        self.spans = [llm_field_span](repeating: llm_field_span(), count: 64)
    }

    deinit { llm_json_parser_free(parser) }

    func process(_ chunk: Chunk) -> ProcessedChunk {
        let out = ProcessedChunk(chunk: chunk)
        let file = files[chunk.fileIndex]
        chunk_fileIndex = chunk.fileIndex
        out.stats.bytesIn = chunk.bytesIn
        if chunk.emptyLines > 0 { out.stats.counters.add("empty_lines", chunk.emptyLines) }
        
        out.output.reserveCapacity(chunk.bytesIn + chunk.bytesIn / 8)
        for n in chunk.notices {
            let where_ = n.line > 0 ? "\(file.displayPath):\(n.line)" : file.displayPath
            out.messages.append("\(where_): \(n.message)")
            out.stats.rejected[n.reason, default: 0] += 1
            if out.firstError == nil { out.firstError = "\(where_): \(n.message)" }
        }
        var counters = Counters()
        if trackSlots { out.slots.reserveCapacity(chunk.spans.count) }
        chunk.data.withUnsafeBufferPointer { data in
            for span in chunk.spans {
                let raw = UnsafeBufferPointer(rebasing: data[span.start..<span.end])
                out.stats.recordsIn += 1
                let o0 = out.output.count, r0 = out.rejected.count
                switch chunk.kind {
                case .json: processJSON(raw, line: span.line, file: file, out: out, counters: &counters)
                case .text: processText(raw, line: span.line, file: file, out: out, counters: &counters)
                }
                if trackSlots { out.slots.append((span, o0..<out.output.count, r0..<out.rejected.count)) }
            }
        }
        worker.finishChunk(&counters)
        out.stats.counters.merge(counters)
        out.stats.bytesOut = out.output.count
        if let w = worker as? BatchPayloadWorker { out.payload = w.finishBatch() }
        afterChunk?(out)
        return out
    }

    /// OrderedStage, on the writer thread: drops the kept records of `r` named in `drops` (by
    /// line): their output is removed and, with --rejected, they are written again with the drop
    /// verdict, in record order among the batch's other rejected records.
    func applyDrops(_ drops: [(line: Int, verdict: Verdict)], to r: ProcessedChunk) {
        var byLine: [Int: Verdict] = [:]
        for d in drops where byLine[d.line] == nil { byLine[d.line] = d.verdict }
        let chunk = r.chunk
        let file = files[chunk.fileIndex]
        chunk_fileIndex = chunk.fileIndex
        var output: [UInt8] = []
        output.reserveCapacity(r.output.count)
        var rejected: [UInt8] = []
        rejected.reserveCapacity(r.rejected.count)
        for slot in r.slots {
            if let v = byLine[slot.span.line], !slot.out.isEmpty {
                let scratch = ProcessedChunk(chunk: chunk)
                var counters = Counters()
                forcedVerdict = v
                chunk.data.withUnsafeBufferPointer { data in
                    let raw = UnsafeBufferPointer(rebasing: data[slot.span.start..<slot.span.end])
                    switch chunk.kind {
                    case .json: processJSON(raw, line: slot.span.line, file: file, out: scratch, counters: &counters)
                    case .text: processText(raw, line: slot.span.line, file: file, out: scratch, counters: &counters)
                    }
                }
                forcedVerdict = nil
                r.stats.recordsOut -= 1
                if case .drop(let reason, _) = v { r.stats.dropped[reason, default: 0] += 1 }
                rejected.append(contentsOf: r.rejected[slot.rej])
                rejected.append(contentsOf: scratch.rejected)
            } else {
                output.append(contentsOf: r.output[slot.out])
                rejected.append(contentsOf: r.rejected[slot.rej])
            }
        }
        r.output = output
        r.rejected = rejected
        r.stats.bytesOut = output.count
    }

    func reject(_ raw: UnsafeBufferPointer<UInt8>, reason: String, message: String, line: Int, file: InputFile, out: ProcessedChunk) {
        let m = "\(file.displayPath):\(line): \(message)"
        out.messages.append(m)
        if out.firstError == nil { out.firstError = m }
        out.stats.rejected[reason, default: 0] += 1
        if writeRejected {
            out.rejected.append(contentsOf: raw)
            out.rejected.append(0x0A)
        }
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

    func processJSON(_ rawIn: UnsafeBufferPointer<UInt8>, line: Int, file: InputFile, out: ProcessedChunk, counters: inout Counters) {
        var info = llm_record_info()
        var raw = rawIn
        var st = parse(raw, &info)
        var repaired: [UInt8]? = nil
        if (Int(st) == LLM_JSON_INVALID_UTF8 || Int(st) == LLM_JSON_BAD_STRING) && reader.repairUTF8 {
            var fixed = UTF8Repair.repair(rawIn)
            if Int(st) == LLM_JSON_BAD_STRING { fixed = UTF8Repair.replaceLoneSurrogateEscapes(fixed) }
            fixed.append(contentsOf: repeatElement(0, count: Int(LLM_JSON_PADDING)))
            repaired = fixed
            raw = repaired!.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[0..<($0.count - Int(LLM_JSON_PADDING))]) }
            st = parse(raw, &info)
            if Int(st) == LLM_JSON_OK { counters.add("utf8_repaired") }
        }
        guard Int(st) == LLM_JSON_OK else {
            let (reason, msg) = Self.describe(st, info, raw: rawIn)
            reject(rawIn, reason: reason, message: msg, line: line, file: file, out: out)
            return
        }
        withExtendedLifetime(repaired) {
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
            let prefix = idPrefix(file, json: true)
            let assigned: AssignedID? = ownID == nil ? AssignedID(prefix: prefix.json, line: line) : nil
            var metaRaw: UnsafeBufferPointer<UInt8>? = nil
            if info.metadata_field >= 0 {
                let f = spans[Int(info.metadata_field)]
                metaRaw = UnsafeBufferPointer(rebasing: raw[Int(f.value_start)..<Int(f.value_end)])
            }
            var doc = Document(text: text, ownID: ownID, assignedIDPrefix: prefix.string, metadataRaw: metaRaw, counters: counters)
            // The document holds the only reference, so a stage's counters.add does not copy the dictionary.
            counters = Counters()
            doc.fileIndex = chunk_fileIndex
            doc.line = line
            let verdict = forcedVerdict ?? worker.process(&doc)
            counters = doc.counters
            let fields = UnsafeBufferPointer(start: spans.withUnsafeBufferPointer { $0.baseAddress }, count: Int(info.field_count))
            switch verdict {
            case .keep:
                out.stats.recordsOut += 1
                if discardOutput { return }
                RecordWriter.write(raw: raw, fields: fields, info: info, doc: doc, assignedID: assigned,
                                   extra: nil, to: &out.output)
            case .drop(let reason, let annotation):
                out.stats.dropped[reason, default: 0] += 1
                if writeRejected {
                    RecordWriter.write(raw: raw, fields: fields, info: info, doc: doc, assignedID: assigned,
                                       extra: annotation, to: &out.rejected)
                }
            }
        }
    }

    func processText(_ raw: UnsafeBufferPointer<UInt8>, line: Int, file: InputFile, out: ProcessedChunk, counters: inout Counters) {
        var owned: [UInt8]? = nil
        if llm_utf8_valid(raw.baseAddress, raw.count) == 0 {
            owned = UTF8Repair.repair(raw)
            counters.add("utf8_repaired")
        }
        // CRLF inside paragraph or whole-file records becomes LF.
        if (owned.map { $0.contains(0x0D) } ?? raw.contains(0x0D)) {
            var b = owned ?? Array(raw)
            var w = 0
            for r in 0..<b.count {
                if b[r] == 0x0D && r + 1 < b.count && b[r + 1] == 0x0A { continue }
                b[w] = b[r]
                w += 1
            }
            b.removeLast(b.count - w)
            owned = b
        }
        let prefix = idPrefix(file, json: false)
        let id = AssignedID(prefix: prefix.json, line: line)
        func run(_ text: UnsafeBufferPointer<UInt8>) {
            var doc = Document(text: text, ownID: nil, assignedIDPrefix: prefix.string, metadataRaw: nil, counters: counters)
            counters = Counters()
            doc.fileIndex = chunk_fileIndex
            doc.line = line
            let verdict = forcedVerdict ?? worker.process(&doc)
            counters = doc.counters
            switch verdict {
            case .keep:
                out.stats.recordsOut += 1
                if discardOutput { return }
                RecordWriter.writeNew(doc: doc, id: id, textField: reader.textField, extra: nil, to: &out.output)
            case .drop(let reason, let annotation):
                out.stats.dropped[reason, default: 0] += 1
                if writeRejected { RecordWriter.writeNew(doc: doc, id: id, textField: reader.textField, extra: annotation, to: &out.rejected) }
            }
        }
        if let owned { owned.withUnsafeBufferPointer(run) } else { run(raw) }
    }

    /// The assigned-id prefix of a file's records (`PATH:`, or `stdin:` for plain text read from
    /// stdin), as a String and JSON-escaped without its closing quote; made once per file.
    func idPrefix(_ file: InputFile, json: Bool) -> (string: String, json: [UInt8]) {
        let key = chunk_fileIndex * 2 + (json ? 1 : 0)
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

/// An id assigned from the file and line, written without making a String: the file's escaped
/// `"PATH:` and the line's digits.
struct AssignedID {
    let prefix: [UInt8]
    let line: Int

    func write(to out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        JSONWriter.appendInt(line, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}

/// Serializes records: unchanged records are copied byte for byte; changed ones are rebuilt
/// field by field, replacing only what changed.
public enum RecordWriter {
    static func write(raw: UnsafeBufferPointer<UInt8>, fields: UnsafeBufferPointer<llm_field_span>, info: llm_record_info,
                      doc: Document, assignedID: AssignedID?, extra: (String, JSONValue)?, to out: inout [UInt8]) {
        var annotations = doc.annotations
        if let extra {
            if let i = annotations.firstIndex(where: { $0.0 == extra.0 }) { annotations[i] = extra } else { annotations.append(extra) }
        }
        if doc.newText == nil && annotations.isEmpty && assignedID == nil {
            out.append(contentsOf: raw)
            out.append(0x0A)
            return
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        for (i, f) in fields.enumerated() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: raw[Int(f.key_start)..<Int(f.key_end)])
            out.append(UInt8(ascii: ":"))
            if i == Int(info.text_field), let t = doc.newText {
                t.withUnsafeBufferPointer { JSONWriter.appendString($0, to: &out) }
            } else if i == Int(info.metadata_field) && !annotations.isEmpty {
                mergeMetadata(UnsafeBufferPointer(rebasing: raw[Int(f.value_start)..<Int(f.value_end)]), annotations, to: &out)
            } else {
                out.append(contentsOf: raw[Int(f.value_start)..<Int(f.value_end)])
            }
        }
        if let assignedID {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendStatic("\"id\":", to: &out)
            assignedID.write(to: &out)
        }
        if info.metadata_field < 0 && !annotations.isEmpty {
            if !first { out.append(UInt8(ascii: ",")) }
            // a non-object "metadata" is kept; annotations then go to "llmdata_metadata"
            JSONWriter.appendStatic(info.metadata_not_object != 0 ? "\"llmdata_metadata\":" : "\"metadata\":", to: &out)
            JSONWriter.appendObject(annotations, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }

    /// Writes the existing metadata object with `annotations` replacing keys in place and
    /// new keys appended.
    static func mergeMetadata(_ meta: UnsafeBufferPointer<UInt8>, _ annotations: [(String, JSONValue)], to out: inout [UInt8]) {
        let fields = ObjectScanner.fields(meta)
        var used = [Bool](repeating: false, count: annotations.count)
        let keys = annotations.map { Array("\"\($0.0)\"".utf8) }
        out.append(UInt8(ascii: "{"))
        var first = true
        for f in fields {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            let k = meta[Int(f.key_start)..<Int(f.key_end)]
            out.append(contentsOf: k)
            out.append(UInt8(ascii: ":"))
            if let j = keys.firstIndex(where: { k.elementsEqual($0) }) {
                annotations[j].1.write(to: &out)
                used[j] = true
            } else {
                out.append(contentsOf: meta[Int(f.value_start)..<Int(f.value_end)])
            }
        }
        for (j, a) in annotations.enumerated() where !used[j] {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendString(a.0, to: &out)
            out.append(UInt8(ascii: ":"))
            a.1.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A record made from plain text: `{"text":…,"id":…,"metadata":{…}}`.
    static func writeNew(doc: Document, id: AssignedID, textField: String, extra: (String, JSONValue)?, to out: inout [UInt8]) {
        var annotations = doc.annotations
        if let extra { annotations.append(extra) }
        out.append(UInt8(ascii: "{"))
        JSONWriter.appendString(textField, to: &out)
        out.append(UInt8(ascii: ":"))
        doc.withText { JSONWriter.appendString($0, to: &out) }
        JSONWriter.appendStatic(",\"id\":", to: &out)
        id.write(to: &out)
        if !annotations.isEmpty {
            JSONWriter.appendStatic(",\"metadata\":", to: &out)
            JSONWriter.appendObject(annotations, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }
}
