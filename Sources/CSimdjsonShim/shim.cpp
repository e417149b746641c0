#include "CSimdjsonShim.h"
#include <simdjson.h>
#include <string.h>
#include <string_view>

struct llm_json_parser {
    simdjson::dom::parser parser;
};

extern "C" llm_json_parser *llm_json_parser_new(void) {
    auto *p = new llm_json_parser();
    // Documents larger than this are refused with LLM_JSON_CAPACITY.

    return p;
}

extern "C" void llm_json_parser_free(llm_json_parser *p) { delete p; }

static inline bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Skips a JSON string starting at buf[i] == '"'; returns the index one past the closing quote.
static inline size_t skip_string(const uint8_t *buf, size_t len, size_t i) {
    i++;
    while (i < len) {
        const void *q = memchr(buf + i, '"', len - i);
        if (!q) return len;
        size_t j = (const uint8_t *)q - buf;
        // count preceding backslashes
        size_t k = j;
        while (k > i && buf[k - 1] == '\\') k--;
        if (((j - k) & 1) == 0) return j + 1;
        i = j + 1;
    }
    return len;
}

static inline size_t skip_value(const uint8_t *buf, size_t len, size_t i) {
    uint8_t c = buf[i];
    if (c == '"') return skip_string(buf, len, i);
    if (c == '{' || c == '[') {
        int depth = 0;
        while (i < len) {
            uint8_t d = buf[i];
            if (d == '"') { i = skip_string(buf, len, i); continue; }
            if (d == '{' || d == '[') depth++;
            else if (d == '}' || d == ']') { depth--; if (depth == 0) return i + 1; }
            i++;
        }
        return len;
    }
    while (i < len && buf[i] != ',' && buf[i] != '}' && buf[i] != ']' && !is_ws(buf[i])) i++;
    return i;
}

extern "C" int64_t llm_json_scan_object(const uint8_t *buf, size_t len, llm_field_span *fields, uint32_t cap) {
    size_t i = 0;
    while (i < len && is_ws(buf[i])) i++;
    if (i >= len || buf[i] != '{') return -1;
    i++;
    int64_t n = 0;
    for (;;) {
        while (i < len && is_ws(buf[i])) i++;
        if (i >= len) return -1;
        if (buf[i] == '}') return n;
        if (buf[i] == ',') { i++; continue; }
        if (buf[i] != '"') return -1;
        size_t ks = i;
        size_t ke = skip_string(buf, len, i);
        i = ke;
        while (i < len && (is_ws(buf[i]) || buf[i] == ':')) i++;
        if (i >= len) return -1;
        size_t vs = i;
        size_t ve = skip_value(buf, len, i);
        if ((uint64_t)n < cap) {
            fields[n].key_start = (uint32_t)ks;
            fields[n].key_end = (uint32_t)ke;
            fields[n].value_start = (uint32_t)vs;
            fields[n].value_end = (uint32_t)ve;
        }
        n++;
        i = ve;
    }
}

static int32_t map_error(simdjson::error_code e) {
    switch (e) {
    case simdjson::UTF8_ERROR: return LLM_JSON_INVALID_UTF8;
    case simdjson::STRING_ERROR: return LLM_JSON_BAD_STRING;
    case simdjson::CAPACITY: return LLM_JSON_CAPACITY;
    default: return LLM_JSON_INVALID;
    }
}

extern "C" int32_t llm_json_parse_record(llm_json_parser *p, const uint8_t *buf, size_t len,
                                         const char *text_field, size_t text_field_len,
                                         llm_field_span *fields, uint32_t fields_cap,
                                         llm_record_info *out) {
    memset(out, 0, sizeof(*out));
    out->text_field = out->id_field = out->metadata_field = -1;
    simdjson::dom::element doc;
    auto err = p->parser.parse(buf, len, false).get(doc);
    if (err) {
        out->status = map_error(err);
        out->error = simdjson::error_message(err);
        return out->status;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
        out->status = LLM_JSON_NOT_OBJECT;
        out->error = "not a JSON object";
        return out->status;
    }
    int64_t n = llm_json_scan_object(buf, len, fields, fields_cap);
    if (n < 0) {
        out->status = LLM_JSON_INVALID;
        out->error = "unexpected object layout";
        return out->status;
    }
    out->field_count = (uint32_t)n;
    if ((uint64_t)n > fields_cap) {
        out->status = LLM_JSON_TOO_MANY_FIELDS;
        out->error = "too many fields";
        return out->status;
    }
    std::string_view tf(text_field, text_field_len);
    int32_t idx = 0;
    bool text_is_string = false;
    for (auto kv : obj) {
        std::string_view key = kv.key;
        // Later duplicates win, as in Python's json module.
        if (key == tf) {
            out->text_field = idx;
            std::string_view s;
            if (kv.value.get_string().get(s) == simdjson::SUCCESS) {
                text_is_string = true;
                out->text = (const uint8_t *)s.data();
                out->text_len = s.size();
            } else {
                text_is_string = false;
                out->text = nullptr;
                out->text_len = 0;
            }
        } else if (key == "id") {
            out->id_field = idx;
            std::string_view s;
            if (kv.value.get_string().get(s) == simdjson::SUCCESS) {
                out->id = (const uint8_t *)s.data();
                out->id_len = s.size();
            } else {
                out->id = nullptr;
                out->id_len = 0;
            }
        } else if (key == "metadata") {
            if (kv.value.is_object()) {
                out->metadata_field = idx;
                out->metadata_not_object = 0;
            } else {
                out->metadata_field = -1;
                out->metadata_not_object = 1;
            }
        }
        idx++;
    }
    if (out->text_field < 0) {
        out->status = LLM_JSON_MISSING_TEXT;
        out->error = "missing text field";
        return out->status;
    }
    if (!text_is_string) {
        out->status = LLM_JSON_TEXT_NOT_STRING;
        out->error = "text field is not a string";
        return out->status;
    }
    out->status = LLM_JSON_OK;
    return LLM_JSON_OK;
}

extern "C" int32_t llm_json_validate(llm_json_parser *p, const uint8_t *buf, size_t len, const char **error) {
    simdjson::dom::element doc;
    auto err = p->parser.parse(buf, len, false).get(doc);
    if (err) {
        if (error) *error = simdjson::error_message(err);
        return map_error(err);
    }
    return LLM_JSON_OK;
}

extern "C" int32_t llm_utf8_valid(const uint8_t *buf, size_t len) {
    return simdjson::validate_utf8((const char *)buf, len) ? 1 : 0;
}

static inline int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static inline int read_hex4(const uint8_t *p) {
    int v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0) return -1;
        v = (v << 4) | h;
    }
    return v;
}

extern "C" int64_t llm_json_unescape(const uint8_t *raw, size_t len, uint8_t *out) {
    if (len < 2 || raw[0] != '"' || raw[len - 1] != '"') return -1;
    size_t i = 1, end = len - 1, o = 0;
    while (i < end) {
        uint8_t c = raw[i];
        if (c != '\\') { out[o++] = c; i++; continue; }
        if (i + 1 >= end) return -1;
        uint8_t e = raw[i + 1];
        i += 2;
        switch (e) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            if (i + 4 > end) return -1;
            int cp = read_hex4(raw + i);
            if (cp < 0) return -1;
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 6 > end || raw[i] != '\\' || raw[i + 1] != 'u') return -1;
                int lo = read_hex4(raw + i + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) return -1;
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            if (cp < 0x80) out[o++] = (uint8_t)cp;
            else if (cp < 0x800) { out[o++] = 0xC0 | (cp >> 6); out[o++] = 0x80 | (cp & 0x3F); }
            else if (cp < 0x10000) { out[o++] = 0xE0 | (cp >> 12); out[o++] = 0x80 | ((cp >> 6) & 0x3F); out[o++] = 0x80 | (cp & 0x3F); }
            else { out[o++] = 0xF0 | (cp >> 18); out[o++] = 0x80 | ((cp >> 12) & 0x3F); out[o++] = 0x80 | ((cp >> 6) & 0x3F); out[o++] = 0x80 | (cp & 0x3F); }
            break;
        }
        default: return -1;
        }
    }
    return (int64_t)o;
}
