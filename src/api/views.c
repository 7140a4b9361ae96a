/*
 * views: JSON renderings of stored objects (see include/warden/views.h).
 */
#include "warden/views.h"

static void user_fields(struct jsonw *w, const struct user *u)
{
    jsonw_key(w, "id");
    jsonw_id(w, u->id);
    jsonw_kv_string(w, "username", u->username);
    jsonw_kv_string(w, "discriminator", u->discriminator);
    jsonw_key(w, "avatar");
    jsonw_string_or_null(w, u->avatar[0] ? u->avatar : NULL);
    jsonw_kv_int(w, "flags", u->flags);
    jsonw_kv_int(w, "public_flags", u->flags);
    jsonw_kv_bool(w, "bot", u->bot);
    jsonw_kv_string(w, "bio", u->bio);
    jsonw_key(w, "accent_color");
    if (u->accent_color >= 0)
        jsonw_int(w, u->accent_color);
    else
        jsonw_null(w);
    jsonw_kv_bool(w, "premium", u->premium);
}

void view_user_public(struct jsonw *w, const struct user *u)
{
    jsonw_object_begin(w);
    user_fields(w, u);
    jsonw_object_end(w);
}

void view_user_secure(struct jsonw *w, const struct user *u)
{
    jsonw_object_begin(w);
    user_fields(w, u);
    jsonw_key(w, "email");
    jsonw_string_or_null(w, u->email[0] ? u->email : NULL);
    jsonw_kv_bool(w, "verified", u->verified);
    jsonw_kv_bool(w, "mfa_enabled", u->mfa_enabled);
    jsonw_kv_bool(w, "mobile", false);
    jsonw_kv_null(w, "phone");
    jsonw_kv_null(w, "premium_type");
    jsonw_object_end(w);
}
