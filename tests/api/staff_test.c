/*
 * staff: the staff bit cannot come back. A staff member PATCHes their own
 * flags (keeping the staff bit, as the API allows) in a loop while
 * `wardenctl unmake-staff` runs; on FerretDB v1 an update is a read and a
 * rewrite of the whole document, so when staff lived in `flags` a PATCH that
 * had read the bit before the demotion wrote it back after. The bit is now a
 * grant document that only make-staff inserts and unmake-staff deletes.
 *
 * ROUNDS rounds, two PATCH loops each; a failure is a round after which the
 * user still passes as staff (its @me flags carry bit 1, or a grant document
 * remains). The output says in how many rounds a PATCH was accepted while
 * the demotion ran, i.e. how often the race was really run.
 */
#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/pool_support.h"
#include "support/fixtures.h"
#include "support/http.h"
#include "support/wait.h"

#define ROUNDS 30

struct patcher {
    const struct fx_chat_user *who;
    atomic_bool stop;
    atomic_long ok;        /* PATCHes answered 200 */
    atomic_long refused;   /* 403 once demoted */
};

/* What a wait asks of the patchers: so many 200s, or so many 403s. */
struct count_goal {
    atomic_long *counter;
    long at_least;
};

static bool reached(void *ctx)
{
    const struct count_goal *g = ctx;
    return atomic_load(g->counter) >= g->at_least;
}

static void *patch_loop(void *arg)
{
    struct patcher *p = arg;
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/users/%s", p->who->id);
    for (long i = 0; !atomic_load(&p->stop); i++) {
        struct http_response r;
        fx_request("PATCH", path, p->who->auth, i % 2 ? "{\"flags\": 3}" : "{\"flags\": 1}", &r);
        if (r.status == 200)
            atomic_fetch_add(&p->ok, 1);
        else if (r.status == 403)
            atomic_fetch_add(&p->refused, 1);
        http_response_free(&r);
    }
    return NULL;
}

static int64_t me_flags(const struct fx_chat_user *u)
{
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", u->auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    int64_t flags = fx_int(&doc, "flags", -1);
    bson_destroy(&doc);
    http_response_free(&r);
    return flags;
}

Test(staff, a_demotion_is_never_undone_by_a_concurrent_flags_write, .timeout = 300)
{
    struct fx_chat_user u;
    fx_chat_user(&u, true);
    char filter[128];
    snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}}", u.id);
    int resurrections = 0, raced = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (round > 0)
            fx_ctl_ok(NULL, NULL, 0,
                      (const char *const[]){"make-staff", u.username, u.discriminator, NULL});
        cr_assert_eq(me_flags(&u) & 1, 1, "round %d: not staff at the start", round);
        struct patcher p = {.who = &u};
        atomic_init(&p.stop, false);
        atomic_init(&p.ok, 0);
        atomic_init(&p.refused, 0);
        pthread_t threads[2];
        for (int t = 0; t < 2; t++)
            cr_assert_eq(pthread_create(&threads[t], NULL, patch_loop, &p), 0);
        /* Let the PATCHes get going, demote, and let them carry on a while. */
        struct count_goal going = {&p.ok, 4};
        bool started = wait_until(reached, &going, WAIT_LONG_MS);
        long ok_before = atomic_load(&p.ok);
        fx_ctl_ok(NULL, NULL, 0, (const char *const[]){"unmake-staff", u.username, u.discriminator, NULL});
        struct count_goal refused = {&p.refused, atomic_load(&p.refused) + 4};
        bool stopped = wait_until(reached, &refused, WAIT_LONG_MS);
        atomic_store(&p.stop, true);
        for (int t = 0; t < 2; t++)
            pthread_join(threads[t], NULL);
        cr_assert(started && stopped, "round %d: the PATCHes never ran (%ld answered 200, %ld 403)",
                  round, atomic_load(&p.ok), atomic_load(&p.refused));
        if (atomic_load(&p.ok) > ok_before) /* a PATCH was accepted while the demotion ran */
            raced++;
        bool staff = (me_flags(&u) & 1) || fx_db_count("staff_grants", filter) != 0;
        if (staff) {
            resurrections++;
            fprintf(stderr, "staff: round %d: the staff bit came back\n", round);
        }
    }
    fprintf(stderr, "staff: %d rounds, %d with PATCHes answered around the demotion, %d resurrections\n",
            ROUNDS, raced, resurrections);
    cr_expect_eq(resurrections, 0, "the staff bit came back in %d of %d rounds", resurrections, ROUNDS);
    /* And a PATCH of flags by another staff member cannot grant it either. */
    struct fx_chat_user other;
    fx_chat_user(&other, true);
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/users/%s", u.id);
    struct http_response r;
    fx_request("PATCH", path, other.auth, "{\"flags\": 1}", &r);
    cr_expect_eq(r.status, 403, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(me_flags(&u) & 1, 0);
}

/* --- users stored by a release that kept the staff bit in flags --------------- */

/* Run one update on the private stack's database. */
static void update_one(const char *collection, const char *filter_json, const char *update_json)
{
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, collection);
    bson_error_t e;
    bson_t *filter = bson_new_from_json((const uint8_t *)filter_json, -1, &e);
    cr_assert(filter, "%s", e.message);
    bson_t *update = bson_new_from_json((const uint8_t *)update_json, -1, &e);
    cr_assert(update, "%s", e.message);
    bool ok = mongoc_collection_update_one(c, filter, update, NULL, NULL, &e);
    bson_destroy(filter);
    bson_destroy(update);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    cr_assert(ok, "%s", e.message);
}

Test(staff, the_staff_bit_of_older_data_becomes_a_grant_when_the_schema_is_set_up,
     .fini = ps_stop_private, .timeout = 120)
{
    ps_start_private(NULL);
    struct fx_chat_user u;
    fx_chat_user_at(&ps_stack, &u, false);
    char filter[128], update[96];
    snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}}", u.id);
    /* As an earlier release stored a staff member with the partner flag. */
    update_one("users", filter, "{\"$set\": {\"flags\": 3}}");
    snprintf(update, sizeof update, "{\"$set\": {\"version\": 1}}");
    update_one("warden_meta", "{\"_id\": \"schema\"}", update);

    ps_ctl_ok(NULL, 0, (const char *const[]){"migrate", NULL});
    cr_expect_eq(fx_db_count_at(ps_stack.mongodb_uri, "staff_grants", filter), 1, "no grant");
    char flags_two[160];
    snprintf(flags_two, sizeof flags_two, "{\"_id\": {\"$numberLong\": \"%s\"}, \"flags\": 2}", u.id);
    cr_expect_eq(fx_db_count_at(ps_stack.mongodb_uri, "users", flags_two), 1,
                 "the staff bit stayed in the users document");
    struct http_response r;
    fx_request_at(&ps_stack, "GET", "/api/v6/admin/users?username=u&per_page=1", u.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "the converted user is staff: %s", r.body);
    http_response_free(&r);
    fx_request_at(&ps_stack, "GET", "/api/v6/users/@me", u.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_not_null(strstr(r.body, "\"flags\":3"), "%s", r.body);
    http_response_free(&r);

    /* Migrating again changes nothing; unmake-staff now sticks. */
    ps_ctl_ok(NULL, 0, (const char *const[]){"migrate", NULL});
    ps_ctl_ok(NULL, 0, (const char *const[]){"unmake-staff", u.username, u.discriminator, NULL});
    fx_request_at(&ps_stack, "GET", "/api/v6/users/@me", u.auth, NULL, &r);
    cr_expect_not_null(strstr(r.body, "\"flags\":2"), "%s", r.body);
    http_response_free(&r);
    ps_finish_private();
}
