/*
 * store/game_tokens: refresh tokens (see include/warden/store/game_tokens.h).
 */
#include "warden/store/game_tokens.h"

#include <string.h>

#include "warden/store/db.h"
#include "warden/password.h"
#include "warden/doc.h"

#define REFRESH_TOKENS "game_refresh_tokens"

enum store_status store_refresh_token_create(struct db *db, const char *user_id, const char *stamp,
                                             int64_t issued_ms, int64_t expires_ms,
                                             char token_out[GUID_STRING_SIZE], bson_error_t *e)
{
    guid_generate(token_out);
    char digest[65];
    password_sha256_hex(token_out, strlen(token_out), digest);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", digest);
    BSON_APPEND_UTF8(&doc, "user_id", user_id);
    BSON_APPEND_UTF8(&doc, "stamp", stamp);
    BSON_APPEND_DATE_TIME(&doc, "issued_at", issued_ms);
    BSON_APPEND_DATE_TIME(&doc, "expires_at", expires_ms);
    enum store_status s = store_insert(db_collection(db, REFRESH_TOKENS), &doc, e);
    bson_destroy(&doc);
    return s;
}

enum store_status store_refresh_token_consume(struct db *db, const char *token, int64_t now_ms,
                                              char user_id[GUID_STRING_SIZE],
                                              char stamp[TOKEN_STAMP_SIZE], bson_error_t *e)
{
    char canonical[GUID_STRING_SIZE];
    if (!guid_parse(token, canonical))
        return STORE_NOT_FOUND;
    char digest[65];
    password_sha256_hex(canonical, strlen(canonical), digest);
    mongoc_collection_t *c = db_collection(db, REFRESH_TOKENS);
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", digest);
    enum store_status s = store_find_one(c, &filter, NULL, &doc, e);
    if (s == STORE_OK) {
        doc_string(&doc, "user_id", user_id, GUID_STRING_SIZE);
        doc_string(&doc, "stamp", stamp, TOKEN_STAMP_SIZE);
        bool expired = doc_date(&doc, "expires_at", 0) <= now_ms;
        int64_t deleted = 0;
        s = store_delete(c, &filter, false, &deleted, e);
        if (s == STORE_OK && (deleted != 1 || expired))
            s = STORE_NOT_FOUND; /* used by a concurrent request, or too old */
    }
    bson_destroy(&filter);
    bson_destroy(&doc);
    return s;
}

enum store_status store_refresh_tokens_revoke(struct db *db, const char *user_id, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "user_id", user_id);
    enum store_status s = store_delete(db_collection(db, REFRESH_TOKENS), &filter, true, NULL, e);
    bson_destroy(&filter);
    return s;
}
