#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "CPCRE2Shim.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void llm_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

struct llm_re {
    pcre2_code *code;
    int jit;
};

struct llm_re_ctx {
    const llm_re *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *stack;
};

llm_re *llm_re_compile(const char *pattern, char *err, size_t err_len) {
    int errcode = 0;
    PCRE2_SIZE erroff = 0;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                                     &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        if (err && err_len) snprintf(err, err_len, "at offset %zu: %s", (size_t)erroff, (const char *)msg);
        return NULL;
    }
    llm_re *re = (llm_re *)calloc(1, sizeof *re);
    re->code = code;
    re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    return re;
}

void llm_re_free(llm_re *re) {
    if (!re) return;
    pcre2_code_free(re->code);
    free(re);
}

llm_re_ctx *llm_re_ctx_new(const llm_re *re) {
    llm_re_ctx *c = (llm_re_ctx *)calloc(1, sizeof *c);
    c->re = re;
    c->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    c->mctx = pcre2_match_context_create(NULL);
    if (re->jit) {
        c->stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        pcre2_jit_stack_assign(c->mctx, NULL, c->stack);
    }
    return c;
}

void llm_re_ctx_free(llm_re_ctx *c) {
    if (!c) return;
    pcre2_match_data_free(c->md);
    pcre2_match_context_free(c->mctx);
    if (c->stack) pcre2_jit_stack_free(c->stack);
    free(c);
}

int64_t llm_re_split(llm_re_ctx *c, const uint8_t *text, size_t len, size_t start, uint32_t *ends, size_t cap) {
    size_t n = 0;
    size_t pos = start;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
    while (pos < len && n < cap) {
        int rc = c->re->jit
            ? pcre2_jit_match(c->re->code, text, len, pos, PCRE2_NO_UTF_CHECK, c->md, c->mctx)
            : pcre2_match(c->re->code, text, len, pos, PCRE2_NO_UTF_CHECK, c->md, c->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) {
            ends[n++] = (uint32_t)len;  // the rest is one gap
            pos = len;
            break;
        }
        if (rc < 0) return -1;
        size_t ms = ov[0], me = ov[1];
        if (ms > pos) {  // a gap before the match
            ends[n++] = (uint32_t)ms;
            pos = ms;
            if (n == cap) break;
        }
        if (me == ms) return -2;  // an empty match: none of the built-in patterns can produce one
        ends[n++] = (uint32_t)me;
        pos = me;
    }
    return (int64_t)n;
}
