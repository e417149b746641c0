import Foundation

/// `length`: our own size bounds (not a datatrove filter). 0 disables a bound.
public struct LengthOptions: Sendable, Codable, Equatable {
    public var minChars = 0
    public var maxChars = 0
    /// By default only documents without a single word are dropped.
    public var minWords = 1
    public var maxWords = 0
    public init() {}
}

/// Gopher quality thresholds (datatrove's GopherQualityFilter defaults, from the Gopher paper).
public struct GopherQualityOptions: Sendable, Codable, Equatable {
    public var minDocWords = 50
    public var maxDocWords = 100_000
    public var minAvgWordLength = 3.0
    public var maxAvgWordLength = 10.0
    public var maxSymbolWordRatio = 0.1
    public var maxBulletLinesRatio = 0.9
    public var maxEllipsisLinesRatio = 0.3
    public var maxNonAlphaWordsRatio = 0.8
    public var minStopWords = 2
    public var stopWords = ["the", "be", "to", "of", "and", "that", "have", "with"]
    /// The equivalent for Chinese: its eight most frequent function words (docs/filters.md).
    public var stopWordsZh = ["的", "是", "在", "了", "和", "有", "不", "这"]
    /// The equivalent for Japanese: its eight most frequent particles and auxiliaries.
    public var stopWordsJa = ["の", "に", "は", "を", "た", "が", "で", "て"]
    public init() {}
}

/// Gopher repetition thresholds (datatrove's GopherRepetitionFilter defaults).
public struct GopherRepetitionOptions: Sendable, Codable, Equatable {
    public var dupLineFrac = 0.3
    public var dupParaFrac = 0.3
    public var dupLineCharFrac = 0.2
    public var dupParaCharFrac = 0.2
    public var topNGrams: [[Double]] = [[2, 0.2], [3, 0.18], [4, 0.16]]
    public var dupNGrams: [[Double]] = [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.10]]
    public init() {}
}

/// C4 thresholds (datatrove's C4QualityFilter defaults, from the C4 paper and its code).
public struct C4Options: Sendable, Codable, Equatable {
    public var removeCitations = true
    public var filterNoTerminalPunct = true
    public var minNumSentences = 5
    public var minWordsPerLine = 3
    public var maxWordLength = 1000
    public var filterLoremIpsum = true
    public var filterJavascript = true
    public var filterCurlyBracket = true
    public var filterPolicy = true
    /// Also remove the failing lines and rewrite the text, as C4 does (`--c4-lines`).
    public var rewriteLines = false
    public init() {}
}

/// FineWeb thresholds (datatrove's FineWebQualityFilter defaults).
public struct FineWebOptions: Sendable, Codable, Equatable {
    public var linePunctThr = 0.12
    public var linePunctExcludeZero = false
    public var shortLineThr = 0.67
    public var shortLineLength = 30
    public var charDuplicatesRatio = 0.01
    public var newLineRatio = 0.3
    public init() {}
}

/// `spam`: our own rules for scraped web text (docs/filters.md gives the reasoning for each default).
public struct SpamOptions: Sendable, Codable, Equatable {
    /// Characters inside URLs and e-mail addresses, over all characters.
    public var maxLinkCharRatio = 0.3
    /// URLs and e-mail addresses per word.
    public var maxLinksPerWord = 0.1
    /// Characters in runs of `repeatRunLength` or more of the same non-space character, over all.
    public var maxRepeatedCharRatio = 0.1
    public var repeatRunLength = 5
    /// Occurrences of blocklisted phrases (gambling, porn, advertising; English and Chinese).
    public var maxBlocklistHits = 2
    /// Extra phrases for the blocklist (matched case-insensitively in ASCII).
    public var blocklist: [String] = []
    /// Navigation-bar and forum-chrome lines, over non-empty lines.
    public var maxNavLineRatio = 0.5
    /// Numbered code-listing lines ("  3. foo"), over non-empty lines.
    public var maxCodeListingRatio = 0.5
    /// Also remove navigation lines and the numbers of code listings, rewriting the text (`--spam-lines`).
    public var rewriteLines = false
    public init() {}
}

/// All rule sets and their thresholds.
public struct FilterOptions: Sendable, Codable, Equatable {
    public static let allRules = ["spam", "length", "gopher_repetition", "gopher_quality", "c4", "fineweb"]

    public var rules: [String] = FilterOptions.allRules
    public var length = LengthOptions()
    public var gopherQuality = GopherQualityOptions()
    public var gopherRepetition = GopherRepetitionOptions()
    public var c4 = C4Options()
    public var fineweb = FineWebOptions()
    public var spam = SpamOptions()
    public var annotate = false
    /// Treat every document as this language (ISO 639-1) instead of metadata.language or the script.
    public var language: String?
    /// `--preset fineweb2`: each record filtered with its language's FineWeb-2 configuration
    /// (FineWeb2Preset.swift); `presetDir` adds configurations, `presetMissing` decides records
    /// of a language without one.
    public var preset: String?
    public var presetDir: String?
    public var presetMissing: PresetMissing = .keep
    public enum PresetMissing: String, Sendable, Codable, CaseIterable { case keep, drop }
    public init() {}

    enum CodingKeys: String, CodingKey {
        case rules, length, gopherQuality, gopherRepetition, c4, fineweb, spam
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FilterOptions()
        rules = try c.decodeIfPresent([String].self, forKey: .rules) ?? d.rules
        length = try c.decodeIfPresent(LengthOptions.self, forKey: .length) ?? d.length
        gopherQuality = try c.decodeIfPresent(GopherQualityOptions.self, forKey: .gopherQuality) ?? d.gopherQuality
        gopherRepetition = try c.decodeIfPresent(GopherRepetitionOptions.self, forKey: .gopherRepetition) ?? d.gopherRepetition
        c4 = try c.decodeIfPresent(C4Options.self, forKey: .c4) ?? d.c4
        fineweb = try c.decodeIfPresent(FineWebOptions.self, forKey: .fineweb) ?? d.fineweb
        spam = try c.decodeIfPresent(SpamOptions.self, forKey: .spam) ?? d.spam
    }

    /// Reads a config file, TOML (`.toml`) or JSON, into a table of rule sets; keys in snake_case
    /// as in docs/filters.md: `[gopher_quality]` then `min_doc_words = 50`.
    public static func readConfig(path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(message: "\(path): cannot read the file")
        }
        let json: Any
        if path.hasSuffix(".toml") {
            guard let s = String(data: data, encoding: .utf8) else { throw ConfigError(message: "\(path): not UTF-8") }
            do { json = try TOML.parse(s) } catch let e as TOML.ParseError {
                throw ConfigError(message: "\(path):\(e.line): \(e.message)")
            }
        } else {
            do { json = try JSONSerialization.jsonObject(with: data) } catch {
                throw ConfigError(message: "\(path): invalid JSON: \(error.localizedDescription)")
            }
        }
        guard let table = json as? [String: Any] else { throw ConfigError(message: "\(path): expected a table of rule sets") }
        return table
    }

    /// Applies `--set rule.key=value` (the value in TOML syntax: 0.2, 50, true, "x", [[2, 0.2]]).
    public static func apply(set: String, to config: inout [String: Any]) throws {
        guard let eq = set.firstIndex(of: "=") else { throw ConfigError(message: "--set \(set): expected RULE.KEY=VALUE") }
        let path = set[..<eq].split(separator: ".").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard path.count == 2 else { throw ConfigError(message: "--set \(set): expected RULE.KEY=VALUE, e.g. gopher_quality.min_doc_words=30") }
        let parsed: [String: Any]
        do { parsed = try TOML.parse("v = " + set[set.index(after: eq)...]) } catch let e as TOML.ParseError {
            throw ConfigError(message: "--set \(set): \(e.message)")
        }
        var section = config[path[0]] as? [String: Any] ?? [:]
        section[path[1]] = parsed["v"]
        config[path[0]] = section
    }

    /// Options from a table of rule sets (`source` names it in errors). Keys not given keep their
    /// defaults; unknown keys and wrong types are errors.
    public static func decode(_ json: [String: Any], source: String) throws -> FilterOptions {
        try checkKeys(json, path: source)
        // keys not given keep their defaults: lay the given table over the defaults' encoding
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        var merged = (try? JSONSerialization.jsonObject(with: enc.encode(FilterOptions()))) as? [String: Any] ?? [:]
        for (k, v) in json {
            if var d = merged[k] as? [String: Any], let u = v as? [String: Any] {
                for (kk, vv) in u { d[kk] = vv }
                merged[k] = d
            } else {
                merged[k] = v
            }
        }
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try dec.decode(FilterOptions.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw ConfigError(message: "\(source): \(ctx.codingPath.map(\.stringValue).map(snakeCase).joined(separator: ".")): wrong type")
        } catch {
            throw ConfigError(message: "\(source): \(error)")
        }
    }

    /// Unknown section or key names are errors, so a typo never silently keeps a default.
    static func checkKeys(_ json: Any, path: String) throws {
        guard let top = json as? [String: Any] else { throw ConfigError(message: "\(path): expected a table of rule sets") }
        let known: [String: Any] = [
            "length": LengthOptions(), "gopher_quality": GopherQualityOptions(), "gopher_repetition": GopherRepetitionOptions(),
            "c4": C4Options(), "fineweb": FineWebOptions(), "spam": SpamOptions(),
        ]
        for (k, v) in top {
            if k == "rules" { continue }
            guard let d = known[k] else {
                throw ConfigError(message: "\(path): unknown section \(k) (known: rules, \(FilterOptions.allRules.joined(separator: ", ")))")
            }
            guard let table = v as? [String: Any] else { throw ConfigError(message: "\(path): \(k) must be a table") }
            let keys = Set(Mirror(reflecting: d).children.compactMap(\.label).map(snakeCase))
            for key in table.keys where !keys.contains(key) {
                throw ConfigError(message: "\(path): unknown key \(k).\(key) (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }
    }

    static func snakeCase(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
