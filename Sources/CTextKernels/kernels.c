#define _GNU_SOURCE 1
#include "CTextKernels.h"
#include <string.h>
#include <stdlib.h>
#include <fcntl.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
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
int llm_start_writeback(int fd, long long offset, long long count) {
#if defined(__linux__)
    return sync_file_range(fd, (off_t)offset, (off_t)count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

void llm_tune_allocator(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

/* MinHash update: for each permutation i, sig[i] = min(sig[i], a[i] * x + b[i] mod 2^32) for a
   32-bit shingle hash x, a random odd 32-bit a[i] and a random b[i]. For odd a this is a
   bijection of the 32-bit values, and because x is already a well-mixed hash the minima behave as
   those of random permutations (mean and spread of the Jaccard estimate equal the binomial ones;
   see MinHash.swift). One 32-bit multiply per permutation: 16 permutations per AVX-512 multiply.
   The loops are interchanged: up to 8 vectors of permutations (a, b and running minima) stay in
   registers while every shingle of the document streams past. n must be a multiple of 16 (the
   caller pads). */
#define MH32_BLOCK(VEC, LANES, G, SET1, LOAD, STORE, MUL, ADD, MIN)                       \
    do {                                                                                  \
        VEC A[G], B[G], M[G];                                                             \
        for (int j = 0; j < G; j++) {                                                     \
            A[j] = LOAD(a + i + LANES * j);                                               \
            B[j] = LOAD(b + i + LANES * j);                                               \
            M[j] = LOAD(sig + i + LANES * j);                                             \
        }                                                                                 \
        for (size_t k = 0; k < count; k++) {                                              \
            VEC x = SET1((int)xs[k]);                                                     \
            for (int j = 0; j < G; j++) M[j] = MIN(M[j], ADD(MUL(A[j], x), B[j]));        \
        }                                                                                 \
        for (int j = 0; j < G; j++) STORE(sig + i + LANES * j, M[j]);                     \
    } while (0)

#if defined(__x86_64__)
#define L512(p) _mm512_loadu_si512((const void *)(p))
#define S512(p, v) _mm512_storeu_si512((void *)(p), v)
#define L256(p) _mm256_loadu_si256((const __m256i *)(p))
#define S256(p, v) _mm256_storeu_si256((__m256i *)(p), v)
__attribute__((target("avx512f")))
static void minhash32_avx512(uint32_t *sig, const uint32_t *a, const uint32_t *b, size_t n, const uint32_t *xs, size_t count) {
    size_t i = 0;
    while (i < n) {
        size_t g = (n - i) / 16;
        switch (g >= 8 ? 8 : g) {
        case 8: MH32_BLOCK(__m512i, 16, 8, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 128; break;
        case 7: MH32_BLOCK(__m512i, 16, 7, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 112; break;
        case 6: MH32_BLOCK(__m512i, 16, 6, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 96; break;
        case 5: MH32_BLOCK(__m512i, 16, 5, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 80; break;
        case 4: MH32_BLOCK(__m512i, 16, 4, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 64; break;
        case 3: MH32_BLOCK(__m512i, 16, 3, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 48; break;
        case 2: MH32_BLOCK(__m512i, 16, 2, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 32; break;
        default: MH32_BLOCK(__m512i, 16, 1, _mm512_set1_epi32, L512, S512, _mm512_mullo_epi32, _mm512_add_epi32, _mm512_min_epu32); i += 16; break;
        }
    }
}

__attribute__((target("avx2")))
static void minhash32_avx2(uint32_t *sig, const uint32_t *a, const uint32_t *b, size_t n, const uint32_t *xs, size_t count) {
    size_t i = 0;
    while (i < n) {
        size_t g = (n - i) / 8;
        switch (g >= 4 ? 4 : g) {
        case 4: MH32_BLOCK(__m256i, 8, 4, _mm256_set1_epi32, L256, S256, _mm256_mullo_epi32, _mm256_add_epi32, _mm256_min_epu32); i += 32; break;
        case 3: MH32_BLOCK(__m256i, 8, 3, _mm256_set1_epi32, L256, S256, _mm256_mullo_epi32, _mm256_add_epi32, _mm256_min_epu32); i += 24; break;
        case 2: MH32_BLOCK(__m256i, 8, 2, _mm256_set1_epi32, L256, S256, _mm256_mullo_epi32, _mm256_add_epi32, _mm256_min_epu32); i += 16; break;
        default: MH32_BLOCK(__m256i, 8, 1, _mm256_set1_epi32, L256, S256, _mm256_mullo_epi32, _mm256_add_epi32, _mm256_min_epu32); i += 8; break;
        }
    }
}
#endif

static void minhash32_scalar(uint32_t *sig, const uint32_t *a, const uint32_t *b, size_t n, const uint32_t *xs, size_t count) {
    for (size_t i = 0; i < n; i++) {
        uint32_t m = sig[i], ai = a[i], bi = b[i];
        for (size_t k = 0; k < count; k++) {
            uint32_t v = ai * xs[k] + bi;
            m = v < m ? v : m;
        }
        sig[i] = m;
    }
}

void llm_minhash_update(uint32_t *sig, const uint32_t *a, const uint32_t *b, size_t n, const uint32_t *xs, size_t count) {
#if defined(__x86_64__)
    static int level = -1;
    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    if (n % 16 == 0) {
        if (level == 2) { minhash32_avx512(sig, a, b, n, xs, count); return; }
        if (level == 1) { minhash32_avx2(sig, a, b, n, xs, count); return; }
    }
#endif
    minhash32_scalar(sig, a, b, n, xs, count);
}

/* Length of the prefix of src[0..n) below 0x80 (ascii = 1) or at or above 0x80 (ascii = 0). */
size_t llm_ascii_span(const uint8_t *src, size_t n, int ascii) {
    size_t i = 0;
    const uint64_t hi = 0x8080808080808080ULL;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        uint64_t m = ascii ? (w & hi) : (~w & hi);
        if (m) return i + (size_t)(__builtin_ctzll(m) >> 3);
        i += 8;
    }
    while (i < n && ((src[i] < 0x80) == (ascii != 0))) i++;
    return i;
}

/* The dedup key pass over NFKC_Casefold output (valid UTF-8), as KeyNormalizer.pass: classes from
   `table` (code points below 0x10000: 0 keep, 1 drop, 2 space), bytes copied as they are (digits
   to 0 with digits_to_zero), a pending space written before the next kept character when
   something was written already. Stops before a 4-byte sequence (the caller classifies
   supplementary code points); returns the bytes consumed, *o is advanced. dst needs n + 1 bytes
   from *o. */
size_t llm_key_utf8_pass(const uint8_t *t, size_t n, uint8_t *dst, size_t *o_io, int *pending, const uint8_t *table,
                         int digits_to_zero) {
    size_t i = 0, o = *o_io;
    int p = *pending;
    while (i < n) {
        uint8_t b = t[i];
        uint32_t cp;
        size_t len;
        if (b < 0x80) { cp = b; len = 1; }
        else if (b < 0xE0) { cp = (uint32_t)(b & 0x1F) << 6 | (t[i + 1] & 0x3F); len = 2; }
        else if (b < 0xF0) { cp = (uint32_t)(b & 0x0F) << 12 | (uint32_t)(t[i + 1] & 0x3F) << 6 | (t[i + 2] & 0x3F); len = 3; }
        else break;
        uint8_t cls = table[cp];
        if (cls == 2) {
            p = 1;
        } else if (cls == 0) {
            if (p && o > 0) dst[o++] = ' ';
            p = 0;
            if (len == 1) {
                dst[o++] = (digits_to_zero && b >= '0' && b <= '9') ? '0' : b;
            } else {
                for (size_t k = 0; k < len; k++) dst[o + k] = t[i + k];
                o += len;
            }
        }
        i += len;
    }
    *o_io = o;
    *pending = p;
    return i;
}

void llm_prefetch(const void *p) { __builtin_prefetch(p); }

/* 1 when characters of scripts written without word spaces make up at least half of the key's
   characters other than spaces: Thai and Lao (U+0E00-0EFF), Tibetan (U+0F00-0FFF), Myanmar
   (U+1000-109F), Khmer (U+1780-17FF), CJK radicals to unified ideographs with kana and bopomofo
   (U+2E80-9FFF), compatibility ideographs (U+F900-FAFF), halfwidth katakana (U+FF66-FF9F) and the
   supplementary ideograph planes (U+20000-3FFFF). All of these are 3- or 4-byte sequences, so an
   ASCII or Latin/Cyrillic key answers after one pass that finds no byte at or above 0xE0. */
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw")))
static size_t below_e0_avx512(const uint8_t *key, size_t n) {
    size_t i = 0;
    const __m512i lim = _mm512_set1_epi8((char)0xDF);
    for (; i + 64 <= n; i += 64) {
        if (_mm512_cmpgt_epu8_mask(_mm512_loadu_si512((const void *)(key + i)), lim)) break;
    }
    return i;
}
#endif

int llm_key_unspaced(const uint8_t *key, size_t n) {
    /* a byte at or above 0xE0 has bits 7, 6 and 5 set: 64 bytes at a time with AVX-512, else 8 */
    size_t i = 0;
#if defined(__x86_64__)
    static int avx512 = -1;
    if (avx512 < 0) {
        __builtin_cpu_init();
        avx512 = __builtin_cpu_supports("avx512bw") != 0;
    }
    if (avx512) i = below_e0_avx512(key, n);
#endif
    const uint64_t hi = 0x8080808080808080ULL;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        if (w & (w << 1) & (w << 2) & hi) break;
    }
    while (i < n && key[i] < 0xE0) i++;
    if (i == n) return 0;
    size_t chars = 0, unspaced = 0;
    for (i = 0; i < n; i++) {
        uint8_t c = key[i];
        if (c == 0x20 || (c & 0xC0) == 0x80) continue;
        chars++;
        if (c >= 0xE0 && c < 0xF0 && i + 2 < n) {
            uint32_t cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(key[i + 1] & 0x3F) << 6 | (key[i + 2] & 0x3F);
            unspaced += (cp >= 0x0E00 && cp <= 0x0FFF) || (cp >= 0x1000 && cp <= 0x109F) || (cp >= 0x1780 && cp <= 0x17FF) ||
                        (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF66 && cp <= 0xFF9F);
        } else if (c >= 0xF0 && i + 1 < n) {
            /* U+20000-3FFFF: F0 A0..BF or F0 80.. with the plane bits 2 or 3 */
            uint32_t plane = (uint32_t)(c & 0x07) << 2 | (uint32_t)(key[i + 1] & 0x30) >> 4;
            unspaced += plane == 2 || plane == 3;
        }
    }
    return unspaced * 2 >= chars && chars > 0;
}

/* Shingle values. A shingle is a sequence of n units (words, or characters for text without
   spaces); its value is a polynomial over the units' 64-bit hashes, rolled along the key:
       H_k = sum_{j<n} u_{k+j} * P^(n-1-j)  (mod 2^64),   H_{k+1} = (H_k - u_k * P^(n-1)) * P + u_{k+n}
   and x_k = the high 32 bits of H_k * M. Every unit is hashed once instead of every shingle's
   bytes being hashed n times over (XXH3 over each word 5-gram was ~7 ns a shingle). A key of at
   most n units is one shingle: the polynomial over all its units.
   Values go through a 2,048-entry buffer on the stack into the permutation kernel, so a 10 MB
   document needs no 10 MB scratch arrays (those cost more in page faults than the hashing). */
#define SH_P 0x9E3779B97F4A7C15ULL
#define SH_M 0xD6E8FEB86659FD93ULL
#define SH_BUF 2048
#define SH_SEEN_MAX 16384

size_t llm_minhash_sign(const uint8_t *key, size_t n_bytes, int char_units, size_t ngram, uint32_t *sig,
                        const uint32_t *a, const uint32_t *b, size_t perms) {
    if (n_bytes == 0 || ngram == 0) return 0;
    uint64_t small[64];
    uint32_t xs[SH_BUF];
    size_t cap = 1;
    while (cap < ngram + 1) cap <<= 1;
    uint64_t *ring = cap <= 64 ? small : (uint64_t *)malloc(cap * sizeof(uint64_t));
    if (!ring) return 0;
    const size_t mask = cap - 1;
    /* H_{k+1} = H_k * P + (u_{k+n} - u_k * P^n): one multiply and one add on the dependency chain */
    uint64_t pn = 1;
    for (size_t j = 0; j < ngram; j++) pn *= SH_P;
    uint64_t h = 0;
    size_t units = 0, nx = 0;
    /* A direct-mapped table of recent shingle values (slot = low bits): a value found in its slot
       repeats one already given to the kernel and cannot change a minimum, so it is skipped. Slot s
       starts as ~s, which no value mapping to s can equal. A slot per 4 bytes of key, up to 16 K slots
   (64 KB: larger tables missed the L1/L2 caches on every store and cost more than they saved). */
    static __thread uint32_t *seen_table = 0;
    size_t slots = 64;
    while (slots < n_bytes / 4 && slots < SH_SEEN_MAX) slots <<= 1;
    if (!seen_table) seen_table = (uint32_t *)malloc(SH_SEEN_MAX * sizeof(uint32_t));
    uint32_t *const seen = seen_table;
    if (!seen) { if (ring != small) free(ring); return 0; }
    const uint32_t smask = (uint32_t)(slots - 1);
    for (size_t j = 0; j < slots; j++) seen[j] = ~(uint32_t)j;
#define SH_EMIT()                                                              \
    do {                                                                       \
        uint32_t x_ = (uint32_t)((h * SH_M) >> 32);                            \
        uint32_t *slot_ = &seen[x_ & smask];                                   \
        if (*slot_ == x_) break;                                               \
        *slot_ = x_;                                                           \
        xs[nx++] = x_;                                                         \
        if (nx == SH_BUF) {                                                    \
            llm_minhash_update(sig, a, b, perms, xs, nx);                      \
            nx = 0;                                                            \
        }                                                                      \
    } while (0)
#define SH_PUSH(U)                                                             \
    do {                                                                       \
        uint64_t u_ = (U);                                                     \
        if (units < ngram) {                                                   \
            h = h * SH_P + u_;                                                 \
            ring[units & mask] = u_;                                           \
            units++;                                                           \
            if (units == ngram) SH_EMIT();                                     \
        } else {                                                               \
            uint64_t d_ = u_ - ring[(units - ngram) & mask] * pn;              \
            ring[units & mask] = u_;                                           \
            units++;                                                           \
            h = h * SH_P + d_;                                                 \
            SH_EMIT();                                                         \
        }                                                                      \
    } while (0)
    if (!char_units) {
        /* words: maximal runs of bytes other than 0x20. A word's unit hashes its bytes in 16-byte
           blocks from the word's start (zero-padded at the end) and its length. One 16-byte load
           and a compare find the end of a word of up to 16 bytes (almost all words) and hold its
           whole content; longer words and the key's last 15 bytes take the byte loop. (Measured:
           XXH3 per word plus a separate scan for its end cost about twice as much; 8-byte chunks
           left a mispredicted branch on every word over 8 bytes.) */
        size_t i = 0;
        while (i < n_bytes) {
            while (i < n_bytes && key[i] == 0x20) i++;
            if (i >= n_bytes) break;
            size_t s = i;
            uint64_t w = 0;
            for (;;) {
                uint64_t c0 = 0, c1 = 0;
                unsigned p;
#if defined(__SSE2__)
                if (i + 16 <= n_bytes) {
                    __m128i v = _mm_loadu_si128((const __m128i *)(key + i));
                    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x20)));
                    p = m ? (unsigned)__builtin_ctz(m) : 16;
                    memcpy(&c0, key + i, 8);
                    memcpy(&c1, key + i + 8, 8);
                } else
#endif
                {
                    p = 0;
                    while (i + p < n_bytes && p < 16 && key[i + p] != 0x20) p++;
                    memcpy(&c0, key + i, p < 8 ? p : 8);
                    if (p > 8) memcpy(&c1, key + i + 8, p - 8);
                }
                /* keep the word's p bytes of this block */
                c0 &= p >= 8 ? ~0ULL : (1ULL << (8 * p)) - 1;
                c1 &= p >= 16 ? ~0ULL : p <= 8 ? 0 : (1ULL << (8 * (p - 8))) - 1;
                if (p > 0) {
                    w = (w ^ c0) * SH_P;
                    w = (w ^ (w >> 29) ^ c1) * SH_M;
                    w ^= w >> 32;
                }
                i += p;
                if (p < 16 || i >= n_bytes || key[i] == 0x20) break;
            }
            uint64_t u = (w ^ (uint64_t)(i - s)) * SH_M;
            SH_PUSH(u ^ (u >> 32));
        }
    } else {
        /* characters: UTF-8 sequences other than 0x20; unit = (the character's bytes packed into an
           integer, times two, plus one when a space follows it) times P, folded. So shingle k stands
           for the bytes from the first byte of character k to the first byte of character k+n (the
           last one to the end of the key), spaces included. */
        uint64_t cur = 0;
        int have = 0;
        for (size_t i = 0; i < n_bytes; i++) {
            uint8_t c = key[i];
            if (c == 0x20) {
                cur |= 1;
            } else if ((c & 0xC0) == 0x80) {
                cur = ((cur >> 1) << 8 | c) << 1;
            } else {
                if (have) {
                    uint64_t v = cur * SH_P;
                    SH_PUSH(v ^ (v >> 29));
                }
                have = 1;
                cur = (uint64_t)c << 1;
            }
        }
        if (have) {
            uint64_t v = cur * SH_P;
            SH_PUSH(v ^ (v >> 29));
        }
    }
    if (units > 0 && units < ngram) SH_EMIT();
#undef SH_PUSH
#undef SH_EMIT
    if (nx > 0) llm_minhash_update(sig, a, b, perms, xs, nx);
    if (ring != small) free(ring);
    return units >= ngram ? units - ngram + 1 : units > 0;
}

/* Dedup key of ASCII text: letters lower-cased, digits kept (or 0), punctuation and symbols
   dropped, runs of white space and control characters collapsed to one space (none at the start;
   a trailing one may remain). `*pending` carries an unwritten space between calls.
   Returns the number of bytes written to dst (capacity >= n + 1). */
static size_t key_ascii_scalar(const uint8_t *src, size_t n, uint8_t *dst, size_t written, int digits_to_zero, int *pending) {
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

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
/* The same key with AVX-512 (BW + VBMI2 + BMI2), 64 bytes at a time. Kept bytes K (letters,
   digits) and space-class bytes S (<= 0x20, 0x7F) are classified into masks; every other byte is
   dropped. Among the non-dropped bytes N = K|S in order, a space is written at the first S after
   a K (the scalar loop writes it just before the next K instead: the same output, since dropped
   bytes write nothing). pext/pdep find "previous N byte was K" for the whole block at once, the
   result is one vpcompressb. A space after the last K of the text is taken back at the end. Only
   used when no space is pending from a previous call. */
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")))
static size_t key_ascii_avx512(const uint8_t *src, size_t n, uint8_t *dst, size_t written, int digits_to_zero, int *pending) {
    size_t o = written;
    /* previous non-dropped byte was kept (a following S writes the space) */
    uint64_t prevK = written > 0 ? 1 : 0;
    /* last non-dropped byte was S (the scalar `pending`) */
    int lastS = 0;
    int anyN = 0;
    const __m512i m7f = _mm512_set1_epi8(0x7F);
    const __m512i sp = _mm512_set1_epi8(0x20);
    const __m512i zero = _mm512_set1_epi8('0');
    for (size_t i = 0; i < n; i += 64) {
        size_t len = n - i < 64 ? n - i : 64;
        __mmask64 lm = len == 64 ? ~(__mmask64)0 : (((__mmask64)1 << len) - 1);
        __m512i v = _mm512_and_si512(_mm512_maskz_loadu_epi8(lm, src + i), m7f);
        __m512i lower = _mm512_or_si512(v, sp);  /* letters lower-cased */
        __mmask64 letter = _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, _mm512_set1_epi8('a')), _mm512_set1_epi8(25));
        __mmask64 digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, zero), _mm512_set1_epi8(9));
        __mmask64 S = (_mm512_cmple_epu8_mask(v, sp) | _mm512_cmpeq_epi8_mask(v, m7f)) & lm;
        __mmask64 K = (letter | digit) & lm;
        __mmask64 N = K | S;
        __m512i out = _mm512_mask_mov_epi8(v, letter, lower);
        if (digits_to_zero) out = _mm512_mask_mov_epi8(out, digit, zero);
        out = _mm512_mask_mov_epi8(out, S, sp);
        uint64_t cnt = (uint64_t)_mm_popcnt_u64(N);
        if (cnt == 0) continue;
        anyN = 1;
        uint64_t kc = _pext_u64(K, N);
        uint64_t low = cnt == 64 ? ~0ULL : ((1ULL << cnt) - 1);
        uint64_t esc = ~kc & ((kc << 1) | prevK) & low;
        __mmask64 emit = K | _pdep_u64(esc, N);
        _mm512_mask_compressstoreu_epi8(dst + o, emit, out);
        o += (size_t)_mm_popcnt_u64(emit);
        prevK = (kc >> (cnt - 1)) & 1;
        lastS = !prevK;
    }
    if (anyN) {
        if (lastS) {
            /* a space was written at the first S after the last K (if a K, or earlier output,
               came before); the scalar loop leaves it pending instead */
            if (o > written && dst[o - 1] == ' ') o--;
            *pending = 1;
        } else {
            *pending = 0;
        }
    }
    return o - written;
}

static int key_ascii_avx512_ok = -1;
#endif

size_t llm_key_ascii(const uint8_t *src, size_t n, uint8_t *dst, size_t written, int digits_to_zero, int *pending) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (key_ascii_avx512_ok < 0) {
        __builtin_cpu_init();
        key_ascii_avx512_ok = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2") &&
                              __builtin_cpu_supports("bmi2") && getenv("LLMDATA_NO_AVX512") == NULL;
    }
    if (key_ascii_avx512_ok && !*pending) return key_ascii_avx512(src, n, dst, written, digits_to_zero, pending);
#endif
    return key_ascii_scalar(src, n, dst, written, digits_to_zero, pending);
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
