/*
 * api/invites: instance invites and registration with one.
 *
 *   GET    /admin/instance/invites          all invites, oldest first
 *   PUT    /admin/instance/invites          {max_uses} → invite
 *   DELETE /admin/instance/invites/{code}   204, or 404 code 10006
 *   POST   /auth/register_inv               {username, email, password, invcode}
 *                                           (JSON or form) → {token, user_id}
 *
 * register_inv takes a use slot before creating the account and gives it
 * back if the account is not created (store/invites.h explains the slots).
 * A form posted by a browser without JavaScript (Accept: text/html) gets the
 * same answer as a small HTML page instead of JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/body.h"
#include "warden/errors.h"
#include "warden/fields.h"
#include "warden/json.h"
#include "warden/log.h"
#include "warden/store/invites.h"
#include "warden/store/users.h"
#include "warden/validators.h"

/* Large enough for any community; one slot document per use. */
#define MAX_USES_LIMIT 1000000

static void view_invite(struct jsonw *w, const struct invite *inv)
{
    jsonw_object_begin(w);
    jsonw_kv_string(w, "code", inv->code);
    jsonw_key(w, "created_at");
    jsonw_date(w, inv->created_at);
    jsonw_kv_int(w, "uses", inv->uses);
    jsonw_kv_int(w, "max_uses", inv->max_uses);
    jsonw_object_end(w);
}

void api_admin_invites_list(struct app *app, struct request *req, struct response *res)
{
    struct invite *invites;
    size_t n;
    bson_error_t e;
    if (store_invite_list(app->db, &invites, &n, &e) != STORE_OK) {
        free(invites);
        error_send_db(res, req, &e);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        view_invite(&w, &invites[i]);
    jsonw_array_end(&w);
    free(invites);
}

static const struct field_rule create_rules[] = {
    {"max_uses", FIELD_INTEGER, FIELD_REQUIRED | FIELD_BOUNDED, -1, MAX_USES_LIMIT, NULL, NULL},
};

void api_admin_invites_create(struct app *app, struct request *req, struct response *res)
{
    bson_t body = BSON_INITIALIZER;
    if (!body_read_fields(req, res, 0, create_rules, 1, 0, &body))
        goto done;
    int64_t max_uses = -1;
    fields_int(&body, "max_uses", 0, &max_uses);
    if (max_uses == 0) {
        struct field_error fe = {"max_uses", "must be -1 (unlimited) or at least 1"};
        error_send_fields(res, req, &fe, 1);
        goto done;
    }
    struct invite inv;
    bson_error_t e;
    if (store_invite_create(app->db, max_uses, &inv, &e) != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_INT64(&after, "max_uses", max_uses);
    api_audit(app, req, "invite.create", "invite", inv.code, NULL, &after);
    bson_destroy(&after);
    struct jsonw w;
    response_json(res, 200, &w);
    view_invite(&w, &inv);
done:
    bson_destroy(&body);
}

void api_admin_invites_delete(struct app *app, struct request *req, struct response *res)
{
    const char *code = request_param(req, "code");
    bson_error_t e;
    struct invite inv;
    enum store_status s = invite_code_valid(code) ? store_invite_get(app->db, code, &inv, &e)
                                                  : STORE_NOT_FOUND;
    if (s == STORE_OK)
        s = store_invite_delete(app->db, code, &e);
    if (s == STORE_NOT_FOUND) {
        error_send_code(res, req, 404, CODE_UNKNOWN_INVITE, "Unknown invite");
        return;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        return;
    }
    bson_t before = BSON_INITIALIZER;
    BSON_APPEND_INT64(&before, "max_uses", inv.max_uses);
    BSON_APPEND_INT64(&before, "uses", inv.uses);
    api_audit(app, req, "invite.delete", "invite", code, &before, NULL);
    bson_destroy(&before);
    response_no_content(res);
}

static const struct field_rule register_rules[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_chat_username, "must be of username type"},
    {"email", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_email, "must be of email type"},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, CHAT_PASSWORD_MIN_REGISTER,
     CHAT_PASSWORD_MAX, NULL, NULL},
    {"invcode", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, 64, NULL, NULL},
};

static void register_with_invite(struct app *app, struct request *req, struct response *res)
{
    bson_t body = BSON_INITIALIZER;
    if (!body_read_fields(req, res, BODY_ACCEPT_FORM, register_rules, 4, 0, &body))
        goto done;
    const char *code = fields_string(&body, "invcode", 0, NULL);
    struct invite inv;
    bson_error_t e;
    enum store_status s = invite_code_valid(code) ? store_invite_get(app->db, code, &inv, &e)
                                                  : STORE_NOT_FOUND;
    if (s == STORE_NOT_FOUND) {
        error_send(res, req, 400, "unknown instance invite");
        goto done;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    int64_t slot;
    s = store_invite_consume(app->db, &inv, &slot, &e);
    if (s == STORE_NOT_FOUND) {
        error_send(res, req, 400, "invite expired");
        goto done;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    struct user u;
    if (!api_create_account(app, req, res, &body, 0, &u)) {
        if (store_invite_release(app->db, inv.code, slot, &e) != STORE_OK)
            log_error("invite %s use %lld not given back (rid=%s): %s", inv.code, (long long)slot,
                      req->request_id, e.message);
        goto done;
    }
    if (store_invite_slot_owner(app->db, inv.code, slot, u.id, &e) == STORE_ERROR)
        log_warn("invite %s use %lld: owner not recorded (rid=%s)", inv.code, (long long)slot,
                 req->request_id);
    char token[TOKEN_MAX];
    if (!auth_chat_token(app, &u, token)) {
        error_send_internal(res, req, "token minting failed");
        goto done;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "token", token);
    jsonw_key(&w, "user_id");
    jsonw_id(&w, u.id);
    jsonw_object_end(&w);
done:
    bson_destroy(&body);
}

static void html_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_putc(b, *s); break;
        }
    }
}

/* Re-render the JSON answer in res as a page for a browser without JavaScript;
 * the link back to the form keeps the invite code the user posted. */
static void answer_as_html(const struct request *req, struct response *res)
{
    struct query_param fields[8];
    int n_fields = request_parse_urlencoded(req->arena, req->body, req->body_len, fields, 8);
    const char *code = NULL;
    for (int i = 0; i < n_fields; i++)
        if (strcmp(fields[i].name, "invcode") == 0 && invite_code_valid(fields[i].value))
            code = fields[i].value;
    bson_t doc = BSON_INITIALIZER;
    struct json_error err;
    bool parsed = json_parse_object(res->body.data ? res->body.data : "", res->body.len, &doc, &err) == 0;
    struct buf page = BUF_INIT;
    buf_puts(&page,
             "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<title>Registration</title><style>body{font-family:system-ui,sans-serif;"
             "max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
             "code{word-break:break-all;background:#f3f3f3;padding:.2rem}</style></head><body>");
    char text[512];
    if (res->status == 200 && parsed && doc_string(&doc, "token", text, sizeof text)) {
        buf_puts(&page, "<h1>Account created</h1><p>Your token (keep it secret):</p><p><code id=\"token\">");
        html_escaped(&page, text);
        buf_puts(&page, "</code></p><p>User id: <code id=\"user-id\">");
        doc_string(&doc, "user_id", text, sizeof text);
        html_escaped(&page, text);
        buf_puts(&page, "</code></p>");
    } else {
        buf_puts(&page, "<h1>Registration failed</h1><p role=\"alert\" id=\"error\">");
        html_escaped(&page, parsed && doc_string(&doc, "message", text, sizeof text) ? text : "Unexpected error");
        buf_puts(&page, "</p><ul>");
        bson_iter_t it, child;
        if (parsed && bson_iter_init(&it, &doc)) {
            while (bson_iter_next(&it)) {
                if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &child))
                    continue;
                while (bson_iter_next(&child)) {
                    if (!BSON_ITER_HOLDS_UTF8(&child))
                        continue;
                    buf_puts(&page, "<li>");
                    html_escaped(&page, bson_iter_key(&it));
                    buf_puts(&page, ": ");
                    html_escaped(&page, bson_iter_utf8(&child, NULL));
                    buf_puts(&page, "</li>");
                }
            }
        }
        buf_puts(&page, "</ul>");
    }
    buf_puts(&page, "<p><a href=\"/invite_register.html");
    if (code) /* six letters and digits: safe in a URL and in HTML */
        buf_printf(&page, "?invite=%s", code);
    buf_puts(&page, "\">Back to the form</a></p></body></html>\n");
    bson_destroy(&doc);
    int status = res->status;
    response_text(res, status, "text/html; charset=utf-8");
    buf_append(&res->body, page.data, page.len);
    buf_free(&page);
    response_header(res, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
}

void api_auth_register_invite(struct app *app, struct request *req, struct response *res)
{
    if (!dispatch_db_ready(app, req, res))
        return;
    register_with_invite(app, req, res);
    bool browser_form = body_content_type_is(req->content_type, "application/x-www-form-urlencoded") &&
                        req->accept && strstr(req->accept, "text/html");
    if (browser_form)
        answer_as_html(req, res);
}
