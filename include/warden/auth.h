/*
 * auth: who is calling, for routes that need to know.
 *
 * The route table says what each route needs (router.h, enum auth_need);
 * dispatch_request calls auth_require before the handler runs, so authentication
 * and authorisation errors always come before validation errors, and no
 * handler can forget them.
 *
 * Chat (Authorization: <token>, an optional "Bot " prefix stripped), checked
 * in this order: no header → 401 "No token provided"; undecodable id → 401
 * "Invalid user ID type"; unknown id → 401 "User ID not found"; bad signature
 * → 403 "Invalid token"; staff routes: not staff → 403 "you are not staff".
 *
 * Game (Authorization: Bearer <access token>): missing, malformed, forged,
 * expired, or issued before a rights or password change → 401; a valid token
 * without the route's role → 403; both with Intersect's message
 * "Authorization has been denied for this request."
 *
 * Cost per request: one indexed lookup by _id and two HMAC-SHA256s; never a
 * password hash.
 */
#ifndef WARDEN_AUTH_H
#define WARDEN_AUTH_H

#include <stdbool.h>

#include "warden/request.h"
#include "warden/response.h"
#include "warden/store/game.h"
#include "warden/store/users.h"
#include "warden/token.h"

struct app;

enum auth_need {
    AUTH_NONE = 0,
    AUTH_CHAT_USER,        /* any chat user with a valid token */
    AUTH_CHAT_STAFF,       /* ... with the staff flag */
    AUTH_GAME_API,         /* a game user with the Api right */
    AUTH_GAME_USER_QUERY,  /* ... with the UserQuery role */
};

/** The authenticated caller (request->principal). */
struct principal {
    struct user chat;      /* for AUTH_CHAT_* */
    struct game_user game; /* for AUTH_GAME_* */
};

/**
 * Establish req->principal as need requires. Returns true, or false after
 * answering 401/403 (or 503/500 when the database fails) in res.
 */
bool auth_require(struct app *app, struct request *req, struct response *res, enum auth_need need);

/** A chat token for u, issued now. Returns false only if minting fails. */
bool auth_chat_token(const struct app *app, const struct user *u, char out[TOKEN_MAX]);

#define GAME_DENIED_MESSAGE "Authorization has been denied for this request."

#endif
