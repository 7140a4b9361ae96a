/*
 * parse: strict integers (see include/warden/parse.h).
 */
#include "warden/parse.h"

#include <stdbool.h>

#include <errno.h>
#include <stdlib.h>

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

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s as a number in min..max. */
static bool digits(const char *s, int n, int64_t min, int64_t max, int64_t *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return *out >= min && *out <= max;
}

int parse_utc_date(const char *s, int64_t *ms)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, milli = 0;
    if (!digits(s, 4, 1970, 9999, &y) || s[4] != '-' || !digits(s + 5, 2, 1, 12, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, 1, mdays[mo - 1] + (mo == 2 && leap_year(y)), &d))
        return -1;
    const char *p = s + 10;
    if (*p == 'T') {
        if (!digits(p + 1, 2, 0, 23, &h) || p[3] != ':' || !digits(p + 4, 2, 0, 59, &mi))
            return -1;
        p += 6;
        if (*p == ':') {
            if (!digits(p + 1, 2, 0, 59, &sec))
                return -1;
            p += 3;
            if (*p == '.') {
                if (!digits(p + 1, 3, 0, 999, &milli))
                    return -1;
                p += 4;
            }
        }
        if (*p == 'Z')
            p++;
    }
    if (*p)
        return -1;
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 * 60 + mi * 60 + sec) * 1000 + milli;
    return 0;
}
