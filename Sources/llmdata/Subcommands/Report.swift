import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page about a run: funnel, languages, lengths, dedup, tokens, samples, provenance.",
        discussion: """
        RUNDIR is the run directory of llmdata run (run.json, stats/, samples/, shards/). An unfinished \
        run directory, a directory of --stats files from a shell pipeline or a single stats file is \
        reported on too: the page says at the top what is missing and why. The page has no external \
        loads and opens from disk. See docs/report.md.
        """
    )

    @Argument(help: "The run directory (or a directory of stats files, or one stats file).")
    var runDir: String

    @Option(name: [.short, .customLong("output")], help: "The HTML file to write (- for stdout).")
    var output: String

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        do {
            let r = try Report.write(path: runDir, to: output, version: LLMData.configuration.version)
            if !quiet {
                for n in r.notes { Diagnostics.write("llmdata report: note: \(n)\n") }
                if output != "-" { Diagnostics.write("llmdata report: wrote \(output) (\(r.bytes) bytes)\n") }
            }
        } catch let e as LLMDataError {
            Diagnostics.error(stage: "report", e.message, hint: e.hint)
            throw ArgumentParser.ExitCode(e.exitCode.rawValue)
        }
    }
}
