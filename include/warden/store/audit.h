/*
 * store/audit: reading the audit log, newest first, and the postings that
 * let it be read by actor, action or target with index-served queries only.
 *
 * audit_log is written by store_audit (store/events.h). Its _id is a
 * snowflake, so _id order is time order: the unfiltered read is a range on
 * _id sorted descending, and --since is a lower bound on that range.
 *
 * audit_keys, one small document per (entry, key), written by insert when
 * the entry is (store_audit_postings), never edited:
 *   {_id: "<kind>:<value>:<entry id, 20 digits>"}
 *   kind "actor": the actor's id (decimal, or the game account's GUID) and,
 *     when it has one, its name: two postings;
 *   kind "action": the action (e.g. "user.delete");
 *   kind "target": "<type>:<id>" (e.g. "user:1234").
 *   In a value, '%' and ':' are written "%25" and "%3a", so that no list's
 *   prefix "<kind>:<value>:" is the start of another list's keys.
 * A filtered read walks one list downwards (the most selective kind given:
 * target, then actor, then action), fetches the entries by $in on _id, and
 * checks every filter on the entries themselves. A posting without its
 * entry, or whose entry does not match, is skipped.
 *
 * Upper bounds (until_ms, below_id: the API's time range and its cursor) are
 * the other end of the same ranges: the read starts below them, on _id or on
 * the list's keys, so paging down the log never reads the pages above.
 */
#ifndef WARDEN_STORE_AUDIT_H
#define WARDEN_STORE_AUDIT_H

#include <stdint.h>

#include "warden/store.h"
#include "warden/store/events.h"

/** At most one read of the audit log returns this many entries. */
#define STORE_AUDIT_LIMIT_MAX 10000

struct audit_query {
    const char *actor;  /* the actor's id or name; NULL = any */
    const char *action; /* NULL = any */
    const char *target; /* "<type>:<id>"; NULL = any */
    int64_t since_ms;   /* entries made at or after this time (ms since 1970); 0 = all */
    int64_t until_ms;   /* entries made before this time (ms since 1970); 0 = no bound */
    int64_t below_id;   /* entries whose id is smaller than this one; 0 = no bound */
    int64_t limit;      /* 1..STORE_AUDIT_LIMIT_MAX */
};

/** Called with each entry (an audit_log document), newest first; return false to stop. */
typedef bool (*store_audit_fn)(const bson_t *entry, void *ctx);

/** The entries matching q, newest first, at most q->limit, each passed to fn. */
enum store_status store_audit_list(struct db *db, const struct audit_query *q, store_audit_fn fn,
                                   void *ctx, bson_error_t *e);

/**
 * Write the postings of the audit entry id (present ones are kept). The
 * entry is the record; its postings only find it: a failure here leaves the
 * entry in the unfiltered read, and store_audit_backfill writes them later.
 */
enum store_status store_audit_postings(struct db *db, int64_t id, const struct audit_entry *entry,
                                       bson_error_t *e);

/** Write the postings of every entry (a step of store_backfill). */
enum store_status store_audit_backfill(struct db *db, int64_t *written, bson_error_t *e);

#endif
