import Foundation
import LLMDataCore

/// `llmdata report`: one self-contained HTML page about a run directory or a directory of stats
/// files (docs/report.md).
public enum Report {
    public struct Result {
        /// The page.
        public var html: String
        /// What the report lacks and why (also shown at the top of the page).
        public var notes: [String]
    }

    /// Reads `path` (a run directory, an unfinished run directory, a directory of `--stats`
    /// files, or one stats file) and renders the page. Throws `LLMDataError` for what cannot be
    /// reported on: a missing path, a directory with nothing to report, a file that is not a stats
    /// document.
    public static func build(path: String, version: String = LLMDataVersion.current) throws -> Result {
        let data = try Loader.load(path: path)
        return Result(html: Page(d: data, version: version).render(), notes: data.notes.map { $0.text })
    }

    /// Builds the page and writes it to `output` (`-`: stdout); returns the notes and the bytes written.
    @discardableResult
    public static func write(path: String, to output: String, version: String = LLMDataVersion.current) throws -> (notes: [String], bytes: Int) {
        let r = try build(path: path, version: version)
        let bytes = Array(r.html.utf8)
        if output == "-" {
            let s = FDSink()
            try s.write(bytes)
            try s.finish()
        } else {
            if isDirectory(output) { throw LLMDataError("\(output): is a directory", hint: "give the HTML file to write, e.g. -o report.html") }
            try writeAtomically(bytes, to: output)
        }
        return (r.notes, bytes.count)
    }
}
