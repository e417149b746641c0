// C interface over system ICU. ICU's own headers stay inside this target: Foundation on Linux
// carries its own ICU, and a Swift module that sees both fails to compile.
#ifndef LLMDATA_ICU_SHIM_H
#define LLMDATA_ICU_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

enum {
    LLM_FORM_NFC = 0,
    LLM_FORM_NFKC = 1,
    LLM_FORM_NFKC_CASEFOLD = 2,
    LLM_FORM_NFD = 3,
    LLM_FORM_NFKD = 4,
};

typedef struct llm_normalizer llm_normalizer;

/// Creates a normalizer for one of the LLM_FORM_* forms. With keep_fullwidth_punct, the
/// full-width punctuation that NFKC maps to ASCII (U+FF01..FF0F, FF1A..FF20, FF3B..FF40,
/// FF5B..FF5E) is left as it is. Returns NULL when ICU cannot load the data.
llm_normalizer *llm_normalizer_new(int32_t form, int32_t keep_fullwidth_punct);
void llm_normalizer_free(llm_normalizer *n);

/// Normalizes valid UTF-8. Returns -1 when the input is already normalized (nothing written),
/// otherwise the length of the result, which *out points to (owned by the normalizer until the
/// next call). Returns -2 on an ICU error.
int64_t llm_normalize_utf8(llm_normalizer *n, const uint8_t *in, size_t len, const uint8_t **out);

/// ICU's general category (UCharCategory numbering) of a code point.
int32_t llm_icu_char_type(uint32_t cp);
/// ICU's script code (UScriptCode numbering) of a code point.
int32_t llm_icu_script(uint32_t cp);
/// The Unicode version ICU was built with, e.g. "15.0".
const char *llm_icu_unicode_version(void);

enum {
    LLM_BREAK_WORD = 0,
    LLM_BREAK_SENTENCE = 1,
};

/// Segments `n` Unicode scalars with ICU's root word (dictionary-based for Han, kana, Thai, Lao,
/// Khmer, Burmese) or sentence break iterator. Writes up to `cap` segment end offsets (in scalars)
/// to ends and, for words, ICU's rule status of each segment to status (0 = UBRK_WORD_NONE:
/// spaces and punctuation; may be NULL). Returns the number of segments, or -1 on an ICU error.
/// One iterator per kind and thread is cached.
int32_t llm_icu_breaks(const uint32_t *scalars, int32_t n, int32_t kind, int32_t *ends, int32_t *status, int32_t cap);

#ifdef __cplusplus
}
#endif
#endif
