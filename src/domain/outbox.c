/*
 * domain/outbox: retry and skip of one outbox event (see include/warden/domain/outbox.h).
 */
#include "warden/domain/outbox.h"

#include <string.h>

#include "warden/arena.h"
#include "warden/clock.h"
#include "warden/domain/journal.h"
#include "warden/format.h"
#include "warden/log.h"

/* A racing relay or operator may change the outcome between a read and the
 * delete that depends on it: read again, a few times. */
#define RETRY_READS 4

static bool find_event(const struct domain *d, int64_t id, struct outbox_action *out,
                       struct domain_result *r)
{
    memset(out, 0, sizeof *out);
    bson_error_t e;
    enum store_status s = store_outbox_find(d->db, id, &out->event, &e);
    if (s == STORE_NOT_FOUND)
        return domain_not_found(r, 0,
                                arena_printf(d->arena, "no event %lld in " OUTBOX_GATEWAY " or " OUTBOX_GAME,
                                             (long long)id));
    return s == STORE_OK ? domain_ok(r) : domain_store_error(r, &e);
}

/* REFUSED, naming the outcome recorded: "<lead> <state> (at ..., by ...)<tail>". */
static bool refuse_outcome(const struct domain *d, const struct outbox_action *out, const char *lead,
                           const char *tail, struct domain_result *r)
{
    char at[48];
    format_iso8601(out->outcome.at_ms, at, sizeof at);
    return domain_fail(r, DOMAIN_REFUSED,
                       arena_printf(d->arena, "event %lld %s %s (at %s, by %s)%s", (long long)out->event.id, lead,
                                    out->outcome.state, at, out->outcome.relay[0] ? out->outcome.relay : "?",
                                    tail));
}

bool outbox_retry(const struct domain *d, int64_t event_id, struct outbox_action *out,
                  struct domain_result *r)
{
    if (!find_event(d, event_id, out, r))
        return false;
    bson_error_t e;
    const char *outbox = out->event.outbox;
    for (int read = 0;; read++) {
        enum store_status s = store_outbox_outcome(d->db, outbox, event_id, &out->outcome, &e);
        if (s == STORE_NOT_FOUND) {
            out->had_outcome = false;
            break;
        }
        if (s != STORE_OK)
            return domain_store_error(r, &e);
        out->had_outcome = true;
        if (strcmp(out->outcome.state, "delivered") == 0)
            return refuse_outcome(d, out, "was", ": nothing to retry", r);
        s = store_outbox_outcome_delete(d->db, outbox, event_id, out->outcome.state, &e);
        if (s == STORE_OK)
            break;
        if (s != STORE_NOT_FOUND)
            return domain_store_error(r, &e);
        if (read + 1 == RETRY_READS)
            return domain_fail(r, DOMAIN_REFUSED, "its outcome keeps changing: try again");
    }
    if (store_outbox_command(d->db, "retry", outbox, event_id, d->actor.name, clock_wall_ms(),
                             &out->command_id, &e) != STORE_OK) {
        if (out->had_outcome)
            log_error("event %lld: its %s outcome was deleted but the retry command was not written "
                      "(run `wardenctl outbox retry %lld` again): %s",
                      (long long)event_id, out->outcome.state, (long long)event_id, e.message);
        return domain_store_error(r, &e);
    }
    bson_t before = BSON_INITIALIZER, after = BSON_INITIALIZER;
    if (out->had_outcome) {
        BSON_APPEND_UTF8(&before, "state", out->outcome.state);
        BSON_APPEND_INT64(&before, "status", out->outcome.status);
        BSON_APPEND_UTF8(&before, "error", out->outcome.error);
        BSON_APPEND_INT64(&before, "attempts", out->outcome.attempts);
    }
    BSON_APPEND_UTF8(&after, "outbox", outbox);
    BSON_APPEND_INT64(&after, "command", out->command_id);
    bool recorded = journal_audit_id(d, "outbox.retry", "event", event_id,
                                     out->had_outcome ? &before : NULL, &after, r);
    bson_destroy(&before);
    bson_destroy(&after);
    return recorded;
}

bool outbox_skip(const struct domain *d, int64_t event_id, outbox_env_fn get, void *ctx,
                 struct outbox_action *out, struct domain_result *r)
{
    if (!find_event(d, event_id, out, r))
        return false;
    bson_error_t e;
    const char *outbox = out->event.outbox;
    struct outbox_endpoint ep;
    outbox_endpoint_of(outbox, out->event.type, get, ctx, &ep);
    memcpy(out->endpoint, ep.name, sizeof out->endpoint);
    /* The insert decides: a duplicate key is an outcome recorded already. */
    enum store_status s = store_outbox_skipped(d->db, &out->event, ep.name, &e);
    if (s == STORE_DUPLICATE) {
        s = store_outbox_outcome(d->db, outbox, event_id, &out->outcome, &e);
        if (s == STORE_OK) {
            out->had_outcome = true;
            return refuse_outcome(d, out, "already has an outcome:", "; not skipped", r);
        }
        if (s == STORE_NOT_FOUND) /* deleted since by a retry */
            return domain_fail(r, DOMAIN_REFUSED, "its outcome is changing: try again");
    }
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    if (store_outbox_command(d->db, "skip", outbox, event_id, d->actor.name, clock_wall_ms(),
                             &out->command_id, &e) != STORE_OK) {
        log_error("event %lld is recorded skipped but the skip command was not written (`wardenctl "
                  "outbox retry %lld`, then skip it again): %s",
                  (long long)event_id, (long long)event_id, e.message);
        return domain_store_error(r, &e);
    }
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&after, "outbox", outbox);
    BSON_APPEND_UTF8(&after, "endpoint", ep.name);
    BSON_APPEND_UTF8(&after, "state", "skipped");
    BSON_APPEND_INT64(&after, "command", out->command_id);
    bool recorded = journal_audit_id(d, "outbox.skip", "event", event_id, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}
