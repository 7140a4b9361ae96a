/*
 * calls: how a handler calls the domain and answers its result (see
 * include/warden/api.h).
 */
#include <string.h>

#include "warden/api.h"
#include "warden/arena.h"
#include "warden/domain/accounts.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/mem.h"
#include "warden/store.h"
#include "warden/parse.h"

struct domain api_domain(struct app *app, struct request *req)
{
    struct token_key *key = arena_alloc(req->arena, sizeof *key);
    key->secret = app->cfg->secret;
    key->secret_len = app->cfg->secret_len;
    struct domain d = {
        .db = app->db,
        .arena = req->arena,
        .request_id = req->request_id,
        .key = key,
    };
    const struct principal *who = req->principal;
    if (req->realm == REALM_GAME && who) {
        d.actor.realm = ACTOR_GAME;
        d.actor.game_id = who->game.id;
        d.actor.name = who->game.name;
        d.actor.game_rights = who->game.rights;
    } else {
        d.actor.realm = ACTOR_CHAT;
        d.actor.id = who ? who->chat.id : 0;
        d.actor.name = who ? who->chat.username : "";
    }
    return d;
}

void api_fail(struct response *res, const struct request *req, const struct domain_result *r)
{
    switch (r->status) {
    case DOMAIN_OK:
        error_send_internal(res, req, "a successful result answered as a failure");
        return;
    case DOMAIN_NOT_FOUND:
        if (r->code)
            error_send_code(res, req, 404, r->code, r->message);
        else
            error_send(res, req, 404, r->message ? r->message : "Not found");
        return;
    case DOMAIN_INVALID: {
        struct field_error fe = {r->field, r->message};
        error_send_fields(res, req, &fe, 1);
        return;
    }
    case DOMAIN_REFUSED:
        error_send(res, req, 400, r->message);
        return;
    case DOMAIN_FORBIDDEN:
        error_send(res, req, 403, r->message);
        return;
    case DOMAIN_STORE_ERROR:
        error_send_db(res, req, &r->error);
        return;
    case DOMAIN_UNRECORDED:
        /* The journal logged the loss with this request's id; the client is
         * told plainly rather than handed a success without a record: 503
         * when the database went away between the change and its record. */
        res->db_failed = true;
        error_send(res, req, store_error_kind(&r->error) == STORE_UNAVAILABLE ? 503 : 500,
                   r->message);
        return;
    }
}

int64_t api_path_id(const struct request *req, const char *name)
{
    int64_t id;
    return parse_int64(request_param(req, name), 1, INT64_MAX, &id) < 0 ? 0 : id;
}

struct account_new api_account_fields(const struct request *req)
{
    uint32_t password_len = 0;
    struct account_new in = {
        .username = fields_string(req->fields, "username", 0, NULL),
        .email = fields_string(req->fields, "email", 0, NULL),
        .password = fields_string(req->fields, "password", 0, &password_len),
    };
    in.password_len = password_len;
    return in;
}

void api_send_chat_token(const struct domain *d, const struct request *req, struct response *res,
                         const struct user *u, bool with_user_id)
{
    char token[TOKEN_MAX];
    if (!accounts_token(d, u, token)) {
        error_send_internal(res, req, "token minting failed");
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "token", token);
    if (with_user_id) {
        jsonw_key(&w, "user_id");
        jsonw_id(&w, u->id);
    }
    jsonw_object_end(&w);
    mem_wipe(token, sizeof token);
}
