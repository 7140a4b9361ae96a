/*
 * journal: the records a mutation leaves beside its effect: its audit_log
 * entry, and the outbox events other systems consume (gateway_events for the
 * chat gateway, game_commands for the game server; store/events.h has their
 * shapes).
 *
 * The actor and request id come from the struct domain, so an entry is the
 * same whether the API or wardenctl made the change. Each record is built as
 * BSON once, by the operation, and written after the mutation itself, as the
 * operation's last step.
 *
 * An audit entry that cannot be written is never a silent success: the
 * operation answers DOMAIN_UNRECORDED (the API a 500 saying so, wardenctl a
 * failure) and the loss is logged as an error with the request id, so the
 * operator sees it, even though the change itself was made (undoing it could
 * fail in turn). A lost outbox event is logged as an error; the change stands.
 */
#ifndef WARDEN_DOMAIN_JOURNAL_H
#define WARDEN_DOMAIN_JOURNAL_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "warden/domain/domain.h"
#include "warden/store/events.h"

/**
 * The audit entry of a mutation; before/after may be NULL. Written: r is
 * DOMAIN_OK and true. Lost: logged, r is DOMAIN_UNRECORDED, false.
 */
bool journal_audit(const struct domain *d, const char *action, const char *target_type,
                   const char *target_id, const bson_t *before, const bson_t *after,
                   struct domain_result *r);
/** journal_audit with a numeric target id. */
bool journal_audit_id(const struct domain *d, const char *action, const char *target_type,
                      int64_t target_id, const bson_t *before, const bson_t *after,
                      struct domain_result *r);
/** A gateway event; guild_id/user_id 0 = absent; data NULL = {}. false: lost (logged). */
bool journal_gateway_event(const struct domain *d, const char *type, int64_t guild_id,
                           int64_t user_id, const bson_t *data);
/** A command for the game server. false: lost (logged). */
bool journal_game_command(const struct domain *d, const struct game_command *cmd);

#endif
