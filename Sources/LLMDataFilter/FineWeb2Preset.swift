import LLMDataPresets

/// `filter --preset fineweb2`: FineWeb-2's filtering step (fineweb-2-pipeline.py, step 5) with a
/// language's configuration. The pipeline's own overrides are fixed here (docs/filters.md lists
/// them): GopherRepetitionFilter with dup_para_frac, dup_line_char_frac and dup_para_char_frac 0
/// (off); FineWebQualityFilter with short_line_thr 999 (off) and char_duplicates_ratio 0.1;
/// GopherQualityFilter with min_stop_words 2; no C4 filter. Everything else is datatrove's default.
public enum FineWeb2Rules {
    /// The pipeline's order: repetition, FineWeb quality, Gopher quality.
    static let order: [RuleSet] = [.gopherRepetition, .fineweb, .gopherQuality]
    public static let names = order.map(\.rawValue)

    static func options(_ c: FineWeb2Config, base: FilterOptions) -> FilterOptions {
        var o = FilterOptions()
        o.rules = base.rules
        o.annotate = base.annotate
        o.gopherRepetition.dupParaFrac = 0
        o.gopherRepetition.dupLineCharFrac = 0
        o.gopherRepetition.dupParaCharFrac = 0
        o.gopherRepetition.dupLineFrac = c.dupLineFrac
        o.gopherRepetition.topNGrams = c.topNGrams
        o.gopherRepetition.dupNGrams = c.dupNGrams
        o.fineweb.shortLineThr = 999
        o.fineweb.charDuplicatesRatio = 0.1
        o.fineweb.linePunctThr = c.linePunctThr
        o.fineweb.newLineRatio = c.newLineRatio
        o.gopherQuality.maxAvgWordLength = c.maxAvgWordLength
        o.gopherQuality.minAvgWordLength = c.minAvgWordLength
        o.gopherQuality.stopWords = c.stopWords
        o.gopherQuality.maxNonAlphaWordsRatio = c.maxNonAlphaWordsRatio
        o.gopherQuality.minStopWords = 2
        return o
    }
}
