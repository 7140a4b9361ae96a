/*
 * parse: strict integers (see include/warden/parse.h).
 */
#include "warden/parse.h"

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
