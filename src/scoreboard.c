/*
 * scoreboard: shared-memory worker slots (see include/warden/scoreboard.h).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "warden/scoreboard.h"

#include <string.h>
#include <sys/mman.h>

#include "warden/util.h"

static size_t scoreboard_size(int capacity)
{
    return sizeof(struct scoreboard) + (size_t)capacity * sizeof(struct scoreboard_slot);
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

void scoreboard_request_begin(struct scoreboard_slot *slot, const char *method, const char *path)
{
    copy_field(slot->method, sizeof slot->method, method);
    copy_field(slot->uri, sizeof slot->uri, path);
    slot->request_started_ms = clock_wall_ms();
    slot->request_started_us = clock_monotonic_us();
    __atomic_store_n(&slot->state, SLOT_BUSY, __ATOMIC_RELEASE);
}

void scoreboard_request_end(struct scoreboard_slot *slot)
{
    slot->requests++;
    __atomic_store_n(&slot->state, SLOT_IDLE, __ATOMIC_RELEASE);
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
