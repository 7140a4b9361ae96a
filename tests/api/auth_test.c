/*
 * Chat authentication on the shared stack: the token checks in their order
 * (no token, undecodable id, unknown id, bad signature, not staff) on every
 * admin route family and on /users/@me; login (one answer for a wrong
 * password and an unknown email, emails case-insensitive); revocation by a
 * password change; registration closed by default; operator objects in the
 * login body. (What a login and an authenticated request cost is measured
 * by `make bench`, tests/bench/run.)
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/fixtures.h"
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

TestSuite(auth_chat, .init = quiet_driver);
TestSuite(auth_login, .init = quiet_driver);
TestSuite(auth_register, .init = quiet_driver);

/* --- helpers ------------------------------------------------------------------ */

/* The chat error shape: status, {"error": true, "status": N, "message": M}, JSON. */
static void expect_chat_error(const char *what, const struct http_response *r, long status,
                              const char *message)
{
    cr_expect_eq(r->status, status, "%s: expected %ld \"%s\", got %ld %s", what, status, message,
                 r->status, r->body);
    const char *type = http_header(r, "Content-Type");
    cr_expect(type && strncmp(type, "application/json", 16) == 0, "%s: Content-Type %s", what,
              type ? type : "(none)");
    if (r->status != status)
        return;
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    cr_expect(fx_bool(&doc, "error", false), "%s: no \"error\": true in %s", what, r->body);
    cr_expect_eq(fx_int(&doc, "status", 0), status, "%s: %s", what, r->body);
    cr_expect_str_eq(fx_str(&doc, "message"), message, "%s: %s", what, r->body);
    bson_destroy(&doc);
}

static void header(char *out, size_t size, const char *value)
{
    snprintf(out, size, "Authorization: %s", value);
}

/* token with its first part replaced by B64(decimal id). */
static void with_id_part(const char *token, const char *id, char *out, size_t size)
{
    char part[64];
    sodium_bin2base64(part, sizeof part, (const unsigned char *)id, strlen(id),
                      sodium_base64_VARIANT_ORIGINAL);
    const char *dot = strchr(token, '.');
    cr_assert(dot, "token %s has no dot", token);
    snprintf(out, size, "%s%s", part, dot);
}

/* token with one character of its signature changed (in the middle, so the
 * result is still canonical base64 of 32 bytes). */
static void with_bad_signature(const char *token, char *out, size_t size)
{
    snprintf(out, size, "%s", token);
    char *sig = strrchr(out, '.');
    cr_assert(sig && strlen(sig) > 20, "token %s has no signature", token);
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
}

static void login(const char *email, const char *password, struct http_response *r)
{
    char body[512];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"%s\"}", email, password);
    fx_request("POST", "/api/v6/auth/login", NULL, body, r);
}

/* A successful login's token, checked on /users/@me to be user id's. */
static void login_ok(const char *email, const char *password, const char *id, char *token,
                     size_t size)
{
    struct http_response r;
    login(email, password, &r);
    cr_assert_eq(r.status, 200, "login %s: %ld %s", email, r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_assert_neq(fx_str(&doc, "token")[0], '\0', "no token in %s", r.body);
    snprintf(token, size, "%s", fx_str(&doc, "token"));
    bson_destroy(&doc);
    http_response_free(&r);

    char auth[400];
    header(auth, sizeof auth, token);
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &r);
    cr_assert_eq(r.status, 200, "the login token is refused: %ld %s", r.status, r.body);
    bson_init(&doc);
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "id"), id, "the login token is someone else's: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

/* --- the matrix --------------------------------------------------------------- */

struct route_case {
    const char *method;
    const char *path;
    const char *body; /* JSON or NULL */
};

/* Every staff route of the table (src/api/routes.c), with ids nobody has, and
 * bodies that are invalid: a staff caller gets a 400 or 404 and changes
 * nothing (DELETE of an unknown guild is a 204 no-op). */
static const struct route_case staff_routes[] = {
    {"GET", "/api/v6/admin/users?username=nobodyhasthis", NULL},
    {"PUT", "/api/v6/admin/users", "{}"},
    {"POST", "/api/v6/admin/users", "{}"},
    {"DELETE", "/api/v6/admin/users/1", NULL},
    {"PATCH", "/api/v6/admin/users/1", "{}"},
    {"GET", "/api/v6/admin/instance/invites", NULL},
    {"PUT", "/api/v6/admin/instance/invites", "{\"max_uses\": 0}"},
    {"DELETE", "/api/v6/admin/instance/invites/zZ9zZ9", NULL},
    {"GET", "/api/v6/admin/voice/regions", NULL},
    {"PUT", "/api/v6/admin/voice/regions", "{}"},
    {"GET", "/api/v6/admin/voice/regions/authmatrixnone", NULL},
    {"PUT", "/api/v6/admin/voice/regions/authmatrixnone/server", "{}"},
    {"PUT", "/api/v6/admin/voice/regions/authmatrixnone/deprecate", NULL},
    {"GET", "/api/v6/admin/guilds/1", NULL},
    {"PATCH", "/api/v6/admin/guilds/1", "{}"},
    {"DELETE", "/api/v6/admin/guilds/1", NULL},
    {"PATCH", "/api/v6/admin/guilds/1/features", "{}"},
    {"PUT", "/api/v6/admin/guilds/1/features", "{}"},
    {"DELETE", "/api/v6/admin/guilds/1/features", "{}"},
    /* the aliases and a trailing slash go through the same checks */
    {"GET", "/api/v9/admin/instance/invites", NULL},
    {"GET", "/api/v7/admin/voice/regions/", NULL},
};
#define N_STAFF_ROUTES (sizeof staff_routes / sizeof staff_routes[0])

/* Routes any user may call; authentication fails the same way on them. */
static const struct route_case user_routes[] = {
    {"GET", "/api/v6/users/@me", NULL},
    {"GET", "/api/v8/users/@me", NULL},
    {"POST", "/api/v6/guilds", "{}"},
};
#define N_USER_ROUTES (sizeof user_routes / sizeof user_routes[0])

static void call(const struct route_case *c, const char *auth, struct http_response *r)
{
    fx_request(c->method, c->path, auth, c->body, r);
}

/* Every route, staff and user, answers this auth header with status/message. */
static void expect_everywhere(const char *auth, long status, const char *message)
{
    for (size_t i = 0; i < N_STAFF_ROUTES + N_USER_ROUTES; i++) {
        const struct route_case *c =
            i < N_STAFF_ROUTES ? &staff_routes[i] : &user_routes[i - N_STAFF_ROUTES];
        char what[200];
        snprintf(what, sizeof what, "%s %s with %s", c->method, c->path,
                 auth ? auth : "no Authorization");
        struct http_response r;
        call(c, auth, &r);
        expect_chat_error(what, &r, status, message);
        http_response_free(&r);
    }
}

Test(auth_chat, no_token_is_401_everywhere)
{
    expect_everywhere(NULL, 401, "No token provided");
}

Test(auth_chat, garbage_is_401_invalid_user_id_type)
{
    expect_everywhere("Authorization: abc", 401, "Invalid user ID type");
    expect_everywhere("Authorization: Bot abc", 401, "Invalid user ID type");
}

Test(auth_chat, undecodable_ids_are_invalid_user_id_type)
{
    /* A real token whose id part is not a positive decimal id. */
    struct fx_chat_user u;
    fx_chat_user(&u, true);
    const char *ids[] = {"-5", "0", "12a", "99999999999999999999", "1.5"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char token[400], auth[420];
        with_id_part(u.token, ids[i], token, sizeof token);
        header(auth, sizeof auth, token);
        struct http_response r;
        fx_request("GET", "/api/v6/admin/instance/invites", auth, NULL, &r);
        char what[64];
        snprintf(what, sizeof what, "id part \"%s\"", ids[i]);
        expect_chat_error(what, &r, 401, "Invalid user ID type");
        http_response_free(&r);
    }
    /* An overlong header is refused without a lookup. */
    char longer[1200] = "Authorization: ";
    size_t n = strlen(longer);
    memset(longer + n, 'A', 1000);
    longer[n + 1000] = '\0';
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", longer, NULL, &r);
    expect_chat_error("a 1000-character token", &r, 401, "Invalid user ID type");
    http_response_free(&r);
}

Test(auth_chat, unknown_id_is_401_user_id_not_found)
{
    /* Well-formed, for an id nobody has: the lookup fails before the
     * signature is looked at. */
    struct fx_chat_user u;
    fx_chat_user(&u, true);
    char token[400], auth[420];
    with_id_part(u.token, "1", token, sizeof token);
    header(auth, sizeof auth, token);
    expect_everywhere(auth, 401, "User ID not found");
    with_id_part(u.token, "9223372036854775807", token, sizeof token);
    header(auth, sizeof auth, token);
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &r);
    expect_chat_error("id INT64_MAX", &r, 401, "User ID not found");
    http_response_free(&r);
}

Test(auth_chat, forged_signature_is_403_invalid_token)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char token[400], auth[420];
    with_bad_signature(staff.token, token, sizeof token);
    header(auth, sizeof auth, token);
    expect_everywhere(auth, 403, "Invalid token");

    /* Another staff user's signature on this user's id. */
    struct fx_chat_user other;
    fx_chat_user(&other, true);
    with_id_part(other.token, staff.id, token, sizeof token);
    header(auth, sizeof auth, token);
    struct http_response r;
    fx_request("GET", "/api/v6/admin/voice/regions", auth, NULL, &r);
    expect_chat_error("another user's signature", &r, 403, "Invalid token");
    http_response_free(&r);

    /* Signed with a secret that is not the server's. */
    static const char wrong[] = "not the server secret, but 32 bytes or more long";
    struct token_key key = {(const unsigned char *)wrong, sizeof wrong - 1};
    int64_t id = strtoll(staff.id, NULL, 10);
    cr_assert_eq(token_chat_mint(&key, id, (int64_t)time(NULL), "whatever", token, sizeof token), 0);
    header(auth, sizeof auth, token);
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &r);
    expect_chat_error("a token under another secret", &r, 403, "Invalid token");
    http_response_free(&r);

    /* The real token still works: only the changes were refused. */
    fx_request("GET", "/api/v6/users/@me", staff.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
}

Test(auth_chat, non_staff_is_403_on_admin_routes_and_200_on_me)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    for (size_t i = 0; i < N_STAFF_ROUTES; i++) {
        char what[200];
        snprintf(what, sizeof what, "%s %s as non-staff", staff_routes[i].method, staff_routes[i].path);
        struct http_response r;
        call(&staff_routes[i], u.auth, &r);
        expect_chat_error(what, &r, 403, "you are not staff");
        http_response_free(&r);
    }
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", u.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "id"), u.id);
    cr_expect_str_eq(fx_str(&doc, "username"), u.username);
    cr_expect_str_eq(fx_str(&doc, "discriminator"), u.discriminator);
    cr_expect_str_eq(fx_str(&doc, "email"), u.email);
    cr_expect_eq(fx_int(&doc, "flags", -1), 0);
    bson_iter_t it;
    cr_expect_not(bson_iter_init_find(&it, &doc, "password_hash"), "@me shows the password hash");
    cr_expect_null(strstr(r.body, "$argon2"), "@me shows a password hash: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

static void expect_staff_passes(const char *auth)
{
    for (size_t i = 0; i < N_STAFF_ROUTES; i++) {
        struct http_response r;
        call(&staff_routes[i], auth, &r);
        long s = r.status;
        cr_expect(s == 200 || s == 204 || s == 400 || s == 404,
                  "%s %s as staff: %ld %s (expected past authentication, no server error)",
                  staff_routes[i].method, staff_routes[i].path, s, r.body);
        http_response_free(&r);
    }
}

Test(auth_chat, staff_passes_every_admin_route)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    expect_staff_passes(staff.auth);
}

Test(auth_chat, bot_prefix_is_accepted)
{
    struct fx_chat_user staff, user;
    fx_chat_user(&staff, true);
    fx_chat_user(&user, false);
    char auth[420];
    snprintf(auth, sizeof auth, "Authorization: Bot %s", staff.token);
    expect_staff_passes(auth);
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    snprintf(auth, sizeof auth, "Authorization: Bot %s", user.token);
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    fx_request("GET", "/api/v6/admin/instance/invites", auth, NULL, &r);
    expect_chat_error("Bot non-staff", &r, 403, "you are not staff");
    http_response_free(&r);
}

Test(auth_chat, auth_errors_come_before_validation_errors)
{
    /* A body that would be a 400 for staff. */
    const char *bad = "{\"username\": \"a-b\", \"email\": 5, \"nope\": true}";
    struct http_response r;
    fx_request("PUT", "/api/v6/admin/users", NULL, bad, &r);
    expect_chat_error("bad body, no token", &r, 401, "No token provided");
    http_response_free(&r);
    fx_request_raw("PUT", "/api/v6/admin/users", NULL, "application/json", "{not json", 9, &r);
    expect_chat_error("malformed body, no token", &r, 401, "No token provided");
    http_response_free(&r);
    fx_request("PUT", "/api/v6/admin/users", "Authorization: abc", bad, &r);
    expect_chat_error("bad body, garbage token", &r, 401, "Invalid user ID type");
    http_response_free(&r);

    struct fx_chat_user user, staff;
    fx_chat_user(&user, false);
    fx_chat_user(&staff, true);
    fx_request("PUT", "/api/v6/admin/users", user.auth, bad, &r);
    expect_chat_error("bad body, non-staff", &r, 403, "you are not staff");
    http_response_free(&r);
    fx_request("POST", "/api/v6/guilds", NULL, "{\"name\": 5}", &r);
    expect_chat_error("bad guild body, no token", &r, 401, "No token provided");
    http_response_free(&r);

    /* The same body from staff is a validation error naming the fields. */
    fx_request("PUT", "/api/v6/admin/users", staff.auth, bad, &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "message"), "bad payload");
    cr_expect_str_eq(fx_str(&doc, "username.0"), "must be of username type", "%s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

/* --- login --------------------------------------------------------------------- */

Test(auth_login, correct_password_gives_a_working_token)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char token[400];
    login_ok(u.email, u.password, u.id, token, sizeof token);
    /* Litecord's shape: three dot-separated parts. */
    const char *a = strchr(token, '.');
    cr_expect(a && strchr(a + 1, '.') && !strchr(strchr(a + 1, '.') + 1, '.'), "token %s", token);
    int64_t id = 0;
    cr_expect(token_chat_user_id(token, &id));
    cr_expect_eq(id, strtoll(u.id, NULL, 10));
}

Test(auth_login, email_is_case_insensitive)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char upper[96], token[400];
    snprintf(upper, sizeof upper, "%s", u.email);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    cr_assert_str_neq(upper, u.email);
    login_ok(upper, u.password, u.id, token, sizeof token);
    /* The password is not. */
    char wrong[48];
    snprintf(wrong, sizeof wrong, "%s", u.password);
    wrong[0] = (char)(wrong[0] - 'a' + 'A');
    struct http_response r;
    login(u.email, wrong, &r);
    cr_expect_eq(r.status, 400, "a password with another case logs in: %s", r.body);
    http_response_free(&r);
}

Test(auth_login, wrong_password_and_unknown_email_are_indistinguishable)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char nobody[96];
    fx_unique(nobody, sizeof nobody, "nobody");
    strcat(nobody, "@example.com");

    struct http_response wrong, unknown;
    login(u.email, "wrong password", &wrong);
    login(nobody, "wrong password", &unknown);
    expect_chat_error("wrong password", &wrong, 400, "Invalid email or password.");
    cr_expect_eq(wrong.status, unknown.status);
    cr_expect_eq(wrong.body_len, unknown.body_len, "%s vs %s", wrong.body, unknown.body);
    cr_expect_str_eq(wrong.body, unknown.body);
    const char *t1 = http_header(&wrong, "Content-Type"), *t2 = http_header(&unknown, "Content-Type");
    cr_expect(t1 && t2 && strcmp(t1, t2) == 0);
    http_response_free(&wrong);
    http_response_free(&unknown);

    /* Nor does a malformed address tell anything more. */
    login("not-an-address", "wrong password", &unknown);
    login(u.email, "x", &wrong);
    cr_expect_str_eq(wrong.body, unknown.body);
    http_response_free(&wrong);
    http_response_free(&unknown);
}

Test(auth_login, only_the_whole_address_logs_in)
{
    /* The longest address there can be (255 characters); anything longer,
     * even sharing its first 255 characters, is another address. */
    char name[40], email[300], password[] = "long address password";
    fx_unique(name, sizeof name, "long");
    size_t tail = strlen("@example.com");
    memset(email, 'a', 255 - tail);
    memcpy(email, name, strlen(name));
    strcpy(email + 255 - tail, "@example.com");
    cr_assert_eq(strlen(email), 255);
    char *out = NULL;
    int rc = fx_ctl(&out, (const char *const[]){"add-user", name, email, password, NULL});
    cr_assert_eq(rc, 0, "add-user with a 255-character email: %s", out ? out : "");
    char id[32];
    cr_assert_eq(sscanf(out, "%31s", id), 1);
    free(out);

    char token[400];
    login_ok(email, password, id, token, sizeof token);

    char longer[300];
    memcpy(longer, email, 255);
    strcpy(longer + 255, "m");
    struct http_response r;
    login(longer, password, &r);
    expect_chat_error("the address and one more character", &r, 400, "Invalid email or password.");
    http_response_free(&r);
}

Test(auth_login, missing_or_mistyped_fields_name_the_field)
{
    struct http_response r;
    fx_request("POST", "/api/v6/auth/login", NULL, "{\"email\": \"a@b.c\"}", &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "password.0"), "required field", "%s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);

    fx_request("POST", "/api/v6/auth/login", NULL, NULL, &r);
    expect_chat_error("no body", &r, 400, "No JSON provided");
    http_response_free(&r);

    fx_request("POST", "/api/v6/auth/login", NULL, "{\"email\": 5, \"password\": true}", &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    bson_init(&doc);
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "email.0"), "must be of string type", "%s", r.body);
    cr_expect_str_eq(fx_str(&doc, "password.0"), "must be of string type", "%s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

/* An operator object (or any object) in a field is a 400 naming that field,
 * never a query that matches someone. */
static void expect_field_refused(const char *path, const char *body, const char *field)
{
    struct http_response r;
    fx_request("POST", path, NULL, body, &r);
    cr_expect_eq(r.status, 400, "%s %s: %ld %s", path, body, r.status, r.body);
    cr_expect_null(strstr(r.body, "token"), "%s %s gave a token: %s", path, body, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    char key[80];
    snprintf(key, sizeof key, "%s.0", field);
    cr_expect_neq(fx_str(&doc, key)[0], '\0', "%s: no message under \"%s\" in %s", body, field,
                  r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

Test(auth_login, operator_objects_are_refused_naming_the_field)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char body[512];
    expect_field_refused("/api/v6/auth/login", "{\"email\": {\"$gt\": \"\"}, \"password\": \"x\"}",
                         "email");
    expect_field_refused("/api/v6/auth/login", "{\"email\": {\"$regex\": \".*\"}, \"password\": \"x\"}",
                         "email");
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": {\"$ne\": null}}", u.email);
    expect_field_refused("/api/v6/auth/login", body, "password");
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": {\"$exists\": true}}", u.email);
    expect_field_refused("/api/v6/auth/login", body, "password");
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": [\"%s\"]}", u.email, u.password);
    expect_field_refused("/api/v6/auth/login", body, "password");
    /* A top-level operator is no login either. */
    struct http_response r;
    snprintf(body, sizeof body, "{\"$where\": \"1\", \"email\": \"%s\", \"password\": \"x\"}", u.email);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect_null(strstr(r.body, "token"), "%s", r.body);
    http_response_free(&r);
}

Test(auth_login, password_change_revokes_tokens)
{
    struct fx_chat_user u;
    fx_chat_user(&u, true);
    char login_token[400], auth[420];
    login_ok(u.email, u.password, u.id, login_token, sizeof login_token);

    char *out = NULL;
    int rc = fx_ctl(&out, (const char *const[]){"set-password", u.username, u.discriminator,
                                                "the new password", NULL});
    cr_assert_eq(rc, 0, "set-password: %s", out ? out : "");
    free(out);

    /* Both the wardenctl token and the login token are dead. */
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", u.auth, NULL, &r);
    expect_chat_error("wardenctl token after set-password", &r, 403, "Invalid token");
    http_response_free(&r);
    header(auth, sizeof auth, login_token);
    fx_request("GET", "/api/v6/admin/instance/invites", auth, NULL, &r);
    expect_chat_error("login token after set-password", &r, 403, "Invalid token");
    http_response_free(&r);

    /* The old password no longer logs in; the new one does. */
    login(u.email, u.password, &r);
    expect_chat_error("old password", &r, 400, "Invalid email or password.");
    http_response_free(&r);
    char fresh[400];
    login_ok(u.email, "the new password", u.id, fresh, sizeof fresh);
    header(auth, sizeof auth, fresh);
    fx_request("GET", "/api/v6/admin/instance/invites", auth, NULL, &r);
    cr_expect_eq(r.status, 200, "new token as staff: %s", r.body);
    http_response_free(&r);
}

Test(auth_login, tokens_survive_unrelated_changes)
{
    /* Flags change, the password does not: tokens stay valid. */
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char *out = NULL;
    cr_assert_eq(fx_ctl(&out, (const char *const[]){"make-staff", u.username, u.discriminator, NULL}),
                 0, "%s", out ? out : "");
    free(out);
    struct http_response r;
    fx_request("GET", "/api/v6/admin/instance/invites", u.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "made staff, the old token: %ld %s", r.status, r.body);
    http_response_free(&r);
    cr_assert_eq(fx_ctl(&out, (const char *const[]){"unmake-staff", u.username, u.discriminator, NULL}),
                 0, "%s", out ? out : "");
    free(out);
    fx_request("GET", "/api/v6/admin/instance/invites", u.auth, NULL, &r);
    expect_chat_error("staff flag cleared", &r, 403, "you are not staff");
    http_response_free(&r);
}

/* --- registration --------------------------------------------------------------- */

Test(auth_register, disabled_by_default)
{
    char name[40], body[256];
    fx_unique(name, sizeof name, "reg");
    snprintf(body, sizeof body,
             "{\"username\": \"%s\", \"email\": \"%s@example.com\", \"password\": \"long enough\"}",
             name, name);
    struct http_response r;
    fx_request("POST", "/api/v6/auth/register", NULL, body, &r);
    expect_chat_error("register", &r, 400, "Registrations disabled");
    http_response_free(&r);
    char filter[128];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    cr_expect_eq(fx_db_count("users", filter), 0, "a user was created anyway");
    /* Whatever the body. */
    fx_request("POST", "/api/v6/auth/register", NULL, NULL, &r);
    expect_chat_error("register without a body", &r, 400, "Registrations disabled");
    http_response_free(&r);
}
