/*
 * api/oauth: the game's token endpoint (OAuth 2 password and refresh-token
 * grants, as Intersect's API serves them) and GET /api/v1/info/authorized.
 *
 * The grants themselves are domain/game_tokens.h's; this file reads the
 * form and renders OAuth's token response.
 */
#include <stdio.h>
#include <string.h>

#include "warden/api.h"
#include "warden/body.h"
#include "warden/domain/game_tokens.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/mem.h"
#include "warden/format.h"

static const struct field_rule token_rules[] = {
    {"grant_type", FIELD_STRING, FIELD_BOUNDED, 0, 64, NULL, NULL},
    {"username", FIELD_STRING, FIELD_BOUNDED, 0, 64, NULL, NULL},
    {"password", FIELD_STRING, FIELD_BOUNDED, 0, 128, NULL, NULL},
    {"refresh_token", FIELD_STRING, FIELD_BOUNDED, 0, 64, NULL, NULL},
};
/* OAuth clients add client_id, scope...: ignored. */
const struct route_body api_oauth_token_body =
    ROUTE_BODY(token_rules, BODY_ACCEPT_FORM, FIELDS_ALLOW_UNKNOWN);

void api_oauth_token(struct app *app, struct request *req, struct response *res)
{
    const bson_t *body = req->fields;
    const char *grant = fields_string(body, "grant_type", 0, NULL);
    struct game_token_ttl ttl = {app->cfg->game_access_ttl_s, app->cfg->game_refresh_ttl_s};
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct game_tokens t;
    bool ok;
    if (grant && strcmp(grant, "password") == 0) {
        uint32_t password_len = 0;
        const char *password = fields_string(body, "password", 0, &password_len);
        ok = game_tokens_password_grant(&d, &ttl, fields_string(body, "username", 0, NULL),
                                        password, password_len, &t, &r);
    } else if (grant && strcmp(grant, "refresh_token") == 0) {
        ok = game_tokens_refresh_grant(&d, &ttl, fields_string(body, "refresh_token", 0, NULL), &t, &r);
    } else {
        error_send(res, req, 400, "Unsupported grant type.");
        return;
    }
    if (!ok) {
        api_fail(res, req, &r);
        return;
    }
    char issued[40], expires[40];
    format_http_date(t.issued, issued, sizeof issued);
    format_http_date(t.expires, expires, sizeof expires);
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "access_token", t.access);
    jsonw_kv_string(&w, "token_type", "bearer");
    jsonw_kv_int(&w, "expires_in", app->cfg->game_access_ttl_s);
    jsonw_kv_string(&w, "refresh_token", t.refresh);
    jsonw_kv_string(&w, ".issued", issued);
    jsonw_kv_string(&w, ".expires", expires);
    jsonw_object_end(&w);
    mem_wipe(t.access, sizeof t.access);
}

void api_game_info_authorized(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_bool(&w, "authorized", true);
    jsonw_object_end(&w);
}
