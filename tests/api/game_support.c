/*
 * game_support: shared set-up of the game suites (see game_support.h).
 */
#include "game_support.h"

#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/stack.h"
#include "warden/json.h"
#include "warden/token.h"

void gs_moderator(struct fx_game_user *mod)
{
    fx_game_user(mod, GS_MODERATOR_RIGHTS, true);
}

void gs_guid(char out[40])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void gs_target(struct gs_target *t, const char *rights, int x, int y, const char *ip)
{
    memset(t, 0, sizeof *t);
    fx_game_user(&t->user, rights, false);
    gs_guid(t->map);
    t->x = x;
    t->y = y;
    fx_game_player(t->user.name, t->map, x, y, ip, t->player_id, t->player);
}

void gs_action(const struct fx_game_user *caller, const char *route, const char *lookup,
               const char *action, const char *json, struct http_response *out)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/%s/%s/admin/%s", route, lookup, action);
    if (json)
        fx_request("POST", path, caller->auth, json, out);
    else
        fx_request_raw("POST", path, caller->auth, NULL, NULL, 0, out);
}

void gs_expect_message(const struct http_response *r, long status, const char *message)
{
    cr_expect_eq(r->status, status, "status %ld, expected %ld: %s", r->status, status, r->body);
    const char *type = http_header(r, "Content-Type");
    cr_expect(type && strncmp(type, "application/json", 16) == 0, "Content-Type %s",
              type ? type : "(none)");
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    cr_expect_eq(fx_count(&doc, ""), 1, "more than Message: %s", r->body);
    cr_expect_str_eq(fx_str(&doc, "Message"), message, "body %s", r->body);
    bson_destroy(&doc);
}

int64_t gs_count_of_user(const char *collection, const char *user_id)
{
    char filter[128];
    snprintf(filter, sizeof filter, "{\"user_id\": \"%s\"}", user_id);
    return fx_db_count(collection, filter);
}

int64_t gs_db_update(const char *collection, const char *filter_json, const char *update_json)
{
    bson_error_t e;
    bson_t *filter = bson_new_from_json((const uint8_t *)filter_json, -1, &e);
    cr_assert(filter, "bad filter %s: %s", filter_json, e.message);
    bson_t *update = bson_new_from_json((const uint8_t *)update_json, -1, &e);
    cr_assert(update, "bad update %s: %s", update_json, e.message);
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(NULL, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, collection);
    bson_t reply;
    bool ok = mongoc_collection_update_many(c, filter, update, NULL, &reply, &e);
    cr_assert(ok, "update of %s failed: %s", collection, e.message);
    bson_iter_t it;
    int64_t matched = bson_iter_init_find(&it, &reply, "matchedCount") ? bson_iter_as_int64(&it) : -1;
    bson_destroy(&reply);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    bson_destroy(update);
    bson_destroy(filter);
    return matched;
}

int64_t gs_date(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_DATE_TIME(&it),
              "%s is not a date", key);
    return bson_iter_date_time(&it);
}

void gs_forge_token(const struct fx_game_user *user, int64_t issued, int64_t expires,
                    char header[560])
{
    const char *path = getenv("WARDEN_SECRET_FILE");
    cr_assert(path && *path, "WARDEN_SECRET_FILE is not set");
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot read %s", path);
    unsigned char secret[512];
    size_t n = fread(secret, 1, sizeof secret, f);
    fclose(f);
    while (n && (secret[n - 1] == '\n' || secret[n - 1] == '\r')) /* as the pool reads it */
        n--;
    char filter[96];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", user->id);
    bson_t doc = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("game_users", filter, &doc), "no game user %s", user->id);
    struct game_claims claims;
    memset(&claims, 0, sizeof claims);
    cr_assert(strlen(user->id) < sizeof claims.user_id);
    memcpy(claims.user_id, user->id, strlen(user->id) + 1);
    snprintf(claims.stamp, sizeof claims.stamp, "%s", fx_str(&doc, "security_stamp"));
    bson_destroy(&doc);
    claims.issued = issued;
    claims.expires = expires;
    struct token_key key = {secret, n};
    char token[TOKEN_MAX];
    cr_assert_eq(token_game_mint(&key, &claims, token, sizeof token), 0);
    sodium_memzero(secret, sizeof secret);
    snprintf(header, 560, "Authorization: Bearer %s", token);
}
