import Foundation
import Testing

@Suite("normalize")
struct NormalizeCLITests {
    func norm(_ text: String, _ args: [String] = []) throws -> String {
        var line = [UInt8]()
        let rec = try JSONSerialization.data(withJSONObject: ["text": text])
        line.append(contentsOf: rec)
        line.append(0x0A)
        let r = try CLI.run(["normalize"] + args + ["-"], stdin: Data(line))
        #expect(r.status == 0, "\(r.stderr)")
        return CLI.json(r.lines.first ?? "{}")["text"] as? String ?? "<none>"
    }

    @Test("NFKC maps compatibility characters and full-width forms")
    func nfkc() throws {
        #expect(try norm("ﬁle ①，ＡＢＣ１２３") == "file 1,ABC123")
        #expect(try norm("ｶﾀｶﾅ") == "カタカナ")
    }

    @Test("--keep-fullwidth-punct keeps CJK punctuation but still folds full-width letters")
    func keepPunct() throws {
        #expect(try norm("你好，世界！（ＡＢＣ）", ["--keep-fullwidth-punct"]) == "你好，世界！（ABC）")
        #expect(try norm("你好，世界！") == "你好,世界!")
    }

    @Test("NFC leaves compatibility characters alone and NFKC_Casefold folds case")
    func forms() throws {
        #expect(try norm("ﬁ Ａ e\u{301}", ["--form", "nfc"]) == "ﬁ Ａ é")
        #expect(try norm("Straße ＡＢＣ", ["--form", "nfkc_cf"]) == "strasse abc")
        #expect(try norm("MiXeD ASCII", ["--form", "nfkc_cf"]) == "mixed ascii")
    }

    @Test("control and format characters go, tabs and newlines stay, joiners stay unless asked")
    func controls() throws {
        #expect(try norm("a\u{0}b\u{7}c\u{200B}d\u{FEFF}e\u{AD}f\tg") == "abcdef\tg")
        #expect(try norm("می\u{200C}خواهم") == "می\u{200C}خواهم")
        #expect(try norm("می\u{200C}خواهم", ["--strip-joiners"]) == "میخواهم")
    }

    @Test("spaces collapse, lines are trimmed, blank-line runs become one, indentation stays")
    func whitespace() throws {
        #expect(try norm("  a   b \n\n\n\n  c\u{3000}\u{3000}d  \n\n") == "  a b\n\n  c d")
        #expect(try norm("x\r\ny\rz\u{2028}w") == "x\ny\nz\nw")
        #expect(try norm("    code()\n        nested()", ["--collapse-indent"]) == " code()\n nested()")
    }

    @Test("URLs, e-mail addresses and reference brackets are stripped on request")
    func strippers() throws {
        #expect(try norm("see https://example.com/a_(b)?q=1. now", ["--strip-urls"]) == "see . now")
        #expect(try norm("访问www.example.com了解", ["--strip-urls"]) == "访问了解")
        #expect(try norm("mail me: john.doe+x@mail.example.org, thanks", ["--strip-emails"]) == "mail me: , thanks")
        #expect(try norm("not an address: a@b", ["--strip-emails"]) == "not an address: a@b")
        #expect(try norm("Fact.[12] More[citation needed] text【环球网报道】正文 a[i]", ["--strip-brackets"]) == "Fact. More text正文 a[i]")
    }

    @Test("a scraped Chinese article loses its URLs and keeps its full-width punctuation")
    func chineseSeed() throws {
        let r = try CLI.run(["normalize", "--keep-fullwidth-punct", "--strip-urls", CLI.fixture("sample/zh-web.jsonl")])
        #expect(r.status == 0)
        #expect(r.lines.count == 5)
        for l in r.lines {
            let t = CLI.json(l)["text"] as? String ?? ""
            #expect(!t.contains("http://") && !t.contains("https://"))
            #expect(!t.contains("\n\n\n"))
            #expect(t.contains("，") || t.contains("。"))
        }
    }

    @Test("--stats counts normalized and changed records")
    func stats() throws {
        let dir = try CLI.tempDir()
        let s = dir.appendingPathComponent("s.json").path
        let r = try CLI.run(["normalize", "--stats", s, CLI.fixture("normalize/multilingual.jsonl")])
        #expect(r.status == 0)
        let j = CLI.json(try String(contentsOfFile: s, encoding: .utf8))
        #expect(j["stage"] as? String == "normalize")
        #expect(j["records_in"] as? Int == 3000)
        #expect(j["records_out"] as? Int == 3000)
        let counters = j["counters"] as? [String: Int] ?? [:]
        #expect((counters["ascii_fast_path"] ?? 0) > 100)
        #expect((counters["records_normalized"] ?? 0) > 0)
    }
}
