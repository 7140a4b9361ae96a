/*
 * clock: the two clocks: monotonic for durations, wall for dates.
 */
#ifndef WARDEN_CLOCK_H
#define WARDEN_CLOCK_H

#include <stdint.h>

/** Monotonic clock in microseconds (for durations). */
uint64_t clock_monotonic_us(void);
/** Wall clock in milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);

#endif
