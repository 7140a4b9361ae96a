/*
 * scoreboard: one shared-memory slot per worker, for observation and
 * supervision (PHP-FPM's status page, Apache's scoreboard).
 *
 * The master creates it before forking; every process sees the same memory.
 * A worker writes only its own slot; the master writes pool totals and slot
 * ownership. Readers may see a slot mid-update: the figures are for humans and
 * for the master's timeout check, which tolerates one stale reading.
 */
#ifndef WARDEN_SCOREBOARD_H
#define WARDEN_SCOREBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCOREBOARD_URI_MAX 200
#define SCOREBOARD_RID_MAX 65   /* request ids are tokens of at most 64 bytes (request.c) */

enum slot_state {
    SLOT_EMPTY = 0,  /* no process */
    SLOT_STARTING,   /* forked, not accepting yet */
    SLOT_IDLE,       /* waiting in accept */
    SLOT_BUSY,       /* serving a request */
};

struct scoreboard_slot {
    volatile pid_t pid;
    volatile int state;                  /* enum slot_state */
    volatile unsigned generation;        /* bumped by each rolling restart */
    volatile int retiring;               /* set by the master: finish and exit */
    volatile uint64_t requests;          /* served by this process */
    volatile int64_t process_started_ms; /* wall clock */
    volatile int64_t request_started_ms; /* wall clock, for display */
    volatile uint64_t request_started_us;/* monotonic, for the timeout check */
    volatile uint64_t idle_since_us;     /* monotonic: when it last became idle */
    char method[12];
    char uri[SCOREBOARD_URI_MAX];        /* path only: queries may carry secrets */
    char request_id[SCOREBOARD_RID_MAX]; /* for the master's lines about this request */
};

/*
 * Each route's own counters, per slot (the dispatcher counts, status.c
 * renders their sums). They live beside the slots, not in them, so that a
 * slot handed to a new process keeps counting from where the old one left.
 */
#define SCOREBOARD_ROUTES_MAX 48   /* the route table's entries, then one for unrouted requests */
#define SCOREBOARD_LATENCY_BUCKETS 10

/* Upper bounds of the latency buckets in ms; the last bucket has none. */
extern const unsigned scoreboard_latency_bounds_ms[SCOREBOARD_LATENCY_BUCKETS - 1];

struct route_counters {
    volatile uint64_t by_class[5];   /* answers 1xx .. 5xx */
    volatile uint64_t db_errors;     /* answers that were a database failure */
    volatile uint64_t latency[SCOREBOARD_LATENCY_BUCKETS];
    volatile uint64_t latency_us_sum;
};

struct scoreboard {
    int64_t started_ms;
    int capacity;
    int pm;                              /* enum pool_mode (config.h) */
    volatile int workers_wanted;         /* the master's current target */
    volatile uint64_t retired_requests;  /* served by processes that have exited */
    volatile uint64_t slow_requests;
    volatile uint64_t respawns;
    volatile uint64_t timeouts;          /* workers killed by --request-timeout */
    volatile uint64_t crashes;           /* workers that died unasked (not recycled, not stopped) */
    volatile uint64_t spawns;            /* worker processes started */
    volatile uint64_t reaps;             /* idle workers stopped by --pm dynamic or ondemand */
    struct scoreboard_slot slots[];
};

/** Map a zeroed scoreboard shared with future children. Fatal on failure. */
struct scoreboard *scoreboard_create(int capacity);
void scoreboard_destroy(struct scoreboard *sb);

/** Name of a slot's state for status output ("stopping" when retiring). */
const char *scoreboard_state_name(const struct scoreboard_slot *slot);

/** Worker side: the slot is idle (at start, and after each request). */
void scoreboard_idle(struct scoreboard_slot *slot);

/** Worker side: mark the start and the end of a request in its own slot
 * (request_id may be NULL). */
void scoreboard_request_begin(struct scoreboard_slot *slot, const char *method, const char *path,
                              const char *request_id);
void scoreboard_request_end(struct scoreboard_slot *slot);

/** Worker side: count one answered request of route (an index below SCOREBOARD_ROUTES_MAX). */
void scoreboard_count_route(struct scoreboard *sb, int slot_index, size_t route, int status,
                            uint64_t elapsed_us, bool db_failed);
/** A route's counters summed over every slot. */
void scoreboard_route_totals(const struct scoreboard *sb, size_t route, struct route_counters *out);

/** Totals across slots, for status output. */
struct scoreboard_totals {
    uint64_t accepted;   /* requests completed or in flight since the pool started */
    int active;
    int idle;
    int total;
};
void scoreboard_totals(const struct scoreboard *sb, struct scoreboard_totals *out);

#endif
