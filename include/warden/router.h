/*
 * router: method + path pattern to handler.
 *
 * Patterns are literal segments and "{name}" captures, e.g.
 * "/api/v6/admin/users/{user_id}". A capture matches one non-empty segment.
 * One trailing slash is ignored, HEAD is served by GET routes, and the chat
 * API's versions v7, v8 and v9 are aliases of v6. The route table itself is in
 * src/api/routes.c.
 */
#ifndef WARDEN_ROUTER_H
#define WARDEN_ROUTER_H

#include <stddef.h>

#include "warden/auth.h"
#include "warden/request.h"
#include "warden/response.h"

struct app;

typedef void (*handler_fn)(struct app *app, struct request *req, struct response *res);

struct route {
    const char *method;
    const char *pattern;
    enum auth_need auth;   /* checked before the handler runs */
    handler_fn handler;
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/**
 * Find the route for req's method and path. ROUTER_FOUND: *found is set and
 * the captures are in req->params. ROUTER_METHOD_NOT_ALLOWED: allow holds the
 * methods the path does accept ("GET, PUT").
 */
enum router_result router_match(const struct route *routes, size_t n_routes, struct request *req,
                                const struct route **found, char *allow, size_t allow_size);

#endif
