/*
 * store/sanctions: bans and mutes (see include/warden/store/sanctions.h).
 */
#include "warden/store/sanctions.h"

#include <stdio.h>

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
