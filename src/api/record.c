/*
 * record: the side records of an admin mutation: its audit_log entry and
 * its gateway event.
 *
 * They are written after the mutation itself. If one of them fails, the
 * mutation has still happened, so the client gets its success (a retry
 * would apply it twice); the failure is logged as an error with the request
 * id for the operator to reconcile.
 */
#include <stdio.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/auth.h"
#include "warden/log.h"
#include "warden/store/events.h"

void api_audit(struct app *app, const struct request *req, const char *action,
               const char *target_type, const char *target_id, const bson_t *before,
               const bson_t *after)
{
    struct audit_entry entry = {
        .action = action,
        .target_type = target_type,
        .target_id = target_id,
        .before = before,
        .after = after,
        .request_id = req->request_id,
    };
    const struct principal *who = req->principal;
    if (req->realm == REALM_GAME && who) {
        entry.actor.realm = "game";
        entry.actor.game_id = who->game.id;
        entry.actor.name = who->game.name;
    } else {
        entry.actor.realm = "chat";
        entry.actor.chat_id = who ? who->chat.id : 0;
        entry.actor.name = who ? who->chat.username : "";
    }
    bson_error_t e;
    if (store_audit(app->db, &entry, &e) != STORE_OK)
        log_error("audit entry for %s %s:%s lost (rid=%s): %s", action, target_type,
                  target_id ? target_id : "", req->request_id, e.message);
}

void api_gateway_event(struct app *app, const struct request *req, const char *type,
                       int64_t guild_id, int64_t user_id, const bson_t *data)
{
    bson_error_t e;
    if (store_gateway_event(app->db, type, guild_id, user_id, data, &e) != STORE_OK)
        log_error("gateway event %s lost (rid=%s): %s", type, req->request_id, e.message);
}
