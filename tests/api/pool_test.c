/*
 * The pool as a client sees it: health, errors of every kind in each API's
 * own JSON shape (unknown routes, wrong methods, oversized and malformed
 * bodies, malformed URIs), the scoreboard at /status, the /api/v7-9
 * aliases; and the supervision that needs a pool of its own: recycling after
 * --max-requests, --request-timeout, back-off for workers that crash at
 * start, the pool's own limits on its socket.
 *
 * Tests that only read run on the shared stack; those that break something
 * or need pool flags start a private one (ps_stack, stopped by the fixture).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/pool_support.h"
#include "support/fixtures.h"
#include "support/http.h"
#include "support/stack.h"
#include "support/wait.h"

#define LOGIN "/api/v6/auth/login"

/* --- helpers ----------------------------------------------------------------- */

static void assert_json_type(const struct http_response *r)
{
    const char *type = http_header(r, "Content-Type");

    cr_assert(type != NULL && strncmp(type, "application/json", 16) == 0,
              "Content-Type: %s (body: %s)", type ? type : "(none)", r->body);
}

/* A chat-shaped error: {"error": true, "status": status, "message": message}. */
static void assert_chat_error(const struct http_response *r, long status, const char *message)
{
    bson_t doc = BSON_INITIALIZER;

    cr_assert_eq(r->status, status, "status %ld, body: %s", r->status, r->body);
    assert_json_type(r);
    fx_json(r, &doc);
    cr_assert_eq(fx_bool(&doc, "error", false), true, "body: %s", r->body);
    cr_assert_eq(fx_int(&doc, "status", -1), status, "body: %s", r->body);
    if (message != NULL)
        cr_assert_str_eq(fx_str(&doc, "message"), message, "body: %s", r->body);
    bson_destroy(&doc);
}

/* A game-shaped error: {"Message": ...} and nothing of the chat shape. */
static void assert_game_error(const struct http_response *r, long status)
{
    bson_t doc = BSON_INITIALIZER;

    cr_assert_eq(r->status, status, "status %ld, body: %s", r->status, r->body);
    assert_json_type(r);
    fx_json(r, &doc);
    cr_assert_str_neq(fx_str(&doc, "Message"), "", "body: %s", r->body);
    cr_assert_eq(fx_int(&doc, "status", -1), -1, "chat shape under the game API: %s", r->body);
    bson_destroy(&doc);
}

/* POST body to the login route with the given Content-Type (NULL: none). */
static void post_login(const char *content_type, const char *body, size_t len,
                       struct http_response *r)
{
    fx_request_raw("POST", LOGIN, NULL, content_type, body, len, r);
}

/* --- health, 404, 405, HEAD ---------------------------------------------------- */

Test(pool, healthz_answers_ok_in_json)
{
    struct http_response r;
    bson_t doc = BSON_INITIALIZER;

    fx_request("GET", "/healthz", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "body: %s", r.body);
    assert_json_type(&r);
    fx_json(&r, &doc);
    cr_assert_str_eq(fx_str(&doc, "status"), "ok", "body: %s", r.body);
    cr_assert_eq(fx_count(&doc, ""), 1, "body: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

Test(pool, head_healthz_answers_headers_only)
{
    struct http_response r;

    fx_request("HEAD", "/healthz", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    assert_json_type(&r);
    cr_assert_eq(r.body_len, 0, "HEAD brought a body: %s", r.body);
    http_response_free(&r);
}

Test(pool, unknown_paths_are_json_404_in_each_apis_shape)
{
    const char *chat[] = {"/api/v6/no/such/route", "/api/v9/nothing", "/api/nothing",
                          "/api/v5/auth/login", "/api/v6/admin/users/1/nothing"};
    const char *game[] = {"/api/v1/nothing", "/api/v1/users", "/api/oauth/nothing"};
    struct http_response r;

    for (size_t i = 0; i < sizeof chat / sizeof *chat; i++) {
        fx_request("GET", chat[i], NULL, NULL, &r);
        assert_chat_error(&r, 404, "Not found");
        http_response_free(&r);
    }
    /* Outside the API, nginx's static site answers in JSON as well. */
    fx_request("GET", "/no-such-page", NULL, NULL, &r);
    assert_chat_error(&r, 404, "Not found");
    http_response_free(&r);
    for (size_t i = 0; i < sizeof game / sizeof *game; i++) {
        bson_t doc = BSON_INITIALIZER;

        fx_request("GET", game[i], NULL, NULL, &r);
        assert_game_error(&r, 404);
        fx_json(&r, &doc);
        cr_assert_str_eq(fx_str(&doc, "Message"), "Not found", "%s: %s", game[i], r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
}

Test(pool, known_path_with_another_method_is_json_405_with_allow)
{
    struct {
        const char *method, *path, *allow_has[2];
        bool game;
    } cases[] = {
        {"POST", "/healthz", {"GET", "HEAD"}, false},
        {"DELETE", "/status", {"GET", "HEAD"}, false},
        {"GET", LOGIN, {"POST", NULL}, false},
        {"PUT", "/api/v8/auth/login", {"POST", NULL}, false},
        {"POST", "/api/v6/admin/instance/invites", {"GET", "PUT"}, false},
        {"DELETE", "/api/v1/info/authorized", {"GET", NULL}, true},
        {"GET", "/api/oauth/token", {"POST", NULL}, true},
    };
    struct http_response r;

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *allow;

        fx_request(cases[i].method, cases[i].path, NULL, NULL, &r);
        if (cases[i].game)
            assert_game_error(&r, 405);
        else
            assert_chat_error(&r, 405, NULL);
        allow = http_header(&r, "Allow");
        cr_assert_not_null(allow, "%s %s: no Allow header", cases[i].method, cases[i].path);
        for (size_t k = 0; k < 2 && cases[i].allow_has[k]; k++)
            cr_assert_not_null(strstr(allow, cases[i].allow_has[k]), "%s %s: Allow: %s",
                               cases[i].method, cases[i].path, allow);
        cr_assert_null(strstr(allow, cases[i].method), "%s %s: Allow lists the refused method: %s",
                       cases[i].method, cases[i].path, allow);
        http_response_free(&r);
    }
}

/* --- bodies --------------------------------------------------------------------- */

/* nginx's client_max_body_size (1m) answers first: JSON in both shapes. */
Test(pool, body_over_one_mib_is_json_413_in_both_apis)
{
    const size_t size = 1024 * 1024 + 1;
    const char *paths[] = {LOGIN, "/api/oauth/token"};
    char *body = malloc(size);
    struct http_response r;

    cr_assert_not_null(body);
    memset(body, ' ', size);
    body[0] = '{';
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        bson_t doc = BSON_INITIALIZER;

        fx_request_raw("POST", paths[i], NULL, "application/json", body, size, &r);
        cr_assert_eq(r.status, 413, "%s: status %ld", paths[i], r.status);
        assert_json_type(&r);
        fx_json(&r, &doc);
        if (i == 0)
            cr_assert_eq(fx_int(&doc, "status", -1), 413, "body: %s", r.body);
        else
            cr_assert_str_neq(fx_str(&doc, "Message"), "", "body: %s", r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
    free(body);
}

/* Exactly 1 MiB passes nginx and the pool, and is then judged as JSON. */
Test(pool, body_of_exactly_one_mib_is_read)
{
    const size_t size = 1024 * 1024;
    char *body = malloc(size);
    struct http_response r;

    cr_assert_not_null(body);
    memset(body, ' ', size);
    memcpy(body, "{\"email\": 1", 11);
    body[size - 1] = '}';
    post_login("application/json", body, size, &r);
    assert_chat_error(&r, 400, "bad payload");
    cr_assert_not_null(strstr(r.body, "\"email\""), "the field is not named: %s", r.body);
    http_response_free(&r);
    free(body);
}

Test(pool, body_that_is_not_json_is_bad_payload)
{
    const char *bodies[] = {"not json", "{\"email\": \"a@b.c\", \"password\": ", "{'email': 1}",
                            "{\"email\": \"a@b.c\"} trailing", "\"just a string\"", "null", "42"};
    struct http_response r;

    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        post_login("application/json", bodies[i], strlen(bodies[i]), &r);
        assert_chat_error(&r, 400, "bad payload");
        http_response_free(&r);
    }
}

Test(pool, top_level_array_is_bad_payload)
{
    const char body[] = "[{\"email\": \"a@b.c\", \"password\": \"x\"}]";
    struct http_response r;

    post_login("application/json", body, sizeof body - 1, &r);
    assert_chat_error(&r, 400, "bad payload");
    http_response_free(&r);
}

Test(pool, body_without_json_content_type_is_no_json_provided)
{
    const char body[] = "{\"email\": \"a@b.c\", \"password\": \"x\"}";
    const char *types[] = {NULL, "text/plain", "application/jsonx", "multipart/form-data; boundary=x"};
    struct http_response r;

    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        post_login(types[i], body, sizeof body - 1, &r);
        assert_chat_error(&r, 400, "No JSON provided");
        http_response_free(&r);
    }
    /* An empty body too, whatever the type says. */
    post_login("application/json", "", 0, &r);
    assert_chat_error(&r, 400, "No JSON provided");
    http_response_free(&r);
}

Test(pool, invalid_utf8_is_bad_payload)
{
    const char *bodies[] = {
        "{\"email\": \"\xff\xfe@b.c\", \"password\": \"x\"}",     /* not UTF-8 at all */
        "{\"email\": \"\xc3\", \"password\": \"x\"}",             /* truncated sequence */
        "{\"email\": \"\xc0\xaf\", \"password\": \"x\"}",         /* overlong '/' */
        "{\"email\": \"\xed\xa0\x80\", \"password\": \"x\"}",     /* a surrogate */
        "{\"\xff\": \"a@b.c\", \"password\": \"x\"}",             /* in a key */
    };
    struct http_response r;

    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        post_login("application/json", bodies[i], strlen(bodies[i]), &r);
        assert_chat_error(&r, 400, "bad payload");
        http_response_free(&r);
    }
}

/* {"email": "...", "password": "...", "x": {"x": ... 1 ...}} with depth
 * levels of objects in all (the outer one included). */
static char *nested_body(int depth)
{
    size_t cap = 128 + (size_t)depth * 8;
    char *body = malloc(cap);
    size_t n;

    cr_assert_not_null(body);
    n = (size_t)snprintf(body, cap, "{\"email\": \"nobody@example.com\", \"password\": \"x\", \"x\": ");
    for (int i = 1; i < depth; i++)
        n += (size_t)snprintf(body + n, cap - n, "{\"x\": ");
    n += (size_t)snprintf(body + n, cap - n, "1");
    for (int i = 0; i < depth; i++)
        n += (size_t)snprintf(body + n, cap - n, "}");
    return body;
}

Test(pool, nesting_deeper_than_32_is_bad_payload)
{
    struct http_response r;
    char *body;

    /* 32 levels are read (and the login then fails as for any stranger). */
    body = nested_body(32);
    post_login("application/json", body, strlen(body), &r);
    assert_chat_error(&r, 400, "Invalid email or password.");
    http_response_free(&r);
    free(body);

    body = nested_body(33);
    post_login("application/json", body, strlen(body), &r);
    assert_chat_error(&r, 400, "bad payload");
    http_response_free(&r);
    free(body);

    body = nested_body(5000);
    post_login("application/json", body, strlen(body), &r);
    assert_chat_error(&r, 400, "bad payload");
    http_response_free(&r);
    free(body);
}

Test(pool, duplicate_keys_are_bad_payload)
{
    const char *bodies[] = {
        "{\"email\": \"a@b.c\", \"email\": \"x@y.z\", \"password\": \"x\"}",
        "{\"email\": \"a@b.c\", \"password\": \"x\", \"more\": {\"k\": 1, \"k\": 2}}",
    };
    struct http_response r;

    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        post_login("application/json", bodies[i], strlen(bodies[i]), &r);
        assert_chat_error(&r, 400, "bad payload");
        http_response_free(&r);
    }
}

Test(pool, operator_object_in_a_field_is_a_400_naming_the_field)
{
    const char body[] = "{\"email\": {\"$gt\": \"\"}, \"password\": \"x\"}";
    struct http_response r;
    bson_t doc = BSON_INITIALIZER;

    post_login("application/json", body, sizeof body - 1, &r);
    assert_chat_error(&r, 400, "bad payload");
    fx_json(&r, &doc);
    cr_assert_gt(fx_count(&doc, "email"), 0, "the field is not named: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);

    /* A value of the wrong type is named the same way, and never queried. */
    {
        const char typed[] = "{\"email\": [\"a@b.c\"], \"password\": \"x\"}";

        post_login("application/json", typed, sizeof typed - 1, &r);
    }
    assert_chat_error(&r, 400, "bad payload");
    cr_assert_not_null(strstr(r.body, "\"email\""), "the field is not named: %s", r.body);
    http_response_free(&r);
}

/* --- URIs ------------------------------------------------------------------------- */

/* nginx refuses these paths before the pool sees them (its own JSON 400);
 * the pool's answer to them is checked over its socket below. */
Test(pool, malformed_percent_encoding_in_a_path_is_json_400)
{
    const char *paths[] = {"/api/v6/users/%00", "/healthz%00", "/api/v6/users/%zz", "/api/v6/%4",
                           "/api/v1/users/%00"};
    struct http_response r;

    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        fx_request("GET", paths[i], NULL, NULL, &r);
        assert_chat_error(&r, 400, NULL);
        http_response_free(&r);
    }
}

/* The query reaches the pool as sent: its own strict decoding answers. */
Test(pool, malformed_percent_encoding_in_a_query_is_json_400)
{
    const char *chat[] = {"/healthz?x=%00", "/status?format=%zz", "/api/v6/admin/users?username=%4",
                          "/api/v6/users/@me?a=%00b"};
    const char *game[] = {"/api/v1/players/online?page=%00", "/api/v1/users/x?y=%g0"};
    struct http_response r;

    for (size_t i = 0; i < sizeof chat / sizeof *chat; i++) {
        fx_request("GET", chat[i], NULL, NULL, &r);
        assert_chat_error(&r, 400, "Malformed request URI");
        http_response_free(&r);
    }
    for (size_t i = 0; i < sizeof game / sizeof *game; i++) {
        fx_request("GET", game[i], NULL, NULL, &r);
        assert_game_error(&r, 400);
        http_response_free(&r);
    }
}

/* --- /status ----------------------------------------------------------------------- */

/* What a worker has taken on: the requests it counts as served, plus the
 * one it is busy with (served, perhaps, but not counted yet: a worker counts
 * a request once its answer is gone), as accepted_requests counts them. */
static int64_t taken_on(const struct ps_worker *w)
{
    return w->requests + (strcmp(w->state, "busy") == 0);
}

/* Whether b lists the same workers as a; the sums of taken_on in each. A
 * worker's count never goes down. */
static bool same_workers(const struct ps_status *a, const struct ps_status *b, int64_t *sum_a,
                         int64_t *sum_b)
{
    *sum_a = *sum_b = 0;
    if (a->n_workers != b->n_workers)
        return false;
    for (size_t i = 0; i < a->n_workers; i++) {
        size_t k = 0;

        while (k < b->n_workers && b->workers[k].pid != a->workers[i].pid)
            k++;
        if (k == b->n_workers)
            return false;
        cr_assert_geq(b->workers[k].requests, a->workers[i].requests,
                      "worker %d's count went down: %lld then %lld", (int)a->workers[i].pid,
                      (long long)a->workers[i].requests, (long long)b->workers[k].requests);
        *sum_a += taken_on(&a->workers[i]);
        *sum_b += taken_on(&b->workers[k]);
    }
    return true;
}

/* Each worker's "requests" counts what it serves: across five requests the
 * workers' counts together grow by five or more (other suites share the
 * pool: more is fine). A worker recycled in between (--max-requests) starts
 * again from 0: then the workers are read again. */
static void assert_worker_counts_grow(const char *base)
{
    struct ps_status before, after;
    struct http_response r;
    int64_t sum_before = 0, sum_after = 0;
    bool same = false;

    for (int attempt = 0; attempt < 5 && !same; attempt++) {
        ps_status_ok(base, &before);
        for (int i = 0; i < 5; i++) {
            fx_request("GET", "/livez", NULL, NULL, &r);
            cr_assert_eq(r.status, 200, "%s", r.body);
            http_response_free(&r);
        }
        ps_status_ok(base, &after);
        same = same_workers(&before, &after, &sum_before, &sum_after);
    }
    cr_assert(same, "the workers changed under every reading");
    cr_assert_geq(sum_after - sum_before, 5, "the workers' counts went from %lld to %lld in all",
                  (long long)sum_before, (long long)sum_after);
}

Test(pool, status_lists_pool_totals_and_each_worker)
{
    struct http_response r;
    bson_t doc = BSON_INITIALIZER;
    struct ps_status st;
    const char *base = stack_shared_url();

    fx_request("GET", "/status", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    assert_json_type(&r);
    fx_json(&r, &doc);
    cr_assert_eq(fx_int(&doc, "pool.workers_wanted", -1), 2, "body: %s", r.body);
    cr_assert_geq(fx_int(&doc, "pool.accepted_requests", -1), 1, "body: %s", r.body);
    cr_assert_geq(fx_int(&doc, "pool.uptime_s", -1), 0, "body: %s", r.body);
    cr_assert_geq(fx_int(&doc, "pool.respawns", -1), 0, "body: %s", r.body);
    cr_assert_geq(fx_int(&doc, "pool.timeouts", -1), 0, "body: %s", r.body);
    cr_assert_geq(fx_int(&doc, "pool.slow_requests", -1), 0, "body: %s", r.body);
    cr_assert_str_neq(fx_str(&doc, "pool.started_at"), "", "body: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);

    ps_status_ok(base, &st);
    cr_assert_geq(st.n_workers, 2, "workers: %zu", st.n_workers);
    cr_assert_eq((int64_t)st.n_workers, st.processes);
    for (size_t i = 0; i < st.n_workers; i++) {
        cr_assert_gt(st.workers[i].pid, 0);
        cr_assert(strcmp(st.workers[i].state, "idle") == 0 || strcmp(st.workers[i].state, "busy") == 0 ||
                      strcmp(st.workers[i].state, "starting") == 0 ||
                      strcmp(st.workers[i].state, "stopping") == 0,
                  "state %s", st.workers[i].state);
    }
    assert_worker_counts_grow(base);
    /* The worker answering is busy with this very request, path without query. */
    fx_request("GET", "/status?secret=hunter2", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "\"path\":\"/status\""), "body: %s", r.body);
    cr_assert_null(strstr(r.body, "hunter2"), "the query leaked into /status: %s", r.body);
    http_response_free(&r);
}

Test(pool, status_counts_requests)
{
    struct ps_status before, after;
    const char *base = stack_shared_url();
    struct http_response r;

    ps_status_ok(base, &before);
    for (int i = 0; i < 5; i++) {
        fx_request("GET", "/healthz", NULL, NULL, &r);
        http_response_free(&r);
    }
    ps_status_ok(base, &after);
    /* Other tests share this pool: at least ours were counted. */
    cr_assert_geq(after.accepted - before.accepted, 6, "accepted %lld then %lld",
                  (long long)before.accepted, (long long)after.accepted);
}

Test(pool, status_in_prometheus_text)
{
    const char *metrics[] = {
        "\nwarden_accepted_requests_total ", "\nwarden_slow_requests_total ",
        "\nwarden_respawns_total ", "\nwarden_request_timeouts_total ",
        "\nwarden_workers{state=\"idle\"} ", "\nwarden_workers{state=\"active\"} ",
        "\nwarden_workers_wanted 2\n", "# TYPE warden_accepted_requests_total counter\n",
        "\nwarden_worker_requests_total{slot=\"",
    };
    struct http_response r;
    const char *type;

    fx_request("GET", "/status?format=prometheus", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "body: %s", r.body);
    type = http_header(&r, "Content-Type");
    cr_assert(type != NULL && strncmp(type, "text/plain", 10) == 0, "Content-Type: %s", type);
    for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++)
        cr_assert_not_null(strstr(r.body, metrics[i]), "no '%s' in:\n%s", metrics[i], r.body);
    http_response_free(&r);

    fx_request("GET", "/status?format=json", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    assert_json_type(&r);
    http_response_free(&r);
}

Test(pool, status_in_an_unknown_format_is_json_400)
{
    struct http_response r;

    fx_request("GET", "/status?format=xml", NULL, NULL, &r);
    assert_chat_error(&r, 400, NULL);
    http_response_free(&r);
}

/* --- aliases ----------------------------------------------------------------------- */

Test(pool, api_v7_v8_v9_reach_the_v6_routes)
{
    const char body[] = "{\"email\": \"nobody-at-all@example.com\", \"password\": \"wrong\"}";
    const char *versions[] = {"6", "7", "8", "9"};
    struct http_response r;
    char *v6_body = NULL;
    struct fx_chat_user u;

    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        char path[64];

        snprintf(path, sizeof path, "/api/v%s/auth/login", versions[i]);
        fx_request("POST", path, NULL, body, &r);
        assert_chat_error(&r, 400, "Invalid email or password.");
        if (i == 0)
            v6_body = strdup(r.body);
        else
            cr_assert_str_eq(r.body, v6_body, "%s differs from v6", path);
        http_response_free(&r);
    }
    free(v6_body);

    /* An authenticated route too, answered as v6 answers it. */
    fx_chat_user(&u, false);
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        char path[64];
        bson_t doc = BSON_INITIALIZER;

        snprintf(path, sizeof path, "/api/v%s/users/@me", versions[i]);
        fx_request("GET", path, u.auth, NULL, &r);
        cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
        fx_json(&r, &doc);
        cr_assert_str_eq(fx_str(&doc, "id"), u.id, "%s: %s", path, r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
    /* v10 is no alias. */
    fx_request("POST", "/api/v10/auth/login", NULL, body, &r);
    assert_chat_error(&r, 404, "Not found");
    http_response_free(&r);
}

/* --- the pool's own limits, over its socket ------------------------------------------ */

/* nginx's limits answer before the pool's; the pool must hold by itself
 * (whatever else reaches its socket: another front end, a misconfiguration). */
Test(pool, own_limits_hold_without_nginx, .fini = ps_stop_private, .timeout = 180)
{
    const size_t big = 1024 * 1024 + 1;
    char *body = malloc(big);
    struct ps_fcgi_response r;
    struct http_response h;

    cr_assert_not_null(body);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    ps_start_private(NULL);

    cr_assert_eq(ps_fcgi_request(ps_stack.socket, "POST", LOGIN, "application/json", body, big, &r), 0);
    cr_assert_eq(r.status, 413, "body: %s", r.body);
    cr_assert_not_null(strstr(r.headers, "Content-Type: application/json"), "%s", r.headers);
    cr_assert_not_null(strstr(r.body, "\"status\":413"), "body: %s", r.body);
    ps_fcgi_response_free(&r);

    cr_assert_eq(ps_fcgi_request(ps_stack.socket, "POST", "/api/oauth/token", "application/json",
                                 body, big, &r), 0);
    cr_assert_eq(r.status, 413, "body: %s", r.body);
    cr_assert_not_null(strstr(r.body, "\"Message\""), "game shape expected: %s", r.body);
    ps_fcgi_response_free(&r);

    /* One byte less is read and judged. */
    cr_assert_eq(ps_fcgi_request(ps_stack.socket, "POST", LOGIN, "application/json", body, big - 1, &r), 0);
    cr_assert_eq(r.status, 400, "body: %s", r.body);
    ps_fcgi_response_free(&r);

    /* Paths nginx would have refused. */
    {
        const char *paths[] = {"/api/v6/users/%00", "/healthz%00", "/api/v6/%zz", "/api/v6/%4", "/%"};

        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
            cr_assert_eq(ps_fcgi_request(ps_stack.socket, "GET", paths[i], NULL, NULL, 0, &r), 0);
            cr_assert_eq(r.status, 400, "%s: %d %s", paths[i], r.status, r.body);
            cr_assert_not_null(strstr(r.headers, "Content-Type: application/json"), "%s", r.headers);
            cr_assert_not_null(strstr(r.body, "\"message\":\"Malformed request URI\""), "%s: %s",
                               paths[i], r.body);
            ps_fcgi_response_free(&r);
        }
    }
    free(body);

    /* After all that the pool still serves through nginx, with no worker lost. */
    {
        char *url = http_url(ps_stack.url, "/healthz");
        struct ps_status st;

        cr_assert_eq(http_get(url, &h), 0, "%s", h.error);
        cr_assert_eq(h.status, 200, "body: %s", h.body);
        http_response_free(&h);
        free(url);
        ps_status_ok(ps_stack.url, &st);
        cr_assert_eq(st.respawns, 0, "a worker died");
    }
    ps_finish_private();
}

/* --- supervision ------------------------------------------------------------------------ */

Test(pool, max_requests_recycles_workers_without_failing_requests, .fini = ps_stop_private,
     .timeout = 180)
{
    const char *args[] = {"--max-requests", "5", "--workers", "1", NULL};
    struct ps_status first, last;
    char *url;
    int failed = 0;
    pid_t seen[64];
    int n_seen = 0;

    ps_start_private(args);
    url = http_url(ps_stack.url, "/healthz");
    ps_status_ok(ps_stack.url, &first);
    cr_assert_eq(first.n_workers, 1, "workers: %zu", first.n_workers);
    seen[n_seen++] = first.workers[0].pid;
    for (int i = 0; i < 20; i++) {
        struct http_response r;
        struct ps_status st;

        if (http_get(url, &r) != 0 || r.status != 200) {
            failed++;
            cr_log_error("request %d: %ld %s %s", i, r.status, r.error, r.body);
        }
        http_response_free(&r);
        /* A worker never serves more than max-requests + 10%: 5 here. */
        ps_status_ok(ps_stack.url, &st);
        for (size_t k = 0; k < st.n_workers; k++) {
            cr_assert_leq(st.workers[k].requests, 5, "pid %d served %lld requests",
                          (int)st.workers[k].pid, (long long)st.workers[k].requests);
            if (n_seen < 64 && (n_seen == 0 || seen[n_seen - 1] != st.workers[k].pid))
                seen[n_seen++] = st.workers[k].pid;
        }
    }
    free(url);
    ps_status_ok(ps_stack.url, &last);
    cr_assert_eq(failed, 0, "%d of 20 requests failed", failed);
    cr_assert_eq(last.n_workers, 1);
    cr_assert_neq(last.workers[0].pid, first.workers[0].pid, "the worker was never recycled");
    /* 20 /healthz and 21 /status after the first: at least 41 / 5 workers. */
    cr_assert_geq(last.respawns, 8, "respawns: %lld", (long long)last.respawns);
    cr_assert_eq(last.timeouts, 0);
    fprintf(stderr, "pool/max_requests: %d distinct worker pids over 41 requests, respawns %lld\n",
            n_seen, (long long)last.respawns);
    ps_finish_private();
}

static bool status_200(const struct http_response *r)
{
    return r->status == 200;
}

/* The one worker is new (not old) and a request timeout is counted. */
struct timeout_replacement {
    pid_t old;
    struct ps_status *st;
};

static bool timeout_replaced(void *ctx)
{
    struct timeout_replacement *t = ctx;

    return ps_status_read(ps_stack.url, t->st) == 0 && t->st->timeouts >= 1 &&
           t->st->n_workers == 1 && t->st->workers[0].pid != t->old;
}

/* A request stuck on a frozen database: the ping waits on an open socket
 * (the driver's socket timeout is 10 s), so only --request-timeout ends it. */
Test(pool, request_timeout_kills_a_stuck_worker, .fini = ps_stop_private, .timeout = 180)
{
    const char *args[] = {"--request-timeout", "2", "--workers", "1", NULL};
    struct http_response r;
    struct ps_status before, st;
    struct timeout_replacement replacement;
    char *url, kill_line[160];
    int64_t started, took;

    ps_start_private(args);
    url = http_url(ps_stack.url, "/healthz");
    /* Warm: the worker's connection to the database is open and fresh. */
    cr_assert_eq(http_get(url, &r), 0, "%s", r.error);
    cr_assert_eq(r.status, 200);
    http_response_free(&r);
    ps_status_ok(ps_stack.url, &before);
    cr_assert_eq(before.n_workers, 1);

    /* Stuck until the pool kills its worker: without the kill the driver
     * would give up after 10 s (a 503 from the pool) or the client after
     * 15 s (no answer), and the 502 below comes only from a dead worker.
     * How long it took is a figure, not a check. */
    ps_db_freeze();
    started = now_ms();
    cr_assert_eq(http_get(url, &r), 0, "no answer: %s", r.error);
    took = now_ms() - started;
    fprintf(stderr, "pool/request_timeout: stuck request answered %ld after %lld ms\n", r.status,
            (long long)took);
    cr_assert_eq(r.status, 502, "status %ld: %s", r.status, r.body);
    assert_json_type(&r);
    cr_assert_not_null(strstr(r.body, "\"status\": 502"), "body: %s", r.body);
    http_response_free(&r);

    /* A replacement serves /status (no database needed) and counts the timeout. */
    replacement.old = before.workers[0].pid;
    replacement.st = &st;
    cr_assert(wait_until(timeout_replaced, &replacement, WAIT_LONG_MS),
              "no replacement worker or no timeout counted");
    cr_assert_eq(st.timeouts, 1, "timeouts: %lld", (long long)st.timeouts);
    cr_assert(!ps_pid_alive(before.workers[0].pid), "the stuck worker %d is still alive",
              (int)before.workers[0].pid);
    cr_assert(ps_log_contains("over --request-timeout 2 s"), "the kill was not logged");
    /* The kill line names the request id of nginx's access line for the 502. */
    {
        char rid[80];

        cr_assert(ps_access_rid("\"GET /healthz HTTP/1.1\" 502 ", rid, sizeof rid),
                  "no access line with a request id for the 502");
        snprintf(kill_line, sizeof kill_line, "request GET /healthz (rid=%s) ran ", rid);
    }
    cr_assert(ps_log_contains(kill_line), "the kill line does not name the request: no '%s'",
              kill_line);

    /* The database back: health again, without restarting the pool. */
    ps_db_thaw();
    http_request_until("GET", url, NULL, status_200, WAIT_LONG_MS, &r);
    cr_assert_eq(r.status, 200, "/healthz still %ld after the database came back: %s %s", r.status,
                 r.error, r.body);
    http_response_free(&r);
    cr_assert(ps_pid_alive(ps_stack.pool_pid), "the pool is gone");
    free(url);
    ps_finish_private();
}

/* Workers that die as soon as they start (here: killed the moment they
 * appear) are restarted ever more slowly instead of in a fork loop; once
 * they stop dying, the pool serves again. */
Test(pool, workers_crashing_at_start_are_respawned_with_back_off, .fini = ps_stop_private,
     .timeout = 180)
{
    struct http_response r;
    char *url;

    ps_start_private(NULL);
    ps_expect_crash_back_off("pool/back_off");

    /* Left alone, the workers come back (the back-off is capped at 10 s);
     * meanwhile requests wait in the socket's backlog. */
    url = http_url(ps_stack.url, "/healthz");
    http_request_until("GET", url, NULL, status_200, WAIT_LONG_MS, &r);
    cr_assert_eq(r.status, 200, "the pool does not serve again: %ld %s %s", r.status, r.error, r.body);
    http_response_free(&r);
    free(url);
    ps_finish_private();
}
