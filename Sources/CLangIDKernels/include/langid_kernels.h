// Hot loop of llmdata langid: sums 32-byte table rows (one byte per language) over feature buckets.
#ifndef LLMDATA_LANGID_KERNELS_H
#define LLMDATA_LANGID_KERNELS_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// acc[j] += sum over t < n of rows[buckets[t] * 32 + j], for j < 32. `rows` is 32-byte aligned.
void llm_lid_accumulate32(const uint8_t *rows, const uint32_t *buckets, size_t n, int64_t *acc);

#ifdef __cplusplus
}
#endif
#endif
