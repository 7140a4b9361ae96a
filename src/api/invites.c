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
#include "warden/body.h"
#include "warden/domain/invites.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/json.h"
#include "warden/valid.h"
#include "warden/doc.h"

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
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct invite *invites;
    size_t n;
    if (!invites_list(&d, &invites, &n, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        view_invite(&w, &invites[i]);
    jsonw_array_end(&w);
}

/* 0 is in the range but not allowed: the domain refuses it (invites.h). */
_Static_assert(INVITE_MAX_USES_LIMIT == 1000000, "max_uses' message states the limit");
static const struct field_rule create_rules[] = {
    {"max_uses", FIELD_INTEGER, FIELD_REQUIRED | FIELD_BOUNDED, -1, INVITE_MAX_USES_LIMIT, NULL,
     "must be -1 (unlimited) or an integer in 1..1000000"},
};
const struct route_body api_invite_create_body = ROUTE_BODY(create_rules, 0, 0);

void api_admin_invites_create(struct app *app, struct request *req, struct response *res)
{
    int64_t max_uses = -1;
    fields_int(req->fields, "max_uses", 0, &max_uses);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct invite inv;
    if (!invites_create(&d, max_uses, &inv, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    view_invite(&w, &inv);
}

void api_admin_invites_delete(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    if (invites_delete(&d, request_param(req, "code"), &r))
        response_no_content(res);
    else
        api_fail(res, req, &r);
}

static const struct field_rule register_rules[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_chat_username, "must be of username type"},
    {"email", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_email, "must be of email type"},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, CHAT_PASSWORD_MIN_REGISTER,
     CHAT_PASSWORD_MAX, NULL, NULL},
    {"invcode", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, 64, NULL, NULL},
};
const struct route_body api_register_invite_body = ROUTE_BODY(register_rules, BODY_ACCEPT_FORM, 0);

void api_auth_register_invite(struct app *app, struct request *req, struct response *res)
{
    struct account_new in = api_account_fields(req);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct user u;
    if (!invites_register(&d, fields_string(req->fields, "invcode", 0, NULL), &in, &u, &r)) {
        api_fail(res, req, &r);
        return;
    }
    api_send_chat_token(&d, req, res, &u, true);
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
    struct query_param fields[BODY_MAX_MEMBERS];
    int n_fields = request_parse_urlencoded(req->arena, req->body, req->body_len, fields,
                                            BODY_MAX_MEMBERS);
    const char *code = NULL;
    for (int i = 0; i < n_fields; i++)
        if (strcmp(fields[i].name, "invcode") == 0 && store_invite_code_valid(fields[i].value))
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

void api_register_invite_page(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    bool browser_form = body_content_type_is(req->content_type, "application/x-www-form-urlencoded") &&
                        req->accept && strstr(req->accept, "text/html");
    if (browser_form)
        answer_as_html(req, res);
}
