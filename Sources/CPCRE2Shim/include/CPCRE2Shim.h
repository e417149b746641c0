// A small shim over PCRE2 (Debian's libpcre2-dev, 8-bit, JIT) for pre-tokenization.
// Public header: stdint/stddef types only.
#ifndef CPCRE2_SHIM_H
#define CPCRE2_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct llm_re llm_re;
typedef struct llm_re_ctx llm_re_ctx;

/// Compiles `pattern` (UTF-8, NUL-terminated) with UTF and UCP semantics and JIT-compiles it.
/// On failure returns NULL and writes a message into `err`.
llm_re *llm_re_compile(const char *pattern, char *err, size_t err_len);
void llm_re_free(llm_re *re);

/// Per-thread matching state.
llm_re_ctx *llm_re_ctx_new(const llm_re *re);
void llm_re_ctx_free(llm_re_ctx *ctx);

/// The first match in `text[start..<len]` (searching from `start`, lookbehind may see the text
/// before it): 1 with its byte range in `*ms..<*me`, 0 when there is none, -1 on a matching error.
int32_t llm_re_find(llm_re_ctx *ctx, const uint8_t *text, size_t len, size_t start, size_t *ms, size_t *me);

/// Splits `text[start..<len]` like HF tokenizers' Split(behavior: isolated): every match is a
/// piece and so is every non-empty gap between matches. Writes piece end offsets (absolute) into
/// `ends` (at most `cap`) and returns how many were written; the caller continues from the last
/// end. Returns -1 on a matching error, -2 on an empty match. `text` must be valid UTF-8.
int64_t llm_re_split(llm_re_ctx *ctx, const uint8_t *text, size_t len, size_t start, uint32_t *ends, size_t cap);

/// Like llm_re_split, for one of the built-in patterns (`kind` 0 = gpt2, 1 = cl100k, 2 = o200k,
/// compiled into `ctx`'s regex): pieces that start on ASCII are matched by a hand-written
/// matcher that gives up, and lets PCRE2 match at that position, as soon as its decision would
/// depend on a non-ASCII character. Same pieces as llm_re_split.
int64_t llm_re_split_fast(llm_re_ctx *ctx, int kind, const uint8_t *text, size_t len, size_t start, uint32_t *ends, size_t cap);

/// A read prefetch hint for `p` (the trainer walks words scattered in memory).
static inline void llm_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// Returns freed heap memory of every malloc arena to the system (glibc malloc_trim; no-op elsewhere).
void llm_release_free_memory(void);

#ifdef __cplusplus
}
#endif
#endif
