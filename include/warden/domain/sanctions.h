/*
 * domain/sanctions: the game's admin actions on a user or a character:
 * ban, mute, unban, unmute, warpto, warptoloc, kick, kill.
 *
 * Effects are documents: sanctions (one per user and kind,
 * store/sanctions.h) and game_commands for the game server. A ban also ends
 * every token the account holds, at once and for good (a new security
 * stamp; auth refuses a banned account's tokens in the meantime). Every action
 * that reaches a target leaves an audit entry "game.<action>" with its
 * known parameters (never the raw body) and its result, refusals included.
 *
 * Results, in Intersect's words: OK with message ("X has been banned!");
 * REFUSED (400: "X has already been banned!", "You do not have the
 * permission to do this.", a missing duration or map); NOT_FOUND with a
 * message for "User not online!"; NOT_FOUND without one when the lookup
 * key names nothing (no audit entry then).
 */
#ifndef WARDEN_DOMAIN_SANCTIONS_H
#define WARDEN_DOMAIN_SANCTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/domain/domain.h"
#include "warden/domain/game.h"

enum game_action {
    GAME_BAN, GAME_MUTE, GAME_UNBAN, GAME_UNMUTE, GAME_WARPTO, GAME_WARPTOLOC, GAME_KICK, GAME_KILL,
};

#define SANCTION_DURATION_MAX_DAYS 36500 /* a century: keeps the end date far from overflow */

/**
 * An action's name, in any case. false with *refusal set: "Invalid action.",
 * or "'WarpMeTo' not supported by the API." for the two upstream actions
 * that need a caller in the game world.
 */
bool sanctions_parse_action(const char *text, enum game_action *out, const char **refusal);

/* The body's parameters, already type-checked; absent ones unset. */
struct game_action_params {
    bool has_duration;
    int64_t duration;     /* days */
    const char *reason;   /* NULL = absent */
    const char *moderator;
    bool ip;
    const char *map_id;   /* a GUID in any form, "" or NULL = absent */
    bool has_x, has_y;
    int64_t x, y;
};

/* The target: a user (users route) or a character (players route). */
struct game_target_key {
    bool player;
    struct game_key key;
};

/** Act; on OK *message is the answer's text (in d->arena). */
bool sanctions_act(const struct domain *d, enum game_action action,
                   const struct game_target_key *target, const struct game_action_params *p,
                   const char **message, struct domain_result *r);

#endif
