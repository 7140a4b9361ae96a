/*
 * worker: accept and serve FastCGI requests (see include/warden/worker.h).
 *
 * Signals: SIGTERM sets a flag, SIGUSR1 another. Both stay blocked except
 * while the worker waits for a connection in epoll_pwait(), which unblocks
 * them atomically for the wait: a stop never interrupts a database call, a
 * write, or libfcgi taking a connection in hand (after accept() libfcgi
 * select()s and read()s the new connection, and an EINTR there makes it
 * close the connection, which nginx answers with a 502), and a stop sent
 * just before the wait is not missed. The listening socket is non-blocking,
 * so a worker woken for a connection another worker took goes back to
 * waiting; EPOLLEXCLUSIVE wakes one waiter per connection, as a blocking
 * accept() did. SIGINT and SIGHUP are ignored: they are the master's to
 * handle.
 */
#define _DEFAULT_SOURCE /* prctl's PR_SET_PDEATHSIG */
#include "warden/api.h"
#include "warden/worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <mongoc/mongoc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "warden/dispatch.h"
#include "warden/arena.h"
#include "warden/store/db.h"
#include "warden/fastcgi.h"
#include "warden/listener.h"
#include "warden/log.h"
#include "warden/request.h"
#include "warden/response.h"
#include "warden/scoreboard.h"
#include "warden/snowflake.h"
#include "warden/fatal.h"
#include "warden/clock.h"

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

/* Handlers for the worker's signals; SIGTERM and SIGUSR1 end up blocked,
 * and *waiting_mask is the mask to wait for connections with. */
static void install_signals(sigset_t *waiting_mask)
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

    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGUSR1);
    sigprocmask(SIG_SETMASK, &blocked, NULL);
    sigemptyset(waiting_mask);
}

/* An epoll instance of this process's own (one shared across fork would
 * share its wake-ups) watching the listening socket; -1 on failure. */
static int watch_listener(int listen_fd)
{
    int flags = fcntl(listen_fd, F_GETFL);
    if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) == 0)
        return ep;
    ev.events = EPOLLIN; /* kernels before 4.5: every waiter wakes */
    if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) == 0)
        return ep;
    close(ep);
    return -1;
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
    scoreboard_request_begin(app->slot, req.method, req.path, req.request_id);

    response_reset(res);
    dispatch_request(app, &req, res);
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
    /* fastcgi_read_request wiped libfcgi's buffer and its own; the body's
     * copy in the arena goes before the arena is reused. */
    request_wipe_body(&req);
    arena_reset(arena);
}

_Noreturn void worker_run(const struct worker_context *ctx)
{
    /* From here on a fatal() (out of memory, a broken invariant) ends this
     * worker alone, logged with its file and line; the master respawns it. */
    fatal_after_fork();
    sigset_t waiting_mask;
    install_signals(&waiting_mask);
    /* Do not outlive the master (e.g. after a SIGKILL to it). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != ctx->master_pid)
        _exit(0);

    log_after_fork();
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
    int ep = watch_listener(ctx->listener->fd);
    if (ep < 0) {
        log_error("worker: cannot watch the listening socket: %s", strerror(errno));
        exit(1);
    }

    unsigned long limit = request_limit(ctx->cfg->max_requests);
    unsigned long served = 0;
    scoreboard_idle(slot);
    log_debug("worker ready in slot %d", ctx->slot_index);

    while (!stop_requested) {
        if (reopen_requested) {
            reopen_requested = 0;
            log_reopen();
        }
        struct epoll_event ev;
        int ready = epoll_pwait(ep, &ev, 1, -1, &waiting_mask);
        if (ready < 0 && errno != EINTR) {
            log_error("worker: waiting for connections failed: %s", strerror(errno));
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL); /* do not spin on a persistent error */
        }
        if (ready <= 0)
            continue;
        int rc = FCGX_Accept_r(&fr);
        if (rc < 0) {
            /* EAGAIN: another worker took the connection. */
            if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
                continue;
            log_error("worker: accept failed (%d)", rc);
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL); /* do not spin on a persistent error */
            continue;
        }
        serve_one(&app, &fr, arena, &res);
        served++;
        if (limit && served >= limit) {
            log_info("worker recycling after %lu requests", served);
            break;
        }
    }

    FCGX_Free(&fr, 0);
    close(ep);
    response_free(&res);
    arena_free(arena);
    db_free(db);
    mongoc_cleanup();
    exit(0);
}
