/*
 * api/admin_users: /api/v6/admin/users (staff only; the route table says so).
 *
 *   PUT|POST /admin/users           create a user → public user
 *   GET      /admin/users?...       search by username substring and/or discriminator
 *   DELETE   /admin/users/{id}      soft delete → {old, new}, sessions closed
 *   PATCH    /admin/users/{id}      {flags} → public user; the staff bit cannot change here
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/api.h"
#include "warden/domain/accounts.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/utf8.h"
#include "warden/parse.h"
#include "warden/valid.h"
#include "warden/view.h"

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 50

static const struct field_rule create_rules[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_chat_username, "must be of username type"},
    {"email", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_email, "must be of email type"},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, CHAT_PASSWORD_MIN, CHAT_PASSWORD_MAX,
     NULL, NULL},
};

const struct route_body api_user_create_body = ROUTE_BODY(create_rules, 0, 0);

void api_admin_users_create(struct app *app, struct request *req, struct response *res)
{
    struct account_new in = api_account_fields(req);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct user u;
    if (!accounts_create(&d, &in, &u, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    view_user_public(&w, &u);
}

/* A query parameter as an integer; absent = fallback; -1 when not an integer. */
static int query_int(const struct request *req, const char *name, int64_t fallback, int64_t *out)
{
    const char *v = request_query(req, name);
    if (!v || !*v) {
        *out = fallback;
        return 0;
    }
    return parse_int64(v, INT64_MIN, INT64_MAX, out);
}

void api_admin_users_search(struct app *app, struct request *req, struct response *res)
{
    int64_t per_page, page;
    if (query_int(req, "per_page", PER_PAGE_DEFAULT, &per_page) < 0) {
        error_send(res, req, 400, "invalid per_page value");
        return;
    }
    if (per_page > PER_PAGE_MAX || per_page < 0) {
        error_send(res, req, 400, "invalid per page number");
        return;
    }
    if (query_int(req, "page", 0, &page) < 0) {
        error_send(res, req, 400, "invalid page value");
        return;
    }
    if (page < 0 || page > INT64_MAX / PER_PAGE_MAX) {
        error_send(res, req, 400, "invalid page number");
        return;
    }
    const char *username = request_query(req, "username");
    const char *discriminator = request_query(req, "discriminator");
    if ((!username || !*username) && (!discriminator || !*discriminator)) {
        error_send(res, req, 400, "must insert username or discrim");
        return;
    }
    struct jsonw w;
    /* Stored usernames are text: bytes that are not UTF-8 match nobody (the
     * database would refuse them as a pattern). */
    if (username && !utf8_valid(username, strlen(username))) {
        response_json(res, 200, &w);
        jsonw_array_begin(&w);
        jsonw_array_end(&w);
        return;
    }
    /* Discriminators are stored as four digits: "1" and "0001" mean the same;
     * anything else matches nobody. */
    char tag[8];
    if (discriminator && *discriminator) {
        int64_t d;
        if (parse_int64(discriminator, 1, 9999, &d) < 0) {
            response_json(res, 200, &w);
            jsonw_array_begin(&w);
            jsonw_array_end(&w);
            return;
        }
        snprintf(tag, sizeof tag, "%04d", (int)d);
        discriminator = tag;
    }
    struct user_query q = {username, discriminator, page * per_page, per_page};
    struct user *users;
    size_t n;
    struct domain d = api_domain(app, req);
    struct domain_result r;
    if (!accounts_search(&d, &q, &users, &n, &r)) {
        api_fail(res, req, &r);
        return;
    }
    response_json(res, 200, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        view_user_public(&w, &users[i]);
    jsonw_array_end(&w);
}

bool api_user_id_known(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    if (api_path_id(req, "user_id"))
        return true;
    error_send_code(res, req, 404, CODE_UNKNOWN_USER, "Unknown user");
    return false;
}

void api_admin_users_delete(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct user before, after;
    if (!accounts_soft_delete(&d, api_path_id(req, "user_id"), &before, &after, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "old");
    view_user_public(&w, &before);
    jsonw_key(&w, "new");
    view_user_public(&w, &after);
    jsonw_object_end(&w);
}

static const struct field_rule patch_rules[] = {
    /* Flags are bits below 2^31 (the highest defined is 2^18). */
    {"flags", FIELD_INTEGER, FIELD_BOUNDED, 0, 2147483647, NULL, NULL},
};
const struct route_body api_user_patch_body = ROUTE_BODY(patch_rules, 0, 0);

void api_admin_users_patch(struct app *app, struct request *req, struct response *res)
{
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct user u;
    int64_t id = api_path_id(req, "user_id"), flags;
    bool changed, ok;
    if (fields_int(req->fields, "flags", 0, &flags))
        ok = accounts_update_flags(&d, id, flags, ~flags, STAFF_BIT_LOCKED, &u, &changed, &r);
    else
        ok = accounts_get(&d, id, &u, &r);
    if (!ok) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    view_user_public(&w, &u);
}
