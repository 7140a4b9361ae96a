/*
 * dispatch: one request from problems, through the router, to a handler (see
 * include/warden/dispatch.h).
 */
#include "warden/dispatch.h"

#include <stdio.h>

#include "warden/api.h"
#include "warden/auth.h"
#include "warden/store/db.h"
#include "warden/errors.h"
#include "warden/log.h"
#include "warden/router.h"

void dispatch_request(struct app *app, struct request *req, struct response *res)
{
    switch (req->problem) {
    case REQUEST_OK:
        break;
    case REQUEST_BAD_URI:
        error_send(res, req, 400, "Malformed request URI");
        return;
    case REQUEST_TOO_MANY_PARAMS:
        error_send(res, req, 400, "Too many query parameters");
        return;
    case REQUEST_BODY_TOO_LARGE:
        error_send(res, req, 413, "Request body too large");
        return;
    }

    const struct route *route = NULL;
    char allow[64];
    switch (router_match(api_routes, api_routes_count, req, &route, allow, sizeof allow)) {
    case ROUTER_FOUND:
        if (route->auth != AUTH_NONE && (!dispatch_db_ready(app, req, res) ||
                                         !auth_require(app, req, res, route->auth)))
            return;
        route->handler(app, req, res);
        if (res->status == 0)
            error_send_internal(res, req, "handler returned without answering");
        return;
    case ROUTER_METHOD_NOT_ALLOWED: {
        response_header(res, "Allow", allow);
        char msg[128];
        if (req->realm == REALM_GAME)
            snprintf(msg, sizeof msg,
                     "The requested resource does not support http method '%.20s'.", req->method);
        else
            snprintf(msg, sizeof msg, "Method Not Allowed");
        error_send(res, req, 405, msg);
        /* error_send resets the body only; keep the Allow header. */
        return;
    }
    case ROUTER_NOT_FOUND:
        error_send(res, req, 404, "Not found");
        return;
    }
}

bool dispatch_db_ready(struct app *app, struct request *req, struct response *res)
{
    bson_error_t e;
    if (db_schema_ready(app->db, &e))
        return true;
    error_send_db(res, req, &e);
    return false;
}
