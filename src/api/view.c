/*
 * view: JSON renderings of stored objects (see include/warden/view.h).
 */
#include "warden/view.h"

#include <string.h>

#include "warden/store.h"
#include "warden/doc.h"

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

enum field_shape { SHAPE_ID, SHAPE_STR, SHAPE_INT, SHAPE_BOOL };

struct shaped_field {
    const char *key;
    enum field_shape shape;
};

/* Write doc[key] in its shape; absent or null values as null. */
static void shaped_value(struct jsonw *w, const bson_t *doc, const struct shaped_field *f)
{
    jsonw_key(w, f->key);
    bson_iter_t it;
    const char *key = strcmp(f->key, "id") == 0 ? "_id" : f->key;
    if (!bson_iter_init_find(&it, doc, key) || BSON_ITER_HOLDS_NULL(&it)) {
        jsonw_null(w);
        return;
    }
    switch (f->shape) {
    case SHAPE_ID:
        jsonw_id(w, doc_int(doc, key, 0));
        break;
    case SHAPE_INT:
        jsonw_int(w, doc_int(doc, key, 0));
        break;
    case SHAPE_BOOL:
        jsonw_bool(w, doc_bool(doc, key, false));
        break;
    case SHAPE_STR:
        jsonw_bson_value(w, &it);
        break;
    }
}

static void shaped_fields(struct jsonw *w, const bson_t *doc, const struct shaped_field *fields,
                          size_t n)
{
    for (size_t i = 0; i < n; i++)
        shaped_value(w, doc, &fields[i]);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The fields of a partial guild object (domain/guilds.h builds it), in order. */
static void partial_fields(struct jsonw *w, const bson_t *partial)
{
    bson_iter_t it;
    if (!bson_iter_init(&it, partial))
        return;
    while (bson_iter_next(&it)) {
        jsonw_key(w, bson_iter_key(&it));
        jsonw_bson_value(w, &it);
    }
}

void view_guild_partial(struct jsonw *w, const bson_t *partial)
{
    jsonw_object_begin(w);
    partial_fields(w, partial);
    jsonw_object_end(w);
}

static const struct shaped_field channel_fields[] = {
    {"id", SHAPE_ID}, {"guild_id", SHAPE_ID}, {"type", SHAPE_INT}, {"name", SHAPE_STR},
    {"position", SHAPE_INT}, {"topic", SHAPE_STR}, {"nsfw", SHAPE_BOOL}, {"parent_id", SHAPE_ID},
    {"rate_limit_per_user", SHAPE_INT},
};

static const struct shaped_field role_fields[] = {
    {"id", SHAPE_ID}, {"name", SHAPE_STR}, {"permissions", SHAPE_INT}, {"position", SHAPE_INT},
    {"color", SHAPE_INT}, {"hoist", SHAPE_BOOL}, {"managed", SHAPE_BOOL}, {"mentionable", SHAPE_BOOL},
};

static void empty_array(struct jsonw *w, const char *key)
{
    jsonw_key(w, key);
    jsonw_array_begin(w);
    jsonw_array_end(w);
}

/* Each document of a BSON array through fn. */
static void each_doc(const bson_t *array, void (*fn)(struct jsonw *, const bson_t *, const void *),
                     struct jsonw *w, const void *ctx)
{
    bson_iter_t it;
    if (!array || !bson_iter_init(&it, array))
        return;
    while (bson_iter_next(&it)) {
        uint32_t len;
        const uint8_t *data;
        if (!BSON_ITER_HOLDS_DOCUMENT(&it))
            continue;
        bson_iter_document(&it, &len, &data);
        bson_t doc;
        if (bson_init_static(&doc, data, len))
            fn(w, &doc, ctx);
    }
}

static void channel_view(struct jsonw *w, const bson_t *doc, const void *ctx)
{
    (void)ctx;
    jsonw_object_begin(w);
    shaped_fields(w, doc, channel_fields, COUNT(channel_fields));
    empty_array(w, "permission_overwrites");
    jsonw_object_end(w);
}

static void role_view(struct jsonw *w, const bson_t *doc, const void *ctx)
{
    (void)ctx;
    jsonw_object_begin(w);
    shaped_fields(w, doc, role_fields, COUNT(role_fields));
    jsonw_object_end(w);
}

static void member_view(struct jsonw *w, const bson_t *doc, const void *ctx)
{
    const struct user *caller = ctx;
    jsonw_object_begin(w);
    jsonw_key(w, "user");
    if (caller && doc_int(doc, "user_id", 0) == caller->id) {
        view_user_public(w, caller);
    } else {
        jsonw_object_begin(w);
        jsonw_key(w, "id");
        jsonw_id(w, doc_int(doc, "user_id", 0));
        jsonw_object_end(w);
    }
    jsonw_key(w, "nick");
    jsonw_null(w);
    empty_array(w, "roles");
    jsonw_key(w, "joined_at");
    jsonw_date(w, doc_date(doc, "joined_at", 0));
    jsonw_kv_bool(w, "deaf", doc_bool(doc, "deaf", false));
    jsonw_kv_bool(w, "mute", doc_bool(doc, "mute", false));
    jsonw_object_end(w);
}

/* What find_joined_at looks for and where it writes what it finds. */
struct joined_search {
    int64_t user;
    int64_t *joined;
};

static void find_joined_at(struct jsonw *w, const bson_t *doc, const void *ctx)
{
    (void)w;
    const struct joined_search *find = ctx;
    if (doc_int(doc, "user_id", 0) == find->user)
        *find->joined = doc_date(doc, "joined_at", 0);
}

void view_guild_full(struct jsonw *w, const bson_t *partial, const bson_t *guild,
                     const struct user *caller, const bson_t *members, const bson_t *channels,
                     const bson_t *roles)
{
    jsonw_object_begin(w);
    partial_fields(w, partial);
    jsonw_kv_bool(w, "owner", caller && doc_int(guild, "owner_id", 0) == caller->id);
    int64_t joined = doc_date(guild, "created_at", 0);
    struct joined_search find = {caller ? caller->id : 0, &joined};
    each_doc(members, find_joined_at, w, &find);
    jsonw_key(w, "joined_at");
    jsonw_date(w, joined);
    bson_iter_t it;
    int64_t count = 0;
    if (members && bson_iter_init(&it, members))
        while (bson_iter_next(&it))
            count++;
    jsonw_kv_int(w, "member_count", count);
    jsonw_key(w, "members");
    jsonw_array_begin(w);
    each_doc(members, member_view, w, caller);
    jsonw_array_end(w);
    jsonw_key(w, "channels");
    jsonw_array_begin(w);
    each_doc(channels, channel_view, w, NULL);
    jsonw_array_end(w);
    jsonw_key(w, "roles");
    jsonw_array_begin(w);
    each_doc(roles, role_view, w, NULL);
    jsonw_array_end(w);
    empty_array(w, "presences");
    empty_array(w, "emojis");
    empty_array(w, "voice_states");
    jsonw_object_end(w);
}
