/*
 * scoreboard: shared-memory worker slots (see include/warden/scoreboard.h).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "warden/scoreboard.h"

#include <string.h>
#include <sys/mman.h>

#include "warden/fatal.h"
#include "warden/clock.h"

const unsigned scoreboard_latency_bounds_ms[SCOREBOARD_LATENCY_BUCKETS - 1] = {
    1, 2, 5, 10, 25, 50, 100, 250, 1000,
};

/* The route counters follow the slots: capacity * SCOREBOARD_ROUTES_MAX of them. */
static size_t slots_size(int capacity)
{
    size_t size = sizeof(struct scoreboard) + (size_t)capacity * sizeof(struct scoreboard_slot);
    const size_t align = _Alignof(struct route_counters);
    return (size + align - 1) / align * align;
}

static size_t scoreboard_size(int capacity)
{
    return slots_size(capacity) +
           (size_t)capacity * SCOREBOARD_ROUTES_MAX * sizeof(struct route_counters);
}

static struct route_counters *counters_of(const struct scoreboard *sb, int slot_index, size_t route)
{
    struct route_counters *all =
        (struct route_counters *)((char *)sb + slots_size(sb->capacity));
    return &all[(size_t)slot_index * SCOREBOARD_ROUTES_MAX + route];
}

void scoreboard_count_route(struct scoreboard *sb, int slot_index, size_t route, int status,
                            uint64_t elapsed_us, bool db_failed)
{
    if (route >= SCOREBOARD_ROUTES_MAX || slot_index < 0 || slot_index >= sb->capacity)
        return;
    struct route_counters *c = counters_of(sb, slot_index, route);
    int cls = status / 100 - 1;
    if (cls >= 0 && cls < 5)
        c->by_class[cls]++;
    if (db_failed)
        c->db_errors++;
    size_t bucket = 0;
    while (bucket < SCOREBOARD_LATENCY_BUCKETS - 1 &&
           elapsed_us > (uint64_t)scoreboard_latency_bounds_ms[bucket] * 1000)
        bucket++;
    c->latency[bucket]++;
    c->latency_us_sum += elapsed_us;
}

void scoreboard_route_totals(const struct scoreboard *sb, size_t route, struct route_counters *out)
{
    memset(out, 0, sizeof *out);
    if (route >= SCOREBOARD_ROUTES_MAX)
        return;
    for (int i = 0; i < sb->capacity; i++) {
        const struct route_counters *c = counters_of(sb, i, route);
        for (size_t k = 0; k < 5; k++)
            out->by_class[k] += c->by_class[k];
        out->db_errors += c->db_errors;
        for (size_t k = 0; k < SCOREBOARD_LATENCY_BUCKETS; k++)
            out->latency[k] += c->latency[k];
        out->latency_us_sum += c->latency_us_sum;
    }
}

struct scoreboard *scoreboard_create(int capacity)
{
    struct scoreboard *sb = mmap(NULL, scoreboard_size(capacity), PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sb == MAP_FAILED)
        fatal("cannot map the scoreboard");
    memset(sb, 0, scoreboard_size(capacity));
    sb->capacity = capacity;
    sb->started_ms = clock_wall_ms();
    return sb;
}

void scoreboard_destroy(struct scoreboard *sb)
{
    if (sb)
        munmap(sb, scoreboard_size(sb->capacity));
}

const char *scoreboard_state_name(const struct scoreboard_slot *slot)
{
    switch (slot->state) {
    case SLOT_STARTING: return "starting";
    case SLOT_IDLE: return slot->retiring ? "stopping" : "idle";
    case SLOT_BUSY: return "busy";
    default: return "empty";
    }
}

static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void scoreboard_request_begin(struct scoreboard_slot *slot, const char *method, const char *path,
                              const char *request_id)
{
    copy_field(slot->method, sizeof slot->method, method);
    copy_field(slot->uri, sizeof slot->uri, path);
    copy_field(slot->request_id, sizeof slot->request_id, request_id ? request_id : "");
    slot->request_started_ms = clock_wall_ms();
    slot->request_started_us = clock_monotonic_us();
    __atomic_store_n(&slot->state, SLOT_BUSY, __ATOMIC_RELEASE);
}

void scoreboard_idle(struct scoreboard_slot *slot)
{
    slot->idle_since_us = clock_monotonic_us();
    __atomic_store_n(&slot->state, SLOT_IDLE, __ATOMIC_RELEASE);
}

void scoreboard_request_end(struct scoreboard_slot *slot)
{
    slot->requests++;
    scoreboard_idle(slot);
}

void scoreboard_totals(const struct scoreboard *sb, struct scoreboard_totals *out)
{
    memset(out, 0, sizeof *out);
    out->accepted = sb->retired_requests;
    for (int i = 0; i < sb->capacity; i++) {
        const struct scoreboard_slot *s = &sb->slots[i];
        if (s->state == SLOT_EMPTY)
            continue;
        out->total++;
        out->accepted += s->requests;
        if (s->state == SLOT_BUSY) {
            out->active++;
            out->accepted++;
        } else if (s->state == SLOT_IDLE) {
            out->idle++;
        }
    }
}
