/*
 * domain/game_tokens: the game's OAuth 2 grants, as Intersect's API serves
 * them: password (the client sends SHA-256 hex of the password) and
 * refresh_token (each refresh token works once).
 *
 * A user without the Api right, or with an active ban, is refused with the
 * grant's own message ("Invalid credentials" / "Invalid token"), the same
 * as a wrong password or an unknown token: the endpoint does not reveal
 * which accounts exist or are banned.
 */
#ifndef WARDEN_DOMAIN_GAME_TOKENS_H
#define WARDEN_DOMAIN_GAME_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/domain/domain.h"
#include "warden/guid.h"
#include "warden/token.h"

struct game_token_ttl {
    int64_t access_s, refresh_s;
};

struct game_tokens {
    char access[TOKEN_MAX];
    char refresh[GUID_STRING_SIZE];
    int64_t issued, expires;   /* of the access token, Unix seconds */
};

bool game_tokens_password_grant(const struct domain *d, const struct game_token_ttl *ttl,
                                const char *name, const char *password, size_t password_len,
                                struct game_tokens *out, struct domain_result *r);
bool game_tokens_refresh_grant(const struct domain *d, const struct game_token_ttl *ttl,
                               const char *refresh_token, struct game_tokens *out,
                               struct domain_result *r);

#endif
