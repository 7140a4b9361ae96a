/*
 * The database schema is the pool's start-up work, not a request's: the
 * master puts every index and then the marker ({_id: "schema", version} in
 * warden_meta) in place before it forks a worker; a pool started while the
 * database is down starts anyway, answers 503, and sets the schema up from
 * a process of its own once the database is back; workers (recycled ones
 * too) only read the marker and never create anything; wardenctl refuses
 * to work on a database without the marker until `wardenctl migrate` (or a
 * pool's start) has put it there.
 *
 * Tests that break a stack start a private one (ps_stack); the wardenctl
 * test uses a database of its own on the shared stack's FerretDB.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <mongoc/mongoc.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/pool_support.h"
#include "support/fixtures.h"
#include "support/http.h"
#include "support/stack.h"

extern char **environ;

/* Every index of src/store/schema.c (the _id indexes aside). */
static const struct {
    const char *collection, *name;
} schema_indexes[] = {
    {"users", "username_discriminator"},
    {"game_users", "name_lower"},
    {"players", "name_lower"},
    {"game_refresh_tokens", "user_id"},
};
#define N_SCHEMA_INDEXES (sizeof schema_indexes / sizeof schema_indexes[0])

/* --- the database, read directly ------------------------------------------ */

/* A client on uri's server and the database db_name (NULL: the URI's). */
struct direct {
    mongoc_client_t *client;
    mongoc_database_t *db;
};

static void direct_open(struct direct *d, const char *uri, const char *db_name)
{
    bson_error_t e;
    mongoc_uri_t *u;

    mongoc_init();
    mongoc_log_set_handler(NULL, NULL); /* FerretDB lacks endSessions: not test output */
    u = mongoc_uri_new_with_error(uri, &e);
    cr_assert_not_null(u, "%s: %s", uri, e.message);
    d->client = mongoc_client_new_from_uri(u);
    cr_assert_not_null(d->client);
    if (db_name == NULL)
        db_name = mongoc_uri_get_database(u) ? mongoc_uri_get_database(u) : "warden";
    d->db = mongoc_client_get_database(d->client, db_name);
    mongoc_uri_destroy(u);
}

static void direct_close(struct direct *d)
{
    mongoc_database_destroy(d->db);
    mongoc_client_destroy(d->client);
}

static bool has_index(struct direct *d, const char *collection, const char *name)
{
    mongoc_collection_t *c = mongoc_database_get_collection(d->db, collection);
    mongoc_cursor_t *cursor = mongoc_collection_find_indexes_with_opts(c, NULL);
    const bson_t *doc;
    bson_error_t e;
    bool found = false;

    while (mongoc_cursor_next(cursor, &doc)) {
        bson_iter_t it;

        if (bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it) &&
            strcmp(bson_iter_utf8(&it, NULL), name) == 0)
            found = true;
    }
    /* A collection that does not exist has no index: not an error here. */
    if (mongoc_cursor_error(cursor, &e) && e.code != 26)
        cr_assert_fail("listing the indexes of %s: %s", collection, e.message);
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(c);
    return found;
}

/* "collection.name" of every schema index missing, or "" when none is. */
static void missing_indexes(struct direct *d, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < N_SCHEMA_INDEXES; i++)
        if (!has_index(d, schema_indexes[i].collection, schema_indexes[i].name) && used < size)
            used += (size_t)snprintf(out + used, size - used, " %s.%s", schema_indexes[i].collection,
                                     schema_indexes[i].name);
}

/* The marker's version, 0 when there is no marker. */
static int64_t marker_version(struct direct *d)
{
    mongoc_collection_t *c = mongoc_database_get_collection(d->db, "warden_meta");
    bson_t *filter = BCON_NEW("_id", BCON_UTF8("schema"));
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, NULL, NULL);
    const bson_t *doc;
    bson_error_t e;
    int64_t version = 0;

    if (mongoc_cursor_next(cursor, &doc)) {
        bson_iter_t it;

        cr_assert(bson_iter_init_find(&it, doc, "version") && BSON_ITER_HOLDS_NUMBER(&it),
                  "the marker has no numeric version");
        version = bson_iter_as_int64(&it);
        cr_assert_gt(version, 0, "marker version %lld", (long long)version);
    }
    cr_assert(!mongoc_cursor_error(cursor, &e), "reading the marker: %s", e.message);
    mongoc_cursor_destroy(cursor);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
    return version;
}

static void drop_index(struct direct *d, const char *collection, const char *name)
{
    mongoc_collection_t *c = mongoc_database_get_collection(d->db, collection);
    bson_error_t e;

    cr_assert(mongoc_collection_drop_index_with_opts(c, name, NULL, &e), "dropping %s.%s: %s",
              collection, name, e.message);
    mongoc_collection_destroy(c);
}

static void delete_marker(struct direct *d)
{
    mongoc_collection_t *c = mongoc_database_get_collection(d->db, "warden_meta");
    bson_t *filter = BCON_NEW("_id", BCON_UTF8("schema"));
    bson_error_t e;

    cr_assert(mongoc_collection_delete_one(c, filter, NULL, NULL, &e), "deleting the marker: %s",
              e.message);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
}

/* Every schema index and a marker in place. */
static void assert_schema_in_place(struct direct *d, const char *where)
{
    char missing[512];

    missing_indexes(d, missing, sizeof missing);
    cr_assert_str_empty(missing, "%s: indexes missing:%s", where, missing);
    cr_assert_gt(marker_version(d), 0, "%s: no schema marker", where);
}

/* --- answers ---------------------------------------------------------------- */

/* GET path through the private stack's nginx, without credentials. */
static long get_status(const char *path, char *body, size_t size)
{
    char *url = http_url(ps_stack.url, "%s", path);
    struct http_response r;

    cr_assert_eq(http_get(url, &r), 0, "%s: %s", url, r.error);
    if (body != NULL)
        snprintf(body, size, "%s", r.body);
    long status = r.status;
    http_response_free(&r);
    free(url);
    return status;
}

/* A 503 in the API's own shape with message. */
static void assert_503(long status, const char *body, bool game, const char *message)
{
    char expected[128];

    cr_assert_eq(status, 503, "status %ld: %s", status, body);
    if (game)
        snprintf(expected, sizeof expected, "\"Message\":\"%s\"", message);
    else
        snprintf(expected, sizeof expected, "\"message\":\"%s\"", message);
    cr_assert_not_null(strstr(body, expected), "expected %s in %s", expected, body);
    if (!game)
        cr_assert_not_null(strstr(body, "\"status\":503"), "%s", body);
}

/* --- a pool of the test's own, beside the private stack ------------------- */

static pid_t extra_pool;

/* The pool binary with args, its stdout and stderr appended to the private
 * stack's log/warden.log (so that stack_stop sees any sanitizer report). */
static pid_t extra_pool_start(const char *const *args)
{
    char bin[512], log[STACK_STR_MAX + 32];
    const char *dir = getenv("WARDEN_BIN_DIR");
    const char *argv[24];
    size_t n = 0;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t sigs;
    pid_t pid;
    int rc;

    snprintf(bin, sizeof bin, "%s/warden", dir && *dir ? dir : "build/release");
    cr_assert_eq(stack_log_path(&ps_stack, log, sizeof log), 0);
    argv[n++] = bin;
    for (size_t i = 0; args[i] != NULL && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&sigs);
    posix_spawnattr_setsigmask(&attr, &sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &sigs);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(&pid, bin, &actions, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    cr_assert_eq(rc, 0, "cannot run %s: %s", bin, strerror(rc));
    extra_pool = pid;
    return pid;
}

/* SIGTERM, then SIGKILL after 15 s; reaps it. Whether it stopped by itself. */
static bool extra_pool_stop(void)
{
    bool clean = true;
    int status;

    if (extra_pool <= 0)
        return true;
    kill(extra_pool, SIGTERM);
    if (!ps_wait_gone(extra_pool, 15000)) {
        kill(extra_pool, SIGKILL);
        clean = false;
    }
    waitpid(extra_pool, &status, 0);
    extra_pool = 0;
    return clean;
}

static void stop_everything(void)
{
    extra_pool_stop();
    ps_stop_private();
}

/* One FastCGI GET to a pool's socket: status, body into body. */
static int fcgi_get(const char *socket_path, const char *uri, char *body, size_t size)
{
    struct ps_fcgi_response r;
    int status;

    cr_assert_eq(ps_fcgi_request(socket_path, "GET", uri, NULL, NULL, 0, &r), 0, "GET %s", uri);
    status = r.status;
    snprintf(body, size, "%s", r.body);
    ps_fcgi_response_free(&r);
    return status;
}

/* Offset of the first line of the private pool's log holding text, or -1. */
static long log_offset(const char *text)
{
    char path[STACK_STR_MAX + 32];
    char *log, *at;
    long offset;

    cr_assert_eq(stack_log_path(&ps_stack, path, sizeof path), 0);
    log = ps_read_file(path, NULL);
    cr_assert_not_null(log, "cannot read %s", path);
    at = strstr(log, text);
    offset = at != NULL ? (long)(at - log) : -1;
    free(log);
    return offset;
}

/* --- at start, before any request -------------------------------------------- */

Test(schema, pool_start_puts_every_index_and_the_marker_in_place_before_serving,
     .fini = ps_stop_private, .timeout = 120)
{
    struct direct d;
    char master_line[64];
    long schema_at, first_access;

    ps_start_private(NULL);
    direct_open(&d, ps_stack.mongodb_uri, NULL);
    assert_schema_in_place(&d, "a fresh database after the pool's start");
    direct_close(&d);

    /* The master did it (its pid on the line), before any request was served,
     * and needed no schema process. */
    snprintf(master_line, sizeof master_line, "warden[%d] info: database schema in place",
             (int)ps_stack.pool_pid);
    schema_at = log_offset(master_line);
    first_access = log_offset(" info: access ");
    cr_assert_geq(schema_at, 0, "the master did not log \"%s\"", master_line);
    cr_assert_geq(first_access, 0, "no access line: was /healthz not asked?");
    cr_assert_lt(schema_at, first_access, "a request was served before the schema was in place");
    cr_assert(!ps_log_contains("schema process"), "a schema process ran with the database up");
    ps_finish_private();
}

/* --- the database down at start ------------------------------------------------ */

#define DOWN_DB "schema_down_at_start"

Test(schema, pool_started_with_the_database_down_answers_503_then_sets_up_the_schema,
     .fini = stop_everything, .timeout = 180)
{
    char socket_path[STACK_STR_MAX + 32], uri[STACK_STR_MAX + 64], body[1024];
    const char *args[] = {"--listen", NULL, "--workers", "1", "--mongodb-uri", NULL, NULL};
    struct direct d;
    pid_t pool, children[8];
    int64_t started, took, up_at;
    int status = 0;

    ps_start_private(NULL);
    snprintf(socket_path, sizeof socket_path, "%s/run/down.sock", ps_stack.dir);
    snprintf(uri, sizeof uri, "mongodb://127.0.0.1:%d/" DOWN_DB, ps_stack.db_port);
    {
        static char listen[STACK_STR_MAX + 40];

        snprintf(listen, sizeof listen, "unix:%s", socket_path);
        args[1] = listen;
        args[5] = uri;
    }
    cr_assert_eq(stack_db_stop(&ps_stack), 0, "the database did not stop");

    /* Neither blocked nor failed: the socket comes up and a worker answers. */
    started = ps_now_ms();
    pool = extra_pool_start(args);
    for (;;) {
        struct ps_fcgi_response r;

        cr_assert(ps_pid_alive(pool), "the pool exited with the database down");
        if (access(socket_path, F_OK) == 0 &&
            ps_fcgi_request(socket_path, "GET", "/livez", NULL, NULL, 0, &r) == 0) {
            status = r.status;
            ps_fcgi_response_free(&r);
            break;
        }
        cr_assert_lt(ps_now_ms() - started, 20000, "the pool does not serve 20 s after its start");
        ps_sleep_ms(50);
    }
    took = ps_now_ms() - started;
    fprintf(stderr, "schema/down_at_start: serving %lld ms after the start\n", (long long)took);
    cr_assert_eq(status, 200, "/livez: %d", status);
    cr_assert_lt(took, 10000, "the start took %lld ms", (long long)took);

    /* 503 in each API's shape for whatever needs the database. */
    status = fcgi_get(socket_path, "/api/v6/users/@me", body, sizeof body);
    assert_503(status, body, false, "Database unavailable");
    status = fcgi_get(socket_path, "/api/v1/info/authorized", body, sizeof body);
    assert_503(status, body, true, "Database unavailable");
    cr_assert(ps_log_contains("retrying in the background"), "the master did not say it retries");
    /* One warning that names the cause, however long the database stays down. */
    cr_assert(ps_log_contains("warn: database unreachable at start-up: the first ping failed ("),
              "no start-up warning that the database is unreachable");
    cr_assert_eq(ps_children_of(pool, children, 8), 2, "a worker and the schema process expected");
    /* Down long enough for the schema process to fail a few attempts. */
    ps_sleep_ms(2000);
    cr_assert_eq(ps_children_of(pool, children, 8), 2, "the schema process gave up");

    /* The database back: the schema process sets the schema up, the
     * worker serves (401: no credentials, so past the schema check). */
    cr_assert_eq(stack_db_start(&ps_stack), 0, "the database did not start again");
    up_at = ps_now_ms();
    for (;;) {
        status = fcgi_get(socket_path, "/api/v6/users/@me", body, sizeof body);
        if (status == 401)
            break;
        cr_assert_eq(status, 503, "while the schema is being set up: %d %s", status, body);
        cr_assert_lt(ps_now_ms() - up_at, 30000, "still 503 30 s after the database came back: %s",
                     body);
        ps_sleep_ms(100);
    }
    fprintf(stderr, "schema/down_at_start: serving %lld ms after the database came back\n",
            (long long)(ps_now_ms() - up_at));
    direct_open(&d, ps_stack.mongodb_uri, DOWN_DB);
    assert_schema_in_place(&d, "after the database came back");
    direct_close(&d);
    {
        const char *done = "database schema in place (schema process, attempt ";
        long at = log_offset(done);
        char path[STACK_STR_MAX + 32], *log;
        unsigned attempt = 0;

        cr_assert_geq(at, 0, "the schema process did not log its success");
        cr_assert_eq(stack_log_path(&ps_stack, path, sizeof path), 0);
        log = ps_read_file(path, NULL);
        cr_assert_not_null(log);
        sscanf(log + at + strlen(done), "%u", &attempt);
        free(log);
        cr_assert_gt(attempt, 1, "set up at attempt %u: were there no retries?", attempt);
    }
    {
        char path[STACK_STR_MAX + 32], *log;
        int warnings = 0;

        cr_assert_eq(stack_log_path(&ps_stack, path, sizeof path), 0);
        log = ps_read_file(path, NULL);
        cr_assert_not_null(log);
        for (const char *p = log; (p = strstr(p, "the first ping failed")) != NULL; p++)
            warnings++;
        free(log);
        cr_assert_eq(warnings, 1, "%d start-up ping warnings", warnings);
    }
    /* Its work done, the schema process is gone; the worker stays. */
    for (started = ps_now_ms(); ps_children_of(pool, children, 8) != 1; ps_sleep_ms(50))
        cr_assert_lt(ps_now_ms() - started, 5000, "the schema process did not exit");
    cr_assert(extra_pool_stop(), "the pool did not stop on SIGTERM");
    ps_finish_private();
}

/* --- workers only check --------------------------------------------------------- */

/* Ask a data route until a worker answers with want (at most tries times). */
static long until_status(long want, const char *path, int tries, char *body, size_t size)
{
    long status = 0;

    for (int i = 0; i < tries; i++) {
        status = get_status(path, body, size);
        if (status == want)
            break;
    }
    return status;
}

Test(schema, recycled_workers_only_check_the_marker_and_migrate_sets_it_up,
     .fini = ps_stop_private, .timeout = 180)
{
    const char *args[] = {"--max-requests", "3", "--workers", "1", NULL};
    struct direct d;
    struct ps_status before, after;
    char body[1024];
    long status;

    ps_start_private(args);
    direct_open(&d, ps_stack.mongodb_uri, NULL);
    assert_schema_in_place(&d, "at start");

    /* An index gone behind the pool's back: workers recycled since do not
     * put it back (they never create anything). */
    drop_index(&d, "players", "name_lower");
    cr_assert(!has_index(&d, "players", "name_lower"));
    ps_status_ok(ps_stack.url, &before);
    for (int i = 0; i < 12; i++) {
        status = get_status("/api/v6/users/@me", body, sizeof body);
        cr_assert_eq(status, 401, "request %d: %ld %s", i, status, body);
    }
    ps_status_ok(ps_stack.url, &after);
    cr_assert_geq(after.respawns - before.respawns, 3, "only %lld workers recycled",
                  (long long)(after.respawns - before.respawns));
    cr_assert(!has_index(&d, "players", "name_lower"), "a worker created an index");

    /* The marker gone: the next worker that starts answers 503 (the one
     * that has seen the marker keeps serving until it is recycled). */
    delete_marker(&d);
    status = until_status(503, "/api/v6/users/@me", 8, body, sizeof body);
    assert_503(status, body, false, "Database schema not in place yet");
    status = until_status(503, "/api/v1/info/authorized", 8, body, sizeof body);
    assert_503(status, body, true, "Database schema not in place yet");
    /* Readiness says so too: a balancer sends no traffic to a pool that would 503. */
    status = until_status(503, "/healthz", 8, body, sizeof body);
    cr_assert_eq(status, 503, "/healthz while the schema is missing: %ld %s", status, body);
    cr_assert_not_null(strstr(body, "\"status\":\"schema-pending\""), "%s", body);
    cr_assert_eq(marker_version(&d), 0, "a worker wrote the marker");
    cr_assert(!has_index(&d, "players", "name_lower"), "a worker created an index");

    /* wardenctl migrate puts both back, and the workers serve again. */
    ps_ctl_ok(NULL, 0, (const char *const[]){"migrate", NULL});
    assert_schema_in_place(&d, "after wardenctl migrate");
    status = get_status("/api/v6/users/@me", body, sizeof body);
    cr_assert_eq(status, 401, "after migrate: %ld %s", status, body);
    status = until_status(200, "/healthz", 8, body, sizeof body);
    cr_assert_eq(status, 200, "/healthz after migrate: %ld %s", status, body);
    direct_close(&d);
    ps_finish_private();
}

/* --- wardenctl ---------------------------------------------------------------- */

struct ctl_run {
    int status;
    char *out;
    char err[1024];
};

/* wardenctl args against uri, stdout and stderr apart. */
static void ctl_on(const char *uri, const char *const *args, struct ctl_run *r)
{
    const char *dir = getenv("WARDEN_BIN_DIR");
    char bin[512], err_path[] = "/tmp/wardenctl-schema-err-XXXXXX";
    const char *argv[16] = {"sh", "-c", "exec \"$@\" 2>\"$CTL_ERR\"", "sh", bin};
    size_t n = 5;
    int fd = mkstemp(err_path);
    FILE *f;

    cr_assert_geq(fd, 0);
    close(fd);
    snprintf(bin, sizeof bin, "%s/wardenctl", dir && *dir ? dir : "build/release");
    for (size_t i = 0; args[i] != NULL && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", uri, 1), 0);
    cr_assert_eq(setenv("MONGOC_DISABLE_SHM", "1", 1), 0);
    cr_assert_eq(setenv("CTL_ERR", err_path, 1), 0);
    r->status = stack_run(argv, &r->out);
    cr_assert_not_null(r->out);
    f = fopen(err_path, "r");
    cr_assert_not_null(f);
    r->err[fread(r->err, 1, sizeof r->err - 1, f)] = '\0';
    fclose(f);
    unlink(err_path);
}

static void assert_refused_for_schema(const char *uri, const char *const *args)
{
    struct ctl_run r;

    ctl_on(uri, args, &r);
    cr_assert_eq(r.status, 1, "wardenctl %s: exit %d, stderr %s", args[0], r.status, r.err);
    cr_assert_str_empty(r.out, "wardenctl %s printed %s", args[0], r.out);
    cr_assert_not_null(strchr(r.err, '\n'));
    cr_assert_eq(strchr(r.err, '\n')[1], '\0', "more than one line: %s", r.err);
    cr_assert_eq(strncmp(r.err, "wardenctl: the database schema is not in place", 46), 0, "%s",
                 r.err);
    cr_assert_not_null(strstr(r.err, "run `wardenctl migrate`"), "%s", r.err);
    free(r.out);
}

Test(schema, wardenctl_without_the_marker_says_run_migrate_then_works, .timeout = 120)
{
    const char *shared = stack_shared_mongodb_uri();
    char db_name[40], uri[STACK_STR_MAX + 64];
    const char *slash;
    struct direct d;
    struct ctl_run r;
    bson_error_t e;

    cr_assert_not_null(shared, "run this through tests/api's main");
    fx_unique(db_name, sizeof db_name, "ctlfresh");
    slash = strrchr(shared, '/');
    cr_assert(slash != NULL && slash > shared + 10, "%s", shared);
    snprintf(uri, sizeof uri, "%.*s/%s", (int)(slash - shared), shared, db_name);

    assert_refused_for_schema(uri, (const char *const[]){"list-invites", NULL});
    assert_refused_for_schema(uri, (const char *const[]){"add-user", "schemaless", "s@example.com",
                                                         "a password", NULL});
    direct_open(&d, uri, db_name);
    {
        mongoc_collection_t *users = mongoc_database_get_collection(d.db, "users");
        bson_t empty = BSON_INITIALIZER;

        cr_assert_eq(mongoc_collection_count_documents(users, &empty, NULL, NULL, NULL, &e), 0,
                     "a refused add-user wrote a user");
        mongoc_collection_destroy(users);
    }

    /* Twice: the second finds the marker there (a duplicate key on its
     * upsert) and leaves it as it is. */
    for (int run = 0; run < 2; run++) {
        ctl_on(uri, (const char *const[]){"migrate", NULL}, &r);
        cr_assert_eq(r.status, 0, "migrate %d: exit %d, stderr %s, stdout %s", run, r.status, r.err,
                     r.out);
        free(r.out);
        assert_schema_in_place(&d, "after wardenctl migrate");
    }

    ctl_on(uri, (const char *const[]){"list-invites", NULL}, &r);
    cr_assert_eq(r.status, 0, "list-invites after migrate: exit %d, stderr %s", r.status, r.err);
    cr_assert_str_empty(r.err, "%s", r.err);
    free(r.out);

    /* A newer release's marker: good enough for this one, and never lowered. */
    {
        mongoc_collection_t *meta = mongoc_database_get_collection(d.db, "warden_meta");
        bson_t *filter = BCON_NEW("_id", BCON_UTF8("schema"));
        bson_t *update = BCON_NEW("$set", "{", "version", BCON_INT32(1000), "}");

        cr_assert(mongoc_collection_update_one(meta, filter, update, NULL, NULL, &e), "%s",
                  e.message);
        bson_destroy(update);
        bson_destroy(filter);
        mongoc_collection_destroy(meta);
    }
    ctl_on(uri, (const char *const[]){"migrate", NULL}, &r);
    cr_assert_eq(r.status, 0, "migrate under a newer marker: exit %d, stderr %s", r.status, r.err);
    free(r.out);
    cr_assert_eq(marker_version(&d), 1000, "migrate lowered a newer marker");
    ctl_on(uri, (const char *const[]){"list-invites", NULL}, &r);
    cr_assert_eq(r.status, 0, "list-invites under a newer marker: exit %d, stderr %s", r.status,
                 r.err);
    free(r.out);
    ctl_on(uri, (const char *const[]){"add-user", "schemaful", "s@example.com", "a password", NULL}, &r);
    cr_assert_eq(r.status, 0, "add-user after migrate: exit %d, stderr %s", r.status, r.err);
    free(r.out);

    cr_assert(mongoc_database_drop_with_opts(d.db, NULL, &e), "dropping %s: %s", db_name, e.message);
    direct_close(&d);
}
