import Foundation
import LLMDataCore

/// The record reader: input splitting (lines, paragraphs, whole file, a top-level JSON array,
/// over-long lines, batch cuts), the simdjson record parser, UTF-8 repair and record writing.
///
/// Input: byte 0 chooses the options, the rest is the file.
///   bits 0-2: format (0 .jsonl, 1 .json, 2 .txt line, 3 .txt paragraph, 4 .txt file, 5-7 .jsonl)
///   bit 3: --repair-utf8;  bit 4: 64-byte batches;  bit 5: --max-line-bytes 40;  bit 6: text field "body"
enum RecordsHarness {
    final class Touch: RecordWorker {
        func process(_ doc: inout Document) -> Verdict {
            // read what stages read: the text, the id, metadata; annotate so the record is rewritten
            let n = doc.withText { $0.count }
            _ = doc.id
            _ = doc.metadata("source")
            _ = doc.topLevelString("url")
            if n % 3 == 0 { doc.setMetadata("fuzz", .int(n)) }
            // a new text (valid UTF-8, as stages must give): the first characters
            if n % 5 == 1 { doc.setText(Array(doc.textString.prefix(8).utf8)) }
            return n % 7 == 2 ? .drop(reason: "fuzz", annotation: ("fuzz_reason", .string("n"))) : .keep
        }
    }

    struct TouchStage: RecordStage {
        var name: String { "fuzz" }
        func makeWorker() throws -> Touch { Touch() }
    }

    static func run(_ input: [UInt8]) {
        guard let flags = input.first else { return }
        let body = input.dropFirst()
        let (ext, format, txtMode): (String, InputFormat, TxtMode) = {
            switch flags & 7 {
            case 1: return ("json", .json, .line)
            case 2: return ("txt", .txt, .line)
            case 3: return ("txt", .txt, .paragraph)
            case 4: return ("txt", .txt, .file)
            default: return ("jsonl", .jsonl, .line)
            }
        }()
        let path = Scratch.write("input.\(ext)", body)
        var reader = ReaderOptions()
        reader.txtMode = txtMode
        reader.repairUTF8 = flags & 8 != 0
        if flags & 16 != 0 { reader.batchBytes = 64 }
        if flags & 32 != 0 { reader.maxLineBytes = 40 }
        if flags & 64 != 0 { reader.textField = "body" }
        var file = InputFile(path: path, relativePath: "input.\(ext)", format: format)
        file.displayPath = path
        var config = Engine.Config(files: [file], reader: reader, stages: [AnyStage(TouchStage())], label: "fuzz")
        config.jobs = 1
        config.writeRejected = true
        config.maxWarnings = 0
        do {
            let engine = try Engine(config)
            var out = 0
            _ = try engine.run { r in out += r.output.count + r.rejected.reduce(0) { $0 + $1.count } }
        } catch {}
    }
}
