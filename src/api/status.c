/*
 * status: GET /status, the pool's scoreboard (PHP-FPM's pm.status_path).
 *
 * JSON by default, Prometheus text with ?format=prometheus. nginx exposes it
 * to loopback only. It shows paths in flight, never query strings.
 */
#include <stdio.h>
#include <string.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/config.h"
#include "warden/errors.h"
#include "warden/listener.h"
#include "warden/scoreboard.h"
#include "warden/util.h"

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
    jsonw_kv_int(&w, "workers_wanted", sb->workers_wanted);
    jsonw_kv_int(&w, "processes", t.total);
    jsonw_kv_int(&w, "active", t.active);
    jsonw_kv_int(&w, "idle", t.idle);
    jsonw_kv_int(&w, "accepted_requests", (int64_t)t.accepted);
    jsonw_kv_int(&w, "slow_requests", (int64_t)sb->slow_requests);
    jsonw_kv_int(&w, "respawns", (int64_t)sb->respawns);
    jsonw_kv_int(&w, "timeouts", (int64_t)sb->timeouts);
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
    jsonw_object_end(&w);
}

static void metric(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
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
    metric(b, "warden_workers", "gauge", "Worker processes by state.");
    buf_printf(b, "warden_workers{state=\"active\"} %d\n", t.active);
    buf_printf(b, "warden_workers{state=\"idle\"} %d\n", t.idle);
    buf_printf(b, "warden_workers{state=\"total\"} %d\n", t.total);
    metric(b, "warden_workers_wanted", "gauge", "Configured number of workers.");
    buf_printf(b, "warden_workers_wanted %d\n", sb->workers_wanted);
    if (queue >= 0) {
        metric(b, "warden_listen_queue", "gauge", "Connections waiting in the accept queue.");
        buf_printf(b, "warden_listen_queue %d\n", queue);
    }
    metric(b, "warden_worker_requests_total", "counter", "Requests served by each live worker.");
    for (int i = 0; i < sb->capacity; i++) {
        const struct scoreboard_slot *s = &sb->slots[i];
        if (s->state != SLOT_EMPTY)
            buf_printf(b, "warden_worker_requests_total{slot=\"%d\",pid=\"%d\"} %llu\n", i,
                       (int)s->pid, (unsigned long long)s->requests);
    }
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
