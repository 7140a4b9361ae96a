/*
 * db_ceiling: what the database allows, measured without Warden. Each
 * thread has its own MongoDB client (made by db_new, so with the pool's own
 * timeouts and error API) and issues, back to back, the database calls one
 * request of a route makes, built exactly as the store modules build them:
 *
 *   ping    GET /healthz                     db_ping
 *   guild   GET /admin/guilds/{id}           users by _id (the token's user),
 *                                            guilds by _id, guild_features of it
 *   search  GET /admin/users?username=P      users by _id, users by username
 *                                            regex sorted by _id, limit 20
 *   patch   PATCH /admin/users/{id} {flags}  users by _id twice (token, target),
 *                                            update_one $set flags, audit_log
 *                                            and gateway_events inserts
 *   mute    POST /api/v1/users/N/admin/mute  game_users by _id (the token's),
 *           and .../unmute, alternating      game_users by name_lower, players
 *                                            of the user; mute: insert the
 *                                            record (no record holds its key);
 *                                            unmute: delete_many; both an
 *                                            audit_log insert
 *
 *   db_ceiling --uri URI --ids DIR --op OP [--threads N] [--duration S]
 *              [--warmup S] [--staff-id ID] [--admin-id GUID] [--run R] [--min-ops N]
 *
 * DIR holds the seed's users.txt, guilds.txt and game_users.txt. Targets are
 * spread over the threads as the wrk scripts spread them (tests/bench/
 * scenarios.lua): patch sets flags to a value the user never held (--run
 * tells runs apart), so every update is a real write, and mute/unmute keep a
 * lag between muting a user and unmuting it, so no mute meets an active one.
 *
 * It prints one line:
 *   DB_RESULT op=OP threads=N ops=N seconds=S rps=R p50_us=N p99_us=N errors=N
 * Operations are counted from the end of the warm-up to the end of the run;
 * one operation is all the calls of one request. With --min-ops, an
 * operation slower than the run still counts: each thread goes on until it
 * has N, and the run lasts until the last of them ends.
 */
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/db.h"
#include "warden/log.h"
#include "warden/util.h"

#define MAX_THREADS 64
#define SEARCH_PREFIXES 100   /* bu0000..bu0099: 100 users match each with >= 10 000 users */
#define SEARCH_LIMIT 20       /* per_page's default */
#define MUTE_LAG 64           /* pairs between a mute and the unmute of the same user */
#define SNOWFLAKE_EPOCH_MS 1420070400000LL

enum op { OP_PING, OP_GUILD, OP_SEARCH, OP_PATCH, OP_MUTE };
static const char *const op_names[] = {"ping", "guild", "search", "patch", "mute"};

struct ids {
    char **users;        /* chat user ids, decimal */
    size_t n_users;
    char **guilds;
    size_t n_guilds;
    char **game_ids, **game_names;
    size_t n_game;
};

struct config {
    const char *uri;
    enum op op;
    int threads;
    double duration, warmup;
    int64_t staff_id;
    const char *admin_id;
    long run;
    long min_ops;        /* > 0: go on past the duration until each thread has this many */
    struct ids ids;
};

struct worker {
    const struct config *cfg;
    int index;
    uint64_t measure_from_us, end_us;
    uint64_t last_us;    /* when the last counted operation ended */
    uint32_t *lat;       /* microseconds, one per measured operation */
    size_t n, cap;
    long errors;
    int64_t id_ms;       /* own snowflakes for inserted documents */
    unsigned id_counter;
    char error[sizeof ((bson_error_t *)0)->message];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("db_ceiling: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* --- ids ------------------------------------------------------------------------- */

/* The first whitespace-separated field (and the second, when second != NULL) of each line. */
static size_t read_ids(const char *dir, const char *name, char ***first, char ***second)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s", path);
    size_t n = 0, cap = 0;
    *first = NULL;
    if (second)
        *second = NULL;
    while (fgets(line, sizeof line, f)) {
        char *a = strtok(line, " \t\r\n"), *b = strtok(NULL, " \t\r\n");
        if (!a)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            *first = xrealloc(*first, cap * sizeof **first);
            if (second)
                *second = xrealloc(*second, cap * sizeof **second);
        }
        (*first)[n] = strdup(a);
        if (second)
            (*second)[n] = strdup(b ? b : "");
        n++;
    }
    fclose(f);
    if (n == 0)
        die("%s is empty", path);
    return n;
}

/* A snowflake of this thread: worker bits 31 (no pool host uses them while
 * the bench runs one host, id 0), process bits the thread's index. */
static int64_t next_id(struct worker *w)
{
    int64_t ms = clock_wall_ms() - SNOWFLAKE_EPOCH_MS;
    if (ms <= w->id_ms) {
        ms = w->id_ms;
        if (++w->id_counter == 4096) {
            w->id_counter = 0;
            ms++;
        }
    } else {
        w->id_counter = 0;
    }
    w->id_ms = ms;
    return ms << 22 | 31LL << 17 | (int64_t)(w->index & 31) << 12 | w->id_counter;
}

/* --- the calls, as the store modules make them ------------------------------------------ */

/* store_find_one: find with limit 1, the document copied out. */
static bool find_one(mongoc_collection_t *c, const bson_t *filter, bson_t *out, bson_error_t *e)
{
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_INT64(&opts, "limit", 1);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, &opts, NULL);
    bson_destroy(&opts);
    const bson_t *doc;
    bool found = mongoc_cursor_next(cursor, &doc);
    if (found)
        bson_concat(out, doc);
    else if (!mongoc_cursor_error(cursor, e))
        bson_set_error(e, 0, 0, "not found");
    mongoc_cursor_destroy(cursor);
    return found;
}

/* store_each: every document of a find. */
static bool find_all(mongoc_collection_t *c, const bson_t *filter, const bson_t *opts, size_t *n,
                     bson_error_t *e)
{
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    const bson_t *doc;
    *n = 0;
    while (mongoc_cursor_next(cursor, &doc))
        (*n)++;
    bool ok = !mongoc_cursor_error(cursor, e);
    mongoc_cursor_destroy(cursor);
    return ok;
}

/* store_find_opts */
static void find_opts(bson_t *opts, const char *sort1, const char *sort2, int64_t limit)
{
    bson_t sort;
    BSON_APPEND_DOCUMENT_BEGIN(opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, sort1, 1);
    if (sort2)
        BSON_APPEND_INT32(&sort, sort2, 1);
    bson_append_document_end(opts, &sort);
    if (limit > 0)
        BSON_APPEND_INT64(opts, "limit", limit);
}

/* store_users_get for the token's user (auth_chat). */
static bool chat_auth(struct db *db, int64_t staff_id, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "_id", staff_id);
    bool ok = find_one(db_collection(db, "users"), &filter, &doc, e);
    bson_destroy(&filter);
    bson_destroy(&doc);
    return ok;
}

static bool op_guild(struct worker *w, struct db *db, uint64_t k, bson_error_t *e)
{
    const struct ids *ids = &w->cfg->ids;
    int64_t gid = strtoll(ids->guilds[(w->index + w->cfg->threads * k) % ids->n_guilds], NULL, 10);
    if (!chat_auth(db, w->cfg->staff_id, e))
        return false;
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "_id", gid);
    bool ok = find_one(db_collection(db, "guilds"), &filter, &doc, e); /* store_guild_get */
    bson_destroy(&filter);
    bson_destroy(&doc);
    if (!ok)
        return false;
    bson_t by_guild = BSON_INITIALIZER, opts = BSON_INITIALIZER; /* store_guild_features */
    BSON_APPEND_INT64(&by_guild, "guild_id", gid);
    find_opts(&opts, "position", "_id", 0);
    size_t n;
    ok = find_all(db_collection(db, "guild_features"), &by_guild, &opts, &n, e);
    bson_destroy(&by_guild);
    bson_destroy(&opts);
    return ok;
}

static bool op_search(struct worker *w, struct db *db, uint64_t k, bson_error_t *e)
{
    if (!chat_auth(db, w->cfg->staff_id, e))
        return false;
    char pattern[16]; /* literal_pattern leaves letters and digits as they are */
    snprintf(pattern, sizeof pattern, "bu%04d",
             (int)((w->index + (uint64_t)w->cfg->threads * k) % SEARCH_PREFIXES));
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER; /* store_users_search */
    BSON_APPEND_REGEX(&filter, "username", pattern, "");
    find_opts(&opts, "_id", NULL, SEARCH_LIMIT);
    size_t n;
    bool ok = find_all(db_collection(db, "users"), &filter, &opts, &n, e);
    bson_destroy(&filter);
    bson_destroy(&opts);
    if (ok && n != SEARCH_LIMIT) {
        bson_set_error(e, 0, 0, "search %s found %zu users, expected %d", pattern, n, SEARCH_LIMIT);
        return false;
    }
    return ok;
}

/* store_users_append_public, from a users document. */
static void append_public(bson_t *out, const bson_t *user, int64_t flags)
{
    bson_iter_t it;
    char id[24];
    snprintf(id, sizeof id, "%lld",
             (long long)(bson_iter_init_find(&it, user, "_id") ? bson_iter_as_int64(&it) : 0));
    BSON_APPEND_UTF8(out, "id", id);
    const char *keys[] = {"username", "discriminator"};
    for (int i = 0; i < 2; i++)
        BSON_APPEND_UTF8(out, keys[i],
                         bson_iter_init_find(&it, user, keys[i]) && BSON_ITER_HOLDS_UTF8(&it)
                             ? bson_iter_utf8(&it, NULL)
                             : "");
    BSON_APPEND_NULL(out, "avatar");
    BSON_APPEND_INT64(out, "flags", flags);
    BSON_APPEND_INT64(out, "public_flags", flags);
    BSON_APPEND_BOOL(out, "bot", false);
    BSON_APPEND_UTF8(out, "bio", "");
    BSON_APPEND_NULL(out, "accent_color");
    BSON_APPEND_BOOL(out, "premium", false);
}

/* store_audit */
static bool audit(struct worker *w, struct db *db, const char *realm, int64_t chat_id,
                  const char *game_id, const char *name, const char *action, const char *type,
                  const char *target, const bson_t *before, const bson_t *after, bson_error_t *e)
{
    bson_t doc = BSON_INITIALIZER, actor, tgt;
    BSON_APPEND_INT64(&doc, "_id", next_id(w));
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "actor", &actor);
    BSON_APPEND_UTF8(&actor, "realm", realm);
    if (game_id)
        BSON_APPEND_UTF8(&actor, "id", game_id);
    else
        BSON_APPEND_INT64(&actor, "id", chat_id);
    BSON_APPEND_UTF8(&actor, "name", name);
    bson_append_document_end(&doc, &actor);
    BSON_APPEND_UTF8(&doc, "action", action);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "target", &tgt);
    BSON_APPEND_UTF8(&tgt, "type", type);
    BSON_APPEND_UTF8(&tgt, "id", target);
    bson_append_document_end(&doc, &tgt);
    if (before)
        BSON_APPEND_DOCUMENT(&doc, "before", before);
    if (after)
        BSON_APPEND_DOCUMENT(&doc, "after", after);
    BSON_APPEND_UTF8(&doc, "request_id", "00000000000000000000000000000000");
    BSON_APPEND_DATE_TIME(&doc, "created_at", clock_wall_ms());
    bool ok = mongoc_collection_insert_one(db_collection(db, "audit_log"), &doc, NULL, NULL, e);
    bson_destroy(&doc);
    return ok;
}

static bool op_patch(struct worker *w, struct db *db, uint64_t k, bson_error_t *e)
{
    const struct ids *ids = &w->cfg->ids;
    size_t per_thread = ids->n_users / (size_t)w->cfg->threads;
    const char *target_text = ids->users[w->index + (size_t)w->cfg->threads * (k % per_thread)];
    int64_t target = strtoll(target_text, NULL, 10);
    /* A value this user never held: the run in the high bits, the pass below. */
    int64_t flags = ((int64_t)w->cfg->run << 13 | (int64_t)((k / per_thread) & 8191)) << 1;
    if (!chat_auth(db, w->cfg->staff_id, e))
        return false;
    mongoc_collection_t *users = db_collection(db, "users");
    bson_t filter = BSON_INITIALIZER, user = BSON_INITIALIZER;
    BSON_APPEND_INT64(&filter, "_id", target);
    bool ok = find_one(users, &filter, &user, e); /* store_users_get */
    if (ok) {                                      /* store_users_set_flags */
        bson_t update = BSON_INITIALIZER, set, reply;
        BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
        BSON_APPEND_INT64(&set, "flags", flags);
        bson_append_document_end(&update, &set);
        ok = mongoc_collection_update_one(users, &filter, &update, NULL, &reply, e);
        bson_destroy(&update);
        bson_destroy(&reply);
    }
    if (ok) {
        bson_iter_t it;
        int64_t old = bson_iter_init_find(&it, &user, "flags") ? bson_iter_as_int64(&it) : 0;
        bson_t before = BSON_INITIALIZER, after = BSON_INITIALIZER;
        append_public(&before, &user, old);
        append_public(&after, &user, flags);
        ok = audit(w, db, "chat", w->cfg->staff_id, NULL, "benchstaff", "user.update", "user",
                   target_text, &before, &after, e);
        if (ok) { /* store_gateway_event */
            bson_t ev = BSON_INITIALIZER;
            BSON_APPEND_INT64(&ev, "_id", next_id(w));
            BSON_APPEND_UTF8(&ev, "type", "USER_UPDATE");
            BSON_APPEND_INT64(&ev, "user_id", target);
            BSON_APPEND_DOCUMENT(&ev, "data", &after);
            BSON_APPEND_DATE_TIME(&ev, "created_at", clock_wall_ms());
            ok = mongoc_collection_insert_one(db_collection(db, "gateway_events"), &ev, NULL, NULL, e);
            bson_destroy(&ev);
        }
        bson_destroy(&before);
        bson_destroy(&after);
    }
    bson_destroy(&filter);
    bson_destroy(&user);
    return ok;
}

static bool op_mute(struct worker *w, struct db *db, uint64_t k, bson_error_t *e)
{
    const struct ids *ids = &w->cfg->ids;
    size_t per_thread = ids->n_game / (size_t)w->cfg->threads;
    bool mute = k % 2 == 0;
    uint64_t pair = k / 2;
    /* unmute trails mute by MUTE_LAG pairs (wrapping round to the end at first) */
    size_t slot = mute ? pair % per_thread
                       : (size_t)((pair + per_thread * MUTE_LAG - MUTE_LAG) % per_thread);
    size_t index = (size_t)w->index + (size_t)w->cfg->threads * slot;
    const char *user_id = ids->game_ids[index], *name = ids->game_names[index];
    int64_t now = clock_wall_ms();

    mongoc_collection_t *game_users = db_collection(db, "game_users");
    bson_t filter = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&filter, "_id", w->cfg->admin_id); /* auth_game: store_game_user_get */
    bool ok = find_one(game_users, &filter, &doc, e);
    bson_reinit(&filter);
    bson_reinit(&doc);
    if (ok) { /* find_target: store_game_user_find_by_name, store_players_of_user */
        BSON_APPEND_UTF8(&filter, "name_lower", name);
        ok = find_one(game_users, &filter, &doc, e);
    }
    if (ok) {
        bson_t by_user = BSON_INITIALIZER, opts = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&by_user, "user_id", user_id);
        find_opts(&opts, "name_lower", NULL, 0);
        size_t n;
        ok = find_all(db_collection(db, "players"), &by_user, &opts, &n, e);
        bson_destroy(&by_user);
        bson_destroy(&opts);
    }
    mongoc_collection_t *sanctions = db_collection(db, "sanctions");
    char key[64];
    snprintf(key, sizeof key, "%s:mute", user_id);
    if (ok && mute) { /* store_sanction_insert: the insert, as no record holds the key */
        bson_t s = BSON_INITIALIZER;
        BSON_APPEND_UTF8(&s, "_id", key);
        BSON_APPEND_UTF8(&s, "kind", "mute");
        BSON_APPEND_UTF8(&s, "user_id", user_id);
        BSON_APPEND_NULL(&s, "ip");
        BSON_APPEND_DATE_TIME(&s, "start", now);
        BSON_APPEND_DATE_TIME(&s, "end", now + 24LL * 3600 * 1000);
        BSON_APPEND_UTF8(&s, "reason", "");
        BSON_APPEND_UTF8(&s, "moderator", "benchadmin");
        ok = mongoc_collection_insert_one(sanctions, &s, NULL, NULL, e);
        bson_destroy(&s);
    } else if (ok) { /* store_sanction_remove_all */
        bson_t all = BSON_INITIALIZER, reply;
        BSON_APPEND_UTF8(&all, "user_id", user_id);
        BSON_APPEND_UTF8(&all, "kind", "mute");
        ok = mongoc_collection_delete_many(sanctions, &all, NULL, &reply, e);
        bson_destroy(&all);
        bson_destroy(&reply);
    }
    if (ok) { /* audit_action */
        char message[64];
        snprintf(message, sizeof message, "%s has been %s!", name, mute ? "muted" : "unmuted");
        bson_t after = BSON_INITIALIZER, params = BSON_INITIALIZER, result;
        if (mute)
            BSON_APPEND_INT32(&params, "duration", 1);
        BSON_APPEND_DOCUMENT(&after, "parameters", &params);
        BSON_APPEND_UTF8(&after, "user_id", user_id);
        BSON_APPEND_DOCUMENT_BEGIN(&after, "result", &result);
        BSON_APPEND_INT32(&result, "status", 200);
        BSON_APPEND_UTF8(&result, "message", message);
        bson_append_document_end(&after, &result);
        ok = audit(w, db, "game", 0, w->cfg->admin_id, "benchadmin",
                   mute ? "game.mute" : "game.unmute", "user", user_id, NULL, &after, e);
        bson_destroy(&after);
        bson_destroy(&params);
    }
    bson_destroy(&filter);
    bson_destroy(&doc);
    return ok;
}

/* --- the loop ---------------------------------------------------------------------------- */

static void *run_thread(void *arg)
{
    struct worker *w = arg;
    char err[256];
    struct db *db = db_new(w->cfg->uri, err, sizeof err);
    if (!db)
        die("%s", err);
    for (uint64_t k = 0;; k++) {
        uint64_t t0 = clock_monotonic_us();
        if (t0 >= w->end_us && (long)w->n + w->errors >= w->cfg->min_ops)
            break;
        bson_error_t e;
        bool ok;
        switch (w->cfg->op) {
        case OP_PING: ok = db_ping(db, &e); break;
        case OP_GUILD: ok = op_guild(w, db, k, &e); break;
        case OP_SEARCH: ok = op_search(w, db, k, &e); break;
        case OP_PATCH: ok = op_patch(w, db, k, &e); break;
        default: ok = op_mute(w, db, k, &e); break;
        }
        uint64_t t1 = clock_monotonic_us();
        if (t0 < w->measure_from_us || (t1 > w->end_us && w->cfg->min_ops == 0))
            continue; /* warm-up, or finished after the end */
        w->last_us = t1;
        if (!ok) {
            if (w->errors++ == 0)
                snprintf(w->error, sizeof w->error, "%s", e.message);
            continue;
        }
        if (w->n == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 65536;
            w->lat = xrealloc(w->lat, w->cap * sizeof *w->lat);
        }
        w->lat[w->n++] = (uint32_t)(t1 - t0);
    }
    db_free(db);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double number(const char *opt, const char *v, double min, double max)
{
    char *end;
    double d = strtod(v, &end);
    if (*v == '\0' || (*end != '\0' && strcmp(end, "s") != 0) || d < min || d > max)
        die("%s: expected a number in %g..%g, got '%s'", opt, min, max, v);
    return d;
}

int main(int argc, char **argv)
{
    struct config cfg = {.op = OP_PING, .threads = 2, .duration = 10, .warmup = 2, .run = 1};
    const char *ids_dir = NULL, *op = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *opt = argv[i], *v = argv[i + 1];
        if (strcmp(opt, "--uri") == 0) cfg.uri = v;
        else if (strcmp(opt, "--ids") == 0) ids_dir = v;
        else if (strcmp(opt, "--op") == 0) op = v;
        else if (strcmp(opt, "--threads") == 0) cfg.threads = (int)number(opt, v, 1, MAX_THREADS);
        else if (strcmp(opt, "--duration") == 0) cfg.duration = number(opt, v, 0.1, 3600);
        else if (strcmp(opt, "--warmup") == 0) cfg.warmup = number(opt, v, 0, 3600);
        else if (strcmp(opt, "--staff-id") == 0) cfg.staff_id = strtoll(v, NULL, 10);
        else if (strcmp(opt, "--admin-id") == 0) cfg.admin_id = v;
        else if (strcmp(opt, "--run") == 0) cfg.run = (long)number(opt, v, 1, 131071);
        else if (strcmp(opt, "--min-ops") == 0) cfg.min_ops = (long)number(opt, v, 0, 1e9);
        else die("unknown option %s", opt);
    }
    if (argc % 2 != 1 || !cfg.uri || !op)
        die("usage: db_ceiling --uri URI --ids DIR --op ping|guild|search|patch|mute [--threads N] "
            "[--duration S] [--warmup S] [--staff-id ID] [--admin-id GUID] [--run R] [--min-ops N]");
    cfg.op = (enum op)-1;
    for (int i = 0; i < (int)(sizeof op_names / sizeof op_names[0]); i++)
        if (strcmp(op, op_names[i]) == 0)
            cfg.op = (enum op)i;
    if ((int)cfg.op < 0)
        die("unknown op '%s'", op);
    if (cfg.op != OP_PING) {
        if (!ids_dir)
            die("--ids is required for %s", op);
        if (cfg.op != OP_MUTE && cfg.staff_id <= 0)
            die("--staff-id is required for %s", op);
        if (cfg.op == OP_MUTE && !cfg.admin_id)
            die("--admin-id is required for mute");
        cfg.ids.n_users = read_ids(ids_dir, "users.txt", &cfg.ids.users, NULL);
        cfg.ids.n_guilds = read_ids(ids_dir, "guilds.txt", &cfg.ids.guilds, NULL);
        cfg.ids.n_game = read_ids(ids_dir, "game_users.txt", &cfg.ids.game_ids, &cfg.ids.game_names);
        if (cfg.ids.n_game / (size_t)cfg.threads <= MUTE_LAG * 2)
            die("too few game users for %d threads", cfg.threads);
    }

    log_open(NULL, LOG_ERROR);
    mongoc_init();
    db_route_driver_log();
    struct worker workers[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    uint64_t start = clock_monotonic_us();
    uint64_t from = start + (uint64_t)(cfg.warmup * 1e6);
    uint64_t end = from + (uint64_t)(cfg.duration * 1e6);
    for (int i = 0; i < cfg.threads; i++) {
        workers[i] = (struct worker){.cfg = &cfg, .index = i, .measure_from_us = from, .end_us = end};
        if (pthread_create(&tids[i], NULL, run_thread, &workers[i]) != 0)
            die("pthread_create failed");
    }
    size_t total = 0;
    long errors = 0;
    uint64_t last = end;
    const char *first_error = NULL;
    for (int i = 0; i < cfg.threads; i++) {
        pthread_join(tids[i], NULL);
        total += workers[i].n;
        errors += workers[i].errors;
        if (workers[i].last_us > last)
            last = workers[i].last_us;
        if (workers[i].errors && !first_error)
            first_error = workers[i].error;
    }
    uint32_t *all = xmalloc((total ? total : 1) * sizeof *all);
    size_t o = 0;
    for (int i = 0; i < cfg.threads; i++) {
        memcpy(all + o, workers[i].lat, workers[i].n * sizeof *all);
        o += workers[i].n;
        free(workers[i].lat);
    }
    qsort(all, total, sizeof *all, cmp_u32);
    double seconds = (double)(last - from) / 1e6;
    uint32_t p50 = total ? all[(size_t)((double)(total - 1) * 0.50)] : 0;
    uint32_t p99 = total ? all[(size_t)((double)(total - 1) * 0.99)] : 0;
    if (first_error)
        fprintf(stderr, "db_ceiling: %ld errors in %s, the first: %s\n", errors, op, first_error);
    printf("DB_RESULT op=%s threads=%d ops=%zu seconds=%.2f rps=%.1f p50_us=%u p99_us=%u errors=%ld\n",
           op, cfg.threads, total, seconds, (double)total / seconds, p50, p99, errors);
    free(all);
    mongoc_cleanup();
    return 0;
}
