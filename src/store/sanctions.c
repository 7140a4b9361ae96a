/*
 * store/sanctions: bans and mutes (see include/warden/store/sanctions.h).
 */
#include "warden/store/sanctions.h"

#include <stdio.h>
#include <string.h>

#include "warden/store/db.h"
#include "warden/doc.h"

#define SANCTIONS "sanctions"

static const char *kind_name(enum sanction_kind kind)
{
    return kind == SANCTION_BAN ? "ban" : "mute";
}

static void sanction_key(const char *user_id, enum sanction_kind kind, char *out, size_t size)
{
    snprintf(out, size, "%s:%s", user_id, kind_name(kind));
}

/*
 * The record is read by _id alone and its end compared here: FerretDB's
 * SQLite backend runs a filter of exactly {_id: <string>} as an indexed
 * lookup and anything more as a scan of the collection.
 */
enum store_status store_sanction_get_active(struct db *db, const char *user_id,
                                            enum sanction_kind kind, int64_t now_ms,
                                            struct sanction *out, bson_error_t *e)
{
    char key[64];
    sanction_key(user_id, kind, key, sizeof key);
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    enum store_status s = store_find_one(db_collection(db, SANCTIONS), &filter, NULL, &doc, e);
    if (s == STORE_OK && doc_date(&doc, "end", 0) <= now_ms)
        s = STORE_NOT_FOUND; /* expired */
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

enum store_status store_sanction_active(struct db *db, const char *user_id, enum sanction_kind kind,
                                        int64_t now_ms, bool *active, bson_error_t *e)
{
    struct sanction sn;
    enum store_status s = store_sanction_get_active(db, user_id, kind, now_ms, &sn, e);
    *active = s == STORE_OK;
    return s == STORE_NOT_FOUND ? STORE_OK : s;
}

/*
 * Replacing an expired record must happen once. FerretDB v1 deletes by
 * reading the matching documents, then deleting their _ids in a second
 * step (FerretDB issue #3040): two bans that both saw the expired record
 * could each delete it, and the second delete, by _id, then removed the ban
 * the first had just inserted under the same key. Both answered 200.
 *
 * So the right to replace one expired record is taken first, by inserting
 * a claim keyed by that record (its key, start and end) into
 * sanction_claims: the unique _id lets one request through. A claim is
 * never reused for another record, so a late delete cannot hit a new one.
 * A claim left by a request that died half-way goes stale after
 * CLAIM_STALE_MS and the next attempt takes the following claim number.
 * Once the new record is in, the claims on the old one are dropped: a
 * request that claims it afterwards finds nothing left to delete.
 */
#define CLAIMS "sanction_claims"
#define CLAIM_STALE_MS (120LL * 1000)
#define CLAIM_ATTEMPTS 8
#define INSERT_ATTEMPTS 4

/* The claims on the record key that spans start..end: "<key>/<start>/<end>/<n>";
 * the prefix up to the last '/' names the record, so the tidy-up is a prefix
 * range on _id. */
#define CLAIM_PREFIX_SIZE 128

static void claim_prefix(const char *key, int64_t start, int64_t end, char out[CLAIM_PREFIX_SIZE])
{
    snprintf(out, CLAIM_PREFIX_SIZE, "%s/%lld/%lld/", key, (long long)start, (long long)end);
}

/* Take the right to replace the record key that spans start..end. */
static enum store_status claim_expired(struct db *db, const char *key, int64_t start, int64_t end,
                                       int64_t now_ms, bson_error_t *e)
{
    mongoc_collection_t *c = db_collection(db, CLAIMS);
    for (int n = 0; n < CLAIM_ATTEMPTS; n++) {
        char prefix[CLAIM_PREFIX_SIZE], id[CLAIM_PREFIX_SIZE + 16];
        claim_prefix(key, start, end, prefix);
        snprintf(id, sizeof id, "%s%d", prefix, n);
        bson_t claim = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&claim, "_id", id);
        BSON_APPEND_DATE_TIME(&claim, "created_at", now_ms);
        enum store_status s = store_insert(c, &claim, e);
        bson_destroy(&claim);
        if (s != STORE_DUPLICATE)
            return s;
        bson_t filter = BSON_INITIALIZER, held = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&filter, "_id", id);
        s = store_find_one(c, &filter, NULL, &held, e);
        int64_t taken = doc_date(&held, "created_at", now_ms);
        bson_destroy(&filter);
        bson_destroy(&held);
        if (s == STORE_ERROR)
            return s;
        if (s == STORE_OK && now_ms - taken < CLAIM_STALE_MS)
            return STORE_DUPLICATE; /* another request is replacing it now */
    }
    return STORE_DUPLICATE;
}

enum store_status store_sanction_insert(struct db *db, const struct sanction *sn, int64_t now_ms,
                                        bson_error_t *e)
{
    char key[64];
    sanction_key(sn->user_id, sn->kind, key, sizeof key);
    mongoc_collection_t *c = db_collection(db, SANCTIONS);
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

    enum store_status s = STORE_DUPLICATE;
    bool claimed = false;
    int64_t start = 0, end = 0;
    for (int attempt = 0; attempt < INSERT_ATTEMPTS && s == STORE_DUPLICATE; attempt++) {
        s = store_insert(c, &doc, e);
        if (s != STORE_DUPLICATE)
            break;
        /* The key is taken: by an active record (refused), or an expired one. */
        bson_t filter = BSON_INITIALIZER, old = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&filter, "_id", key);
        s = store_find_one(c, &filter, NULL, &old, e);
        start = doc_date(&old, "start", 0);
        end = doc_date(&old, "end", 0);
        bson_destroy(&filter);
        bson_destroy(&old);
        if (s == STORE_NOT_FOUND) { /* removed meanwhile: insert again */
            s = STORE_DUPLICATE;
            continue;
        }
        if (s != STORE_OK)
            break;
        if (end > now_ms) {
            s = STORE_DUPLICATE;
            break;
        }
        s = claim_expired(db, key, start, end, now_ms, e);
        if (s != STORE_OK)
            break;
        claimed = true;
        /* Ours to replace: delete exactly that record, then insert again. */
        bson_t expired = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&expired, "_id", key);
        BSON_APPEND_DATE_TIME(&expired, "start", start);
        BSON_APPEND_DATE_TIME(&expired, "end", end);
        s = store_delete(c, &expired, false, NULL, e);
        bson_destroy(&expired);
        if (s != STORE_OK)
            break;
        s = STORE_DUPLICATE;
    }
    bson_destroy(&doc);
    if (s == STORE_OK && claimed) {
        char prefix[CLAIM_PREFIX_SIZE];
        bson_error_t ignored;
        claim_prefix(key, start, end, prefix);
        store_prefix_delete(db_collection(db, CLAIMS), prefix, NULL, &ignored); /* tidying only */
    }
    return s;
}

enum store_status store_sanction_remove_all(struct db *db, const char *user_id,
                                            enum sanction_kind kind, bson_error_t *e)
{
    char key[64];
    sanction_key(user_id, kind, key, sizeof key);
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    enum store_status s = store_delete(db_collection(db, SANCTIONS), &filter, false, NULL, e);
    bson_destroy(&filter);
    return s;
}
