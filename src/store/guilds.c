/*
 * store/guilds: guilds and their parts (see include/warden/store/guilds.h).
 *
 * Every query here is an equality, an $in or a range on _id: a guild's
 * features and members share the _id prefix "<guild id>:", its roles and
 * channels are named by guild_parts claims ("<guild id>/..."), a region's
 * guilds by guild_regions claims ("<region key>/..."). The one request
 * that walks every guild is the first region's assignment (see
 * store_guilds_assign_first_region).
 */
#include "warden/store/guilds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/store/db.h"
#include "warden/snowflake.h"
#include "warden/store/voice.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/doc.h"

#define GUILDS "guilds"
#define FEATURES "guild_features"
#define MEMBERS "guild_members"
#define ROLES "guild_roles"
#define CHANNELS "guild_channels"
#define PARTS "guild_parts"
#define REGION_CLAIMS "guild_regions"

/* Documents read (by $in, or a walk in _id order) or claims written per query. */
#define ID_BATCH 256

/* @everyone's default permissions (Discord's 104324673). */
#define EVERYONE_PERMISSIONS 104324673

/* "<guild id><sep>": the prefix of a guild's keys (':' for its features and
 * members, '/' for its part claims). Digits never hold either separator,
 * so no other guild's keys start with it. */
static void guild_prefix(int64_t id, char sep, char out[32])
{
    snprintf(out, 32, "%lld%c", (long long)id, sep);
}

/* "<guild id>/<collection>/": the prefix of the claims of one kind of part. */
static void parts_prefix(int64_t id, const char *collection, char out[64])
{
    snprintf(out, 64, "%lld/%s/", (long long)id, collection);
}

/* The guild_parts claim of a role or channel (doc bson_init'ed by the caller). */
static void part_claim(bson_t *doc, int64_t guild, const char *collection, int64_t part)
{
    char prefix[64], padded[STORE_ID_DIGITS + 1], key[96];
    parts_prefix(guild, collection, prefix);
    store_pad_id(part, padded);
    snprintf(key, sizeof key, "%s%s", prefix, padded);
    BSON_APPEND_UTF8(doc, "_id", key);
    BSON_APPEND_INT64(doc, "guild_id", guild);
    BSON_APPEND_INT64(doc, "part_id", part);
}

/* The _id of a guild's guild_regions claim; malloc'ed. */
static char *region_claim_id(const char *region, int64_t guild)
{
    char *prefix = store_voice_region_prefix(region), padded[STORE_ID_DIGITS + 1];
    store_pad_id(guild, padded);
    size_t len = strlen(prefix);
    char *id = mem_alloc(len + sizeof padded);
    memcpy(id, prefix, len);
    memcpy(id + len, padded, sizeof padded);
    free(prefix);
    return id;
}

static void region_claim(bson_t *doc, const char *region, int64_t guild)
{
    char *id = region_claim_id(region, guild);
    BSON_APPEND_UTF8(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "region_id", region);
    BSON_APPEND_INT64(doc, "guild_id", guild);
    free(id);
}

/* Claim that the guild is in region (already claimed is fine). */
static enum store_status claim_region(struct db *db, const char *region, int64_t guild,
                                      bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    region_claim(&doc, region, guild);
    const bson_t *docs[] = {&doc};
    enum store_status s = store_insert_claims(db_collection(db, REGION_CLAIMS), docs, 1, e);
    bson_destroy(&doc);
    return s;
}

static enum store_status delete_by_string_id(mongoc_collection_t *c, const char *id,
                                             bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    enum store_status s = store_delete(c, &filter, false, NULL, e);
    bson_destroy(&filter);
    return s;
}

/* {_id: {$in: ids[0..n)}} into filter. */
static void ids_in(bson_t *filter, const int64_t *ids, size_t n)
{
    struct store_in in;
    store_in_begin(filter, &in);
    for (size_t i = 0; i < n; i++)
        store_in_int64(&in, ids[i]);
    store_in_end(filter, &in);
}

/* A growing list of ids. */
struct id_list {
    int64_t *ids;
    size_t n, cap;
};

static void id_list_add(struct id_list *l, int64_t id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->ids = mem_realloc(l->ids, l->cap * sizeof *l->ids);
    }
    l->ids[l->n++] = id;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

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

    /* Claims, then parts, then the guild: a part never exists without the
     * claim that finds it, nor a guild without its role, channel and owner. */
    bson_t role_claim = BSON_INITIALIZER, channel_claim = BSON_INITIALIZER;
    part_claim(&role_claim, id, ROLES, id);
    part_claim(&channel_claim, id, CHANNELS, channel_id);
    const bson_t *claims[] = {&role_claim, &channel_claim};
    enum store_status s = store_insert_claims(db_collection(db, PARTS), claims, 2, e);
    bson_destroy(&role_claim);
    bson_destroy(&channel_claim);
    if (s != STORE_OK)
        return s;

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
    s = store_insert(db_collection(db, ROLES), &role, e);
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
    if (region && (s = claim_region(db, region, id, e)) != STORE_OK)
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

/* A guild's roles and channels as its claims name them. */
struct part_claims {
    size_t prefix_len;
    struct id_list roles, channels;
};

static bool collect_part_claim(const bson_t *claim, void *ctx)
{
    struct part_claims *p = ctx;
    bson_iter_t it;
    if (!bson_iter_init_find(&it, claim, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
        return true;
    const char *rest = bson_iter_utf8(&it, NULL) + p->prefix_len; /* "<collection>/<id>" */
    const char *slash = strchr(rest, '/');
    int64_t part = slash ? store_unpad_id(slash + 1) : -1;
    if (part < 0)
        return true;
    size_t len = (size_t)(slash - rest);
    if (len == strlen(ROLES) && memcmp(rest, ROLES, len) == 0)
        id_list_add(&p->roles, part);
    else if (len == strlen(CHANNELS) && memcmp(rest, CHANNELS, len) == 0)
        id_list_add(&p->channels, part);
    return true;
}

static enum store_status delete_ids(struct db *db, const char *collection, const struct id_list *l,
                                    bson_error_t *e)
{
    enum store_status s = STORE_OK;
    for (size_t from = 0; from < l->n && s == STORE_OK; from += ID_BATCH) {
        bson_t filter = BSON_INITIALIZER;
        ids_in(&filter, l->ids + from, l->n - from < ID_BATCH ? l->n - from : ID_BATCH);
        s = store_delete(db_collection(db, collection), &filter, true, NULL, e);
        bson_destroy(&filter);
    }
    return s;
}

/* Delete a guild's roles and channels (by the ids its claims name), then the claims. */
static enum store_status delete_parts(struct db *db, int64_t id, bson_error_t *e)
{
    char prefix[32];
    guild_prefix(id, '/', prefix);
    struct part_claims p = {.prefix_len = strlen(prefix)};
    enum store_status s = store_prefix_each(db_collection(db, PARTS), prefix, NULL, false, 0,
                                            collect_part_claim, &p, e);
    if (s == STORE_OK)
        s = delete_ids(db, ROLES, &p.roles, e);
    if (s == STORE_OK)
        s = delete_ids(db, CHANNELS, &p.channels, e);
    if (s == STORE_OK)
        s = store_prefix_delete(db_collection(db, PARTS), prefix, NULL, e);
    free(p.roles.ids);
    free(p.channels.ids);
    return s;
}

/*
 * The guild document goes first: should a later step fail, what is left is
 * parts and claims of a guild that no longer exists (a claim is only ever
 * trusted after its target is re-read), and a retry, which the route's
 * idempotence invites, removes them.
 */
enum store_status store_guild_delete(struct db *db, int64_t id, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, projection, doc = BSON_INITIALIZER;
    id_filter(&filter, id);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
    BSON_APPEND_INT32(&projection, "region", 1);
    bson_append_document_end(&opts, &projection);
    enum store_status s = store_find_one(db_collection(db, GUILDS), &filter, &opts, &doc, e);
    char region[VOICE_TEXT_MAX * 4 + 1] = "";
    if (s == STORE_OK)
        doc_string(&doc, "region", region, sizeof region);
    int64_t deleted = 0;
    if (s != STORE_ERROR)
        s = store_delete(db_collection(db, GUILDS), &filter, false, &deleted, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    bson_destroy(&doc);
    if (s == STORE_OK && region[0]) {
        char *claim = region_claim_id(region, id);
        s = delete_by_string_id(db_collection(db, REGION_CLAIMS), claim, e);
        free(claim);
    }
    char prefix[32];
    guild_prefix(id, ':', prefix);
    if (s == STORE_OK)
        s = store_prefix_delete(db_collection(db, FEATURES), prefix, NULL, e);
    if (s == STORE_OK)
        s = store_prefix_delete(db_collection(db, MEMBERS), prefix, NULL, e);
    if (s == STORE_OK)
        s = delete_parts(db, id, e);
    if (s != STORE_OK)
        return s;
    return deleted ? STORE_OK : STORE_NOT_FOUND;
}

/* One batch of a region's claims, as read. */
struct region_batch {
    const char *region;
    char *last;               /* the last claim _id read (malloc'ed) */
    size_t n;
    struct {
        char *claim;          /* malloc'ed */
        int64_t guild;        /* 0: not a claim of this region */
    } items[ID_BATCH];
};

static bool keep_region_claim(const bson_t *claim, void *ctx)
{
    struct region_batch *b = ctx;
    char region[VOICE_TEXT_MAX * 4 + 1];
    bson_iter_t it;
    if (b->n == ID_BATCH || !bson_iter_init_find(&it, claim, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
        return true;
    b->items[b->n].claim = mem_strdup(bson_iter_utf8(&it, NULL));
    /* The key's escaping already keeps other regions out; checked anyway. */
    bool ours = doc_string(claim, "region_id", region, sizeof region) && strcmp(region, b->region) == 0;
    b->items[b->n].guild = ours ? doc_int(claim, "guild_id", 0) : 0;
    b->n++;
    return true;
}

/* Set the guild's region to null if it is still region; STORE_NOT_FOUND if it is not. */
static enum store_status leave(struct db *db, int64_t guild, const char *region, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    id_filter(&filter, guild);
    BSON_APPEND_UTF8(&filter, "region", region);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_NULL(&set, "region");
    bson_append_document_end(&update, &set);
    enum store_status s = store_update_one(db_collection(db, GUILDS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s;
}

enum store_status store_guilds_leave_region(struct db *db, const char *region,
                                            store_guild_id_fn moved, void *ctx, int64_t *n_moved,
                                            bson_error_t *e)
{
    mongoc_collection_t *claims = db_collection(db, REGION_CLAIMS);
    char *prefix = store_voice_region_prefix(region);
    size_t plen = strlen(prefix);
    struct region_batch *b = mem_calloc(1, sizeof *b);
    b->region = region;
    *n_moved = 0;
    enum store_status s = STORE_OK;
    for (;;) {
        bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
        store_prefix_filter(&filter, prefix, b->last ? b->last + plen : NULL, b->last != NULL);
        store_find_opts(&opts, "_id", NULL, 0, ID_BATCH);
        b->n = 0;
        s = store_each(claims, &filter, &opts, keep_region_claim, b, e);
        bson_destroy(&filter);
        bson_destroy(&opts);
        size_t read = b->n;
        for (size_t i = 0; i < read; i++) {
            if (s == STORE_OK && b->items[i].guild > 0) {
                enum store_status left = leave(db, b->items[i].guild, region, e);
                if (left == STORE_OK) {
                    ++*n_moved;
                    if (moved)
                        moved(b->items[i].guild, ctx);
                }
                s = left == STORE_ERROR ? STORE_ERROR : STORE_OK;
                /* Done with (or stale, if the guild had left): the claim goes. */
                if (s == STORE_OK)
                    s = delete_by_string_id(claims, b->items[i].claim, e);
            }
            if (i + 1 == read) {
                free(b->last);
                b->last = b->items[i].claim;
            } else {
                free(b->items[i].claim);
            }
        }
        if (s != STORE_OK || read < ID_BATCH)
            break;
    }
    free(b->last);
    free(b);
    free(prefix);
    return s;
}

/* A batch of the first-region walk: claims first, then the guilds. */
static enum store_status assign_batch(struct db *db, bson_t **docs, size_t n, void *ctx,
                                      bson_error_t *e)
{
    const char *region = ctx;
    bson_t *claims[ID_BATCH];
    int64_t ids[ID_BATCH];
    for (size_t i = 0; i < n; i++) {
        ids[i] = doc_int(docs[i], "_id", 0);
        claims[i] = bson_new();
        region_claim(claims[i], region, ids[i]);
    }
    enum store_status s =
        store_insert_claims_owned(db_collection(db, REGION_CLAIMS), claims, n, e);
    if (s != STORE_OK)
        return s;
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    ids_in(&filter, ids, n);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_UTF8(&set, "region", region);
    bson_append_document_end(&update, &set);
    bool ok = mongoc_collection_update_many(db_collection(db, GUILDS), &filter, &update, NULL, NULL, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return ok ? STORE_OK : STORE_ERROR;
}

/*
 * The one request that touches every guild: upstream's rule gives the first
 * region ever created to all of them. It is bounded to once in the
 * instance's life (only the creation whose instance_settings marker insert
 * wins calls it) and done in _id-ordered batches of ID_BATCH, each an
 * index-served range read, one claims insert and one update by $in.
 */
enum store_status store_guilds_assign_first_region(struct db *db, const char *region, int64_t *n,
                                                   bson_error_t *e)
{
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "_id", 1);
    int64_t seen = 0;
    enum store_status s =
        store_walk(db, GUILDS, &projection, ID_BATCH, assign_batch, (void *)region, &seen, e);
    bson_destroy(&projection);
    if (n)
        *n = seen;
    return s;
}

/* A guild's features, sorted by position (then name) in C: at most a handful. */
struct feature_row {
    char name[24];
    int64_t position;
};

struct feature_rows {
    struct feature_row *rows;
    size_t n, cap;
};

static bool add_feature_row(const bson_t *doc, void *ctx)
{
    struct feature_rows *f = ctx;
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : GUILD_FEATURES_MAX;
        f->rows = mem_realloc(f->rows, f->cap * sizeof *f->rows);
    }
    struct feature_row *r = &f->rows[f->n++];
    doc_string(doc, "feature", r->name, sizeof r->name);
    r->position = doc_int(doc, "position", 0);
    return true;
}

static int compare_features(const void *a, const void *b)
{
    const struct feature_row *x = a, *y = b;
    if (x->position != y->position)
        return x->position < y->position ? -1 : 1;
    return strcmp(x->name, y->name); /* the _id order: "<guild>:<FEATURE>" */
}

enum store_status store_guild_features(struct db *db, int64_t id, struct guild_features *out,
                                       bson_error_t *e)
{
    char prefix[32];
    guild_prefix(id, ':', prefix);
    struct feature_rows f = {NULL, 0, 0};
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "feature", 1);
    BSON_APPEND_INT32(&projection, "position", 1);
    enum store_status s = store_prefix_each(db_collection(db, FEATURES), prefix, &projection, false,
                                            0, add_feature_row, &f, e);
    bson_destroy(&projection);
    if (f.n)
        qsort(f.rows, f.n, sizeof *f.rows, compare_features);
    out->n = 0;
    for (size_t i = 0; i < f.n && out->n < GUILD_FEATURES_MAX; i++)
        memcpy(out->names[out->n++], f.rows[i].name, sizeof out->names[0]);
    free(f.rows);
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

static void append_to_array(struct array_builder *b, const bson_t *doc)
{
    char key[16];
    const char *k;
    bson_uint32_to_string(b->next++, &k, key, sizeof key);
    BSON_APPEND_DOCUMENT(b->array, k, doc);
}

static bool append_member(const bson_t *doc, void *ctx)
{
    append_to_array(ctx, doc);
    return true;
}

/* Parts read back by _id: ids sorted and unique, docs[i] the document of ids[i]. */
struct parts_read {
    const int64_t *ids;
    size_t n;
    bson_t **docs;
};

static bool keep_part(const bson_t *doc, void *ctx)
{
    struct parts_read *r = ctx;
    int64_t id = doc_int(doc, "_id", 0);
    const int64_t *hit = bsearch(&id, r->ids, r->n, sizeof *r->ids, compare_ids);
    if (hit && !r->docs[hit - r->ids])
        r->docs[hit - r->ids] = bson_copy(doc);
    return true;
}

/* The roles or channels that the guild's claims name, read by $in, in _id order. */
static enum store_status claimed_parts(struct db *db, int64_t id, const char *collection,
                                       struct array_builder *out, bson_error_t *e)
{
    char prefix[64];
    parts_prefix(id, collection, prefix);
    struct part_claims p = {.prefix_len = strlen(prefix) - strlen(collection) - 1};
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "_id", 1);
    enum store_status s = store_prefix_each(db_collection(db, PARTS), prefix, &projection, false, 0,
                                            collect_part_claim, &p, e);
    bson_destroy(&projection);
    struct id_list *l = strcmp(collection, ROLES) == 0 ? &p.roles : &p.channels;
    size_t n = 0;
    if (l->n) {
        qsort(l->ids, l->n, sizeof *l->ids, compare_ids);
        for (size_t i = 0; i < l->n; i++)
            if (n == 0 || l->ids[i] != l->ids[n - 1])
                l->ids[n++] = l->ids[i];
    }
    struct parts_read r = {l->ids, n, mem_calloc(n ? n : 1, sizeof *r.docs)};
    for (size_t from = 0; from < n && s == STORE_OK; from += ID_BATCH) {
        bson_t filter = BSON_INITIALIZER;
        ids_in(&filter, l->ids + from, n - from < ID_BATCH ? n - from : ID_BATCH);
        s = store_each(db_collection(db, collection), &filter, NULL, keep_part, &r, e);
        bson_destroy(&filter);
    }
    for (size_t i = 0; i < n; i++) {
        if (!r.docs[i])
            continue; /* a claim whose part is gone */
        if (s == STORE_OK)
            append_to_array(out, r.docs[i]);
        bson_destroy(r.docs[i]);
    }
    free(r.docs);
    free(p.roles.ids);
    free(p.channels.ids);
    return s;
}

enum store_status store_guild_parts(struct db *db, int64_t id, const char *collection,
                                    bson_t *array, bson_error_t *e)
{
    struct array_builder b = {array, 0};
    if (strcmp(collection, ROLES) == 0 || strcmp(collection, CHANNELS) == 0)
        return claimed_parts(db, id, collection, &b, e);
    char prefix[32];
    guild_prefix(id, ':', prefix);
    return store_prefix_each(db_collection(db, MEMBERS), prefix, NULL, false, 0, append_member, &b, e);
}

/* Backfill: a claim for every guild that has a region. */
static enum store_status region_claims_batch(struct db *db, bson_t **docs, size_t n, void *ctx,
                                             bson_error_t *e)
{
    (void)ctx;
    bson_t *claims[ID_BATCH];
    size_t k = 0;
    char region[VOICE_TEXT_MAX * 4 + 1];
    for (size_t i = 0; i < n; i++) {
        if (!doc_string(docs[i], "region", region, sizeof region) || !region[0])
            continue;
        claims[k] = bson_new();
        region_claim(claims[k++], region, doc_int(docs[i], "_id", 0));
    }
    enum store_status s =
        store_insert_claims_owned(db_collection(db, REGION_CLAIMS), claims, k, e);
    return s;
}

enum store_status store_guild_regions_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "region", 1);
    *written = 0;
    enum store_status s =
        store_walk(db, GUILDS, &projection, ID_BATCH, region_claims_batch, NULL, written, e);
    bson_destroy(&projection);
    return s;
}

/* Backfill: a claim for every role or channel (ctx: its collection's name). */
static enum store_status part_claims_batch(struct db *db, bson_t **docs, size_t n, void *ctx,
                                           bson_error_t *e)
{
    const char *collection = ctx;
    bson_t *claims[ID_BATCH];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t guild = doc_int(docs[i], "guild_id", 0), part = doc_int(docs[i], "_id", 0);
        if (guild <= 0 || part <= 0)
            continue;
        claims[k] = bson_new();
        part_claim(claims[k++], guild, collection, part);
    }
    enum store_status s = store_insert_claims_owned(db_collection(db, PARTS), claims, k, e);
    return s;
}

enum store_status store_guild_parts_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "guild_id", 1);
    *written = 0;
    static const char *const kinds[] = {ROLES, CHANNELS};
    enum store_status s = STORE_OK;
    for (size_t i = 0; i < 2 && s == STORE_OK; i++)
        s = store_walk(db, kinds[i], &projection, ID_BATCH, part_claims_batch, (void *)kinds[i], written,
                       e);
    bson_destroy(&projection);
    return s;
}
