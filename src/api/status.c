/*
 * status: GET /status, the pool's scoreboard (PHP-FPM's pm.status_path).
 *
 * JSON by default, Prometheus text with ?format=prometheus. nginx exposes it
 * to loopback only. It shows paths in flight, never query strings, and each
 * route's own counters (scoreboard.h): answers by status class, database
 * failures and a latency histogram, named by the route's method and pattern
 * (never by the requested path, so the set of series stays bounded).
 */
#include <stdio.h>
#include <string.h>

#include "warden/api.h"
#include "warden/config.h"
#include "warden/error.h"
#include "warden/listener.h"
#include "warden/scoreboard.h"
#include "warden/clock.h"

static const char *const status_classes[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

/* Route i of the table, or the last index for requests no route matched. */
static void route_name(size_t i, const char **method, const char **pattern)
{
    *method = i < api_routes_count ? api_routes[i].method : "";
    *pattern = i < api_routes_count ? api_routes[i].pattern : "unrouted";
}

static uint64_t answered(const struct route_counters *c)
{
    uint64_t n = 0;
    for (size_t k = 0; k < 5; k++)
        n += c->by_class[k];
    return n;
}

/* Database failures over every route, the unrouted included. */
static uint64_t db_errors_total(const struct scoreboard *sb)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= api_routes_count && i < SCOREBOARD_ROUTES_MAX; i++) {
        struct route_counters c;
        scoreboard_route_totals(sb, i, &c);
        n += c.db_errors;
    }
    return n;
}

/* Each route's counters summed over the slots, and its method and pattern. */
struct route_totals {
    struct route_counters c;
    const char *method, *pattern;
};

static size_t collect_routes(const struct scoreboard *sb, struct route_totals *out)
{
    size_t n = 0;
    for (size_t i = 0; i <= api_routes_count && i < SCOREBOARD_ROUTES_MAX; i++) {
        scoreboard_route_totals(sb, i, &out[n].c);
        route_name(i, &out[n].method, &out[n].pattern);
        if (answered(&out[n].c))
            n++;
    }
    return n;
}

static void routes_json(const struct scoreboard *sb, struct jsonw *w)
{
    struct route_totals routes[SCOREBOARD_ROUTES_MAX];
    size_t n = collect_routes(sb, routes);
    jsonw_key(w, "routes");
    jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        const struct route_totals *r = &routes[i];
        jsonw_object_begin(w);
        jsonw_kv_string(w, "method", r->method);
        jsonw_kv_string(w, "route", r->pattern);
        jsonw_key(w, "answers");
        jsonw_object_begin(w);
        for (size_t k = 0; k < 5; k++)
            jsonw_kv_int(w, status_classes[k], (int64_t)r->c.by_class[k]);
        jsonw_object_end(w);
        jsonw_kv_int(w, "db_errors", (int64_t)r->c.db_errors);
        jsonw_key(w, "latency_ms");
        jsonw_object_begin(w);
        for (size_t k = 0; k < SCOREBOARD_LATENCY_BUCKETS; k++) {
            char le[16];
            if (k < SCOREBOARD_LATENCY_BUCKETS - 1)
                snprintf(le, sizeof le, "le_%u", scoreboard_latency_bounds_ms[k]);
            else
                snprintf(le, sizeof le, "more");
            jsonw_kv_int(w, le, (int64_t)r->c.latency[k]);
        }
        jsonw_object_end(w);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

static void status_json(struct app *app, struct response *res)
{
    const struct scoreboard *sb = app->scoreboard;
    struct scoreboard_totals t;
    scoreboard_totals(sb, &t);
    int queue = listener_queue_length(app->listener);
    int64_t now_ms = clock_wall_ms();
    uint64_t now_us = clock_monotonic_us();

    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "pool");
    jsonw_object_begin(&w);
    jsonw_key(&w, "started_at");
    jsonw_date(&w, sb->started_ms);
    jsonw_kv_int(&w, "uptime_s", (now_ms - sb->started_ms) / 1000);
    jsonw_kv_string(&w, "pm", config_pm_name((enum pool_mode)sb->pm));
    jsonw_kv_int(&w, "workers_wanted", sb->workers_wanted);
    jsonw_kv_int(&w, "spawns", (int64_t)sb->spawns);
    jsonw_kv_int(&w, "reaps", (int64_t)sb->reaps);
    jsonw_kv_int(&w, "processes", t.total);
    jsonw_kv_int(&w, "active", t.active);
    jsonw_kv_int(&w, "idle", t.idle);
    jsonw_kv_int(&w, "accepted_requests", (int64_t)t.accepted);
    jsonw_kv_int(&w, "slow_requests", (int64_t)sb->slow_requests);
    jsonw_kv_int(&w, "respawns", (int64_t)sb->respawns);
    jsonw_kv_int(&w, "timeouts", (int64_t)sb->timeouts);
    jsonw_kv_int(&w, "crashes", (int64_t)sb->crashes);
    jsonw_kv_int(&w, "db_errors", (int64_t)db_errors_total(sb));
    jsonw_key(&w, "listen_queue");
    if (queue >= 0)
        jsonw_int(&w, queue);
    else
        jsonw_null(&w);
    jsonw_object_end(&w);

    jsonw_key(&w, "workers");
    jsonw_array_begin(&w);
    for (int i = 0; i < sb->capacity; i++) {
        const struct scoreboard_slot *s = &sb->slots[i];
        if (s->state == SLOT_EMPTY)
            continue;
        jsonw_object_begin(&w);
        jsonw_kv_int(&w, "slot", i);
        jsonw_kv_int(&w, "pid", s->pid);
        jsonw_kv_string(&w, "state", scoreboard_state_name(s));
        jsonw_kv_int(&w, "requests", (int64_t)s->requests);
        jsonw_key(&w, "started_at");
        jsonw_date(&w, s->process_started_ms);
        jsonw_key(&w, "current");
        if (s->state == SLOT_BUSY) {
            jsonw_object_begin(&w);
            jsonw_kv_string(&w, "method", s->method);
            jsonw_kv_string(&w, "path", s->uri);
            jsonw_key(&w, "started_at");
            jsonw_date(&w, s->request_started_ms);
            jsonw_kv_int(&w, "elapsed_ms", (int64_t)(now_us - s->request_started_us) / 1000);
            jsonw_object_end(&w);
        } else {
            jsonw_null(&w);
        }
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    routes_json(sb, &w);
    jsonw_object_end(&w);
}

static void metric(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void routes_prometheus(const struct scoreboard *sb, struct buf *b)
{
    struct route_totals routes[SCOREBOARD_ROUTES_MAX];
    size_t n = collect_routes(sb, routes);
    metric(b, "warden_route_answers_total", "counter", "Answers by route and status class.");
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 5; k++)
            if (routes[i].c.by_class[k])
                buf_printf(b, "warden_route_answers_total{method=\"%s\",route=\"%s\",class=\"%s\"} %llu\n",
                           routes[i].method, routes[i].pattern, status_classes[k],
                           (unsigned long long)routes[i].c.by_class[k]);
    metric(b, "warden_route_db_errors_total", "counter", "Answers that were a database failure, by route.");
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "warden_route_db_errors_total{method=\"%s\",route=\"%s\"} %llu\n",
                   routes[i].method, routes[i].pattern, (unsigned long long)routes[i].c.db_errors);
    metric(b, "warden_route_duration_seconds", "histogram", "Time to answer, by route.");
    for (size_t i = 0; i < n; i++) {
        const struct route_totals *r = &routes[i];
        uint64_t cumulative = 0;
        for (size_t k = 0; k < SCOREBOARD_LATENCY_BUCKETS; k++) {
            cumulative += r->c.latency[k];
            char le[24];
            if (k < SCOREBOARD_LATENCY_BUCKETS - 1)
                snprintf(le, sizeof le, "%g", scoreboard_latency_bounds_ms[k] / 1000.0);
            else
                snprintf(le, sizeof le, "+Inf");
            buf_printf(b, "warden_route_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%s\"} %llu\n",
                       r->method, r->pattern, le, (unsigned long long)cumulative);
        }
        buf_printf(b, "warden_route_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", r->method,
                   r->pattern, (double)r->c.latency_us_sum / 1e6);
        buf_printf(b, "warden_route_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n", r->method,
                   r->pattern, (unsigned long long)cumulative);
    }
}

static void status_prometheus(struct app *app, struct response *res)
{
    const struct scoreboard *sb = app->scoreboard;
    struct scoreboard_totals t;
    scoreboard_totals(sb, &t);
    int queue = listener_queue_length(app->listener);
    response_text(res, 200, "text/plain; version=0.0.4; charset=utf-8");
    struct buf *b = &res->body;

    metric(b, "warden_accepted_requests_total", "counter", "Requests accepted since the pool started.");
    buf_printf(b, "warden_accepted_requests_total %llu\n", (unsigned long long)t.accepted);
    metric(b, "warden_slow_requests_total", "counter", "Requests slower than --slow-ms.");
    buf_printf(b, "warden_slow_requests_total %llu\n", (unsigned long long)sb->slow_requests);
    metric(b, "warden_respawns_total", "counter", "Worker processes started to replace others.");
    buf_printf(b, "warden_respawns_total %llu\n", (unsigned long long)sb->respawns);
    metric(b, "warden_request_timeouts_total", "counter", "Workers killed by --request-timeout.");
    buf_printf(b, "warden_request_timeouts_total %llu\n", (unsigned long long)sb->timeouts);
    metric(b, "warden_worker_crashes_total", "counter",
           "Workers that died unasked (a signal or an error exit; not recycled, not stopped).");
    buf_printf(b, "warden_worker_crashes_total %llu\n", (unsigned long long)sb->crashes);
    metric(b, "warden_db_errors_total", "counter", "Answers that were a database failure, all routes.");
    buf_printf(b, "warden_db_errors_total %llu\n", (unsigned long long)db_errors_total(sb));
    /* The states partition the live processes, so that sum() is the total;
     * the total is its own metric rather than a state. */
    metric(b, "warden_workers", "gauge", "Worker processes by state (sum: warden_worker_processes).");
    buf_printf(b, "warden_workers{state=\"active\"} %d\n", t.active);
    buf_printf(b, "warden_workers{state=\"idle\"} %d\n", t.idle);
    buf_printf(b, "warden_workers{state=\"starting\"} %d\n", t.total - t.active - t.idle);
    metric(b, "warden_worker_processes", "gauge", "Live worker processes.");
    buf_printf(b, "warden_worker_processes %d\n", t.total);
    metric(b, "warden_workers_wanted", "gauge",
           "Workers the master keeps now (--workers, or --pm dynamic/ondemand's current target).");
    buf_printf(b, "warden_workers_wanted %d\n", sb->workers_wanted);
    metric(b, "warden_pool_mode", "gauge", "The pool's --pm, as a label.");
    buf_printf(b, "warden_pool_mode{pm=\"%s\"} 1\n", config_pm_name((enum pool_mode)sb->pm));
    metric(b, "warden_worker_spawns_total", "counter", "Worker processes started.");
    buf_printf(b, "warden_worker_spawns_total %llu\n", (unsigned long long)sb->spawns);
    metric(b, "warden_worker_reaps_total", "counter",
           "Idle workers stopped by --pm dynamic or ondemand.");
    buf_printf(b, "warden_worker_reaps_total %llu\n", (unsigned long long)sb->reaps);
    if (queue >= 0) {
        metric(b, "warden_listen_queue", "gauge", "Connections waiting in the accept queue.");
        buf_printf(b, "warden_listen_queue %d\n", queue);
    }
    /* Per worker by slot, never by pid: a pid label would start a new series
     * on every recycle. A slot's counter restarts from 0 with its new process,
     * which rate() reads as a counter reset. */
    metric(b, "warden_worker_requests_total", "counter",
           "Requests served by the process in each live slot.");
    for (int i = 0; i < sb->capacity; i++) {
        const struct scoreboard_slot *s = &sb->slots[i];
        if (s->state != SLOT_EMPTY)
            buf_printf(b, "warden_worker_requests_total{slot=\"%d\"} %llu\n", i,
                       (unsigned long long)s->requests);
    }
    metric(b, "warden_worker_pid", "gauge", "Process id of the worker in each live slot.");
    for (int i = 0; i < sb->capacity; i++) {
        const struct scoreboard_slot *s = &sb->slots[i];
        if (s->state != SLOT_EMPTY)
            buf_printf(b, "warden_worker_pid{slot=\"%d\"} %d\n", i, (int)s->pid);
    }
    routes_prometheus(sb, b);
    metric(b, "warden_uptime_seconds", "gauge", "Seconds since the pool started.");
    buf_printf(b, "warden_uptime_seconds %lld\n",
               (long long)((clock_wall_ms() - sb->started_ms) / 1000));
}

void api_status(struct app *app, struct request *req, struct response *res)
{
    const char *format = request_query(req, "format");
    if (!format || strcmp(format, "json") == 0) {
        status_json(app, res);
    } else if (strcmp(format, "prometheus") == 0) {
        status_prometheus(app, res);
    } else {
        error_send(res, req, 400, "format must be json or prometheus");
    }
}
