/*
 * relay: warden-relay ($WARDEN_BIN_DIR/warden-relay) delivers the outboxes
 * (gateway_events, game_commands) of a private stack as Standard Webhooks to
 * test receivers (tests/support/receiver.h), one for the gateway endpoint
 * and one for the game endpoint, each with its own secret.
 *
 * What is checked is what a receiver and an operator notice: every event the
 * API wrote arrives, signed, with the contract's headers and body, once (or,
 * after a crash, again only if it was in flight), in _id order per target
 * (a guild, a user, a player); a 5xx or a refused connection holds back that
 * target only, and is retried; a 4xx is recorded failed and blocks nothing;
 * an insert that lands after later ids is still delivered, before its
 * target's later events when they are still pending; two relays share the
 * work through the lease; a database outage is waited out; the metrics agree
 * with the records; `wardenctl outbox retry` and `skip` act on one event. The
 * outbox documents as stored are the truth the receivers' records are
 * compared with; outbox_results is what the relay recorded.
 *
 * Each test has its own stack (the lease and the outboxes are per database)
 * and short relay timings, so that retries and lease takeovers happen within
 * a test; every wait is a bounded poll of the receivers' records or of the
 * database, and durations are printed, never asserted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <arpa/inet.h>
#include <mongoc/mongoc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/pool_support.h"
#include "support/fixtures.h"
#include "support/receiver.h"
#include "support/wait.h"
#include "warden/clock.h"
#include "warden/snowflake.h"
#include "warden/store.h"

/* Relay timings of the tests (the defaults are seconds to minutes). */
#define RT_LEASE_MS 2000
#define RT_BACKOFF_MIN_MS 50
#define RT_BACKOFF_MAX_MS 400
#define RT_POLL_MS 20
#define RT_TIMEOUT_MS 5000
#define RT_GATEWAY_PATH "/gateway"
#define RT_GAME_PATH "/game"
#define RT_MAX_RELAYS 3

/* --- the relay processes -------------------------------------------------------- */

struct relay_proc {
    pid_t pid;
    char name[32];
    char log[STACK_STR_MAX + 64];
};

static struct receiver gateway_rx, game_rx;
static struct relay_proc relays[RT_MAX_RELAYS];
/* The lease of the relays a test starts (a test with two relays takes a
 * longer one, so that a renewal slowed by a loaded machine is no takeover). */
static int rt_lease_ms = RT_LEASE_MS;
/* "127.0.0.1:PORT" when the test reads the relay's metrics ("": none). */
static char rt_metrics[32];
/* More settings of the relays a test starts: "NAME=VALUE", NULL-terminated. */
static char rt_extra_env[4][256];

static void relay_kill(struct relay_proc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
}

/* .fini of every test: nothing it started outlives it. */
static void rt_fini(void)
{
    for (int i = 0; i < RT_MAX_RELAYS; i++)
        relay_kill(&relays[i]);
    receiver_stop(&gateway_rx);
    receiver_stop(&game_rx);
    ps_stop_private();
}

static void relay_binary(char *out, size_t size)
{
    const char *dir = getenv("WARDEN_BIN_DIR");
    const char *bin_dir = dir && *dir ? dir : "build/release";
    char cwd[PATH_MAX];
    cr_assert(getcwd(cwd, sizeof cwd));
    snprintf(out, size, "%s%s%s/warden-relay", bin_dir[0] == '/' ? "" : cwd, bin_dir[0] == '/' ? "" : "/",
             bin_dir);
    cr_assert_eq(access(out, X_OK), 0, "no %s (built by make all?)", out);
}

static void set_env(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0)
        _exit(126);
}

/* Start a relay named name against the private stack, both endpoints at the
 * receivers; its stderr goes to DIR/log/relay-<name>.log (appended). */
static void relay_start(struct relay_proc *p, const char *name)
{
    char bin[PATH_MAX + 64];
    relay_binary(bin, sizeof bin);
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s/log/relay-%s.log", ps_stack.dir, name);
    char gateway_url[128], game_url[128], lease[16], bmin[16], bmax[16], poll[16], timeout[16];
    snprintf(gateway_url, sizeof gateway_url, "%s" RT_GATEWAY_PATH, gateway_rx.url);
    snprintf(game_url, sizeof game_url, "%s" RT_GAME_PATH, game_rx.url);
    snprintf(lease, sizeof lease, "%d", rt_lease_ms);
    snprintf(bmin, sizeof bmin, "%d", RT_BACKOFF_MIN_MS);
    snprintf(bmax, sizeof bmax, "%d", RT_BACKOFF_MAX_MS);
    snprintf(poll, sizeof poll, "%d", RT_POLL_MS);
    snprintf(timeout, sizeof timeout, "%d", RT_TIMEOUT_MS);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        set_env("WARDEN_MONGODB_URI", ps_stack.mongodb_uri);
        set_env("WARDEN_RELAY_GATEWAY_URL", gateway_url);
        set_env("WARDEN_RELAY_GATEWAY_SECRET", gateway_rx.secret);
        set_env("WARDEN_RELAY_GAME_URL", game_url);
        set_env("WARDEN_RELAY_GAME_SECRET", game_rx.secret);
        set_env("WARDEN_RELAY_LEASE_MS", lease);
        set_env("WARDEN_RELAY_BACKOFF_MIN_MS", bmin);
        set_env("WARDEN_RELAY_BACKOFF_MAX_MS", bmax);
        set_env("WARDEN_RELAY_POLL_MS", poll);
        set_env("WARDEN_RELAY_TIMEOUT_MS", timeout);
        set_env("MONGOC_DISABLE_SHM", "1");
        for (int i = 0; i < 4 && rt_extra_env[i][0]; i++) {
            char *eq = strchr(rt_extra_env[i], '=');
            if (eq == NULL)
                _exit(126);
            *eq = '\0';
            set_env(rt_extra_env[i], eq + 1);
        }
        if (rt_metrics[0])
            execl(bin, "warden-relay", "--id", name, "--log-level", "info", "--metrics", rt_metrics,
                  (char *)NULL);
        else
            execl(bin, "warden-relay", "--id", name, "--log-level", "info", (char *)NULL);
        _exit(127);
    }
    p->pid = pid;
}

/* Whether the relay's log holds a sanitizer report. */
static bool relay_log_clean(const struct relay_proc *p)
{
    char *text = ps_read_file(p->log, NULL);
    if (text == NULL)
        return true;
    bool clean = strstr(text, "AddressSanitizer") == NULL && strstr(text, "LeakSanitizer") == NULL &&
                 strstr(text, "runtime error:") == NULL;
    free(text);
    return clean;
}

/* The last lines of a relay's log on stderr (why a wait failed). */
static void log_tail(const struct relay_proc *p)
{
    char *text = ps_read_file(p->log, NULL);
    if (text == NULL)
        return;
    const char *start = text + strlen(text);
    for (int lines = 0; start > text && lines < 16; lines++) {
        start--;
        while (start > text && start[-1] != '\n')
            start--;
    }
    fprintf(stderr, "relay: the last lines of %s:\n%s\n", p->log, start);
    free(text);
}

static bool relay_exited(void *ctx)
{
    struct relay_proc *p = ctx;
    int status;
    pid_t w = waitpid(p->pid, &status, WNOHANG);
    if (w == p->pid) {
        p->pid = -status - 1; /* keeps the status for relay_stop */
        return true;
    }
    return false;
}

/* SIGTERM: the relay ends with status 0 within its bound, its log clean. */
static void relay_stop(struct relay_proc *p)
{
    cr_assert(p->pid > 0, "relay %s is not running", p->name);
    pid_t pid = p->pid;
    kill(pid, SIGTERM);
    if (!wait_until(relay_exited, p, WAIT_LONG_MS)) {
        relay_kill(p);
        cr_assert_fail("relay %s (pid %d) did not end after SIGTERM", p->name, (int)pid);
    }
    int status = -p->pid - 1;
    p->pid = 0;
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "relay %s ended with status 0x%x (see %s)",
              p->name, status, p->log);
    cr_expect(relay_log_clean(p), "sanitizer report in %s", p->log);
}

/* The relay is still the process it was (no restart needed). */
static void expect_running(const struct relay_proc *p)
{
    cr_assert(p->pid > 0 && ps_pid_alive(p->pid), "relay %s is gone (see %s)", p->name, p->log);
    int status;
    cr_assert_eq(waitpid(p->pid, &status, WNOHANG), 0, "relay %s ended (status 0x%x, see %s)", p->name,
                 status, p->log);
}

static void receivers_start(void)
{
    cr_assert_eq(receiver_start(&gateway_rx, NULL), 0, "gateway receiver");
    cr_assert_eq(receiver_start(&game_rx, NULL), 0, "game receiver");
}

/* --- mutations on the private stack ----------------------------------------------------- */

#define USERS "/api/v6/admin/users"
#define GUILDS "/api/v6/admin/guilds"

struct rt_chat {
    char staff[400];  /* "Authorization: ..." of a staff user */
};

static void request_ok(const char *method, const char *path, const char *auth, const char *json,
                       long want)
{
    struct http_response r;
    fx_request_at(&ps_stack, method, path, auth, json, &r);
    cr_assert_eq(r.status, want, "%s %s: %ld %s", method, path, r.status, r.body);
    http_response_free(&r);
}

static void user_flags(const char *staff, const char *user_id, int flags)
{
    char path[96], body[32];
    snprintf(path, sizeof path, USERS "/%.40s", user_id);
    snprintf(body, sizeof body, "{\"flags\": %d}", flags);
    request_ok("PATCH", path, staff, body, 200);
}

static void user_delete(const char *staff, const char *user_id)
{
    char path[96];
    snprintf(path, sizeof path, USERS "/%.40s", user_id);
    request_ok("DELETE", path, staff, NULL, 200);
}

static void new_guild(const char *staff, char id[24])
{
    struct http_response r;
    fx_request_at(&ps_stack, "POST", "/api/v6/guilds", staff, "{\"name\": \"relayed guild\"}", &r);
    cr_assert_eq(r.status, 200, "guild: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    snprintf(id, 24, "%s", fx_str(&doc, "id"));
    bson_destroy(&doc);
    http_response_free(&r);
    cr_assert(id[0]);
}

/* GUILD_UPDATE twice (unavailable, then features), then GUILD_DELETE. */
static void guild_life(const char *staff, const char *guild_id)
{
    char path[96];
    snprintf(path, sizeof path, GUILDS "/%s", guild_id);
    request_ok("PATCH", path, staff, "{\"unavailable\": true}", 200);
    snprintf(path, sizeof path, GUILDS "/%s/features", guild_id);
    request_ok("PUT", path, staff, "{\"features\": [\"VERIFIED\"]}", 200);
    snprintf(path, sizeof path, GUILDS "/%s", guild_id);
    request_ok("DELETE", path, staff, NULL, 204);
}

struct rt_game {
    char auth[600];      /* the moderator's "Authorization: Bearer ..." */
};

struct rt_player {
    char user_id[40];
    char user[24];
    char id[40];
    char name[24];
};

static void game_account(char name[24], char id[40], const char *password)
{
    char email[64], line[160];
    fx_unique(name, 24, "g");
    snprintf(email, sizeof email, "%s@example.com", name);
    fx_ctl_ok(&ps_stack, line, sizeof line,
              (const char *const[]){"game-add-user", name, email, password, NULL});
    cr_assert(sscanf(line, "%39s", id) == 1, "game-add-user printed '%s'", line);
}

static void game_moderator(struct rt_game *g)
{
    char name[24], id[40], hex[65], body[256];
    game_account(name, id, "moderator-password");
    fx_ctl_ok(&ps_stack, NULL, 0,
              (const char *const[]){"game-grant", name, "Api", "UserQuery", "Ban", "Kick", "Mute", NULL});
    fx_sha256_hex("moderator-password", hex);
    snprintf(body, sizeof body, "{\"grant_type\":\"password\",\"username\":\"%s\",\"password\":\"%s\"}", name, hex);
    struct http_response r;
    fx_request_at(&ps_stack, "POST", "/api/oauth/token", NULL, body, &r);
    cr_assert_eq(r.status, 200, "password grant: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    snprintf(g->auth, sizeof g->auth, "Authorization: Bearer %s", fx_str(&doc, "access_token"));
    bson_destroy(&doc);
    http_response_free(&r);
}

/* A game account with one character, online. */
static void game_player(struct rt_player *p)
{
    char line[160];
    game_account(p->user, p->user_id, "player-password");
    fx_unique(p->name, sizeof p->name, "p");
    fx_ctl_ok(&ps_stack, line, sizeof line,
              (const char *const[]){"game-add-player", p->user, p->name, "--x", "3", "--y", "4", NULL});
    cr_assert(sscanf(line, "%39s", p->id) == 1, "game-add-player printed '%s'", line);
    fx_ctl_ok(&ps_stack, NULL, 0,
              (const char *const[]){"game-presence", p->name, "online", "--ip", "203.0.113.9", NULL});
}

static void game_action(const struct rt_game *g, const char *route, const char *lookup, const char *action,
                        const char *json)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/%s/%s/admin/%s", route, lookup, action);
    request_ok("POST", path, g->auth, json, 200);
}

/* kick, kill, warp, mute, then a ban (disconnect): one command of each type. */
static void game_commands_of(const struct rt_game *g, const struct rt_player *p)
{
    game_action(g, "players", p->name, "kick", "{\"reason\": \"relayed kick\"}");
    game_action(g, "players", p->name, "kill", "{}");
    game_action(g, "players", p->name, "warpto", "{\"mapid\": \"0b5e3c57-6c3a-4d1e-9f1f-1f2e3d4c5b6a\"}");
    game_action(g, "users", p->user, "mute", "{\"duration\": 1, \"reason\": \"relayed mute\"}");
    game_action(g, "players", p->name, "ban", "{\"duration\": 1, \"reason\": \"relayed ban\"}");
}

/* n new users, each of whose flags the staff member changes rounds times
 * (2, 4, 6...), round by round: interleaved USER_UPDATEs of n targets. */
static void users_in_rounds(const char *staff, struct fx_chat_user *users, int n, int rounds)
{
    for (int i = 0; i < n; i++)
        fx_chat_user_at(&ps_stack, &users[i], false);
    for (int flags = 2; flags <= 2 * rounds; flags += 2)
        for (int i = 0; i < n; i++)
            user_flags(staff, users[i].id, flags);
}

/* A moderator, an online character, and every game command on it. */
static void game_round(struct rt_game *g, struct rt_player *p)
{
    game_moderator(g);
    game_player(p);
    game_commands_of(g, p);
}

/* A private stack, both receivers, a staff member and one user a. */
static void rt_begin(struct rt_chat *chat, struct fx_chat_user *a)
{
    ps_start_private(NULL);
    receivers_start();
    ps_staff_auth(chat->staff, sizeof chat->staff);
    fx_chat_user_at(&ps_stack, a, false);
}

/* --- the outboxes as stored ------------------------------------------------------------- */

struct rt_event {
    int64_t id;
    char id_text[24];
    bool game;
    char type[32];
    char target[96];
    bson_t *doc; /* owned; a bson_t itself must not move (realloc) */
};

struct rt_outbox {
    struct rt_event *v;
    size_t n;
};

/* The contract's target of an event. */
static void target_of(const bson_t *doc, bool game, char *out, size_t size)
{
    bson_iter_t it;
    if (game) {
        const char *player = fx_str(doc, "player_id");
        if (*player)
            snprintf(out, size, "player:%s", player);
        else
            snprintf(out, size, "user:%s", fx_str(doc, "user_id"));
    } else if (bson_iter_init_find(&it, doc, "guild_id")) {
        snprintf(out, size, "guild:%" PRId64, bson_iter_as_int64(&it));
    } else if (bson_iter_init_find(&it, doc, "user_id")) {
        snprintf(out, size, "user:%" PRId64, bson_iter_as_int64(&it));
    } else {
        snprintf(out, size, "instance");
    }
}

static void outbox_load_one(mongoc_database_t *db, const char *collection, bool game, struct rt_outbox *o)
{
    mongoc_collection_t *c = mongoc_database_get_collection(db, collection);
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        o->v = realloc(o->v, (o->n + 1) * sizeof *o->v);
        cr_assert(o->v);
        struct rt_event *e = &o->v[o->n++];
        memset(e, 0, sizeof *e);
        e->doc = bson_copy(doc);
        e->id = fx_int(doc, "_id", 0);
        snprintf(e->id_text, sizeof e->id_text, "%" PRId64, e->id);
        e->game = game;
        snprintf(e->type, sizeof e->type, "%s", fx_str(doc, "type"));
        target_of(doc, game, e->target, sizeof e->target);
    }
    bson_error_t err;
    cr_assert(!mongoc_cursor_error(cur, &err), "reading %s: %s", collection, err.message);
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(&filter);
    mongoc_collection_destroy(c);
}

/* Every event of both outboxes, each outbox in _id order. */
static void outbox_load(struct rt_outbox *o)
{
    memset(o, 0, sizeof *o);
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    outbox_load_one(db, "gateway_events", false, o);
    outbox_load_one(db, "game_commands", true, o);
    fx_db_close(client, db);
}

static void outbox_free(struct rt_outbox *o)
{
    for (size_t i = 0; i < o->n; i++)
        bson_destroy(o->v[i].doc);
    free(o->v);
    memset(o, 0, sizeof *o);
}

static size_t count_type(const struct rt_outbox *o, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        n += strcmp(o->v[i].type, type) == 0;
    return n;
}

static const struct rt_event *event_by_text(const struct rt_outbox *o, const char *id)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->v[i].id_text, id) == 0)
            return &o->v[i];
    return NULL;
}

/* --- what the receivers saw -------------------------------------------------------------- */

struct rt_seen {
    struct receiver_log gateway, game;
};

static void seen_read(struct rt_seen *s)
{
    cr_assert_eq(receiver_read(&gateway_rx, &s->gateway), 0, "gateway receiver records");
    cr_assert_eq(receiver_read(&game_rx, &s->game), 0, "game receiver records");
}

static void seen_free(struct rt_seen *s)
{
    receiver_log_free(&s->gateway);
    receiver_log_free(&s->game);
}

static const struct receiver_log *log_of(const struct rt_seen *s, const struct rt_event *e)
{
    return e->game ? &s->game : &s->gateway;
}

static bool is_2xx(int status)
{
    return status >= 200 && status < 300;
}

/* Whether a status settles an event (2xx, or a refusal other than the
 * retried ones: 408, 425, 429, 5xx). */
static bool settles(int status)
{
    return status < 500 && status != 408 && status != 425 && status != 429;
}

/* Records of e: how many, how many 2xx, index of the first, of the first
 * settling one (-1 when none). */
struct rt_tally {
    size_t all, ok;
    long first, settled;
};

static struct rt_tally tally(const struct rt_seen *s, const struct rt_event *e)
{
    const struct receiver_log *log = log_of(s, e);
    struct rt_tally t = {0, 0, -1, -1};
    for (size_t i = 0; i < log->n; i++) {
        if (strcmp(log->records[i].id, e->id_text) != 0)
            continue;
        t.all++;
        if (is_2xx(log->records[i].status))
            t.ok++;
        if (t.first < 0)
            t.first = (long)i;
        if (t.settled < 0 && settles(log->records[i].status))
            t.settled = (long)i;
    }
    return t;
}

/* What the receivers hold once e has been sent tries times (or the wait ran out). */
static void seen_after_tries(struct rt_seen *s, const struct rt_event *e, size_t tries)
{
    int64_t t0 = now_ms();
    for (;;) {
        seen_read(s);
        if (tally(s, e).all >= tries || now_ms() - t0 > WAIT_LONG_MS)
            return;
        seen_free(s);
        sleep_ms(50);
    }
}

struct rt_wait {
    const struct rt_outbox *o;
    size_t missing;
};

static bool all_delivered(void *ctx)
{
    struct rt_wait *w = ctx;
    struct rt_seen s;
    if (receiver_read(&gateway_rx, &s.gateway) != 0)
        return false;
    if (receiver_read(&game_rx, &s.game) != 0) {
        receiver_log_free(&s.gateway);
        return false;
    }
    w->missing = 0;
    for (size_t i = 0; i < w->o->n; i++)
        if (tally(&s, &w->o->v[i]).ok == 0)
            w->missing++;
    seen_free(&s);
    return w->missing == 0;
}

/* Wait until every event of o has a 2xx record; prints how long it took. */
static void wait_delivered(const struct rt_outbox *o, const char *what)
{
    struct rt_wait w = {o, o->n};
    int64_t t0 = now_ms();
    bool done = wait_until(all_delivered, &w, WAIT_LONG_MS * 2);
    if (!done) {
        /* which ones, and what the receivers saw of them */
        char list[2048] = "";
        size_t used = 0;
        struct rt_seen s;
        seen_read(&s);
        for (size_t i = 0; i < o->n && used < sizeof list - 200; i++) {
            struct rt_tally t = tally(&s, &o->v[i]);
            if (t.ok == 0)
                used += (size_t)snprintf(list + used, sizeof list - used, "\n  %s %s (%s): %zu requests",
                                         o->v[i].type, o->v[i].id_text, o->v[i].target, t.all);
        }
        fprintf(stderr, "relay: %s: the receivers hold %zu (gateway) and %zu (game) requests\n", what,
                s.gateway.n, s.game.n);
        seen_free(&s);
        for (int i = 0; i < RT_MAX_RELAYS; i++)
            if (relays[i].pid > 0)
                log_tail(&relays[i]);
        cr_assert_fail("%s: %zu of %zu events never arrived:%s", what, w.missing, o->n, list);
    }
    fprintf(stderr, "relay: %s: %zu events delivered in %" PRId64 " ms\n", what, o->n, now_ms() - t0);
}

/* Every event's 2xx record is its only one. */
static void expect_each_once(const struct rt_outbox *o, const struct rt_seen *s)
{
    for (size_t i = 0; i < o->n; i++) {
        struct rt_tally t = tally(s, &o->v[i]);
        cr_expect_eq(t.ok, 1, "%s %s (%s) delivered %zu times", o->v[i].type, o->v[i].id_text,
                     o->v[i].target, t.ok);
    }
}

/* Every record is of a stored event, at its endpoint's path, signed well,
 * with the contract's headers. */
static void expect_records_sound(const struct rt_outbox *o, const struct receiver_log *log, bool game)
{
    for (size_t i = 0; i < log->n; i++) {
        const struct receiver_record *r = &log->records[i];
        const struct rt_event *e = event_by_text(o, r->id);
        cr_expect(e != NULL, "a request for no stored event: webhook-id '%s'", r->id);
        if (e)
            cr_expect_eq(e->game, game, "event %s sent to the %s endpoint", r->id, game ? "game" : "gateway");
        cr_expect(r->signature_valid, "bad signature on %s", r->id);
        cr_expect_str_eq(r->method, "POST");
        cr_expect_str_eq(r->path, game ? RT_GAME_PATH : RT_GATEWAY_PATH);
        cr_expect_eq(strncmp(r->content_type, "application/json", 16), 0, "content-type '%s'", r->content_type);
        cr_expect_eq(strncmp(r->user_agent, "warden-relay/", 13), 0, "user-agent '%s'", r->user_agent);
        char *end;
        long long ts = strtoll(r->timestamp, &end, 10);
        cr_expect(*r->timestamp && *end == '\0', "webhook-timestamp '%s'", r->timestamp);
        /* Unix seconds of the attempt (not ms, not the event's date): the
         * receiver read it moments later. */
        cr_expect(ts <= r->arrival_ms / 1000 + 5 && ts >= r->arrival_ms / 1000 - 300,
                  "webhook-timestamp %lld, arrival %lld ms", ts, (long long)r->arrival_ms);
    }
}

/* In _id order per target: no record of an event before its predecessor in
 * the target was settled. */
static void expect_target_order(const struct rt_outbox *o, const struct rt_seen *s)
{
    for (size_t i = 0; i < o->n; i++) {
        const struct rt_event *prev = NULL;
        for (size_t j = 0; j < i; j++)
            if (o->v[j].game == o->v[i].game && strcmp(o->v[j].target, o->v[i].target) == 0)
                prev = &o->v[j];
        if (prev == NULL)
            continue;
        struct rt_tally a = tally(s, prev), b = tally(s, &o->v[i]);
        if (b.first < 0)
            continue;
        cr_expect(a.settled >= 0 && a.settled < b.first,
                  "target %s: %s %s was sent (record %ld) before %s %s was settled (record %ld)",
                  o->v[i].target, o->v[i].type, o->v[i].id_text, b.first, prev->type, prev->id_text,
                  a.settled);
    }
}

static void iso_of(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}

static bool is_number(const bson_iter_t *it)
{
    return BSON_ITER_HOLDS_INT32(it) || BSON_ITER_HOLDS_INT64(it) || BSON_ITER_HOLDS_DOUBLE(it);
}

static bool same_value(bson_iter_t *want, bson_iter_t *got, const char *path, char *why, size_t size);

/* got (a JSON object or array, as BSON) holds exactly want's keys, each the same. */
static bool same_doc(const bson_t *want, const bson_t *got, const char *path, char *why, size_t size)
{
    if (bson_count_keys(want) != bson_count_keys(got)) {
        snprintf(why, size, "%s: %u keys, expected %u", path, bson_count_keys(got), bson_count_keys(want));
        return false;
    }
    bson_iter_t w, g;
    if (!bson_iter_init(&w, want))
        return false;
    while (bson_iter_next(&w)) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s.%s", path, bson_iter_key(&w));
        if (!bson_iter_init_find(&g, got, bson_iter_key(&w))) {
            snprintf(why, size, "%s: missing", sub);
            return false;
        }
        if (!same_value(&w, &g, sub, why, size))
            return false;
    }
    return true;
}

/* JSON renders a stored value: numbers by value (an Int64 may come as its
 * decimal string), dates as ISO 8601 with ms. */
static bool same_value(bson_iter_t *want, bson_iter_t *got, const char *path, char *why, size_t size)
{
    if (is_number(want)) {
        if (BSON_ITER_HOLDS_UTF8(got) && BSON_ITER_HOLDS_INT64(want)) {
            char text[24];
            snprintf(text, sizeof text, "%" PRId64, bson_iter_int64(want));
            if (strcmp(text, bson_iter_utf8(got, NULL)) == 0)
                return true;
        } else if (is_number(got) && bson_iter_as_double(want) == bson_iter_as_double(got) &&
                   bson_iter_as_int64(want) == bson_iter_as_int64(got)) {
            return true;
        }
        snprintf(why, size, "%s: not the number %g", path, bson_iter_as_double(want));
        return false;
    }
    if (BSON_ITER_HOLDS_DATE_TIME(want)) {
        /* ISO 8601 UTC to the millisecond: "...T14:00:00.000Z" (the
         * contract's example) or "...T14:00:00.000000+00:00" (how the APIs
         * write dates, which the README's webhook section names) */
        char iso[32], api[40];
        iso_of(bson_iter_date_time(want), iso);
        snprintf(api, sizeof api, "%.23s000+00:00", iso);
        if (BSON_ITER_HOLDS_UTF8(got) &&
            (strcmp(bson_iter_utf8(got, NULL), iso) == 0 || strcmp(bson_iter_utf8(got, NULL), api) == 0))
            return true;
        snprintf(why, size, "%s: not the date %s", path, iso);
        return false;
    }
    if (BSON_ITER_HOLDS_UTF8(want)) {
        if (BSON_ITER_HOLDS_UTF8(got) && strcmp(bson_iter_utf8(want, NULL), bson_iter_utf8(got, NULL)) == 0)
            return true;
        snprintf(why, size, "%s: not \"%s\"", path, bson_iter_utf8(want, NULL));
        return false;
    }
    if (BSON_ITER_HOLDS_BOOL(want)) {
        if (BSON_ITER_HOLDS_BOOL(got) && bson_iter_bool(want) == bson_iter_bool(got))
            return true;
        snprintf(why, size, "%s: not %s", path, bson_iter_bool(want) ? "true" : "false");
        return false;
    }
    if (BSON_ITER_HOLDS_NULL(want)) {
        if (BSON_ITER_HOLDS_NULL(got))
            return true;
        snprintf(why, size, "%s: not null", path);
        return false;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(want) || BSON_ITER_HOLDS_ARRAY(want)) {
        if (bson_iter_type(want) != bson_iter_type(got)) {
            snprintf(why, size, "%s: not an %s", path, BSON_ITER_HOLDS_ARRAY(want) ? "array" : "object");
            return false;
        }
        const uint8_t *wd, *gd;
        uint32_t wl, gl;
        if (BSON_ITER_HOLDS_ARRAY(want)) {
            bson_iter_array(want, &wl, &wd);
            bson_iter_array(got, &gl, &gd);
        } else {
            bson_iter_document(want, &wl, &wd);
            bson_iter_document(got, &gl, &gd);
        }
        bson_t w, g;
        if (!bson_init_static(&w, wd, wl) || !bson_init_static(&g, gd, gl))
            return false;
        return same_doc(&w, &g, path, why, size);
    }
    snprintf(why, size, "%s: a stored type (%d) the test does not compare", path, (int)bson_iter_type(want));
    return false;
}

/* Whether the receiver got the contract's body of e; why not into why. */
static bool body_is(const struct rt_event *e, const struct receiver_record *r, char *why, size_t size)
{
    bson_error_t err;
    bson_t *got = bson_new_from_json((const uint8_t *)r->body, (ssize_t)r->body_len, &err);
    if (got == NULL) {
        snprintf(why, size, "not JSON (%.200s)", err.message);
        return false;
    }
    bson_t want = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&want, "type", e->type);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, e->doc, "created_at"));
    BSON_APPEND_DATE_TIME(&want, "timestamp", bson_iter_date_time(&it));
    if (e->game) {
        bson_t data;
        BSON_APPEND_DOCUMENT_BEGIN(&want, "data", &data);
        const char *keys[] = {"player_id", "user_id", "map_id", "x", "y", "reason"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (bson_iter_init_find(&it, e->doc, keys[k]))
                bson_append_iter(&data, keys[k], -1, &it);
        bson_append_document_end(&want, &data);
    } else {
        char text[24];
        if (bson_iter_init_find(&it, e->doc, "guild_id")) {
            snprintf(text, sizeof text, "%" PRId64, bson_iter_as_int64(&it));
            BSON_APPEND_UTF8(&want, "guild_id", text);
        }
        if (bson_iter_init_find(&it, e->doc, "user_id")) {
            snprintf(text, sizeof text, "%" PRId64, bson_iter_as_int64(&it));
            BSON_APPEND_UTF8(&want, "user_id", text);
        }
        if (bson_iter_init_find(&it, e->doc, "data"))
            bson_append_iter(&want, "data", -1, &it);
    }
    bool same = same_doc(&want, got, "body", why, size);
    bson_destroy(&want);
    bson_destroy(got);
    return same;
}

/* The body of every 2xx record of an event in o; duplicates carry the same
 * body. The first few differences are shown, then how many there were. */
static void expect_bodies(const struct rt_outbox *o, const struct rt_seen *s)
{
    size_t wrong = 0;
    for (size_t i = 0; i < o->n; i++) {
        const struct receiver_log *log = log_of(s, &o->v[i]);
        const struct receiver_record *first = NULL;
        for (size_t k = 0; k < log->n; k++) {
            const struct receiver_record *r = &log->records[k];
            if (strcmp(r->id, o->v[i].id_text) != 0)
                continue;
            if (first == NULL) {
                first = r;
                char why[512] = "";
                if (!body_is(&o->v[i], r, why, sizeof why) && ++wrong <= 3)
                    cr_expect_fail("%s %s: %s\n  got:  %s", o->v[i].type, o->v[i].id_text, why, r->body);
            } else {
                cr_expect(r->body_len == first->body_len && memcmp(r->body, first->body, r->body_len) == 0,
                          "%s %s: a retry's body differs: %s vs %s", o->v[i].type, o->v[i].id_text, r->body,
                          first->body);
            }
        }
    }
    cr_expect_eq(wrong, 0, "%zu of %zu events arrived with another body than the contract's", wrong, o->n);
}

/* --- what the relay recorded ---------------------------------------------------------------- */

static void result_key(const struct rt_event *e, char out[64])
{
    snprintf(out, 64, "%s:%020" PRId64, e->game ? "game_commands" : "gateway_events", e->id);
}

static bool result_of(const struct rt_event *e, bson_t *out)
{
    char key[64], filter[128];
    result_key(e, key);
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", key);
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, "outbox_results");
    bson_error_t err;
    bson_t *f = bson_new_from_json((const uint8_t *)filter, -1, &err);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, f, NULL, NULL);
    const bson_t *doc;
    bool found = mongoc_cursor_next(cur, &doc);
    if (found)
        bson_copy_to(doc, out);
    mongoc_cursor_destroy(cur);
    bson_destroy(f);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    return found;
}

struct rt_results_wait {
    const struct rt_outbox *o;
    size_t missing;
};

static bool all_recorded(void *ctx)
{
    struct rt_results_wait *w = ctx;
    w->missing = 0;
    for (size_t i = 0; i < w->o->n; i++) {
        bson_t doc;
        if (result_of(&w->o->v[i], &doc))
            bson_destroy(&doc);
        else
            w->missing++;
    }
    return w->missing == 0;
}

static void wait_recorded(const struct rt_outbox *o)
{
    struct rt_results_wait w = {o, o->n};
    cr_assert(wait_until(all_recorded, &w, WAIT_LONG_MS), "%zu of %zu events have no outbox_results document",
              w.missing, o->n);
}

/* The result of e as the contract says: state, endpoint, target, outbox, the
 * relay (NULL: any) and, for a delivery, status 2xx. */
static void expect_result(const struct rt_event *e, const char *state, const char *relay)
{
    bson_t doc;
    cr_assert(result_of(e, &doc), "no result for %s %s", e->type, e->id_text);
    cr_expect_str_eq(fx_str(&doc, "state"), state, "%s %s", e->type, e->id_text);
    cr_expect_str_eq(fx_str(&doc, "outbox"), e->game ? "game_commands" : "gateway_events");
    cr_expect_eq(fx_int(&doc, "event_id", 0), e->id);
    cr_expect_str_eq(fx_str(&doc, "endpoint"), e->game ? "game" : "gateway");
    cr_expect_str_eq(fx_str(&doc, "target"), e->target, "%s %s", e->type, e->id_text);
    cr_expect_geq(fx_int(&doc, "attempts", 0), 1);
    if (strcmp(state, "delivered") == 0)
        cr_expect(is_2xx((int)fx_int(&doc, "status", 0)), "status %" PRId64, fx_int(&doc, "status", 0));
    if (relay)
        cr_expect_str_eq(fx_str(&doc, "relay"), relay, "%s %s", e->type, e->id_text);
    bson_destroy(&doc);
}

static int64_t db_count(const char *collection, const char *filter)
{
    return fx_db_count_at(ps_stack.mongodb_uri, collection, filter);
}

/* The newest lease term's holder into holder (and when it was taken into
 * *at_ms when at_ms is non-NULL); its term. */
static int64_t lease_holder_at(char *holder, size_t size, int64_t *at_ms)
{
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, "relay_leases");
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(-1), "}", "limit", BCON_INT64(1));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    const bson_t *doc;
    int64_t term = 0;
    holder[0] = '\0';
    if (mongoc_cursor_next(cur, &doc)) {
        term = fx_int(doc, "term", 0);
        snprintf(holder, size, "%s", fx_str(doc, "holder"));
        bson_iter_t it;
        if (at_ms && bson_iter_init_find(&it, doc, "at") && BSON_ITER_HOLDS_DATE_TIME(&it))
            *at_ms = bson_iter_date_time(&it);
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(&filter);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    return term;
}

static int64_t lease_holder(char *holder, size_t size)
{
    return lease_holder_at(holder, size, NULL);
}

/* Every lease term still stored, in term order: a takeover (a new holder)
 * never starts before the previous holder's term has expired. How many
 * holder changes there were. */
static int expect_leases_disjoint(void)
{
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, "relay_leases");
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    const bson_t *doc;
    char holder[128] = "";
    int64_t expires = 0, term = 0;
    int changes = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        int64_t at = bson_iter_init_find(&it, doc, "at") && BSON_ITER_HOLDS_DATE_TIME(&it) ? bson_iter_date_time(&it) : 0;
        const char *h = fx_str(doc, "holder");
        int64_t t = fx_int(doc, "term", 0);
        if (holder[0] && strcmp(h, holder) != 0) {
            changes++;
            cr_expect(at >= expires, "term %" PRId64 " of %s began %" PRId64 " ms before term %" PRId64
                      " of %s expired", t, h, expires - at, term, holder);
            fprintf(stderr, "relay: lease taken over by %s %" PRId64 " ms after %s's term expired\n", h, at - expires,
                    holder);
        }
        snprintf(holder, sizeof holder, "%s", h);
        expires = bson_iter_init_find(&it, doc, "expires_at") && BSON_ITER_HOLDS_DATE_TIME(&it) ? bson_iter_date_time(&it) : 0;
        term = t;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(&filter);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    return changes;
}

/* Only the events of o newer than after (0: all). */
static void outbox_since(const struct rt_outbox *all, const struct rt_outbox *before, struct rt_outbox *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < all->n; i++) {
        if (before && event_by_text(before, all->v[i].id_text))
            continue;
        out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
        cr_assert(out->v);
        out->v[out->n] = all->v[i];
        out->v[out->n].doc = bson_copy(all->v[i].doc);
        out->n++;
    }
}

/* The whole check of a run without crashes: each event once, in order per
 * target, signed, with its body, recorded delivered (by relay if non-NULL). */
static void expect_delivered_once(const struct rt_outbox *o, const char *relay)
{
    wait_delivered(o, "all");
    wait_recorded(o);
    struct rt_seen s;
    seen_read(&s);
    expect_records_sound(o, &s.gateway, false);
    expect_records_sound(o, &s.game, true);
    expect_each_once(o, &s);
    expect_target_order(o, &s);
    expect_bodies(o, &s);
    seen_free(&s);
    for (size_t i = 0; i < o->n; i++)
        expect_result(&o->v[i], "delivered", relay);
}

/* The only event of a type for a target. */
static const struct rt_event *only_event_of(const struct rt_outbox *o, const char *target, const char *type)
{
    const struct rt_event *found = NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->v[i].target, target) == 0 && strcmp(o->v[i].type, type) == 0) {
            cr_assert_null(found, "two %s events for %s", type, target);
            found = &o->v[i];
        }
    cr_assert_not_null(found, "no %s event for %s", type, target);
    return found;
}

/* One event of o, as an outbox of its own (for the waits). */
static void outbox_of_one(const struct rt_event *e, struct rt_outbox *one)
{
    one->v = calloc(1, sizeof *one->v);
    cr_assert(one->v);
    one->v[0] = *e;
    one->v[0].doc = bson_copy(e->doc);
    one->n = 1;
}

/* Until e's result is in state. */
struct state_wait {
    const struct rt_event *e;
    const char *state;
};

static bool has_state(void *ctx)
{
    struct state_wait *w = ctx;
    bson_t doc;
    if (!result_of(w->e, &doc))
        return false;
    bool same = strcmp(fx_str(&doc, "state"), w->state) == 0;
    bson_destroy(&doc);
    return same;
}

static void wait_state(const struct rt_event *e, const char *state)
{
    struct state_wait w = {e, state};
    cr_assert(wait_until(has_state, &w, WAIT_LONG_MS), "%s %s never recorded %s", e->type, e->id_text, state);
}

/* --- the relay's metrics ------------------------------------------------------------------ */

/* Serve the next relay's metrics on a free loopback port. */
static void metrics_on_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    snprintf(rt_metrics, sizeof rt_metrics, "127.0.0.1:%d", ntohs(a.sin_port));
}

/* The value of one series ("name{labels}") in the relay's GET /metrics; -1
 * when it is absent or the endpoint does not answer 200. */
static double metric(const char *series)
{
    char url[64];
    snprintf(url, sizeof url, "http://%s/metrics", rt_metrics);
    struct http_response r;
    double value = -1;
    if (http_get(url, &r) == 0 && r.status == 200) {
        size_t n = strlen(series);
        for (const char *line = r.body; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, series, n) == 0 && line[n] == ' ') {
                value = strtod(line + n + 1, NULL);
                break;
            }
    }
    http_response_free(&r);
    return value;
}

struct metric_wait {
    const char *series;
    double want;
};

static bool metric_reached(void *ctx)
{
    struct metric_wait *w = ctx;
    return metric(w->series) >= w->want;
}

/* Until series is at least want (counters catch up with what was recorded). */
static void wait_metric(const char *series, double want)
{
    struct metric_wait w = {series, want};
    cr_assert(wait_until(metric_reached, &w, WAIT_LONG_MS), "%s stayed at %g, expected %g", series, metric(series),
              want);
}

/* --- the tests ------------------------------------------------------------------------------- */

Test(relay, every_mutation_arrives_once_in_order_signed_with_its_body, .fini = rt_fini, .timeout = 240)
{
    ps_start_private(NULL);
    receivers_start();
    relay_start(&relays[0], "relay-one");

    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff); /* make-staff: USER_UPDATE */
    struct fx_chat_user a, b;
    fx_chat_user_at(&ps_stack, &a, false);
    fx_chat_user_at(&ps_stack, &b, false);
    user_flags(chat.staff, a.id, 2);
    user_flags(chat.staff, b.id, 4);
    user_flags(chat.staff, a.id, 6);
    user_delete(chat.staff, a.id); /* USER_DISCONNECT */
    char g1[24], g2[24];
    new_guild(chat.staff, g1);
    new_guild(chat.staff, g2);
    guild_life(chat.staff, g1);
    guild_life(chat.staff, g2);
    struct rt_game game;
    struct rt_player p1, p2;
    game_moderator(&game);
    game_player(&p1);
    game_player(&p2);
    game_commands_of(&game, &p1);
    game_commands_of(&game, &p2);

    struct rt_outbox o;
    outbox_load(&o);
    const char *types[] = {"USER_UPDATE", "USER_DISCONNECT", "GUILD_UPDATE", "GUILD_DELETE", "kick",
                           "kill", "warp", "mute", "disconnect"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        cr_expect_geq(count_type(&o, types[i]), 1, "no %s in the outbox: the test's mutations changed", types[i]);
    expect_delivered_once(&o, "relay-one");

    /* The receiver takes only what the endpoint's secret signed: the same
     * request with another body is refused. */
    struct rt_seen s;
    seen_read(&s);
    cr_assert_gt(s.gateway.n, 0);
    const struct receiver_record *r = &s.gateway.records[0];
    char url[128], h_id[96], h_ts[64], h_sig[128], forged[64];
    char sig[RECEIVER_SIGNATURE_SIZE];
    cr_assert_eq(receiver_sign(gateway_rx.secret, r->id, r->timestamp, r->body, r->body_len, sig), 0);
    snprintf(url, sizeof url, "%s" RT_GATEWAY_PATH, gateway_rx.url);
    snprintf(h_id, sizeof h_id, "webhook-id: %s", r->id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", r->timestamp);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    const char *headers[] = {"Content-Type: application/json", h_id, h_ts, h_sig, NULL};
    struct http_response resp;
    cr_assert_eq(http_request("POST", url, headers, r->body, r->body_len, &resp), 0);
    cr_expect_eq(resp.status, 200, "the relay's request replayed as is");
    http_response_free(&resp);
    snprintf(forged, sizeof forged, "{\"type\":\"GUILD_DELETE\"}");
    cr_assert_eq(http_request("POST", url, headers, forged, strlen(forged), &resp), 0);
    cr_expect_eq(resp.status, 401, "another body under the same signature");
    http_response_free(&resp);
    seen_free(&s);

    expect_running(&relays[0]);
    relay_stop(&relays[0]);
    outbox_free(&o);
    ps_finish_private();
}

Test(relay, a_receiver_down_queues_events_and_gets_all_of_them_back_in_order, .fini = rt_fini, .timeout = 240)
{
    ps_start_private(NULL);
    receivers_start();
    cr_assert_eq(receiver_set_down(&gateway_rx, true), 0);
    cr_assert_eq(receiver_set_down(&game_rx, true), 0);
    relay_start(&relays[0], "relay-one");

    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff);
    struct fx_chat_user a, b;
    fx_chat_user_at(&ps_stack, &a, false);
    fx_chat_user_at(&ps_stack, &b, false);
    for (int flags = 2; flags <= 8; flags += 2) {
        user_flags(chat.staff, a.id, flags);
        user_flags(chat.staff, b.id, flags);
    }
    struct rt_game game;
    struct rt_player p;
    game_round(&game, &p);

    /* The relay tries, fails, and keeps every event. */
    struct rt_outbox o;
    outbox_load(&o);
    int64_t t0 = now_ms();
    bool tried = false;
    while (!tried && now_ms() - t0 < WAIT_LONG_MS) {
        tried = db_count("outbox_attempts", "{\"endpoint\": \"gateway\"}") >= 2 &&
                db_count("outbox_attempts", "{\"endpoint\": \"game\"}") >= 2;
        if (!tried)
            sleep_ms(50);
    }
    cr_assert(tried, "no failed attempts recorded for both endpoints while they were down");
    cr_expect_eq(db_count("outbox_results", "{}"), 0, "an outcome was recorded while nothing could be delivered");
    cr_expect_eq(receiver_count(&gateway_rx, 0), 0);
    cr_expect_eq(receiver_count(&game_rx, 0), 0);

    cr_assert_eq(receiver_set_down(&gateway_rx, false), 0);
    cr_assert_eq(receiver_set_down(&game_rx, false), 0);
    expect_delivered_once(&o, "relay-one");
    /* the first event of a target waited through retries */
    int64_t retried = db_count("outbox_results", "{\"attempts\": {\"$gt\": 1}}");
    cr_expect_geq(retried, 2, "results with more than one attempt: %" PRId64, retried);

    relay_stop(&relays[0]);
    outbox_free(&o);
    ps_finish_private();
}

Test(relay, a_5xx_holds_its_target_back_while_other_targets_flow, .fini = rt_fini, .timeout = 240)
{
    ps_start_private(NULL);
    receivers_start();
    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff);
    struct fx_chat_user a, b;
    fx_chat_user_at(&ps_stack, &a, false);
    fx_chat_user_at(&ps_stack, &b, false);
    /* Every request about user a fails until told otherwise. */
    cr_assert_eq(receiver_answer_body(&gateway_rx, 500, a.id, NULL), 0);
    metrics_on_free_port();
    relay_start(&relays[0], "relay-one");

    user_flags(chat.staff, a.id, 2); /* a1: refused */
    user_flags(chat.staff, a.id, 4); /* a2: held back behind a1 */
    user_flags(chat.staff, b.id, 2); /* b1: another target, flows */
    struct rt_game game;
    struct rt_player p;
    game_moderator(&game);
    game_player(&p);
    game_action(&game, "players", p.name, "kick", "{\"reason\": \"still flowing\"}");

    struct rt_outbox o;
    outbox_load(&o);
    char a_target[64];
    snprintf(a_target, sizeof a_target, "user:%s", a.id);
    const struct rt_event *a1 = NULL, *a2 = NULL;
    struct rt_outbox others = {0};
    for (size_t i = 0; i < o.n; i++) {
        if (strcmp(o.v[i].target, a_target) == 0) {
            if (a1 == NULL)
                a1 = &o.v[i];
            else
                a2 = &o.v[i];
        }
    }
    cr_assert(a1 && a2, "two events for user a");
    /* The others (b's, the staff's, the game's) all arrive while a1 fails. */
    for (size_t i = 0; i < o.n; i++) {
        if (&o.v[i] == a1 || &o.v[i] == a2)
            continue;
        others.v = realloc(others.v, (others.n + 1) * sizeof *others.v);
        others.v[others.n] = o.v[i];
        others.v[others.n].doc = bson_copy(o.v[i].doc);
        others.n++;
    }
    wait_delivered(&others, "other targets while a's first event fails");
    /* ... and a1 has been retried meanwhile (three refusals at least). */
    struct rt_seen s;
    seen_after_tries(&s, a1, 3);
    struct rt_tally t1 = tally(&s, a1), t2 = tally(&s, a2);
    cr_expect_geq(t1.all, 3, "a's first event was tried %zu times", t1.all);
    cr_expect_eq(t1.ok, 0);
    cr_expect_eq(t2.all, 0, "a's second event was sent while the first one failed");
    seen_free(&s);
    char filter[160];
    snprintf(filter, sizeof filter, "{\"event_id\": {\"$numberLong\": \"%s\"}}", a1->id_text);
    cr_expect_geq(db_count("outbox_attempts", filter), 1, "the failed attempts of a1 are recorded");
    bson_t doc;
    cr_expect(!result_of(a1, &doc), "a1 has an outcome while it is being retried");

    /* The receiver takes it now: a1, then a2, once each. */
    cr_assert_eq(receiver_clear_rules(&gateway_rx), 0);
    expect_delivered_once(&o, "relay-one");
    seen_read(&s);
    t1 = tally(&s, a1);
    t2 = tally(&s, a2);
    cr_expect(t1.settled >= 0 && t2.first > t1.settled, "a2 (record %ld) before a1 was delivered (record %ld)",
              t2.first, t1.settled);
    seen_free(&s);
    cr_assert(result_of(a1, &doc));
    cr_expect_geq(fx_int(&doc, "attempts", 0), 3, "a1's attempts");
    bson_destroy(&doc);
    /* one retry counted per failed attempt recorded */
    int64_t attempts = db_count("outbox_attempts", "{\"endpoint\": \"gateway\"}");
    cr_expect_geq(attempts, 2);
    cr_expect_eq(metric("warden_relay_retries_total{endpoint=\"gateway\"}"), (double)attempts);
    cr_expect_eq(metric("warden_relay_retries_total{endpoint=\"game\"}"), 0);

    relay_stop(&relays[0]);
    outbox_free(&others);
    outbox_free(&o);
    ps_finish_private();
}

Test(relay, a_4xx_is_recorded_failed_and_does_not_block_its_target, .fini = rt_fini, .timeout = 240)
{
    struct rt_chat chat;
    struct fx_chat_user a;
    rt_begin(&chat, &a);
    cr_assert_eq(receiver_answer_body(&gateway_rx, 422, a.id, "USER_UPDATE", NULL), 0);
    metrics_on_free_port();
    relay_start(&relays[0], "relay-one");

    user_flags(chat.staff, a.id, 2); /* refused for good */
    user_delete(chat.staff, a.id);   /* USER_DISCONNECT: same target, accepted */

    struct rt_outbox o;
    outbox_load(&o);
    char a_target[64];
    snprintf(a_target, sizeof a_target, "user:%s", a.id);
    const struct rt_event *refused = NULL, *after = NULL;
    for (size_t i = 0; i < o.n; i++)
        if (strcmp(o.v[i].target, a_target) == 0)
            *(refused == NULL ? &refused : &after) = &o.v[i];
    cr_assert(refused && after && strcmp(refused->type, "USER_UPDATE") == 0 &&
              strcmp(after->type, "USER_DISCONNECT") == 0);

    struct rt_outbox later = {0};
    later.v = calloc(1, sizeof *later.v);
    later.v[0] = *after;
    later.v[0].doc = bson_copy(after->doc);
    later.n = 1;
    wait_delivered(&later, "the event after the refused one");
    outbox_free(&later);
    struct rt_outbox one = {calloc(1, sizeof *one.v), 1};
    one.v[0] = *refused;
    one.v[0].doc = bson_copy(refused->doc);
    wait_recorded(&one);
    outbox_free(&one);

    bson_t doc;
    cr_assert(result_of(refused, &doc));
    cr_expect_str_eq(fx_str(&doc, "state"), "failed");
    cr_expect_eq(fx_int(&doc, "status", 0), 422);
    cr_expect_eq(fx_int(&doc, "attempts", 0), 1);
    cr_expect_str_eq(fx_str(&doc, "target"), a_target);
    bson_destroy(&doc);
    wait_state(after, "delivered");
    expect_result(after, "delivered", "relay-one");

    struct rt_seen s;
    seen_read(&s);
    struct rt_tally t = tally(&s, refused);
    cr_expect_eq(t.all, 1, "a 4xx is not retried (%zu requests)", t.all);
    cr_expect_eq(t.ok, 0);
    cr_expect_eq(tally(&s, after).ok, 1);
    seen_free(&s);

    /* what the metrics say: every other event delivered, this one failed */
    double delivered = (double)(o.n - 1);
    wait_metric("warden_relay_delivered_total{endpoint=\"gateway\"}", delivered);
    cr_expect_eq(metric("warden_relay_delivered_total{endpoint=\"gateway\"}"), delivered);
    cr_expect_eq(metric("warden_relay_failed_total{endpoint=\"gateway\",reason=\"client_error\"}"), 1);
    cr_expect_eq(metric("warden_relay_failed_total{endpoint=\"gateway\",reason=\"expired\"}"), 0);
    cr_expect_eq(metric("warden_relay_retries_total{endpoint=\"gateway\"}"), 0);
    cr_expect_eq(metric("warden_relay_delivery_latency_seconds_count{endpoint=\"gateway\"}"), delivered);
    cr_expect_eq(metric("warden_relay_backlog{endpoint=\"gateway\"}"), 0);
    cr_expect_eq(metric("warden_relay_leader"), 1);

    relay_stop(&relays[0]);
    outbox_free(&o);
    ps_finish_private();
}

/* How many 2xx records the receivers hold. */
static long delivered_so_far(void)
{
    long a = receiver_count(&gateway_rx, 200), b = receiver_count(&game_rx, 200);
    return a < 0 || b < 0 ? -1 : a + b;
}

Test(relay, a_relay_killed_mid_batch_loses_nothing_and_repeats_only_what_was_in_flight, .fini = rt_fini,
     .timeout = 300)
{
    ps_start_private(NULL);
    receivers_start();
    /* Slow answers, so that the kill lands among deliveries in flight. */
    cr_assert_eq(receiver_delay(&gateway_rx, 100), 0);
    cr_assert_eq(receiver_delay(&game_rx, 100), 0);
    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff);
    struct fx_chat_user users[4];
    users_in_rounds(chat.staff, users, 4, 4);
    struct rt_game game;
    struct rt_player p;
    game_round(&game, &p);
    struct rt_outbox o;
    outbox_load(&o);

    relay_start(&relays[0], "relay-first");
    int64_t t0 = now_ms();
    long got = 0;
    while ((got = delivered_so_far()) < 5 && now_ms() - t0 < WAIT_LONG_MS)
        sleep_ms(5);
    cr_assert_geq(got, 5, "the first relay delivered %ld events", got);
    relay_kill(&relays[0]);

    /* What had an outcome at the kill must not be sent again. */
    bool *had_result = calloc(o.n, sizeof *had_result);
    cr_assert(had_result);
    size_t settled = 0;
    for (size_t i = 0; i < o.n; i++) {
        bson_t doc;
        had_result[i] = result_of(&o.v[i], &doc);
        if (had_result[i]) {
            bson_destroy(&doc);
            settled++;
        }
    }
    cr_expect_lt(settled, o.n, "the kill came after the whole batch: make the batch longer");
    fprintf(stderr, "relay: killed with %zu of %zu events settled\n", settled, o.n);

    relay_start(&relays[1], "relay-second");
    wait_delivered(&o, "after the restart");
    wait_recorded(&o);
    struct rt_seen s;
    seen_read(&s);
    expect_records_sound(&o, &s.gateway, false);
    expect_records_sound(&o, &s.game, true);
    expect_target_order(&o, &s);
    expect_bodies(&o, &s);
    size_t duplicates = 0;
    for (size_t i = 0; i < o.n; i++) {
        struct rt_tally t = tally(&s, &o.v[i]);
        cr_expect_geq(t.ok, 1, "%s %s lost", o.v[i].type, o.v[i].id_text);
        if (t.ok > 1) {
            duplicates++;
            cr_expect(!had_result[i], "%s %s had an outcome at the kill and was sent again", o.v[i].type,
                      o.v[i].id_text);
            cr_expect_eq(t.ok, 2, "%s %s delivered %zu times", o.v[i].type, o.v[i].id_text, t.ok);
        }
    }
    /* In flight: at most one per target (one at a time per target). */
    for (size_t i = 0; i < o.n; i++)
        for (size_t j = i + 1; j < o.n; j++)
            if (o.v[i].game == o.v[j].game && strcmp(o.v[i].target, o.v[j].target) == 0)
                cr_expect(tally(&s, &o.v[i]).ok < 2 || tally(&s, &o.v[j]).ok < 2,
                          "two events of %s repeated: both were in flight at once", o.v[i].target);
    fprintf(stderr, "relay: %zu events delivered twice after the kill\n", duplicates);
    seen_free(&s);
    for (size_t i = 0; i < o.n; i++)
        expect_result(&o.v[i], "delivered", had_result[i] ? "relay-first" : NULL);
    free(had_result);

    relay_stop(&relays[1]);
    outbox_free(&o);
    ps_finish_private();
}

Test(relay, two_relays_deliver_each_event_once_and_the_standby_takes_over, .fini = rt_fini, .timeout = 300)
{
    ps_start_private(NULL);
    receivers_start();
    rt_lease_ms = 2 * RT_LEASE_MS;
    relay_start(&relays[0], "relay-a");
    relay_start(&relays[1], "relay-b");

    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff);
    struct fx_chat_user users[3];
    users_in_rounds(chat.staff, users, 3, 3);
    struct rt_game game;
    struct rt_player p;
    game_round(&game, &p);

    struct rt_outbox first;
    outbox_load(&first);
    char leader[128];
    lease_holder(leader, sizeof leader);
    cr_assert(strcmp(leader, "relay-a") == 0 || strcmp(leader, "relay-b") == 0, "lease holder '%s'", leader);
    cr_assert_eq(expect_leases_disjoint(), 0, "the lease changed hands with both relays up");
    /* one holder, so one sender: each event exactly once, all recorded by it */
    expect_delivered_once(&first, leader);
    lease_holder(leader, sizeof leader);
    cr_expect_eq(expect_leases_disjoint(), 0, "the lease changed hands with both relays up");

    /* The leader dies; the standby takes over once the lease has expired. */
    struct relay_proc *dead = strcmp(leader, "relay-a") == 0 ? &relays[0] : &relays[1];
    struct relay_proc *standby = dead == &relays[0] ? &relays[1] : &relays[0];
    int64_t killed_at = clock_wall_ms();
    relay_kill(dead);
    for (int flags = 8; flags <= 10; flags += 2)
        for (int i = 0; i < 3; i++)
            user_flags(chat.staff, users[i].id, flags);
    game_action(&game, "players", p.name, "kick", "{\"reason\": \"after the takeover\"}");
    struct rt_outbox all, second;
    outbox_load(&all);
    outbox_since(&all, &first, &second);
    cr_assert_gt(second.n, 0);
    wait_delivered(&second, "after the leader's death");
    wait_recorded(&second);
    char holder[128];
    int64_t taken_at = 0;
    lease_holder_at(holder, sizeof holder, &taken_at);
    cr_expect_str_eq(holder, standby->name, "the lease after the takeover");
    fprintf(stderr, "relay: the standby took the lease %" PRId64 " ms after the leader's kill (lease %d ms)\n",
            taken_at - killed_at, rt_lease_ms);
    cr_expect_eq(expect_leases_disjoint(), 1, "one takeover");
    struct rt_seen s;
    seen_read(&s);
    expect_each_once(&all, &s);
    expect_target_order(&all, &s);
    seen_free(&s);
    for (size_t i = 0; i < second.n; i++)
        expect_result(&second.v[i], "delivered", standby->name);

    expect_running(standby);
    relay_stop(standby);
    outbox_free(&second);
    outbox_free(&all);
    outbox_free(&first);
    ps_finish_private();
}

static bool healthy(const struct http_response *r)
{
    return r->status == 200;
}

Test(relay, a_database_outage_is_waited_out_without_a_restart, .fini = rt_fini, .timeout = 300)
{
    ps_start_private(NULL);
    receivers_start();
    relay_start(&relays[0], "relay-one");
    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff);
    struct fx_chat_user a;
    fx_chat_user_at(&ps_stack, &a, false);
    user_flags(chat.staff, a.id, 2);
    struct rt_outbox before;
    outbox_load(&before);
    wait_delivered(&before, "before the outage");

    cr_assert_eq(stack_db_stop(&ps_stack), 0);
    /* Longer than a lease: the relay loses it meanwhile. */
    sleep_ms(RT_LEASE_MS * 2);
    expect_running(&relays[0]);
    cr_assert_eq(stack_db_start(&ps_stack), 0);
    char *url = http_url(ps_stack.url, "/healthz");
    struct http_response r;
    cr_assert(http_request_until("GET", url, NULL, healthy, WAIT_LONG_MS, &r), "the pool is not healthy again");
    http_response_free(&r);
    free(url);

    user_flags(chat.staff, a.id, 4);
    user_delete(chat.staff, a.id);
    struct rt_outbox all;
    outbox_load(&all);
    expect_delivered_once(&all, "relay-one");
    expect_running(&relays[0]);
    relay_stop(&relays[0]);
    outbox_free(&all);
    outbox_free(&before);
    ps_finish_private();
}

/* A USER_UPDATE of user_id inserted as a writer that drew its id 1 ms
 * before the event before_id, and took this long to insert it. */
static int64_t insert_late_update(const char *user_id, int64_t before_id)
{
    int64_t drawn = snowflake_time_ms(before_id) - 1;
    int64_t late_id = ((drawn - SNOWFLAKE_EPOCH_MS) << 22) | (31LL << 17) | (30LL << 12) | 7;
    cr_assert_lt(late_id, before_id);
    bson_t doc = BSON_INITIALIZER, data;
    BSON_APPEND_INT64(&doc, "_id", late_id);
    BSON_APPEND_UTF8(&doc, "type", "USER_UPDATE");
    BSON_APPEND_INT64(&doc, "user_id", strtoll(user_id, NULL, 10));
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "data", &data);
    BSON_APPEND_UTF8(&data, "id", user_id);
    BSON_APPEND_INT32(&data, "flags", 8);
    bson_append_document_end(&doc, &data);
    BSON_APPEND_DATE_TIME(&doc, "created_at", drawn);
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    mongoc_collection_t *c = mongoc_database_get_collection(db, "gateway_events");
    bson_error_t err;
    bool ok = mongoc_collection_insert_one(c, &doc, NULL, NULL, &err);
    mongoc_collection_destroy(c);
    fx_db_close(client, db);
    bson_destroy(&doc);
    cr_assert(ok, "%s", err.message);
    return late_id;
}

/* An insert whose id was drawn before ids the relay has read already (a
 * writer that drew it, then took a while to insert): within
 * WARDEN_RELAY_LATE_MS it is still found and delivered. */
Test(relay, an_insert_landing_after_later_ids_is_still_delivered, .fini = rt_fini, .timeout = 240)
{
    ps_start_private(NULL);
    receivers_start();
    relay_start(&relays[0], "relay-one");
    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff);
    struct fx_chat_user a, b;
    fx_chat_user_at(&ps_stack, &a, false);
    fx_chat_user_at(&ps_stack, &b, false);
    user_flags(chat.staff, a.id, 2);
    struct rt_outbox first;
    outbox_load(&first);
    wait_delivered(&first, "before the late insert");

    /* An id 1 ms older than the newest event the relay has delivered. */
    int64_t newest = first.v[0].id;
    for (size_t i = 0; i < first.n; i++)
        if (!first.v[i].game && first.v[i].id > newest)
            newest = first.v[i].id;
    insert_late_update(b.id, newest);

    struct rt_outbox all;
    outbox_load(&all);
    cr_assert_eq(all.n, first.n + 1);
    expect_delivered_once(&all, "relay-one");
    relay_stop(&relays[0]);
    outbox_free(&all);
    outbox_free(&first);
    ps_finish_private();
}

/* The same, for a target whose later event is still being retried: the
 * late event has the smaller id, so it goes first. */
Test(relay, a_late_insert_goes_before_its_targets_later_event_still_retrying, .fini = rt_fini, .timeout = 240)
{
    struct rt_chat chat;
    struct fx_chat_user a;
    rt_begin(&chat, &a);
    cr_assert_eq(receiver_answer_body(&gateway_rx, 503, a.id, "USER_DISCONNECT", NULL), 0);
    relay_start(&relays[0], "relay-one");
    user_delete(chat.staff, a.id);
    struct rt_outbox first;
    outbox_load(&first);
    char target[64];
    snprintf(target, sizeof target, "user:%s", a.id);
    const struct rt_event *held = only_event_of(&first, target, "USER_DISCONNECT");
    struct rt_seen s;
    seen_after_tries(&s, held, 2);
    cr_assert_geq(tally(&s, held).all, 2, "the held event is not being retried");
    seen_free(&s);

    int64_t late_id = insert_late_update(a.id, held->id);
    struct rt_outbox all;
    outbox_load(&all);
    char late_text[24];
    snprintf(late_text, sizeof late_text, "%" PRId64, late_id);
    const struct rt_event *late = event_by_text(&all, late_text);
    cr_assert_not_null(late);
    struct rt_outbox one;
    outbox_of_one(late, &one);
    wait_delivered(&one, "the late event, its target's later event still refused");
    cr_assert_eq(receiver_clear_rules(&gateway_rx), 0);
    wait_delivered(&all, "all");
    wait_recorded(&all);
    seen_read(&s);
    expect_each_once(&all, &s);
    expect_bodies(&all, &s);
    /* the held event was tried before the late one existed: only the
     * deliveries can be in id order */
    struct rt_tally tl = tally(&s, late), th = tally(&s, held);
    cr_expect(tl.settled >= 0 && th.settled > tl.settled,
              "the later event was delivered (record %ld) before the late one (record %ld)", th.settled,
              tl.settled);
    seen_free(&s);
    for (size_t i = 0; i < all.n; i++)
        expect_result(&all.v[i], "delivered", "relay-one");
    relay_stop(&relays[0]);
    outbox_free(&one);
    outbox_free(&all);
    outbox_free(&first);
    ps_finish_private();
}

/* A type with an endpoint of its own (WARDEN_RELAY_KICK_URL) goes there,
 * signed with that endpoint's secret; the outbox's other types go on to the
 * outbox's endpoint. */
Test(relay, a_type_with_its_own_endpoint_goes_there, .fini = rt_fini, .timeout = 240)
{
    static struct receiver kick_rx;
    ps_start_private(NULL);
    receivers_start();
    cr_assert_eq(receiver_start(&kick_rx, NULL), 0);
    snprintf(rt_extra_env[0], sizeof rt_extra_env[0], "WARDEN_RELAY_KICK_URL=%s/kick", kick_rx.url);
    snprintf(rt_extra_env[1], sizeof rt_extra_env[1], "WARDEN_RELAY_KICK_SECRET=%s", kick_rx.secret);
    relay_start(&relays[0], "relay-one");
    struct rt_game game;
    struct rt_player p;
    game_round(&game, &p);
    struct rt_outbox o;
    outbox_load(&o);
    size_t kicks = count_type(&o, "kick");
    cr_assert_eq(kicks, 1);

    struct rt_outbox others = {0};
    for (size_t i = 0; i < o.n; i++)
        if (strcmp(o.v[i].type, "kick") != 0) {
            others.v = realloc(others.v, (others.n + 1) * sizeof *others.v);
            others.v[others.n] = o.v[i];
            others.v[others.n].doc = bson_copy(o.v[i].doc);
            others.n++;
        }
    wait_delivered(&others, "the other types");
    const struct rt_event *kick = NULL;
    for (size_t i = 0; i < o.n; i++)
        if (strcmp(o.v[i].type, "kick") == 0)
            kick = &o.v[i];
    struct receiver_log log;
    int64_t t0 = now_ms();
    for (;;) {
        cr_assert_eq(receiver_read(&kick_rx, &log), 0);
        if (log.n > 0 || now_ms() - t0 > WAIT_LONG_MS)
            break;
        receiver_log_free(&log);
        sleep_ms(50);
    }
    cr_assert_eq(log.n, 1, "the kick endpoint got %zu requests", log.n);
    cr_expect_str_eq(log.records[0].id, kick->id_text);
    cr_expect(log.records[0].signature_valid, "signed with the kick endpoint's secret");
    cr_expect_str_eq(log.records[0].path, "/kick");
    cr_expect_eq(log.records[0].status, 200);
    receiver_log_free(&log);
    struct rt_seen s;
    seen_read(&s);
    cr_expect_eq(tally(&s, kick).all, 0, "the kick also went to the game endpoint");
    expect_each_once(&others, &s);
    seen_free(&s);
    wait_state(kick, "delivered");
    bson_t doc;
    cr_assert(result_of(kick, &doc));
    cr_expect_str_eq(fx_str(&doc, "endpoint"), "kick");
    bson_destroy(&doc);

    relay_stop(&relays[0]);
    receiver_stop(&kick_rx);
    outbox_free(&others);
    outbox_free(&o);
    ps_finish_private();
}

/* An event still refused past WARDEN_RELAY_MAX_AGE_S is recorded expired,
 * and its target goes on. */
Test(relay, an_event_failing_past_its_max_age_expires_and_its_target_goes_on, .fini = rt_fini, .timeout = 240)
{
    struct rt_chat chat;
    struct fx_chat_user a;
    rt_begin(&chat, &a);
    cr_assert_eq(receiver_answer_body(&gateway_rx, 503, a.id, "USER_UPDATE", NULL), 0);
    snprintf(rt_extra_env[0], sizeof rt_extra_env[0], "WARDEN_RELAY_MAX_AGE_S=2");
    metrics_on_free_port();
    relay_start(&relays[0], "relay-one");
    user_flags(chat.staff, a.id, 2);
    user_delete(chat.staff, a.id);
    struct rt_outbox o;
    outbox_load(&o);
    char target[64];
    snprintf(target, sizeof target, "user:%s", a.id);
    const struct rt_event *old = only_event_of(&o, target, "USER_UPDATE");
    const struct rt_event *behind = only_event_of(&o, target, "USER_DISCONNECT");
    wait_state(old, "expired");
    struct rt_outbox later;
    outbox_of_one(behind, &later);
    wait_delivered(&later, "the event behind the expired one");
    wait_state(behind, "delivered");
    struct rt_seen s;
    seen_read(&s);
    struct rt_tally t = tally(&s, old);
    cr_expect_geq(t.all, 2, "retried until it expired (%zu requests)", t.all);
    cr_expect_eq(t.ok, 0);
    cr_expect(t.first < tally(&s, behind).first, "the later event went first");
    seen_free(&s);
    bson_t doc;
    cr_assert(result_of(old, &doc));
    cr_expect_eq(fx_int(&doc, "status", 0), 503, "the last answer");
    cr_expect_geq(fx_int(&doc, "attempts", 0), 2);
    bson_destroy(&doc);
    wait_metric("warden_relay_failed_total{endpoint=\"gateway\",reason=\"expired\"}", 1);
    cr_expect_eq(metric("warden_relay_failed_total{endpoint=\"gateway\",reason=\"expired\"}"), 1);
    relay_stop(&relays[0]);
    outbox_free(&later);
    outbox_free(&o);
    ps_finish_private();
}

/* --- wardenctl outbox retry and skip (README, wardenctl) ------------------------------------ */

/* wardenctl outbox ACTION ID on the private stack: its status, its output into *out. */
static int ctl_outbox(const char *action, const char *id, char **out)
{
    *out = NULL;
    int rc = fx_ctl_at(&ps_stack, out, (const char *const[]){"outbox", action, id, NULL});
    if (*out == NULL)
        *out = strdup("");
    return rc;
}

/* wardenctl outbox is another change of the same issue: until it is in
 * this build, its tests say so and skip. */
static void need_ctl_outbox(void)
{
    char *out = NULL;
    int rc = fx_ctl(&out, (const char *const[]){"help", "outbox", NULL});
    free(out);
    if (rc != 0)
        cr_skip_test("this wardenctl has no outbox command");
}


Test(relay, wardenctl_outbox_retry_sends_a_failed_event_again, .fini = rt_fini, .timeout = 240)
{
    need_ctl_outbox();
    struct rt_chat chat;
    struct fx_chat_user a;
    rt_begin(&chat, &a);
    cr_assert_eq(receiver_answer_body(&gateway_rx, 410, a.id, NULL), 0);
    relay_start(&relays[0], "relay-one");
    user_flags(chat.staff, a.id, 2);
    struct rt_outbox o;
    outbox_load(&o);
    char target[64];
    snprintf(target, sizeof target, "user:%s", a.id);
    const struct rt_event *e = only_event_of(&o, target, "USER_UPDATE");
    wait_state(e, "failed");

    /* The receiver takes it now; the operator sends it again. */
    cr_assert_eq(receiver_clear_rules(&gateway_rx), 0);
    char *out;
    int rc = ctl_outbox("retry", e->id_text, &out);
    cr_expect_eq(rc, 0, "outbox retry: exit %d: %s", rc, out);
    free(out);
    struct rt_outbox one;
    outbox_of_one(e, &one);
    wait_delivered(&one, "the retried event");
    wait_state(e, "delivered");
    struct rt_seen s;
    seen_read(&s);
    struct rt_tally t = tally(&s, e);
    cr_expect_eq(t.all, 2, "refused once, then delivered: %zu requests", t.all);
    cr_expect_eq(t.ok, 1);
    seen_free(&s);

    /* A delivered event is not sent again; an unknown one is refused. */
    rc = ctl_outbox("retry", e->id_text, &out);
    cr_expect_eq(rc, 1, "retry of a delivered event: exit %d: %s", rc, out);
    cr_expect_not_null(strstr(out, "delivered"), "%s", out);
    free(out);
    rc = ctl_outbox("retry", "123456789", &out);
    cr_expect_eq(rc, 1, "retry of no event: exit %d: %s", rc, out);
    free(out);
    char filter[160];
    snprintf(filter, sizeof filter, "{\"action\": \"outbox.retry\", \"target.type\": \"event\"}");
    cr_expect_eq(db_count("audit_log", filter), 1, "one outbox.retry audited");

    relay_stop(&relays[0]);
    outbox_free(&one);
    outbox_free(&o);
    ps_finish_private();
}

Test(relay, wardenctl_outbox_skip_unblocks_a_target, .fini = rt_fini, .timeout = 240)
{
    need_ctl_outbox();
    struct rt_chat chat;
    struct fx_chat_user a;
    rt_begin(&chat, &a);
    /* a's USER_UPDATE fails for ever (5xx: retried); its USER_DISCONNECT waits behind it */
    cr_assert_eq(receiver_answer_body(&gateway_rx, 503, a.id, "USER_UPDATE", NULL), 0);
    relay_start(&relays[0], "relay-one");
    user_flags(chat.staff, a.id, 2);
    user_delete(chat.staff, a.id);
    struct rt_outbox o;
    outbox_load(&o);
    char target[64];
    snprintf(target, sizeof target, "user:%s", a.id);
    const struct rt_event *stuck = only_event_of(&o, target, "USER_UPDATE");
    const struct rt_event *behind = only_event_of(&o, target, "USER_DISCONNECT");
    struct rt_seen s;
    seen_after_tries(&s, stuck, 2);
    cr_assert_geq(tally(&s, stuck).all, 2, "the stuck event is not being retried");
    cr_assert_eq(tally(&s, behind).all, 0, "the later event went ahead");
    seen_free(&s);

    char *out;
    int rc = ctl_outbox("skip", stuck->id_text, &out);
    cr_expect_eq(rc, 0, "outbox skip: exit %d: %s", rc, out);
    free(out);
    struct rt_outbox later;
    outbox_of_one(behind, &later);
    wait_delivered(&later, "the event behind the skipped one");
    bson_t doc;
    cr_assert(result_of(stuck, &doc));
    cr_expect_str_eq(fx_str(&doc, "state"), "skipped");
    cr_expect_str_eq(fx_str(&doc, "relay"), "wardenctl");
    bson_destroy(&doc);
    wait_state(behind, "delivered");
    seen_read(&s);
    cr_expect_eq(tally(&s, stuck).ok, 0, "the skipped event was delivered");
    seen_free(&s);

    rc = ctl_outbox("skip", stuck->id_text, &out);
    cr_expect_eq(rc, 1, "skip of a skipped event: exit %d: %s", rc, out);
    cr_expect_not_null(strstr(out, "skipped"), "the refusal names the state: %s", out);
    free(out);
    rc = ctl_outbox("skip", behind->id_text, &out);
    cr_expect_eq(rc, 1, "skip of a delivered event: exit %d: %s", rc, out);
    cr_expect_not_null(strstr(out, "delivered"), "%s", out);
    free(out);
    cr_expect_eq(db_count("audit_log", "{\"action\": \"outbox.skip\", \"target.type\": \"event\"}"), 1,
                 "one outbox.skip audited");

    relay_stop(&relays[0]);
    outbox_free(&later);
    outbox_free(&o);
    ps_finish_private();
}

/* --- retention ---------------------------------------------------------------------------- */

#define RT_OLD_EVENTS 300

struct rt_count_wait {
    const char *collection;
    char filter[160];
    int64_t want;
};

static bool count_is(void *ctx)
{
    const struct rt_count_wait *w = ctx;
    return db_count(w->collection, w->filter) == w->want;
}

/* Events two hours old (more than one batch of retention's), delivered like
 * any, then deleted with their outcomes once past WARDEN_RELAY_RETENTION_S;
 * a recent event and its outcome stay. */
Test(relay, retention_deletes_settled_events_older_than_its_age_in_batches, .fini = rt_fini,
     .timeout = 240)
{
    ps_start_private(NULL);
    receivers_start();
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    mongoc_collection_t *events = mongoc_database_get_collection(db, "gateway_events");
    int64_t old_ms = clock_wall_ms() - 2 * 3600 * 1000LL;
    int64_t first_old = ((old_ms - SNOWFLAKE_EPOCH_MS) << 22) | (30 << 17);
    for (int i = 0; i < RT_OLD_EVENTS; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT64(first_old + i), "type", "USER_UPDATE", "user_id",
                               BCON_INT64(1000 + i % 7), "data", "{", "id", "x", "}", "created_at",
                               BCON_DATE_TIME(old_ms));
        bson_error_t e;
        cr_assert(mongoc_collection_insert_one(events, doc, NULL, NULL, &e), "insert: %s", e.message);
        bson_destroy(doc);
    }
    mongoc_collection_destroy(events);
    fx_db_close(client, db);
    struct rt_chat chat;
    ps_staff_auth(chat.staff, sizeof chat.staff);
    struct fx_chat_user a;
    fx_chat_user_at(&ps_stack, &a, false);

    snprintf(rt_extra_env[0], sizeof rt_extra_env[0], "WARDEN_RELAY_RETENTION_S=60");
    metrics_on_free_port();
    relay_start(&relays[0], "relay-one");
    user_flags(chat.staff, a.id, 2);
    struct rt_outbox o;
    outbox_load(&o);
    wait_delivered(&o, "the old events and the new one");
    wait_recorded(&o);

    struct rt_count_wait gone = {"gateway_events", "", 0};
    snprintf(gone.filter, sizeof gone.filter, "{\"_id\": {\"$lte\": {\"$numberLong\": \"%" PRId64 "\"}}}",
             first_old + RT_OLD_EVENTS - 1);
    cr_assert(wait_until(count_is, &gone, WAIT_LONG_MS * 2), "%" PRId64 " old events are still there",
              db_count("gateway_events", gone.filter));
    struct rt_count_wait outcomes = {"outbox_results", "", 0};
    char from[32], to[32];
    store_pad_id(first_old, from);
    store_pad_id(first_old + RT_OLD_EVENTS, to);
    snprintf(outcomes.filter, sizeof outcomes.filter,
             "{\"_id\": {\"$gte\": \"gateway_events:%s\", \"$lt\": \"gateway_events:%s\"}}", from, to);
    cr_assert(wait_until(count_is, &outcomes, WAIT_LONG_MS), "%" PRId64 " old outcomes are still there",
              db_count("outbox_results", outcomes.filter));
    char target[64];
    snprintf(target, sizeof target, "user:%s", a.id);
    const struct rt_event *recent = only_event_of(&o, target, "USER_UPDATE");
    expect_result(recent, "delivered", "relay-one");
    cr_expect_eq(db_count("gateway_events", "{}"), (int64_t)o.n - RT_OLD_EVENTS,
                 "recent events went too");
    char *log = ps_read_file(relays[0].log, NULL);
    cr_expect(log && strstr(log, "retention deleted 300 event(s)"), "the deletion was not logged");
    free(log);
    relay_stop(&relays[0]);
    outbox_free(&o);
    ps_finish_private();
}
