#include "CTextKernels.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline int printable(uint8_t c) { return c >= 0x21 && c < 0x7F; }

size_t llm_simple_ascii_prefix(const uint8_t *src, size_t n) {
    size_t i = 1;
    for (;;) {
#if defined(__SSE2__)
        // Blocks of 16: every byte in 0x20..0x7E and no two spaces in a row (counting the
        // byte before the block).
        const __m128i lo = _mm_set1_epi8(0x1F);
        const __m128i hi = _mm_set1_epi8(0x7F);
        const __m128i sp = _mm_set1_epi8(0x20);
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
            __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
            if (_mm_movemask_epi8(ok) != 0xFFFF) break;
            unsigned s = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));
            unsigned prev = (unsigned)(src[i - 1] == 0x20);
            if (s & ((s << 1) | prev)) break;
            i += 16;
        }
#endif
        while (i < n) {
            uint8_t c = src[i];
            if (printable(c)) { i++; continue; }
            if (c == 0x20 && src[i - 1] != 0x20 && i + 1 < n && printable(src[i + 1])) { i += 2; continue; }
            break;
        }
        // A line break after printable text and before printable text (at most one blank line
        // between) is also copied unchanged.
        if (i < n && src[i] == '\n' && printable(src[i - 1])) {
            if (i + 1 < n && printable(src[i + 1])) { i += 2; continue; }
            if (i + 2 < n && src[i + 1] == '\n' && printable(src[i + 2])) { i += 3; continue; }
        }
        break;
    }
    // a run never ends on a space: the cleaner decides what happens to it
    while (i > 1 && src[i - 1] == 0x20) i--;
    return i;
}

size_t llm_json_escape_scan(const uint8_t *src, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"');
    const __m128i bs = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x20);
    const __m128i flip = _mm_set1_epi8((char)0x80);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        // unsigned v < 0x20  <=>  signed (v ^ 0x80) < (0x20 ^ 0x80)
        __m128i lt = _mm_cmplt_epi8(_mm_xor_si128(v, flip), _mm_xor_si128(ctl, flip));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), lt);
        int mask = _mm_movemask_epi8(m);
        if (mask) return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    while (i < n) {
        uint8_t c = src[i];
        if (c < 0x20 || c == '"' || c == '\\') return i;
        i++;
    }
    return n;
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif
void llm_tune_allocator(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}
