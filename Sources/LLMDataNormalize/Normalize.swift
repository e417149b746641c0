import CICUShim
import Glibc
import LLMDataCore

/// The Unicode normalization form applied before cleaning.
public enum NormalizationForm: String, Sendable, CaseIterable {
    case nfkc
    case nfc
    case nfkcCasefold = "nfkc_cf"
    /// No normalization (cleaning only).
    case none
}

public struct NormalizeOptions: Sendable {
    public var form: NormalizationForm = .nfkc
    /// Keep full-width CJK punctuation (，：！？（） …) that NFKC maps to ASCII.
    public var keepFullwidthPunct = false
    /// Control/format character removal and whitespace cleanup.
    public var clean = true
    /// Keep U+200C ZWNJ and U+200D ZWJ (orthographic in Persian and Indic scripts, and inside
    /// emoji sequences). On by default; `--strip-joiners` removes them too.
    public var keepJoiners = true
    /// Collapse runs of spaces at the start of a line too (by default indentation is kept).
    public var collapseIndent = false
    public var stripURLs = false
    public var stripEmails = false
    public var stripBrackets = false
    /// `--pii`, `--pii-phones`: e-mail, public IP and phone replacement, after cleaning (PII.swift).
    public var pii = PIIOptions()
    public init() {}
}

/// `llmdata normalize`: ICU normalization, then cleaning (docs/normalize.md).
public struct NormalizeStage: RecordStage {
    public let name = "normalize"
    public let options: NormalizeOptions

    public init(options: NormalizeOptions) { self.options = options }

    public func makeWorker() throws -> NormalizeWorker {
        try NormalizeWorker(options: options)
    }
}

/// Unicode version of the ICU in use (docs: Python and ICU may differ).
public var icuUnicodeVersion: String { String(cString: llm_icu_unicode_version()) }

public final class NormalizeWorker: RecordWorker {
    let options: NormalizeOptions
    let normalizer: OpaquePointer?
    var scratch: [UInt8] = []
    var cleaner: Cleaner
    let pii: PIIReplacer?

    public init(options: NormalizeOptions) throws {
        self.options = options
        pii = options.pii.any ? PIIReplacer(options: options.pii) : nil
        let form: Int32
        switch options.form {
        case .nfc: form = Int32(LLM_FORM_NFC)
        case .nfkc: form = Int32(LLM_FORM_NFKC)
        case .nfkcCasefold: form = Int32(LLM_FORM_NFKC_CASEFOLD)
        case .none: form = -1
        }
        if form >= 0 {
            guard let n = llm_normalizer_new(form, options.keepFullwidthPunct ? 1 : 0) else {
                throw LLMDataError("ICU normalizer data could not be loaded", hint: "install libicu72 (apt-get install libicu-dev)")
            }
            normalizer = n
        } else {
            normalizer = nil
        }
        cleaner = Cleaner(options: options)
    }

    deinit { if let normalizer { llm_normalizer_free(normalizer) } }

    public func process(_ doc: inout Document) -> Verdict {
        var current: [UInt8]? = nil
        // 1. Normalization, with an ASCII fast path: ASCII is already NFC and NFKC.
        if options.form != .none {
            doc.withText { t in
                if ASCII.isASCII(t) {
                    doc.counters.add("ascii_fast_path")
                    if options.form == .nfkcCasefold, ASCII.hasUpper(t) {
                        current = ASCII.lowercased(t)
                    }
                } else {
                    var out: UnsafePointer<UInt8>? = nil
                    let n = llm_normalize_utf8(normalizer, t.baseAddress, t.count, &out)
                    if n >= 0 {
                        current = Array(UnsafeBufferPointer(start: out, count: Int(n)))
                    } else if n == -2 {
                        doc.counters.add("icu_errors")
                    }
                }
            }
            if current != nil { doc.counters.add("records_normalized") }
        }
        // 2. Optional removal of URLs, e-mail addresses and reference brackets.
        if options.stripURLs || options.stripEmails || options.stripBrackets {
            let stripped: [UInt8]? = (current.map { c in c.withUnsafeBufferPointer { Strippers.apply(options, $0, counters: &doc.counters) } })
                ?? doc.withText { Strippers.apply(options, $0, counters: &doc.counters) }
            if let stripped { current = stripped }
        }
        // 3. Cleaning: control/format characters, whitespace runs, blank lines.
        if options.clean {
            let cleaned: [UInt8]? = current.map { c in c.withUnsafeBufferPointer { cleaner.clean($0, counters: &doc.counters) } }
                ?? doc.withText { cleaner.clean($0, counters: &doc.counters) }
            if let cleaned { current = cleaned }
        }
        // 4. PII replacement, on the normalized and cleaned text (so NFKC has made ＠ an @ first).
        if let pii {
            let replaced: [UInt8]? = current.map { c in c.withUnsafeBufferPointer { pii.apply($0, counters: &doc.counters) } }
                ?? doc.withText { pii.apply($0, counters: &doc.counters) }
            if let replaced { current = replaced }
        }
        if let current {
            let same = doc.withText { t in t.elementsEqual(current) }
            if !same {
                doc.counters.add("records_changed")
                doc.setText(current)
            }
        }
        // U+FFFD present after reading means invalid UTF-8 was repaired somewhere upstream.
        return .keep
    }
}

enum ASCII {
    @inline(__always)
    static func isASCII(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = t.baseAddress else { return true }
        let n = t.count
        var i = 0
        let raw = UnsafeRawPointer(base)
        var acc: UInt64 = 0
        while i + 32 <= n {
            acc |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            acc |= raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
            acc |= raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)
            acc |= raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
            if acc & 0x8080_8080_8080_8080 != 0 { return false }
            i += 32
        }
        while i < n {
            if base[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    static func hasUpper(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        t.contains { $0 >= 0x41 && $0 <= 0x5A }
    }

    static func lowercased(_ t: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        t.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }
}
