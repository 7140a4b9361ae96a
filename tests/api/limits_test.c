/*
 * Limits: what the server refuses of a body or a value, at each boundary,
 * in both APIs, through nginx to the pool and the database.
 *
 * - Members: no JSON object (the top level's or a nested one) may hold more
 *   than 64 keys, no JSON array more than 64 elements, no form more than 64
 *   fields (src/body.c). 64 is read and judged by the route's rules; 65 is a
 *   400 stating the limit, in the realm's shape, before anything is stored or
 *   audited. 20 000 keys, which once cost the database seconds per request,
 *   are refused the same way.
 * - null: a field given as null is refused naming the field ("null value not
 *   allowed"), in every field of every route family, except the one field a
 *   spec calls nullable (POST /guilds' region).
 * - Each route's own limits (README, "APIs"): the limit itself is accepted,
 *   one past it is refused with a message that states the rule.
 *
 * Every test makes its own accounts and names (fx_unique), so "nothing
 * stored" is checked by counting what belongs to them, never whole
 * collections of the shared database.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_admin_support.h"
#include "game_support.h"
#include "support/fixtures.h"
#include "warden/buf.h"

#define MEMBERS 64 /* body.h's BODY_MAX_MEMBERS, as a client must read it in the README */

#define KEYS_MESSAGE "too many keys: a JSON object may have at most 64"
#define GAME_KEYS_MESSAGE "Too many keys: a JSON object may have at most 64."
#define NULL_MESSAGE "null value not allowed"

/* ", "k0": 0, "k1": 1, ..." : n members, each after a comma. */
static void append_keys(struct buf *b, int n)
{
    for (int i = 0; i < n; i++)
        buf_printf(b, ", \"k%d\": %d", i, i);
}

/* {"k0": 0, ...} with n keys (n >= 1). */
static void object_of(struct buf *b, int n)
{
    buf_puts(b, "{\"k0\": 0");
    for (int i = 1; i < n; i++)
        buf_printf(b, ", \"k%d\": %d", i, i);
    buf_putc(b, '}');
}

/* [e, e, ...]: n copies of the JSON value e. */
static void array_of(struct buf *b, int n, const char *e)
{
    buf_putc(b, '[');
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%s", i ? ", " : "", e);
    buf_putc(b, ']');
}

/* A chat 400 whose message is exactly message. */
static void expect_chat_400(const struct http_response *r, const char *message)
{
    ca_expect_error(r, 400, message, 0);
}

/* The audit entries whose actor is name (a fresh account: every one of them
 * was made by the test). */
static int64_t audited_by(const char *name)
{
    char filter[160];
    snprintf(filter, sizeof filter, "{\"actor.name\": \"%s\"}", name);
    return fx_db_count("audit_log", filter);
}

/* What a game target has: sanctions, game commands, audit entries about its
 * account or its character. */
static int64_t game_traces(const struct gs_target *t)
{
    char filter[200];
    snprintf(filter, sizeof filter, "{\"target.id\": {\"$in\": [\"%s\", \"%s\"]}}", t->user.id,
             t->player_id);
    return gs_count_of_user("sanctions", t->user.id) + gs_count_of_user("game_commands", t->user.id) +
           fx_db_count("audit_log", filter);
}

static int64_t guilds_named(const char *name)
{
    char filter[160];
    snprintf(filter, sizeof filter, "{\"name\": \"%s\"}", name);
    return fx_db_count("guilds", filter);
}

/* --- members of a body ------------------------------------------------------------- */

/* Top-level keys, on a route that ignores unknown keys (POST /guilds) and on
 * routes that refuse them: 64 are read, 65 are refused, 20 000 too. */
Test(limits, chat_objects_hold_at_most_64_keys)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    int64_t audited = audited_by(staff.username);
    char name[32];
    struct buf b = BUF_INIT;
    struct http_response r;

    /* POST /guilds: name + 63 others = 64, a guild is made */
    fx_unique(name, sizeof name, "keys");
    buf_printf(&b, "{\"name\": \"%s\"", name);
    append_keys(&b, MEMBERS - 1);
    buf_putc(&b, '}');
    fx_request("POST", "/api/v6/guilds", staff.auth, buf_cstr(&b), &r);
    cr_expect_eq(r.status, 200, "64 keys: %ld %s", r.status, r.body);
    http_response_free(&r);
    cr_expect_eq(guilds_named(name), 1);

    /* 65 and 20 000: refused, no guild */
    static const int over[] = {MEMBERS + 1, 20000};
    for (size_t i = 0; i < 2; i++) {
        fx_unique(name, sizeof name, "keys");
        buf_reset(&b);
        buf_printf(&b, "{\"name\": \"%s\"", name);
        append_keys(&b, over[i] - 1);
        buf_putc(&b, '}');
        fx_request("POST", "/api/v6/guilds", staff.auth, buf_cstr(&b), &r);
        expect_chat_400(&r, KEYS_MESSAGE);
        http_response_free(&r);
        cr_expect_eq(guilds_named(name), 0, "%d keys made a guild", over[i]);
    }

    /* routes that refuse unknown keys: 64 are judged by the rules, 65 by the reader */
    static const struct {
        const char *method, *path, *head;
    } strict[] = {
        {"PUT", "/api/v6/admin/instance/invites", "{\"max_uses\": 5"},
        {"PUT", "/api/v6/admin/users", "{\"username\": \"nobody\", \"email\": \"keys@example.com\", \"password\": \"password1\""},
        {"PUT", "/api/v6/admin/voice/regions", "{\"id\": \"keys-region\", \"name\": \"n\""},
    };
    for (size_t i = 0; i < sizeof strict / sizeof *strict; i++) {
        int fixed = 0; /* the head's own keys: one per "key": */
        for (const char *p = strict[i].head; (p = strstr(p, "\": ")); p++)
            fixed++;
        buf_reset(&b);
        buf_puts(&b, strict[i].head);
        append_keys(&b, MEMBERS - fixed);
        buf_putc(&b, '}');
        fx_request(strict[i].method, strict[i].path, staff.auth, buf_cstr(&b), &r);
        ca_expect_field_error(&r, "k0", "unknown field");
        http_response_free(&r);
        buf_reset(&b);
        buf_puts(&b, strict[i].head);
        append_keys(&b, MEMBERS + 1 - fixed);
        buf_putc(&b, '}');
        fx_request(strict[i].method, strict[i].path, staff.auth, buf_cstr(&b), &r);
        expect_chat_400(&r, KEYS_MESSAGE);
        http_response_free(&r);
    }

    /* a route without authentication reads the body the same way */
    buf_reset(&b);
    buf_puts(&b, "{\"email\": \"keys@example.com\", \"password\": \"password1\"");
    append_keys(&b, MEMBERS - 1);
    buf_putc(&b, '}');
    fx_request("POST", "/api/v6/auth/login", NULL, buf_cstr(&b), &r);
    expect_chat_400(&r, KEYS_MESSAGE);
    http_response_free(&r);

    cr_expect_eq(audited_by(staff.username), audited, "a refused body was audited");
    buf_free(&b);
}

/* Nested objects, in an object and in an array: the same limit, and the
 * top-level field that holds them named. */
Test(limits, chat_nested_objects_hold_at_most_64_keys)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    int64_t audited = audited_by(staff.username);
    char name[32];
    struct buf b = BUF_INIT;
    struct http_response r;

    fx_unique(name, sizeof name, "nested");
    buf_printf(&b, "{\"name\": \"%s\", \"extra\": ", name);
    object_of(&b, MEMBERS);
    buf_puts(&b, ", \"channels\": [{\"overwrites\": ");
    object_of(&b, MEMBERS);
    buf_puts(&b, "}]}");
    fx_request("POST", "/api/v6/guilds", staff.auth, buf_cstr(&b), &r);
    cr_expect_eq(r.status, 200, "objects of 64 keys: %ld %s", r.status, r.body);
    http_response_free(&r);
    cr_expect_eq(guilds_named(name), 1);

    fx_unique(name, sizeof name, "nested");
    buf_reset(&b);
    buf_printf(&b, "{\"name\": \"%s\", \"extra\": ", name);
    object_of(&b, MEMBERS + 1);
    buf_putc(&b, '}');
    fx_request("POST", "/api/v6/guilds", staff.auth, buf_cstr(&b), &r);
    expect_chat_400(&r, "too many keys in 'extra': a JSON object may have at most 64");
    http_response_free(&r);

    buf_reset(&b);
    buf_printf(&b, "{\"name\": \"%s\", \"channels\": [{}, {\"overwrites\": {\"deeper\": ", name);
    object_of(&b, MEMBERS + 1);
    buf_puts(&b, "}}]}");
    fx_request("POST", "/api/v6/guilds", staff.auth, buf_cstr(&b), &r);
    expect_chat_400(&r, "too many keys in 'channels': a JSON object may have at most 64");
    http_response_free(&r);
    cr_expect_eq(guilds_named(name), 0, "a refused body made a guild");

    /* on a route that takes no unknown keys, the limit comes before the rules */
    buf_reset(&b);
    buf_puts(&b, "{\"max_uses\": ");
    object_of(&b, MEMBERS + 1);
    buf_putc(&b, '}');
    fx_request("PUT", "/api/v6/admin/instance/invites", staff.auth, buf_cstr(&b), &r);
    expect_chat_400(&r, "too many keys in 'max_uses': a JSON object may have at most 64");
    http_response_free(&r);
    cr_expect_eq(audited_by(staff.username), audited, "a refused body was audited");
    buf_free(&b);
}

/* The answer's features are ["VERIFIED"]. */
static void expect_features_verified(const struct http_response *r)
{
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    cr_expect_eq(fx_count(&doc, "features"), 1, "%s", r->body);
    cr_expect_str_eq(fx_str(&doc, "features.0"), "VERIFIED", "%s", r->body);
    bson_destroy(&doc);
}

/* Arrays: features (the one list a route takes, bounded at 64 by its rule too)
 * and lists a route ignores. */
Test(limits, chat_arrays_hold_at_most_64_elements)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[32], gid[24], path[96];
    fx_unique(name, sizeof name, "arrays");
    ca_guild(staff.auth, name, NULL, NULL, gid);
    snprintf(path, sizeof path, "/api/v6/admin/guilds/%s/features", gid);
    struct buf b = BUF_INIT;
    struct http_response r;

    buf_puts(&b, "{\"features\": ");
    array_of(&b, MEMBERS, "\"VERIFIED\"");
    buf_putc(&b, '}');
    fx_request("PATCH", path, staff.auth, buf_cstr(&b), &r);
    cr_expect_eq(r.status, 200, "64 elements: %ld %s", r.status, r.body);
    expect_features_verified(&r);
    http_response_free(&r);

    static const char *const methods[] = {"PATCH", "PUT", "DELETE"};
    for (size_t i = 0; i < 3; i++) {
        buf_reset(&b);
        buf_puts(&b, "{\"features\": ");
        array_of(&b, MEMBERS + 1, "\"VANITY_URL\"");
        buf_putc(&b, '}');
        fx_request(methods[i], path, staff.auth, buf_cstr(&b), &r);
        expect_chat_400(&r, "too many elements in 'features': a JSON array may have at most 64");
        http_response_free(&r);
    }
    char guild_path[96];
    snprintf(guild_path, sizeof guild_path, "/api/v6/admin/guilds/%s", gid);
    fx_request("GET", guild_path, staff.auth, NULL, &r);
    expect_features_verified(&r);
    http_response_free(&r);

    /* a list POST /guilds ignores: 64 elements read, 65 refused */
    fx_unique(name, sizeof name, "arrays");
    buf_reset(&b);
    buf_printf(&b, "{\"name\": \"%s\", \"channels\": ", name);
    array_of(&b, MEMBERS, "{}");
    buf_putc(&b, '}');
    fx_request("POST", "/api/v6/guilds", staff.auth, buf_cstr(&b), &r);
    cr_expect_eq(r.status, 200, "64 elements: %ld %s", r.status, r.body);
    http_response_free(&r);
    fx_unique(name, sizeof name, "arrays");
    buf_reset(&b);
    buf_printf(&b, "{\"name\": \"%s\", \"roles\": [[], ", name);
    array_of(&b, MEMBERS + 1, "1");
    buf_puts(&b, "]}");
    fx_request("POST", "/api/v6/guilds", staff.auth, buf_cstr(&b), &r);
    expect_chat_400(&r, "too many elements in 'roles': a JSON array may have at most 64");
    http_response_free(&r);
    cr_expect_eq(guilds_named(name), 0);
    buf_free(&b);
}

/* The uses of the invite code, from the staff's list (-1: not listed). */
static int64_t invite_uses(const char *auth, const char *code)
{
    struct http_response r;
    fx_request("GET", "/api/v6/admin/instance/invites", auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    int64_t uses = -1;
    bson_iter_t it;
    if (bson_iter_init(&it, &list)) {
        while (bson_iter_next(&it)) {
            char path[32];
            snprintf(path, sizeof path, "%s", bson_iter_key(&it));
            bson_t inv = BSON_INITIALIZER;
            if (fx_sub(&list, path, &inv) && strcmp(fx_str(&inv, "code"), code) == 0)
                uses = fx_int(&inv, "uses", -1);
            bson_destroy(&inv);
        }
    }
    bson_destroy(&list);
    return uses;
}

/* POST /auth/register_inv takes a form: 64 fields are judged by its rules,
 * 65 are refused, and no account is made nor a use of the invite taken. */
Test(limits, chat_forms_hold_at_most_64_fields)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    struct http_response r;
    fx_request("PUT", "/api/v6/admin/instance/invites", staff.auth, "{\"max_uses\": 3}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    char code[16];
    snprintf(code, sizeof code, "%s", fx_str(&doc, "code"));
    bson_destroy(&doc);
    http_response_free(&r);

    char name[32], email[64];
    fx_unique(name, sizeof name, "form");
    snprintf(email, sizeof email, "%s@example.com", name);
    struct buf b = BUF_INIT;
    static const int counts[] = {MEMBERS, MEMBERS + 1, 20000};
    for (size_t i = 0; i < 3; i++) {
        buf_reset(&b);
        buf_printf(&b, "username=%s&email=%s&password=password123&invcode=%s", name, email, code);
        for (int k = 0; k < counts[i] - 4; k++)
            buf_printf(&b, "&k%d=%d", k, k);
        fx_request_raw("POST", "/api/v6/auth/register_inv", NULL,
                       "application/x-www-form-urlencoded", b.data, b.len, &r);
        if (i == 0)
            ca_expect_field_error(&r, "k0", "unknown field");
        else
            expect_chat_400(&r, "too many fields: a form may have at most 64");
        http_response_free(&r);
    }
    /* the same as JSON */
    buf_reset(&b);
    buf_printf(&b, "{\"username\": \"%s\", \"email\": \"%s\", \"password\": \"password123\", \"invcode\": \"%s\"",
               name, email, code);
    append_keys(&b, MEMBERS + 1 - 4);
    buf_putc(&b, '}');
    fx_request("POST", "/api/v6/auth/register_inv", NULL, buf_cstr(&b), &r);
    expect_chat_400(&r, KEYS_MESSAGE);
    http_response_free(&r);

    char filter[128];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", email);
    cr_expect_eq(fx_db_count("user_emails", filter), 0, "an account was made");
    cr_expect_eq(invite_uses(staff.auth, code), 0, "a use of the invite was taken");
    buf_free(&b);
}

/* Admin actions: 64 keys act (and are audited), 65 are refused and leave no
 * sanction, command or audit entry, on both routes; nested objects and
 * arrays too. */
Test(limits, game_action_bodies_hold_at_most_64_members)
{
    struct fx_game_user mod;
    gs_moderator(&mod);
    struct gs_target at, over;
    gs_target(&at, "", 1, 1, NULL);
    gs_target(&over, "", 1, 1, "198.51.100.64");
    int64_t traces = game_traces(&over);
    struct buf b = BUF_INIT;
    struct http_response r;

    buf_puts(&b, "{\"duration\": 1, \"reason\": \"at the limit\"");
    append_keys(&b, MEMBERS - 2);
    buf_putc(&b, '}');
    gs_action(&mod, "players", at.player, "ban", buf_cstr(&b), &r);
    char msg[96];
    snprintf(msg, sizeof msg, "%s has been banned!", at.player);
    gs_expect_message(&r, 200, msg);
    http_response_free(&r);
    cr_expect_eq(gs_count_of_user("sanctions", at.user.id), 1);

    static const struct {
        const char *route, *action;
        int keys;
    } refused[] = {
        {"players", "ban", MEMBERS + 1},
        {"users", "mute", MEMBERS + 1},
        {"users", "kick", 20000},
        {"players", "kill", MEMBERS + 1},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        buf_reset(&b);
        buf_puts(&b, "{\"duration\": 1");
        append_keys(&b, refused[i].keys - 1);
        buf_putc(&b, '}');
        gs_action(&mod, refused[i].route,
                  strcmp(refused[i].route, "users") == 0 ? over.user.name : over.player,
                  refused[i].action, buf_cstr(&b), &r);
        gs_expect_message(&r, 400, GAME_KEYS_MESSAGE);
        http_response_free(&r);
    }
    buf_reset(&b);
    buf_puts(&b, "{\"duration\": 1, \"Extra\": ");
    object_of(&b, MEMBERS + 1);
    buf_putc(&b, '}');
    gs_action(&mod, "users", over.user.name, "ban", buf_cstr(&b), &r);
    gs_expect_message(&r, 400, "Too many keys in 'Extra': a JSON object may have at most 64.");
    http_response_free(&r);
    buf_reset(&b);
    buf_puts(&b, "{\"reason\": \"r\", \"list\": ");
    array_of(&b, MEMBERS + 1, "null");
    buf_putc(&b, '}');
    gs_action(&mod, "players", over.player, "kick", buf_cstr(&b), &r);
    gs_expect_message(&r, 400, "Too many elements in 'list': a JSON array may have at most 64.");
    http_response_free(&r);

    cr_expect_eq(game_traces(&over), traces, "a refused body left a sanction, command or audit entry");
    buf_free(&b);
}

/* The token endpoint, as a form and as JSON: 64 members grant, 65 do not. */
Test(limits, token_bodies_hold_at_most_64_members)
{
    struct fx_game_user u;
    fx_game_user(&u, "Api", false);
    char hex[65];
    fx_sha256_hex(u.password, hex);
    struct buf b = BUF_INIT;
    struct http_response r;
    for (int n = MEMBERS; n <= MEMBERS + 1; n++) {
        buf_reset(&b);
        buf_printf(&b, "grant_type=password&username=%s&password=%s", u.name, hex);
        for (int k = 0; k < n - 3; k++)
            buf_printf(&b, "&client_k%d=%d", k, k);
        fx_request_raw("POST", "/api/oauth/token", NULL, "application/x-www-form-urlencoded",
                       b.data, b.len, &r);
        if (n == MEMBERS)
            cr_expect(r.status == 200 && strstr(r.body, "\"access_token\""), "form of 64: %ld %s",
                      r.status, r.body);
        else
            gs_expect_message(&r, 400, "Too many fields: a form may have at most 64.");
        http_response_free(&r);

        buf_reset(&b);
        buf_printf(&b, "{\"grant_type\": \"password\", \"username\": \"%s\", \"password\": \"%s\"",
                   u.name, hex);
        append_keys(&b, n - 3);
        buf_putc(&b, '}');
        fx_request("POST", "/api/oauth/token", NULL, buf_cstr(&b), &r);
        if (n == MEMBERS)
            cr_expect(r.status == 200 && strstr(r.body, "\"access_token\""), "JSON of 64: %ld %s",
                      r.status, r.body);
        else
            gs_expect_message(&r, 400, GAME_KEYS_MESSAGE);
        http_response_free(&r);
    }
    buf_free(&b);
}

/* --- null ------------------------------------------------------------------------------ */

/* One field of a chat route: body has %s where the field's value goes, the
 * other fields valid. */
struct null_case {
    const char *method;
    const char *path; /* %s: the test's id where the route needs one */
    bool staff;
    const char *body;
    const char *field;
};

static const struct null_case chat_nulls[] = {
    {"POST", "/api/v6/auth/login", false, "{\"email\": %s, \"password\": \"password123\"}", "email"},
    {"POST", "/api/v6/auth/login", false, "{\"email\": \"n@example.com\", \"password\": %s}", "password"},
    {"POST", "/api/v6/auth/register_inv", false,
     "{\"username\": %s, \"email\": \"n1@example.com\", \"password\": \"password123\", \"invcode\": \"abcdef\"}", "username"},
    {"POST", "/api/v6/auth/register_inv", false,
     "{\"username\": \"nulls\", \"email\": %s, \"password\": \"password123\", \"invcode\": \"abcdef\"}", "email"},
    {"POST", "/api/v6/auth/register_inv", false,
     "{\"username\": \"nulls\", \"email\": \"n2@example.com\", \"password\": %s, \"invcode\": \"abcdef\"}", "password"},
    {"POST", "/api/v6/auth/register_inv", false,
     "{\"username\": \"nulls\", \"email\": \"n3@example.com\", \"password\": \"password123\", \"invcode\": %s}", "invcode"},
    {"PUT", "/api/v6/admin/users", true, "{\"username\": %s, \"email\": \"n4@example.com\", \"password\": \"password1\"}", "username"},
    {"POST", "/api/v6/admin/users", true, "{\"username\": \"nulls\", \"email\": %s, \"password\": \"password1\"}", "email"},
    {"PUT", "/api/v6/admin/users", true, "{\"username\": \"nulls\", \"email\": \"n5@example.com\", \"password\": %s}", "password"},
    {"PATCH", "/api/v6/admin/users/%s", true, "{\"flags\": %s}", "flags"},
    {"PUT", "/api/v6/admin/instance/invites", true, "{\"max_uses\": %s}", "max_uses"},
    {"PUT", "/api/v6/admin/voice/regions", true, "{\"id\": %s, \"name\": \"n\"}", "id"},
    {"PUT", "/api/v6/admin/voice/regions", true, "{\"id\": \"nulls\", \"name\": %s}", "name"},
    {"PUT", "/api/v6/admin/voice/regions", true, "{\"id\": \"nulls\", \"name\": \"n\", \"vip\": %s}", "vip"},
    {"PUT", "/api/v6/admin/voice/regions", true, "{\"id\": \"nulls\", \"name\": \"n\", \"deprecated\": %s}", "deprecated"},
    {"PUT", "/api/v6/admin/voice/regions", true, "{\"id\": \"nulls\", \"name\": \"n\", \"custom\": %s}", "custom"},
    {"PUT", "/api/v6/admin/voice/regions/nulls/server", true, "{\"hostname\": %s}", "hostname"},
    {"POST", "/api/v6/guilds", true, "{\"name\": %s}", "name"},
    {"POST", "/api/v6/guilds", true, "{\"name\": %s, \"region\": null}", "name"},
    {"PATCH", "/api/v6/admin/guilds/%s", true, "{\"unavailable\": %s}", "unavailable"},
    {"PATCH", "/api/v6/admin/guilds/%s/features", true, "{\"features\": %s}", "features"},
    {"PUT", "/api/v6/admin/guilds/%s/features", true, "{\"features\": %s}", "features"},
    {"DELETE", "/api/v6/admin/guilds/%s/features", true, "{\"features\": %s}", "features"},
};

/* %s in a pattern replaced by value (at most one). */
static char *fill(const char *pattern, const char *value)
{
    struct buf b = BUF_INIT;
    const char *mark = strstr(pattern, "%s");
    if (mark) {
        buf_append(&b, pattern, (size_t)(mark - pattern));
        buf_puts(&b, value);
        buf_puts(&b, mark + 2);
    } else {
        buf_puts(&b, pattern);
    }
    char *out = strdup(buf_cstr(&b));
    buf_free(&b);
    return out;
}

Test(limits, null_in_every_chat_field_is_refused_naming_it)
{
    struct fx_chat_user staff, victim;
    fx_chat_user(&staff, true);
    fx_chat_user(&victim, false);
    char name[32], gid[24];
    fx_unique(name, sizeof name, "nulls");
    ca_guild(staff.auth, name, NULL, NULL, gid);
    int64_t audited = audited_by(staff.username);
    for (size_t i = 0; i < sizeof chat_nulls / sizeof *chat_nulls; i++) {
        const struct null_case *c = &chat_nulls[i];
        char *path = fill(c->path, strstr(c->path, "/users/") ? victim.id : gid);
        char *body = fill(c->body, "null");
        struct http_response r;
        fx_request(c->method, path, c->staff ? staff.auth : NULL, body, &r);
        ca_expect_field_error(&r, c->field, NULL_MESSAGE);
        http_response_free(&r);
        free(body);
        free(path);
    }
    cr_expect_eq(audited_by(staff.username), audited, "a body with a null was acted on");
}

/* One field of an admin action's body (keys in any case, as the game's). */
static const struct {
    const char *route;  /* "users" or "players" */
    const char *action;
    const char *body;
    const char *field;  /* as the Message names it */
} game_nulls[] = {
    {"users", "ban", "{\"duration\": null}", "duration"},
    {"players", "mute", "{\"duration\": 1, \"reason\": null}", "reason"},
    {"players", "ban", "{\"duration\": 1, \"moderator\": null}", "moderator"},
    {"users", "ban", "{\"duration\": 1, \"ip\": null}", "ip"},
    {"users", "warpto", "{\"mapid\": null}", "mapid"},
    {"players", "warpto", "{\"MapId\": null}", "mapid"},
    {"players", "warptoloc", "{\"mapid\": null, \"x\": 1, \"y\": 1}", "mapid"},
    {"users", "warptoloc", "{\"mapid\": \"\", \"x\": null, \"y\": 1}", "x"},
    {"players", "warptoloc", "{\"mapid\": \"\", \"x\": 1, \"Y\": null}", "y"},
    {"users", "kick", "{\"reason\": null}", "reason"},
    {"players", "kill", "{\"Reason\": null}", "reason"},
    {"players", "unban", "{\"moderator\": null}", "moderator"},
};

Test(limits, null_in_every_game_field_is_refused_naming_it)
{
    struct fx_game_user mod;
    gs_moderator(&mod);
    struct gs_target t;
    gs_target(&t, "", 2, 2, "198.51.100.7");
    int64_t traces = game_traces(&t);
    for (size_t i = 0; i < sizeof game_nulls / sizeof *game_nulls; i++) {
        struct http_response r;
        gs_action(&mod, game_nulls[i].route,
                  strcmp(game_nulls[i].route, "users") == 0 ? t.user.name : t.player,
                  game_nulls[i].action, game_nulls[i].body, &r);
        char expected[96];
        snprintf(expected, sizeof expected, "%s: %s", game_nulls[i].field, NULL_MESSAGE);
        gs_expect_message(&r, 400, expected);
        http_response_free(&r);
    }
    cr_expect_eq(game_traces(&t), traces, "a body with a null was acted on");

    /* the token endpoint's fields */
    static const struct {
        const char *body, *field;
    } token[] = {
        {"{\"grant_type\": null, \"username\": \"x\", \"password\": \"y\"}", "grant_type"},
        {"{\"grant_type\": \"password\", \"username\": null, \"password\": \"y\"}", "username"},
        {"{\"grant_type\": \"password\", \"username\": \"x\", \"password\": null}", "password"},
        {"{\"grant_type\": \"refresh_token\", \"refresh_token\": null}", "refresh_token"},
    };
    for (size_t i = 0; i < sizeof token / sizeof *token; i++) {
        struct http_response r;
        fx_request("POST", "/api/oauth/token", NULL, token[i].body, &r);
        char expected[96];
        snprintf(expected, sizeof expected, "%s: %s", token[i].field, NULL_MESSAGE);
        gs_expect_message(&r, 400, expected);
        http_response_free(&r);
    }
}

/* The one field a spec calls nullable: POST /guilds' region ("an existing,
 * non-deprecated region or null"). */
Test(limits, the_nullable_region_takes_null)
{
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    char name[32], gid[24];
    fx_unique(name, sizeof name, "nullable");
    bson_t doc = BSON_INITIALIZER;
    ca_guild(user.auth, name, "null", &doc, gid);
    cr_expect(fx_is_null(&doc, "region"), "region of a guild made with null");
    bson_destroy(&doc);
}

/* --- each route's limits, at and one past ------------------------------------------ */

Test(limits, max_uses_up_to_a_million)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    int64_t audited = audited_by(staff.username);
    struct http_response r;
    fx_request("PUT", "/api/v6/admin/instance/invites", staff.auth, "{\"max_uses\": 1000000}", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_eq(fx_int(&doc, "max_uses", 0), 1000000);
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/instance/invites/%s", fx_str(&doc, "code"));
    bson_destroy(&doc);
    http_response_free(&r);
    fx_request("DELETE", path, staff.auth, NULL, &r);
    http_response_free(&r);

    static const char *const bad[] = {"{\"max_uses\": 1000001}", "{\"max_uses\": -2}",
                                      "{\"max_uses\": 9223372036854775807}"};
    for (size_t i = 0; i < 3; i++) {
        fx_request("PUT", "/api/v6/admin/instance/invites", staff.auth, bad[i], &r);
        ca_expect_field_error(&r, "max_uses", "must be -1 (unlimited) or an integer in 1..1000000");
        http_response_free(&r);
    }
    cr_expect_eq(audited_by(staff.username), audited + 2, "the invite of a million uses, and its deletion");
}

Test(limits, sanction_durations_up_to_36500_days)
{
    struct fx_game_user mod;
    gs_moderator(&mod);
    struct gs_target t;
    gs_target(&t, "", 0, 0, NULL);
    static const char *const actions[] = {"ban", "mute"};
    for (size_t i = 0; i < 2; i++) {
        struct http_response r;
        gs_action(&mod, "users", t.user.name, actions[i], "{\"duration\": 36501}", &r);
        gs_expect_message(&r, 400, "duration: must be an integer of days in 1..36500");
        http_response_free(&r);
        cr_expect_eq(gs_count_of_user("sanctions", t.user.id), (int64_t)i, "36501 days stored");
        gs_action(&mod, "users", t.user.name, actions[i], "{\"duration\": 36500}", &r);
        cr_expect_eq(r.status, 200, "%s 36500 days: %s", actions[i], r.body);
        http_response_free(&r);
        char filter[160];
        snprintf(filter, sizeof filter, "{\"user_id\": \"%s\", \"kind\": \"%s\"}", t.user.id, actions[i]);
        bson_t s = BSON_INITIALIZER;
        cr_assert(fx_db_find_one("sanctions", filter, &s), "no %s stored", actions[i]);
        cr_expect_eq(gs_date(&s, "end") - gs_date(&s, "start"), 36500 * GS_DAY_MS);
        bson_destroy(&s);
    }
}

/* GET /api/v1/players/online as an Api user. */
static void online_page(const struct fx_game_user *caller, const char *query, struct http_response *r)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/players/online%s", query);
    fx_request("GET", path, caller->auth, NULL, r);
}

Test(limits, online_pages_up_to_a_billion)
{
    struct fx_game_user caller;
    fx_game_user(&caller, "Api", true);
    struct http_response r;
    online_page(&caller, "?page=1000000000", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_eq(fx_int(&doc, "Page", -1), 1000000000);
    cr_expect_eq(fx_int(&doc, "Count", -1), 0);
    bson_destroy(&doc);
    http_response_free(&r);
    static const char *const bad[] = {"?page=1000000001", "?page=-1", "?page=x"};
    for (size_t i = 0; i < 3; i++) {
        online_page(&caller, bad[i], &r);
        gs_expect_message(&r, 400, "page: must be an integer in 0..1000000000");
        http_response_free(&r);
    }
    online_page(&caller, "?pageSize=ten", &r);
    gs_expect_message(&r, 400, "pageSize: must be an integer (5..100; others are clamped)");
    http_response_free(&r);
    /* clamped, not refused: one past each end */
    static const struct {
        const char *query;
        int size;
    } clamped[] = {{"?pageSize=4", 5}, {"?pageSize=101", 100}};
    for (size_t i = 0; i < 2; i++) {
        online_page(&caller, clamped[i].query, &r);
        cr_expect_eq(r.status, 200, "%s", r.body);
        bson_t v = BSON_INITIALIZER;
        fx_json(&r, &v);
        cr_expect_eq(fx_int(&v, "PageSize", -1), clamped[i].size, "%s: %s", clamped[i].query, r.body);
        bson_destroy(&v);
        http_response_free(&r);
    }
}

/* n copies of c, as a string (malloc'd). */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

Test(limits, voice_texts_of_1_to_255_characters)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    ca_ensure_first_region(staff.auth);
    char unique[32], body[700];
    struct http_response r;

    static const struct {
        const char *body, *field;
    } empty[] = {
        {"{\"id\": \"\", \"name\": \"n\"}", "id"},
        {"{\"id\": \"empty-name\", \"name\": \"\"}", "name"},
    };
    for (size_t i = 0; i < 2; i++) {
        fx_request("PUT", "/api/v6/admin/voice/regions", staff.auth, empty[i].body, &r);
        ca_expect_field_error(&r, empty[i].field, "min length is 1");
        http_response_free(&r);
    }

    /* an id and a name of 255 characters */
    fx_unique(unique, sizeof unique, "long");
    char *id = repeat('r', 255);
    memcpy(id, unique, strlen(unique));
    char *long_name = repeat('N', 255);
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"name\": \"%s\"}", id, long_name);
    fx_request("PUT", "/api/v6/admin/voice/regions", staff.auth, body, &r);
    cr_expect_eq(r.status, 200, "255 characters: %ld %.200s", r.status, r.body);
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"id\": \"%s-x\", \"name\": \"%sN\"}", unique, long_name);
    fx_request("PUT", "/api/v6/admin/voice/regions", staff.auth, body, &r);
    ca_expect_field_error(&r, "name", "max length is 255");
    http_response_free(&r);

    /* a server's hostname: empty, 255, 256 */
    char path[400];
    snprintf(path, sizeof path, "/api/v6/admin/voice/regions/%s/server", id);
    fx_request("PUT", path, staff.auth, "{\"hostname\": \"\"}", &r);
    ca_expect_field_error(&r, "hostname", "min length is 1");
    http_response_free(&r);
    char *host = repeat('h', 255);
    fx_unique(unique, sizeof unique, "host");
    memcpy(host, unique, strlen(unique));
    snprintf(body, sizeof body, "{\"hostname\": \"%s\"}", host);
    fx_request("PUT", path, staff.auth, body, &r);
    cr_expect_eq(r.status, 204, "255 characters: %ld %.200s", r.status, r.body);
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"hostname\": \"%sh\"}", host);
    fx_request("PUT", path, staff.auth, body, &r);
    ca_expect_field_error(&r, "hostname", "max length is 255");
    http_response_free(&r);
    free(host);
    free(long_name);
    free(id);
}

Test(limits, account_texts_at_their_lengths)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[32], body[1400];
    struct http_response r;

    /* usernames of 2 and 30 characters; 1 and 31 refused */
    fx_unique(name, sizeof name, "u");
    char thirty[31], thirty_one[32];
    memset(thirty, '_', 30);
    memcpy(thirty, name, strlen(name));
    thirty[30] = '\0';
    memcpy(thirty_one, thirty, 30);
    memcpy(thirty_one + 30, "x", 2);
    static const bool ok[] = {true, true, false, false};
    const char *usernames[] = {"zz", thirty, "z", thirty_one};
    for (size_t i = 0; i < 4; i++) {
        char email[64];
        snprintf(email, sizeof email, "%s.%zu@example.com", name, i);
        snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": \"%s\", \"password\": \"password1\"}",
                 usernames[i], email);
        fx_request("PUT", "/api/v6/admin/users", staff.auth, body, &r);
        if (ok[i])
            cr_expect_eq(r.status, 200, "'%s': %s", usernames[i], r.body);
        else
            ca_expect_field_error(&r, "username", "must be of username type");
        http_response_free(&r);
    }

    /* an email of 255 characters; 256 refused */
    char email[300];
    memset(email, 'e', 243);
    snprintf(email + 243, sizeof email - 243, "@example.com");
    memcpy(email, name, strlen(name));
    cr_assert_eq(strlen(email), 255);
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": \"%s\", \"password\": \"password1\"}",
             name, email);
    fx_request("PUT", "/api/v6/admin/users", staff.auth, body, &r);
    cr_expect_eq(r.status, 200, "255 characters: %s", r.body);
    http_response_free(&r);
    memmove(email + 1, email, strlen(email) + 1);
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": \"%s\", \"password\": \"password1\"}",
             name, email);
    fx_request("PUT", "/api/v6/admin/users", staff.auth, body, &r);
    ca_expect_field_error(&r, "email", "must be of email type");
    http_response_free(&r);

    /* login: email and password of 1024 characters are judged, 1025 refused */
    char *long_text = repeat('l', 1025);
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"password1\"}", long_text);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    ca_expect_field_error(&r, "email", "max length is 1024");
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"email\": \"a@example.com\", \"password\": \"%s\"}", long_text);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    ca_expect_field_error(&r, "password", "max length is 1024");
    http_response_free(&r);
    long_text[1024] = '\0';
    snprintf(body, sizeof body, "{\"email\": \"a@example.com\", \"password\": \"%s\"}", long_text);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect(!strstr(r.body, "\"password\":["), "1024 characters are not a field error: %s", r.body);
    http_response_free(&r);
    free(long_text);

    /* register_inv's invite code: 1..64 characters */
    char *code = repeat('c', 65);
    snprintf(body, sizeof body,
             "{\"username\": \"%s\", \"email\": \"%s@example.com\", \"password\": \"password123\", \"invcode\": \"%s\"}",
             name, name, code);
    fx_request("POST", "/api/v6/auth/register_inv", NULL, body, &r);
    ca_expect_field_error(&r, "invcode", "max length is 64");
    http_response_free(&r);
    code[64] = '\0';
    snprintf(body, sizeof body,
             "{\"username\": \"%s\", \"email\": \"%s@example.com\", \"password\": \"password123\", \"invcode\": \"%s\"}",
             name, name, code);
    fx_request("POST", "/api/v6/auth/register_inv", NULL, body, &r);
    ca_expect_error(&r, 400, "unknown instance invite", 0);
    http_response_free(&r);
    snprintf(body, sizeof body,
             "{\"username\": \"%s\", \"email\": \"%s@example.com\", \"password\": \"password123\", \"invcode\": \"\"}",
             name, name);
    fx_request("POST", "/api/v6/auth/register_inv", NULL, body, &r);
    ca_expect_field_error(&r, "invcode", "min length is 1");
    http_response_free(&r);
    free(code);

    /* flags: every bit below 2^31 but the staff bit */
    struct fx_chat_user victim;
    fx_chat_user(&victim, false);
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/users/%s", victim.id);
    fx_request("PATCH", path, staff.auth, "{\"flags\": 2147483646}", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    fx_request("PATCH", path, staff.auth, "{\"flags\": 2147483648}", &r);
    ca_expect_field_error(&r, "flags", "max value is 2147483647");
    http_response_free(&r);
}

Test(limits, game_texts_and_coordinates_at_their_limits)
{
    struct fx_game_user mod;
    gs_moderator(&mod);
    struct gs_target t;
    gs_target(&t, "", 9, 9, "198.51.100.255");
    int64_t traces = game_traces(&t);
    struct buf b = BUF_INIT;
    struct http_response r;

    /* reason: 1025 refused, 1024 recorded; moderator: 65 refused, 64 recorded */
    char *reason = repeat('r', 1025), *moderator = repeat('m', 65);
    buf_printf(&b, "{\"duration\": 1, \"reason\": \"%s\"}", reason);
    gs_action(&mod, "players", t.player, "ban", buf_cstr(&b), &r);
    gs_expect_message(&r, 400, "reason: max length is 1024");
    http_response_free(&r);
    buf_reset(&b);
    buf_printf(&b, "{\"duration\": 1, \"moderator\": \"%s\"}", moderator);
    gs_action(&mod, "players", t.player, "ban", buf_cstr(&b), &r);
    gs_expect_message(&r, 400, "moderator: max length is 64");
    http_response_free(&r);
    cr_expect_eq(game_traces(&t), traces, "a refused body was acted on");
    reason[1024] = '\0';
    moderator[64] = '\0';
    buf_reset(&b);
    buf_printf(&b, "{\"duration\": 1, \"reason\": \"%s\", \"moderator\": \"%s\"}", reason, moderator);
    gs_action(&mod, "players", t.player, "mute", buf_cstr(&b), &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    char filter[160];
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\", \"kind\": \"mute\"}", t.user.id);
    bson_t s = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("sanctions", filter, &s));
    cr_expect_str_eq(fx_str(&s, "reason"), reason);
    cr_expect_str_eq(fx_str(&s, "moderator"), moderator);
    bson_destroy(&s);
    free(reason);
    free(moderator);

    /* x, y: 0 and 255 warp, -1 and 256 are refused stating the range */
    static const char *const bad[][2] = {
        {"{\"mapid\": \"\", \"x\": 256, \"y\": 0}", "x"},
        {"{\"mapid\": \"\", \"x\": -1, \"y\": 0}", "x"},
        {"{\"mapid\": \"\", \"x\": 0, \"y\": 256}", "y"},
        {"{\"mapid\": \"\", \"x\": 0, \"y\": -1}", "y"},
    };
    for (size_t i = 0; i < 4; i++) {
        gs_action(&mod, "players", t.player, "warptoloc", bad[i][0], &r);
        char expected[64];
        snprintf(expected, sizeof expected, "%s: must be an integer in 0..255", bad[i][1]);
        gs_expect_message(&r, 400, expected);
        http_response_free(&r);
    }
    cr_expect_eq(gs_count_of_user("game_commands", t.user.id), 1, "only the mute's command");
    static const int corners[][2] = {{0, 0}, {255, 255}};
    for (size_t i = 0; i < 2; i++) {
        char body[96], expected[160];
        snprintf(body, sizeof body, "{\"mapid\": \"\", \"x\": %d, \"y\": %d}", corners[i][0], corners[i][1]);
        gs_action(&mod, "players", t.player, "warptoloc", body, &r);
        snprintf(expected, sizeof expected, "Warped '%s' to %s (%d, %d).", t.player, t.map,
                 corners[i][0], corners[i][1]);
        gs_expect_message(&r, 200, expected);
        http_response_free(&r);
    }
    buf_free(&b);
}

Test(limits, token_fields_at_their_lengths)
{
    static const struct {
        const char *field;
        size_t max;
    } fields[] = {{"grant_type", 64}, {"username", 64}, {"password", 128}, {"refresh_token", 64}};
    for (size_t i = 0; i < 4; i++) {
        char *text = repeat('a', fields[i].max + 1);
        char body[400], expected[64];
        snprintf(body, sizeof body, "{\"grant_type\": \"password\", \"%s\": \"%s\"}", fields[i].field, text);
        if (strcmp(fields[i].field, "grant_type") == 0)
            snprintf(body, sizeof body, "{\"grant_type\": \"%s\"}", text);
        struct http_response r;
        fx_request("POST", "/api/oauth/token", NULL, body, &r);
        snprintf(expected, sizeof expected, "%s: max length is %zu", fields[i].field, fields[i].max);
        gs_expect_message(&r, 400, expected);
        http_response_free(&r);
        text[fields[i].max] = '\0';
        if (strcmp(fields[i].field, "grant_type") == 0)
            snprintf(body, sizeof body, "{\"grant_type\": \"%s\"}", text);
        else
            snprintf(body, sizeof body, "{\"grant_type\": \"%s\", \"%s\": \"%s\"}",
                     strcmp(fields[i].field, "refresh_token") == 0 ? "refresh_token" : "password",
                     fields[i].field, text);
        fx_request("POST", "/api/oauth/token", NULL, body, &r);
        cr_expect_eq(r.status, 400, "%s", r.body);
        cr_expect(!strstr(r.body, "max length"), "%zu characters of %s: %s", fields[i].max,
                  fields[i].field, r.body);
        http_response_free(&r);
        free(text);
    }
}

/* At most 64 query parameters, in both APIs (request.h). */
Test(limits, query_strings_hold_at_most_64_parameters)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    struct fx_game_user caller;
    fx_game_user(&caller, "Api", true);
    struct buf b = BUF_INIT;
    for (int n = 64; n <= 65; n++) {
        struct http_response r;
        buf_reset(&b);
        buf_printf(&b, "/api/v6/admin/users?username=%s", staff.username);
        for (int k = 1; k < n; k++)
            buf_printf(&b, "&q%d=%d", k, k);
        fx_request("GET", buf_cstr(&b), staff.auth, NULL, &r);
        if (n == 64)
            cr_expect_eq(r.status, 200, "64 parameters: %s", r.body);
        else
            ca_expect_error(&r, 400, "Too many query parameters", 0);
        http_response_free(&r);

        buf_reset(&b);
        buf_puts(&b, "/api/v1/players/online?page=0");
        for (int k = 1; k < n; k++)
            buf_printf(&b, "&q%d=%d", k, k);
        fx_request("GET", buf_cstr(&b), caller.auth, NULL, &r);
        if (n == 64)
            cr_expect_eq(r.status, 200, "64 parameters: %s", r.body);
        else
            gs_expect_message(&r, 400, "Too many query parameters");
        http_response_free(&r);
    }
    buf_free(&b);
}
