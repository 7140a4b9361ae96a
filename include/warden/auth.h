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
 * expired, issued before a rights or password change (losing the Api right
 * is one), or held by a banned account (a ban ends its tokens at once) → 401; a valid token without the route's
 * role → 403; both with Intersect's message "Authorization has been denied
 * for this request."
 *
 * Cost per request: one indexed lookup by _id (chat) or two (game: the user,
 * its ban record) and two HMAC-SHA256s; never a password hash.
 */
#ifndef WARDEN_AUTH_H
#define WARDEN_AUTH_H

#include <stdbool.h>

#include "warden/api.h"
#include "warden/request.h"
#include "warden/response.h"
#include "warden/router.h"

struct app;

/**
 * Establish req->principal as need requires. Returns true, or false after
 * answering 401/403 (or 503/500 when the database fails) in res.
 */
bool auth_require(struct app *app, struct request *req, struct response *res, enum auth_need need);

#define GAME_DENIED_MESSAGE "Authorization has been denied for this request."

#endif
