/*
 * store/sanctions: bans and mutes (see include/warden/store/sanctions.h).
 */
#include "warden/store/sanctions.h"

#include <stdio.h>
#include <string.h>

#include "warden/db.h"

#define SANCTIONS "sanctions"

static const char *kind_name(enum sanction_kind kind)
{
    return kind == SANCTION_BAN ? "ban" : "mute";
}

enum store_status store_sanction_active(struct db *db, const char *user_id, enum sanction_kind kind,
                                        int64_t now_ms, bool *active, bson_error_t *e)
{
    char key[64];
    snprintf(key, sizeof key, "%s:%s", user_id, kind_name(kind));
    bson_t filter = BSON_INITIALIZER, end, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "end", &end);
    BSON_APPEND_DATE_TIME(&end, "$gt", now_ms);
    bson_append_document_end(&filter, &end);
    enum store_status s = store_find_one(db_collection(db, SANCTIONS), &filter, NULL, &doc, e);
    bson_destroy(&filter);
    bson_destroy(&doc);
    *active = s == STORE_OK;
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

static void sanction_key(const char *user_id, enum sanction_kind kind, char *out, size_t size)
{
    snprintf(out, size, "%s:%s", user_id, kind_name(kind));
}

enum store_status store_sanction_get_active(struct db *db, const char *user_id,
                                            enum sanction_kind kind, int64_t now_ms,
                                            struct sanction *out, bson_error_t *e)
{
    char key[64];
    sanction_key(user_id, kind, key, sizeof key);
    bson_t filter = BSON_INITIALIZER, end, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "end", &end);
    BSON_APPEND_DATE_TIME(&end, "$gt", now_ms);
    bson_append_document_end(&filter, &end);
    enum store_status s = store_find_one(db_collection(db, SANCTIONS), &filter, NULL, &doc, e);
    if (s == STORE_OK) {
        memset(out, 0, sizeof *out);
        out->kind = kind;
        doc_string(&doc, "user_id", out->user_id, sizeof out->user_id);
        doc_string(&doc, "ip", out->ip, sizeof out->ip);
        out->start = doc_date(&doc, "start", 0);
        out->end = doc_date(&doc, "end", 0);
        doc_string(&doc, "reason", out->reason, sizeof out->reason);
        doc_string(&doc, "moderator", out->moderator, sizeof out->moderator);
    }
    bson_destroy(&filter);
    bson_destroy(&doc);
    return s;
}

enum store_status store_sanction_insert(struct db *db, const struct sanction *sn, int64_t now_ms,
                                        bson_error_t *e)
{
    char key[64];
    sanction_key(sn->user_id, sn->kind, key, sizeof key);
    mongoc_collection_t *c = db_collection(db, SANCTIONS);
    bson_t expired = BSON_INITIALIZER, end;
    BSON_APPEND_UTF8(&expired, "_id", key);
    BSON_APPEND_DOCUMENT_BEGIN(&expired, "end", &end);
    BSON_APPEND_DATE_TIME(&end, "$lte", now_ms);
    bson_append_document_end(&expired, &end);
    enum store_status s = store_delete(c, &expired, false, NULL, e);
    bson_destroy(&expired);
    if (s != STORE_OK)
        return s;
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", key);
    BSON_APPEND_UTF8(&doc, "kind", kind_name(sn->kind));
    BSON_APPEND_UTF8(&doc, "user_id", sn->user_id);
    if (sn->ip[0])
        BSON_APPEND_UTF8(&doc, "ip", sn->ip);
    else
        BSON_APPEND_NULL(&doc, "ip");
    BSON_APPEND_DATE_TIME(&doc, "start", sn->start);
    BSON_APPEND_DATE_TIME(&doc, "end", sn->end);
    BSON_APPEND_UTF8(&doc, "reason", sn->reason);
    BSON_APPEND_UTF8(&doc, "moderator", sn->moderator);
    s = store_insert(c, &doc, e);
    bson_destroy(&doc);
    return s;
}

enum store_status store_sanction_remove_all(struct db *db, const char *user_id,
                                            enum sanction_kind kind, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "user_id", user_id);
    BSON_APPEND_UTF8(&filter, "kind", kind_name(kind));
    enum store_status s = store_delete(db_collection(db, SANCTIONS), &filter, true, NULL, e);
    bson_destroy(&filter);
    return s;
}
