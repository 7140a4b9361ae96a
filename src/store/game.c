/*
 * store/game: game users and players (see include/warden/store/game.h).
 *
 * Names are unique case-insensitively through a lower-cased key (FerretDB
 * v1 has no collation): the name's claim, inserted before the document,
 * decides; the unique name_lower indexes stay as a second guard. Every
 * query here is an equality, an $in or a range on _id: by name, by owner
 * and "who is online" all go through claims (see the header).
 */
#include "warden/store/game.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "warden/store/db.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/doc.h"
#include "warden/valid.h"
#include "warden/utf8.h"

#define GAME_USERS "game_users"
#define PLAYERS "players"
#define GAME_USER_NAMES "game_user_names"
#define PLAYER_NAMES "player_names"
#define USER_PLAYERS "user_players"
#define ONLINE_PLAYERS "online_players"
/* A name claim whose document never appeared is taken over after this long
 * (a creation that died between its two inserts). */
#define STALE_CLAIM_MS (60 * 1000)
#define CLAIM_ATTEMPTS 3
/* Players read per $in query, and claims per range query. */
#define BATCH 256
/* Keys: a name (20 characters; 31 at most in struct player), a '/' and a GUID. */
#define KEY_SIZE (32 + 1 + GUID_STRING_SIZE)
#define NAME_SIZE 32

static const struct {
    unsigned bit;
    const char *name;
} rights_table[] = {
    {RIGHT_EDITOR, "Editor"}, {RIGHT_BAN, "Ban"},       {RIGHT_KICK, "Kick"},
    {RIGHT_MUTE, "Mute"},     {RIGHT_API, "Api"},       {RIGHT_USER_QUERY, "UserQuery"},
    {RIGHT_USER_MANAGE, "UserManage"},
};
#define N_RIGHTS (sizeof rights_table / sizeof rights_table[0])

unsigned store_game_right_parse(const char *name)
{
    for (size_t i = 0; i < N_RIGHTS; i++)
        if (strcasecmp(name, rights_table[i].name) == 0)
            return rights_table[i].bit;
    return 0;
}

const char *store_game_right_name(unsigned right)
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
                rights |= store_game_right_parse(bson_iter_utf8(&child, NULL));
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


/* Copy s into out of size bytes, cut short if need be. */
static void copy_string(char *out, size_t size, const char *s)
{
    size_t len = strnlen(s, size - 1);
    memcpy(out, s, len);
    out[len] = '\0';
}

static void fill_player(const bson_t *doc, void *out)
{
    store_player_from_doc(doc, out);
}

static void lower_name(const char *name, char out[NAME_SIZE])
{
    size_t len = strlen(name);
    if (len > NAME_SIZE - 1)
        len = NAME_SIZE - 1;
    utf8_ascii_lower(name, len, out);
}

/* The name_lower a stored document carries (computed from name when an
 * old document lacks it). */
static void doc_name_lower(const bson_t *doc, char out[NAME_SIZE])
{
    if (!doc_string(doc, "name_lower", out, NAME_SIZE)) {
        char name[NAME_SIZE];
        doc_string(doc, "name", name, sizeof name);
        lower_name(name, out);
    }
}

static enum store_status get_by_id(struct db *db, const char *collection, const char *id,
                                   bson_t *doc, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    enum store_status s = store_find_one(db_collection(db, collection), &filter, NULL, doc, e);
    bson_destroy(&filter);
    return s;
}

/* --- name claims ------------------------------------------------------------ */

/* A family of name claims: {_id: name_lower, <owner_field>: guid, created_at}. */
struct name_claims {
    const char *collection;  /* the claims */
    const char *owner_field; /* user_id | player_id */
    const char *owners;      /* where the documents named live */
};

static const struct name_claims user_names = {GAME_USER_NAMES, "user_id", GAME_USERS};
static const struct name_claims player_names = {PLAYER_NAMES, "player_id", PLAYERS};

/*
 * The document that the claim on key names, into doc, when it carries that
 * name: STORE_OK. STORE_NOT_FOUND when there is no claim (holder "") or its
 * document is missing or carries another name (holder and *claimed_at say
 * whose claim it is and since when).
 */
static enum store_status claimed(struct db *db, const struct name_claims *nc, const char *key,
                                 bson_t *doc, char holder[GUID_STRING_SIZE], int64_t *claimed_at,
                                 bson_error_t *e)
{
    bson_t claim = BSON_INITIALIZER;
    holder[0] = '\0';
    enum store_status s = get_by_id(db, nc->collection, key, &claim, e);
    if (s == STORE_OK) {
        doc_string(&claim, nc->owner_field, holder, GUID_STRING_SIZE);
        *claimed_at = doc_date(&claim, "created_at", 0);
    }
    bson_destroy(&claim);
    if (s != STORE_OK)
        return s;
    s = get_by_id(db, nc->owners, holder, doc, e);
    if (s == STORE_OK) {
        char lower[NAME_SIZE];
        doc_name_lower(doc, lower);
        if (strcmp(lower, key) != 0)
            s = STORE_NOT_FOUND;
    }
    return s;
}

static void name_claim_doc(bson_t *doc, const struct name_claims *nc, const char *key,
                           const char *owner)
{
    BSON_APPEND_UTF8(doc, "_id", key);
    BSON_APPEND_UTF8(doc, nc->owner_field, owner);
    BSON_APPEND_DATE_TIME(doc, "created_at", clock_wall_ms());
}

/* Delete the claim on key only while owner holds it. */
static enum store_status drop_claim(struct db *db, const struct name_claims *nc, const char *key,
                                    const char *owner, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_UTF8(&filter, nc->owner_field, owner);
    enum store_status s = store_delete(db_collection(db, nc->collection), &filter, false, NULL, e);
    bson_destroy(&filter);
    return s;
}

/*
 * Take the name key for owner. STORE_DUPLICATE: a document carries the
 * name, or its creation is under way (a claim younger than STALE_CLAIM_MS).
 * A claim older than that whose document never appeared is replaced.
 */
static enum store_status claim_name(struct db *db, const struct name_claims *nc, const char *key,
                                    const char *owner, bson_error_t *e)
{
    for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        bson_t doc = BSON_INITIALIZER;
        name_claim_doc(&doc, nc, key, owner);
        enum store_status s = store_insert(db_collection(db, nc->collection), &doc, e);
        bson_destroy(&doc);
        if (s != STORE_DUPLICATE)
            return s;
        char holder[GUID_STRING_SIZE];
        int64_t claimed_at = 0;
        bson_t held = BSON_INITIALIZER;
        s = claimed(db, nc, key, &held, holder, &claimed_at, e);
        bson_destroy(&held);
        if (s != STORE_NOT_FOUND)
            return s == STORE_OK ? STORE_DUPLICATE : s;
        if (!holder[0])
            continue; /* given back meanwhile: insert again */
        if (clock_wall_ms() - claimed_at < STALE_CLAIM_MS)
            return STORE_DUPLICATE;
        /* Stale: remove exactly that claim (not one taken since) and retry. */
        s = drop_claim(db, nc, key, holder, e);
        if (s != STORE_OK)
            return s;
    }
    return STORE_DUPLICATE;
}

/* Give a claim back after a failed creation; a claim left behind goes stale. */
static void release_name(struct db *db, const struct name_claims *nc, const char *key,
                         const char *owner)
{
    bson_error_t ignored;
    drop_claim(db, nc, key, owner, &ignored);
}

/* By name: the claim, then the document it names if that carries the name. */
static enum store_status find_by_name(struct db *db, const struct name_claims *nc,
                                      const char *name, bson_t *doc, bson_error_t *e)
{
    char key[NAME_SIZE], holder[GUID_STRING_SIZE];
    int64_t claimed_at;
    lower_name(name, key);
    return claimed(db, nc, key, doc, holder, &claimed_at, e);
}

/* --- game users ------------------------------------------------------------- */

enum store_status store_game_user_create(struct db *db, const char *name, const char *email,
                                         const char *password_hash, struct game_user *out,
                                         bson_error_t *e)
{
    char id[GUID_STRING_SIZE], lower[NAME_SIZE], stamp[TOKEN_STAMP_SIZE];
    guid_generate(id);
    lower_name(name, lower);
    enum store_status s = claim_name(db, &user_names, lower, id, e);
    if (s != STORE_OK)
        return s;
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
    s = store_insert(db_collection(db, GAME_USERS), &doc, e);
    if (s == STORE_OK)
        store_game_user_from_doc(&doc, out);
    else
        release_name(db, &user_names, lower, id);
    bson_destroy(&doc);
    return s;
}

enum store_status store_game_user_get(struct db *db, const char *id, struct game_user *out,
                                      bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = get_by_id(db, GAME_USERS, id, &doc, e);
    if (s == STORE_OK)
        store_game_user_from_doc(&doc, out);
    bson_destroy(&doc);
    return s;
}

enum store_status store_game_user_find_by_name(struct db *db, const char *name,
                                               struct game_user *out, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = find_by_name(db, &user_names, name, &doc, e);
    if (s == STORE_OK)
        store_game_user_from_doc(&doc, out);
    bson_destroy(&doc);
    return s;
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

enum store_status store_game_user_revoke_tokens(struct db *db, const char *id, bson_error_t *e)
{
    bson_t set = BSON_INITIALIZER;
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

/* --- players ---------------------------------------------------------------- */

static void user_player_key(const char *user_id, const char *player_id, char out[KEY_SIZE * 2])
{
    snprintf(out, KEY_SIZE * 2, "%s/%s", user_id, player_id);
}

static void online_key(const char *name, const char *player_id, char out[KEY_SIZE])
{
    char lower[NAME_SIZE];
    lower_name(name, lower);
    snprintf(out, KEY_SIZE, "%s/%s", lower, player_id);
}

static enum store_status delete_by_id(struct db *db, const char *collection, const char *id,
                                      bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    enum store_status s = store_delete(db_collection(db, collection), &filter, false, NULL, e);
    bson_destroy(&filter);
    return s;
}

enum store_status store_player_create(struct db *db, const char *user_id, const char *name,
                                      const char *map_id, int64_t x, int64_t y,
                                      struct player *out, bson_error_t *e)
{
    char id[GUID_STRING_SIZE], lower[NAME_SIZE], owned[KEY_SIZE * 2];
    guid_generate(id);
    lower_name(name, lower);
    enum store_status s = claim_name(db, &player_names, lower, id, e);
    if (s != STORE_OK)
        return s;
    /* The owner's claim before the player: a player never lacks it, and a
     * claim whose player never appeared is skipped by every reader. */
    user_player_key(user_id, id, owned);
    bson_t claim = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&claim, "_id", owned);
    BSON_APPEND_DATE_TIME(&claim, "created_at", clock_wall_ms());
    s = store_insert(db_collection(db, USER_PLAYERS), &claim, e);
    bson_destroy(&claim);
    if (s != STORE_OK) {
        release_name(db, &player_names, lower, id);
        return s;
    }
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
    s = store_insert(db_collection(db, PLAYERS), &doc, e);
    if (s == STORE_OK) {
        store_player_from_doc(&doc, out);
    } else {
        bson_error_t ignored;
        delete_by_id(db, USER_PLAYERS, owned, &ignored);
        release_name(db, &player_names, lower, id);
    }
    bson_destroy(&doc);
    return s;
}

enum store_status store_player_get(struct db *db, const char *id, struct player *out,
                                   bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = get_by_id(db, PLAYERS, id, &doc, e);
    if (s == STORE_OK)
        store_player_from_doc(&doc, out);
    bson_destroy(&doc);
    return s;
}

enum store_status store_player_find_by_name(struct db *db, const char *name, struct player *out,
                                            bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = find_by_name(db, &player_names, name, &doc, e);
    if (s == STORE_OK)
        store_player_from_doc(&doc, out);
    bson_destroy(&doc);
    return s;
}

/* The contract of game.h: the claim before the flag when going online, the
 * flag before the claim when going offline. */
enum store_status store_player_set_presence(struct db *db, const struct player *p, bool online,
                                            const char *ip, bson_error_t *e)
{
    char key[KEY_SIZE];
    online_key(p->name, p->id, key);
    enum store_status s;
    if (online) {
        bson_t claim = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&claim, "_id", key);
        BSON_APPEND_UTF8(&claim, "player_id", p->id);
        BSON_APPEND_DATE_TIME(&claim, "created_at", clock_wall_ms());
        const bson_t *docs[] = {&claim};
        s = store_insert_claims(db_collection(db, ONLINE_PLAYERS), docs, 1, e);
        bson_destroy(&claim);
        if (s != STORE_OK)
            return s;
    }
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    BSON_APPEND_UTF8(&filter, "_id", p->id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_BOOL(&set, "online", online);
    if (online && ip && *ip)
        BSON_APPEND_UTF8(&set, "connection_ip", ip);
    else
        BSON_APPEND_NULL(&set, "connection_ip");
    bson_append_document_end(&update, &set);
    s = store_update_one(db_collection(db, PLAYERS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    if (!online) {
        if (s == STORE_OK || s == STORE_NOT_FOUND) {
            enum store_status d = delete_by_id(db, ONLINE_PLAYERS, key, e);
            if (d != STORE_OK)
                return d;
        }
        return s;
    }
    if (s != STORE_OK || !ip || !*ip)
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

/* A growable list of player ids. */
struct id_list {
    char (*ids)[GUID_STRING_SIZE];
    size_t n, cap;
};

static void id_list_push(struct id_list *l, const char *id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->ids = mem_realloc(l->ids, l->cap * sizeof *l->ids);
    }
    copy_string(l->ids[l->n++], GUID_STRING_SIZE, id);
}

/* The part of a claim's _id after its last '/': the player's id. */
static const char *key_player(const char *key)
{
    const char *slash = strrchr(key, '/');
    return slash ? slash + 1 : key;
}

static bool collect_owned(const bson_t *doc, void *ctx)
{
    char key[KEY_SIZE * 2];
    if (doc_string(doc, "_id", key, sizeof key))
        id_list_push(ctx, key_player(key));
    return true;
}

/* The players with these ids (any order, missing ones left out): one $in
 * query per BATCH ids. *out malloc'ed (free it, also on error). */
static enum store_status players_by_ids(struct db *db, char (*ids)[GUID_STRING_SIZE], size_t n,
                                        struct player **out, size_t *n_out, bson_error_t *e)
{
    *out = NULL;
    *n_out = 0;
    enum store_status s = STORE_OK;
    for (size_t start = 0; start < n && s == STORE_OK; start += BATCH) {
        size_t end = start + BATCH < n ? start + BATCH : n;
        bson_t filter = BSON_INITIALIZER;
        struct store_in in;
        store_in_begin(&filter, &in);
        for (size_t i = start; i < end; i++)
            store_in_utf8(&in, ids[i]);
        store_in_end(&filter, &in);
        void *items;
        size_t got;
        s = store_collect(db_collection(db, PLAYERS), &filter, NULL, sizeof **out, fill_player,
                          &items, &got, e);
        bson_destroy(&filter);
        if (got) {
            *out = mem_realloc(*out, (*n_out + got) * sizeof **out);
            memcpy(*out + *n_out, items, got * sizeof **out);
            *n_out += got;
        }
        free(items);
    }
    return s;
}

static int by_name(const void *a, const void *b)
{
    const struct player *p = a, *q = b;
    char x[NAME_SIZE], y[NAME_SIZE];
    lower_name(p->name, x);
    lower_name(q->name, y);
    int c = strcmp(x, y);
    return c ? c : strcmp(p->id, q->id);
}

enum store_status store_players_of_user(struct db *db, const char *user_id, struct player **out,
                                        size_t *n, bson_error_t *e)
{
    char prefix[GUID_STRING_SIZE + 1];
    snprintf(prefix, sizeof prefix, "%s/", user_id);
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "_id", 1);
    struct id_list owned = {NULL, 0, 0};
    *out = NULL;
    *n = 0;
    enum store_status s = store_prefix_each(db_collection(db, USER_PLAYERS), prefix, &projection,
                                            false, 0, collect_owned, &owned, e);
    bson_destroy(&projection);
    if (s == STORE_OK)
        s = players_by_ids(db, owned.ids, owned.n, out, n, e);
    free(owned.ids);
    /* A claim whose player never appeared names nobody; keep only the user's. */
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*out)[i].user_id, user_id) == 0)
            (*out)[kept++] = (*out)[i];
    *n = kept;
    if (kept > 1)
        qsort(*out, kept, sizeof **out, by_name);
    return s;
}

/*
 * The online listing walks online_players in _id order, name first, so in
 * name order. Every key starts with a lower-cased name of letters and
 * digits: the range ["", "\x7f") holds them all. Each batch of claims is
 * checked against its players (one $in query): a claim whose player is
 * offline (left by a writer that died half-way, see the contract) or
 * missing counts nowhere. Total and the page therefore cost one range
 * query and one $in query per BATCH players online: they grow with the
 * players online, never with all players.
 */
#define ONLINE_FIRST ""
#define ONLINE_END "\x7f"

struct online_page {
    int64_t skip, limit;
    int64_t seen;            /* online players counted so far */
    struct player *out;
    size_t n;
};

/* Claims keys[0..n) of one batch against their players, in key order. */
static void count_online(struct online_page *page, char (*keys)[KEY_SIZE], size_t n,
                         const struct player *players, size_t n_players)
{
    for (size_t i = 0; i < n; i++) {
        const char *id = key_player(keys[i]);
        const struct player *p = NULL;
        for (size_t j = 0; j < n_players && !p; j++)
            if (strcmp(players[j].id, id) == 0)
                p = &players[j];
        char expected[KEY_SIZE];
        if (!p || !p->online)
            continue;
        online_key(p->name, p->id, expected);
        if (strcmp(expected, keys[i]) != 0)
            continue; /* a claim under a name the player no longer has */
        if (page->seen >= page->skip && (int64_t)page->n < page->limit)
            page->out[page->n++] = *p;
        page->seen++;
    }
}

struct key_batch {
    char (*keys)[KEY_SIZE];
    char (*ids)[GUID_STRING_SIZE];
    size_t n;                /* claims kept */
    size_t seen;             /* documents read */
    char *last;              /* the last _id read, whole (malloc'ed) */
};

static bool collect_online(const bson_t *doc, void *ctx)
{
    struct key_batch *b = ctx;
    bson_iter_t it;
    b->seen++;
    if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
        return true;
    uint32_t len;
    const char *key = bson_iter_utf8(&it, &len);
    free(b->last);
    b->last = mem_strdup(key);
    if (len < KEY_SIZE && b->n < BATCH) { /* longer: no key of ours */
        copy_string(b->keys[b->n], KEY_SIZE, key);
        copy_string(b->ids[b->n], GUID_STRING_SIZE, key_player(key));
        b->n++;
    }
    return true;
}

enum store_status store_players_online(struct db *db, int64_t skip, int64_t limit,
                                       struct player **out, size_t *n, int64_t *total,
                                       bson_error_t *e)
{
    struct online_page page = {skip, limit, 0, NULL, 0};
    page.out = mem_calloc(limit > 0 ? (size_t)limit : 1, sizeof *page.out);
    struct key_batch batch = {mem_calloc(BATCH, KEY_SIZE), mem_calloc(BATCH, GUID_STRING_SIZE), 0, 0,
                              NULL};
    enum store_status s = STORE_OK;
    for (;;) {
        bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, range, sort, projection;
        BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
        BSON_APPEND_UTF8(&range, batch.last ? "$gt" : "$gte", batch.last ? batch.last : ONLINE_FIRST);
        BSON_APPEND_UTF8(&range, "$lt", ONLINE_END);
        bson_append_document_end(&filter, &range);
        BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
        BSON_APPEND_INT32(&sort, "_id", 1);
        bson_append_document_end(&opts, &sort);
        BSON_APPEND_INT64(&opts, "limit", BATCH);
        BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
        BSON_APPEND_INT32(&projection, "_id", 1);
        bson_append_document_end(&opts, &projection);
        batch.n = 0;
        batch.seen = 0;
        s = store_each(db_collection(db, ONLINE_PLAYERS), &filter, &opts, collect_online, &batch, e);
        bson_destroy(&filter);
        bson_destroy(&opts);
        if (s != STORE_OK)
            break;
        if (batch.n) {
            struct player *players;
            size_t n_players;
            s = players_by_ids(db, batch.ids, batch.n, &players, &n_players, e);
            if (s == STORE_OK)
                count_online(&page, batch.keys, batch.n, players, n_players);
            free(players);
        }
        if (s != STORE_OK || batch.seen < BATCH || !batch.last)
            break;
    }
    free(batch.keys);
    free(batch.ids);
    free(batch.last);
    *out = page.out;
    *n = page.n;
    *total = page.seen;
    return s;
}

/* --- backfill ----------------------------------------------------------------- */

#define BACKFILL_BATCH 512

/*
 * Claims of names for the documents of one batch: keys[i] for owners[i].
 * Inserted with duplicates ignored, then read back (one $in query): a
 * claim that names another document is a leftover of a creation that
 * failed (the unique name_lower index lets only owners[i] carry the name).
 */
struct held_claims {
    const struct name_claims *nc;
    char (*keys)[NAME_SIZE];
    char (*owners)[GUID_STRING_SIZE];
    size_t n;
    bool *right;             /* right[i]: the claim on keys[i] names owners[i] */
};

static bool check_held(const bson_t *doc, void *ctx)
{
    struct held_claims *h = ctx;
    char key[NAME_SIZE], holder[GUID_STRING_SIZE];
    doc_string(doc, "_id", key, sizeof key);
    doc_string(doc, h->nc->owner_field, holder, sizeof holder);
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->keys[i], key) == 0 && strcmp(h->owners[i], holder) == 0)
            h->right[i] = true;
    return true;
}

static enum store_status backfill_names(struct db *db, const struct name_claims *nc,
                                        char (*keys)[NAME_SIZE],
                                        char (*owners)[GUID_STRING_SIZE], size_t n,
                                        bson_error_t *e)
{
    if (n == 0)
        return STORE_OK;
    bson_t *docs = mem_calloc(n, sizeof *docs);
    const bson_t **ptrs = mem_calloc(n, sizeof *ptrs);
    bool *right = mem_calloc(n, sizeof *right);
    bson_t filter = BSON_INITIALIZER;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = 0; i < n; i++) {
        bson_init(&docs[i]);
        name_claim_doc(&docs[i], nc, keys[i], owners[i]);
        ptrs[i] = &docs[i];
        store_in_utf8(&in, keys[i]);
    }
    store_in_end(&filter, &in);
    mongoc_collection_t *c = db_collection(db, nc->collection);
    enum store_status s = store_insert_claims(c, ptrs, n, e);
    struct held_claims held = {nc, keys, owners, n, right};
    if (s == STORE_OK)
        s = store_each(c, &filter, NULL, check_held, &held, e);
    for (size_t i = 0; i < n && s == STORE_OK; i++) {
        if (right[i])
            continue;
        /* As a creation would: a leftover claim is replaced once stale, a
         * young one (a creation under way, which the unique index will
         * refuse) is left alone. */
        s = claim_name(db, nc, keys[i], owners[i], e);
        if (s == STORE_DUPLICATE)
            s = STORE_OK;
    }
    bson_destroy(&filter);
    for (size_t i = 0; i < n; i++)
        bson_destroy(&docs[i]);
    free(docs);
    free(ptrs);
    free(right);
    return s;
}

/* Names and owners of one batch, for backfill_names. */
struct name_batch {
    char (*keys)[NAME_SIZE];
    char (*owners)[GUID_STRING_SIZE];
};

static void name_batch_init(struct name_batch *b)
{
    b->keys = mem_calloc(BACKFILL_BATCH, NAME_SIZE);
    b->owners = mem_calloc(BACKFILL_BATCH, GUID_STRING_SIZE);
}

static void name_batch_free(struct name_batch *b)
{
    free(b->keys);
    free(b->owners);
}

static enum store_status game_users_batch(struct db *db, bson_t **docs, size_t n, void *ctx,
                                          bson_error_t *e)
{
    struct name_batch *b = ctx;
    for (size_t i = 0; i < n; i++) {
        doc_name_lower(docs[i], b->keys[i]);
        doc_string(docs[i], "_id", b->owners[i], GUID_STRING_SIZE);
    }
    return backfill_names(db, &user_names, b->keys, b->owners, n, e);
}

enum store_status store_game_users_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    struct name_batch b;
    name_batch_init(&b);
    enum store_status s =
        store_walk(db, GAME_USERS, NULL, BACKFILL_BATCH, game_users_batch, &b, written, e);
    name_batch_free(&b);
    return s;
}

/* A player's claims: its owner's (user_players) and, online, the listing's. */
static enum store_status players_batch(struct db *db, bson_t **docs, size_t n, void *ctx,
                                       bson_error_t *e)
{
    struct name_batch *b = ctx;
    bson_t owned[BACKFILL_BATCH], online[BACKFILL_BATCH];
    const bson_t *owned_ptrs[BACKFILL_BATCH], *online_ptrs[BACKFILL_BATCH];
    size_t n_online = 0;
    for (size_t i = 0; i < n; i++) {
        struct player p;
        store_player_from_doc(docs[i], &p);
        doc_name_lower(docs[i], b->keys[i]);
        copy_string(b->owners[i], GUID_STRING_SIZE, p.id);
        char key[KEY_SIZE * 2];
        user_player_key(p.user_id, p.id, key);
        bson_init(&owned[i]);
        BSON_APPEND_UTF8(&owned[i], "_id", key);
        BSON_APPEND_DATE_TIME(&owned[i], "created_at", clock_wall_ms());
        owned_ptrs[i] = &owned[i];
        if (p.online) {
            online_key(p.name, p.id, key);
            bson_init(&online[n_online]);
            BSON_APPEND_UTF8(&online[n_online], "_id", key);
            BSON_APPEND_UTF8(&online[n_online], "player_id", p.id);
            BSON_APPEND_DATE_TIME(&online[n_online], "created_at", clock_wall_ms());
            online_ptrs[n_online] = &online[n_online];
            n_online++;
        }
    }
    enum store_status s = backfill_names(db, &player_names, b->keys, b->owners, n, e);
    if (s == STORE_OK)
        s = store_insert_claims(db_collection(db, USER_PLAYERS), owned_ptrs, n, e);
    if (s == STORE_OK)
        s = store_insert_claims(db_collection(db, ONLINE_PLAYERS), online_ptrs, n_online, e);
    for (size_t i = 0; i < n; i++)
        bson_destroy(&owned[i]);
    for (size_t i = 0; i < n_online; i++)
        bson_destroy(&online[i]);
    return s;
}

enum store_status store_players_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    struct name_batch b;
    name_batch_init(&b);
    enum store_status s = store_walk(db, PLAYERS, NULL, BACKFILL_BATCH, players_batch, &b, written, e);
    name_batch_free(&b);
    return s;
}
