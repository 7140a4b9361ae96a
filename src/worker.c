/*
 * worker: accept and serve FastCGI requests (see include/warden/worker.h).
 *
 * Signals: SIGTERM sets a flag. While a request is being served, SIGTERM and
 * SIGUSR1 are blocked, so a stop never interrupts a database call or a write
 * halfway; they are delivered when the worker returns to accept(), which
 * (with FCGI_FAIL_ACCEPT_ON_INTR and no SA_RESTART) then fails with EINTR and
 * the loop ends. A signal landing between the flag check and accept() would
 * be missed: the master repeats SIGTERM until the worker is gone. SIGINT and
 * SIGHUP are ignored: they are the master's to handle.
 */
#define _DEFAULT_SOURCE /* prctl's PR_SET_PDEATHSIG */
#include "warden/worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <mongoc/mongoc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "warden/app.h"
#include "warden/arena.h"
#include "warden/db.h"
#include "warden/fastcgi.h"
#include "warden/listener.h"
#include "warden/log.h"
#include "warden/request.h"
#include "warden/response.h"
#include "warden/scoreboard.h"
#include "warden/snowflake.h"
#include "warden/util.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_reopen(int sig)
{
    (void)sig;
    reopen_requested = 1;
}

static void install_signals(sigset_t *serving_mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: accept() must return EINTR */
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_reopen;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);

    sigemptyset(serving_mask);
    sigaddset(serving_mask, SIGTERM);
    sigaddset(serving_mask, SIGUSR1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Recycle after max_requests plus up to 10% so workers started together do
 * not all restart at the same moment. */
static unsigned long request_limit(long max_requests)
{
    if (max_requests <= 0)
        return 0;
    unsigned seed = (unsigned)getpid() ^ (unsigned)clock_monotonic_us();
    unsigned long jitter = (unsigned long)rand_r(&seed) % ((unsigned long)max_requests / 10 + 1);
    return (unsigned long)max_requests + jitter;
}

static void serve_one(struct app *app, FCGX_Request *fr, struct arena *arena, struct response *res)
{
    uint64_t started = clock_monotonic_us();
    struct request req;
    fastcgi_read_request(fr, &req, arena, app->cfg->body_limit);
    scoreboard_request_begin(app->slot, req.method, req.path);

    response_reset(res);
    app_handle(app, &req, res);
    fastcgi_write_response(fr, &req, res);
    FCGX_Finish_r(fr);

    uint64_t elapsed = clock_monotonic_us() - started;
    scoreboard_request_end(app->slot);
    log_access(req.method, req.path, res->status, elapsed, req.request_id);
    if (app->cfg->slow_ms > 0 && elapsed >= (uint64_t)app->cfg->slow_ms * 1000) {
        __atomic_add_fetch(&app->scoreboard->slow_requests, 1, __ATOMIC_RELAXED);
        log_warn("slow request: %s %s took %llu ms (rid=%s)", req.method, req.path,
                 (unsigned long long)(elapsed / 1000), req.request_id);
    }
    arena_reset(arena);
}

_Noreturn void worker_run(const struct worker_context *ctx)
{
    sigset_t serving_mask;
    install_signals(&serving_mask);
    /* Do not outlive the master (e.g. after a SIGKILL to it). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != ctx->master_pid)
        _exit(0);

    struct scoreboard_slot *slot = &ctx->scoreboard->slots[ctx->slot_index];
    slot->pid = getpid();
    snowflake_init((unsigned)ctx->cfg->host_id, (unsigned)ctx->slot_index);

    if (FCGX_Init() != 0) {
        log_error("worker: FCGX_Init failed");
        exit(1);
    }
    char err[256];
    struct db *db = db_new(ctx->cfg->mongodb_uri, err, sizeof err);
    if (!db) {
        log_error("worker: %s", err);
        exit(1);
    }
    struct app app = {
        .cfg = ctx->cfg,
        .db = db,
        .scoreboard = ctx->scoreboard,
        .slot = slot,
        .slot_index = ctx->slot_index,
        .listener = ctx->listener,
    };
    struct arena *arena = arena_new();
    struct response res;
    response_init(&res);
    FCGX_Request fr;
    FCGX_InitRequest(&fr, ctx->listener->fd, FCGI_FAIL_ACCEPT_ON_INTR);

    unsigned long limit = request_limit(ctx->cfg->max_requests);
    unsigned long served = 0;
    __atomic_store_n(&slot->state, SLOT_IDLE, __ATOMIC_RELEASE);
    log_debug("worker ready in slot %d", ctx->slot_index);

    while (!stop_requested) {
        if (reopen_requested) {
            reopen_requested = 0;
            log_reopen();
        }
        int rc = FCGX_Accept_r(&fr);
        if (rc < 0) {
            if (stop_requested || rc == -EINTR)
                continue;
            log_error("worker: accept failed (%d)", rc);
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL); /* do not spin on a persistent error */
            continue;
        }
        sigprocmask(SIG_BLOCK, &serving_mask, NULL);
        serve_one(&app, &fr, arena, &res);
        sigprocmask(SIG_UNBLOCK, &serving_mask, NULL);
        served++;
        if (limit && served >= limit) {
            log_info("worker recycling after %lu requests", served);
            break;
        }
    }

    FCGX_Free(&fr, 0);
    response_free(&res);
    arena_free(arena);
    db_free(db);
    mongoc_cleanup();
    exit(0);
}
