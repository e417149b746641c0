import Foundation
import LLMDataCore
import Yams

/// FineWeb-2's per-language filter configurations (`configs/{iso3}_{script}.yml` of
/// huggingface/fineweb-2; the shipped ones are in models/fineweb2/, see its SOURCE.md) and the
/// choice of one for a document: by its language code and, where FineWeb-2 has the language in
/// more than one script, by the script most of its letters are in.
///
/// Invariants: configurations are immutable once loaded; a name is `{iso3}_{script}` exactly as
/// FineWeb-2 spells it; a `--preset-dir` configuration replaces a shipped one of the same name.
public struct FineWeb2Config: Sendable, Equatable {
    public let name: String
    public let languageScore: Double
    public let dupLineFrac: Double
    public let topNGrams: [[Double]]
    public let dupNGrams: [[Double]]
    public let linePunctThr: Double
    public let newLineRatio: Double
    public let minAvgWordLength: Double
    public let maxAvgWordLength: Double
    public let maxNonAlphaWordsRatio: Double
    public let stopWords: [String]
}

public struct PresetError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public final class FineWeb2Preset: @unchecked Sendable {
    public static let name = "fineweb2"

    /// Every configuration, by name (cmn_Hani).
    public let configs: [String: FineWeb2Config]
    /// ISO 639-3 code -> the names of its configurations, the default script's first.
    let byLanguage: [String: [String]]
    /// ISO 639-1 code -> (ISO 639-3 code, default script), from languages.tsv.
    let iso1: [String: (String, String)]
    /// The directories read, in order (the shipped one, then --preset-dir).
    public let sources: [String]
    /// Every file read (what a run's fingerprint hashes).
    public let files: [String]

    /// Loads the shipped configurations and, when given, every `*.yml` of `presetDir` (FineWeb-2's
    /// repository layout: the `configs/` directory, or a checkout holding one).
    public init(presetDir: String? = nil) throws {
        let shipped = try Self.shippedDirectory()
        var configs: [String: FineWeb2Config] = [:]
        var sources = [shipped]
        var files = [shipped + "/languages.tsv"]
        for c in try Self.readDirectory(shipped) { configs[c.name] = c; files.append(shipped + "/" + c.name + ".yml") }
        if let dir = presetDir {
            var d = dir
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                throw PresetError("--preset-dir \(dir): no such directory")
            }
            if FileManager.default.fileExists(atPath: d + "/configs", isDirectory: &isDir), isDir.boolValue { d += "/configs" }
            let extra = try Self.readDirectory(d)
            if extra.isEmpty { throw PresetError("--preset-dir \(dir): no {iso3}_{script}.yml configuration in it") }
            for c in extra { configs[c.name] = c; files.append(d + "/" + c.name + ".yml") }
            sources.append(d)
        }
        self.configs = configs
        self.sources = sources
        self.files = files
        iso1 = try Self.readLanguages(shipped + "/languages.tsv")
        var byLanguage: [String: [String]] = [:]
        for name in configs.keys.sorted() {
            let iso3 = String(name.prefix(while: { $0 != "_" }))
            byLanguage[iso3, default: []].append(name)
        }
        // the default script's configuration first (the fallback when the text has no letters)
        var defaults: [String: String] = [:]
        for (_, v) in iso1 { defaults[v.0] = v.0 + "_" + v.1 }
        for (k, names) in byLanguage {
            if let d = defaults[k], let i = names.firstIndex(of: d), i > 0 {
                var n = names
                n.remove(at: i)
                byLanguage[k] = [d] + n
            }
        }
        self.byLanguage = byLanguage
    }

    // MARK: choosing a configuration

    /// The configuration for a document: `language` is an ISO 639-1 code (zh), an ISO 639-3 code
    /// (cmn; with `script` from metadata.language_script as datatrove's GlotLID filter writes it),
    /// or a FineWeb-2 name (cmn_Hani). nil when FineWeb-2 has none for that language.
    public func config(language: String, script: String?, text: UnsafeBufferPointer<UInt8>) -> FineWeb2Config? {
        if language.contains("_") { return configs[language] }
        let code = language.lowercased()
        let iso3: String
        if let (three, _) = iso1[code.split(separator: "-").first.map(String.init) ?? code] { iso3 = three } else { iso3 = code }
        if let script, let c = configs[iso3 + "_" + script] { return c }
        guard let names = byLanguage[iso3] else { return nil }
        if names.count == 1 { return configs[names[0]] }
        let scripts = names.map { String($0.split(separator: "_").last ?? "") }
        return configs[names[Scripts.dominant(text, among: scripts) ?? 0]]
    }

    /// Whether the configuration for `language` depends on the text (FineWeb-2 has the language in
    /// more than one script); when not, callers may cache config(language:...) per language.
    public func dependsOnText(language: String) -> Bool {
        if language.contains("_") { return false }
        let code = language.lowercased()
        let iso3 = iso1[code.split(separator: "-").first.map(String.init) ?? code]?.0 ?? code
        return (byLanguage[iso3]?.count ?? 0) > 1
    }

    /// The FineWeb-2 name for an ISO 639-1 code with its default script (for messages and maps).
    public func defaultName(iso1 code: String) -> String? {
        guard let (three, script) = iso1[code] else { return nil }
        return three + "_" + script
    }

    // MARK: reading

    /// models/fineweb2 (ShippedData's places; $LLMDATA_FINEWEB2_DIR alone when set).
    static func shippedDirectory() throws -> String {
        let paths = ShippedData.candidateDirectories("fineweb2", env: "LLMDATA_FINEWEB2_DIR")
        for p in paths where FileManager.default.fileExists(atPath: p + "/languages.tsv") { return p }
        throw PresetError("FineWeb-2 configurations not found; looked in: " + paths.joined(separator: ", ") + " (set LLMDATA_FINEWEB2_DIR)")
    }

    static func readDirectory(_ dir: String) throws -> [FineWeb2Config] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw PresetError("\(dir): cannot list the directory")
        }
        var out: [FineWeb2Config] = []
        for f in files.sorted() where f.hasSuffix(".yml") {
            let name = String(f.dropLast(4))
            let parts = name.split(separator: "_")
            guard parts.count == 2, parts[1].count == 4 else { continue }
            out.append(try read(path: dir + "/" + f, name: name))
        }
        return out
    }

    static func read(path: String, name: String) throws -> FineWeb2Config {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PresetError("\(path): cannot read the file")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text, Resolver.basic) } catch {
            throw PresetError("\(path): invalid YAML: \(error)")
        }
        guard let map = root?.mapping else { throw PresetError("\(path): expected a mapping of thresholds") }
        func node(_ key: String) throws -> Node {
            guard let v = map[key] else { throw PresetError("\(path): missing \(key)") }
            return v
        }
        func number(_ key: String) throws -> Double {
            guard let s = try node(key).scalar?.string, let d = Double(s) else { throw PresetError("\(path): \(key) is not a number") }
            return d
        }
        func pairs(_ key: String) throws -> [[Double]] {
            guard let seq = try node(key).sequence else { throw PresetError("\(path): \(key) is not a list") }
            return try seq.map { item in
                guard let p = item.sequence, p.count == 2, let n = p[0].scalar.flatMap({ Double($0.string) }),
                      let f = p[1].scalar.flatMap({ Double($0.string) }) else {
                    throw PresetError("\(path): \(key) must hold [n, fraction] pairs")
                }
                return [n, f]
            }
        }
        guard let words = try node("stopwords").sequence else { throw PresetError("\(path): stopwords is not a list") }
        let stop = try words.map { w -> String in
            guard let s = w.scalar?.string else { throw PresetError("\(path): stopwords must be strings") }
            return s
        }
        return FineWeb2Config(
            name: name, languageScore: try number("language_score"), dupLineFrac: try number("dup_line_frac"),
            topNGrams: try pairs("top_n_grams"), dupNGrams: try pairs("dup_n_grams"),
            linePunctThr: try number("line_punct_thr"), newLineRatio: try number("new_line_ratio"),
            minAvgWordLength: try number("min_avg_word_length"), maxAvgWordLength: try number("max_avg_word_length"),
            maxNonAlphaWordsRatio: try number("max_non_alpha_words_ratio"), stopWords: stop)
    }

    static func readLanguages(_ path: String) throws -> [String: (String, String)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw PresetError("\(path): cannot read the file") }
        var out: [String: (String, String)] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t").map(String.init)
            guard f.count == 3 else { throw PresetError("\(path): expected CODE1<TAB>CODE3<TAB>SCRIPT, got \(line)") }
            out[f[0]] = (f[1], f[2])
        }
        return out
    }
}

/// ISO 15924 scripts of letters, for choosing between one language's configurations.
enum Scripts {
    /// The index in `among` of the script most letters of the UTF-8 text are in; nil when none is.
    static func dominant(_ t: UnsafeBufferPointer<UInt8>, among: [String]) -> Int? {
        var counts = [Int](repeating: 0, count: among.count)
        var i = 0
        let n = t.count
        while i < n {
            let b = t[i]
            var c: UInt32
            if b < 0x80 { c = UInt32(b); i += 1 }
            else if b < 0xE0 { c = i + 1 < n ? UInt32(b & 0x1F) << 6 | UInt32(t[i + 1] & 0x3F) : 0; i += 2 }
            else if b < 0xF0 { c = i + 2 < n ? UInt32(b & 0x0F) << 12 | UInt32(t[i + 1] & 0x3F) << 6 | UInt32(t[i + 2] & 0x3F) : 0; i += 3 }
            else { c = i + 3 < n ? UInt32(b & 0x07) << 18 | UInt32(t[i + 1] & 0x3F) << 12 | UInt32(t[i + 2] & 0x3F) << 6 | UInt32(t[i + 3] & 0x3F) : 0; i += 4 }
            guard let s = script(c) else { continue }
            for (k, name) in among.enumerated() where name == s || (name == "Jpan" && (s == "Hani" || s == "Kana")) {
                counts[k] += 1
            }
        }
        guard let best = counts.max(), best > 0 else { return nil }
        return counts.firstIndex(of: best)
    }

    static let ranges: [(UInt32, UInt32, String)] = [
        (0x41, 0x5A, "Latn"), (0x61, 0x7A, "Latn"), (0xC0, 0xD6, "Latn"), (0xD8, 0xF6, "Latn"), (0xF8, 0x24F, "Latn"),
        (0x370, 0x3FF, "Grek"), (0x400, 0x52F, "Cyrl"), (0x530, 0x58F, "Armn"), (0x590, 0x5FF, "Hebr"),
        (0x600, 0x6FF, "Arab"), (0x750, 0x77F, "Arab"), (0x8A0, 0x8FF, "Arab"), (0x900, 0x97F, "Deva"),
        (0x980, 0x9FF, "Beng"), (0xA00, 0xA7F, "Guru"), (0xA80, 0xAFF, "Gujr"), (0xB00, 0xB7F, "Orya"),
        (0xB80, 0xBFF, "Taml"), (0xC00, 0xC7F, "Telu"), (0xC80, 0xCFF, "Knda"), (0xD00, 0xD7F, "Mlym"),
        (0xD80, 0xDFF, "Sinh"), (0xE00, 0xE7F, "Thai"), (0xE80, 0xEFF, "Laoo"), (0xF00, 0xFFF, "Tibt"),
        (0x1000, 0x109F, "Mymr"), (0x10A0, 0x10FF, "Geor"), (0x1100, 0x11FF, "Hang"), (0x1200, 0x139F, "Ethi"),
        (0x1400, 0x167F, "Cans"), (0x1780, 0x17FF, "Khmr"), (0x1E00, 0x1EFF, "Latn"), (0x1F00, 0x1FFF, "Grek"),
        (0x3040, 0x30FF, "Kana"), (0x3130, 0x318F, "Hang"), (0x31F0, 0x31FF, "Kana"), (0x3400, 0x4DBF, "Hani"),
        (0x4E00, 0x9FFF, "Hani"), (0xAC00, 0xD7AF, "Hang"), (0xF900, 0xFAFF, "Hani"), (0xFB50, 0xFDFF, "Arab"),
        (0xFE70, 0xFEFF, "Arab"), (0xFF66, 0xFF9F, "Kana"), (0x20000, 0x2FFFF, "Hani"),
    ]

    static func script(_ c: UInt32) -> String? {
        if c < 0x41 { return nil }
        var lo = 0, hi = ranges.count - 1
        while lo <= hi {
            let m = (lo + hi) / 2
            let r = ranges[m]
            if c < r.0 { hi = m - 1 } else if c > r.1 { lo = m + 1 } else { return r.2 }
        }
        return nil
    }
}
