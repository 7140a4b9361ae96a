/*
 * util: process-wide helpers with no better home: fatal errors, clocks,
 * strict number parsing, date rendering, wiping secrets.
 */
#ifndef WARDEN_UTIL_H
#define WARDEN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * fatal(fmt, ...): an unrecoverable failure, reported with the file and
 * line of the call, ending the process. For start-up, out of memory and
 * "cannot happen" only; a request's own failures are error answers.
 *
 * What it does depends on the process, not on the call site, because the
 * same code (xmalloc, the arena, the JSON writer, the store) runs in the
 * master, in wardenctl and in the workers, and cannot tell which it is in:
 *
 * - before fatal_after_fork (the master starting, wardenctl, tests): print
 *   "warden: FILE:LINE: message" on stderr and exit(1);
 * - after it (a worker, or the schema process, forked by a running pool):
 *   log "fatal at FILE:LINE: message" at error level to the pool's log,
 *   beside the line the master writes when it reaps the process, and
 *   _exit(1): that process only ends, the master replaces it, and the pool
 *   keeps serving. _exit, not exit: after a broken invariant or a failed
 *   allocation mid-request, atexit handlers and stdio buffers inherited
 *   from the master are not to be trusted; the client gets nginx's 502.
 *
 * Nothing on the worker path allocates (the message is formatted on the
 * stack), so it works when memory has run out.
 */
#define fatal(...) fatal_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void fatal_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Called first thing by every process the running pool forks (worker_run,
 * the schema process): from then on fatal() logs and ends only this process
 * (see above).
 */
void fatal_after_fork(void);

/** malloc/calloc/realloc/strdup that never return NULL (out of memory is fatal). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/** Monotonic clock in microseconds (for durations). */
uint64_t clock_monotonic_us(void);
/** Wall clock in milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);

/**
 * Parse a whole string as a base-10 integer in [min, max]. No sign other than
 * a leading '-', no spaces, no trailing text. Returns 0 and fills *out, or -1.
 */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

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

/** Overwrite memory in a way the compiler may not drop (for secrets): sodium_memzero. */
void wipe(void *p, size_t len);

/* What WIPE_ON_RETURN registers: an array and its size. */
struct wipe_on_return {
    void *p;
    size_t len;
};
/** wipe(w->p, w->len); WIPE_ON_RETURN's cleanup function. */
void wipe_on_return(struct wipe_on_return *w);
/**
 * Wipe the array buf when the block it is declared in is left, by any
 * return (the cleanup attribute of GCC and clang). Goes on the line after
 * buf's declaration; buf must be an array, not a pointer.
 */
#define WIPE_ON_RETURN(buf)                                                                        \
    struct wipe_on_return buf##_wiper __attribute__((cleanup(wipe_on_return))) = {(buf), sizeof(buf)}

#endif
