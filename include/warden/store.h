/*
 * store: what every collection module shares: result codes, the kind of a
 * database error, the schema (indexes and the marker saying they are in
 * place), and small typed readers for documents coming back from the
 * database.
 *
 * Every uniqueness rule of the data model rests on a unique index created by
 * store_create_indexes, never on a read-then-write check. The
 * per-collection modules (src/store/<family>.c, headers in
 * include/warden/store/) are the only code that builds queries, and this
 * module the only one that reads the driver's error domains and codes.
 */
#ifndef WARDEN_STORE_H
#define WARDEN_STORE_H

#include <mongoc/mongoc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

enum store_status {
    STORE_OK = 0,
    STORE_NOT_FOUND,
    STORE_DUPLICATE,   /* a unique index refused the write */
    STORE_ERROR,       /* see the bson_error_t; store_error_kind says what it was */
    /* The next two are answers of store_error_kind only: store calls return
     * STORE_ERROR, so that `== STORE_ERROR` tests every failure. */
    STORE_UNAVAILABLE, /* unreachable, shutting down, or past a time limit: try again later */
    STORE_SCHEMA_MISSING, /* the schema marker is absent or older (store_schema_ready) */
};

/**
 * What a failed database call's error was: STORE_DUPLICATE (duplicate key,
 * 11000), STORE_UNAVAILABLE (server selection, network, "not primary",
 * shutdown, a query past its time limit), STORE_SCHEMA_MISSING (the error
 * store_schema_ready fills when the marker is missing), else STORE_ERROR.
 */
enum store_status store_error_kind(const bson_error_t *e);

/* The domain and code of the error store_schema_ready fills when the schema
 * marker is missing; no driver domain is this large. */
#define STORE_ERROR_DOMAIN 0x57415244u /* "WARD" */
#define STORE_ERROR_CODE_SCHEMA_MISSING 1u

/*
 * The schema: the indexes of src/store/schema.c, then a marker document
 * {_id: "schema", version: N} in the collection warden_meta, written only
 * once every index is in place. N (STORE_SCHEMA_VERSION there) grows
 * whenever the index list changes, so a database set up by an older release
 * lacks a current marker until the new release's set-up has run.
 */

/**
 * Put the schema in place: every collection's indexes, then the marker
 * (raising an older version, never lowering a newer one); it does the work
 * on every call (idempotent on the server). Only set-up calls it: the
 * pool's master before it forks the workers (or the process it forks to
 * retry while the database is down), `wardenctl migrate`, the benchmark's
 * seed. Returns true, or false with e filled.
 */
bool store_schema_ensure(struct db *db, bson_error_t *e);
/**
 * Whether the schema is in place: one read of the marker by _id, until it
 * has been seen once in this process (then no query at all: true is
 * cached, false never is). Workers and wardenctl's commands call it before
 * touching data. False with e filled: a database error, or the domain and
 * code STORE_ERROR_DOMAIN/STORE_ERROR_CODE_SCHEMA_MISSING (store_error_kind
 * says STORE_SCHEMA_MISSING) when the marker is absent or older than this
 * release's schema.
 */
bool store_schema_ready(struct db *db, bson_error_t *e);
/**
 * Drop the secondary indexes an earlier release created and no query uses
 * any more, where they exist; returns how many were dropped, or -1 with e
 * filled.
 */
int store_drop_retired_indexes(struct db *db, bson_error_t *e);

/** Called by store_backfill after each step: what it covered and how many documents it looked at. */
typedef void (*store_backfill_report_fn)(const char *step, int64_t written, void *ctx);
/**
 * Write the claims and postings that data stored by an earlier release
 * lacks (src/store/backfill.c); idempotent. Returns false with e filled.
 */
bool store_backfill(struct db *db, store_backfill_report_fn report, void *ctx, bson_error_t *e);

/**
 * Insert fields under a new snowflake _id (into *id). A duplicate key means
 * two wardenctl runs drew the same id in one millisecond (they share a
 * process field): it draws again, as a unique-key insert should.
 */
enum store_status store_insert_new_id(struct db *db, const char *collection, const bson_t *fields,
                                      int64_t *id, bson_error_t *e);

/** Insert doc; a duplicate key (11000) is STORE_DUPLICATE. */
enum store_status store_insert(mongoc_collection_t *c, const bson_t *doc, bson_error_t *e);
/**
 * First document matching filter (opts may carry a projection or sort) copied
 * into out (bson_init'ed by the caller, destroyed by the caller).
 */
enum store_status store_find_one(mongoc_collection_t *c, const bson_t *filter, const bson_t *opts,
                                 bson_t *out, bson_error_t *e);
/** Called by store_each for every document; return false to stop early. */
typedef bool (*store_doc_fn)(const bson_t *doc, void *ctx);
/** Run a find (opts: sort, skip, limit, projection) and call fn on each document. */
enum store_status store_each(mongoc_collection_t *c, const bson_t *filter, const bson_t *opts,
                             store_doc_fn fn, void *ctx, bson_error_t *e);
/**
 * Run a find and turn each document into an item of item_size bytes with
 * fill. *items is malloc'ed (free it, also on error), *n its length.
 */
enum store_status store_collect(mongoc_collection_t *c, const bson_t *filter, const bson_t *opts,
                                size_t item_size, void (*fill)(const bson_t *doc, void *item),
                                void **items, size_t *n, bson_error_t *e);
/** Build find options: sort ascending by up to two keys (NULL to skip), skip and limit (0 = none). */
void store_find_opts(bson_t *opts, const char *sort1, const char *sort2, int64_t skip, int64_t limit);

/** update_one; STORE_NOT_FOUND when nothing matched. */
enum store_status store_update_one(mongoc_collection_t *c, const bson_t *filter,
                                   const bson_t *update, bson_error_t *e);
/** delete_one / delete_many; *deleted (may be NULL) gets the count. */
enum store_status store_delete(mongoc_collection_t *c, const bson_t *filter, bool many,
                               int64_t *deleted, bson_error_t *e);

/*
 * Keys. Every query a request makes is an equality or a range on _id (see
 * README, Data): lookups by anything else go through claim collections
 * whose string _id starts with the looked-up value, and a "prefix range"
 * reads the keys that start with a prefix, in _id (byte) order. Prefixes
 * end with a separator (':' or '/') chosen so that no key of another owner
 * can start with the same prefix.
 */

/** Width of a zero-padded id: string order of padded ids is numeric order. */
#define STORE_ID_DIGITS 20
/** A non-negative id as STORE_ID_DIGITS decimal digits. */
void store_pad_id(int64_t id, char out[STORE_ID_DIGITS + 1]);
/** The id that store_pad_id wrote at the start of s, or -1 when there is none. */
int64_t store_unpad_id(const char *s);

/**
 * Append {_id: {$gte: prefix + from, $lt: end of prefix}} to filter: the
 * keys that start with prefix, from prefix+from on (from may be NULL or "").
 * With after set, the bound is $gt instead of $gte. The prefix "" reads
 * every string key.
 */
void store_prefix_filter(bson_t *filter, const char *prefix, const char *from, bool after);

/**
 * Call fn on the documents whose _id starts with prefix, in _id order
 * (descending when descending is set), at most limit of them (0: all,
 * read in batches so that no single query reads the whole range).
 * projection may be NULL.
 */
enum store_status store_prefix_each(mongoc_collection_t *c, const char *prefix,
                                    const bson_t *projection, bool descending, int64_t limit,
                                    store_doc_fn fn, void *ctx, bson_error_t *e);

/** store_prefix_each ascending and whole, from the key prefix+from on. */
enum store_status store_prefix_each_from(mongoc_collection_t *c, const char *prefix,
                                         const char *from, const bson_t *projection,
                                         store_doc_fn fn, void *ctx, bson_error_t *e);

/** The document with the greatest _id that starts with prefix into out (bson_init'ed; NOT_FOUND). */
enum store_status store_prefix_newest(mongoc_collection_t *c, const char *prefix, bson_t *out,
                                      bson_error_t *e);

/** Delete every document whose _id starts with prefix; *deleted (may be NULL) gets the count. */
enum store_status store_prefix_delete(mongoc_collection_t *c, const char *prefix,
                                      int64_t *deleted, bson_error_t *e);

/**
 * Insert docs, ignoring duplicates (an unordered insert_many: the keys
 * already present stay as they are). For claim and posting documents,
 * whose _id says all there is to say.
 */
enum store_status store_insert_claims(mongoc_collection_t *c, const bson_t *const *docs, size_t n,
                                      bson_error_t *e);
/** store_insert_claims, then bson_destroy of each of docs (made with bson_new). */
enum store_status store_insert_claims_owned(mongoc_collection_t *c, bson_t **docs, size_t n,
                                            bson_error_t *e);

/** A list of _ids being appended to a filter as {_id: {$in: [...]}}. */
struct store_in {
    bson_t id, list;
    uint32_t n;
    char key[16];
};
/** Open {_id: {$in: [ in filter; append ids with store_in_utf8/int64, close with store_in_end. */
void store_in_begin(bson_t *filter, struct store_in *in);
void store_in_utf8(struct store_in *in, const char *id);
void store_in_int64(struct store_in *in, int64_t id);
void store_in_end(bson_t *filter, struct store_in *in);

/**
 * Called by store_walk with each batch of documents, in _id order (the
 * walk destroys them afterwards). STORE_OK goes on; STORE_NOT_FOUND ends
 * the walk as done; any other status ends it and is returned.
 */
typedef enum store_status (*store_batch_fn)(struct db *db, bson_t **docs, size_t n, void *ctx,
                                            bson_error_t *e);
/**
 * Walk collection in _id order, batch documents at a time: each query is
 * {_id: {$gt: <the last _id seen>}} sorted by _id and limited, which the
 * _id index serves whatever the _id type (one type per collection).
 * projection may be NULL; *seen (may be NULL) counts the documents read.
 */
enum store_status store_walk(struct db *db, const char *collection, const bson_t *projection,
                             size_t batch, store_batch_fn fn, void *ctx, int64_t *seen,
                             bson_error_t *e);


#endif
