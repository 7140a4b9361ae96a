/*
 * wardenctl outbox: status, retry and skip over the records warden-relay
 * keeps (README, "Contracts with the other services"). Events are written
 * by real mutations through the API on a private stack, so that its
 * outboxes hold this test's events alone and the backlog is exact; what the
 * relay would record (outcomes, attempts, a checkpoint, a lease) is
 * inserted directly, as the relay writes it. Also: an unknown id, the usage
 * errors (status 2, before any connection) and `help outbox`.
 */
#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/ctl_run.h"
#include "support/fixtures.h"
#include "support/stack.h"
#include "warden/clock.h"

/* A database nobody listens on, that fails fast. */
#define DEAD_URI "mongodb://127.0.0.1:1/warden?serverSelectionTimeoutMS=300&connectTimeoutMS=300"

static void quiet_driver(void)
{
    /* As in ctl_test.c: no driver counters file for the processes a test starts. */
    cr_assert_eq(setenv("MONGOC_DISABLE_SHM", "1", 1), 0);
    /* The relay's settings as wardenctl would read them: none unless a test sets them. */
    unsetenv("WARDEN_RELAY_GATEWAY_URL");
    unsetenv("WARDEN_RELAY_GAME_URL");
    unsetenv("WARDEN_RELAY_GUILD_UPDATE_URL");
    unsetenv("WARDEN_RELAY_RETENTION_S");
}

TestSuite(outbox_ctl, .init = quiet_driver);

/* --- a private stack and its database --------------------------------------------- */

struct bench {
    struct stack s;
    mongoc_client_t *client;
    mongoc_database_t *db;
};

static void bench_start(struct bench *b)
{
    cr_assert_eq(stack_start(&b->s, NULL), 0, "the private stack did not start");
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", b->s.mongodb_uri, 1), 0);
    b->client = fx_db_open(b->s.mongodb_uri, &b->db);
}

static void bench_stop(struct bench *b)
{
    fx_db_close(b->client, b->db);
    cr_expect_eq(stack_stop(&b->s), 0, "the private stack's pool reported a sanitizer error");
}

static void insert(struct bench *b, const char *collection, bson_t *doc)
{
    mongoc_collection_t *c = mongoc_database_get_collection(b->db, collection);
    bson_error_t e;
    cr_assert(mongoc_collection_insert_one(c, doc, NULL, NULL, &e), "insert into %s: %s", collection, e.message);
    mongoc_collection_destroy(c);
    bson_destroy(doc);
}

static int64_t count(struct bench *b, const char *collection, const char *filter_json)
{
    return fx_db_count_at(b->s.mongodb_uri, collection, filter_json);
}

/* The _ids of an outbox's events (of type, or all but type when except is
 * set; NULL: all), oldest first; how many into *n. */
static void event_ids(struct bench *b, const char *outbox, const char *type, bool except, int64_t *ids,
                      size_t max, size_t *n)
{
    mongoc_collection_t *c = mongoc_database_get_collection(b->db, outbox);
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    if (type && !except) {
        BSON_APPEND_UTF8(&filter, "type", type);
    } else if (type) {
        bson_t ne;
        BSON_APPEND_DOCUMENT_BEGIN(&filter, "type", &ne);
        BSON_APPEND_UTF8(&ne, "$ne", type);
        bson_append_document_end(&filter, &ne);
    }
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, "_id", 1);
    bson_append_document_end(&opts, &sort);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, &filter, &opts, NULL);
    const bson_t *doc;
    *n = 0;
    while (mongoc_cursor_next(cursor, &doc) && *n < max)
        ids[(*n)++] = fx_int(doc, "_id", 0);
    bson_error_t e;
    cr_assert_not(mongoc_cursor_error(cursor, &e), "reading %s: %s", outbox, e.message);
    mongoc_cursor_destroy(cursor);
    bson_destroy(&filter);
    bson_destroy(&opts);
    mongoc_collection_destroy(c);
}

static void event_key(const char *outbox, int64_t id, char *out, size_t size)
{
    snprintf(out, size, "%s:%020lld", outbox, (long long)id);
}

/* An outcome as the relay records it. */
static void insert_result(struct bench *b, const char *outbox, int64_t id, const char *target,
                          const char *endpoint, const char *state, int status)
{
    char key[64];
    event_key(outbox, id, key, sizeof key);
    bson_t *doc = bson_new();
    BSON_APPEND_UTF8(doc, "_id", key);
    BSON_APPEND_UTF8(doc, "outbox", outbox);
    BSON_APPEND_INT64(doc, "event_id", id);
    BSON_APPEND_UTF8(doc, "target", target);
    BSON_APPEND_UTF8(doc, "endpoint", endpoint);
    BSON_APPEND_UTF8(doc, "state", state);
    BSON_APPEND_INT32(doc, "status", status);
    BSON_APPEND_UTF8(doc, "error", "");
    BSON_APPEND_INT32(doc, "attempts", 1);
    BSON_APPEND_DATE_TIME(doc, "at", clock_wall_ms());
    BSON_APPEND_INT64(doc, "latency_ms", 12);
    BSON_APPEND_UTF8(doc, "relay", "test-relay");
    BSON_APPEND_INT64(doc, "term", 1);
    insert(b, "outbox_results", doc);
}

/* --- mutations that write events ---------------------------------------------------- */

static void patch_flags(struct bench *b, const char *staff_auth, const char *user_id, int flags)
{
    char path[96], body[48];
    snprintf(path, sizeof path, "/api/v6/admin/users/%s", user_id);
    snprintf(body, sizeof body, "{\"flags\": %d}", flags);
    struct http_response r;
    fx_request_at(&b->s, "PATCH", path, staff_auth, body, &r);
    cr_assert_eq(r.status, 200, "PATCH flags: %ld %s", r.status, r.body);
    http_response_free(&r);
}

/* A guild of the staff user, then a change of its features: GUILD_UPDATE. */
static void guild_features(struct bench *b, const char *staff_auth)
{
    struct http_response r;
    fx_request_at(&b->s, "POST", "/api/v6/guilds", staff_auth, "{\"name\": \"outbox guild\"}", &r);
    cr_assert_eq(r.status, 200, "POST /guilds: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/guilds/%s/features", fx_str(&doc, "id"));
    bson_destroy(&doc);
    http_response_free(&r);
    fx_request_at(&b->s, "PATCH", path, staff_auth, "{\"features\": [\"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "PATCH features: %ld %s", r.status, r.body);
    http_response_free(&r);
}

/* A moderator kicks an online character: one game command. */
static void kick(struct bench *b)
{
    char mod[24], target[24], hero[24], email[64], pass[65];
    fx_unique(mod, 16, "Mod");
    fx_unique(target, 16, "Tgt");
    fx_unique(hero, 16, "Hero");
    snprintf(email, sizeof email, "%s@example.com", mod);
    fx_ctl_ok(&b->s, NULL, 0, (const char *const[]){"game-add-user", mod, email, "mod password", NULL});
    fx_ctl_ok(&b->s, NULL, 0, (const char *const[]){"game-grant", mod, "Api", "UserQuery", "Kick", NULL});
    snprintf(email, sizeof email, "%s@example.com", target);
    fx_ctl_ok(&b->s, NULL, 0, (const char *const[]){"game-add-user", target, email, "its password", NULL});
    fx_ctl_ok(&b->s, NULL, 0, (const char *const[]){"game-add-player", target, hero, NULL});
    fx_ctl_ok(&b->s, NULL, 0, (const char *const[]){"game-presence", hero, "online", NULL});
    fx_sha256_hex("mod password", pass);
    char body[256];
    snprintf(body, sizeof body, "{\"grant_type\": \"password\", \"username\": \"%s\", \"password\": \"%s\"}", mod,
             pass);
    struct http_response r;
    fx_request_at(&b->s, "POST", "/api/oauth/token", NULL, body, &r);
    cr_assert_eq(r.status, 200, "token: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    char auth[600], path[96];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", fx_str(&doc, "access_token"));
    bson_destroy(&doc);
    http_response_free(&r);
    snprintf(path, sizeof path, "/api/v1/players/%s/admin/kick", hero);
    fx_request_at(&b->s, "POST", path, auth, "{}", &r);
    cr_assert_eq(r.status, 200, "kick: %ld %s", r.status, r.body);
    http_response_free(&r);
}

/* --- wardenctl ------------------------------------------------------------------------ */

static void ctl(struct ctl_run *r, const char *const *args)
{
    ctl_run_in(r, NULL, NULL, args);
}

/* `wardenctl outbox status --json`, parsed, into doc. */
static void status_json(bson_t *doc)
{
    struct ctl_run r;
    ctl(&r, (const char *const[]){"outbox", "status", "--json", NULL});
    cr_assert_eq(r.status, 0, "outbox status --json: exit %d: %s", r.status, r.err);
    bson_error_t e;
    cr_assert(bson_init_from_json(doc, r.out, -1, &e), "not JSON: %s (%s)", r.out, e.message);
    cr_expect_eq(ctl_run_lines(r.out), 1, "one line of JSON");
    ctl_run_free(&r);
}

/* The endpoint named name of a status into ep (initialised, empty); fails the test when absent. */
static void endpoint_of(const bson_t *status, const char *name, bson_t *ep)
{
    bson_t list = BSON_INITIALIZER;
    cr_assert(fx_sub(status, "endpoints", &list), "no endpoints");
    int n = fx_count(&list, "");
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        bson_t one = BSON_INITIALIZER;
        cr_assert(fx_sub(&list, key, &one));
        if (strcmp(fx_str(&one, "name"), name) == 0) {
            bson_destroy(&list);
            bson_concat(ep, &one);
            bson_destroy(&one);
            return;
        }
        bson_destroy(&one);
    }
    bson_destroy(&list);
    cr_assert_fail("no endpoint %s in the status", name);
}

static long long ll(const char *decimal)
{
    return atoll(decimal);
}

Test(outbox_ctl, status_shows_the_backlog_per_endpoint_and_what_the_relay_recorded, .timeout = 240)
{
    struct bench b;
    bench_start(&b);
    struct fx_chat_user staff, member;
    fx_chat_user_at(&b.s, &staff, true);      /* make-staff: USER_UPDATE */
    fx_chat_user_at(&b.s, &member, false);
    patch_flags(&b, staff.auth, member.id, 2); /* USER_UPDATE */
    patch_flags(&b, staff.auth, member.id, 4); /* USER_UPDATE */
    guild_features(&b, staff.auth);           /* GUILD_UPDATE */
    kick(&b);                                 /* kick */

    int64_t gateway[32], guild[8], game[4];
    size_t n_gateway, n_guild, n_game;
    event_ids(&b, "gateway_events", "GUILD_UPDATE", true, gateway, 32, &n_gateway);
    event_ids(&b, "gateway_events", "GUILD_UPDATE", false, guild, 8, &n_guild);
    event_ids(&b, "game_commands", NULL, false, game, 4, &n_game);
    cr_assert_geq(n_gateway, 3, "the user updates are in the outbox");
    cr_assert_geq(n_guild, 1, "the guild update is in the outbox");
    cr_assert_eq(n_game, 1, "the kick is in the outbox");

    /* The gateway's endpoint is set, one type has its own, the game's is not set. */
    cr_assert_eq(setenv("WARDEN_RELAY_GATEWAY_URL", "http://127.0.0.1:9/gateway", 1), 0);
    cr_assert_eq(setenv("WARDEN_RELAY_GUILD_UPDATE_URL", "http://127.0.0.1:9/guilds", 1), 0);

    /* Nothing delivered yet: every event is backlog. */
    bson_t st = BSON_INITIALIZER, ep = BSON_INITIALIZER;
    status_json(&st);
    cr_expect(fx_is_null(&st, "lease"), "no relay ran: no lease");
    cr_expect(fx_is_null(&st, "checkpoints.gateway_events"));
    cr_expect(fx_is_null(&st, "checkpoints.game_commands"));
    cr_expect_eq(fx_int(&st, "retention_s", 0), 604800);
    endpoint_of(&st, "gateway", &ep);
    cr_expect(fx_bool(&ep, "configured", false));
    cr_expect_eq(fx_int(&ep, "backlog", -1), (int64_t)n_gateway);
    cr_expect_eq(ll(fx_str(&ep, "oldest.id")), gateway[0], "the oldest is the first user update");
    cr_expect_str_eq(fx_str(&ep, "oldest.type"), "USER_UPDATE");
    cr_expect_str_eq(fx_str(&ep, "oldest.outbox"), "gateway_events");
    cr_expect_geq(fx_int(&ep, "oldest.age_s", -1), 0);
    cr_expect_eq(fx_int(&ep, "failed", -1), 0);
    bson_reinit(&ep);
    endpoint_of(&st, "guild_update", &ep);
    cr_expect(fx_bool(&ep, "configured", false));
    cr_expect_eq(fx_int(&ep, "backlog", -1), (int64_t)n_guild);
    cr_expect_str_eq(fx_str(&ep, "oldest.type"), "GUILD_UPDATE");
    cr_expect_eq(strncmp(fx_str(&ep, "oldest.target"), "guild:", 6), 0, "target %s", fx_str(&ep, "oldest.target"));
    bson_reinit(&ep);
    endpoint_of(&st, "game", &ep);
    cr_expect_not(fx_bool(&ep, "configured", true), "no WARDEN_RELAY_GAME_URL");
    cr_expect_eq(fx_int(&ep, "backlog", -1), 1);
    cr_expect_str_eq(fx_str(&ep, "oldest.type"), "kick");
    cr_expect_eq(strncmp(fx_str(&ep, "oldest.target"), "player:", 7), 0, "target %s", fx_str(&ep, "oldest.target"));
    bson_destroy(&st);
    bson_destroy(&ep);

    /* The relay at work: a lease, the first user update delivered, the second
     * failed (404), the guild update retrying (two attempts, 503), the game
     * outbox settled up to its kick. */
    int64_t now = clock_wall_ms();
    bson_t *doc = bson_new();
    BSON_APPEND_UTF8(doc, "_id", "relay:00000000000000000001");
    BSON_APPEND_INT64(doc, "term", 1);
    BSON_APPEND_UTF8(doc, "holder", "test-relay");
    BSON_APPEND_DATE_TIME(doc, "expires_at", now + 600000);
    BSON_APPEND_DATE_TIME(doc, "at", now);
    insert(&b, "relay_leases", doc);
    char target[64];
    snprintf(target, sizeof target, "user:%s", staff.id);
    insert_result(&b, "gateway_events", gateway[0], target, "gateway", "delivered", 204);
    snprintf(target, sizeof target, "user:%s", member.id);
    insert_result(&b, "gateway_events", gateway[1], target, "gateway", "failed", 404);
    for (int attempt = 1; attempt <= 2; attempt++) {
        char key[80];
        event_key("gateway_events", guild[0], key, sizeof key);
        size_t len = strlen(key);
        snprintf(key + len, sizeof key - len, ":%06d", attempt);
        doc = bson_new();
        BSON_APPEND_UTF8(doc, "_id", key);
        BSON_APPEND_UTF8(doc, "outbox", "gateway_events");
        BSON_APPEND_INT64(doc, "event_id", guild[0]);
        BSON_APPEND_UTF8(doc, "endpoint", "guild_update");
        BSON_APPEND_INT32(doc, "status", 503);
        BSON_APPEND_UTF8(doc, "error", "Service Unavailable");
        BSON_APPEND_DATE_TIME(doc, "at", now);
        BSON_APPEND_DATE_TIME(doc, "next_at", now + attempt * 1000);
        BSON_APPEND_UTF8(doc, "relay", "test-relay");
        insert(&b, "outbox_attempts", doc);
    }
    char key[64];
    snprintf(key, sizeof key, "game_commands:%020lld", (long long)game[0]);
    insert_result(&b, "game_commands", game[0], "player:x", "game", "delivered", 200);
    doc = bson_new();
    BSON_APPEND_UTF8(doc, "_id", key);
    BSON_APPEND_UTF8(doc, "stream", "game_commands");
    BSON_APPEND_INT64(doc, "upto", game[0]);
    BSON_APPEND_DATE_TIME(doc, "at", now);
    BSON_APPEND_UTF8(doc, "relay", "test-relay");
    insert(&b, "outbox_checkpoints", doc);

    bson_init(&st);
    bson_init(&ep);
    status_json(&st);
    cr_expect_str_eq(fx_str(&st, "lease.holder"), "test-relay");
    cr_expect_str_eq(fx_str(&st, "lease.term"), "1");
    cr_expect_not(fx_bool(&st, "lease.expired", true));
    cr_expect_eq(ll(fx_str(&st, "checkpoints.game_commands.upto")), game[0]);
    endpoint_of(&st, "gateway", &ep);
    cr_expect_eq(fx_int(&ep, "backlog", -1), (int64_t)n_gateway - 2, "delivered and failed are settled");
    cr_expect_eq(ll(fx_str(&ep, "oldest.id")), gateway[2], "the oldest undelivered is now the third");
    cr_expect_eq(fx_int(&ep, "failed", -1), 1);
    cr_expect_eq(fx_int(&ep, "expired", -1), 0);
    cr_expect_eq(fx_int(&ep, "retrying_count", -1), 0);
    bson_reinit(&ep);
    endpoint_of(&st, "guild_update", &ep);
    cr_expect_eq(fx_int(&ep, "backlog", -1), (int64_t)n_guild, "retrying is still backlog");
    cr_expect_eq(fx_int(&ep, "retrying_count", -1), 1);
    cr_expect_eq(ll(fx_str(&ep, "retrying.0.id")), guild[0]);
    cr_expect_eq(fx_int(&ep, "retrying.0.attempts", -1), 2, "the latest attempt is the second");
    cr_expect_eq(fx_int(&ep, "retrying.0.status", -1), 503);
    cr_expect_str_eq(fx_str(&ep, "retrying.0.error"), "Service Unavailable");
    cr_expect(*fx_str(&ep, "retrying.0.next_at"), "next_at is a date");
    bson_reinit(&ep);
    endpoint_of(&st, "game", &ep);
    cr_expect_eq(fx_int(&ep, "backlog", -1), 0, "the checkpoint covers the kick");
    cr_expect(fx_is_null(&ep, "oldest"));
    bson_destroy(&st);
    bson_destroy(&ep);

    /* The table says the same. */
    struct ctl_run r;
    ctl(&r, (const char *const[]){"outbox", "status", NULL});
    cr_assert_eq(r.status, 0, "outbox status: %s", r.err);
    cr_expect_neq(strstr(r.out, "lease: test-relay, term 1, until "), NULL, "%s", r.out);
    char line[128];
    snprintf(line, sizeof line, "\ngateway          set  %7lld ", (long long)n_gateway - 2);
    cr_expect_neq(strstr(r.out, line), NULL, "no line '%s' in:\n%s", line + 1, r.out);
    snprintf(line, sizeof line, "\n%-20lld guild_update ", (long long)guild[0]);
    cr_expect_neq(strstr(r.out, "\nretrying:\n"), NULL, "%s", r.out);
    cr_expect_neq(strstr(r.out, line), NULL, "the retrying guild update is listed:\n%s", r.out);
    cr_expect_neq(strstr(r.out, "503 Service Unavailable"), NULL, "%s", r.out);
    ctl_run_free(&r);
    bench_stop(&b);
}

/* The newest USER_UPDATE of a user. */
static int64_t user_update_of(struct bench *b, const char *user_id)
{
    char filter[128];
    snprintf(filter, sizeof filter, "{\"type\": \"USER_UPDATE\", \"user_id\": {\"$numberLong\": \"%s\"}}", user_id);
    cr_assert_geq(count(b, "gateway_events", filter), 1);
    mongoc_collection_t *c = mongoc_database_get_collection(b->db, "gateway_events");
    bson_t f = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    BSON_APPEND_UTF8(&f, "type", "USER_UPDATE");
    BSON_APPEND_INT64(&f, "user_id", atoll(user_id));
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, "_id", -1);
    bson_append_document_end(&opts, &sort);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, &f, &opts, NULL);
    const bson_t *doc;
    int64_t id = 0;
    if (mongoc_cursor_next(cursor, &doc))
        id = fx_int(doc, "_id", 0);
    mongoc_cursor_destroy(cursor);
    bson_destroy(&f);
    bson_destroy(&opts);
    mongoc_collection_destroy(c);
    cr_assert_gt(id, 0);
    return id;
}

static void expect_exit(const char *what, const char *const *args, int status, const char *in_err)
{
    struct ctl_run r;
    ctl(&r, args);
    cr_expect_eq(r.status, status, "%s: exit %d, not %d: %s%s", what, r.status, status, r.out, r.err);
    if (in_err)
        cr_expect_neq(strstr(r.err, in_err), NULL, "%s: stderr lacks '%s': %s", what, in_err, r.err);
    ctl_run_free(&r);
}

Test(outbox_ctl, skip_and_retry_of_one_event, .timeout = 240)
{
    struct bench b;
    bench_start(&b);
    struct fx_chat_user staff, member;
    fx_chat_user_at(&b.s, &staff, true);
    fx_chat_user_at(&b.s, &member, false);
    patch_flags(&b, staff.auth, member.id, 8);
    int64_t id = user_update_of(&b, member.id);
    char ids[24], key[64], filter[256];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    event_key("gateway_events", id, key, sizeof key);

    /* skip: the outcome "skipped", a skip command, an audit entry by the operator. */
    struct ctl_run r;
    ctl(&r, (const char *const[]){"outbox", "skip", ids, NULL});
    cr_assert_eq(r.status, 0, "skip: %s", r.err);
    cr_expect_neq(strstr(r.out, "skipped (endpoint gateway)"), NULL, "%s", r.out);
    ctl_run_free(&r);
    bson_t doc = BSON_INITIALIZER;
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    mongoc_collection_t *results = mongoc_database_get_collection(b.db, "outbox_results");
    {
        bson_error_t e;
        bson_t f = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&f, "_id", key);
        mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(results, &f, NULL, NULL);
        const bson_t *found;
        cr_assert(mongoc_cursor_next(cursor, &found), "no outcome %s", key);
        bson_copy_to(found, &doc);
        cr_assert_not(mongoc_cursor_error(cursor, &e));
        mongoc_cursor_destroy(cursor);
        bson_destroy(&f);
    }
    cr_expect_str_eq(fx_str(&doc, "state"), "skipped");
    cr_expect_str_eq(fx_str(&doc, "relay"), "wardenctl");
    cr_expect_str_eq(fx_str(&doc, "endpoint"), "gateway");
    cr_expect_str_eq(fx_str(&doc, "outbox"), "gateway_events");
    cr_expect_eq(fx_int(&doc, "event_id", 0), id);
    char target[48];
    snprintf(target, sizeof target, "user:%s", member.id);
    cr_expect_str_eq(fx_str(&doc, "target"), target);
    bson_destroy(&doc);
    snprintf(filter, sizeof filter,
             "{\"action\": \"skip\", \"outbox\": \"gateway_events\", \"event_id\": {\"$numberLong\": \"%s\"}}", ids);
    cr_expect_eq(count(&b, "outbox_commands", filter), 1, "one skip command");
    snprintf(filter, sizeof filter,
             "{\"action\": \"outbox.skip\", \"target.type\": \"event\", \"target.id\": \"%s\", "
             "\"actor.realm\": \"operator\", \"after.state\": \"skipped\"}",
             ids);
    cr_expect_eq(count(&b, "audit_log", filter), 1, "audited as outbox.skip");

    /* A second skip: refused, naming the state; nothing more written. */
    expect_exit("skip again", (const char *const[]){"outbox", "skip", ids, NULL}, 1, "already has an outcome: skipped");
    snprintf(filter, sizeof filter, "{\"action\": \"skip\", \"event_id\": {\"$numberLong\": \"%s\"}}", ids);
    cr_expect_eq(count(&b, "outbox_commands", filter), 1, "still one skip command");

    /* retry of the skipped event: the outcome goes, a retry command comes. */
    ctl(&r, (const char *const[]){"outbox", "retry", ids, NULL});
    cr_assert_eq(r.status, 0, "retry: %s", r.err);
    cr_expect_neq(strstr(r.out, "skipped outcome deleted"), NULL, "%s", r.out);
    ctl_run_free(&r);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    cr_expect_eq(count(&b, "outbox_results", filter), 0, "the skipped outcome is deleted");
    snprintf(filter, sizeof filter, "{\"action\": \"retry\", \"event_id\": {\"$numberLong\": \"%s\"}}", ids);
    cr_expect_eq(count(&b, "outbox_commands", filter), 1, "one retry command");
    snprintf(filter, sizeof filter,
             "{\"action\": \"outbox.retry\", \"target.id\": \"%s\", \"before.state\": \"skipped\"}", ids);
    cr_expect_eq(count(&b, "audit_log", filter), 1, "audited as outbox.retry");

    /* The relay records it failed (a 404): retry deletes that and asks again. */
    insert_result(&b, "gateway_events", id, target, "gateway", "failed", 404);
    ctl(&r, (const char *const[]){"outbox", "retry", ids, NULL});
    cr_assert_eq(r.status, 0, "retry of a failed event: %s", r.err);
    cr_expect_neq(strstr(r.out, "failed outcome deleted"), NULL, "%s", r.out);
    ctl_run_free(&r);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    cr_expect_eq(count(&b, "outbox_results", filter), 0, "the failed outcome is deleted");
    snprintf(filter, sizeof filter, "{\"action\": \"retry\", \"event_id\": {\"$numberLong\": \"%s\"}}", ids);
    cr_expect_eq(count(&b, "outbox_commands", filter), 2, "a second retry command");

    /* Delivered: neither retry nor skip touches it. */
    insert_result(&b, "gateway_events", id, target, "gateway", "delivered", 200);
    expect_exit("retry of a delivered event", (const char *const[]){"outbox", "retry", ids, NULL}, 1,
                "was delivered");
    expect_exit("skip of a delivered event", (const char *const[]){"outbox", "skip", ids, NULL}, 1,
                "already has an outcome: delivered");
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\", \"state\": \"delivered\"}", key);
    cr_expect_eq(count(&b, "outbox_results", filter), 1, "the delivered outcome stays");
    snprintf(filter, sizeof filter, "{\"event_id\": {\"$numberLong\": \"%s\"}}", ids);
    cr_expect_eq(count(&b, "outbox_commands", filter), 3, "no command for a refusal");

    /* A game command is found in its own outbox. */
    kick(&b);
    int64_t game[2];
    size_t n_game;
    event_ids(&b, "game_commands", NULL, false, game, 2, &n_game);
    cr_assert_eq(n_game, 1);
    snprintf(ids, sizeof ids, "%lld", (long long)game[0]);
    ctl(&r, (const char *const[]){"outbox", "skip", ids, NULL});
    cr_assert_eq(r.status, 0, "skip of a game command: %s", r.err);
    cr_expect_neq(strstr(r.out, "(game_commands kick player:"), NULL, "%s", r.out);
    cr_expect_neq(strstr(r.out, "skipped (endpoint game)"), NULL, "%s", r.out);
    ctl_run_free(&r);
    snprintf(filter, sizeof filter, "{\"_id\": \"game_commands:%020lld\", \"state\": \"skipped\"}",
             (long long)game[0]);
    cr_expect_eq(count(&b, "outbox_results", filter), 1);
    mongoc_collection_destroy(results);
    bench_stop(&b);
}

Test(outbox_ctl, unknown_events_usage_errors_and_help)
{
    /* An id no outbox holds, on the shared stack's database. */
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    expect_exit("retry of an unknown id", (const char *const[]){"outbox", "retry", "1", NULL}, 1,
                "no event 1 in gateway_events or game_commands");
    expect_exit("skip of an unknown id", (const char *const[]){"outbox", "skip", "1", NULL}, 1, "no event 1");
    /* The relay's retention, which status counts outcomes over, must be a number. */
    cr_assert_eq(setenv("WARDEN_RELAY_RETENTION_S", "a week", 1), 0);
    expect_exit("a bad retention", (const char *const[]){"outbox", "status", NULL}, 2, "WARDEN_RELAY_RETENTION_S");
    unsetenv("WARDEN_RELAY_RETENTION_S");

    /* Usage errors: status 2, before any connection (the database is dead). */
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", DEAD_URI, 1), 0);
    expect_exit("no action", (const char *const[]){"outbox", NULL}, 2, "usage: wardenctl outbox");
    expect_exit("unknown action", (const char *const[]){"outbox", "flush", NULL}, 2, "unknown action 'flush'");
    expect_exit("retry without ID", (const char *const[]){"outbox", "retry", NULL}, 2, "usage: wardenctl outbox retry ID");
    expect_exit("skip with two", (const char *const[]){"outbox", "skip", "1", "2", NULL}, 2, NULL);
    expect_exit("id not a number", (const char *const[]){"outbox", "retry", "abc", NULL}, 2, "invalid event id 'abc'");
    expect_exit("id zero", (const char *const[]){"outbox", "skip", "0", NULL}, 2, "invalid event id '0'");
    expect_exit("id negative", (const char *const[]){"outbox", "skip", "-5", NULL}, 2, NULL);
    expect_exit("status argument", (const char *const[]){"outbox", "status", "--yaml", NULL}, 2,
                "unknown argument '--yaml'");
    expect_exit("a global option after", (const char *const[]){"outbox", "status", "--env-file", NULL}, 2,
                "goes before the command");

    struct ctl_run r;
    ctl(&r, (const char *const[]){"help", "outbox", NULL});
    cr_expect_eq(r.status, 0);
    cr_expect_neq(strstr(r.out, "usage: wardenctl [OPTIONS] outbox status [--json] | retry ID | skip ID\n"), NULL,
                  "%s", r.out);
    cr_expect_neq(strstr(r.out, "outbox.retry"), NULL, "help names the audit actions");
    ctl_run_free(&r);
    ctl(&r, (const char *const[]){"help", NULL});
    cr_expect_neq(strstr(r.out, "\n  outbox status [--json] | retry ID | skip ID"), NULL, "%s", r.out);
    ctl_run_free(&r);
}
