/*
 * store/users: chat accounts and email claims (see include/warden/store/users.h).
 *
 * Discriminators: a tag claim "<username>#<dddd>" is inserted for a
 * discriminator drawn at random; a duplicate key means taken, and the draw
 * is repeated. The unique (username, discriminator) index on users stays as
 * a second guard.
 *
 * "More than 9000 of one name" needs a count, which no request may take by
 * reading the name's claims. So every creation first takes the next join
 * ordinal of its name (username_joins, "<username>#<10 digits>", the highest
 * read with one reversed prefix query, the next inserted: a duplicate means
 * a concurrent creation took it, read again). Ordinals only grow, so the
 * highest bounds the name's users from above: while it is at most 9000 no
 * more is read. A name past it (more than 9000 creations ever) has its
 * claims read, at most 9999 keys, to count exactly and to pick among the
 * free discriminators; so do creations whose random draws keep missing.
 */
#include "warden/store/users.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/store/db.h"
#include "warden/log.h"
#include "warden/snowflake.h"
#include "warden/store/user_search.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/parse.h"
#include "warden/doc.h"
#include "warden/valid.h"
#include "warden/utf8.h"

#define USERS "users"
#define USER_EMAILS "user_emails"
#define USER_TAGS "user_tags"
#define USERNAME_JOINS "username_joins"
#define STAFF_GRANTS "staff_grants"
#define JOIN_ATTEMPTS 64
#define ORDINAL_DIGITS 10
/* Random draws before the claims of the name are read. */
#define RANDOM_DRAWS 4
#define DISCRIMINATOR_LIMIT 9000
#define CREATE_ATTEMPTS 16
/* An email claim whose account never appeared is taken over after this long
 * (a registration that died between the two inserts). */
#define STALE_CLAIM_MS (60 * 1000)

void store_users_from_doc(const bson_t *doc, struct user *out)
{
    memset(out, 0, sizeof *out);
    out->id = doc_int(doc, "_id", 0);
    doc_string(doc, "username", out->username, sizeof out->username);
    doc_string(doc, "discriminator", out->discriminator, sizeof out->discriminator);
    doc_string(doc, "email", out->email, sizeof out->email);
    doc_string(doc, "password_hash", out->password_hash, sizeof out->password_hash);
    /* The staff bit is a grant of its own (store_users_add_staff_bits). */
    out->flags = doc_int(doc, "flags", 0) & ~(int64_t)USER_FLAG_STAFF;
    doc_string(doc, "avatar", out->avatar, sizeof out->avatar);
    doc_string(doc, "bio", out->bio, sizeof out->bio);
    out->accent_color = doc_has(doc, "accent_color") ? doc_int(doc, "accent_color", -1) : -1;
    out->premium = doc_bool(doc, "premium", false);
    out->bot = doc_bool(doc, "bot", false);
    out->verified = doc_bool(doc, "verified", false);
    out->mfa_enabled = doc_bool(doc, "mfa_enabled", false);
    out->created_at = doc_date(doc, "created_at", 0);
}

static enum store_status get_by(struct db *db, const bson_t *filter, struct user *out, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    enum store_status s = store_find_one(db_collection(db, USERS), filter, NULL, &doc, e);
    if (s == STORE_OK) {
        store_users_from_doc(&doc, out);
        s = store_users_add_staff_bits(db, out, 1, e);
    }
    bson_destroy(&doc);
    return s;
}

/* The users a grant lookup marks. */
struct staff_page {
    struct user *users;
    size_t n;
};

static bool grant_seen(const bson_t *doc, void *ctx)
{
    struct staff_page *page = ctx;
    int64_t id = doc_int(doc, "_id", 0);
    for (size_t i = 0; i < page->n; i++)
        if (page->users[i].id == id)
            page->users[i].flags |= USER_FLAG_STAFF;
    return true;
}

enum store_status store_users_add_staff_bits(struct db *db, struct user *users, size_t n,
                                             bson_error_t *e)
{
    if (n == 0)
        return STORE_OK;
    bson_t filter = BSON_INITIALIZER;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = 0; i < n; i++)
        store_in_int64(&in, users[i].id);
    store_in_end(&filter, &in);
    struct staff_page page = {users, n};
    enum store_status s = store_each(db_collection(db, STAFF_GRANTS), &filter, NULL, grant_seen,
                                     &page, e);
    bson_destroy(&filter);
    return s;
}

enum store_status store_users_set_staff(struct db *db, int64_t id, bool staff, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_INT64(&doc, "_id", id);
    enum store_status s;
    if (staff) {
        BSON_APPEND_DATE_TIME(&doc, "granted_at", clock_wall_ms());
        s = store_insert(db_collection(db, STAFF_GRANTS), &doc, e);
        if (s == STORE_DUPLICATE)
            s = STORE_OK; /* already staff */
    } else {
        s = store_delete(db_collection(db, STAFF_GRANTS), &doc, false, NULL, e);
        if (s == STORE_NOT_FOUND)
            s = STORE_OK;
    }
    bson_destroy(&doc);
    return s;
}

enum store_status store_users_get(struct db *db, int64_t id, struct user *out, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "_id", id);
    enum store_status s = get_by(db, &filter, out, e);
    bson_destroy(&filter);
    return s;
}

void store_users_tag_key(const char *username, const char *discriminator, char *out, size_t size)
{
    snprintf(out, size, "%s#%s", username, discriminator);
}

void store_users_build_claim(bson_t *doc, const char *key, int64_t user_id, int64_t now)
{
    BSON_APPEND_UTF8(doc, "_id", key);
    BSON_APPEND_INT64(doc, "user_id", user_id);
    BSON_APPEND_DATE_TIME(doc, "created_at", now);
}

enum store_status store_users_find_by_tag(struct db *db, const char *username,
                                          const char *discriminator, struct user *out,
                                          bson_error_t *e)
{
    char key[96];
    store_users_tag_key(username, discriminator, key, sizeof key);
    bson_t filter = BSON_INITIALIZER, claim = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    enum store_status s = store_find_one(db_collection(db, USER_TAGS), &filter, NULL, &claim, e);
    if (s == STORE_OK) {
        s = store_users_get(db, doc_int(&claim, "user_id", 0), out, e);
        /* A claim left by a failed creation or a rename points elsewhere. */
        if (s == STORE_OK &&
            (strcmp(out->username, username) != 0 || strcmp(out->discriminator, discriminator) != 0))
            s = STORE_NOT_FOUND;
    }
    bson_destroy(&filter);
    bson_destroy(&claim);
    return s;
}

/* Claim username#discriminator for user_id; STORE_DUPLICATE when taken. */
static enum store_status claim_tag(struct db *db, const char *username, const char *discriminator,
                                   int64_t user_id, bson_error_t *e)
{
    char key[96];
    store_users_tag_key(username, discriminator, key, sizeof key);
    bson_t doc = BSON_INITIALIZER;
    store_users_build_claim(&doc, key, user_id, clock_wall_ms());
    enum store_status s = store_insert(db_collection(db, USER_TAGS), &doc, e);
    bson_destroy(&doc);
    return s;
}

/* Give up a tag claim (only if user_id holds it). */
static void release_tag(struct db *db, const char *username, const char *discriminator,
                        int64_t user_id)
{
    char key[96];
    store_users_tag_key(username, discriminator, key, sizeof key);
    bson_t filter = BSON_INITIALIZER;
    bson_error_t ignored;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_INT64(&filter, "user_id", user_id);
    store_delete(db_collection(db, USER_TAGS), &filter, false, NULL, &ignored);
    bson_destroy(&filter);
}

void store_users_email_key(const char *email, char out[EMAIL_MAX + 1])
{
    size_t len = strlen(email);
    if (len > EMAIL_MAX)
        len = EMAIL_MAX;
    utf8_ascii_lower(email, len, out);
}

enum store_status store_users_find_by_email(struct db *db, const char *email, struct user *out,
                                            bson_error_t *e)
{
    char key[EMAIL_MAX + 1];
    store_users_email_key(email, key);
    bson_t filter = BSON_INITIALIZER, claim = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", key);
    enum store_status s = store_find_one(db_collection(db, USER_EMAILS), &filter, NULL, &claim, e);
    if (s == STORE_OK) {
        s = store_users_get(db, doc_int(&claim, "user_id", 0), out, e);
        /* A claim left by a failed registration points at nobody, or at a
         * user whose email has since changed. */
        if (s == STORE_OK) {
            char current[EMAIL_MAX + 1];
            store_users_email_key(out->email, current);
            if (strcmp(current, key) != 0)
                s = STORE_NOT_FOUND;
        }
    }
    bson_destroy(&filter);
    bson_destroy(&claim);
    return s;
}

/* Take the email for user_id; replaces a stale claim of an account that never appeared. */
static enum store_status claim_email(struct db *db, const char *key, int64_t user_id, bson_error_t *e)
{
    mongoc_collection_t *claims = db_collection(db, USER_EMAILS);
    for (int attempt = 0; attempt < 2; attempt++) {
        bson_t doc = BSON_INITIALIZER;
        store_users_build_claim(&doc, key, user_id, clock_wall_ms());
        enum store_status s = store_insert(claims, &doc, e);
        bson_destroy(&doc);
        if (s != STORE_DUPLICATE)
            return s;

        bson_t filter = BSON_INITIALIZER, existing = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&filter, "_id", key);
        s = store_find_one(claims, &filter, NULL, &existing, e);
        bson_destroy(&filter);
        if (s != STORE_OK) {
            bson_destroy(&existing);
            return s == STORE_NOT_FOUND ? STORE_DUPLICATE : s; /* released meanwhile: retry once */
        }
        int64_t owner = doc_int(&existing, "user_id", 0);
        int64_t age = clock_wall_ms() - doc_date(&existing, "created_at", 0);
        bson_destroy(&existing);
        struct user u;
        s = store_users_get(db, owner, &u, e);
        if (s == STORE_ERROR)
            return s;
        char current[EMAIL_MAX + 1];
        store_users_email_key(u.email, current);
        if ((s == STORE_OK && strcmp(current, key) == 0) || age < STALE_CLAIM_MS)
            return STORE_DUPLICATE;
        /* Stale: remove exactly that claim (not one taken since) and retry. */
        bson_t stale = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&stale, "_id", key);
        BSON_APPEND_INT64(&stale, "user_id", owner);
        s = store_delete(claims, &stale, false, NULL, e);
        bson_destroy(&stale);
        if (s != STORE_OK)
            return s;
    }
    return STORE_DUPLICATE;
}

/* Hand an email claim from one id to another (only if old_id still holds it). */
static enum store_status move_claim(struct db *db, const char *key, int64_t old_id, int64_t new_id,
                                    bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_INT64(&filter, "user_id", old_id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_INT64(&set, "user_id", new_id);
    bson_append_document_end(&update, &set);
    enum store_status s = store_update_one(db_collection(db, USER_EMAILS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s;
}

static void release_email(struct db *db, const char *key, int64_t user_id)
{
    bson_t filter = BSON_INITIALIZER;
    bson_error_t e;
    BSON_APPEND_UTF8(&filter, "_id", key);
    BSON_APPEND_INT64(&filter, "user_id", user_id);
    store_delete(db_collection(db, USER_EMAILS), &filter, false, NULL, &e);
    bson_destroy(&filter);
}

struct used_set {
    unsigned char *used;
    int count;
    size_t prefix_len;
};

static bool mark_used(const bson_t *doc, void *ctx)
{
    struct used_set *set = ctx;
    char key[96];
    int64_t n;
    if (doc_string(doc, "_id", key, sizeof key) && strlen(key) == set->prefix_len + 4 &&
        parse_int64(key + set->prefix_len, 1, 9999, &n) == 0 && !set->used[n]) {
        set->used[n] = 1;
        set->count++;
    }
    return true;
}

/* Mark the discriminators claimed with username; returns how many, or -1. */
static int used_discriminators(struct db *db, const char *username, unsigned char used[10000],
                               bson_error_t *e)
{
    memset(used, 0, 10000);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s#", username);
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "_id", 1);
    struct used_set set = {used, 0, strlen(prefix)};
    enum store_status s = store_prefix_each(db_collection(db, USER_TAGS), prefix, &projection,
                                            false, 0, mark_used, &set, e);
    bson_destroy(&projection);
    return s == STORE_OK ? set.count : -1;
}

struct top_ordinal {
    size_t prefix_len;
    int64_t value;
};

static bool read_ordinal(const bson_t *doc, void *ctx)
{
    struct top_ordinal *top = ctx;
    char key[128];
    int64_t v;
    if (doc_string(doc, "_id", key, sizeof key) && strlen(key) == top->prefix_len + ORDINAL_DIGITS &&
        parse_int64(key + top->prefix_len, 0, INT64_MAX, &v) == 0)
        top->value = v;
    return false;
}

/* prefix: "<username>#" */
static void ordinal_key(const char *prefix, int64_t ordinal, char *out, size_t size)
{
    snprintf(out, size, "%s%0*lld", prefix, ORDINAL_DIGITS, (long long)ordinal);
}

void store_users_join_key(const char *username, int64_t ordinal, char *out, size_t size)
{
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s#", username);
    ordinal_key(prefix, ordinal, out, size);
}

/* Take the next join ordinal of username into *ordinal. */
static enum store_status join_name(struct db *db, const char *username, int64_t user_id,
                                   int64_t *ordinal, bson_error_t *e)
{
    mongoc_collection_t *joins = db_collection(db, USERNAME_JOINS);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s#", username);
    for (int attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
        struct top_ordinal top = {strlen(prefix), 0};
        enum store_status s = store_prefix_each(joins, prefix, NULL, true, 1, read_ordinal, &top, e);
        if (s != STORE_OK)
            return s;
        char key[128];
        ordinal_key(prefix, top.value + 1, key, sizeof key);
        bson_t doc = BSON_INITIALIZER;
        store_users_build_claim(&doc, key, user_id, clock_wall_ms());
        s = store_insert(joins, &doc, e);
        bson_destroy(&doc);
        if (s != STORE_DUPLICATE) {
            *ordinal = top.value + 1;
            return s;
        }
    }
    /* Taken every time: the name is as busy as names get. */
    *ordinal = INT64_MAX;
    return STORE_OK;
}

static int pick_free(const unsigned char used[10000], int n_used)
{
    int free_count = 9999 - n_used;
    if (free_count <= 0)
        return -1;
    uint32_t k = randombytes_uniform((uint32_t)free_count);
    for (int d = 1; d <= 9999; d++)
        if (!used[d] && k-- == 0)
            return d;
    return -1;
}

void store_users_build_doc(bson_t *doc, int64_t id, const struct user_new *in,
                           const char *discriminator, int64_t now)
{
    BSON_APPEND_INT64(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "username", in->username);
    BSON_APPEND_UTF8(doc, "discriminator", discriminator);
    BSON_APPEND_UTF8(doc, "email", in->email);
    BSON_APPEND_UTF8(doc, "password_hash", in->password_hash);
    BSON_APPEND_INT64(doc, "flags", in->flags & ~(int64_t)USER_FLAG_STAFF);
    BSON_APPEND_NULL(doc, "avatar");
    BSON_APPEND_UTF8(doc, "bio", "");
    BSON_APPEND_NULL(doc, "accent_color");
    BSON_APPEND_BOOL(doc, "premium", false);
    BSON_APPEND_NULL(doc, "premium_type");
    BSON_APPEND_BOOL(doc, "bot", false);
    BSON_APPEND_BOOL(doc, "verified", in->verified);
    BSON_APPEND_BOOL(doc, "mfa_enabled", false);
    BSON_APPEND_NULL(doc, "phone");
    BSON_APPEND_DATE_TIME(doc, "created_at", now);
}

enum store_status store_users_create(struct db *db, const struct user_new *in, struct user *out,
                                     enum user_create_problem *problem, bson_error_t *e)
{
    *problem = USER_CREATE_OK;
    int64_t id = snowflake_next();
    char key[EMAIL_MAX + 1];
    store_users_email_key(in->email, key);
    enum store_status s = claim_email(db, key, id, e);
    if (s == STORE_DUPLICATE)
        *problem = USER_CREATE_EMAIL_TAKEN;
    if (s != STORE_OK)
        return s;

    int64_t ordinal = 0;
    s = join_name(db, in->username, id, &ordinal, e);
    if (s != STORE_OK) {
        release_email(db, key, id);
        return s;
    }
    /* Past the limit in creations ever: count, and pick among the free ones. */
    int random_draws = ordinal > DISCRIMINATOR_LIMIT ? 0 : RANDOM_DRAWS;
    unsigned char *used = mem_alloc(10000);
    for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        int d;
        if (attempt < random_draws) {
            d = 1 + (int)randombytes_uniform(9999);
        } else {
            int n_used = used_discriminators(db, in->username, used, e);
            if (n_used < 0) {
                s = STORE_ERROR;
                break;
            }
            if (n_used >= DISCRIMINATOR_LIMIT) {
                *problem = USER_CREATE_TOO_MANY;
                s = STORE_DUPLICATE;
                break;
            }
            d = pick_free(used, n_used);
        }
        char discriminator[12]; /* room for any int: the compiler cannot see pick_free's range */
        snprintf(discriminator, sizeof discriminator, "%04d", d);
        s = claim_tag(db, in->username, discriminator, id, e);
        if (s == STORE_DUPLICATE)
            continue; /* taken: draw again */
        if (s != STORE_OK)
            break;
        /* Postings before the account: a search never misses a user that exists. */
        s = store_user_search_index(db, id, in->username, discriminator, e);
        int64_t now = clock_wall_ms();
        bson_t doc = BSON_INITIALIZER;
        store_users_build_doc(&doc, id, in, discriminator, now);
        if (s == STORE_OK)
            s = store_insert(db_collection(db, USERS), &doc, e);
        if (s == STORE_OK) {
            store_users_from_doc(&doc, out);
            bson_destroy(&doc);
            break;
        }
        bson_destroy(&doc);
        bson_error_t ignored;
        store_user_search_unindex(db, id, in->username, discriminator, &ignored);
        release_tag(db, in->username, discriminator, id);
        if (s != STORE_DUPLICATE)
            break;
        /* The users index refused it: the pair is held by an account that has
         * no claim (stored before claims existed: `wardenctl migrate` adds
         * them), or, rarely, the id is taken (two wardenctl runs share a
         * process field): then take a new one and move the email claim, which
         * names the id, along with it. */
        struct user other;
        if (store_users_get(db, id, &other, &ignored) == STORE_OK) {
            int64_t new_id = snowflake_next();
            s = move_claim(db, key, id, new_id, e);
            if (s != STORE_OK)
                break;
            id = new_id;
        }
        s = STORE_DUPLICATE;
    }
    free(used);
    if (s == STORE_DUPLICATE && *problem == USER_CREATE_OK)
        *problem = USER_CREATE_TOO_MANY;
    if (s != STORE_OK)
        release_email(db, key, id);
    return s;
}

static enum store_status set_field(struct db *db, int64_t id, const bson_t *set, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "_id", id);
    BSON_APPEND_DOCUMENT(&update, "$set", set);
    enum store_status s = store_update_one(db_collection(db, USERS), &filter, &update, e);
    bson_destroy(&filter);
    bson_destroy(&update);
    return s;
}

enum store_status store_users_set_flags(struct db *db, int64_t id, int64_t flags, bson_error_t *e)
{
    bson_t set = BSON_INITIALIZER;
    BSON_APPEND_INT64(&set, "flags", flags & ~(int64_t)USER_FLAG_STAFF);
    enum store_status s = set_field(db, id, &set, e);
    bson_destroy(&set);
    return s;
}

enum store_status store_users_set_password(struct db *db, int64_t id, const char *password_hash,
                                           bson_error_t *e)
{
    bson_t set = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&set, "password_hash", password_hash);
    enum store_status s = set_field(db, id, &set, e);
    bson_destroy(&set);
    return s;
}

enum store_status store_users_soft_delete(struct db *db, int64_t id, struct user *before,
                                          struct user *after, bson_error_t *e)
{
    enum store_status s = store_users_get(db, id, before, e);
    if (s != STORE_OK)
        return s;
    for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        unsigned char random[4];
        randombytes_buf(random, sizeof random);
        char name[32], hash[PASSWORD_HASH_SIZE];
        snprintf(name, sizeof name, "Deleted User %02x%02x%02x%02x", random[0], random[1],
                 random[2], random[3]);
        password_unusable(hash);
        /* The new name's claim and postings first, the old ones dropped
         * after: a search finds the user under one name or the other. */
        s = claim_tag(db, name, before->discriminator, id, e);
        if (s == STORE_DUPLICATE)
            continue;
        if (s == STORE_OK)
            s = store_user_search_index(db, id, name, before->discriminator, e);
        if (s != STORE_OK) {
            release_tag(db, name, before->discriminator, id);
            break;
        }
        bson_t set = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&set, "username", name);
        BSON_APPEND_NULL(&set, "email");
        BSON_APPEND_NULL(&set, "avatar");
        BSON_APPEND_BOOL(&set, "premium", false);
        BSON_APPEND_NULL(&set, "premium_type");
        BSON_APPEND_NULL(&set, "phone");
        BSON_APPEND_INT64(&set, "flags", 0);
        BSON_APPEND_BOOL(&set, "mfa_enabled", false);
        BSON_APPEND_BOOL(&set, "verified", false);
        BSON_APPEND_UTF8(&set, "password_hash", hash);
        BSON_APPEND_DATE_TIME(&set, "deleted_at", clock_wall_ms());
        s = set_field(db, id, &set, e);
        bson_destroy(&set);
        if (s == STORE_OK)
            break;
        bson_error_t ignored;
        store_user_search_unindex(db, id, name, before->discriminator, &ignored);
        release_tag(db, name, before->discriminator, id);
        if (s != STORE_DUPLICATE) /* the new name clashed with another deleted user: draw again */
            break;
    }
    if (s != STORE_OK)
        return s;
    s = store_users_set_staff(db, id, false, e); /* a deleted user holds no grant */
    if (s != STORE_OK)
        return s;
    bson_error_t ignored;
    if (store_user_search_unindex(db, id, before->username, before->discriminator, &ignored) != STORE_OK)
        log_warn("user %lld: postings of the old name left behind: %s", (long long)id, ignored.message);
    release_tag(db, before->username, before->discriminator, id);
    if (before->email[0]) {
        char key[EMAIL_MAX + 1];
        store_users_email_key(before->email, key);
        release_email(db, key, id);
    }
    return store_users_get(db, id, after, e);
}

enum store_status store_users_index_existing(struct db *db, const struct user *u, bson_error_t *e)
{
    char key[96];
    store_users_tag_key(u->username, u->discriminator, key, sizeof key);
    bson_t claim = BSON_INITIALIZER;
    store_users_build_claim(&claim, key, u->id, clock_wall_ms());
    const bson_t *docs[] = {&claim};
    enum store_status s = store_insert_claims(db_collection(db, USER_TAGS), docs, 1, e);
    bson_destroy(&claim);
    if (s == STORE_OK)
        s = store_user_search_index(db, u->id, u->username, u->discriminator, e);
    return s;
}

#define BACKFILL_BATCH 512

/* Join ordinals for the tag claims of each name: 1..k for its k claims. */
struct ordinal_fill {
    struct db *db;
    char name[128];
    int64_t count;
    bson_t *docs[BACKFILL_BATCH];
    size_t n;
    enum store_status status;
    bson_error_t *e;
};

static void flush_ordinals(struct ordinal_fill *f)
{
    if (f->status == STORE_OK)
        f->status = store_insert_claims(db_collection(f->db, USERNAME_JOINS),
                                        (const bson_t *const *)f->docs, f->n, f->e);
    for (size_t i = 0; i < f->n; i++)
        bson_destroy(f->docs[i]);
    f->n = 0;
}

static bool add_ordinal(const bson_t *doc, void *ctx)
{
    struct ordinal_fill *f = ctx;
    char key[128];
    doc_string(doc, "_id", key, sizeof key);
    char *hash = strrchr(key, '#');
    if (!hash)
        return true;
    *hash = '\0';
    if (strcmp(key, f->name) != 0) {
        snprintf(f->name, sizeof f->name, "%s", key);
        f->count = 0;
    }
    char prefix[136], ordinal[160];
    snprintf(prefix, sizeof prefix, "%s#", key);
    ordinal_key(prefix, ++f->count, ordinal, sizeof ordinal);
    f->docs[f->n] = bson_new();
    store_users_build_claim(f->docs[f->n++], ordinal, doc_int(doc, "user_id", 0), clock_wall_ms());
    if (f->n == BACKFILL_BATCH)
        flush_ordinals(f);
    return f->status == STORE_OK;
}

static enum store_status backfill_ordinals(struct db *db, bson_error_t *e)
{
    struct ordinal_fill *f = mem_calloc(1, sizeof *f);
    f->db = db;
    f->status = STORE_OK;
    f->e = e;
    enum store_status s = store_prefix_each(db_collection(db, USER_TAGS), "", NULL, false, 0,
                                            add_ordinal, f, e);
    flush_ordinals(f);
    if (s == STORE_OK)
        s = f->status;
    free(f);
    return s;
}

static enum store_status index_batch(struct db *db, bson_t **docs, size_t n, void *ctx,
                                     bson_error_t *e)
{
    (void)ctx;
    enum store_status s = STORE_OK;
    for (size_t i = 0; i < n && s == STORE_OK; i++) {
        struct user u;
        store_users_from_doc(docs[i], &u);
        s = store_users_index_existing(db, &u, e);
    }
    return s;
}

enum store_status store_users_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    enum store_status s = store_walk(db, USERS, NULL, BACKFILL_BATCH, index_batch, NULL, written, e);
    return s == STORE_OK ? backfill_ordinals(db, e) : s;
}

void store_users_append_public(bson_t *doc, const struct user *u)
{
    /* Ids as decimal strings, as the API renders them. */
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)u->id);
    BSON_APPEND_UTF8(doc, "id", id);
    BSON_APPEND_UTF8(doc, "username", u->username);
    BSON_APPEND_UTF8(doc, "discriminator", u->discriminator);
    if (u->avatar[0])
        BSON_APPEND_UTF8(doc, "avatar", u->avatar);
    else
        BSON_APPEND_NULL(doc, "avatar");
    BSON_APPEND_INT64(doc, "flags", u->flags);
    BSON_APPEND_INT64(doc, "public_flags", u->flags);
    BSON_APPEND_BOOL(doc, "bot", u->bot);
    BSON_APPEND_UTF8(doc, "bio", u->bio);
    if (u->accent_color >= 0)
        BSON_APPEND_INT64(doc, "accent_color", u->accent_color);
    else
        BSON_APPEND_NULL(doc, "accent_color");
    BSON_APPEND_BOOL(doc, "premium", u->premium);
}

static enum store_status grant_legacy_staff(struct db *db, bson_t **docs, size_t n, void *ctx,
                                            bson_error_t *e)
{
    int64_t *moved = ctx;
    for (size_t i = 0; i < n; i++) {
        int64_t flags = doc_int(docs[i], "flags", 0);
        if (!(flags & USER_FLAG_STAFF))
            continue;
        int64_t id = doc_int(docs[i], "_id", 0);
        /* The grant first: the user is staff throughout. */
        enum store_status s = store_users_set_staff(db, id, true, e);
        if (s == STORE_OK)
            s = store_users_set_flags(db, id, flags, e);
        if (s != STORE_OK && s != STORE_NOT_FOUND)
            return s;
        (*moved)++;
    }
    return STORE_OK;
}

enum store_status store_users_staff_to_grants(struct db *db, int64_t *moved, bson_error_t *e)
{
    bson_t projection = BSON_INITIALIZER;
    BSON_APPEND_INT32(&projection, "flags", 1);
    *moved = 0;
    enum store_status s = store_walk(db, USERS, &projection, 256, grant_legacy_staff, moved, NULL, e);
    bson_destroy(&projection);
    return s;
}
