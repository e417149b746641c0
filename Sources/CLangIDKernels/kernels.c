#include "langid_kernels.h"
#include <string.h>

__attribute__((target_clones("avx2", "default")))
void llm_lid_accumulate32(const uint8_t *rows, const uint32_t *buckets, size_t n, int64_t *acc) {
    size_t t = 0;
    while (t < n) {
        // 16-bit lanes hold 256 rows of at most 255 each.
        size_t end = n - t > 256 ? t + 256 : n;
        uint16_t v[32];
        memset(v, 0, sizeof v);
        for (; t < end; t++) {
            const uint8_t *r = rows + (size_t)buckets[t] * 32;
            for (int j = 0; j < 32; j++) v[j] = (uint16_t)(v[j] + r[j]);
        }
        for (int j = 0; j < 32; j++) acc[j] += v[j];
    }
}
