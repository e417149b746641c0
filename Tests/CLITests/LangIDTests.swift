import Foundation
import Testing

@Suite("langid")
struct LangIDTests {
    func identify(_ texts: [String], _ extra: [String] = []) throws -> [[String: Any]] {
        let input = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }.joined(separator: "\n") + "\n"
        let r = try CLI.run(["langid", "-"] + extra, stdin: Data(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        return r.lines.map { CLI.json($0)["metadata"] as? [String: Any] ?? [:] }
    }

    @Test("accuracy on the committed dev sample: macro over the 20 main languages at least 97%, none below 90%")
    func accuracyFloor() throws {
        let r = try CLI.run(["langid", CLI.fixture("langid/dev-sample.jsonl"), "--quiet"])
        #expect(r.status == 0)
        var right: [String: Int] = [:], total: [String: Int] = [:]
        for l in r.lines {
            let o = CLI.json(l)
            let gold = o["lang"] as! String
            let got = (o["metadata"] as? [String: Any])?["language"] as? String
            total[gold, default: 0] += 1
            if got == gold { right[gold, default: 0] += 1 }
        }
        let main = "en zh ja ko ru de fr es pt it ar hi vi th pl nl tr uk id fa".split(separator: " ").map(String.init)
        let acc = main.map { Double(right[$0] ?? 0) / Double(total[$0] ?? 1) }
        let macro = acc.reduce(0, +) / Double(acc.count)
        #expect(macro >= 0.97, "macro \(macro)")
        for (l, a) in zip(main, acc) { #expect(a >= 0.90, "\(l): \(a)") }
    }

    @Test("emoji, digits, punctuation and empty text give und with score 0")
    func undetermined() throws {
        for m in try identify(["😀🎉👍", "12345 67.89", "!!! ??? ...", "", "   "]) {
            #expect(m["language"] as? String == "und")
            #expect(m["language_score"] as? Double == 0)
        }
    }

    @Test("a few kana, Latin brand names, URLs and code inside Chinese do not flip it; Han-heavy Japanese with kana is ja")
    func mixedScripts() throws {
        let zhBase = "大模型是基于深度学习架构构建的、参数规模达数十亿甚至万亿级别的神经网络模型。其核心特征体现在三个方面，包括参数规模、数据规模和能力边界。"
        let m = try identify([
            zhBase + "（日本語では「モデル」と書く）",
            "使用 iPhone 和 MacBook Pro 的用户可以访问 https://www.example.com/path?x=1 了解 GPT-4 与 PyTorch 的详细信息。" + zhBase,
            "def forward(self, x): return self.linear(x)  # 前向传播函数，返回线性层的输出结果。" + zhBase,
            "東京都は日本の首都であり、多くの人々が住んでいます。",
        ])
        #expect(m.map { $0["language"] as? String } == ["zh", "zh", "zh", "ja"])
    }

    @Test("the hard pairs: Ukrainian, Russian and Bulgarian; Portuguese, Spanish, Catalan and Italian; Danish and Swedish; Indonesian")
    func hardPairs() throws {
        let cases: [(String, String)] = [
            ("Будь ласка, перевірте правильність адреси та спробуйте ще раз пізніше.", "uk"),
            ("Пожалуйста, проверьте правильность адреса и попробуйте ещё раз позже.", "ru"),
            ("Моля, проверете дали адресът е правилен и опитайте отново по-късно.", "bg"),
            ("Por favor, verifique se o endereço está correto e tente novamente mais tarde.", "pt"),
            ("Por favor, compruebe que la dirección es correcta e inténtelo de nuevo más tarde.", "es"),
            ("Si us plau, comproveu que l'adreça és correcta i torneu-ho a provar més tard.", "ca"),
            ("Per favore, verifica che l'indirizzo sia corretto e riprova più tardi.", "it"),
            ("Kontroller venligst, at adressen er korrekt, og prøv igen senere.", "da"),
            ("Kontrollera att adressen är korrekt och försök igen senare.", "sv"),
            ("Silakan periksa apakah alamatnya benar dan coba lagi nanti.", "id"),
        ]
        let m = try identify(cases.map(\.0))
        #expect(m.map { $0["language"] as? String } == cases.map(\.1))
    }

    @Test("--keep and --min-score drop the rest to --rejected with a reason, --top-k lists the candidates, and output is the same for any --jobs")
    func keepAndTopK() throws {
        let dir = try CLI.tempDir()
        let rej = dir.appendingPathComponent("rej.jsonl").path
        let r = try CLI.run(["langid", CLI.fixture("langid/dev-sample.jsonl"), "--keep", "en,zh", "--rejected", rej, "--top-k", "3"])
        #expect(r.status == 0)
        for l in r.lines {
            let m = CLI.json(l)["metadata"] as! [String: Any]
            #expect(["en", "zh"].contains(m["language"] as! String))
            #expect((m["language_score"] as! Double) >= 0.65)
            #expect((m["language_top"] as? [Any])?.count ?? 0 <= 3)
        }
        let rejected = try String(contentsOfFile: rej, encoding: .utf8).split(separator: "\n")
        #expect(rejected.count + r.lines.count == 1200)
        #expect(rejected.allSatisfy { $0.contains("\"langid_reason\"") })
        let a = try CLI.run(["langid", CLI.fixture("langid/dev-sample.jsonl"), "--jobs", "1"])
        let b = try CLI.run(["langid", CLI.fixture("langid/dev-sample.jsonl"), "--jobs", "3", "--batch-bytes", "4096"])
        #expect(a.stdout == b.stdout)
    }

    @Test("a missing or broken model is a clear fatal error")
    func badModel() throws {
        let dir = try CLI.tempDir()
        let f = dir.appendingPathComponent("m.bin")
        try Data("not a model".utf8).write(to: f)
        let r = try CLI.run(["langid", "--model", f.path, "-"], stdin: Data("{\"text\":\"hello\"}\n".utf8))
        #expect(r.status == 2)
        #expect(r.stderr.contains("not a langid model"))
    }
}
