import Foundation
import Testing
@testable import LLMDataLangID

let repoRoot: URL = {
    var u = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { u.deleteLastPathComponent() }
    return u
}()

func shipped() throws -> LangIDModel { try LangIDModel.shipped() }

/// Per-language accuracy of the identifier over a dev.jsonl-style file.
func accuracy(_ path: String) throws -> [String: (ok: Int, n: Int)] {
    let ident = LanguageIdentifier(model: try shipped())
    var res: [String: (ok: Int, n: Int)] = [:]
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
        let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let lang = o["lang"] as! String
        let got = ident.identify(o["text"] as! String).language
        res[lang, default: (0, 0)].n += 1
        if got == lang { res[lang, default: (0, 0)].ok += 1 }
    }
    return res
}

let mainLanguages = "en zh ja ko ru de fr es pt it ar hi vi th pl nl tr uk id fa".split(separator: " ").map(String.init)

@Suite("langid model and identifier")
struct LangIDTests {
    @Test("the shipped model covers the 30 languages of the training data and loads fast")
    func shippedModel() throws {
        let t0 = Date()
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("models/langid.model"))
        let m = try LangIDModel(bytes: [UInt8](data))
        let ms = Date().timeIntervalSince(t0) * 1000
        #expect(m.reportedLanguages.count == 30)
        for l in mainLanguages + ["bg", "ca", "cs", "da", "el", "he", "hu", "ro", "sv", "fi"] { #expect(m.reportedLanguages.contains(l), "\(l)") }
        #expect(data.count <= 10 << 20)
        #expect(ms < 500, "load took \(ms) ms")
        #expect(m.serialized() == [UInt8](data))
    }

    @Test("per-language accuracy floor on the committed dev sample (40 per language)")
    func committedSample() throws {
        let acc = try accuracy(repoRoot.appendingPathComponent("fixtures/langid/dev-sample.jsonl").path)
        #expect(acc.count == 30)
        var macro = 0.0
        for (l, a) in acc {
            #expect(Double(a.ok) / Double(a.n) >= 0.95, "\(l): \(a.ok)/\(a.n)")
        }
        for l in mainLanguages { macro += Double(acc[l]!.ok) / Double(acc[l]!.n) }
        #expect(macro / Double(mainLanguages.count) >= 0.985)
    }

    @Test("per-language accuracy floor on the full dev.jsonl when .data is present",
          .enabled(if: FileManager.default.fileExists(atPath: repoRoot.appendingPathComponent(".data/langid-data/dev.jsonl").path)))
    func fullDev() throws {
        let path = repoRoot.appendingPathComponent(".data/langid-data/dev.jsonl").path
        let acc = try accuracy(path)
        var macro = 0.0
        for (l, a) in acc { #expect(Double(a.ok) / Double(a.n) >= 0.97, "\(l): \(a.ok)/\(a.n)") }
        for l in mainLanguages { macro += Double(acc[l]!.ok) / Double(acc[l]!.n) }
        #expect(macro / Double(mainLanguages.count) >= 0.99)
    }

    @Test("no letters gives und with score 0: empty, emoji, digits, punctuation, URLs only")
    func undetermined() throws {
        let ident = LanguageIdentifier(model: try shipped())
        for t in ["", "   \n\t", "😀🎉👍🏽", "1234 5678 90", "!!! ??? ... ---", "https://example.com/a/b?c=d", "foo@example.org", "１２３４５", "(*)(*)(*)"] {
            let r = ident.identify(t, topK: 3)
            #expect(r.language == "und", "\(t)")
            #expect(r.score == 0)
            #expect(r.top.isEmpty)
        }
    }

    @Test("unique scripts decide ko, th, el, he, hi")
    func uniqueScripts() throws {
        let ident = LanguageIdentifier(model: try shipped())
        let cases = ["ko": "안녕하세요, 반갑습니다.", "th": "สวัสดีครับ ยินดีต้อนรับ", "el": "Καλημέρα σας, τι κάνετε;",
                     "he": "שלום, מה שלומך היום?", "hi": "नमस्ते, आप कैसे हैं?"]
        for (l, t) in cases {
            let r = ident.identify(t)
            #expect(r.language == l)
            #expect(r.score > 0.99)
        }
    }

    @Test("zh/ja: a few kana inside long Chinese stay Chinese; Han-only Japanese is Japanese; kana text is Japanese")
    func chineseJapanese() throws {
        let ident = LanguageIdentifier(model: try shipped())
        let zh = "中华人民共和国是世界上人口最多的国家之一，拥有悠久的历史和灿烂的文化。我们应该努力学习科学技术，为国家的发展做出贡献。这部动画片叫做《となりのトトロ》，在中国也很受欢迎。"
        #expect(ident.identify(zh).language == "zh")
        #expect(ident.identify("東京都庁は新宿区にある。").language == "ja")
        #expect(ident.identify("ファイルを保存します").language == "ja")
        #expect(ident.identify("这是一个简单的测试句子。").language == "zh")
    }

    @Test("Han-only Japanese: dev-sample Japanese with its kana removed is still mostly Japanese, Chinese stays Chinese")
    func hanOnlyJapanese() throws {
        let ident = LanguageIdentifier(model: try shipped())
        var ja = (ok: 0, n: 0), zh = (ok: 0, n: 0)
        for line in try String(contentsOf: repoRoot.appendingPathComponent("fixtures/langid/dev-sample.jsonl"), encoding: .utf8).split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let lang = o["lang"] as! String
            guard lang == "ja" || lang == "zh" else { continue }
            // Kana become spaces: what remains is Han (and Latin, punctuation).
            let stripped = String(String.UnicodeScalarView((o["text"] as! String).unicodeScalars.map { (0x3040...0x30FF).contains($0.value) ? " " : $0 }))
            guard stripped.unicodeScalars.filter({ (0x4E00...0x9FFF).contains($0.value) }).count >= 6 else { continue }
            let got = ident.identify(stripped).language
            if lang == "ja" { ja.n += 1; if got == "ja" { ja.ok += 1 } } else { zh.n += 1; if got == "zh" { zh.ok += 1 } }
        }
        #expect(ja.n >= 20 && zh.n >= 20)
        #expect(Double(ja.ok) / Double(ja.n) >= 0.8, "Han-only ja \(ja.ok)/\(ja.n)")
        #expect(Double(zh.ok) / Double(zh.n) >= 0.95, "Han-only zh \(zh.ok)/\(zh.n)")
        print("Han-only: ja \(ja.ok)/\(ja.n), zh \(zh.ok)/\(zh.n)")
    }

    @Test("mixed scripts do not flip: brand names in Chinese, URLs and e-mails, code in prose")
    func mixedScripts() throws {
        let ident = LanguageIdentifier(model: try shipped())
        #expect(ident.identify("我在用iPhone和MacBook Pro写代码，请访问https://example.com/docs/index.html了解更多。").language == "zh")
        // URLs and e-mail addresses are removed before scoring: the answer and score do not move.
        let plain = "Подробности о новой версии программы читайте на нашем сайте или пишите нам"
        let withURLs = "Подробности о новой версии программы читайте на https://www.example.com/very/long/english/path/about/things нашем сайте или пишите нам support@example.com"
        #expect(ident.identify(plain).language == "ru")
        #expect(ident.identify(withURLs) == ident.identify(plain))
        #expect(ident.identify("Для запуска выполните команду git commit -m и затем git push origin main.").language == "ru")
        #expect(ident.identify("Bitte führen Sie den Befehl aus, bevor Sie die Datei speichern: sudo apt-get install").language == "de")
        #expect(ident.identify("ソフトウェアをインストールするには、sudo apt-get install build-essential を実行します。").language == "ja")
    }

    @Test("hard pairs on clear sentences: uk/ru/bg, pt/es/ca/it, da/sv, id")
    func hardPairs() throws {
        let ident = LanguageIdentifier(model: try shipped())
        let cases: [(String, String)] = [
            ("uk", "Будь ласка, збережіть файл перед тим, як закрити програму."),
            ("ru", "Пожалуйста, сохраните файл перед тем, как закрыть программу."),
            ("bg", "Моля, запазете файла, преди да затворите програмата."),
            ("pt", "Por favor, salve o arquivo antes de fechar o programa."),
            ("es", "Por favor, guarde el archivo antes de cerrar el programa."),
            ("ca", "Si us plau, deseu el fitxer abans de tancar el programa."),
            ("it", "Per favore, salva il file prima di chiudere il programma."),
            ("da", "Gem venligst filen, før du lukker programmet."),
            ("sv", "Spara filen innan du stänger programmet."),
            ("id", "Silakan simpan berkas sebelum menutup program."),
        ]
        for (l, t) in cases { #expect(ident.identify(t).language == l, "\(t)") }
    }

    @Test("scores are probabilities; top-k is sorted, sums to at most 1, starts with the answer")
    func scores() throws {
        let ident = LanguageIdentifier(model: try shipped())
        for t in ["The quick brown fox jumps over the lazy dog.", "Ce texte est écrit en français.", "casa"] {
            let r = ident.identify(t, topK: 5)
            #expect(r.score >= 0 && r.score <= 1)
            #expect(r.top.count == 5)
            #expect(r.top.first?.language == r.language)
            #expect(r.top.first?.score == r.score)
            #expect(zip(r.top, r.top.dropFirst()).allSatisfy { $0.score >= $1.score })
            #expect(r.top.map(\.score).reduce(0, +) <= 1.000001)
        }
        #expect(ident.identify("The quick brown fox jumps over the lazy dog.").score > 0.95)
    }

    @Test("whole documents: a long document is scored over all of it, not its first part")
    func wholeDocument() throws {
        let ident = LanguageIdentifier(model: try shipped())
        let en = String(repeating: "This is a short English sentence. ", count: 20)
        let de = String(repeating: "Dies ist ein ziemlich langer deutscher Satz über das Wetter. ", count: 400)
        #expect(ident.identify(en + de).language == "de")
        #expect(ident.identify(en).language == "en")
    }

    @Test("invalid UTF-8 and lone continuation bytes do not crash and count as boundaries")
    func invalidBytes() throws {
        let ident = LanguageIdentifier(model: try shipped())
        let bytes: [UInt8] = [0xFF, 0xFE, 0x80] + Array("Guten Morgen, wie geht es dir heute?".utf8) + [0xC3, 0xE2, 0x82]
        let r = bytes.withUnsafeBufferPointer { ident.identify($0) }
        #expect(r.language == "de")
    }

    @Test("training is deterministic and independent of the thread count")
    func deterministicTraining() throws {
        // A small training set from the committed sample (the full one is in .data).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("langid-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("train"), withIntermediateDirectories: true)
        var by: [String: [String]] = [:]
        for line in try String(contentsOf: repoRoot.appendingPathComponent("fixtures/langid/dev-sample.jsonl"), encoding: .utf8).split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            by[o["lang"] as! String, default: []].append(o["text"] as! String)
        }
        for (l, xs) in by { try xs.joined(separator: "\n").write(to: dir.appendingPathComponent("train/\(l).txt"), atomically: true, encoding: .utf8) }
        var o = LangIDTrainOptions()
        o.bucketBits = 12
        o.threads = 1
        let (a, _) = try LangIDTrainer.train(dataDir: dir.path, options: o)
        o.threads = 3
        let (b, _) = try LangIDTrainer.train(dataDir: dir.path, options: o)
        #expect(a.serialized() == b.serialized())
        #expect(a.reportedLanguages.count == 30)
        // Round trip through the file format.
        #expect(try LangIDModel(bytes: a.serialized()).serialized() == a.serialized())
        try? FileManager.default.removeItem(at: dir)
    }

    /// The training data present is the one the shipped model was trained from: its package
    /// manifest (Debian versions and SHA-256, written by build-langid-data.sh) equals the one
    /// committed beside the model. Debian's point releases change the packages, and with them the
    /// model; then the test is skipped, not failed.
    static let trainingDataMatches: Bool = {
        guard let here = FileManager.default.contents(atPath: repoRoot.appendingPathComponent(".data/langid-data/MANIFEST.tsv").path),
              let shipped = FileManager.default.contents(atPath: repoRoot.appendingPathComponent("models/langid.manifest.tsv").path) else { return false }
        return here == shipped
    }()

    @Test("train on the full data reproduces the shipped model byte for byte (when the same Debian packages are in .data)",
          .enabled(if: trainingDataMatches))
    func reproducesShipped() throws {
        let data = repoRoot.appendingPathComponent(".data/langid-data").path
        let (m, _) = try LangIDTrainer.train(dataDir: data)
        let shippedBytes = try Data(contentsOf: repoRoot.appendingPathComponent("models/langid.model"))
        #expect(m.serialized() == [UInt8](shippedBytes))
    }

    @Test("bad model files are rejected with a reason")
    func badModels() throws {
        let good = try shipped().serialized()
        #expect(throws: LangIDError.self) { try LangIDModel(bytes: []) }
        #expect(throws: LangIDError.self) { try LangIDModel(bytes: Array("not a model at all, not at all".utf8) + [UInt8](repeating: 0, count: 40)) }
        #expect(throws: LangIDError.self) { try LangIDModel(bytes: Array(good.dropLast(1))) }
        var badVersion = good
        badVersion[8] = 9
        #expect(throws: LangIDError.self) { try LangIDModel(bytes: badVersion) }
        #expect(throws: LangIDError.self) { try LangIDModel(path: "/nonexistent/langid.model") }
    }

    @Test("script table: ICU script codes map to the expected classes")
    func scriptTable() {
        let t = CharTables.shared
        #expect(t.classOf(0x41) == LetterClass.latin.rawValue)
        #expect(t.classOf(0x0416) == LetterClass.cyrillic.rawValue)
        #expect(t.classOf(0x4E2D) == LetterClass.han.rawValue)
        #expect(t.classOf(0x3042) == LetterClass.hiragana.rawValue)
        #expect(t.classOf(0x30AB) == LetterClass.katakana.rawValue)
        #expect(t.classOf(0x30FC) == LetterClass.katakana.rawValue)
        #expect(t.classOf(0xAC00) == LetterClass.hangul.rawValue)
        #expect(t.classOf(0x0E01) == LetterClass.thai.rawValue)
        #expect(t.classOf(0x05D0) == LetterClass.hebrew.rawValue)
        #expect(t.classOf(0x0915) == LetterClass.devanagari.rawValue)
        #expect(t.classOf(0x0627) == LetterClass.arabic.rawValue)
        #expect(t.classOf(0x03B1) == LetterClass.greek.rawValue)
        #expect(t.classOf(0x20000) == LetterClass.han.rawValue)
        #expect(t.classOf(0x1F600) == LetterClass.separator.rawValue)
        #expect(t.classOf(0x0031) == LetterClass.separator.rawValue)
        #expect(t.classOf(0x064E) == LetterClass.skip.rawValue)  // Arabic fatha (Inherited)
        #expect(t.lower[0x0416] == 0x0436)
        #expect(t.lower[0xC9] == 0xE9)
    }
}
