// C interface over simdjson's DOM parser for the record protocol.
// Only stdint/stddef types cross this boundary.
#ifndef LLMDATA_SIMDJSON_SHIM_H
#define LLMDATA_SIMDJSON_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Bytes that must be readable after the end of any buffer handed to the parser.
#define LLM_JSON_PADDING 64

enum {
    LLM_JSON_OK = 0,
    LLM_JSON_INVALID = 1,          // malformed JSON (message in error)
    LLM_JSON_NOT_OBJECT = 2,       // valid JSON, but not an object
    LLM_JSON_MISSING_TEXT = 3,     // no text field
    LLM_JSON_TEXT_NOT_STRING = 4,  // text field is not a string
    LLM_JSON_INVALID_UTF8 = 5,     // raw bytes are not UTF-8
    LLM_JSON_BAD_STRING = 6,       // bad escape, e.g. a lone surrogate \ud800
    LLM_JSON_TOO_MANY_FIELDS = 7,  // field array too small: field_count holds the need
    LLM_JSON_CAPACITY = 8,         // document larger than the parser's maximum
};

typedef struct {
    uint32_t key_start;    // offset of the opening quote of the key
    uint32_t key_end;      // offset one past the closing quote
    uint32_t value_start;  // first byte of the value
    uint32_t value_end;    // one past the last byte of the value
} llm_field_span;

typedef struct {
    int32_t status;
    const char *error;         // static string for LLM_JSON_INVALID and friends
    const uint8_t *text;       // unescaped text, owned by the parser until the next call
    size_t text_len;
    const uint8_t *id;         // unescaped id when it is a string, else NULL
    size_t id_len;
    int32_t text_field;        // index into fields, or -1
    int32_t id_field;          // index into fields, or -1
    int32_t metadata_field;    // index into fields (only when it is an object), or -1
    int32_t metadata_not_object; // 1 when a "metadata" field exists but is not an object
    uint32_t field_count;
} llm_record_info;

typedef struct llm_json_parser llm_json_parser;

llm_json_parser *llm_json_parser_new(void);
void llm_json_parser_free(llm_json_parser *p);

/// Parses one record. `buf` must have `len + LLM_JSON_PADDING` readable bytes.
/// Fields are reported in document order with raw byte spans relative to `buf`.
int32_t llm_json_parse_record(llm_json_parser *p, const uint8_t *buf, size_t len,
                              const char *text_field, size_t text_field_len,
                              llm_field_span *fields, uint32_t fields_cap,
                              llm_record_info *out);

/// Scans the top-level fields of an object that is already known to be valid JSON.
/// Returns the number of fields (may exceed cap; only cap are written), or -1.
int64_t llm_json_scan_object(const uint8_t *buf, size_t len, llm_field_span *fields, uint32_t cap);

/// Validates a whole JSON document (any type). Returns LLM_JSON_OK or an error code;
/// `error` receives a static message.
int32_t llm_json_validate(llm_json_parser *p, const uint8_t *buf, size_t len, const char **error);

/// Fast UTF-8 validation (simdjson's SIMD validator). Returns 1 when valid.
int32_t llm_utf8_valid(const uint8_t *buf, size_t len);

/// Unescapes a JSON string value (raw bytes including the quotes) into out (capacity >= len).
/// Returns the unescaped length, or -1 for a bad escape.
int64_t llm_json_unescape(const uint8_t *raw, size_t len, uint8_t *out);

/// A HF `tokenizer.json` parsed once: its two large parts (model.vocab, model.merges) as spans of
/// unescaped strings, and everything else as compact JSON text (small: pre-tokenizer, normalizer,
/// added tokens, model flags) for a general JSON reader.
typedef struct llm_tokjson llm_tokjson;

/// Parses `len` bytes (no padding needed). NULL with `*error` set when the text is not JSON, not
/// an object, or has no object "model" with an object "vocab" and an array "merges".
llm_tokjson *llm_tokjson_parse(const uint8_t *buf, size_t len, const char **error);
void llm_tokjson_free(llm_tokjson *t);
size_t llm_tokjson_vocab_count(const llm_tokjson *t);
/// Entry i of model.vocab in file order; returns 0 when its value is not an integer.
int32_t llm_tokjson_vocab_entry(const llm_tokjson *t, size_t i, const uint8_t **key, size_t *key_len, int64_t *id);
size_t llm_tokjson_merge_count(const llm_tokjson *t);
/// Merge i: "a b" (split at the first space) or ["a", "b"]; returns 0 for any other form.
int32_t llm_tokjson_merge(const llm_tokjson *t, size_t i, const uint8_t **a, size_t *a_len, const uint8_t **b, size_t *b_len);
/// The document without model.vocab and model.merges, as compact JSON.
const uint8_t *llm_tokjson_rest(const llm_tokjson *t, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
