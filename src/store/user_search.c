/*
 * store/user_search: trigram and discriminator postings, and the search
 * that walks them (see include/warden/store/user_search.h).
 */
#include "warden/store/user_search.h"
#include "warden/store/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/store/db.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/doc.h"

#define GRAMS "user_grams"
#define USERS "users"
#define GRAM 3
/* Postings read per query of a list: few, since FerretDB spends ~40 µs on
 * each document it returns, and a leapfrogging list reads anew at most
 * every step. */
#define LIST_BATCH 16
/* Candidates whose users are read in one $in query; a page holds at most 50. */
#define MATCH_BATCH 64
/* Users read per query by the walk for needles shorter than a trigram. */
#define WALK_BATCH 256
/* A needle has at most 30 bytes in practice; longer ones use their first grams. */
#define MAX_LISTS 32
#define KEY_SIZE 48
#define NAME_SIZE 64

/* "<hex of three bytes>:" */
static void gram_prefix(const unsigned char *gram, char out[KEY_SIZE])
{
    snprintf(out, KEY_SIZE, "%02x%02x%02x:", gram[0], gram[1], gram[2]);
}

static void discriminator_prefix(const char *discriminator, char out[KEY_SIZE])
{
    snprintf(out, KEY_SIZE, "#%.4s:", discriminator);
}

/* The distinct list prefixes of a username (its trigrams) and discriminator. */
static size_t posting_prefixes(const char *username, const char *discriminator,
                               char prefixes[][KEY_SIZE], size_t max)
{
    size_t n = 0, len = username ? strlen(username) : 0;
    bool with_discriminator = discriminator && *discriminator;
    size_t max_grams = with_discriminator && max > 0 ? max - 1 : max; /* its list always counts */
    for (size_t i = 0; i + GRAM <= len && n < max_grams; i++) {
        char p[KEY_SIZE];
        gram_prefix((const unsigned char *)username + i, p);
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(prefixes[k], p) == 0;
        if (!seen)
            memcpy(prefixes[n++], p, KEY_SIZE);
    }
    if (with_discriminator && n < max)
        discriminator_prefix(discriminator, prefixes[n++]);
    return n;
}

static void posting_key(const char *prefix, int64_t id, char out[KEY_SIZE])
{
    /* Prefixes are at most 8 bytes: the key always fits. */
    size_t len = strnlen(prefix, KEY_SIZE - STORE_ID_DIGITS - 1);
    memcpy(out, prefix, len);
    store_pad_id(id, out + len);
}

size_t store_user_search_postings(int64_t id, const char *username, const char *discriminator,
                                  bson_t **docs, size_t max)
{
    char prefixes[STORE_USER_POSTINGS_MAX][KEY_SIZE];
    size_t n = posting_prefixes(username, discriminator, prefixes,
                                max < STORE_USER_POSTINGS_MAX ? max : STORE_USER_POSTINGS_MAX);
    for (size_t i = 0; i < n; i++) {
        char key[KEY_SIZE];
        posting_key(prefixes[i], id, key);
        docs[i] = bson_new();
        BSON_APPEND_UTF8(docs[i], "_id", key);
        BSON_APPEND_UTF8(docs[i], "u", username);
        if (discriminator && *discriminator)
            BSON_APPEND_UTF8(docs[i], "d", discriminator);
    }
    return n;
}

enum store_status store_user_search_index(struct db *db, int64_t id, const char *username,
                                          const char *discriminator, bson_error_t *e)
{
    bson_t *docs[STORE_USER_POSTINGS_MAX];
    size_t n = store_user_search_postings(id, username, discriminator, docs, STORE_USER_POSTINGS_MAX);
    return store_insert_claims_owned(db_collection(db, GRAMS), docs, n, e);
}

enum store_status store_user_search_unindex(struct db *db, int64_t id, const char *username,
                                            const char *discriminator, bson_error_t *e)
{
    char prefixes[STORE_USER_POSTINGS_MAX][KEY_SIZE];
    size_t n = posting_prefixes(username, discriminator, prefixes, STORE_USER_POSTINGS_MAX);
    if (n == 0)
        return STORE_OK;
    bson_t filter = BSON_INITIALIZER;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = 0; i < n; i++) {
        char key[KEY_SIZE];
        posting_key(prefixes[i], id, key);
        store_in_utf8(&in, key);
    }
    store_in_end(&filter, &in);
    enum store_status s = store_delete(db_collection(db, GRAMS), &filter, true, NULL, e);
    bson_destroy(&filter);
    return s;
}

/* --- the walk ------------------------------------------------------------- */

/* One posting list, read a batch at a time from where the walk stands. */
struct list {
    char prefix[KEY_SIZE];
    struct posting {
        int64_t id;
        char name[NAME_SIZE];
        char discriminator[8]; /* "" when the posting does not say */
    } *items;
    size_t n, pos;
    bool last_batch; /* the list ends after what is buffered */
};

struct fill {
    struct list *list;
    size_t prefix_len, max;
};

static bool fill_one(const bson_t *doc, void *ctx)
{
    struct fill *f = ctx;
    char key[KEY_SIZE];
    doc_string(doc, "_id", key, sizeof key);
    int64_t id = strlen(key) == f->prefix_len + STORE_ID_DIGITS ? store_unpad_id(key + f->prefix_len) : -1;
    if (id < 0)
        return true; /* not a posting of ours */
    struct posting *p = &f->list->items[f->list->n++];
    p->id = id;
    doc_string(doc, "u", p->name, sizeof p->name);
    doc_string(doc, "d", p->discriminator, sizeof p->discriminator);
    return f->list->n < f->max;
}

/* Read the next batch (up to max postings) of l, from id from on. */
static enum store_status list_fetch(struct db *db, struct list *l, int64_t from, size_t max,
                                    bson_error_t *e)
{
    char padded[STORE_ID_DIGITS + 1];
    store_pad_id(from, padded);
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    store_prefix_filter(&filter, l->prefix, padded, false);
    store_find_opts(&opts, "_id", NULL, 0, (int64_t)max);
    l->n = l->pos = 0;
    struct fill f = {l, strlen(l->prefix), max};
    enum store_status s = store_each(db_collection(db, GRAMS), &filter, &opts, fill_one, &f, e);
    l->last_batch = l->n < max;
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}

/* The first posting of l at or after target, or NULL when the list has none. */
static enum store_status list_seek(struct db *db, struct list *l, int64_t target,
                                   const struct posting **at, bson_error_t *e)
{
    while (l->pos < l->n && l->items[l->pos].id < target)
        l->pos++;
    if (l->pos == l->n && !l->last_batch) {
        enum store_status s = list_fetch(db, l, target, LIST_BATCH, e);
        if (s != STORE_OK)
            return s;
    }
    *at = l->pos < l->n ? &l->items[l->pos] : NULL;
    return STORE_OK;
}

struct matches {
    int64_t ids[MATCH_BATCH];
    size_t n;
};

static bool posting_matches(const struct posting *p, const char *needle, const char *discriminator)
{
    if (needle && !strstr(p->name, needle))
        return false;
    /* A posting that does not carry its discriminator is left to the check on the user. */
    return !(discriminator && *discriminator && p->discriminator[0] &&
             strcmp(p->discriminator, discriminator) != 0);
}

struct walk {
    struct list *lists;
    size_t n_lists;
    int64_t next; /* the least id not yet looked at */
    bool done;
};

/*
 * Collect up to want ids present in every list of w whose posting matches
 * q, skipping the first *skip such (counted down as they pass). Leapfrog:
 * each list moves to the candidate id; one that is past it makes its id the
 * new candidate, until all agree. So the walk goes at the pace of the
 * sparsest list, and each list is read only near the candidates.
 */
static enum store_status walk_postings(struct db *db, struct walk *w, const struct user_query *q,
                                       int64_t *skip, size_t want, struct matches *m,
                                       bson_error_t *e)
{
    const char *needle = q->username && *q->username ? q->username : NULL;
    m->n = 0;
    while (!w->done && m->n < want) {
        int64_t candidate = w->next;
        const struct posting *at = NULL;
        for (size_t i = 0, agreed = 0; agreed < w->n_lists; i = (i + 1) % w->n_lists) {
            enum store_status s = list_seek(db, &w->lists[i], candidate, &at, e);
            if (s != STORE_OK)
                return s;
            if (!at) {
                w->done = true;
                return STORE_OK;
            }
            if (at->id == candidate) {
                agreed++;
            } else {
                candidate = at->id;
                agreed = 1;
            }
        }
        if (posting_matches(at, needle, q->discriminator)) {
            if (*skip > 0)
                (*skip)--;
            else
                m->ids[m->n++] = candidate;
        }
        if (candidate == INT64_MAX)
            w->done = true;
        w->next = candidate + 1;
    }
    return STORE_OK;
}

static void fill_user(const bson_t *doc, void *item)
{
    store_users_from_doc(doc, item);
}

static int by_id(const void *a, const void *b)
{
    int64_t x = ((const struct user *)a)->id, y = ((const struct user *)b)->id;
    return (x > y) - (x < y);
}

static bool user_matches(const struct user *u, const struct user_query *q)
{
    if (q->username && *q->username && !strstr(u->username, q->username))
        return false;
    return !(q->discriminator && *q->discriminator && strcmp(u->discriminator, q->discriminator) != 0);
}

/* The users of m, by _id, that still match q, appended to out (in id order). */
static enum store_status read_matches(struct db *db, const struct matches *m,
                                      const struct user_query *q, struct user **out, size_t *n,
                                      bson_error_t *e)
{
    if (m->n == 0)
        return STORE_OK;
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = 0; i < m->n; i++)
        store_in_int64(&in, m->ids[i]);
    store_in_end(&filter, &in);
    store_find_opts(&opts, "_id", NULL, 0, 0);
    void *items;
    size_t got;
    enum store_status s = store_collect(db_collection(db, USERS), &filter, &opts, sizeof **out,
                                        fill_user, &items, &got, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    struct user *found = items;
    if (s == STORE_OK) {
        qsort(found, got, sizeof *found, by_id);
        *out = mem_realloc(*out, (*n + got + 1) * sizeof **out);
        for (size_t i = 0; i < got; i++)
            if (user_matches(&found[i], q))
                (*out)[(*n)++] = found[i];
    }
    free(found);
    return s;
}

static enum store_status search_postings(struct db *db, const struct user_query *q,
                                         char prefixes[][KEY_SIZE], size_t n_lists,
                                         struct user **out, size_t *n, bson_error_t *e)
{
    struct list *lists = mem_calloc(n_lists, sizeof *lists);
    enum store_status s = STORE_OK;
    bool empty = false;
    size_t shortest = n_lists; /* a list that ended within its first batch */
    for (size_t i = 0; i < n_lists && s == STORE_OK && !empty; i++) {
        memcpy(lists[i].prefix, prefixes[i], KEY_SIZE);
        lists[i].items = mem_alloc(LIST_BATCH * sizeof *lists[i].items);
        s = list_fetch(db, &lists[i], 0, LIST_BATCH, e);
        empty = lists[i].n == 0; /* a user matches only if it is in every list */
        if (lists[i].last_batch && (shortest == n_lists || lists[i].n < lists[shortest].n))
            shortest = i;
    }
    if (s == STORE_OK && !empty) {
        /* A list that is all read already holds every candidate: the
         * postings' names and discriminators decide without the others. */
        struct walk w = shortest < n_lists ? (struct walk){&lists[shortest], 1, 0, false}
                                           : (struct walk){lists, n_lists, 0, false};
        int64_t skip = q->skip;
        while (s == STORE_OK && !w.done && (int64_t)*n < q->limit) {
            struct matches m;
            size_t want = (size_t)(q->limit - (int64_t)*n);
            s = walk_postings(db, &w, q, &skip, want < MATCH_BATCH ? want : MATCH_BATCH, &m, e);
            if (s == STORE_OK)
                s = read_matches(db, &m, q, out, n, e);
        }
    }
    for (size_t i = 0; i < n_lists; i++)
        free(lists[i].items);
    free(lists);
    return s;
}

/*
 * The most a walk of users may take: the time limit every read carries
 * (store.c), and for the same reason. A needle without a trigram that few
 * users contain would otherwise read every user, past the pool's request
 * timeout on a large instance; it fails as a read past its limit does
 * (error 50, answered 503), and a longer needle is the way on.
 */
#define WALK_BUDGET_US (8ULL * 1000 * 1000)
#define ERROR_TIME_LIMIT 50

struct user_walk {
    const struct user_query *q;
    int64_t skip;
    struct user *out;
    size_t n;
    uint64_t started_us;
};

static enum store_status walk_users(struct db *db, bson_t **docs, size_t n, void *ctx,
                                    bson_error_t *e)
{
    (void)db;
    struct user_walk *w = ctx;
    for (size_t i = 0; i < n; i++) {
        struct user u;
        store_users_from_doc(docs[i], &u);
        if (!user_matches(&u, w->q))
            continue;
        if (w->skip > 0) {
            w->skip--;
            continue;
        }
        w->out[w->n++] = u;
        if ((int64_t)w->n >= w->q->limit)
            return STORE_NOT_FOUND; /* the page is full */
    }
    if (clock_monotonic_us() - w->started_us > WALK_BUDGET_US) {
        bson_set_error(e, MONGOC_ERROR_SERVER, ERROR_TIME_LIMIT,
                       "a search without a trigram read users for more than %llu s",
                       (unsigned long long)(WALK_BUDGET_US / 1000000));
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* Needles without a trigram and no discriminator: users in id order. */
static enum store_status search_walk(struct db *db, const struct user_query *q, struct user **out,
                                     size_t *n, bson_error_t *e)
{
    struct user_walk w = {q, q->skip, mem_alloc((size_t)q->limit * sizeof **out), 0,
                          clock_monotonic_us()};
    enum store_status s = store_walk(db, USERS, NULL, WALK_BATCH, walk_users, &w, NULL, e);
    *out = w.out;
    *n = w.n;
    return s;
}

enum store_status store_user_search(struct db *db, const struct user_query *q, struct user **out,
                                    size_t *n, bson_error_t *e)
{
    *out = NULL;
    *n = 0;
    if (q->limit <= 0)
        return STORE_OK;
    const char *needle = q->username && *q->username ? q->username : NULL;
    char prefixes[MAX_LISTS + 1][KEY_SIZE];
    size_t n_lists = posting_prefixes(needle, q->discriminator, prefixes, MAX_LISTS + 1);
    enum store_status s = n_lists == 0 ? search_walk(db, q, out, n, e)
                                       : search_postings(db, q, prefixes, n_lists, out, n, e);
    return s == STORE_OK ? store_users_add_staff_bits(db, *out, *n, e) : s;
}
