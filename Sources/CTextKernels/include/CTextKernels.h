// Small byte-scanning kernels for hot loops (SSE2 where available, scalar otherwise).
#ifndef LLMDATA_TEXT_KERNELS_H
#define LLMDATA_TEXT_KERNELS_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Length of the longest prefix of src[0..n) made of printable ASCII (0x21..0x7E) and single
/// spaces that are followed by printable ASCII. src[0] must be printable ASCII. This is the text
/// the cleaner copies unchanged.
size_t llm_simple_ascii_prefix(const uint8_t *src, size_t n);

/// Index of the first byte that a JSON string must escape (< 0x20, '"' or '\\'), or n.
size_t llm_json_escape_scan(const uint8_t *src, size_t n);

/// Keeps glibc from unmapping multi-MB batch buffers after every batch.
void llm_tune_allocator(void);
/* Starts writeback of a file range without waiting (Linux sync_file_range); 0 elsewhere. */
int llm_start_writeback(int fd, long long offset, long long count);

/// Dedup key of ASCII text (see kernels.c); returns bytes written at dst + written.
size_t llm_key_ascii(const uint8_t *src, size_t n, uint8_t *dst, size_t written, int digits_to_zero, int *pending);

/// Length of the prefix of src below 0x80 (ascii = 1) or at or above it (ascii = 0).
size_t llm_ascii_span(const uint8_t *src, size_t n, int ascii);

/// The dedup key pass over NFKC_Casefold output (see kernels.c): stops before a 4-byte sequence,
/// returns the bytes consumed; *o and *pending carry the state.
size_t llm_key_utf8_pass(const uint8_t *t, size_t n, uint8_t *dst, size_t *o, int *pending, const uint8_t *table,
                         int digits_to_zero);

/// 1 when every byte is below 0x80.
int llm_is_ascii(const uint8_t *src, size_t n);

/// MinHash update over `count` 32-bit shingle values: sig[i] = min(sig[i], a[i]*x + b[i] mod 2^32)
/// for i < n (a[i] odd; AVX-512 or AVX2 when n is a multiple of 16).
void llm_minhash_update(uint32_t *sig, const uint32_t *a, const uint32_t *b, size_t n, const uint32_t *xs, size_t count);

/// MinHash signature update with every shingle of a dedup key: word n-grams (char_units = 0) or
/// character n-grams (see kernels.c). sig, a and b hold `perms` values. Returns the number of
/// shingles (a non-empty key of at most ngram units is one shingle).
size_t llm_minhash_sign(const uint8_t *key, size_t n, int char_units, size_t ngram, uint32_t *sig,
                        const uint32_t *a, const uint32_t *b, size_t perms);

/// A hint to load the cache line at p (no effect on results).
void llm_prefetch(const void *p);

/// 1 when characters of scripts written without word spaces (Han, kana, Thai, Lao, Khmer, Myanmar,
/// Tibetan) are at least half of the key's characters other than spaces (see kernels.c).
int llm_key_unspaced(const uint8_t *key, size_t n);

#ifdef __cplusplus
}
#endif
#endif
