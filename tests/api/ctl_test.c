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
#include <pwd.h>
#include <unistd.h>

#include "support/ctl_run.h"
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

/* wardenctl on the shared stack's database; stdin is input when non-NULL. */
static void ctl_input(struct ctl_run *r, const char *input, const char *const *args)
{
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    ctl_run_in(r, NULL, input, args);
}

static void ctl(struct ctl_run *r, const char *const *args)
{
    ctl_input(r, NULL, args);
}

/* Exit status and a one-line reason on stderr, nothing on stdout. */
static void expect_failure(const char *what, const char *const *args, int status)
{
    struct ctl_run r;
    ctl(&r, args);
    cr_expect_eq(r.status, status, "%s: exit %d, stderr %s", what, r.status, r.err);
    cr_expect_str_eq(r.out, "", "%s: printed on stdout", what);
    cr_expect_eq(ctl_run_lines(r.err), 1, "%s: stderr is not one line: %s", what, r.err);
    cr_expect(strncmp(r.err, "wardenctl", 9) == 0 || strncmp(r.err, "usage: wardenctl", 16) == 0,
              "%s: stderr %s", what, r.err);
    ctl_run_free(&r);
}

Test(auth_ctl, unknown_command_is_usage_on_stderr)
{
    struct ctl_run r;
    ctl(&r, (const char *const[]){"frobnicate", NULL});
    cr_expect_eq(r.status, 2, "exit %d", r.status);
    cr_expect_str_eq(r.out, "");
    cr_expect_neq(strstr(r.err, "unknown command 'frobnicate'"), NULL, "%s", r.err);
    cr_expect_neq(strstr(r.err, "usage: wardenctl"), NULL, "no usage: %s", r.err);
    cr_expect_neq(strstr(r.err, "make-staff"), NULL, "usage lists no commands: %s", r.err);
    ctl_run_free(&r);

    ctl(&r, (const char *const[]){NULL});
    cr_expect_eq(r.status, 2, "no command: exit %d", r.status);
    cr_expect_str_eq(r.out, "");
    cr_expect_neq(strstr(r.err, "usage: wardenctl"), NULL, "%s", r.err);
    ctl_run_free(&r);

    /* Asked for, the usage goes to stdout with status 0. */
    ctl(&r, (const char *const[]){"help", NULL});
    cr_expect_eq(r.status, 0);
    cr_expect_neq(strstr(r.out, "usage: wardenctl"), NULL, "%s", r.out);
    cr_expect_str_eq(r.err, "");
    ctl_run_free(&r);
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
    struct ctl_run r;
    ctl(&r, (const char *const[]){"make-staff", nobody, "0001", NULL});
    cr_expect_eq(r.status, 1, "exit %d", r.status);
    cr_expect_str_eq(r.out, "");
    char expected[128];
    snprintf(expected, sizeof expected, "wardenctl: no user %s#0001\n", nobody);
    cr_expect_str_eq(r.err, expected);
    ctl_run_free(&r);

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
    struct ctl_run r;
    ctl(&r, (const char *const[]){"add-user", name, email, "password1", NULL});
    cr_assert_eq(r.status, 0, "add-user: %d %s", r.status, r.err);
    cr_expect_str_eq(r.err, "");
    cr_expect_eq(ctl_run_lines(r.out), 1, "%s", r.out);
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
    ctl_run_free(&r);

    /* The same email in any case is taken. */
    char upper[80], other[40];
    snprintf(upper, sizeof upper, "%s@EXAMPLE.COM", name);
    fx_unique(other, sizeof other, "ctl");
    ctl(&r, (const char *const[]){"add-user", other, upper, "password1", NULL});
    cr_expect_eq(r.status, 1, "duplicate email: %d %s", r.status, r.out);
    cr_expect_str_eq(r.err, "wardenctl: Email already used.\n");
    ctl_run_free(&r);

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
    struct ctl_run r;
    ctl(&r, (const char *const[]){"token", u.username, u.discriminator, NULL});
    cr_assert_eq(r.status, 0, "token: %d %s", r.status, r.err);
    cr_expect_str_eq(r.err, "");
    cr_expect_eq(ctl_run_lines(r.out), 1, "not one line: %s", r.out);
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
    ctl_run_free(&r);

    /* Without the secret there is no token. */
    char *saved = getenv("WARDEN_SECRET_FILE") ? strdup(getenv("WARDEN_SECRET_FILE")) : NULL;
    unsetenv("WARDEN_SECRET_FILE");
    unsetenv("WARDEN_SECRET");
    ctl(&r, (const char *const[]){"token", u.username, u.discriminator, NULL});
    cr_expect_neq(r.status, 0, "a token without a secret: %s", r.out);
    cr_expect_str_eq(r.out, "");
    cr_expect_eq(ctl_run_lines(r.err), 1, "%s", r.err);
    ctl_run_free(&r);
    if (saved) {
        setenv("WARDEN_SECRET_FILE", saved, 1);
        free(saved);
    }
}

Test(auth_ctl, password_from_stdin)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    struct ctl_run r;
    ctl_input(&r, "read from stdin",
              (const char *const[]){"set-password", u.username, u.discriminator, "-", NULL});
    cr_assert_eq(r.status, 0, "set-password -: %d %s", r.status, r.err);
    ctl_run_free(&r);
    char body[256];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"read from stdin\"}", u.email);
    struct http_response h;
    fx_request("POST", "/api/v6/auth/login", NULL, body, &h);
    cr_expect_eq(h.status, 200, "the password read from stdin does not log in: %s", h.body);
    http_response_free(&h);
}

/* --- every mutation leaves the API's records ------------------------------------------ */

/*
 * The audit entry of a wardenctl mutation: one entry for (action, target),
 * made by the operator (realm "operator", this uid and its login name) under
 * a "wardenctl-<pid>" request id. Returns it in out.
 */
static void expect_operator_audit(const char *action, const char *target_type,
                                  const char *target_id, bson_t *out)
{
    char filter[256];
    snprintf(filter, sizeof filter, "{\"action\": \"%s\", \"target.id\": \"%s\"}", action, target_id);
    cr_expect_eq(fx_db_count("audit_log", filter), 1, "one %s entry for %s", action, target_id);
    cr_assert(fx_db_find_one("audit_log", filter, out), "no %s entry for %s", action, target_id);
    cr_expect_str_eq(fx_str(out, "target.type"), target_type, "%s", action);
    cr_expect_str_eq(fx_str(out, "actor.realm"), "operator", "%s", action);
    cr_expect_eq(fx_int(out, "actor.id", -1), (int64_t)getuid(), "%s", action);
    const struct passwd *pw = getpwuid(getuid());
    if (pw)
        cr_expect_str_eq(fx_str(out, "actor.name"), pw->pw_name, "%s", action);
    cr_expect_eq(strncmp(fx_str(out, "request_id"), "wardenctl-", 10), 0, "%s: request id %s",
                 action, fx_str(out, "request_id"));
}

/* How many entries of (action, target) exist, for counting what one command adds. */
static int64_t audit_count(const char *action, const char *target_id)
{
    char filter[256];
    snprintf(filter, sizeof filter, "{\"action\": \"%s\", \"target.id\": \"%s\"}", action, target_id);
    return fx_db_count("audit_log", filter);
}

static int64_t events_of(const char *type, const char *user_id)
{
    char filter[256];
    snprintf(filter, sizeof filter, "{\"type\": \"%s\", \"user_id\": {\"$numberLong\": \"%s\"}}", type,
             user_id);
    return fx_db_count("gateway_events", filter);
}

static void ctl_ok(const char *const *args, char *out, size_t size)
{
    struct ctl_run r;
    ctl(&r, args);
    cr_assert_eq(r.status, 0, "%s: exit %d, %s", args[0], r.status, r.err);
    if (out)
        snprintf(out, size, "%s", r.out);
    ctl_run_free(&r);
}

Test(auth_ctl, chat_mutations_are_audited_and_sent_to_the_gateway_as_the_api_does)
{
    char name[40], email[80], line[160];
    fx_unique(name, sizeof name, "ctlaudit");
    snprintf(email, sizeof email, "%s@example.com", name);
    ctl_ok((const char *const[]){"add-user", name, email, "password1", NULL}, line, sizeof line);
    char id[32], tag[64];
    cr_assert_eq(sscanf(line, "%31s %63s", id, tag), 2, "%s", line);
    const char *disc = strrchr(tag, '#') + 1;

    bson_t a = BSON_INITIALIZER;
    expect_operator_audit("user.create", "user", id, &a);
    cr_expect_str_eq(fx_str(&a, "after.username"), name);
    bson_destroy(&a);

    /* make-staff: user.update with the flags before and after, and USER_UPDATE. */
    ctl_ok((const char *const[]){"make-staff", name, disc, NULL}, NULL, 0);
    bson_init(&a);
    expect_operator_audit("user.update", "user", id, &a);
    cr_expect_eq(fx_int(&a, "before.flags", -1), 0);
    cr_expect_eq(fx_int(&a, "after.flags", -1), 1);
    bson_destroy(&a);
    cr_expect_eq(events_of("USER_UPDATE", id), 1, "USER_UPDATE for make-staff");
    char filter[256];
    snprintf(filter, sizeof filter,
             "{\"type\": \"USER_UPDATE\", \"user_id\": {\"$numberLong\": \"%s\"}, \"data.flags\": 1}", id);
    cr_expect_eq(fx_db_count("gateway_events", filter), 1, "the event carries the new flags");

    /* Each later flag change adds one entry and one event; a no-op adds none. */
    static const char *const steps[][4] = {
        {"set-flag", "partner", NULL, NULL},
        {"unset-flag", "partner", NULL, NULL},
        {"unmake-staff", NULL, NULL, NULL},
        {"unmake-staff", NULL, NULL, NULL}, /* already not staff: nothing changes */
    };
    static const int64_t adds[] = {1, 1, 1, 0};
    for (size_t i = 0; i < 4; i++) {
        int64_t entries = audit_count("user.update", id), events = events_of("USER_UPDATE", id);
        const char *args[6] = {steps[i][0], name, disc, steps[i][1], NULL};
        ctl_ok(args, NULL, 0);
        cr_expect_eq(audit_count("user.update", id), entries + adds[i], "%s audited", steps[i][0]);
        cr_expect_eq(events_of("USER_UPDATE", id), events + adds[i], "%s sent", steps[i][0]);
    }
    snprintf(filter, sizeof filter,
             "{\"action\": \"user.update\", \"target.id\": \"%s\", \"before.flags\": 1, \"after.flags\": 0}",
             id);
    cr_expect_eq(fx_db_count("audit_log", filter), 1, "who was unmade staff is on record");

    /* set-password: user.password, and the gateway closes the user's sessions. */
    ctl_ok((const char *const[]){"set-password", name, disc, "password2", NULL}, NULL, 0);
    bson_init(&a);
    expect_operator_audit("user.password", "user", id, &a);
    cr_expect(!fx_str(&a, "after.password_hash")[0], "no hash in the audit log");
    bson_destroy(&a);
    cr_expect_eq(events_of("USER_DISCONNECT", id), 1, "USER_DISCONNECT for set-password");
}

Test(auth_ctl, invite_mutations_are_audited)
{
    char code[32];
    ctl_ok((const char *const[]){"make-invite", "3", NULL}, code, sizeof code);
    code[strcspn(code, "\n")] = '\0';
    bson_t a = BSON_INITIALIZER;
    expect_operator_audit("invite.create", "invite", code, &a);
    cr_expect_eq(fx_int(&a, "after.max_uses", -1), 3);
    bson_destroy(&a);
    ctl_ok((const char *const[]){"delete-invite", code, NULL}, NULL, 0);
    bson_init(&a);
    expect_operator_audit("invite.delete", "invite", code, &a);
    cr_expect_eq(fx_int(&a, "before.max_uses", -1), 3);
    bson_destroy(&a);
}

Test(auth_ctl, game_mutations_are_audited)
{
    char name[24], email[80], line[160];
    fx_unique(name, sizeof name, "ga");
    snprintf(email, sizeof email, "%s@example.com", name);
    ctl_ok((const char *const[]){"game-add-user", name, email, "secret", NULL}, line, sizeof line);
    char id[48], printed[32];
    cr_assert_eq(sscanf(line, "%47s %31s", id, printed), 2, "%s", line);
    bson_t a = BSON_INITIALIZER;
    expect_operator_audit("game_user.create", "user", id, &a);
    cr_expect_str_eq(fx_str(&a, "after.name"), name);
    bson_destroy(&a);

    ctl_ok((const char *const[]){"game-grant", name, "Api", "Ban", NULL}, NULL, 0);
    bson_init(&a);
    expect_operator_audit("game_user.rights", "user", id, &a);
    cr_expect_eq(fx_count(&a, "before.rights"), 0);
    cr_expect_eq(fx_count(&a, "after.rights"), 2, "Api and Ban");
    bson_destroy(&a);
    ctl_ok((const char *const[]){"game-revoke", name, "Ban", NULL}, NULL, 0);
    cr_expect_eq(audit_count("game_user.rights", id), 2, "the revocation is on record too");
    char filter[256];
    snprintf(filter, sizeof filter,
             "{\"action\": \"game_user.rights\", \"target.id\": \"%s\", \"after.rights\": [\"Api\"]}", id);
    cr_expect_eq(fx_db_count("audit_log", filter), 1, "rights after the revocation");

    ctl_ok((const char *const[]){"game-set-password", name, "other", NULL}, NULL, 0);
    bson_init(&a);
    expect_operator_audit("game_user.password", "user", id, &a);
    bson_destroy(&a);

    char player[24], player_id[48];
    fx_unique(player, sizeof player, "gp");
    ctl_ok((const char *const[]){"game-add-player", name, player, "--x", "4", NULL}, line, sizeof line);
    cr_assert_eq(sscanf(line, "%47s", player_id), 1, "%s", line);
    bson_init(&a);
    expect_operator_audit("player.create", "player", player_id, &a);
    cr_expect_str_eq(fx_str(&a, "after.user_id"), id);
    cr_expect_eq(fx_int(&a, "after.x", -1), 4);
    bson_destroy(&a);

    ctl_ok((const char *const[]){"game-presence", player, "online", "--ip", "192.0.2.7", NULL}, NULL, 0);
    bson_init(&a);
    expect_operator_audit("player.presence", "player", player_id, &a);
    cr_expect(fx_bool(&a, "after.online", false));
    cr_expect_str_eq(fx_str(&a, "after.ip"), "192.0.2.7");
    bson_destroy(&a);
}
