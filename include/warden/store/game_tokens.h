/*
 * store/game_tokens: the game's OAuth refresh tokens (collection
 * game_refresh_tokens). Only a SHA-256 of each token is stored, so a
 * database dump holds no usable token.
 *
 * {_id: sha256 hex of the token, user_id, stamp, issued_at, expires_at}
 *
 * A refresh token is used once: consuming it deletes it, and the delete's
 * count decides the winner when two requests present the same token.
 * Requests only ever read and delete by _id. A token issued before its
 * user's security stamp changed is refused by the refresh grant (the stamp
 * is compared), so store_refresh_tokens_revoke is tidying that wardenctl
 * does, never a request: it filters on user_id (index user_id).
 */
#ifndef WARDEN_STORE_GAME_TOKENS_H
#define WARDEN_STORE_GAME_TOKENS_H

#include <stdint.h>

#include "warden/guid.h"
#include "warden/store.h"
#include "warden/token.h"

/** Store a new refresh token (a random GUID, written to token_out). */
enum store_status store_refresh_token_create(struct db *db, const char *user_id, const char *stamp,
                                             int64_t issued_ms, int64_t expires_ms,
                                             char token_out[GUID_STRING_SIZE], bson_error_t *e);
/**
 * Consume a refresh token valid at now_ms: STORE_OK with its user and stamp,
 * or STORE_NOT_FOUND (unknown, expired or already used).
 */
enum store_status store_refresh_token_consume(struct db *db, const char *token, int64_t now_ms,
                                              char user_id[GUID_STRING_SIZE],
                                              char stamp[TOKEN_STAMP_SIZE], bson_error_t *e);
/**
 * Delete every refresh token of a user (wardenctl, after a rights or
 * password change). Not index-served on FerretDB, and not a request path.
 */
enum store_status store_refresh_tokens_revoke(struct db *db, const char *user_id, bson_error_t *e);

#endif
