/*
 * api/game_admin: the game's admin actions.
 *
 *   POST /api/v1/users/{lookup}/admin/{action}    (role UserQuery)
 *   POST /api/v1/players/{lookup}/admin/{action}  (role Api)
 *
 * action (any case): ban, mute, unban, unmute, warpto, warptoloc, kick, kill.
 * Checks run in this order: action, lookup form, body, target exists, then
 * the action's own (online, authority, already sanctioned). Unlike upstream,
 * which replaces a bad body by defaults, a bad field is a 400 naming it.
 *
 * Effects are documents: sanctions (one per user and kind, store/sanctions.h)
 * and game_commands for the game server. Every request that reaches a
 * target leaves an audit_log entry with its parameters and result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/arena.h"
#include "warden/auth.h"
#include "warden/body.h"
#include "warden/errors.h"
#include "warden/fields.h"
#include "warden/guid.h"
#include "warden/log.h"
#include "warden/store/events.h"
#include "warden/store/game.h"
#include "warden/store/sanctions.h"
#include "warden/util.h"
#include "warden/validators.h"

#define DAY_MS (24LL * 3600 * 1000)
#define DURATION_MAX_DAYS 36500 /* a century: keeps the end date far from overflow */

enum action { ACT_BAN, ACT_MUTE, ACT_UNBAN, ACT_UNMUTE, ACT_WARPTO, ACT_WARPTOLOC, ACT_KICK, ACT_KILL };

static const char *const action_names[] = {"ban", "mute", "unban", "unmute",
                                           "warpto", "warptoloc", "kick", "kill"};
#define N_ACTIONS (sizeof action_names / sizeof action_names[0])

static bool guid_or_empty(const char *s, size_t len)
{
    char canonical[GUID_STRING_SIZE];
    return len == 0 || guid_parse(s, canonical);
}

static const struct field_rule body_rules[] = {
    {"duration", FIELD_INTEGER, 0, 0, 0, NULL, NULL},
    {"reason", FIELD_STRING, FIELD_NULLABLE | FIELD_BOUNDED, 0, 1024, NULL, NULL},
    {"moderator", FIELD_STRING, FIELD_NULLABLE | FIELD_BOUNDED, 0, 64, NULL, NULL},
    {"ip", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
    {"mapid", FIELD_STRING, FIELD_NULLABLE, 0, 0, guid_or_empty, "must be a GUID"},
    {"x", FIELD_INTEGER, FIELD_BOUNDED, 0, 255, NULL, NULL},
    {"y", FIELD_INTEGER, FIELD_BOUNDED, 0, 255, NULL, NULL},
};
#define BODY_KEYS (FIELDS_ALLOW_UNKNOWN | FIELDS_CASE_INSENSITIVE)

struct target {
    bool player_route;
    struct game_user user;   /* the account acted upon (a player's owner) */
    struct player player;    /* players route: the character */
    struct player *online;   /* the user's online characters */
    size_t n_online;
};

struct outcome {
    int status;
    const char *message;
};

static bool find_target(struct app *app, const struct request *req, struct response *res,
                        const char *id, const char *name, struct target *t)
{
    bson_error_t e;
    enum store_status s;
    if (t->player_route) {
        s = name ? store_player_find_by_name(app->db, name, &t->player, &e)
                 : store_player_get(app->db, id, &t->player, &e);
        if (s == STORE_OK)
            s = store_game_user_get(app->db, t->player.user_id, &t->user, &e);
    } else {
        s = name ? store_game_user_find_by_name(app->db, name, &t->user, &e)
                 : store_game_user_get(app->db, id, &t->user, &e);
    }
    if (s == STORE_NOT_FOUND) {
        api_game_not_found(req, res, t->player_route ? "player" : "user");
        return false;
    }
    struct player *players = NULL;
    size_t n = 0;
    if (s == STORE_OK)
        s = store_players_of_user(app->db, t->user.id, &players, &n, &e);
    if (s != STORE_OK) {
        free(players);
        error_send_db(res, req, &e);
        return false;
    }
    t->online = arena_calloc(req->arena, n ? n : 1, sizeof *t->online);
    for (size_t i = 0; i < n; i++)
        if (players[i].online)
            t->online[t->n_online++] = players[i];
    free(players);
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

static void command(struct app *app, const struct request *req, const struct game_command *cmd)
{
    bson_error_t e;
    if (store_game_command(app->db, cmd, &e) != STORE_OK)
        log_error("game command %s for %s lost (rid=%s): %s", cmd->type, cmd->player_id,
                  req->request_id, e.message);
}

static bool outranks_caller(const struct request *req, const struct target *t)
{
    return (t->user.rights & RIGHT_POWERS) > (req->principal->game.rights & RIGHT_POWERS);
}

#define PERMISSION_DENIED "You do not have the permission to do this."

static struct outcome sanction(struct app *app, const struct request *req, const struct target *t,
                               const bson_t *body, enum sanction_kind kind, bson_error_t *e,
                               bool *db_failed)
{
    const char *name = t->player_route ? t->player.name : t->user.name;
    const char *word = kind == SANCTION_BAN ? "banned" : "muted";
    int64_t days;
    if (!fields_int(body, "duration", BODY_KEYS, &days) || days < 1 || days > DURATION_MAX_DAYS)
        return (struct outcome){400, arena_printf(req->arena,
                                                  "duration: must be an integer of days in 1..%d",
                                                  DURATION_MAX_DAYS)};
    if (outranks_caller(req, t))
        return (struct outcome){400, PERMISSION_DENIED};
    /* body_rules bound reason and moderator in characters; the record's
     * buffers hold that many characters of any UTF-8 width. */
    const char *reason = fields_string(body, "reason", BODY_KEYS, NULL);
    const char *moderator = fields_string(body, "moderator", BODY_KEYS, NULL);
    struct sanction sn;
    memset(&sn, 0, sizeof sn);
    sn.kind = kind;
    snprintf(sn.user_id, sizeof sn.user_id, "%s", t->user.id);
    sn.start = clock_wall_ms();
    sn.end = sn.start + days * DAY_MS;
    snprintf(sn.reason, sizeof sn.reason, "%s", reason ? reason : "");
    /* Upstream: the users route records the caller; the players route the body's moderator. */
    snprintf(sn.moderator, sizeof sn.moderator, "%s",
             t->player_route ? (moderator && *moderator ? moderator : "api")
                             : req->principal->game.name);
    bool with_ip = false;
    fields_bool(body, "ip", BODY_KEYS, &with_ip);
    if (with_ip) /* the live connection's address when online, else the last one known */
        snprintf(sn.ip, sizeof sn.ip, "%s",
                 t->n_online && t->online[0].connection_ip[0] ? t->online[0].connection_ip
                                                              : t->user.last_ip);
    switch (store_sanction_insert(app->db, &sn, sn.start, e)) {
    case STORE_OK:
        break;
    case STORE_DUPLICATE:
        return (struct outcome){400, arena_printf(req->arena, "%s has already been %s!", name, word)};
    default:
        *db_failed = true;
        return (struct outcome){0, NULL};
    }
    for (size_t i = 0; i < t->n_online; i++) {
        struct game_command cmd = {kind == SANCTION_BAN ? "disconnect" : "mute", t->online[i].id,
                                   t->user.id, NULL, 0, 0, sn.reason};
        command(app, req, &cmd);
    }
    return (struct outcome){200, arena_printf(req->arena, "%s has been %s!", name, word)};
}

static struct outcome lift(struct app *app, const struct request *req, const struct target *t,
                           enum sanction_kind kind, bson_error_t *e, bool *db_failed)
{
    if (store_sanction_remove_all(app->db, t->user.id, kind, e) != STORE_OK) {
        *db_failed = true;
        return (struct outcome){0, NULL};
    }
    return (struct outcome){200, arena_printf(req->arena, "%s has been %s!",
                                              t->player_route ? t->player.name : t->user.name,
                                              kind == SANCTION_BAN ? "unbanned" : "unmuted")};
}

static struct outcome warp(struct app *app, const struct request *req, const struct target *t,
                           const bson_t *body, bool to_location)
{
    const char *mapid = fields_string(body, "mapid", BODY_KEYS, NULL);
    if (!to_location && !t->player_route && (!mapid || !*mapid))
        return (struct outcome){400, "Expected a map ID."};
    int64_t x = 0, y = 0;
    if (to_location && !fields_int(body, "x", BODY_KEYS, &x))
        return (struct outcome){400, "x: required field"};
    if (to_location && !fields_int(body, "y", BODY_KEYS, &y))
        return (struct outcome){400, "y: required field"};
    const struct player *who = acting_character(t);
    if (!who)
        return (struct outcome){404, "User not online!"};
    char map[GUID_STRING_SIZE];
    if (!mapid || !*mapid || !guid_parse(mapid, map))
        snprintf(map, sizeof map, "%s", who->map_id); /* no map given: the current one */
    if (!to_location) {
        x = who->x;
        y = who->y;
    }
    struct game_command cmd = {"warp", who->id, t->user.id, map, x, y, NULL};
    command(app, req, &cmd);
    return (struct outcome){200, arena_printf(req->arena, "Warped '%s' to %s (%lld, %lld).",
                                              who->name, map, (long long)x, (long long)y)};
}

static struct outcome kick_or_kill(struct app *app, const struct request *req,
                                   const struct target *t, const bson_t *body, bool kill)
{
    const struct player *who = acting_character(t);
    if (!who)
        return (struct outcome){404, "User not online!"};
    if (outranks_caller(req, t))
        return (struct outcome){400, PERMISSION_DENIED};
    const char *reason = fields_string(body, "reason", BODY_KEYS, NULL);
    struct game_command cmd = {kill ? "kill" : "kick", who->id, t->user.id, NULL, 0, 0,
                               kill ? NULL : (reason ? reason : "")};
    command(app, req, &cmd);
    return (struct outcome){200, arena_printf(req->arena, kill ? "%s has been killed!"
                                                              : "%s has been kicked by the server!",
                                              who->name)};
}

static void audit_action(struct app *app, const struct request *req, enum action act,
                         const struct target *t, const bson_t *body, const struct outcome *o)
{
    bson_t after = BSON_INITIALIZER, result;
    BSON_APPEND_DOCUMENT(&after, "parameters", body);
    BSON_APPEND_UTF8(&after, "user_id", t->user.id);
    BSON_APPEND_DOCUMENT_BEGIN(&after, "result", &result);
    BSON_APPEND_INT32(&result, "status", o->status);
    BSON_APPEND_UTF8(&result, "message", o->message);
    bson_append_document_end(&after, &result);
    char action[32];
    snprintf(action, sizeof action, "game.%s", action_names[act]);
    api_audit(app, req, action, t->player_route ? "player" : "user",
              t->player_route ? t->player.id : t->user.id, NULL, &after);
    bson_destroy(&after);
}

static void admin_action(struct app *app, struct request *req, struct response *res, bool player_route)
{
    const char *act_text = request_param(req, "action");
    int act = -1;
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strcasecmp(act_text, action_names[i]) == 0)
            act = (int)i;
    if (act < 0) {
        if (strcasecmp(act_text, "warpmeto") == 0)
            error_send(res, req, 400, "'WarpMeTo' not supported by the API.");
        else if (strcasecmp(act_text, "warptome") == 0)
            error_send(res, req, 400, "'WarpToMe' not supported by the API.");
        else
            error_send(res, req, 400, "Invalid action.");
        return;
    }
    char id[GUID_STRING_SIZE];
    const char *name;
    if (!api_game_lookup(req, res, id, &name))
        return;
    bson_t body = BSON_INITIALIZER;
    struct target t;
    memset(&t, 0, sizeof t);
    t.player_route = player_route;
    if (!body_read_fields(req, res, BODY_OPTIONAL, body_rules,
                          sizeof body_rules / sizeof body_rules[0], BODY_KEYS, &body) ||
        !find_target(app, req, res, id, name, &t))
        goto done;

    bson_error_t e;
    bool db_failed = false;
    struct outcome o;
    switch ((enum action)act) {
    case ACT_BAN: o = sanction(app, req, &t, &body, SANCTION_BAN, &e, &db_failed); break;
    case ACT_MUTE: o = sanction(app, req, &t, &body, SANCTION_MUTE, &e, &db_failed); break;
    case ACT_UNBAN: o = lift(app, req, &t, SANCTION_BAN, &e, &db_failed); break;
    case ACT_UNMUTE: o = lift(app, req, &t, SANCTION_MUTE, &e, &db_failed); break;
    case ACT_WARPTO: o = warp(app, req, &t, &body, false); break;
    case ACT_WARPTOLOC: o = warp(app, req, &t, &body, true); break;
    case ACT_KICK: o = kick_or_kill(app, req, &t, &body, false); break;
    default: o = kick_or_kill(app, req, &t, &body, true); break;
    }
    if (db_failed) {
        error_send_db(res, req, &e);
        goto done;
    }
    audit_action(app, req, (enum action)act, &t, &body, &o);
    if (o.status == 200) {
        struct jsonw w;
        response_json(res, 200, &w);
        jsonw_object_begin(&w);
        jsonw_kv_string(&w, "Message", o.message);
        jsonw_object_end(&w);
    } else {
        error_send(res, req, o.status, o.message);
    }
done:
    bson_destroy(&body);
}

void api_game_user_admin(struct app *app, struct request *req, struct response *res)
{
    admin_action(app, req, res, false);
}

void api_game_player_admin(struct app *app, struct request *req, struct response *res)
{
    admin_action(app, req, res, true);
}
