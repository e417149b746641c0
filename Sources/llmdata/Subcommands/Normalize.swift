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

    @Flag(name: .customLong("pii"), help: "Replace e-mail addresses and public IPv4 addresses as datatrove's PIIFormatter does (after normalization and cleaning).")
    var pii = false

    @Flag(name: .customLong("pii-phones"), help: "Also replace phone numbers: Chinese mainland mobiles (+86 optional) and +E.164 numbers (implies --pii).")
    var piiPhones = false

    @Option(name: .customLong("pii-email"), help: "The e-mail replacement.")
    var piiEmail = PIIOptions.defaultEmail

    @Option(name: .customLong("pii-ip"), help: "The IP address replacement.")
    var piiIP = PIIOptions.defaultIP

    @Option(name: .customLong("pii-phone"), help: "The phone number replacement.")
    var piiPhone = PIIOptions.defaultPhone

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
        o.pii.emails = pii || piiPhones
        o.pii.ips = pii || piiPhones
        o.pii.phones = piiPhones
        o.pii.emailReplacement = piiEmail
        o.pii.ipReplacement = piiIP
        o.pii.phoneReplacement = piiPhone
        return NormalizeStage(options: o)
    }

    func run() throws {
        try finish(StageRunner.run(stage: makeStage(), inputs: input.inputs, format: input.format,
                                   reader: input.reader, options: runFlags.options))
    }
}
