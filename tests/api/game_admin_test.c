/*
 * Game admin actions (shared/spec/game-admin.md, "Admin actions"): what a
 * moderator sees in the answer and what the game server then finds in the
 * database (sanctions, game_commands) and the operator in audit_log.
 *
 * Every test makes its own accounts (fx_unique names), so counts are taken
 * per target user and never disturbed by the suites running alongside.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game_support.h"
#include "support/stack.h"
#include "warden/clock.h"

#define NOT_ONLINE "User not online!"
#define DENIED "You do not have the permission to do this."
#define AUTH_DENIED "Authorization has been denied for this request."

/* The wall clock, as the pool dates what it stores (not support/wait.h's
 * monotonic now_ms). */
static int64_t wall_ms(void)
{
    return clock_wall_ms();
}

/* The stored sanction of this kind ("ban", "mute") of a user, into doc. */
static bool sanction_of(const char *user_id, const char *kind, bson_t *doc)
{
    char filter[160];
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\", \"kind\": \"%s\"}", user_id, kind);
    return fx_db_find_one("sanctions", filter, doc);
}

static int64_t sanctions_of(const char *user_id, const char *kind)
{
    char filter[160];
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\", \"kind\": \"%s\"}", user_id, kind);
    return fx_db_count("sanctions", filter);
}

/* The only game command queued for a user, into doc (fails unless exactly one). */
static void only_command(const char *user_id, bson_t *doc)
{
    cr_assert_eq(gs_count_of_user("game_commands", user_id), 1, "expected one game command");
    char filter[96];
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\"}", user_id);
    cr_assert(fx_db_find_one("game_commands", filter, doc));
}

static bool has_key(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key);
}

/* A command's documented shape: {_id, type, player_id, user_id, map_id?, x?,
 * y?, reason?, created_at}. */
static void expect_command(const bson_t *cmd, const char *type, const struct gs_target *t,
                           int64_t before, int64_t after)
{
    cr_expect_str_eq(fx_str(cmd, "type"), type);
    cr_expect_str_eq(fx_str(cmd, "player_id"), t->player_id);
    cr_expect_str_eq(fx_str(cmd, "user_id"), t->user.id);
    int64_t created = gs_date(cmd, "created_at");
    cr_expect(created >= before - 1000 && created <= after + 1000, "created_at %lld",
              (long long)created);
    cr_expect(has_key(cmd, "_id"));
}

static void set_presence(const char *player, const char *state, const char *ip)
{
    const char *argv[] = {"game-presence", player, state, ip ? "--ip" : NULL, ip, NULL};
    char *out = NULL;
    int rc = fx_ctl(&out, argv);
    cr_assert_eq(rc, 0, "game-presence: %s", out ? out : "");
    free(out);
}

static void expect_sanction(const bson_t *s, const char *user_id, const char *kind, int days,
                            const char *reason, const char *moderator, const char *ip,
                            int64_t before, int64_t after)
{
    cr_expect_str_eq(fx_str(s, "kind"), kind);
    cr_expect_str_eq(fx_str(s, "user_id"), user_id);
    int64_t start = gs_date(s, "start"), end = gs_date(s, "end");
    cr_expect(start >= before - 1000 && start <= after + 1000, "start %lld not in [%lld, %lld]",
              (long long)start, (long long)before, (long long)after);
    cr_expect_eq(end - start, days * GS_DAY_MS, "end - start = %lld ms, expected %d days",
                 (long long)(end - start), days);
    cr_expect_str_eq(fx_str(s, "reason"), reason);
    cr_expect_str_eq(fx_str(s, "moderator"), moderator);
    if (ip)
        cr_expect_str_eq(fx_str(s, "ip"), ip);
    else
        cr_expect(fx_is_null(s, "ip"), "ip should be null");
}

/* --- ban ------------------------------------------------------------------ */

Test(game_admin, ban_on_users_route_records_the_callers_name)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 1, 2, NULL);
    struct http_response r;
    int64_t before = wall_ms();
    gs_action(&mod, "users", t.user.name, "ban",
              "{\"duration\": 3, \"reason\": \"griefing\", \"moderator\": \"Someone else\"}", &r);
    int64_t after = wall_ms();
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been banned!", t.user.name);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);

    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "ban", &s), "no ban stored");
    /* Upstream: the users route ignores the body's moderator. */
    expect_sanction(&s, t.user.id, "ban", 3, "griefing", mod.name, NULL, before, after);
    bson_destroy(&s);
    cr_expect_eq(sanctions_of(t.user.id, "ban"), 1);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0, "offline: no command");
}

Test(game_admin, ban_on_players_route_disconnects_and_records_the_ip)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 10, 20, "10.20.30.40");
    struct http_response r;
    int64_t before = wall_ms();
    gs_action(&mod, "players", t.player, "ban",
              "{\"duration\": 2, \"reason\": \"spam\", \"moderator\": \"Alice\", \"ip\": true}", &r);
    int64_t after = wall_ms();
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been banned!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);

    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "ban", &s), "no ban stored");
    expect_sanction(&s, t.user.id, "ban", 2, "spam", "Alice", "10.20.30.40", before, after);
    bson_destroy(&s);

    bson_t cmd = BSON_INITIALIZER;
    only_command(t.user.id, &cmd);
    expect_command(&cmd, "disconnect", &t, before, after);
    bson_destroy(&cmd);
}

Test(game_admin, ban_on_players_route_defaults_to_api_and_the_last_ip)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, "192.0.2.7");
    set_presence(t.player, "offline", NULL);
    struct http_response r;
    int64_t before = wall_ms();
    gs_action(&mod, "players", t.player, "ban", "{\"Duration\": 1, \"IP\": true}", &r);
    int64_t after = wall_ms();
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been banned!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);

    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "ban", &s), "no ban stored");
    expect_sanction(&s, t.user.id, "ban", 1, "", "api", "192.0.2.7", before, after);
    bson_destroy(&s);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0, "offline: no command");
}

Test(game_admin, ban_without_ip_flag_records_no_ip)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, "192.0.2.8");
    struct http_response r;
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 5, \"ip\": false}", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "ban", &s));
    cr_expect(fx_is_null(&s, "ip"), "ip recorded without \"ip\": true");
    bson_destroy(&s);
}

/* --- mute ----------------------------------------------------------------- */

Test(game_admin, mute_on_users_route_online_queues_a_mute)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 3, 4, "198.51.100.9");
    struct http_response r;
    int64_t before = wall_ms();
    gs_action(&mod, "users", t.user.name, "mute",
              "{\"duration\": 7, \"reason\": \"caps\", \"ip\": true}", &r);
    int64_t after = wall_ms();
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been muted!", t.user.name);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);

    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "mute", &s), "no mute stored");
    expect_sanction(&s, t.user.id, "mute", 7, "caps", mod.name, "198.51.100.9", before, after);
    bson_destroy(&s);
    cr_expect_eq(sanctions_of(t.user.id, "ban"), 0, "a mute is not a ban");

    bson_t cmd = BSON_INITIALIZER;
    only_command(t.user.id, &cmd);
    expect_command(&cmd, "mute", &t, before, after);
    bson_destroy(&cmd);
}

Test(game_admin, mute_on_players_route_offline_queues_nothing)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 3, 4, NULL);
    struct http_response r;
    int64_t before = wall_ms();
    gs_action(&mod, "players", t.player, "mute",
              "{\"duration\": 30, \"reason\": \"flood\", \"moderator\": \"Bob\"}", &r);
    int64_t after = wall_ms();
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been muted!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);

    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "mute", &s), "no mute stored");
    expect_sanction(&s, t.user.id, "mute", 30, "flood", "Bob", NULL, before, after);
    bson_destroy(&s);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0, "offline: no command");
}

/* --- unban, unmute ----------------------------------------------------------- */

Test(game_admin, unban_and_unmute_remove_only_their_kind)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, NULL);
    struct http_response r;
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 3}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    gs_action(&mod, "users", t.user.name, "mute", "{\"duration\": 3}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    char msg[96];
    gs_action(&mod, "players", t.player, "unban", NULL, &r);
    snprintf(msg, sizeof msg, "%s has been unbanned!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(sanctions_of(t.user.id, "ban"), 0, "the ban is still stored");
    cr_expect_eq(sanctions_of(t.user.id, "mute"), 1, "unban removed the mute");

    gs_action(&mod, "users", t.user.name, "unmute", "{}", &r);
    snprintf(msg, sizeof msg, "%s has been unmuted!", t.user.name);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(sanctions_of(t.user.id, "mute"), 0, "the mute is still stored");
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0);
}

Test(game_admin, unban_and_unmute_of_an_unsanctioned_user_succeed)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, NULL);
    struct http_response r;
    char msg[96];
    gs_action(&mod, "users", t.user.name, "unban", NULL, &r);
    snprintf(msg, sizeof msg, "%s has been unbanned!", t.user.name);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    gs_action(&mod, "players", t.player, "unmute", NULL, &r);
    snprintf(msg, sizeof msg, "%s has been unmuted!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("sanctions", t.user.id), 0);
}

/* --- warps, kick, kill --------------------------------------------------------- */

/* The map id as upper-case in braces, to see it come back canonical. */
static void braced_upper(const char *map, char out[48])
{
    size_t n = strlen(map);
    out[0] = '{';
    for (size_t i = 0; i < n; i++)
        out[i + 1] = (char)(map[i] >= 'a' && map[i] <= 'f' ? map[i] - 'a' + 'A' : map[i]);
    out[n + 1] = '}';
    out[n + 2] = '\0';
}

static void expect_warp(const bson_t *cmd, const char *map, int x, int y)
{
    cr_expect_str_eq(fx_str(cmd, "map_id"), map);
    cr_expect_eq(fx_int(cmd, "x", -1), x);
    cr_expect_eq(fx_int(cmd, "y", -1), y);
    cr_expect(!has_key(cmd, "reason"), "a warp carries no reason");
}

Test(game_admin, warpto_on_users_route_keeps_the_position)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 12, 34, "203.0.113.1");
    char map[40], braced[48], body[128], msg[160];
    gs_guid(map);
    braced_upper(map, braced);
    snprintf(body, sizeof body, "{\"mapid\": \"%s\"}", braced);
    struct http_response r;
    int64_t before = wall_ms();
    gs_action(&mod, "users", t.user.name, "warpto", body, &r);
    int64_t after = wall_ms();
    snprintf(msg, sizeof msg, "Warped '%s' to %s (12, 34).", t.player, map);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);

    bson_t cmd = BSON_INITIALIZER;
    only_command(t.user.id, &cmd);
    expect_command(&cmd, "warp", &t, before, after);
    expect_warp(&cmd, map, 12, 34);
    bson_destroy(&cmd);
}

Test(game_admin, warpto_on_players_route)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 7, 8, "203.0.113.2");
    char map[40], body[128], msg[160];
    gs_guid(map);
    snprintf(body, sizeof body, "{\"MapId\": \"%s\"}", map);
    struct http_response r;
    gs_action(&mod, "players", t.player, "warpto", body, &r);
    snprintf(msg, sizeof msg, "Warped '%s' to %s (7, 8).", t.player, map);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    bson_t cmd = BSON_INITIALIZER;
    only_command(t.user.id, &cmd);
    expect_warp(&cmd, map, 7, 8);
    bson_destroy(&cmd);
}

Test(game_admin, warptoloc_on_both_routes)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 1, 1, "203.0.113.3");
    char map[40], nform[40], body[160], msg[160];
    gs_guid(map);
    size_t o = 0; /* N form: 32 hex digits */
    for (const char *c = map; *c; c++)
        if (*c != '-')
            nform[o++] = *c;
    nform[o] = '\0';

    struct http_response r;
    int64_t before = wall_ms();
    snprintf(body, sizeof body, "{\"mapid\": \"%s\", \"x\": 0, \"y\": 255}", nform);
    gs_action(&mod, "players", t.player, "warptoloc", body, &r);
    int64_t after = wall_ms();
    snprintf(msg, sizeof msg, "Warped '%s' to %s (0, 255).", t.player, map);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    bson_t cmd = BSON_INITIALIZER;
    only_command(t.user.id, &cmd);
    expect_command(&cmd, "warp", &t, before, after);
    expect_warp(&cmd, map, 0, 255);
    bson_destroy(&cmd);

    /* An empty map id means the character's current map. */
    gs_action(&mod, "users", t.user.name, "warptoloc", "{\"mapid\": \"\", \"x\": 9, \"y\": 10}", &r);
    snprintf(msg, sizeof msg, "Warped '%s' to %s (9, 10).", t.player, t.map);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 2);
    char filter[200];
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\", \"map_id\": \"%s\", \"x\": 9, \"y\": 10}",
             t.user.id, t.map);
    cr_expect_eq(fx_db_count("game_commands", filter), 1, "no warp to the current map");
}

Test(game_admin, kick_carries_the_reason)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 1, 1, "203.0.113.4");
    struct http_response r;
    char msg[96];
    int64_t before = wall_ms();
    gs_action(&mod, "players", t.player, "kick", "{\"reason\": \"afk too long\"}", &r);
    int64_t after = wall_ms();
    snprintf(msg, sizeof msg, "%s has been kicked by the server!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    bson_t cmd = BSON_INITIALIZER;
    only_command(t.user.id, &cmd);
    expect_command(&cmd, "kick", &t, before, after);
    cr_expect_str_eq(fx_str(&cmd, "reason"), "afk too long");
    cr_expect(!has_key(&cmd, "map_id"));
    bson_destroy(&cmd);

    /* The users route acts on the online character, and names it. */
    gs_action(&mod, "users", t.user.name, "kick", NULL, &r);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 2);
}

Test(game_admin, kill_on_both_routes)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 1, 1, "203.0.113.5");
    struct http_response r;
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been killed!", t.player);
    int64_t before = wall_ms();
    gs_action(&mod, "users", t.user.name, "kill", NULL, &r);
    int64_t after = wall_ms();
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    bson_t cmd = BSON_INITIALIZER;
    only_command(t.user.id, &cmd);
    expect_command(&cmd, "kill", &t, before, after);
    cr_expect(!has_key(&cmd, "map_id"));
    bson_destroy(&cmd);

    gs_action(&mod, "players", t.player, "kill", "{}", &r);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 2);
}

/* Online-only actions on an offline target: 404, nothing queued. */
Test(game_admin, online_only_actions_need_the_target_online)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 5, 5, NULL);
    char body[160];
    snprintf(body, sizeof body, "{\"mapid\": \"%s\", \"x\": 1, \"y\": 2, \"reason\": \"r\"}", t.map);
    static const char *const actions[] = {"warpto", "warptoloc", "kick", "kill"};
    for (int route = 0; route < 2; route++) {
        for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
            struct http_response r;
            gs_action(&mod, route ? "players" : "users", route ? t.player : t.user.name, actions[i],
                      body, &r);
            gs_expect_message(&r, 404, NOT_ONLINE);
            http_response_free(&r);
        }
    }
    /* Online and back offline: still not online. */
    set_presence(t.player, "online", "10.0.0.1");
    set_presence(t.player, "offline", NULL);
    struct http_response r;
    gs_action(&mod, "players", t.player, "kick", NULL, &r);
    gs_expect_message(&r, 404, NOT_ONLINE);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0);
}

/* --- action and lookup forms --------------------------------------------------- */

Test(game_admin, actions_match_in_any_case)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 2, 3, "203.0.113.6");
    static const struct {
        const char *action;
        const char *message_fmt; /* %s: the name */
    } cases[] = {
        {"BaN", "%s has been banned!"},
        {"MUTE", "%s has been muted!"},
        {"UnBan", "%s has been unbanned!"},
        {"uNmUtE", "%s has been unmuted!"},
        {"KICK", "%s has been kicked by the server!"},
        {"Kill", "%s has been killed!"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct http_response r;
        char msg[96];
        gs_action(&mod, "players", t.player, cases[i].action, "{\"duration\": 1}", &r);
        snprintf(msg, sizeof msg, cases[i].message_fmt, t.player);
        gs_expect_message(&r, 200, msg);
        http_response_free(&r);
    }
    char body[128], msg[160];
    snprintf(body, sizeof body, "{\"mapid\": \"%s\", \"x\": 4, \"y\": 5}", t.map);
    struct http_response r;
    gs_action(&mod, "users", t.user.name, "WarpToLoc", body, &r);
    snprintf(msg, sizeof msg, "Warped '%s' to %s (4, 5).", t.player, t.map);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    gs_action(&mod, "users", t.user.name, "WARPTO", body, &r);
    snprintf(msg, sizeof msg, "Warped '%s' to %s (2, 3).", t.player, t.map);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
}

/* The id in N, D, B and P forms, either case, and the name in any case. */
static void lookup_forms(const char *id, const char *name, char forms[8][48])
{
    char upper[40], n[40];
    size_t o = 0;
    for (size_t i = 0; id[i]; i++) {
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 'a' + 'A' : id[i]);
        if (id[i] != '-')
            n[o++] = id[i];
    }
    upper[strlen(id)] = '\0';
    n[o] = '\0';
    snprintf(forms[0], 48, "%s", id);
    snprintf(forms[1], 48, "%s", upper);
    snprintf(forms[2], 48, "%s", n);
    snprintf(forms[3], 48, "%%7B%s%%7D", upper); /* {...}, percent-encoded in the path */
    snprintf(forms[4], 48, "(%s)", id);
    snprintf(forms[5], 48, "%s", name);
    for (size_t i = 0; name[i]; i++) {
        forms[6][i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
        forms[7][i] = (char)(i % 2 ? forms[6][i] : name[i]);
    }
    forms[6][strlen(name)] = forms[7][strlen(name)] = '\0';
}

Test(game_admin, lookup_by_guid_forms_and_name_in_any_case)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, NULL);
    char forms[8][48], msg[96];
    lookup_forms(t.user.id, t.user.name, forms);
    snprintf(msg, sizeof msg, "%s has been unbanned!", t.user.name);
    for (int i = 0; i < 8; i++) {
        struct http_response r;
        gs_action(&mod, "users", forms[i], "unban", NULL, &r);
        cr_expect_eq(r.status, 200, "users lookup '%s': %ld %s", forms[i], r.status, r.body);
        gs_expect_message(&r, 200, msg);
        http_response_free(&r);
    }
    lookup_forms(t.player_id, t.player, forms);
    snprintf(msg, sizeof msg, "%s has been unmuted!", t.player);
    for (int i = 0; i < 8; i++) {
        struct http_response r;
        gs_action(&mod, "players", forms[i], "unmute", NULL, &r);
        cr_expect_eq(r.status, 200, "players lookup '%s': %ld %s", forms[i], r.status, r.body);
        gs_expect_message(&r, 200, msg);
        http_response_free(&r);
    }
}

/* --- refusals ------------------------------------------------------------------ */

struct refusal {
    const char *route;
    const char *lookup;     /* "@user", "@player": the target's; else literal */
    const char *action;
    const char *body;
    long status;
    const char *message;    /* "%s": the lookup as sent */
};

Test(game_admin, refusals_have_upstreams_texts)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, "203.0.113.7");
    char guid[40], unknown[24];
    gs_guid(guid);
    fx_unique(unknown, sizeof unknown, "nobody");
    const struct refusal cases[] = {
        {"users", unknown, "ban", "{\"duration\": 1}", 404, "No user found for lookup key '%s'"},
        {"players", unknown, "ban", "{\"duration\": 1}", 404, "No player found for lookup key '%s'"},
        {"users", guid, "unban", NULL, 404, "No user found for lookup key '%s'"},
        {"players", guid, "kick", NULL, 404, "No player found for lookup key '%s'"},
        {"users", "@user", "warpto", NULL, 400, "Expected a map ID."},
        {"users", "@user", "warpto", "{\"mapid\": \"\"}", 400, "Expected a map ID."},
        {"users", "@user", "jump", NULL, 400, "Invalid action."},
        {"players", "@player", "bans", NULL, 400, "Invalid action."},
        {"users", "@user", "warpmeto", NULL, 400, "'WarpMeTo' not supported by the API."},
        {"players", "@player", "WarpMeTo", NULL, 400, "'WarpMeTo' not supported by the API."},
        {"users", "@user", "WARPTOME", NULL, 400, "'WarpToMe' not supported by the API."},
        {"players", "@player", "warptome", NULL, 400, "'WarpToMe' not supported by the API."},
        {"users", "00000000-0000-0000-0000-000000000000", "ban", "{\"duration\": 1}", 400, "Invalid id."},
        {"players", "00000000000000000000000000000000", "kick", NULL, 400, "Invalid id."},
        {"users", "%7B00000000-0000-0000-0000-000000000000%7D", "unban", NULL, 400, "Invalid id."},
        {"users", "a", "ban", "{\"duration\": 1}", 400, "Invalid name."},
        {"players", "bad-name", "kick", NULL, 400, "Invalid name."},
        {"users", "abcdefghijklmnopqrstu", "unban", NULL, 400, "Invalid name."},
        {"players", "bad%20name", "unban", NULL, 400, "Invalid name."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct refusal *c = &cases[i];
        const char *lookup = strcmp(c->lookup, "@user") == 0     ? t.user.name
                             : strcmp(c->lookup, "@player") == 0 ? t.player
                                                                 : c->lookup;
        struct http_response r;
        char msg[160];
        gs_action(&mod, c->route, lookup, c->action, c->body, &r);
        snprintf(msg, sizeof msg, c->message, lookup);
        cr_expect_eq(r.status, c->status, "case %zu (%s %s %s): %ld %s", i, c->route, lookup,
                     c->action, r.status, r.body);
        gs_expect_message(&r, c->status, msg);
        http_response_free(&r);
    }
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0);
    cr_expect_eq(gs_count_of_user("sanctions", t.user.id), 0);
}

/* Authority: a target whose power score is strictly higher than the
 * caller's cannot be banned, muted, kicked or killed; an equal one can. */
Test(game_admin, authority_refuses_a_stronger_target)
{
    struct fx_game_user mod;
    struct gs_target strong;
    gs_moderator(&mod);                                        /* 8 + 4 + 2 = 14 */
    gs_target(&strong, "Editor Ban Kick Mute", 0, 0, "203.0.113.8"); /* 15 */
    static const char *const actions[] = {"ban", "mute", "kick", "kill"};
    for (int route = 0; route < 2; route++) {
        for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
            struct http_response r;
            gs_action(&mod, route ? "players" : "users", route ? strong.player : strong.user.name,
                      actions[i], "{\"duration\": 1, \"reason\": \"no\"}", &r);
            gs_expect_message(&r, 400, DENIED);
            http_response_free(&r);
        }
    }
    cr_expect_eq(gs_count_of_user("sanctions", strong.user.id), 0, "a refused sanction was stored");
    cr_expect_eq(gs_count_of_user("game_commands", strong.user.id), 0, "a refused command was queued");
}

Test(game_admin, authority_allows_an_equal_target)
{
    struct fx_game_user mod;
    struct gs_target equal;
    gs_moderator(&mod);
    gs_target(&equal, "Ban Kick Mute UserQuery", 0, 0, "203.0.113.9"); /* 14; Api roles do not count */
    static const char *const actions[] = {"ban", "mute", "kick", "kill"};
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
        struct http_response r;
        gs_action(&mod, i % 2 ? "players" : "users", i % 2 ? equal.player : equal.user.name,
                  actions[i], "{\"duration\": 1}", &r);
        cr_expect_eq(r.status, 200, "%s on an equal target: %ld %s", actions[i], r.status, r.body);
        http_response_free(&r);
    }
    cr_expect_eq(gs_count_of_user("sanctions", equal.user.id), 2);
}

/* The other way round: a weaker moderator against weaker and stronger targets. */
Test(game_admin, authority_of_a_weaker_moderator)
{
    struct fx_game_user mod;
    fx_game_user(&mod, "Api UserQuery Mute", true); /* 2 */
    struct gs_target weaker, stronger;
    gs_target(&weaker, "Editor", 0, 0, NULL);        /* 1 */
    gs_target(&stronger, "Kick", 0, 0, NULL);        /* 4 */
    struct http_response r;
    gs_action(&mod, "users", weaker.user.name, "mute", "{\"duration\": 2}", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    gs_action(&mod, "players", stronger.player, "mute", "{\"duration\": 2}", &r);
    gs_expect_message(&r, 400, DENIED);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("sanctions", weaker.user.id), 1);
    cr_expect_eq(gs_count_of_user("sanctions", stronger.user.id), 0);
}

/* --- already sanctioned, expiry -------------------------------------------------- */

Test(game_admin, a_second_ban_or_mute_is_refused)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, NULL);
    struct http_response r;
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 4, \"reason\": \"first\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    gs_action(&mod, "players", t.player, "mute", "{\"duration\": 4, \"reason\": \"first\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    char msg[96];
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 9, \"reason\": \"second\"}", &r);
    snprintf(msg, sizeof msg, "%s has already been banned!", t.user.name);
    gs_expect_message(&r, 400, msg);
    http_response_free(&r);
    gs_action(&mod, "players", t.player, "ban", "{\"duration\": 9}", &r);
    snprintf(msg, sizeof msg, "%s has already been banned!", t.player);
    gs_expect_message(&r, 400, msg);
    http_response_free(&r);
    gs_action(&mod, "users", t.user.name, "mute", "{\"duration\": 9}", &r);
    snprintf(msg, sizeof msg, "%s has already been muted!", t.user.name);
    gs_expect_message(&r, 400, msg);
    http_response_free(&r);

    cr_expect_eq(sanctions_of(t.user.id, "ban"), 1);
    cr_expect_eq(sanctions_of(t.user.id, "mute"), 1);
    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "ban", &s));
    cr_expect_str_eq(fx_str(&s, "reason"), "first", "the active ban was replaced");
    cr_expect_eq(gs_date(&s, "end") - gs_date(&s, "start"), 4 * GS_DAY_MS);
    bson_destroy(&s);
}

/* Push a user's sanction of this kind into the past (expired a second ago). */
static void expire(const char *user_id, const char *kind)
{
    char filter[160], update[200];
    int64_t now = wall_ms();
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\", \"kind\": \"%s\"}", user_id, kind);
    snprintf(update, sizeof update,
             "{\"$set\": {\"start\": {\"$date\": {\"$numberLong\": \"%lld\"}}, "
             "\"end\": {\"$date\": {\"$numberLong\": \"%lld\"}}}}",
             (long long)(now - 3 * GS_DAY_MS), (long long)(now - 1000));
    int64_t matched = gs_db_update("sanctions", filter, update);
    char key_filter[160];
    snprintf(key_filter, sizeof key_filter, "{\"_id\": \"%s:%s\"}", user_id, kind);
    cr_assert_eq(matched, 1, "no %s to expire: matched %lld, by filter %lld, by key %lld", kind,
                 (long long)matched, (long long)fx_db_count("sanctions", filter),
                 (long long)fx_db_count("sanctions", key_filter));
}

Test(game_admin, a_ban_after_an_expired_one_replaces_it)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, NULL);
    struct http_response r;
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 2, \"reason\": \"old\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    gs_action(&mod, "users", t.user.name, "mute", "{\"duration\": 2, \"reason\": \"old\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    expire(t.user.id, "ban");
    expire(t.user.id, "mute");

    char msg[96];
    int64_t before = wall_ms();
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 6, \"reason\": \"new\"}", &r);
    int64_t after = wall_ms();
    snprintf(msg, sizeof msg, "%s has been banned!", t.user.name);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    gs_action(&mod, "players", t.player, "mute", "{\"duration\": 1, \"reason\": \"new\"}", &r);
    snprintf(msg, sizeof msg, "%s has been muted!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);

    cr_expect_eq(sanctions_of(t.user.id, "ban"), 1, "expected a single ban record");
    cr_expect_eq(sanctions_of(t.user.id, "mute"), 1, "expected a single mute record");
    bson_t s = BSON_INITIALIZER;
    cr_assert(sanction_of(t.user.id, "ban", &s));
    expect_sanction(&s, t.user.id, "ban", 6, "new", mod.name, NULL, before, after);
    bson_destroy(&s);
}

/* --- roles and tokens -------------------------------------------------------------- */

static void expect_denied(const struct http_response *r, long status)
{
    cr_expect_eq(r->status, status, "%ld %s", r->status, r->body);
    cr_expect_str_eq(r->body, "{\"Message\":\"" AUTH_DENIED "\"}");
}

Test(game_admin, users_route_needs_user_query)
{
    struct fx_game_user api_only;
    fx_game_user(&api_only, "Api Ban Kick Mute Editor", true);
    struct gs_target t;
    gs_target(&t, "", 0, 0, "203.0.113.10");
    struct http_response r;
    gs_action(&api_only, "users", t.user.name, "ban", "{\"duration\": 1}", &r);
    expect_denied(&r, 403);
    http_response_free(&r);
    gs_action(&api_only, "users", t.user.name, "kick", NULL, &r);
    expect_denied(&r, 403);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("sanctions", t.user.id), 0);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0);

    /* The players route needs Api only. */
    gs_action(&api_only, "players", t.player, "ban", "{\"duration\": 1}", &r);
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been banned!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
}

Test(game_admin, players_route_works_with_api_alone)
{
    struct fx_game_user api_only;
    fx_game_user(&api_only, "Api", true);
    struct gs_target t;
    gs_target(&t, "", 6, 7, "203.0.113.11");
    struct http_response r;
    char msg[96];
    gs_action(&api_only, "players", t.player, "kill", NULL, &r);
    snprintf(msg, sizeof msg, "%s has been killed!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    gs_action(&api_only, "players", t.player, "mute", "{\"duration\": 1}", &r);
    snprintf(msg, sizeof msg, "%s has been muted!", t.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 2);
}

Test(game_admin, bad_tokens_are_refused)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, "203.0.113.12");
    char tampered[sizeof mod.auth];
    snprintf(tampered, sizeof tampered, "%s", mod.auth);
    size_t n = strlen(tampered);
    tampered[n - 2] = tampered[n - 2] == 'A' ? 'B' : 'A';
    int64_t now = wall_ms() / 1000;
    char expired[sizeof mod.auth], forged_ok[sizeof mod.auth];
    gs_forge_token(&mod, now - 600, now - 300, expired);
    gs_forge_token(&mod, now - 10, now + 300, forged_ok);
    const char *bad[] = {
        NULL,
        "Authorization: Bearer",
        "Authorization: Bearer garbage",
        "Authorization: Basic Zm9vOmJhcg==",
        tampered,
        expired,
    };
    for (int route = 0; route < 2; route++) {
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            struct fx_game_user caller = mod;
            snprintf(caller.auth, sizeof caller.auth, "%s", bad[i] ? bad[i] : "X-None: 1");
            struct http_response r;
            gs_action(&caller, route ? "players" : "users", route ? t.player : t.user.name, "kick",
                      NULL, &r);
            cr_expect_eq(r.status, 401, "token case %zu: %ld", i, r.status);
            expect_denied(&r, 401);
            http_response_free(&r);
        }
    }
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 0);

    /* The forging itself is right: the same token unexpired is accepted. */
    struct fx_game_user caller = mod;
    snprintf(caller.auth, sizeof caller.auth, "%s", forged_ok);
    struct http_response r;
    gs_action(&caller, "players", t.player, "kick", NULL, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
}

static void ctl_rights(const char *cmd, const char *name, const char *right)
{
    char *out = NULL;
    int rc = fx_ctl(&out, (const char *const[]){cmd, name, right, NULL});
    cr_assert_eq(rc, 0, "%s: %s", cmd, out ? out : "");
    free(out);
}

Test(game_admin, a_rights_change_revokes_older_tokens)
{
    struct gs_target t;
    gs_target(&t, "", 0, 0, NULL);
    static const char *const changes[][2] = {{"game-grant", "Editor"}, {"game-revoke", "Kick"}};
    for (size_t i = 0; i < 2; i++) {
        struct fx_game_user mod;
        gs_moderator(&mod);
        struct http_response r;
        gs_action(&mod, "users", t.user.name, "unban", NULL, &r);
        cr_assert_eq(r.status, 200, "before the change: %s", r.body);
        http_response_free(&r);
        ctl_rights(changes[i][0], mod.name, changes[i][1]);
        gs_action(&mod, "users", t.user.name, "unban", NULL, &r);
        expect_denied(&r, 401);
        http_response_free(&r);
        gs_action(&mod, "players", t.player, "unban", NULL, &r);
        expect_denied(&r, 401);
        http_response_free(&r);
    }
}

/* --- bad bodies ---------------------------------------------------------------------- */

/* Whether message names field: "field: ...", or the field quoted. */
static bool names_field(const char *message, const char *field)
{
    size_t n = strlen(field);
    char quoted[64];
    if (strncmp(message, field, n) == 0 && message[n] == ':')
        return true;
    snprintf(quoted, sizeof quoted, "'%s'", field);
    if (strstr(message, quoted))
        return true;
    snprintf(quoted, sizeof quoted, "\"%s\"", field);
    return strstr(message, quoted) != NULL;
}

struct bad_body {
    const char *route;
    const char *action;
    const char *content_type;
    const char *body;
    const char *field;     /* named in the Message; NULL: malformed, no field */
};

Test(game_admin, bad_bodies_are_refused_and_change_nothing)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 0, 0, "203.0.113.13");
    static const struct bad_body cases[] = {
        {"users", "ban", "application/json", "{\"duration\":", NULL},
        {"players", "ban", "application/json", "{\"duration\": 1,}", NULL},
        {"players", "mute", "application/json", "[1]", NULL},
        {"users", "kick", "application/json", "{\"reason\": \"a\"} x", NULL},
        {"users", "ban", "text/plain", "{\"duration\": 1}", NULL},
        {"users", "ban", "application/json", "{\"duration\": 0}", "duration"},
        {"players", "ban", "application/json", "{\"duration\": -1}", "duration"},
        {"users", "mute", "application/json", "{\"duration\": \"5x\"}", "duration"},
        {"players", "mute", "application/json", "{\"duration\": 1.5}", "duration"},
        {"users", "ban", "application/json", "{\"duration\": \"5\"}", "duration"},
        {"users", "ban", "application/json", "{\"duration\": null}", "duration"},
        {"users", "ban", "application/json", "{\"reason\": \"no duration\"}", "duration"},
        {"players", "ban", "application/json", "{\"duration\": 99999999999999999999}", "duration"},
        {"users", "mute", "application/json", "{}", "duration"},
        {"players", "warptoloc", "application/json", "{\"mapid\": \"\", \"x\": 300, \"y\": 1}", "x"},
        {"players", "warptoloc", "application/json", "{\"mapid\": \"\", \"x\": 1, \"y\": -1}", "y"},
        {"users", "warptoloc", "application/json", "{\"mapid\": \"\", \"x\": \"1\", \"y\": 1}", "x"},
        {"users", "warptoloc", "application/json", "{\"mapid\": \"\", \"y\": 1}", "x"},
        {"users", "warpto", "application/json", "{\"mapid\": \"abc\"}", "mapid"},
        {"players", "warptoloc", "application/json", "{\"mapid\": 5, \"x\": 1, \"y\": 1}", "mapid"},
        {"players", "warpto", "application/json",
         "{\"mapid\": \"00000000-0000-0000-0000-00000000000g\"}", "mapid"},
        {"users", "ban", "application/json", "{\"duration\": 1, \"ip\": \"yes\"}", "ip"},
        {"users", "ban", "application/json", "{\"duration\": 1, \"reason\": 5}", "reason"},
        {"players", "ban", "application/json", "{\"duration\": 1, \"moderator\": [\"x\"]}", "moderator"},
        {"players", "kick", "application/json", "{\"reason\": {\"$gt\": \"\"}}", "reason"},
    };
    int64_t sanctions = gs_count_of_user("sanctions", t.user.id);
    int64_t commands = gs_count_of_user("game_commands", t.user.id);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct bad_body *c = &cases[i];
        char path[160];
        snprintf(path, sizeof path, "/api/v1/%s/%s/admin/%s", c->route,
                 strcmp(c->route, "users") == 0 ? t.user.name : t.player, c->action);
        struct http_response r;
        fx_request_raw("POST", path, mod.auth, c->content_type, c->body, strlen(c->body), &r);
        cr_expect_eq(r.status, 400, "case %zu %s: %ld %s", i, c->body, r.status, r.body);
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        const char *message = fx_str(&doc, "Message");
        cr_expect(*message, "case %zu: no Message in %s", i, r.body);
        if (c->field)
            cr_expect(names_field(message, c->field), "case %zu %s: '%s' does not name %s", i,
                      c->body, message, c->field);
        bson_destroy(&doc);
        http_response_free(&r);
    }
    cr_expect_eq(gs_count_of_user("sanctions", t.user.id), sanctions, "a bad body stored a sanction");
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), commands, "a bad body queued a command");
}

/* --- concurrency ------------------------------------------------------------------------ */

#define RACE_ROUNDS 10

struct racer {
    const struct fx_game_user *mod;
    const char *route;
    const char *lookup;
    pthread_barrier_t *start;
    long status;
    char message[160];
};

static void *race_ban(void *arg)
{
    struct racer *r = arg;
    char *url = NULL;
    char path[160];
    snprintf(path, sizeof path, "/api/v1/%s/%s/admin/ban", r->route, r->lookup);
    url = http_url(stack_shared_url(), "%s", path);
    const char *headers[] = {r->mod->auth, "Content-Type: application/json", NULL};
    static const char body[] = "{\"duration\": 1, \"reason\": \"race\"}";
    struct http_response resp;
    memset(&resp, 0, sizeof resp);
    pthread_barrier_wait(r->start);
    if (url && http_request("POST", url, headers, body, sizeof body - 1, &resp) == 0) {
        r->status = resp.status;
        snprintf(r->message, sizeof r->message, "%s", resp.body);
    } else {
        r->status = -1;
    }
    http_response_free(&resp);
    free(url);
    return NULL;
}

/* Two bans of one user at the same moment: exactly one wins. */
static void race_round(const struct fx_game_user *mod, const struct gs_target *t, int round)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    struct racer racers[2] = {
        {mod, "users", t->user.name, &start, 0, ""},
        {mod, "players", t->player, &start, 0, ""},
    };
    /* Half the rounds through one route only: same name on both sides. */
    if (round % 2)
        racers[1].route = "users", racers[1].lookup = t->user.name;
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, race_ban, &racers[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    int ok = 0, refused = 0;
    for (int i = 0; i < 2; i++) {
        if (racers[i].status == 200) {
            ok++;
        } else if (racers[i].status == 400) {
            char expected[160];
            snprintf(expected, sizeof expected, "{\"Message\":\"%s has already been banned!\"}",
                     strcmp(racers[i].route, "users") == 0 ? t->user.name : t->player);
            cr_expect_str_eq(racers[i].message, expected, "round %d", round);
            refused++;
        }
    }
    cr_expect(ok == 1 && refused == 1, "round %d: %ld %s / %ld %s", round, racers[0].status,
              racers[0].message, racers[1].status, racers[1].message);
    int64_t records = sanctions_of(t->user.id, "ban");
    cr_expect_eq(records, 1, "round %d: %lld ban records", round, (long long)records);
}

Test(game_admin, concurrent_bans_of_one_user_one_wins, .timeout = 180)
{
    struct fx_game_user mod;
    gs_moderator(&mod);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        struct gs_target t;
        gs_target(&t, "", 0, 0, NULL);
        race_round(&mod, &t, round);
    }
}

/* The same race when an expired ban must be replaced first. */
Test(game_admin, concurrent_bans_replacing_an_expired_one_one_wins, .timeout = 180)
{
    struct fx_game_user mod;
    gs_moderator(&mod);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        struct gs_target t;
        gs_target(&t, "", 0, 0, NULL);
        struct http_response r;
        gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 1}", &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        http_response_free(&r);
        expire(t.user.id, "ban");
        race_round(&mod, &t, round);
    }
}

/* --- audit ------------------------------------------------------------------------------- */

Test(game_admin, every_action_that_reaches_a_target_is_audited)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 1, 2, "203.0.113.14");
    char body[160];
    snprintf(body, sizeof body, "{\"duration\": 3, \"reason\": \"audit\", \"mapid\": \"%s\", \"x\": 1, \"y\": 2}",
             t.map);
    static const char *const actions[] = {"ban", "mute", "unban", "unmute",
                                          "warpto", "warptoloc", "kick", "kill"};
    for (size_t i = 0; i < 8; i++) {
        struct http_response r;
        gs_action(&mod, "players", t.player, actions[i], body, &r);
        cr_expect_eq(r.status, 200, "%s: %s", actions[i], r.body);
        http_response_free(&r);
        char filter[200];
        snprintf(filter, sizeof filter, "{\"action\": \"game.%s\", \"target.id\": \"%s\"}",
                 actions[i], t.player_id);
        cr_expect_eq(fx_db_count("audit_log", filter), 1, "audit entries for %s", actions[i]);
    }

    /* The users route, a refusal included: actor, action, target, parameters, result. */
    struct http_response r;
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 3, \"reason\": \"audit\"}", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    gs_action(&mod, "users", t.user.name, "ban", "{\"duration\": 5}", &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    http_response_free(&r);
    char filter[200];
    snprintf(filter, sizeof filter, "{\"action\": \"game.ban\", \"target.id\": \"%s\"}", t.user.id);
    cr_expect_eq(fx_db_count("audit_log", filter), 2);
    snprintf(filter, sizeof filter,
             "{\"action\": \"game.ban\", \"target.id\": \"%s\", \"after.result.status\": 200}",
             t.user.id);
    bson_t a = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("audit_log", filter, &a), "no audit entry for the users-route ban");
    cr_expect_str_eq(fx_str(&a, "actor.realm"), "game");
    cr_expect_str_eq(fx_str(&a, "actor.id"), mod.id);
    cr_expect_str_eq(fx_str(&a, "actor.name"), mod.name);
    cr_expect_str_eq(fx_str(&a, "target.type"), "user");
    cr_expect_eq(fx_int(&a, "after.parameters.duration", -1), 3);
    cr_expect_str_eq(fx_str(&a, "after.parameters.reason"), "audit");
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been banned!", t.user.name);
    cr_expect_str_eq(fx_str(&a, "after.result.message"), msg);
    gs_date(&a, "created_at");
    bson_destroy(&a);

    snprintf(filter, sizeof filter,
             "{\"action\": \"game.ban\", \"target.id\": \"%s\", \"after.result.status\": 400}",
             t.user.id);
    cr_expect_eq(fx_db_count("audit_log", filter), 1, "the refused ban is not audited");
    snprintf(filter, sizeof filter, "{\"action\": \"game.kick\", \"target.id\": \"%s\"}", t.player_id);
    bson_t k = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("audit_log", filter, &k));
    cr_expect_str_eq(fx_str(&k, "target.type"), "player");
    cr_expect_eq(fx_int(&k, "after.result.status", -1), 200);
    bson_destroy(&k);
}

/* --- long text ------------------------------------------------------------------------- */

/* A reason or moderator of accepted length but many bytes (2-byte
 * characters) is recorded exactly as sent, or refused naming the field:
 * never cut. */
Test(game_admin, long_multibyte_text_is_recorded_whole_or_refused)
{
    struct fx_game_user mod;
    gs_moderator(&mod);
    static const struct {
        const char *field;
        int chars;
    } cases[] = {{"reason", 1024}, {"reason", 600}, {"moderator", 64}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct gs_target t;
        gs_target(&t, "", 0, 0, NULL);
        char *text = malloc((size_t)cases[i].chars * 2 + 1);
        for (int k = 0; k < cases[i].chars; k++)
            memcpy(text + 2 * k, "\xc3\xa9", 2); /* é */
        text[cases[i].chars * 2] = '\0';
        size_t len = strlen(text) + 64;
        char *body = malloc(len);
        snprintf(body, len, "{\"duration\": 1, \"%s\": \"%s\"}", cases[i].field, text);
        struct http_response r;
        gs_action(&mod, "players", t.player, "ban", body, &r);
        if (r.status == 200) {
            bson_t s = BSON_INITIALIZER;
            cr_assert(sanction_of(t.user.id, "ban", &s));
            cr_expect_str_eq(fx_str(&s, cases[i].field), text, "%s of %d characters was changed",
                             cases[i].field, cases[i].chars);
            bson_destroy(&s);
        } else {
            cr_expect_eq(r.status, 400, "%s", r.body);
            bson_t doc = BSON_INITIALIZER;
            fx_json(&r, &doc);
            cr_expect(names_field(fx_str(&doc, "Message"), cases[i].field), "%s", r.body);
            bson_destroy(&doc);
            cr_expect_eq(gs_count_of_user("sanctions", t.user.id), 0);
        }
        http_response_free(&r);
        free(body);
        free(text);
    }
}

/* Keys the database would refuse in a stored document (a dot, an empty key,
 * nested arrays; a leading $ the JSON reader refuses already) and unknown
 * keys of every type are not stored: the audit entry's parameters hold only
 * the known, validated ones, so the entry is written and the action is on
 * record. */
Test(game_admin, audit_parameters_are_only_the_known_validated_ones)
{
    struct fx_game_user mod;
    struct gs_target t;
    gs_moderator(&mod);
    gs_target(&t, "", 1, 2, "203.0.113.15");
    static const char *const bodies[] = {
        "{\"duration\": 2, \"reason\": \"dots\", \"a.b\": 1, \"x.y.z\": {\"c.d\": 2}}",
        "{\"duration\": 2, \"reason\": \"empty\", \"\": 3}",
        "{\"duration\": 2, \"reason\": \"nested\", \"n\": [[1, [2]], [[[]]]]}",
    };
    const char *actions[] = {"mute", "unmute", "mute"};
    for (size_t i = 0; i < 3; i++) {
        struct http_response r;
        gs_action(&mod, "users", t.user.name, actions[i], bodies[i], &r);
        cr_expect_eq(r.status, 200, "%s: %s", bodies[i], r.body);
        http_response_free(&r);
    }
    char filter[200];
    snprintf(filter, sizeof filter, "{\"action\": {\"$in\": [\"game.mute\", \"game.unmute\"]}, \"target.id\": \"%s\"}",
             t.user.id);
    cr_expect_eq(fx_db_count("audit_log", filter), 3, "every action is on record");
    snprintf(filter, sizeof filter, "{\"action\": \"game.mute\", \"target.id\": \"%s\", \"after.parameters.reason\": \"dots\"}",
             t.user.id);
    bson_t a = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("audit_log", filter, &a));
    cr_expect_eq(fx_count(&a, "after.parameters"), 2, "only duration and reason are stored");
    cr_expect_eq(fx_int(&a, "after.parameters.duration", -1), 2);
    bson_destroy(&a);
}
