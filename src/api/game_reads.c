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
#include <string.h>

#include "warden/api.h"
#include "warden/domain/game.h"
#include "warden/error.h"
#include "warden/guid.h"
#include "warden/parse.h"

#define PAGE_SIZE_MIN 5
#define PAGE_SIZE_MAX 100
/* page * pageSize is the number of players skipped: far from overflow. */
#define PAGE_MAX 1000000000

_Static_assert(PAGE_MAX == 1000000000, "page's message states the limit");

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

static void view_sanctions(struct jsonw *w, const struct game_sanctions *s)
{
    view_sanction(w, "Ban", &s->ban, s->banned);
    view_sanction(w, "Mute", &s->mute, s->muted);
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

static void players_array(struct jsonw *w, const char *key, const struct player *players, size_t n)
{
    jsonw_key(w, key);
    jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        jsonw_object_begin(w);
        player_fields(w, &players[i]);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

bool api_game_lookup_valid(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    char id[GUID_STRING_SIZE];
    const char *name;
    return api_game_key(req, res, id, &name);
}

/* The route's {lookup}, which its precheck has accepted. */
static struct game_key lookup_key(const struct request *req, char id[GUID_STRING_SIZE])
{
    const char *name = NULL;
    struct game_key key = {NULL, NULL};
    if (api_game_key(req, NULL, id, &name))
        key = name ? (struct game_key){NULL, name} : (struct game_key){id, NULL};
    return key;
}

void api_game_user_get(struct app *app, struct request *req, struct response *res)
{
    char id[GUID_STRING_SIZE];
    struct game_key key = lookup_key(req, id);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct game_user u;
    struct player *players;
    size_t n;
    struct game_sanctions sanctions;
    if (!game_find_user(&d, &key, &u, &r)) {
        if (r.status == DOMAIN_NOT_FOUND)
            api_game_not_found(req, res, "user");
        else
            api_fail(res, req, &r);
        return;
    }
    if (!game_players_of(&d, u.id, &players, &n, &r) ||
        !game_active_sanctions(&d, u.id, &sanctions, &r)) {
        api_fail(res, req, &r);
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
            jsonw_string(&w, store_game_right_name(bit));
    jsonw_array_end(&w);
    jsonw_key(&w, "RegistrationDate");
    jsonw_date(&w, u.registered_at);
    jsonw_key(&w, "LastIp");
    jsonw_string_or_null(&w, u.last_ip[0] ? u.last_ip : NULL);
    players_array(&w, "Players", players, n);
    view_sanctions(&w, &sanctions);
    jsonw_object_end(&w);
}

void api_game_player_get(struct app *app, struct request *req, struct response *res)
{
    char id[GUID_STRING_SIZE];
    struct game_key key = lookup_key(req, id);
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct player p;
    struct game_sanctions sanctions;
    if (!game_find_player(&d, &key, &p, &r)) {
        if (r.status == DOMAIN_NOT_FOUND)
            api_game_not_found(req, res, "player");
        else
            api_fail(res, req, &r);
        return;
    }
    if (!game_active_sanctions(&d, p.user_id, &sanctions, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    player_fields(&w, &p);
    view_sanctions(&w, &sanctions);
    jsonw_object_end(&w);
}

void api_game_players_online(struct app *app, struct request *req, struct response *res)
{
    int64_t page = 0, size = PAGE_SIZE_MIN;
    const char *page_text = request_query(req, "page");
    const char *size_text = request_query(req, "pageSize");
    if (page_text && *page_text && parse_int64(page_text, 0, PAGE_MAX, &page) < 0) {
        error_send(res, req, 400, "page: must be an integer in 0..1000000000");
        return;
    }
    if (size_text && *size_text) {
        if (parse_int64(size_text, INT64_MIN, INT64_MAX, &size) < 0) {
            error_send(res, req, 400, "pageSize: must be an integer (5..100; others are clamped)");
            return;
        }
        /* Clamped as upstream does, not refused. */
        size = size < PAGE_SIZE_MIN ? PAGE_SIZE_MIN : size > PAGE_SIZE_MAX ? PAGE_SIZE_MAX : size;
    }
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct player *players;
    size_t n;
    int64_t total;
    if (!game_players_online(&d, page * size, size, &players, &n, &total, &r)) {
        api_fail(res, req, &r);
        return;
    }
    struct jsonw w;
    response_json(res, 200, &w);
    jsonw_object_begin(&w);
    jsonw_kv_int(&w, "Total", total);
    jsonw_kv_int(&w, "Page", page);
    jsonw_kv_int(&w, "PageSize", size);
    jsonw_kv_int(&w, "Count", (int64_t)n);
    players_array(&w, "Values", players, n);
    jsonw_object_end(&w);
}
