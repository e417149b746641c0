import Foundation
import Testing

/// `tokenize --tokenizer MODEL.model` over the committed SentencePiece BPE model
/// fixtures/tokenize/sp-bpe.model. The expected ids in fixtures/tokenize/sp-bpe.ids.jsonl are
/// sentencepiece's own `encode(text)` of each text of sp-bpe.texts.jsonl; regenerate both with
/// `$PY scripts/tokenize/make_sentencepiece_fixture.py` (see fixtures/tokenize/README.md).
@Suite("SentencePiece models")
struct SentencePieceTests {
    static let model = CLI.fixture("tokenize/sp-bpe.model")
    static let texts = CLI.fixture("tokenize/sp-bpe.texts.jsonl")
    static let expected = CLI.fixture("tokenize/sp-bpe.ids.jsonl")

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("a SentencePiece BPE model gives sentencepiece's ids for every text")
    func idsEqualSentencePiece() throws {
        let dir = try CLI.tempDir().appendingPathComponent("shards")
        let r = try CLI.run(["tokenize", Self.texts, "--tokenizer", Self.model, "--eos", "none", "-o", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("SentencePiece"), "tokenize says what it detected: \(r.stderr)")
        let manifest = CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect((manifest["tokenizer"] as? [String: Any])?["kind"] as? String == "sentencepiece")
        let want = try lines(Self.expected).map { (CLI.json($0)["ids"] as! [Int]).map(String.init) }
        #expect(want.count == (try lines(Self.texts)).count)
        for (i, ids) in want.enumerated() {
            let got = try CLI.run(["shards", "decode", dir.path, "--doc", String(i), "--ids"]).out
                .split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            #expect(got == ids, "text \(i)")
        }
    }

    @Test("the default end-of-document token is the model's </s>, and ids decode to the text")
    func eosAndDecode() throws {
        let dir = try CLI.tempDir().appendingPathComponent("shards")
        let r = try CLI.run(["tokenize", Self.texts, "--tokenizer", Self.model, "-o", dir.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let manifest = CLI.json(try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect(manifest["eos_id"] as? Int == 2)
        let first = CLI.json(try lines(Self.texts)[0])["text"] as! String
        let d = try CLI.run(["shards", "decode", dir.path, "--doc", "0"])
        #expect(d.out == first + "\n")
    }

    /// A ModelProto with one `<unk>` piece and the given trainer_spec.model_type.
    func model(type: UInt8) -> Data {
        let unk: [UInt8] = [0x0A, 5] + Array("<unk>".utf8) + [0x15, 0, 0, 0, 0, 0x18, 2]
        return Data([0x0A, UInt8(unk.count)] + unk + [0x12, 2, 0x18, type])
    }

    @Test("a unigram model is refused with exit 2, naming the file and the model type")
    func unigramRefused() throws {
        let tmp = try CLI.tempDir()
        let m = tmp.appendingPathComponent("uni.model")
        try model(type: 1).write(to: m)
        let r = try CLI.run(["tokenize", Self.texts, "--tokenizer", m.path, "-o", tmp.appendingPathComponent("out").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains(m.path) && r.stderr.contains("unigram"), "\(r.stderr)")
    }

    @Test("a truncated model file is refused with exit 2 and the file's name")
    func truncatedRefused() throws {
        let tmp = try CLI.tempDir()
        let whole = try Data(contentsOf: URL(fileURLWithPath: Self.model))
        let m = tmp.appendingPathComponent("cut.model")
        try whole.prefix(whole.count / 2).write(to: m)
        let r = try CLI.run(["tokenize", Self.texts, "--tokenizer", m.path, "-o", tmp.appendingPathComponent("out").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(m.path): "), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("out/manifest.json").path))
    }
}
