#include "CICUShim.h"
#include <unicode/normalizer2.h>
#include <unicode/bytestream.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uversion.h>
#include <unicode/ubrk.h>
#include <vector>
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
    case LLM_FORM_NFD: n = icu::Normalizer2::getNFDInstance(ec); break;
    case LLM_FORM_NFKD: n = icu::Normalizer2::getNFKDInstance(ec); break;
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

namespace {
struct BreakCache {
    UBreakIterator *it[2] = {nullptr, nullptr};
    std::vector<UChar> u16;
    std::vector<int32_t> toScalar;  // UTF-16 index -> scalar index
    ~BreakCache() { for (auto *b : it) if (b) ubrk_close(b); }
};
thread_local BreakCache breakCache;
}

extern "C" int32_t llm_icu_breaks(const uint32_t *scalars, int32_t n, int32_t kind, int32_t *ends, int32_t *status, int32_t cap) {
    if (kind < 0 || kind > 1) return -1;
    BreakCache &c = breakCache;
    UErrorCode ec = U_ZERO_ERROR;
    if (!c.it[kind]) {
        c.it[kind] = ubrk_open(kind == 0 ? UBRK_WORD : UBRK_SENTENCE, "", nullptr, 0, &ec);
        if (U_FAILURE(ec)) { c.it[kind] = nullptr; return -1; }
    }
    c.u16.clear();
    c.toScalar.clear();
    c.u16.reserve((size_t)n + 16);
    c.toScalar.reserve((size_t)n + 16);
    for (int32_t i = 0; i < n; i++) {
        uint32_t cp = scalars[i];
        if (cp >= 0x10000) {
            c.u16.push_back((UChar)(0xD7C0 + (cp >> 10)));
            c.u16.push_back((UChar)(0xDC00 | (cp & 0x3FF)));
            c.toScalar.push_back(i);
            c.toScalar.push_back(i);
        } else {
            c.u16.push_back((UChar)cp);
            c.toScalar.push_back(i);
        }
    }
    c.toScalar.push_back(n);
    UBreakIterator *b = c.it[kind];
    ubrk_setText(b, c.u16.data(), (int32_t)c.u16.size(), &ec);
    if (U_FAILURE(ec)) return -1;
    int32_t count = 0;
    ubrk_first(b);
    for (int32_t e = ubrk_next(b); e != UBRK_DONE; e = ubrk_next(b)) {
        if (count < cap) {
            ends[count] = c.toScalar[(size_t)e];
            if (status) status[count] = ubrk_getRuleStatus(b);
        }
        count++;
    }
    return count;
}
