/*
 * api/game_admin: the game's admin actions.
 *
 *   POST /api/v1/users/{lookup}/admin/{action}    (role UserQuery)
 *   POST /api/v1/players/{lookup}/admin/{action}  (role Api)
 *
 * action (any case): ban, mute, unban, unmute, warpto, warptoloc, kick, kill.
 * Checks run in this order: action and lookup form (the route's precheck),
 * body (the route's rules), then the domain's (domain/sanctions.h): target
 * exists, the action's own rules. Unlike upstream, which replaces a bad body
 * by defaults, a bad field is a 400 naming it.
 */
#include <string.h>

#include "warden/api.h"
#include "warden/body.h"
#include "warden/domain/sanctions.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/guid.h"

static bool guid_or_empty(const char *s, size_t len)
{
    char canonical[GUID_STRING_SIZE];
    return len == 0 || guid_parse(s, canonical);
}

/*
 * No field is nullable: the spec names none, so null is "null value not
 * allowed" like any other value of the wrong type, never "absent" (leave
 * the key out for that). duration's range (1..36500 days) belongs to ban and
 * mute only, so the domain checks it (domain/sanctions.h).
 */
static const struct field_rule body_rules[] = {
    {"duration", FIELD_INTEGER, 0, 0, 0, NULL, NULL},
    {"reason", FIELD_STRING, FIELD_BOUNDED, 0, 1024, NULL, NULL},
    {"moderator", FIELD_STRING, FIELD_BOUNDED, 0, 64, NULL, NULL},
    {"ip", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
    {"mapid", FIELD_STRING, 0, 0, 0, guid_or_empty, "must be a GUID, or empty for the current map"},
    {"x", FIELD_INTEGER, FIELD_BOUNDED, 0, 255, NULL, "must be an integer in 0..255"},
    {"y", FIELD_INTEGER, FIELD_BOUNDED, 0, 255, NULL, "must be an integer in 0..255"},
};
#define BODY_KEYS (FIELDS_ALLOW_UNKNOWN | FIELDS_CASE_INSENSITIVE)
const struct route_body api_game_action_body = ROUTE_BODY(body_rules, BODY_OPTIONAL, BODY_KEYS);

bool api_game_action_known(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    enum game_action action;
    const char *refusal;
    if (!sanctions_parse_action(request_param(req, "action"), &action, &refusal)) {
        error_send(res, req, 400, refusal);
        return false;
    }
    char id[GUID_STRING_SIZE];
    const char *name;
    return api_game_key(req, res, id, &name);
}

static void admin_action(struct app *app, struct request *req, struct response *res, bool player_route)
{
    enum game_action action;
    const char *refusal, *name;
    char id[GUID_STRING_SIZE];
    sanctions_parse_action(request_param(req, "action"), &action, &refusal);
    api_game_key(req, NULL, id, &name);
    struct game_target_key target = {player_route, {name ? NULL : id, name}};

    const bson_t *body = req->fields;
    struct game_action_params p;
    memset(&p, 0, sizeof p);
    p.has_duration = fields_int(body, "duration", BODY_KEYS, &p.duration);
    p.reason = fields_string(body, "reason", BODY_KEYS, NULL);
    p.moderator = fields_string(body, "moderator", BODY_KEYS, NULL);
    fields_bool(body, "ip", BODY_KEYS, &p.ip);
    p.map_id = fields_string(body, "mapid", BODY_KEYS, NULL);
    p.has_x = fields_int(body, "x", BODY_KEYS, &p.x);
    p.has_y = fields_int(body, "y", BODY_KEYS, &p.y);

    struct domain d = api_domain(app, req);
    struct domain_result r;
    const char *message;
    if (sanctions_act(&d, action, &target, &p, &message, &r)) {
        struct jsonw w;
        response_json(res, 200, &w);
        jsonw_object_begin(&w);
        jsonw_kv_string(&w, "Message", message);
        jsonw_object_end(&w);
    } else if (r.status == DOMAIN_NOT_FOUND && !r.message) {
        api_game_not_found(req, res, player_route ? "player" : "user");
    } else {
        api_fail(res, req, &r);
    }
}

void api_game_user_admin(struct app *app, struct request *req, struct response *res)
{
    admin_action(app, req, res, false);
}

void api_game_player_admin(struct app *app, struct request *req, struct response *res)
{
    admin_action(app, req, res, true);
}
