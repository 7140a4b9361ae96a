/*
 * util: fatal errors, allocation that cannot fail, clocks, strict integer
 * parsing, dates rendered with gmtime_r and strftime (ISO 8601 for the APIs,
 * RFC 7231 for the game's token dates), and wiping secrets with libsodium
 * (see include/warden/util.h).
 */
#include "warden/util.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "warden/log.h"

/* Set in a process the running pool forked; see fatal_at. */
static bool forked_by_pool;

void fatal_after_fork(void)
{
    forked_by_pool = true;
}

_Noreturn void fatal_at(const char *file, int line, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (forked_by_pool) {
        log_error("fatal at %s:%d: %s; this process ends, the master replaces it", file, line,
                  message);
        _exit(1);
    }
    fprintf(stderr, "warden: %s:%d: %s\n", file, line, message);
    exit(1);
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        fatal("out of memory (%lu bytes)", (unsigned long)size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        fatal("out of memory");
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        fatal("out of memory (%lu bytes)", (unsigned long)size);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

uint64_t clock_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Any int64 of milliseconds is a year within int's range, so gmtime_r does not
 * fail for the callers here; should it, the result is an empty string. */
size_t format_utc(int64_t unix_s, const char *fmt, char *out, size_t size)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (size == 0)
        return 0;
    out[0] = '\0';
    if (!gmtime_r(&t, &tm))
        return 0;
    size_t n = strftime(out, size, fmt, &tm);
    if (n == 0)
        out[0] = '\0'; /* strftime leaves the array indeterminate when it does not fit */
    return n;
}

void format_iso8601(int64_t ms, char *out, size_t size)
{
    /* Floor division by remainder: "(ms - 999) / 1000" overflows near INT64_MIN. */
    int64_t rem = ms % 1000;
    int64_t secs = ms / 1000 - (rem < 0);
    int micros = (int)(rem < 0 ? rem + 1000 : rem) * 1000;
    /* "%04Y" (POSIX.1-2008's flag and width) pads a year below 1000 to four
     * digits and leaves longer and negative years whole, as "%04d" of
     * tm_year + 1900 did. */
    char date[64]; /* 19 characters; a year of ten digits and its sign still fit */
    format_utc(secs, "%04Y-%m-%dT%H:%M:%S", date, sizeof date);
    snprintf(out, size, "%s.%06d+00:00", date, micros);
}

void format_http_date(int64_t unix_s, char *out, size_t size)
{
    /* %a and %b are English in the C locale, which Warden never leaves. */
    format_utc(unix_s, "%a, %d %b %04Y %H:%M:%S GMT", out, size);
}

void wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}

void wipe_on_return(struct wipe_on_return *w)
{
    sodium_memzero(w->p, w->len);
}
