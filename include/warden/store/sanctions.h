/*
 * store/sanctions: bans and mutes of game users (collection sanctions).
 *
 * {_id: "<user guid>:ban" | "<user guid>:mute", kind, user_id, ip
 *  (string|null), start (date), end (date), reason, moderator}
 *
 * One record per user and kind under that unique _id: two concurrent bans
 * cannot both insert. "Active" means end > now, compared in the query (no
 * TTL index: FerretDB v1 has none).
 */
#ifndef WARDEN_STORE_SANCTIONS_H
#define WARDEN_STORE_SANCTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/store.h"

enum sanction_kind { SANCTION_BAN, SANCTION_MUTE };

/** Whether user_id has an active sanction of this kind at now_ms. */
enum store_status store_sanction_active(struct db *db, const char *user_id, enum sanction_kind kind,
                                        int64_t now_ms, bool *active, bson_error_t *e);

#endif
