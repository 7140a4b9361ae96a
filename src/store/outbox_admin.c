/*
 * store/outbox_admin: the relay's records as `wardenctl outbox` reads and
 * writes them (see include/warden/store/outbox_admin.h). Every query is an
 * equality, a $in or a range on _id; nothing here updates a document.
 */
#include "warden/store/outbox_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/doc.h"
#include "warden/mem.h"
#include "warden/snowflake.h"
#include "warden/store/db.h"
#include "warden/store/outbox.h"

/* Documents per query of a walk. */
#define BATCH 256
/* Retrying events remembered per outbox while its backlog is walked. */
#define ATTEMPTED_MAX 4096

static const char *const outboxes[] = {OUTBOX_GATEWAY, OUTBOX_GAME};

/* "<outbox>:<id, 20 digits>:": the prefix of an event's attempts. */
static void attempts_prefix(const char *outbox, int64_t id, char out[OUTBOX_KEY_SIZE])
{
    outbox_result_key(outbox, id, out);
    strncat(out, ":", OUTBOX_KEY_SIZE - strlen(out) - 1);
}

static void event_of(const char *outbox, const bson_t *doc, struct outbox_event *out)
{
    out->outbox = outbox;
    out->id = doc_int(doc, "_id", 0);
    doc_string(doc, "type", out->type, sizeof out->type);
    outbox_target_of(outbox, doc, out->target, sizeof out->target);
    out->created_at_ms = doc_date(doc, "created_at", snowflake_time_ms(out->id));
}

enum store_status store_outbox_find(struct db *db, int64_t id, struct outbox_event *out, bson_error_t *e)
{
    for (size_t i = 0; i < 2; i++) {
        bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
        BSON_APPEND_INT64(&filter, "_id", id);
        enum store_status s = store_find_one(db_collection(db, outboxes[i]), &filter, NULL, &doc, e);
        if (s == STORE_OK)
            event_of(outboxes[i], &doc, out);
        bson_destroy(&filter);
        bson_destroy(&doc);
        if (s != STORE_NOT_FOUND)
            return s;
    }
    return STORE_NOT_FOUND;
}

static void result_of(const bson_t *doc, struct outbox_outcome *out)
{
    doc_string(doc, "state", out->state, sizeof out->state);
    out->status = doc_int(doc, "status", 0);
    doc_string(doc, "error", out->error, sizeof out->error);
    out->attempts = doc_int(doc, "attempts", 0);
    out->at_ms = doc_date(doc, "at", 0);
    doc_string(doc, "endpoint", out->endpoint, sizeof out->endpoint);
    doc_string(doc, "relay", out->relay, sizeof out->relay);
}

enum store_status store_outbox_outcome(struct db *db, const char *outbox, int64_t id,
                                      struct outbox_outcome *out, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = store_outbox_result_get(db, outbox, id, &doc, e);
    if (s == STORE_OK)
        result_of(&doc, out);
    bson_destroy(&doc);
    return s;
}

enum store_status store_outbox_outcome_delete(struct db *db, const char *outbox, int64_t id,
                                             const char *state, bson_error_t *e)
{
    char key[OUTBOX_KEY_SIZE];
    outbox_result_key(outbox, id, key);
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_UTF8(&filter, "state", state);
    int64_t deleted = 0;
    enum store_status s = store_delete(db_collection(db, OUTBOX_RESULTS), &filter, false, &deleted, e);
    bson_destroy(&filter);
    return s == STORE_OK && deleted == 0 ? STORE_NOT_FOUND : s;
}

enum store_status store_outbox_attempts(struct db *db, const char *outbox, int64_t id,
                                        int64_t *attempts, bson_error_t *e)
{
    char prefix[OUTBOX_KEY_SIZE];
    attempts_prefix(outbox, id, prefix);
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = store_prefix_newest(db_collection(db, OUTBOX_ATTEMPTS), prefix, &doc, e);
    *attempts = 0;
    if (s == STORE_OK) {
        char key[OUTBOX_KEY_SIZE];
        doc_string(&doc, "_id", key, sizeof key);
        *attempts = strlen(key) > strlen(prefix) ? atoll(key + strlen(prefix)) : 0;
    }
    bson_destroy(&doc);
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

enum store_status store_outbox_skipped(struct db *db, const struct outbox_event *ev,
                                       const char *endpoint, bson_error_t *e)
{
    int64_t attempts;
    enum store_status s = store_outbox_attempts(db, ev->outbox, ev->id, &attempts, e);
    if (s != STORE_OK)
        return s;
    struct outbox_result skipped = {
        .outbox = ev->outbox,
        .event_id = ev->id,
        .target = ev->target,
        .endpoint = endpoint,
        .state = OUTBOX_SKIPPED,
        .attempts = (int)attempts,
        .relay = "wardenctl",
    };
    return store_outbox_result_insert(db, &skipped, e);
}

enum store_status store_outbox_command(struct db *db, const char *action, const char *outbox,
                                       int64_t event_id, const char *by, int64_t now_ms,
                                       int64_t *id, bson_error_t *e)
{
    bson_t fields = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&fields, "action", action);
    BSON_APPEND_UTF8(&fields, "outbox", outbox);
    BSON_APPEND_INT64(&fields, "event_id", event_id);
    BSON_APPEND_UTF8(&fields, "by", by ? by : "");
    BSON_APPEND_DATE_TIME(&fields, "at", now_ms);
    enum store_status s = store_insert_new_id(db, OUTBOX_COMMANDS, &fields, id, e);
    bson_destroy(&fields);
    return s;
}

/* --- status ------------------------------------------------------------------ */

static enum store_status read_checkpoint(struct db *db, const char *stream, struct outbox_checkpoint *out,
                                         bson_error_t *e)
{
    char prefix[OUTBOX_KEY_SIZE];
    snprintf(prefix, sizeof prefix, "%s:", stream);
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = store_prefix_newest(db_collection(db, OUTBOX_CHECKPOINTS), prefix, &doc, e);
    *out = (struct outbox_checkpoint){.present = s == STORE_OK};
    if (s == STORE_OK) {
        char key[OUTBOX_KEY_SIZE];
        doc_string(&doc, "_id", key, sizeof key);
        out->upto = doc_int(&doc, "upto", strlen(key) > strlen(prefix) ? store_unpad_id(key + strlen(prefix)) : 0);
        out->at_ms = doc_date(&doc, "at", 0);
        doc_string(&doc, "relay", out->relay, sizeof out->relay);
    }
    bson_destroy(&doc);
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

static enum store_status read_lease(struct db *db, struct outbox_status *out, bson_error_t *e)
{
    struct relay_lease lease;
    enum store_status s = store_relay_lease_latest(db, &lease, e);
    out->has_lease = s == STORE_OK;
    if (s == STORE_OK) {
        out->term = lease.term;
        snprintf(out->holder, sizeof out->holder, "%s", lease.holder);
        out->expires_at_ms = lease.expires_at_ms;
    }
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

/* The entry of endpoint name in out, added when new (NULL: no room left). */
static struct outbox_endpoint_status *endpoint_entry(struct outbox_status *out, const struct outbox_endpoint *ep)
{
    for (size_t i = 0; i < out->n_endpoints; i++)
        if (strcmp(out->endpoints[i].endpoint.name, ep->name) == 0)
            return &out->endpoints[i];
    if (out->n_endpoints == OUTBOX_STATUS_ENDPOINTS)
        return NULL;
    struct outbox_endpoint_status *st = &out->endpoints[out->n_endpoints++];
    memset(st, 0, sizeof *st);
    st->endpoint = *ep;
    return st;
}

/* The latest failed attempt of an event past the checkpoint. */
struct attempted {
    int64_t id;
    struct outbox_retrying latest;
};

struct attempts_walk {
    struct attempted *items;
    size_t n;
    size_t prefix_len;
    bool full;
};

static bool note_attempt(const bson_t *doc, void *ctx)
{
    struct attempts_walk *w = ctx;
    char key[OUTBOX_KEY_SIZE];
    doc_string(doc, "_id", key, sizeof key);
    if (strlen(key) < w->prefix_len + STORE_ID_DIGITS + 2)
        return true;
    int64_t id = store_unpad_id(key + w->prefix_len);
    if (id < 0)
        return true;
    /* Keys come in order: an event's attempts one after another, the latest last. */
    if (w->n == 0 || w->items[w->n - 1].id != id) {
        if (w->n == ATTEMPTED_MAX) {
            w->full = true;
            return false;
        }
        w->items[w->n++] = (struct attempted){.id = id};
    }
    struct outbox_retrying *r = &w->items[w->n - 1].latest;
    r->attempts = atoll(key + w->prefix_len + STORE_ID_DIGITS + 1);
    r->status = doc_int(doc, "status", 0);
    doc_string(doc, "error", r->error, sizeof r->error);
    r->next_at_ms = doc_date(doc, "next_at", 0);
    return true;
}

static const struct attempted *find_attempted(const struct attempts_walk *w, int64_t id)
{
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->items[mid].id < id)
            lo = mid + 1;
        else if (w->items[mid].id > id)
            hi = mid;
        else
            return &w->items[mid];
    }
    return NULL;
}

/* An event without an outcome, counted under its endpoint. */
static void count_pending(struct outbox_status *out, const struct outbox_event *ev,
                          const struct attempts_walk *aw, outbox_env_fn get, void *ctx)
{
    struct outbox_endpoint ep;
    if (!outbox_endpoint_of(ev->outbox, ev->type, get, ctx, &ep))
        return;
    struct outbox_endpoint_status *st = endpoint_entry(out, &ep);
    if (!st)
        return;
    if (st->backlog++ == 0 || ev->id < st->oldest.id) {
        st->has_oldest = true;
        st->oldest = *ev;
    }
    const struct attempted *a = find_attempted(aw, ev->id);
    if (!a)
        return;
    if (st->retrying++ < OUTBOX_STATUS_RETRYING_MAX) {
        struct outbox_retrying *r = &st->listed[st->n_listed++];
        *r = a->latest;
        r->event = *ev;
    }
}

/* The events of outbox past its checkpoint: those without an outcome. */
static enum store_status walk_backlog(struct db *db, const char *outbox, const struct outbox_checkpoint *cp,
                                      outbox_env_fn get, void *ctx, struct outbox_status *out,
                                      bson_error_t *e)
{
    struct attempts_walk aw = {mem_calloc(ATTEMPTED_MAX, sizeof *aw.items), 0, strlen(outbox) + 1, false};
    char prefix[OUTBOX_KEY_SIZE], from[STORE_ID_DIGITS + 1];
    snprintf(prefix, sizeof prefix, "%s:", outbox);
    store_pad_id(cp->present ? cp->upto + 1 : 0, from);
    bson_t att_projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&att_projection, "status", 1);
    BSON_APPEND_INT32(&att_projection, "error", 1);
    BSON_APPEND_INT32(&att_projection, "next_at", 1);
    enum store_status s = store_prefix_each_from(db_collection(db, OUTBOX_ATTEMPTS), prefix, from, &att_projection,
                                                  note_attempt, &aw, e);
    bson_destroy(&att_projection);

    bson_t projection = BSON_INITIALIZER;
    static const char *const fields[] = {"type", "guild_id", "user_id", "player_id", "created_at"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        BSON_APPEND_INT32(&projection, fields[i], 1);
    int64_t after = cp->present ? cp->upto : -1, walked = 0;
    while (s == STORE_OK) {
        bson_t *docs[OUTBOX_IN_MAX];
        size_t n = 0;
        s = store_outbox_read(db, outbox, after, 0, OUTBOX_IN_MAX, &projection, docs, &n, e);
        if (s != STORE_OK || n == 0)
            break;
        struct outbox_event events[OUTBOX_IN_MAX];
        int64_t ids[OUTBOX_IN_MAX];
        bool settled[OUTBOX_IN_MAX];
        for (size_t i = 0; i < n; i++) {
            event_of(outbox, docs[i], &events[i]);
            ids[i] = events[i].id;
            bson_destroy(docs[i]);
        }
        s = store_outbox_results_known(db, outbox, ids, n, settled, e);
        for (size_t i = 0; s == STORE_OK && i < n; i++)
            if (!settled[i])
                count_pending(out, &events[i], &aw, get, ctx);
        after = ids[n - 1];
        walked += (int64_t)n;
        if (n < OUTBOX_IN_MAX)
            break;
        if (walked >= OUTBOX_STATUS_WALK_MAX) {
            out->capped = true;
            break;
        }
    }
    bson_destroy(&projection);
    free(aw.items);
    return s;
}

/* Outcomes other than delivered, per endpoint, of the events since a time. */
struct outcomes_walk {
    struct outbox_status *out;
    outbox_env_fn get;
    void *ctx;
    int64_t walked;
};

static bool count_outcome(const bson_t *doc, void *ctx)
{
    struct outcomes_walk *w = ctx;
    if (++w->walked > OUTBOX_STATUS_WALK_MAX) {
        w->out->capped = true;
        return false;
    }
    char state[OUTBOX_STATE_SIZE];
    doc_string(doc, "state", state, sizeof state);
    bool failed = strcmp(state, "failed") == 0, expired = strcmp(state, "expired") == 0;
    bool skipped = strcmp(state, "skipped") == 0;
    if (!failed && !expired && !skipped)
        return true;
    struct outbox_endpoint ep = {.configured = false};
    doc_string(doc, "endpoint", ep.name, sizeof ep.name);
    if (!ep.name[0])
        return true;
    /* An endpoint met only here: named by its results, its variables by its name. */
    snprintf(ep.prefix, sizeof ep.prefix, "WARDEN_RELAY_");
    for (size_t i = 0, n = strlen(ep.prefix); ep.name[i] && n + 1 < sizeof ep.prefix; i++, n++) {
        char c = ep.name[i];
        ep.prefix[n] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        ep.prefix[n + 1] = '\0';
    }
    char url[OUTBOX_ENDPOINT_PREFIX_SIZE + 8];
    snprintf(url, sizeof url, "%s_URL", ep.prefix);
    const char *v = w->get(url, w->ctx);
    ep.configured = v && *v;
    struct outbox_endpoint_status *st = endpoint_entry(w->out, &ep);
    if (st)
        *(failed ? &st->failed : expired ? &st->expired : &st->skipped) += 1;
    return true;
}

static enum store_status count_outcomes(struct db *db, const char *outbox, int64_t since_ms,
                                        outbox_env_fn get, void *ctx, struct outbox_status *out,
                                        bson_error_t *e)
{
    char prefix[OUTBOX_KEY_SIZE], from[STORE_ID_DIGITS + 1];
    snprintf(prefix, sizeof prefix, "%s:", outbox);
    /* Ids order events by time. */
    store_pad_id(snowflake_first_id_at(since_ms), from);
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "state", 1);
    BSON_APPEND_INT32(&projection, "endpoint", 1);
    struct outcomes_walk w = {out, get, ctx, 0};
    enum store_status s = store_prefix_each_from(db_collection(db, OUTBOX_RESULTS), prefix, from, &projection,
                                                  count_outcome, &w, e);
    bson_destroy(&projection);
    return s;
}

static enum store_status count_commands(struct db *db, struct outbox_status *out, bson_error_t *e)
{
    int64_t after = out->commands.present ? out->commands.upto : -1;
    for (;;) {
        int64_t ids[BATCH];
        size_t n = 0;
        enum store_status s = store_outbox_read_ids(db, OUTBOX_COMMANDS, after, 0, BATCH, ids, &n, e);
        out->commands_pending += (int64_t)n;
        if (n)
            after = ids[n - 1];
        if (s != STORE_OK || n < BATCH || out->commands_pending >= OUTBOX_STATUS_WALK_MAX)
            return s;
    }
}

enum store_status store_outbox_status(struct db *db, outbox_env_fn get, void *ctx, int64_t now_ms,
                                      int64_t retention_ms, struct outbox_status *out, bson_error_t *e)
{
    memset(out, 0, sizeof *out);
    /* gateway and game first, whatever the walks meet. */
    for (size_t i = 0; i < 2; i++) {
        struct outbox_endpoint ep;
        outbox_endpoint_of(outboxes[i], NULL, get, ctx, &ep);
        endpoint_entry(out, &ep);
    }
    /* And every endpoint of a type that has one configured. */
    for (size_t i = 0; i < 2; i++) {
        const char *const *types = outbox_endpoint_types(outboxes[i]);
        for (size_t k = 0; types[k]; k++) {
            struct outbox_endpoint ep;
            outbox_endpoint_of(outboxes[i], types[k], get, ctx, &ep);
            endpoint_entry(out, &ep);
        }
    }
    enum store_status s = read_lease(db, out, e);
    if (s == STORE_OK)
        s = read_checkpoint(db, OUTBOX_GATEWAY, &out->gateway, e);
    if (s == STORE_OK)
        s = read_checkpoint(db, OUTBOX_GAME, &out->game, e);
    if (s == STORE_OK)
        s = read_checkpoint(db, OUTBOX_COMMANDS, &out->commands, e);
    if (s == STORE_OK)
        s = walk_backlog(db, OUTBOX_GATEWAY, &out->gateway, get, ctx, out, e);
    if (s == STORE_OK)
        s = walk_backlog(db, OUTBOX_GAME, &out->game, get, ctx, out, e);
    for (size_t i = 0; s == STORE_OK && i < 2; i++)
        s = count_outcomes(db, outboxes[i], now_ms - retention_ms, get, ctx, out, e);
    if (s == STORE_OK)
        s = count_commands(db, out, e);
    return s;
}
