/*
 * json: strict JSON reader producing BSON (see include/warden/json.h).
 *
 * A recursive-descent parser over the raw bytes; depth is bounded so the
 * recursion is too. Duplicate keys are found by sorting an object's keys when
 * it closes (O(n log n), so even text read without a key limit, a hundred
 * thousand keys, cannot make a worker spin). Key and element limits are
 * checked before the next member is parsed, so nothing past them is built.
 */
#include "warden/json.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/buf.h"
#include "warden/utf8.h"
#include "warden/mem.h"

struct parser {
    const char *s;
    const char *field; /* top-level key being parsed */
    size_t len;
    size_t pos;
    struct json_error *err;
    struct buf scratch; /* decoded string being built */
    struct json_limits limits; /* 0: no limit */
};

static int fail_as(struct parser *p, enum json_problem problem, const char *message)
{
    if (p->err && !p->err->message[0]) {
        p->err->problem = problem;
        p->err->offset = p->pos;
        snprintf(p->err->message, sizeof p->err->message, "%s", message);
        snprintf(p->err->field, sizeof p->err->field, "%s", p->field ? p->field : "");
    }
    return -1;
}

static int fail(struct parser *p, const char *message)
{
    return fail_as(p, JSON_MALFORMED, message);
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hex4(struct parser *p, uint32_t *out)
{
    if (p->len - p->pos < 4)
        return fail(p, "truncated \\u escape");
    unsigned char be[2]; /* the code unit, big-endian */
    if (sodium_hex2bin(be, sizeof be, p->s + p->pos, 4, NULL, NULL, NULL) != 0)
        return fail(p, "invalid \\u escape");
    p->pos += 4;
    *out = (uint32_t)be[0] << 8 | be[1];
    return 0;
}

/* Decode the string at p->pos (on its opening quote) into p->scratch. */
static int parse_string(struct parser *p)
{
    buf_reset(&p->scratch);
    p->pos++; /* opening quote */
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return 0;
        }
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c == '\\') {
            p->pos++;
            if (p->pos >= p->len)
                return fail(p, "unterminated string");
            char e = p->s[p->pos++];
            char out;
            switch (e) {
            case '"': out = '"'; break;
            case '\\': out = '\\'; break;
            case '/': out = '/'; break;
            case 'b': out = '\b'; break;
            case 'f': out = '\f'; break;
            case 'n': out = '\n'; break;
            case 'r': out = '\r'; break;
            case 't': out = '\t'; break;
            case 'u': {
                uint32_t cp;
                if (hex4(p, &cp) < 0)
                    return -1;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return fail(p, "unpaired surrogate in string");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    uint32_t lo;
                    if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                        return fail(p, "unpaired surrogate in string");
                    p->pos += 2;
                    if (hex4(p, &lo) < 0)
                        return -1;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(p, "unpaired surrogate in string");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                if (cp == 0)
                    return fail(p, "NUL character in string");
                char enc[4];
                buf_append(&p->scratch, enc, utf8_encode(cp, enc));
                continue;
            }
            default:
                return fail(p, "invalid escape in string");
            }
            buf_putc(&p->scratch, out);
            continue;
        }
        if (c < 0x80) {
            buf_putc(&p->scratch, (char)c);
            p->pos++;
            continue;
        }
        size_t n = utf8_sequence_length((const unsigned char *)p->s + p->pos, p->len - p->pos);
        if (!n)
            return fail(p, "invalid UTF-8 in string");
        buf_append(&p->scratch, p->s + p->pos, n);
        p->pos += n;
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_number(struct parser *p, bson_t *doc, const char *key, size_t key_len)
{
    size_t start = p->pos;
    bool integral = true;
    if (p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos]))
        return fail(p, "invalid number");
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else {
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        integral = false;
        p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos]))
            return fail(p, "invalid number");
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integral = false;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos]))
            return fail(p, "invalid number");
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    size_t n = p->pos - start;
    if (n > 400)
        return fail(p, "number too long");
    char tmp[401];
    memcpy(tmp, p->s + start, n);
    tmp[n] = '\0';
    if (integral) {
        errno = 0;
        long long v = strtoll(tmp, NULL, 10);
        if (errno == 0) {
            bson_append_int64(doc, key, (int)key_len, (int64_t)v);
            return 0;
        }
        /* Too large for Int64: kept as a double, which no integer field accepts. */
    }
    double d = strtod(tmp, NULL);
    if (!isfinite(d))
        return fail(p, "number out of range");
    bson_append_double(doc, key, (int)key_len, d);
    return 0;
}

static int parse_value(struct parser *p, bson_t *doc, const char *key, size_t key_len, int depth);

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuse an object with two equal keys. */
static int check_duplicates(struct parser *p, const bson_t *obj, size_t count)
{
    if (count < 2)
        return 0;
    const char **keys = mem_alloc(count * sizeof *keys);
    size_t n = 0;
    bson_iter_t it;
    if (bson_iter_init(&it, obj))
        while (bson_iter_next(&it) && n < count)
            keys[n++] = bson_iter_key(&it);
    qsort(keys, n, sizeof *keys, compare_keys);
    int rc = 0;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "duplicate key '%.60s'", keys[i]);
            rc = fail(p, msg);
            break;
        }
    }
    free(keys);
    return rc;
}

static int parse_object_body(struct parser *p, bson_t *obj, int depth)
{
    p->pos++; /* '{' */
    skip_ws(p);
    size_t count = 0;
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"')
            return fail(p, "expected a string key");
        if (p->limits.max_keys && count >= p->limits.max_keys) {
            char msg[96];
            snprintf(msg, sizeof msg, "more than %zu keys in an object", p->limits.max_keys);
            return fail_as(p, JSON_TOO_MANY_KEYS, msg);
        }
        size_t key_pos = p->pos;
        if (parse_string(p) < 0)
            return -1;
        char *key = mem_strdup(buf_cstr(&p->scratch));
        size_t key_len = p->scratch.len;
        if (key[0] == '$') {
            free(key);
            p->pos = key_pos;
            return fail_as(p, JSON_OPERATOR_KEY, "keys starting with '$' are not allowed");
        }
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            free(key);
            return fail(p, "expected ':'");
        }
        p->pos++;
        skip_ws(p);
        if (depth == 1)
            p->field = key;
        int rc = parse_value(p, obj, key, key_len, depth);
        if (depth == 1)
            p->field = NULL;
        free(key);
        if (rc < 0)
            return -1;
        count++;
        skip_ws(p);
        if (p->pos >= p->len)
            return fail(p, "unterminated object");
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == '}') {
            p->pos++;
            return check_duplicates(p, obj, count);
        }
        return fail(p, "expected ',' or '}'");
    }
}

static int parse_array_body(struct parser *p, bson_t *arr, int depth)
{
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return 0;
    }
    for (uint32_t i = 0;; i++) {
        skip_ws(p);
        if (p->limits.max_elements && i >= p->limits.max_elements) {
            char msg[96];
            snprintf(msg, sizeof msg, "more than %zu elements in an array", p->limits.max_elements);
            return fail_as(p, JSON_TOO_MANY_ELEMENTS, msg);
        }
        char key_buf[16];
        const char *key;
        size_t key_len = bson_uint32_to_string(i, &key, key_buf, sizeof key_buf);
        if (parse_value(p, arr, key, key_len, depth) < 0)
            return -1;
        skip_ws(p);
        if (p->pos >= p->len)
            return fail(p, "unterminated array");
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == ']') {
            p->pos++;
            return 0;
        }
        return fail(p, "expected ',' or ']'");
    }
}

static int literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, "invalid literal");
    p->pos += n;
    return 0;
}

static int parse_value(struct parser *p, bson_t *doc, const char *key, size_t key_len, int depth)
{
    if (p->pos >= p->len)
        return fail(p, "expected a value");
    char c = p->s[p->pos];
    switch (c) {
    case '{':
    case '[': {
        if (depth + 1 > JSON_MAX_DEPTH)
            return fail(p, "nesting too deep");
        bson_t child;
        bool ok = c == '{' ? bson_append_document_begin(doc, key, (int)key_len, &child)
                           : bson_append_array_begin(doc, key, (int)key_len, &child);
        if (!ok)
            return fail(p, "document too large");
        int rc = c == '{' ? parse_object_body(p, &child, depth + 1)
                          : parse_array_body(p, &child, depth + 1);
        if (c == '{')
            bson_append_document_end(doc, &child);
        else
            bson_append_array_end(doc, &child);
        return rc;
    }
    case '"':
        if (parse_string(p) < 0)
            return -1;
        bson_append_utf8(doc, key, (int)key_len, buf_cstr(&p->scratch), (int)p->scratch.len);
        return 0;
    case 't':
        if (literal(p, "true") < 0)
            return -1;
        bson_append_bool(doc, key, (int)key_len, true);
        return 0;
    case 'f':
        if (literal(p, "false") < 0)
            return -1;
        bson_append_bool(doc, key, (int)key_len, false);
        return 0;
    case 'n':
        if (literal(p, "null") < 0)
            return -1;
        bson_append_null(doc, key, (int)key_len);
        return 0;
    default:
        if (c == '-' || is_digit(c))
            return parse_number(p, doc, key, key_len);
        return fail(p, "unexpected character");
    }
}

int json_parse_object(const char *text, size_t len, bson_t *out, struct json_error *err)
{
    return json_parse_object_limited(text, len, NULL, out, err);
}

int json_parse_object_limited(const char *text, size_t len, const struct json_limits *limits,
                              bson_t *out, struct json_error *err)
{
    struct parser p = {text, NULL, len, 0, err, BUF_INIT, {0, 0}};
    if (limits)
        p.limits = *limits;
    if (err)
        memset(err, 0, sizeof *err);
    int rc;
    skip_ws(&p);
    if (p.pos >= p.len || p.s[p.pos] != '{') {
        rc = fail(&p, "expected a JSON object");
    } else {
        rc = parse_object_body(&p, out, 1);
        if (rc == 0) {
            skip_ws(&p);
            if (p.pos != p.len)
                rc = fail(&p, "trailing characters after the object");
        }
    }
    buf_free(&p.scratch);
    return rc;
}
