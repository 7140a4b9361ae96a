/*
 * routes: the service's route table as a contract (src/api/routes.c), and
 * the per-route counters the dispatcher keeps in the scoreboard.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "warden/api.h"
#include "warden/body.h"
#include "warden/fields.h"
#include "warden/scoreboard.h"

Test(routes, every_route_has_a_counter_and_a_slot_for_unrouted_requests)
{
    cr_assert_lt(api_routes_count, SCOREBOARD_ROUTES_MAX,
                 "%zu routes: raise SCOREBOARD_ROUTES_MAX", api_routes_count);
}

Test(routes, body_rules_are_counted_and_data_routes_need_the_database)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        cr_assert_not_null(r->handler, "%s %s", r->method, r->pattern);
        if (r->body) {
            cr_expect_not_null(r->body->rules, "%s %s", r->method, r->pattern);
            cr_expect_gt(r->body->n_rules, 0, "%s %s", r->method, r->pattern);
            for (size_t k = 0; k < r->body->n_rules; k++)
                cr_expect_not_null(r->body->rules[k].name, "%s %s rule %zu", r->method, r->pattern, k);
            cr_expect(strcmp(r->method, "GET") != 0, "a GET with a body: %s", r->pattern);
        }
        /* Only the operations routes may run without the database. */
        bool operations = strcmp(r->pattern, "/livez") == 0 || strcmp(r->pattern, "/healthz") == 0 ||
                          strcmp(r->pattern, "/status") == 0;
        bool needs_db = r->auth != AUTH_NONE || (r->flags & ROUTE_NEEDS_DB);
        cr_expect_eq(needs_db, !operations, "%s %s", r->method, r->pattern);
    }
}

/* null is "null value not allowed" everywhere but where the specs call a field
 * nullable (shared/spec/): POST /guilds' region, and nothing else. */
Test(routes, only_the_fields_the_specs_call_nullable_take_null)
{
    size_t nullable = 0;
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        for (size_t k = 0; r->body && k < r->body->n_rules; k++) {
            const struct field_rule *f = &r->body->rules[k];
            if (!(f->flags & FIELD_NULLABLE))
                continue;
            nullable++;
            cr_expect(strcmp(r->method, "POST") == 0 && strcmp(r->pattern, "/api/v6/guilds") == 0 &&
                          strcmp(f->name, "region") == 0,
                      "%s %s: '%s' takes null, which its spec does not say", r->method, r->pattern,
                      f->name);
        }
    }
    cr_expect_eq(nullable, 1, "POST /guilds' region takes null");
}

/* No rule asks for more than the body reader builds (body.h). */
Test(routes, list_rules_stay_within_the_body_limit)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        if (!r->body)
            continue;
        cr_expect_leq(r->body->n_rules, BODY_MAX_MEMBERS, "%s %s", r->method, r->pattern);
        for (size_t k = 0; k < r->body->n_rules; k++) {
            const struct field_rule *f = &r->body->rules[k];
            if (f->kind == FIELD_LIST)
                cr_expect(f->flags & FIELD_BOUNDED && f->max <= BODY_MAX_MEMBERS,
                          "%s %s: list '%s' may be longer than a body's array", r->method,
                          r->pattern, f->name);
        }
    }
}

/* Routes that anyone may call with a body (login, registration, the token
 * grant) hash a password per request, so nginx throttles them per client; it
 * does so by path prefix (nginx/warden-http.conf, $warden_auth_client), and a
 * new such route outside those prefixes would not be. */
Test(routes, routes_open_to_anyone_with_a_body_are_under_the_throttled_prefixes)
{
    size_t open = 0;

    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];

        if (r->auth != AUTH_NONE || !r->body)
            continue;
        open++;
        cr_expect(strncmp(r->pattern, "/api/v6/auth/", 13) == 0 ||
                      strncmp(r->pattern, "/api/oauth/", 11) == 0,
                  "%s %s: anyone may call it with a body, outside nginx's throttled prefixes",
                  r->method, r->pattern);
    }
    cr_expect_eq(open, 4, "login, register, register_inv, token: %zu routes", open);
}

Test(routes, counters_sum_over_slots_by_class_and_latency_bucket)
{
    struct scoreboard *sb = scoreboard_create(3);
    scoreboard_count_route(sb, 0, 5, 200, 500, false);       /* 0.5 ms: first bucket */
    scoreboard_count_route(sb, 1, 5, 404, 1000, false);      /* 1 ms: still <= 1 ms */
    scoreboard_count_route(sb, 2, 5, 503, 30000, true);      /* 30 ms: <= 50 ms */
    scoreboard_count_route(sb, 2, 5, 200, 5000000, false);   /* 5 s: the open bucket */
    scoreboard_count_route(sb, 1, 6, 200, 10, false);        /* another route */
    scoreboard_count_route(sb, 1, SCOREBOARD_ROUTES_MAX, 200, 10, false); /* ignored */
    scoreboard_count_route(sb, 3, 5, 200, 10, false);        /* no such slot: ignored */
    struct route_counters c;
    scoreboard_route_totals(sb, 5, &c);
    cr_expect_eq(c.by_class[1], 2);
    cr_expect_eq(c.by_class[3], 1);
    cr_expect_eq(c.by_class[4], 1);
    cr_expect_eq(c.db_errors, 1);
    cr_expect_eq(c.latency[0], 2, "0.5 ms and 1 ms are in the 1 ms bucket");
    cr_expect_eq(c.latency[5], 1, "30 ms is in the 50 ms bucket");
    cr_expect_eq(c.latency[SCOREBOARD_LATENCY_BUCKETS - 1], 1);
    cr_expect_eq(c.latency_us_sum, 500 + 1000 + 30000 + 5000000);
    scoreboard_route_totals(sb, 6, &c);
    cr_expect_eq(c.by_class[1], 1);
    scoreboard_destroy(sb);
}
