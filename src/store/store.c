/*
 * store: shared helpers for the collection modules (see include/warden/store.h).
 */
#include "warden/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/store/db.h"
#include "warden/mem.h"
#include "warden/snowflake.h"

static bool is_duplicate(const bson_error_t *e)
{
    return e->code == 11000 || e->code == 11001;
}

enum store_status store_error_kind(const bson_error_t *e)
{
    if (e->domain == STORE_ERROR_DOMAIN)
        return e->code == STORE_ERROR_CODE_SCHEMA_MISSING ? STORE_SCHEMA_MISSING : STORE_ERROR;
    if (is_duplicate(e))
        return STORE_DUPLICATE;
    switch (e->domain) {
    case MONGOC_ERROR_SERVER_SELECTION:
    case MONGOC_ERROR_STREAM:
    case MONGOC_ERROR_CLIENT:
    /* A write the majority did not confirm within wtimeout (db.c): the
     * replica set is degraded, which is an outage, not a bug. */
    case MONGOC_ERROR_WRITE_CONCERN:
        return STORE_UNAVAILABLE;
    default:
        break;
    }
    /* Server-side "not primary", "shutdown in progress", "interrupted at shutdown",
     * and 50, a query past its time limit (STORE_MAX_TIME_MS): the database is too busy. */
    if (e->code == 10107 || e->code == 13435 || e->code == 11600 || e->code == 91 ||
        e->code == 189 || e->code == 50)
        return STORE_UNAVAILABLE;
    return STORE_ERROR;
}

enum store_status store_insert(mongoc_collection_t *c, const bson_t *doc, bson_error_t *e)
{
    if (mongoc_collection_insert_one(c, doc, NULL, NULL, e))
        return STORE_OK;
    return is_duplicate(e) ? STORE_DUPLICATE : STORE_ERROR;
}

/*
 * Every read carries a server-side time limit: a query the server gives up
 * on fails with error 50 (answered 503) instead of running on after the
 * client's socket timeout, and after the driver's retry of it, for nobody.
 */
#define STORE_MAX_TIME_MS 8000

enum store_status store_insert_new_id(struct db *db, const char *collection, const bson_t *fields,
                                      int64_t *id, bson_error_t *e)
{
    enum store_status s = STORE_DUPLICATE;
    for (int attempt = 0; attempt < 8 && s == STORE_DUPLICATE; attempt++) {
        bson_t doc = BSON_INITIALIZER;
        *id = snowflake_next();
        BSON_APPEND_INT64(&doc, "_id", *id);
        bson_concat(&doc, fields);
        s = store_insert(db_collection(db, collection), &doc, e);
        bson_destroy(&doc);
    }
    return s;
}

static void limited_opts(const bson_t *opts, bson_t *out, const char *drop)
{
    if (opts)
        bson_copy_to_excluding_noinit(opts, out, drop ? drop : "", NULL);
    if (!opts || !bson_has_field(opts, "maxTimeMS"))
        BSON_APPEND_INT64(out, "maxTimeMS", STORE_MAX_TIME_MS);
}

enum store_status store_find_one(mongoc_collection_t *c, const bson_t *filter, const bson_t *opts,
                                 bson_t *out, bson_error_t *e)
{
    bson_t local_opts = BSON_INITIALIZER;
    limited_opts(opts, &local_opts, "limit");
    BSON_APPEND_INT64(&local_opts, "limit", 1);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, &local_opts, NULL);
    bson_destroy(&local_opts);
    const bson_t *doc;
    enum store_status status = STORE_NOT_FOUND;
    if (mongoc_cursor_next(cursor, &doc)) {
        bson_concat(out, doc);
        status = STORE_OK;
    } else if (mongoc_cursor_error(cursor, e)) {
        status = STORE_ERROR;
    }
    mongoc_cursor_destroy(cursor);
    return status;
}

enum store_status store_each(mongoc_collection_t *c, const bson_t *filter, const bson_t *opts,
                             store_doc_fn fn, void *ctx, bson_error_t *e)
{
    bson_t local_opts = BSON_INITIALIZER;
    limited_opts(opts, &local_opts, NULL);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, &local_opts, NULL);
    const bson_t *doc;
    while (mongoc_cursor_next(cursor, &doc))
        if (!fn(doc, ctx))
            break;
    enum store_status s = mongoc_cursor_error(cursor, e) ? STORE_ERROR : STORE_OK;
    mongoc_cursor_destroy(cursor);
    bson_destroy(&local_opts);
    return s;
}

struct collector {
    size_t item_size;
    void (*fill)(const bson_t *, void *);
    char *items;
    size_t n, cap;
};

static bool collect_one(const bson_t *doc, void *ctx)
{
    struct collector *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->items = mem_realloc(c->items, c->cap * c->item_size);
    }
    c->fill(doc, c->items + c->n++ * c->item_size);
    return true;
}

enum store_status store_collect(mongoc_collection_t *c, const bson_t *filter, const bson_t *opts,
                                size_t item_size, void (*fill)(const bson_t *doc, void *item),
                                void **items, size_t *n, bson_error_t *e)
{
    struct collector col = {item_size, fill, NULL, 0, 0};
    enum store_status s = store_each(c, filter, opts, collect_one, &col, e);
    *items = col.items;
    *n = col.n;
    return s;
}

void store_find_opts(bson_t *opts, const char *sort1, const char *sort2, int64_t skip, int64_t limit)
{
    if (sort1) {
        bson_t sort;
        BSON_APPEND_DOCUMENT_BEGIN(opts, "sort", &sort);
        BSON_APPEND_INT32(&sort, sort1, 1);
        if (sort2)
            BSON_APPEND_INT32(&sort, sort2, 1);
        bson_append_document_end(opts, &sort);
    }
    if (skip > 0)
        BSON_APPEND_INT64(opts, "skip", skip);
    if (limit > 0)
        BSON_APPEND_INT64(opts, "limit", limit);
}

enum store_status store_update_one(mongoc_collection_t *c, const bson_t *filter,
                                   const bson_t *update, bson_error_t *e)
{
    bson_t reply;
    bool ok = mongoc_collection_update_one(c, filter, update, NULL, &reply, e);
    enum store_status status = STORE_OK;
    if (!ok) {
        status = is_duplicate(e) ? STORE_DUPLICATE : STORE_ERROR;
    } else {
        bson_iter_t it;
        if (bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) == 0)
            status = STORE_NOT_FOUND;
    }
    bson_destroy(&reply);
    return status;
}

enum store_status store_delete(mongoc_collection_t *c, const bson_t *filter, bool many,
                               int64_t *deleted, bson_error_t *e)
{
    bson_t reply;
    bool ok = many ? mongoc_collection_delete_many(c, filter, NULL, &reply, e)
                   : mongoc_collection_delete_one(c, filter, NULL, &reply, e);
    if (ok && deleted) {
        bson_iter_t it;
        *deleted = bson_iter_init_find(&it, &reply, "deletedCount") ? bson_iter_as_int64(&it) : 0;
    }
    bson_destroy(&reply);
    return ok ? STORE_OK : STORE_ERROR;
}

void store_pad_id(int64_t id, char out[STORE_ID_DIGITS + 1])
{
    snprintf(out, STORE_ID_DIGITS + 1, "%020" PRId64, id < 0 ? (int64_t)0 : id);
}

int64_t store_unpad_id(const char *s)
{
    int64_t v = 0;
    for (int i = 0; i < STORE_ID_DIGITS; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - (s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The least string above every string that starts with prefix: the prefix
 * with its last byte raised by one (prefixes end with an ASCII separator). */
static char *prefix_end(const char *prefix)
{
    size_t len = strlen(prefix);
    char *end = mem_alloc(len + 1);
    memcpy(end, prefix, len + 1);
    if (len > 0)
        end[len - 1] = (char)(end[len - 1] + 1);
    return end;
}

void store_prefix_filter(bson_t *filter, const char *prefix, const char *from, bool after)
{
    char *end = prefix_end(prefix);
    size_t plen = strlen(prefix), flen = from ? strlen(from) : 0;
    char *start = mem_alloc(plen + flen + 1);
    memcpy(start, prefix, plen);
    if (flen)
        memcpy(start + plen, from, flen);
    start[plen + flen] = '\0';
    bson_t range;
    BSON_APPEND_DOCUMENT_BEGIN(filter, "_id", &range);
    BSON_APPEND_UTF8(&range, after ? "$gt" : "$gte", start);
    if (plen > 0) /* "": every string key (a string bound matches strings only) */
        BSON_APPEND_UTF8(&range, "$lt", end);
    bson_append_document_end(filter, &range);
    free(start);
    free(end);
}

/* A batch of a prefix walk, and where the next one starts. */
#define PREFIX_BATCH 256

struct prefix_walk {
    store_doc_fn fn;
    void *ctx;
    char *last;     /* the last _id seen (malloc'ed) */
    int64_t seen;   /* in this batch */
    bool stopped;   /* fn asked to stop */
};

static bool prefix_step(const bson_t *doc, void *ctx)
{
    struct prefix_walk *w = ctx;
    bson_iter_t it;
    w->seen++;
    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it)) {
        free(w->last);
        w->last = bson_strdup(bson_iter_utf8(&it, NULL));
    }
    if (!w->fn(doc, w->ctx)) {
        w->stopped = true;
        return false;
    }
    return true;
}

/* The walk of store_prefix_each; ascending, it starts at prefix+from (from may be NULL). */
static enum store_status walk_prefix(mongoc_collection_t *c, const char *prefix, const char *from,
                                     const bson_t *projection, bool descending, int64_t limit,
                                     store_doc_fn fn, void *ctx, bson_error_t *e)
{
    struct prefix_walk w = {fn, ctx, NULL, 0, false};
    size_t plen = strlen(prefix);
    int64_t left = limit;
    enum store_status s = STORE_OK;
    for (;;) {
        int64_t batch = left > 0 && left < PREFIX_BATCH ? left : PREFIX_BATCH;
        bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
        if (!descending) {
            store_prefix_filter(&filter, prefix, w.last ? w.last + plen : from, w.last != NULL);
        } else {
            /* Downwards: below the last key seen, down to the prefix itself. */
            char *end = prefix_end(prefix);
            bson_t range;
            BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
            BSON_APPEND_UTF8(&range, "$gte", prefix);
            if (w.last || plen > 0)
                BSON_APPEND_UTF8(&range, "$lt", w.last ? w.last : end);
            bson_append_document_end(&filter, &range);
            free(end);
        }
        BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
        BSON_APPEND_INT32(&sort, "_id", descending ? -1 : 1);
        bson_append_document_end(&opts, &sort);
        BSON_APPEND_INT64(&opts, "limit", batch);
        if (projection)
            BSON_APPEND_DOCUMENT(&opts, "projection", projection);
        w.seen = 0;
        s = store_each(c, &filter, &opts, prefix_step, &w, e);
        bson_destroy(&filter);
        bson_destroy(&opts);
        if (s != STORE_OK || w.stopped || w.seen < batch || !w.last)
            break;
        if (limit > 0 && (left -= w.seen) <= 0)
            break;
    }
    free(w.last);
    return s;
}

enum store_status store_prefix_each(mongoc_collection_t *c, const char *prefix,
                                    const bson_t *projection, bool descending, int64_t limit,
                                    store_doc_fn fn, void *ctx, bson_error_t *e)
{
    return walk_prefix(c, prefix, NULL, projection, descending, limit, fn, ctx, e);
}

enum store_status store_prefix_each_from(mongoc_collection_t *c, const char *prefix,
                                         const char *from, const bson_t *projection,
                                         store_doc_fn fn, void *ctx, bson_error_t *e)
{
    return walk_prefix(c, prefix, from, projection, false, 0, fn, ctx, e);
}

enum store_status store_prefix_newest(mongoc_collection_t *c, const char *prefix, bson_t *out,
                                      bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    store_prefix_filter(&filter, prefix, NULL, false);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, "_id", -1);
    bson_append_document_end(&opts, &sort);
    enum store_status s = store_find_one(c, &filter, &opts, out, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}

enum store_status store_prefix_delete(mongoc_collection_t *c, const char *prefix,
                                      int64_t *deleted, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    store_prefix_filter(&filter, prefix, NULL, false);
    enum store_status s = store_delete(c, &filter, true, deleted, e);
    bson_destroy(&filter);
    return s;
}

enum store_status store_insert_claims(mongoc_collection_t *c, const bson_t *const *docs, size_t n,
                                      bson_error_t *e)
{
    if (n == 0)
        return STORE_OK;
    bson_t opts = BSON_INITIALIZER, reply;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    bool ok = mongoc_collection_insert_many(c, (const bson_t **)docs, n, &opts, &reply, e);
    enum store_status s = STORE_OK;
    if (!ok) {
        /* Only duplicate keys are expected: any other write error fails. */
        bson_iter_t it, errors, one;
        s = is_duplicate(e) ? STORE_OK : STORE_ERROR;
        if (bson_iter_init_find(&it, &reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) &&
            bson_iter_recurse(&it, &errors)) {
            s = STORE_OK;
            while (bson_iter_next(&errors))
                if (BSON_ITER_HOLDS_DOCUMENT(&errors) && bson_iter_recurse(&errors, &one) &&
                    bson_iter_find(&one, "code") && bson_iter_as_int64(&one) != 11000)
                    s = STORE_ERROR;
        }
        if (bson_iter_init_find(&it, &reply, "writeConcernErrors"))
            s = STORE_ERROR;
    }
    bson_destroy(&reply);
    bson_destroy(&opts);
    return s;
}

void store_in_begin(bson_t *filter, struct store_in *in)
{
    BSON_APPEND_DOCUMENT_BEGIN(filter, "_id", &in->id);
    BSON_APPEND_ARRAY_BEGIN(&in->id, "$in", &in->list);
    in->n = 0;
}

static const char *in_key(struct store_in *in)
{
    const char *k;
    bson_uint32_to_string(in->n++, &k, in->key, sizeof in->key);
    return k;
}

/* (BSON_APPEND_* evaluate their key twice: it is taken first.) */
void store_in_utf8(struct store_in *in, const char *id)
{
    const char *k = in_key(in);
    BSON_APPEND_UTF8(&in->list, k, id);
}

void store_in_int64(struct store_in *in, int64_t id)
{
    const char *k = in_key(in);
    BSON_APPEND_INT64(&in->list, k, id);
}

void store_in_end(bson_t *filter, struct store_in *in)
{
    bson_append_array_end(&in->id, &in->list);
    bson_append_document_end(filter, &in->id);
}

struct walk_batch {
    bson_t **docs;
    size_t n, max;
};

static bool keep_doc(const bson_t *doc, void *ctx)
{
    struct walk_batch *b = ctx;
    if (b->n < b->max)
        b->docs[b->n++] = bson_copy(doc);
    return b->n < b->max;
}

enum store_status store_walk(struct db *db, const char *collection, const bson_t *projection,
                             size_t batch, store_batch_fn fn, void *ctx, int64_t *seen,
                             bson_error_t *e)
{
    struct walk_batch b = {mem_calloc(batch, sizeof *b.docs), 0, batch};
    bson_value_t last = {.value_type = BSON_TYPE_EOD};
    enum store_status s = STORE_OK;
    for (;;) {
        bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, range;
        if (last.value_type != BSON_TYPE_EOD) {
            BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
            BSON_APPEND_VALUE(&range, "$gt", &last);
            bson_append_document_end(&filter, &range);
        }
        store_find_opts(&opts, "_id", NULL, 0, (int64_t)batch);
        if (projection)
            BSON_APPEND_DOCUMENT(&opts, "projection", projection);
        b.n = 0;
        s = store_each(db_collection(db, collection), &filter, &opts, keep_doc, &b, e);
        bson_destroy(&filter);
        bson_destroy(&opts);
        bson_iter_t it;
        if (b.n && bson_iter_init_find(&it, b.docs[b.n - 1], "_id")) {
            bson_value_destroy(&last);
            bson_value_copy(bson_iter_value(&it), &last);
        }
        if (s == STORE_OK && b.n)
            s = fn(db, b.docs, b.n, ctx, e);
        if (seen)
            *seen += (int64_t)b.n;
        size_t n = b.n;
        for (size_t i = 0; i < n; i++)
            bson_destroy(b.docs[i]);
        if (s != STORE_OK || n < batch)
            break;
    }
    bson_value_destroy(&last);
    free(b.docs);
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

enum store_status store_insert_claims_owned(mongoc_collection_t *c, bson_t **docs, size_t n,
                                            bson_error_t *e)
{
    enum store_status s = store_insert_claims(c, (const bson_t *const *)docs, n, e);
    for (size_t i = 0; i < n; i++)
        bson_destroy(docs[i]);
    return s;
}

