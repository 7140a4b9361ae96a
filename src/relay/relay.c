/*
 * relay/relay: the delivery loop (see include/warden/relay/relay.h).
 */
#include "warden/relay/relay.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/buf.h"
#include "warden/clock.h"
#include "warden/doc.h"
#include "warden/log.h"
#include "warden/relay/lease.h"
#include "warden/relay/metrics.h"
#include "warden/relay/queue.h"
#include "warden/relay/sender.h"
#include "warden/relay/webhook.h"
#include "warden/snowflake.h"
#include "warden/store/db.h"
#include "warden/store/outbox.h"

/* Documents per read: one $in of their results per batch. */
#define READ_BATCH OUTBOX_IN_MAX
/* Reads per poll, so that a long backlog never stalls the loop. */
#define READS_PER_POLL 16
#define CHECKPOINT_EVERY_MS 1000
#define PRUNE_EVERY_MS 60000
#define PRUNE_BATCH 256
#define PRUNE_BATCHES 8
#define STOP_GRACE_MS 5000

enum { STREAM_GATEWAY, STREAM_GAME, STREAM_COMMANDS, STREAMS };

struct stream {
    const char *collection;
    bool enabled;
    int64_t checkpoint;        /* stored: every id <= it is done */
    int64_t scanned;           /* read up to here */
    int64_t rescanned_ms;      /* when the late window was last re-read */
    struct relay_idset seen;   /* ids read in the late window */
};

struct relay {
    const struct relay_config *config;
    struct db *db;
    struct relay_metrics metrics;
    struct relay_lease_state lease;
    struct relay_queue queue;
    struct relay_sender *sender;
    struct stream streams[STREAMS];
    bool loaded;
    int64_t next_poll_ms, next_rescan_ms, next_checkpoint_ms, next_prune_ms;
    int64_t next_wake_ms;      /* the earliest back-off due, set by dispatch */
    bool db_trouble;           /* the last read failed (logged once, until one works) */
    bool warned_no_endpoint[RELAY_ENDPOINTS_MAX + 1];
};

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static bool stream_game(unsigned stream)
{
    return stream == STREAM_GAME;
}

static int stream_of_outbox(const char *outbox)
{
    if (strcmp(outbox, OUTBOX_GATEWAY) == 0)
        return STREAM_GATEWAY;
    if (strcmp(outbox, OUTBOX_GAME) == 0)
        return STREAM_GAME;
    return -1;
}

static int endpoint_index(const struct relay *r, unsigned stream, const bson_t *doc)
{
    char type[64] = "";
    doc_string(doc, "type", type, sizeof type);
    const struct relay_endpoint *ep = relay_endpoint_for(r->config, stream_game(stream), type);
    return ep ? (int)(ep - r->config->endpoints) : -1;
}

static const char *endpoint_name(const struct relay *r, int endpoint)
{
    return endpoint >= 0 ? r->config->endpoints[endpoint].name : "";
}

/* A failed read: the first of a run is a warning, the rest debug lines. */
static void read_failed(struct relay *r, const char *collection, const char *what,
                        const bson_error_t *e)
{
    log_msg(r->db_trouble ? LOG_DEBUG : LOG_WARN, "%s: cannot %s (retrying every poll): %s",
            collection, what, e->message);
    r->db_trouble = true;
}

static void read_worked(struct relay *r)
{
    if (r->db_trouble)
        log_info("the database answers again");
    r->db_trouble = false;
}

/* --- reading ------------------------------------------------------------------ */

static void hold(struct relay *r, unsigned stream, bson_t *doc, int64_t retry_command)
{
    int64_t id = doc_int(doc, "_id", 0);
    char target[RELAY_TARGET_MAX];
    outbox_target_of(r->streams[stream].collection, doc, target, sizeof target);
    int endpoint = endpoint_index(r, stream, doc);
    if (endpoint < 0 && !r->warned_no_endpoint[stream]) {
        char type[64] = "";
        doc_string(doc, "type", type, sizeof type);
        log_warn("%s: no endpoint takes type %s: its events wait (set WARDEN_RELAY_%s_URL or "
                 "the outbox's)", r->streams[stream].collection, type,
                 stream_game(stream) ? "GAME" : "GATEWAY");
        r->warned_no_endpoint[stream] = true;
    }
    struct relay_event *ev =
        relay_queue_add(&r->queue, stream, target, id, endpoint, doc, doc_date(doc, "created_at", 0));
    if (ev)
        ev->retry_command = retry_command;
}

static void apply_command(struct relay *r, const bson_t *cmd);

/* Take a batch read from a stream: ids not seen yet are held (events
 * without a result) or applied (commands). Takes the documents. */
static bool take_batch(struct relay *r, unsigned stream, bson_t **docs, size_t n)
{
    struct stream *st = &r->streams[stream];
    int64_t ids[READ_BATCH] = {0};
    bool has[READ_BATCH] = {false};
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t id = doc_int(docs[i], "_id", 0);
        if (id <= 0 || relay_idset_has(&st->seen, id)) {
            bson_destroy(docs[i]);
            continue;
        }
        docs[fresh] = docs[i];
        ids[fresh++] = id;
    }
    if (stream == STREAM_COMMANDS) {
        for (size_t i = 0; i < fresh; i++) {
            apply_command(r, docs[i]);
            relay_idset_add(&st->seen, ids[i]);
            bson_destroy(docs[i]);
        }
        return true;
    }
    bson_error_t e;
    if (store_outbox_results_known(r->db, st->collection, ids, fresh, has, &e) != STORE_OK) {
        read_failed(r, st->collection, "read results", &e);
        for (size_t i = 0; i < fresh; i++)
            bson_destroy(docs[i]);
        return false;
    }
    for (size_t i = 0; i < fresh; i++) {
        relay_idset_add(&st->seen, ids[i]);
        if (has[i])
            bson_destroy(docs[i]);
        else
            hold(r, stream, docs[i], 0);
    }
    return true;
}

/* Read what is new in a stream: from its scan position up to the ids drawn
 * WARDEN_RELAY_SETTLE_MS ago. Ids are drawn before their insert lands, by
 * several processes: reading only ids that old lets inserts in flight land
 * first, so that one target's events are read, and sent, in _id order. */
static bool read_new(struct relay *r, unsigned stream, int64_t now)
{
    struct stream *st = &r->streams[stream];
    int64_t upto = snowflake_last_id_at(now - r->config->settle_ms);
    for (int round = 0; round < READS_PER_POLL && st->scanned < upto; round++) {
        if (stream != STREAM_COMMANDS && r->queue.events >= RELAY_PENDING_MAX)
            return true;
        bson_t *docs[READ_BATCH];
        size_t n = 0;
        bson_error_t e;
        if (store_outbox_read(r->db, st->collection, st->scanned, upto, READ_BATCH, NULL, docs, &n,
                              &e) !=
            STORE_OK) {
            read_failed(r, st->collection, "read", &e);
            return false;
        }
        int64_t last = n ? doc_int(docs[n - 1], "_id", st->scanned) : st->scanned;
        if (n && !take_batch(r, stream, docs, n))
            return false;
        st->scanned = max64(st->scanned, last);
        if (n < READ_BATCH)
            return true;
    }
    return true;
}

/* Re-read the late window of a stream, up to its scan position: its ids,
 * then the documents of those not seen yet (late inserts: few or none). */
static bool reread_late(struct relay *r, unsigned stream, int64_t now)
{
    struct stream *st = &r->streams[stream];
    int64_t period = r->config->late_ms / 3;
    int64_t after = max64(st->checkpoint, snowflake_last_id_at(now - r->config->late_ms - period));
    while (after < st->scanned) {
        int64_t ids[READ_BATCH], unseen[READ_BATCH];
        size_t n = 0, fresh = 0;
        bson_error_t e;
        if (store_outbox_read_ids(r->db, st->collection, after, st->scanned, READ_BATCH, ids, &n,
                                  &e) != STORE_OK) {
            read_failed(r, st->collection, "re-read its late window", &e);
            return false;
        }
        for (size_t i = 0; i < n; i++)
            if (!relay_idset_has(&st->seen, ids[i]))
                unseen[fresh++] = ids[i];
        if (fresh) {
            bson_t *docs[READ_BATCH];
            size_t found = 0;
            if (store_outbox_events_in(r->db, st->collection, unseen, fresh, docs, &found, &e) !=
                STORE_OK) {
                read_failed(r, st->collection, "read its late inserts", &e);
                return false;
            }
            if (!take_batch(r, stream, docs, found))
                return false;
            log_info("%s: %zu late insert(s) picked up", st->collection, found);
        }
        if (n < READ_BATCH)
            break;
        after = ids[n - 1];
    }
    st->rescanned_ms = now;
    relay_idset_prune(&st->seen, snowflake_last_id_at(now - r->config->late_ms - 2 * period));
    return true;
}

/* --- commands ------------------------------------------------------------------- */

static void apply_command(struct relay *r, const bson_t *cmd)
{
    char action[16] = "", outbox[32] = "";
    doc_string(cmd, "action", action, sizeof action);
    doc_string(cmd, "outbox", outbox, sizeof outbox);
    int64_t id = doc_int(cmd, "event_id", 0), cmd_id = doc_int(cmd, "_id", 0);
    int stream = stream_of_outbox(outbox);
    if (stream < 0 || id <= 0 || !r->streams[stream].enabled)
        return;
    struct relay_event *ev = relay_queue_find(&r->queue, (unsigned)stream, id);
    if (strcmp(action, "skip") == 0) {
        if (!ev)
            return;
        log_info("%s %lld skipped by an operator", outbox, (long long)id);
        if (ev->endpoint >= 0)
            r->metrics.endpoints[ev->endpoint].skipped++;
        if (ev->busy)
            ev->skip = true;
        else
            relay_queue_remove(&r->queue, ev);
        return;
    }
    if (strcmp(action, "retry") != 0)
        return;
    if (ev) {
        ev->due_ms = 0;
        log_info("%s %lld: retried now by an operator", outbox, (long long)id);
        return;
    }
    bson_t result;
    bson_init(&result);
    bson_error_t e;
    enum store_status s = store_outbox_result_get(r->db, outbox, id, &result, &e);
    bson_destroy(&result);
    if (s != STORE_NOT_FOUND)
        return; /* done again since (or unreadable: the command is read again after a restart) */
    bson_t *doc = bson_new();
    if (store_outbox_event(r->db, outbox, id, doc, &e) != STORE_OK) {
        bson_destroy(doc);
        return;
    }
    log_info("%s %lld queued again by an operator", outbox, (long long)id);
    hold(r, (unsigned)stream, doc, cmd_id);
}

/* --- outcomes ------------------------------------------------------------------- */

static bool record(struct relay *r, struct relay_event *ev)
{
    char target[RELAY_TARGET_MAX];
    snprintf(target, sizeof target, "%s", ev->target->name);
    struct outbox_result res = {
        .outbox = r->streams[ev->stream].collection,
        .event_id = ev->id,
        .target = target,
        .endpoint = endpoint_name(r, ev->endpoint),
        .state = (enum outbox_state)ev->outcome_state,
        .status = ev->outcome_status,
        .error = ev->outcome_error,
        .attempts = ev->attempts + 1,
        .latency_ms = ev->outcome_latency_ms,
        .relay = r->config->id,
        .term = r->lease.term,
    };
    bson_error_t e;
    enum store_status s = store_outbox_result_insert(r->db, &res, &e);
    if (s == STORE_ERROR) {
        if (!ev->unrecorded)
            log_warn("%s %lld: %s, but the result cannot be written yet: %s", res.outbox,
                     (long long)ev->id, outbox_state_name(res.state), e.message);
        ev->unrecorded = true;
        return false;
    }
    relay_queue_remove(&r->queue, ev);
    return true;
}

/* Write the outcomes the database refused earlier. */
static void record_pending(struct relay *r)
{
    for (struct relay_target *t = r->queue.active, *next; t; t = next) {
        next = t->next_active;
        if (t->head && t->head->unrecorded && !record(r, t->head))
            return;
    }
}

static void finish(struct relay *r, struct relay_event *ev, enum outbox_state state, int status,
                   const char *error, int64_t now)
{
    ev->outcome_state = (int)state;
    ev->outcome_status = status;
    snprintf(ev->outcome_error, sizeof ev->outcome_error, "%s", error);
    ev->outcome_latency_ms = state == OUTBOX_DELIVERED ? now - ev->created_ms : 0;
    if (ev->endpoint >= 0) {
        struct relay_endpoint_counters *c = &r->metrics.endpoints[ev->endpoint];
        if (state == OUTBOX_DELIVERED)
            relay_metrics_delivered(&r->metrics, ev->endpoint, ev->outcome_latency_ms);
        else if (state == OUTBOX_FAILED)
            c->failed_client++;
        else if (state == OUTBOX_EXPIRED)
            c->failed_expired++;
    }
    if (state != OUTBOX_DELIVERED)
        log_warn("%s %lld to %s: %s after %d attempt(s): %s", r->streams[ev->stream].collection,
                 (long long)ev->id, endpoint_name(r, ev->endpoint), outbox_state_name(state),
                 ev->attempts + 1, error);
    record(r, ev);
}

/* Full jitter over the upper half: d/2 + uniform(d/2), d doubling per attempt. */
static int64_t backoff_ms(const struct relay_config *c, int attempts)
{
    int64_t d = c->backoff_min_ms;
    for (int i = 1; i < attempts && d < c->backoff_max_ms; i++)
        d *= 2;
    d = min64(d, c->backoff_max_ms);
    int64_t half = d / 2;
    return half + (half > 0 ? (int64_t)randombytes_uniform((uint32_t)min64(half, UINT32_MAX)) : 0);
}

/* 408, 425, 429 and 5xx say "later"; other statuses say "never". */
static bool retryable(const struct relay_outcome *o)
{
    return o->transport || o->status == 408 || o->status == 425 || o->status == 429 ||
           o->status >= 500;
}

static void on_outcome(const struct relay_outcome *o, void *arg)
{
    struct relay *r = arg;
    struct relay_event *ev = o->ctx;
    int64_t now = clock_wall_ms();
    if (ev->skip) {
        relay_queue_remove(&r->queue, ev); /* wardenctl recorded it skipped */
        return;
    }
    if (o->status >= 200 && o->status <= 299) {
        finish(r, ev, OUTBOX_DELIVERED, o->status, "", now);
        return;
    }
    if (!retryable(o)) {
        finish(r, ev, OUTBOX_FAILED, o->status, o->error, now);
        return;
    }
    if (now - ev->created_ms > r->config->max_age_ms) {
        finish(r, ev, OUTBOX_EXPIRED, o->status, o->error, now);
        return;
    }
    ev->attempts++;
    ev->due_ms = now + backoff_ms(r->config, ev->attempts);
    ev->busy = false;
    if (ev->endpoint >= 0)
        r->metrics.endpoints[ev->endpoint].retries++;
    char target[RELAY_TARGET_MAX];
    snprintf(target, sizeof target, "%s", ev->target->name);
    struct outbox_attempt a = {
        .outbox = r->streams[ev->stream].collection,
        .event_id = ev->id,
        .attempt = ev->attempts,
        .target = target,
        .endpoint = endpoint_name(r, ev->endpoint),
        .status = o->status,
        .error = o->error,
        .next_at_ms = ev->due_ms,
        .relay = r->config->id,
    };
    bson_error_t e;
    if (store_outbox_attempt_insert(r->db, &a, &e) != STORE_OK)
        log_debug("attempt of %lld not recorded: %s", (long long)ev->id, e.message);
    log_info("%s %lld to %s: attempt %d failed (%s); next in %lld ms", a.outbox, (long long)ev->id,
             a.endpoint, ev->attempts, o->error, (long long)(ev->due_ms - now));
}

/* --- delivering ----------------------------------------------------------------- */

static void start(struct relay *r, struct relay_event *ev)
{
    struct buf body = BUF_INIT;
    webhook_body(ev->doc, stream_game(ev->stream), &body);
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)ev->id);
    if (relay_sender_start(r->sender, &r->config->endpoints[ev->endpoint], id, body.data,
                           body.len, ev))
        ev->busy = true;
    else
        log_error("cannot start the request of %s %lld", r->streams[ev->stream].collection,
                  (long long)ev->id);
    buf_free(&body);
}

/* Start the heads of targets that are due, up to the concurrency. */
static void dispatch(struct relay *r, int64_t now)
{
    r->next_wake_ms = 0;
    if (!relay_lease_valid(&r->lease, now))
        return;
    for (struct relay_target *t = r->queue.active; t; t = t->next_active) {
        if (relay_sender_running(r->sender) >= r->config->concurrency)
            return;
        struct relay_event *ev = t->head;
        if (!ev || ev->busy || ev->unrecorded || ev->endpoint < 0)
            continue;
        if (ev->due_ms > now) {
            if (!r->next_wake_ms || ev->due_ms < r->next_wake_ms)
                r->next_wake_ms = ev->due_ms;
            continue;
        }
        start(r, ev);
    }
}

/* --- checkpoints and retention -------------------------------------------------- */

/* The smallest retry command whose event is still held (commands must be
 * read again after a restart until it is done), or 0. */
static int64_t oldest_retry_command(const struct relay *r)
{
    int64_t oldest = 0;
    for (const struct relay_target *t = r->queue.active; t; t = t->next_active)
        for (const struct relay_event *ev = t->head; ev; ev = ev->next)
            if (ev->retry_command && (!oldest || ev->retry_command < oldest))
                oldest = ev->retry_command;
    return oldest;
}

static void move_checkpoints(struct relay *r)
{
    for (unsigned i = 0; i < STREAMS; i++) {
        struct stream *st = &r->streams[i];
        if (!st->enabled)
            continue;
        int64_t upto = min64(st->scanned, snowflake_last_id_at(st->rescanned_ms - r->config->late_ms));
        int64_t held = i == STREAM_COMMANDS ? oldest_retry_command(r)
                                            : relay_queue_oldest(&r->queue, i);
        if (held)
            upto = min64(upto, held - 1);
        if (upto <= st->checkpoint)
            continue;
        bson_error_t e;
        if (store_outbox_checkpoint_insert(r->db, st->collection, upto, r->config->id, &e) ==
            STORE_OK)
            st->checkpoint = upto;
        else
            log_debug("%s: checkpoint not written: %s", st->collection, e.message);
    }
}

static void prune(struct relay *r, int64_t now)
{
    int64_t bound_by_age = snowflake_last_id_at(now - r->config->retention_ms);
    for (unsigned i = 0; i < STREAMS; i++) {
        struct stream *st = &r->streams[i];
        if (!st->enabled)
            continue;
        int64_t bound = min64(st->checkpoint, bound_by_age), total = 0;
        for (int b = 0; b < PRUNE_BATCHES && bound > 0; b++) {
            int64_t deleted = 0;
            bson_error_t e;
            if (store_outbox_prune(r->db, st->collection, bound, PRUNE_BATCH, &deleted, &e) !=
                STORE_OK) {
                log_warn("%s: retention: %s", st->collection, e.message);
                break;
            }
            total += deleted;
            if (deleted < PRUNE_BATCH)
                break;
        }
        if (total)
            log_info("%s: retention deleted %lld event(s) older than %lld s", st->collection,
                     (long long)total, (long long)(r->config->retention_ms / 1000));
    }
}

/* --- leadership ----------------------------------------------------------------- */

static void forget(struct relay *r)
{
    relay_sender_abort_all(r->sender);
    relay_queue_clear(&r->queue);
    for (unsigned i = 0; i < STREAMS; i++) {
        relay_idset_free(&r->streams[i].seen);
        relay_idset_init(&r->streams[i].seen);
    }
    r->loaded = false;
}

/* On taking the lease: where each stream stands. */
static bool load(struct relay *r, int64_t now)
{
    for (unsigned i = 0; i < STREAMS; i++) {
        struct stream *st = &r->streams[i];
        if (!st->enabled)
            continue;
        bson_error_t e;
        if (store_outbox_checkpoint(r->db, st->collection, &st->checkpoint, &e) != STORE_OK) {
            read_failed(r, st->collection, "read its checkpoint", &e);
            return false;
        }
        st->scanned = st->checkpoint;
        /* Everything present now is read from the checkpoint on. */
        st->rescanned_ms = now;
        log_info("%s: delivering from after %lld", st->collection, (long long)st->checkpoint);
    }
    r->loaded = true;
    r->next_poll_ms = r->next_checkpoint_ms = now;
    r->next_rescan_ms = now + r->config->late_ms / 3;
    r->next_prune_ms = now + PRUNE_EVERY_MS / 6;
    return true;
}

static void gauges(const struct relay *r, struct relay_gauges *g, int64_t now)
{
    memset(g, 0, sizeof *g);
    g->leader = relay_lease_valid(&r->lease, now);
    for (const struct relay_target *t = r->queue.active; t; t = t->next_active)
        for (const struct relay_event *ev = t->head; ev; ev = ev->next) {
            if (ev->endpoint < 0)
                continue;
            g->backlog[ev->endpoint]++;
            double age = (double)(now - ev->created_ms) / 1000.0;
            if (age > g->oldest_pending_s[ev->endpoint])
                g->oldest_pending_s[ev->endpoint] = age;
        }
}

static void step(struct relay *r, int64_t now)
{
    bool changed;
    bool held = relay_lease_tick(&r->lease, r->db, now, &changed);
    if (changed && !held)
        forget(r);
    if (!held || (!r->loaded && !load(r, now)))
        return;
    if (now >= r->next_poll_ms) {
        bool ok = true;
        for (unsigned i = 0; i < STREAMS && ok; i++)
            ok = !r->streams[i].enabled || read_new(r, i, now);
        if (ok)
            read_worked(r);
        r->next_poll_ms = now + r->config->poll_ms;
    }
    if (now >= r->next_rescan_ms) {
        for (unsigned i = 0; i < STREAMS; i++)
            if (r->streams[i].enabled && !reread_late(r, i, now))
                break;
        r->next_rescan_ms = now + r->config->late_ms / 3;
    }
    record_pending(r);
    if (now >= r->next_checkpoint_ms) {
        move_checkpoints(r);
        r->next_checkpoint_ms = now + CHECKPOINT_EVERY_MS;
    }
    if (now >= r->next_prune_ms) {
        prune(r, now);
        r->next_prune_ms = now + PRUNE_EVERY_MS;
    }
    dispatch(r, now);
}

/* How long the loop may sleep: until the next poll, back-off or lease tick. */
static int wait_ms(const struct relay *r, int64_t now)
{
    int64_t until = now + r->config->poll_ms;
    if (!r->loaded)
        until = now + min64(r->config->poll_ms * 5, r->lease.length_ms / 6);
    if (r->next_wake_ms && r->next_wake_ms < until)
        until = r->next_wake_ms;
    return (int)max64(until - now, 1);
}

static void serve_metrics(struct relay *r, int64_t now)
{
    struct relay_gauges g;
    gauges(r, &g, now);
    relay_metrics_serve(&r->metrics, &g);
}

int relay_run(const struct relay_config *config, volatile sig_atomic_t *stop)
{
    struct relay r = {.config = config};
    char err[256];
    r.db = db_new(config->mongodb_uri, err, sizeof err);
    if (!r.db) {
        log_error("WARDEN_MONGODB_URI: %s", err);
        return 1;
    }
    if (relay_metrics_open(&r.metrics, config, err, sizeof err) < 0) {
        log_error("%s", err);
        db_free(r.db);
        return 1;
    }
    r.sender = relay_sender_new(config->timeout_ms);
    relay_lease_init(&r.lease, config->id, config->lease_ms);
    relay_queue_init(&r.queue);
    const char *collections[STREAMS] = {OUTBOX_GATEWAY, OUTBOX_GAME, OUTBOX_COMMANDS};
    for (unsigned i = 0; i < STREAMS; i++) {
        r.streams[i].collection = collections[i];
        relay_idset_init(&r.streams[i].seen);
    }
    for (size_t i = 0; i < config->n_endpoints; i++)
        r.streams[config->endpoints[i].game ? STREAM_GAME : STREAM_GATEWAY].enabled = true;
    r.streams[STREAM_COMMANDS].enabled = true;
    for (size_t i = 0; i < config->n_endpoints; i++)
        log_info("endpoint %s: %s", config->endpoints[i].name, config->endpoints[i].url);
    log_info("relay %s started", config->id);

    while (!*stop) {
        int64_t now = clock_wall_ms();
        step(&r, now);
        bool metrics_ready =
            relay_sender_wait(r.sender, wait_ms(&r, now), r.metrics.listen_fd);
        relay_sender_collect(r.sender, on_outcome, &r);
        if (metrics_ready)
            serve_metrics(&r, clock_wall_ms());
    }

    /* Finish what is in flight, record it, hand the lease back. */
    uint64_t deadline = clock_monotonic_us() + STOP_GRACE_MS * 1000ULL;
    while (relay_sender_running(r.sender) > 0 && clock_monotonic_us() < deadline) {
        relay_sender_wait(r.sender, 100, -1);
        relay_sender_collect(r.sender, on_outcome, &r);
    }
    record_pending(&r);
    if (r.loaded)
        move_checkpoints(&r);
    relay_lease_release(&r.lease, r.db, clock_wall_ms());
    log_info("relay %s stopped", config->id);
    relay_sender_free(r.sender);
    relay_queue_clear(&r.queue);
    for (unsigned i = 0; i < STREAMS; i++)
        relay_idset_free(&r.streams[i].seen);
    relay_metrics_close(&r.metrics);
    db_free(r.db);
    return 0;
}
