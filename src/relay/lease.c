/*
 * relay/lease: the delivery lease (see include/warden/relay/lease.h).
 */
#include "warden/relay/lease.h"

#include <stdio.h>
#include <string.h>

#include "warden/log.h"
#include "warden/store/outbox.h"

/* Terms kept for history (wardenctl outbox status shows the newest). */
#define TERMS_KEPT 100

void relay_lease_init(struct relay_lease_state *l, const char *holder, int64_t length_ms)
{
    memset(l, 0, sizeof *l);
    l->holder = holder;
    l->length_ms = length_ms;
}

/* Allowance for clocks of two hosts disagreeing. */
static int64_t skew_margin(const struct relay_lease_state *l)
{
    return l->length_ms / 10;
}

static bool insert_term(struct relay_lease_state *l, struct db *db, int64_t term, int64_t now)
{
    struct relay_lease lease = {.term = term, .expires_at_ms = now + l->length_ms};
    snprintf(lease.holder, sizeof lease.holder, "%s", l->holder);
    bson_error_t e;
    enum store_status s = store_relay_lease_insert(db, &lease, TERMS_KEPT, &e);
    if (s == STORE_OK) {
        l->held = true;
        l->term = term;
        l->expires_ms = lease.expires_at_ms;
        return true;
    }
    if (s != STORE_DUPLICATE)
        log_debug("lease: cannot write term %lld: %s", (long long)term, e.message);
    return false;
}

bool relay_lease_tick(struct relay_lease_state *l, struct db *db, int64_t now, bool *changed)
{
    *changed = false;
    if (l->held) {
        if (now < l->expires_ms - l->length_ms / 2)
            return true;
        int64_t term = l->term;
        if (insert_term(l, db, term + 1, now))
            return true;
        struct relay_lease latest;
        bson_error_t e;
        bool read = store_relay_lease_latest(db, &latest, &e) == STORE_OK && latest.term > term;
        if (read && strcmp(latest.holder, l->holder) == 0) {
            /* Our own renewal, written though its answer was lost. */
            l->term = latest.term;
            l->expires_ms = latest.expires_at_ms;
            return true;
        }
        if (!read && now < l->expires_ms)
            return true; /* the database is away: keep it until it runs out */
        log_warn("lease: term %lld %s; deliveries stop", (long long)term,
                 read ? "was taken over" : "ran out before it could be renewed");
        l->held = false;
        l->next_try_ms = now + l->length_ms / 3;
        *changed = true;
        return false;
    }
    if (now < l->next_try_ms)
        return false;
    l->next_try_ms = now + l->length_ms / 3;
    struct relay_lease latest;
    bson_error_t e;
    enum store_status s = store_relay_lease_latest(db, &latest, &e);
    if (s == STORE_ERROR) {
        log_debug("lease: cannot read: %s", e.message);
        return false;
    }
    bool free_now = s == STORE_NOT_FOUND || latest.expires_at_ms + skew_margin(l) < now;
    if (!free_now)
        return false;
    if (!insert_term(l, db, s == STORE_NOT_FOUND ? 1 : latest.term + 1, now))
        return false;
    log_info("lease: term %lld taken (until %lld)%s%s", (long long)l->term,
             (long long)l->expires_ms, s == STORE_OK ? "; previous holder " : "",
             s == STORE_OK ? latest.holder : "");
    *changed = true;
    return true;
}

bool relay_lease_valid(const struct relay_lease_state *l, int64_t now)
{
    return l->held && now < l->expires_ms;
}

void relay_lease_release(struct relay_lease_state *l, struct db *db, int64_t now)
{
    if (!relay_lease_valid(l, now))
        return;
    /* The next term, expired already (and past the skew margin): a
     * standby, or this relay restarted, takes over at once. */
    struct relay_lease lease = {.term = l->term + 1, .expires_at_ms = now - l->length_ms};
    snprintf(lease.holder, sizeof lease.holder, "%s", l->holder);
    bson_error_t e;
    if (store_relay_lease_insert(db, &lease, TERMS_KEPT, &e) == STORE_OK)
        log_info("lease: term %lld released", (long long)l->term);
    l->held = false;
}
