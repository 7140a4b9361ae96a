/*
 * doc: typed reads of one key of a BSON document.
 *
 * Stored documents may have been written by another release, by hand, or by
 * the game server: every reader checks the type and answers a fallback
 * rather than trusting it, and a double outside int64's range is not cast.
 */
#ifndef WARDEN_DOC_H
#define WARDEN_DOC_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Typed readers: the value of key in doc, or the fallback when absent or of another type. */
/** Copy a string into out (truncated to size); returns false (and "" in out) when absent/null. */
bool doc_string(const bson_t *doc, const char *key, char *out, size_t size);
int64_t doc_int(const bson_t *doc, const char *key, int64_t fallback);
double doc_double(const bson_t *doc, const char *key, double fallback);
bool doc_bool(const bson_t *doc, const char *key, bool fallback);
/** Milliseconds since the epoch of a BSON date. */
int64_t doc_date(const bson_t *doc, const char *key, int64_t fallback);
/** Whether key is present and not null. */
bool doc_has(const bson_t *doc, const char *key);

#endif
