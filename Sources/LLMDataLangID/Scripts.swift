import CICUShim

/// Letter classes derived from ICU's script property (UScriptCode) and general category.
/// 0 and 1 are not letters; 2... are letters of one script.
public enum LetterClass: UInt8, CaseIterable, Sendable {
    /// Digits, punctuation, symbols, emoji, spaces: a word boundary.
    case separator = 0
    /// Combining marks of script Inherited/Common (Arabic harakat, decomposed accents): ignored.
    case skip = 1
    case latin = 2, cyrillic, greek, arabic, hebrew, devanagari, thai, hangul, han, hiragana, katakana
    /// A letter of any other script (no language of the model uses it).
    case other
}

/// The script groups that decide which languages can compete.
public enum ScriptGroup: UInt8, CaseIterable, Sendable {
    case latin = 0, cyrillic, arabic, cjk, greek, hebrew, devanagari, thai, hangul, other
    /// zh/ja text with (almost) no kana: scored by a second zh/ja model trained on Han characters
    /// only (kana are boundaries), so Han-only Japanese is compared on what it has.
    case hanOnly

    /// Groups decided by a statistical model (several languages share the script).
    public var isModelled: Bool { self == .latin || self == .cyrillic || self == .arabic || self == .cjk || self == .hanOnly }

    /// Bit mask of the LetterClass raw values whose letters this group's features use.
    var classMask: UInt32 {
        switch self {
        case .cjk: return 1 << LetterClass.han.rawValue | 1 << LetterClass.hiragana.rawValue | 1 << LetterClass.katakana.rawValue
        case .hanOnly: return 1 << LetterClass.han.rawValue
        default:
            var m: UInt32 = 0
            for c in LetterClass.allCases where c.rawValue >= 2 && ScriptGroup(c) == self { m |= 1 << c.rawValue }
            return m
        }
    }

    init(_ c: LetterClass) {
        switch c {
        case .latin: self = .latin
        case .cyrillic: self = .cyrillic
        case .arabic: self = .arabic
        case .han, .hiragana, .katakana: self = .cjk
        case .greek: self = .greek
        case .hebrew: self = .hebrew
        case .devanagari: self = .devanagari
        case .thai: self = .thai
        case .hangul: self = .hangul
        default: self = .other
        }
    }

    /// The single language of a unique-script group.
    public var uniqueLanguage: String? {
        switch self {
        case .greek: return "el"
        case .hebrew: return "he"
        case .devanagari: return "hi"
        case .thai: return "th"
        case .hangul: return "ko"
        default: return nil
        }
    }

    /// Weight of one letter of this group when scripts compete for a text: one Han, kana or
    /// Hangul character carries about as much as a short Latin word, so a few Latin brand names
    /// inside Chinese do not outweigh the Chinese.
    var letterWeight: Int {
        switch self {
        case .cjk, .hangul: return 3
        default: return 1
        }
    }
}

/// The script group of each of the model's languages (the languages build-langid-data.sh provides).
public let languageScriptGroup: [String: ScriptGroup] = [
    "en": .latin, "de": .latin, "fr": .latin, "es": .latin, "pt": .latin, "it": .latin, "pl": .latin,
    "nl": .latin, "tr": .latin, "vi": .latin, "id": .latin, "ca": .latin, "cs": .latin, "da": .latin,
    "hu": .latin, "ro": .latin, "sv": .latin, "fi": .latin,
    "ru": .cyrillic, "uk": .cyrillic, "bg": .cyrillic,
    "ar": .arabic, "fa": .arabic,
    "zh": .cjk, "ja": .cjk,
    "el": .greek, "he": .hebrew, "hi": .devanagari, "th": .thai, "ko": .hangul,
    hanOnlyColumn("zh"): .hanOnly, hanOnlyColumn("ja"): .hanOnly,
]

/// The model column of a language's Han-only sub-model ("zh_h").
public func hanOnlyColumn(_ lang: String) -> String { lang + "_h" }

/// The language a model column reports ("zh_h" → "zh").
public func reportedLanguage(_ column: String) -> String { column.hasSuffix("_h") ? String(column.dropLast(2)) : column }

/// The training file a model column is trained from.
func trainingLanguage(_ column: String) -> String { reportedLanguage(column) }

/// Per-code-point tables for the Basic Multilingual Plane, built once from ICU (about 1 ms).
/// Code points above U+FFFF ask ICU directly (rare: CJK extension B…, emoji).
final class CharTables: @unchecked Sendable {
    static let shared = CharTables()

    /// LetterClass raw value per BMP code point.
    let cls: [UInt8]
    /// Simple lowercase per BMP code point (identity when none).
    let lower: [UInt16]

    private init() {
        var cls = [UInt8](repeating: 0, count: 65536)
        var lower = [UInt16](repeating: 0, count: 65536)
        for cp in 0..<65536 {
            lower[cp] = UInt16(cp)
            cls[cp] = CharTables.classify(UInt32(cp)).rawValue
            if cp >= 0xD800 && cp < 0xE000 { continue }
            let cat = llm_icu_char_type(UInt32(cp))
            // Uppercase and titlecase letters of the cased scripts the model uses.
            if cat == 1 || cat == 3, let c = LetterClass(rawValue: cls[cp]), c == .latin || c == .cyrillic || c == .greek,
               let s = Unicode.Scalar(UInt32(cp)), let l = s.properties.lowercaseMapping.unicodeScalars.first,
               l.value < 0x10000 {
                lower[cp] = UInt16(l.value)
            }
        }
        self.cls = cls
        self.lower = lower
        clsPtr = .allocate(capacity: 65536)
        clsPtr.initialize(from: cls, count: 65536)
        lowPtr = .allocate(capacity: 65536)
        lowPtr.initialize(from: lower, count: 65536)
    }

    /// The same tables as raw pointers for the hot loop (the shared instance lives for the process).
    let clsPtr: UnsafeMutablePointer<UInt8>
    let lowPtr: UnsafeMutablePointer<UInt16>

    static func classify(_ cp: UInt32) -> LetterClass {
        if cp >= 0xD800 && cp < 0xE000 { return .separator }
        // The prolonged sound mark and the kana middle dot are script Common but only Japanese.
        if cp == 0x30FC || cp == 0xFF70 { return .katakana }
        let cat = llm_icu_char_type(cp)
        let isLetter = cat >= 1 && cat <= 5
        let isMark = cat >= 6 && cat <= 8
        if !isLetter && !isMark { return .separator }
        let script = llm_icu_script(cp)
        switch script {
        case 0, 1: return isMark ? .skip : .separator  // Common / Inherited
        case 25: return .latin
        case 8: return .cyrillic
        case 14: return .greek
        case 2: return .arabic
        case 19: return .hebrew
        case 10: return .devanagari
        case 38: return .thai
        case 18: return .hangul
        case 17: return .han
        case 20: return .hiragana
        case 22: return .katakana
        default: return .other
        }
    }

    @inline(__always) func classOf(_ cp: UInt32) -> UInt8 {
        if cp < 0x10000 { return cls[Int(cp)] }
        return CharTables.classify(cp).rawValue
    }
}
