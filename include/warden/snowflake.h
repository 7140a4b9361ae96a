/*
 * snowflake: Discord-style 64-bit ids.
 *
 *   (ms since 2015-01-01T00:00:00Z) << 22 | worker << 17 | process << 12 | counter
 *
 * worker is the host id (--host-id, 0..31) and process the scoreboard slot
 * (0..29; 31 is wardenctl's), so two live processes of one deployment never
 * share the bits and their ids cannot collide. Ids from one process strictly
 * increase, even if the wall clock steps back.
 */
#ifndef WARDEN_SNOWFLAKE_H
#define WARDEN_SNOWFLAKE_H

#include <stdint.h>

#define SNOWFLAKE_EPOCH_MS 1420070400000LL
#define SNOWFLAKE_CTL_PROCESS 31

/** Set this process's worker and process fields (each 0..31). */
void snowflake_init(unsigned worker, unsigned process);
/** The next id. */
int64_t snowflake_next(void);
/** Milliseconds since the Unix epoch encoded in an id. */
int64_t snowflake_time_ms(int64_t id);

/**
 * Bounds on the ids of a time (ms since the Unix epoch), for _id ranges
 * over time-ordered collections: the least id drawn at ms, and the greatest
 * drawn at or before it. Before the epoch: 0; past the last millisecond an
 * id can carry (in 2084): INT64_MAX.
 */
int64_t snowflake_first_id_at(int64_t ms);
int64_t snowflake_last_id_at(int64_t ms);

#endif
