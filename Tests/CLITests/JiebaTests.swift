import Foundation
import Testing

/// `llmdata filter --language cmn_Hani` splits Chinese words as datatrove does (spaCy over jieba
/// 0.42.1, Sources/LLMDataFilter/Jieba.swift); scripts/check.d/41-jieba.sh compares whole corpora.
@Suite("JiebaTests")
struct JiebaTests {
    static let sentence = "他说3.5%的用户在北京清华大学用iPhone 13看《人民日报》。\r\n\u{3000}\u{3000}小明硕士毕业于中国科学院计算所，后在日本京都大学深造。"
    /// From Python once: datatrove.utils.word_tokenizers.load_word_tokenizer("cmn_Hani")
    /// .word_tokenize(sentence) with datatrove 0.10.1, spaCy 3.8.18, jieba 0.42.1.
    static let expected = ["他", "说", "3.5%", "的", "用户", "在", "北京", "清华大学", "用", "iPhone", "13", "看", "《",
                           "人民日报", "》", "。", "小明", "硕士", "毕业", "于", "中国科学院", "计算所", "，", "后", "在",
                           "日本京都大学", "深造", "。"]

    func words(_ text: String, _ args: [String], metadataLanguage: String? = nil, env: [String: String] = [:]) throws -> (CLI.Result, [[String]]) {
        var r: [String: Any] = ["text": text]
        if let metadataLanguage { r["metadata"] = ["language": metadataLanguage] }
        let input = String(decoding: try JSONSerialization.data(withJSONObject: r), as: UTF8.self) + "\n"
        let res = try CLI.run(["filter", "-", "--annotate", "--quiet"] + args, stdin: Data(input.utf8),
                              env: env.merging(["LLMDATA_FILTER_DEBUG": "1"]) { $1 })
        let lists = res.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }.map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String] ?? []
        }
        return (res, lists)
    }

    @Test("--language cmn_Hani splits a sentence into the words jieba gives datatrove")
    func splitsLikeJieba() throws {
        let (r, lists) = try words(Self.sentence, ["--language", "cmn_Hani"])
        #expect(r.status == 0)
        #expect(lists == [Self.expected])
    }

    @Test("a document whose metadata.language is cmn_Hani is split by jieba too")
    func metadataLanguage() throws {
        let (r, lists) = try words(Self.sentence, [], metadataLanguage: "cmn_Hani")
        #expect(r.status == 0)
        #expect(lists == [Self.expected])
    }

    @Test("a missing jieba dictionary stops the run with exit code 2 and names where it looked")
    func missingDictionary() throws {
        let dir = try CLI.tempDir()
        let (r, _) = try words(Self.sentence, ["--language", "cmn_Hani"], env: ["LLMDATA_JIEBA_DICT": dir.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("jieba dictionary not found"))
        #expect(r.stderr.contains(dir.path))
    }
}
