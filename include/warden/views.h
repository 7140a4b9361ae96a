/*
 * views: the JSON shapes of stored objects, as the specs define them
 * (shared/spec/chat-admin.md, "Objects"). Handlers render through these so
 * one object always looks the same on every route.
 */
#ifndef WARDEN_VIEWS_H
#define WARDEN_VIEWS_H

#include "warden/jsonw.h"
#include "warden/store/users.h"

/** Public user: id, username, discriminator, avatar, flags, public_flags, bot, bio, accent_color, premium. */
void view_user_public(struct jsonw *w, const struct user *u);
/** Secure user (GET /users/@me): public + email, verified, mfa_enabled, mobile, phone, premium_type. */
void view_user_secure(struct jsonw *w, const struct user *u);

#endif
