/*
 * schema_setup: the pool puts the database schema (indexes, then the marker
 * that says they are there; see store.h) in place once, at start, so that no
 * request ever waits on it and workers only check the marker.
 *
 * The master makes one attempt before it forks any worker, with a client of
 * its own that it destroys before returning (mongoc is not fork-safe). If the
 * database cannot be reached then, the pool must start anyway (a database
 * outage is a 503, never a pool that will not start), so the master forks
 * the *schema process*: a short-lived child that retries with back-off until
 * the schema is in place, then exits 0. The master reaps it like a worker,
 * starts another if it dies before it is done, and stops it with the pool.
 * A child rather than a retry in the master's loop: the master holds no
 * client while it has workers to fork, and an attempt that hangs on a
 * stalled database (each call bounded only by the socket timeout) stalls
 * nobody's supervision. Workers answer 503 until the marker appears.
 */
#ifndef WARDEN_SCHEMA_SETUP_H
#define WARDEN_SCHEMA_SETUP_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * One attempt, in the calling process, with a client it creates and
 * destroys: true when the schema is in place (logged at info), false after
 * logging why not, in one warning (a failed ping first: "database
 * unreachable at start-up"). Waits at most what the driver's timeouts allow (2 s of
 * server selection by default when the database is down).
 */
bool schema_setup_once(const char *mongodb_uri);

/**
 * Fork the schema process, which calls schema_setup_once until it succeeds
 * (waiting 250 ms after the first failure, doubling up to 5 s), then exits
 * 0. It dies with the master (PR_SET_PDEATHSIG) and on SIGTERM, ignores
 * SIGINT and SIGHUP (the master's), reopens the log on SIGUSR1 between
 * attempts, and logs a failure at most once a minute. Returns its pid, or
 * -1 when fork failed (logged).
 */
pid_t schema_setup_spawn(const char *mongodb_uri, pid_t master_pid);

#endif
