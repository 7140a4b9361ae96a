/*
 * store/outbox: the relay's reads and insert-only records (see
 * include/warden/store/outbox.h).
 */
#include "warden/store/outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "warden/clock.h"
#include "warden/doc.h"
#include "warden/store/db.h"

static const char *const state_names[] = {
    [OUTBOX_DELIVERED] = "delivered",
    [OUTBOX_FAILED] = "failed",
    [OUTBOX_EXPIRED] = "expired",
    [OUTBOX_SKIPPED] = "skipped",
};

const char *outbox_state_name(enum outbox_state state)
{
    return state_names[state];
}

bool outbox_state_parse(const char *name, enum outbox_state *out)
{
    for (size_t i = 0; i < sizeof state_names / sizeof *state_names; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum outbox_state)i;
            return true;
        }
    return false;
}

void outbox_result_key(const char *outbox, int64_t id, char out[OUTBOX_KEY_SIZE])
{
    char pad[STORE_ID_DIGITS + 1];
    store_pad_id(id, pad);
    snprintf(out, OUTBOX_KEY_SIZE, "%s:%s", outbox, pad);
}

void outbox_attempt_key(const char *outbox, int64_t id, int attempt, char out[OUTBOX_KEY_SIZE])
{
    char pad[STORE_ID_DIGITS + 1];
    store_pad_id(id, pad);
    snprintf(out, OUTBOX_KEY_SIZE, "%s:%s:%06d", outbox, pad, attempt < 0 ? 0 : attempt);
}

void outbox_target_of(const char *outbox, const bson_t *doc, char *out, size_t size)
{
    if (strcmp(outbox, OUTBOX_GATEWAY) == 0) {
        if (doc_has(doc, "guild_id"))
            snprintf(out, size, "guild:%lld", (long long)doc_int(doc, "guild_id", 0));
        else if (doc_has(doc, "user_id"))
            snprintf(out, size, "user:%lld", (long long)doc_int(doc, "user_id", 0));
        else
            snprintf(out, size, "instance");
        return;
    }
    char id[80] = "";
    if (doc_string(doc, "player_id", id, sizeof id) && *id) {
        snprintf(out, size, "player:%s", id);
    } else {
        doc_string(doc, "user_id", id, sizeof id);
        snprintf(out, size, "user:%s", id);
    }
}

struct collected {
    bson_t **docs;
    size_t n, max;
};

static bool collect(const bson_t *doc, void *ctx)
{
    struct collected *c = ctx;
    if (c->n < c->max)
        c->docs[c->n++] = bson_copy(doc);
    return c->n < c->max;
}

/* Run a find of collection, copying up to limit documents into docs (*n of
 * them; none, all destroyed, on an error). Destroys filter and opts. */
static enum store_status find_into(struct db *db, const char *collection, bson_t *filter,
                                   bson_t *opts, size_t limit, bson_t **docs, size_t *n,
                                   bson_error_t *e)
{
    struct collected c = {docs, 0, limit};
    enum store_status s = store_each(db_collection(db, collection), filter, opts, collect, &c, e);
    bson_destroy(filter);
    bson_destroy(opts);
    *n = c.n;
    if (s != STORE_OK) {
        for (size_t i = 0; i < c.n; i++)
            bson_destroy(docs[i]);
        *n = 0;
    }
    return s;
}

/* {_id: {$gt: after, $lte: upto}} (no upper bound when upto is 0), sorted by _id, limited. */
static void id_range(int64_t after, int64_t upto, size_t limit, bson_t *filter, bson_t *opts)
{
    bson_t range;
    BSON_APPEND_DOCUMENT_BEGIN(filter, "_id", &range);
    BSON_APPEND_INT64(&range, "$gt", after);
    if (upto > 0)
        BSON_APPEND_INT64(&range, "$lte", upto);
    bson_append_document_end(filter, &range);
    store_find_opts(opts, "_id", NULL, 0, (int64_t)limit);
}

enum store_status store_outbox_read(struct db *db, const char *collection, int64_t after,
                                    int64_t upto, size_t limit, const bson_t *projection,
                                    bson_t **docs, size_t *n, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    id_range(after, upto, limit, &filter, &opts);
    if (projection)
        BSON_APPEND_DOCUMENT(&opts, "projection", projection);
    return find_into(db, collection, &filter, &opts, limit, docs, n, e);
}

struct id_list {
    int64_t *ids;
    size_t n, max;
};

static bool collect_id(const bson_t *doc, void *ctx)
{
    struct id_list *l = ctx;
    bson_iter_t it;
    if (l->n < l->max && bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_INT64(&it))
        l->ids[l->n++] = bson_iter_int64(&it);
    return l->n < l->max;
}

enum store_status store_outbox_read_ids(struct db *db, const char *collection, int64_t after,
                                        int64_t upto, size_t limit, int64_t *ids, size_t *n,
                                        bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, projection;
    id_range(after, upto, limit, &filter, &opts);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
    BSON_APPEND_INT32(&projection, "_id", 1);
    bson_append_document_end(&opts, &projection);
    struct id_list l = {ids, 0, limit};
    enum store_status s = store_each(db_collection(db, collection), &filter, &opts, collect_id, &l, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    *n = s == STORE_OK ? l.n : 0;
    return s;
}

enum store_status store_outbox_events_in(struct db *db, const char *collection,
                                         const int64_t *ids, size_t n, bson_t **docs,
                                         size_t *found, bson_error_t *e)
{
    *found = 0;
    if (n == 0)
        return STORE_OK;
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = 0; i < n; i++)
        store_in_int64(&in, ids[i]);
    store_in_end(&filter, &in);
    store_find_opts(&opts, "_id", NULL, 0, (int64_t)n);
    return find_into(db, collection, &filter, &opts, n, docs, found, e);
}

enum store_status store_outbox_event(struct db *db, const char *collection, int64_t id,
                                     bson_t *out, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "_id", id);
    enum store_status s = store_find_one(db_collection(db, collection), &filter, NULL, out, e);
    bson_destroy(&filter);
    return s;
}

struct known {
    const char *outbox;
    const int64_t *ids;
    size_t n;
    bool *has;
};

static bool mark_known(const bson_t *doc, void *ctx)
{
    struct known *k = ctx;
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "event_id") || !BSON_ITER_HOLDS_INT64(&it))
        return true;
    int64_t id = bson_iter_int64(&it);
    for (size_t i = 0; i < k->n; i++)
        if (k->ids[i] == id)
            k->has[i] = true;
    return true;
}

enum store_status store_outbox_results_known(struct db *db, const char *outbox,
                                             const int64_t *ids, size_t n, bool *has,
                                             bson_error_t *e)
{
    memset(has, 0, n * sizeof *has);
    if (n == 0)
        return STORE_OK;
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, projection;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = 0; i < n; i++) {
        char key[OUTBOX_KEY_SIZE];
        outbox_result_key(outbox, ids[i], key);
        store_in_utf8(&in, key);
    }
    store_in_end(&filter, &in);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
    BSON_APPEND_INT32(&projection, "event_id", 1);
    bson_append_document_end(&opts, &projection);
    struct known k = {outbox, ids, n, has};
    enum store_status s = store_each(db_collection(db, OUTBOX_RESULTS), &filter, &opts,
                                     mark_known, &k, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}

enum store_status store_outbox_result_insert(struct db *db, const struct outbox_result *r,
                                             bson_error_t *e)
{
    char key[OUTBOX_KEY_SIZE];
    outbox_result_key(r->outbox, r->event_id, key);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", key);
    BSON_APPEND_UTF8(&doc, "outbox", r->outbox);
    BSON_APPEND_INT64(&doc, "event_id", r->event_id);
    BSON_APPEND_UTF8(&doc, "target", r->target ? r->target : "");
    BSON_APPEND_UTF8(&doc, "endpoint", r->endpoint ? r->endpoint : "");
    BSON_APPEND_UTF8(&doc, "state", outbox_state_name(r->state));
    BSON_APPEND_INT32(&doc, "status", r->status);
    BSON_APPEND_UTF8(&doc, "error", r->error ? r->error : "");
    BSON_APPEND_INT32(&doc, "attempts", r->attempts);
    BSON_APPEND_DATE_TIME(&doc, "at", clock_wall_ms());
    BSON_APPEND_INT64(&doc, "latency_ms", r->latency_ms);
    BSON_APPEND_UTF8(&doc, "relay", r->relay ? r->relay : "");
    BSON_APPEND_INT64(&doc, "term", r->term);
    enum store_status s = store_insert(db_collection(db, OUTBOX_RESULTS), &doc, e);
    bson_destroy(&doc);
    return s;
}

enum store_status store_outbox_result_get(struct db *db, const char *outbox, int64_t id,
                                          bson_t *out, bson_error_t *e)
{
    char key[OUTBOX_KEY_SIZE];
    outbox_result_key(outbox, id, key);
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    enum store_status s = store_find_one(db_collection(db, OUTBOX_RESULTS), &filter, NULL, out, e);
    bson_destroy(&filter);
    return s;
}

enum store_status store_outbox_attempt_insert(struct db *db, const struct outbox_attempt *a,
                                              bson_error_t *e)
{
    char key[OUTBOX_KEY_SIZE];
    outbox_attempt_key(a->outbox, a->event_id, a->attempt, key);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", key);
    BSON_APPEND_UTF8(&doc, "outbox", a->outbox);
    BSON_APPEND_INT64(&doc, "event_id", a->event_id);
    BSON_APPEND_UTF8(&doc, "target", a->target ? a->target : "");
    BSON_APPEND_UTF8(&doc, "endpoint", a->endpoint ? a->endpoint : "");
    BSON_APPEND_INT32(&doc, "status", a->status);
    BSON_APPEND_UTF8(&doc, "error", a->error ? a->error : "");
    BSON_APPEND_DATE_TIME(&doc, "at", clock_wall_ms());
    BSON_APPEND_DATE_TIME(&doc, "next_at", a->next_at_ms);
    BSON_APPEND_UTF8(&doc, "relay", a->relay ? a->relay : "");
    enum store_status s = store_insert(db_collection(db, OUTBOX_ATTEMPTS), &doc, e);
    bson_destroy(&doc);
    /* The same attempt recorded twice (a takeover) says nothing new. */
    return s == STORE_DUPLICATE ? STORE_OK : s;
}

/* Delete the documents whose _id starts with prefix and sorts below key. */
static enum store_status delete_below(struct db *db, const char *collection, const char *prefix,
                                      const char *key, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, range;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
    BSON_APPEND_UTF8(&range, "$gte", prefix);
    BSON_APPEND_UTF8(&range, "$lt", key);
    bson_append_document_end(&filter, &range);
    enum store_status s = store_delete(db_collection(db, collection), &filter, true, NULL, e);
    bson_destroy(&filter);
    return s;
}

enum store_status store_outbox_checkpoint(struct db *db, const char *stream, int64_t *upto,
                                          bson_error_t *e)
{
    char prefix[OUTBOX_KEY_SIZE];
    snprintf(prefix, sizeof prefix, "%s:", stream);
    bson_t doc;
    bson_init(&doc);
    enum store_status s = store_prefix_newest(db_collection(db, OUTBOX_CHECKPOINTS), prefix, &doc, e);
    *upto = 0;
    bson_iter_t it;
    if (s == STORE_OK && bson_iter_init_find(&it, &doc, "upto") && BSON_ITER_HOLDS_INT64(&it))
        *upto = bson_iter_int64(&it);
    bson_destroy(&doc);
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

enum store_status store_outbox_checkpoint_insert(struct db *db, const char *stream, int64_t upto,
                                                 const char *relay, bson_error_t *e)
{
    char key[OUTBOX_KEY_SIZE], prefix[OUTBOX_KEY_SIZE];
    outbox_result_key(stream, upto, key);
    snprintf(prefix, sizeof prefix, "%s:", stream);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", key);
    BSON_APPEND_UTF8(&doc, "stream", stream);
    BSON_APPEND_INT64(&doc, "upto", upto);
    BSON_APPEND_DATE_TIME(&doc, "at", clock_wall_ms());
    BSON_APPEND_UTF8(&doc, "relay", relay);
    enum store_status s = store_insert(db_collection(db, OUTBOX_CHECKPOINTS), &doc, e);
    bson_destroy(&doc);
    if (s == STORE_DUPLICATE)
        s = STORE_OK;
    return s == STORE_OK ? delete_below(db, OUTBOX_CHECKPOINTS, prefix, key, e) : s;
}

static void lease_key(int64_t term, char out[OUTBOX_KEY_SIZE])
{
    char pad[STORE_ID_DIGITS + 1];
    store_pad_id(term, pad);
    snprintf(out, OUTBOX_KEY_SIZE, "relay:%s", pad);
}

enum store_status store_relay_lease_latest(struct db *db, struct relay_lease *lease,
                                           bson_error_t *e)
{
    bson_t doc;
    bson_init(&doc);
    enum store_status s = store_prefix_newest(db_collection(db, RELAY_LEASES), "relay:", &doc, e);
    memset(lease, 0, sizeof *lease);
    bson_iter_t it;
    if (s == STORE_OK) {
        if (bson_iter_init_find(&it, &doc, "term") && BSON_ITER_HOLDS_INT64(&it))
            lease->term = bson_iter_int64(&it);
        if (bson_iter_init_find(&it, &doc, "holder") && BSON_ITER_HOLDS_UTF8(&it))
            snprintf(lease->holder, sizeof lease->holder, "%s", bson_iter_utf8(&it, NULL));
        if (bson_iter_init_find(&it, &doc, "expires_at") && BSON_ITER_HOLDS_DATE_TIME(&it))
            lease->expires_at_ms = bson_iter_date_time(&it);
    }
    bson_destroy(&doc);
    return s;
}

enum store_status store_relay_lease_insert(struct db *db, const struct relay_lease *lease,
                                           int64_t keep, bson_error_t *e)
{
    char key[OUTBOX_KEY_SIZE];
    lease_key(lease->term, key);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", key);
    BSON_APPEND_INT64(&doc, "term", lease->term);
    BSON_APPEND_UTF8(&doc, "holder", lease->holder);
    BSON_APPEND_DATE_TIME(&doc, "expires_at", lease->expires_at_ms);
    BSON_APPEND_DATE_TIME(&doc, "at", clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, RELAY_LEASES), &doc, e);
    bson_destroy(&doc);
    if (s != STORE_OK || lease->term <= keep)
        return s;
    char old[OUTBOX_KEY_SIZE];
    lease_key(lease->term - keep, old);
    bson_error_t ignored;
    /* Old terms only show history; failing to delete them changes nothing. */
    (void)delete_below(db, RELAY_LEASES, "relay:", old, &ignored);
    return STORE_OK;
}

enum store_status store_outbox_prune(struct db *db, const char *collection, int64_t bound,
                                     size_t batch, int64_t *deleted, bson_error_t *e)
{
    *deleted = 0;
    bson_t *docs[256];
    if (batch > sizeof docs / sizeof *docs)
        batch = sizeof docs / sizeof *docs;
    size_t n = 0;
    enum store_status s = store_outbox_read(db, collection, 0, bound, batch, NULL, docs, &n, e);
    if (s != STORE_OK || n == 0)
        return s;
    int64_t last = 0;
    bson_iter_t it;
    if (bson_iter_init_find(&it, docs[n - 1], "_id") && BSON_ITER_HOLDS_INT64(&it))
        last = bson_iter_int64(&it);
    for (size_t i = 0; i < n; i++)
        bson_destroy(docs[i]);
    if (last <= 0)
        return STORE_OK;
    /* Results and attempts first. The events are below the checkpoint, so no
     * relay reads them again: if deleting them fails, the next pass does it. */
    char prefix[OUTBOX_KEY_SIZE], end[OUTBOX_KEY_SIZE];
    snprintf(prefix, sizeof prefix, "%s:", collection);
    outbox_result_key(collection, last + 1, end);
    s = delete_below(db, OUTBOX_ATTEMPTS, prefix, end, e);
    if (s == STORE_OK)
        s = delete_below(db, OUTBOX_RESULTS, prefix, end, e);
    if (s != STORE_OK)
        return s;
    bson_t filter = BSON_INITIALIZER, range;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
    BSON_APPEND_INT64(&range, "$lte", last);
    bson_append_document_end(&filter, &range);
    s = store_delete(db_collection(db, collection), &filter, true, deleted, e);
    bson_destroy(&filter);
    return s;
}
