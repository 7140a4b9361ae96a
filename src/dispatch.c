/*
 * dispatch: one request from its problems, through the route's contract, to
 * its handler (see include/warden/dispatch.h).
 *
 * The route table (router.h) says what each route needs; this file enforces
 * it in one order for every route: database, caller, precheck, body. So
 * authentication errors always come before validation errors, a 404 for a
 * path parameter before a 400 for a body, and no handler can forget any of
 * them. Each answer is then counted against its route (scoreboard.h).
 */
#include "warden/dispatch.h"

#include <stdio.h>
#include <string.h>

#include "warden/api.h"
#include "warden/arena.h"
#include "warden/auth.h"
#include "warden/body.h"
#include "warden/error.h"
#include "warden/scoreboard.h"
#include "warden/store/db.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/store.h"

/* Zero a body's bytes before it is freed: it may hold a password. */
static void wipe_document(void *ptr)
{
    bson_t *doc = ptr;
    mem_wipe((void *)bson_get_data(doc), doc->len);
}

/* The body as the route's rules accept it, in req->fields; false after answering 400. */
static bool read_body(struct request *req, struct response *res, const struct route_body *spec)
{
    bson_t *doc = arena_bson(req->arena);
    arena_defer(req->arena, wipe_document, doc); /* runs before the destroy: newest first */
    if (!body_read_fields(req, res, spec->read_flags, spec->rules, spec->n_rules,
                          spec->field_options, doc))
        return false;
    req->fields = doc;
    return true;
}

static void serve(struct app *app, const struct route *route, struct request *req,
                  struct response *res)
{
    bool needs_db = route->auth != AUTH_NONE || (route->flags & ROUTE_NEEDS_DB);
    if (needs_db && !dispatch_db_ready(app, req, res))
        return;
    if (!auth_require(app, req, res, route->auth))
        return;
    if (route->precheck && !route->precheck(app, req, res))
        return;
    if (!route->body || read_body(req, res, route->body))
        route->handler(app, req, res);
    if (route->finish)
        route->finish(app, req, res);
}

static void method_not_allowed(const struct request *req, struct response *res, const char *allow)
{
    response_header(res, "Allow", allow);
    char msg[128];
    if (req->realm == REALM_GAME)
        snprintf(msg, sizeof msg, "The requested resource does not support http method '%.20s'.",
                 req->method);
    else
        snprintf(msg, sizeof msg, "Method Not Allowed");
    error_send(res, req, 405, msg); /* resets the body only: the Allow header stays */
}

void dispatch_request(struct app *app, struct request *req, struct response *res)
{
    uint64_t started = clock_monotonic_us();
    size_t counted_as = api_routes_count; /* unrouted, until a route is found */
    switch (req->problem) {
    case REQUEST_OK: {
        const struct route *route = NULL;
        char allow[64];
        switch (router_match(api_routes, api_routes_count, req, &route, allow, sizeof allow)) {
        case ROUTER_FOUND:
            counted_as = (size_t)(route - api_routes);
            serve(app, route, req, res);
            if (res->status == 0)
                error_send_internal(res, req, "handler returned without answering");
            break;
        case ROUTER_METHOD_NOT_ALLOWED:
            method_not_allowed(req, res, allow);
            break;
        case ROUTER_NOT_FOUND:
            error_send(res, req, 404, "Not found");
            break;
        }
        break;
    }
    case REQUEST_BAD_URI:
        error_send(res, req, 400, "Malformed request URI");
        break;
    case REQUEST_TOO_MANY_PARAMS:
        error_send(res, req, 400, "Too many query parameters");
        break;
    case REQUEST_BODY_TOO_LARGE:
        error_send(res, req, 413, "Request body too large");
        break;
    }
    if (app->scoreboard)
        scoreboard_count_route(app->scoreboard, app->slot_index, counted_as, res->status,
                               clock_monotonic_us() - started, res->db_failed);
}

bool dispatch_db_ready(struct app *app, struct request *req, struct response *res)
{
    bson_error_t e;
    if (store_schema_ready(app->db, &e))
        return true;
    error_send_db(res, req, &e);
    return false;
}
