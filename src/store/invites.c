/*
 * store/invites: invites and use slots (see include/warden/store/invites.h).
 */
#include "warden/store/invites.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "warden/db.h"
#include "warden/util.h"

#define INVITES "instance_invites"
#define USES "instance_invite_uses"
#define CODE_ATTEMPTS 8
#define CONSUME_ATTEMPTS 64

static const char code_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool invite_code_valid(const char *s)
{
    size_t n = strlen(s);
    if (n != INVITE_CODE_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr(code_alphabet, s[i]) || s[i] == '\0')
            return false;
    return true;
}

static enum store_status count_uses(struct db *db, const char *code, int64_t *uses, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "code", code);
    int64_t n = mongoc_collection_count_documents(db_collection(db, USES), &filter, NULL, NULL,
                                                  NULL, e);
    bson_destroy(&filter);
    if (n < 0)
        return STORE_ERROR;
    *uses = n;
    return STORE_OK;
}

static void from_doc(const bson_t *doc, struct invite *out)
{
    memset(out, 0, sizeof *out);
    doc_string(doc, "_id", out->code, sizeof out->code);
    out->max_uses = doc_int(doc, "max_uses", -1);
    out->created_at = doc_date(doc, "created_at", 0);
}

enum store_status store_invite_create(struct db *db, int64_t max_uses, struct invite *out,
                                      bson_error_t *e)
{
    enum store_status s = STORE_DUPLICATE;
    for (int attempt = 0; attempt < CODE_ATTEMPTS && s == STORE_DUPLICATE; attempt++) {
        char code[INVITE_CODE_LEN + 1];
        for (int i = 0; i < INVITE_CODE_LEN; i++)
            code[i] = code_alphabet[randombytes_uniform(sizeof code_alphabet - 1)];
        code[INVITE_CODE_LEN] = '\0';
        bson_t doc = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&doc, "_id", code);
        BSON_APPEND_INT64(&doc, "max_uses", max_uses);
        BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
        s = store_insert(db_collection(db, INVITES), &doc, e);
        if (s == STORE_OK)
            from_doc(&doc, out);
        bson_destroy(&doc);
    }
    return s;
}

enum store_status store_invite_get(struct db *db, const char *code, struct invite *out,
                                   bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", code);
    enum store_status s = store_find_one(db_collection(db, INVITES), &filter, NULL, &doc, e);
    if (s == STORE_OK) {
        from_doc(&doc, out);
        s = count_uses(db, code, &out->uses, e);
    }
    bson_destroy(&filter);
    bson_destroy(&doc);
    return s;
}

static void fill_invite(const bson_t *doc, void *item)
{
    from_doc(doc, item);
}

enum store_status store_invite_list(struct db *db, struct invite **out, size_t *n, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    store_find_opts(&opts, "created_at", "_id", 0, 0);
    void *items;
    enum store_status s = store_collect(db_collection(db, INVITES), &filter, &opts, sizeof **out,
                                        fill_invite, &items, n, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    *out = items;
    for (size_t i = 0; i < *n && s == STORE_OK; i++)
        s = count_uses(db, (*out)[i].code, &(*out)[i].uses, e);
    return s;
}

enum store_status store_invite_delete(struct db *db, const char *code, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", code);
    int64_t deleted = 0;
    enum store_status s = store_delete(db_collection(db, INVITES), &filter, false, &deleted, e);
    bson_destroy(&filter);
    if (s != STORE_OK)
        return s;
    bson_t slots = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&slots, "code", code);
    s = store_delete(db_collection(db, USES), &slots, true, NULL, e);
    bson_destroy(&slots);
    if (s != STORE_OK)
        return s;
    return deleted ? STORE_OK : STORE_NOT_FOUND;
}

static enum store_status insert_slot(struct db *db, const char *code, int64_t n, bson_error_t *e)
{
    char id[32];
    snprintf(id, sizeof id, "%s#%lld", code, (long long)n);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_UTF8(&doc, "code", code);
    BSON_APPEND_INT64(&doc, "n", n);
    BSON_APPEND_NULL(&doc, "user_id");
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, USES), &doc, e);
    bson_destroy(&doc);
    return s;
}

#define SLOT_CANDIDATES 64

struct slot_scan {
    int64_t *candidates;
    size_t *count;
    int64_t next; /* lowest number not yet known to be taken */
};

/* Taken slots arrive in ascending order: the gaps before each are free. */
static bool scan_slot(const bson_t *doc, void *ctx)
{
    struct slot_scan *scan = ctx;
    int64_t n = doc_int(doc, "n", 0);
    for (; scan->next < n && *scan->count < SLOT_CANDIDATES; scan->next++)
        scan->candidates[(*scan->count)++] = scan->next;
    if (n >= scan->next)
        scan->next = n + 1;
    return true;
}

/*
 * Up to SLOT_CANDIDATES free slot numbers (holes left by uses given back,
 * then the numbers after the highest taken), ascending; max = -1 for
 * unlimited. Concurrent registrations pick among them at random, so several
 * can win in one round instead of all racing for the lowest.
 */
static enum store_status free_slots(struct db *db, const char *code, int64_t max,
                                    int64_t candidates[SLOT_CANDIDATES], size_t *count,
                                    bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, projection;
    BSON_APPEND_UTF8(&filter, "code", code);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
    BSON_APPEND_INT32(&projection, "n", 1);
    bson_append_document_end(&opts, &projection);
    store_find_opts(&opts, "n", NULL, 0, 0);
    struct slot_scan scan = {candidates, count, 1};
    *count = 0;
    enum store_status s = store_each(db_collection(db, USES), &filter, &opts, scan_slot, &scan, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    int64_t next = scan.next;
    for (; *count < SLOT_CANDIDATES && (max < 0 || next <= max); next++)
        candidates[(*count)++] = next;
    /* Holes may lie beyond a lowered limit: only numbers up to max count. */
    size_t kept = 0;
    for (size_t i = 0; i < *count; i++)
        if (max < 0 || candidates[i] <= max)
            candidates[kept++] = candidates[i];
    *count = kept;
    return s;
}

enum store_status store_invite_consume(struct db *db, const struct invite *inv, int64_t *slot,
                                       bson_error_t *e)
{
    for (int attempt = 0; attempt < CONSUME_ATTEMPTS; attempt++) {
        int64_t candidates[SLOT_CANDIDATES];
        size_t count;
        enum store_status s = free_slots(db, inv->code, inv->max_uses, candidates, &count, e);
        if (s != STORE_OK)
            return s;
        if (count == 0)
            return STORE_NOT_FOUND;
        int64_t n = candidates[randombytes_uniform((uint32_t)count)];
        s = insert_slot(db, inv->code, n, e);
        if (s == STORE_OK) {
            *slot = n;
            return STORE_OK;
        }
        if (s != STORE_DUPLICATE)
            return s;
        /* Another registration took n first: look again. */
    }
    return STORE_NOT_FOUND;
}

enum store_status store_invite_slot_owner(struct db *db, const char *code, int64_t slot,
                                          int64_t user_id, bson_error_t *e)
{
    char id[32];
    snprintf(id, sizeof id, "%s#%lld", code, (long long)slot);
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    BSON_APPEND_UTF8(&filter, "_id", id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_INT64(&set, "user_id", user_id);
    bson_append_document_end(&update, &set);
    enum store_status s = store_update_one(db_collection(db, USES), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s;
}

enum store_status store_invite_release(struct db *db, const char *code, int64_t slot, bson_error_t *e)
{
    char id[32];
    snprintf(id, sizeof id, "%s#%lld", code, (long long)slot);
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", id);
    enum store_status s = store_delete(db_collection(db, USES), &filter, false, NULL, e);
    bson_destroy(&filter);
    return s;
}
