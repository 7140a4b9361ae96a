/*
 * The adaptive pool (--pm dynamic and ondemand), on a private stack each:
 * a burst from idle is answered without an error, workers shrink back after
 * --idle-timeout, and the supervision the static pool has (rolling restart
 * on SIGHUP, recycling after --max-requests, crash back-off) holds in both
 * modes. The figures printed are for reading, never asserted as timings.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pool_support.h"
#include "support/http.h"
#include "support/wait.h"

static const char *const dynamic_args[] = {"--pm", "dynamic", "--workers-min", "1",
                                           "--workers-max", "4", "--spare-min", "1",
                                           "--spare-max", "1", "--idle-timeout", "1", NULL};
static const char *const ondemand_args[] = {"--pm", "ondemand", "--workers-max", "4",
                                            "--idle-timeout", "1", NULL};

struct child_count {
    int at_least, at_most;
};

static bool children_within(void *ctx)
{
    const struct child_count *c = ctx;
    pid_t pids[32];
    int n = ps_children_of(ps_stack.pool_pid, pids, 32);
    return n >= c->at_least && n <= c->at_most;
}

static void wait_children(int at_least, int at_most, const char *what)
{
    struct child_count c = {at_least, at_most};
    pid_t pids[32];
    cr_assert(wait_until(children_within, &c, WAIT_LONG_MS), "%s: %d worker(s) now", what,
              ps_children_of(ps_stack.pool_pid, pids, 32));
}

static void expect_clean(struct ps_load *load, const char *what)
{
    struct ps_load_counts c;
    ps_load_counts(load, &c);
    fprintf(stderr, "pm/%s: %ld answers, %ld 200, %ld failed, slowest %lld ms\n", what, c.total,
            c.status_200, c.bad + c.transport, (long long)c.max_latency_ms);
    cr_assert_eq(c.transport, 0, "%s: a request got no answer: %s", what, load->first_bad);
    cr_assert_eq(c.bad, 0, "%s: %ld unexpected answers (first: %s)", what, c.bad, load->first_bad);
}

Test(pm, ondemand_answers_a_burst_from_no_worker_and_reaps_to_zero, .fini = ps_stop_private,
     .timeout = 180)
{
    struct ps_status st;

    ps_start_private(ondemand_args);
    /* The start-up check's request started one; idle for 1 s, it goes. */
    wait_children(0, 0, "no worker left after --idle-timeout");

    struct ps_load *load = ps_load_start(ps_stack.url, "/healthz", NULL, 8, NULL, 0);
    cr_assert(ps_load_wait_ok(load, 200, WAIT_LONG_MS), "the burst was not answered");
    ps_load_stop(load);
    expect_clean(load, "ondemand burst");

    ps_status_ok(ps_stack.url, &st);
    cr_assert_str_eq(st.pm, "ondemand");
    cr_assert_geq(st.spawns, 2, "spawns: %lld", (long long)st.spawns);
    cr_assert_geq(st.reaps, 1, "reaps: %lld", (long long)st.reaps);
    cr_assert_leq(st.processes, 4, "more than --workers-max: %lld", (long long)st.processes);
    wait_children(0, 0, "the burst's workers were not reaped");
    cr_assert(ps_log_contains("--pm ondemand"), "the mode is not in the start line");
    ps_finish_private();
}

Test(pm, dynamic_grows_while_workers_are_busy_and_shrinks_after_idle_timeout,
     .fini = ps_stop_private, .timeout = 180)
{
    struct ps_status st;
    char *healthz;
    struct http_response r;

    ps_start_private(dynamic_args);
    ps_status_ok(ps_stack.url, &st);
    cr_assert_str_eq(st.pm, "dynamic");
    wait_children(1, 1, "dynamic did not settle at --workers-min");
    /* Warm the connection, so that requests below wait on the database
     * rather than fail to connect. */
    healthz = http_url(ps_stack.url, "/healthz");
    cr_assert_eq(http_get(healthz, &r), 0, "%s", r.error);
    http_response_free(&r);
    free(healthz);

    /* Requests that hold their workers: /healthz against a frozen database. */
    ps_db_freeze();
    struct ps_load *load = ps_load_start(ps_stack.url, "/healthz", NULL, 6, NULL, 0);
    wait_children(4, 4, "dynamic did not grow to --workers-max under busy workers");
    ps_db_thaw();
    cr_assert(ps_load_wait_ok(load, 100, WAIT_LONG_MS), "the load was not answered");
    ps_load_stop(load);
    expect_clean(load, "dynamic burst");

    wait_children(1, 1, "dynamic did not shrink back to --spare-max after --idle-timeout");
    ps_status_ok(ps_stack.url, &st);
    cr_assert_geq(st.spawns, 4, "spawns: %lld", (long long)st.spawns);
    cr_assert_geq(st.reaps, 3, "reaps: %lld", (long long)st.reaps);
    ps_finish_private();
}

/* Every worker pid in a set is gone from the scoreboard. */
struct replaced {
    pid_t old[8];
    size_t n;
};

static bool all_replaced(void *ctx)
{
    const struct replaced *rp = ctx;
    struct ps_status st;
    if (ps_status_read(ps_stack.url, &st) != 0 || st.n_workers == 0)
        return false;
    for (size_t i = 0; i < rp->n; i++)
        if (ps_status_lists(&st, rp->old[i]))
            return false;
    return true;
}

static void sighup_under_load(const char *const *args, const char *mode)
{
    struct ps_status st;
    struct replaced rp = {{0}, 0};

    ps_start_private(args);
    struct ps_load *load = ps_load_start(ps_stack.url, "/healthz", NULL, 4, NULL, 0);
    cr_assert(ps_load_wait_ok(load, 50, WAIT_LONG_MS), "%s: the load did not get going", mode);
    ps_status_ok(ps_stack.url, &st);
    for (size_t i = 0; i < st.n_workers && rp.n < 8; i++)
        rp.old[rp.n++] = st.workers[i].pid;
    cr_assert_eq(kill(ps_stack.pool_pid, SIGHUP), 0, "kill: %s", strerror(errno));
    cr_assert(wait_until(all_replaced, &rp, WAIT_LONG_MS), "%s: SIGHUP left old workers", mode);
    struct ps_load_counts c;
    ps_load_counts(load, &c);
    cr_assert(ps_load_wait_ok(load, c.ok + 50, WAIT_LONG_MS), "%s: no answers after SIGHUP", mode);
    ps_load_stop(load);
    expect_clean(load, mode);
    ps_finish_private();
}

Test(pm, sighup_replaces_dynamic_workers_refusing_nothing, .fini = ps_stop_private, .timeout = 180)
{
    sighup_under_load(dynamic_args, "dynamic sighup");
}

Test(pm, sighup_replaces_ondemand_workers_refusing_nothing, .fini = ps_stop_private,
     .timeout = 180)
{
    sighup_under_load(ondemand_args, "ondemand sighup");
}

static void recycles(const char *mode)
{
    const char *args[] = {"--pm", mode, "--workers-max", "2", "--max-requests", "5", NULL};
    struct ps_status st;
    char *url;
    int failed = 0;

    ps_start_private(args);
    url = http_url(ps_stack.url, "/healthz");
    for (int i = 0; i < 30; i++) {
        struct http_response r;
        if (http_get(url, &r) != 0 || r.status != 200) {
            failed++;
            cr_log_error("%s request %d: %ld %s %s", mode, i, r.status, r.error, r.body);
        }
        http_response_free(&r);
    }
    free(url);
    ps_status_ok(ps_stack.url, &st);
    fprintf(stderr, "pm/%s max-requests: respawns %lld, spawns %lld\n", mode,
            (long long)st.respawns, (long long)st.spawns);
    cr_assert_eq(failed, 0, "%s: %d of 30 requests failed", mode, failed);
    for (size_t k = 0; k < st.n_workers; k++)
        cr_assert_leq(st.workers[k].requests, 5, "%s: pid %d served %lld requests", mode,
                      (int)st.workers[k].pid, (long long)st.workers[k].requests);
    cr_assert_geq(st.respawns, 3, "%s: workers were not recycled (respawns %lld)", mode,
                  (long long)st.respawns);
    ps_finish_private();
}

Test(pm, max_requests_recycles_dynamic_workers, .fini = ps_stop_private, .timeout = 180)
{
    recycles("dynamic");
}

Test(pm, max_requests_recycles_ondemand_workers, .fini = ps_stop_private, .timeout = 180)
{
    recycles("ondemand");
}

static void crash_back_off(const char *mode)
{
    /* A long idle timeout: the start-up check's worker is the one wanted. */
    const char *args[] = {"--pm", mode, "--workers-max", "2", "--idle-timeout", "300", NULL};
    struct http_response r;
    char label[64];

    ps_start_private(args);
    snprintf(label, sizeof label, "pm/%s back_off", mode);
    ps_expect_crash_back_off(label);
    char *url = http_url(ps_stack.url, "/healthz");
    http_request_until("GET", url, NULL, ps_accept_200, WAIT_LONG_MS, &r);
    cr_assert_eq(r.status, 200, "%s: the pool does not serve again: %ld %s %s", mode, r.status,
                 r.error, r.body);
    http_response_free(&r);
    free(url);
    ps_finish_private();
}

Test(pm, crash_back_off_holds_in_dynamic, .fini = ps_stop_private, .timeout = 180)
{
    crash_back_off("dynamic");
}

Test(pm, crash_back_off_holds_in_ondemand, .fini = ps_stop_private, .timeout = 180)
{
    crash_back_off("ondemand");
}
