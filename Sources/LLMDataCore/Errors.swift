import Foundation

/// Exit codes shared by every subcommand (docs/protocol.md).
public enum ExitCode: Int32 {
    case success = 0
    /// `--strict` was given and a record or input was bad.
    case strictViolation = 1
    /// Bad flags, unreadable input, unwritable output, or another error that stops the run.
    case fatal = 2
}

/// A fatal error: printed as `llmdata STAGE: error: MESSAGE` plus an optional hint, exit 2.
public struct LLMDataError: Error, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public var exitCode: ExitCode

    public init(_ message: String, hint: String? = nil, exitCode: ExitCode = .fatal) {
        self.message = message
        self.hint = hint
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// The downstream reader closed the pipe: the stage ends quietly.
public struct BrokenPipe: Error {}

/// Writes to stderr without buffering surprises.
public enum Diagnostics {
    private static let lock = NSLock()

    public static func write(_ s: String) {
        lock.lock()
        defer { lock.unlock() }
        var s = s
        s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Foundation.write(2, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }

    /// Prints `llmdata STAGE: error: message` and an optional `hint: …` line.
    /// `no records read: 2 input files (a.jsonl, b.jsonl) hold none`: every command that reads
    /// records exits 2 when it read none (docs/protocol.md).
    public static func noRecordsRead(stage: String, files: [InputFile]) {
        let e = noRecordsError(files: files)
        error(stage: stage, e.message, hint: e.hint)
    }

    public static func noRecordsError(files: [InputFile]) -> LLMDataError {
        let what = files.isEmpty ? "no input files found"
            : "\(files.count) input file\(files.count == 1 ? "" : "s") (\(files.prefix(3).map(\.displayPath).joined(separator: ", "))\(files.count > 3 ? ", …" : "")) hold\(files.count == 1 ? "s" : "") none"
        return LLMDataError("no records read: \(what)",
                            hint: "a run that reads no record exits 2; check the input paths (warnings above name empty files and files not read)")
    }

    public static func error(stage: String, _ message: String, hint: String? = nil) {
        var s = "llmdata \(stage): error: \(message)\n"
        if let hint { s += "hint: \(hint)\n" }
        write(s)
    }

    /// Reports the error that ended a stage and gives its exit code: an LLMDataError with its hint
    /// and code, a closed pipe downstream quietly (0), anything else as fatal (2).
    public static func exitCode(for error: Error, stage: String) -> ExitCode {
        switch error {
        case is BrokenPipe:
            return .success
        case let e as LLMDataError:
            Diagnostics.error(stage: stage, e.message, hint: e.hint)
            return e.exitCode
        default:
            Diagnostics.error(stage: stage, "\(error)")
            return .fatal
        }
    }

    /// The subcommand this process runs (`normalize`, `bpe`), for messages from code that is not
    /// told its stage (input discovery).
    public static var commandLabel: String {
        CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "llmdata"
    }

    public static func warning(stage: String, _ message: String) {
        write("llmdata \(stage): warning: \(message)\n")
    }
}
