/*
 * The small base modules: parse (strict integers, which the config flags
 * and query parameters rest on), format (the ISO 8601 rendering every date
 * in a response goes through, and the HTTP dates of the game's tokens, both
 * through strftime), fatal (where it says it happened, and that in a process
 * the pool forked it ends that process only, through the log, not the
 * start-up path) and mem.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "warden/arena.h"
#include "warden/log.h"
#include "warden/fatal.h"
#include "warden/mem.h"
#include "warden/parse.h"
#include "warden/format.h"

/* parse_int64 with a sentinel in *out, so that a failure leaving it alone is visible. */
static int parse(const char *s, int64_t min, int64_t max, int64_t *out)
{
    *out = 4242;
    return parse_int64(s, min, max, out);
}

static void assert_parses(const char *s, int64_t min, int64_t max, int64_t expected)
{
    int64_t v;
    cr_assert_eq(parse(s, min, max, &v), 0, "\"%s\" should parse", s);
    cr_assert_eq(v, expected, "\"%s\" parsed as %lld", s, (long long)v);
}

static void assert_refused(const char *s, int64_t min, int64_t max)
{
    int64_t v;
    cr_assert_eq(parse(s, min, max, &v), -1, "\"%s\" should be refused", s);
    cr_assert_eq(v, 4242, "a refused \"%s\" must leave *out alone", s);
}

Test(base, parse_int64_plain_numbers)
{
    assert_parses("0", 0, 10, 0);
    assert_parses("7", 0, 10, 7);
    assert_parses("-3", -10, 10, -3);
    assert_parses("-0", -10, 10, 0);
    assert_parses("1234567890123", 0, INT64_MAX, 1234567890123);
}

Test(base, parse_int64_bounds_are_inclusive)
{
    assert_parses("1", 1, 16, 1);
    assert_parses("16", 1, 16, 16);
    assert_refused("0", 1, 16);
    assert_refused("17", 1, 16);
    assert_parses("-5", -5, 5, -5);
    assert_refused("-6", -5, 5);
}

Test(base, parse_int64_int64_limits_and_overflow)
{
    assert_parses("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
    assert_parses("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
    assert_refused("9223372036854775808", INT64_MIN, INT64_MAX);
    assert_refused("-9223372036854775809", INT64_MIN, INT64_MAX);
    assert_refused("99999999999999999999999", INT64_MIN, INT64_MAX);
}

Test(base, parse_int64_refuses_anything_but_digits)
{
    static const char *const bad[] = {
        "", "-", "+1", " 1", "1 ", "1a", "a1", "0x10", "1.0", "1e3", "--1", "-+1", "- 1", "\t1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refused(bad[i], INT64_MIN, INT64_MAX);
}

Test(base, parse_int64_null_is_refused)
{
    assert_refused(NULL, 0, 10);
}

static void assert_iso(int64_t ms, const char *expected)
{
    char out[64];
    memset(out, 'x', sizeof out);
    format_iso8601(ms, out, sizeof out);
    cr_assert_str_eq(out, expected, "ms %lld", (long long)ms);
}

Test(base, format_iso8601_epoch_and_known_dates)
{
    assert_iso(0, "1970-01-01T00:00:00.000000+00:00");
    assert_iso(1420070400000, "2015-01-01T00:00:00.000000+00:00");
    assert_iso(951782400000, "2000-02-29T00:00:00.000000+00:00");
    assert_iso(951868799999, "2000-02-29T23:59:59.999000+00:00");
}

Test(base, format_iso8601_milliseconds)
{
    assert_iso(1, "1970-01-01T00:00:00.001000+00:00");
    assert_iso(1420070400123, "2015-01-01T00:00:00.123000+00:00");
    assert_iso(1420070400999, "2015-01-01T00:00:00.999000+00:00");
    assert_iso(1420070401000, "2015-01-01T00:00:01.000000+00:00");
}

Test(base, format_iso8601_before_the_epoch)
{
    assert_iso(-1, "1969-12-31T23:59:59.999000+00:00");
    assert_iso(-999, "1969-12-31T23:59:59.001000+00:00");
    assert_iso(-1000, "1969-12-31T23:59:59.000000+00:00");
    assert_iso(-1001, "1969-12-31T23:59:58.999000+00:00");
}

Test(base, format_iso8601_fits_the_documented_33_bytes)
{
    char out[33];
    format_iso8601(1420070400123, out, sizeof out);
    cr_assert_str_eq(out, "2015-01-01T00:00:00.123000+00:00");
}

Test(base, format_iso8601_leap_days_and_centuries)
{
    assert_iso(1709210096789, "2024-02-29T12:34:56.789000+00:00");
    /* 2100 is no leap year: 28 February is followed by 1 March. */
    assert_iso(4107542399999, "2100-02-28T23:59:59.999000+00:00");
    assert_iso(4107542400000, "2100-03-01T00:00:00.000000+00:00");
    assert_iso(-2203977600000, "1900-02-28T00:00:00.000000+00:00");
}

/* Years keep at least four digits, as "%04d" gave them; longer ones stay whole. */
Test(base, format_iso8601_year_widths)
{
    assert_iso(-62135596800000, "0001-01-01T00:00:00.000000+00:00");
    assert_iso(-30610224001000, "0999-12-31T23:59:59.000000+00:00");
    assert_iso(253402300799999, "9999-12-31T23:59:59.999000+00:00");
    assert_iso(253402300800000, "10000-01-01T00:00:00.000000+00:00");
}

static void assert_http_date(int64_t s, const char *expected)
{
    char out[64];
    memset(out, 'x', sizeof out);
    format_http_date(s, out, sizeof out);
    cr_assert_str_eq(out, expected, "s %lld", (long long)s);
}

Test(base, format_http_date_known_dates)
{
    assert_http_date(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_http_date(1420070400, "Thu, 01 Jan 2015 00:00:00 GMT");
    assert_http_date(1709210096, "Thu, 29 Feb 2024 12:34:56 GMT");
    assert_http_date(4107542399, "Sun, 28 Feb 2100 23:59:59 GMT");
    assert_http_date(4107542400, "Mon, 01 Mar 2100 00:00:00 GMT");
    assert_http_date(-2203977600, "Wed, 28 Feb 1900 00:00:00 GMT");
    assert_http_date(253402300799, "Fri, 31 Dec 9999 23:59:59 GMT");
}

Test(base, format_http_date_fits_30_bytes)
{
    char out[30];
    format_http_date(1709210096, out, sizeof out);
    cr_assert_str_eq(out, "Thu, 29 Feb 2024 12:34:56 GMT");
    char small[29];
    format_http_date(1709210096, small, sizeof small);
    cr_assert_str_eq(small, "", "a date that does not fit is left empty");
}

Test(base, format_utc_any_format)
{
    char out[32];
    cr_assert_eq(format_utc(86399, "%H:%M:%S", out, sizeof out), 8);
    cr_assert_str_eq(out, "23:59:59");
    cr_assert_eq(format_utc(0, "%j", out, 0), 0, "no room at all");
}

/* A date field in the database may hold any Int64: rendering it must stay defined. */
Test(base, format_iso8601_extreme_values)
{
    char out[64];
    format_iso8601(INT64_MIN, out, sizeof out);
    cr_assert(strstr(out, ".192000+00:00") != NULL, "INT64_MIN rendered as %s", out);
    format_iso8601(INT64_MAX, out, sizeof out);
    cr_assert(strstr(out, ".807000+00:00") != NULL, "INT64_MAX rendered as %s", out);
}

Test(base, wipe_zeroes_memory)
{
    char secret[16];
    memset(secret, 's', sizeof secret);
    mem_wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++)
        cr_assert_eq(secret[i], 0, "byte %zu", i);
}

/* A file-scope array, so that what MEM_WIPE_ON_RETURN did is visible after the return. */
static char held[24];

static int hold_then_return(int early)
{
    MEM_WIPE_ON_RETURN(held);
    memset(held, 's', sizeof held);
    if (early)
        return 1;
    return 2;
}

Test(base, wipe_on_return_wipes_on_every_return)
{
    for (int early = 0; early < 2; early++) {
        cr_assert_eq(hold_then_return(early), early ? 1 : 2);
        for (size_t i = 0; i < sizeof held; i++)
            cr_assert_eq(held[i], 0, "return %d left byte %zu", early, i);
    }
}

Test(base, xstrdup_copies)
{
    const char *s = "warden";
    char *copy = mem_strdup(s);
    cr_assert_neq(copy, s);
    cr_assert_str_eq(copy, s);
    free(copy);
}

/* --- fatal ---------------------------------------------------------------- */

/* A fatal() whose line the tests know: both declarations on one line. */
static _Noreturn void boom(void) { fatal("boom %d", 42); } enum { BOOM_LINE = __LINE__ };

/* Written by an atexit handler: exit() ran the handlers, _exit() did not. */
static void say_goodbye(void)
{
    fputs("atexit ran\n", stderr);
}

struct fatal_run {
    int status;         /* the child's exit status, -1 if it did not exit */
    char err[4096];     /* its stderr */
    char log[4096];     /* its log file */
};

static void read_into(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, size - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
}

/* Run die() in a child whose stderr and log go to files of their own, as a
 * worker (fatal_after_fork called first) or not. */
static void run_fatal(void (*die)(void), bool in_worker, struct fatal_run *r)
{
    char err_path[] = "/tmp/warden-fatal-err-XXXXXX", log_path[] = "/tmp/warden-fatal-log-XXXXXX";
    int err_fd = mkstemp(err_path), log_fd = mkstemp(log_path);
    cr_assert(err_fd >= 0 && log_fd >= 0);
    close(log_fd);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(err_fd, 2);
        if (log_open(log_path, LOG_INFO) < 0)
            _exit(99);
        atexit(say_goodbye);
        if (in_worker)
            fatal_after_fork();
        die();
        _exit(98); /* not reached */
    }
    close(err_fd);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    read_into(err_path, r->err, sizeof r->err);
    read_into(log_path, r->log, sizeof r->log);
    unlink(err_path);
    unlink(log_path);
}

Test(base, fatal_at_start_up_prints_file_and_line_on_stderr_and_exits_1)
{
    struct fatal_run r;
    run_fatal(boom, false, &r);
    char expected[128];
    snprintf(expected, sizeof expected, "warden: tests/unit/base_test.c:%d: boom 42\n", BOOM_LINE);
    cr_assert_eq(r.status, 1, "exit status %d, stderr: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, expected), "stderr: %s", r.err);
    cr_assert_not_null(strstr(r.err, "atexit ran"), "exit() should run the atexit handlers");
    cr_assert_str_empty(r.log, "logged: %s", r.log);
}

Test(base, fatal_in_a_forked_process_logs_file_and_line_and_ends_only_it)
{
    struct fatal_run r;
    run_fatal(boom, true, &r);
    char expected[128];
    snprintf(expected, sizeof expected, " error: fatal at tests/unit/base_test.c:%d: boom 42;",
             BOOM_LINE);
    cr_assert_eq(r.status, 1, "exit status %d, log: %s", r.status, r.log);
    cr_assert_not_null(strstr(r.log, expected), "log: %s", r.log);
    cr_assert_str_empty(r.err, "printed on stderr (the start-up path): %s", r.err);
}

/* What a request can run into: an arena allocation that cannot be made. */
static void arena_overflow(void)
{
    struct arena *a = arena_new();
    arena_alloc(a, SIZE_MAX);
    arena_free(a);
}

Test(base, arena_overflow_in_a_worker_takes_the_worker_path)
{
    struct fatal_run r;
    run_fatal(arena_overflow, true, &r);
    cr_assert_eq(r.status, 1, "exit status %d, log: %s", r.status, r.log);
    cr_assert_not_null(strstr(r.log, "fatal at src/arena.c:"), "log: %s", r.log);
    cr_assert_not_null(strstr(r.log, ": arena allocation overflow;"), "log: %s", r.log);
    cr_assert_str_empty(r.err, "stderr: %s", r.err);
}
