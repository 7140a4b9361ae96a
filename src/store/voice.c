/*
 * store/voice: voice regions and servers (see include/warden/store/voice.h).
 *
 * A region's servers are found through their voice_region_servers claims
 * (a prefix range on _id), then read by _id: no query here filters or sorts
 * on anything but _id, except the list of all regions, a collection only
 * staff add to.
 */
#include "warden/store/voice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/store/db.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/doc.h"

#define REGIONS "voice_regions"
#define SERVERS "voice_servers"
#define REGION_SERVERS "voice_region_servers"
#define SETTINGS "instance_settings"

/* Hostnames read by _id at a time ($in), and claims inserted at a time. */
#define SERVER_BATCH 256

char *store_voice_region_prefix(const char *region_id)
{
    size_t len = strlen(region_id);
    char *out = mem_alloc(3 * len + 2), *p = out;
    for (const char *s = region_id; *s; s++) {
        if (*s == '%' || *s == '/') {
            memcpy(p, *s == '%' ? "%25" : "%2F", 3);
            p += 3;
        } else {
            *p++ = *s;
        }
    }
    *p++ = '/';
    *p = '\0';
    return out;
}

static char *concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *out = mem_alloc(la + lb + 1);
    memcpy(out, a, la);
    memcpy(out + la, b, lb + 1);
    return out;
}

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

/* The claim document of a server in a region (bson_init'ed by the caller). */
static void server_claim(bson_t *doc, const char *region_id, const char *hostname)
{
    char *prefix = store_voice_region_prefix(region_id);
    char *id = concat(prefix, hostname);
    BSON_APPEND_UTF8(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "region_id", region_id);
    BSON_APPEND_UTF8(doc, "hostname", hostname);
    free(id);
    free(prefix);
}

enum store_status store_voice_server_create(struct db *db, const char *region_id,
                                            const char *hostname, bson_error_t *e)
{
    /* The claim first: a server never exists without the claim that lists it. */
    bson_t claim = BSON_INITIALIZER;
    server_claim(&claim, region_id, hostname);
    enum store_status s = store_insert(db_collection(db, REGION_SERVERS), &claim, e);
    /* Already there: this server's own claim (the server insert below then
     * says "duplicate"), or one left by an attempt that failed half-way. */
    bool claimed_here = s == STORE_OK;
    if (s == STORE_ERROR) {
        bson_destroy(&claim);
        return s;
    }
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", hostname);
    BSON_APPEND_UTF8(&doc, "region_id", region_id);
    BSON_APPEND_DOUBLE(&doc, "last_health", 0.5);
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    s = store_insert(db_collection(db, SERVERS), &doc, e);
    bson_destroy(&doc);
    if (s != STORE_OK && claimed_here) {
        /* Take back the claim we made (the hostname is another region's, or
         * the insert failed). Should that fail too, the claim is stale, and
         * listings skip it: the server they find is not in this region. */
        bson_t filter = BSON_INITIALIZER;
        bson_error_t ignored;
        bson_iter_t it;
        if (bson_iter_init_find(&it, &claim, "_id"))
            BSON_APPEND_UTF8(&filter, "_id", bson_iter_utf8(&it, NULL));
        store_delete(db_collection(db, REGION_SERVERS), &filter, false, NULL, &ignored);
        bson_destroy(&filter);
    }
    bson_destroy(&claim);
    return s;
}

/* A region's listing: the hostnames its claims name, in hostname order, and
 * what the server documents say about each. */
struct server_listing {
    const char *region_id;
    size_t prefix_len;
    char **hosts;
    double *health;
    bool *found;
    size_t n, cap;
};

static bool collect_claim(const bson_t *claim, void *ctx)
{
    struct server_listing *l = ctx;
    bson_iter_t it;
    /* The prefix alone already decides; the region_id is checked all the same. */
    if (!bson_iter_init_find(&it, claim, "region_id") || !BSON_ITER_HOLDS_UTF8(&it) ||
        strcmp(bson_iter_utf8(&it, NULL), l->region_id) != 0)
        return true;
    if (!bson_iter_init_find(&it, claim, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
        return true;
    uint32_t len;
    const char *id = bson_iter_utf8(&it, &len);
    if (len <= l->prefix_len)
        return true;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->hosts = mem_realloc(l->hosts, l->cap * sizeof *l->hosts);
    }
    l->hosts[l->n++] = mem_strdup(id + l->prefix_len);
    return true;
}

static int compare_hosts(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A server document read back by _id: keep its health if it is in the region. */
static bool note_server(const bson_t *doc, void *ctx)
{
    struct server_listing *l = ctx;
    char region[VOICE_TEXT_MAX * 4 + 1];
    bson_iter_t it;
    if (!doc_string(doc, "region_id", region, sizeof region) || strcmp(region, l->region_id) != 0 ||
        !bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
        return true; /* a stale claim: the server is in another region now */
    const char *host = bson_iter_utf8(&it, NULL);
    char **hit = bsearch(&host, l->hosts, l->n, sizeof *l->hosts, compare_hosts);
    if (hit) {
        size_t i = (size_t)(hit - l->hosts);
        l->found[i] = true;
        l->health[i] = doc_double(doc, "last_health", 0.5);
    }
    return true;
}

/* Read the servers of hosts[from..to) by _id. */
static enum store_status read_servers(struct db *db, struct server_listing *l, size_t from,
                                      size_t to, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, projection;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (size_t i = from; i < to; i++)
        store_in_utf8(&in, l->hosts[i]);
    store_in_end(&filter, &in);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
    BSON_APPEND_INT32(&projection, "region_id", 1);
    BSON_APPEND_INT32(&projection, "last_health", 1);
    bson_append_document_end(&opts, &projection);
    enum store_status s = store_each(db_collection(db, SERVERS), &filter, &opts, note_server, l, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return s;
}

enum store_status store_voice_server_list(struct db *db, const char *region_id,
                                          struct voice_server **out, size_t *n, bson_error_t *e)
{
    char *prefix = store_voice_region_prefix(region_id);
    struct server_listing l = {region_id, strlen(prefix), NULL, NULL, NULL, 0, 0};
    *out = NULL;
    *n = 0;
    enum store_status s = store_prefix_each(db_collection(db, REGION_SERVERS), prefix, NULL, false,
                                            0, collect_claim, &l, e);
    free(prefix);
    /* Claims come in _id order, that is hostname order (the prefix is shared);
     * sorting again only makes the order bsearch relies on explicit. */
    if (l.n)
        qsort(l.hosts, l.n, sizeof *l.hosts, compare_hosts);
    l.health = mem_calloc(l.n ? l.n : 1, sizeof *l.health);
    l.found = mem_calloc(l.n ? l.n : 1, sizeof *l.found);
    for (size_t from = 0; from < l.n && s == STORE_OK; from += SERVER_BATCH)
        s = read_servers(db, &l, from, from + SERVER_BATCH < l.n ? from + SERVER_BATCH : l.n, e);
    if (s == STORE_OK) {
        *out = mem_calloc(l.n ? l.n : 1, sizeof **out);
        for (size_t i = 0; i < l.n; i++) {
            if (!l.found[i])
                continue;
            struct voice_server *v = &(*out)[(*n)++];
            snprintf(v->hostname, sizeof v->hostname, "%s", l.hosts[i]);
            v->last_health = l.health[i];
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.hosts[i]);
    free(l.hosts);
    free(l.health);
    free(l.found);
    return s;
}

struct claim_batch {
    mongoc_collection_t *claims;
    bson_t *docs[SERVER_BATCH];
    size_t n;
    int64_t seen;
    enum store_status status;
    bson_error_t error; /* of the inserts (store_each's own clears e) */
};

static void flush_claims(struct claim_batch *b)
{
    if (b->status == STORE_OK)
        b->status = store_insert_claims(b->claims, (const bson_t *const *)b->docs, b->n, &b->error);
    for (size_t i = 0; i < b->n; i++)
        bson_destroy(b->docs[i]);
    b->n = 0;
}

static bool backfill_server(const bson_t *doc, void *ctx)
{
    struct claim_batch *b = ctx;
    char host[VOICE_TEXT_MAX * 4 + 1], region[VOICE_TEXT_MAX * 4 + 1];
    b->seen++;
    if (!doc_string(doc, "_id", host, sizeof host) || !doc_string(doc, "region_id", region, sizeof region))
        return true;
    b->docs[b->n] = bson_new();
    server_claim(b->docs[b->n++], region, host);
    if (b->n == SERVER_BATCH)
        flush_claims(b);
    return b->status == STORE_OK;
}

/* Voice servers are a short list that staff keep: one walk in _id order. */
enum store_status store_voice_servers_backfill(struct db *db, int64_t *written, bson_error_t *e)
{
    struct claim_batch b = {.claims = db_collection(db, REGION_SERVERS), .status = STORE_OK};
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, projection;
    store_find_opts(&opts, "_id", NULL, 0, 0);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &projection);
    BSON_APPEND_INT32(&projection, "region_id", 1);
    bson_append_document_end(&opts, &projection);
    enum store_status s = store_each(db_collection(db, SERVERS), &filter, &opts, backfill_server, &b, e);
    flush_claims(&b);
    bson_destroy(&filter);
    bson_destroy(&opts);
    *written = b.seen;
    if (s == STORE_OK && b.status != STORE_OK)
        *e = b.error;
    return s != STORE_OK ? s : b.status;
}
