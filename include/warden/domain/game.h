/*
 * domain/game: the game's accounts and characters: lookups, what admins
 * read, and the operator's mutations (accounts, rights, passwords,
 * characters, presence as the game server writes it).
 *
 * A lookup key is a GUID or a name (names case-insensitively). NOT_FOUND
 * results carry no message: the API words them with the key the caller sent.
 *
 * Records: game_user.create, game_user.rights {rights before/after},
 * game_user.password, player.create, player.presence. A rights or password
 * change also revokes the user's refresh tokens (and, through the security
 * stamp, its access tokens).
 */
#ifndef WARDEN_DOMAIN_GAME_H
#define WARDEN_DOMAIN_GAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/domain/domain.h"
#include "warden/store/game.h"
#include "warden/store/sanctions.h"

/* A lookup key: exactly one of id (a canonical GUID) and name is set. */
struct game_key {
    const char *id;
    const char *name;
};

bool game_find_user(const struct domain *d, const struct game_key *key, struct game_user *out,
                    struct domain_result *r);
bool game_find_player(const struct domain *d, const struct game_key *key, struct player *out,
                      struct domain_result *r);

/* The active ban and mute of a user. */
struct game_sanctions {
    struct sanction ban, mute;
    bool banned, muted;
};

bool game_active_sanctions(const struct domain *d, const char *user_id, struct game_sanctions *out,
                           struct domain_result *r);
/** The user's characters ordered by name; *out lives in d->arena. */
bool game_players_of(const struct domain *d, const char *user_id, struct player **out, size_t *n,
                     struct domain_result *r);
/** A page of online characters and how many are online; *out lives in d->arena. */
bool game_players_online(const struct domain *d, int64_t skip, int64_t limit, struct player **out,
                         size_t *n, int64_t *total, struct domain_result *r);

/**
 * Create an account (name and email already valid). The password is the
 * plaintext; it is stored as the game client sends it (SHA-256 hex), then
 * hashed. REFUSED when the name is taken.
 */
bool game_account_create(const struct domain *d, const char *name, const char *email,
                         const char *password, struct game_user *out, struct domain_result *r);
/** Grant the bits of grant and revoke those of revoke; out is the user after. */
bool game_change_rights(const struct domain *d, const struct game_key *key, unsigned grant,
                        unsigned revoke, struct game_user *out, struct domain_result *r);
/** Replace the password (plaintext, as for game_account_create). */
bool game_set_password(const struct domain *d, const struct game_key *key, const char *password,
                       struct game_user *out, struct domain_result *r);
/** Create a character of the user. REFUSED when the name is taken. */
bool game_player_create(const struct domain *d, const struct game_key *owner, const char *name,
                        const char *map_id, int64_t x, int64_t y, struct player *out,
                        struct domain_result *r);
/** Presence as the game server writes it; ip NULL for none. */
bool game_player_presence(const struct domain *d, const struct game_key *key, bool online,
                          const char *ip, struct player *out, struct domain_result *r);

#endif
