#define _GNU_SOURCE 1
#include "CTextKernels.h"
#include <string.h>
#include <stdlib.h>
#include <fcntl.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
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

/* MinHash update: for each permutation i, sig[i] = min(sig[i], (a[i] * x + b[i] mod 2^64) >> 32)
   for a 32-bit shingle hash x and random 64-bit a[i] (odd) and b[i]: multiply-shift hashing, which
   needs the full 64-bit a (with a 32-bit a the map is nearly monotone in x and the permutations
   would all pick the same minimum).
   The loops are interchanged: a block of permutations (their a, b and running minima) stays in
   registers while every shingle of the document streams past, instead of loading and storing the
   whole signature once per shingle. The block is a fixed-size inner loop that the compiler
   vectorizes (vpmullq/vpminuq with AVX-512DQ). Compiled for AVX-512DQ, AVX2 and plain x86-64;
   the loader picks one for the CPU (target_clones). */
#define MH_BLOCK 32
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512dq", "avx2", "default")))
#endif
void llm_minhash_update(uint32_t *sig, const uint64_t *a, const uint64_t *b, size_t n, const uint32_t *xs, size_t count) {
    size_t i = 0;
    for (; i + MH_BLOCK <= n; i += MH_BLOCK) {
        uint64_t ab[MH_BLOCK], bb[MH_BLOCK], m[MH_BLOCK];
        for (size_t j = 0; j < MH_BLOCK; j++) { ab[j] = a[i + j]; bb[j] = b[i + j]; m[j] = sig[i + j]; }
        for (size_t k = 0; k < count; k++) {
            uint64_t x = xs[k];
            for (size_t j = 0; j < MH_BLOCK; j++) {
                uint64_t v = (ab[j] * x + bb[j]) >> 32;
                m[j] = v < m[j] ? v : m[j];
            }
        }
        for (size_t j = 0; j < MH_BLOCK; j++) sig[i + j] = (uint32_t)m[j];
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t ab[8], bb[8], m[8];
        for (size_t j = 0; j < 8; j++) { ab[j] = a[i + j]; bb[j] = b[i + j]; m[j] = sig[i + j]; }
        for (size_t k = 0; k < count; k++) {
            uint64_t x = xs[k];
            for (size_t j = 0; j < 8; j++) {
                uint64_t v = (ab[j] * x + bb[j]) >> 32;
                m[j] = v < m[j] ? v : m[j];
            }
        }
        for (size_t j = 0; j < 8; j++) sig[i + j] = (uint32_t)m[j];
    }
    for (; i < n; i++) {
        uint64_t m = sig[i];
        for (size_t k = 0; k < count; k++) {
            uint64_t v = (a[i] * (uint64_t)xs[k] + b[i]) >> 32;
            m = v < m ? v : m;
        }
        sig[i] = (uint32_t)m;
    }
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

/* XXH3-64 (seed 0, default secret), equal to XXH3_64bits: the short-input paths are called
   directly so that they inline into the shingle loops (measured: the call through XXH3_64bits
   and its length dispatch was ~11% of minhash time). */
static inline __attribute__((always_inline)) uint64_t shingle_hash(const uint8_t *p, size_t len) {
    if (len <= 16) return XXH3_len_0to16_64b(p, len, XXH3_kSecret, 0);
    if (len <= 128) return XXH3_len_17to128_64b(p, len, XXH3_kSecret, sizeof(XXH3_kSecret), 0);
    return XXH3_64bits(p, len);
}

void llm_count_spaces_chars(const uint8_t *key, size_t n, size_t *spaces, size_t *chars) {
    /* 8 bytes at a time: continuation bytes are 10xxxxxx; a space is a zero byte of w ^ 0x20.. */
    const uint64_t hi = 0x8080808080808080ULL, lo7 = 0x7F7F7F7F7F7F7F7FULL, sp = 0x2020202020202020ULL;
    size_t nsp = 0, ncont = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        ncont += (size_t)__builtin_popcountll(w & hi & ~(w << 1));
        uint64_t v = w ^ sp;
        nsp += (size_t)__builtin_popcountll(~(((v & lo7) + lo7) | v) & hi);
    }
    for (; i < n; i++) {
        nsp += key[i] == 0x20;
        ncont += (key[i] & 0xC0) == 0x80;
    }
    *spaces = nsp;
    *chars = n - ncont;
}

/* Low 32 bits of XXH3-64 of every word n-gram of a dedup key (words: maximal runs of bytes other
   than 0x20; a shingle is the bytes from the first byte of word w to the last byte of word w+n-1,
   so with the key's single spaces it is "w1 w2 ... wn"). A key of at most n words is one shingle:
   the whole key. Writes at most n_bytes/2 + 1 values to xs and returns how many. */
size_t llm_word_shingle_hashes(const uint8_t *key, size_t n_bytes, size_t ngram, uint32_t *xs) {
    if (n_bytes == 0) return 0;
    /* ring of the last ngram word starts; ends are only needed for the newest word */
    size_t starts[64];
    if (ngram == 0 || ngram > 64) return (size_t)-1;
    size_t words = 0, count = 0;
    size_t i = 0;
    while (i < n_bytes) {
        while (i < n_bytes && key[i] == 0x20) i++;
        if (i >= n_bytes) break;
        size_t s = i;
        const uint8_t *sp = memchr(key + i, 0x20, n_bytes - i);
        i = sp ? (size_t)(sp - key) : n_bytes;
        starts[words % ngram] = s;
        words++;
        if (words >= ngram) {
            size_t first = starts[words % ngram];  /* start of word (words - ngram) */
            xs[count++] = (uint32_t)shingle_hash(key + first, i - first);
        }
    }
    if (words <= ngram) {
        xs[0] = (uint32_t)shingle_hash(key, n_bytes);
        return 1;
    }
    return count;
}

/* The same for character n-grams (text written without word spaces): characters are the UTF-8
   sequences other than 0x20; shingle k runs from the first byte of character k to the first byte
   of character k+n (spaces in between included), the last one to the end of the key. A key of at
   most n characters is one shingle: the whole key. Writes at most n_bytes values. */
size_t llm_char_shingle_hashes(const uint8_t *key, size_t n_bytes, size_t ngram, uint32_t *xs) {
    if (n_bytes == 0) return 0;
    size_t starts[65];
    if (ngram == 0 || ngram > 64) return (size_t)-1;
    const size_t ring = ngram + 1;
    size_t chars = 0, count = 0;
    for (size_t i = 0; i < n_bytes; i++) {
        uint8_t c = key[i];
        if ((c & 0xC0) == 0x80 || c == 0x20) continue;
        starts[chars % ring] = i;
        chars++;
        if (chars > ngram) {
            /* character chars-1 starts at i: shingle (chars-1-ngram) ends here */
            size_t first = starts[(chars - 1 - ngram) % ring];
            xs[count++] = (uint32_t)shingle_hash(key + first, i - first);
        }
    }
    if (chars <= ngram) {
        xs[0] = (uint32_t)shingle_hash(key, n_bytes);
        return 1;
    }
    size_t first = starts[(chars - ngram) % ring];
    xs[count++] = (uint32_t)shingle_hash(key + first, n_bytes - first);
    return count;
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
