/*
 * token: minting and checking the two realms' bearer tokens. Pure functions:
 * no database, no HTTP (auth.c puts them to work).
 *
 * Chat (Litecord's format, a stronger key):
 *   B64(decimal user id) "." B64URL(unix time) "." B64URL(HMAC-SHA256(key, first two parts))
 *   key = HMAC-SHA256(server secret, label || the user's password hash)
 * so a password change or a deletion (which replaces the hash) revokes every
 * token, and a database dump alone (hashes without the secret) forges none.
 *
 * Game access tokens:
 *   B64URL("g1|<user guid>|<issued>|<expires>|<security stamp>") "." B64URL(HMAC)
 * keyed by the server secret; they expire, and the stamp ties them to the
 * user's rights and password (rotating the stamp revokes them).
 */
#ifndef WARDEN_TOKEN_H
#define WARDEN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/guid.h"

#define TOKEN_MAX 256
#define TOKEN_STAMP_SIZE 33 /* 32 hex digits and the NUL */

struct token_key {
    const unsigned char *secret;
    size_t secret_len;
};

/** Mint a chat token for user_id issued at unix time ts. Returns 0, or -1 if out is too small. */
int token_chat_mint(const struct token_key *key, int64_t user_id, int64_t ts,
                    const char *password_hash, char *out, size_t out_size);
/**
 * The user id a chat token claims (its first part), without checking the
 * signature. Returns false when that part does not decode to a positive
 * decimal id ("Invalid user ID type").
 */
bool token_chat_user_id(const char *token, int64_t *user_id);
/** Whether the token's signature is right for this password hash (constant-time compare). */
bool token_chat_verify(const struct token_key *key, const char *token, const char *password_hash);

struct game_claims {
    char user_id[GUID_STRING_SIZE];
    int64_t issued;   /* unix seconds */
    int64_t expires;  /* unix seconds */
    char stamp[TOKEN_STAMP_SIZE];
};

/** Mint a game access token. Returns 0, or -1 if out is too small. */
int token_game_mint(const struct token_key *key, const struct game_claims *claims, char *out,
                    size_t out_size);
/**
 * Check a game access token's signature and shape and that it has not
 * expired at unix time now. Returns true and the claims, or false.
 */
bool token_game_verify(const struct token_key *key, const char *token, int64_t now,
                       struct game_claims *claims);

/** A fresh random security stamp (32 hex digits). */
void token_new_stamp(char out[TOKEN_STAMP_SIZE]);

#endif
