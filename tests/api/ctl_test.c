/*
 * wardenctl against the shared stack's database: exit statuses (0 done,
 * 1 not found or refused, 2 usage), errors as one line on stderr, and the
 * outputs scripts rely on (`add-user`'s "<id> <username>#<discriminator>",
 * `token`'s token alone).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

TestSuite(auth_ctl, .init = quiet_driver);

struct run {
    int status;
    char *out; /* stdout */
    char *err; /* stderr */
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot read %s", path);
    char *text = NULL;
    size_t cap = 0, len = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            text = realloc(text, cap);
            cr_assert(text);
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!text) {
        text = malloc(1);
        cr_assert(text);
    }
    text[len] = '\0';
    return text;
}

/* wardenctl with args, stdout and stderr apart; stdin is `input` when
 * non-NULL (else /dev/null). */
static void ctl_input(struct run *r, const char *input, const char *const *args)
{
    const char *dir = getenv("WARDEN_BIN_DIR");
    char bin[512], errpath[] = "/tmp/wardenctl-err-XXXXXX";
    snprintf(bin, sizeof bin, "%s/wardenctl", dir && *dir ? dir : "build/release");
    int fd = mkstemp(errpath);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    cr_assert_eq(setenv("CTL_ERR", errpath, 1), 0);
    cr_assert_eq(setenv("CTL_INPUT", input ? input : "", 1), 0);
    /* sh -c SCRIPT sh BIN ARGS...: "$@" is the wardenctl command line. */
    const char *argv[40] = {"sh", "-c",
                            input ? "printf '%s\\n' \"$CTL_INPUT\" | \"$@\" 2>\"$CTL_ERR\""
                                  : "exec \"$@\" 2>\"$CTL_ERR\"",
                            "sh", bin};
    size_t n = 5;
    for (size_t i = 0; args[i]; i++) {
        cr_assert(n < 39);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    r->status = stack_run(argv, &r->out);
    cr_assert(r->out);
    r->err = slurp(errpath);
    unlink(errpath);
}

static void ctl(struct run *r, const char *const *args)
{
    ctl_input(r, NULL, args);
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

/* Exit status and a one-line reason on stderr, nothing on stdout. */
static void expect_failure(const char *what, const char *const *args, int status)
{
    struct run r;
    ctl(&r, args);
    cr_expect_eq(r.status, status, "%s: exit %d, stderr %s", what, r.status, r.err);
    cr_expect_str_eq(r.out, "", "%s: printed on stdout", what);
    cr_expect_eq(lines(r.err), 1, "%s: stderr is not one line: %s", what, r.err);
    cr_expect(strncmp(r.err, "wardenctl", 9) == 0 || strncmp(r.err, "usage: wardenctl", 16) == 0,
              "%s: stderr %s", what, r.err);
    run_free(&r);
}

Test(auth_ctl, unknown_command_is_usage_on_stderr)
{
    struct run r;
    ctl(&r, (const char *const[]){"frobnicate", NULL});
    cr_expect_eq(r.status, 2, "exit %d", r.status);
    cr_expect_str_eq(r.out, "");
    cr_expect_neq(strstr(r.err, "unknown command 'frobnicate'"), NULL, "%s", r.err);
    cr_expect_neq(strstr(r.err, "usage: wardenctl"), NULL, "no usage: %s", r.err);
    cr_expect_neq(strstr(r.err, "make-staff"), NULL, "usage lists no commands: %s", r.err);
    run_free(&r);

    ctl(&r, (const char *const[]){NULL});
    cr_expect_eq(r.status, 2, "no command: exit %d", r.status);
    cr_expect_str_eq(r.out, "");
    cr_expect_neq(strstr(r.err, "usage: wardenctl"), NULL, "%s", r.err);
    run_free(&r);

    /* Asked for, the usage goes to stdout with status 0. */
    ctl(&r, (const char *const[]){"help", NULL});
    cr_expect_eq(r.status, 0);
    cr_expect_neq(strstr(r.out, "usage: wardenctl"), NULL, "%s", r.out);
    cr_expect_str_eq(r.err, "");
    run_free(&r);
}

Test(auth_ctl, bad_arguments_are_status_2)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    struct fx_game_user g;
    fx_game_user(&g, "", false);
    char unique[40], email[80];
    fx_unique(unique, sizeof unique, "ctl");
    snprintf(email, sizeof email, "%s@example.com", unique);

    expect_failure("make-staff with one argument", (const char *const[]){"make-staff", u.username, NULL}, 2);
    expect_failure("make-staff with three arguments",
                   (const char *const[]){"make-staff", u.username, u.discriminator, "x", NULL}, 2);
    expect_failure("discriminator 'abc'", (const char *const[]){"make-staff", u.username, "abc", NULL}, 2);
    expect_failure("discriminator 0", (const char *const[]){"make-staff", u.username, "0", NULL}, 2);
    expect_failure("discriminator 10000", (const char *const[]){"make-staff", u.username, "10000", NULL}, 2);
    expect_failure("unknown flag",
                   (const char *const[]){"set-flag", u.username, u.discriminator, "wizard", NULL}, 2);
    expect_failure("invalid username",
                   (const char *const[]){"add-user", "bad-name", email, "password1", NULL}, 2);
    expect_failure("invalid email",
                   (const char *const[]){"add-user", unique, "not-an-email", "password1", NULL}, 2);
    expect_failure("short password", (const char *const[]){"add-user", unique, email, "1234", NULL}, 2);
    expect_failure("short new password",
                   (const char *const[]){"set-password", u.username, u.discriminator, "1234", NULL}, 2);
    expect_failure("make-invite 0", (const char *const[]){"make-invite", "0", NULL}, 2);
    expect_failure("make-invite abc", (const char *const[]){"make-invite", "abc", NULL}, 2);
    expect_failure("game name 'a'", (const char *const[]){"game-add-user", "a", email, "pw", NULL}, 2);
    expect_failure("unknown right", (const char *const[]){"game-grant", g.name, "Wizard", NULL}, 2);
    expect_failure("presence 'away'", (const char *const[]){"game-presence", "somebody", "away", NULL}, 2);

    /* Nothing was created or changed by the refused commands. */
    char filter[128];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", unique);
    cr_expect_eq(fx_db_count("users", filter), 0);
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", u.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "the password changed anyway: %s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_eq(fx_int(&doc, "flags", -1), 0, "flags changed: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}

Test(auth_ctl, not_found_is_status_1_with_one_line)
{
    char nobody[40];
    fx_unique(nobody, sizeof nobody, "nobody");
    struct run r;
    ctl(&r, (const char *const[]){"make-staff", nobody, "0001", NULL});
    cr_expect_eq(r.status, 1, "exit %d", r.status);
    cr_expect_str_eq(r.out, "");
    char expected[128];
    snprintf(expected, sizeof expected, "wardenctl: no user %s#0001\n", nobody);
    cr_expect_str_eq(r.err, expected);
    run_free(&r);

    expect_failure("token for nobody", (const char *const[]){"token", nobody, "0001", NULL}, 1);
    expect_failure("set-password for nobody",
                   (const char *const[]){"set-password", nobody, "42", "password1", NULL}, 1);
    expect_failure("unmake-staff for nobody", (const char *const[]){"unmake-staff", nobody, "9999", NULL}, 1);
    expect_failure("game-grant for nobody", (const char *const[]){"game-grant", nobody, "Api", NULL}, 1);
    expect_failure("game-set-password for nobody",
                   (const char *const[]){"game-set-password", nobody, "pw", NULL}, 1);
    expect_failure("delete-invite of nothing", (const char *const[]){"delete-invite", "zZ9zZ9", NULL}, 1);
}

Test(auth_ctl, add_user_prints_id_and_tag)
{
    char name[40], email[80];
    fx_unique(name, sizeof name, "ctl");
    snprintf(email, sizeof email, "%s@Example.com", name);
    struct run r;
    ctl(&r, (const char *const[]){"add-user", name, email, "password1", NULL});
    cr_assert_eq(r.status, 0, "add-user: %d %s", r.status, r.err);
    cr_expect_str_eq(r.err, "");
    cr_expect_eq(lines(r.out), 1, "%s", r.out);
    /* "<id> <username>#<discriminator>\n" */
    char id[32] = "", tag[64] = "";
    cr_assert_eq(sscanf(r.out, "%31s %63s", id, tag), 2, "%s", r.out);
    cr_expect_eq(strspn(id, "0123456789"), strlen(id), "id %s", id);
    cr_expect_gt(strlen(id), 10, "id %s is not a snowflake", id);
    char *hash = strrchr(tag, '#');
    cr_assert(hash, "no '#' in %s", tag);
    *hash = '\0';
    const char *disc = hash + 1;
    cr_expect_str_eq(tag, name);
    cr_expect_eq(strlen(disc), 4, "discriminator %s", disc);
    cr_expect_eq(strspn(disc, "0123456789"), 4, "discriminator %s", disc);
    cr_expect_str_neq(disc, "0000");
    char line[160];
    snprintf(line, sizeof line, "%s %s#%s\n", id, name, disc);
    cr_expect_str_eq(r.out, line);
    run_free(&r);

    /* The same email in any case is taken. */
    char upper[80], other[40];
    snprintf(upper, sizeof upper, "%s@EXAMPLE.COM", name);
    fx_unique(other, sizeof other, "ctl");
    ctl(&r, (const char *const[]){"add-user", other, upper, "password1", NULL});
    cr_expect_eq(r.status, 1, "duplicate email: %d %s", r.status, r.out);
    cr_expect_str_eq(r.err, "wardenctl: Email already used.\n");
    run_free(&r);

    /* That user logs in with the printed id. */
    char body[256];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"password1\"}", email);
    struct http_response h;
    fx_request("POST", "/api/v6/auth/login", NULL, body, &h);
    cr_assert_eq(h.status, 200, "%s", h.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&h, &doc);
    char auth[400];
    snprintf(auth, sizeof auth, "Authorization: %s", fx_str(&doc, "token"));
    bson_destroy(&doc);
    http_response_free(&h);
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &h);
    cr_assert_eq(h.status, 200, "%s", h.body);
    bson_init(&doc);
    fx_json(&h, &doc);
    cr_expect_str_eq(fx_str(&doc, "id"), id);
    cr_expect_str_eq(fx_str(&doc, "discriminator"), disc);
    bson_destroy(&doc);
    http_response_free(&h);
}

Test(auth_ctl, token_prints_the_token_alone)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    struct run r;
    ctl(&r, (const char *const[]){"token", u.username, u.discriminator, NULL});
    cr_assert_eq(r.status, 0, "token: %d %s", r.status, r.err);
    cr_expect_str_eq(r.err, "");
    cr_expect_eq(lines(r.out), 1, "not one line: %s", r.out);
    size_t len = strlen(r.out);
    cr_assert(len > 1 && r.out[len - 1] == '\n');
    r.out[len - 1] = '\0';
    cr_expect_eq(strcspn(r.out, " \t\r"), len - 1, "more than the token: '%s'", r.out);
    char auth[400];
    snprintf(auth, sizeof auth, "Authorization: %s", r.out);
    struct http_response h;
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &h);
    cr_expect_eq(h.status, 200, "the printed token is refused: %s", h.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&h, &doc);
    cr_expect_str_eq(fx_str(&doc, "id"), u.id);
    bson_destroy(&doc);
    http_response_free(&h);
    run_free(&r);

    /* Without the secret there is no token. */
    char *saved = getenv("WARDEN_SECRET_FILE") ? strdup(getenv("WARDEN_SECRET_FILE")) : NULL;
    unsetenv("WARDEN_SECRET_FILE");
    unsetenv("WARDEN_SECRET");
    ctl(&r, (const char *const[]){"token", u.username, u.discriminator, NULL});
    cr_expect_neq(r.status, 0, "a token without a secret: %s", r.out);
    cr_expect_str_eq(r.out, "");
    cr_expect_eq(lines(r.err), 1, "%s", r.err);
    run_free(&r);
    if (saved) {
        setenv("WARDEN_SECRET_FILE", saved, 1);
        free(saved);
    }
}

Test(auth_ctl, password_from_stdin)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    struct run r;
    ctl_input(&r, "read from stdin",
              (const char *const[]){"set-password", u.username, u.discriminator, "-", NULL});
    cr_assert_eq(r.status, 0, "set-password -: %d %s", r.status, r.err);
    run_free(&r);
    char body[256];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"read from stdin\"}", u.email);
    struct http_response h;
    fx_request("POST", "/api/v6/auth/login", NULL, body, &h);
    cr_expect_eq(h.status, 200, "the password read from stdin does not log in: %s", h.body);
    http_response_free(&h);
}
