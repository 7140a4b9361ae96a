/*
 * The pool's log file: one access line per request, reopened on SIGUSR1
 * (what logrotate's postrotate does), with nothing secret in it.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/http.h"
#include "support/stack.h"
#include "support/wait.h"

static struct stack log_stack;
static char log_dir[64];

static void stop_log_stack(void)
{
    stack_stop(&log_stack);
    stack_remove_dir(log_dir);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    cr_assert(text);
    size_t got = fread(text, 1, (size_t)n, f);
    text[got] = '\0';
    fclose(f);
    return text;
}

/* GET path on the private stack; returns the request id it was logged under. */
static void get_logged(const char *path, char *request_id, size_t size)
{
    char *url = http_url(log_stack.url, "%s", path);
    struct http_response r;
    cr_assert(http_get(url, &r) == 0, "%s: %s", url, r.error);
    cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
    const char *id = http_header(&r, "X-Request-Id");
    cr_assert(id && *id, "no X-Request-Id on %s", path);
    snprintf(request_id, size, "%s", id);
    http_response_free(&r);
    free(url);
}

struct in_file {
    const char *path, *needle;
};

static bool file_holds(void *ctx)
{
    const struct in_file *f = ctx;
    char *text = slurp(f->path);
    bool found = text && strstr(text, f->needle);
    free(text);
    return found;
}

/* Whether the file at path comes to hold needle (lines are written as a
 * request ends, after its answer has gone). */
static bool appears(const char *path, const char *needle)
{
    struct in_file f = {path, needle};
    return wait_until(file_holds, &f, WAIT_LONG_MS);
}

static bool exists(void *ctx)
{
    return access(ctx, F_OK) == 0;
}

Test(logs, access_lines_and_reopen_on_sigusr1, .fini = stop_log_stack, .timeout = 120)
{
    snprintf(log_dir, sizeof log_dir, "/tmp/warden-logs-XXXXXX");
    cr_assert(mkdtemp(log_dir), "mkdtemp");
    char log_path[128], rotated[160];
    snprintf(log_path, sizeof log_path, "%s/pool.log", log_dir);
    snprintf(rotated, sizeof rotated, "%s.1", log_path);
    const char *args[] = {"--log-file", log_path, NULL};
    cr_assert(stack_start(&log_stack, args) == 0, "the stack did not start");

    char first[128], second[128];
    get_logged("/healthz", first, sizeof first);
    cr_assert(appears(log_path, first), "no access line for %s in %s", first, log_path);
    char *text = slurp(log_path);
    char *line = strstr(text, first);
    while (line > text && line[-1] != '\n')
        line--;
    cr_expect(strstr(line, "access GET /healthz 200 ") == strstr(line, "access"),
              "access line: %.200s", line);
    free(text);

    /* Rotate as logrotate does: move the file, signal the pool. */
    cr_assert(rename(log_path, rotated) == 0);
    cr_assert(kill(log_stack.pool_pid, SIGUSR1) == 0);
    /* The master reopens the path (creating the file) and passes the signal
     * on to the workers, which reopen before they take their next request. */
    cr_assert(wait_until(exists, log_path, WAIT_LONG_MS), "the pool did not reopen %s", log_path);
    /* Two workers: ask twice per worker so that each has served after the signal. */
    for (int i = 0; i < 4; i++)
        get_logged("/healthz", second, sizeof second);
    cr_expect(appears(log_path, second), "after SIGUSR1 the pool did not write %s", log_path);
    char *old = slurp(rotated);
    cr_expect(old && !strstr(old, second), "the rotated file still receives lines");
    free(old);
}
