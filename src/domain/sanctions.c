/*
 * domain/sanctions: the game's admin actions (see include/warden/domain/sanctions.h).
 *
 * Checks run in this order: target exists, then the action's own (duration,
 * online, authority, already sanctioned). Unlike upstream, which replaces a
 * bad body by defaults, a bad field is refused naming it.
 */
#include "warden/domain/sanctions.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "warden/arena.h"
#include "warden/domain/journal.h"
#include "warden/guid.h"
#include "warden/log.h"
#include "warden/clock.h"

#define DAY_MS (24LL * 3600 * 1000)
#define PERMISSION_DENIED "You do not have the permission to do this."

static const char *const action_names[] = {"ban", "mute", "unban", "unmute",
                                           "warpto", "warptoloc", "kick", "kill"};
#define N_ACTIONS (sizeof action_names / sizeof action_names[0])

bool sanctions_parse_action(const char *text, enum game_action *out, const char **refusal)
{
    for (size_t i = 0; i < N_ACTIONS; i++) {
        if (strcasecmp(text, action_names[i]) == 0) {
            *out = (enum game_action)i;
            return true;
        }
    }
    if (strcasecmp(text, "warpmeto") == 0)
        *refusal = "'WarpMeTo' not supported by the API.";
    else if (strcasecmp(text, "warptome") == 0)
        *refusal = "'WarpToMe' not supported by the API.";
    else
        *refusal = "Invalid action.";
    return false;
}

struct target {
    bool player_route;
    struct game_user user;   /* the account acted upon (a player's owner) */
    struct player player;    /* players route: the character */
    struct player *online;   /* the user's online characters */
    size_t n_online;
};

static bool find_target(const struct domain *d, const struct game_target_key *key, struct target *t,
                        struct domain_result *r)
{
    t->player_route = key->player;
    if (t->player_route) {
        if (!game_find_player(d, &key->key, &t->player, r))
            return false;
        struct game_key owner = {t->player.user_id, NULL};
        if (!game_find_user(d, &owner, &t->user, r))
            return false;
    } else if (!game_find_user(d, &key->key, &t->user, r)) {
        return false;
    }
    struct player *players;
    size_t n;
    if (!game_players_of(d, t->user.id, &players, &n, r))
        return false;
    t->online = arena_calloc(d->arena, n ? n : 1, sizeof *t->online);
    t->n_online = 0;
    for (size_t i = 0; i < n; i++)
        if (players[i].online)
            t->online[t->n_online++] = players[i];
    if (t->player_route) /* the character's own, fresher presence */
        for (size_t i = 0; i < t->n_online; i++)
            if (strcmp(t->online[i].id, t->player.id) == 0)
                t->player = t->online[i];
    return true;
}

/* The character an online-only action applies to, or NULL when not online. */
static const struct player *acting_character(const struct target *t)
{
    if (t->player_route)
        return t->player.online ? &t->player : NULL;
    return t->n_online ? &t->online[0] : NULL;
}

static bool outranks_actor(const struct domain *d, const struct target *t)
{
    return (t->user.rights & RIGHT_POWERS) > (d->actor.game_rights & RIGHT_POWERS);
}

static const char *target_name(const struct target *t)
{
    return t->player_route ? t->player.name : t->user.name;
}

/* Outcome of an action: an HTTP-free status and the text Intersect answers. */
struct outcome {
    enum domain_status status;
    const char *message;
};

static struct outcome sanction(const struct domain *d, const struct target *t,
                               const struct game_action_params *p, enum sanction_kind kind,
                               struct domain_result *r, bool *store_failed)
{
    const char *word = kind == SANCTION_BAN ? "banned" : "muted";
    if (!p->has_duration || p->duration < 1 || p->duration > SANCTION_DURATION_MAX_DAYS)
        return (struct outcome){DOMAIN_REFUSED,
                                arena_printf(d->arena, "duration: must be an integer of days in 1..%d",
                                             SANCTION_DURATION_MAX_DAYS)};
    if (outranks_actor(d, t))
        return (struct outcome){DOMAIN_REFUSED, PERMISSION_DENIED};
    struct sanction sn;
    memset(&sn, 0, sizeof sn);
    sn.kind = kind;
    snprintf(sn.user_id, sizeof sn.user_id, "%s", t->user.id);
    sn.start = clock_wall_ms();
    sn.end = sn.start + p->duration * DAY_MS;
    /* The body's rules bound reason and moderator in characters; the
     * record's buffers hold that many characters of any UTF-8 width. */
    snprintf(sn.reason, sizeof sn.reason, "%s", p->reason ? p->reason : "");
    /* Upstream: the users route records the caller; the players route the body's moderator. */
    snprintf(sn.moderator, sizeof sn.moderator, "%s",
             t->player_route ? (p->moderator && *p->moderator ? p->moderator : "api")
                             : (d->actor.name ? d->actor.name : ""));
    if (p->ip) /* the live connection's address when online, else the last one known */
        snprintf(sn.ip, sizeof sn.ip, "%s",
                 t->n_online && t->online[0].connection_ip[0] ? t->online[0].connection_ip
                                                              : t->user.last_ip);
    bson_error_t e;
    switch (store_sanction_insert(d->db, &sn, sn.start, &e)) {
    case STORE_OK:
        break;
    case STORE_DUPLICATE:
        return (struct outcome){DOMAIN_REFUSED, arena_printf(d->arena, "%s has already been %s!",
                                                             target_name(t), word)};
    default:
        *store_failed = true;
        domain_store_error(r, &e);
        return (struct outcome){DOMAIN_STORE_ERROR, NULL};
    }
    /* A ban ends the account's tokens: the ban record already refuses them
     * (auth checks it), and the new stamp keeps them dead after it ends. */
    if (kind == SANCTION_BAN && store_game_user_revoke_tokens(d->db, t->user.id, &e) == STORE_ERROR)
        log_error("tokens of banned user %s not revoked (rid=%s): %s", t->user.id,
                  d->request_id ? d->request_id : "-", e.message);
    for (size_t i = 0; i < t->n_online; i++) {
        struct game_command cmd = {kind == SANCTION_BAN ? "disconnect" : "mute", t->online[i].id,
                                   t->user.id, NULL, 0, 0, sn.reason};
        journal_game_command(d, &cmd);
    }
    return (struct outcome){DOMAIN_OK,
                            arena_printf(d->arena, "%s has been %s!", target_name(t), word)};
}

static struct outcome lift(const struct domain *d, const struct target *t, enum sanction_kind kind,
                           struct domain_result *r, bool *store_failed)
{
    bson_error_t e;
    if (store_sanction_remove_all(d->db, t->user.id, kind, &e) != STORE_OK) {
        *store_failed = true;
        domain_store_error(r, &e);
        return (struct outcome){DOMAIN_STORE_ERROR, NULL};
    }
    return (struct outcome){DOMAIN_OK, arena_printf(d->arena, "%s has been %s!", target_name(t),
                                                    kind == SANCTION_BAN ? "unbanned" : "unmuted")};
}

static struct outcome warp(const struct domain *d, const struct target *t,
                           const struct game_action_params *p, bool to_location)
{
    const char *map_id = p->map_id;
    if (!to_location && !t->player_route && (!map_id || !*map_id))
        return (struct outcome){DOMAIN_REFUSED, "Expected a map ID."};
    int64_t x = p->x, y = p->y;
    if (to_location && !p->has_x)
        return (struct outcome){DOMAIN_REFUSED, "x: required field"};
    if (to_location && !p->has_y)
        return (struct outcome){DOMAIN_REFUSED, "y: required field"};
    const struct player *who = acting_character(t);
    if (!who)
        return (struct outcome){DOMAIN_NOT_FOUND, "User not online!"};
    char map[GUID_STRING_SIZE];
    if (!map_id || !*map_id || !guid_parse(map_id, map))
        snprintf(map, sizeof map, "%s", who->map_id); /* no map given: the current one */
    if (!to_location) {
        x = who->x;
        y = who->y;
    }
    struct game_command cmd = {"warp", who->id, t->user.id, map, x, y, NULL};
    journal_game_command(d, &cmd);
    return (struct outcome){DOMAIN_OK, arena_printf(d->arena, "Warped '%s' to %s (%lld, %lld).",
                                                    who->name, map, (long long)x, (long long)y)};
}

static struct outcome kick_or_kill(const struct domain *d, const struct target *t,
                                   const struct game_action_params *p, bool kill)
{
    const struct player *who = acting_character(t);
    if (!who)
        return (struct outcome){DOMAIN_NOT_FOUND, "User not online!"};
    if (outranks_actor(d, t))
        return (struct outcome){DOMAIN_REFUSED, PERMISSION_DENIED};
    struct game_command cmd = {kill ? "kill" : "kick", who->id, t->user.id, NULL, 0, 0,
                               kill ? NULL : (p->reason ? p->reason : "")};
    journal_game_command(d, &cmd);
    return (struct outcome){DOMAIN_OK, arena_printf(d->arena, kill ? "%s has been killed!"
                                                                   : "%s has been kicked by the server!",
                                                    who->name)};
}

/* The parameters the action was given, as the audit entry records them. */
static void append_params(bson_t *doc, const struct game_action_params *p)
{
    bson_t params;
    BSON_APPEND_DOCUMENT_BEGIN(doc, "parameters", &params);
    if (p->has_duration)
        BSON_APPEND_INT64(&params, "duration", p->duration);
    if (p->reason)
        BSON_APPEND_UTF8(&params, "reason", p->reason);
    if (p->moderator)
        BSON_APPEND_UTF8(&params, "moderator", p->moderator);
    if (p->ip)
        BSON_APPEND_BOOL(&params, "ip", true);
    if (p->map_id && *p->map_id)
        BSON_APPEND_UTF8(&params, "mapid", p->map_id);
    if (p->has_x)
        BSON_APPEND_INT64(&params, "x", p->x);
    if (p->has_y)
        BSON_APPEND_INT64(&params, "y", p->y);
    bson_append_document_end(doc, &params);
}

/* The HTTP-like status the audit entry has always recorded for a result. */
static int recorded_status(enum domain_status s)
{
    return s == DOMAIN_OK ? 200 : s == DOMAIN_NOT_FOUND ? 404 : 400;
}

static bool audit_action(const struct domain *d, enum game_action act, const struct target *t,
                         const struct game_action_params *p, const struct outcome *o,
                         struct domain_result *r)
{
    bson_t after = BSON_INITIALIZER, result;
    append_params(&after, p);
    BSON_APPEND_UTF8(&after, "user_id", t->user.id);
    BSON_APPEND_DOCUMENT_BEGIN(&after, "result", &result);
    BSON_APPEND_INT32(&result, "status", recorded_status(o->status));
    BSON_APPEND_UTF8(&result, "message", o->message);
    bson_append_document_end(&after, &result);
    char action[32];
    snprintf(action, sizeof action, "game.%s", action_names[act]);
    bool recorded = journal_audit(d, action, t->player_route ? "player" : "user",
                                  t->player_route ? t->player.id : t->user.id, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}

bool sanctions_act(const struct domain *d, enum game_action action,
                   const struct game_target_key *key, const struct game_action_params *p,
                   const char **message, struct domain_result *r)
{
    struct target t;
    memset(&t, 0, sizeof t);
    if (!find_target(d, key, &t, r))
        return false;
    bool store_failed = false;
    struct outcome o;
    switch (action) {
    case GAME_BAN: o = sanction(d, &t, p, SANCTION_BAN, r, &store_failed); break;
    case GAME_MUTE: o = sanction(d, &t, p, SANCTION_MUTE, r, &store_failed); break;
    case GAME_UNBAN: o = lift(d, &t, SANCTION_BAN, r, &store_failed); break;
    case GAME_UNMUTE: o = lift(d, &t, SANCTION_MUTE, r, &store_failed); break;
    case GAME_WARPTO: o = warp(d, &t, p, false); break;
    case GAME_WARPTOLOC: o = warp(d, &t, p, true); break;
    case GAME_KICK: o = kick_or_kill(d, &t, p, false); break;
    default: o = kick_or_kill(d, &t, p, true); break;
    }
    if (store_failed)
        return false;
    if (!audit_action(d, action, &t, p, &o, r))
        return false;
    *message = o.message;
    if (o.status == DOMAIN_OK)
        return domain_ok(r);
    return domain_fail(r, o.status, o.message);
}
