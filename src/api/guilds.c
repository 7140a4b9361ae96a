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
#include <stdlib.h>
#include <string.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/arena.h"
#include "warden/auth.h"
#include "warden/body.h"
#include "warden/errors.h"
#include "warden/fields.h"
#include "warden/json.h"
#include "warden/log.h"
#include "warden/store/guilds.h"
#include "warden/store/voice.h"
#include "warden/util.h"
#include "warden/validators.h"
#include "warden/views.h"

/* The features this instance supports (upstream also lists PUBLIC, COMMERCE, NEWS). */
static const char *const supported_features[] = {
    "INVITE_SPLASH", "VIP_REGIONS", "VANITY_URL", "MORE_EMOJI", "VERIFIED",
};
#define N_SUPPORTED (sizeof supported_features / sizeof supported_features[0])

/* Render a guild's partial view into a BSON document (for outbox events). */
static bool partial_as_bson(const bson_t *guild, const struct guild_features *features, bson_t *out)
{
    struct buf text = BUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &text);
    view_guild_partial(&w, guild, features);
    struct json_error err;
    bool ok = json_parse_object(text.data, text.len, out, &err) == 0;
    buf_free(&text);
    return ok;
}

void api_guild_update_event(struct app *app, const struct request *req, int64_t guild_id)
{
    bson_t guild = BSON_INITIALIZER, data = BSON_INITIALIZER;
    struct guild_features features;
    bson_error_t e;
    if (store_guild_get(app->db, guild_id, &guild, &e) != STORE_OK ||
        store_guild_features(app->db, guild_id, &features, &e) != STORE_OK) {
        log_error("GUILD_UPDATE for %lld lost (rid=%s): %s", (long long)guild_id, req->request_id,
                  e.message);
    } else if (partial_as_bson(&guild, &features, &data)) {
        api_gateway_event(app, req, "GUILD_UPDATE", guild_id, 0, &data);
    }
    bson_destroy(&guild);
    bson_destroy(&data);
}

static const struct field_rule create_rules[] = {
    {"name", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 2, 100, NULL, NULL},
    {"region", FIELD_STRING, FIELD_NULLABLE | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
};

void api_guilds_create(struct app *app, struct request *req, struct response *res)
{
    bson_t body = BSON_INITIALIZER, guild = BSON_INITIALIZER;
    bson_t members = BSON_INITIALIZER, channels = BSON_INITIALIZER, roles = BSON_INITIALIZER;
    /* Discord clients also send icon, channels, roles...: ignored. */
    if (!body_read_fields(req, res, 0, create_rules, 2, FIELDS_ALLOW_UNKNOWN, &body))
        goto done;
    uint32_t region_len = 0;
    const char *region_raw = fields_string(&body, "region", 0, &region_len);
    char *region = NULL;
    bson_error_t e;
    if (region_raw) {
        region = arena_alloc(req->arena, region_len + 1);
        ascii_lower(region_raw, region_len, region);
        struct voice_region r;
        enum store_status s = store_voice_region_get(app->db, region, &r, &e);
        if (s == STORE_ERROR) {
            error_send_db(res, req, &e);
            goto done;
        }
        if (s == STORE_NOT_FOUND || r.deprecated) {
            struct field_error fe = {"region", "must be an existing, non-deprecated voice region"};
            error_send_fields(res, req, &fe, 1);
            goto done;
        }
    }
    const struct user *caller = &req->principal->chat;
    if (store_guild_create(app->db, fields_string(&body, "name", 0, NULL), caller->id, region,
                           &guild, &e) != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    int64_t id = doc_int(&guild, "_id", 0);
    if (store_guild_parts(app->db, id, "guild_members", &members, &e) != STORE_OK ||
        store_guild_parts(app->db, id, "guild_channels", &channels, &e) != STORE_OK ||
        store_guild_parts(app->db, id, "guild_roles", &roles, &e) != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    struct guild_features none = {.n = 0};
    struct jsonw w;
    response_json(res, 200, &w);
    view_guild_full(&w, &guild, &none, caller, &members, &channels, &roles);
done:
    bson_destroy(&body);
    bson_destroy(&guild);
    bson_destroy(&members);
    bson_destroy(&channels);
    bson_destroy(&roles);
}

/* The {guild_id} path parameter; answers 404 Unknown guild when it cannot be one. */
static bool path_guild_id(const struct request *req, struct response *res, int64_t *id)
{
    if (parse_int64(request_param(req, "guild_id"), 1, INT64_MAX, id) < 0) {
        error_send_code(res, req, 404, CODE_UNKNOWN_GUILD, "Unknown guild");
        return false;
    }
    return true;
}

/* Load the guild and its features, or answer 404/503. */
static bool load_guild(struct app *app, const struct request *req, struct response *res,
                       int64_t id, bson_t *guild, struct guild_features *features)
{
    bson_error_t e;
    enum store_status s = store_guild_get(app->db, id, guild, &e);
    if (s == STORE_OK)
        s = store_guild_features(app->db, id, features, &e);
    if (s == STORE_NOT_FOUND)
        error_send_code(res, req, 404, CODE_UNKNOWN_GUILD, "Unknown guild");
    else if (s != STORE_OK)
        error_send_db(res, req, &e);
    return s == STORE_OK;
}

static void send_partial(struct app *app, const struct request *req, struct response *res, int64_t id)
{
    bson_t guild = BSON_INITIALIZER;
    struct guild_features features;
    if (load_guild(app, req, res, id, &guild, &features)) {
        struct jsonw w;
        response_json(res, 200, &w);
        view_guild_partial(&w, &guild, &features);
    }
    bson_destroy(&guild);
}

void api_admin_guild_get(struct app *app, struct request *req, struct response *res)
{
    int64_t id;
    if (path_guild_id(req, res, &id))
        send_partial(app, req, res, id);
}

static const struct field_rule patch_rules[] = {
    {"unavailable", FIELD_BOOLEAN, FIELD_REQUIRED, 0, 0, NULL, NULL},
};

void api_admin_guild_patch(struct app *app, struct request *req, struct response *res)
{
    int64_t id;
    bson_t body = BSON_INITIALIZER;
    if (!path_guild_id(req, res, &id) || !body_read_fields(req, res, 0, patch_rules, 1, 0, &body))
        goto done;
    bool unavailable = false;
    fields_bool(&body, "unavailable", 0, &unavailable);
    bson_error_t e;
    enum store_status s = store_guild_set_unavailable(app->db, id, unavailable, &e);
    if (s == STORE_NOT_FOUND) {
        error_send_code(res, req, 404, CODE_UNKNOWN_GUILD, "Unknown guild");
        goto done;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    char target[24];
    snprintf(target, sizeof target, "%lld", (long long)id);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&after, "unavailable", unavailable);
    api_audit(app, req, "guild.update", "guild", target, NULL, &after);
    bson_destroy(&after);
    api_guild_update_event(app, req, id);
    send_partial(app, req, res, id);
done:
    bson_destroy(&body);
}

void api_admin_guild_delete(struct app *app, struct request *req, struct response *res)
{
    int64_t id;
    if (!path_guild_id(req, res, &id))
        return;
    bson_error_t e;
    enum store_status s = store_guild_delete(app->db, id, &e);
    if (s == STORE_ERROR) {
        error_send_db(res, req, &e);
        return;
    }
    if (s == STORE_OK) {
        char target[24];
        snprintf(target, sizeof target, "%lld", (long long)id);
        api_audit(app, req, "guild.delete", "guild", target, NULL, NULL);
        bson_t data = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&data, "id", target);
        BSON_APPEND_BOOL(&data, "unavailable", false);
        api_gateway_event(app, req, "GUILD_DELETE", id, 0, &data);
        bson_destroy(&data);
    }
    response_no_content(res); /* deleting what is not there is not an error */
}

static const struct field_rule features_rules[] = {
    {"features", FIELD_LIST, FIELD_REQUIRED | FIELD_BOUNDED, 0, 64, NULL, NULL},
};

/*
 * The body's features, deduplicated in first-occurrence order. Each must be a
 * supported feature's name; otherwise answers 400 naming the bad items.
 */
static bool read_features(const struct request *req, struct response *res, const bson_t *body,
                          struct guild_features *out)
{
    bson_iter_t it, child;
    out->n = 0;
    if (!fields_find(body, "features", 0, &it) || !bson_iter_recurse(&it, &child))
        return true;
    struct field_errors errors = {.n = 0};
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_UTF8(&child)) {
            fields_error(&errors, "features", "must be of string type");
            continue;
        }
        const char *name = bson_iter_utf8(&child, NULL);
        const char *supported = NULL;
        for (size_t i = 0; i < N_SUPPORTED; i++)
            if (strcmp(name, supported_features[i]) == 0)
                supported = supported_features[i];
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

static bool has_feature(const struct guild_features *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0)
            return true;
    return false;
}

enum features_op { FEATURES_REPLACE, FEATURES_ADD, FEATURES_REMOVE };

static void change_features(struct app *app, struct request *req, struct response *res,
                            enum features_op op)
{
    int64_t id;
    bson_t body = BSON_INITIALIZER, guild = BSON_INITIALIZER;
    struct guild_features given, before, after;
    if (!path_guild_id(req, res, &id) ||
        !body_read_fields(req, res, 0, features_rules, 1, 0, &body) ||
        !read_features(req, res, &body, &given) ||
        !load_guild(app, req, res, id, &guild, &before))
        goto done;
    if (op == FEATURES_REMOVE) {
        for (size_t i = 0; i < given.n; i++) {
            if (!has_feature(&before, given.names[i])) {
                error_send(res, req, 400, "Trying to remove already removed feature.");
                goto done;
            }
        }
    }
    bson_error_t e;
    enum store_status s = op == FEATURES_REPLACE ? store_guild_features_replace(app->db, id, &given, &e)
                        : op == FEATURES_ADD     ? store_guild_features_add(app->db, id, &given, &e)
                                                 : store_guild_features_remove(app->db, id, &given, &e);
    if (s == STORE_OK)
        s = store_guild_features(app->db, id, &after, &e);
    /* A vanity URL needs the feature: losing it clears the code. */
    if (s == STORE_OK && has_feature(&before, "VANITY_URL") && !has_feature(&after, "VANITY_URL"))
        s = store_guild_clear_vanity(app->db, id, &e);
    if (s != STORE_OK && s != STORE_NOT_FOUND) {
        error_send_db(res, req, &e);
        goto done;
    }
    char target[24];
    snprintf(target, sizeof target, "%lld", (long long)id);
    bson_t b = BSON_INITIALIZER, a = BSON_INITIALIZER, list;
    const struct { bson_t *doc; const struct guild_features *f; } states[] = {{&b, &before}, {&a, &after}};
    for (size_t k = 0; k < 2; k++) {
        BSON_APPEND_ARRAY_BEGIN(states[k].doc, "features", &list);
        for (size_t i = 0; i < states[k].f->n; i++) {
            char key[16];
            const char *kp;
            bson_uint32_to_string((uint32_t)i, &kp, key, sizeof key);
            BSON_APPEND_UTF8(&list, kp, states[k].f->names[i]);
        }
        bson_append_array_end(states[k].doc, &list);
    }
    static const char *const actions[] = {"guild.features.replace", "guild.features.add",
                                          "guild.features.remove"};
    api_audit(app, req, actions[op], "guild", target, &b, &a);
    bson_destroy(&b);
    bson_destroy(&a);
    api_guild_update_event(app, req, id);

    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "features");
    jsonw_array_begin(&w);
    for (size_t i = 0; i < after.n; i++)
        jsonw_string(&w, after.names[i]);
    jsonw_array_end(&w);
    jsonw_object_end(&w);
done:
    bson_destroy(&body);
    bson_destroy(&guild);
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
