/*
 * store/outbox_admin: what `wardenctl outbox` reads and writes of the
 * relay's records (their shapes: README, "Contracts with the other
 * services"; warden-relay writes them, src/relay/).
 *
 *   outbox_results     "<outbox>:<id, 20 digits>"   one outcome per event
 *   outbox_attempts    "<outbox>:<id>:<n, 6 digits>" failed attempts to be retried
 *   outbox_checkpoints "<stream>:<upto, 20 digits>"  every event <= upto is settled
 *   outbox_commands    Int64 snowflake               retry / skip, for the relay
 *   relay_leases       "relay:<term, 20 digits>"     the newest term is the lease
 *
 * Every query is on _id: the events by Int64 equality and ranges from a
 * checkpoint on, the results by $in of their string keys, the rest by
 * prefix ranges (the newest of a prefix: descending, limit 1). Writes are
 * inserts, and the one delete retry makes; an insert against an existing
 * result is a duplicate key, which is how two operators (or an operator and
 * the relay) racing on one event find out which of them recorded it.
 */
#ifndef WARDEN_STORE_OUTBOX_ADMIN_H
#define WARDEN_STORE_OUTBOX_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/outbox_endpoint.h"
#include "warden/store.h"

/* Widths of the texts read back from records (longer ones are cut). */
#define OUTBOX_TYPE_SIZE 32
#define OUTBOX_TARGET_SIZE 64
#define OUTBOX_STATE_SIZE 16
#define OUTBOX_TEXT_SIZE 160
/* The endpoints one status reports at most (gateway, game and one per type). */
#define OUTBOX_STATUS_ENDPOINTS 16
/* Documents one walk of status reads (an outbox past its checkpoint, its
 * outcomes within the retention) before its figures are reported as "at least". */
#define OUTBOX_STATUS_WALK_MAX 200000
/* Retrying events listed per endpoint (all are counted). */
#define OUTBOX_STATUS_RETRYING_MAX 20

/** An outbox event as status and the operations see it. */
struct outbox_event {
    const char *outbox;             /* OUTBOX_GATEWAY or OUTBOX_GAME (static) */
    int64_t id;
    char type[OUTBOX_TYPE_SIZE];
    char target[OUTBOX_TARGET_SIZE]; /* the unit of order: "guild:1", "user:2", "instance", "player:<guid>" */
    int64_t created_at_ms;
};

/** A recorded outcome (outbox_results). */
struct outbox_outcome {
    char state[OUTBOX_STATE_SIZE];  /* delivered, failed, expired, skipped */
    int64_t status;                 /* HTTP status, 0 when none */
    char error[OUTBOX_TEXT_SIZE];
    int64_t attempts;
    int64_t at_ms;
    char endpoint[OUTBOX_ENDPOINT_NAME_SIZE];
    char relay[OUTBOX_TEXT_SIZE];
};

/**
 * The event with _id id, from whichever outbox holds it, into *out.
 * STORE_NOT_FOUND when neither does.
 */
enum store_status store_outbox_find(struct db *db, int64_t id, struct outbox_event *out, bson_error_t *e);

/** The event's outcome into *out; STORE_NOT_FOUND when none is recorded. */
enum store_status store_outbox_outcome(struct db *db, const char *outbox, int64_t id,
                                      struct outbox_outcome *out, bson_error_t *e);

/**
 * Delete the event's outcome if it is still in state; STORE_NOT_FOUND when
 * it is not there (or no longer in that state: someone changed it since it
 * was read).
 */
enum store_status store_outbox_outcome_delete(struct db *db, const char *outbox, int64_t id,
                                             const char *state, bson_error_t *e);

/**
 * Record outcome "skipped" for ev, relay "wardenctl", term 0, latency 0,
 * with the endpoint it would go to and the attempts made so far.
 * STORE_DUPLICATE when an outcome is recorded already (read it with
 * store_outbox_outcome).
 */
enum store_status store_outbox_skipped(struct db *db, const struct outbox_event *ev,
                                       const char *endpoint, bson_error_t *e);

/** Attempts recorded for the event so far (the highest attempt number; 0: none). */
enum store_status store_outbox_attempts(struct db *db, const char *outbox, int64_t id,
                                        int64_t *attempts, bson_error_t *e);

/**
 * Insert a command for the relay, {_id: snowflake, action ("retry" or
 * "skip"), outbox, event_id, by, at}; its _id into *id.
 */
enum store_status store_outbox_command(struct db *db, const char *action, const char *outbox,
                                       int64_t event_id, const char *by, int64_t now_ms,
                                       int64_t *id, bson_error_t *e);

/** An event still retrying: pending, with failed attempts; the latest one's details. */
struct outbox_retrying {
    struct outbox_event event;
    int64_t attempts;
    int64_t status;                 /* of the latest attempt, 0 when none (a connection failure) */
    char error[OUTBOX_TEXT_SIZE];
    int64_t next_at_ms;
};

struct outbox_endpoint_status {
    struct outbox_endpoint endpoint;
    int64_t backlog;                /* events past the checkpoint without an outcome */
    bool has_oldest;
    struct outbox_event oldest;     /* the oldest of them */
    int64_t retrying;               /* how many of them have failed attempts */
    size_t n_listed;
    struct outbox_retrying listed[OUTBOX_STATUS_RETRYING_MAX]; /* the oldest of those */
    int64_t failed, expired, skipped; /* outcomes within the retention */
};

struct outbox_checkpoint {
    bool present;
    int64_t upto;
    int64_t at_ms;
    char relay[OUTBOX_TEXT_SIZE];
};

struct outbox_status {
    bool has_lease;
    int64_t term;
    char holder[OUTBOX_TEXT_SIZE];
    int64_t expires_at_ms;
    struct outbox_checkpoint gateway, game, commands;
    int64_t commands_pending;       /* outbox_commands past their checkpoint */
    bool capped;                    /* a walk stopped at OUTBOX_STATUS_WALK_MAX: figures are at least */
    size_t n_endpoints;
    struct outbox_endpoint_status endpoints[OUTBOX_STATUS_ENDPOINTS]; /* gateway, game, then others as met */
};

/**
 * The relay's state as stored: the lease, the checkpoints, and per endpoint
 * (outbox_endpoint_of with get/ctx) the backlog, its oldest event, the
 * events retrying, and the failed, expired and skipped outcomes of events
 * younger than retention_ms before now_ms.
 */
enum store_status store_outbox_status(struct db *db, outbox_env_fn get, void *ctx, int64_t now_ms,
                                      int64_t retention_ms, struct outbox_status *out, bson_error_t *e);

#endif
