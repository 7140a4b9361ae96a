/*
 * schema: indexes of every collection, and the marker that says they are
 * in place (see include/warden/store.h).
 *
 * FerretDB v1 lacks partial, sparse, collation and TTL indexes, so only plain
 * and unique compound indexes appear here (README, "Data").
 *
 * Only set-up runs this: the pool's master at start (or the process it
 * forks to retry while the database is down), `wardenctl migrate` and the
 * benchmark's seed. Workers only read the marker (store_schema_ready), never
 * create anything, so a request never waits on an index build.
 */
#include "warden/store.h"

#include <mongoc/mongoc.h>

#include "warden/log.h"
#include "warden/store/db.h"
#include "warden/store/users.h"
#include "warden/clock.h"
#include "warden/doc.h"

struct index_spec {
    const char *collection;
    const char *name;
    const char *keys[3]; /* fields, ascending */
    bool unique;
};

/*
 * The schema's version, recorded in the marker once every index below
 * exists and every step of the data's own shape has run. Add 1 whenever
 * either changes: workers of a release then wait (503) until its schema is
 * in place rather than run without it.
 *   1  the indexes below
 *   2  the staff bit as a grant of its own (store_users_staff_to_grants)
 */
#define STORE_SCHEMA_VERSION 2

static const struct index_spec indexes[] = {
    {"users", "username_discriminator", {"username", "discriminator"}, true},
    {"game_users", "name_lower", {"name_lower"}, true},
    {"players", "name_lower", {"name_lower"}, true},
    {"game_refresh_tokens", "user_id", {"user_id"}, false},
};

static bool create_index(struct db *db, const struct index_spec *spec, bson_error_t *e)
{
    bson_t keys = BSON_INITIALIZER;
    for (int i = 0; i < 3 && spec->keys[i]; i++)
        BSON_APPEND_INT32(&keys, spec->keys[i], 1);
    bson_t cmd = BSON_INITIALIZER, list, index;
    BSON_APPEND_UTF8(&cmd, "createIndexes", spec->collection);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &list);
    BSON_APPEND_DOCUMENT_BEGIN(&list, "0", &index);
    BSON_APPEND_DOCUMENT(&index, "key", &keys);
    BSON_APPEND_UTF8(&index, "name", spec->name);
    if (spec->unique)
        BSON_APPEND_BOOL(&index, "unique", true);
    bson_append_document_end(&list, &index);
    bson_append_array_end(&cmd, &list);
    bool ok = mongoc_database_write_command_with_opts(db_database(db), &cmd, NULL, NULL, e);
    bson_destroy(&cmd);
    bson_destroy(&keys);
    return ok;
}

/*
 * Secondary indexes of the release before every query went by _id: no
 * query uses them any more, and each costs every write. `wardenctl
 * migrate` drops them where they exist.
 */
static const struct {
    const char *collection, *name;
} retired[] = {
    {"users", "discriminator"},          {"instance_invites", "created_at"},
    {"instance_invite_uses", "code_n"},  {"guilds", "region"},
    {"guild_features", "guild_position"}, {"guild_members", "guild_id"},
    {"guild_roles", "guild_id"},         {"guild_channels", "guild_id"},
    {"voice_servers", "region_id"},      {"gateway_events", "created_at"},
    {"players", "user_id"},              {"players", "online_name"},
    {"sanctions", "user_kind"},          {"game_commands", "created_at"},
    {"audit_log", "created_at"},
};

/* MongoDB's IndexNotFound and NamespaceNotFound: nothing to drop. */
#define ERROR_INDEX_NOT_FOUND 27
#define ERROR_NAMESPACE_NOT_FOUND 26

int store_drop_retired_indexes(struct db *db, bson_error_t *e)
{
    int dropped = 0;
    for (size_t i = 0; i < sizeof retired / sizeof retired[0]; i++) {
        bson_t cmd = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&cmd, "dropIndexes", retired[i].collection);
        BSON_APPEND_UTF8(&cmd, "index", retired[i].name);
        bool ok = mongoc_database_write_command_with_opts(db_database(db), &cmd, NULL, NULL, e);
        bson_destroy(&cmd);
        if (ok)
            dropped++;
        else if (e->code != ERROR_INDEX_NOT_FOUND && e->code != ERROR_NAMESPACE_NOT_FOUND)
            return -1;
    }
    return dropped;
}

#define META_COLLECTION "warden_meta"
#define SCHEMA_MARKER_ID "schema"

/*
 * Raise the marker to this release's version. The filter matches only an
 * older marker; when none matches, the upsert inserts one, and a duplicate
 * key then means a marker this recent or newer is there already (a newer
 * release's, or a concurrent set-up's): nothing to do. So two hosts
 * starting together, or an older release starting after a newer one, never
 * lower it.
 */
static bool write_marker(struct db *db, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, older, update = BSON_INITIALIZER, set, opts = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", SCHEMA_MARKER_ID);
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "version", &older);
    BSON_APPEND_INT32(&older, "$lt", STORE_SCHEMA_VERSION);
    bson_append_document_end(&filter, &older);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_INT32(&set, "version", STORE_SCHEMA_VERSION);
    BSON_APPEND_DATE_TIME(&set, "written_at", clock_wall_ms());
    bson_append_document_end(&update, &set);
    BSON_APPEND_BOOL(&opts, "upsert", true);
    bool ok = mongoc_collection_update_one(db_collection(db, META_COLLECTION), &filter, &update,
                                           &opts, NULL, e) ||
              store_error_kind(e) == STORE_DUPLICATE;
    bson_destroy(&opts);
    bson_destroy(&update);
    bson_destroy(&filter);
    return ok;
}

static bool create_indexes(struct db *db, bson_error_t *e)
{
    for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++)
        if (!create_index(db, &indexes[i], e))
            return false;
    return write_marker(db, e);
}

static enum store_status marker_check(struct db *db, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, marker = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", SCHEMA_MARKER_ID);
    enum store_status s = store_find_one(db_collection(db, META_COLLECTION), &filter, NULL,
                                         &marker, e);
    if (s == STORE_OK && doc_int(&marker, "version", 0) < STORE_SCHEMA_VERSION)
        s = STORE_NOT_FOUND;
    bson_destroy(&marker);
    bson_destroy(&filter);
    return s;
}

/*
 * Seen once in this process: the marker is never removed by Warden itself.
 * Only a check sets it, never store_schema_ensure: the master ensures the
 * schema before it forks, and a flag set there would be inherited by every
 * worker, which must each see the marker for themselves.
 */
static bool schema_seen;

bool store_schema_ensure(struct db *db, bson_error_t *e)
{
    /* Steps of the data's shape run only for a database behind this release
     * (one walk of the users), before the marker says the schema is in place. */
    enum store_status s = marker_check(db, e);
    if (s == STORE_ERROR)
        return false;
    if (s == STORE_NOT_FOUND) {
        int64_t moved;
        if (store_users_staff_to_grants(db, &moved, e) != STORE_OK)
            return false;
        if (moved)
            log_info("schema: the staff bit of %lld users moved to staff_grants", (long long)moved);
    }
    return create_indexes(db, e);
}

bool store_schema_ready(struct db *db, bson_error_t *e)
{
    if (schema_seen)
        return true;
    switch (marker_check(db, e)) {
    case STORE_OK:
        schema_seen = true;
        return true;
    case STORE_NOT_FOUND:
        bson_set_error(e, STORE_ERROR_DOMAIN, STORE_ERROR_CODE_SCHEMA_MISSING,
                       "database '%s' has no schema marker of this release's version", db_name(db));
        return false;
    default:
        return false;
    }
}
