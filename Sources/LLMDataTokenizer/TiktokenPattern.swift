import Foundation
import LLMDataBPE

/// The split patterns of tiktoken's encodings, exactly as tiktoken 0.14 writes them (possessive
/// quantifiers, `\p{L}`/`\p{N}`, case-insensitive contractions, `\s++$`), for tiktoken ranks files.
/// (tokenizer.json files carry their own pattern; `bpe train` uses LLMDataBPE.SplitPattern.)
///
/// Two more ranks files are in tiktoken's format with patterns of their own: Llama 3's
/// `tokenizer.model` (Meta's `tokenizer.py` gives tiktoken `llama3`'s pattern) and Qwen's
/// `qwen.tiktoken` (Qwen's `tokenization_qwen.py`: `qwen2`'s pattern, single digits). Their
/// special tokens follow the ranks (`BPEModel.tiktokenSpecials`).
public enum TiktokenPattern: String, CaseIterable, Sendable {
    case gpt2, cl100k, o200k, llama3, qwen2

    /// The encoding whose ranks file has this many ranks: GPT-2's r50k (50,256), cl100k_base
    /// (100,256), o200k_base (199,998), Llama 3's tokenizer.model (128,000), qwen.tiktoken (151,643).
    public static func forRankCount(_ n: Int) -> TiktokenPattern? {
        switch n {
        case 50_256: return .gpt2
        case 100_256: return .cl100k
        case 199_998: return .o200k
        case 128_000: return .llama3
        case 151_643: return .qwen2
        default: return nil
        }
    }

    public var regex: String {
        switch self {
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .o200k:
            // tiktoken's o200k pattern is what `bpe train` uses too
            return SplitPattern.o200k.regex
        case .llama3:
            // Meta's pat_str, the same string as Llama 3's tokenizer.json
            return SplitPattern.llama3.regex
        case .qwen2:
            // Qwen's PAT_STR, the same string as Qwen2's tokenizer.json
            return SplitPattern.qwen2.regex
        }
    }

    /// The built-in pattern that splits text into the same pieces: gpt2's `\s++$|\s+(?!\S)|\s`
    /// gives what HF's `\s+(?!\S)|\s+` gives (a run at the end whole, else all but its last
    /// character, then that one), possessive runs match what greedy ones do where nothing
    /// follows, and cl100k's `\p{N}{1,3}+` is `\p{N}{1,3}` (SplitPattern.cl100k).
    public var splitPattern: SplitPattern {
        switch self {
        case .gpt2: return .gpt2
        case .cl100k: return .cl100k
        case .o200k: return .o200k
        case .llama3: return .llama3
        case .qwen2: return .qwen2
        }
    }
}

public struct TokenizerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
