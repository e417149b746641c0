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

/// MinHash update over `count` 32-bit shingle hashes: sig[i] = min(sig[i], (a[i]*x + b[i]) >> 32).
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

void llm_minhash_update(uint32_t *sig, const uint64_t *a, const uint64_t *b, size_t n, const uint32_t *xs, size_t count);

/// Low 32 bits of the XXH3-64 of each word n-gram of a dedup key, in order (a key of at most
/// `ngram` words gives one value, the hash of the whole key). xs needs room for n/2 + 1 values.
/// Returns the count, or (size_t)-1 when ngram is 0 or above 64.
size_t llm_word_shingle_hashes(const uint8_t *key, size_t n, size_t ngram, uint32_t *xs);

/// Number of 0x20 bytes and of UTF-8 characters (bytes other than continuation bytes) in key.
void llm_count_spaces_chars(const uint8_t *key, size_t n, size_t *spaces, size_t *chars);

/// The same for character n-grams (characters: UTF-8 sequences other than 0x20; see
/// MinHasher). xs needs room for n values.
size_t llm_char_shingle_hashes(const uint8_t *key, size_t n, size_t ngram, uint32_t *xs);

#ifdef __cplusplus
}
#endif
#endif
