/*
 * format: dates rendered with gmtime_r and strftime: ISO 8601 for the APIs, RFC 7231 for the game's token dates.
 */
#ifndef WARDEN_FORMAT_H
#define WARDEN_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/**
 * strftime of unix_s seconds since the epoch, in UTC, into out. Returns the
 * length written, or 0 (out then holds "") when it did not fit.
 */
size_t format_utc(int64_t unix_s, const char *fmt, char *out, size_t size)
    __attribute__((format(strftime, 2, 0)));

/** Format ms since the epoch as "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" into out (>= 33 bytes). */
void format_iso8601(int64_t ms, char *out, size_t size);

/** Format seconds since the epoch as an HTTP date, "Thu, 01 Jan 1970 00:00:00 GMT" (>= 30 bytes). */
void format_http_date(int64_t unix_s, char *out, size_t size);

#endif
