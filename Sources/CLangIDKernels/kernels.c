#include "langid_kernels.h"
#include <string.h>

typedef uint8_t lid_u8x16 __attribute__((vector_size(16)));
typedef uint16_t lid_u16x16 __attribute__((vector_size(32)));

// Each row is two 16-byte halves widened to 16-bit lanes (vpmovzxbw with AVX2) and added; the
// next rows are prefetched (the 2 MB table does not fit a 1 MB L2, so most time is load latency).
__attribute__((target_clones("avx2", "default")))
void llm_lid_accumulate32(const uint8_t *rows, const uint32_t *buckets, size_t n, int64_t *acc) {
    size_t t = 0;
    const size_t ahead = 16;
    while (t < n) {
        // 16-bit lanes hold 256 rows of at most 255 each.
        size_t end = n - t > 256 ? t + 256 : n;
        lid_u16x16 lo = {0}, hi = {0};
        for (; t < end; t++) {
            if (t + ahead < n) __builtin_prefetch(rows + (size_t)buckets[t + ahead] * 32, 0, 3);
            const uint8_t *r = rows + (size_t)buckets[t] * 32;
            lid_u8x16 a, b;
            memcpy(&a, r, 16);
            memcpy(&b, r + 16, 16);
            lo += __builtin_convertvector(a, lid_u16x16);
            hi += __builtin_convertvector(b, lid_u16x16);
        }
        for (int j = 0; j < 16; j++) { acc[j] += lo[j]; acc[16 + j] += hi[j]; }
    }
}
