/*
 * domain/game_tokens: OAuth grants of the game (see include/warden/domain/game_tokens.h).
 */
#include "warden/domain/game_tokens.h"

#include <string.h>

#include "warden/password.h"
#include "warden/store/game.h"
#include "warden/store/game_tokens.h"
#include "warden/store/sanctions.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/valid.h"

#define INVALID_CREDENTIALS "Invalid credentials"
#define INVALID_TOKEN "Invalid token"

/* Whether u may hold tokens now: the Api right and no active ban. */
static enum store_status may_hold_tokens(const struct domain *d, const struct game_user *u,
                                         bool *allowed, bson_error_t *e)
{
    *allowed = false;
    if (!(u->rights & RIGHT_API))
        return STORE_OK;
    bool banned;
    enum store_status s = store_sanction_active(d->db, u->id, SANCTION_BAN, clock_wall_ms(), &banned, e);
    if (s == STORE_OK)
        *allowed = !banned;
    return s;
}

static bool issue(const struct domain *d, const struct game_token_ttl *ttl,
                  const struct game_user *u, const char *refusal, struct game_tokens *out,
                  struct domain_result *r)
{
    bool allowed;
    bson_error_t e;
    if (may_hold_tokens(d, u, &allowed, &e) != STORE_OK)
        return domain_store_error(r, &e);
    if (!allowed)
        return domain_fail(r, DOMAIN_REFUSED, refusal);
    int64_t now = clock_wall_ms() / 1000;
    struct game_claims claims;
    memset(&claims, 0, sizeof claims);
    memcpy(claims.user_id, u->id, sizeof claims.user_id);
    memcpy(claims.stamp, u->stamp, sizeof claims.stamp);
    claims.issued = now;
    claims.expires = now + ttl->access_s;
    if (!d->key || token_game_mint(d->key, &claims, out->access, sizeof out->access) < 0) {
        return domain_internal(r, "game token minting failed");
    }
    if (store_refresh_token_create(d->db, u->id, u->stamp, now * 1000, (now + ttl->refresh_s) * 1000,
                                   out->refresh, &e) != STORE_OK)
        return domain_store_error(r, &e);
    out->issued = claims.issued;
    out->expires = claims.expires;
    return domain_ok(r);
}

bool game_tokens_password_grant(const struct domain *d, const struct game_token_ttl *ttl,
                                const char *name, const char *password, size_t password_len,
                                struct game_tokens *out, struct domain_result *r)
{
    if (!name || !password)
        return domain_fail(r, DOMAIN_REFUSED, INVALID_CREDENTIALS);
    char digest[65];
    bool digest_ok = password_normalise_sha256_hex(password, password_len, digest);
    struct game_user u;
    bson_error_t e;
    enum store_status s = STORE_NOT_FOUND;
    if (valid_game_name(name, strlen(name)))
        s = store_game_user_find_by_name(d->db, name, &u, &e);
    if (s == STORE_ERROR)
        return domain_store_error(r, &e);
    if (s == STORE_NOT_FOUND || !digest_ok) {
        password_verify_dummy(password, password_len);
        return domain_fail(r, DOMAIN_REFUSED, INVALID_CREDENTIALS);
    }
    bool verified = password_verify(u.password_hash, digest, 64);
    mem_wipe(digest, sizeof digest);
    if (!verified)
        return domain_fail(r, DOMAIN_REFUSED, INVALID_CREDENTIALS);
    return issue(d, ttl, &u, INVALID_CREDENTIALS, out, r);
}

bool game_tokens_refresh_grant(const struct domain *d, const struct game_token_ttl *ttl,
                               const char *refresh_token, struct game_tokens *out,
                               struct domain_result *r)
{
    if (!refresh_token)
        return domain_fail(r, DOMAIN_REFUSED, INVALID_TOKEN);
    char user_id[GUID_STRING_SIZE], stamp[TOKEN_STAMP_SIZE];
    bson_error_t e;
    enum store_status s = store_refresh_token_consume(d->db, refresh_token, clock_wall_ms(), user_id,
                                                      stamp, &e);
    struct game_user u;
    if (s == STORE_OK)
        s = store_game_user_get(d->db, user_id, &u, &e);
    if (s == STORE_ERROR)
        return domain_store_error(r, &e);
    /* Unknown, used, expired, or issued before a rights/password change. */
    if (s != STORE_OK || strcmp(stamp, u.stamp) != 0)
        return domain_fail(r, DOMAIN_REFUSED, INVALID_TOKEN);
    return issue(d, ttl, &u, INVALID_TOKEN, out, r);
}
