/*
 * db_ceiling: what the database allows a route, measured without nginx and
 * the pool. Each of N processes (as the pool has workers) has its own
 * client, made by db_new as a worker makes it, and calls, back to back, the
 * very store functions one request of the route calls, in the handler's
 * order (src/auth.c and the handlers in src/api/), so the ceilings cannot drift from the
 * code:
 *
 *   ping           GET /healthz              db_ping
 *   me             GET /users/@me            store_users_get (auth_chat)
 *   guild          GET /admin/guilds/{id}    store_users_get (the staff token's
 *                                            user), store_guild_get,
 *                                            store_guild_features
 *   patch          PATCH /admin/users/{id}   store_users_get (token), store_users_get
 *                  {flags}                   (target), store_users_set_flags,
 *                                            store_audit, store_gateway_event
 *   mute           POST /api/v1/users/N/     store_game_user_get (the token's
 *                  admin/mute, .../unmute    user), store_game_user_find_by_name,
 *                  alternating               store_players_of_user, then
 *                                            store_sanction_insert (mute) or
 *                                            store_sanction_remove_all (unmute),
 *                                            store_audit
 *   register       POST /auth/register_inv   store_invite_get, store_invite_consume,
 *                                            password_hash (Argon2id, by design),
 *                                            store_users_create,
 *                                            store_invite_slot_owner, token_chat_mint
 *   search_common  GET /admin/users?         store_users_get (token), store_user_search
 *   search_rare      username=<needle>       with the needle the wrk script sends
 *   search_short                             (tests/bench/scenarios.lua), page 0,
 *                                            per_page 20
 *
 *   db_ceiling --uri URI --ids DIR --op OP [--procs N] [--duration S]
 *              [--warmup S] [--staff-id ID] [--admin-id GUID] [--run R] [--min-ops N]
 *
 * DIR holds the seed's sample.txt, guilds.txt, game_users.txt and
 * invites.txt. Targets are picked exactly as the wrk script picks them
 * (scenarios.lua; the j-th request of a run, j = process + N * k, goes to
 * item (j * 7919) mod n of a list, which spreads consecutive requests over
 * the whole data set): patch sets flags to a value the user never held
 * (--run tells runs apart), so every update is a real write; mute/unmute
 * keep a lag between muting a user and unmuting it, so no mute meets an
 * active one; register signs up c<run>x<process>x<k> on the unlimited invite.
 *
 * Snowflakes: each process has its own generator, worker bits 31 (no pool
 * host uses them while the bench runs one host, id 0), process bits its
 * index.
 *
 * It prints one line:
 *   DB_RESULT op=OP procs=N ops=N seconds=S rps=R p50_us=N p99_us=N errors=N
 * Operations are counted from the end of the warm-up to the end of the run;
 * one operation is all the calls of one request. With --min-ops, an
 * operation slower than the run still counts: each process goes on until it
 * has N, and the run lasts until the last of them ends.
 */
#include <errno.h>
#include <mongoc/mongoc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "warden/store/db.h"
#include "warden/log.h"
#include "warden/password.h"
#include "warden/snowflake.h"
#include "warden/store.h"
#include "warden/store/events.h"
#include "warden/store/game.h"
#include "warden/store/guilds.h"
#include "warden/store/invites.h"
#include "warden/store/sanctions.h"
#include "warden/store/user_search.h"
#include "warden/store/users.h"
#include "warden/token.h"
#include "warden/mem.h"
#include "warden/clock.h"

#define MAX_PROCS 30
#define STRIDE 7919           /* a prime: consecutive requests land far apart */
#define SEARCH_RARE_NAMES 100 /* bu000042 .. bu009942: one user each, from 10 000 users on */
#define SEARCH_LIMIT 20       /* per_page's default */
#define MUTE_LAG 64           /* pairs between a mute and the unmute of the same user */
#define CEILING_WORKER 31
#define REGISTER_PASSWORD "bench-register-password"
#define REQUEST_ID "00000000000000000000000000000000"
#define DAY_MS (24LL * 3600 * 1000)

enum op {
    OP_PING, OP_ME, OP_GUILD, OP_PATCH, OP_MUTE, OP_REGISTER,
    OP_SEARCH_COMMON, OP_SEARCH_RARE, OP_SEARCH_SHORT,
};
static const char *const op_names[] = {
    "ping", "me", "guild", "patch", "mute", "register",
    "search_common", "search_rare", "search_short",
};
#define N_OPS (sizeof op_names / sizeof op_names[0])

struct ids {
    int64_t *sample;     /* sample.txt: chat user ids */
    size_t n_sample;
    int64_t *guilds;
    size_t n_guilds;
    char **game_ids, **game_names;
    size_t n_game;
    char invite[INVITE_CODE_LEN + 1];
};

struct config {
    const char *uri;
    enum op op;
    int procs;
    double duration, warmup;
    int64_t staff_id;
    const char *admin_id;
    long run;
    long min_ops;        /* > 0: go on past the duration until each process has this many */
    struct ids ids;
};

/* One process's run. */
struct worker {
    const struct config *cfg;
    int index;
    struct db *db;
    uint64_t measure_from_us, end_us;
    uint64_t last_us;    /* when the last counted operation ended */
    uint32_t *lat;       /* microseconds, one per measured operation */
    size_t n, cap;
    long errors;
    char error[sizeof ((bson_error_t *)0)->message];
};

/* What a process sends back through its pipe, followed by n latencies. */
struct result {
    uint64_t n, last_us;
    int64_t errors;
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
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
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
            *first = mem_realloc(*first, cap * sizeof **first);
            if (second)
                *second = mem_realloc(*second, cap * sizeof **second);
        }
        (*first)[n] = mem_strdup(a);
        if (second)
            (*second)[n] = mem_strdup(b ? b : "");
        n++;
    }
    fclose(f);
    if (n == 0)
        die("%s is empty", path);
    return n;
}

static size_t read_int_ids(const char *dir, const char *name, int64_t **out)
{
    char **text;
    size_t n = read_ids(dir, name, &text, NULL);
    *out = mem_alloc(n * sizeof **out);
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = strtoll(text[i], NULL, 10);
        free(text[i]);
    }
    free(text);
    return n;
}

/* The item of a list of n that the j-th request of a run goes to (as scenarios.lua picks). */
static size_t pick(uint64_t j, size_t n)
{
    uint64_t stride = n % STRIDE == 0 ? 1 : STRIDE;
    return (size_t)((j * stride) % n);
}

/* --- the calls of one request ------------------------------------------------------- */

static void fail_status(enum store_status s, const char *what, bson_error_t *e)
{
    if (s == STORE_NOT_FOUND)
        bson_set_error(e, 0, 0, "%s: not found", what);
    else if (s == STORE_DUPLICATE)
        bson_set_error(e, 0, 0, "%s: duplicate", what);
    /* STORE_ERROR: e is the store's */
}

#define CALL(expr, what)                       \
    do {                                       \
        enum store_status s_ = (expr);         \
        if (s_ != STORE_OK) {                  \
            fail_status(s_, what, e);          \
            return false;                      \
        }                                      \
    } while (0)

/* auth_chat: the token's user by _id. */
static bool chat_auth(struct worker *w, struct user *who, bson_error_t *e)
{
    CALL(store_users_get(w->db, w->cfg->staff_id, who, e), "the staff user");
    return true;
}

static bool op_me(struct worker *w, uint64_t j, bson_error_t *e)
{
    const struct ids *ids = &w->cfg->ids;
    struct user u;
    CALL(store_users_get(w->db, ids->sample[pick(j, ids->n_sample)], &u, e), "the token's user");
    return true;
}

/* api_admin_guild_get: load_guild. */
static bool op_guild(struct worker *w, uint64_t j, bson_error_t *e)
{
    const struct ids *ids = &w->cfg->ids;
    struct user who;
    if (!chat_auth(w, &who, e))
        return false;
    int64_t id = ids->guilds[pick(j, ids->n_guilds)];
    bson_t guild = BSON_INITIALIZER;
    struct guild_features features;
    enum store_status s = store_guild_get(w->db, id, &guild, e);
    if (s == STORE_OK)
        s = store_guild_features(w->db, id, &features, e);
    bson_destroy(&guild);
    CALL(s, "the guild");
    return true;
}

/* The needle of the j-th search of each kind (as scenarios.lua builds it). */
static void needle(enum op op, uint64_t j, char out[16])
{
    if (op == OP_SEARCH_COMMON)
        snprintf(out, 16, "bu0");
    else if (op == OP_SEARCH_RARE)
        snprintf(out, 16, "bu00%02d42", (int)(j % SEARCH_RARE_NAMES));
    else
        snprintf(out, 16, "%d", (int)(1 + j % 9));
}

/* api_admin_users_search, page 0, per_page 20. */
static bool op_search(struct worker *w, uint64_t j, bson_error_t *e)
{
    struct user who;
    if (!chat_auth(w, &who, e))
        return false;
    char text[16];
    needle(w->cfg->op, j, text);
    struct user_query q = {text, NULL, 0, SEARCH_LIMIT};
    struct user *users = NULL;
    size_t n = 0;
    enum store_status s = store_user_search(w->db, &q, &users, &n, e);
    free(users);
    CALL(s, "the search");
    size_t expected = w->cfg->op == OP_SEARCH_RARE ? 1 : SEARCH_LIMIT;
    if (n != expected) {
        bson_set_error(e, 0, 0, "search %s found %zu users, expected %zu", text, n, expected);
        return false;
    }
    return true;
}

/* api_audit with a chat or game actor. */
static bool audit(struct worker *w, const struct audit_actor *actor, const char *action,
                  const char *type, const char *target, const bson_t *before, const bson_t *after,
                  bson_error_t *e)
{
    struct audit_entry entry = {
        .actor = *actor,
        .action = action,
        .target_type = type,
        .target_id = target,
        .before = before,
        .after = after,
        .request_id = REQUEST_ID,
    };
    CALL(store_audit(w->db, &entry, NULL, e), "the audit entry");
    return true;
}

/* api_admin_users_patch. */
static bool op_patch(struct worker *w, uint64_t k, bson_error_t *e)
{
    const struct ids *ids = &w->cfg->ids;
    uint64_t per_proc = ids->n_sample / (uint64_t)w->cfg->procs;
    uint64_t j = (uint64_t)w->index + (uint64_t)w->cfg->procs * (k % per_proc);
    int64_t target = ids->sample[pick(j, ids->n_sample)];
    /* A value this user never held: the run in the high bits, the pass below. */
    int64_t flags = ((int64_t)w->cfg->run * 8192 + (int64_t)((k / per_proc) % 8192)) * 2;
    struct user who, u;
    if (!chat_auth(w, &who, e))
        return false;
    CALL(store_users_get(w->db, target, &u, e), "the target user");
    if (u.flags == flags) {
        bson_set_error(e, 0, 0, "user %lld already has flags %lld", (long long)target,
                       (long long)flags);
        return false;
    }
    CALL(store_users_set_flags(w->db, target, flags, e), "the flags");
    struct user before = u;
    u.flags = flags;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)target);
    bson_t b = BSON_INITIALIZER, a = BSON_INITIALIZER, data = BSON_INITIALIZER;
    store_users_append_public(&b, &before);
    store_users_append_public(&a, &u);
    struct audit_actor actor = {"chat", who.id, NULL, who.username};
    bool ok = audit(w, &actor, "user.update", "user", id, &b, &a, e);
    if (ok) {
        store_users_append_public(&data, &u);
        enum store_status s = store_gateway_event(w->db, "USER_UPDATE", 0, target, &data, e);
        fail_status(s, "the gateway event", e);
        ok = s == STORE_OK;
    }
    bson_destroy(&b);
    bson_destroy(&a);
    bson_destroy(&data);
    return ok;
}

/* admin_action for mute and unmute on the users route (targets are offline:
 * no game command). */
static bool op_mute(struct worker *w, uint64_t k, bson_error_t *e)
{
    const struct ids *ids = &w->cfg->ids;
    size_t per_proc = ids->n_game / (size_t)w->cfg->procs;
    bool mute = k % 2 == 0;
    uint64_t pair = k / 2;
    /* unmute trails mute by MUTE_LAG pairs (wrapping round to the end at first) */
    size_t slot = mute ? pair % per_proc
                       : (size_t)((pair + per_proc * MUTE_LAG - MUTE_LAG) % per_proc);
    const char *name = ids->game_names[(size_t)w->index + (size_t)w->cfg->procs * slot];

    struct game_user caller, target;
    CALL(store_game_user_get(w->db, w->cfg->admin_id, &caller, e), "the token's game user");
    CALL(store_game_user_find_by_name(w->db, name, &target, e), "the target");
    struct player *players = NULL;
    size_t n_players = 0;
    enum store_status s = store_players_of_user(w->db, target.id, &players, &n_players, e);
    free(players);
    CALL(s, "the target's characters");
    char message[64];
    if (mute) {
        struct sanction sn;
        memset(&sn, 0, sizeof sn);
        sn.kind = SANCTION_MUTE;
        snprintf(sn.user_id, sizeof sn.user_id, "%s", target.id);
        sn.start = clock_wall_ms();
        sn.end = sn.start + DAY_MS;
        snprintf(sn.moderator, sizeof sn.moderator, "%s", caller.name);
        CALL(store_sanction_insert(w->db, &sn, sn.start, e), "the mute");
    } else {
        CALL(store_sanction_remove_all(w->db, target.id, SANCTION_MUTE, e), "the unmute");
    }
    snprintf(message, sizeof message, "%s has been %s!", target.name, mute ? "muted" : "unmuted");
    bson_t after = BSON_INITIALIZER, params = BSON_INITIALIZER, result;
    if (mute)
        BSON_APPEND_INT32(&params, "duration", 1);
    BSON_APPEND_DOCUMENT(&after, "parameters", &params);
    BSON_APPEND_UTF8(&after, "user_id", target.id);
    BSON_APPEND_DOCUMENT_BEGIN(&after, "result", &result);
    BSON_APPEND_INT32(&result, "status", 200);
    BSON_APPEND_UTF8(&result, "message", message);
    bson_append_document_end(&after, &result);
    struct audit_actor actor = {"game", 0, caller.id, caller.name};
    bool ok = audit(w, &actor, mute ? "game.mute" : "game.unmute", "user", target.id, NULL, &after, e);
    bson_destroy(&after);
    bson_destroy(&params);
    return ok;
}

/* register_with_invite and api_create_account. */
static bool op_register(struct worker *w, uint64_t k, bson_error_t *e)
{
    char username[48], email[80];
    snprintf(username, sizeof username, "c%ldx%dx%llu", w->cfg->run, w->index, (unsigned long long)k);
    snprintf(email, sizeof email, "%s@bench.invalid", username);
    struct invite inv;
    CALL(store_invite_get(w->db, w->cfg->ids.invite, &inv, e), "the invite");
    int64_t slot;
    CALL(store_invite_consume(w->db, &inv, &slot, e), "an invite use");
    char hash[PASSWORD_HASH_SIZE];
    if (password_hash(REGISTER_PASSWORD, strlen(REGISTER_PASSWORD), hash) < 0) {
        bson_set_error(e, 0, 0, "password hashing failed");
        return false;
    }
    struct user_new in = {.username = username, .email = email, .password_hash = hash};
    struct user u;
    enum user_create_problem problem;
    enum store_status s = store_users_create(w->db, &in, &u, &problem, e);
    if (s != STORE_OK) {
        bson_error_t ignored;
        store_invite_release(w->db, inv.code, slot, &ignored);
        fail_status(s, "the account", e);
        return false;
    }
    CALL(store_invite_slot_owner(w->db, inv.code, slot, u.id, e), "the use's owner");
    static const unsigned char secret[] = "db_ceiling: any key costs the same";
    struct token_key key = {secret, sizeof secret - 1};
    char token[TOKEN_MAX];
    if (token_chat_mint(&key, u.id, clock_wall_ms() / 1000, u.password_hash, token, sizeof token) != 0) {
        bson_set_error(e, 0, 0, "token minting failed");
        return false;
    }
    return true;
}

/* --- the loop ---------------------------------------------------------------------------- */

static void run_worker(struct worker *w)
{
    char err[256];
    snowflake_init(CEILING_WORKER, (unsigned)w->index);
    w->db = db_new(w->cfg->uri, err, sizeof err);
    if (!w->db)
        die("%s", err);
    for (uint64_t k = 0;; k++) {
        uint64_t t0 = clock_monotonic_us();
        if (t0 >= w->end_us && (long)w->n + w->errors >= w->cfg->min_ops)
            break;
        uint64_t j = (uint64_t)w->index + (uint64_t)w->cfg->procs * k;
        bson_error_t e;
        memset(&e, 0, sizeof e);
        bool ok;
        switch (w->cfg->op) {
        case OP_PING: ok = db_ping(w->db, &e); break;
        case OP_ME: ok = op_me(w, j, &e); break;
        case OP_GUILD: ok = op_guild(w, j, &e); break;
        case OP_PATCH: ok = op_patch(w, k, &e); break;
        case OP_MUTE: ok = op_mute(w, k, &e); break;
        case OP_REGISTER: ok = op_register(w, k, &e); break;
        default: ok = op_search(w, j, &e); break;
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
            w->lat = mem_realloc(w->lat, w->cap * sizeof *w->lat);
        }
        w->lat[w->n++] = (uint32_t)(t1 - t0);
    }
    db_free(w->db);
}

static void write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t n = write(fd, c, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(1);
        c += n;
        len -= (size_t)n;
    }
}

static bool read_all(int fd, void *p, size_t len)
{
    char *c = p;
    while (len > 0) {
        ssize_t n = read(fd, c, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        c += n;
        len -= (size_t)n;
    }
    return true;
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
    struct config cfg = {.op = OP_PING, .procs = 2, .duration = 10, .warmup = 2, .run = 1};
    const char *ids_dir = NULL, *op = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *opt = argv[i], *v = argv[i + 1];
        if (strcmp(opt, "--uri") == 0) cfg.uri = v;
        else if (strcmp(opt, "--ids") == 0) ids_dir = v;
        else if (strcmp(opt, "--op") == 0) op = v;
        else if (strcmp(opt, "--procs") == 0) cfg.procs = (int)number(opt, v, 1, MAX_PROCS);
        else if (strcmp(opt, "--duration") == 0) cfg.duration = number(opt, v, 0.1, 3600);
        else if (strcmp(opt, "--warmup") == 0) cfg.warmup = number(opt, v, 0, 3600);
        else if (strcmp(opt, "--staff-id") == 0) cfg.staff_id = strtoll(v, NULL, 10);
        else if (strcmp(opt, "--admin-id") == 0) cfg.admin_id = v;
        else if (strcmp(opt, "--run") == 0) cfg.run = (long)number(opt, v, 1, 131071);
        else if (strcmp(opt, "--min-ops") == 0) cfg.min_ops = (long)number(opt, v, 0, 1e9);
        else die("unknown option %s", opt);
    }
    if (argc % 2 != 1 || !cfg.uri || !op)
        die("usage: db_ceiling --uri URI --ids DIR --op OP [--procs N] [--duration S] "
            "[--warmup S] [--staff-id ID] [--admin-id GUID] [--run R] [--min-ops N]\n"
            "  OP: ping me guild patch mute register search_common search_rare search_short");
    cfg.op = (enum op)-1;
    for (size_t i = 0; i < N_OPS; i++)
        if (strcmp(op, op_names[i]) == 0)
            cfg.op = (enum op)i;
    if ((int)cfg.op < 0)
        die("unknown op '%s'", op);
    if (cfg.op != OP_PING && !ids_dir)
        die("--ids is required for %s", op);
    bool staff = cfg.op == OP_GUILD || cfg.op == OP_PATCH || cfg.op >= OP_SEARCH_COMMON;
    if (staff && cfg.staff_id <= 0)
        die("--staff-id is required for %s", op);
    if (cfg.op == OP_ME || cfg.op == OP_PATCH)
        cfg.ids.n_sample = read_int_ids(ids_dir, "sample.txt", &cfg.ids.sample);
    if (cfg.op == OP_PATCH && cfg.ids.n_sample / (size_t)cfg.procs == 0)
        die("too few sampled users for %d processes", cfg.procs);
    if (cfg.op == OP_GUILD)
        cfg.ids.n_guilds = read_int_ids(ids_dir, "guilds.txt", &cfg.ids.guilds);
    if (cfg.op == OP_MUTE) {
        if (!cfg.admin_id)
            die("--admin-id is required for mute");
        cfg.ids.n_game = read_ids(ids_dir, "game_users.txt", &cfg.ids.game_ids, &cfg.ids.game_names);
        if (cfg.ids.n_game / (size_t)cfg.procs <= MUTE_LAG * 2)
            die("too few game users for %d processes", cfg.procs);
    }
    if (cfg.op == OP_REGISTER) {
        char **codes;
        size_t n = read_ids(ids_dir, "invites.txt", &codes, NULL);
        snprintf(cfg.ids.invite, sizeof cfg.ids.invite, "%s", codes[n - 1]);
    }

    if (sodium_init() < 0)
        die("libsodium failed to initialise");
    log_open(NULL, LOG_ERROR);
    mongoc_init();
    db_route_driver_log();
    uint64_t start = clock_monotonic_us();
    uint64_t from = start + (uint64_t)(cfg.warmup * 1e6);
    uint64_t end = from + (uint64_t)(cfg.duration * 1e6);
    pid_t pids[MAX_PROCS];
    int fds[MAX_PROCS];
    fflush(NULL);
    for (int i = 0; i < cfg.procs; i++) {
        int p[2];
        if (pipe(p) != 0)
            die("pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid < 0)
            die("fork: %s", strerror(errno));
        if (pid == 0) {
            close(p[0]);
            struct worker w = {.cfg = &cfg, .index = i, .measure_from_us = from, .end_us = end};
            run_worker(&w);
            struct result r = {w.n, w.last_us, w.errors, {0}};
            snprintf(r.error, sizeof r.error, "%s", w.error);
            write_all(p[1], &r, sizeof r);
            if (w.n)
                write_all(p[1], w.lat, w.n * sizeof *w.lat);
            mongoc_cleanup();
            _exit(0);
        }
        close(p[1]);
        pids[i] = pid;
        fds[i] = p[0];
    }
    size_t total = 0, cap = 0;
    uint32_t *all = NULL;
    long errors = 0;
    uint64_t last = end;
    char first_error[sizeof ((bson_error_t *)0)->message] = "";
    for (int i = 0; i < cfg.procs; i++) {
        struct result r;
        if (!read_all(fds[i], &r, sizeof r))
            die("process %d ended without a result", i);
        if (total + r.n > cap) {
            cap = total + r.n;
            all = mem_realloc(all, (cap ? cap : 1) * sizeof *all);
        }
        if (r.n && !read_all(fds[i], all + total, r.n * sizeof *all))
            die("process %d: short result", i);
        close(fds[i]);
        int status;
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("process %d failed", i);
        total += r.n;
        errors += r.errors;
        if (r.last_us > last)
            last = r.last_us;
        if (r.errors && !first_error[0])
            snprintf(first_error, sizeof first_error, "%s", r.error);
    }
    if (total)
        qsort(all, total, sizeof *all, cmp_u32);
    double seconds = (double)(last - from) / 1e6;
    uint32_t p50 = total ? all[(size_t)((double)(total - 1) * 0.50)] : 0;
    uint32_t p99 = total ? all[(size_t)((double)(total - 1) * 0.99)] : 0;
    if (first_error[0])
        fprintf(stderr, "db_ceiling: %ld errors in %s, the first: %s\n", errors, op, first_error);
    printf("DB_RESULT op=%s procs=%d ops=%zu seconds=%.2f rps=%.1f p50_us=%u p99_us=%u errors=%ld\n",
           op, cfg.procs, total, seconds, (double)total / seconds, p50, p99, errors);
    free(all);
    mongoc_cleanup();
    return 0;
}
