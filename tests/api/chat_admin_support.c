/*
 * chat_admin_support: shared checks and tools of the chat admin suites (see
 * chat_admin_support.h).
 */
#include "chat_admin_support.h"


#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/http.h"
#include "support/fixtures.h"
#include "support/stack.h"
#include "support/wait.h"
#include "warden/store/db.h"
#include "warden/store/users.h"

void ca_expect_error(const struct http_response *r, long status, const char *message, int code)
{
    cr_assert_eq(r->status, status, "expected %ld, got %ld: %s", status, r->status, r->body);
    const char *type = http_header(r, "Content-Type");
    cr_expect(type && strstr(type, "application/json"), "Content-Type %s", type ? type : "(none)");
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    cr_expect(fx_bool(&doc, "error", false), "no \"error\": true in %s", r->body);
    cr_expect_eq(fx_int(&doc, "status", 0), status, "%s", r->body);
    cr_expect_str_eq(fx_str(&doc, "message"), message, "%s", r->body);
    if (code)
        cr_expect_eq(fx_int(&doc, "code", 0), code, "%s", r->body);
    bson_destroy(&doc);
}

bool ca_list_has(const bson_t *doc, const char *key, const char *s)
{
    bson_t list = BSON_INITIALIZER;
    bool found = false;
    bson_iter_t it;
    if (fx_sub(doc, key, &list) && bson_iter_init(&it, &list))
        while (!found && bson_iter_next(&it))
            found = BSON_ITER_HOLDS_UTF8(&it) && strcmp(bson_iter_utf8(&it, NULL), s) == 0;
    bson_destroy(&list);
    return found;
}

void ca_expect_field_error(const struct http_response *r, const char *field, const char *message)
{
    ca_expect_error(r, 400, "bad payload", 0);
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    cr_expect(ca_list_has(&doc, field, message), "no \"%s\" in the list of %s: %s", message, field,
              r->body);
    bson_destroy(&doc);
}

void ca_ensure_first_region(const char *auth)
{
    struct http_response r;
    fx_request("PUT", "/api/v6/admin/voice/regions", auth,
               "{\"id\": \"tests-first\", \"name\": \"First region of the test runs\"}", &r);
    cr_assert(r.status == 200 || (r.status == 400 && strstr(r.body, "voice region already exists")),
              "first region: %ld %s", r.status, r.body);
    http_response_free(&r);
}

void ca_region(const char *auth, char id[24], bool deprecated)
{
    ca_ensure_first_region(auth);
    fx_unique(id, 24, "vr");
    char body[128], path[96];
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"name\": \"Region %s\"}", id, id);
    struct http_response r;
    fx_request("PUT", "/api/v6/admin/voice/regions", auth, body, &r);
    cr_assert_eq(r.status, 200, "region %s: %ld %s", id, r.status, r.body);
    http_response_free(&r);
    if (!deprecated)
        return;
    snprintf(path, sizeof path, "/api/v6/admin/voice/regions/%s/deprecate", id);
    fx_request("PUT", path, auth, NULL, &r);
    cr_assert_eq(r.status, 204, "deprecate %s: %ld %s", id, r.status, r.body);
    http_response_free(&r);
}

void ca_guild(const char *auth, const char *name, const char *region_json, bson_t *doc, char id[24])
{
    char body[256];
    if (region_json)
        snprintf(body, sizeof body, "{\"name\": \"%s\", \"region\": %s}", name, region_json);
    else
        snprintf(body, sizeof body, "{\"name\": \"%s\"}", name);
    struct http_response r;
    fx_request("POST", "/api/v6/guilds", auth, body, &r);
    cr_assert_eq(r.status, 200, "guild %s: %ld %s", name, r.status, r.body);
    bson_t tmp = BSON_INITIALIZER;
    fx_json(&r, doc ? doc : &tmp);
    snprintf(id, 24, "%s", fx_str(doc ? doc : &tmp, "id"));
    cr_assert(id[0], "guild id in %s", r.body);
    bson_destroy(&tmp);
    http_response_free(&r);
}

void ca_private_ctl(const struct stack *s, char *line, size_t size, const char *const *args)
{
    fx_ctl_ok(s, line, size, args);
}

void ca_private_request(const struct stack *s, const char *method, const char *path,
                        const char *auth, const char *json, struct http_response *r)
{
    fx_request_at(s, method, path, auth, json, r);
}

void ca_private_staff(const struct stack *s, char *auth, size_t size)
{
    struct fx_chat_user staff;
    fx_chat_user_at(s, &staff, true);
    snprintf(auth, size, "%s", staff.auth);
}

struct worker {
    struct ca_call *call;
    pthread_barrier_t *start;
};

static void *run_call(void *arg)
{
    struct worker *w = arg;
    struct ca_call *c = w->call;
    char *url = http_url(stack_shared_url(), "%s", c->path);
    char type_header[128];
    const char *headers[3];
    size_t n = 0;
    if (c->auth)
        headers[n++] = c->auth;
    if (c->body[0]) {
        snprintf(type_header, sizeof type_header, "Content-Type: %s",
                 c->content_type ? c->content_type : "application/json");
        headers[n++] = type_header;
    }
    headers[n] = NULL;
    pthread_barrier_wait(w->start);
    struct http_response r;
    c->status = 0;
    c->response = NULL;
    if (!url) {
        snprintf(c->error, sizeof c->error, "out of memory");
        return NULL;
    }
    if (http_request(c->method, url, headers, c->body[0] ? c->body : NULL, strlen(c->body), &r) == 0) {
        c->status = r.status;
        c->response = strdup(r.body);
    } else {
        snprintf(c->error, sizeof c->error, "%s", r.error);
    }
    http_response_free(&r);
    free(url);
    return NULL;
}

void ca_parallel(struct ca_call *calls, size_t n)
{
    pthread_t *threads = calloc(n, sizeof *threads);
    struct worker *workers = calloc(n, sizeof *workers);
    cr_assert(threads && workers);
    pthread_barrier_t start;
    cr_assert(pthread_barrier_init(&start, NULL, (unsigned)n) == 0);
    for (size_t i = 0; i < n; i++) {
        workers[i] = (struct worker){&calls[i], &start};
        cr_assert(pthread_create(&threads[i], NULL, run_call, &workers[i]) == 0, "thread %zu", i);
    }
    for (size_t i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    free(threads);
    free(workers);
}

void ca_calls_free(struct ca_call *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(calls[i].response);
        calls[i].response = NULL;
    }
}

/* collection of the database at mongodb_uri (NULL: the shared stack's);
 * release with close_collection. */
static mongoc_collection_t *open_collection(const char *mongodb_uri, const char *collection,
                                            mongoc_client_t **client)
{
    mongoc_database_t *db;
    *client = fx_db_open(mongodb_uri, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, collection);
    mongoc_database_destroy(db);
    return c;
}

static void close_collection(mongoc_client_t *client, mongoc_collection_t *c)
{
    mongoc_collection_destroy(c);
    fx_db_close(client, NULL);
}

void ca_db_update_one(const char *collection, const char *filter_json, const char *update_json)
{
    bson_error_t e;
    bson_t *filter = bson_new_from_json((const uint8_t *)filter_json, -1, &e);
    cr_assert(filter, "bad filter %s: %s", filter_json, e.message);
    bson_t *update = bson_new_from_json((const uint8_t *)update_json, -1, &e);
    cr_assert(update, "bad update %s: %s", update_json, e.message);
    mongoc_client_t *client;
    mongoc_collection_t *c = open_collection(NULL, collection, &client);
    bson_t reply;
    bool ok = mongoc_collection_update_one(c, filter, update, NULL, &reply, &e);
    cr_assert(ok, "update on %s failed: %s", collection, e.message);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) == 1,
              "update on %s matched nothing: %s", collection, filter_json);
    bson_destroy(&reply);
    close_collection(client, c);
    bson_destroy(filter);
    bson_destroy(update);
}

bool ca_db_insert(const char *collection, const bson_t *doc, char *error, size_t error_size)
{
    mongoc_client_t *client;
    mongoc_collection_t *c = open_collection(NULL, collection, &client);
    bson_error_t e;
    bool ok = mongoc_collection_insert_one(c, doc, NULL, NULL, &e);
    if (!ok && error)
        snprintf(error, error_size, "%s", e.message);
    close_collection(client, c);
    return ok;
}

void ca_db_insert_many(const char *mongodb_uri, const char *collection, const bson_t *const *docs,
                       size_t n)
{
    mongoc_client_t *client;
    mongoc_collection_t *c = open_collection(mongodb_uri, collection, &client);
    bson_error_t e;
    bool ok = mongoc_collection_insert_many(c, (const bson_t **)docs, n, NULL, NULL, &e);
    cr_assert(ok, "inserting %zu documents into %s: %s", n, collection, e.message);
    close_collection(client, c);
}

void ca_db_insert_users(const char *mongodb_uri, const bson_t *const *docs, size_t n)
{
    ca_db_insert_many(mongodb_uri, "users", docs, n);
    char err[256];
    struct db *db = db_new(mongodb_uri ? mongodb_uri : stack_shared_mongodb_uri(), err, sizeof err);
    cr_assert(db, "%s", err);
    bson_error_t e;
    if (mongodb_uri) {
        /* A private stack's database: the whole backfill, as migrate runs it. */
        int64_t covered = 0;
        cr_assert_eq(store_users_backfill(db, &covered, &e), STORE_OK, "backfill: %s", e.message);
    } else {
        /* The shared one: only these users, whatever other suites are doing. */
        for (size_t i = 0; i < n; i++) {
            struct user u;
            store_users_from_doc(docs[i], &u);
            cr_assert_eq(store_users_index_existing(db, &u, &e), STORE_OK,
                         "claims of user %lld: %s", (long long)u.id, e.message);
        }
    }
    db_free(db);
}

size_t ca_db_strings(const char *collection, const char *filter_json, const char *field,
                     char (*out)[16], size_t max)
{
    bson_error_t e;
    bson_t *filter = bson_new_from_json((const uint8_t *)filter_json, -1, &e);
    cr_assert(filter, "bad filter %s: %s", filter_json, e.message);
    mongoc_client_t *client;
    mongoc_collection_t *c = open_collection(NULL, collection, &client);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, NULL, NULL);
    const bson_t *doc;
    size_t n = 0;
    while (mongoc_cursor_next(cursor, &doc)) {
        bson_iter_t it;
        if (n < max) {
            out[n][0] = '\0';
            if (bson_iter_init_find(&it, doc, field) && BSON_ITER_HOLDS_UTF8(&it))
                snprintf(out[n], sizeof out[n], "%.15s", bson_iter_utf8(&it, NULL));
        }
        n++;
    }
    cr_assert(!mongoc_cursor_error(cursor, &e), "find on %s failed: %s", collection, e.message);
    mongoc_cursor_destroy(cursor);
    close_collection(client, c);
    bson_destroy(filter);
    return n;
}

struct settling {
    const char *collection, *filter_json;
    int64_t count;
    int64_t since;     /* when count was first read */
    int64_t read_at;   /* when it was last read */
};

/* Unchanged for two seconds. A count costs a connection to the shared
 * database: it is read every quarter of a second at most. */
static bool settled(void *ctx)
{
    struct settling *st = ctx;
    int64_t now = now_ms();
    if (st->count >= 0 && now - st->read_at < 250)
        return false;
    int64_t n = fx_db_count(st->collection, st->filter_json);
    st->read_at = now_ms();
    if (n != st->count) {
        st->count = n;
        st->since = st->read_at;
    }
    return st->read_at - st->since >= 2000;
}

int64_t ca_db_settled_count(const char *collection, const char *filter_json)
{
    struct settling st = {collection, filter_json, -1, 0, 0};
    /* Not settled within a minute: the count as it stands (the caller's
     * assertion says what is wrong with it). */
    wait_until(settled, &st, 60000);
    return st.count;
}
