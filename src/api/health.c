/*
 * health: GET /livez and GET /healthz, for load balancers and operators.
 *
 * /livez answers 200 whenever a worker can serve at all and touches nothing
 * else: a liveness probe that restarts the service must not fire because the
 * database is away. /healthz is the readiness check: 200 when the database
 * answers a ping and the schema is in place (data routes serve), 503
 * {"status": "unavailable"} when it does not answer and {"status":
 * "schema-pending"} while the schema is not in place yet. A database that
 * is down (refused, unreachable) is known within the server-selection timeout
 * (2 s by default); one that accepted the connection but hangs, within the
 * socket timeout (10 s by default). Either way the answer comes in bounded
 * time.
 */
#include <string.h>

#include "warden/api.h"
#include "warden/store.h"
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
    const char *status = "ok";
    if (!db_ping(app->db, &e)) {
        log_warn("healthz: database unreachable: %s", e.message);
        status = "unavailable";
    } else if (!store_schema_ready(app->db, &e)) {
        status = store_error_kind(&e) == STORE_SCHEMA_MISSING ? "schema-pending" : "unavailable";
        log_warn("healthz: %s: %s", status, e.message);
    }
    response_json(res, strcmp(status, "ok") == 0 ? 200 : 503, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "status", status);
    jsonw_object_end(&w);
}
