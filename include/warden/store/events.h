/*
 * store/events: the two write-only logs other systems consume.
 *
 * gateway_events, the chat gateway's outbox (warden-relay delivers each
 * document to the gateway as a signed webhook: src/relay/, README):
 *   {_id: Int64 snowflake, type, guild_id?: Int64, user_id?: Int64,
 *    data: {...}, created_at: date}
 *   types: USER_UPDATE (data: public user), USER_DISCONNECT (data:
 *   {close_code: 4000, reason}), GUILD_UPDATE (data: partial guild),
 *   GUILD_DELETE (data: {id, unavailable: false}).
 *
 * game_commands, the game server's outbox (delivered the same way):
 *   {_id: Int64 snowflake, type (kick|kill|warp|disconnect|mute), player_id,
 *    user_id, map_id?, x?, y?, reason?, created_at: date}
 *
 * audit_log, one document per admin mutation:
 *   {_id: Int64 snowflake, actor: {realm: "chat"|"game", id, name}, action,
 *    target: {type, id}, before?: {...}, after?: {...}, request_id,
 *    created_at: date}
 */
#ifndef WARDEN_STORE_EVENTS_H
#define WARDEN_STORE_EVENTS_H

#include <stdint.h>

#include "warden/store.h"

/** Append a gateway event; guild_id/user_id 0 = absent. data may be NULL ({}). */
enum store_status store_gateway_event(struct db *db, const char *type, int64_t guild_id,
                                      int64_t user_id, const bson_t *data, bson_error_t *e);

struct game_command {
    const char *type;
    const char *player_id;
    const char *user_id;
    const char *map_id;   /* NULL = absent (warp only) */
    int64_t x, y;         /* warp only */
    const char *reason;   /* NULL = absent */
};

enum store_status store_game_command(struct db *db, const struct game_command *cmd, bson_error_t *e);

struct audit_actor {
    const char *realm;     /* "chat" or "game" */
    int64_t chat_id;       /* chat realm */
    const char *game_id;   /* game realm (GUID) */
    const char *name;
};

struct audit_entry {
    struct audit_actor actor;
    const char *action;        /* e.g. "user.delete" */
    const char *target_type;   /* e.g. "user" */
    const char *target_id;     /* textual id */
    const bson_t *before;      /* may be NULL */
    const bson_t *after;       /* may be NULL */
    const char *request_id;
};

/**
 * Append an audit entry; *id (may be NULL) gets its _id. Its postings, which
 * `wardenctl audit` filters by, are store_audit_postings' (store/audit.h).
 */
enum store_status store_audit(struct db *db, const struct audit_entry *entry, int64_t *id,
                              bson_error_t *e);

#endif
