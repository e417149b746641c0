import ArgumentParser
import Foundation
import LLMDataCore
import LLMDataRun

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print N records chosen by a fixed hash of their id and --seed, in input order; with --reason, only records dropped for that reason.",
        discussion: """
        Reads records as every stage does (a file, a directory, - for stdin): a --rejected file, a run's \
        rejected/ or samples/ directory, or any records. A record's drop reason is its stage's: \
        metadata.filter_reason, langid's langid_reason (langid:not_kept, langid:low_score), dedup's \
        annotation (dedup:exact, dedup:minhash, dedup:lines_empty), or a samples line's reason. \
        --reason gopher_quality matches all of its checks. The same seed gives the same records \
        whatever --jobs is.
        """
    )

    @OptionGroup var input: InputOptions

    @Option(name: .short, help: "How many records.")
    var n = 10

    @Option(help: "Only records dropped for this reason (rule:check, or a rule set or stage prefix such as gopher_quality or langid).")
    var reason: String?

    @Option(help: "Another seed picks other records.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Worker threads, 1 to 1024 (default: all cores). Output is identical for any value.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress and no count on stderr.")
    var quiet = false

    func validate() throws {
        if n < 1 { throw ValidationError("-n must be at least 1") }
        if let p = JobsFlag.problem(jobs) { throw ValidationError(p) }
        if let reason, reason.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--reason \"\(reason)\" names no reason: give rule:check or a prefix such as gopher_quality or langid (without --reason any record may be chosen)")
        }
    }

    func run() throws {
        try finish(RecordSampler.run(inputs: input.inputs, format: input.format, reader: input.reader, count: n, reason: reason,
                                     seed: seed, jobs: jobs, quiet: quiet))
    }
}
