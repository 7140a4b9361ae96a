/*
 * README.md's Python blocks (*Contracts with the other services*), run as
 * written with python3, so that what a receiver's author copies works: the
 * signature check asserts the Standard Webhooks reference vector (and a
 * wrong vector makes it fail, so its asserts do run); the receiver, started
 * on a free port with a secret, answers a signed request 204 and acts on it
 * once, answers a repeat of its webhook-id 204 without acting again, and
 * answers 401 to a forged signature, a stale timestamp and a request without
 * its headers. Requests are signed here with libsodium, as warden-relay
 * signs them. Every ```python block of the README must be one of the two.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/http.h"
#include "support/receiver.h"
#include "support/readme.h"
#include "support/stack.h"
#include "support/wait.h"

#define SIGNATURE_BLOCK "import base64, hashlib, hmac\n"
#define RECEIVER_BLOCK "import base64, hashlib, hmac, json, os, queue, threading, time\n"
#define VECTOR "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define OTHER_SECRET "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ=="

TestSuite(readme_webhook);

/* The ```python block of README.md whose first line is first_line (malloc'd), or NULL. */
static char *python_block(const char *first_line)
{
    char *readme = readme_text();
    char *found = NULL;
    for (const char *p = strstr(readme, "```python\n"); p && !found; p = strstr(p, "```python\n")) {
        p += strlen("```python\n");
        const char *end = strstr(p, "\n```");
        cr_assert_not_null(end, "an unclosed ```python block");
        if (strncmp(p, first_line, strlen(first_line)) == 0)
            found = strndup(p, (size_t)(end - p) + 1);
        p = end;
    }
    free(readme);
    return found;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert(fputs(text, f) >= 0 && fclose(f) == 0, "%s: write failed", path);
}

/* python3 path, to completion: its exit status, its output into *out (free it). */
static int run_python(const char *path, char **out)
{
    const char *argv[] = {"python3", path, NULL};
    return stack_run(argv, out);
}

Test(readme_webhook, every_python_block_is_one_of_the_tested_two)
{
    char *readme = readme_text();
    int blocks = 0;
    for (const char *p = strstr(readme, "```python\n"); p; p = strstr(p, "```python\n")) {
        p += strlen("```python\n");
        cr_expect(strncmp(p, SIGNATURE_BLOCK, strlen(SIGNATURE_BLOCK)) == 0 ||
                      strncmp(p, RECEIVER_BLOCK, strlen(RECEIVER_BLOCK)) == 0,
                  "README.md has a Python block this suite does not run:\n%.200s", p);
        blocks++;
    }
    cr_expect_eq(blocks, 2, "README.md has %d Python blocks, not the two this suite runs", blocks);
    free(readme);
}

Test(readme_webhook, the_signature_check_passes_the_reference_vector)
{
    char *block = python_block(SIGNATURE_BLOCK);
    cr_assert_not_null(block, "no signature block in README.md");
    cr_assert_not_null(strstr(block, VECTOR), "the block does not check the reference vector");
    char dir[] = "/tmp/warden-readme-py-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/check.py", dir);
    write_text(path, block);
    char *out = NULL;
    int rc = run_python(path, &out);
    if (rc == 127)
        cr_skip_test("python3 is not installed (make deps-test installs it)");
    cr_expect_eq(rc, 0, "the signature block failed (%d):\n%s", rc, out);
    free(out);

    /* With a wrong expected value it fails: its asserts are live. */
    char *wrong = strstr(block, VECTOR);
    wrong[strlen("v1,g")] = 'X';
    write_text(path, block);
    out = NULL;
    rc = run_python(path, &out);
    cr_expect_neq(rc, 0, "the block passes a wrong vector:\n%s", out);
    cr_expect_not_null(strstr(out, "AssertionError"), "%s", out);
    free(out);
    free(block);
    stack_remove_dir(dir);
}

/* --- the receiver ------------------------------------------------------------------ */

struct readme_receiver {
    pid_t pid;
    int port;
    char dir[64];
    char out_path[96];
};

static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind: %s", strerror(errno));
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static struct readme_receiver running;

static void stop_receiver(void)
{
    if (running.pid > 0) {
        kill(running.pid, SIGKILL);
        waitpid(running.pid, NULL, 0);
        running.pid = 0;
    }
    if (running.dir[0])
        stack_remove_dir(running.dir);
    running.dir[0] = '\0';
}

/* The README's receiver, on a free port with SECRET, its stdout into a file. */
static void start_receiver(struct readme_receiver *r, const char *block)
{
    snprintf(r->dir, sizeof r->dir, "/tmp/warden-readme-py-XXXXXX");
    cr_assert_not_null(mkdtemp(r->dir));
    char script[96], port[16];
    snprintf(script, sizeof script, "%s/receiver.py", r->dir);
    snprintf(r->out_path, sizeof r->out_path, "%s/acted", r->dir);
    write_text(script, block);
    r->port = free_port();
    snprintf(port, sizeof port, "%d", r->port);
    r->pid = fork();
    cr_assert_geq(r->pid, 0, "fork: %s", strerror(errno));
    if (r->pid == 0) {
        int out = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
            _exit(126);
        setenv("WEBHOOK_SECRET", SECRET, 1);
        setenv("PORT", port, 1);
        execlp("python3", "python3", script, (char *)NULL);
        _exit(127);
    }
}

/* POST body to the receiver with the Standard Webhooks headers: id and
 * timestamp (NULL: left out), signed with secret (NULL: no signature). */
static long post(const struct readme_receiver *r, const char *id, const char *timestamp, const char *secret,
                 const char *body)
{
    char url[64], id_h[96], ts_h[64], sig_h[128];
    const char *headers[5] = {"Content-Type: application/json"};
    size_t n = 1;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", r->port);
    if (id) {
        snprintf(id_h, sizeof id_h, "webhook-id: %s", id);
        headers[n++] = id_h;
    }
    if (timestamp) {
        snprintf(ts_h, sizeof ts_h, "webhook-timestamp: %s", timestamp);
        headers[n++] = ts_h;
    }
    if (secret) {
        char sig[RECEIVER_SIGNATURE_SIZE];
        cr_assert_eq(receiver_sign(secret, id, timestamp, body, strlen(body), sig), 0);
        snprintf(sig_h, sizeof sig_h, "webhook-signature: %s", sig);
        headers[n++] = sig_h;
    }
    headers[n] = NULL;
    struct http_response res;
    int rc = http_request("POST", url, headers, body, strlen(body), &res);
    long status = rc == 0 ? res.status : 0;
    cr_assert_eq(rc, 0, "POST to the receiver: %s", res.error);
    http_response_free(&res);
    return status;
}

static bool listening(void *ctx)
{
    const struct readme_receiver *r = ctx;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", r->port);
    struct http_response res;
    bool up = http_request("POST", url, NULL, NULL, 0, &res) == 0;
    http_response_free(&res);
    return up || waitpid(r->pid, NULL, WNOHANG) != 0; /* answering, or gone */
}

/* What the receiver acted on: its output's lines, once there are n of them. */
struct acted {
    const char *path;
    size_t lines;
    char text[1024];
};

static bool acted_on(void *ctx)
{
    struct acted *a = ctx;
    FILE *f = fopen(a->path, "r");
    if (!f)
        return false;
    size_t len = fread(a->text, 1, sizeof a->text - 1, f);
    fclose(f);
    a->text[len] = '\0';
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += a->text[i] == '\n';
    return lines >= a->lines;
}

Test(readme_webhook, the_receiver_acts_once_on_signed_fresh_requests_only, .fini = stop_receiver, .timeout = 60)
{
    cr_assert_eq(sodium_init() >= 0, true);
    char *block = python_block(RECEIVER_BLOCK);
    cr_assert_not_null(block, "no receiver block in README.md");
    {
        const char *argv[] = {"python3", "--version", NULL};
        char *out = NULL;
        int rc = stack_run(argv, &out);
        free(out);
        if (rc != 0)
            cr_skip_test("python3 is not installed (make deps-test installs it)");
    }
    start_receiver(&running, block);
    free(block);
    cr_assert(wait_until(listening, &running, WAIT_LONG_MS), "the receiver does not listen on %d", running.port);
    cr_assert_eq(waitpid(running.pid, NULL, WNOHANG), 0, "the receiver exited; its output: %s", running.out_path);

    char now[24], stale[24];
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    snprintf(stale, sizeof stale, "%lld", (long long)time(NULL) - 600);
    const char *deleted = "{\"type\":\"GUILD_DELETE\",\"timestamp\":\"2026-12-01T14:00:00.000000+00:00\","
                          "\"guild_id\":\"42\",\"data\":{\"id\":\"42\",\"unavailable\":false}}";
    const char *kicked = "{\"type\":\"kick\",\"timestamp\":\"2026-12-01T14:00:01.000000+00:00\",\"data\":"
                         "{\"player_id\":\"0b6e3c52-5d4e-4a8f-9a55-2f7c1d0e9a11\",\"user_id\":"
                         "\"5f0f3a1e-2b7c-4c8d-8e9f-0a1b2c3d4e5f\",\"reason\":\"\"}}";

    cr_expect_eq(post(&running, "1001", now, SECRET, deleted), 204, "a signed event");
    cr_expect_eq(post(&running, "1001", now, SECRET, deleted), 204, "its repeat (same webhook-id)");
    cr_expect_eq(post(&running, "1002", now, OTHER_SECRET, kicked), 401, "another secret's signature");
    cr_expect_eq(post(&running, "1002", stale, SECRET, kicked), 401, "a timestamp 10 minutes old");
    cr_expect_eq(post(&running, "1002", now, NULL, kicked), 401, "no signature");
    cr_expect_eq(post(&running, NULL, NULL, NULL, kicked), 401, "no headers at all");
    cr_expect_eq(post(&running, "1002", now, SECRET, kicked), 204, "the game command, signed");

    /* It acted on each event once, in the order they came. */
    struct acted a = {running.out_path, 2, ""};
    cr_assert(wait_until(acted_on, &a, WAIT_LONG_MS), "the receiver acted on: %s", a.text);
    cr_expect_str_eq(a.text, "GUILD_DELETE 42\nkick 0b6e3c52-5d4e-4a8f-9a55-2f7c1d0e9a11\n");
}
