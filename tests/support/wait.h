/*
 * wait: time in the test suites (tests/unit, tests/api).
 *
 * A test waits for the condition it needs, never for a guessed time:
 * wait_until() polls a condition up to a deadline, and that deadline only
 * bounds a broken run, so it is generous (seconds where the condition takes
 * milliseconds). A fixed sleep_ms() is for time that is itself part of the
 * scenario (a worker must age past the crash window, nothing may happen
 * meanwhile, two dates must differ). How long something took is printed,
 * never asserted: speed is `make bench`'s business.
 *
 * Contract: nothing here asserts or allocates, so the load threads of
 * tests/api (which must not call Criterion) use it too.
 */
#ifndef WARDEN_TESTS_WAIT_H
#define WARDEN_TESTS_WAIT_H

#include <stdbool.h>
#include <stdint.h>

/* The deadline of a wait that should end at once on a working stack: long
 * enough for a sanitizer build on a loaded 2-core machine. */
#define WAIT_LONG_MS 30000L

/* Sleep ms milliseconds (the whole of it: a signal does not cut it short). */
void sleep_ms(long ms);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t now_ms(void);

/* A condition: true once it holds. ctx is the caller's. */
typedef bool (*wait_cond_fn)(void *ctx);

/* Poll cond(ctx) until it holds or deadline_ms have passed (one last poll is
 * made at the deadline); whether it held. Polls start a millisecond apart
 * and back off to 50 ms, so a quick condition is seen quickly and a slow one
 * (an HTTP request per poll) does not flood what it watches. */
bool wait_until(wait_cond_fn cond, void *ctx, long deadline_ms);

#endif
