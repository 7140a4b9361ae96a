/*
 * snowflake: id generation (see include/warden/snowflake.h).
 */
#include "warden/snowflake.h"

#include <time.h>

#include "warden/clock.h"

static unsigned snowflake_worker, snowflake_process;
static int64_t last_ms = -1;
static unsigned counter;

void snowflake_init(unsigned worker, unsigned process)
{
    snowflake_worker = worker & 31;
    snowflake_process = process & 31;
    last_ms = -1;
    counter = 0;
}

int64_t snowflake_next(void)
{
    int64_t ms = clock_wall_ms() - SNOWFLAKE_EPOCH_MS;
    if (ms < last_ms)
        ms = last_ms; /* clock stepped back: keep counting within the last millisecond */
    if (ms == last_ms) {
        counter = (counter + 1) & 4095;
        if (counter == 0) {
            /* 4096 ids in one millisecond: borrow the next one. */
            ms = last_ms + 1;
            while (clock_wall_ms() - SNOWFLAKE_EPOCH_MS < ms) {
                struct timespec pause = {0, 100 * 1000};
                nanosleep(&pause, NULL);
            }
        }
    } else {
        counter = 0;
    }
    last_ms = ms;
    return ms << 22 | (int64_t)snowflake_worker << 17 | (int64_t)snowflake_process << 12 | counter;
}

int64_t snowflake_time_ms(int64_t id)
{
    return (id >> 22) + SNOWFLAKE_EPOCH_MS;
}
