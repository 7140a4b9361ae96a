/*
 * game_keys: the claims behind every lookup of the game realm
 * (include/warden/store/game.h): names and a user's characters found
 * through claims written at creation, a name claim believed only when its
 * document carries the name, the online listing checking its claims
 * against the players, and `wardenctl migrate` writing the claims of game
 * data stored by the previous release.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_admin_support.h"
#include "game_support.h"
#include "warden/clock.h"

static void get(const struct fx_game_user *caller, const char *path, struct http_response *r)
{
    fx_request("GET", path, caller->auth, NULL, r);
}

static void lower(const char *s, char out[24])
{
    size_t i = 0;
    for (; s[i] && i < 23; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    out[i] = '\0';
}

/* s with every other letter upper-cased (names are lower-case letters and digits). */
static void mixed_case(const char *s, char out[24])
{
    size_t i = 0;
    for (; s[i] && i < 23; i++)
        out[i] = (char)(i % 2 == 0 && s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    out[i] = '\0';
}

static void upper(const char *s, char out[24])
{
    size_t i = 0;
    for (; s[i] && i < 23; i++)
        out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    out[i] = '\0';
}

/* GET path as caller: the status, and the body into doc when it is 200. */
static long get_json(const struct fx_game_user *caller, const char *path, bson_t *doc)
{
    struct http_response r;
    get(caller, path, &r);
    long status = r.status;
    if (status == 200)
        fx_json(&r, doc);
    http_response_free(&r);
    return status;
}

static bool claim_names(const char *collection, const char *key, const char *field, const char *id)
{
    char filter[160];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\", \"%s\": \"%s\"}", key, field, id);
    return fx_db_count(collection, filter) == 1;
}

Test(game_keys, names_are_claimed_at_creation_and_found_in_any_case)
{
    struct fx_game_user caller;
    fx_game_user(&caller, "Api UserQuery", true);
    struct gs_target t;
    gs_target(&t, "", 3, 4, NULL);
    char second_id[40], second[24];
    fx_game_player(t.user.name, NULL, 5, 6, NULL, second_id, second);

    char key[24], owned[96];
    lower(t.user.name, key);
    cr_expect(claim_names("game_user_names", key, "user_id", t.user.id), "the user's name claim");
    lower(t.player, key);
    cr_expect(claim_names("player_names", key, "player_id", t.player_id), "the player's name claim");
    char filter[160];
    snprintf(owned, sizeof owned, "%s/%s", t.user.id, t.player_id);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", owned);
    cr_expect_eq(fx_db_count("user_players", filter), 1, "the user_players claim %s", owned);

    char forms[2][24];
    upper(t.player, forms[0]);
    mixed_case(t.player, forms[1]);
    for (int i = 0; i < 2; i++) {
        char path[96];
        bson_t v = BSON_INITIALIZER;
        snprintf(path, sizeof path, "/api/v1/players/%s", forms[i]);
        cr_assert_eq(get_json(&caller, path, &v), 200, "%s", path);
        cr_expect_str_eq(fx_str(&v, "Id"), t.player_id, "%s", path);
        cr_expect_str_eq(fx_str(&v, "Name"), t.player);
        bson_destroy(&v);
    }
    upper(t.user.name, forms[0]);
    mixed_case(t.user.name, forms[1]);
    for (int i = 0; i < 2; i++) {
        char path[96];
        bson_t v = BSON_INITIALIZER;
        snprintf(path, sizeof path, "/api/v1/users/%s", forms[i]);
        cr_assert_eq(get_json(&caller, path, &v), 200, "%s", path);
        cr_expect_str_eq(fx_str(&v, "Id"), t.user.id, "%s", path);
        /* both characters, in name order */
        cr_assert_eq(fx_count(&v, "Players"), 2, "%s: two players", path);
        const char *a = fx_str(&v, "Players.0.Name"), *b = fx_str(&v, "Players.1.Name");
        cr_expect(strcmp(a, b) < 0, "ordered by name: %s, %s", a, b);
        cr_expect(strcmp(a, t.player) == 0 || strcmp(a, second) == 0, "%s is the user's", a);
        cr_expect(strcmp(b, t.player) == 0 || strcmp(b, second) == 0, "%s is the user's", b);
        bson_destroy(&v);
    }
}

Test(game_keys, a_name_claim_pointing_elsewhere_finds_nothing)
{
    struct fx_game_user caller;
    fx_game_user(&caller, "Api UserQuery", true);
    struct gs_target a, b;
    gs_target(&a, "", 1, 1, NULL);
    gs_target(&b, "", 2, 2, NULL);

    /* a's name claims name b's documents, which carry other names */
    char key[24], filter[96], update[128], path[96];
    lower(a.player, key);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    snprintf(update, sizeof update, "{\"$set\": {\"player_id\": \"%s\"}}", b.player_id);
    cr_assert_eq(gs_db_update("player_names", filter, update), 1, "no claim of %s", a.player);
    lower(a.user.name, key);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    snprintf(update, sizeof update, "{\"$set\": {\"user_id\": \"%s\"}}", b.user.id);
    cr_assert_eq(gs_db_update("game_user_names", filter, update), 1, "no claim of %s", a.user.name);

    struct http_response r;
    snprintf(path, sizeof path, "/api/v1/players/%s", a.player);
    get(&caller, path, &r);
    char message[128];
    snprintf(message, sizeof message, "No player found for lookup key '%s'", a.player);
    gs_expect_message(&r, 404, message);
    http_response_free(&r);
    snprintf(path, sizeof path, "/api/v1/users/%s", a.user.name);
    get(&caller, path, &r);
    snprintf(message, sizeof message, "No user found for lookup key '%s'", a.user.name);
    gs_expect_message(&r, 404, message);
    http_response_free(&r);
    gs_action(&caller, "players", a.player, "unmute", NULL, &r);
    cr_expect_eq(r.status, 404, "the admin route looks the same way: %s", r.body);
    http_response_free(&r);

    /* b is not found under a's name either, and both stay found by id */
    bson_t v = BSON_INITIALIZER;
    snprintf(path, sizeof path, "/api/v1/players/%s", a.player_id);
    cr_expect_eq(get_json(&caller, path, &v), 200, "%s by id", a.player);
    bson_destroy(&v);
    bson_init(&v);
    snprintf(path, sizeof path, "/api/v1/players/%s", b.player);
    cr_assert_eq(get_json(&caller, path, &v), 200, "%s by name", b.player);
    cr_expect_str_eq(fx_str(&v, "Id"), b.player_id);
    bson_destroy(&v);

    /* the names stay taken: a young claim is a creation under way */
    char *out = NULL;
    cr_expect_neq(fx_ctl(&out, (const char *const[]){"game-add-player", b.user.name, a.player, NULL}), 0,
                  "a second %s: %s", a.player, out ? out : "");
    free(out);
}

Test(game_keys, a_stale_name_claim_is_taken_over)
{
    struct fx_game_user caller;
    fx_game_user(&caller, "Api UserQuery", true);
    char name[24], email[64], nobody[40], key[24];
    fx_unique(name, sizeof name, "g");
    snprintf(email, sizeof email, "%s@example.com", name);
    lower(name, key);
    gs_guid(nobody);

    /* a claim whose user never appeared: taken while young ... */
    bson_t claim = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&claim, "_id", key);
    BSON_APPEND_UTF8(&claim, "user_id", nobody);
    BSON_APPEND_DATE_TIME(&claim, "created_at", clock_wall_ms());
    char error[256];
    cr_assert(ca_db_insert("game_user_names", &claim, error, sizeof error), "%s", error);
    bson_destroy(&claim);
    char *out = NULL;
    int rc = fx_ctl(&out, (const char *const[]){"game-add-user", name, email, "secret1", NULL});
    cr_expect_neq(rc, 0, "a creation under way holds the name: %s", out ? out : "");
    cr_expect(out && strstr(out, "taken"), "%s", out ? out : "");
    free(out);

    /* ... and replaced once older than a minute */
    char filter[96], update[160];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    snprintf(update, sizeof update, "{\"$set\": {\"created_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}}}",
             (long long)(clock_wall_ms() - 120 * 1000));
    cr_assert_eq(gs_db_update("game_user_names", filter, update), 1);
    char line[160];
    fx_ctl_ok(NULL, line, sizeof line, (const char *const[]){"game-add-user", name, email, "secret1", NULL});
    char id[40];
    snprintf(id, sizeof id, "%.36s", line);
    cr_expect(claim_names("game_user_names", key, "user_id", id), "the claim names the new user %s", id);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/users/%s", name);
    bson_t v = BSON_INITIALIZER;
    cr_assert_eq(get_json(&caller, path, &v), 200, "%s", path);
    cr_expect_str_eq(fx_str(&v, "Id"), id);
    bson_destroy(&v);
}

/* Names of every online player, walking the pages (pageSize 100): into
 * names (malloc'ed, NUL-separated) and *count; Total and Count of the first
 * page into *total and *first_count. */
static void online_names(const struct fx_game_user *caller, char **names, int *count,
                         int64_t *total, int64_t *first_count)
{
    size_t len = 0;
    *names = calloc(1, 1);
    *count = 0;
    for (int page = 0; page < 1000; page++) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/players/online?page=%d&pageSize=100", page);
        bson_t v = BSON_INITIALIZER;
        cr_assert_eq(get_json(caller, path, &v), 200, "%s", path);
        int64_t n = fx_int(&v, "Count", -1);
        if (page == 0) {
            *total = fx_int(&v, "Total", -1);
            *first_count = n;
        }
        for (int64_t i = 0; i < n; i++) {
            char key[48];
            snprintf(key, sizeof key, "Values.%lld.Online", (long long)i);
            cr_expect(fx_bool(&v, key, false), "an offline value listed");
            snprintf(key, sizeof key, "Values.%lld.Name", (long long)i);
            const char *name = fx_str(&v, key);
            *names = realloc(*names, len + strlen(name) + 2);
            cr_assert(*names);
            memcpy(*names + len, name, strlen(name) + 1);
            len += strlen(name) + 1;
            (*names)[len] = '\0';
            (*count)++;
        }
        bson_destroy(&v);
        if (n < 100)
            break;
    }
}

static bool listed(const char *names, int count, const char *name)
{
    for (int i = 0; i < count; i++, names += strlen(names) + 1)
        if (strcmp(names, name) == 0)
            return true;
    return false;
}

Test(game_keys, online_listing_never_shows_a_stale_claim)
{
    struct fx_game_user caller, owner;
    fx_game_user(&caller, "Api", true);
    fx_game_user(&owner, "", false);
    char on_id[40], on[24], off_id[40], off[24];
    fx_game_player(owner.name, NULL, 1, 1, "198.51.100.20", on_id, on);
    fx_game_player(owner.name, NULL, 2, 2, NULL, off_id, off);

    char key[96], lowered[24], filter[256];
    lower(on, lowered);
    snprintf(key, sizeof key, "%s/%s", lowered, on_id);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\", \"player_id\": \"%s\"}", key, on_id);
    cr_expect_eq(fx_db_count("online_players", filter), 1, "the online claim of %s", on);

    /* a claim left behind for a player that is offline */
    lower(off, lowered);
    snprintf(key, sizeof key, "%s/%s", lowered, off_id);
    bson_t claim = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&claim, "_id", key);
    BSON_APPEND_UTF8(&claim, "player_id", off_id);
    BSON_APPEND_DATE_TIME(&claim, "created_at", clock_wall_ms());
    char error[256];
    cr_assert(ca_db_insert("online_players", &claim, error, sizeof error), "%s", error);
    bson_destroy(&claim);

    char *names;
    int count;
    int64_t total, first_count;
    online_names(&caller, &names, &count, &total, &first_count);
    cr_expect(listed(names, count, on), "%s is online", on);
    cr_expect(!listed(names, count, off), "%s is listed on a stale claim", off);
    /* One answer counts what it lists: Total is no claim count. */
    cr_expect(total > 100 || first_count == total, "Total %lld, Count %lld on the only page",
              (long long)total, (long long)first_count);
    free(names);

    /* going offline removes the claim */
    fx_ctl_ok(NULL, NULL, 0, (const char *const[]){"game-presence", on, "offline", NULL});
    lower(on, lowered);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s/%s\"}", lowered, on_id);
    cr_expect_eq(fx_db_count("online_players", filter), 0, "the claim of %s after going offline", on);
    online_names(&caller, &names, &count, &total, &first_count);
    cr_expect(!listed(names, count, on), "%s is listed offline", on);
    free(names);
    /* and coming back online brings it back */
    fx_ctl_ok(NULL, NULL, 0,
              (const char *const[]){"game-presence", on, "online", "--ip", "198.51.100.21", NULL});
    online_names(&caller, &names, &count, &total, &first_count);
    cr_expect(listed(names, count, on), "%s is online again", on);
    free(names);
}

/* A game user and two characters as the previous release stored them: no claims. */
Test(game_keys, migrate_writes_the_claims_of_old_game_data)
{
    struct fx_game_user caller;
    fx_game_user(&caller, "Api UserQuery", true);
    char uid[40], pid[2][40], name[24], shown[24], pname[2][24], map[40];
    gs_guid(uid);
    gs_guid(map);
    fx_unique(name, sizeof name, "g");
    mixed_case(name, shown);
    int64_t now = clock_wall_ms();
    bson_t user = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&user, "_id", uid);
    BSON_APPEND_UTF8(&user, "name", shown);
    BSON_APPEND_UTF8(&user, "name_lower", name);
    BSON_APPEND_UTF8(&user, "email", "old@example.com");
    BSON_APPEND_UTF8(&user, "password_hash", "unusable");
    bson_t rights;
    BSON_APPEND_ARRAY_BEGIN(&user, "rights", &rights);
    bson_append_array_end(&user, &rights);
    BSON_APPEND_UTF8(&user, "security_stamp", "old");
    BSON_APPEND_DATE_TIME(&user, "registered_at", now);
    BSON_APPEND_NULL(&user, "last_ip");
    char error[256];
    cr_assert(ca_db_insert("game_users", &user, error, sizeof error), "%s", error);
    bson_destroy(&user);
    for (int i = 0; i < 2; i++) {
        gs_guid(pid[i]);
        fx_unique(pname[i], sizeof pname[i], "p");
        char stored[24];
        mixed_case(pname[i], stored);
        bson_t p = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&p, "_id", pid[i]);
        BSON_APPEND_UTF8(&p, "name", stored);
        BSON_APPEND_UTF8(&p, "name_lower", pname[i]);
        BSON_APPEND_UTF8(&p, "user_id", uid);
        BSON_APPEND_UTF8(&p, "map_id", map);
        BSON_APPEND_INT64(&p, "x", i);
        BSON_APPEND_INT64(&p, "y", i);
        BSON_APPEND_BOOL(&p, "online", i == 0);
        if (i == 0)
            BSON_APPEND_UTF8(&p, "connection_ip", "203.0.113.40");
        else
            BSON_APPEND_NULL(&p, "connection_ip");
        BSON_APPEND_DATE_TIME(&p, "created_at", now);
        cr_assert(ca_db_insert("players", &p, error, sizeof error), "%s", error);
        bson_destroy(&p);
    }

    char path[96];
    bson_t v = BSON_INITIALIZER;
    snprintf(path, sizeof path, "/api/v1/users/%s", name);
    cr_expect_eq(get_json(&caller, path, &v), 404, "found before migrate");
    bson_destroy(&v);

    for (int run = 0; run < 2; run++) { /* the second run changes nothing */
        fx_ctl_ok(NULL, NULL, 0, (const char *const[]){"migrate", NULL});
        bson_init(&v);
        cr_assert_eq(get_json(&caller, path, &v), 200, "run %d: %s", run, path);
        cr_expect_str_eq(fx_str(&v, "Id"), uid);
        cr_expect_str_eq(fx_str(&v, "Name"), shown);
        cr_expect_eq(fx_count(&v, "Players"), 2, "run %d: the user's players", run);
        bson_destroy(&v);
        for (int i = 0; i < 2; i++) {
            char upper_name[24], player_path[96];
            upper(pname[i], upper_name);
            snprintf(player_path, sizeof player_path, "/api/v1/players/%s", upper_name);
            bson_init(&v);
            cr_assert_eq(get_json(&caller, player_path, &v), 200, "run %d: %s", run, player_path);
            cr_expect_str_eq(fx_str(&v, "Id"), pid[i]);
            cr_expect_eq(fx_bool(&v, "Online", i != 0), i == 0);
            bson_destroy(&v);
        }
        char *names;
        int count;
        int64_t total, first_count;
        char online_name[24];
        mixed_case(pname[0], online_name);
        online_names(&caller, &names, &count, &total, &first_count);
        cr_expect(listed(names, count, online_name), "run %d: %s is listed online", run, online_name);
        mixed_case(pname[1], online_name);
        cr_expect(!listed(names, count, online_name), "run %d: %s is offline", run, online_name);
        free(names);
    }
    char key[96], filter[256];
    snprintf(key, sizeof key, "%s/%s", pname[0], pid[0]);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    cr_expect_eq(fx_db_count("online_players", filter), 1, "one online claim");
    snprintf(filter, sizeof filter, "{\"_id\": {\"$gte\": \"%s/\", \"$lt\": \"%s0\"}}", uid, uid);
    cr_expect_eq(fx_db_count("user_players", filter), 2, "two user_players claims");
}
