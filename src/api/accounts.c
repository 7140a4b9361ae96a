/*
 * api/accounts: chat accounts' own entry points: POST /auth/login,
 * POST /auth/register (when WARDEN_REGISTRATIONS is on), GET /users/@me.
 */
#include <string.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/auth.h"
#include "warden/body.h"
#include "warden/store/db.h"
#include "warden/errors.h"
#include "warden/fields.h"
#include "warden/log.h"
#include "warden/password.h"
#include "warden/store/users.h"
#include "warden/validators.h"
#include "warden/views.h"

/* Same answer for an unknown email and a wrong password. */
#define LOGIN_FAILED "Invalid email or password."

static void send_token(struct app *app, struct request *req, struct response *res,
                       const struct user *u)
{
    char token[TOKEN_MAX];
    if (!auth_chat_token(app, u, token)) {
        error_send_internal(res, req, "token minting failed");
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "token", token);
    jsonw_object_end(&w);
}

static const struct field_rule login_rules[] = {
    {"email", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, 1024, NULL, NULL},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, CHAT_PASSWORD_MAX, NULL, NULL},
};

void api_auth_login(struct app *app, struct request *req, struct response *res)
{
    bson_t body = BSON_INITIALIZER;
    /* Discord clients send extra keys (undelete, captcha_key, ...): ignored. */
    if (!body_read_fields(req, res, 0, login_rules, 2, FIELDS_ALLOW_UNKNOWN, &body))
        goto done;
    uint32_t password_len, email_len;
    const char *email = fields_string(&body, "email", 0, &email_len);
    const char *password = fields_string(&body, "password", 0, &password_len);
    struct user u;
    bson_error_t e;
    /* No account has a longer address, and the lookup key keeps only the
     * first EMAIL_MAX characters: a longer one must not find their owner. */
    enum store_status s = email_len > EMAIL_MAX
                              ? STORE_NOT_FOUND
                              : store_users_find_by_email(app->db, email, &u, &e);
    if (s == STORE_ERROR) {
        error_send_db(res, req, &e);
        goto done;
    }
    if (s == STORE_NOT_FOUND) {
        password_verify_dummy(password, password_len);
        error_send(res, req, 400, LOGIN_FAILED);
        goto done;
    }
    if (!password_verify(u.password_hash, password, password_len)) {
        error_send(res, req, 400, LOGIN_FAILED);
        goto done;
    }
    send_token(app, req, res, &u);
done:
    bson_destroy(&body);
}

static const struct field_rule register_rules[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_chat_username, "must be of username type"},
    {"email", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_email, "must be of email type"},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, CHAT_PASSWORD_MIN_REGISTER,
     CHAT_PASSWORD_MAX, NULL, NULL},
};

/*
 * Create a chat account from validated fields and answer with its token;
 * shared by open registration and invite registration.
 */
bool api_create_account(struct app *app, struct request *req, struct response *res,
                        const bson_t *body, int64_t flags, struct user *created)
{
    uint32_t password_len;
    const char *password = fields_string(body, "password", 0, &password_len);
    char hash[PASSWORD_HASH_SIZE];
    if (password_hash(password, password_len, hash) < 0) {
        error_send_internal(res, req, "password hashing failed (out of memory)");
        return false;
    }
    struct user_new in = {
        .username = fields_string(body, "username", 0, NULL),
        .email = fields_string(body, "email", 0, NULL),
        .password_hash = hash,
        .flags = flags,
    };
    enum user_create_problem problem;
    bson_error_t e;
    enum store_status s = store_users_create(app->db, &in, created, &problem, &e);
    if (s == STORE_DUPLICATE) {
        error_send(res, req, 400,
                   problem == USER_CREATE_EMAIL_TAKEN ? "Email already used." : "Too many people.");
        return false;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        return false;
    }
    log_info("user %lld created (rid=%s)", (long long)created->id, req->request_id);
    return true;
}

void api_auth_register(struct app *app, struct request *req, struct response *res)
{
    if (!app->cfg->registrations) {
        error_send(res, req, 400, "Registrations disabled");
        return;
    }
    if (!dispatch_db_ready(app, req, res))
        return;
    bson_t body = BSON_INITIALIZER;
    struct user u;
    /* Discord clients send consent, fingerprint, captcha_key...: ignored. */
    if (body_read_fields(req, res, 0, register_rules, 3, FIELDS_ALLOW_UNKNOWN, &body) &&
        api_create_account(app, req, res, &body, 0, &u))
        send_token(app, req, res, &u);
    bson_destroy(&body);
}

void api_users_me(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    struct jsonw w;
    response_json(res, 200, &w);
    view_user_secure(&w, &req->principal->chat);
}
