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

#ifdef __cplusplus
}
#endif
#endif
