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

/* MinHash update: for each permutation i, sig[i] = min(sig[i], (a[i] * x + b[i] mod 2^64) >> 32)
   for a 32-bit shingle hash x and random 64-bit a[i] (odd) and b[i]: multiply-shift hashing, which
   needs the full 64-bit a (with a 32-bit a the map is nearly monotone in x and the permutations
   would all pick the same minimum). Compiled for AVX-512DQ, AVX2 and plain x86-64; the loader picks
   one for the CPU (target_clones). */
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512dq", "avx2", "default")))
#endif
void llm_minhash_update(uint32_t *sig, const uint64_t *a, const uint64_t *b, size_t n, const uint32_t *xs, size_t count) {
    for (size_t k = 0; k < count; k++) {
        uint64_t x = xs[k];
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)((a[i] * x + b[i]) >> 32);
            sig[i] = v < sig[i] ? v : sig[i];
        }
    }
}

/* Dedup key of ASCII text: letters lower-cased, digits kept (or 0), punctuation and symbols
   dropped, runs of white space and control characters collapsed to one space (none at the start;
   a trailing one may remain). `*pending` carries an unwritten space between calls.
   Returns the number of bytes written to dst (capacity >= n + 1). */
size_t llm_key_ascii(const uint8_t *src, size_t n, uint8_t *dst, size_t written, int digits_to_zero, int *pending) {
    /* 0 drop, 1 space, else the byte to write; a second table maps digits to '0' */
    static uint8_t maps[2][128];
    static int ready = 0;
    if (!ready) {
        for (int z = 0; z < 2; z++) {
            for (int c = 0; c < 128; c++) {
                uint8_t m = 0;
                if (c >= 'a' && c <= 'z') m = (uint8_t)c;
                else if (c >= 'A' && c <= 'Z') m = (uint8_t)(c | 0x20);
                else if (c >= '0' && c <= '9') m = z ? '0' : (uint8_t)c;
                else if (c <= 0x20 || c == 0x7F) m = 1;
                maps[z][c] = m;
            }
        }
        ready = 1;
    }
    const uint8_t *map = maps[digits_to_zero ? 1 : 0];
    size_t o = written;
    size_t p = (size_t)*pending;
    /* branch-free: a space is written when one is pending before a kept byte (not at the start),
       the byte itself is written always and kept only when it is a key byte */
    for (size_t i = 0; i < n; i++) {
        uint8_t m = map[src[i] & 0x7F];
        size_t keep = m > 1;
        size_t sp = p & keep & (o > 0);
        dst[o] = ' ';
        o += sp;
        dst[o] = m;
        o += keep;
        p = (m == 1) | (p & (m == 0));
    }
    *pending = (int)p;
    return o - written;
}


int llm_is_ascii(const uint8_t *src, size_t n) {
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, src + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= src[i];
    return (acc & 0x8080808080808080ULL) == 0;
}
