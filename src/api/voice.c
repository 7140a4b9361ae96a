/*
 * api/voice: voice regions and servers (staff only).
 *
 *   GET /admin/voice/regions                     all regions
 *   GET /admin/voice/regions/{region}            the region's servers ([] if unknown)
 *   PUT /admin/voice/regions                     create a region → all regions
 *   PUT /admin/voice/regions/{region}/server     add a server → 204
 *   PUT /admin/voice/regions/{region}/deprecate  guilds leave it, region deprecated → 204
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/arena.h"
#include "warden/body.h"
#include "warden/errors.h"
#include "warden/fields.h"
#include "warden/log.h"
#include "warden/store/guilds.h"
#include "warden/store/voice.h"
#include "warden/validators.h"

/* Region ids are lower-cased wherever they come from (path or body). */
static const char *region_param(const struct request *req)
{
    const char *raw = request_param(req, "region");
    size_t len = strlen(raw);
    char *lower = arena_alloc(req->arena, len + 1);
    ascii_lower(raw, len, lower);
    return lower;
}

static void view_region(struct jsonw *w, const struct voice_region *r)
{
    jsonw_object_begin(w);
    jsonw_kv_string(w, "id", r->id);
    jsonw_kv_string(w, "name", r->name);
    jsonw_kv_bool(w, "vip", r->vip);
    jsonw_kv_bool(w, "deprecated", r->deprecated);
    jsonw_kv_bool(w, "custom", r->custom);
    jsonw_object_end(w);
}

static void send_all_regions(struct app *app, struct request *req, struct response *res)
{
    struct voice_region *regions;
    size_t n;
    bson_error_t e;
    if (store_voice_region_list(app->db, &regions, &n, &e) != STORE_OK) {
        free(regions);
        error_send_db(res, req, &e);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        view_region(&w, &regions[i]);
    jsonw_array_end(&w);
    free(regions);
}

void api_voice_regions_list(struct app *app, struct request *req, struct response *res)
{
    send_all_regions(app, req, res);
}

void api_voice_region_servers(struct app *app, struct request *req, struct response *res)
{
    struct voice_server *servers;
    size_t n;
    bson_error_t e;
    if (store_voice_server_list(app->db, region_param(req), &servers, &n, &e) != STORE_OK) {
        free(servers);
        error_send_db(res, req, &e);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jsonw_object_begin(&w);
        jsonw_kv_string(&w, "hostname", servers[i].hostname);
        jsonw_key(&w, "last_health");
        jsonw_double(&w, servers[i].last_health);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    free(servers);
}

static const struct field_rule region_rules[] = {
    {"id", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
    {"name", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
    {"vip", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
    {"deprecated", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
    {"custom", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
};

void api_voice_region_create(struct app *app, struct request *req, struct response *res)
{
    bson_t body = BSON_INITIALIZER;
    if (!body_read_fields(req, res, 0, region_rules, 5, 0, &body))
        goto done;
    struct voice_region r;
    memset(&r, 0, sizeof r);
    uint32_t len;
    const char *id = fields_string(&body, "id", 0, &len);
    ascii_lower(id, len, r.id);
    snprintf(r.name, sizeof r.name, "%s", fields_string(&body, "name", 0, NULL));
    fields_bool(&body, "vip", 0, &r.vip);
    fields_bool(&body, "deprecated", 0, &r.deprecated);
    fields_bool(&body, "custom", 0, &r.custom);
    bool first;
    bson_error_t e;
    enum store_status s = store_voice_region_create(app->db, &r, &first, &e);
    if (s == STORE_DUPLICATE) {
        error_send(res, req, 400, "voice region already exists");
        goto done;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&after, "name", r.name);
    BSON_APPEND_BOOL(&after, "vip", r.vip);
    BSON_APPEND_BOOL(&after, "deprecated", r.deprecated);
    BSON_APPEND_BOOL(&after, "custom", r.custom);
    BSON_APPEND_BOOL(&after, "first", first);
    api_audit(app, req, "voice_region.create", "voice_region", r.id, NULL, &after);
    bson_destroy(&after);
    /* The first region ever created becomes every guild's region (upstream's rule). */
    if (first && store_guilds_assign_first_region(app->db, r.id, NULL, &e) != STORE_OK)
        log_error("first region %s not assigned to guilds (rid=%s): %s", r.id, req->request_id,
                  e.message);
    send_all_regions(app, req, res);
done:
    bson_destroy(&body);
}

static const struct field_rule server_rules[] = {
    {"hostname", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
};

/* The path's region, or 404 "Unknown voice region". */
static bool existing_region(struct app *app, struct request *req, struct response *res,
                            struct voice_region *r)
{
    bson_error_t e;
    enum store_status s = store_voice_region_get(app->db, region_param(req), r, &e);
    if (s == STORE_NOT_FOUND)
        error_send(res, req, 404, "Unknown voice region");
    else if (s != STORE_OK)
        error_send_db(res, req, &e);
    return s == STORE_OK;
}

void api_voice_server_create(struct app *app, struct request *req, struct response *res)
{
    bson_t body = BSON_INITIALIZER;
    struct voice_region r;
    if (!body_read_fields(req, res, 0, server_rules, 1, 0, &body) ||
        !existing_region(app, req, res, &r))
        goto done;
    uint32_t len;
    const char *raw = fields_string(&body, "hostname", 0, &len);
    char *hostname = arena_alloc(req->arena, len + 1);
    ascii_lower(raw, len, hostname);
    bson_error_t e;
    enum store_status s = store_voice_server_create(app->db, r.id, hostname, &e);
    if (s == STORE_DUPLICATE) {
        error_send(res, req, 400, "voice server already exists with given hostname");
        goto done;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&after, "region_id", r.id);
    api_audit(app, req, "voice_server.create", "voice_server", hostname, NULL, &after);
    bson_destroy(&after);
    response_no_content(res);
done:
    bson_destroy(&body);
}

struct deprecation {
    struct app *app;
    const struct request *req;
};

static void guild_left_region(int64_t guild_id, void *ctx)
{
    struct deprecation *d = ctx;
    api_guild_update_event(d->app, d->req, guild_id);
}

/*
 * The region is marked first, so that no guild picks it while its guilds
 * leave it; each guild's GUILD_UPDATE follows its own change. A retry after
 * a failure carries on where this one stopped.
 */
void api_voice_region_deprecate(struct app *app, struct request *req, struct response *res)
{
    struct voice_region r;
    if (!existing_region(app, req, res, &r))
        return;
    bson_error_t e;
    struct deprecation d = {app, req};
    int64_t moved = 0;
    if (store_voice_region_deprecate(app->db, r.id, &e) == STORE_ERROR ||
        store_guilds_leave_region(app->db, r.id, guild_left_region, &d, &moved, &e) != STORE_OK) {
        error_send_db(res, req, &e);
        return;
    }
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&after, "deprecated", true);
    BSON_APPEND_INT64(&after, "guilds_moved", moved);
    api_audit(app, req, "voice_region.deprecate", "voice_region", r.id, NULL, &after);
    bson_destroy(&after);
    response_no_content(res);
}
