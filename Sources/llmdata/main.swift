import ArgumentParser
import Foundation
import LLMDataCore

struct LLMData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmdata",
        abstract: "Turn raw text corpora into LLM training data.",
        discussion: """
        Every stage reads and writes JSON Lines records ({"text", "id", "metadata", …}), so stages \
        chain in shell pipelines: llmdata normalize in/ | llmdata … See docs/cli.md.
        """,
        version: LLMDataVersion.current,
        subcommands: [Normalize.self, LangID.self, Filter.self, Dedup.self, BPE.self, Tokenize.self, Shards.self, RunRecipe.self, ReportCommand.self, Sample.self]
    )
}

// A closed downstream pipe ends any subcommand quietly (writes see EPIPE instead of a signal).
signal(SIGPIPE, SIG_IGN)

// Exit codes: argument errors exit 2 (docs/protocol.md), help and version 0.
do {
    var command = try LLMData.parseAsRoot()
    try command.run()
} catch {
    let code = LLMData.exitCode(for: error)
    if code == .success {
        print(LLMData.fullMessage(for: error))
        exit(0)
    }
    if let e = error as? ArgumentParser.ExitCode {
        exit(e.rawValue)
    }
    let msg = LLMData.fullMessage(for: error)
    FileHandle.standardError.write(("llmdata: error: " + msg.replacingOccurrences(of: "Error: ", with: "") + "\n").data(using: .utf8)!)
    exit(LLMDataCore.ExitCode.fatal.rawValue)
}
