/*
 * journal: audit entries and outbox events of mutations (see
 * include/warden/domain/journal.h).
 */
#include "warden/domain/journal.h"

#include <stdio.h>

#include "warden/log.h"
#include "warden/store/audit.h"

static const char *realm_name(enum actor_realm realm)
{
    switch (realm) {
    case ACTOR_CHAT: return "chat";
    case ACTOR_GAME: return "game";
    default: return "operator";
    }
}

bool journal_audit(const struct domain *d, const char *action, const char *target_type,
                   const char *target_id, const bson_t *before, const bson_t *after,
                   struct domain_result *r)
{
    struct audit_entry entry = {
        .actor = {.realm = realm_name(d->actor.realm),
                  .chat_id = d->actor.id,
                  .game_id = d->actor.realm == ACTOR_GAME ? d->actor.game_id : NULL,
                  .name = d->actor.name ? d->actor.name : ""},
        .action = action,
        .target_type = target_type,
        .target_id = target_id,
        .before = before,
        .after = after,
        .request_id = d->request_id,
    };
    bson_error_t e;
    int64_t id;
    if (store_audit(d->db, &entry, &id, &e) == STORE_OK) {
        /* In the same step, the postings that `wardenctl audit --actor/--action/
         * --target` read. The entry is the record: it is written, so the
         * operation is recorded even if they are not; the entry then shows
         * in the unfiltered read only, until `wardenctl migrate` writes
         * them. */
        if (store_audit_postings(d->db, id, &entry, &e) != STORE_OK)
            log_warn("audit entry %lld for %s %s:%s written, its postings not (filters of "
                     "`wardenctl audit` miss it until `wardenctl migrate`; rid=%s): %s",
                     (long long)id, action, target_type, target_id ? target_id : "",
                     d->request_id ? d->request_id : "-", e.message);
        return domain_ok(r);
    }
    log_error("audit entry for %s %s:%s lost (rid=%s): %s", action, target_type,
              target_id ? target_id : "", d->request_id ? d->request_id : "-", e.message);
    domain_store_error(r, &e);
    r->status = DOMAIN_UNRECORDED;
    r->message = "The audit entry of this operation could not be written";
    return false;
}

bool journal_audit_id(const struct domain *d, const char *action, const char *target_type,
                      int64_t target_id, const bson_t *before, const bson_t *after,
                      struct domain_result *r)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)target_id);
    return journal_audit(d, action, target_type, id, before, after, r);
}

bool journal_gateway_event(const struct domain *d, const char *type, int64_t guild_id,
                           int64_t user_id, const bson_t *data)
{
    bson_error_t e;
    if (store_gateway_event(d->db, type, guild_id, user_id, data, &e) == STORE_OK)
        return true;
    log_error("gateway event %s lost (rid=%s): %s", type, d->request_id ? d->request_id : "-",
              e.message);
    return false;
}

bool journal_game_command(const struct domain *d, const struct game_command *cmd)
{
    bson_error_t e;
    if (store_game_command(d->db, cmd, &e) == STORE_OK)
        return true;
    log_error("game command %s for %s lost (rid=%s): %s", cmd->type, cmd->player_id,
              d->request_id ? d->request_id : "-", e.message);
    return false;
}
