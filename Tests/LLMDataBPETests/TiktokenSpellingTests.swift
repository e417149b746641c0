import LLMDataBPETraining
import LLMDataBPEEncoding
import Testing

@Suite("tiktoken patterns")
struct TiktokenSpellingTests {
    @Test("tiktoken's spellings of the patterns take the ASCII fast path and still give PCRE2's pieces for tiktoken's regex (they once went through PCRE2 piece by piece)",
          arguments: TiktokenPattern.allCases)
    func tiktokenSpellingFastPath(_ p: TiktokenPattern) throws {
        let fast = try PreTokenizer(regex: p.regex, asciiFastPathOf: p.splitPattern).makeSplitter()
        let slow = try PreTokenizer(regex: p.regex).makeSplitter()
        #expect(try PreTokenizerTests.mismatches(fast, slow) == 0)
    }
}
