/*
 * jsonw: the one JSON writer every response goes through.
 *
 * Writes into a buf, tracking commas itself. Warden's conventions live here:
 * snowflake ids as decimal strings (JavaScript clients lose precision past
 * 2^53), dates as ISO 8601 UTC, strings escaped with invalid UTF-8 replaced by
 * U+FFFD so that output is always valid JSON.
 */
#ifndef WARDEN_JSONW_H
#define WARDEN_JSONW_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "warden/buf.h"

#define JSONW_MAX_DEPTH 64

struct jsonw {
    struct buf *out;
    int depth;
    bool first[JSONW_MAX_DEPTH]; /* no element written yet at this depth */
    bool after_key;
};

void jsonw_init(struct jsonw *w, struct buf *out);

void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/** An object key; the next call writes its value. */
void jsonw_key(struct jsonw *w, const char *key);

void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/** A snowflake id: decimal string. */
void jsonw_id(struct jsonw *w, int64_t id);
/** Milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.ffffff+00:00". */
void jsonw_date(struct jsonw *w, int64_t ms);
/** String or null. */
void jsonw_string_or_null(struct jsonw *w, const char *s);

/**
 * A BSON value in Warden's conventions: Int64 as a number (use jsonw_id for
 * ids), dates ISO, documents and arrays recursively, ObjectId as hex.
 */
void jsonw_bson_value(struct jsonw *w, const bson_iter_t *it);

/* Shorthands for "key": value pairs. */
void jsonw_kv_string(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);
void jsonw_kv_null(struct jsonw *w, const char *key);

#endif
