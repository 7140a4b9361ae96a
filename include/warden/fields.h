/*
 * fields: strict, typed reading of request bodies (parsed into BSON).
 *
 * A handler declares its fields once (name, type, required, bounds, format)
 * and fields_validate checks the whole body against them before any value
 * is used: unknown keys, missing or null values, wrong types, lengths and
 * ranges each produce an error naming the field. Only after a clean
 * validation do the typed getters run, so a value of the wrong type (an
 * operator object such as {"$gt": ""} included) can never reach a query.
 *
 * Messages follow the chat API's (Cerberus) wording: "required field",
 * "unknown field", "null value not allowed", "must be of string type",
 * "min length is N", ...
 *
 * null is never "absent": a field given as null is refused with "null value
 * not allowed", in both APIs, unless its rule carries FIELD_NULLABLE. Only
 * fields the APIs call nullable (README, "APIs") carry it: of every route,
 * POST /guilds' region alone ("an existing region or null").
 */
#ifndef WARDEN_FIELDS_H
#define WARDEN_FIELDS_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


struct arena;

enum field_kind {
    FIELD_STRING,
    FIELD_INTEGER,  /* Int32 or Int64; 1.0 is not an integer */
    FIELD_BOOLEAN,
    FIELD_NUMBER,   /* integer or double */
    FIELD_LIST,     /* array */
};

#define FIELD_REQUIRED 1u
#define FIELD_NULLABLE 2u     /* null is a value (only where the spec says so; see above) */
#define FIELD_BOUNDED 4u      /* min/max apply (length of strings and lists, value of numbers) */

struct field_rule {
    const char *name;
    enum field_kind kind;
    unsigned flags;
    int64_t min, max;
    /* Extra format check for strings; check_message is used when it fails. */
    bool (*check)(const char *s, size_t len);
    /* For a bounded integer or number, a check_message replaces "min value is
     * N" / "max value is N" for a value out of range: a message that states
     * the whole rule ("must be an integer in 0..255"). */
    const char *check_message;
};

/* One invalid field: errors.h renders a list of them in the API's shape. */
struct field_error {
    const char *field;
    const char *message;
};

#define FIELDS_MAX_ERRORS 16

struct field_errors {
    struct field_error items[FIELDS_MAX_ERRORS];
    size_t n;
};

/* Options for fields_validate. */
#define FIELDS_ALLOW_UNKNOWN 1u     /* ignore keys no rule names */
#define FIELDS_CASE_INSENSITIVE 2u  /* match keys ignoring ASCII case (the game API) */

/**
 * Check doc against rules. Returns the number of errors (0 = valid); the
 * errors are in out, their strings in the arena.
 */
size_t fields_validate(const bson_t *doc, const struct field_rule *rules, size_t n_rules,
                       unsigned options, struct field_errors *out, struct arena *a);

/** Add one error by hand (e.g. after a cross-field check). */
void fields_error(struct field_errors *errors, const char *field, const char *message);

/* Getters for validated documents. Key matching follows the same options. */
/** The string value, or NULL when absent or null. *len may be NULL. */
const char *fields_string(const bson_t *doc, const char *name, unsigned options, uint32_t *len);
/** true and *out when an integer is present. */
bool fields_int(const bson_t *doc, const char *name, unsigned options, int64_t *out);
/** true and *out when a boolean is present. */
bool fields_bool(const bson_t *doc, const char *name, unsigned options, bool *out);
/** true and *out when a number is present. */
bool fields_number(const bson_t *doc, const char *name, unsigned options, double *out);
/** true and an iterator positioned on the value when the key is present (any type). */
bool fields_find(const bson_t *doc, const char *name, unsigned options, bson_iter_t *it);

#endif
