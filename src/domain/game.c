/*
 * domain/game: game accounts and characters (see include/warden/domain/game.h).
 */
#include "warden/domain/game.h"

#include <stdio.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/domain/journal.h"
#include "warden/password.h"
#include "warden/store/game_tokens.h"
#include "warden/mem.h"
#include "warden/clock.h"

static bool found(enum store_status s, const bson_error_t *e, struct domain_result *r)
{
    if (s == STORE_OK)
        return domain_ok(r);
    if (s == STORE_NOT_FOUND)
        return domain_not_found(r, 0, NULL);
    return domain_store_error(r, e);
}

bool game_find_user(const struct domain *d, const struct game_key *key, struct game_user *out,
                    struct domain_result *r)
{
    bson_error_t e;
    return found(key->name ? store_game_user_find_by_name(d->db, key->name, out, &e)
                           : store_game_user_get(d->db, key->id, out, &e),
                 &e, r);
}

bool game_find_player(const struct domain *d, const struct game_key *key, struct player *out,
                      struct domain_result *r)
{
    bson_error_t e;
    return found(key->name ? store_player_find_by_name(d->db, key->name, out, &e)
                           : store_player_get(d->db, key->id, out, &e),
                 &e, r);
}

bool game_active_sanctions(const struct domain *d, const char *user_id, struct game_sanctions *out,
                           struct domain_result *r)
{
    int64_t now = clock_wall_ms();
    bson_error_t e;
    enum store_status b = store_sanction_get_active(d->db, user_id, SANCTION_BAN, now, &out->ban, &e);
    if (b == STORE_ERROR)
        return domain_store_error(r, &e);
    enum store_status m = store_sanction_get_active(d->db, user_id, SANCTION_MUTE, now, &out->mute, &e);
    if (m == STORE_ERROR)
        return domain_store_error(r, &e);
    out->banned = b == STORE_OK;
    out->muted = m == STORE_OK;
    return domain_ok(r);
}

bool game_players_of(const struct domain *d, const char *user_id, struct player **out, size_t *n,
                     struct domain_result *r)
{
    bson_error_t e;
    *out = NULL;
    *n = 0;
    enum store_status s = store_players_of_user(d->db, user_id, out, n, &e);
    arena_own(d->arena, *out);
    return s == STORE_OK ? domain_ok(r) : domain_store_error(r, &e);
}

bool game_players_online(const struct domain *d, int64_t skip, int64_t limit, struct player **out,
                         size_t *n, int64_t *total, struct domain_result *r)
{
    bson_error_t e;
    *out = NULL;
    enum store_status s = store_players_online(d->db, skip, limit, out, n, total, &e);
    arena_own(d->arena, *out);
    return s == STORE_OK ? domain_ok(r) : domain_store_error(r, &e);
}

/* The game client's step: SHA-256 hex of the plaintext, then Argon2id. */
static bool game_password_hash(const char *plaintext, char hash[PASSWORD_HASH_SIZE],
                               struct domain_result *r)
{
    char digest[65];
    password_sha256_hex(plaintext, strlen(plaintext), digest);
    int rc = password_hash(digest, 64, hash);
    mem_wipe(digest, sizeof digest);
    if (rc == 0)
        return true;
    return domain_internal(r, "password hashing failed (out of memory)");
}

static void append_rights(bson_t *doc, unsigned rights)
{
    bson_t list;
    BSON_APPEND_ARRAY_BEGIN(doc, "rights", &list);
    uint32_t i = 0;
    for (unsigned bit = 1; bit <= RIGHT_USER_MANAGE; bit <<= 1) {
        if (!(rights & bit))
            continue;
        char index[16];
        const char *k;
        bson_uint32_to_string(i++, &k, index, sizeof index);
        BSON_APPEND_UTF8(&list, k, store_game_right_name(bit));
    }
    bson_append_array_end(doc, &list);
}

bool game_account_create(const struct domain *d, const char *name, const char *email,
                         const char *password, struct game_user *out, struct domain_result *r)
{
    char hash[PASSWORD_HASH_SIZE];
    if (!game_password_hash(password, hash, r))
        return false;
    bson_error_t e;
    enum store_status s = store_game_user_create(d->db, name, email, hash, out, &e);
    if (s == STORE_DUPLICATE)
        return domain_fail(r, DOMAIN_REFUSED,
                           arena_printf(d->arena, "the name '%s' is taken", name));
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&after, "name", out->name);
    append_rights(&after, out->rights);
    bool recorded = journal_audit(d, "game_user.create", "user", out->id, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}

bool game_change_rights(const struct domain *d, const struct game_key *key, unsigned grant,
                        unsigned revoke, struct game_user *out, struct domain_result *r)
{
    if (!game_find_user(d, key, out, r))
        return false;
    unsigned rights = (out->rights & ~revoke) | grant;
    bson_error_t e;
    enum store_status s = store_game_user_set_rights(d->db, out->id, rights, &e);
    if (s == STORE_OK)
        s = store_refresh_tokens_revoke(d->db, out->id, &e);
    if (s != STORE_OK)
        return found(s, &e, r); /* NOT_FOUND: deleted meanwhile */
    bson_t before = BSON_INITIALIZER, after = BSON_INITIALIZER;
    append_rights(&before, out->rights);
    append_rights(&after, rights);
    bool recorded = journal_audit(d, "game_user.rights", "user", out->id, &before, &after, r);
    bson_destroy(&before);
    bson_destroy(&after);
    out->rights = rights;
    return recorded;
}

bool game_set_password(const struct domain *d, const struct game_key *key, const char *password,
                       struct game_user *out, struct domain_result *r)
{
    if (!game_find_user(d, key, out, r))
        return false;
    char hash[PASSWORD_HASH_SIZE];
    if (!game_password_hash(password, hash, r))
        return false;
    bson_error_t e;
    enum store_status s = store_game_user_set_password(d->db, out->id, hash, &e);
    if (s == STORE_OK)
        s = store_refresh_tokens_revoke(d->db, out->id, &e);
    if (s != STORE_OK)
        return found(s, &e, r); /* NOT_FOUND: deleted meanwhile */
    return journal_audit(d, "game_user.password", "user", out->id, NULL, NULL, r);
}

bool game_player_create(const struct domain *d, const struct game_key *owner, const char *name,
                        const char *map_id, int64_t x, int64_t y, struct player *out,
                        struct domain_result *r)
{
    struct game_user u;
    if (!game_find_user(d, owner, &u, r))
        return false;
    bson_error_t e;
    enum store_status s = store_player_create(d->db, u.id, name, map_id, x, y, out, &e);
    if (s == STORE_DUPLICATE)
        return domain_fail(r, DOMAIN_REFUSED,
                           arena_printf(d->arena, "the player name '%s' is taken", name));
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&after, "name", out->name);
    BSON_APPEND_UTF8(&after, "user_id", out->user_id);
    BSON_APPEND_UTF8(&after, "map_id", out->map_id);
    BSON_APPEND_INT64(&after, "x", out->x);
    BSON_APPEND_INT64(&after, "y", out->y);
    bool recorded = journal_audit(d, "player.create", "player", out->id, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}

bool game_player_presence(const struct domain *d, const struct game_key *key, bool online,
                          const char *ip, struct player *out, struct domain_result *r)
{
    if (!game_find_player(d, key, out, r))
        return false;
    bson_error_t e;
    if (store_player_set_presence(d->db, out, online, ip, &e) == STORE_ERROR)
        return domain_store_error(r, &e);
    bson_t before = BSON_INITIALIZER, after = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&before, "online", out->online);
    BSON_APPEND_BOOL(&after, "online", online);
    if (online && ip)
        BSON_APPEND_UTF8(&after, "ip", ip);
    bool recorded = journal_audit(d, "player.presence", "player", out->id, &before, &after, r);
    bson_destroy(&before);
    bson_destroy(&after);
    out->online = online;
    return recorded;
}
