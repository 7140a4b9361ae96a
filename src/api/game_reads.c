/*
 * api/game_reads: what operators and the admin console read of the game.
 *
 *   GET /api/v1/users/{lookup}       (UserQuery) account, characters, active ban and mute
 *   GET /api/v1/players/{lookup}     (Api) character, active ban and mute of its account
 *   GET /api/v1/players/online       (Api) ?page=&pageSize= → upstream's page envelope
 *
 * Responses use upstream's PascalCase keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/api.h"
#include "warden/dispatch.h"
#include "warden/errors.h"
#include "warden/guid.h"
#include "warden/store/game.h"
#include "warden/store/sanctions.h"
#include "warden/util.h"
#include "warden/validators.h"

#define PAGE_SIZE_MIN 5
#define PAGE_SIZE_MAX 100

static void view_sanction(struct jsonw *w, const char *key, const struct sanction *s, bool active)
{
    jsonw_key(w, key);
    if (!active) {
        jsonw_null(w);
        return;
    }
    jsonw_object_begin(w);
    jsonw_key(w, "Start");
    jsonw_date(w, s->start);
    jsonw_key(w, "End");
    jsonw_date(w, s->end);
    jsonw_kv_string(w, "Reason", s->reason);
    jsonw_kv_string(w, "Moderator", s->moderator);
    jsonw_key(w, "Ip");
    jsonw_string_or_null(w, s->ip[0] ? s->ip : NULL);
    jsonw_object_end(w);
}

/* Active ban and mute of a user, as "Ban" and "Mute" keys. */
static bool view_sanctions(struct app *app, struct jsonw *w, const char *user_id, bson_error_t *e)
{
    int64_t now = clock_wall_ms();
    struct sanction ban, mute;
    enum store_status b = store_sanction_get_active(app->db, user_id, SANCTION_BAN, now, &ban, e);
    if (b == STORE_ERROR)
        return false;
    enum store_status m = store_sanction_get_active(app->db, user_id, SANCTION_MUTE, now, &mute, e);
    if (m == STORE_ERROR)
        return false;
    view_sanction(w, "Ban", &ban, b == STORE_OK);
    view_sanction(w, "Mute", &mute, m == STORE_OK);
    return true;
}

static void player_fields(struct jsonw *w, const struct player *p)
{
    jsonw_kv_string(w, "Id", p->id);
    jsonw_kv_string(w, "Name", p->name);
    jsonw_kv_string(w, "UserId", p->user_id);
    jsonw_kv_string(w, "MapId", p->map_id);
    jsonw_kv_int(w, "X", p->x);
    jsonw_kv_int(w, "Y", p->y);
    jsonw_kv_bool(w, "Online", p->online);
}

bool api_game_lookup(const struct request *req, struct response *res, char id[GUID_STRING_SIZE],
                     const char **name)
{
    const char *key = request_param(req, "lookup");
    *name = NULL;
    if (guid_parse(key, id)) {
        if (guid_is_zero(id)) {
            error_send(res, req, 400, "Invalid id.");
            return false;
        }
        return true;
    }
    if (!valid_game_name(key, strlen(key))) {
        error_send(res, req, 400, "Invalid name.");
        return false;
    }
    *name = key;
    return true;
}

void api_game_not_found(const struct request *req, struct response *res, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "No %s found for lookup key '%.100s'", what, request_param(req, "lookup"));
    error_send(res, req, 404, msg);
}

void api_game_user_get(struct app *app, struct request *req, struct response *res)
{
    char id[GUID_STRING_SIZE];
    const char *name;
    if (!api_game_lookup(req, res, id, &name))
        return;
    struct game_user u;
    bson_error_t e;
    enum store_status s = name ? store_game_user_find_by_name(app->db, name, &u, &e)
                               : store_game_user_get(app->db, id, &u, &e);
    if (s == STORE_NOT_FOUND) {
        api_game_not_found(req, res, "user");
        return;
    }
    struct player *players = NULL;
    size_t n = 0;
    if (s == STORE_OK)
        s = store_players_of_user(app->db, u.id, &players, &n, &e);
    if (s != STORE_OK) {
        free(players);
        error_send_db(res, req, &e);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "Id", u.id);
    jsonw_kv_string(&w, "Name", u.name);
    jsonw_kv_string(&w, "Email", u.email);
    jsonw_key(&w, "Rights");
    jsonw_array_begin(&w);
    for (unsigned bit = 1; bit <= RIGHT_USER_MANAGE; bit <<= 1)
        if (u.rights & bit)
            jsonw_string(&w, game_right_name(bit));
    jsonw_array_end(&w);
    jsonw_key(&w, "RegistrationDate");
    jsonw_date(&w, u.registered_at);
    jsonw_key(&w, "LastIp");
    jsonw_string_or_null(&w, u.last_ip[0] ? u.last_ip : NULL);
    jsonw_key(&w, "Players");
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jsonw_object_begin(&w);
        player_fields(&w, &players[i]);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    free(players);
    if (!view_sanctions(app, &w, u.id, &e)) {
        error_send_db(res, req, &e);
        return;
    }
    jsonw_object_end(&w);
}

void api_game_player_get(struct app *app, struct request *req, struct response *res)
{
    char id[GUID_STRING_SIZE];
    const char *name;
    if (!api_game_lookup(req, res, id, &name))
        return;
    struct player p;
    bson_error_t e;
    enum store_status s = name ? store_player_find_by_name(app->db, name, &p, &e)
                               : store_player_get(app->db, id, &p, &e);
    if (s == STORE_NOT_FOUND) {
        api_game_not_found(req, res, "player");
        return;
    }
    if (s != STORE_OK) {
        error_send_db(res, req, &e);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    player_fields(&w, &p);
    if (!view_sanctions(app, &w, p.user_id, &e)) {
        error_send_db(res, req, &e);
        return;
    }
    jsonw_object_end(&w);
}

void api_game_players_online(struct app *app, struct request *req, struct response *res)
{
    int64_t page = 0, size = PAGE_SIZE_MIN;
    const char *page_text = request_query(req, "page");
    const char *size_text = request_query(req, "pageSize");
    if (page_text && *page_text && parse_int64(page_text, 0, 1000000000, &page) < 0) {
        error_send(res, req, 400, "page: must be an integer of at least 0");
        return;
    }
    if (size_text && *size_text) {
        if (parse_int64(size_text, INT64_MIN, INT64_MAX, &size) < 0) {
            error_send(res, req, 400, "pageSize: must be an integer");
            return;
        }
        /* Clamped as upstream does, not refused. */
        size = size < PAGE_SIZE_MIN ? PAGE_SIZE_MIN : size > PAGE_SIZE_MAX ? PAGE_SIZE_MAX : size;
    }
    struct player *players;
    size_t n;
    int64_t total;
    bson_error_t e;
    if (store_players_online(app->db, page * size, size, &players, &n, &total, &e) != STORE_OK) {
        free(players);
        error_send_db(res, req, &e);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_int(&w, "Total", total);
    jsonw_kv_int(&w, "Page", page);
    jsonw_kv_int(&w, "PageSize", size);
    jsonw_kv_int(&w, "Count", (int64_t)n);
    jsonw_key(&w, "Values");
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jsonw_object_begin(&w);
        player_fields(&w, &players[i]);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    free(players);
}
