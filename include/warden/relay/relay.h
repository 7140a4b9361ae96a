/*
 * relay/relay: warden-relay's loop. It holds the lease (relay/lease.h),
 * reads the outboxes in _id order from their checkpoints, delivers each
 * event to its endpoint one target at a time (relay/queue.h), records each
 * outcome, applies wardenctl's commands, moves the checkpoints on and
 * deletes what retention allows.
 *
 * Reading. Ids are drawn before their insert lands, by several processes,
 * so an insert can land below ids already read. The relay reads ids only
 * once WARDEN_RELAY_SETTLE_MS old (inserts in flight land first, and one
 * target's events are sent in _id order); an insert slower than that is
 * found by re-reading the last WARDEN_RELAY_LATE_MS of ids every third of
 * that time, and sent then, after any later event of its target already
 * sent. A checkpoint never passes ids younger than that window as of the
 * last re-read. Worker inserts time out well within it (10 s socket timeout).
 *
 * Memory. At most RELAY_PENDING_MAX events are held; past that the relay
 * stops reading ahead until some are done.
 */
#ifndef WARDEN_RELAY_RELAY_H
#define WARDEN_RELAY_RELAY_H

#include <signal.h>

#include "warden/relay/config.h"

#define RELAY_PENDING_MAX 20000

/**
 * Run until *stop is set (a signal handler sets it), then finish the
 * requests in flight (5 s at most) and hand the lease back. Returns the
 * process's exit status.
 */
int relay_run(const struct relay_config *config, volatile sig_atomic_t *stop);

#endif
