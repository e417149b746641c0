#include "CSimdjsonShim.h"
#include <simdjson.h>
#include <string.h>
#include <string_view>
#include <vector>

struct llm_json_parser {
    simdjson::dom::parser parser;
    // A record whose numbers simdjson cannot represent, with those numbers blanked (see
    // blank_numbers); the DOM's strings are copies, so it lives only for one parse.
    std::vector<uint8_t> scratch;
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

// Length of the JSON number at buf[i] (RFC 8259 grammar), followed by a delimiter (whitespace,
// `,`, `}`, `]` or the end); 0 when it is not one.
static size_t number_length(const uint8_t *buf, size_t len, size_t i) {
    size_t j = i;
    auto digit = [&](size_t k) { return k < len && buf[k] >= '0' && buf[k] <= '9'; };
    if (j < len && buf[j] == '-') j++;
    if (!digit(j)) return 0;
    if (buf[j] == '0') j++;
    else while (digit(j)) j++;
    if (j < len && buf[j] == '.') {
        j++;
        if (!digit(j)) return 0;
        while (digit(j)) j++;
    }
    if (j < len && (buf[j] == 'e' || buf[j] == 'E')) {
        j++;
        if (j < len && (buf[j] == '+' || buf[j] == '-')) j++;
        if (!digit(j)) return 0;
        while (digit(j)) j++;
    }
    if (j < len && !is_ws(buf[j]) && buf[j] != ',' && buf[j] != '}' && buf[j] != ']') return 0;
    return j - i;
}

// simdjson's DOM refuses numbers it cannot hold (integers beyond 64 bits, 1e309), which are valid
// JSON. Copies the record into `out` with every well-formed number outside strings replaced by
// `0` and spaces (same length, so byte offsets stay those of the record); malformed numbers are
// left for the parser to reject. Returns false when there was nothing to replace.
static bool blank_numbers(const uint8_t *buf, size_t len, std::vector<uint8_t> &out) {
    out.assign(buf, buf + len);
    out.resize(len + simdjson::SIMDJSON_PADDING, 0);
    bool changed = false;
    size_t i = 0;
    while (i < len) {
        uint8_t c = buf[i];
        if (c == '"') { i = skip_string(buf, len, i); continue; }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t n = number_length(buf, len, i);
            if (n == 0) { i++; continue; }
            out[i] = '0';
            for (size_t k = 1; k < n; k++) out[i + k] = ' ';
            changed = true;
            i += n;
            continue;
        }
        i++;
    }
    return changed;
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
    if (err == simdjson::NUMBER_ERROR && blank_numbers(buf, len, p->scratch)) {
        // valid JSON with numbers beyond double/64-bit range: the record's own bytes are kept,
        // only the parse sees them as 0 (no stage reads numbers through the DOM)
        err = p->parser.parse(p->scratch.data(), len, false).get(doc);
    }
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

// ---- tokenizer.json ------------------------------------------------------------------------
// Foundation's JSONSerialization took ~110 of ~150 ms to load GPT-2's tokenizer.json (3.5 MB),
// most of it building NSNumber/NSDictionary values for 50k vocabulary entries and merges.

#include <string>
#include <vector>

struct llm_tokjson {
    simdjson::dom::parser parser;
    std::vector<std::pair<std::string_view, int64_t>> vocab;
    std::vector<int32_t> vocab_ok;
    std::vector<std::pair<std::string_view, std::string_view>> merges;
    std::vector<int32_t> merge_ok;
    std::string rest;
};

static void json_key(std::string &out, std::string_view k) {
    out.push_back('"');
    for (unsigned char c : k) {
        if (c == '"' || c == '\\') { out.push_back('\\'); out.push_back((char)c); }
        else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        } else out.push_back((char)c);
    }
    out += "\":";
}

extern "C" llm_tokjson *llm_tokjson_parse(const uint8_t *buf, size_t len, const char **error) {
    auto *t = new llm_tokjson();
    simdjson::padded_string text((const char *)buf, len);
    simdjson::dom::element root;
    if (t->parser.parse(text).get(root) != simdjson::SUCCESS) { *error = "not valid JSON"; delete t; return nullptr; }
    simdjson::dom::object obj;
    if (root.get_object().get(obj) != simdjson::SUCCESS) { *error = "not a JSON object"; delete t; return nullptr; }
    simdjson::dom::object model, vocab;
    simdjson::dom::array merges;
    if (obj["model"].get_object().get(model) != simdjson::SUCCESS || model["vocab"].get_object().get(vocab) != simdjson::SUCCESS ||
        model["merges"].get_array().get(merges) != simdjson::SUCCESS) {
        *error = "no model object with a vocab object and a merges array";
        delete t;
        return nullptr;
    }
    for (auto field : vocab) {
        int64_t id = 0;
        int32_t ok = 1;
        if (field.value.is_int64()) id = int64_t(field.value);
        else if (field.value.is_uint64()) { uint64_t u = uint64_t(field.value); ok = u <= (uint64_t)INT64_MAX; id = (int64_t)u; }
        else if (field.value.is_double()) { double d = double(field.value); ok = d == (double)(int64_t)d; id = (int64_t)d; }
        else ok = 0;
        t->vocab.emplace_back(field.key, id);
        t->vocab_ok.push_back(ok);
    }
    for (auto m : merges) {
        std::string_view s, a, b;
        int32_t ok = 0;
        if (m.get_string().get(s) == simdjson::SUCCESS) {
            size_t sp = s.find(' ');
            if (sp != std::string_view::npos) { a = s.substr(0, sp); b = s.substr(sp + 1); ok = 1; }
        } else {
            simdjson::dom::array pair;
            if (m.get_array().get(pair) == simdjson::SUCCESS && pair.size() == 2 &&
                pair.at(0).get_string().get(a) == simdjson::SUCCESS && pair.at(1).get_string().get(b) == simdjson::SUCCESS) ok = 1;
        }
        t->merges.emplace_back(a, b);
        t->merge_ok.push_back(ok);
    }
    // everything else, with model's vocab and merges left out
    std::string &r = t->rest;
    r.push_back('{');
    bool first = true;
    for (auto field : obj) {
        if (!first) r.push_back(',');
        first = false;
        json_key(r, field.key);
        if (field.key == "model") {
            r.push_back('{');
            bool mf = true;
            for (auto mfield : model) {
                if (mfield.key == "vocab" || mfield.key == "merges") continue;
                if (!mf) r.push_back(',');
                mf = false;
                json_key(r, mfield.key);
                r += simdjson::minify(mfield.value);
            }
            r.push_back('}');
        } else {
            r += simdjson::minify(field.value);
        }
    }
    r.push_back('}');
    return t;
}

extern "C" void llm_tokjson_free(llm_tokjson *t) { delete t; }
extern "C" size_t llm_tokjson_vocab_count(const llm_tokjson *t) { return t->vocab.size(); }
extern "C" int32_t llm_tokjson_vocab_entry(const llm_tokjson *t, size_t i, const uint8_t **key, size_t *key_len, int64_t *id) {
    *key = (const uint8_t *)t->vocab[i].first.data();
    *key_len = t->vocab[i].first.size();
    *id = t->vocab[i].second;
    return t->vocab_ok[i];
}
extern "C" size_t llm_tokjson_merge_count(const llm_tokjson *t) { return t->merges.size(); }
extern "C" int32_t llm_tokjson_merge(const llm_tokjson *t, size_t i, const uint8_t **a, size_t *a_len, const uint8_t **b, size_t *b_len) {
    *a = (const uint8_t *)t->merges[i].first.data();
    *a_len = t->merges[i].first.size();
    *b = (const uint8_t *)t->merges[i].second.data();
    *b_len = t->merges[i].second.size();
    return t->merge_ok[i];
}
extern "C" const uint8_t *llm_tokjson_rest(const llm_tokjson *t, size_t *len) {
    *len = t->rest.size();
    return (const uint8_t *)t->rest.data();
}
