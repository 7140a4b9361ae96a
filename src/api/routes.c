/*
 * routes: every route of the service, in one table.
 *
 * Chat routes are written for /api/v6; the router serves v7, v8 and v9 from
 * the same entries. The game's routes live under /api/v1 and /api/oauth.
 */
#include "warden/api.h"

const struct route api_routes[] = {
    /* operations */
    {"GET", "/healthz", AUTH_NONE, api_healthz},
    {"GET", "/status", AUTH_NONE, api_status},

    /* chat: accounts (src/api/auth.c) */
    {"POST", "/api/v6/auth/login", AUTH_NONE, api_auth_login},
    {"POST", "/api/v6/auth/register", AUTH_NONE, api_auth_register},
    {"GET", "/api/v6/users/@me", AUTH_CHAT_USER, api_users_me},

    /* game: tokens (src/api/oauth.c) */
    {"POST", "/api/oauth/token", AUTH_NONE, api_oauth_token},
    {"GET", "/api/v1/info/authorized", AUTH_GAME_API, api_game_info_authorized},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
