/*
 * api/accounts: chat accounts' own entry points: POST /auth/login,
 * POST /auth/register (when WARDEN_REGISTRATIONS is on), GET /users/@me.
 */
#include "warden/api.h"
#include "warden/domain/accounts.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/valid.h"
#include "warden/view.h"

static const struct field_rule login_rules[] = {
    {"email", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, 1024, NULL, NULL},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 1, CHAT_PASSWORD_MAX, NULL, NULL},
};
/* Discord clients send extra keys (undelete, captcha_key, ...): ignored. */
const struct route_body api_login_body = ROUTE_BODY(login_rules, 0, FIELDS_ALLOW_UNKNOWN);

static const struct field_rule register_rules[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_chat_username, "must be of username type"},
    {"email", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_email, "must be of email type"},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, CHAT_PASSWORD_MIN_REGISTER,
     CHAT_PASSWORD_MAX, NULL, NULL},
};
/* Discord clients send consent, fingerprint, captcha_key...: ignored. */
const struct route_body api_register_body = ROUTE_BODY(register_rules, 0, FIELDS_ALLOW_UNKNOWN);

void api_auth_login(struct app *app, struct request *req, struct response *res)
{
    uint32_t password_len, email_len;
    const char *email = fields_string(req->fields, "email", 0, &email_len);
    const char *password = fields_string(req->fields, "password", 0, &password_len);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct user u;
    if (accounts_login(&d, email, email_len, password, password_len, &u, &r))
        api_send_chat_token(&d, req, res, &u, false);
    else
        api_fail(res, req, &r);
}

bool api_registrations_open(struct app *app, struct request *req, struct response *res)
{
    if (app->cfg->registrations)
        return true;
    error_send(res, req, 400, "Registrations disabled");
    return false;
}

void api_auth_register(struct app *app, struct request *req, struct response *res)
{
    struct account_new in = api_account_fields(req);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct user u;
    if (accounts_register(&d, &in, &u, &r))
        api_send_chat_token(&d, req, res, &u, false);
    else
        api_fail(res, req, &r);
}

void api_users_me(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    struct jsonw w;
    response_json(res, 200, &w);
    view_user_secure(&w, &req->principal->chat);
}
