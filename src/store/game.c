/*
 * store/game: game users and players (see include/warden/store/game.h).
 *
 * Names are unique case-insensitively through a lower-cased copy under a
 * unique index (FerretDB v1 has no collation).
 */
#include "warden/store/game.h"

#include <string.h>
#include <strings.h>

#include "warden/db.h"
#include "warden/util.h"
#include "warden/validators.h"

#define GAME_USERS "game_users"
#define PLAYERS "players"

static const struct {
    unsigned bit;
    const char *name;
} rights_table[] = {
    {RIGHT_EDITOR, "Editor"}, {RIGHT_BAN, "Ban"},       {RIGHT_KICK, "Kick"},
    {RIGHT_MUTE, "Mute"},     {RIGHT_API, "Api"},       {RIGHT_USER_QUERY, "UserQuery"},
    {RIGHT_USER_MANAGE, "UserManage"},
};
#define N_RIGHTS (sizeof rights_table / sizeof rights_table[0])

unsigned game_right_parse(const char *name)
{
    for (size_t i = 0; i < N_RIGHTS; i++)
        if (strcasecmp(name, rights_table[i].name) == 0)
            return rights_table[i].bit;
    return 0;
}

const char *game_right_name(unsigned right)
{
    for (size_t i = 0; i < N_RIGHTS; i++)
        if (rights_table[i].bit == right)
            return rights_table[i].name;
    return "";
}

static void append_rights(bson_t *doc, const char *key, unsigned rights)
{
    bson_t list;
    BSON_APPEND_ARRAY_BEGIN(doc, key, &list);
    unsigned n = 0;
    for (size_t i = 0; i < N_RIGHTS; i++) {
        if (rights & rights_table[i].bit) {
            char idx[16];
            const char *k;
            bson_uint32_to_string(n++, &k, idx, sizeof idx);
            BSON_APPEND_UTF8(&list, k, rights_table[i].name);
        }
    }
    bson_append_array_end(doc, &list);
}

static unsigned read_rights(const bson_t *doc)
{
    bson_iter_t it, child;
    unsigned rights = 0;
    if (bson_iter_init_find(&it, doc, "rights") && BSON_ITER_HOLDS_ARRAY(&it) &&
        bson_iter_recurse(&it, &child))
        while (bson_iter_next(&child))
            if (BSON_ITER_HOLDS_UTF8(&child))
                rights |= game_right_parse(bson_iter_utf8(&child, NULL));
    return rights;
}

void store_game_user_from_doc(const bson_t *doc, struct game_user *out)
{
    memset(out, 0, sizeof *out);
    doc_string(doc, "_id", out->id, sizeof out->id);
    doc_string(doc, "name", out->name, sizeof out->name);
    doc_string(doc, "email", out->email, sizeof out->email);
    doc_string(doc, "password_hash", out->password_hash, sizeof out->password_hash);
    doc_string(doc, "security_stamp", out->stamp, sizeof out->stamp);
    doc_string(doc, "last_ip", out->last_ip, sizeof out->last_ip);
    out->rights = read_rights(doc);
    out->registered_at = doc_date(doc, "registered_at", 0);
}

void store_player_from_doc(const bson_t *doc, struct player *out)
{
    memset(out, 0, sizeof *out);
    doc_string(doc, "_id", out->id, sizeof out->id);
    doc_string(doc, "name", out->name, sizeof out->name);
    doc_string(doc, "user_id", out->user_id, sizeof out->user_id);
    doc_string(doc, "map_id", out->map_id, sizeof out->map_id);
    out->x = doc_int(doc, "x", 0);
    out->y = doc_int(doc, "y", 0);
    out->online = doc_bool(doc, "online", false);
    doc_string(doc, "connection_ip", out->connection_ip, sizeof out->connection_ip);
}

/* The first document whose key equals value, converted by fill into out. */
static enum store_status find_one_by(struct db *db, const char *collection, const char *key,
                                     const char *value, void (*fill)(const bson_t *, void *),
                                     void *out, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, key, value);
    enum store_status s = store_find_one(db_collection(db, collection), &filter, NULL, &doc, e);
    if (s == STORE_OK)
        fill(&doc, out);
    bson_destroy(&filter);
    bson_destroy(&doc);
    return s;
}

static void fill_game_user(const bson_t *doc, void *out)
{
    store_game_user_from_doc(doc, out);
}

static void fill_player(const bson_t *doc, void *out)
{
    store_player_from_doc(doc, out);
}

static void lower_name(const char *name, char out[32])
{
    size_t len = strlen(name);
    if (len > 31)
        len = 31;
    ascii_lower(name, len, out);
}

enum store_status store_game_user_create(struct db *db, const char *name, const char *email,
                                         const char *password_hash, struct game_user *out,
                                         bson_error_t *e)
{
    char id[GUID_STRING_SIZE], lower[32], stamp[TOKEN_STAMP_SIZE];
    guid_generate(id);
    lower_name(name, lower);
    token_new_stamp(stamp);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_UTF8(&doc, "name", name);
    BSON_APPEND_UTF8(&doc, "name_lower", lower);
    BSON_APPEND_UTF8(&doc, "email", email);
    BSON_APPEND_UTF8(&doc, "password_hash", password_hash);
    append_rights(&doc, "rights", 0);
    BSON_APPEND_UTF8(&doc, "security_stamp", stamp);
    BSON_APPEND_DATE_TIME(&doc, "registered_at", clock_wall_ms());
    BSON_APPEND_NULL(&doc, "last_ip");
    enum store_status s = store_insert(db_collection(db, GAME_USERS), &doc, e);
    if (s == STORE_OK)
        store_game_user_from_doc(&doc, out);
    bson_destroy(&doc);
    return s;
}

enum store_status store_game_user_get(struct db *db, const char *id, struct game_user *out,
                                      bson_error_t *e)
{
    return find_one_by(db, GAME_USERS, "_id", id, fill_game_user, out, e);
}

enum store_status store_game_user_find_by_name(struct db *db, const char *name,
                                               struct game_user *out, bson_error_t *e)
{
    char lower[32];
    lower_name(name, lower);
    return find_one_by(db, GAME_USERS, "name_lower", lower, fill_game_user, out, e);
}

static enum store_status update_user(struct db *db, const char *id, bson_t *set, bson_error_t *e)
{
    char stamp[TOKEN_STAMP_SIZE];
    token_new_stamp(stamp);
    BSON_APPEND_UTF8(set, "security_stamp", stamp);
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    BSON_APPEND_DOCUMENT(&update, "$set", set);
    enum store_status s = store_update_one(db_collection(db, GAME_USERS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s;
}

enum store_status store_game_user_set_rights(struct db *db, const char *id, unsigned rights,
                                             bson_error_t *e)
{
    bson_t set = BSON_INITIALIZER;
    append_rights(&set, "rights", rights);
    enum store_status s = update_user(db, id, &set, e);
    bson_destroy(&set);
    return s;
}

enum store_status store_game_user_set_password(struct db *db, const char *id,
                                               const char *password_hash, bson_error_t *e)
{
    bson_t set = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&set, "password_hash", password_hash);
    enum store_status s = update_user(db, id, &set, e);
    bson_destroy(&set);
    return s;
}

enum store_status store_player_create(struct db *db, const char *user_id, const char *name,
                                      const char *map_id, int64_t x, int64_t y,
                                      struct player *out, bson_error_t *e)
{
    char id[GUID_STRING_SIZE], lower[32];
    guid_generate(id);
    lower_name(name, lower);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_UTF8(&doc, "name", name);
    BSON_APPEND_UTF8(&doc, "name_lower", lower);
    BSON_APPEND_UTF8(&doc, "user_id", user_id);
    BSON_APPEND_UTF8(&doc, "map_id", map_id);
    BSON_APPEND_INT64(&doc, "x", x);
    BSON_APPEND_INT64(&doc, "y", y);
    BSON_APPEND_BOOL(&doc, "online", false);
    BSON_APPEND_NULL(&doc, "connection_ip");
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, PLAYERS), &doc, e);
    if (s == STORE_OK)
        store_player_from_doc(&doc, out);
    bson_destroy(&doc);
    return s;
}

enum store_status store_player_get(struct db *db, const char *id, struct player *out,
                                   bson_error_t *e)
{
    return find_one_by(db, PLAYERS, "_id", id, fill_player, out, e);
}

enum store_status store_player_find_by_name(struct db *db, const char *name, struct player *out,
                                            bson_error_t *e)
{
    char lower[32];
    lower_name(name, lower);
    return find_one_by(db, PLAYERS, "name_lower", lower, fill_player, out, e);
}

enum store_status store_player_set_presence(struct db *db, const struct player *p, bool online,
                                            const char *ip, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    BSON_APPEND_UTF8(&filter, "_id", p->id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_BOOL(&set, "online", online);
    if (online && ip && *ip)
        BSON_APPEND_UTF8(&set, "connection_ip", ip);
    else
        BSON_APPEND_NULL(&set, "connection_ip");
    bson_append_document_end(&update, &set);
    enum store_status s = store_update_one(db_collection(db, PLAYERS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    if (s != STORE_OK || !online || !ip || !*ip)
        return s;
    bson_t user_filter = BSON_INITIALIZER, user_update = BSON_INITIALIZER, user_set;
    BSON_APPEND_UTF8(&user_filter, "_id", p->user_id);
    BSON_APPEND_DOCUMENT_BEGIN(&user_update, "$set", &user_set);
    BSON_APPEND_UTF8(&user_set, "last_ip", ip);
    bson_append_document_end(&user_update, &user_set);
    s = store_update_one(db_collection(db, GAME_USERS), &user_filter, &user_update, e);
    bson_destroy(&user_filter);
    bson_destroy(&user_update);
    return s;
}

static enum store_status find_players(struct db *db, const bson_t *filter, int64_t skip,
                                      int64_t limit, struct player **out, size_t *n, bson_error_t *e)
{
    bson_t opts = BSON_INITIALIZER;
    store_find_opts(&opts, "name_lower", NULL, skip, limit);
    void *items;
    enum store_status s = store_collect(db_collection(db, PLAYERS), filter, &opts, sizeof **out,
                                        fill_player, &items, n, e);
    bson_destroy(&opts);
    *out = items;
    return s;
}

enum store_status store_players_of_user(struct db *db, const char *user_id, struct player **out,
                                        size_t *n, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "user_id", user_id);
    enum store_status s = find_players(db, &filter, 0, 0, out, n, e);
    bson_destroy(&filter);
    return s;
}

enum store_status store_players_online(struct db *db, int64_t skip, int64_t limit,
                                       struct player **out, size_t *n, int64_t *total,
                                       bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&filter, "online", true);
    *out = NULL;
    *n = 0;
    int64_t count = mongoc_collection_count_documents(db_collection(db, PLAYERS), &filter, NULL,
                                                      NULL, NULL, e);
    enum store_status s = count < 0 ? STORE_ERROR : find_players(db, &filter, skip, limit, out, n, e);
    *total = count;
    bson_destroy(&filter);
    return s;
}
