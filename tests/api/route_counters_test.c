/*
 * route counters: every answer is counted against its route in /status
 * (JSON "routes", Prometheus warden_route_*), named by the route's method
 * and pattern: an aliased version or a captured id never makes a new series.
 * The shared stack serves other suites at the same time, so counts are
 * compared as "grew by at least".
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/fixtures.h"

/* The value of one Prometheus series in /status, 0 when absent. */
static long long series(const char *name_and_labels)
{
    struct http_response r;
    fx_request("GET", "/status?format=prometheus", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    long long value = 0;
    size_t len = strlen(name_and_labels);
    for (const char *line = r.body; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name_and_labels, len) == 0 && line[len] == ' ') {
            value = atoll(line + len + 1);
            break;
        }
    }
    http_response_free(&r);
    return value;
}

#define ME "method=\"GET\",route=\"/api/v6/users/@me\""

Test(route_counters, answers_are_counted_by_route_pattern_and_class)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    long long refused = series("warden_route_answers_total{" ME ",class=\"4xx\"}");
    long long served = series("warden_route_answers_total{" ME ",class=\"2xx\"}");
    long long timed = series("warden_route_duration_seconds_count{" ME "}");
    long long unrouted = series("warden_route_answers_total{method=\"\",route=\"unrouted\",class=\"4xx\"}");

    const char *paths[] = {"/api/v6/users/@me", "/api/v7/users/@me", "/api/v9/users/@me/"};
    for (size_t i = 0; i < 3; i++) {
        struct http_response r;
        fx_request("GET", paths[i], NULL, NULL, &r);
        cr_expect_eq(r.status, 401, "%s: %s", paths[i], r.body);
        http_response_free(&r);
    }
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", u.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    fx_request("GET", "/api/v6/no/such/route", NULL, NULL, &r);
    cr_expect_eq(r.status, 404, "%s", r.body);
    http_response_free(&r);

    cr_expect_geq(series("warden_route_answers_total{" ME ",class=\"4xx\"}"), refused + 3,
                  "three refusals, every version under the v6 pattern");
    cr_expect_geq(series("warden_route_answers_total{" ME ",class=\"2xx\"}"), served + 1);
    cr_expect_geq(series("warden_route_duration_seconds_count{" ME "}"), timed + 4,
                  "each answer is in the latency histogram");
    cr_expect_geq(series("warden_route_answers_total{method=\"\",route=\"unrouted\",class=\"4xx\"}"),
                  unrouted + 1, "a path no route serves is counted apart");
    cr_expect_eq(series("warden_route_answers_total{method=\"GET\",route=\"/api/v9/users/@me\",class=\"4xx\"}"),
                 0, "no series per requested path");

    /* The JSON status carries the same counters. */
    fx_request("GET", "/status", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    bool found = false;
    for (int i = 0; i < fx_count(&doc, "routes") && !found; i++) {
        char key[64];
        snprintf(key, sizeof key, "routes.%d.route", i);
        if (strcmp(fx_str(&doc, key), "/api/v6/users/@me") == 0) {
            found = true;
            snprintf(key, sizeof key, "routes.%d.answers.4xx", i);
            cr_expect_geq(fx_int(&doc, key, -1), refused + 3);
            snprintf(key, sizeof key, "routes.%d.db_errors", i);
            cr_expect_geq(fx_int(&doc, key, -1), 0);
        }
    }
    cr_expect(found, "no routes entry for @me: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}
