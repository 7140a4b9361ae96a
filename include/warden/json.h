/*
 * json: strict JSON text to BSON, for request bodies.
 *
 * Stricter than bson_new_from_json on purpose: the top level must be an
 * object; nesting is limited to JSON_MAX_DEPTH; strings must be valid UTF-8
 * and free of NUL; duplicate keys and keys starting with '$' are refused, so
 * nothing a client sends can turn into a query operator or an extended-JSON
 * wrapper. Integers that fit become Int64, every other number a double.
 *
 * A client's text is read with limits on how many keys an object and how
 * many elements an array may hold (json_parse_object_limited; body.h gives
 * the ones of every request body): the reader stops at the first key or
 * element past the limit, so an oversized object is never built. Text that
 * Warden wrote itself (its own answers, read back by wardenctl or a page
 * renderer) goes through json_parse_object, which counts nothing.
 */
#ifndef WARDEN_JSON_H
#define WARDEN_JSON_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 32

/* What stopped the reader; everything but the limits is a malformed text. */
enum json_problem {
    JSON_MALFORMED = 0,
    JSON_OPERATOR_KEY,       /* a key starting with '$' */
    JSON_TOO_MANY_KEYS,      /* an object past limits->max_keys */
    JSON_TOO_MANY_ELEMENTS,  /* an array past limits->max_elements */
};

/* How much one object or array may hold; 0 = no limit. */
struct json_limits {
    size_t max_keys;      /* keys of any one object, the top level's and nested ones */
    size_t max_elements;  /* elements of any one array */
};

struct json_error {
    size_t offset;              /* byte offset of the problem */
    char message[96];           /* e.g. "duplicate key 'name'" */
    char field[64];             /* top-level key whose value holds the problem, "" if none */
    enum json_problem problem;  /* JSON_MALFORMED unless a rule above was broken */
};

/**
 * Parse len bytes into out (initialised by the caller with bson_init, and
 * destroyed by the caller in every case), with no limit on counts. Returns
 * 0, or -1 with err filled.
 */
int json_parse_object(const char *text, size_t len, bson_t *out, struct json_error *err);

/**
 * json_parse_object within limits (NULL: none). Past a limit: -1 with
 * err->problem JSON_TOO_MANY_KEYS or JSON_TOO_MANY_ELEMENTS, and err->offset
 * on the first key or element too many.
 */
int json_parse_object_limited(const char *text, size_t len, const struct json_limits *limits,
                              bson_t *out, struct json_error *err);

#endif
