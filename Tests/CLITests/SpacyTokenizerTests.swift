import Foundation
import Testing

/// `llmdata filter --language NAME` splits words with spaCy's rules for the FineWeb-2 names that
/// datatrove tokenizes with SpaCyTokenizer(code) (Sources/LLMDataFilter/SpacyTokenizer.swift,
/// models/spacy); scripts/check.d/44-spacy-rules.sh compares whole corpora.
@Suite("SpacyTokenizerTests")
struct SpacyTokenizerTests {
    func words(_ text: String, _ args: [String]) throws -> (CLI.Result, [[String]]) {
        let input = String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self) + "\n"
        let res = try CLI.run(["filter", "-", "--annotate", "--quiet"] + args, stdin: Data(input.utf8), env: ["LLMDATA_FILTER_DEBUG": "1"])
        let lists = res.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }.map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String] ?? []
        }
        return (res, lists)
    }

    static let german = "Die Paketmanagement-Befehle, z.B. apt-get, laufen im Terminal (siehe http://example.org/x.html)."

    // The expected lists below are from Python once:
    // datatrove.utils.word_tokenizers.load_word_tokenizer(NAME).word_tokenize(text) with
    // datatrove 0.10.1 and spaCy 3.8.18.

    @Test("German keeps Paketmanagement-Befehle and z.B. whole and does not split im")
    func german() throws {
        let (r, lists) = try words(Self.german, ["--language", "deu_Latn"])
        #expect(r.status == 0)
        #expect(lists == [["Die", "Paketmanagement-Befehle", ",", "z.B.", "apt-get", ",", "laufen", "im", "Terminal", "(", "siehe",
                           "http://example.org/x.html", ")", "."]])
    }

    @Test("French splits elisions and c'est-à-dire as spaCy fr does and keeps aujourd'hui and M. whole")
    func french() throws {
        let (r, lists) = try words("L'homme qu'on voit aujourd'hui, c'est-à-dire M. Dupont, a 3,5 kg.", ["--language", "fra_Latn"])
        #expect(r.status == 0)
        #expect(lists == [["L'", "homme", "qu'", "on", "voit", "aujourd'hui", ",", "c'", "est", "-", "à", "-", "dire", "M.", "Dupont",
                           ",", "a", "3,5", "kg", "."]])
    }

    @Test("Russian joins the special case и пр. across its space, as spaCy's matcher does")
    func russianSpecialWithSpace() throws {
        let (r, lists) = try words("Книги, журналы и пр. на столе.", ["--language", "rus_Cyrl"])
        #expect(r.status == 0)
        #expect(lists == [["Книги", ",", "журналы", "и пр.", "на", "столе", "."]])
        // two spaces make a whitespace token between и and пр: no match
        let (_, apart) = try words("журналы и  пр. на", ["--language", "rus_Cyrl"])
        #expect(apart == [["журналы", "и", "пр", ".", "на"]])
    }

    @Test("without a FineWeb-2 name the text keeps the English splitter (im is i m there)")
    func englishPathUnchanged() throws {
        let (r, lists) = try words("Die Paketmanagement-Befehle laufen im Terminal", [])
        #expect(r.status == 0)
        #expect(lists == [["Die", "Paketmanagement", "-", "Befehle", "laufen", "i", "m", "Terminal"]])
    }

    @Test("filter --preset fineweb2 routes a German document to spaCy's German rules")
    func preset() throws {
        let (r, lists) = try words(Self.german, ["--preset", "fineweb2", "--language", "de"])
        #expect(r.status == 0)
        #expect(lists.first?.contains("Paketmanagement-Befehle") == true)
        #expect(lists.first?.contains("z.B.") == true)
    }
}
