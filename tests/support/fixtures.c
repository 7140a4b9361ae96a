/*
 * fixtures: shared set-up for the API suites (see tests/support/fixtures.h).
 */
#include "support/fixtures.h"

#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/stack.h"
#include "warden/json.h"

void fx_unique(char *out, size_t size, const char *prefix)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static int initialised;
    if (!initialised) {
        cr_assert(sodium_init() >= 0, "libsodium");
        initialised = 1;
    }
    size_t n = strlen(prefix);
    cr_assert(n + 9 <= size, "fx_unique: buffer too small");
    memcpy(out, prefix, n);
    for (size_t i = 0; i < 8; i++)
        out[n + i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[n + 8] = '\0';
}

/* Copy src into dst, truncated to fit (no format: gcc's truncation check
 * cannot see the lengths wardenctl's output has). */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static const char *bin_dir(void)
{
    const char *dir = getenv("WARDEN_BIN_DIR");
    return dir && *dir ? dir : "build/release";
}

/* wardenctl with argv, against the database (and secret) of s or of the
 * shared stack; output as stack_run. */
static int run_ctl(const struct stack *s, char **output, const char *const *argv)
{
    char path[512];
    snprintf(path, sizeof path, "%s/wardenctl", bin_dir());
    const char *full[32];
    size_t n = 0;
    full[n++] = path;
    for (; argv[n - 1] && n < 31; n++)
        full[n] = argv[n - 1];
    full[n] = NULL;
    cr_assert(setenv("WARDEN_MONGODB_URI", s ? s->mongodb_uri : stack_shared_mongodb_uri(), 1) == 0);
    cr_assert(setenv("MONGOC_DISABLE_SHM", "1", 1) == 0); /* see tools/stack */
    if (s) {
        /* The pool's own secret: a file tools/stack names, or WARDEN_SECRET as given. */
        const char *secret_file = stack_value(s, "WARDEN_SECRET_FILE");
        if (secret_file && *secret_file)
            cr_assert(setenv("WARDEN_SECRET_FILE", secret_file, 1) == 0);
    }
    return stack_run(full, output);
}

int fx_ctl(char **output, const char *const *argv)
{
    return run_ctl(NULL, output, argv);
}

int fx_ctl_at(const struct stack *s, char **output, const char *const *argv)
{
    return run_ctl(s, output, argv);
}

void fx_ctl_ok(const struct stack *s, char *line, size_t size, const char *const *argv)
{
    char *out = NULL;
    int rc = run_ctl(s, &out, argv);
    cr_assert(rc == 0, "wardenctl %s failed (%d): %s", argv[0], rc, out ? out : "");
    if (line) {
        /* The result is wardenctl's last line: stderr (captured with it)
         * comes first, since stdout is only flushed at exit. */
        char *last = out, *p = out;
        while ((p = strchr(p, '\n')) && p[1])
            last = ++p;
        size_t len = strcspn(last, "\n");
        if (len >= size)
            len = size - 1;
        memcpy(line, last, len);
        line[len] = '\0';
    }
    free(out);
}

void fx_chat_user_at(const struct stack *s, struct fx_chat_user *u, bool staff)
{
    memset(u, 0, sizeof *u);
    fx_unique(u->username, sizeof u->username, "u");
    snprintf(u->email, sizeof u->email, "%s@example.com", u->username);
    fx_unique(u->password, sizeof u->password, "pw");
    char line[256];
    fx_ctl_ok(s, line, sizeof line,
           (const char *const[]){"add-user", u->username, u->email, u->password, NULL});
    /* "<id> <username>#<discriminator>" */
    char *space = strchr(line, ' ');
    char *hash = strrchr(line, '#');
    cr_assert(space && hash, "add-user printed '%s'", line);
    *space = '\0';
    copy(u->id, sizeof u->id, line);
    copy(u->discriminator, sizeof u->discriminator, hash + 1);
    if (staff)
        fx_ctl_ok(s, NULL, 0, (const char *const[]){"make-staff", u->username, u->discriminator, NULL});
    fx_ctl_ok(s, u->token, sizeof u->token,
           (const char *const[]){"token", u->username, u->discriminator, NULL});
    snprintf(u->auth, sizeof u->auth, "Authorization: %s", u->token);
}

void fx_chat_user(struct fx_chat_user *u, bool staff)
{
    fx_chat_user_at(NULL, u, staff);
}

void fx_sha256_hex(const char *text, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

void fx_game_user(struct fx_game_user *u, const char *rights, bool login)
{
    memset(u, 0, sizeof *u);
    fx_unique(u->name, sizeof u->name, "g");
    fx_unique(u->password, sizeof u->password, "pw");
    char email[64], line[128];
    snprintf(email, sizeof email, "%s@example.com", u->name);
    fx_ctl_ok(NULL, line, sizeof line, (const char *const[]){"game-add-user", u->name, email, u->password, NULL});
    char *space = strchr(line, ' ');
    cr_assert(space, "game-add-user printed '%s'", line);
    *space = '\0';
    copy(u->id, sizeof u->id, line);
    if (rights && *rights) {
        const char *argv[16] = {"game-grant", u->name};
        size_t n = 2;
        char list[128];
        copy(list, sizeof list, rights);
        for (char *tok = strtok(list, " "); tok && n < 15; tok = strtok(NULL, " "))
            argv[n++] = tok;
        argv[n] = NULL;
        fx_ctl_ok(NULL, NULL, 0, argv);
    }
    if (login)
        fx_game_login(u);
}

void fx_game_login(struct fx_game_user *u)
{
    char hex[65], body[256];
    fx_sha256_hex(u->password, hex);
    snprintf(body, sizeof body, "{\"grant_type\":\"password\",\"username\":\"%s\",\"password\":\"%s\"}",
             u->name, hex);
    struct http_response r;
    fx_request("POST", "/api/oauth/token", NULL, body, &r);
    cr_assert_eq(r.status, 200, "password grant for %s: %ld %s", u->name, r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    copy(u->access_token, sizeof u->access_token, fx_str(&doc, "access_token"));
    copy(u->refresh_token, sizeof u->refresh_token, fx_str(&doc, "refresh_token"));
    snprintf(u->auth, sizeof u->auth, "Authorization: Bearer %s", u->access_token);
    bson_destroy(&doc);
    http_response_free(&r);
}

void fx_game_player(const char *user_name, const char *map, int x, int y, const char *ip,
                    char id_out[40], char name_out[24])
{
    char name[24], xs[8], ys[8], line[128];
    fx_unique(name, sizeof name, "p");
    snprintf(xs, sizeof xs, "%d", x);
    snprintf(ys, sizeof ys, "%d", y);
    const char *argv[12] = {"game-add-player", user_name, name, "--x", xs, "--y", ys};
    size_t n = 7;
    if (map) {
        argv[n++] = "--map";
        argv[n++] = map;
    }
    argv[n] = NULL;
    fx_ctl_ok(NULL, line, sizeof line, argv);
    char *space = strchr(line, ' ');
    cr_assert(space, "game-add-player printed '%s'", line);
    *space = '\0';
    if (id_out)
        copy(id_out, 40, line);
    if (name_out)
        copy(name_out, 24, name);
    if (ip)
        fx_ctl_ok(NULL, NULL, 0, (const char *const[]){"game-presence", name, "online", "--ip", ip, NULL});
}

void fx_request_raw_at(const struct stack *s, const char *method, const char *path,
                       const char *auth, const char *content_type, const char *body, size_t len,
                       struct http_response *out)
{
    const char *base = s ? s->url : stack_shared_url();
    cr_assert(base, "no stack: outside the API runner, name one");
    char *url = http_url(base, "%s", path);
    cr_assert(url, "out of memory");
    char type_header[128];
    const char *headers[3];
    size_t n = 0;
    if (auth)
        headers[n++] = auth;
    if (content_type) {
        snprintf(type_header, sizeof type_header, "Content-Type: %s", content_type);
        headers[n++] = type_header;
    }
    headers[n] = NULL;
    int rc = http_request(method, url, headers, body, len, out);
    cr_assert(rc == 0, "%s %s: %s", method, url, out->error);
    free(url);
}

void fx_request_raw(const char *method, const char *path, const char *auth,
                    const char *content_type, const char *body, size_t len,
                    struct http_response *out)
{
    fx_request_raw_at(NULL, method, path, auth, content_type, body, len, out);
}

void fx_request_at(const struct stack *s, const char *method, const char *path, const char *auth,
                   const char *json, struct http_response *out)
{
    fx_request_raw_at(s, method, path, auth, json ? "application/json" : NULL, json,
                      json ? strlen(json) : 0, out);
}

void fx_request(const char *method, const char *path, const char *auth, const char *json,
                struct http_response *out)
{
    fx_request_at(NULL, method, path, auth, json, out);
}

void fx_json(const struct http_response *r, bson_t *out)
{
    /* Arrays are wrapped so that the strict object reader takes them. */
    size_t len = r->body_len + 8;
    char *text = malloc(len);
    cr_assert(text);
    snprintf(text, len, "{\"a\":%s}", r->body);
    bson_t wrapped = BSON_INITIALIZER;
    struct json_error err;
    int rc = json_parse_object(text, strlen(text), &wrapped, &err);
    free(text);
    cr_assert(rc == 0, "not JSON (%s): %s", err.message, r->body);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &wrapped, "a"));
    const uint8_t *data;
    uint32_t dlen;
    if (BSON_ITER_HOLDS_DOCUMENT(&it))
        bson_iter_document(&it, &dlen, &data);
    else if (BSON_ITER_HOLDS_ARRAY(&it))
        bson_iter_array(&it, &dlen, &data);
    else
        cr_assert_fail("JSON answer is neither an object nor an array: %s", r->body);
    bson_t inner;
    cr_assert(bson_init_static(&inner, data, dlen));
    bson_concat(out, &inner);
    bson_destroy(&wrapped);
}

static bool find_path(const bson_t *doc, const char *path, bson_iter_t *it)
{
    bson_iter_t root;
    return bson_iter_init(&root, doc) && bson_iter_find_descendant(&root, path, it);
}

const char *fx_str(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    if (!find_path(doc, key, &it) || !BSON_ITER_HOLDS_UTF8(&it))
        return "";
    return bson_iter_utf8(&it, NULL);
}

int64_t fx_int(const bson_t *doc, const char *key, int64_t fallback)
{
    bson_iter_t it;
    if (!find_path(doc, key, &it) || !BSON_ITER_HOLDS_NUMBER(&it))
        return fallback;
    return bson_iter_as_int64(&it);
}

bool fx_bool(const bson_t *doc, const char *key, bool fallback)
{
    bson_iter_t it;
    if (!find_path(doc, key, &it) || !BSON_ITER_HOLDS_BOOL(&it))
        return fallback;
    return bson_iter_bool(&it);
}

bool fx_is_null(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    return find_path(doc, key, &it) && BSON_ITER_HOLDS_NULL(&it);
}

int fx_count(const bson_t *doc, const char *key)
{
    bson_iter_t it, child;
    int n = 0;
    if (!*key) {
        if (bson_iter_init(&child, doc))
            while (bson_iter_next(&child))
                n++;
        return n;
    }
    if (!find_path(doc, key, &it) || !bson_iter_recurse(&it, &child))
        return -1;
    while (bson_iter_next(&child))
        n++;
    return n;
}

bool fx_sub(const bson_t *doc, const char *path, bson_t *out)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    if (!find_path(doc, path, &it))
        return false;
    if (BSON_ITER_HOLDS_DOCUMENT(&it))
        bson_iter_document(&it, &len, &data);
    else if (BSON_ITER_HOLDS_ARRAY(&it))
        bson_iter_array(&it, &len, &data);
    else
        return false;
    bson_t inner;
    if (!bson_init_static(&inner, data, len))
        return false;
    bson_concat(out, &inner);
    return true;
}

mongoc_client_t *fx_db_open(const char *mongodb_uri, mongoc_database_t **db)
{
    static bool initialised;
    if (!initialised) {
        mongoc_init();
        mongoc_log_set_handler(NULL, NULL);
        initialised = true;
    }
    if (!mongodb_uri)
        mongodb_uri = stack_shared_mongodb_uri();
    cr_assert(mongodb_uri, "no database: outside the API runner, name one");
    bson_error_t e;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(mongodb_uri, &e);
    cr_assert(uri, "bad URI %s: %s", mongodb_uri, e.message);
    mongoc_client_t *client = mongoc_client_new_from_uri(uri);
    cr_assert(client, "no client for %s", mongodb_uri);
    if (db) {
        const char *name = mongoc_uri_get_database(uri);
        *db = mongoc_client_get_database(client, name && *name ? name : "warden");
    }
    mongoc_uri_destroy(uri);
    return client;
}

void fx_db_close(mongoc_client_t *client, mongoc_database_t *db)
{
    if (db)
        mongoc_database_destroy(db);
    if (client)
        mongoc_client_destroy(client);
}

int64_t fx_db_count_at(const char *mongodb_uri, const char *collection, const char *filter_json)
{
    bson_error_t e;
    bson_t *filter = bson_new_from_json((const uint8_t *)filter_json, -1, &e);
    cr_assert(filter, "bad filter %s: %s", filter_json, e.message);
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(mongodb_uri, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, collection);
    int64_t n = mongoc_collection_count_documents(c, filter, NULL, NULL, NULL, &e);
    cr_assert(n >= 0, "count on %s failed: %s", collection, e.message);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    bson_destroy(filter);
    return n;
}

int64_t fx_db_count(const char *collection, const char *filter_json)
{
    return fx_db_count_at(NULL, collection, filter_json);
}

bool fx_db_find_one(const char *collection, const char *filter_json, bson_t *out)
{
    bson_error_t e;
    bson_t *filter = bson_new_from_json((const uint8_t *)filter_json, -1, &e);
    cr_assert(filter, "bad filter %s: %s", filter_json, e.message);
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(NULL, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, collection);
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_INT64(&opts, "limit", 1);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, &opts, NULL);
    const bson_t *doc;
    bool found = mongoc_cursor_next(cursor, &doc);
    if (found)
        bson_concat(out, doc);
    cr_assert(!mongoc_cursor_error(cursor, &e), "find on %s failed: %s", collection, e.message);
    mongoc_cursor_destroy(cursor);
    bson_destroy(&opts);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    bson_destroy(filter);
    return found;
}

void fx_api_invite(const struct fx_chat_user *staff, char code[16])
{
    struct http_response r;
    fx_request("PUT", "/api/v6/admin/instance/invites", staff->auth, "{\"max_uses\": 3}", &r);
    cr_assert_eq(r.status, 200, "PUT invite: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    snprintf(code, 16, "%s", fx_str(&doc, "code"));
    cr_assert(*code, "no code: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);
}
