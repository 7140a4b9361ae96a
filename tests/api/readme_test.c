/*
 * README.md's shell walk-throughs, run as written against the shared stack,
 * so that the README cannot drift from the product.
 *
 * Every fenced shell block of README.md (```sh, ```bash, ```shell,
 * ```console, indented or not) must be listed in `blocks` below: either run
 * by a test (here, or in ctl_options_test.c for the wardenctl blocks), or
 * skipped with the reason it cannot run in a test. A new block that is in
 * neither list fails `every_shell_block_is_run_or_skipped`, and so does an
 * entry that no longer matches a block. A block run in part (Deployment's
 * wardenctl lines) says which part, and why the rest is skipped.
 *
 * A block is run with `sh -e` from a directory laid out as a `make run`
 * checkout (var/stack.env), with the stack's port in place of the README's
 * `PORT=8080`. Its "# ..." lines are the answers the README shows: each must
 * come, in order, in what the block printed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/fixtures.h"
#include "support/readme.h"
#include "support/stack.h"

static void quiet_driver(void)
{
    cr_assert_eq(setenv("MONGOC_DISABLE_SHM", "1", 1), 0); /* see ctl_test.c */
}

TestSuite(readme, .init = quiet_driver);

/* Each shell block, by the start of its first line. */
static const struct readme_block {
    const char *first_line;
    const char *ran_by; /* the test that runs it, or NULL when skipped */
    const char *skipped_because;
} blocks[] = {
    {"make run     #", NULL,
     "Quick start's `make run` / `make test`: they install Debian packages as root with apt-get, "
     "`make run` serves until Ctrl-C and `make test` is the whole run this suite is part of; "
     "deploy_test.c checks each target's packages and tools/stack is the stack every test uses"},
    {"PORT=8080                                            #", "readme/quick_start_curl_block_runs", NULL},
    {"wardenctl make-invite 5", "ctl_options/readme_quick_start_wardenctl_block_runs", NULL},
    {"PORT=8080                            #", "readme/audit_log_block_runs", NULL},
    {"make deps-build                      #", "readme/deployment_wardenctl_lines_run (its wardenctl lines)",
     "Deployment, but for its wardenctl lines: as root into / (apt-get, make install into /usr/local, "
     "useradd, /etc/warden, systemctl, /etc/nginx); deploy_test.c runs its install into a DESTDIR and "
     "its nginx site next to Debian's default site in a stock layout"},
    {"wardenctl game-add-user Moderator", "ctl_options/readme_game_walk_through_runs", NULL},
    {"PORT=8080                      #", "ctl_options/readme_game_walk_through_runs", NULL},
    {"wardenctl [--env-file FILE]", NULL,
     "wardenctl's synopsis, not a command; ctl_options/readme_wardenctl_lines_are_commands checks "
     "every wardenctl line of the README against wardenctl's commands"},
    {"curl -s http://127.0.0.1:$PORT/livez", "readme/observability_block_runs", NULL},
    {"MONGOC_DISABLE_SHM=1 WARDEN_BIN_DIR=build/release", NULL,
     "Tests: runs an API suite of the release build, a test run inside this one"},
};
#define NBLOCKS (sizeof blocks / sizeof blocks[0])

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fputs(text, f) >= 0, true);
    cr_assert_eq(fclose(f), 0);
}

/* The block whose first line (indentation stripped) starts as an entry's. */
static const struct readme_block *block_entry(const char *body, size_t len)
{
    while (len && *body == ' ')
        body++, len--;
    for (size_t i = 0; i < NBLOCKS; i++) {
        size_t n = strlen(blocks[i].first_line);
        if (len >= n && strncmp(body, blocks[i].first_line, n) == 0)
            return &blocks[i];
    }
    return NULL;
}

struct census {
    int seen[NBLOCKS];
    int unknown;
};

static void count_block(const char *body, size_t len, void *arg)
{
    struct census *c = arg;
    const struct readme_block *b = block_entry(body, len);
    if (!b) {
        cr_expect_fail("README.md has a shell block neither run by a test nor skipped "
                       "(list it in tests/api/readme_test.c):\n%.*s",
                       (int)len, body);
        c->unknown++;
        return;
    }
    c->seen[b - blocks]++;
}

Test(readme, every_shell_block_is_run_or_skipped)
{
    char *readme = readme_text();
    struct census c = {0};
    readme_each_shell_block(readme, count_block, &c);
    for (size_t i = 0; i < NBLOCKS; i++) {
        cr_expect_eq(c.seen[i], 1, "README.md has %d shell blocks starting `%s` (the list expects one)", c.seen[i],
                     blocks[i].first_line);
        cr_expect(blocks[i].ran_by || blocks[i].skipped_because,
                  "`%s`: run by a test or skipped with a reason", blocks[i].first_line);
    }
    cr_expect_eq(c.unknown, 0);
    free(readme);
}

/* The shared stack's port, from its URL. */
static const char *shared_port(void)
{
    const char *url = stack_shared_url();
    cr_assert(url && *url, "no shared stack");
    const char *colon = strrchr(url, ':');
    cr_assert(colon && colon[1] >= '0' && colon[1] <= '9', "%s", url);
    cr_assert(strncmp(url, "http://127.0.0.1:", 17) == 0, "the README's URLs are 127.0.0.1's: %s", url);
    return colon + 1;
}

/* block with its line starting "PORT=8080" replaced by the stack's port (malloc'd). */
static char *with_stack_port(const char *block)
{
    const char *at = strstr(block, "PORT=8080");
    cr_assert(at && (at == block || at[-1] == '\n'), "no PORT=8080 line in\n%s", block);
    const char *eol = at + strcspn(at, "\n");
    size_t size = strlen(block) + 64;
    char *script = malloc(size);
    cr_assert(script);
    snprintf(script, size, "%.*sPORT=%s%s", (int)(at - block), block, shared_port(), eol);
    return script;
}

/* A checkout-like directory with var/stack.env as `make run` writes it,
 * its STAFF_TOKEN the given one. */
static void make_checkout(char *dir, size_t size, const char *token)
{
    snprintf(dir, size, "/tmp/warden-readme-XXXXXX");
    cr_assert(mkdtemp(dir));
    char var[96], path[128], text[1024];
    snprintf(var, sizeof var, "%s/var", dir);
    cr_assert_eq(mkdir(var, 0700), 0);
    snprintf(path, sizeof path, "%s/stack.env", var);
    snprintf(text, sizeof text, "WARDEN_URL=%s\nWARDEN_MONGODB_URI=%s\nSTAFF_TOKEN=%s\n", stack_shared_url(),
             stack_shared_mongodb_uri(), token);
    write_file(path, text);
}

/* A README block run as a new staff member: the block that starts with
 * marker, in a checkout whose var/stack.env holds that member's token. */
struct staff_run {
    struct fx_chat_user staff;
    char dir[64];
    char *block, *script, *out;
};

static void run_as_staff(struct staff_run *r, const char *marker, const char *what)
{
    fx_chat_user(&r->staff, true);
    make_checkout(r->dir, sizeof r->dir, r->staff.token);
    r->block = readme_block(marker);
    r->script = with_stack_port(r->block);
    r->out = NULL;
    int rc = readme_run(r->dir, r->script, &r->out);
    cr_expect_eq(rc, 0, "the %s block failed (%d):\n%s\n---\n%s", what, rc, r->script, r->out);
}

static void staff_run_free(struct staff_run *r)
{
    free(r->out);
    free(r->script);
    free(r->block);
    stack_remove_dir(r->dir);
}

/* *Quick start*'s curl block: the staff user's own record, then an invite
 * of 5 uses, whose code registers an account on the page the README names. */
Test(readme, quick_start_curl_block_runs)
{
    struct staff_run run;
    run_as_staff(&run, "PORT=8080                                            #", "Quick start curl");
    const char *out = run.out;

    /* users/@me: the staff user, whose token STAFF_TOKEN is. */
    char id[64];
    snprintf(id, sizeof id, "\"id\":\"%s\"", run.staff.id);
    const char *me = strstr(out, id);
    cr_expect(me, "no %s in %s", id, out);
    /* The invite: 5 uses, and its code. */
    const char *invite = strstr(out, "\"max_uses\":5");
    cr_expect(invite, "no invite of 5 uses in %s", out);
    const char *code = strstr(out, "\"code\":\"");
    cr_assert(code, "no invite code in %s", out);
    code += strlen("\"code\":\"");
    char page[128];
    snprintf(page, sizeof page, "/invite_register.html?invite=%.*s", (int)strcspn(code, "\""), code);

    /* The page the README sends the reader to, and the root linking to it. */
    struct http_response h;
    fx_request("GET", page, NULL, NULL, &h);
    cr_expect_eq(h.status, 200, "%s: %d", page, h.status);
    http_response_free(&h);
    fx_request("GET", "/", NULL, NULL, &h);
    cr_expect_eq(h.status, 200);
    cr_expect_neq(strstr(h.body, "invite_register.html"), NULL, "the root does not link to the page");
    http_response_free(&h);

    /* The code registers an account, as the page would. */
    char body[512];
    char name[32];
    fx_unique(name, sizeof name, "rd");
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"a long password\",\"invcode\":\"%.*s\"}",
             name, name, (int)strcspn(code, "\""), code);
    fx_request("POST", "/api/v6/auth/register_inv", NULL, body, &h);
    cr_expect_eq(h.status, 200, "register_inv with the README's invite: %d %s", h.status, h.body);
    http_response_free(&h);
    staff_run_free(&run);
}

/* *APIs*' audit log block: the newest user.update, as a staff member reads it
 * (making a staff member is one: wardenctl's make-staff). */
Test(readme, audit_log_block_runs)
{
    struct staff_run run;
    run_as_staff(&run, "PORT=8080                            #", "audit log");
    cr_expect_geq(readme_expect_answers(run.script, run.out), 2, "the block shows no answers");
    cr_expect(strstr(run.out, "\"next_before\":"), "no next_before in %s", run.out);
    staff_run_free(&run);
}

/* *Observability*'s block: /livez, /healthz and /status as the README shows
 * their answers. */
Test(readme, observability_block_runs)
{
    char dir[64];
    make_checkout(dir, sizeof dir, "unused");
    char *block = readme_block("curl -s http://127.0.0.1:$PORT/livez");
    /* The block follows the Quick start's: its PORT. */
    size_t size = strlen(block) + 64;
    char *script = malloc(size);
    cr_assert(script);
    snprintf(script, size, "PORT=%s\n%s", shared_port(), block);
    char *out = NULL;
    int rc = readme_run(dir, script, &out);
    cr_expect_eq(rc, 0, "the Observability block failed (%d):\n%s\n---\n%s", rc, script, out);
    cr_expect_geq(readme_expect_answers(script, out), 3, "the block shows no answers");
    free(out);
    free(script);
    free(block);
    stack_remove_dir(dir);
}

/* *Deployment*'s wardenctl lines, in order, as the operator runs them once
 * the env file is written: wardenctl finds it by itself (here through
 * WARDEN_ENV_FILE, in place of /etc/warden/warden.env), `migrate` succeeds
 * on the running pool's database, and `bootstrap-staff ... -` takes the
 * password from standard input and prints a staff token last. */
Test(readme, deployment_wardenctl_lines_run)
{
    char dir[64];
    make_checkout(dir, sizeof dir, "unused");
    char env[128], password[128], text[1024];
    snprintf(env, sizeof env, "%s/warden.env", dir);
    const char *secret = getenv("WARDEN_SECRET_FILE");
    cr_assert(secret && *secret, "no WARDEN_SECRET_FILE from the runner");
    snprintf(text, sizeof text, "WARDEN_MONGODB_URI=%s\nWARDEN_SECRET_FILE=%s\n", stack_shared_mongodb_uri(), secret);
    write_file(env, text);
    snprintf(password, sizeof password, "%s/password", dir);
    write_file(password, "the first admin's password\n");
    unsetenv("WARDEN_MONGODB_URI");
    unsetenv("WARDEN_SECRET");
    unsetenv("WARDEN_SECRET_FILE");
    cr_assert_eq(setenv("WARDEN_ENV_FILE", env, 1), 0);

    char *block = readme_block("make deps-build                      #");
    size_t size = strlen(block) + 256;
    char *script = malloc(size);
    cr_assert(script);
    size_t len = (size_t)snprintf(script, size, "exec <'%s'\n", password);
    int lines = 0;
    for (const char *line = block; *line; line += strcspn(line, "\n"), line += *line == '\n') {
        if (strncmp(line, "wardenctl ", 10) != 0)
            continue;
        size_t n = strcspn(line, "\n");
        memcpy(script + len, line, n);
        len += n;
        script[len++] = '\n';
        script[len] = '\0';
        lines++;
    }
    cr_expect_geq(lines, 2, "Deployment has no wardenctl lines:\n%s", block);
    cr_expect_neq(strstr(script, "wardenctl migrate"), NULL, "%s", script);
    cr_expect_neq(strstr(script, "wardenctl bootstrap-staff"), NULL, "%s", script);
    char *out = NULL;
    int rc = readme_run(dir, script, &out);
    cr_expect_eq(rc, 0, "Deployment's wardenctl lines failed (%d):\n%s\n---\n%s", rc, script, out);

    /* The last line is a token of a staff member. */
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
    cr_expect_neq(strstr(h.body, "\"username\":\"admin\""), NULL, "%s", h.body);
    http_response_free(&h);
    fx_request("GET", "/api/v6/admin/instance/invites", auth, NULL, &h);
    cr_expect_eq(h.status, 200, "the token is not staff's: %d %s", h.status, h.body);
    http_response_free(&h);
    free(out);
    free(script);
    free(block);
    stack_remove_dir(dir);
}
