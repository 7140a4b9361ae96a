/*
 * worker: the loop of one pool process: accept, serve, repeat.
 *
 * Runs in a freshly forked child. It makes its own database client (mongoc is
 * not fork-safe), serves until told to stop (SIGTERM: finish the request in
 * hand, then exit 0) or until it has served its share of --max-requests, and
 * keeps its scoreboard slot current. It never returns. A fatal() in a worker
 * (util.h) logs where it happened and ends that worker only, with status 1,
 * like any other failure; the master then starts another.
 *
 * A worker never creates the database schema: it only checks, before its
 * first request that touches data, that the master has put it in place
 * (dispatch_db_ready, store_schema_ready).
 */
#ifndef WARDEN_WORKER_H
#define WARDEN_WORKER_H

#include <sys/types.h>

#include "warden/config.h"
#include "warden/store.h"

struct listener;
struct scoreboard;

struct worker_context {
    const struct config *cfg;
    const struct listener *listener;
    struct scoreboard *scoreboard;
    int slot_index;
    pid_t master_pid;
};

/** Serve requests in this process; exits with 0 on a clean stop or recycle, 1 on failure. */
_Noreturn void worker_run(const struct worker_context *ctx);

#endif
