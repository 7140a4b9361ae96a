/*
 * wait: sleeping, the monotonic clock and waiting for a condition (see
 * tests/support/wait.h).
 */
#include "support/wait.h"

#include <errno.h>
#include <time.h>

#define POLL_FIRST_MS 1
#define POLL_MAX_MS 50

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool wait_until(wait_cond_fn cond, void *ctx, long deadline_ms)
{
    int64_t deadline = now_ms() + deadline_ms;
    long pause = POLL_FIRST_MS;

    for (;;) {
        if (cond(ctx))
            return true;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        sleep_ms(pause < left ? pause : (long)left);
        if (pause < POLL_MAX_MS)
            pause = pause * 2 < POLL_MAX_MS ? pause * 2 : POLL_MAX_MS;
    }
}
