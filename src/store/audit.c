/*
 * store/audit: the audit log read newest first, and its postings (see
 * include/warden/store/audit.h). Every query here is a range or a $in on
 * _id, sorted by _id: what the _id index serves on MongoDB and on the
 * patched FerretDB alike.
 */
#include "warden/store/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/mem.h"
#include "warden/snowflake.h"
#include "warden/store/db.h"

#define LOG "audit_log"
#define KEYS "audit_keys"
/* Entries fetched by one $in query: a batch of postings' worth. */
#define FETCH_BATCH 64
/* Entries read per batch of the backfill's walk. */
#define BACKFILL_BATCH 256
/* Postings read per query of a filtered read's walk down its list. */
#define LIST_BATCH 256
/* A key: kind, an escaped value (at most 3 bytes per byte of the value
 * fields below), separators and the padded id. Longer values are cut,
 * the same way when written and when read. */
#define VALUE_MAX 256
#define TARGET_MAX (2 * VALUE_MAX + 1)
#define KEY_SIZE (8 + 3 * TARGET_MAX + 2 + STORE_ID_DIGITS + 1)
/* Postings of one entry: actor id, actor name, action, target. */
#define POSTINGS_MAX 4

/* The values an entry is found by, as text. */
struct audit_values {
    char actor_id[64];
    char actor_name[VALUE_MAX];
    char action[VALUE_MAX];
    char target[TARGET_MAX]; /* "<type>:<id>" */
};

/* "<kind>:<escaped value>:" into out (KEY_SIZE bytes). */
static void list_prefix(const char *kind, const char *value, char *out)
{
    size_t n = (size_t)snprintf(out, KEY_SIZE, "%s:", kind);
    for (const char *p = value; *p && n + 4 < KEY_SIZE - STORE_ID_DIGITS - 1; p++) {
        if (*p == '%' || *p == ':')
            n += (size_t)snprintf(out + n, KEY_SIZE - n, "%%%02x", (unsigned char)*p);
        else
            out[n++] = *p;
    }
    out[n++] = ':';
    out[n] = '\0';
}

static void posting_key(const char *prefix, int64_t id, char *out)
{
    size_t len = strlen(prefix);
    memcpy(out, prefix, len);
    store_pad_id(id, out + len);
}

static void copy_value(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s ? s : "");
}

static void values_of_entry(const struct audit_entry *entry, struct audit_values *v)
{
    if (entry->actor.game_id)
        copy_value(v->actor_id, sizeof v->actor_id, entry->actor.game_id);
    else
        snprintf(v->actor_id, sizeof v->actor_id, "%lld", (long long)entry->actor.chat_id);
    copy_value(v->actor_name, sizeof v->actor_name, entry->actor.name);
    copy_value(v->action, sizeof v->action, entry->action);
    snprintf(v->target, sizeof v->target, "%s:%s", entry->target_type ? entry->target_type : "",
             entry->target_id ? entry->target_id : "");
}

/* The text of doc's dotted path (a string, or an integer in decimal); "" when neither. */
static void path_text(const bson_t *doc, const char *path, char *out, size_t size)
{
    bson_iter_t it, at;
    out[0] = '\0';
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &at))
        return;
    if (BSON_ITER_HOLDS_UTF8(&at))
        copy_value(out, size, bson_iter_utf8(&at, NULL));
    else if (BSON_ITER_HOLDS_INT64(&at) || BSON_ITER_HOLDS_INT32(&at))
        snprintf(out, size, "%lld", (long long)bson_iter_as_int64(&at));
}

static void values_of_doc(const bson_t *doc, struct audit_values *v)
{
    char type[VALUE_MAX], id[VALUE_MAX];
    path_text(doc, "actor.id", v->actor_id, sizeof v->actor_id);
    path_text(doc, "actor.name", v->actor_name, sizeof v->actor_name);
    path_text(doc, "action", v->action, sizeof v->action);
    path_text(doc, "target.type", type, sizeof type);
    path_text(doc, "target.id", id, sizeof id);
    snprintf(v->target, sizeof v->target, "%s:%s", type, id);
}

/* The posting documents of entry id (bson_new'ed); returns how many. */
static size_t postings(int64_t id, const struct audit_values *v, bson_t *docs[POSTINGS_MAX])
{
    const char *kinds[POSTINGS_MAX] = {"actor", "actor", "action", "target"};
    const char *values[POSTINGS_MAX] = {v->actor_id, v->actor_name, v->action, v->target};
    size_t n = 0;
    for (size_t i = 0; i < POSTINGS_MAX; i++) {
        /* An empty name, or a name that is the id, needs no list of its own. */
        if (i == 1 && (!v->actor_name[0] || strcmp(v->actor_name, v->actor_id) == 0))
            continue;
        char prefix[KEY_SIZE], key[KEY_SIZE];
        list_prefix(kinds[i], values[i], prefix);
        posting_key(prefix, id, key);
        docs[n] = bson_new();
        BSON_APPEND_UTF8(docs[n], "_id", key);
        n++;
    }
    return n;
}

enum store_status store_audit_postings(struct db *db, int64_t id, const struct audit_entry *entry,
                                       bson_error_t *e)
{
    struct audit_values v;
    values_of_entry(entry, &v);
    bson_t *docs[POSTINGS_MAX];
    size_t n = postings(id, &v, docs);
    return store_insert_claims_owned(db_collection(db, KEYS), docs, n, e);
}

static enum store_status backfill_batch(struct db *db, bson_t **docs, size_t n, void *ctx,
                                        bson_error_t *e)
{
    (void)ctx;
    bson_t **keys = mem_calloc(n * POSTINGS_MAX, sizeof *keys);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bson_iter_t it;
        if (!bson_iter_init_find(&it, docs[i], "_id") || !BSON_ITER_HOLDS_INT64(&it))
            continue; /* not an entry of ours */
        struct audit_values v;
        values_of_doc(docs[i], &v);
        k += postings(bson_iter_int64(&it), &v, keys + k);
    }
    enum store_status s = store_insert_claims_owned(db_collection(db, KEYS), keys, k, e);
    free(keys);
    return s;
}

enum store_status store_audit_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    return store_walk(db, LOG, NULL, BACKFILL_BATCH, backfill_batch, NULL, written, e);
}

/* --- reading ----------------------------------------------------------------- */

/* The least snowflake of a time (ms since 1970); 0 for times before the epoch. */
static bool matches(const bson_t *doc, const struct audit_query *q)
{
    struct audit_values v;
    values_of_doc(doc, &v);
    if (q->actor && strcmp(q->actor, v.actor_id) != 0 && strcmp(q->actor, v.actor_name) != 0)
        return false;
    if (q->action && strcmp(q->action, v.action) != 0)
        return false;
    return !(q->target && strcmp(q->target, v.target) != 0);
}

struct reader {
    struct db *db;
    const struct audit_query *q;
    store_audit_fn fn;
    void *ctx;
    int64_t emitted;
    bool stop;          /* the limit is reached, or fn asked to stop */
    int64_t since_id;
    size_t prefix_len;
    int64_t ids[FETCH_BATCH]; /* postings not fetched yet, newest first */
    size_t n;
    enum store_status s;
    bson_error_t *e;
};

static void emit(struct reader *r, const bson_t *doc)
{
    if (r->stop || !matches(doc, r->q))
        return;
    r->emitted++;
    if (!r->fn(doc, r->ctx) || r->emitted >= r->q->limit)
        r->stop = true;
}

struct fetched {
    bson_t **docs;
    size_t n;
};

static bool keep(const bson_t *doc, void *ctx)
{
    struct fetched *f = ctx;
    f->docs[f->n++] = bson_copy(doc);
    return f->n < FETCH_BATCH;
}

/* The entries of r->ids, by $in on _id, each emitted in the postings' (newest first) order. */
static enum store_status flush(struct reader *r)
{
    if (r->n == 0)
        return STORE_OK;
    bson_t filter = BSON_INITIALIZER;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = 0; i < r->n; i++)
        store_in_int64(&in, r->ids[i]);
    store_in_end(&filter, &in);
    bson_t *docs[FETCH_BATCH];
    struct fetched f = {docs, 0};
    enum store_status s = store_each(db_collection(r->db, LOG), &filter, NULL, keep, &f, r->e);
    bson_destroy(&filter);
    for (size_t i = 0; s == STORE_OK && i < r->n; i++) {
        for (size_t k = 0; k < f.n; k++) {
            bson_iter_t it;
            if (bson_iter_init_find(&it, docs[k], "_id") && BSON_ITER_HOLDS_INT64(&it) &&
                bson_iter_int64(&it) == r->ids[i]) {
                emit(r, docs[k]);
                break;
            }
        }
    }
    for (size_t k = 0; k < f.n; k++)
        bson_destroy(docs[k]);
    r->n = 0;
    return s;
}

static bool posting_step(const bson_t *doc, void *ctx)
{
    struct reader *r = ctx;
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
        return true;
    uint32_t len;
    const char *key = bson_iter_utf8(&it, &len);
    if (len != r->prefix_len + STORE_ID_DIGITS)
        return true; /* not a posting of this list */
    int64_t id = store_unpad_id(key + r->prefix_len);
    if (id < 0)
        return true;
    if (id < r->since_id)
        return false; /* older than --since, as is the rest of the list */
    r->ids[r->n++] = id;
    if (r->n == FETCH_BATCH) {
        r->s = flush(r);
        if (r->s != STORE_OK || r->stop)
            return false;
    }
    return true;
}

static bool entry_step(const bson_t *doc, void *ctx)
{
    struct reader *r = ctx;
    emit(r, doc);
    return !r->stop;
}

/* The exclusive upper bound on ids that q sets; INT64_MAX when it sets none. */
static int64_t upper_id(const struct audit_query *q)
{
    int64_t upper = INT64_MAX;
    if (q->until_ms > 0)
        upper = snowflake_first_id_at(q->until_ms);
    if (q->below_id > 0 && q->below_id < upper)
        upper = q->below_id;
    return upper;
}

/* Newest first: the _id index read downwards from the upper bound, down to --since. */
static enum store_status read_log(struct reader *r, int64_t upper)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, range, sort;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
    BSON_APPEND_INT64(&range, "$gte", r->since_id);
    if (upper < INT64_MAX)
        BSON_APPEND_INT64(&range, "$lt", upper);
    bson_append_document_end(&filter, &range);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, "_id", -1);
    bson_append_document_end(&opts, &sort);
    BSON_APPEND_INT64(&opts, "limit", r->q->limit);
    enum store_status s = store_each(db_collection(r->db, LOG), &filter, &opts, entry_step, r, r->e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}

struct list_batch {
    struct reader *r;
    char last[KEY_SIZE]; /* the lowest key seen so far */
    int64_t seen;
    bool stopped;
};

static bool list_step(const bson_t *doc, void *ctx)
{
    struct list_batch *b = ctx;
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(b->last, sizeof b->last, "%s", bson_iter_utf8(&it, NULL));
    b->seen++;
    if (!posting_step(doc, b->r))
        b->stopped = true;
    return !b->stopped;
}

/*
 * The list under prefix walked downwards, a batch of keys at a time, from
 * the posting of the upper bound (or the list's end) down to that of
 * --since: {_id: {$gte: "<prefix><since>", $lt: <upper key, then the last
 * key seen>}} sorted descending.
 */
static enum store_status read_list(struct reader *r, const char *prefix, int64_t upper)
{
    struct list_batch b = {.r = r};
    char low[KEY_SIZE];
    posting_key(prefix, r->since_id, low);
    if (upper < INT64_MAX) {
        posting_key(prefix, upper, b.last);
    } else {
        /* The list's end: the prefix with its final ':' raised to ';'. */
        snprintf(b.last, sizeof b.last, "%s", prefix);
        b.last[strlen(b.last) - 1] = ';';
    }
    for (;;) {
        bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, range, sort;
        BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
        BSON_APPEND_UTF8(&range, "$gte", low);
        BSON_APPEND_UTF8(&range, "$lt", b.last);
        bson_append_document_end(&filter, &range);
        BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
        BSON_APPEND_INT32(&sort, "_id", -1);
        bson_append_document_end(&opts, &sort);
        BSON_APPEND_INT64(&opts, "limit", LIST_BATCH);
        b.seen = 0;
        enum store_status s = store_each(db_collection(r->db, KEYS), &filter, &opts, list_step, &b, r->e);
        bson_destroy(&filter);
        bson_destroy(&opts);
        if (s != STORE_OK)
            return s;
        if (r->s != STORE_OK || b.stopped || b.seen < LIST_BATCH)
            return r->s;
    }
}

enum store_status store_audit_list(struct db *db, const struct audit_query *q, store_audit_fn fn,
                                   void *ctx, bson_error_t *e)
{
    struct reader r = {.db = db, .q = q, .fn = fn, .ctx = ctx, .since_id = snowflake_first_id_at(q->since_ms),
                       .s = STORE_OK, .e = e};
    int64_t upper = upper_id(q);
    if (q->limit <= 0 || upper <= r.since_id)
        return STORE_OK;
    const char *kind = q->target ? "target" : q->actor ? "actor" : q->action ? "action" : NULL;
    if (!kind)
        return read_log(&r, upper);
    char prefix[KEY_SIZE];
    list_prefix(kind, q->target ? q->target : q->actor ? q->actor : q->action, prefix);
    r.prefix_len = strlen(prefix);
    enum store_status s = read_list(&r, prefix, upper);
    if (s == STORE_OK && !r.stop)
        s = flush(&r);
    return s;
}
