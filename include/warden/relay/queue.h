/*
 * relay/queue: the events the relay holds, by target, and the ids it has
 * seen recently.
 *
 * A target is the unit of order ("guild:1", "user:2", "player:<guid>"): its
 * events are kept in _id order and only its head is ever being delivered,
 * so a failing event holds back its target's later events and no other's.
 * Targets with events are on the active list, oldest created first; a
 * target leaves it when it has no event left.
 */
#ifndef WARDEN_RELAY_QUEUE_H
#define WARDEN_RELAY_QUEUE_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_TARGET_MAX 96

struct relay_target;

struct relay_event {
    int64_t id;
    unsigned stream;             /* the relay's stream index */
    int endpoint;                /* index into the config's endpoints */
    bson_t *doc;                 /* owned */
    int64_t created_ms;
    int attempts;                /* failed so far */
    int64_t due_ms;              /* not attempted before this wall time */
    int64_t retry_command;       /* the retry command that queued it again, or 0 */
    bool busy;                   /* being delivered, or its outcome being recorded */
    bool skip;                   /* skipped while busy: drop it when it ends */
    bool unrecorded;             /* its outcome (below) is waiting to be written */
    int outcome_state;           /* enum outbox_state, when unrecorded */
    int outcome_status;
    int64_t outcome_latency_ms;
    char outcome_error[256];
    struct relay_target *target;
    struct relay_event *next;    /* in its target, by id */
};

struct relay_target {
    char name[RELAY_TARGET_MAX];
    unsigned stream;
    struct relay_event *head;
    struct relay_target *chain;               /* hash bucket */
    struct relay_target *prev_active, *next_active;
};

#define RELAY_QUEUE_BUCKETS 4096

struct relay_queue {
    struct relay_target *buckets[RELAY_QUEUE_BUCKETS];
    struct relay_target *active;              /* targets with events */
    size_t events;
};

void relay_queue_init(struct relay_queue *q);
/** Free every event and target. */
void relay_queue_clear(struct relay_queue *q);

/**
 * Add an event to its target (made on first use), in id order; takes doc.
 * Returns the event, or NULL (doc destroyed) when the target already holds
 * that id.
 */
struct relay_event *relay_queue_add(struct relay_queue *q, unsigned stream, const char *target,
                                    int64_t id, int endpoint, bson_t *doc, int64_t created_ms);
/** The event of stream with id, or NULL (a walk: commands are rare). */
struct relay_event *relay_queue_find(const struct relay_queue *q, unsigned stream, int64_t id);
/** Remove and free an event (its target goes when empty). */
void relay_queue_remove(struct relay_queue *q, struct relay_event *ev);
/** The smallest id of stream held, or 0 when none. */
int64_t relay_queue_oldest(const struct relay_queue *q, unsigned stream);

/* A set of ids, for "seen in the re-scanned window". */
struct relay_idset {
    int64_t *slots;   /* 0 = empty */
    size_t cap, n;
};

void relay_idset_init(struct relay_idset *s);
void relay_idset_free(struct relay_idset *s);
void relay_idset_add(struct relay_idset *s, int64_t id);
bool relay_idset_has(const struct relay_idset *s, int64_t id);
/** Forget the ids below floor. */
void relay_idset_prune(struct relay_idset *s, int64_t floor);

#endif
