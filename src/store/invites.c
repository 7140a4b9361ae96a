/*
 * store/invites: invites, use slots and tombstones (see include/warden/store/invites.h).
 *
 * Every query is an equality or a prefix range on _id: nothing here counts
 * or filters the uses collection, which grows with every registration.
 */
#include "warden/store/invites.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/store/db.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/parse.h"
#include "warden/doc.h"

#define INVITES "instance_invites"
#define USES "instance_invite_uses"
#define CODE_ATTEMPTS 8
/* Each lost race means another registration took the slot: a registration
 * loses at most once per concurrent rival, so this bounds the rivals. */
#define CONSUME_ATTEMPTS 128
/* Slot numbers are padded to this width: max_uses is at most 10^6 and an
 * unlimited invite would need ten billion registrations to outgrow it. */
#define SLOT_DIGITS 10
#define SLOT_MARK '#'
#define TOMBSTONE_MARK '~'
#define PREFIX_SIZE (INVITE_CODE_LEN + 2)
/* Room for any int64_t, though numbers never outgrow SLOT_DIGITS. */
#define SLOT_ID_SIZE 32
/* Error code of a query past its time limit, which errors.c answers 503. */
#define BUSY_CODE 50

static const char code_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool store_invite_code_valid(const char *s)
{
    size_t n = strlen(s);
    if (n != INVITE_CODE_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr(code_alphabet, s[i]) || s[i] == '\0')
            return false;
    return true;
}

/* "<code><mark>": the prefix of the invite's slots ('#') or tombstones ('~'). */
static void range_prefix(const char *code, char mark, char out[PREFIX_SIZE])
{
    snprintf(out, PREFIX_SIZE, "%.6s%c", code, mark);
}

static void slot_id(const char *code, char mark, int64_t n, char out[SLOT_ID_SIZE])
{
    snprintf(out, SLOT_ID_SIZE, "%.6s%c%010lld", code, mark, (long long)n);
}

/* The number of a padded slot or tombstone id, or -1 when id is not one. */
static int64_t slot_number(const char *id)
{
    if (strlen(id) != INVITE_CODE_LEN + 1 + SLOT_DIGITS)
        return -1;
    int64_t n = 0;
    for (const char *p = id + INVITE_CODE_LEN + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

struct top_read {
    int64_t top;
    bool unpadded; /* a slot of an earlier release: not migrated yet */
};

static bool take_top(const bson_t *doc, void *ctx)
{
    struct top_read *t = ctx;
    char id[64];
    doc_string(doc, "_id", id, sizeof id);
    t->top = slot_number(id);
    t->unpadded = t->top < 0;
    return false;
}

static bool count_one(const bson_t *doc, void *ctx)
{
    (void)doc;
    (*(int64_t *)ctx)++;
    return true;
}

/*
 * The highest slot number of code (0 when none) and how many tombstones
 * it has: one descending read of the slots' range, limit 1, and the
 * tombstones' range (empty unless a registration failed).
 */
static enum store_status read_slots(struct db *db, const char *code, int64_t *top,
                                    int64_t *tombstones, bson_error_t *e)
{
    char prefix[PREFIX_SIZE];
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "_id", 1);
    mongoc_collection_t *c = db_collection(db, USES);
    struct top_read t = {0, false};
    range_prefix(code, SLOT_MARK, prefix);
    enum store_status s = store_prefix_each(c, prefix, &projection, true, 1, take_top, &t, e);
    *tombstones = 0;
    if (s == STORE_OK && t.unpadded) {
        /* Counting them as padded would misread the top: refuse instead. */
        bson_set_error(e, MONGOC_ERROR_COMMAND, MONGOC_ERROR_COMMAND_INVALID_ARG,
                       "invite %.6s has use slots of an earlier release: run wardenctl migrate",
                       code);
        s = STORE_ERROR;
    }
    if (s == STORE_OK) {
        range_prefix(code, TOMBSTONE_MARK, prefix);
        s = store_prefix_each(c, prefix, &projection, false, 0, count_one, tombstones, e);
    }
    bson_destroy(&projection);
    *top = t.top;
    return s;
}

static enum store_status read_uses(struct db *db, const char *code, int64_t *uses, bson_error_t *e)
{
    int64_t top, tombstones;
    enum store_status s = read_slots(db, code, &top, &tombstones, e);
    *uses = top > tombstones ? top - tombstones : 0;
    return s;
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
        if (s == STORE_OK) {
            /* A deleted invite of the same code may have left slots or
             * tombstones (a registration in flight while it was deleted):
             * they must not count here. Nobody knows the code yet. */
            char prefix[PREFIX_SIZE];
            range_prefix(code, SLOT_MARK, prefix);
            s = store_prefix_delete(db_collection(db, USES), prefix, NULL, e);
            range_prefix(code, TOMBSTONE_MARK, prefix);
            if (s == STORE_OK)
                s = store_prefix_delete(db_collection(db, USES), prefix, NULL, e);
        }
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
        s = read_uses(db, code, &out->uses, e);
    }
    bson_destroy(&filter);
    bson_destroy(&doc);
    return s;
}

static void fill_invite(const bson_t *doc, void *item)
{
    from_doc(doc, item);
}

static int oldest_first(const void *a, const void *b)
{
    const struct invite *x = a, *y = b;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? -1 : 1;
    return strcmp(x->code, y->code);
}

/* The listing is every invite: read whole and sorted here (a sort on
 * created_at in the query would need an index for no fewer reads). */
enum store_status store_invite_list(struct db *db, struct invite **out, size_t *n, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    void *items;
    enum store_status s = store_collect(db_collection(db, INVITES), &filter, NULL, sizeof **out,
                                        fill_invite, &items, n, e);
    bson_destroy(&filter);
    *out = items;
    if (s == STORE_OK && *n > 1)
        qsort(*out, *n, sizeof **out, oldest_first);
    for (size_t i = 0; i < *n && s == STORE_OK; i++)
        s = read_uses(db, (*out)[i].code, &(*out)[i].uses, e);
    return s;
}

enum store_status store_invite_delete(struct db *db, const char *code, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", code);
    int64_t deleted = 0;
    enum store_status s = store_delete(db_collection(db, INVITES), &filter, false, &deleted, e);
    bson_destroy(&filter);
    /* The invite first: a registration that read it before then may still
     * insert a slot or a tombstone, left behind under a code no invite has
     * (store_invite_create clears them if the code is ever drawn again). */
    char prefix[PREFIX_SIZE];
    range_prefix(code, SLOT_MARK, prefix);
    if (s == STORE_OK)
        s = store_prefix_delete(db_collection(db, USES), prefix, NULL, e);
    range_prefix(code, TOMBSTONE_MARK, prefix);
    if (s == STORE_OK)
        s = store_prefix_delete(db_collection(db, USES), prefix, NULL, e);
    if (s != STORE_OK)
        return s;
    return deleted ? STORE_OK : STORE_NOT_FOUND;
}

static enum store_status insert_slot(struct db *db, const char *code, int64_t n, bson_error_t *e)
{
    char id[SLOT_ID_SIZE];
    slot_id(code, SLOT_MARK, n, id);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_NULL(&doc, "user_id");
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, USES), &doc, e);
    bson_destroy(&doc);
    return s;
}

enum store_status store_invite_consume(struct db *db, const struct invite *inv, int64_t *slot,
                                       bson_error_t *e)
{
    for (int attempt = 0; attempt < CONSUME_ATTEMPTS; attempt++) {
        int64_t top, tombstones;
        enum store_status s = read_slots(db, inv->code, &top, &tombstones, e);
        if (s != STORE_OK)
            return s;
        int64_t n = top + 1;
        /* Live uses once n is in: n - tombstones at most (more may come back). */
        if (inv->max_uses >= 0 && n - tombstones > inv->max_uses)
            return STORE_NOT_FOUND;
        s = insert_slot(db, inv->code, n, e);
        if (s == STORE_OK) {
            *slot = n;
            return STORE_OK;
        }
        if (s != STORE_DUPLICATE)
            return s;
        /* Another registration took n first: read the top again. */
    }
    bson_set_error(e, MONGOC_ERROR_SERVER, BUSY_CODE,
                   "invite %.6s: %d races for a use slot lost in a row", inv->code,
                   CONSUME_ATTEMPTS);
    return STORE_ERROR;
}

enum store_status store_invite_slot_owner(struct db *db, const char *code, int64_t slot,
                                          int64_t user_id, bson_error_t *e)
{
    char id[SLOT_ID_SIZE];
    slot_id(code, SLOT_MARK, slot, id);
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
    char id[SLOT_ID_SIZE];
    slot_id(code, TOMBSTONE_MARK, slot, id);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, USES), &doc, e);
    bson_destroy(&doc);
    return s == STORE_DUPLICATE ? STORE_OK : s; /* given back already */
}

/* --- backfill ----------------------------------------------------------------- */

/*
 * The previous release stored slots as {_id: "<code>#<n>", code, n, ...}
 * with n unpadded and gaps where a use was given back (by deleting its
 * slot). The walk reads the uses collection in _id order, where all the
 * keys of one code are adjacent, and hands each code's documents to
 * migrate_code, which gives the old slots the numbers after the highest
 * padded one, in their old order, then deletes them. A padded slot made
 * from an old one carries its old_id: a run that stopped half-way skips
 * those on the next run, so a slot is never renumbered twice.
 */
#define BACKFILL_BATCH 512

struct old_slot {
    char id[64];
    int64_t n;
    bool has_user;
    int64_t user_id;
    int64_t created_at;
};

struct code_group {
    char code[INVITE_CODE_LEN + 1];
    struct old_slot *old;
    size_t n_old, cap_old;
    char (*migrated)[64];    /* old_id of the padded slots */
    size_t n_migrated, cap_migrated;
    int64_t top;             /* highest padded slot */
};

static int by_old_number(const void *a, const void *b)
{
    const struct old_slot *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void group_add(struct code_group *g, const bson_t *doc, const char *id)
{
    if (id[INVITE_CODE_LEN] != SLOT_MARK)
        return; /* a tombstone: only padded ones exist */
    int64_t n = slot_number(id);
    if (n >= 0) {
        if (n > g->top)
            g->top = n;
        char old_id[64];
        if (doc_string(doc, "old_id", old_id, sizeof old_id)) {
            if (g->n_migrated == g->cap_migrated) {
                g->cap_migrated = g->cap_migrated ? g->cap_migrated * 2 : 16;
                g->migrated = mem_realloc(g->migrated, g->cap_migrated * sizeof *g->migrated);
            }
            memcpy(g->migrated[g->n_migrated++], old_id, sizeof old_id);
        }
        return;
    }
    if (g->n_old == g->cap_old) {
        g->cap_old = g->cap_old ? g->cap_old * 2 : 16;
        g->old = mem_realloc(g->old, g->cap_old * sizeof *g->old);
    }
    struct old_slot *o = &g->old[g->n_old++];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    int64_t parsed = 0;
    if (parse_int64(id + INVITE_CODE_LEN + 1, 0, INT64_MAX, &parsed) < 0)
        parsed = INT64_MAX; /* unreadable: after every numbered one */
    o->n = doc_int(doc, "n", parsed);
    o->has_user = doc_has(doc, "user_id");
    o->user_id = doc_int(doc, "user_id", 0);
    o->created_at = doc_date(doc, "created_at", clock_wall_ms());
}

static bool was_migrated(const struct code_group *g, const char *old_id)
{
    for (size_t i = 0; i < g->n_migrated; i++)
        if (strcmp(g->migrated[i], old_id) == 0)
            return true;
    return false;
}

static enum store_status delete_ids(mongoc_collection_t *c, const struct old_slot *old, size_t n,
                                    bson_error_t *e)
{
    enum store_status s = STORE_OK;
    for (size_t start = 0; start < n && s == STORE_OK; start += BACKFILL_BATCH) {
        size_t end = start + BACKFILL_BATCH < n ? start + BACKFILL_BATCH : n;
        bson_t filter = BSON_INITIALIZER;
        struct store_in in;
        store_in_begin(&filter, &in);
        for (size_t i = start; i < end; i++)
            store_in_utf8(&in, old[i].id);
        store_in_end(&filter, &in);
        s = store_delete(c, &filter, true, NULL, e);
        bson_destroy(&filter);
    }
    return s;
}

static enum store_status migrate_code(struct db *db, struct code_group *g, bson_error_t *e)
{
    if (g->n_old == 0)
        return STORE_OK;
    mongoc_collection_t *c = db_collection(db, USES);
    qsort(g->old, g->n_old, sizeof *g->old, by_old_number);
    enum store_status s = STORE_OK;
    for (size_t i = 0; i < g->n_old && s == STORE_OK; i++) {
        if (was_migrated(g, g->old[i].id))
            continue;
        /* One at a time, in order: the padded slots stay without a gap. */
        do {
            char id[SLOT_ID_SIZE];
            slot_id(g->code, SLOT_MARK, ++g->top, id);
            bson_t doc = BSON_INITIALIZER;
            BSON_APPEND_UTF8(&doc, "_id", id);
            if (g->old[i].has_user)
                BSON_APPEND_INT64(&doc, "user_id", g->old[i].user_id);
            else
                BSON_APPEND_NULL(&doc, "user_id");
            BSON_APPEND_DATE_TIME(&doc, "created_at", g->old[i].created_at);
            BSON_APPEND_UTF8(&doc, "old_id", g->old[i].id);
            s = store_insert(c, &doc, e);
            bson_destroy(&doc);
        } while (s == STORE_DUPLICATE); /* a pool took that number meanwhile */
    }
    if (s == STORE_OK)
        s = delete_ids(c, g->old, g->n_old, e);
    return s;
}

struct uses_walk {
    struct db *db;
    struct code_group group;
    enum store_status status;
    bson_error_t *e;
};

static void group_reset(struct code_group *g, const char *code)
{
    snprintf(g->code, sizeof g->code, "%.6s", code);
    g->n_old = 0;
    g->n_migrated = 0;
    g->top = 0;
}

static bool walk_use(const bson_t *doc, void *ctx)
{
    struct uses_walk *w = ctx;
    char id[64];
    if (!doc_string(doc, "_id", id, sizeof id))
        return true;
    if (strlen(id) <= INVITE_CODE_LEN)
        return true;
    if (strncmp(id, w->group.code, INVITE_CODE_LEN) != 0) {
        w->status = migrate_code(w->db, &w->group, w->e);
        if (w->status != STORE_OK)
            return false;
        group_reset(&w->group, id);
    }
    group_add(&w->group, doc, id);
    return true;
}

static enum store_status walk_uses(struct db *db, bson_t **docs, size_t n, void *ctx,
                                   bson_error_t *e)
{
    (void)db;
    (void)e;
    struct uses_walk *w = ctx;
    for (size_t i = 0; i < n; i++)
        if (!walk_use(docs[i], w))
            break;
    return w->status;
}

enum store_status store_invites_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    struct uses_walk w;
    memset(&w, 0, sizeof w);
    w.db = db;
    w.e = e;
    w.status = STORE_OK;
    enum store_status s = store_walk(db, USES, NULL, BACKFILL_BATCH, walk_uses, &w, written, e);
    if (s == STORE_OK)
        s = migrate_code(db, &w.group, e);
    free(w.group.old);
    free(w.group.migrated);
    return s;
}
