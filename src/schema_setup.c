/*
 * schema_setup: the schema put in place at pool start, and retried in a child
 * while the database is down (see include/warden/schema_setup.h).
 *
 * Never runs in a worker or on a request's path.
 */
#define _DEFAULT_SOURCE /* prctl's PR_SET_PDEATHSIG */
#include "warden/schema_setup.h"

#include <errno.h>
#include <mongoc/mongoc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "warden/log.h"
#include "warden/store/db.h"
#include "warden/fatal.h"
#include "warden/clock.h"
#include "warden/store.h"

#define RETRY_FIRST_US (250 * 1000)
#define RETRY_MAX_US (5 * 1000 * 1000)
/* A database down for hours would otherwise log a line per attempt. */
#define FAILURE_LOG_EVERY_US (60ULL * 1000 * 1000)

/*
 * One attempt with a client of its own, destroyed before returning: the
 * master forks right after, and in the schema process a fresh client per
 * attempt connects at once, where one that failed to reach the server
 * would wait out the driver's 5 s cool-down before trying again.
 */
static bool attempt(const char *mongodb_uri, bson_error_t *e, bool *unreachable)
{
    char err[256];
    *unreachable = false;
    struct db *db = db_new(mongodb_uri, err, sizeof err);
    if (!db) {
        bson_set_error(e, 0, 0, "%s", err);
        return false;
    }
    /* A ping first, so that a database that is down says so in its own words
     * rather than as a failed index creation. */
    bool ok = db_ping(db, e);
    if (!ok)
        *unreachable = true;
    else
        ok = store_schema_ensure(db, e);
    db_free(db);
    return ok;
}

bool schema_setup_once(const char *mongodb_uri)
{
    bson_error_t e;
    bool unreachable;
    if (attempt(mongodb_uri, &e, &unreachable)) {
        log_info("database schema in place");
        return true;
    }
    if (unreachable)
        log_warn("database unreachable at start-up: the first ping failed (%s); retrying in the "
                 "background, requests that need the database answer 503 meanwhile",
                 e.message);
    else
        log_warn("database schema not in place yet (%s); retrying in the background, requests "
                 "that need the database answer 503 meanwhile",
                 e.message);
    return false;
}

/* The schema process's signals (the master forks with its own blocked):
 * SIGTERM ends it at once (default action: an attempt is idempotent, there
 * is nothing to finish); SIGINT and SIGHUP, the master's, are ignored;
 * SIGUSR1 (reopen the log) stays blocked and is taken only by back_off, so
 * that it never interrupts a database call. */
static void child_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigprocmask(SIG_SETMASK, &blocked, NULL);
}

/* Wait us microseconds, reopening the log whenever SIGUSR1 arrives. */
static void back_off(uint64_t us)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    uint64_t until = clock_monotonic_us() + us;
    for (uint64_t now = clock_monotonic_us(); now < until; now = clock_monotonic_us()) {
        uint64_t left = until - now;
        struct timespec ts = {(time_t)(left / 1000000), (long)(left % 1000000) * 1000};
        if (sigtimedwait(&usr1, NULL, &ts) == SIGUSR1)
            log_reopen();
    }
}

_Noreturn static void run_child(const char *mongodb_uri, pid_t master_pid)
{
    fatal_after_fork();
    log_after_fork();
    child_signals();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid)
        _exit(0);

    uint64_t wait_us = RETRY_FIRST_US, last_logged = clock_monotonic_us();
    unsigned attempts = 0;
    bson_error_t e;
    bool unreachable;
    for (;;) {
        back_off(wait_us);
        attempts++;
        if (attempt(mongodb_uri, &e, &unreachable))
            break;
        uint64_t now = clock_monotonic_us();
        if (now - last_logged >= FAILURE_LOG_EVERY_US) {
            log_warn("database schema still not in place after %u attempts: %s", attempts,
                     e.message);
            last_logged = now;
        }
        wait_us = wait_us * 2 > RETRY_MAX_US ? RETRY_MAX_US : wait_us * 2;
    }
    log_info("database schema in place (schema process, attempt %u)", attempts);
    mongoc_cleanup();
    exit(0);
}

pid_t schema_setup_spawn(const char *mongodb_uri, pid_t master_pid)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error("cannot fork the schema process: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        run_child(mongodb_uri, master_pid);
    log_debug("schema process pid %d started", (int)pid);
    return pid;
}
