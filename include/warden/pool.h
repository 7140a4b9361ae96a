/*
 * pool: the master process.
 *
 * Holds the listening socket, forks the workers, and supervises them:
 * respawns the dead (backing off when they crash in a loop), kills a worker
 * whose request outlives --request-timeout, replaces all workers on SIGHUP
 * without closing the socket (so nothing is refused: connections wait in the
 * kernel's backlog), stops gracefully on SIGTERM/SIGINT, and reopens the log
 * on SIGUSR1. The master touches the database once, before it forks any
 * worker, to put the schema in place with a client it frees right after; if
 * the database is down then, it starts anyway and a child of its own retries
 * (schema_setup.h).
 */
#ifndef WARDEN_POOL_H
#define WARDEN_POOL_H

#include "warden/config.h"
#include "warden/listener.h"

/** Run the pool until stopped. Returns the process exit status (0 after a graceful stop). */
int pool_run(const struct config *cfg, struct listener *listener);

#endif
