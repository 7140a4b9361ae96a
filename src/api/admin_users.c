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
#include "warden/dispatch.h"
#include "warden/body.h"
#include "warden/errors.h"
#include "warden/fields.h"
#include "warden/store/user_search.h"
#include "warden/store/users.h"
#include "warden/utf8.h"
#include "warden/util.h"
#include "warden/validators.h"
#include "warden/views.h"

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 50

static const struct field_rule create_rules[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_chat_username, "must be of username type"},
    {"email", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_email, "must be of email type"},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, CHAT_PASSWORD_MIN, CHAT_PASSWORD_MAX,
     NULL, NULL},
};

static void audit_user(struct app *app, const struct request *req, const char *action,
                       const struct user *before, const struct user *after)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)(after ? after->id : before->id));
    bson_t b = BSON_INITIALIZER, a = BSON_INITIALIZER;
    if (before)
        store_users_append_public(&b, before);
    if (after)
        store_users_append_public(&a, after);
    api_audit(app, req, action, "user", id, before ? &b : NULL, after ? &a : NULL);
    bson_destroy(&b);
    bson_destroy(&a);
}

void api_admin_users_create(struct app *app, struct request *req, struct response *res)
{
    bson_t body = BSON_INITIALIZER;
    struct user u;
    if (body_read_fields(req, res, 0, create_rules, 3, 0, &body) &&
        api_create_account(app, req, res, &body, 0, &u)) {
        audit_user(app, req, "user.create", NULL, &u);
        struct jsonw w;
        response_json(res, 200, &w);
        view_user_public(&w, &u);
    }
    bson_destroy(&body);
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
    bson_error_t e;
    if (store_user_search(app->db, &q, &users, &n, &e) != STORE_OK) {
        free(users);
        error_send_db(res, req, &e);
        return;
    }
    response_json(res, 200, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        view_user_public(&w, &users[i]);
    jsonw_array_end(&w);
    free(users);
}

/* The {user_id} path parameter; answers 404 Unknown user when it cannot be one. */
static bool path_user_id(const struct request *req, struct response *res, int64_t *id)
{
    if (parse_int64(request_param(req, "user_id"), 1, INT64_MAX, id) < 0) {
        error_send_code(res, req, 404, CODE_UNKNOWN_USER, "Unknown user");
        return false;
    }
    return true;
}

void api_admin_users_delete(struct app *app, struct request *req, struct response *res)
{
    int64_t id;
    if (!path_user_id(req, res, &id))
        return;
    struct user before, after;
    bson_error_t e;
    enum store_status s = store_users_soft_delete(app->db, id, &before, &after, &e);
    if (s == STORE_NOT_FOUND) {
        error_send_code(res, req, 404, CODE_UNKNOWN_USER, "Unknown user");
        return;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        return;
    }
    audit_user(app, req, "user.delete", &before, &after);
    bson_t data = BSON_INITIALIZER;
    BSON_APPEND_INT32(&data, "close_code", 4000);
    BSON_APPEND_UTF8(&data, "reason", "user deleted");
    api_gateway_event(app, req, "USER_DISCONNECT", 0, id, &data);
    bson_destroy(&data);

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

void api_admin_users_patch(struct app *app, struct request *req, struct response *res)
{
    int64_t id;
    if (!path_user_id(req, res, &id))
        return;
    bson_t body = BSON_INITIALIZER;
    if (!body_read_fields(req, res, 0, patch_rules, 1, 0, &body))
        goto done;
    struct user u;
    bson_error_t e;
    enum store_status s = store_users_get(app->db, id, &u, &e);
    if (s == STORE_NOT_FOUND) {
        error_send_code(res, req, 404, CODE_UNKNOWN_USER, "Unknown user");
        goto done;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        goto done;
    }
    int64_t flags;
    struct jsonw w;
    if (!fields_int(&body, "flags", 0, &flags) || flags == u.flags) {
        response_json(res, 200, &w);
        view_user_public(&w, &u);
        goto done;
    }
    if ((flags & USER_FLAG_STAFF) != (u.flags & USER_FLAG_STAFF)) {
        error_send(res, req, 403, "you can not change a users staff badge");
        goto done;
    }
    s = store_users_set_flags(app->db, id, flags, &e);
    if (s != STORE_OK) {
        if (s == STORE_NOT_FOUND)
            error_send_code(res, req, 404, CODE_UNKNOWN_USER, "Unknown user");
        else
            error_send_db(res, req, &e);
        goto done;
    }
    struct user before = u;
    u.flags = flags;
    audit_user(app, req, "user.update", &before, &u);
    bson_t data = BSON_INITIALIZER;
    store_users_append_public(&data, &u);
    api_gateway_event(app, req, "USER_UPDATE", 0, id, &data);
    bson_destroy(&data);
    response_json(res, 200, &w);
    view_user_public(&w, &u);
done:
    bson_destroy(&body);
}
