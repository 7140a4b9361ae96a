/*
 * view: the JSON shapes of stored objects, as the specs define them
 * (the README's APIs section). Handlers render through these so
 * one object always looks the same on every route.
 */
#ifndef WARDEN_VIEW_H
#define WARDEN_VIEW_H

#include <bson/bson.h>

#include "warden/jsonw.h"
#include "warden/store/users.h"

/** Public user: id, username, discriminator, avatar, flags, public_flags, bot, bio, accent_color, premium. */
void view_user_public(struct jsonw *w, const struct user *u);
/** Secure user (GET /users/@me): public + email, verified, mfa_enabled, mobile, phone, premium_type. */
void view_user_secure(struct jsonw *w, const struct user *u);

/**
 * Partial guild (admin GET/PATCH): the partial object that
 * guilds_partial (domain/guilds.h) built, the same document the gateway's
 * GUILD_UPDATE carries.
 */
void view_guild_partial(struct jsonw *w, const bson_t *partial);

/** Full guild (POST /guilds): the partial object + owner, joined_at, member_count,
 * members (with owner as user), channels, roles, presences, emojis, voice_states;
 * guild is the guilds document. */
void view_guild_full(struct jsonw *w, const bson_t *partial, const bson_t *guild,
                     const struct user *caller, const bson_t *members, const bson_t *channels,
                     const bson_t *roles);

#endif
