/*
 * router: the route table's entries, and matching a request against them.
 *
 * A route is the contract of the requests it serves, as kore's routes carry
 * their validators: what caller it needs, whether it needs the database, a
 * precheck of path parameters that must be answered before the body (a 404
 * for an id that cannot exist comes before a 400 for a bad body), and the
 * rules of its body, counted by the compiler (ROUTE_BODY). The dispatcher
 * (dispatch.h) enforces all of it in that order before the handler runs, so
 * a handler starts from an authenticated caller and a validated body.
 *
 * Patterns are literal segments and "{name}" captures, e.g.
 * "/api/v6/admin/users/{user_id}". A capture matches one non-empty segment.
 * One trailing slash is ignored, HEAD is served by GET routes, and the chat
 * API's versions v7, v8 and v9 are aliases of v6. The table itself is in
 * src/api/routes.c.
 */
#ifndef WARDEN_ROUTER_H
#define WARDEN_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "warden/request.h"
#include "warden/response.h"

struct app;
struct field_rule;

enum auth_need {
    AUTH_NONE = 0,
    AUTH_CHAT_USER,        /* any chat user with a valid token */
    AUTH_CHAT_STAFF,       /* ... with the staff flag */
    AUTH_GAME_API,         /* a game user with the Api right */
    AUTH_GAME_USER_QUERY,  /* ... with the UserQuery role */
};

typedef void (*handler_fn)(struct app *app, struct request *req, struct response *res);
/** Runs before the body is read; answers in res and returns false to stop. */
typedef bool (*precheck_fn)(struct app *app, struct request *req, struct response *res);

/* What a route's body must be (body.h and fields.h say what the flags mean). */
struct route_body {
    const struct field_rule *rules;
    size_t n_rules;
    unsigned read_flags;     /* BODY_ACCEPT_FORM, BODY_OPTIONAL */
    unsigned field_options;  /* FIELDS_ALLOW_UNKNOWN, FIELDS_CASE_INSENSITIVE */
};

/** A route_body initialiser whose rule count the compiler takes from the array. */
#define ROUTE_BODY(rules, read_flags, field_options) \
    {(rules), sizeof(rules) / sizeof((rules)[0]), (read_flags), (field_options)}

#define ROUTE_NEEDS_DB 1u  /* routes with an auth need always need it */

struct route {
    const char *method;
    const char *pattern;
    enum auth_need auth;
    unsigned flags;                 /* ROUTE_* */
    precheck_fn precheck;           /* NULL: none */
    const struct route_body *body;  /* NULL: the route reads no body */
    handler_fn handler;
    handler_fn finish;              /* NULL, or runs on the answer after the body stage and the handler */
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
