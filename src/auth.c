/*
 * auth: bearer tokens of both realms to a principal (see include/warden/auth.h).
 */
#include "warden/auth.h"

#include <string.h>
#include <strings.h>

#include "warden/api.h"
#include "warden/store/sanctions.h"
#include "warden/arena.h"
#include "warden/error.h"
#include "warden/token.h"
#include "warden/clock.h"

static struct token_key app_key(const struct app *app)
{
    struct token_key k = {app->cfg->secret, app->cfg->secret_len};
    return k;
}

static bool auth_chat(struct app *app, struct request *req, struct response *res,
                      struct principal *who, bool staff)
{
    const char *token = req->authorization;
    if (!token || !*token) {
        error_send(res, req, 401, "No token provided");
        return false;
    }
    if (strncmp(token, "Bot ", 4) == 0)
        token += 4;
    int64_t id;
    if (strlen(token) > TOKEN_MAX || !token_chat_user_id(token, &id)) {
        error_send(res, req, 401, "Invalid user ID type");
        return false;
    }
    bson_error_t e;
    switch (store_users_get(app->db, id, &who->chat, &e)) {
    case STORE_OK:
        break;
    case STORE_NOT_FOUND:
        error_send(res, req, 401, "User ID not found");
        return false;
    default:
        error_send_db(res, req, &e);
        return false;
    }
    struct token_key key = app_key(app);
    if (!token_chat_verify(&key, token, who->chat.password_hash)) {
        error_send(res, req, 403, "Invalid token");
        return false;
    }
    if (staff && !(who->chat.flags & USER_FLAG_STAFF)) {
        error_send(res, req, 403, "you are not staff");
        return false;
    }
    return true;
}

static bool auth_game(struct app *app, struct request *req, struct response *res,
                      struct principal *who, unsigned role)
{
    const char *header = req->authorization;
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) {
        error_send(res, req, 401, GAME_DENIED_MESSAGE);
        return false;
    }
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    struct token_key key = app_key(app);
    struct game_claims claims;
    if (!token_game_verify(&key, token, clock_wall_ms() / 1000, &claims)) {
        error_send(res, req, 401, GAME_DENIED_MESSAGE);
        return false;
    }
    bson_error_t e;
    switch (store_game_user_get(app->db, claims.user_id, &who->game, &e)) {
    case STORE_OK:
        break;
    case STORE_NOT_FOUND:
        error_send(res, req, 401, GAME_DENIED_MESSAGE);
        return false;
    default:
        error_send_db(res, req, &e);
        return false;
    }
    /* Rights or password changed since the token was issued (losing the
     * Api right is such a change), or the account is banned: one read by
     * _id of an insert-only record, so a ban counts from the moment it is
     * stored, whatever happens to the stamp. */
    if (strcmp(claims.stamp, who->game.stamp) != 0) {
        error_send(res, req, 401, GAME_DENIED_MESSAGE);
        return false;
    }
    bool banned;
    if (store_sanction_active(app->db, who->game.id, SANCTION_BAN, clock_wall_ms(), &banned, &e) !=
        STORE_OK) {
        error_send_db(res, req, &e);
        return false;
    }
    if (banned) {
        error_send(res, req, 401, GAME_DENIED_MESSAGE);
        return false;
    }
    if ((who->game.rights & role) != role) {
        error_send(res, req, 403, GAME_DENIED_MESSAGE);
        return false;
    }
    return true;
}

bool auth_require(struct app *app, struct request *req, struct response *res, enum auth_need need)
{
    if (need == AUTH_NONE)
        return true;
    struct principal *who = arena_calloc(req->arena, 1, sizeof *who);
    bool ok;
    switch (need) {
    case AUTH_CHAT_USER: ok = auth_chat(app, req, res, who, false); break;
    case AUTH_CHAT_STAFF: ok = auth_chat(app, req, res, who, true); break;
    case AUTH_GAME_API: ok = auth_game(app, req, res, who, RIGHT_API); break;
    case AUTH_GAME_USER_QUERY: ok = auth_game(app, req, res, who, RIGHT_USER_QUERY); break;
    default: ok = false; break;
    }
    if (ok)
        req->principal = who;
    return ok;
}
