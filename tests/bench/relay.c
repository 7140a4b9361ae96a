/*
 * relay: warden-relay's figures for `make bench` (tests/bench/run, "relay").
 *
 *   relay --url URL --token TOKEN --users FILE --relay BIN --uri URI --log FILE
 *         [--events N] [--latency-events M] [--writers W]
 *
 * Against a running stack (URL, its database URI) with nothing in its
 * outboxes but what this program writes: a receiver (tests/support/receiver.h)
 * on loopback takes both endpoints, answering 200 at once.
 *   1. throughput: N USER_UPDATE events are written through the API
 *      (PATCH /api/v6/admin/users/<id> {flags}, W writers, the users of FILE
 *      in turn: many targets) while no relay runs; then the relay starts and
 *      drains them. Events/s = N / (last arrival - first arrival).
 *   2. latency: with the relay running and idle, M more events are written
 *      by W writers, each request after the previous answer; per event, the
 *      receiver's arrival time minus the time in its id (a snowflake drawn
 *      as the API inserted it: the write).
 * Also counted: live events slower than 1 s, and deliveries of an event after
 * a later event of its target (both are 0 when every insert lands in id
 * order; an insert that lands late waits for the relay's re-read of its
 * late window).
 * It prints one line, RELAY_RESULT key=value ..., and exits 0; 1 when it
 * cannot measure (a write refused, the relay not delivering in time).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/http.h"
#include "support/receiver.h"
#include "support/wait.h"
#include "warden/snowflake.h"

#define USERS_MAX 4096
#define WRITERS_MAX 16
#define DRAIN_LIMIT_MS 600000L

struct options {
    const char *url, *token, *users, *relay, *uri, *log;
    long events, latency_events;
    int writers;
};

static char user_ids[USERS_MAX][24];
static size_t n_users;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench/relay: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- writers ------------------------------------------------------------------- */

struct writers {
    const struct options *o;
    long total;          /* events to write */
    long next;           /* the next event's number */
    long base;           /* numbers start here (flags differ from every earlier write) */
    long failed;
    char first_error[512];
    pthread_mutex_t lock;
};

static void *writer(void *arg)
{
    struct writers *w = arg;
    char auth[512];
    snprintf(auth, sizeof auth, "Authorization: %s", w->o->token);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    for (;;) {
        pthread_mutex_lock(&w->lock);
        long k = w->next < w->total ? w->next++ : -1;
        pthread_mutex_unlock(&w->lock);
        if (k < 0)
            return NULL;
        long number = w->base + k;
        const char *id = user_ids[(size_t)number % n_users];
        /* flags: even (never the staff bit), and a user's consecutive
         * writes differ, so that each one is a change and an event */
        long flags = 2 * (1 + (number / (long)n_users) % 1000000);
        char *url = http_url(w->o->url, "/api/v6/admin/users/%s", id);
        char body[64];
        snprintf(body, sizeof body, "{\"flags\": %ld}", flags);
        struct http_response r;
        memset(&r, 0, sizeof r);
        int rc = url ? http_request("PATCH", url, headers, body, strlen(body), &r) : -1;
        if (rc != 0 || r.status != 200) {
            pthread_mutex_lock(&w->lock);
            if (w->failed++ == 0)
                snprintf(w->first_error, sizeof w->first_error, "PATCH %s: %ld %.120s %s", id, r.status,
                         r.body ? r.body : "", r.error);
            pthread_mutex_unlock(&w->lock);
        }
        if (url)
            http_response_free(&r);
        free(url);
    }
}

/* Write total events from the writers; wall seconds it took. */
static double write_events(const struct options *o, long base, long total)
{
    struct writers w;
    memset(&w, 0, sizeof w);
    w.o = o;
    w.total = total;
    w.base = base;
    pthread_mutex_init(&w.lock, NULL);
    pthread_t tids[WRITERS_MAX];
    int64_t t0 = now_ms();
    for (int i = 0; i < o->writers; i++)
        if (pthread_create(&tids[i], NULL, writer, &w) != 0)
            die("cannot start a writer thread");
    for (int i = 0; i < o->writers; i++)
        pthread_join(tids[i], NULL);
    int64_t t1 = now_ms();
    pthread_mutex_destroy(&w.lock);
    if (w.failed)
        die("%ld of %ld writes failed; the first: %s", w.failed, total, w.first_error);
    return (double)(t1 - t0) / 1000.0;
}

/* --- the relay ------------------------------------------------------------------------ */

static pid_t relay_start(const struct options *o, const struct receiver *rx)
{
    char gateway[128], game[128];
    snprintf(gateway, sizeof gateway, "%s/gateway", rx->url);
    snprintf(game, sizeof game, "%s/game", rx->url);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (freopen(o->log, "a", stderr) == NULL || freopen("/dev/null", "r", stdin) == NULL)
            _exit(126);
        setenv("WARDEN_MONGODB_URI", o->uri, 1);
        setenv("WARDEN_RELAY_GATEWAY_URL", gateway, 1);
        setenv("WARDEN_RELAY_GATEWAY_SECRET", rx->secret, 1);
        setenv("WARDEN_RELAY_GAME_URL", game, 1);
        setenv("WARDEN_RELAY_GAME_SECRET", rx->secret, 1);
        execl(o->relay, "warden-relay", "--id", "bench-relay", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void relay_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 1000; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* --- the receiver's records --------------------------------------------------------------- */

struct count_ctx {
    const struct receiver *rx;
    long want;
    long have;
};

static bool enough(void *ctx)
{
    struct count_ctx *c = ctx;
    c->have = receiver_count(c->rx, 200);
    return c->have >= c->want;
}

static void wait_for(const struct receiver *rx, long want, const char *what)
{
    struct count_ctx c = {rx, want, 0};
    if (!wait_until(enough, &c, DRAIN_LIMIT_MS))
        die("%s: the receiver has %ld of %ld events after %ld s", what, c.have, want, DRAIN_LIMIT_MS / 1000);
}

struct live_ctx {
    const struct receiver *rx;
    int64_t since;      /* events drawn from then on */
    long want;
    long have;
};

/* Whether the receiver has want events drawn since ctx->since, answered 200. */
static bool live_enough(void *ctx)
{
    struct live_ctx *c = ctx;
    struct receiver_log log;
    if (receiver_read(c->rx, &log) != 0)
        return false;
    c->have = 0;
    for (size_t i = 0; i < log.n; i++)
        if (log.records[i].status == 200 && snowflake_time_ms(strtoll(log.records[i].id, NULL, 10)) >= c->since)
            c->have++;
    receiver_log_free(&log);
    return c->have >= c->want;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* p in [0, 100] of sorted v[0..n). */
static int64_t percentile(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)((p / 100.0) * (double)(n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

/* Deliveries that came after a later event of the same target (the user
 * in the body) had been delivered: the order the relay promises, broken. */
static long count_out_of_order(const struct receiver_log *log)
{
    struct last { char user[24]; int64_t id; } *seen = calloc(USERS_MAX + 1, sizeof *seen);
    size_t n_seen = 0;
    long broken = 0;
    if (seen == NULL)
        return -1;
    for (size_t i = 0; i < log->n; i++) {
        const char *u = strstr(log->records[i].body, "\"user_id\":\"");
        if (log->records[i].status != 200 || u == NULL)
            continue;
        char user[24] = "";
        sscanf(u + 11, "%23[0-9]", user);
        int64_t id = strtoll(log->records[i].id, NULL, 10);
        size_t k = 0;
        while (k < n_seen && strcmp(seen[k].user, user) != 0)
            k++;
        if (k == n_seen) {
            if (n_seen == USERS_MAX)
                continue;
            snprintf(seen[n_seen].user, sizeof seen[n_seen].user, "%s", user);
            seen[n_seen++].id = id;
        } else if (id < seen[k].id) {
            broken++;
        } else {
            seen[k].id = id;
        }
    }
    free(seen);
    return broken;
}

static const char *arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        die("%s needs a value", argv[*i]);
    return argv[++*i];
}

int main(int argc, char **argv)
{
    struct options o = {0};
    o.events = 2000;
    o.latency_events = 1000;
    o.writers = 4;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0) o.url = arg(argc, argv, &i);
        else if (strcmp(argv[i], "--token") == 0) o.token = arg(argc, argv, &i);
        else if (strcmp(argv[i], "--users") == 0) o.users = arg(argc, argv, &i);
        else if (strcmp(argv[i], "--relay") == 0) o.relay = arg(argc, argv, &i);
        else if (strcmp(argv[i], "--uri") == 0) o.uri = arg(argc, argv, &i);
        else if (strcmp(argv[i], "--log") == 0) o.log = arg(argc, argv, &i);
        else if (strcmp(argv[i], "--events") == 0) o.events = atol(arg(argc, argv, &i));
        else if (strcmp(argv[i], "--latency-events") == 0) o.latency_events = atol(arg(argc, argv, &i));
        else if (strcmp(argv[i], "--writers") == 0) o.writers = atoi(arg(argc, argv, &i));
        else die("unknown argument %s", argv[i]);
    }
    if (!o.url || !o.token || !o.users || !o.relay || !o.uri || !o.log)
        die("usage: relay --url URL --token TOKEN --users FILE --relay BIN --uri URI --log FILE "
            "[--events N] [--latency-events M] [--writers W]");
    if (o.events < 2 || o.latency_events < 1 || o.writers < 1 || o.writers > WRITERS_MAX)
        die("--events >= 2, --latency-events >= 1, --writers 1..%d", WRITERS_MAX);
    FILE *f = fopen(o.users, "r");
    if (f == NULL)
        die("cannot read %s", o.users);
    char line[256];
    while (n_users < USERS_MAX && fgets(line, sizeof line, f))
        if (sscanf(line, "%23s", user_ids[n_users]) == 1)
            n_users++;
    fclose(f);
    if (n_users == 0)
        die("no user ids in %s", o.users);

    struct receiver rx;
    if (receiver_start(&rx, NULL) != 0)
        die("the receiver did not start");
    long before = receiver_count(&rx, 200);

    /* 1. a backlog, drained */
    double write_s = write_events(&o, 0, o.events);
    int64_t started = wall_ms();
    pid_t relay = relay_start(&o, &rx);
    wait_for(&rx, before + o.events, "backlog");
    struct receiver_log log;
    if (receiver_read(&rx, &log) != 0)
        die("cannot read the receiver's records");
    int64_t first = 0, last = 0;
    long accepted = 0, bad = 0;
    for (size_t i = 0; i < log.n; i++) {
        if (log.records[i].status != 200) {
            bad++;
            continue;
        }
        if (accepted++ == 0)
            first = log.records[i].arrival_ms;
        last = log.records[i].arrival_ms;
    }
    size_t drained = log.n;
    receiver_log_free(&log);
    double drain_s = (double)(last - first) / 1000.0;
    double eps = drain_s > 0 ? (double)(accepted - 1) / drain_s : 0;

    /* 2. latency of events written while the relay runs (a straggler of
     * the backlog, older than this phase, is not one of them) */
    int64_t phase_start = wall_ms();
    double latency_write_s = write_events(&o, o.events, o.latency_events);
    struct live_ctx live = {&rx, phase_start, o.latency_events, 0};
    if (!wait_until(live_enough, &live, DRAIN_LIMIT_MS))
        die("latency: the receiver has %ld of %ld events after %ld s", live.have, o.latency_events,
            DRAIN_LIMIT_MS / 1000);
    if (receiver_read(&rx, &log) != 0)
        die("cannot read the receiver's records");
    int64_t *lat = calloc(log.n, sizeof *lat);
    size_t n_lat = 0;
    for (size_t i = drained; i < log.n; i++) {
        if (log.records[i].status != 200) {
            bad++;
            continue;
        }
        int64_t id = strtoll(log.records[i].id, NULL, 10);
        if (snowflake_time_ms(id) < phase_start)
            continue;
        lat[n_lat++] = log.records[i].arrival_ms - snowflake_time_ms(id);
    }
    long out_of_order = count_out_of_order(&log);
    receiver_log_free(&log);
    qsort(lat, n_lat, sizeof *lat, cmp_i64);
    long over_1s = 0;
    for (size_t i = 0; i < n_lat; i++)
        over_1s += lat[i] > 1000;
    relay_stop(relay);
    receiver_stop(&rx);

    printf("RELAY_RESULT events=%ld writers=%d write_rps=%.0f startup_ms=%" PRId64 " drain_s=%.3f eps=%.0f "
           "latency_events=%zu latency_write_rps=%.0f p50_ms=%" PRId64 " p99_ms=%" PRId64 " max_ms=%" PRId64
           " over_1s=%ld out_of_order=%ld refused=%ld\n",
           o.events, o.writers, o.events / (write_s > 0 ? write_s : 1), first - started, drain_s, eps, n_lat,
           o.latency_events / (latency_write_s > 0 ? latency_write_s : 1), percentile(lat, n_lat, 50),
           percentile(lat, n_lat, 99), n_lat ? lat[n_lat - 1] : 0, over_1s, out_of_order, bad);
    free(lat);
    return 0;
}
