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

int32_t llm_re_find(llm_re_ctx *c, const uint8_t *text, size_t len, size_t start, size_t *ms, size_t *me) {
    int rc = c->re->jit
        ? pcre2_jit_match(c->re->code, text, len, start, PCRE2_NO_UTF_CHECK, c->md, c->mctx)
        : pcre2_match(c->re->code, text, len, start, PCRE2_NO_UTF_CHECK, c->md, c->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) return -1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
    *ms = ov[0];
    *me = ov[1];
    return 1;
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

/* ---- ASCII fast paths for the built-in patterns ------------------------------------------ */

enum { C_L = 1, C_U = 2, C_LW = 4, C_N = 8, C_S = 16, C_P = 32, C_CRLF = 64 };
static uint8_t cls[256];
static int cls_ready = 0;

static void init_cls(void) {
    for (int c = 0; c < 128; c++) {
        uint8_t k;
        if (c >= 'A' && c <= 'Z') k = C_L | C_U;
        else if (c >= 'a' && c <= 'z') k = C_L | C_LW;
        else if (c >= '0' && c <= '9') k = C_N;
        else if (c == ' ' || (c >= 9 && c <= 13)) k = C_S | ((c == '\r' || c == '\n') ? C_CRLF : 0);
        else k = C_P;
        cls[c] = k;
    }
    cls_ready = 1;  /* bytes >= 0x80 stay 0: unknown, the fast path gives up */
}

#define BAIL (-1)
#define NA(x) ((x) >= 0x80)
static inline int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* Run of bytes with class bit `k` from i; returns its end, or BAIL when it ends on a non-ASCII byte. */
static inline long run(const uint8_t *t, size_t n, size_t i, uint8_t k) {
    while (i < n && (cls[t[i]] & k)) i++;
    if (i < n && NA(t[i])) return BAIL;
    return (long)i;
}

/* `run(t, n, i, C_L)`, eight bytes at a time: the ASCII letters of a word are found with a few
   word operations (bytes >= 0x80 are not letters, and end the run as `run` ends it). */
static inline long run_letters(const uint8_t *t, size_t n, size_t i) {
    const uint64_t hi = 0x8080808080808080ULL;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, t + i, 8);
        uint64_t l = (w | 0x2020202020202020ULL) & 0x7F7F7F7F7F7F7F7FULL;
        uint64_t ge = l + 0x1F1F1F1F1F1F1F1FULL;   /* high bit: l >= 'a' */
        uint64_t gt = l + 0x0505050505050505ULL;   /* high bit: l > 'z' */
        uint64_t notLetter = ~(ge & ~gt & ~w) & hi;
        if (notLetter) {
            i += (size_t)(__builtin_ctzll(notLetter) >> 3);
            return NA(t[i]) ? BAIL : (long)i;
        }
        i += 8;
    }
    return run(t, n, i, C_L);
}

/* Whitespace alternatives shared by the patterns: e = end of the whitespace run at p. */
static long ws_end(const uint8_t *t, size_t n, size_t p) { return run(t, n, p, C_S); }

/* cl100k: '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
   and its two relatives in HF tokenizer.json files, which differ only in the last alternatives
   and the digits (`llama` set):
   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
   qwen2:  the same with \p{N} (one digit) for \p{N}{1,3}.
   Without `\s++$`, a whitespace run at the end of the text that holds a line break ends after its
   last line break (the rest is the next piece); otherwise the pieces are cl100k's. */
static inline __attribute__((always_inline)) long m_cl100k_family(const uint8_t *t, size_t n, size_t p, int llama, size_t maxDigits) {
    uint8_t c = t[p], k = cls[c];
    if (c == '\'') {
        if (p + 1 < n) {
            uint8_t a = t[p + 1];
            if (NA(a)) return BAIL;
            int la = lower(a);
            if (la == 's' || la == 'd' || la == 'm' || la == 't') return (long)p + 2;
            if ((la == 'l' || la == 'v' || la == 'r') && p + 2 < n) {
                uint8_t b = t[p + 2];
                if (NA(b)) return BAIL;
                int lb = lower(b);
                if ((la == 'l' && lb == 'l') || (la == 'v' && lb == 'e') || (la == 'r' && lb == 'e')) return (long)p + 3;
            }
        }
    }
    if (k & C_L) return run_letters(t, n, p);
    if (!(k & (C_CRLF | C_N)) && p + 1 < n) {
        uint8_t a = t[p + 1];
        if (NA(a)) return BAIL;
        if (cls[a] & C_L) return run_letters(t, n, p + 1);
    }
    if (k & C_N) {
        size_t i = p + 1;
        while (i < n && i < p + maxDigits) {
            if (NA(t[i])) return BAIL;
            if (!(cls[t[i]] & C_N)) break;
            i++;
        }
        return (long)i;
    }
    {
        size_t q = p + (c == ' ' ? 1 : 0);
        if (q < n) {
            uint8_t a = t[q];
            if (NA(a)) return BAIL;
            if (cls[a] & C_P) {
                long e = run(t, n, q, C_P);
                if (e == BAIL) return BAIL;
                size_t i = (size_t)e;
                while (i < n && (t[i] == '\r' || t[i] == '\n')) i++;
                return (long)i;
            }
        }
    }
    if (k & C_S) {
        long e = ws_end(t, n, p);
        if (e == BAIL) return BAIL;
        if (!llama && (size_t)e == n) return e;             /* \s++$ (cl100k) */
        for (long j = e - 1; j >= (long)p; j--)              /* \s*[\r\n] (llama: [\r\n]+, the same end) */
            if (t[j] == '\r' || t[j] == '\n') return j + 1;
        if ((size_t)e == n) return e;                       /* \s+(?!\S) at the end */
        if (e - (long)p >= 2) return e - 1;                  /* \s+(?!\S) */
        return (long)p + 1;                                  /* \s, or \s+ of one character */
    }
    return BAIL;
}

static inline __attribute__((always_inline)) long m_cl100k(const uint8_t *t, size_t n, size_t p) { return m_cl100k_family(t, n, p, 0, 3); }
static inline __attribute__((always_inline)) long m_llama3(const uint8_t *t, size_t n, size_t p) { return m_cl100k_family(t, n, p, 1, 3); }
static inline __attribute__((always_inline)) long m_qwen2(const uint8_t *t, size_t n, size_t p) { return m_cl100k_family(t, n, p, 1, 1); }

/* gpt2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static long m_gpt2(const uint8_t *t, size_t n, size_t p) {
    uint8_t c = t[p];
    if (c == '\'' && p + 1 < n) {
        uint8_t a = t[p + 1];
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return (long)p + 2;
        if (p + 2 < n) {
            uint8_t b = t[p + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return (long)p + 3;
        }
    }
    size_t q = p + (c == ' ' ? 1 : 0);
    if (q < n) {
        uint8_t a = t[q];
        if (NA(a)) return BAIL;
        uint8_t ka = cls[a];
        if (ka & C_L) return run_letters(t, n, q);
        if (ka & C_N) return run(t, n, q, C_N);
        if (ka & C_P) return run(t, n, q, C_P);
    }
    if (cls[c] & C_S) {
        long e = ws_end(t, n, p);
        if (e == BAIL) return BAIL;
        if ((size_t)e == n) return e;
        if (e - (long)p >= 2) return e - 1;
        return e;
    }
    return BAIL;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)? at r: the end of the optional contraction, or BAIL. */
static long contraction(const uint8_t *t, size_t n, size_t r) {
    if (r < n && t[r] == '\'' && r + 1 < n) {
        uint8_t a = t[r + 1];
        if (NA(a)) return BAIL;
        int la = lower(a);
        if (la == 's' || la == 't' || la == 'm' || la == 'd') return (long)r + 2;
        if ((la == 'r' || la == 'v' || la == 'l') && r + 2 < n) {
            uint8_t b = t[r + 2];
            if (NA(b)) return BAIL;
            int lb = lower(b);
            if ((la == 'r' && lb == 'e') || (la == 'v' && lb == 'e') || (la == 'l' && lb == 'l')) return (long)r + 3;
        }
    }
    return (long)r;
}

/* o200k: [^\r\n\p{L}\p{N}]?[UTMLoM]*[LlLmLoM]+(?i:'s|…)?|[^\r\n\p{L}\p{N}]?[UTMLoM]+[LlLmLoM]*(?i:'s|…)?
          |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static long m_o200k(const uint8_t *t, size_t n, size_t p) {
    uint8_t c = t[p], k = cls[c];
    size_t q = n + 1;
    if (k & C_L) q = p;
    else if (!(k & (C_CRLF | C_N))) q = p + 1;
    if (q < n) {
        uint8_t a = t[q];
        if (NA(a)) return BAIL;
        if (cls[a] & C_L) {
            long u = run(t, n, q, C_U);               /* uppercase run */
            if (u == BAIL) return BAIL;
            long l = run(t, n, (size_t)u, C_LW);      /* then lowercase */
            if (l == BAIL) return BAIL;
            /* first alternative needs >= 1 lowercase; the second >= 1 uppercase: one of them holds */
            return contraction(t, n, (size_t)l);
        }
    }
    if (k & C_N) {
        size_t i = p + 1;
        while (i < n && i < p + 3) {
            if (NA(t[i])) return BAIL;
            if (!(cls[t[i]] & C_N)) break;
            i++;
        }
        return (long)i;
    }
    {
        size_t r = p + (c == ' ' ? 1 : 0);
        if (r < n) {
            uint8_t a = t[r];
            if (NA(a)) return BAIL;
            if (cls[a] & C_P) {
                long e = run(t, n, r, C_P);
                if (e == BAIL) return BAIL;
                size_t i = (size_t)e;
                while (i < n && (t[i] == '\r' || t[i] == '\n' || t[i] == '/')) i++;
                return (long)i;
            }
        }
    }
    if (k & C_S) {
        long e = ws_end(t, n, p);
        if (e == BAIL) return BAIL;
        for (long j = e - 1; j >= (long)p; j--)              /* \s*[\r\n]+ */
            if (t[j] == '\r' || t[j] == '\n') return j + 1;
        if ((size_t)e == n) return e;                         /* \s+(?!\S) at the end */
        if (e - (long)p >= 2) return e - 1;
        return e;                                             /* \s+ */
    }
    return BAIL;
}

/* llm_re_split_fast's loop, made once per pattern (`kind` a constant below), so that the
   pattern's matcher is inlined into it. */
static inline __attribute__((always_inline)) int64_t split_fast(llm_re_ctx *c, int kind, const uint8_t *text, size_t len, size_t start, uint32_t *ends, size_t cap) {
    size_t n = 0, pos = start;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
    while (pos < len && n < cap) {
        long e = BAIL;
        if (!NA(text[pos])) {
            switch (kind) {
                case 0: e = m_gpt2(text, len, pos); break;
                case 1: e = m_cl100k(text, len, pos); break;
                case 2: e = m_o200k(text, len, pos); break;
                case 3: e = m_llama3(text, len, pos); break;
                case 4: e = m_qwen2(text, len, pos); break;
                default: e = BAIL;
            }
        }
        if (e != BAIL) {
            ends[n++] = (uint32_t)e;
            pos = (size_t)e;
            continue;
        }
        int rc = c->re->jit
            ? pcre2_jit_match(c->re->code, text, len, pos, PCRE2_NO_UTF_CHECK, c->md, c->mctx)
            : pcre2_match(c->re->code, text, len, pos, PCRE2_NO_UTF_CHECK, c->md, c->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) { ends[n++] = (uint32_t)len; pos = len; break; }
        if (rc < 0) return -1;
        size_t ms = ov[0], me = ov[1];
        if (ms > pos) {
            ends[n++] = (uint32_t)ms;
            pos = ms;
            if (n == cap) break;
        }
        if (me == ms) return -2;
        ends[n++] = (uint32_t)me;
        pos = me;
    }
    return (int64_t)n;
}

int64_t llm_re_split_fast(llm_re_ctx *c, int kind, const uint8_t *text, size_t len, size_t start, uint32_t *ends, size_t cap) {
    if (!cls_ready) init_cls();
    switch (kind) {
        case 1: return split_fast(c, 1, text, len, start, ends, cap);
        case 2: return split_fast(c, 2, text, len, start, ends, cap);
        case 3: return split_fast(c, 3, text, len, start, ends, cap);
        default: return split_fast(c, kind, text, len, start, ends, cap);
    }
}
