import Foundation
import Testing

@Suite("filter --preset fineweb2")
struct FineWeb2PresetTests {
    func records(_ rows: [(String, [String: Any])]) throws -> Data {
        let lines = try rows.map { text, meta -> String in
            var r: [String: Any] = ["text": text]
            if !meta.isEmpty { r["metadata"] = meta }
            return String(decoding: try JSONSerialization.data(withJSONObject: r), as: UTF8.self)
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    func quality(_ line: String) -> [String: Any] {
        ((CLI.json(line)["metadata"] as? [String: Any])?["quality"] as? [String: Any]) ?? [:]
    }

    /// A German prose document of short lines (each under 30 characters, each a sentence).
    static let germanShortLines = (0..<40).map { i in
        ["Der Hund ist im Garten.", "Die Kinder spielen gern.", "Wir gehen nach Hause.", "Es ist ein schöner Tag.", "Ich lese das Buch."][i % 5]
    }.joined(separator: "\n")

    @Test("a German document is judged by deu_Latn's configuration with the pipeline's overrides")
    func germanUsesItsConfiguration() throws {
        let input = try records([(Self.germanShortLines, ["language": "de"])])
        let r = try CLI.run(["filter", "-", "--preset", "fineweb2", "--annotate"], stdin: input)
        #expect(r.status == 0)
        let q = quality(r.lines[0])
        #expect(q["fineweb2_config"] as? String == "deu_Latn")
        // the paragraph and line-character checks are off in FineWeb-2's pipeline
        let rep = q["gopher_repetition"] as? [String: Any] ?? [:]
        #expect(rep["dup_line_frac"] != nil)
        let failed = q["failed"] as? [String: String] ?? [:]
        #expect(failed["fineweb"] != "short_line_ratio", "short_line_thr is 999 in FineWeb-2's pipeline")
        #expect(failed["gopher_repetition"] == "dup_line_frac", "40 lines from 5 distinct: dup_line_frac 0.875 > 0.263")
        // the default rules drop the same text for its short lines
        let d = try CLI.run(["filter", "-", "--annotate", "--rules", "fineweb", "--set", "fineweb.char_duplicates_ratio=1"], stdin: input)
        #expect((quality(d.lines[0])["failed"] as? [String: String])?["fineweb"] == "short_line_ratio")
    }

    @Test("stop words come from the language's configuration, two distinct ones needed")
    func stopWordsFromConfiguration() throws {
        // deu_Latn's list holds und and den (FineWeb-2's file); matching is case-sensitive, as datatrove's set intersection
        let words = ["Haus", "Baum", "Wagen", "Straße", "Fenster", "Garten", "Himmel", "Wasser", "Feuer", "Erde"]
        var lines: [String] = []
        for i in 0..<12 { lines.append((0..<8).map { words[($0 * 7 + i * 3) % words.count] }.joined(separator: " ") + ".") }
        let without = lines.joined(separator: "\n")
        let with = lines.enumerated().map { $0.offset == 3 ? "Sie sah den Hund und " + $0.element : $0.element }.joined(separator: "\n")
        let r = try CLI.run(["filter", "-", "--preset", "fineweb2", "--annotate", "--rules", "gopher_quality"],
                            stdin: try records([(without, ["language": "de"]), (with, ["language": "de"])]))
        #expect(r.status == 0)
        let a = quality(r.lines[0])["failed"] as? [String: String] ?? [:]
        let b = quality(r.lines[1])["failed"] as? [String: String] ?? [:]
        #expect(a["gopher_quality"] == "gopher_enough_stop_words")
        #expect(b["gopher_quality"] != "gopher_enough_stop_words")
    }

    @Test("a language without a configuration is kept and counted, or dropped with --preset-missing drop")
    func missingConfiguration() throws {
        let dir = try CLI.tempDir()
        let stats = dir.appendingPathComponent("s.json").path
        let input = try records([("English has no FineWeb-2 configuration.", ["language": "en"]), ("Kein Sprachfeld.", [:])])
        let keep = try CLI.run(["filter", "-", "--preset", "fineweb2", "--stats", stats], stdin: input)
        #expect(keep.status == 0)
        #expect(keep.lines.count == 2)
        let counters = (CLI.json(try String(contentsOfFile: stats, encoding: .utf8))["counters"] as? [String: Int]) ?? [:]
        #expect(counters["fineweb2.no_config.en"] == 1)
        #expect(counters["fineweb2.no_config.none"] == 1)
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let drop = try CLI.run(["filter", "-", "--preset", "fineweb2", "--preset-missing", "drop", "--rejected", rej], stdin: input)
        #expect(drop.status == 0)
        #expect(drop.lines.isEmpty)
        #expect(try String(contentsOfFile: rej, encoding: .utf8).contains("fineweb2:no_config"))
    }

    @Test("the script with most letters picks among a language's configurations, and GlotLID's language_script is honoured")
    func scriptChoosesConfiguration() throws {
        let input = try records([
            ("مرحبا بكم في هذا الموقع الجميل جدا", ["language": "ar"]),
            ("marhaban bikum fi hatha almawqie aljamil jiddan", ["language": "ar"]),
            ("这是一个中文句子。", ["language": "cmn", "language_script": "Hani"]),
            ("Dies ist ein Satz.", ["language": "deu_Latn"]),
        ])
        let r = try CLI.run(["filter", "-", "--preset", "fineweb2", "--annotate"], stdin: input)
        #expect(r.status == 0)
        #expect(r.lines.map { quality($0)["fineweb2_config"] as? String } == ["arb_Arab", "arb_Latn", "cmn_Hani", "deu_Latn"])
    }

    @Test("flags that set thresholds are refused with --preset, and preset options need --preset")
    func refusesThresholdFlags() throws {
        for extra in [["--set", "fineweb.line_punct_thr=0.5"], ["--min-doc-words", "10"], ["--c4-lines"], ["--rules", "c4"]] {
            let r = try CLI.run(["filter", "-", "--preset", "fineweb2"] + extra, stdin: Data())
            #expect(r.status == 2, "\(extra)")
        }
        #expect(try CLI.run(["filter", "-", "--preset-missing", "drop"], stdin: Data()).status == 2)
        #expect(try CLI.run(["filter", "-", "--preset", "fineweb3"], stdin: Data()).status == 2)
        #expect(try CLI.run(["filter", "-", "--preset", "fineweb2", "--preset-missing", "maybe"], stdin: Data()).status == 2)
    }

    @Test("--preset-dir adds configurations and replaces shipped ones of the same name")
    func presetDirectory() throws {
        let dir = try CLI.tempDir()
        let configs = dir.appendingPathComponent("configs")
        try FileManager.default.createDirectory(at: configs, withIntermediateDirectories: true)
        let yml = """
            dup_line_frac: 0.3
            dup_n_grams:
            - - 5
              - 0.15
            language_score: 0.5
            line_punct_thr: 0
            max_avg_word_length: 100
            max_non_alpha_words_ratio: 0.1
            min_avg_word_length: 50
            new_line_ratio: 10
            stopwords:
            - der
            top_n_grams:
            - - 2
              - 0.2

            """
        try yml.write(to: configs.appendingPathComponent("deu_Latn.yml"), atomically: true, encoding: .utf8)
        try yml.write(to: configs.appendingPathComponent("xyz_Latn.yml"), atomically: true, encoding: .utf8)
        let input = try records([(Self.germanShortLines, ["language": "de"]), ("Some text.", ["language": "xyz_Latn"])])
        // a checkout's root (with configs/) or the configs directory itself
        for d in [dir.path, configs.path] {
            let r = try CLI.run(["filter", "-", "--preset", "fineweb2", "--preset-dir", d, "--annotate", "--rules", "gopher_quality"], stdin: input)
            #expect(r.status == 0)
            #expect(r.lines.map { quality($0)["fineweb2_config"] as? String } == ["deu_Latn", "xyz_Latn"])
            #expect((quality(r.lines[0])["failed"] as? [String: String])?["gopher_quality"] == "gopher_below_avg_threshold")
        }
        let bad = try CLI.run(["filter", "-", "--preset", "fineweb2", "--preset-dir", dir.appendingPathComponent("none").path], stdin: input)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("no such directory"))
    }

    @Test("langid --min-score-preset fineweb2 applies each language's own minimum score")
    func langidScorePreset() throws {
        // real dev-set text (Debian's Russian translations) that the model scores about 0.75:
        // above the default 0.65, below rus_Cyrl's 0.9
        let input = Data("{\"text\": \"Ошибка чтения HTTP.\"}\n".utf8)
        let plain = try CLI.run(["langid", "-", "--drop-low-score"], stdin: input)
        #expect(plain.lines.count == 1)
        let score = ((CLI.json(plain.lines[0])["metadata"] as? [String: Any])?["language_score"] as? Double) ?? 0
        #expect(score > 0.65 && score < 0.9)
        let preset = try CLI.run(["langid", "-", "--min-score-preset", "fineweb2"], stdin: input)
        #expect(preset.status == 0)
        #expect(preset.lines.isEmpty)
        #expect(try CLI.run(["langid", "-", "--min-score-preset", "glotlid"], stdin: input).status == 2)
    }
}
