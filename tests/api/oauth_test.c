/*
 * Game authentication on the shared stack: the OAuth token endpoint
 * (password grant as JSON and as a form, one answer for every refused
 * credential, refresh tokens used once, grant types) and bearer tokens on the
 * game routes (denied when missing, malformed, forged, expired, or issued
 * before a rights or password change; 403 without the route's role). What
 * a grant and an authenticated request cost is measured by `make bench`.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/fixtures.h"
#include "warden/config.h"
#include "warden/token.h"

/* libmongoc counts in a /dev/shm file named after the pid; one left by a
 * killed process whose pid a new wardenctl gets makes the driver print a
 * warning on stderr as the library loads, before main. That is the test
 * environment's doing (workers are SIGKILLed here), not what these tests
 * check: the counters are turned off for every process a test starts. */
static void quiet_driver(void)
{
    cr_assert_eq(setenv("MONGOC_DISABLE_SHM", "1", 1), 0);
}

TestSuite(auth_oauth, .init = quiet_driver);
TestSuite(auth_game, .init = quiet_driver);

#define DENIED "{\"Message\":\"Authorization has been denied for this request.\"}"
#define INVALID_CREDENTIALS "{\"Message\":\"Invalid credentials\"}"
#define INVALID_TOKEN "{\"Message\":\"Invalid token\"}"

/* --- helpers ------------------------------------------------------------------ */

static void expect_answer(const char *what, const struct http_response *r, long status,
                          const char *body)
{
    cr_expect_eq(r->status, status, "%s: expected %ld %s, got %ld %s", what, status, body,
                 r->status, r->body);
    cr_expect_str_eq(r->body, body, "%s: body", what);
    const char *type = http_header(r, "Content-Type");
    cr_expect(type && strncmp(type, "application/json", 16) == 0, "%s: Content-Type %s", what,
              type ? type : "(none)");
}

static void grant_json(const char *name, const char *password_hex, struct http_response *r)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"grant_type\": \"password\", \"username\": \"%s\", \"password\": \"%s\"}", name,
             password_hex);
    fx_request("POST", "/api/oauth/token", NULL, body, r);
}

static void grant_plain(const char *name, const char *plaintext, struct http_response *r)
{
    char hex[65];
    fx_sha256_hex(plaintext, hex);
    grant_json(name, hex, r);
}

static void refresh(const char *token, struct http_response *r)
{
    char body[256];
    snprintf(body, sizeof body, "{\"grant_type\": \"refresh_token\", \"refresh_token\": \"%s\"}", token);
    fx_request("POST", "/api/oauth/token", NULL, body, r);
}

/* A 200 token answer: access and refresh tokens into the buffers (may be NULL). */
static void expect_tokens(const char *what, const struct http_response *r, char *access,
                          size_t access_size, char refresh_out[64])
{
    cr_assert_eq(r->status, 200, "%s: %ld %s", what, r->status, r->body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    const char *a = fx_str(&doc, "access_token"), *rt = fx_str(&doc, "refresh_token");
    cr_expect_neq(a[0], '\0', "%s: no access_token in %s", what, r->body);
    cr_expect_eq(strlen(rt), 36, "%s: refresh_token is not a GUID: %s", what, r->body);
    cr_expect_str_eq(fx_str(&doc, "token_type"), "bearer", "%s", what);
    cr_expect_eq(fx_int(&doc, "expires_in", -1), 300, "%s: %s", what, r->body);
    /* ".issued" and ".expires" hold dots: no path lookup (fx_str) for them. */
    const char *dated[] = {".issued", ".expires"};
    for (size_t i = 0; i < 2; i++) {
        bson_iter_t it;
        cr_expect(bson_iter_init_find(&it, &doc, dated[i]) && BSON_ITER_HOLDS_UTF8(&it) &&
                      strstr(bson_iter_utf8(&it, NULL), " GMT"),
                  "%s: no %s date in %s", what, dated[i], r->body);
    }
    if (access)
        snprintf(access, access_size, "%s", a);
    if (refresh_out)
        snprintf(refresh_out, 64, "%s", rt);
    bson_destroy(&doc);
}

/* Copy a string that must fit (no format: gcc cannot see the lengths). */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    cr_assert_lt(n, size, "'%s' does not fit in %zu bytes", src, size);
    memcpy(dst, src, n + 1);
}

static void bearer(char *out, size_t size, const char *token)
{
    snprintf(out, size, "Authorization: Bearer %s", token);
}

/* GET /api/v1/info/authorized with this header: the status. */
static long authorized_status(const char *auth)
{
    struct http_response r;
    fx_request("GET", "/api/v1/info/authorized", auth, NULL, &r);
    long s = r.status;
    if (s == 200)
        cr_expect_str_eq(r.body, "{\"authorized\":true}");
    else
        cr_expect_str_eq(r.body, DENIED, "denied with another body");
    http_response_free(&r);
    return s;
}

static void ctl_ok(const char *const *argv)
{
    char *out = NULL;
    int rc = fx_ctl(&out, argv);
    cr_assert_eq(rc, 0, "wardenctl %s: %d %s", argv[0], rc, out ? out : "");
    free(out);
}

/* The shared stack's secret (WARDEN_SECRET_FILE, exported by the runner). */
static void server_key(struct config *cfg, struct token_key *key)
{
    config_defaults(cfg);
    char err[256];
    cr_assert_eq(config_load_environment(cfg, err, sizeof err), 0, "the stack's secret: %s", err);
    key->secret = cfg->secret;
    key->secret_len = cfg->secret_len;
}

/* A game access token minted here with the server's secret. */
static void forge(const char *user_id, const char *stamp, int64_t issued, int64_t expires,
                  char out[TOKEN_MAX])
{
    struct config cfg;
    struct token_key key;
    server_key(&cfg, &key);
    struct game_claims c;
    memset(&c, 0, sizeof c);
    copy(c.user_id, sizeof c.user_id, user_id);
    copy(c.stamp, sizeof c.stamp, stamp);
    c.issued = issued;
    c.expires = expires;
    cr_assert_eq(token_game_mint(&key, &c, out, TOKEN_MAX), 0);
}

/* The user's current security stamp, as stored. */
static void stored_stamp(const char *user_id, char stamp[TOKEN_STAMP_SIZE])
{
    char filter[128];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", user_id);
    bson_t doc = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("game_users", filter, &doc), "game user %s not stored", user_id);
    snprintf(stamp, TOKEN_STAMP_SIZE, "%s", fx_str(&doc, "security_stamp"));
    cr_assert_eq(strlen(stamp), TOKEN_STAMP_SIZE - 1, "stamp '%s'", stamp);
    bson_destroy(&doc);
}

/* --- password grant ----------------------------------------------------------- */

Test(auth_oauth, password_grant_as_json)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", false);
    struct http_response r;
    char access[TOKEN_MAX], auth[TOKEN_MAX + 32];
    grant_plain(g.name, g.password, &r);
    expect_tokens("JSON grant", &r, access, sizeof access, NULL);
    http_response_free(&r);
    bearer(auth, sizeof auth, access);
    cr_expect_eq(authorized_status(auth), 200);
}

Test(auth_oauth, password_grant_as_form)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", false);
    char hex[65], body[256], access[TOKEN_MAX], auth[TOKEN_MAX + 32];
    fx_sha256_hex(g.password, hex);
    snprintf(body, sizeof body, "grant_type=password&username=%s&password=%s&client_id=admin", g.name, hex);
    struct http_response r;
    fx_request_raw("POST", "/api/oauth/token", NULL, "application/x-www-form-urlencoded", body,
                   strlen(body), &r);
    expect_tokens("form grant", &r, access, sizeof access, NULL);
    http_response_free(&r);
    bearer(auth, sizeof auth, access);
    cr_expect_eq(authorized_status(auth), 200);

    /* A wrong password as a form gets the JSON error like any other. */
    snprintf(body, sizeof body, "grant_type=password&username=%s&password=%064d", g.name, 0);
    fx_request_raw("POST", "/api/oauth/token", NULL, "application/x-www-form-urlencoded", body,
                   strlen(body), &r);
    expect_answer("wrong password as a form", &r, 400, INVALID_CREDENTIALS);
    http_response_free(&r);
}

Test(auth_oauth, name_is_case_insensitive_and_hex_any_case)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", false);
    char hex[65], name[24];
    fx_sha256_hex(g.password, hex);
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    snprintf(name, sizeof name, "%s", g.name);
    for (char *p = name; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    struct http_response r;
    grant_json(g.name, hex, &r);
    expect_tokens("upper-case hex", &r, NULL, 0, NULL);
    http_response_free(&r);
    grant_json(name, hex, &r);
    expect_tokens("upper-case name", &r, NULL, 0, NULL);
    http_response_free(&r);
}

Test(auth_oauth, refused_credentials_all_look_the_same)
{
    struct fx_game_user g, no_api;
    fx_game_user(&g, "Api", false);
    fx_game_user(&no_api, "UserQuery Ban", false);
    char nobody[24];
    fx_unique(nobody, sizeof nobody, "nobody");

    struct http_response wrong, unknown, r;
    grant_plain(g.name, "not the password", &wrong);
    grant_plain(nobody, "not the password", &unknown);
    expect_answer("wrong password", &wrong, 400, INVALID_CREDENTIALS);
    expect_answer("unknown user", &unknown, 400, INVALID_CREDENTIALS);
    cr_expect_eq(wrong.body_len, unknown.body_len);
    cr_expect_eq(memcmp(wrong.body, unknown.body, wrong.body_len), 0);
    http_response_free(&wrong);
    http_response_free(&unknown);

    /* Right password, but no Api right. */
    grant_plain(no_api.name, no_api.password, &r);
    expect_answer("user without Api", &r, 400, INVALID_CREDENTIALS);
    http_response_free(&r);

    /* The plaintext instead of its digest, a short digest, an invalid name. */
    grant_json(g.name, g.password, &r);
    expect_answer("plaintext password", &r, 400, INVALID_CREDENTIALS);
    http_response_free(&r);
    char hex[65];
    fx_sha256_hex(g.password, hex);
    hex[63] = '\0';
    grant_json(g.name, hex, &r);
    expect_answer("63-digit digest", &r, 400, INVALID_CREDENTIALS);
    http_response_free(&r);
    fx_sha256_hex(g.password, hex);
    grant_json("no such-name!", hex, &r);
    expect_answer("invalid name", &r, 400, INVALID_CREDENTIALS);
    http_response_free(&r);
    fx_request("POST", "/api/oauth/token", NULL, "{\"grant_type\": \"password\"}", &r);
    expect_answer("no username or password", &r, 400, INVALID_CREDENTIALS);
    http_response_free(&r);
}

Test(auth_oauth, banned_user_gets_no_token)
{
    struct fx_game_user moderator, target;
    fx_game_user(&moderator, "Api UserQuery Ban", true);
    fx_game_user(&target, "Api", true);
    char target_refresh[64];
    snprintf(target_refresh, sizeof target_refresh, "%s", target.refresh_token);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s/admin/ban", target.name);
    struct http_response r;
    fx_request("POST", path, moderator.auth, "{\"duration\": 1, \"reason\": \"auth test\"}", &r);
    cr_assert_eq(r.status, 200, "ban: %ld %s", r.status, r.body);
    http_response_free(&r);

    struct http_response banned, wrong;
    grant_plain(target.name, target.password, &banned);
    grant_plain(target.name, "not the password", &wrong);
    expect_answer("banned user, right password", &banned, 400, INVALID_CREDENTIALS);
    cr_expect_str_eq(banned.body, wrong.body, "a ban is told apart from a wrong password");
    http_response_free(&banned);
    http_response_free(&wrong);

    /* Nor does a refresh token issued before the ban give a new one. */
    refresh(target_refresh, &r);
    cr_expect_eq(r.status, 400, "refresh while banned: %s", r.body);
    cr_expect_null(strstr(r.body, "access_token"), "%s", r.body);
    http_response_free(&r);

    /* Lifted, the password works again. */
    snprintf(path, sizeof path, "/api/v1/users/%s/admin/unban", target.name);
    fx_request("POST", path, moderator.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "unban: %ld %s", r.status, r.body);
    http_response_free(&r);
    grant_plain(target.name, target.password, &r);
    expect_tokens("after unban", &r, NULL, 0, NULL);
    http_response_free(&r);
}

/* --- refresh grant and grant types ----------------------------------------------- */

Test(auth_oauth, refresh_token_works_once)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", true);
    char access[TOKEN_MAX], next_refresh[64], auth[TOKEN_MAX + 32];
    struct http_response r;
    refresh(g.refresh_token, &r);
    expect_tokens("first refresh", &r, access, sizeof access, next_refresh);
    http_response_free(&r);
    cr_expect_str_neq(next_refresh, g.refresh_token, "the refresh token was handed out again");
    bearer(auth, sizeof auth, access);
    cr_expect_eq(authorized_status(auth), 200, "the refreshed access token is refused");

    refresh(g.refresh_token, &r);
    expect_answer("second use", &r, 400, INVALID_TOKEN);
    http_response_free(&r);

    /* The new one works (once), in upper case too: any GUID form. */
    char upper[64];
    snprintf(upper, sizeof upper, "%s", next_refresh);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    refresh(upper, &r);
    expect_tokens("next refresh token", &r, NULL, 0, NULL);
    http_response_free(&r);
    refresh(next_refresh, &r);
    expect_answer("next refresh token again", &r, 400, INVALID_TOKEN);
    http_response_free(&r);
}

Test(auth_oauth, bad_refresh_tokens)
{
    struct http_response r;
    refresh("6ba7b810-9dad-41d1-80b4-00c04fd430c8", &r);
    expect_answer("unknown refresh token", &r, 400, INVALID_TOKEN);
    http_response_free(&r);
    refresh("garbage", &r);
    expect_answer("garbage refresh token", &r, 400, INVALID_TOKEN);
    http_response_free(&r);
    fx_request("POST", "/api/oauth/token", NULL, "{\"grant_type\": \"refresh_token\"}", &r);
    expect_answer("no refresh token", &r, 400, INVALID_TOKEN);
    http_response_free(&r);
    /* An access token is not a refresh token. */
    struct fx_game_user g;
    fx_game_user(&g, "Api", true);
    char body[700];
    snprintf(body, sizeof body, "{\"grant_type\": \"refresh_token\", \"refresh_token\": \"%s\"}",
             g.access_token);
    fx_request("POST", "/api/oauth/token", NULL, body, &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect_null(strstr(r.body, "access_token"), "%s", r.body);
    http_response_free(&r);
}

Test(auth_oauth, unknown_or_missing_grant_type)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", false);
    char hex[65], body[300];
    fx_sha256_hex(g.password, hex);
    const char *types[] = {"\"client_credentials\"", "\"PASSWORD\"", "\"\"", NULL};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (types[i])
            snprintf(body, sizeof body,
                     "{\"grant_type\": %s, \"username\": \"%s\", \"password\": \"%s\"}", types[i],
                     g.name, hex);
        else
            snprintf(body, sizeof body, "{\"username\": \"%s\", \"password\": \"%s\"}", g.name, hex);
        struct http_response r;
        fx_request("POST", "/api/oauth/token", NULL, body, &r);
        cr_expect_eq(r.status, 400, "grant_type %s: %ld %s", types[i] ? types[i] : "(missing)",
                     r.status, r.body);
        cr_expect_null(strstr(r.body, "access_token"), "%s", r.body);
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        cr_expect_neq(fx_str(&doc, "Message")[0], '\0', "no Message in %s", r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
}

Test(auth_oauth, operator_objects_are_refused_naming_the_field)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", false);
    char hex[65];
    fx_sha256_hex(g.password, hex);
    struct {
        const char *field;
        char body[300];
    } cases[4];
    snprintf(cases[0].body, sizeof cases[0].body,
             "{\"grant_type\": \"password\", \"username\": {\"$ne\": null}, \"password\": \"%s\"}", hex);
    cases[0].field = "username";
    snprintf(cases[1].body, sizeof cases[1].body,
             "{\"grant_type\": \"password\", \"username\": \"%s\", \"password\": {\"$gt\": \"\"}}", g.name);
    cases[1].field = "password";
    snprintf(cases[2].body, sizeof cases[2].body,
             "{\"grant_type\": \"refresh_token\", \"refresh_token\": {\"$exists\": true}}");
    cases[2].field = "refresh_token";
    snprintf(cases[3].body, sizeof cases[3].body,
             "{\"grant_type\": {\"$in\": [\"password\"]}, \"username\": \"%s\", \"password\": \"%s\"}",
             g.name, hex);
    cases[3].field = "grant_type";
    for (size_t i = 0; i < 4; i++) {
        struct http_response r;
        fx_request("POST", "/api/oauth/token", NULL, cases[i].body, &r);
        cr_expect_eq(r.status, 400, "%s: %ld %s", cases[i].body, r.status, r.body);
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        const char *m = fx_str(&doc, "Message");
        size_t n = strlen(cases[i].field);
        cr_expect(strncmp(m, cases[i].field, n) == 0 && m[n] == ':',
                  "%s: the message does not name %s: %s", cases[i].body, cases[i].field, r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
}

/* --- bearer tokens on the game routes ----------------------------------------------- */

Test(auth_game, missing_malformed_or_forged_is_401)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api UserQuery", true);
    char auth[700], token[600];
    cr_expect_eq(authorized_status(NULL), 401, "no header");
    cr_expect_eq(authorized_status("Authorization: garbage"), 401);
    cr_expect_eq(authorized_status("Authorization: Bearer garbage"), 401);
    cr_expect_eq(authorized_status("Authorization: Bearer"), 401);
    cr_expect_eq(authorized_status("Authorization: Bearer a.b"), 401);
    snprintf(auth, sizeof auth, "Authorization: %s", g.access_token);
    cr_expect_eq(authorized_status(auth), 401, "token without Bearer");
    snprintf(auth, sizeof auth, "Authorization: Basic %s", g.access_token);
    cr_expect_eq(authorized_status(auth), 401, "Basic scheme");

    /* One character of the payload or of the signature. */
    size_t dot = (size_t)(strchr(g.access_token, '.') - g.access_token);
    size_t spots[] = {5, dot - 3, dot + 5, strlen(g.access_token) - 10};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        copy(token, sizeof token, g.access_token);
        token[spots[i]] = token[spots[i]] == 'A' ? 'B' : 'A';
        bearer(auth, sizeof auth, token);
        cr_expect_eq(authorized_status(auth), 401, "character %zu changed", spots[i]);
    }
    copy(token, sizeof token - 1, g.access_token);
    strcat(token, ".");
    bearer(auth, sizeof auth, token);
    cr_expect_eq(authorized_status(auth), 401, "extra dot");

    /* A chat token is no game token. */
    struct fx_chat_user c;
    fx_chat_user(&c, true);
    bearer(auth, sizeof auth, c.token);
    cr_expect_eq(authorized_status(auth), 401, "chat token");

    /* Signed by another secret, with the right claims. */
    char stamp[TOKEN_STAMP_SIZE];
    stored_stamp(g.id, stamp);
    static const char wrong[] = "not the server secret, but 32 bytes or more long";
    struct token_key key = {(const unsigned char *)wrong, sizeof wrong - 1};
    struct game_claims claims;
    memset(&claims, 0, sizeof claims);
    copy(claims.user_id, sizeof claims.user_id, g.id);
    copy(claims.stamp, sizeof claims.stamp, stamp);
    claims.issued = (int64_t)time(NULL);
    claims.expires = claims.issued + 300;
    cr_assert_eq(token_game_mint(&key, &claims, token, TOKEN_MAX), 0);
    bearer(auth, sizeof auth, token);
    cr_expect_eq(authorized_status(auth), 401, "another secret");

    /* The untouched token, with the scheme in any case, still works. */
    cr_expect_eq(authorized_status(g.auth), 200);
    snprintf(auth, sizeof auth, "Authorization: bearer %s", g.access_token);
    cr_expect_eq(authorized_status(auth), 200, "lower-case scheme");
}

Test(auth_game, expired_token_is_401)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api UserQuery", false);
    char stamp[TOKEN_STAMP_SIZE], token[TOKEN_MAX], auth[TOKEN_MAX + 32];
    stored_stamp(g.id, stamp);
    int64_t now = (int64_t)time(NULL);

    /* Minted here with the server's secret: accepted while it lasts... */
    forge(g.id, stamp, now, now + 120, token);
    bearer(auth, sizeof auth, token);
    cr_assert_eq(authorized_status(auth), 200, "a token minted with the server's secret is refused");

    /* ...and refused once expired, however recently. */
    forge(g.id, stamp, now - 400, now - 100, token);
    bearer(auth, sizeof auth, token);
    cr_expect_eq(authorized_status(auth), 401, "expired 100 s ago");
    forge(g.id, stamp, now - 300, now - 2, token);
    bearer(auth, sizeof auth, token);
    cr_expect_eq(authorized_status(auth), 401, "expired 2 s ago");

    /* A stale stamp or an unknown user. */
    forge(g.id, "0123456789abcdef0123456789abcdef", now, now + 120, token);
    bearer(auth, sizeof auth, token);
    cr_expect_eq(authorized_status(auth), 401, "wrong stamp");
    forge("6ba7b810-9dad-41d1-80b4-00c04fd430c8", stamp, now, now + 120, token);
    bearer(auth, sizeof auth, token);
    cr_expect_eq(authorized_status(auth), 401, "unknown user");
}

Test(auth_game, rights_change_revokes_tokens)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api UserQuery", true);
    cr_assert_eq(authorized_status(g.auth), 200);

    ctl_ok((const char *const[]){"game-grant", g.name, "Kick", NULL});
    cr_expect_eq(authorized_status(g.auth), 401, "token issued before a grant still works");
    struct http_response r;
    refresh(g.refresh_token, &r);
    expect_answer("refresh token issued before a grant", &r, 400, INVALID_TOKEN);
    http_response_free(&r);

    /* A new login works, until the next change (a revoke this time). */
    char access[TOKEN_MAX], auth[TOKEN_MAX + 32];
    grant_plain(g.name, g.password, &r);
    expect_tokens("after the grant", &r, access, sizeof access, NULL);
    http_response_free(&r);
    bearer(auth, sizeof auth, access);
    cr_expect_eq(authorized_status(auth), 200);
    ctl_ok((const char *const[]){"game-revoke", g.name, "Kick", NULL});
    cr_expect_eq(authorized_status(auth), 401, "token issued before a revoke still works");
}

Test(auth_game, password_change_revokes_tokens)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", true);
    cr_assert_eq(authorized_status(g.auth), 200);
    ctl_ok((const char *const[]){"game-set-password", g.name, "another password", NULL});
    cr_expect_eq(authorized_status(g.auth), 401, "token issued before the password change");
    struct http_response r;
    refresh(g.refresh_token, &r);
    expect_answer("refresh token issued before the password change", &r, 400, INVALID_TOKEN);
    http_response_free(&r);
    grant_plain(g.name, g.password, &r);
    expect_answer("old password", &r, 400, INVALID_CREDENTIALS);
    http_response_free(&r);
    char access[TOKEN_MAX], auth[TOKEN_MAX + 32];
    grant_plain(g.name, "another password", &r);
    expect_tokens("new password", &r, access, sizeof access, NULL);
    http_response_free(&r);
    bearer(auth, sizeof auth, access);
    cr_expect_eq(authorized_status(auth), 200);
}

Test(auth_game, missing_role_is_403)
{
    struct fx_game_user api_only;
    fx_game_user(&api_only, "Api Ban Kick Mute Editor", true);
    char path[128];
    struct http_response r;

    /* Users routes need UserQuery. */
    snprintf(path, sizeof path, "/api/v1/users/%s/admin/unban", api_only.name);
    fx_request("POST", path, api_only.auth, NULL, &r);
    expect_answer("users admin route without UserQuery", &r, 403, DENIED);
    http_response_free(&r);
    snprintf(path, sizeof path, "/api/v1/users/%s", api_only.name);
    fx_request("GET", path, api_only.auth, NULL, &r);
    expect_answer("users read without UserQuery", &r, 403, DENIED);
    http_response_free(&r);

    /* Players routes need Api only: past authentication (unknown player: 404). */
    fx_request("POST", "/api/v1/players/nosuchplayer1/admin/kick", api_only.auth, NULL, &r);
    cr_expect_eq(r.status, 404, "players admin route with Api: %ld %s", r.status, r.body);
    http_response_free(&r);
    fx_request("GET", "/api/v1/players/online", api_only.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "players online with Api: %ld %s", r.status, r.body);
    http_response_free(&r);

    /* With UserQuery the users route is open. */
    struct fx_game_user querier;
    fx_game_user(&querier, "Api UserQuery", true);
    snprintf(path, sizeof path, "/api/v1/users/%s", api_only.name);
    fx_request("GET", path, querier.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "users read with UserQuery: %ld %s", r.status, r.body);
    http_response_free(&r);
}

Test(auth_game, revoking_api_ends_access)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api UserQuery", true);
    struct http_response r;
    fx_request("GET", "/api/v1/players/online", g.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    ctl_ok((const char *const[]){"game-revoke", g.name, "Api", NULL});
    fx_request("GET", "/api/v1/players/online", g.auth, NULL, &r);
    expect_answer("players route after Api revoked", &r, 401, DENIED);
    http_response_free(&r);
    fx_request("POST", "/api/v1/players/nosuchplayer1/admin/kick", g.auth, NULL, &r);
    expect_answer("players admin route after Api revoked", &r, 401, DENIED);
    http_response_free(&r);

    struct http_response no_api, wrong;
    grant_plain(g.name, g.password, &no_api);
    grant_plain(g.name, "not the password", &wrong);
    expect_answer("login without Api", &no_api, 400, INVALID_CREDENTIALS);
    cr_expect_str_eq(no_api.body, wrong.body);
    http_response_free(&no_api);
    http_response_free(&wrong);
    refresh(g.refresh_token, &r);
    expect_answer("refresh without Api", &r, 400, INVALID_TOKEN);
    http_response_free(&r);

    /* Even a token minted with the server's secret and the current stamp is
     * kept off a route that needs a role the user lacks. */
    char stamp[TOKEN_STAMP_SIZE], token[TOKEN_MAX], auth[TOKEN_MAX + 32];
    stored_stamp(g.id, stamp);
    int64_t now = (int64_t)time(NULL);
    forge(g.id, stamp, now, now + 120, token);
    bearer(auth, sizeof auth, token);
    fx_request("GET", "/api/v1/players/online", auth, NULL, &r);
    expect_answer("current stamp, no Api", &r, 403, DENIED);
    http_response_free(&r);
}

Test(auth_game, auth_errors_come_before_validation_errors)
{
    struct fx_game_user api_only;
    fx_game_user(&api_only, "Api", true);
    struct http_response r;
    fx_request("POST", "/api/v1/users/x/admin/ban", NULL, "{\"duration\": \"soon\"}", &r);
    expect_answer("bad body, no token", &r, 401, DENIED);
    http_response_free(&r);
    fx_request("POST", "/api/v1/users/!!/admin/nonsense", api_only.auth, "{not json", &r);
    expect_answer("bad body, lookup and action, no role", &r, 403, DENIED);
    http_response_free(&r);
    fx_request("POST", "/api/v1/players/!!/admin/nonsense", "Authorization: Bearer x", "{not json", &r);
    expect_answer("bad body, bad token", &r, 401, DENIED);
    http_response_free(&r);
}

/* A ban ends the account's tokens at once, on every game route, and for
 * good: lifting the ban does not bring the old tokens back. */
Test(auth_game, a_ban_revokes_tokens_at_once)
{
    struct fx_game_user moderator, target;
    fx_game_user(&moderator, "Api UserQuery Ban", true);
    fx_game_user(&target, "Api UserQuery", true);
    cr_assert_eq(authorized_status(target.auth), 200);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s", target.name);
    struct http_response r;
    fx_request("GET", path, target.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    /* Banned: every game route refuses its tokens. */
    const char *routes[] = {"/api/v1/info/authorized", "/api/v1/players/online", path};
    snprintf(path, sizeof path, "/api/v1/users/%s/admin/ban", target.name);
    fx_request("POST", path, moderator.auth, "{\"duration\": 2, \"reason\": \"revocation\"}", &r);
    cr_assert_eq(r.status, 200, "ban: %ld %s", r.status, r.body);
    http_response_free(&r);
    snprintf(path, sizeof path, "/api/v1/users/%s", target.name);
    for (size_t i = 0; i < 3; i++) {
        fx_request("GET", routes[i], target.auth, NULL, &r);
        expect_answer(routes[i], &r, 401, DENIED);
        http_response_free(&r);
    }
    fx_request("POST", "/api/v1/players/nosuchplayer1/admin/kick", target.auth, NULL, &r);
    expect_answer("an admin route while banned", &r, 401, DENIED);
    http_response_free(&r);
    refresh(target.refresh_token, &r);
    expect_answer("refresh while banned", &r, 400, INVALID_TOKEN);
    http_response_free(&r);

    /* Even a token minted with the current stamp is refused while the ban lasts. */
    char stamp[TOKEN_STAMP_SIZE], token[TOKEN_MAX], auth[TOKEN_MAX + 32];
    stored_stamp(target.id, stamp);
    int64_t now = (int64_t)time(NULL);
    forge(target.id, stamp, now, now + 120, token);
    bearer(auth, sizeof auth, token);
    cr_expect_eq(authorized_status(auth), 401, "a fresh token of a banned account");

    /* Lifted: the old tokens stay dead, a new login works. */
    snprintf(path, sizeof path, "/api/v1/users/%s/admin/unban", target.name);
    fx_request("POST", path, moderator.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "unban: %ld %s", r.status, r.body);
    http_response_free(&r);
    cr_expect_eq(authorized_status(target.auth), 401, "the old access token came back");
    refresh(target.refresh_token, &r);
    expect_answer("the old refresh token after the unban", &r, 400, INVALID_TOKEN);
    http_response_free(&r);
    char access[TOKEN_MAX], fresh[TOKEN_MAX + 32];
    grant_plain(target.name, target.password, &r);
    expect_tokens("after the unban", &r, access, sizeof access, NULL);
    http_response_free(&r);
    bearer(fresh, sizeof fresh, access);
    cr_expect_eq(authorized_status(fresh), 200);
}
