/*
 * pool: fork and supervise the workers (see include/warden/pool.h).
 *
 * The master blocks its signals and takes them synchronously with
 * sigtimedwait in a loop that wakes at least every TICK_MS, so supervision
 * (timeouts, respawns, the stop deadline) needs no async-signal-safe tricks.
 *
 * Slots: the scoreboard has two slots per worker the pool may have, so a
 * rolling restart can run a full new generation beside the old one until
 * the new one is accepting.
 *
 * Sizing (--pm, PHP-FPM's pm): `static` keeps --workers; `dynamic` and
 * `ondemand` move a target between their bounds each tick (size_pool): more
 * when too few are idle, or when a connection waits and none is idle (the
 * master then polls the listening socket too), at most doubling per tick;
 * fewer by stopping workers idle past --idle-timeout.
 *
 * The database schema is put in place before the first worker is forked
 * (schema_setup.h); when the database is down then, the schema process
 * retries beside the workers. It has no slot: the master knows it by pid.
 */
#include "warden/pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "warden/log.h"
#include "warden/schema_setup.h"
#include "warden/scoreboard.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/worker.h"

#define TICK_MS 100
/* A worker that dies sooner than this after its start counts as crashing. */
#define CRASH_WINDOW_US (2 * 1000 * 1000)
#define BACKOFF_MIN_US (100 * 1000)
#define BACKOFF_MAX_US (10 * 1000 * 1000)
#define CRASH_STREAK_RESET_US (60ULL * 1000 * 1000)
/* How long a rolling restart waits for the new workers before retiring the old anyway. */
#define ROLLING_WAIT_US (10 * 1000 * 1000)
/* A schema process that died before the schema was in place (killed, out of
 * memory) is replaced after this long. */
#define SCHEMA_RESPAWN_US (5 * 1000 * 1000)
/* Workers a dynamic or ondemand pool may add in one tick, at most (PHP-FPM's cap). */
#define SPAWN_RATE_MAX 32

struct slot_watch {             /* master-private facts about a slot */
    uint64_t spawned_us;
    bool killed_for_timeout;
};

struct pool {
    const struct config *cfg;
    struct listener *listener;
    struct scoreboard *sb;
    struct slot_watch *watch;
    unsigned generation;
    pid_t master_pid;
    int crash_streak;
    uint64_t last_crash_us;
    uint64_t next_spawn_us;     /* back-off: no spawn before this */
    bool rolling;
    uint64_t rolling_deadline_us;
    bool rolling_warned;
    bool stopping;
    uint64_t stop_deadline_us;
    pid_t schema_pid;           /* the schema process, 0 when none runs */
    uint64_t schema_respawn_us; /* start one at this time; 0: not needed */
    int target;                 /* current-generation workers wanted now */
    int spawn_rate;             /* what the next tick short of workers may add */
    int signal_fd;              /* the master's blocked signals, read by poll */
};

static bool slot_live(const struct scoreboard_slot *s)
{
    return s->state != SLOT_EMPTY;
}

static bool slot_current(const struct pool *p, const struct scoreboard_slot *s)
{
    return slot_live(s) && !s->retiring && s->generation == p->generation;
}

static int spawn(struct pool *p, int index)
{
    struct scoreboard_slot *s = &p->sb->slots[index];
    memset((void *)s, 0, sizeof *s);
    s->state = SLOT_STARTING;
    s->generation = p->generation;
    s->process_started_ms = clock_wall_ms();
    p->watch[index].spawned_us = clock_monotonic_us();
    p->watch[index].killed_for_timeout = false;

    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork failed: %s", strerror(errno));
        s->state = SLOT_EMPTY;
        return -1;
    }
    if (pid == 0) {
        close(p->signal_fd);
        struct worker_context ctx = {p->cfg, p->listener, p->sb, index, p->master_pid};
        worker_run(&ctx);
    }
    s->pid = pid;
    __atomic_add_fetch(&p->sb->spawns, 1, __ATOMIC_RELAXED);
    log_debug("started worker pid %d in slot %d", (int)pid, index);
    return 0;
}

/* Keep the target number of current-generation workers running. */
static void ensure_workers(struct pool *p)
{
    if (p->stopping)
        return;
    int current = 0;
    for (int i = 0; i < p->sb->capacity; i++)
        if (slot_current(p, &p->sb->slots[i]))
            current++;
    uint64_t now = clock_monotonic_us();
    for (int i = 0; i < p->sb->capacity && current < p->target; i++) {
        if (slot_live(&p->sb->slots[i]))
            continue;
        if (now < p->next_spawn_us)
            return;
        if (spawn(p, i) == 0)
            current++;
        else
            p->next_spawn_us = now + BACKOFF_MIN_US;
    }
}

static void signal_workers(struct pool *p, int sig, bool old_generation_only)
{
    for (int i = 0; i < p->sb->capacity; i++) {
        struct scoreboard_slot *s = &p->sb->slots[i];
        if (!slot_live(s) || s->pid <= 0)
            continue;
        if (old_generation_only && s->generation == p->generation)
            continue;
        if (sig == SIGTERM)
            s->retiring = 1;
        kill(s->pid, sig);
    }
}

/* Ask the workers of one generation to finish and exit. */
static void retire_generation(struct pool *p, unsigned generation)
{
    for (int i = 0; i < p->sb->capacity; i++) {
        struct scoreboard_slot *s = &p->sb->slots[i];
        if (slot_live(s) && s->pid > 0 && !s->retiring && s->generation == generation) {
            s->retiring = 1;
            kill(s->pid, SIGTERM);
        }
    }
}

static void describe_exit(int status, char *out, size_t size)
{
    if (WIFEXITED(status))
        snprintf(out, size, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(out, size, "status %d", status);
}

static void start_schema_process(struct pool *p)
{
    p->schema_respawn_us = 0;
    p->schema_pid = schema_setup_spawn(p->cfg->mongodb_uri, p->master_pid);
    if (p->schema_pid < 0) {
        p->schema_pid = 0;
        p->schema_respawn_us = clock_monotonic_us() + SCHEMA_RESPAWN_US;
    }
}

/* The schema process ended: exit status 0 means the schema is in place. */
static void schema_process_reaped(struct pool *p, int status)
{
    p->schema_pid = 0;
    if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) || p->stopping)
        return;
    char how[96];
    describe_exit(status, how, sizeof how);
    log_error("the schema process died (%s) before the schema was in place; another in %d s",
              how, SCHEMA_RESPAWN_US / 1000000);
    p->schema_respawn_us = clock_monotonic_us() + SCHEMA_RESPAWN_US;
}

static void reap(struct pool *p)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == p->schema_pid) {
            schema_process_reaped(p, status);
            continue;
        }
        int index = -1;
        for (int i = 0; i < p->sb->capacity; i++)
            if (p->sb->slots[i].pid == pid && slot_live(&p->sb->slots[i]))
                index = i;
        if (index < 0)
            continue;
        struct scoreboard_slot *s = &p->sb->slots[index];
        struct slot_watch *w = &p->watch[index];
        uint64_t lived = clock_monotonic_us() - w->spawned_us;
        bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        bool expected = s->retiring || p->stopping;
        char how[96];
        describe_exit(status, how, sizeof how);

        __atomic_add_fetch(&p->sb->retired_requests, s->requests, __ATOMIC_RELAXED);
        if (s->state == SLOT_BUSY)
            __atomic_add_fetch(&p->sb->retired_requests, 1, __ATOMIC_RELAXED);

        if (w->killed_for_timeout) {
            log_warn("worker pid %d killed by --request-timeout was reaped", (int)pid);
        } else if (!clean && !expected) {
            if (s->state == SLOT_BUSY)
                /* What it was doing: the request nginx now answers with a 502. */
                log_error("worker pid %d in slot %d died (%s) after %llu ms, serving %s %s (rid=%s)",
                          (int)pid, index, how, (unsigned long long)(lived / 1000), s->method,
                          s->uri, s->request_id[0] ? s->request_id : "-");
            else
                log_error("worker pid %d in slot %d died (%s) after %llu ms, %s", (int)pid, index,
                          how, (unsigned long long)(lived / 1000),
                          s->state == SLOT_STARTING ? "while starting" : "between requests");
            __atomic_add_fetch(&p->sb->crashes, 1, __ATOMIC_RELAXED);
            uint64_t now = clock_monotonic_us();
            /* A streak is crashes in a row: one long after the last starts afresh. */
            if (now - p->last_crash_us > CRASH_STREAK_RESET_US)
                p->crash_streak = 0;
            p->last_crash_us = now;
            if (lived < CRASH_WINDOW_US) {
                /* Crashing as soon as started: slow down instead of fork-looping. */
                uint64_t backoff = BACKOFF_MIN_US << (p->crash_streak < 7 ? p->crash_streak : 7);
                if (backoff > BACKOFF_MAX_US)
                    backoff = BACKOFF_MAX_US;
                p->crash_streak++;
                p->next_spawn_us = clock_monotonic_us() + backoff;
                log_warn("workers are crashing at start; next spawn in %llu ms",
                         (unsigned long long)(backoff / 1000));
            } else {
                p->crash_streak = 0;
            }
        } else {
            log_debug("worker pid %d exited (%s)", (int)pid, how);
            if (lived >= CRASH_WINDOW_US)
                p->crash_streak = 0;
        }
        bool replace = !p->stopping && !s->retiring && s->generation == p->generation;
        s->state = SLOT_EMPTY;
        s->pid = 0;
        if (replace)
            __atomic_add_fetch(&p->sb->respawns, 1, __ATOMIC_RELAXED);
    }
}

static void check_timeouts(struct pool *p)
{
    uint64_t now = clock_monotonic_us();
    uint64_t limit = (uint64_t)p->cfg->request_timeout_s * 1000000u;
    for (int i = 0; i < p->sb->capacity; i++) {
        struct scoreboard_slot *s = &p->sb->slots[i];
        if (s->state != SLOT_BUSY || s->pid <= 0 || p->watch[i].killed_for_timeout)
            continue;
        uint64_t started = s->request_started_us;
        if (started == 0 || now <= started || now - started <= limit)
            continue;
        log_error("worker pid %d: request %s %s (rid=%s) ran %llu s (over --request-timeout %d s); "
                  "killing it",
                  (int)s->pid, s->method, s->uri, s->request_id[0] ? s->request_id : "-",
                  (unsigned long long)((now - started) / 1000000), p->cfg->request_timeout_s);
        p->watch[i].killed_for_timeout = true;
        __atomic_add_fetch(&p->sb->timeouts, 1, __ATOMIC_RELAXED);
        kill(s->pid, SIGKILL);
    }
}

static void rolling_step(struct pool *p)
{
    if (!p->rolling)
        return;
    int ready = 0;
    for (int i = 0; i < p->sb->capacity; i++) {
        const struct scoreboard_slot *s = &p->sb->slots[i];
        if (slot_current(p, s) && (s->state == SLOT_IDLE || s->state == SLOT_BUSY))
            ready++;
    }
    bool late = clock_monotonic_us() > p->rolling_deadline_us;
    if (ready >= p->target || (late && ready > 0)) {
        signal_workers(p, SIGTERM, true);
        p->rolling = false;
        log_info("rolling restart: %d new workers serving, old ones finishing", ready);
    } else if (late && !p->rolling_warned) {
        /* Retiring the old ones now would leave nobody to serve. */
        log_warn("rolling restart: no new worker ready after %d s; the old ones keep serving",
                 (int)(ROLLING_WAIT_US / 1000000));
        p->rolling_warned = true;
    }
}

/* Current-generation workers that are not stopping, by state. */
struct census {
    int live, idle, starting;
};

static void take_census(const struct pool *p, struct census *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < p->sb->capacity; i++) {
        const struct scoreboard_slot *s = &p->sb->slots[i];
        if (!slot_current(p, s))
            continue;
        c->live++;
        c->idle += s->state == SLOT_IDLE;
        c->starting += s->state == SLOT_STARTING;
    }
}

/* Whether a new worker could be started for a waiting connection now: the
 * master then watches the listening socket (never while one is starting,
 * or the waiting connection would wake it without end). */
static bool watch_listener(const struct pool *p)
{
    if (p->cfg->pm == POOL_STATIC || p->stopping || clock_monotonic_us() < p->next_spawn_us)
        return false;
    struct census c;
    take_census(p, &c);
    return c.idle == 0 && c.starting == 0 && c.live < p->cfg->workers_max;
}

static bool connection_waiting(const struct pool *p)
{
    struct pollfd pfd = {p->listener->fd, POLLIN, 0};
    return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

/* Raise the target by the spawn rate (doubling it for the next tick). */
static void grow(struct pool *p, const struct census *c, const char *why)
{
    int want = c->live + p->spawn_rate;
    if (want > p->cfg->workers_max)
        want = p->cfg->workers_max;
    if (want > p->target) {
        log_debug("pm %s: %s (%d idle, %d starting of %d): %d -> %d workers",
                  config_pm_name(p->cfg->pm), why, c->idle, c->starting, c->live, p->target, want);
        p->target = want;
    }
    if (p->spawn_rate < SPAWN_RATE_MAX)
        p->spawn_rate *= 2;
}

/* Stop workers idle past --idle-timeout, longest idle first, while more
 * than keep_idle are idle and more than floor live. */
static void reap_idle(struct pool *p, const struct census *c, int keep_idle, int floor)
{
    uint64_t now = clock_monotonic_us(), limit = (uint64_t)p->cfg->idle_timeout_s * 1000000u;
    int stopped = 0;
    while (c->idle - stopped > keep_idle && c->live - stopped > floor) {
        int pick = -1;
        uint64_t longest = 0;
        for (int i = 0; i < p->sb->capacity; i++) {
            const struct scoreboard_slot *s = &p->sb->slots[i];
            uint64_t since = s->idle_since_us;
            if (!slot_current(p, s) || s->state != SLOT_IDLE || since == 0 || now < since)
                continue;
            if (now - since >= limit && now - since > longest) {
                longest = now - since;
                pick = i;
            }
        }
        if (pick < 0)
            break;
        struct scoreboard_slot *s = &p->sb->slots[pick];
        log_debug("pm %s: stopping worker pid %d, idle %llu s", config_pm_name(p->cfg->pm),
                  (int)s->pid, (unsigned long long)(longest / 1000000));
        s->retiring = 1;
        kill(s->pid, SIGTERM);
        __atomic_add_fetch(&p->sb->reaps, 1, __ATOMIC_RELAXED);
        stopped++;
    }
    if (stopped)
        p->target = c->live - stopped;
}

/* --pm dynamic and ondemand: move the target (see the top of this file). */
static void size_pool(struct pool *p)
{
    if (p->cfg->pm == POOL_STATIC || p->stopping)
        return;
    struct census c;
    take_census(p, &c);
    bool waiting = c.idle == 0 && c.starting == 0 && connection_waiting(p);
    if (p->cfg->pm == POOL_DYNAMIC) {
        if (c.idle + c.starting < p->cfg->spare_min)
            grow(p, &c, "too few idle");
        else if (waiting)
            grow(p, &c, "a connection waits");
        else
            p->spawn_rate = 1;
        if (c.idle > p->cfg->spare_max)
            reap_idle(p, &c, p->cfg->spare_max, p->cfg->workers_min);
        if (p->target < p->cfg->workers_min)
            p->target = p->cfg->workers_min;
    } else {
        if (waiting)
            grow(p, &c, "a connection waits");
        else
            p->spawn_rate = 1;
        reap_idle(p, &c, 0, 0);
    }
    p->sb->workers_wanted = p->target;
}

static int live_workers(const struct pool *p)
{
    int n = 0;
    for (int i = 0; i < p->sb->capacity; i++)
        if (slot_live(&p->sb->slots[i]))
            n++;
    return n;
}

static void begin_stop(struct pool *p, int sig)
{
    if (p->stopping)
        return;
    log_info("%s: stopping; in-flight requests may take up to %d s", strsignal(sig),
             p->cfg->shutdown_timeout_s);
    p->stopping = true;
    p->stop_deadline_us = clock_monotonic_us() + (uint64_t)p->cfg->shutdown_timeout_s * 1000000u;
    signal_workers(p, SIGTERM, false);
    if (p->schema_pid > 0)
        kill(p->schema_pid, SIGTERM); /* it has nothing to finish: an attempt is idempotent */
}

/* A signal the master took (they are blocked and read from its signalfd). */
static void on_signal(struct pool *p, int sig)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT:
        begin_stop(p, sig);
        break;
    case SIGHUP:
        if (!p->stopping) {
            /* A reload while one is under way: the workers it started
             * (perhaps not serving yet) hold the spare slots, so the
             * newest generation could not start before the fallback
             * deadline, which then retires every worker at once. Retire
             * them instead; the generation before keeps serving until
             * the newest one is ready. */
            if (p->rolling)
                retire_generation(p, p->generation);
            p->generation++;
            p->rolling = true;
            p->rolling_deadline_us = clock_monotonic_us() + ROLLING_WAIT_US;
            p->rolling_warned = false;
            log_info("SIGHUP: rolling restart of %d workers", p->target);
        }
        break;
    case SIGUSR1:
        if (log_reopen() < 0)
            log_error("cannot reopen the log: %s", strerror(errno));
        signal_workers(p, SIGUSR1, false);
        if (p->schema_pid > 0)
            kill(p->schema_pid, SIGUSR1);
        break;
    default:
        break;
    }
}

int pool_run(const struct config *cfg, struct listener *listener)
{
    struct pool p;
    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    p.listener = listener;
    p.master_pid = getpid();
    int most = cfg->pm == POOL_STATIC ? cfg->workers : cfg->workers_max;
    p.sb = scoreboard_create(most * 2);
    p.target = cfg->pm == POOL_STATIC    ? cfg->workers
               : cfg->pm == POOL_DYNAMIC ? (cfg->workers_min > cfg->spare_min ? cfg->workers_min
                                                                             : cfg->spare_min)
                                         : 0;
    if (p.target > most)
        p.target = most;
    p.spawn_rate = 1;
    p.sb->pm = (int)cfg->pm;
    p.sb->workers_wanted = p.target;
    p.watch = mem_calloc((size_t)p.sb->capacity, sizeof *p.watch);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    p.signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (p.signal_fd < 0) {
        log_error("signalfd: %s", strerror(errno));
        return 1;
    }

    if (cfg->pm == POOL_STATIC)
        log_info("pool started: %d workers on %s", cfg->workers, listener->description);
    else
        log_info("pool started: --pm %s, %d of %d..%d workers on %s", config_pm_name(cfg->pm),
                 p.target, cfg->pm == POOL_DYNAMIC ? cfg->workers_min : 0, cfg->workers_max,
                 listener->description);
    /* Before the first fork, so that a pool started on a reachable database
     * serves no request without its indexes. The client it uses is gone
     * when it returns. */
    if (!schema_setup_once(cfg->mongodb_uri))
        start_schema_process(&p);
    ensure_workers(&p);

    for (;;) {
        struct pollfd fds[2] = {{p.signal_fd, POLLIN, 0}, {-1, POLLIN, 0}};
        if (watch_listener(&p))
            fds[1].fd = listener->fd;
        poll(fds, 2, TICK_MS);
        struct signalfd_siginfo info;
        while (read(p.signal_fd, &info, sizeof info) == (ssize_t)sizeof info)
            on_signal(&p, (int)info.ssi_signo);
        reap(&p);
        if (p.stopping) {
            if (live_workers(&p) == 0 && p.schema_pid == 0)
                break;
            if (clock_monotonic_us() > p.stop_deadline_us) {
                log_warn("shutdown timeout: killing %d workers still busy", live_workers(&p));
                signal_workers(&p, SIGKILL, false);
                if (p.schema_pid > 0)
                    kill(p.schema_pid, SIGKILL);
                p.stop_deadline_us = UINT64_MAX;
            } else {
                /* Repeat: a SIGTERM that landed just before accept() was missed. */
                signal_workers(&p, SIGTERM, false);
            }
            continue;
        }
        check_timeouts(&p);
        size_pool(&p);
        ensure_workers(&p);
        rolling_step(&p);
        if (p.schema_respawn_us && clock_monotonic_us() >= p.schema_respawn_us)
            start_schema_process(&p);
    }

    log_info("pool stopped");
    close(p.signal_fd);
    listener_close(listener);
    free(p.watch);
    scoreboard_destroy(p.sb);
    return 0;
}
