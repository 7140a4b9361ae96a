/*
 * format: dates (see include/warden/format.h).
 */
#include "warden/format.h"

#include <stdio.h>
#include <time.h>

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
