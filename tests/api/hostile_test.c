/*
 * Hostile input through nginx, on every family of routes (chat: auth/login,
 * register_inv, admin users, invites, voice, guilds, features; game:
 * oauth/token, admin actions): operator objects and "$" keys in every field,
 * malformed JSON (duplicate keys, invalid UTF-8, 1000-deep nesting, huge
 * numbers), oversized headers and bodies, bodies past the reader's 64
 * members (keys, nested keys, array elements, form fields), NULs and dot
 * segments in paths, huge numbers in ids and query parameters.
 *
 * Each answer must be a 4xx; an answer that comes from the pool (it carries
 * X-Request-Id) must be JSON in its API's error shape; an answer nginx writes
 * by itself (413, and the 400/414 of a request it cannot route) must be JSON
 * too (its error pages, nginx/warden-locations.conf).
 *
 * Every test runs on a stack of its own, so that "the database is unchanged"
 * can be checked by counting every collection before and after: on the
 * shared stack other suites write at the same time.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "game_support.h"
#include "support/fixtures.h"
#include "support/stack.h"

static struct stack private_stack;

/* printf into a new string (the build's POSIX level has no asprintf). */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0);
    char *out = malloc((size_t)n + 1);
    cr_assert(out);
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}

static void stop_private_stack(void)
{
    stack_stop(&private_stack);
}

/* The end of a test: the stack stops cleanly, and its pool's log holds no
 * sanitizer report (a worker that tripped over an input answers 502 at
 * most; the report is where it shows). */
static void world_stop(void)
{
    cr_expect_eq(stack_stop(&private_stack), 0, "the private stack's pool reported a sanitizer error");
}

/* --- the world the requests aim at ---------------------------------------------- */

struct world {
    struct fx_chat_user staff, victim;
    struct fx_game_user mod;
    struct gs_target target;
    char invite[16];
    char region[32];
    char guild[32];
};

/* A private stack, the fixtures pointed at it, and something to aim at. */
static void world_start(struct world *w)
{
    struct stack *s = &private_stack;
    cr_assert_eq(stack_start(s, NULL), 0, "the private stack did not start");
    const char *secret = stack_value(s, "WARDEN_SECRET_FILE");
    cr_assert(setenv(STACK_SHARED_URL_ENV, s->url, 1) == 0);
    cr_assert(setenv(STACK_SHARED_MONGODB_URI_ENV, s->mongodb_uri, 1) == 0);
    if (secret && *secret)
        cr_assert(setenv("WARDEN_SECRET_FILE", secret, 1) == 0);

    memset(w, 0, sizeof *w);
    fx_chat_user(&w->staff, true);
    fx_chat_user(&w->victim, false);
    gs_moderator(&w->mod);
    gs_target(&w->target, "", 3, 3, "192.0.2.99");

    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", w->staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "the staff token '%s' is refused: %s", w->staff.token, r.body);
    http_response_free(&r);
    bson_t doc = BSON_INITIALIZER;
    fx_request("PUT", "/api/v6/admin/instance/invites", w->staff.auth, "{\"max_uses\": 5}", &r);
    cr_assert_eq(r.status, 200, "invite: %s", r.body);
    fx_json(&r, &doc);
    snprintf(w->invite, sizeof w->invite, "%s", fx_str(&doc, "code"));
    bson_reinit(&doc);
    http_response_free(&r);

    char body[128];
    fx_unique(w->region, sizeof w->region, "region");
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"name\": \"Hostile\"}", w->region);
    fx_request("PUT", "/api/v6/admin/voice/regions", w->staff.auth, body, &r);
    cr_assert_eq(r.status, 200, "region: %s", r.body);
    http_response_free(&r);

    fx_request("POST", "/api/v6/guilds", w->staff.auth, "{\"name\": \"Hostile guild\"}", &r);
    cr_assert_eq(r.status, 200, "guild: %s", r.body);
    fx_json(&r, &doc);
    snprintf(w->guild, sizeof w->guild, "%s", fx_str(&doc, "id"));
    bson_destroy(&doc);
    http_response_free(&r);
    cr_assert(*w->invite && *w->guild);
}

/* --- database snapshot ------------------------------------------------------------- */

#define MAX_COLLECTIONS 64

struct snapshot {
    size_t n;
    char name[MAX_COLLECTIONS][64];
    int64_t count[MAX_COLLECTIONS];
};

/* How many documents every collection of the private database holds. */
static void snapshot_take(struct snapshot *snap)
{
    bson_error_t e;
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(private_stack.mongodb_uri, &db);
    char **names = mongoc_database_get_collection_names_with_opts(db, NULL, &e);
    cr_assert(names, "listing collections: %s", e.message);
    memset(snap, 0, sizeof *snap);
    for (size_t i = 0; names[i] && snap->n < MAX_COLLECTIONS; i++) {
        mongoc_collection_t *c = mongoc_database_get_collection(db, names[i]);
        bson_t empty = BSON_INITIALIZER;
        int64_t n = mongoc_collection_count_documents(c, &empty, NULL, NULL, NULL, &e);
        cr_assert(n >= 0, "count %s: %s", names[i], e.message);
        snprintf(snap->name[snap->n], sizeof snap->name[0], "%s", names[i]);
        snap->count[snap->n++] = n;
        mongoc_collection_destroy(c);
    }
    bson_strfreev(names);
    fx_db_close(client, db);
}

static int64_t snapshot_count(const struct snapshot *snap, const char *name)
{
    for (size_t i = 0; i < snap->n; i++)
        if (strcmp(snap->name[i], name) == 0)
            return snap->count[i];
    return 0;
}

/* Every collection holds as many documents as before (new ones none). */
static void expect_unchanged(const struct snapshot *before)
{
    struct snapshot after;
    snapshot_take(&after);
    for (size_t i = 0; i < after.n; i++)
        cr_expect_eq(after.count[i], snapshot_count(before, after.name[i]),
                     "collection %s: %lld documents, %lld before", after.name[i],
                     (long long)after.count[i], (long long)snapshot_count(before, after.name[i]));
    for (size_t i = 0; i < before->n; i++)
        cr_expect_eq(snapshot_count(&after, before->name[i]), before->count[i],
                     "collection %s lost documents", before->name[i]);
}

/* --- requests ---------------------------------------------------------------------- */

enum who { NOBODY, STAFF, MODERATOR };

struct answer {
    long status;
    char content_type[128];
    bool from_pool;      /* X-Request-Id present */
    char *body;
};

/* path with the world's names put in for @INVITE@, @REGION@, @GUILD@,
 * @USER@ (the chat victim), @TARGET@ (game account), @PLAYER@. */
static char *expand(const struct world *w, const char *path)
{
    static const char *const keys[] = {"@INVITE@", "@REGION@", "@GUILD@", "@USER@", "@TARGET@", "@PLAYER@"};
    const char *values[] = {w->invite, w->region, w->guild, w->victim.id, w->target.user.name,
                            w->target.player};
    size_t cap = strlen(path) + 256;
    char *out = malloc(cap);
    cr_assert(out);
    size_t o = 0;
    for (const char *p = path; *p;) {
        bool replaced = false;
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            size_t n = strlen(keys[k]);
            if (strncmp(p, keys[k], n) == 0) {
                size_t v = strlen(values[k]);
                cr_assert(o + v < cap);
                memcpy(out + o, values[k], v);
                o += v;
                p += n;
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            cr_assert(o + 1 < cap);
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static const char *auth_of(const struct world *w, enum who who)
{
    return who == STAFF ? w->staff.auth : who == MODERATOR ? w->mod.auth : NULL;
}

/* Through the fixtures' client (curl). extra: one more header line or NULL. */
static void send_curl(const struct world *w, const char *method, const char *path, enum who who,
                      const char *content_type, const char *body, size_t body_len,
                      const char *extra, struct answer *a)
{
    char *url = http_url(private_stack.url, "%s", path);
    char type[128];
    const char *headers[4];
    size_t n = 0;
    if (auth_of(w, who))
        headers[n++] = auth_of(w, who);
    if (content_type) {
        snprintf(type, sizeof type, "Content-Type: %s", content_type);
        headers[n++] = type;
    }
    if (extra)
        headers[n++] = extra;
    headers[n] = NULL;
    struct http_response r;
    int rc = http_request(method, url, headers, body, body_len, &r);
    cr_assert_eq(rc, 0, "%s %s: %s", method, path, r.error);
    a->status = r.status;
    const char *ct = http_header(&r, "Content-Type");
    snprintf(a->content_type, sizeof a->content_type, "%s", ct ? ct : "");
    a->from_pool = http_header(&r, "X-Request-Id") != NULL;
    a->body = strdup(r.body);
    http_response_free(&r);
    free(url);
}

/* Byte for byte over a socket (curl would remove dot segments from the
 * path). HTTP/1.0, so the answer ends with the connection. */
static void send_raw(const struct world *w, const char *method, const char *path, enum who who,
                     const char *body, struct answer *a)
{
    size_t body_len = body ? strlen(body) : 0;
    const char *auth = auth_of(w, who);
    char *request = format("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s"
                           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           method, path, auth ? auth : "", auth ? "\r\n" : "", body_len,
                           body ? body : "");
    ssize_t len = (ssize_t)strlen(request);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct timeval tv = {15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)private_stack.http_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect");
    cr_assert_eq(send(fd, request, (size_t)len, MSG_NOSIGNAL), len, "send");
    free(request);
    size_t cap = 65536, used = 0;
    char *resp = malloc(cap);
    for (;;) {
        if (used + 1 >= cap)
            resp = realloc(resp, cap *= 2);
        ssize_t n = recv(fd, resp + used, cap - used - 1, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    resp[used] = '\0';
    a->status = 0;
    sscanf(resp, "HTTP/%*s %ld", &a->status);
    char *head_end = strstr(resp, "\r\n\r\n");
    cr_assert(head_end, "no answer to %s %s", method, path);
    *head_end = '\0';
    a->content_type[0] = '\0';
    a->from_pool = false;
    for (char *line = strstr(resp, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Type:", 13) == 0)
            sscanf(line + 2 + 13, " %127[^\r]", a->content_type);
        if (strncasecmp(line + 2, "X-Request-Id:", 13) == 0)
            a->from_pool = true;
    }
    a->body = strdup(head_end + 4);
    free(resp);
}

static bool game_realm(const char *path)
{
    return strncmp(path, "/api/v1/", 8) == 0 || strncmp(path, "/api/oauth/", 11) == 0;
}

static int html_answers;

/* A 4xx in [min, max]; JSON in the API's shape when the pool (or nginx's
 * 413 page) answered. */
static void check(const char *what, const char *path, const struct answer *a, long min, long max)
{
    cr_expect(a->status >= min && a->status <= max, "%s: status %ld, expected %ld..%ld: %.300s",
              what, a->status, min, max, a->body);
    bool json = strncmp(a->content_type, "application/json", 16) == 0;
    if (!a->from_pool && a->status != 413) {
        /* nginx's own answers (bad request line, headers or URI too large):
         * JSON from its error pages, in both dialects at once. */
        if (!json)
            html_answers++;
        cr_expect(json, "%s: nginx answered %ld in '%s': %.200s", what, a->status,
                  a->content_type, a->body);
        return;
    }
    cr_expect(json, "%s: Content-Type '%s'", what, a->content_type);
    if (!json)
        return;
    struct http_response as_response = {.status = a->status, .body = a->body,
                                         .body_len = strlen(a->body)};
    bson_t doc = BSON_INITIALIZER;
    fx_json(&as_response, &doc);
    if (a->status == 413 && !a->from_pool) {
        cr_expect(*fx_str(&doc, "Message") && *fx_str(&doc, "message"), "%s: 413 body %s", what,
                  a->body);
    } else if (game_realm(path)) {
        cr_expect(*fx_str(&doc, "Message"), "%s: no Message in %s", what, a->body);
    } else {
        cr_expect(fx_bool(&doc, "error", false), "%s: no \"error\": true in %s", what, a->body);
        cr_expect_eq(fx_int(&doc, "status", -1), a->status, "%s: status in %s", what, a->body);
        cr_expect(*fx_str(&doc, "message"), "%s: no message in %s", what, a->body);
    }
    bson_destroy(&doc);
}

/* --- the routes and their fields ------------------------------------------------------ */

/* One field of one route: body is the route's body with %s where that field's
 * value goes (the other fields valid). */
struct field_case {
    const char *method;
    const char *path;
    enum who who;
    const char *body;
};

static const struct field_case fields[] = {
    /* chat: auth */
    {"POST", "/api/v6/auth/login", NOBODY, "{\"email\": %s, \"password\": \"password123\"}"},
    {"POST", "/api/v6/auth/login", NOBODY, "{\"email\": \"someone@example.com\", \"password\": %s}"},
    {"POST", "/api/v6/auth/register_inv", NOBODY,
     "{\"username\": %s, \"email\": \"h1@example.com\", \"password\": \"password123\", \"invcode\": \"@INVITE@\"}"},
    {"POST", "/api/v6/auth/register_inv", NOBODY,
     "{\"username\": \"hostile\", \"email\": %s, \"password\": \"password123\", \"invcode\": \"@INVITE@\"}"},
    {"POST", "/api/v6/auth/register_inv", NOBODY,
     "{\"username\": \"hostile\", \"email\": \"h2@example.com\", \"password\": %s, \"invcode\": \"@INVITE@\"}"},
    {"POST", "/api/v6/auth/register_inv", NOBODY,
     "{\"username\": \"hostile\", \"email\": \"h3@example.com\", \"password\": \"password123\", \"invcode\": %s}"},
    /* chat: admin users */
    {"PUT", "/api/v6/admin/users", STAFF,
     "{\"username\": %s, \"email\": \"h4@example.com\", \"password\": \"password123\"}"},
    {"POST", "/api/v6/admin/users", STAFF,
     "{\"username\": \"hostile\", \"email\": %s, \"password\": \"password123\"}"},
    {"PUT", "/api/v6/admin/users", STAFF,
     "{\"username\": \"hostile\", \"email\": \"h5@example.com\", \"password\": %s}"},
    {"PATCH", "/api/v6/admin/users/@USER@", STAFF, "{\"flags\": %s}"},
    /* chat: invites */
    {"PUT", "/api/v6/admin/instance/invites", STAFF, "{\"max_uses\": %s}"},
    /* chat: voice */
    {"PUT", "/api/v6/admin/voice/regions", STAFF, "{\"id\": %s, \"name\": \"Hostile\"}"},
    {"PUT", "/api/v6/admin/voice/regions", STAFF, "{\"id\": \"hostile2\", \"name\": %s}"},
    {"PUT", "/api/v6/admin/voice/regions", STAFF, "{\"id\": \"hostile3\", \"name\": \"n\", \"vip\": %s}"},
    {"PUT", "/api/v6/admin/voice/regions/@REGION@/server", STAFF, "{\"hostname\": %s}"},
    /* chat: guilds and features */
    {"POST", "/api/v6/guilds", STAFF, "{\"name\": %s}"},
    {"POST", "/api/v6/guilds", STAFF, "{\"name\": \"Hostile two\", \"region\": %s}"},
    {"PATCH", "/api/v6/admin/guilds/@GUILD@", STAFF, "{\"unavailable\": %s}"},
    {"PATCH", "/api/v6/admin/guilds/@GUILD@/features", STAFF, "{\"features\": %s}"},
    {"PUT", "/api/v6/admin/guilds/@GUILD@/features", STAFF, "{\"features\": [%s]}"},
    {"DELETE", "/api/v6/admin/guilds/@GUILD@/features", STAFF, "{\"features\": [\"VIP_REGIONS\", %s]}"},
    /* game: tokens */
    {"POST", "/api/oauth/token", NOBODY, "{\"grant_type\": %s, \"username\": \"x\", \"password\": \"y\"}"},
    {"POST", "/api/oauth/token", NOBODY, "{\"grant_type\": \"password\", \"username\": %s, \"password\": \"y\"}"},
    {"POST", "/api/oauth/token", NOBODY, "{\"grant_type\": \"password\", \"username\": \"x\", \"password\": %s}"},
    {"POST", "/api/oauth/token", NOBODY, "{\"grant_type\": \"refresh_token\", \"refresh_token\": %s}"},
    /* game: admin actions */
    {"POST", "/api/v1/users/@TARGET@/admin/ban", MODERATOR, "{\"duration\": %s}"},
    {"POST", "/api/v1/users/@TARGET@/admin/ban", MODERATOR, "{\"duration\": 1, \"reason\": %s}"},
    {"POST", "/api/v1/players/@PLAYER@/admin/mute", MODERATOR, "{\"duration\": 1, \"moderator\": %s}"},
    {"POST", "/api/v1/players/@PLAYER@/admin/ban", MODERATOR, "{\"duration\": 1, \"ip\": %s}"},
    {"POST", "/api/v1/users/@TARGET@/admin/warpto", MODERATOR, "{\"mapid\": %s}"},
    {"POST", "/api/v1/players/@PLAYER@/admin/warptoloc", MODERATOR, "{\"mapid\": \"\", \"x\": %s, \"y\": 1}"},
    {"POST", "/api/v1/players/@PLAYER@/admin/warptoloc", MODERATOR, "{\"mapid\": \"\", \"x\": 1, \"y\": %s}"},
    {"POST", "/api/v1/players/@PLAYER@/admin/kick", MODERATOR, "{\"reason\": %s}"},
};
#define N_FIELDS (sizeof fields / sizeof *fields)

/* Build fields[i]'s body with value in the marked place (malloc'd). */
static char *field_body(const struct world *w, const struct field_case *f, const char *value)
{
    char *with_names = expand(w, f->body);
    char *mark = strstr(with_names, "%s");
    cr_assert(mark, "no %%s in %s", f->body);
    char *out = format("%.*s%s%s", (int)(mark - with_names), with_names, value, mark + 2);
    free(with_names);
    return out;
}

static void run_field_values(const char *const *values, size_t n_values, const char *label)
{
    struct world w;
    world_start(&w);
    struct snapshot before;
    snapshot_take(&before);
    for (size_t i = 0; i < N_FIELDS; i++) {
        for (size_t v = 0; v < n_values; v++) {
            char *path = expand(&w, fields[i].path);
            char *body = field_body(&w, &fields[i], values[v]);
            char what[256];
            snprintf(what, sizeof what, "%s %s %s (%s #%zu)", fields[i].method, fields[i].path,
                     fields[i].body, label, v);
            struct answer a;
            send_curl(&w, fields[i].method, path, fields[i].who, "application/json", body,
                      strlen(body), NULL, &a);
            check(what, path, &a, 400, 499);
            free(a.body);
            free(body);
            free(path);
        }
    }
    expect_unchanged(&before);
    cr_expect_eq(html_answers, 0, "nginx answered %d requests in HTML", html_answers);
    world_stop();
}

/* Operator objects where a value belongs: never a query operator. */
Test(hostile, operator_objects_in_every_field, .fini = stop_private_stack, .timeout = 180)
{
    static const char *const values[] = {
        "{\"$gt\": \"\"}",
        "{\"$where\": \"1\"}",
        "{\"$ne\": null}",
        "{\"$regex\": \".*\"}",
        "{\"$numberLong\": \"1\"}",
        "{\"a\": {\"$gt\": \"\"}}",
        "[{\"$ne\": null}]",
    };
    run_field_values(values, sizeof values / sizeof *values, "operator");
}

/* Values no field takes: invalid UTF-8, nesting 1000 deep, numbers past
 * Int64 and double range, a NUL escape. */
Test(hostile, malformed_values_in_every_field, .fini = stop_private_stack, .timeout = 180)
{
    char deep_array[2101], deep_object[7010];
    size_t o = 0;
    for (int i = 0; i < 1000; i++)
        deep_array[o++] = '[';
    for (int i = 0; i < 1000; i++)
        deep_array[o++] = ']';
    deep_array[o] = '\0';
    o = 0;
    for (int i = 0; i < 1000; i++)
        o += (size_t)snprintf(deep_object + o, sizeof deep_object - o, "{\"a\":");
    o += (size_t)snprintf(deep_object + o, sizeof deep_object - o, "1");
    for (int i = 0; i < 1000; i++)
        deep_object[o++] = '}';
    deep_object[o] = '\0';
    const char *values[] = {
        "\"\xff\xfe\"",                 /* not UTF-8 */
        "\"\xc0\xaf\"",                 /* overlong '/' */
        "\"\xed\xa0\x80\"",             /* a UTF-16 surrogate in UTF-8 */
        "\"a\\u0000b\"",                /* NUL */
        "\"\\ud800\"",                  /* lone surrogate escape */
        deep_array,
        deep_object,
        "99999999999999999999999",
        "-99999999999999999999999",
        "1e99",
        "1e999",
    };
    run_field_values(values, sizeof values / sizeof *values, "malformed");
}

/* --- whole-request cases ---------------------------------------------------------------- */

struct request_case {
    const char *method;
    const char *path;        /* @NAMES@ expanded; sent byte for byte when raw */
    enum who who;
    const char *body;        /* JSON, or NULL */
    long min, max;
    bool raw;
};

static void run_requests(const struct world *w, const struct request_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct request_case *c = &cases[i];
        char *path = expand(w, c->path);
        char what[300];
        snprintf(what, sizeof what, "%s %s %.60s", c->method, c->path, c->body ? c->body : "");
        struct answer a;
        if (c->raw)
            send_raw(w, c->method, path, c->who, c->body, &a);
        else
            send_curl(w, c->method, path, c->who, c->body ? "application/json" : NULL, c->body,
                      c->body ? strlen(c->body) : 0, NULL, &a);
        check(what, path, &a, c->min, c->max);
        free(a.body);
        free(path);
    }
}

/* A representative request of every family, for the whole-body and header cases. */
static const struct request_case families[] = {
    {"POST", "/api/v6/auth/login", NOBODY, "{\"email\": \"x@example.com\", \"password\": \"password123\"}", 0, 0, false},
    {"POST", "/api/v6/auth/register_inv", NOBODY,
     "{\"username\": \"hostile\", \"email\": \"h9@example.com\", \"password\": \"password123\", \"invcode\": \"@INVITE@\"}", 0, 0, false},
    {"PUT", "/api/v6/admin/users", STAFF, "{\"username\": \"hostile\", \"email\": \"h8@example.com\", \"password\": \"password123\"}", 0, 0, false},
    {"PATCH", "/api/v6/admin/users/@USER@", STAFF, "{\"flags\": 0}", 0, 0, false},
    {"PUT", "/api/v6/admin/instance/invites", STAFF, "{\"max_uses\": 3}", 0, 0, false},
    {"PUT", "/api/v6/admin/voice/regions", STAFF, "{\"id\": \"hostile7\", \"name\": \"n\"}", 0, 0, false},
    {"PUT", "/api/v6/admin/voice/regions/@REGION@/server", STAFF, "{\"hostname\": \"h.example.com\"}", 0, 0, false},
    {"POST", "/api/v6/guilds", STAFF, "{\"name\": \"Hostile three\"}", 0, 0, false},
    {"PATCH", "/api/v6/admin/guilds/@GUILD@", STAFF, "{\"unavailable\": true}", 0, 0, false},
    {"PUT", "/api/v6/admin/guilds/@GUILD@/features", STAFF, "{\"features\": [\"VERIFIED\"]}", 0, 0, false},
    {"POST", "/api/oauth/token", NOBODY, "{\"grant_type\": \"password\", \"username\": \"x\", \"password\": \"y\"}", 0, 0, false},
    {"POST", "/api/v1/users/@TARGET@/admin/ban", MODERATOR, "{\"duration\": 1}", 0, 0, false},
    {"POST", "/api/v1/players/@PLAYER@/admin/kick", MODERATOR, "{\"reason\": \"r\"}", 0, 0, false},
};
#define N_FAMILIES (sizeof families / sizeof *families)

/* The family's body rewritten: first key repeated, a "$" key, padded past 1 MiB,
 * or past the reader's limit of 64 members (keys at the top level or in a
 * nested object, elements of an array). */
enum rewrite { DUPLICATE_KEY, DOLLAR_KEY, DOLLAR_KEY_LAST, OVERSIZED, MANY_KEYS, MANY_NESTED_KEYS,
               MANY_ELEMENTS };

/* '"<prefix>0": 0, ..., "<prefix>{n-1}": n-1' into out at o; returns the new o. */
static size_t many_members(char *out, size_t o, int n, const char *prefix)
{
    for (int i = 0; i < n; i++)
        o += (size_t)sprintf(out + o, "%s\"%s%d\": %d", i ? ", " : "", prefix, i, i);
    return o;
}

static char *rewrite_body(const char *body, enum rewrite how, size_t *len)
{
    char *out = NULL;
    const char *first_key_end = strchr(body + 2, '"');
    cr_assert(body[0] == '{' && body[1] != '}' && first_key_end);
    int key_len = (int)(first_key_end - (body + 2));
    switch (how) {
    case DUPLICATE_KEY:
        out = format("{\"%.*s\": \"again\", %s", key_len, body + 2, body + 1);
        break;
    case DOLLAR_KEY:
        out = format("{\"$where\": \"1\", %s", body + 1);
        break;
    case DOLLAR_KEY_LAST:
        out = format("%.*s, \"$set\": {\"flags\": 1}}", (int)strlen(body) - 1, body);
        break;
    case OVERSIZED: {
        size_t pad = 1100 * 1024;
        out = malloc(strlen(body) + pad + 32);
        cr_assert(out);
        int n = sprintf(out, "{\"padding\": \"");
        memset(out + n, 'a', pad);
        sprintf(out + n + pad, "\", %s", body + 1);
        break;
    }
    case MANY_KEYS:
    case MANY_NESTED_KEYS:
    case MANY_ELEMENTS: {
        out = malloc(strlen(body) + 65 * 24 + 64);
        cr_assert(out);
        size_t o = (size_t)sprintf(out, "{");
        if (how == MANY_KEYS) {
            o = many_members(out, o, 65, "extra");
        } else if (how == MANY_NESTED_KEYS) {
            o += (size_t)sprintf(out + o, "\"extra\": {");
            o = many_members(out, o, 65, "k");
            out[o++] = '}';
        } else {
            o += (size_t)sprintf(out + o, "\"extra\": [");
            for (int i = 0; i < 65; i++)
                o += (size_t)sprintf(out + o, "%s%d", i ? ", " : "", i);
            out[o++] = ']';
        }
        sprintf(out + o, ", %s", body + 1);
        break;
    }
    }
    *len = strlen(out);
    return out;
}

Test(hostile, malformed_bodies_on_every_route, .fini = stop_private_stack, .timeout = 180)
{
    struct world w;
    world_start(&w);
    struct snapshot before;
    snapshot_take(&before);
    static const struct {
        enum rewrite how;
        const char *label;
        long min, max;
    } rewrites[] = {
        {DUPLICATE_KEY, "duplicate key", 400, 499},
        {DOLLAR_KEY, "$ key first", 400, 499},
        {DOLLAR_KEY_LAST, "$ key last", 400, 499},
        {OVERSIZED, "body over 1 MiB", 413, 413},
        {MANY_KEYS, "65 keys and more", 400, 400},
        {MANY_NESTED_KEYS, "a nested object of 65 keys", 400, 400},
        {MANY_ELEMENTS, "an array of 65 elements", 400, 400},
    };
    for (size_t f = 0; f < N_FAMILIES; f++) {
        for (size_t k = 0; k < sizeof rewrites / sizeof *rewrites; k++) {
            char *path = expand(&w, families[f].path);
            char *base = expand(&w, families[f].body);
            size_t len;
            char *body = rewrite_body(base, rewrites[k].how, &len);
            char what[256];
            snprintf(what, sizeof what, "%s %s (%s)", families[f].method, families[f].path,
                     rewrites[k].label);
            struct answer a;
            send_curl(&w, families[f].method, path, families[f].who, "application/json", body, len,
                      NULL, &a);
            check(what, path, &a, rewrites[k].min, rewrites[k].max);
            free(a.body);
            free(body);
            free(base);
            free(path);
        }
    }
    /* Form bodies where the routes take them: operator-looking names, "$" names, bad bytes. */
    static const struct {
        const char *path;
        const char *body;
    } forms[] = {
        {"/api/v6/auth/register_inv",
         "username[$ne]=x&email=f1@example.com&password=password123&invcode=@INVITE@"},
        {"/api/v6/auth/register_inv",
         "username=hostile&email=f2@example.com&password=password123&invcode[$gt]="},
        {"/api/v6/auth/register_inv",
         "$where=1&username=hostile&email=f3@example.com&password=password123&invcode=@INVITE@"},
        {"/api/v6/auth/register_inv",
         "username=hostile&username=other&email=f4@example.com&password=password123&invcode=@INVITE@"},
        {"/api/v6/auth/register_inv",
         "username=host%FFile&email=f5@example.com&password=password123&invcode=@INVITE@"},
        {"/api/v6/auth/register_inv",
         "username=host%00ile&email=f6@example.com&password=password123&invcode=@INVITE@"},
        {"/api/oauth/token", "grant_type=password&username[$ne]=x&password[$ne]=y"},
        {"/api/oauth/token", "grant_type=password&$where=1"},
        {"/api/oauth/token", "grant_type=password&grant_type=refresh_token&refresh_token=x"},
        {"/api/oauth/token", "grant_type=password&username=%FF&password=y"},
        {"/api/oauth/token", "grant_type=refresh_token&refresh_token=%00"},
        /* 65 fields: past the form limit */
        {"/api/v6/auth/register_inv",
         "username=hostile&email=f7@example.com&password=password123&invcode=@INVITE@"
         "&a1&a2&a3&a4&a5&a6&a7&a8&a9&a10&a11&a12&a13&a14&a15&a16&a17&a18&a19&a20&a21&a22"
         "&a23&a24&a25&a26&a27&a28&a29&a30&a31&a32&a33&a34&a35&a36&a37&a38&a39&a40&a41&a42"
         "&a43&a44&a45&a46&a47&a48&a49&a50&a51&a52&a53&a54&a55&a56&a57&a58&a59&a60&a61"},
        {"/api/oauth/token",
         "grant_type=password&username=x&password=y"
         "&a1&a2&a3&a4&a5&a6&a7&a8&a9&a10&a11&a12&a13&a14&a15&a16&a17&a18&a19&a20&a21&a22"
         "&a23&a24&a25&a26&a27&a28&a29&a30&a31&a32&a33&a34&a35&a36&a37&a38&a39&a40&a41&a42"
         "&a43&a44&a45&a46&a47&a48&a49&a50&a51&a52&a53&a54&a55&a56&a57&a58&a59&a60&a61&a62"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        char *body = expand(&w, forms[i].body);
        struct answer a;
        send_curl(&w, "POST", forms[i].path, NOBODY, "application/x-www-form-urlencoded", body,
                  strlen(body), NULL, &a);
        check(body, forms[i].path, &a, 400, 499);
        free(a.body);
        free(body);
    }
    expect_unchanged(&before);
    cr_expect_eq(html_answers, 0, "nginx answered %d requests in HTML", html_answers);
    world_stop();
}

/* Headers nginx refuses before any location: each answer a 4xx. */
Test(hostile, oversized_headers_on_every_route, .fini = stop_private_stack, .timeout = 180)
{
    struct world w;
    world_start(&w);
    struct snapshot before;
    snapshot_take(&before);
    size_t big = 64 * 1024;
    char *header = malloc(big + 16);
    cr_assert(header);
    memcpy(header, "X-Padding: ", 11);
    memset(header + 11, 'a', big);
    header[11 + big] = '\0';
    char *long_auth = malloc(big + 32);
    cr_assert(long_auth);
    memcpy(long_auth, "Authorization: Bearer ", 22);
    memset(long_auth + 22, 'A', big);
    long_auth[22 + big] = '\0';
    for (size_t f = 0; f < N_FAMILIES; f++) {
        char *path = expand(&w, families[f].path);
        char *body = expand(&w, families[f].body);
        const char *extras[] = {header, long_auth};
        for (size_t k = 0; k < 2; k++) {
            char what[256];
            snprintf(what, sizeof what, "%s %s (64 KiB %s header)", families[f].method,
                     families[f].path, k ? "Authorization" : "X-Padding");
            struct answer a;
            send_curl(&w, families[f].method, path, k ? NOBODY : families[f].who,
                      "application/json", body, strlen(body), extras[k], &a);
            check(what, path, &a, 400, 499);
            free(a.body);
        }
        free(body);
        free(path);
    }
    /* A URI too long for nginx's buffers, and one just under them but past the pool's limit. */
    char *long_path = malloc(20000);
    cr_assert(long_path);
    snprintf(long_path, 20000, "/api/v1/users/");
    memset(long_path + 14, 'a', 16000);
    snprintf(long_path + 14 + 16000, 64, "/admin/ban");
    struct answer a;
    send_curl(&w, "POST", long_path, MODERATOR, "application/json", "{\"duration\": 1}", 15, NULL, &a);
    check("POST /api/v1/users/<16000 a>/admin/ban", long_path, &a, 400, 499);
    free(a.body);
    snprintf(long_path, 20000, "/api/v6/admin/users/");
    memset(long_path + 20, '9', 7000);
    long_path[7020] = '\0';
    send_curl(&w, "PATCH", long_path, STAFF, "application/json", "{\"flags\": 0}", 12, NULL, &a);
    check("PATCH /api/v6/admin/users/<7000 digits>", long_path, &a, 400, 499);
    free(a.body);
    free(long_path);
    free(header);
    free(long_auth);
    expect_unchanged(&before);
    if (html_answers)
        fprintf(stderr, "hostile: %d answers of nginx in HTML (oversized headers)\n", html_answers);
    world_stop();
}

/* NULs, dot segments and huge numbers in paths and query strings. */
Test(hostile, paths_and_query_strings, .fini = stop_private_stack, .timeout = 180)
{
    struct world w;
    world_start(&w);
    struct snapshot before;
    snapshot_take(&before);
    static const struct request_case cases[] = {
        /* percent-encoded NULs in every family's path */
        {"POST", "/api/v6/auth/login%00", NOBODY, "{}", 400, 499, false},
        {"PATCH", "/api/v6/admin/users/@USER@%00", STAFF, "{\"flags\": 0}", 400, 499, false},
        {"DELETE", "/api/v6/admin/users/%001", STAFF, NULL, 400, 499, false},
        {"DELETE", "/api/v6/admin/instance/invites/@INVITE@%00", STAFF, NULL, 400, 499, false},
        {"GET", "/api/v6/admin/voice/regions/@REGION@%00x", STAFF, NULL, 400, 499, false},
        {"PATCH", "/api/v6/admin/guilds/@GUILD@%00/features", STAFF, "{\"features\": []}", 400, 499, false},
        {"POST", "/api/oauth/token%00", NOBODY, "{}", 400, 499, false},
        {"POST", "/api/v1/users/@TARGET@%00/admin/ban", MODERATOR, "{\"duration\": 1}", 400, 499, false},
        {"POST", "/api/v1/players/@PLAYER@/admin/kick%00", MODERATOR, NULL, 400, 499, false},
        {"GET", "/api/v6/admin/users?username=a%00b", STAFF, NULL, 400, 499, false},
        /* dot segments, as sent and percent-encoded */
        {"PATCH", "/api/v6/admin/users/../users/@USER@", STAFF, "{\"flags\": 0}", 400, 499, true},
        {"DELETE", "/api/v6/admin/users/@USER@/..", STAFF, NULL, 400, 499, true},
        {"DELETE", "/api/v6/admin/instance/invites/x/../@INVITE@", STAFF, NULL, 400, 499, true},
        {"DELETE", "/api/v6/admin/instance/invites/%2e%2e", STAFF, NULL, 400, 499, false},
        {"PUT", "/api/v6/admin/voice/regions/../regions/@REGION@/server", STAFF,
         "{\"hostname\": \"dots.example.com\"}", 400, 499, true},
        {"PUT", "/api/v6/admin/voice/regions/%2e%2e/deprecate", STAFF, NULL, 400, 499, false},
        {"PUT", "/api/v6/admin/voice/regions/@REGION@/../@REGION@/deprecate", STAFF, NULL, 400, 499, true},
        {"DELETE", "/api/v6/admin/guilds/@GUILD@/../@GUILD@", STAFF, NULL, 400, 499, true},
        {"DELETE", "/api/v6/admin/guilds/%2E%2E", STAFF, NULL, 400, 499, false},
        {"POST", "/api/v6/auth/../auth/register_inv", NOBODY,
         "{\"username\": \"dots\", \"email\": \"dots@example.com\", \"password\": \"password123\", \"invcode\": \"@INVITE@\"}",
         400, 499, true},
        {"POST", "/api/v1/users/../users/@TARGET@/admin/ban", MODERATOR, "{\"duration\": 1}", 400, 499, true},
        {"POST", "/api/v1/users/%2e%2e/admin/ban", MODERATOR, "{\"duration\": 1}", 400, 499, false},
        {"POST", "/api/v1/players/@PLAYER@/admin/..%2fkill", MODERATOR, NULL, 400, 499, false},
        {"POST", "/api/v1/players/@PLAYER@/admin/x/../kill", MODERATOR, NULL, 400, 499, true},
        {"POST", "/api/oauth/../oauth/token", NOBODY, "{}", 400, 499, true},
        {"GET", "/api/../../../etc/passwd", NOBODY, NULL, 400, 499, true},
        /* huge numbers in ids */
        {"PATCH", "/api/v6/admin/users/99999999999999999999999", STAFF, "{\"flags\": 0}", 400, 499, false},
        {"DELETE", "/api/v6/admin/users/99999999999999999999999", STAFF, NULL, 400, 499, false},
        {"DELETE", "/api/v6/admin/users/-9223372036854775808", STAFF, NULL, 400, 499, false},
        {"PATCH", "/api/v6/admin/users/1e99", STAFF, "{\"flags\": 0}", 400, 499, false},
        {"GET", "/api/v6/admin/guilds/99999999999999999999999", STAFF, NULL, 400, 499, false},
        {"PATCH", "/api/v6/admin/guilds/18446744073709551616", STAFF, "{\"unavailable\": true}", 400, 499, false},
        {"PUT", "/api/v6/admin/guilds/99999999999999999999999/features", STAFF, "{\"features\": []}", 400, 499, false},
        {"DELETE", "/api/v6/admin/instance/invites/99999999999999999999999", STAFF, NULL, 400, 499, false},
        {"PUT", "/api/v6/admin/voice/regions/99999999999999999999999/server", STAFF,
         "{\"hostname\": \"big.example.com\"}", 400, 499, false},
        {"POST", "/api/v1/users/99999999999999999999999/admin/ban", MODERATOR, "{\"duration\": 1}", 400, 499, false},
        {"POST", "/api/v1/players/99999999999999999999999999999999/admin/kick", MODERATOR, NULL, 400, 499, false},
        /* huge numbers in query parameters */
        {"GET", "/api/v6/admin/users?username=a&per_page=1e99", STAFF, NULL, 400, 400, false},
        {"GET", "/api/v6/admin/users?username=a&page=18446744073709551616", STAFF, NULL, 400, 400, false},
        {"GET", "/api/v6/admin/users?username=a&per_page=99999999999999999999", STAFF, NULL, 400, 400, false},
        {"GET", "/api/v6/admin/users?username=a&page=-99999999999999999999", STAFF, NULL, 400, 400, false},
        {"GET", "/api/v6/admin/users?username=a&page=9223372036854775807", STAFF, NULL, 400, 400, false},
        {"GET", "/api/v1/players/online?page=18446744073709551616", MODERATOR, NULL, 400, 400, false},
        {"GET", "/api/v1/players/online?pageSize=1e99", MODERATOR, NULL, 400, 400, false},
        {"GET", "/api/v1/players/online?page=-1", MODERATOR, NULL, 400, 400, false},
        /* a query string that is not one */
        {"GET", "/api/v6/admin/users?username=%zz", STAFF, NULL, 400, 400, false},
        {"GET", "/api/v1/players/online?page=%", MODERATOR, NULL, 400, 400, false},
    };
    run_requests(&w, cases, sizeof cases / sizeof *cases);
    expect_unchanged(&before);
    if (html_answers)
        fprintf(stderr, "hostile: %d answers of nginx in HTML (paths)\n", html_answers);
    world_stop();
}
