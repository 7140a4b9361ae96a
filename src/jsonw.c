/*
 * jsonw: JSON writer (see include/warden/jsonw.h).
 */
#include "warden/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/utf8.h"
#include "warden/fatal.h"
#include "warden/format.h"

void jsonw_init(struct jsonw *w, struct buf *out)
{
    w->out = out;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

/* Separator before a value or key at the current depth. */
static void before_value(struct jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        buf_putc(w->out, ',');
    w->first[w->depth] = false;
}

static void open_container(struct jsonw *w, char c)
{
    before_value(w);
    buf_putc(w->out, c);
    if (w->depth + 1 >= JSONW_MAX_DEPTH)
        fatal("jsonw: nesting too deep");
    w->first[++w->depth] = true;
}

static void close_container(struct jsonw *w, char c)
{
    buf_putc(w->out, c);
    if (w->depth > 0)
        w->depth--;
}

void jsonw_object_begin(struct jsonw *w) { open_container(w, '{'); }
void jsonw_object_end(struct jsonw *w) { close_container(w, '}'); }
void jsonw_array_begin(struct jsonw *w) { open_container(w, '['); }
void jsonw_array_end(struct jsonw *w) { close_container(w, ']'); }

static void write_escaped(struct buf *out, const char *s, size_t len)
{
    buf_putc(out, '"');
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            run++;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_sequence_length(p + i, len - i);
            if (n) {
                run += n;
                i += n;
                continue;
            }
        }
        buf_append(out, s + i - run, run);
        run = 0;
        switch (c) {
        case '"': buf_puts(out, "\\\""); break;
        case '\\': buf_puts(out, "\\\\"); break;
        case '\n': buf_puts(out, "\\n"); break;
        case '\r': buf_puts(out, "\\r"); break;
        case '\t': buf_puts(out, "\\t"); break;
        default:
            if (c < 0x20) {
                char esc[7] = "\\u00";
                sodium_bin2hex(esc + 4, 3, &c, 1);
                buf_puts(out, esc);
            } else {
                buf_puts(out, "\\ufffd"); /* invalid UTF-8 byte */
            }
        }
        i++;
    }
    buf_append(out, s + len - run, run);
    buf_putc(out, '"');
}

void jsonw_key(struct jsonw *w, const char *key)
{
    before_value(w);
    write_escaped(w->out, key, strlen(key));
    buf_putc(w->out, ':');
    w->after_key = true;
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t len)
{
    before_value(w);
    write_escaped(w->out, s, len);
}

void jsonw_string(struct jsonw *w, const char *s)
{
    jsonw_string_len(w, s, strlen(s));
}

void jsonw_string_or_null(struct jsonw *w, const char *s)
{
    if (s)
        jsonw_string(w, s);
    else
        jsonw_null(w);
}

/* Decimal digits of v into the end of tmp; returns where they start. Written
 * by hand: numbers are in every answer and vsnprintf costs ten times more. */
static char *format_int(int64_t v, char tmp[24])
{
    char *p = tmp + 23;
    *p = '\0';
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    before_value(w);
    char tmp[24];
    buf_puts(w->out, format_int(v, tmp));
}

void jsonw_double(struct jsonw *w, double v)
{
    before_value(w);
    if (!isfinite(v)) {
        buf_puts(w->out, "null");
        return;
    }
    /* The shortest of 15..17 significant digits that reads back as v: 0.1 is
     * "0.1", not "0.10000000000000001"; 17 digits always round-trip. */
    char tmp[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(tmp, sizeof tmp, "%.*g", digits, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* Keep a float a float: "0.5" stays, "1" becomes "1.0". */
    if (!strpbrk(tmp, ".eEn"))
        strcat(tmp, ".0");
    buf_puts(w->out, tmp);
}

void jsonw_bool(struct jsonw *w, bool v)
{
    before_value(w);
    buf_puts(w->out, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
    before_value(w);
    buf_puts(w->out, "null");
}

void jsonw_id(struct jsonw *w, int64_t id)
{
    before_value(w);
    char tmp[24];
    buf_putc(w->out, '"');
    buf_puts(w->out, format_int(id, tmp));
    buf_putc(w->out, '"');
}

void jsonw_date(struct jsonw *w, int64_t ms)
{
    char tmp[48];
    format_iso8601(ms, tmp, sizeof tmp);
    jsonw_string(w, tmp);
}

void jsonw_bson_value(struct jsonw *w, const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_UTF8: {
        uint32_t len;
        const char *s = bson_iter_utf8(it, &len);
        jsonw_string_len(w, s, len);
        break;
    }
    case BSON_TYPE_INT32: jsonw_int(w, bson_iter_int32(it)); break;
    case BSON_TYPE_INT64: jsonw_int(w, bson_iter_int64(it)); break;
    case BSON_TYPE_DOUBLE: jsonw_double(w, bson_iter_double(it)); break;
    case BSON_TYPE_BOOL: jsonw_bool(w, bson_iter_bool(it)); break;
    case BSON_TYPE_DATE_TIME: jsonw_date(w, bson_iter_date_time(it)); break;
    case BSON_TYPE_OID: {
        char hex[25];
        bson_oid_to_string(bson_iter_oid(it), hex);
        jsonw_string(w, hex);
        break;
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
        bool is_array = bson_iter_type(it) == BSON_TYPE_ARRAY;
        bson_iter_t child;
        if (!bson_iter_recurse(it, &child)) {
            jsonw_null(w);
            break;
        }
        if (is_array)
            jsonw_array_begin(w);
        else
            jsonw_object_begin(w);
        while (bson_iter_next(&child)) {
            if (!is_array)
                jsonw_key(w, bson_iter_key(&child));
            jsonw_bson_value(w, &child);
        }
        if (is_array)
            jsonw_array_end(w);
        else
            jsonw_object_end(w);
        break;
    }
    default: jsonw_null(w); break;
    }
}

void jsonw_kv_string(struct jsonw *w, const char *key, const char *s)
{
    jsonw_key(w, key);
    jsonw_string(w, s);
}

void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v)
{
    jsonw_key(w, key);
    jsonw_int(w, v);
}

void jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
    jsonw_key(w, key);
    jsonw_bool(w, v);
}

void jsonw_kv_null(struct jsonw *w, const char *key)
{
    jsonw_key(w, key);
    jsonw_null(w);
}
