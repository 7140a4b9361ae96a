/*
 * store/guilds: guilds and their parts (see include/warden/store/guilds.h).
 */
#include "warden/store/guilds.h"

#include <stdio.h>
#include <string.h>

#include "warden/db.h"
#include "warden/snowflake.h"
#include "warden/util.h"

#define GUILDS "guilds"
#define FEATURES "guild_features"
#define MEMBERS "guild_members"
#define ROLES "guild_roles"
#define CHANNELS "guild_channels"

/* @everyone's default permissions (Discord's 104324673). */
#define EVERYONE_PERMISSIONS 104324673

static void append_id_or_null(bson_t *doc, const char *key, int64_t id)
{
    if (id)
        BSON_APPEND_INT64(doc, key, id);
    else
        BSON_APPEND_NULL(doc, key);
}

enum store_status store_guild_create(struct db *db, const char *name, int64_t owner_id,
                                     const char *region, bson_t *doc, bson_error_t *e)
{
    int64_t id = snowflake_next();
    int64_t channel_id = snowflake_next();
    int64_t now = clock_wall_ms();

    /* Parts first: a guild document never exists without its role, channel and owner. */
    bson_t role = BSON_INITIALIZER;
    BSON_APPEND_INT64(&role, "_id", id);
    BSON_APPEND_INT64(&role, "guild_id", id);
    BSON_APPEND_UTF8(&role, "name", "@everyone");
    BSON_APPEND_INT64(&role, "permissions", EVERYONE_PERMISSIONS);
    BSON_APPEND_INT32(&role, "position", 0);
    BSON_APPEND_INT32(&role, "color", 0);
    BSON_APPEND_BOOL(&role, "hoist", false);
    BSON_APPEND_BOOL(&role, "managed", false);
    BSON_APPEND_BOOL(&role, "mentionable", false);
    enum store_status s = store_insert(db_collection(db, ROLES), &role, e);
    bson_destroy(&role);
    if (s != STORE_OK)
        return s;

    bson_t channel = BSON_INITIALIZER;
    BSON_APPEND_INT64(&channel, "_id", channel_id);
    BSON_APPEND_INT64(&channel, "guild_id", id);
    BSON_APPEND_INT32(&channel, "type", 0);
    BSON_APPEND_UTF8(&channel, "name", "general");
    BSON_APPEND_INT32(&channel, "position", 0);
    BSON_APPEND_NULL(&channel, "topic");
    BSON_APPEND_BOOL(&channel, "nsfw", false);
    BSON_APPEND_NULL(&channel, "parent_id");
    BSON_APPEND_INT32(&channel, "rate_limit_per_user", 0);
    s = store_insert(db_collection(db, CHANNELS), &channel, e);
    bson_destroy(&channel);
    if (s != STORE_OK)
        return s;

    char member_id[48];
    snprintf(member_id, sizeof member_id, "%lld:%lld", (long long)id, (long long)owner_id);
    bson_t member = BSON_INITIALIZER, roles;
    BSON_APPEND_UTF8(&member, "_id", member_id);
    BSON_APPEND_INT64(&member, "guild_id", id);
    BSON_APPEND_INT64(&member, "user_id", owner_id);
    BSON_APPEND_DATE_TIME(&member, "joined_at", now);
    BSON_APPEND_NULL(&member, "nick");
    BSON_APPEND_ARRAY_BEGIN(&member, "roles", &roles);
    bson_append_array_end(&member, &roles);
    BSON_APPEND_BOOL(&member, "deaf", false);
    BSON_APPEND_BOOL(&member, "mute", false);
    s = store_insert(db_collection(db, MEMBERS), &member, e);
    bson_destroy(&member);
    if (s != STORE_OK)
        return s;

    BSON_APPEND_INT64(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "name", name);
    BSON_APPEND_INT64(doc, "owner_id", owner_id);
    BSON_APPEND_NULL(doc, "icon");
    BSON_APPEND_NULL(doc, "splash");
    if (region)
        BSON_APPEND_UTF8(doc, "region", region);
    else
        BSON_APPEND_NULL(doc, "region");
    append_id_or_null(doc, "afk_channel_id", 0);
    BSON_APPEND_INT32(doc, "afk_timeout", 300);
    BSON_APPEND_INT32(doc, "verification_level", 0);
    BSON_APPEND_INT32(doc, "default_message_notifications", 0);
    BSON_APPEND_INT32(doc, "explicit_content_filter", 0);
    BSON_APPEND_INT32(doc, "mfa_level", 0);
    BSON_APPEND_BOOL(doc, "embed_enabled", false);
    append_id_or_null(doc, "embed_channel_id", 0);
    BSON_APPEND_BOOL(doc, "widget_enabled", false);
    append_id_or_null(doc, "widget_channel_id", 0);
    append_id_or_null(doc, "system_channel_id", channel_id);
    append_id_or_null(doc, "rules_channel_id", 0);
    append_id_or_null(doc, "public_updates_channel_id", 0);
    BSON_APPEND_NULL(doc, "banner");
    BSON_APPEND_NULL(doc, "description");
    BSON_APPEND_UTF8(doc, "preferred_locale", "en-US");
    BSON_APPEND_NULL(doc, "discovery_splash");
    BSON_APPEND_BOOL(doc, "unavailable", false);
    BSON_APPEND_NULL(doc, "vanity_url_code");
    BSON_APPEND_INT32(doc, "max_presences", 100000);
    BSON_APPEND_INT32(doc, "max_members", 100000);
    BSON_APPEND_DATE_TIME(doc, "created_at", now);
    return store_insert(db_collection(db, GUILDS), doc, e);
}

static void id_filter(bson_t *filter, int64_t id)
{
    BSON_APPEND_INT64(filter, "_id", id);
}

enum store_status store_guild_get(struct db *db, int64_t id, bson_t *doc, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    id_filter(&filter, id);
    enum store_status s = store_find_one(db_collection(db, GUILDS), &filter, NULL, doc, e);
    bson_destroy(&filter);
    return s;
}

static enum store_status set_one(struct db *db, int64_t id, const char *key, bool null_value,
                                 bool value, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    id_filter(&filter, id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    if (null_value)
        BSON_APPEND_NULL(&set, key);
    else
        BSON_APPEND_BOOL(&set, key, value);
    bson_append_document_end(&update, &set);
    enum store_status s = store_update_one(db_collection(db, GUILDS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s;
}

enum store_status store_guild_set_unavailable(struct db *db, int64_t id, bool unavailable,
                                              bson_error_t *e)
{
    return set_one(db, id, "unavailable", false, unavailable, e);
}

enum store_status store_guild_clear_vanity(struct db *db, int64_t id, bson_error_t *e)
{
    return set_one(db, id, "vanity_url_code", true, false, e);
}

enum store_status store_guild_delete(struct db *db, int64_t id, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    id_filter(&filter, id);
    int64_t deleted = 0;
    enum store_status s = store_delete(db_collection(db, GUILDS), &filter, false, &deleted, e);
    bson_destroy(&filter);
    static const char *const parts[] = {FEATURES, MEMBERS, ROLES, CHANNELS};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && s == STORE_OK; i++) {
        bson_t by_guild = BSON_INITIALIZER;
        BSON_APPEND_INT64(&by_guild, "guild_id", id);
        s = store_delete(db_collection(db, parts[i]), &by_guild, true, NULL, e);
        bson_destroy(&by_guild);
    }
    if (s != STORE_OK)
        return s;
    return deleted ? STORE_OK : STORE_NOT_FOUND;
}

static void fill_id(const bson_t *doc, void *item)
{
    *(int64_t *)item = doc_int(doc, "_id", 0);
}

enum store_status store_guilds_in_region(struct db *db, const char *region, int64_t **out,
                                         size_t *n, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, projection;
    BSON_APPEND_UTF8(&filter, "region", region);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
    BSON_APPEND_INT32(&projection, "_id", 1);
    bson_append_document_end(&opts, &projection);
    void *items;
    enum store_status s = store_collect(db_collection(db, GUILDS), &filter, &opts, sizeof **out,
                                        fill_id, &items, n, e);
    *out = items;
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}

enum store_status store_guilds_set_region(struct db *db, const char *from_region,
                                          const char *to_region, bool all, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    if (!all)
        BSON_APPEND_UTF8(&filter, "region", from_region);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    if (to_region)
        BSON_APPEND_UTF8(&set, "region", to_region);
    else
        BSON_APPEND_NULL(&set, "region");
    bson_append_document_end(&update, &set);
    bool ok = mongoc_collection_update_many(db_collection(db, GUILDS), &filter, &update, NULL, NULL, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return ok ? STORE_OK : STORE_ERROR;
}

static bool add_feature_name(const bson_t *doc, void *ctx)
{
    struct guild_features *out = ctx;
    if (out->n >= GUILD_FEATURES_MAX)
        return false;
    doc_string(doc, "feature", out->names[out->n++], sizeof out->names[0]);
    return true;
}

enum store_status store_guild_features(struct db *db, int64_t id, struct guild_features *out,
                                       bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "guild_id", id);
    store_find_opts(&opts, "position", "_id", 0, 0);
    out->n = 0;
    enum store_status s = store_each(db_collection(db, FEATURES), &filter, &opts, add_feature_name,
                                     out, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}

static void feature_id(int64_t guild, const char *feature, char *out, size_t size)
{
    snprintf(out, size, "%lld:%s", (long long)guild, feature);
}

/* Insert a feature document; one already there is kept (duplicate = present). */
static enum store_status insert_feature(struct db *db, int64_t guild, const char *feature,
                                        int64_t position, bool reposition, bson_error_t *e)
{
    char id[64];
    feature_id(guild, feature, id, sizeof id);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_INT64(&doc, "guild_id", guild);
    BSON_APPEND_UTF8(&doc, "feature", feature);
    BSON_APPEND_INT64(&doc, "position", position);
    enum store_status s = store_insert(db_collection(db, FEATURES), &doc, e);
    bson_destroy(&doc);
    if (s != STORE_DUPLICATE)
        return s;
    if (!reposition)
        return STORE_OK;
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    BSON_APPEND_UTF8(&filter, "_id", id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_INT64(&set, "position", position);
    bson_append_document_end(&update, &set);
    s = store_update_one(db_collection(db, FEATURES), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

enum store_status store_guild_features_add(struct db *db, int64_t id,
                                           const struct guild_features *add, bson_error_t *e)
{
    /* Positions from the id clock: later additions sort after earlier ones. */
    int64_t base = snowflake_next();
    for (size_t i = 0; i < add->n; i++) {
        enum store_status s = insert_feature(db, id, add->names[i], base + (int64_t)i, false, e);
        if (s != STORE_OK)
            return s;
    }
    return STORE_OK;
}

static enum store_status delete_feature(struct db *db, int64_t guild, const char *feature,
                                        bson_error_t *e)
{
    char fid[64];
    feature_id(guild, feature, fid, sizeof fid);
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", fid);
    enum store_status s = store_delete(db_collection(db, FEATURES), &filter, false, NULL, e);
    bson_destroy(&filter);
    return s;
}

enum store_status store_guild_features_replace(struct db *db, int64_t id,
                                               const struct guild_features *set, bson_error_t *e)
{
    struct guild_features current;
    enum store_status s = store_guild_features(db, id, &current, e);
    for (size_t i = 0; i < current.n && s == STORE_OK; i++) {
        bool keep = false;
        for (size_t k = 0; k < set->n; k++)
            keep = keep || strcmp(current.names[i], set->names[k]) == 0;
        if (!keep)
            s = delete_feature(db, id, current.names[i], e);
    }
    int64_t base = snowflake_next();
    for (size_t i = 0; i < set->n && s == STORE_OK; i++)
        s = insert_feature(db, id, set->names[i], base + (int64_t)i, true, e);
    return s;
}

enum store_status store_guild_features_remove(struct db *db, int64_t id,
                                              const struct guild_features *remove, bson_error_t *e)
{
    for (size_t i = 0; i < remove->n; i++) {
        enum store_status s = delete_feature(db, id, remove->names[i], e);
        if (s != STORE_OK)
            return s;
    }
    return STORE_OK;
}

struct array_builder {
    bson_t *array;
    uint32_t next;
};

static bool append_to_array(const bson_t *doc, void *ctx)
{
    struct array_builder *b = ctx;
    char key[16];
    const char *k;
    bson_uint32_to_string(b->next++, &k, key, sizeof key);
    BSON_APPEND_DOCUMENT(b->array, k, doc);
    return true;
}

enum store_status store_guild_parts(struct db *db, int64_t id, const char *collection,
                                    bson_t *array, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "guild_id", id);
    store_find_opts(&opts, "_id", NULL, 0, 0);
    struct array_builder b = {array, 0};
    enum store_status s = store_each(db_collection(db, collection), &filter, &opts, append_to_array,
                                     &b, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}
