/*
 * routes: every route of the service, in one table.
 *
 * Chat routes are written for /api/v6; the router serves v7, v8 and v9 from
 * the same entries. The game's routes live under /api/v1 and /api/oauth.
 */
#include "warden/api.h"

const struct route api_routes[] = {
    /* operations */
    {"GET", "/healthz", api_healthz},
    {"GET", "/status", api_status},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
