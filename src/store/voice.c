/*
 * store/voice: voice regions and servers (see include/warden/store/voice.h).
 */
#include "warden/store/voice.h"

#include <string.h>

#include "warden/db.h"
#include "warden/util.h"

#define REGIONS "voice_regions"
#define SERVERS "voice_servers"
#define SETTINGS "instance_settings"

static void region_from_doc(const bson_t *doc, struct voice_region *out)
{
    memset(out, 0, sizeof *out);
    doc_string(doc, "_id", out->id, sizeof out->id);
    doc_string(doc, "name", out->name, sizeof out->name);
    out->vip = doc_bool(doc, "vip", false);
    out->deprecated = doc_bool(doc, "deprecated", false);
    out->custom = doc_bool(doc, "custom", false);
}

enum store_status store_voice_region_create(struct db *db, const struct voice_region *r,
                                            bool *first, bson_error_t *e)
{
    *first = false;
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", r->id);
    BSON_APPEND_UTF8(&doc, "name", r->name);
    BSON_APPEND_BOOL(&doc, "vip", r->vip);
    BSON_APPEND_BOOL(&doc, "deprecated", r->deprecated);
    BSON_APPEND_BOOL(&doc, "custom", r->custom);
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, REGIONS), &doc, e);
    bson_destroy(&doc);
    if (s != STORE_OK)
        return s;
    bson_t marker = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&marker, "_id", "first_voice_region");
    BSON_APPEND_UTF8(&marker, "region_id", r->id);
    s = store_insert(db_collection(db, SETTINGS), &marker, e);
    bson_destroy(&marker);
    if (s == STORE_DUPLICATE)
        return STORE_OK;
    *first = s == STORE_OK;
    return s;
}

enum store_status store_voice_region_get(struct db *db, const char *id, struct voice_region *out,
                                         bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    enum store_status s = store_find_one(db_collection(db, REGIONS), &filter, NULL, &doc, e);
    if (s == STORE_OK)
        region_from_doc(&doc, out);
    bson_destroy(&filter);
    bson_destroy(&doc);
    return s;
}

static void fill_region(const bson_t *doc, void *out)
{
    region_from_doc(doc, out);
}

static void fill_server(const bson_t *doc, void *item)
{
    struct voice_server *out = item;
    memset(out, 0, sizeof *out);
    doc_string(doc, "_id", out->hostname, sizeof out->hostname);
    out->last_health = doc_double(doc, "last_health", 0.5);
}

enum store_status store_voice_region_list(struct db *db, struct voice_region **out, size_t *n,
                                          bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    store_find_opts(&opts, "_id", NULL, 0, 0);
    void *items;
    enum store_status s = store_collect(db_collection(db, REGIONS), &filter, &opts, sizeof **out,
                                        fill_region, &items, n, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    *out = items;
    return s;
}

enum store_status store_voice_region_deprecate(struct db *db, const char *id, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    BSON_APPEND_UTF8(&filter, "_id", id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_BOOL(&set, "deprecated", true);
    bson_append_document_end(&update, &set);
    enum store_status s = store_update_one(db_collection(db, REGIONS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s;
}

enum store_status store_voice_server_create(struct db *db, const char *region_id,
                                            const char *hostname, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", hostname);
    BSON_APPEND_UTF8(&doc, "region_id", region_id);
    BSON_APPEND_DOUBLE(&doc, "last_health", 0.5);
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, SERVERS), &doc, e);
    bson_destroy(&doc);
    return s;
}

enum store_status store_voice_server_list(struct db *db, const char *region_id,
                                          struct voice_server **out, size_t *n, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "region_id", region_id);
    store_find_opts(&opts, "_id", NULL, 0, 0);
    void *items;
    enum store_status s = store_collect(db_collection(db, SERVERS), &filter, &opts, sizeof **out,
                                        fill_server, &items, n, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    *out = items;
    return s;
}
