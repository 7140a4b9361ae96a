/*
 * error: error bodies per realm, database errors to HTTP (see
 * include/warden/error.h).
 */
#include "warden/error.h"

#include <string.h>

#include "warden/log.h"
#include "warden/store.h"

static void chat_head(struct jsonw *w, int status, const char *message)
{
    jsonw_object_begin(w);
    jsonw_kv_bool(w, "error", true);
    jsonw_kv_int(w, "status", status);
    jsonw_kv_string(w, "message", message);
}

static void game_body(struct jsonw *w, const char *message)
{
    jsonw_object_begin(w);
    jsonw_kv_string(w, "Message", message);
    jsonw_object_end(w);
}

void error_send_code(struct response *res, const struct request *req, int status, int code,
                     const char *message)
{
    struct jsonw w;
    response_json(res, status, &w);
    if (req->realm == REALM_GAME) {
        game_body(&w, message);
        return;
    }
    chat_head(&w, status, message);
    if (code)
        jsonw_kv_int(&w, "code", code);
    if (status >= 500)
        jsonw_kv_string(&w, "request_id", req->request_id ? req->request_id : "");
    jsonw_object_end(&w);
}

void error_send(struct response *res, const struct request *req, int status, const char *message)
{
    error_send_code(res, req, status, 0, message);
}

void error_send_fields(struct response *res, const struct request *req,
                       const struct field_error *errors, size_t n)
{
    struct jsonw w;
    response_json(res, 400, &w);
    if (req->realm == REALM_GAME) {
        struct buf msg = BUF_INIT;
        if (n)
            buf_printf(&msg, "%s: %s", errors[0].field, errors[0].message);
        else
            buf_puts(&msg, "Invalid request body.");
        game_body(&w, buf_cstr(&msg));
        buf_free(&msg);
        return;
    }
    chat_head(&w, 400, "bad payload");
    /* One key per field, each listing its messages in the order found. */
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(errors[k].field, errors[i].field) == 0)
                seen = true;
        if (seen)
            continue;
        jsonw_key(&w, errors[i].field);
        jsonw_array_begin(&w);
        for (size_t k = i; k < n; k++)
            if (strcmp(errors[k].field, errors[i].field) == 0)
                jsonw_string(&w, errors[k].message);
        jsonw_array_end(&w);
    }
    jsonw_object_end(&w);
}

void error_send_db(struct response *res, const struct request *req, const bson_error_t *e)
{
    res->db_failed = true;
    switch (store_error_kind(e)) {
    case STORE_UNAVAILABLE:
        log_warn("database unavailable (rid=%s): %s", req->request_id, e->message);
        error_send(res, req, 503, "Database unavailable");
        return;
    case STORE_SCHEMA_MISSING:
        log_warn("database schema not in place yet (rid=%s): %s", req->request_id, e->message);
        error_send(res, req, 503, "Database schema not in place yet");
        return;
    default:
        break;
    }
    log_error("database error (rid=%s) domain=%u code=%u: %s", req->request_id, e->domain,
              e->code, e->message);
    error_send(res, req, 500, "Internal server error");
}

void error_send_internal(struct response *res, const struct request *req, const char *what)
{
    log_error("internal error (rid=%s): %s", req->request_id, what);
    error_send(res, req, 500, "Internal server error");
}
