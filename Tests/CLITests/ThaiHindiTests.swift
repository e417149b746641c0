import Foundation
import Testing

/// `llmdata filter --language tha_Thai` / `hin_Deva` split words as datatrove does (pythainlp's
/// newmm-safe, Sources/LLMDataFilter/ThaiNewmm.swift; indic-nlp-library's trivial_tokenize,
/// IndicTrivial.swift); scripts/check.d/46-thai-hindi.sh compares whole corpora.
@Suite("ThaiHindiTests")
struct ThaiHindiTests {
    static let thai = "ราคา 1,234.50 บาท เวลา 12:30น. ไอพี 127.0.0.1\nภาษาไทยPythonและC++ ใช้ได้ดีมาก ๆ ๑๒๓"
    static let thaiLong = "ประเทศไทยมีประชากรประมาณหกสิบหกล้านคนและมีกรุงเทพมหานครเป็นเมืองหลวงซึ่งเป็นศูนย์กลางทางเศรษฐกิจการเมืองและวัฒนธรรมของประเทศมาตั้งแต่สมัยรัตนโกสินทร์ตอนต้นจนถึงปัจจุบัน"
    static let hindi = "कीमत 1,000 रुपये है। 12:30 बजे, path\\to\tटैब\nपंक्ति (कोष्ठक)॥"
    // The expected lists below were taken once from Python: datatrove 0.10.1's
    // load_word_tokenizer(NAME).word_tokenize(text), with pythainlp 5.4.0 and indic-nlp-library 0.92.
    static let thaiExpected = ["ราคา", "1,234.50", "บาท", "เวลา", "12:30", "น.", "ไอ", "พี", "127.0.0.1", "ภาษาไทย", "Python",
                               "และ", "C", "++", "ใช้ได้", "ดีมาก", "ๆ", "๑๒๓"]
    static let thaiLongExpected = ["ประเทศ", "ไทย", "มี", "ประชากร", "ประมาณ", "หกสิบ", "หก", "ล้าน", "คน", "และ", "มี",
                                   "กรุงเทพมหานคร", "เป็น", "เมืองหลวง", "ซึ่ง", "เป็น", "ศูนย์กลาง", "ทางเศรษฐกิจ", "การเมือง",
                                   "และ", "วัฒนธรรม", "ของ", "ประเทศ", "มา", "ตั้งแต่", "สมัย", "รัตนโกสินทร์", "ตอนต้น",
                                   "จนถึง", "ปัจจุบัน"]
    static let hindiExpected = ["कीमत", "1,000", "रुपये", "है", "।", "12:30", "बजे", ",", "path\\to", "टैब\nपंक्ति", "(",
                                "कोष्ठक", ")", "॥"]

    func words(_ text: String, _ args: [String], env: [String: String] = [:]) throws -> (CLI.Result, [[String]]) {
        let input = String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self) + "\n"
        let res = try CLI.run(["filter", "-", "--annotate", "--quiet"] + args, stdin: Data(input.utf8),
                              env: env.merging(["LLMDATA_FILTER_DEBUG": "1"]) { $1 })
        let lists = res.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }.map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String] ?? []
        }
        return (res, lists)
    }

    @Test("--language tha_Thai splits Thai with numbers, Latin and Thai digits into the words newmm-safe gives datatrove")
    func thaiWords() throws {
        let (r, lists) = try words(Self.thai, ["--language", "tha_Thai"])
        #expect(r.status == 0)
        #expect(lists == [Self.thaiExpected])
    }

    @Test("a Thai text of 168 characters without spaces is cut into newmm-safe's chunks as datatrove cuts it")
    func thaiLongText() throws {
        let (r, lists) = try words(Self.thaiLong, ["--language", "tha_Thai"])
        #expect(r.status == 0)
        #expect(lists == [Self.thaiLongExpected])
    }

    @Test("--preset fineweb2 --language th splits with newmm-safe too")
    func thaiPreset() throws {
        let (r, lists) = try words(Self.thai, ["--preset", "fineweb2", "--language", "th"])
        #expect(r.status == 0)
        #expect(lists == [Self.thaiExpected])
    }

    @Test("--language hin_Deva splits Hindi on punctuation as trivial_tokenize does, numbers rejoined, the backslash kept")
    func hindiWords() throws {
        let (r, lists) = try words(Self.hindi, ["--language", "hin_Deva"])
        #expect(r.status == 0)
        #expect(lists == [Self.hindiExpected])
    }

    @Test("a missing Thai dictionary stops the run with exit code 2 and names where it looked")
    func missingDictionary() throws {
        let dir = try CLI.tempDir()
        let (r, _) = try words(Self.thai, ["--language", "tha_Thai"], env: ["LLMDATA_THAI_DICT": dir.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Thai dictionary not found"))
        #expect(r.stderr.contains(dir.path))
    }
}
