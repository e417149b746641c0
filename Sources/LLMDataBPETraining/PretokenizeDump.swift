import Foundation
import LLMDataCore

/// `llmdata bpe pretokenize`: each record's pieces as one JSON array per line, in input order
/// (one thread). Used by scripts/check.d to compare with Python's `regex` module.
public enum PretokenizeDump {
    final class Visitor: RecordWorker {
        let splitter: SplitChain.Splitter
        var out: [UInt8] = []
        let sink: ByteSink
        var failure: Error?
        init(_ pre: SplitChain, sink: ByteSink) {
            splitter = pre.makeSplitter()
            self.sink = sink
        }
        func process(_ doc: inout Document) -> Verdict {
            out.append(UInt8(ascii: "["))
            var first = true
            doc.withText { t in
                do {
                    try splitter.forEachPiece(t) { p in
                        if !first { out.append(UInt8(ascii: ",")) }
                        first = false
                        JSONWriter.appendString(p, to: &out)
                    }
                } catch { failure = error }
            }
            out.append(contentsOf: "]\n".utf8)
            if out.count > 1 << 20 { flush() }
            return .keep
        }
        func flush() {
            do { try sink.write(out) } catch { failure = error }
            out.removeAll(keepingCapacity: true)
        }
    }

    public static func run(inputs: [String], format: InputFormat?, reader: ReaderOptions, split: SplitSpec) throws {
        let pre: SplitChain
        do { pre = try SplitChain(split) } catch let e as PreTokenizerError { throw LLMDataError(e.description) }
        let files = try InputDiscovery.discover(inputs, formatOverride: format, share: reader.share)
        let sink = try openByteSink(path: "-")
        let (vs, _) = try RecordScanner.scan(files: files, reader: reader, jobs: 1, stageName: "bpe pretokenize", quiet: true) {
            Visitor(pre, sink: sink)
        }
        for v in vs {
            v.flush()
            if let f = v.failure { throw f }
        }
        try sink.finish()
    }
}
