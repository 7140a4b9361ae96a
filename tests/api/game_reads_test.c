/*
 * The game's neighbouring reads (shared/spec/game-admin.md, "Neighbouring
 * reads"): a user and a player with their active ban and mute, and the page
 * of online players with upstream's envelope.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game_support.h"
#include "warden/clock.h"

static void get(const struct fx_game_user *caller, const char *path, struct http_response *r)
{
    fx_request("GET", path, caller->auth, NULL, r);
}

static void sanction_now(const struct fx_game_user *mod, const struct gs_target *t,
                         const char *action, const char *body)
{
    struct http_response r;
    gs_action(mod, "users", t->user.name, action, body, &r);
    cr_assert_eq(r.status, 200, "%s: %s", action, r.body);
    http_response_free(&r);
}

static void expire(const char *user_id, const char *kind)
{
    char filter[160], update[200];
    int64_t now = clock_wall_ms();
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\", \"kind\": \"%s\"}", user_id, kind);
    snprintf(update, sizeof update,
             "{\"$set\": {\"start\": {\"$date\": {\"$numberLong\": \"%lld\"}}, "
             "\"end\": {\"$date\": {\"$numberLong\": \"%lld\"}}}}",
             (long long)(now - 2 * GS_DAY_MS), (long long)(now - 1000));
    cr_assert_eq(gs_db_update("sanctions", filter, update), 1, "no %s to expire", kind);
}

/* view[key] is the sanction object with these values. */
static void expect_sanction_view(const bson_t *view, const char *key, const char *reason,
                                 const char *moderator, const char *ip)
{
    bson_t s = BSON_INITIALIZER;
    cr_assert(fx_sub(view, key, &s), "%s is not an object", key);
    cr_expect_str_eq(fx_str(&s, "Reason"), reason, "%s.Reason", key);
    cr_expect_str_eq(fx_str(&s, "Moderator"), moderator, "%s.Moderator", key);
    if (ip)
        cr_expect_str_eq(fx_str(&s, "Ip"), ip, "%s.Ip", key);
    else
        cr_expect(fx_is_null(&s, "Ip"), "%s.Ip should be null", key);
    const char *start = fx_str(&s, "Start"), *end = fx_str(&s, "End");
    cr_expect(strlen(start) >= 19 && strlen(end) >= 19, "dates: %s %s", start, end);
    cr_expect(strcmp(end, start) > 0, "End %s is not after Start %s", end, start);
    bson_destroy(&s);
}

Test(game_reads, user_view_shows_active_sanctions)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 4, 5, "192.0.2.50");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s", t.user.name);

    struct http_response r;
    get(&mod, path, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t v = BSON_INITIALIZER;
    fx_json(&r, &v);
    cr_expect_str_eq(fx_str(&v, "Id"), t.user.id);
    cr_expect_str_eq(fx_str(&v, "Name"), t.user.name);
    cr_expect(fx_is_null(&v, "Ban"), "Ban without a ban: %s", r.body);
    cr_expect(fx_is_null(&v, "Mute"), "Mute without a mute: %s", r.body);
    cr_expect_str_eq(fx_str(&v, "Players.0.Name"), t.player);
    bson_destroy(&v);
    http_response_free(&r);

    sanction_now(&mod, &t, "ban", "{\"duration\": 3, \"reason\": \"cheating\", \"ip\": true}");
    sanction_now(&mod, &t, "mute", "{\"duration\": 1, \"reason\": \"shouting\"}");
    get(&mod, path, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&v);
    fx_json(&r, &v);
    expect_sanction_view(&v, "Ban", "cheating", mod.name, "192.0.2.50");
    expect_sanction_view(&v, "Mute", "shouting", mod.name, NULL);
    bson_destroy(&v);
    http_response_free(&r);

    /* An expired ban is no longer shown; the mute still is. */
    expire(t.user.id, "ban");
    get(&mod, path, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&v);
    fx_json(&r, &v);
    cr_expect(fx_is_null(&v, "Ban"), "an expired ban is shown: %s", r.body);
    expect_sanction_view(&v, "Mute", "shouting", mod.name, NULL);
    bson_destroy(&v);
    http_response_free(&r);
}

Test(game_reads, player_view_shows_its_accounts_sanctions)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 9, 8, NULL);
    char by_name[128], by_id[128];
    snprintf(by_name, sizeof by_name, "/api/v1/players/%s", t.player);
    snprintf(by_id, sizeof by_id, "/api/v1/players/%s", t.player_id);

    struct http_response r;
    get(&mod, by_name, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t v = BSON_INITIALIZER;
    fx_json(&r, &v);
    cr_expect_str_eq(fx_str(&v, "Id"), t.player_id);
    cr_expect_str_eq(fx_str(&v, "UserId"), t.user.id);
    cr_expect_str_eq(fx_str(&v, "MapId"), t.map);
    cr_expect_eq(fx_int(&v, "X", -1), 9);
    cr_expect_eq(fx_int(&v, "Y", -1), 8);
    cr_expect(fx_is_null(&v, "Ban") && fx_is_null(&v, "Mute"), "%s", r.body);
    bson_destroy(&v);
    http_response_free(&r);

    struct http_response b;
    gs_action(&mod, "players", t.player, "mute",
              "{\"duration\": 2, \"reason\": \"spam\", \"moderator\": \"Carol\"}", &b);
    cr_assert_eq(b.status, 200, "%s", b.body);
    http_response_free(&b);
    get(&mod, by_id, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&v);
    fx_json(&r, &v);
    cr_expect(fx_is_null(&v, "Ban"), "%s", r.body);
    expect_sanction_view(&v, "Mute", "spam", "Carol", NULL);
    bson_destroy(&v);
    http_response_free(&r);

    expire(t.user.id, "mute");
    get(&mod, by_name, &r);
    bson_init(&v);
    fx_json(&r, &v);
    cr_expect(fx_is_null(&v, "Mute"), "an expired mute is shown: %s", r.body);
    bson_destroy(&v);
    http_response_free(&r);
}

Test(game_reads, lookups_roles_and_not_found)
{
    struct fx_game_user api_only, mod;
    fx_game_user(&api_only, "Api", true);
    gs_moderator(&mod);
    struct gs_target t;
    gs_target(&t, "", 0, 0, NULL);
    char path[160], msg[160], unknown[24];
    struct http_response r;

    /* Users need UserQuery; players need Api only. */
    snprintf(path, sizeof path, "/api/v1/users/%s", t.user.id);
    get(&api_only, path, &r);
    cr_expect_eq(r.status, 403, "%s", r.body);
    cr_expect_str_eq(r.body, "{\"Message\":\"Authorization has been denied for this request.\"}");
    http_response_free(&r);
    snprintf(path, sizeof path, "/api/v1/players/%s", t.player);
    get(&api_only, path, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    fx_unique(unknown, sizeof unknown, "nobody");
    snprintf(path, sizeof path, "/api/v1/users/%s", unknown);
    get(&mod, path, &r);
    snprintf(msg, sizeof msg, "No user found for lookup key '%s'", unknown);
    gs_expect_message(&r, 404, msg);
    http_response_free(&r);
    snprintf(path, sizeof path, "/api/v1/players/%s", unknown);
    get(&mod, path, &r);
    snprintf(msg, sizeof msg, "No player found for lookup key '%s'", unknown);
    gs_expect_message(&r, 404, msg);
    http_response_free(&r);
    get(&mod, "/api/v1/users/00000000-0000-0000-0000-000000000000", &r);
    gs_expect_message(&r, 400, "Invalid id.");
    http_response_free(&r);
    get(&mod, "/api/v1/players/x", &r);
    gs_expect_message(&r, 400, "Invalid name.");
    http_response_free(&r);
}

/* Page through the online players with pageSize 100 and tell whether every
 * name in want was seen. */
static bool all_online_listed(const struct fx_game_user *caller, char want[][24], size_t n_want)
{
    bool seen[8] = {false};
    for (int page = 0; page < 1000; page++) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/players/online?page=%d&pageSize=100", page);
        struct http_response r;
        get(caller, path, &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        bson_t v = BSON_INITIALIZER;
        fx_json(&r, &v);
        int count = (int)fx_int(&v, "Count", -1);
        for (int i = 0; i < count; i++) {
            char key[32];
            snprintf(key, sizeof key, "Values.%d.Name", i);
            for (size_t k = 0; k < n_want; k++)
                if (strcmp(fx_str(&v, key), want[k]) == 0)
                    seen[k] = true;
        }
        bson_destroy(&v);
        http_response_free(&r);
        if (count < 100)
            break;
    }
    for (size_t k = 0; k < n_want; k++)
        if (!seen[k])
            return false;
    return true;
}

Test(game_reads, online_players_page_envelope)
{
    struct fx_game_user caller;
    fx_game_user(&caller, "Api", true);
    struct fx_game_user owner;
    fx_game_user(&owner, "", false);
    char names[6][24];
    for (int i = 0; i < 6; i++)
        fx_game_player(owner.name, NULL, i, i, "198.51.100.77", NULL, names[i]);

    static const struct {
        const char *query;
        int64_t page, page_size;
    } cases[] = {
        {"", 0, 5},
        {"?page=0&pageSize=1", 0, 5},
        {"?pageSize=5", 0, 5},
        {"?pageSize=6", 0, 6},
        {"?pageSize=500", 0, 100},
        {"?page=0&pageSize=100", 0, 100},
        {"?page=1&pageSize=-3", 1, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/players/online%s", cases[i].query);
        struct http_response r;
        get(&caller, path, &r);
        cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
        bson_t v = BSON_INITIALIZER;
        fx_json(&r, &v);
        cr_expect_eq(fx_count(&v, ""), 5, "%s: keys of %s", path, r.body);
        int64_t total = fx_int(&v, "Total", -1), count = fx_int(&v, "Count", -1);
        cr_expect_eq(fx_int(&v, "Page", -1), cases[i].page, "%s: Page", path);
        cr_expect_eq(fx_int(&v, "PageSize", -1), cases[i].page_size, "%s: PageSize", path);
        cr_expect_eq(fx_count(&v, "Values"), count, "%s: Count and Values differ", path);
        cr_expect(total >= 6, "%s: Total %lld with six online", path, (long long)total);
        if (cases[i].page == 0)
            cr_expect_eq(count, cases[i].page_size < total ? cases[i].page_size : total,
                         "%s: Count %lld (Total %lld)", path, (long long)count, (long long)total);
        cr_expect(fx_bool(&v, "Values.0.Online", false), "%s: an offline value", path);
        bson_destroy(&v);
        http_response_free(&r);
    }

    /* Far past the end: an empty page. */
    struct http_response r;
    get(&caller, "/api/v1/players/online?page=100000&pageSize=100", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    bson_t v = BSON_INITIALIZER;
    fx_json(&r, &v);
    cr_expect_eq(fx_int(&v, "Count", -1), 0);
    cr_expect_eq(fx_count(&v, "Values"), 0);
    bson_destroy(&v);
    http_response_free(&r);

    /* Every one of the six is on some page (players going offline elsewhere
     * can shift the pages while we read: one more pass then). */
    bool listed = all_online_listed(&caller, names, 6) || all_online_listed(&caller, names, 6);
    cr_expect(listed, "an online player is missing from the pages");

    /* Offline players are not listed. */
    char *out = NULL;
    cr_assert_eq(fx_ctl(&out, (const char *const[]){"game-presence", names[0], "offline", NULL}), 0,
                 "%s", out ? out : "");
    free(out);
    cr_expect(!all_online_listed(&caller, names, 1), "an offline player is listed");
}

Test(game_reads, online_players_bad_paging)
{
    struct fx_game_user caller;
    fx_game_user(&caller, "Api", true);
    static const char *const bad[] = {
        "?page=-1", "?page=abc", "?page=1.5", "?pageSize=abc", "?page=18446744073709551616",
        "?pageSize=1e99",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/players/online%s", bad[i]);
        struct http_response r;
        get(&caller, path, &r);
        cr_expect_eq(r.status, 400, "%s: %ld %s", bad[i], r.status, r.body);
        bson_t v = BSON_INITIALIZER;
        fx_json(&r, &v);
        cr_expect(*fx_str(&v, "Message"), "%s: no Message in %s", bad[i], r.body);
        bson_destroy(&v);
        http_response_free(&r);
    }
    struct http_response r;
    fx_request("GET", "/api/v1/players/online", NULL, NULL, &r);
    cr_expect_eq(r.status, 401, "%s", r.body);
    http_response_free(&r);
}
