/*
 * store/sanctions: bans and mutes of game users.
 *
 * sanctions:       {_id: "<user guid>:ban" | "<user guid>:mute", kind, user_id,
 *                   ip (string|null), start (date), end (date), reason, moderator}
 * sanction_claims: {_id: "<sanction _id>/<start ms>/<end ms>/<n>", created_at}
 *
 * One record per user and kind under that unique _id: two concurrent bans
 * cannot both insert, and every read, replacement and removal is by that
 * _id. An expired record is replaced by the one request that wins a claim
 * insert into sanction_claims (see store_sanction_insert), never by a
 * delete-then-insert that a concurrent request could interleave with; the
 * claims on a replaced record are dropped by a prefix range on _id.
 * "Active" means end > now, compared after the read by _id (no TTL index:
 * FerretDB v1 has none).
 */
#ifndef WARDEN_STORE_SANCTIONS_H
#define WARDEN_STORE_SANCTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/store.h"

enum sanction_kind { SANCTION_BAN, SANCTION_MUTE };

struct sanction {
    enum sanction_kind kind;
    char user_id[40];
    char ip[64];          /* "" = none */
    int64_t start, end;   /* ms */
    char reason[4 * 1024 + 1];   /* 1024 characters of up to 4 UTF-8 bytes */
    char moderator[4 * 64 + 1];  /* 64 characters */
};

/** The active sanction of this kind (STORE_NOT_FOUND when none). */
enum store_status store_sanction_get_active(struct db *db, const char *user_id,
                                            enum sanction_kind kind, int64_t now_ms,
                                            struct sanction *out, bson_error_t *e);
/**
 * Record a sanction under the per-user key. When the key holds an expired
 * record, the request that wins the claim on that record deletes exactly it
 * (by _id, start and end) and inserts again. STORE_DUPLICATE: an active one
 * exists (possibly inserted a moment ago by a concurrent request).
 */
enum store_status store_sanction_insert(struct db *db, const struct sanction *s, int64_t now_ms,
                                        bson_error_t *e);
/** Remove the user's record of this kind (the one under its key), active or not. */
enum store_status store_sanction_remove_all(struct db *db, const char *user_id,
                                            enum sanction_kind kind, bson_error_t *e);

/** Whether user_id has an active sanction of this kind at now_ms. */
enum store_status store_sanction_active(struct db *db, const char *user_id, enum sanction_kind kind,
                                        int64_t now_ms, bool *active, bson_error_t *e);

#endif
