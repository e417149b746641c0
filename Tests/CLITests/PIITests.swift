import Foundation
import Testing

/// `normalize --pii` and `--pii-phones` (docs/normalize.md § PII). The agreement with datatrove's
/// PIIFormatter on e-mails and IPs is checked at scale by scripts/check_pii.py (check.d/15).
@Suite("PII")
struct PIITests {
    func norm(_ text: String, _ args: [String]) throws -> String {
        let rec = try JSONSerialization.data(withJSONObject: ["text": text])
        let r = try CLI.run(["normalize"] + args + ["-"], stdin: rec + Data([0x0A]))
        #expect(r.status == 0, "\(r.stderr)")
        return CLI.json(r.lines.first ?? "{}")["text"] as? String ?? "<none>"
    }

    static let phone = "+00 0000 0000"

    @Test("Chinese mobiles with or without +86, 0086 or 86-, whole or grouped 3-4-4, are replaced")
    func chineseMobiles() throws {
        let cases = [
            "13812345678", "+8613812345678", "+86 13812345678", "+86-138-1234-5678", "+86 138 1234 5678",
            "(+86) 139 1234 5678", "008613812345678", "0086 15912345678", "86-18612345678", "86 199 1234 5678",
            "138-1234-5678", "138 1234 5678",
        ]
        for c in cases {
            #expect(try norm("电话：\(c)。", ["--pii-phones"]) == "电话:\(Self.phone)。", "\(c)")
        }
        // glued to Chinese text, and two in a row separated by a space
        #expect(try norm("手机13812345678联系", ["--pii-phones", "--form", "none"]) == "手机\(Self.phone)联系")
        #expect(try norm("13812345678 13912345678", ["--pii-phones"]) == "\(Self.phone) \(Self.phone)")
    }

    @Test("E.164 numbers with a plus sign, grouped by single spaces or hyphens, 8 to 15 digits, are replaced")
    func e164() throws {
        for c in ["+44 20 7946 0958", "+1-202-555-0143", "+4930123456", "+33 1 23 45 67 89", "+971 50 123 4567"] {
            #expect(try norm("call \(c) now", ["--pii-phones"]) == "call \(Self.phone) now", "\(c)")
        }
        // too short, too long, + then 0, a + inside a word
        for c in ["+44 20 79", "+1234567890123456", "+0 20 7946 0958", "c++12345678", "a+4930123456"] {
            #expect(try norm("call \(c) now", ["--pii-phones"]) == "call \(c) now", "\(c)")
        }
    }

    @Test("ID, order, timestamp, IP and version numbers are not taken for phones")
    func notPhones() throws {
        let cases = [
            "身份证号 110105199003071234",         // 18-digit ID
            "身份证号 11010519900307123X",         // 18-character ID with X
            "订单号 138123456789",                 // 12-digit order number
            "订单号 213812345678",                 // 12 digits containing a mobile
            "时间 20261208123456",                 // date-time
            "IP 10.13.81.23",                       // private IP (kept by --pii too)
            "version 1.2.3.4",                      // private-looking version (1.2.3.4 is global: see below)
            "v13812345678", "13812345678a", "ID-13812345678", "13812345678-2", "1.13812345678", "13812345678.5",
            "x_13812345678", "user13812345678@", "138 1234 5678 9012", "1 138 1234 5678", "138-1234 5678",
            "86013812345678",
        ]
        for c in cases {
            let out = try norm(c, ["--pii-phones", "--pii-ip", "IP", "--form", "none"])
            #expect(!out.contains(Self.phone), "\(c) -> \(out)")
        }
        // a version number that is a public IP is replaced by the IP pass, not the phone pass
        #expect(try norm("version 1.2.3.4", ["--pii-phones"]) == "version 22.214.171.124")
        // the phone replacement itself is no phone: a second pass leaves it alone
        #expect(try norm(Self.phone, ["--pii-phones"]) == Self.phone)
    }

    @Test("e-mails and public IPs are replaced as datatrove does; private IPs, leading zeros and CJK-glued addresses are not")
    func emailsAndIPs() throws {
        #expect(try norm("mail john.doe+x@mail.example.org, thanks", ["--pii"]) == "mail email@example.com, thanks")
        #expect(try norm("to a@[1.2.3.4] or b@c", ["--pii"]) == "to email@example.com or b@c")
        // Python's \b: a CJK character before the address is a word character, so no match
        #expect(try norm("联系abc@x.com", ["--pii"]) == "联系abc@x.com")
        #expect(try norm("联系 abc@x.com", ["--pii"]) == "联系 email@example.com")
        // after NFKC the full-width ＠ is an @; without normalization it is not an address
        #expect(try norm("ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", ["--pii"]) == "email@example.com")
        #expect(try norm("ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", ["--pii", "--form", "none"]) == "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ")
        #expect(try norm("8.8.8.8 10.0.0.1 127.0.0.1 192.168.1.1 100.64.0.1 169.254.1.1", ["--pii"])
                == "22.214.171.124 10.0.0.1 127.0.0.1 192.168.1.1 100.64.0.1 169.254.1.1")
        // no boundaries: the leftmost match inside longer dotted runs (256. is no octet, 56.1.1.1 is)
        #expect(try norm("1.2.3.4.5 10.0.0.1.2 01.02.03.04 1.2.3.045 256.1.1.1", ["--pii"])
                == "22.214.171.124.5 10.0.0.1.2 01.02.03.04 1.2.3.045 222.214.171.124")
        #expect(try norm("x 8.8.8.8 a@b.cd", ["--pii", "--pii-email", "[email]", "--pii-ip", "[ip]"]) == "x [ip] [email]")
    }

    @Test("--stats counts pii:email, pii:ip and pii:phone, one per replacement")
    func counters() throws {
        let dir = try CLI.tempDir()
        let s = dir.appendingPathComponent("s.json").path
        let lines = [
            "{\"text\":\"a@b.cd and e@f.gh from 8.8.8.8, not 10.0.0.1\"}",
            "{\"text\":\"tel 13812345678 or +44 20 7946 0958; 1.1.1.1\"}",
            "{\"text\":\"nothing here\"}",
        ].joined(separator: "\n") + "\n"
        let r = try CLI.run(["normalize", "--pii-phones", "--stats", s, "-"], stdin: Data(lines.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let c = CLI.json(try String(contentsOfFile: s, encoding: .utf8))["counters"] as? [String: Int] ?? [:]
        #expect(c["pii:email"] == 2)
        #expect(c["pii:ip"] == 2)
        #expect(c["pii:phone"] == 2)
        #expect(c["records_changed"] == 2)
        // without --pii-phones no phone is touched
        let r2 = try CLI.run(["normalize", "--pii", "--stats", s, "-"], stdin: Data(lines.utf8))
        #expect(r2.status == 0)
        let c2 = CLI.json(try String(contentsOfFile: s, encoding: .utf8))["counters"] as? [String: Int] ?? [:]
        #expect(c2["pii:phone"] == nil)
        #expect(r2.out.contains("13812345678"))
    }

    @Test("a recipe passes the PII flags to normalize, and a rerun with another replacement is refused")
    func recipe() throws {
        let top = try CLI.tempDir()
        let inDir = top.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inDir, withIntermediateDirectories: true)
        try "{\"text\":\"mail a@b.example.com call 13812345678 ip 8.8.8.8\"}\n".write(
            to: inDir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        let recipe = top.appendingPathComponent("r.yaml")
        func write(_ email: String) throws {
            try "inputs: [in]\nstages:\n  - normalize: {pii-phones: true, pii-email: \"\(email)\"}\n".write(to: recipe, atomically: true, encoding: .utf8)
        }
        try write("x@example.com")
        let out = top.appendingPathComponent("out")
        let r = try CLI.run(["run", recipe.path, "-o", out.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let stats = CLI.json(try String(contentsOf: out.appendingPathComponent("stats/01-normalize.json"), encoding: .utf8))
        let c = stats["counters"] as? [String: Int] ?? [:]
        #expect(c["pii:email"] == 1 && c["pii:ip"] == 1 && c["pii:phone"] == 1)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        p.arguments = ["-q", "-d", "-c", out.appendingPathComponent("records/part-00000.jsonl.zst").path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(CLI.json(String(decoding: data, as: UTF8.self))["text"] as? String == "mail x@example.com call \(Self.phone) ip 22.214.171.124")
        try write("y@example.com")
        let again = try CLI.run(["run", recipe.path, "-o", out.path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("the recipe differs") && again.stderr.contains("y@example.com"))
    }
}
