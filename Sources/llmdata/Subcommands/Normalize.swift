import ArgumentParser
import LLMDataCore
import LLMDataNormalize

extension NormalizationForm: ExpressibleByArgument {}

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unicode normalization (ICU) and text cleaning.",
        discussion: "NFKC by default. Then control/format characters are removed, runs of spaces collapsed, trailing spaces trimmed and blank-line runs cut to one. See docs/normalize.md."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var runFlags: RunFlags

    @Option(help: "Normalization form: nfkc, nfc, nfkc_cf (NFKC_Casefold) or none.")
    var form: NormalizationForm = .nfkc

    @Flag(name: .customLong("keep-fullwidth-punct"), help: "Keep full-width CJK punctuation (，：！？（）) that NFKC maps to ASCII.")
    var keepFullwidthPunct = false

    @Flag(name: .customLong("no-clean"), help: "Normalize only: no control-character or whitespace cleaning.")
    var noClean = false

    @Flag(name: .customLong("strip-joiners"), help: "Also remove U+200C/U+200D (kept by default: Persian, Indic scripts and emoji need them).")
    var stripJoiners = false

    @Flag(name: .customLong("collapse-indent"), help: "Collapse runs of spaces at line starts too (indentation is kept by default).")
    var collapseIndent = false

    @Flag(name: .customLong("strip-urls"), help: "Remove http(s)://, ftp:// and www. URLs.")
    var stripURLs = false

    @Flag(name: .customLong("strip-emails"), help: "Remove e-mail addresses.")
    var stripEmails = false

    @Flag(name: .customLong("strip-brackets"), help: "Remove reference markers such as [12], [citation needed], [编辑] and short 【…】 labels.")
    var stripBrackets = false

    /// The stage these flags describe (also a recipe's `normalize:`).
    func makeStage() -> NormalizeStage {
        var o = NormalizeOptions()
        o.form = form
        o.keepFullwidthPunct = keepFullwidthPunct
        o.clean = !noClean
        o.keepJoiners = !stripJoiners
        o.collapseIndent = collapseIndent
        o.stripURLs = stripURLs
        o.stripEmails = stripEmails
        o.stripBrackets = stripBrackets
        return NormalizeStage(options: o)
    }

    func run() throws {
        try finish(StageRunner.run(stage: makeStage(), inputs: input.inputs, format: input.format,
                                   reader: input.reader, options: runFlags.options))
    }
}
