/*
 * relay/queue: targets and their events (see include/warden/relay/queue.h).
 */
#include "warden/relay/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/mem.h"

static size_t hash_target(unsigned stream, const char *name)
{
    uint64_t h = 1469598103934665603ULL ^ stream; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % RELAY_QUEUE_BUCKETS);
}

void relay_queue_init(struct relay_queue *q)
{
    memset(q, 0, sizeof *q);
}

static void free_event(struct relay_event *ev)
{
    bson_destroy(ev->doc);
    free(ev);
}

void relay_queue_clear(struct relay_queue *q)
{
    for (size_t b = 0; b < RELAY_QUEUE_BUCKETS; b++) {
        struct relay_target *t = q->buckets[b];
        while (t) {
            struct relay_target *next = t->chain;
            for (struct relay_event *ev = t->head, *n; ev; ev = n) {
                n = ev->next;
                free_event(ev);
            }
            free(t);
            t = next;
        }
    }
    relay_queue_init(q);
}

static struct relay_target *target_get(struct relay_queue *q, unsigned stream, const char *name)
{
    size_t b = hash_target(stream, name);
    for (struct relay_target *t = q->buckets[b]; t; t = t->chain)
        if (t->stream == stream && strcmp(t->name, name) == 0)
            return t;
    struct relay_target *t = mem_calloc(1, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->stream = stream;
    t->chain = q->buckets[b];
    q->buckets[b] = t;
    /* Appended: the active list stays in the order targets got their first event. */
    struct relay_target **end = &q->active, *prev = NULL;
    while (*end) {
        prev = *end;
        end = &(*end)->next_active;
    }
    *end = t;
    t->prev_active = prev;
    return t;
}

static void target_drop(struct relay_queue *q, struct relay_target *t)
{
    if (t->prev_active)
        t->prev_active->next_active = t->next_active;
    else
        q->active = t->next_active;
    if (t->next_active)
        t->next_active->prev_active = t->prev_active;
    struct relay_target **p = &q->buckets[hash_target(t->stream, t->name)];
    while (*p != t)
        p = &(*p)->chain;
    *p = t->chain;
    free(t);
}

struct relay_event *relay_queue_add(struct relay_queue *q, unsigned stream, const char *target,
                                    int64_t id, int endpoint, bson_t *doc, int64_t created_ms)
{
    struct relay_target *t = target_get(q, stream, target);
    struct relay_event **p = &t->head;
    while (*p && (*p)->id < id)
        p = &(*p)->next;
    if (*p && (*p)->id == id) {
        bson_destroy(doc);
        return NULL;
    }
    struct relay_event *ev = mem_calloc(1, sizeof *ev);
    ev->id = id;
    ev->stream = stream;
    ev->endpoint = endpoint;
    ev->doc = doc;
    ev->created_ms = created_ms;
    ev->target = t;
    ev->next = *p;
    *p = ev;
    q->events++;
    return ev;
}

struct relay_event *relay_queue_find(const struct relay_queue *q, unsigned stream, int64_t id)
{
    for (struct relay_target *t = q->active; t; t = t->next_active)
        if (t->stream == stream)
            for (struct relay_event *ev = t->head; ev && ev->id <= id; ev = ev->next)
                if (ev->id == id)
                    return ev;
    return NULL;
}

void relay_queue_remove(struct relay_queue *q, struct relay_event *ev)
{
    struct relay_target *t = ev->target;
    struct relay_event **p = &t->head;
    while (*p && *p != ev)
        p = &(*p)->next;
    if (!*p)
        return;
    *p = ev->next;
    free_event(ev);
    q->events--;
    if (!t->head)
        target_drop(q, t);
}

int64_t relay_queue_oldest(const struct relay_queue *q, unsigned stream)
{
    int64_t oldest = 0;
    for (const struct relay_target *t = q->active; t; t = t->next_active)
        if (t->stream == stream && t->head && (oldest == 0 || t->head->id < oldest))
            oldest = t->head->id;
    return oldest;
}

/* --- the id set: open addressing, linear probing, rebuilt to prune ---------- */

void relay_idset_init(struct relay_idset *s)
{
    s->cap = 1024;
    s->n = 0;
    s->slots = mem_calloc(s->cap, sizeof *s->slots);
}

void relay_idset_free(struct relay_idset *s)
{
    free(s->slots);
    s->slots = NULL;
    s->cap = s->n = 0;
}

static size_t slot_of(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

static void insert_slot(int64_t *slots, size_t cap, int64_t id)
{
    size_t i = slot_of(id, cap);
    while (slots[i] && slots[i] != id)
        i = (i + 1) & (cap - 1);
    slots[i] = id;
}

static void rebuild(struct relay_idset *s, size_t cap, int64_t floor)
{
    int64_t *slots = mem_calloc(cap, sizeof *slots);
    size_t n = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i] && s->slots[i] >= floor) {
            insert_slot(slots, cap, s->slots[i]);
            n++;
        }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    s->n = n;
}

void relay_idset_add(struct relay_idset *s, int64_t id)
{
    if (id <= 0 || relay_idset_has(s, id))
        return;
    if ((s->n + 1) * 2 > s->cap)
        rebuild(s, s->cap * 2, 0);
    insert_slot(s->slots, s->cap, id);
    s->n++;
}

bool relay_idset_has(const struct relay_idset *s, int64_t id)
{
    size_t i = slot_of(id, s->cap);
    while (s->slots[i]) {
        if (s->slots[i] == id)
            return true;
        i = (i + 1) & (s->cap - 1);
    }
    return false;
}

void relay_idset_prune(struct relay_idset *s, int64_t floor)
{
    size_t cap = s->cap;
    while (cap > 1024 && s->n * 8 < cap)
        cap /= 2;
    rebuild(s, cap, floor);
}
