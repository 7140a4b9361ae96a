/*
 * health: GET /livez and GET /healthz, for load balancers and operators.
 *
 * /livez answers 200 whenever a worker can serve at all and touches nothing
 * else: a liveness probe that restarts the service must not fire because the
 * database is away. /healthz is the readiness check:
 * 200 when the database answers a ping, 503 when it does not. A database that
 * is down (refused, unreachable) is known within the server-selection timeout
 * (2 s by default); one that accepted the connection but hangs, within the
 * socket timeout (10 s by default). Either way the answer comes in bounded
 * time.
 */
#include "warden/api.h"
#include "warden/store/db.h"
#include "warden/log.h"

void api_livez(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "status", "alive");
    jsonw_object_end(&w);
}

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
