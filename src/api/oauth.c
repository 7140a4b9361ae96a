/*
 * api/oauth: the game's token endpoint (OAuth 2 password and refresh-token
 * grants, as Intersect's API serves them) and GET /api/v1/info/authorized.
 *
 * A user without the Api right, or with an active ban, gets the same
 * "Invalid credentials" as a wrong password: the endpoint does not reveal
 * which accounts exist or are banned.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/auth.h"
#include "warden/body.h"
#include "warden/errors.h"
#include "warden/fields.h"
#include "warden/password.h"
#include "warden/store/game.h"
#include "warden/store/game_tokens.h"
#include "warden/store/sanctions.h"
#include "warden/token.h"
#include "warden/util.h"
#include "warden/validators.h"

#define INVALID_CREDENTIALS "Invalid credentials"
#define INVALID_TOKEN "Invalid token"

static const struct field_rule token_rules[] = {
    {"grant_type", FIELD_STRING, FIELD_BOUNDED, 0, 64, NULL, NULL},
    {"username", FIELD_STRING, FIELD_BOUNDED, 0, 64, NULL, NULL},
    {"password", FIELD_STRING, FIELD_BOUNDED, 0, 128, NULL, NULL},
    {"refresh_token", FIELD_STRING, FIELD_BOUNDED, 0, 64, NULL, NULL},
};

/* Whether u may hold tokens now: the Api right and no active ban. */
static enum store_status may_hold_tokens(struct app *app, const struct game_user *u, bool *allowed,
                                         bson_error_t *e)
{
    *allowed = false;
    if (!(u->rights & RIGHT_API))
        return STORE_OK;
    bool banned;
    enum store_status s = store_sanction_active(app->db, u->id, SANCTION_BAN, clock_wall_ms(), &banned, e);
    if (s == STORE_OK)
        *allowed = !banned;
    return s;
}

static void issue_tokens(struct app *app, struct request *req, struct response *res,
                         const struct game_user *u)
{
    int64_t now = clock_wall_ms() / 1000;
    struct game_claims claims;
    memset(&claims, 0, sizeof claims);
    memcpy(claims.user_id, u->id, sizeof claims.user_id);
    memcpy(claims.stamp, u->stamp, sizeof claims.stamp);
    claims.issued = now;
    claims.expires = now + app->cfg->game_access_ttl_s;
    struct token_key key = {app->cfg->secret, app->cfg->secret_len};
    char access[TOKEN_MAX];
    if (token_game_mint(&key, &claims, access, sizeof access) < 0) {
        error_send_internal(res, req, "game token minting failed");
        return;
    }
    char refresh[GUID_STRING_SIZE];
    bson_error_t e;
    if (store_refresh_token_create(app->db, u->id, u->stamp, now * 1000,
                                   (now + app->cfg->game_refresh_ttl_s) * 1000, refresh,
                                   &e) != STORE_OK) {
        error_send_db(res, req, &e);
        return;
    }
    char issued[40], expires[40];
    format_http_date(claims.issued, issued, sizeof issued);
    format_http_date(claims.expires, expires, sizeof expires);
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "access_token", access);
    jsonw_kv_string(&w, "token_type", "bearer");
    jsonw_kv_int(&w, "expires_in", app->cfg->game_access_ttl_s);
    jsonw_kv_string(&w, "refresh_token", refresh);
    jsonw_kv_string(&w, ".issued", issued);
    jsonw_kv_string(&w, ".expires", expires);
    jsonw_object_end(&w);
}

/* Tokens for u if it may hold them, else 400 with the grant's refusal. */
static void issue_if_allowed(struct app *app, struct request *req, struct response *res,
                             const struct game_user *u, const char *refusal)
{
    bool allowed;
    bson_error_t e;
    if (may_hold_tokens(app, u, &allowed, &e) != STORE_OK)
        error_send_db(res, req, &e);
    else if (!allowed)
        error_send(res, req, 400, refusal);
    else
        issue_tokens(app, req, res, u);
}

static void password_grant(struct app *app, struct request *req, struct response *res,
                           const bson_t *body)
{
    const char *name = fields_string(body, "username", 0, NULL);
    uint32_t password_len = 0;
    const char *password = fields_string(body, "password", 0, &password_len);
    if (!name || !password) {
        error_send(res, req, 400, INVALID_CREDENTIALS);
        return;
    }
    char digest[65];
    bool digest_ok = password_normalise_sha256_hex(password, password_len, digest);
    struct game_user u;
    bson_error_t e;
    enum store_status s = STORE_NOT_FOUND;
    if (valid_game_name(name, strlen(name)))
        s = store_game_user_find_by_name(app->db, name, &u, &e);
    if (s == STORE_ERROR) {
        error_send_db(res, req, &e);
        return;
    }
    if (s == STORE_NOT_FOUND || !digest_ok) {
        password_verify_dummy(password, password_len);
        error_send(res, req, 400, INVALID_CREDENTIALS);
        return;
    }
    if (!password_verify(u.password_hash, digest, 64)) {
        error_send(res, req, 400, INVALID_CREDENTIALS);
        return;
    }
    issue_if_allowed(app, req, res, &u, INVALID_CREDENTIALS);
}

static void refresh_grant(struct app *app, struct request *req, struct response *res,
                          const bson_t *body)
{
    const char *token = fields_string(body, "refresh_token", 0, NULL);
    if (!token) {
        error_send(res, req, 400, INVALID_TOKEN);
        return;
    }
    char user_id[GUID_STRING_SIZE], stamp[TOKEN_STAMP_SIZE];
    bson_error_t e;
    enum store_status s = store_refresh_token_consume(app->db, token, clock_wall_ms(), user_id, stamp, &e);
    if (s == STORE_ERROR) {
        error_send_db(res, req, &e);
        return;
    }
    struct game_user u;
    if (s == STORE_OK)
        s = store_game_user_get(app->db, user_id, &u, &e);
    if (s == STORE_ERROR) {
        error_send_db(res, req, &e);
        return;
    }
    /* Unknown, used, expired, or issued before a rights/password change. */
    if (s != STORE_OK || strcmp(stamp, u.stamp) != 0) {
        error_send(res, req, 400, INVALID_TOKEN);
        return;
    }
    issue_if_allowed(app, req, res, &u, INVALID_TOKEN);
}

void api_oauth_token(struct app *app, struct request *req, struct response *res)
{
    if (!dispatch_db_ready(app, req, res))
        return;
    bson_t body = BSON_INITIALIZER;
    /* OAuth clients add client_id, scope...: ignored. */
    if (!body_read_fields(req, res, BODY_ACCEPT_FORM, token_rules,
                          sizeof token_rules / sizeof token_rules[0], FIELDS_ALLOW_UNKNOWN, &body))
        goto done;
    const char *grant = fields_string(&body, "grant_type", 0, NULL);
    if (grant && strcmp(grant, "password") == 0)
        password_grant(app, req, res, &body);
    else if (grant && strcmp(grant, "refresh_token") == 0)
        refresh_grant(app, req, res, &body);
    else
        error_send(res, req, 400, "Unsupported grant type.");
done:
    bson_destroy(&body);
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
