import Foundation
import LLMDataBPETraining
import LLMDataBPEEncoding

/// The tokenizer-file loaders: `BPEModel.loadTokenizerJSON` (simdjson spans + JSONSerialization,
/// pre-tokenizer and post-processor shapes), `ByteLevelBPEFile.parse` (LLMDataBPETraining's own reader of
/// tokenizer.json) and `BPEModel.loadTiktoken` (base64 ranks). A model that loads is used once:
/// an `Encoder` (the file's split regex compiled by PCRE2) encodes a short text and decodes it.
/// `BPEModel.loadSentencePiece` reads SentencePiece `.model` protobufs, `BPEModel.loadTekken`
/// Mistral's Tekken JSON.
///
/// Input: byte 0 chooses, the rest is the file.
///   bits 0-1: 0 loadTokenizerJSON, 1 ByteLevelBPEFile.parse, 2 loadTiktoken (or loadTekken),
///             3 loadSentencePiece
///   bits 2-4: tiktoken pattern (0, 6: none, inferred; 1-5: gpt2 cl100k o200k llama3 qwen2);
///             7 with loader 2: loadTekken instead
///   bit 5: encode and decode after loading;  bit 6: with --allow-special
enum TokenizerHarness {
    static let text = "Hello, world! It's 2024 -- naïve café, 日本語のテキスト, 😀 <|endoftext|> x\n\n  \t y <|im_start|>"

    static func run(_ input: [UInt8]) {
        guard let flags = input.first else { return }
        let body = input.dropFirst()
        do {
            let model: BPEModel
            switch flags & 3 {
            case 1:
                _ = try ByteLevelBPEFile.parse(Data(body))
                return
            case 2 where Int(flags >> 2) & 7 == 7:
                model = try BPEModel.loadTekken(path: Scratch.write("tekken.json", body)).model
            case 2:
                let k = Int(flags >> 2) & 7
                let pattern: TiktokenPattern? = (1...5).contains(k) ? TiktokenPattern.allCases[k - 1] : nil
                model = try BPEModel.loadTiktoken(path: Scratch.write("ranks.tiktoken", body), pattern: pattern)
            case 3:
                model = try BPEModel.loadSentencePiece(path: Scratch.write("sp.model", body))
            default:
                model = try BPEModel.loadTokenizerJSON(path: Scratch.write("tokenizer.json", body))
            }
            _ = model.defaultEOS
            _ = model.idCount
            guard flags & 32 != 0 else { return }
            let encoder = try Encoder(model: model)
            encoder.allowSpecial = flags & 64 != 0
            let ids = encoder.encode(text)
            _ = model.decode(ids)
        } catch {}
    }
}
