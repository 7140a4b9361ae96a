/*
 * wardenctl's settings and help, against the shared stack: --env-file (a
 * file that holds the URI and the secret), the environment winning over the
 * file, --mongodb-uri, --secret-file, the default file's path moved by
 * WARDEN_ENV_FILE (so that no test reads /etc/warden/warden.env), a `make run`
 * stack's var/stack.env found from the checkout, --version, `help COMMAND`
 * for every command, exit status 2 for every kind of usage error,
 * `bootstrap-staff` end to end, the README's wardenctl lines, and its
 * Quick start's wardenctl block and game walk-through run as written.
 *
 * Each test runs in a process of its own, so it sets and unsets variables
 * freely; wardenctl then runs with exactly that environment, in the
 * directory the test names.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/pool_support.h"
#include "support/ctl_run.h"
#include "support/fixtures.h"
#include "support/readme.h"
#include "support/stack.h"

static void quiet_driver(void)
{
    cr_assert_eq(setenv("MONGOC_DISABLE_SHM", "1", 1), 0); /* see ctl_test.c */
}

TestSuite(ctl_options, .init = quiet_driver);

/* A database nobody listens on, that fails fast. */
#define DEAD_URI "mongodb://127.0.0.1:1/warden?serverSelectionTimeoutMS=300&connectTimeoutMS=300"

/* A whole file; fails the test when it cannot be read. */
static char *slurp(const char *path)
{
    char *text = ps_read_file(path, NULL);
    cr_assert(text, "cannot read %s", path);
    return text;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fputs(text, f) >= 0, true);
    cr_assert_eq(fclose(f), 0);
}

static void ctl(struct ctl_run *r, const char *const *args)
{
    ctl_run_in(r, NULL, NULL, args);
}


/* The shared pool's secret file, as tests/api/main.c exported it. */
static const char *secret_file(void)
{
    const char *f = getenv("WARDEN_SECRET_FILE");
    cr_assert(f && *f, "no WARDEN_SECRET_FILE from the runner");
    return f;
}

/* Nothing given: no URI, no secret, no env file but what the test sets. */
static void bare_environment(void)
{
    unsetenv("WARDEN_MONGODB_URI");
    unsetenv("WARDEN_SECRET");
    unsetenv("WARDEN_SECRET_FILE");
    cr_assert_eq(setenv("WARDEN_ENV_FILE", "", 1), 0);
}

static void make_temp_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/wardenctl-opt-XXXXXX");
    cr_assert(mkdtemp(dir));
}

/* `token` for u printed a token that the pool accepts as u's. */
static void expect_token_works(const struct ctl_run *r, const struct fx_chat_user *u, const char *what)
{
    cr_assert_eq(r->status, 0, "%s: exit %d, %s", what, r->status, r->err);
    cr_expect_str_eq(r->err, "", "%s", what);
    char auth[400];
    snprintf(auth, sizeof auth, "Authorization: %.*s", (int)strcspn(r->out, "\n"), r->out);
    struct http_response h;
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &h);
    cr_expect_eq(h.status, 200, "%s: the token is refused: %s", what, h.body);
    if (h.status == 200) {
        bson_t doc = BSON_INITIALIZER;
        fx_json(&h, &doc);
        cr_expect_str_eq(fx_str(&doc, "id"), u->id, "%s: another user's token", what);
        bson_destroy(&doc);
    }
    http_response_free(&h);
}

/* The same for a token the pool must refuse (signed with another secret). */
static void expect_token_refused(const struct ctl_run *r, const char *what)
{
    cr_assert_eq(r->status, 0, "%s: exit %d, %s", what, r->status, r->err);
    char auth[400];
    snprintf(auth, sizeof auth, "Authorization: %.*s", (int)strcspn(r->out, "\n"), r->out);
    struct http_response h;
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &h);
    cr_expect_eq(h.status, 403, "%s: a token of another secret: %s", what, h.body);
    cr_expect_neq(strstr(h.body, "Invalid token"), NULL, "%s: %s", what, h.body);
    http_response_free(&h);
}

/* --- --version and help ------------------------------------------------------------ */

Test(ctl_options, version_is_the_pools)
{
    struct ctl_run r;
    ctl(&r, (const char *const[]){"--version", NULL});
    cr_expect_eq(r.status, 0);
    cr_expect_str_eq(r.err, "");
    cr_expect_eq(strncmp(r.out, "wardenctl ", 10), 0, "%s", r.out);
    /* `warden --version` says "warden X": the same X. */
    const char *dir = getenv("WARDEN_BIN_DIR");
    char bin[512];
    snprintf(bin, sizeof bin, "%s/warden", dir && *dir ? dir : "build/release");
    char *pool = NULL;
    cr_assert_eq(stack_run((const char *const[]){bin, "--version", NULL}, &pool), 0);
    cr_expect_str_eq(r.out + 10, pool + 7, "wardenctl %s, warden %s", r.out, pool);
    free(pool);
    ctl_run_free(&r);
}

/* Every command that `wardenctl help` lists has help of its own. */
Test(ctl_options, help_command_for_every_command)
{
    struct ctl_run list;
    ctl(&list, (const char *const[]){"help", NULL});
    cr_assert_eq(list.status, 0);
    const char *p = strstr(list.out, "\ncommands:\n");
    cr_assert(p, "%s", list.out);
    p += strlen("\ncommands:\n");
    int seen = 0;
    while (strncmp(p, "  ", 2) == 0) {
        char name[64];
        size_t n = strcspn(p + 2, " \n");
        cr_assert(n < sizeof name);
        memcpy(name, p + 2, n);
        name[n] = '\0';
        const char *eol = strchr(p, '\n');
        struct ctl_run r;
        ctl(&r, (const char *const[]){"help", name, NULL});
        cr_expect_eq(r.status, 0, "help %s: exit %d %s", name, r.status, r.err);
        cr_expect_str_eq(r.err, "", "help %s", name);
        /* "usage: wardenctl [OPTIONS] SYNOPSIS", SYNOPSIS as the list shows it. */
        static const char prefix[] = "usage: wardenctl [OPTIONS] ";
        cr_assert_eq(strncmp(r.out, prefix, sizeof prefix - 1), 0, "help %s: %s", name, r.out);
        const char *synopsis = r.out + sizeof prefix - 1;
        size_t sn = strcspn(synopsis, "\n");
        cr_expect(synopsis[sn] == '\n' && synopsis[sn + 1] == '\n', "help %s: %s", name, r.out);
        cr_expect(strncmp(synopsis, name, strlen(name)) == 0 && strchr(" \n", synopsis[strlen(name)]),
                  "help %s is another command's: %s", name, r.out);
        cr_expect(strncmp(p + 2, synopsis, sn) == 0, "help %s: the list says %.*s", name,
                  (int)(eol - p), p);
        cr_expect_geq(ctl_run_lines(r.out), 3, "help %s says little: %s", name, r.out);
        if (memchr(synopsis, ' ', sn))
            cr_expect_neq(strstr(r.out, "\narguments:\n"), NULL, "help %s has no arguments: %s", name, r.out);
        /* COMMAND --help is the same text. */
        struct ctl_run h;
        ctl(&h, (const char *const[]){name, "--help", NULL});
        cr_expect_eq(h.status, 0, "%s --help", name);
        cr_expect_str_eq(h.out, r.out, "%s --help", name);
        ctl_run_free(&h);
        ctl_run_free(&r);
        seen++;
        p = eol + 1;
    }
    cr_expect_geq(seen, 19, "only %d commands listed", seen);
    cr_expect_neq(strstr(list.out, "bootstrap-staff"), NULL);
    cr_expect_neq(strstr(list.out, "--env-file FILE"), NULL);
    ctl_run_free(&list);
}

/* --- usage errors: status 2, one line on stderr, nothing on stdout ------------------ */

static void expect_usage_error(const char *what, const char *const *args, const char *says)
{
    struct ctl_run r;
    ctl(&r, args);
    cr_expect_eq(r.status, 2, "%s: exit %d, stderr %s", what, r.status, r.err);
    cr_expect_str_eq(r.out, "", "%s: printed on stdout", what);
    cr_expect_eq(ctl_run_lines(r.err), 1, "%s: stderr is not one line: %s", what, r.err);
    cr_expect_neq(strstr(r.err, says), NULL, "%s: stderr %s", what, r.err);
    ctl_run_free(&r);
}

Test(ctl_options, every_usage_error_is_status_2)
{
    char dir[64], bad[96], missing[96];
    make_temp_dir(dir, sizeof dir);
    snprintf(bad, sizeof bad, "%s/bad.env", dir);
    write_file(bad, "# fine\nWARDEN_MONGODB_URI=x\nthis is no assignment\n");
    snprintf(missing, sizeof missing, "%s/missing.env", dir);
    /* A dead database: every argument is judged before it is reached. */
    bare_environment();
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", DEAD_URI, 1), 0);

    expect_usage_error("unknown option", (const char *const[]){"--frobnicate", "migrate", NULL},
                       "unknown option '--frobnicate'");
    expect_usage_error("abbreviated option", (const char *const[]){"--env", "x", "migrate", NULL},
                       "unknown option '--env'");
    expect_usage_error("--env-file without a value", (const char *const[]){"--env-file", NULL},
                       "option --env-file needs a value");
    expect_usage_error("--mongodb-uri= empty", (const char *const[]){"--mongodb-uri=", "migrate", NULL},
                       "option --mongodb-uri needs a value");
    expect_usage_error("--secret-file without a value", (const char *const[]){"--secret-file", NULL},
                       "option --secret-file needs a value");
    expect_usage_error("--version=1", (const char *const[]){"--version=1", NULL}, "unknown option");
    expect_usage_error("a global option after the command",
                       (const char *const[]){"migrate", "--env-file", bad, NULL},
                       "--env-file goes before the command");
    expect_usage_error("help of an unknown command", (const char *const[]){"help", "frobnicate", NULL},
                       "unknown command 'frobnicate'");
    expect_usage_error("help of two commands", (const char *const[]){"help", "token", "migrate", NULL},
                       "usage: wardenctl help");
    expect_usage_error("too few arguments", (const char *const[]){"token", "someone", NULL},
                       "usage: wardenctl token");
    expect_usage_error("bad argument", (const char *const[]){"make-invite", "many", NULL}, "MAX_USES");
    expect_usage_error("bad discriminator", (const char *const[]){"token", "someone", "abc", NULL},
                       "invalid discriminator");
    expect_usage_error("unknown flag", (const char *const[]){"set-flag", "someone", "1", "wizard", NULL},
                       "unknown flag");
    expect_usage_error("short password",
                       (const char *const[]){"set-password", "someone", "1", "1234", NULL}, "password");
    expect_usage_error("bad email", (const char *const[]){"add-user", "someone", "nope", "password1", NULL},
                       "invalid email");
    expect_usage_error("bad username",
                       (const char *const[]){"bootstrap-staff", "a-b", "a@example.com", NULL}, "invalid username");
    expect_usage_error("bad game name", (const char *const[]){"game-add-user", "a", "a@example.com", "pw", NULL},
                       "invalid name");
    expect_usage_error("unknown right", (const char *const[]){"game-grant", "someone", "Wizard", NULL},
                       "unknown right");
    expect_usage_error("empty game password", (const char *const[]){"game-set-password", "someone", "", NULL},
                       "must not be empty");
    expect_usage_error("bad position", (const char *const[]){"game-add-player", "someone", "Hero", "--x", "300", NULL},
                       "--x must be an integer");
    expect_usage_error("bad presence", (const char *const[]){"game-presence", "Hero", "away", NULL},
                       "online or offline");
    expect_usage_error("missing value of a command's option",
                       (const char *const[]){"status", "--listen", NULL}, "unexpected argument");
    expect_usage_error("no such env file", (const char *const[]){"--env-file", missing, "migrate", NULL},
                       "cannot open");
    expect_usage_error("malformed env file", (const char *const[]){"--env-file", bad, "migrate", NULL},
                       ":3: expected NAME=value");
    expect_usage_error("bad URI", (const char *const[]){"--mongodb-uri", "http://x", "migrate", NULL},
                       "wardenctl: ");

    /* No command at all, or an unknown one: status 2 and the usage. */
    struct ctl_run r;
    ctl(&r, (const char *const[]){"--mongodb-uri", DEAD_URI, NULL});
    cr_expect_eq(r.status, 2);
    cr_expect_neq(strstr(r.err, "usage: wardenctl"), NULL, "%s", r.err);
    ctl_run_free(&r);
    stack_remove_dir(dir);
}

/* --- where the settings come from --------------------------------------------------- */

Test(ctl_options, env_file_gives_the_uri_and_the_secret)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char dir[64], path[96], text[1024];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/warden.env", dir);
    snprintf(text, sizeof text,
             "# as /etc/warden/warden.env holds it\n\n"
             "WARDEN_MONGODB_URI=\"%s\"\n"
             "WARDEN_SECRET=\n"
             "  WARDEN_SECRET_FILE = '%s'\n"
             "WARDEN_WORKERS=4\nOTHER_NAME=ignored\n",
             stack_shared_mongodb_uri(), secret_file());
    write_file(path, text);
    bare_environment();
    struct ctl_run r;
    ctl_run_in(&r, dir, NULL, (const char *const[]){"--env-file", path, "token", u.username, u.discriminator, NULL});
    expect_token_works(&r, &u, "--env-file");
    ctl_run_free(&r);
    /* "--env-file=FILE" too. */
    char opt[128];
    snprintf(opt, sizeof opt, "--env-file=%s", path);
    ctl_run_in(&r, dir, NULL, (const char *const[]){opt, "token", u.username, u.discriminator, NULL});
    expect_token_works(&r, &u, "--env-file=");
    ctl_run_free(&r);
    stack_remove_dir(dir);
}

/* The shipped example (installed as /etc/warden/warden.env) is a file
 * wardenctl reads: every line parses and every value it sets is valid. */
Test(ctl_options, the_shipped_env_example_is_readable)
{
    bare_environment();
    struct ctl_run r;
    ctl(&r, (const char *const[]){"--env-file", "systemd/warden.env.example", "--mongodb-uri",
                                  stack_shared_mongodb_uri(), "list-invites", NULL});
    cr_expect_eq(r.status, 0, "%d %s", r.status, r.err);
    cr_expect_str_eq(r.err, "");
    ctl_run_free(&r);
    /* Its WARDEN_SECRET is empty until the operator fills it in. */
    ctl(&r, (const char *const[]){"--env-file", "systemd/warden.env.example", "--mongodb-uri",
                                  stack_shared_mongodb_uri(), "token", "someone", "1", NULL});
    cr_expect_eq(r.status, 2, "%d %s", r.status, r.err);
    cr_expect_neq(strstr(r.err, "no secret"), NULL, "%s", r.err);
    ctl_run_free(&r);
}

Test(ctl_options, the_environment_wins_over_the_file)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char dir[64], path[96], text[512];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/warden.env", dir);
    /* The file names a dead database and another secret. */
    snprintf(text, sizeof text,
             "WARDEN_MONGODB_URI=%s\n"
             "WARDEN_SECRET=0123456789abcdef0123456789abcdef-not-the-pools\n",
             DEAD_URI);
    write_file(path, text);
    bare_environment();
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    struct ctl_run r;

    /* The environment's URI, not the file's dead one. */
    ctl_run_in(&r, dir, NULL, (const char *const[]){"--env-file", path, "list-invites", NULL});
    cr_expect_eq(r.status, 0, "the file's dead URI was used: %d %s", r.status, r.err);
    ctl_run_free(&r);

    /* With the file's secret (the environment gives none), a token that the
     * pool refuses: proof the file was read. */
    ctl_run_in(&r, dir, NULL, (const char *const[]){"--env-file", path, "token", u.username, u.discriminator, NULL});
    expect_token_refused(&r, "the file's secret");
    ctl_run_free(&r);
    stack_remove_dir(dir);
}

Test(ctl_options, the_environments_secret_file_wins_over_the_files_secret)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char dir[64], path[96];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/warden.env", dir);
    write_file(path, "WARDEN_SECRET=0123456789abcdef0123456789abcdef-not-the-pools\n");
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s", secret_file());
    bare_environment();
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    cr_assert_eq(setenv("WARDEN_SECRET_FILE", file, 1), 0);
    struct ctl_run r;
    ctl_run_in(&r, dir, NULL, (const char *const[]){"--env-file", path, "token", u.username, u.discriminator, NULL});
    expect_token_works(&r, &u, "WARDEN_SECRET_FILE over the file's WARDEN_SECRET");
    ctl_run_free(&r);
    stack_remove_dir(dir);
}

Test(ctl_options, mongodb_uri_option_wins_over_the_environment)
{
    bare_environment();
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", DEAD_URI, 1), 0);
    struct ctl_run r;
    ctl(&r, (const char *const[]){"list-invites", NULL});
    cr_expect_eq(r.status, 1, "a dead database: exit %d %s", r.status, r.err);
    cr_expect_neq(strstr(r.err, "database error"), NULL, "%s", r.err);
    ctl_run_free(&r);
    ctl(&r, (const char *const[]){"--mongodb-uri", stack_shared_mongodb_uri(), "list-invites", NULL});
    cr_expect_eq(r.status, 0, "--mongodb-uri: exit %d %s", r.status, r.err);
    cr_expect_eq(strncmp(r.out, "CODE", 4), 0, "%s", r.out);
    ctl_run_free(&r);
}

Test(ctl_options, secret_file_option_wins_over_the_environment)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s", secret_file());
    bare_environment();
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    cr_assert_eq(setenv("WARDEN_SECRET", "0123456789abcdef0123456789abcdef-not-the-pools", 1), 0);
    struct ctl_run r;
    ctl(&r, (const char *const[]){"token", u.username, u.discriminator, NULL});
    expect_token_refused(&r, "WARDEN_SECRET");
    ctl_run_free(&r);
    ctl(&r, (const char *const[]){"--secret-file", file, "token", u.username, u.discriminator, NULL});
    expect_token_works(&r, &u, "--secret-file");
    ctl_run_free(&r);

    /* An unreadable one is a configuration error. */
    ctl(&r, (const char *const[]){"--secret-file", "/nonexistent/secret", "token", u.username,
                                  u.discriminator, NULL});
    cr_expect_eq(r.status, 2, "%d %s", r.status, r.err);
    cr_expect_neq(strstr(r.err, "/nonexistent/secret"), NULL, "%s", r.err);
    ctl_run_free(&r);
}

/* WARDEN_ENV_FILE moves the default (/etc/warden/warden.env): read when it
 * exists, as the default is; empty, no file at all. This is how every test
 * keeps wardenctl away from the machine's /etc. */
Test(ctl_options, warden_env_file_moves_the_default)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char dir[64], path[96], text[1024];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/default.env", dir);
    snprintf(text, sizeof text, "WARDEN_MONGODB_URI=%s\nWARDEN_SECRET_FILE=%s\n", stack_shared_mongodb_uri(),
             secret_file());
    write_file(path, text);
    bare_environment();
    cr_assert_eq(setenv("WARDEN_ENV_FILE", path, 1), 0);
    struct ctl_run r;
    ctl_run_in(&r, dir, NULL, (const char *const[]){"token", u.username, u.discriminator, NULL});
    expect_token_works(&r, &u, "WARDEN_ENV_FILE");
    ctl_run_free(&r);

    /* A default that does not exist is no error (the secret is then missing). */
    char gone[128];
    snprintf(gone, sizeof gone, "%s/none.env", dir);
    cr_assert_eq(setenv("WARDEN_ENV_FILE", gone, 1), 0);
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    ctl_run_in(&r, dir, NULL, (const char *const[]){"token", u.username, u.discriminator, NULL});
    cr_expect_eq(r.status, 2, "%d %s", r.status, r.err);
    cr_expect_neq(strstr(r.err, "no secret"), NULL, "%s", r.err);
    ctl_run_free(&r);
    stack_remove_dir(dir);
}

/* After `make run`, from the checkout: ./var/stack.env is the env file,
 * unless a URI or an env file is given. */
Test(ctl_options, a_make_run_stack_env_is_found_from_the_checkout)
{
    struct fx_chat_user u;
    fx_chat_user(&u, false);
    char dir[64], var[96], path[128], text[1024];
    make_temp_dir(dir, sizeof dir);
    snprintf(var, sizeof var, "%s/var", dir);
    cr_assert_eq(mkdir(var, 0700), 0);
    snprintf(path, sizeof path, "%s/stack.env", var);
    /* As tools/stack writes it. */
    snprintf(text, sizeof text,
             "WARDEN_URL=%s\nWARDEN_MONGODB_URI=%s\nWARDEN_SECRET_FILE=%s\nWARDEN_LISTEN=unix:%s/run/warden.sock\n"
             "HTTP_PORT=1\nDB_PORT=2\nSOCKET=%s/run/warden.sock\nSTACK_DIR=%s\nPOOL_PID=1\nSTAFF_TOKEN=x\n",
             stack_shared_url(), stack_shared_mongodb_uri(), secret_file(), var, var, var);
    write_file(path, text);
    bare_environment();
    unsetenv("WARDEN_ENV_FILE");
    struct ctl_run r;
    ctl_run_in(&r, dir, NULL, (const char *const[]){"token", u.username, u.discriminator, NULL});
    expect_token_works(&r, &u, "var/stack.env");
    ctl_run_free(&r);

    /* A URI in the environment: var/stack.env is not read (so no secret). */
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    ctl_run_in(&r, dir, NULL, (const char *const[]){"token", u.username, u.discriminator, NULL});
    cr_expect_eq(r.status, 2, "%d %s", r.status, r.err);
    cr_expect_neq(strstr(r.err, "no secret"), NULL, "%s", r.err);
    ctl_run_free(&r);
    unsetenv("WARDEN_MONGODB_URI");

    /* --mongodb-uri likewise. */
    ctl_run_in(&r, dir, NULL, (const char *const[]){"--mongodb-uri", stack_shared_mongodb_uri(), "token",
                                                u.username, u.discriminator, NULL});
    cr_expect_eq(r.status, 2, "%d %s", r.status, r.err);
    ctl_run_free(&r);

    /* An env file given: that one, not var/stack.env. */
    char other[128];
    snprintf(other, sizeof other, "%s/other.env", dir);
    write_file(other, "WARDEN_SECRET=0123456789abcdef0123456789abcdef-not-the-pools\n");
    cr_assert_eq(setenv("WARDEN_ENV_FILE", other, 1), 0);
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    ctl_run_in(&r, dir, NULL, (const char *const[]){"token", u.username, u.discriminator, NULL});
    expect_token_refused(&r, "WARDEN_ENV_FILE over var/stack.env");
    ctl_run_free(&r);
    stack_remove_dir(dir);
}

/* --- bootstrap-staff ---------------------------------------------------------------- */

static void expect_operator_entry(const char *action, const char *user_id)
{
    char filter[256];
    snprintf(filter, sizeof filter,
             "{\"action\": \"%s\", \"target.type\": \"user\", \"target.id\": \"%s\", "
             "\"actor.realm\": \"operator\", \"actor.id\": %d}",
             action, user_id, (int)getuid());
    cr_expect_eq(fx_db_count("audit_log", filter), 1, "no %s entry by the operator for %s", action, user_id);
}

Test(ctl_options, bootstrap_staff_makes_a_working_staff_member)
{
    char name[40], email[80];
    fx_unique(name, sizeof name, "boot");
    snprintf(email, sizeof email, "%s@example.com", name);
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    struct ctl_run r;
    ctl(&r, (const char *const[]){"bootstrap-staff", name, email, NULL});
    cr_assert_eq(r.status, 0, "bootstrap-staff: %d %s", r.status, r.err);
    cr_expect_str_eq(r.err, "");
    cr_assert_eq(ctl_run_lines(r.out), 3, "%s", r.out);
    char id[32], tag[64], word[16], password[64], token[400];
    cr_assert_eq(sscanf(r.out, "%31s %63s\n%15s %63s\n%399s", id, tag, word, password, token), 5, "%s", r.out);
    cr_expect_str_eq(word, "password");
    cr_expect_eq(strlen(password), 24, "%s", password);
    char *hash = strrchr(tag, '#');
    cr_assert(hash);
    *hash = '\0';
    cr_expect_str_eq(tag, name);
    ctl_run_free(&r);

    /* The token works on a staff route. */
    char auth[440], path[160];
    snprintf(auth, sizeof auth, "Authorization: %s", token);
    snprintf(path, sizeof path, "/api/v6/admin/users?username=%s", name);
    struct http_response h;
    fx_request("GET", path, auth, NULL, &h);
    cr_expect_eq(h.status, 200, "a staff route: %s", h.body);
    cr_expect_neq(strstr(h.body, id), NULL, "%s", h.body);
    http_response_free(&h);

    /* The drawn password logs in. */
    char body[256];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"%s\"}", email, password);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &h);
    cr_expect_eq(h.status, 200, "%s", h.body);
    http_response_free(&h);

    /* Audited as add-user and make-staff are. */
    expect_operator_entry("user.create", id);
    expect_operator_entry("user.update", id);
    char filter[200];
    snprintf(filter, sizeof filter,
             "{\"action\": \"user.update\", \"target.id\": \"%s\", \"before.flags\": 0, \"after.flags\": 1}", id);
    cr_expect_eq(fx_db_count("audit_log", filter), 1, "the staff flag's change is on record");
}

Test(ctl_options, bootstrap_staff_with_a_password_and_without_a_secret)
{
    char name[40], email[80];
    fx_unique(name, sizeof name, "boot");
    snprintf(email, sizeof email, "%s@example.com", name);
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s", secret_file());

    /* No secret: refused before anything is written. */
    unsetenv("WARDEN_SECRET_FILE");
    unsetenv("WARDEN_SECRET");
    struct ctl_run r;
    ctl(&r, (const char *const[]){"bootstrap-staff", name, email, "password1", NULL});
    cr_expect_eq(r.status, 2, "%d %s", r.status, r.err);
    cr_expect_str_eq(r.out, "");
    cr_expect_neq(strstr(r.err, "no secret"), NULL, "%s", r.err);
    ctl_run_free(&r);
    char filter[128];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    cr_expect_eq(fx_db_count("users", filter), 0, "a user was made without a secret");

    /* The password from stdin: two lines, the tag and the token. */
    cr_assert_eq(setenv("WARDEN_SECRET_FILE", file, 1), 0);
    ctl_run_in(&r, NULL, "from standard input", (const char *const[]){"bootstrap-staff", name, email, "-", NULL});
    cr_assert_eq(r.status, 0, "%d %s", r.status, r.err);
    cr_expect_eq(ctl_run_lines(r.out), 2, "%s", r.out);
    cr_expect_eq(strstr(r.out, "password"), NULL, "a given password is printed: %s", r.out);
    ctl_run_free(&r);
    char body[256];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"from standard input\"}", email);
    struct http_response h;
    fx_request("POST", "/api/v6/auth/login", NULL, body, &h);
    cr_expect_eq(h.status, 200, "%s", h.body);
    http_response_free(&h);

    /* The email is taken now: refused, status 1. */
    char other[40];
    fx_unique(other, sizeof other, "boot");
    ctl(&r, (const char *const[]){"bootstrap-staff", other, email, "password1", NULL});
    cr_expect_eq(r.status, 1, "%d %s", r.status, r.err);
    cr_expect_str_eq(r.err, "wardenctl: Email already used.\n");
    ctl_run_free(&r);
}

/* --- the README's wardenctl lines ----------------------------------------------------- */

/* Every `wardenctl ...` line in a ```sh block of README.md names a command
 * wardenctl has (after any global options), and the command list of its
 * wardenctl section names every command `wardenctl help` lists. */
Test(ctl_options, readme_wardenctl_lines_are_commands)
{
    char *readme = slurp("README.md");
    bool fenced = false, shell = false, in_section = false, reference = false;
    int checked = 0;
    char listed[4096] = " ";
    for (char *line = strtok(readme, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "## ", 3) == 0)
            in_section = strcmp(line, "## wardenctl") == 0;
        if (strncmp(line, "```", 3) == 0) {
            fenced = !fenced;
            reference = fenced && in_section && line[3] == '\0';
            shell = fenced && strcmp(line + 3, "sh") == 0;
            continue;
        }
        if (!fenced)
            continue;
        if (reference) { /* "cmd ARGS", "cmd | cmd ARGS", "cmd [ARGS] | cmd CODE" */
            char copy[512];
            snprintf(copy, sizeof copy, "%s", line);
            char *word = copy;
            for (;;) {
                size_t n = strcspn(word, " ");
                if (strlen(listed) + n + 2 < sizeof listed) {
                    strncat(listed, word, n);
                    strcat(listed, " ");
                }
                char *bar = strstr(word, " | ");
                if (!bar)
                    break;
                word = bar + 3;
            }
            continue;
        }
        if (!shell)
            continue;
        /* Each "wardenctl" at a command's place in a shell line. */
        for (char *at = strstr(line, "wardenctl "); at; at = strstr(at + 1, "wardenctl ")) {
            if (at != line && !strchr(" (|;&", at[-1]))
                continue;
            const char *p = at + 10;
            /* skip global options and their values */
            while (*p == '-') {
                bool takes_value = strncmp(p, "--version", 9) != 0 && !strchr(p, '=');
                p += strcspn(p, " ");
                p += strspn(p, " ");
                if (takes_value) {
                    p += strcspn(p, " ");
                    p += strspn(p, " ");
                }
            }
            char name[64];
            size_t n = strcspn(p, " `)\"'");
            if (n == 0 || n >= sizeof name || !(*p >= 'a' && *p <= 'z')) /* "[OPTIONS]", "COMMAND" */
                continue;
            memcpy(name, p, n);
            name[n] = '\0';
            struct ctl_run r;
            ctl(&r, (const char *const[]){"help", name, NULL});
            cr_expect_eq(r.status, 0, "README: `%s`: no command %s (%s)", line, name, r.err);
            ctl_run_free(&r);
            checked++;
        }
    }
    cr_expect_geq(checked, 8, "only %d wardenctl lines found in README.md", checked);

    struct ctl_run list;
    ctl(&list, (const char *const[]){"help", NULL});
    const char *p = strstr(list.out, "\ncommands:\n");
    cr_assert(p);
    p += strlen("\ncommands:\n");
    while (strncmp(p, "  ", 2) == 0) {
        char name[66] = " ";
        size_t n = strcspn(p + 2, " \n");
        memcpy(name + 1, p + 2, n);
        name[n + 1] = ' ';
        name[n + 2] = '\0';
        cr_expect_neq(strstr(listed, name), NULL, "README's wardenctl section does not list%s", name);
        p = strchr(p, '\n') + 1;
    }
    ctl_run_free(&list);
    free(readme);
}

/* --- the README's blocks, run as written ---------------------------------------------- */

/* *Quick start*: after `make run`, from the checkout's root, with wardenctl
 * on PATH and nothing else set: var/stack.env and var/staff-user as make
 * run leaves them. */
Test(ctl_options, readme_quick_start_wardenctl_block_runs)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    const char *socket = getenv("WARDEN_TEST_SOCKET");
    cr_assert(socket && *socket, "no WARDEN_TEST_SOCKET from the runner");
    char dir[64], var[96], path[128], text[1024];
    make_temp_dir(dir, sizeof dir);
    snprintf(var, sizeof var, "%s/var", dir);
    cr_assert_eq(mkdir(var, 0700), 0);
    snprintf(path, sizeof path, "%s/stack.env", var);
    snprintf(text, sizeof text, "WARDEN_URL=%s\nWARDEN_MONGODB_URI=%s\nWARDEN_SECRET_FILE=%s\nWARDEN_LISTEN=unix:%s\n",
             stack_shared_url(), stack_shared_mongodb_uri(), secret_file(), socket);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/staff-user", var);
    snprintf(text, sizeof text, "%s %s %s\n", staff.username, staff.discriminator, staff.password);
    write_file(path, text);
    bare_environment();
    unsetenv("WARDEN_ENV_FILE");

    char *script = readme_blocks_after("`wardenctl` (below) works on the dev stack too.", 1);
    cr_expect_neq(strstr(script, "wardenctl make-invite"), NULL, "%s", script);
    char *out = NULL;
    int rc = readme_run(dir, script, &out);
    cr_expect_eq(rc, 0, "the Quick start block failed (%d):\n%s\n---\n%s", rc, script, out);
    cr_expect_neq(strstr(out, "SLOT  PID"), NULL, "no status: %s", out);
    /* The token the last line printed is the staff user's. */
    char *last = out + strlen(out);
    while (last > out && last[-1] == '\n')
        *--last = '\0';
    while (last > out && last[-1] != '\n')
        last--;
    char auth[400];
    snprintf(auth, sizeof auth, "Authorization: %s", last);
    struct http_response h;
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &h);
    cr_expect_eq(h.status, 200, "the token line %s: %s", last, h.body);
    cr_expect_neq(strstr(h.body, staff.id), NULL, "%s", h.body);
    http_response_free(&h);
    free(out);
    free(script);
    stack_remove_dir(dir);
}

/* The game walk-through: its set-up through wardenctl, then its requests,
 * each answering what the README says (its "# ..." lines), against the
 * shared stack (its URL in place of the README's). wardenctl finds the
 * stack as `make run`'s paste line lets it: WARDEN_ENV_FILE. */
Test(ctl_options, readme_game_walk_through_runs)
{
    char dir[64], path[96], text[1024];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/stack.env", dir);
    snprintf(text, sizeof text, "WARDEN_MONGODB_URI=%s\nWARDEN_SECRET_FILE=%s\n", stack_shared_mongodb_uri(),
             secret_file());
    write_file(path, text);
    bare_environment();
    cr_assert_eq(setenv("WARDEN_ENV_FILE", path, 1), 0);

    char *blocks = readme_blocks_after("Walk-through, from the set-up", 2);
    static const char readme_url[] = "URL=http://127.0.0.1:$PORT\n";
    char *url_line = strstr(blocks, readme_url);
    cr_assert(url_line, "no %s in %s", readme_url, blocks);
    size_t size = strlen(blocks) + STACK_STR_MAX + 16;
    char *script = malloc(size);
    cr_assert(script);
    snprintf(script, size, "%.*sURL=%s\n%s", (int)(url_line - blocks), blocks, stack_shared_url(),
             url_line + strlen(readme_url));
    char *out = NULL;
    int rc = readme_run(dir, script, &out);
    cr_expect_eq(rc, 0, "the walk-through failed (%d):\n%s\n---\n%s", rc, script, out);

    /* Each "# <answer>" line, in order. */
    int answers = readme_expect_answers(script, out);
    cr_expect_geq(answers, 2, "the walk-through shows no answers");
    free(out);
    free(script);
    free(blocks);
    stack_remove_dir(dir);
}
