/*
 * store: the collections and their indexes.
 *
 * Every uniqueness rule of the data model rests on a unique index created
 * here, never on a read-then-write check. The per-collection modules
 * (src/store/<family>.c) are the only code that builds queries.
 */
#ifndef WARDEN_STORE_H
#define WARDEN_STORE_H

#include <bson/bson.h>
#include <stdbool.h>

struct db;

/** Create every collection's indexes; idempotent. */
bool store_create_indexes(struct db *db, bson_error_t *e);

#endif
