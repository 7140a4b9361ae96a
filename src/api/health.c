/*
 * health: GET /healthz, for load balancers and operators.
 *
 * 200 when the database answers a ping, 503 when it does not. The ping is
 * bounded by the client's server-selection timeout (2 s by default), so the
 * answer comes in bounded time whatever state the database is in.
 */
#include "warden/api.h"
#include "warden/app.h"
#include "warden/db.h"
#include "warden/log.h"

void api_healthz(struct app *app, struct request *req, struct response *res)
{
    (void)req;
    bson_error_t e;
    struct jsonw w;
    if (db_ping(app->db, &e)) {
        response_json(res, 200, &w);
        jsonw_object_begin(&w);
        jsonw_kv_string(&w, "status", "ok");
        jsonw_object_end(&w);
        return;
    }
    log_warn("healthz: database unreachable: %s", e.message);
    response_json(res, 503, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "status", "unavailable");
    jsonw_object_end(&w);
}
