import Foundation
import LLMDataBPEEncoding
import Testing

/// The SentencePiece loader and encoder in-process, over fixtures/tokenize/sp-bpe.model (ids made
/// by sentencepiece itself: scripts/tokenize/make_sentencepiece_fixture.py).
@Suite("SentencePiece model")
struct SentencePieceModelTests {
    static let model = Repo.path("fixtures/tokenize/sp-bpe.model")

    @Test("every fixture text encodes to sentencepiece's ids, with a fresh and with a warm piece cache")
    func fixtureIDs() throws {
        let m = try BPEModel.loadSentencePiece(path: Self.model)
        #expect(m.kind == .sentencePiece)
        let texts = try String(contentsOfFile: Repo.path("fixtures/tokenize/sp-bpe.texts.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }.map { $0["text"] as! String }
        let want = try String(contentsOfFile: Repo.path("fixtures/tokenize/sp-bpe.ids.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            .map { ($0["ids"] as! [Int]).map(UInt32.init) }
        #expect(texts.count == want.count && !texts.isEmpty)
        let e = try Encoder(model: m)
        for pass in 0..<2 {
            for (t, w) in zip(texts, want) { #expect(e.encode(t) == w, "pass \(pass): \(t)") }
        }
    }

    @Test("decode writes spaces for U+2581 and bytes for byte pieces, without the dummy prefix")
    func decode() throws {
        let m = try BPEModel.loadSentencePiece(path: Self.model)
        let e = try Encoder(model: m)
        for t in ["Hello world, this is a test.", "emoji 😀 and ß", "数字 2024 年"] {
            #expect(String(decoding: m.decode(e.encode(t)), as: UTF8.self) == t)
        }
    }

    @Test("a .model file is told from other tokenizer files by its first bytes")
    func detection() throws {
        let head = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.model)).prefix(256))
        #expect(BPEModel.looksLikeSentencePiece(head))
        #expect(!BPEModel.looksLikeSentencePiece(Array("IQ== 0\nIg== 1\n".utf8)))
        #expect(!BPEModel.looksLikeSentencePiece(Array("{\"model\": {}}".utf8)))
    }

    @Test("cut or corrupt files are refused with the path and a reason, never a crash")
    func corrupt() throws {
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.model)))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-corrupt-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var refused = 0
        for (i, cut) in stride(from: 1, to: whole.count, by: 997).enumerated() {
            let p = dir.appendingPathComponent("m\(i).model").path
            var bytes = Array(whole[..<cut])
            if i % 2 == 1 { bytes[bytes.count / 2] ^= 0x5A }
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            do {
                let m = try BPEModel.loadSentencePiece(path: p)
                _ = try Encoder(model: m).encode("Hello world 2024 数字 😀")
            } catch {
                refused += 1
                #expect("\(error)".hasPrefix(p + ": "), "\(error)")
            }
        }
        #expect(refused > 0)
    }
}
