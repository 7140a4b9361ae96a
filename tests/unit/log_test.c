/*
 * log: the shape of a line (UTC date to the millisecond, pid, level) and the
 * escaping of control bytes, read back from a log file. Criterion runs each
 * test in a process of its own, so the logger's global state is fresh.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "warden/log.h"

static char path[64];

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/warden-log-test-%ld", (long)getpid());
    cr_assert_eq(log_open(path, LOG_DEBUG), 0);
}

static void teardown(void)
{
    unlink(path);
}

TestSuite(log, .init = setup, .fini = teardown);

/* The log file's first line, without its newline. */
static void first_line(char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(out, (int)size, f));
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

Test(log, line_starts_with_utc_date_pid_and_level)
{
    time_t before = time(NULL);
    log_info("hello");
    char line[256];
    first_line(line, sizeof line);
    /* "YYYY-MM-DDTHH:MM:SS.mmmZ warden[<pid>] info: hello" */
    cr_assert_eq(strlen(line) > 24, 1, "%s", line);
    for (size_t i = 0; i < 24; i++) {
        char c = line[i];
        bool ok;
        switch (i) {
        case 4: case 7: ok = c == '-'; break;
        case 10: ok = c == 'T'; break;
        case 13: case 16: ok = c == ':'; break;
        case 19: ok = c == '.'; break;
        case 23: ok = c == 'Z'; break;
        default: ok = c >= '0' && c <= '9';
        }
        cr_assert(ok, "byte %zu of %s", i, line);
    }
    struct tm tm;
    gmtime_r(&before, &tm);
    char year[16];
    snprintf(year, sizeof year, "%04d-", tm.tm_year + 1900);
    cr_assert_eq(strncmp(line, year, 5), 0, "not this year in UTC: %s", line);
    char rest[64];
    snprintf(rest, sizeof rest, " warden[%ld] info: hello", (long)getpid());
    cr_assert_str_eq(line + 24, rest);
}

Test(log, control_bytes_are_escaped_as_lower_case_hex)
{
    log_warn("a\nb\rc\x1f" "d\x7f" "e\x01\x0a\xc3\xa9");
    char line[256];
    first_line(line, sizeof line);
    const char *msg = strstr(line, "warn: ");
    cr_assert_not_null(msg, "%s", line);
    cr_assert_str_eq(msg + 6, "a\\x0ab\\x0dc\\x1fd\\x7fe\\x01\\x0a\xc3\xa9");
}
