/*
 * store/outbox: what warden-relay reads and records as it delivers the two
 * outboxes (gateway_events, game_commands: store/events.h).
 *
 * Progress is insert-only: FerretDB v1 applies updates non-atomically, and
 * an insert against the _id index is atomic on both databases. A duplicate
 * key therefore means "recorded already" (by this relay earlier, another
 * relay at a lease takeover, or wardenctl). Only retention and `wardenctl
 * outbox retry` delete. Keys are strings whose ids are zero-padded
 * (store_pad_id), so string order is id order and every read below is an
 * _id equality, $in or range, sorted by _id: index-served.
 *
 *   outbox_results     "<outbox>:<id20>"  one per event: its outcome
 *       {outbox, event_id: Int64, target, endpoint, state, status: Int32,
 *        error, attempts: Int32, at: date, latency_ms: Int64, relay, term: Int64}
 *   outbox_attempts    "<outbox>:<id20>:<attempt6>"  one per failed attempt to be retried
 *       {outbox, event_id, target, endpoint, status, error, at, next_at: date, relay}
 *   outbox_checkpoints "<stream>:<upto20>"  every event of stream with _id <= upto
 *       has a result (commands: has been applied) {stream, upto: Int64, at, relay}
 *   outbox_commands    Int64 snowflake  {action: "retry"|"skip", outbox, event_id: Int64, by, at}
 *   relay_leases       "relay:<term20>"  the newest term is the lease
 *       {term: Int64, holder, expires_at: date, at}
 */
#ifndef WARDEN_STORE_OUTBOX_H
#define WARDEN_STORE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/outbox_endpoint.h" /* OUTBOX_GATEWAY, OUTBOX_GAME */
#include "warden/store.h"

#define OUTBOX_COMMANDS "outbox_commands"
#define OUTBOX_RESULTS "outbox_results"
#define OUTBOX_ATTEMPTS "outbox_attempts"
#define OUTBOX_CHECKPOINTS "outbox_checkpoints"
#define RELAY_LEASES "relay_leases"

/* Room for the longest key: "<stream>:<id20>:<attempt6>". */
#define OUTBOX_KEY_SIZE 64
/* Ids per store_outbox_results_known call. */
#define OUTBOX_IN_MAX 200

enum outbox_state { OUTBOX_DELIVERED, OUTBOX_FAILED, OUTBOX_EXPIRED, OUTBOX_SKIPPED };

/** "delivered", "failed", "expired", "skipped". */
const char *outbox_state_name(enum outbox_state state);
/** The state named name; false when it names none. */
bool outbox_state_parse(const char *name, enum outbox_state *out);

/**
 * The target of an outbox document, the unit of its order: a gateway
 * event's guild ("guild:<id>"), else its user ("user:<id>"), else
 * "instance"; a game command's character ("player:<guid>"), else its
 * account ("user:<guid>").
 */
void outbox_target_of(const char *outbox, const bson_t *doc, char *out, size_t size);

/** "<outbox>:<id20>": an event's key in outbox_results. */
void outbox_result_key(const char *outbox, int64_t id, char out[OUTBOX_KEY_SIZE]);
/** "<outbox>:<id20>:<attempt6>": an attempt's key in outbox_attempts. */
void outbox_attempt_key(const char *outbox, int64_t id, int attempt, char out[OUTBOX_KEY_SIZE]);

/**
 * Up to limit documents of collection with after < _id <= upto (upto 0: no
 * upper bound), in _id order, copied into docs[0..*n) (the caller destroys
 * each); projection (may be NULL) picks their fields.
 */
enum store_status store_outbox_read(struct db *db, const char *collection, int64_t after,
                                    int64_t upto, size_t limit, const bson_t *projection,
                                    bson_t **docs, size_t *n, bson_error_t *e);

/**
 * The _ids alone of up to limit documents of collection with after < _id <=
 * upto, in _id order, into ids[0..*n).
 */
enum store_status store_outbox_read_ids(struct db *db, const char *collection, int64_t after,
                                        int64_t upto, size_t limit, int64_t *ids, size_t *n,
                                        bson_error_t *e);

/** The documents of collection among ids[0..n) (n <= OUTBOX_IN_MAX), in _id order, into docs. */
enum store_status store_outbox_events_in(struct db *db, const char *collection,
                                         const int64_t *ids, size_t n, bson_t **docs,
                                         size_t *found, bson_error_t *e);

/** One document of collection by its Int64 _id into out (caller destroys; NOT_FOUND). */
enum store_status store_outbox_event(struct db *db, const char *collection, int64_t id,
                                     bson_t *out, bson_error_t *e);

/** has[i] = whether ids[i] of outbox has a result (n <= OUTBOX_IN_MAX). */
enum store_status store_outbox_results_known(struct db *db, const char *outbox,
                                             const int64_t *ids, size_t n, bool *has,
                                             bson_error_t *e);

struct outbox_result {
    const char *outbox;
    int64_t event_id;
    const char *target, *endpoint;
    enum outbox_state state;
    int status;          /* HTTP status, 0 when there was none */
    const char *error;   /* "" when none */
    int attempts;
    int64_t latency_ms;  /* created_at to the answer; 0 when not delivered */
    const char *relay;
    int64_t term;        /* the lease term it was recorded under; 0 for wardenctl */
};

/** Record an event's outcome; STORE_DUPLICATE when one is recorded already. */
enum store_status store_outbox_result_insert(struct db *db, const struct outbox_result *r,
                                             bson_error_t *e);
/** The recorded outcome of an event into out (caller destroys; NOT_FOUND). */
enum store_status store_outbox_result_get(struct db *db, const char *outbox, int64_t id,
                                          bson_t *out, bson_error_t *e);

struct outbox_attempt {
    const char *outbox;
    int64_t event_id;
    int attempt;         /* 1 for the first failure */
    const char *target, *endpoint;
    int status;
    const char *error;
    int64_t next_at_ms;
    const char *relay;
};

enum store_status store_outbox_attempt_insert(struct db *db, const struct outbox_attempt *a,
                                              bson_error_t *e);

/** The newest checkpoint of stream into *upto (0 and STORE_OK when there is none). */
enum store_status store_outbox_checkpoint(struct db *db, const char *stream, int64_t *upto,
                                          bson_error_t *e);
/** Record a checkpoint, then delete the stream's older ones (a duplicate is fine). */
enum store_status store_outbox_checkpoint_insert(struct db *db, const char *stream, int64_t upto,
                                                 const char *relay, bson_error_t *e);

struct relay_lease {
    int64_t term;
    char holder[128];
    int64_t expires_at_ms;
};

/** The newest lease term into *lease; NOT_FOUND when none was ever taken. */
enum store_status store_relay_lease_latest(struct db *db, struct relay_lease *lease,
                                           bson_error_t *e);
/**
 * Insert lease->term (the newest term + 1): STORE_DUPLICATE when another
 * relay inserted that term first. Terms older than keep before it are deleted.
 */
enum store_status store_relay_lease_insert(struct db *db, const struct relay_lease *lease,
                                           int64_t keep, bson_error_t *e);

/**
 * Retention: delete, oldest first, at most batch events of collection with
 * _id <= bound, with their results and attempts. *deleted gets how many
 * events went (fewer than batch: nothing older is left).
 */
enum store_status store_outbox_prune(struct db *db, const char *collection, int64_t bound,
                                     size_t batch, int64_t *deleted, bson_error_t *e);

#endif
