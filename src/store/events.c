/*
 * store/events: gateway outbox and audit log (see include/warden/store/events.h).
 */
#include "warden/store/events.h"

#include "warden/store/db.h"
#include "warden/clock.h"

enum store_status store_gateway_event(struct db *db, const char *type, int64_t guild_id,
                                      int64_t user_id, const bson_t *data, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "type", type);
    if (guild_id)
        BSON_APPEND_INT64(&doc, "guild_id", guild_id);
    if (user_id)
        BSON_APPEND_INT64(&doc, "user_id", user_id);
    if (data) {
        BSON_APPEND_DOCUMENT(&doc, "data", data);
    } else {
        bson_t empty = BSON_INITIALIZER;
        BSON_APPEND_DOCUMENT(&doc, "data", &empty);
        bson_destroy(&empty);
    }
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    int64_t id;
    enum store_status s = store_insert_new_id(db, "gateway_events", &doc, &id, e);
    bson_destroy(&doc);
    return s;
}

enum store_status store_game_command(struct db *db, const struct game_command *cmd, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "type", cmd->type);
    BSON_APPEND_UTF8(&doc, "player_id", cmd->player_id);
    BSON_APPEND_UTF8(&doc, "user_id", cmd->user_id);
    if (cmd->map_id) {
        BSON_APPEND_UTF8(&doc, "map_id", cmd->map_id);
        BSON_APPEND_INT64(&doc, "x", cmd->x);
        BSON_APPEND_INT64(&doc, "y", cmd->y);
    }
    if (cmd->reason)
        BSON_APPEND_UTF8(&doc, "reason", cmd->reason);
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    int64_t id;
    enum store_status s = store_insert_new_id(db, "game_commands", &doc, &id, e);
    bson_destroy(&doc);
    return s;
}

enum store_status store_audit(struct db *db, const struct audit_entry *entry, int64_t *id,
                              bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER, actor, target;
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "actor", &actor);
    BSON_APPEND_UTF8(&actor, "realm", entry->actor.realm);
    if (entry->actor.game_id)
        BSON_APPEND_UTF8(&actor, "id", entry->actor.game_id);
    else
        BSON_APPEND_INT64(&actor, "id", entry->actor.chat_id);
    BSON_APPEND_UTF8(&actor, "name", entry->actor.name ? entry->actor.name : "");
    bson_append_document_end(&doc, &actor);
    BSON_APPEND_UTF8(&doc, "action", entry->action);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "target", &target);
    BSON_APPEND_UTF8(&target, "type", entry->target_type);
    BSON_APPEND_UTF8(&target, "id", entry->target_id ? entry->target_id : "");
    bson_append_document_end(&doc, &target);
    if (entry->before)
        BSON_APPEND_DOCUMENT(&doc, "before", entry->before);
    if (entry->after)
        BSON_APPEND_DOCUMENT(&doc, "after", entry->after);
    BSON_APPEND_UTF8(&doc, "request_id", entry->request_id ? entry->request_id : "");
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    int64_t drawn;
    enum store_status s = store_insert_new_id(db, "audit_log", &doc, id ? id : &drawn, e);
    bson_destroy(&doc);
    return s;
}
