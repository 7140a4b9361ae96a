/*
 * json: strict JSON text to BSON, for request bodies.
 *
 * Stricter than bson_new_from_json on purpose: the top level must be an
 * object; nesting is limited to JSON_MAX_DEPTH; strings must be valid UTF-8
 * and free of NUL; duplicate keys and keys starting with '$' are refused, so
 * nothing a client sends can turn into a query operator or an extended-JSON
 * wrapper. Integers that fit become Int64, every other number a double.
 */
#ifndef WARDEN_JSON_H
#define WARDEN_JSON_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 32

struct json_error {
    size_t offset;      /* byte offset of the problem */
    char message[96];   /* e.g. "duplicate key 'name'" */
    char field[64];     /* top-level key whose value holds the problem, "" if none */
    bool operator_key;  /* the problem is a key starting with '$' */
};

/**
 * Parse len bytes into out (initialised by the caller with bson_init, and
 * destroyed by the caller in every case). Returns 0, or -1 with err filled.
 */
int json_parse_object(const char *text, size_t len, bson_t *out, struct json_error *err);

#endif
