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
#include <string.h>

#include "warden/api.h"
#include "warden/domain/voice.h"
#include "warden/error.h"
#include "warden/fields.h"

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

static void send_all_regions(const struct domain *d, struct request *req, struct response *res)
{
    struct voice_region *regions;
    size_t n;
    struct domain_result r;
    if (!voice_regions(d, &regions, &n, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        view_region(&w, &regions[i]);
    jsonw_array_end(&w);
}

void api_voice_regions_list(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    send_all_regions(&d, req, res);
}

void api_voice_region_servers(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct voice_server *servers;
    size_t n;
    if (!voice_servers(&d, request_param(req, "region"), &servers, &n, &r)) {
        api_fail(res, req, &r);
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
}

static const struct field_rule region_rules[] = {
    {"id", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
    {"name", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
    {"vip", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
    {"deprecated", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
    {"custom", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
};
const struct route_body api_region_create_body = ROUTE_BODY(region_rules, 0, 0);

void api_voice_region_create(struct app *app, struct request *req, struct response *res)
{
    struct voice_region in;
    memset(&in, 0, sizeof in);
    snprintf(in.id, sizeof in.id, "%s", fields_string(req->fields, "id", 0, NULL));
    snprintf(in.name, sizeof in.name, "%s", fields_string(req->fields, "name", 0, NULL));
    fields_bool(req->fields, "vip", 0, &in.vip);
    fields_bool(req->fields, "deprecated", 0, &in.deprecated);
    fields_bool(req->fields, "custom", 0, &in.custom);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    if (voice_region_create(&d, &in, &r))
        send_all_regions(&d, req, res);
    else
        api_fail(res, req, &r);
}

static const struct field_rule server_rules[] = {
    {"hostname", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, VOICE_TEXT_MAX, NULL, NULL},
};
const struct route_body api_server_create_body = ROUTE_BODY(server_rules, 0, 0);

void api_voice_server_create(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    if (voice_server_create(&d, request_param(req, "region"),
                            fields_string(req->fields, "hostname", 0, NULL), &r))
        response_no_content(res);
    else
        api_fail(res, req, &r);
}

void api_voice_region_deprecate(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    if (voice_region_deprecate(&d, request_param(req, "region"), &r))
        response_no_content(res);
    else
        api_fail(res, req, &r);
}
