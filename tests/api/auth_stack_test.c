/*
 * Authentication on private stacks, for what the shared one cannot show:
 * open registration (WARDEN_REGISTRATIONS=1), and logs that never hold a
 * password, a password hash or a token, read from a stack whose traffic is
 * all this test's own.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/fixtures.h"
#include "support/stack.h"

/* libmongoc counts in a /dev/shm file named after the pid; one left by a
 * killed process whose pid a new wardenctl gets makes the driver print a
 * warning on stderr as the library loads, before main. That is the test
 * environment's doing (workers are SIGKILLed here), not what these tests
 * check: the counters are turned off for every process a test starts. */
static void quiet_driver(void)
{
    cr_assert_eq(setenv("MONGOC_DISABLE_SHM", "1", 1), 0);
}

TestSuite(auth_register_open, .init = quiet_driver);
TestSuite(auth_logs, .init = quiet_driver);

/* --- helpers ------------------------------------------------------------------ */

static void request(const struct stack *s, const char *method, const char *path, const char *auth,
                    const char *content_type, const char *body, struct http_response *r)
{
    fx_request_raw_at(s, method, path, auth, content_type, body, body ? strlen(body) : 0, r);
}

static void post_json(const struct stack *s, const char *path, const char *body, struct http_response *r)
{
    request(s, "POST", path, NULL, "application/json", body, r);
}

/* wardenctl on the private stack's database: its result line. */
static void ctl_ok(const struct stack *s, char *line, size_t size, const char *const *args)
{
    fx_ctl_ok(s, line, size, args);
}

static void start(struct stack *s, const char *const *pool_args)
{
    cr_assert_eq(stack_start(s, pool_args), 0, "the private stack did not start");
}

/* Stop the stack, failing on sanitizer reports; the logs are read before. */
static void stop(struct stack *s)
{
    cr_expect_eq(stack_stop(s), 0, "the private stack's pool reported a sanitizer error");
}

/* --- open registration ---------------------------------------------------------- */

/* A 400 whose key `field` lists `message`. */
static void expect_field_error(const struct stack *s, const char *body, const char *field,
                               const char *message)
{
    struct http_response r;
    post_json(s, "/api/v6/auth/register", body, &r);
    cr_expect_eq(r.status, 400, "%s: %ld %s", body, r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "message"), "bad payload", "%s: %s", body, r.body);
    char key[64];
    snprintf(key, sizeof key, "%s.0", field);
    if (message)
        cr_expect_str_eq(fx_str(&doc, key), message, "%s: %s", body, r.body);
    else
        cr_expect_neq(fx_str(&doc, key)[0], '\0', "%s: nothing under %s in %s", body, field, r.body);
    cr_expect_null(strstr(r.body, "token"), "%s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

Test(auth_register_open, creates_users_and_refuses_duplicates, .timeout = 180)
{
    cr_assert_eq(setenv("WARDEN_REGISTRATIONS", "1", 1), 0);
    struct stack s;
    start(&s, NULL);

    char name[40], body[512];
    fx_unique(name, sizeof name, "reg");
    snprintf(body, sizeof body,
             "{\"username\": \"%s\", \"email\": \"%s@example.com\", \"password\": \"long enough\","
             " \"consent\": true, \"fingerprint\": null}",
             name, name);
    struct http_response r;
    post_json(&s, "/api/v6/auth/register", body, &r);
    cr_assert_eq(r.status, 200, "register: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    char auth[400];
    snprintf(auth, sizeof auth, "Authorization: %s", fx_str(&doc, "token"));
    bson_destroy(&doc);
    http_response_free(&r);

    request(&s, "GET", "/api/v6/users/@me", auth, NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "the registration token is refused: %ld %s", r.status, r.body);
    bson_init(&doc);
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "username"), name);
    char email[96];
    snprintf(email, sizeof email, "%s@example.com", name);
    cr_expect_str_eq(fx_str(&doc, "email"), email);
    cr_expect_eq(fx_int(&doc, "flags", -1), 0, "a registered user has flags: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);

    /* It logs in. */
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"long enough\"}", email);
    post_json(&s, "/api/v6/auth/login", body, &r);
    cr_expect_eq(r.status, 200, "login of a registered user: %ld %s", r.status, r.body);
    http_response_free(&r);

    /* The same email in any case is taken, by another name too. */
    char upper[96], other[40];
    snprintf(upper, sizeof upper, "%s", email);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    fx_unique(other, sizeof other, "reg");
    const char *emails[] = {email, upper};
    for (size_t i = 0; i < 2; i++) {
        snprintf(body, sizeof body,
                 "{\"username\": \"%s\", \"email\": \"%s\", \"password\": \"long enough\"}", other,
                 emails[i]);
        post_json(&s, "/api/v6/auth/register", body, &r);
        cr_expect_eq(r.status, 400, "duplicate %s: %ld %s", emails[i], r.status, r.body);
        bson_init(&doc);
        fx_json(&r, &doc);
        cr_expect_str_eq(fx_str(&doc, "message"), "Email already used.", "%s", r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }

    /* Field rules, each naming its field. */
    char fresh[96];
    snprintf(fresh, sizeof fresh, "%s@example.org", other);
    snprintf(body, sizeof body, "{\"username\": \"a-b\", \"email\": \"%s\", \"password\": \"long enough\"}", fresh);
    expect_field_error(&s, body, "username", "must be of username type");
    snprintf(body, sizeof body, "{\"username\": \"a\", \"email\": \"%s\", \"password\": \"long enough\"}", fresh);
    expect_field_error(&s, body, "username", "must be of username type");
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": \"a@b\", \"password\": \"long enough\"}", other);
    expect_field_error(&s, body, "email", "must be of email type");
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": \"%s\", \"password\": \"1234567\"}", other, fresh);
    expect_field_error(&s, body, "password", "min length is 8");
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": \"%s\"}", other, fresh);
    expect_field_error(&s, body, "password", "required field");

    /* Operator objects in any field. */
    snprintf(body, sizeof body, "{\"username\": {\"$ne\": \"\"}, \"email\": \"%s\", \"password\": \"long enough\"}", fresh);
    expect_field_error(&s, body, "username", NULL);
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": {\"$gt\": \"\"}, \"password\": \"long enough\"}", other);
    expect_field_error(&s, body, "email", NULL);
    snprintf(body, sizeof body, "{\"username\": \"%s\", \"email\": \"%s\", \"password\": {\"$type\": 2}}", other, fresh);
    expect_field_error(&s, body, "password", NULL);

    /* None of the refused attempts created anyone: the address is still free. */
    snprintf(body, sizeof body,
             "{\"username\": \"%s\", \"email\": \"%s\", \"password\": \"long enough\"}", other, fresh);
    post_json(&s, "/api/v6/auth/register", body, &r);
    cr_expect_eq(r.status, 200, "after refusals: %ld %s", r.status, r.body);
    http_response_free(&r);

    stop(&s);
}

/* --- logs ------------------------------------------------------------------------ */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    cr_assert(text);
    size_t n = fread(text, 1, (size_t)len, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void expect_absent(const char *log, const char *log_name, const char *what, const char *secret)
{
    if (!secret || !*secret)
        return;
    cr_expect_null(strstr(log, secret), "%s appears in %s: %s", what, log_name, secret);
}

Test(auth_logs, no_password_hash_or_token_is_logged, .timeout = 180)
{
    /* Registration open too, so that every way to an account is logged. */
    cr_assert_eq(setenv("WARDEN_REGISTRATIONS", "1", 1), 0);
    struct stack s;
    start(&s, (const char *const[]){"--log-level", "debug", "--slow-ms", "1", NULL});

    /* A chat user and a game user on this stack. */
    char name[40], email[96], line[256], password[] = "log test password";
    fx_unique(name, sizeof name, "log");
    snprintf(email, sizeof email, "%s@example.com", name);
    ctl_ok(&s, line, sizeof line, (const char *const[]){"add-user", name, email, password, NULL});
    char game[24];
    fx_unique(game, sizeof game, "g");
    ctl_ok(&s, NULL, 0, (const char *const[]){"game-add-user", game, email, password, NULL});
    ctl_ok(&s, NULL, 0, (const char *const[]){"game-grant", game, "Api", "UserQuery", NULL});

    /* Chat: a login, its token used (also with the Bot prefix and forged),
     * failed logins. */
    char body[512], token[400], auth[420];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"%s\"}", email, password);
    struct http_response r;
    post_json(&s, "/api/v6/auth/login", body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    snprintf(token, sizeof token, "%s", fx_str(&doc, "token"));
    bson_destroy(&doc);
    http_response_free(&r);
    snprintf(auth, sizeof auth, "Authorization: %s", token);
    for (int i = 0; i < 3; i++) {
        request(&s, "GET", "/api/v6/users/@me", auth, NULL, NULL, &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        http_response_free(&r);
    }
    request(&s, "GET", "/api/v6/admin/users?username=x", auth, NULL, NULL, &r);
    cr_assert_eq(r.status, 403, "%s", r.body);
    http_response_free(&r);
    snprintf(auth, sizeof auth, "Authorization: Bot %s", token);
    request(&s, "GET", "/api/v6/users/@me", auth, NULL, NULL, &r);
    http_response_free(&r);
    char forged[400];
    snprintf(forged, sizeof forged, "%s", token);
    forged[strlen(forged) - 10] = forged[strlen(forged) - 10] == 'A' ? 'B' : 'A';
    snprintf(auth, sizeof auth, "Authorization: %s", forged);
    request(&s, "GET", "/api/v6/users/@me", auth, NULL, NULL, &r);
    cr_assert_eq(r.status, 403, "%s", r.body);
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"wrong %s\"}", email, password);
    post_json(&s, "/api/v6/auth/login", body, &r);
    cr_assert_eq(r.status, 400, "%s", r.body);
    http_response_free(&r);
    /* A malformed body carrying the password (the reader's debug line). */
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"%s\"", email, password);
    post_json(&s, "/api/v6/auth/login", body, &r);
    cr_assert_eq(r.status, 400, "%s", r.body);
    http_response_free(&r);

    /* Open and invite registration, their tokens used. */
    char reg_name[40], reg_token[400], inv_token[400], invite[16];
    fx_unique(reg_name, sizeof reg_name, "reg");
    snprintf(body, sizeof body,
             "{\"username\": \"%s\", \"email\": \"%s@example.org\", \"password\": \"%s\"}",
             reg_name, reg_name, password);
    post_json(&s, "/api/v6/auth/register", body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&doc);
    fx_json(&r, &doc);
    snprintf(reg_token, sizeof reg_token, "%s", fx_str(&doc, "token"));
    bson_destroy(&doc);
    http_response_free(&r);
    snprintf(auth, sizeof auth, "Authorization: %s", reg_token);
    request(&s, "GET", "/api/v6/users/@me", auth, NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    ctl_ok(&s, invite, sizeof invite, (const char *const[]){"make-invite", "1", NULL});
    fx_unique(reg_name, sizeof reg_name, "inv");
    snprintf(body, sizeof body, "username=%s&email=%s%%40example.org&password=log+test+password&invcode=%s",
             reg_name, reg_name, invite);
    request(&s, "POST", "/api/v6/auth/register_inv", NULL, "application/x-www-form-urlencoded", body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&doc);
    fx_json(&r, &doc);
    snprintf(inv_token, sizeof inv_token, "%s", fx_str(&doc, "token"));
    bson_destroy(&doc);
    http_response_free(&r);
    snprintf(auth, sizeof auth, "Authorization: %s", inv_token);
    request(&s, "GET", "/api/v6/users/@me", auth, NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    /* Game: password grant (JSON and form), refresh, the bearer token used. */
    char hex[65], access[600], refresh_token[64], game_auth[640];
    fx_sha256_hex(password, hex);
    snprintf(body, sizeof body, "{\"grant_type\": \"password\", \"username\": \"%s\", \"password\": \"%s\"}",
             game, hex);
    post_json(&s, "/api/oauth/token", body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&doc);
    fx_json(&r, &doc);
    snprintf(refresh_token, sizeof refresh_token, "%s", fx_str(&doc, "refresh_token"));
    bson_destroy(&doc);
    http_response_free(&r);
    snprintf(body, sizeof body, "grant_type=refresh_token&refresh_token=%s", refresh_token);
    request(&s, "POST", "/api/oauth/token", NULL, "application/x-www-form-urlencoded", body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&doc);
    fx_json(&r, &doc);
    snprintf(access, sizeof access, "%s", fx_str(&doc, "access_token"));
    char second_refresh[64];
    snprintf(second_refresh, sizeof second_refresh, "%s", fx_str(&doc, "refresh_token"));
    bson_destroy(&doc);
    http_response_free(&r);
    snprintf(game_auth, sizeof game_auth, "Authorization: Bearer %s", access);
    request(&s, "GET", "/api/v1/info/authorized", game_auth, NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s", game);
    request(&s, "GET", path, game_auth, NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_null(strstr(r.body, "$argon2"), "the user view shows the hash: %s", r.body);
    http_response_free(&r);
    snprintf(body, sizeof body, "grant_type=password&username=%s&password=%s", game, hex);
    request(&s, "POST", "/api/oauth/token", NULL, "application/x-www-form-urlencoded", body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"grant_type\": \"password\", \"username\": \"%s\", \"password\": \"%s\"}",
             game, password);
    post_json(&s, "/api/oauth/token", body, &r);
    cr_assert_eq(r.status, 400, "%s", r.body);
    http_response_free(&r);

    /* The logs, read with the stack stopped (everything flushed) but kept. */
    cr_assert_eq(setenv("WARDEN_KEEP_STACK", "1", 1), 0);
    char dir[STACK_STR_MAX], log_path[STACK_STR_MAX + 64];
    snprintf(dir, sizeof dir, "%s", s.dir);
    cr_assert_eq(stack_log_path(&s, log_path, sizeof log_path), 0);
    stop(&s);
    char *pool_log = read_file(log_path);
    char other_path[STACK_STR_MAX + 64];
    snprintf(other_path, sizeof other_path, "%s/log/nginx-access.log", dir);
    char *access_log = read_file(other_path);
    snprintf(other_path, sizeof other_path, "%s/log/nginx-error.log", dir);
    char *error_log = read_file(other_path);
    stack_remove_dir(dir);

    /* The pool did log these requests (so a token in them would show). */
    cr_assert_neq(strstr(pool_log, "/api/v6/users/@me"), NULL, "no access lines in the pool's log");
    cr_assert_neq(strstr(pool_log, "/api/oauth/token"), NULL, "no access lines in the pool's log");

    const char *sig = strrchr(token, '.') + 1;
    const char *game_sig = strrchr(access, '.') + 1;
    const char *logs[] = {pool_log, access_log, error_log};
    const char *names[] = {"the pool's log", "nginx's access log", "nginx's error log"};
    for (size_t i = 0; i < 3; i++) {
        expect_absent(logs[i], names[i], "an Argon2 hash", "$argon2");
        expect_absent(logs[i], names[i], "the chat token", token);
        expect_absent(logs[i], names[i], "the chat token's signature", sig);
        expect_absent(logs[i], names[i], "a registration token", reg_token);
        expect_absent(logs[i], names[i], "a registration token's signature", strrchr(reg_token, '.') + 1);
        expect_absent(logs[i], names[i], "an invite registration token", inv_token);
        expect_absent(logs[i], names[i], "an invite registration token's signature",
                      strrchr(inv_token, '.') + 1);
        expect_absent(logs[i], names[i], "the forged token's signature", strrchr(forged, '.') + 1);
        expect_absent(logs[i], names[i], "the game access token", access);
        expect_absent(logs[i], names[i], "the game token's signature", game_sig);
        expect_absent(logs[i], names[i], "a refresh token", refresh_token);
        expect_absent(logs[i], names[i], "a refresh token", second_refresh);
        expect_absent(logs[i], names[i], "the password", password);
        expect_absent(logs[i], names[i], "the password's SHA-256", hex);
    }
    free(pool_log);
    free(access_log);
    free(error_log);
}
