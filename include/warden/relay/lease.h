/*
 * relay/lease: which relay delivers. One lease for the deployment, held by
 * inserting terms into relay_leases (store/outbox.h): the newest term is
 * the lease, a relay takes it (none yet, or the newest has expired) or
 * renews it (past half its length) by inserting the next term, and a
 * duplicate key means another relay inserted that term first. A holder
 * delivers only while its own expiry is ahead; one that cannot renew in
 * time (database down, process stalled) stops, and a standby takes over
 * once the term has expired by a margin for clock skew between hosts.
 */
#ifndef WARDEN_RELAY_LEASE_H
#define WARDEN_RELAY_LEASE_H

#include <stdbool.h>
#include <stdint.h>

struct db;

struct relay_lease_state {
    const char *holder;      /* this relay's id */
    int64_t length_ms;
    bool held;
    int64_t term;            /* the term held (when held) */
    int64_t expires_ms;      /* its expiry (when held) */
    int64_t next_try_ms;     /* when a standby next looks */
};

void relay_lease_init(struct relay_lease_state *l, const char *holder, int64_t length_ms);

/**
 * Take, renew or give up the lease as now (wall ms) requires. Returns
 * whether it is held afterwards; *changed says it was taken or lost by
 * this call.
 */
bool relay_lease_tick(struct relay_lease_state *l, struct db *db, int64_t now, bool *changed);

/** On a graceful stop: hand the lease back so that another relay need not wait for it. */
void relay_lease_release(struct relay_lease_state *l, struct db *db, int64_t now);

/** Whether deliveries may start at now. */
bool relay_lease_valid(const struct relay_lease_state *l, int64_t now);

#endif
