/*
 * snowflake: id generation (see include/warden/snowflake.h).
 */
#include "warden/snowflake.h"

#include <sodium.h>
#include <time.h>

#include "warden/clock.h"

static unsigned snowflake_worker, snowflake_process;
static int64_t last_ms = -1;
static unsigned counter;

/*
 * Where the counter starts in each millisecond. A pool process owns its
 * process field and starts at 0. wardenctl's runs all share field 31 and may
 * run at once, so each millisecond of theirs starts at a random point of the
 * counter's lower half: two runs in one millisecond rarely meet, and the
 * stores that insert such ids take a new one on a duplicate key anyway.
 */
static unsigned counter_start(void)
{
    return snowflake_process == SNOWFLAKE_CTL_PROCESS ? randombytes_uniform(2048) : 0;
}

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
        counter++;
        if (counter > 4095) {
            /* The counter is spent in this millisecond: borrow the next one. */
            ms = last_ms + 1;
            while (clock_wall_ms() - SNOWFLAKE_EPOCH_MS < ms) {
                struct timespec pause = {0, 100 * 1000};
                nanosleep(&pause, NULL);
            }
            counter = counter_start();
        }
    } else {
        counter = counter_start();
    }
    last_ms = ms;
    return ms << 22 | (int64_t)snowflake_worker << 17 | (int64_t)snowflake_process << 12 | counter;
}

int64_t snowflake_time_ms(int64_t id)
{
    return (id >> 22) + SNOWFLAKE_EPOCH_MS;
}

/* The ms field of a time's ids, or -1 before the epoch, INT64_MAX past their range. */
static int64_t id_ms(int64_t ms)
{
    if (ms < SNOWFLAKE_EPOCH_MS)
        return -1;
    return ms - SNOWFLAKE_EPOCH_MS > INT64_MAX >> 22 ? INT64_MAX : ms - SNOWFLAKE_EPOCH_MS;
}

int64_t snowflake_first_id_at(int64_t ms)
{
    int64_t field = id_ms(ms);
    return field < 0 ? 0 : field == INT64_MAX ? INT64_MAX : field << 22;
}

int64_t snowflake_last_id_at(int64_t ms)
{
    int64_t field = id_ms(ms);
    return field < 0 ? 0 : field == INT64_MAX ? INT64_MAX : field << 22 | ((1 << 22) - 1);
}
