/*
 * domain/outbox: the operator's two actions on one outbox event, for
 * warden-relay to carry out (`wardenctl outbox retry|skip ID`).
 *
 * retry: an event whose outcome is failed, expired or skipped loses that
 * outcome, and a `retry` command is inserted; the relay then attempts it at
 * once (waiting in back-off) or queues it again in its target's order. A
 * delivered event is refused. Records: outbox.retry, target event:<id>,
 * before {state, status, error, attempts} of the outcome deleted (none
 * when there was none), after {outbox, command}.
 *
 * skip: an event with no outcome gets the outcome `skipped` (relay
 * "wardenctl"), and a `skip` command is inserted, by which the relay drops
 * it from its target's queue. An event with an outcome is refused, naming
 * it. Records: outbox.skip, target event:<id>, after {outbox, endpoint,
 * state: "skipped", command}.
 *
 * Both: NOT_FOUND when neither outbox holds the id; REFUSED with a message
 * naming the outcome; the outcome is decided by unique-key inserts and a
 * delete guarded by the state read, never by an update.
 */
#ifndef WARDEN_DOMAIN_OUTBOX_H
#define WARDEN_DOMAIN_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/domain/domain.h"
#include "warden/outbox_endpoint.h"
#include "warden/store/outbox_admin.h"

struct outbox_action {
    struct outbox_event event;
    bool had_outcome;               /* retry: an outcome was deleted; refusals: one exists */
    struct outbox_outcome outcome;   /* that outcome */
    char endpoint[OUTBOX_ENDPOINT_NAME_SIZE]; /* skip: the endpoint recorded */
    int64_t command_id;             /* the command inserted */
};

/** Retry event_id (see above); *out filled as far as the operation went. */
bool outbox_retry(const struct domain *d, int64_t event_id, struct outbox_action *out,
                  struct domain_result *r);
/**
 * Skip event_id (see above); its endpoint is outbox_endpoint_of's with
 * get/ctx (the relay's settings as the caller sees them).
 */
bool outbox_skip(const struct domain *d, int64_t event_id, outbox_env_fn get, void *ctx,
                 struct outbox_action *out, struct domain_result *r);

#endif
