#include "CICUShim.h"
#include <unicode/normalizer2.h>
#include <unicode/bytestream.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uversion.h>
#include <string>
#include <stdio.h>
#include <string.h>

struct llm_normalizer {
    const icu::Normalizer2 *norm;
    bool keep_punct;
    std::string out;
};

extern "C" llm_normalizer *llm_normalizer_new(int32_t form, int32_t keep_fullwidth_punct) {
    UErrorCode ec = U_ZERO_ERROR;
    const icu::Normalizer2 *n = nullptr;
    switch (form) {
    case LLM_FORM_NFC: n = icu::Normalizer2::getNFCInstance(ec); break;
    case LLM_FORM_NFKC: n = icu::Normalizer2::getNFKCInstance(ec); break;
    case LLM_FORM_NFKC_CASEFOLD: n = icu::Normalizer2::getNFKCCasefoldInstance(ec); break;
    default: return nullptr;
    }
    if (U_FAILURE(ec) || !n) return nullptr;
    auto *r = new llm_normalizer();
    r->norm = n;
    r->keep_punct = keep_fullwidth_punct != 0;
    return r;
}

extern "C" void llm_normalizer_free(llm_normalizer *n) { delete n; }

// Full-width punctuation whose NFKC form is ASCII punctuation. UTF-8: EF BC xx / EF BD xx.
static inline bool protected_punct(const uint8_t *p, size_t avail) {
    if (avail < 3 || p[0] != 0xEF) return false;
    uint8_t b = p[1], c = p[2];
    if (b == 0xBC) {
        // U+FF01..FF0F = EF BC 81..8F ; U+FF1A..FF20 = EF BC 9A..A0 ; U+FF3B..FF3F = EF BC BB..BF
        return (c >= 0x81 && c <= 0x8F) || (c >= 0x9A && c <= 0xA0) || (c >= 0xBB && c <= 0xBF);
    }
    if (b == 0xBD) {
        // U+FF40 = EF BD 80 ; U+FF5B..FF5E = EF BD 9B..9E
        return c == 0x80 || (c >= 0x9B && c <= 0x9E);
    }
    return false;
}

static bool normalize_piece(llm_normalizer *n, const uint8_t *in, size_t len) {
    UErrorCode ec = U_ZERO_ERROR;
    icu::StringByteSink<std::string> sink(&n->out);
    n->norm->normalizeUTF8(0, icu::StringPiece((const char *)in, (int32_t)len), sink, nullptr, ec);
    return U_SUCCESS(ec);
}

extern "C" int64_t llm_normalize_utf8(llm_normalizer *n, const uint8_t *in, size_t len, const uint8_t **out) {
    UErrorCode ec = U_ZERO_ERROR;
    if (len > INT32_MAX) return -2;
    icu::StringPiece sp((const char *)in, (int32_t)len);
    if (n->norm->isNormalizedUTF8(sp, ec) && U_SUCCESS(ec)) return -1;
    n->out.clear();
    n->out.reserve(len + len / 8 + 16);
    if (!n->keep_punct) {
        if (!normalize_piece(n, in, len)) return -2;
    } else {
        size_t start = 0, i = 0;
        while (i < len) {
            if (in[i] == 0xEF && protected_punct(in + i, len - i)) {
                if (i > start && !normalize_piece(n, in + start, i - start)) return -2;
                n->out.append((const char *)in + i, 3);
                i += 3;
                start = i;
            } else {
                i++;
            }
        }
        if (len > start && !normalize_piece(n, in + start, len - start)) return -2;
        if (n->out.size() == len && memcmp(n->out.data(), in, len) == 0) return -1;
    }
    *out = (const uint8_t *)n->out.data();
    return (int64_t)n->out.size();
}

extern "C" int32_t llm_icu_char_type(uint32_t cp) { return (int32_t)u_charType((UChar32)cp); }

extern "C" int32_t llm_icu_script(uint32_t cp) {
    UErrorCode ec = U_ZERO_ERROR;
    return (int32_t)uscript_getScript((UChar32)cp, &ec);
}

extern "C" const char *llm_icu_unicode_version(void) {
    static char buf[U_MAX_VERSION_STRING_LENGTH];
    UVersionInfo v;
    u_getUnicodeVersion(v);
    u_versionToString(v, buf);
    return buf;
}
