/*
 * api/guilds: guild creation for any user, and the staff's guild admin.
 *
 *   POST   /guilds                           {name, region?} → full guild
 *   GET    /admin/guilds/{id}                partial guild
 *   PATCH  /admin/guilds/{id}                {unavailable} → partial guild
 *   DELETE /admin/guilds/{id}                204 (idempotent)
 *   PATCH  /admin/guilds/{id}/features       replace → {features}
 *   PUT    /admin/guilds/{id}/features       add → {features}
 *   DELETE /admin/guilds/{id}/features       remove → {features}
 *
 * Every change lands in the guild's documents, so every worker sees it, and
 * goes to the gateway outbox as GUILD_UPDATE / GUILD_DELETE.
 */
#include <stdio.h>
#include <string.h>

#include "warden/api.h"
#include "warden/arena.h"
#include "warden/domain/guilds.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/store/voice.h"
#include "warden/view.h"

/* region is the one field of either API that the spec calls nullable ("an
 * existing, non-deprecated region or null"): null means no region. */
static const struct field_rule create_rules[] = {
    {"name", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 2, 100, NULL, NULL},
    {"region", FIELD_STRING, FIELD_NULLABLE | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
};
/* Discord clients also send icon, channels, roles...: ignored. */
const struct route_body api_guild_create_body = ROUTE_BODY(create_rules, 0, FIELDS_ALLOW_UNKNOWN);

void api_guilds_create(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct guild_created g;
    const struct user *caller = &req->principal->chat;
    if (!guilds_create(&d, fields_string(req->fields, "name", 0, NULL),
                       fields_string(req->fields, "region", 0, NULL), caller->id, &g, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    view_guild_full(&w, g.guild.partial, g.guild.doc, caller, g.members, g.channels, g.roles);
}

bool api_guild_id_known(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    if (api_path_id(req, "guild_id"))
        return true;
    error_send_code(res, req, 404, CODE_UNKNOWN_GUILD, "Unknown guild");
    return false;
}

static void send_partial(struct response *res, const struct guild_view *g)
{
    struct jsonw w;
    response_json(res, 200, &w);
    view_guild_partial(&w, g->partial);
}

void api_admin_guild_get(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct guild_view g;
    if (guilds_get(&d, api_path_id(req, "guild_id"), &g, &r))
        send_partial(res, &g);
    else
        api_fail(res, req, &r);
}

static const struct field_rule patch_rules[] = {
    {"unavailable", FIELD_BOOLEAN, FIELD_REQUIRED, 0, 0, NULL, NULL},
};
const struct route_body api_guild_patch_body = ROUTE_BODY(patch_rules, 0, 0);

void api_admin_guild_patch(struct app *app, struct request *req, struct response *res)
{
    bool unavailable = false;
    fields_bool(req->fields, "unavailable", 0, &unavailable);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct guild_view g;
    if (guilds_set_unavailable(&d, api_path_id(req, "guild_id"), unavailable, &g, &r))
        send_partial(res, &g);
    else
        api_fail(res, req, &r);
}

void api_admin_guild_delete(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    if (guilds_delete(&d, api_path_id(req, "guild_id"), &r))
        response_no_content(res); /* deleting what is not there is not an error */
    else
        api_fail(res, req, &r);
}

static const struct field_rule features_rules[] = {
    {"features", FIELD_LIST, FIELD_REQUIRED | FIELD_BOUNDED, 0, 64, NULL, NULL},
};
const struct route_body api_features_body = ROUTE_BODY(features_rules, 0, 0);

/*
 * The body's features, deduplicated in first-occurrence order. Each must be a
 * supported feature's name; otherwise answers 400 naming the bad items.
 */
static bool read_features(const struct request *req, struct response *res,
                          struct guild_features *out)
{
    bson_iter_t it, child;
    out->n = 0;
    if (!fields_find(req->fields, "features", 0, &it) || !bson_iter_recurse(&it, &child))
        return true;
    struct field_errors errors = {.n = 0};
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_UTF8(&child)) {
            fields_error(&errors, "features", "must be of string type");
            continue;
        }
        const char *name = bson_iter_utf8(&child, NULL);
        const char *supported = guilds_feature_name(name);
        if (!supported) {
            fields_error(&errors, "features", arena_printf(req->arena, "unallowed value %.40s", name));
            continue;
        }
        bool seen = false;
        for (size_t i = 0; i < out->n; i++)
            seen = seen || strcmp(out->names[i], supported) == 0;
        if (!seen && out->n < GUILD_FEATURES_MAX)
            snprintf(out->names[out->n++], sizeof out->names[0], "%s", supported);
    }
    if (errors.n) {
        error_send_fields(res, req, errors.items, errors.n);
        return false;
    }
    return true;
}

static void change_features(struct app *app, struct request *req, struct response *res,
                            enum features_op op)
{
    struct guild_features given, after;
    if (!read_features(req, res, &given))
        return;
    struct domain d = api_domain(app, req);
    struct domain_result r;
    if (!guilds_change_features(&d, api_path_id(req, "guild_id"), op, &given, &after, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "features");
    jsonw_array_begin(&w);
    for (size_t i = 0; i < after.n; i++)
        jsonw_string(&w, after.names[i]);
    jsonw_array_end(&w);
    jsonw_object_end(&w);
}

void api_admin_guild_features_replace(struct app *app, struct request *req, struct response *res)
{
    change_features(app, req, res, FEATURES_REPLACE);
}

void api_admin_guild_features_add(struct app *app, struct request *req, struct response *res)
{
    change_features(app, req, res, FEATURES_ADD);
}

void api_admin_guild_features_remove(struct app *app, struct request *req, struct response *res)
{
    change_features(app, req, res, FEATURES_REMOVE);
}
