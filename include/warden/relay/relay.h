/*
 * relay/relay: warden-relay's loop. It holds the lease (relay/lease.h),
 * reads the outboxes in _id order from their checkpoints, delivers each
 * event to its endpoint one target at a time (relay/queue.h), records each
 * outcome, applies wardenctl's commands, moves the checkpoints on and
 * deletes what retention allows.
 *
 * Reading. Ids are drawn before their insert lands, so an insert can land
 * below ids already read. The relay re-reads the last WARDEN_RELAY_LATE_MS
 * of ids every third of that time and picks up what it had not seen; a
 * checkpoint never passes ids younger than that window as of the last
 * re-read. Worker inserts time out well within it (10 s socket timeout).
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
