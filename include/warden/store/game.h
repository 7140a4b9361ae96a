/*
 * store/game: the game realm's accounts and characters, in their own
 * collections apart from the chat users. The game server shares these
 * documents: it writes presence (online, connection_ip, position) into
 * players and last_ip into game_users, following the contract below.
 *
 * game_users:      {_id: guid, name, name_lower (unique), email, password_hash
 *                   (Argon2id of the client's SHA-256 hex), rights: ["Api", ...],
 *                   security_stamp, registered_at (date), last_ip (string|null)}
 * players:         {_id: guid, name, name_lower (unique), user_id (guid), map_id
 *                   (guid), x, y, online (bool), connection_ip (string|null),
 *                   created_at (date)}
 *
 * Every lookup is by _id (see store.h, Keys): by name and by owner through
 * claims, written by insert before the document they point at.
 *
 * game_user_names: {_id: name_lower, user_id, created_at}
 * player_names:    {_id: name_lower, player_id, created_at}
 *     The name's claim: a duplicate key on insert means the name is taken
 *     (the unique name_lower indexes stay as a second guard). A claim is
 *     believed only when the document it names carries that name_lower; one
 *     whose document never appeared is taken over after a minute.
 * user_players:    {_id: "<user guid>/<player guid>", created_at}
 *     A user's characters: a prefix range on "<user guid>/".
 * online_players:  {_id: "<name_lower>/<player guid>", player_id, created_at}
 *     The characters online, in name order: the listing walks these keys.
 *     A claim is believed only while its player says online: true.
 *
 * Presence contract (for the game server; see README). Whoever writes
 * presence keeps the online flag and the online_players claim together,
 * in this order, so that a crash between the two steps leaves at worst a
 * claim of a player who is offline, which every reader skips:
 *   - going online:  insert {_id: "<name_lower>/<player guid>", player_id:
 *     "<player guid>", created_at: <now>} into online_players (a duplicate
 *     key error means it is there already: fine), then $set online: true
 *     and connection_ip on the player (and last_ip on its game user);
 *   - going offline: $set online: false, connection_ip: null on the player,
 *     then delete online_players {_id: "<name_lower>/<player guid>"};
 *   - on start-up, after a crash of the game server: walk online_players
 *     and set each of its players offline as above (never filter players
 *     on online: true, which reads every player).
 * store_player_set_presence does exactly this (wardenctl game-presence).
 */
#ifndef WARDEN_STORE_GAME_H
#define WARDEN_STORE_GAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/guid.h"
#include "warden/password.h"
#include "warden/store.h"
#include "warden/token.h"

/* Rights. The first four are the game powers whose sum is a user's authority
 * score (Editor 1 + Mute 2 + Kick 4 + Ban 8). */
#define RIGHT_EDITOR 1u
#define RIGHT_MUTE 2u
#define RIGHT_KICK 4u
#define RIGHT_BAN 8u
#define RIGHT_API 16u
#define RIGHT_USER_QUERY 32u
#define RIGHT_USER_MANAGE 64u
#define RIGHT_POWERS (RIGHT_EDITOR | RIGHT_MUTE | RIGHT_KICK | RIGHT_BAN)

/** Parse a right's name ("Editor", "UserQuery", case-insensitive); 0 when unknown. */
unsigned store_game_right_parse(const char *name);
/** The name of a single right bit. */
const char *store_game_right_name(unsigned right);

struct game_user {
    char id[GUID_STRING_SIZE];
    char name[32];
    char email[256];
    char password_hash[PASSWORD_HASH_SIZE];
    unsigned rights;
    char stamp[TOKEN_STAMP_SIZE];
    char last_ip[64];             /* "" = none */
    int64_t registered_at;        /* ms */
};

struct player {
    char id[GUID_STRING_SIZE];
    char name[32];
    char user_id[GUID_STRING_SIZE];
    char map_id[GUID_STRING_SIZE];
    int64_t x, y;
    bool online;
    char connection_ip[64];       /* "" = none */
};

/**
 * Create a game user (name must be valid; rights none): the name's claim
 * first, then the user, and the claim given back if the user is not
 * stored. STORE_DUPLICATE: name taken.
 */
enum store_status store_game_user_create(struct db *db, const char *name, const char *email,
                                         const char *password_hash, struct game_user *out,
                                         bson_error_t *e);
/** By _id (a canonical GUID). STORE_NOT_FOUND: no such user. */
enum store_status store_game_user_get(struct db *db, const char *id, struct game_user *out,
                                      bson_error_t *e);
/**
 * By name, case-insensitively (its game_user_names claim, then the user by
 * _id). STORE_NOT_FOUND: no user has the name (or its claim points at none).
 */
enum store_status store_game_user_find_by_name(struct db *db, const char *name,
                                               struct game_user *out, bson_error_t *e);
/** Replace the rights and rotate the security stamp (revokes tokens). */
enum store_status store_game_user_set_rights(struct db *db, const char *id, unsigned rights,
                                             bson_error_t *e);
/**
 * Rotate the security stamp alone: every access and refresh token issued
 * so far stops working (a ban). STORE_NOT_FOUND: no such user.
 */
enum store_status store_game_user_revoke_tokens(struct db *db, const char *id, bson_error_t *e);
/** Replace the password hash and rotate the security stamp. */
enum store_status store_game_user_set_password(struct db *db, const char *id,
                                               const char *password_hash, bson_error_t *e);

/**
 * Create a character for user_id: the name's claim and the user_players
 * claim first, then the player (claims given back on failure).
 * STORE_DUPLICATE: name taken.
 */
enum store_status store_player_create(struct db *db, const char *user_id, const char *name,
                                      const char *map_id, int64_t x, int64_t y,
                                      struct player *out, bson_error_t *e);
/** By _id (a canonical GUID). STORE_NOT_FOUND: no such character. */
enum store_status store_player_get(struct db *db, const char *id, struct player *out,
                                   bson_error_t *e);
/**
 * By name, case-insensitively (its player_names claim, then the player by
 * _id). STORE_NOT_FOUND: no character has the name.
 */
enum store_status store_player_find_by_name(struct db *db, const char *name, struct player *out,
                                            bson_error_t *e);
/**
 * Presence as the game server writes it (the contract above): online with
 * a connection IP, or offline, with the player's online_players claim.
 * Going online also records the IP as the user's last_ip.
 */
enum store_status store_player_set_presence(struct db *db, const struct player *p, bool online,
                                            const char *ip, bson_error_t *e);

/**
 * The characters of a user ordered by name (its user_players claims, then
 * the players by _id); *out malloc'ed (free it).
 */
enum store_status store_players_of_user(struct db *db, const char *user_id, struct player **out,
                                        size_t *n, bson_error_t *e);
/**
 * A page of online characters ordered by name, and how many are online in
 * all: the online_players claims walked in _id order, each checked against
 * its player. Costs grow with the players online, never with all players.
 */
enum store_status store_players_online(struct db *db, int64_t skip, int64_t limit,
                                       struct player **out, size_t *n, int64_t *total,
                                       bson_error_t *e);

/*
 * `wardenctl migrate` steps (store_backfill): the claims of game users and
 * players stored by a release without them; idempotent.
 */
enum store_status store_game_users_backfill(struct db *db, int64_t *written, bson_error_t *e);
enum store_status store_players_backfill(struct db *db, int64_t *written, bson_error_t *e);

void store_game_user_from_doc(const bson_t *doc, struct game_user *out);
void store_player_from_doc(const bson_t *doc, struct player *out);

#endif
