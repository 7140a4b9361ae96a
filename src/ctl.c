/*
 * wardenctl: the management CLI, the instance's manage.py.
 *
 * Reads WARDEN_MONGODB_URI (and WARDEN_SECRET for `token`). Every command
 * prints its result on stdout and exits 0; a failure prints one line on
 * stderr and exits 1 (not found, refused) or 2 (usage). A PASSWORD argument
 * of "-" is read from standard input instead, so it stays out of `ps`.
 *
 * Mutations go through the same domain operations as the API
 * (include/warden/domain/), so each leaves the same audit entry and outbox
 * events; the actor is the operator: realm "operator", the Unix uid and
 * login name, and a request id "wardenctl-<pid>".
 */
#include <errno.h>
#include <mongoc/mongoc.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "warden/arena.h"
#include "warden/config.h"
#include "warden/domain/accounts.h"
#include "warden/domain/game.h"
#include "warden/domain/invites.h"
#include "warden/store/db.h"
#include "warden/fcgi_client.h"
#include "warden/json.h"
#include "warden/guid.h"
#include "warden/log.h"
#include "warden/password.h"
#include "warden/snowflake.h"
#include "warden/store.h"
#include "warden/store/game.h"
#include "warden/store/game_tokens.h"
#include "warden/store/invites.h"
#include "warden/store/users.h"
#include "warden/token.h"
#include "warden/mem.h"
#include "warden/parse.h"
#include "warden/format.h"
#include "warden/doc.h"
#include "warden/valid.h"

#define EXIT_NOT_FOUND 1
#define EXIT_USAGE 2

struct ctl {
    struct config cfg;
    struct db *db;
    struct domain domain;  /* the operator as the actor of every mutation */
    struct token_key key;
};

struct command {
    const char *name;
    const char *args;
    int min_args, max_args; /* -1: no maximum */
    bool needs_db;
    int (*run)(struct ctl *ctl, int argc, char **argv);
    const char *help;
};

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wardenctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static int db_fail(const bson_error_t *e)
{
    return fail(1, "database error: %s", e->message);
}

/* A failed domain operation: not found and refusals exit 1 with its message. */
static int refused(const struct domain_result *r, const char *what)
{
    switch (r->status) {
    case DOMAIN_STORE_ERROR: return db_fail(&r->error);
    case DOMAIN_NOT_FOUND: return fail(EXIT_NOT_FOUND, "no %s", what);
    case DOMAIN_INVALID: return fail(EXIT_USAGE, "%s: %s", r->field, r->message);
    default: return fail(1, "%s", r->message ? r->message : "refused");
    }
}

/* "-" means: read the password from the first line of stdin. */
static const char *password_argument(const char *arg, char *buf, size_t size)
{
    if (strcmp(arg, "-") != 0)
        return arg;
    if (!fgets(buf, (int)size, stdin))
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf;
}

/* --- chat users ------------------------------------------------------------ */

static const struct {
    const char *name;
    int64_t bit;
} user_flags[] = {
    {"staff", 1},
    {"partner", 2},
    {"hypesquad", 4},
    {"bug_hunter_1", 8},
    {"mfa_sms", 16},
    {"premium_dismissed", 32},
    {"hsquad_house_1", 64},
    {"hsquad_house_2", 128},
    {"hsquad_house_3", 256},
    {"premium_early", 512},
    {"unread_system", 4096},
    {"unread_urgent_system", 8192},
    {"bug_hunter_2", 16384},
    {"underage_deleted", 32768},
    {"verified_bot", 65536},
    {"verified_developer", 131072},
    {"certified_moderator", 262144},
};

static int64_t flag_bit(const char *name)
{
    for (size_t i = 0; i < sizeof user_flags / sizeof user_flags[0]; i++)
        if (strcasecmp(name, user_flags[i].name) == 0)
            return user_flags[i].bit;
    return 0;
}

static int find_user(struct ctl *ctl, const char *username, const char *discriminator, struct user *u)
{
    int64_t d;
    if (parse_int64(discriminator, 1, 9999, &d) < 0)
        return fail(EXIT_USAGE, "invalid discriminator '%s' (expected 0001..9999)", discriminator);
    char tag[8];
    snprintf(tag, sizeof tag, "%04d", (int)d);
    struct domain_result r;
    if (accounts_find_by_tag(&ctl->domain, username, tag, u, &r))
        return 0;
    if (r.status == DOMAIN_NOT_FOUND)
        return fail(EXIT_NOT_FOUND, "no user %s#%s", username, tag);
    return refused(&r, "user");
}

static void report_backfill(const char *step, int64_t looked_at, void *ctx)
{
    (void)ctx;
    printf("claims of %s: %lld documents covered\n", step, (long long)looked_at);
}

static int cmd_migrate(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bson_error_t e;
    if (!store_schema_ensure(ctl->db, &e))
        return db_fail(&e);
    printf("indexes of database '%s' are in place\n", db_name(ctl->db));
    int dropped = store_drop_retired_indexes(ctl->db, &e);
    if (dropped < 0)
        return db_fail(&e);
    if (dropped > 0)
        printf("retired indexes dropped: %d\n", dropped);
    if (!store_backfill(ctl->db, report_backfill, NULL, &e))
        return db_fail(&e);
    return 0;
}

static int cmd_add_user(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    char buf[CHAT_PASSWORD_MAX + 2];
    MEM_WIPE_ON_RETURN(buf);
    const char *username = argv[0], *email = argv[1];
    const char *password = password_argument(argv[2], buf, sizeof buf);
    if (!valid_chat_username(username, strlen(username)))
        return fail(EXIT_USAGE, "invalid username (2..30 of letters, digits, '_' and space)");
    if (!valid_email(email, strlen(email)))
        return fail(EXIT_USAGE, "invalid email address");
    if (!password || strlen(password) < CHAT_PASSWORD_MIN || strlen(password) > CHAT_PASSWORD_MAX)
        return fail(EXIT_USAGE, "the password needs %d..%d characters", CHAT_PASSWORD_MIN,
                    CHAT_PASSWORD_MAX);
    struct account_new in = {username, email, password, strlen(password), 0};
    struct user u;
    struct domain_result r;
    bool ok = accounts_create(&ctl->domain, &in, &u, &r);
    if (!ok)
        return refused(&r, "user");
    printf("%lld %s#%s\n", (long long)u.id, u.username, u.discriminator);
    return 0;
}

static int change_flags(struct ctl *ctl, char **argv, int64_t bit, bool set)
{
    struct user u;
    int rc = find_user(ctl, argv[0], argv[1], &u);
    if (rc)
        return rc;
    bool changed;
    struct domain_result r;
    if (!accounts_update_flags(&ctl->domain, u.id, set ? bit : 0, set ? 0 : bit, STAFF_BIT_FREE, &u,
                               &changed, &r))
        return refused(&r, "user");
    printf("%s#%s flags %lld\n", u.username, u.discriminator, (long long)u.flags);
    return 0;
}

static int cmd_make_staff(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    return change_flags(ctl, argv, USER_FLAG_STAFF, true);
}

static int cmd_unmake_staff(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    return change_flags(ctl, argv, USER_FLAG_STAFF, false);
}

static int cmd_set_flag(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    int64_t bit = flag_bit(argv[2]);
    if (!bit)
        return fail(EXIT_USAGE, "unknown flag '%s' (see wardenctl help)", argv[2]);
    return change_flags(ctl, argv, bit, true);
}

static int cmd_unset_flag(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    int64_t bit = flag_bit(argv[2]);
    if (!bit)
        return fail(EXIT_USAGE, "unknown flag '%s' (see wardenctl help)", argv[2]);
    return change_flags(ctl, argv, bit, false);
}

static int cmd_set_password(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    char buf[CHAT_PASSWORD_MAX + 2];
    MEM_WIPE_ON_RETURN(buf);
    const char *password = password_argument(argv[2], buf, sizeof buf);
    if (!password || strlen(password) < CHAT_PASSWORD_MIN || strlen(password) > CHAT_PASSWORD_MAX)
        return fail(EXIT_USAGE, "the password needs %d..%d characters", CHAT_PASSWORD_MIN,
                    CHAT_PASSWORD_MAX);
    struct user u;
    int rc = find_user(ctl, argv[0], argv[1], &u);
    if (rc)
        return rc;
    struct domain_result r;
    bool ok = accounts_set_password(&ctl->domain, u.id, password, strlen(password), &u, &r);
    if (!ok)
        return refused(&r, "user");
    printf("password of %s#%s changed; its old tokens no longer work\n", u.username,
           u.discriminator);
    return 0;
}

static int cmd_token(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    char err[256];
    if (config_load_environment(&ctl->cfg, err, sizeof err) < 0)
        return fail(EXIT_USAGE, "%s", err);
    struct user u;
    int rc = find_user(ctl, argv[0], argv[1], &u);
    if (rc)
        return rc;
    ctl->key = (struct token_key){ctl->cfg.secret, ctl->cfg.secret_len};
    ctl->domain.key = &ctl->key;
    char token[TOKEN_MAX];
    MEM_WIPE_ON_RETURN(token);
    if (!accounts_token(&ctl->domain, &u, token))
        return fail(1, "token minting failed");
    puts(token);
    return 0;
}

/* --- game realm ------------------------------------------------------------ */

/* A NAME argument: a GUID or a valid name. false when it can be neither. */
static bool game_key_of(const char *arg, char id[GUID_STRING_SIZE], struct game_key *key)
{
    *key = (struct game_key){NULL, NULL};
    if (guid_parse(arg, id))
        key->id = id;
    else if (valid_game_name(arg, strlen(arg)))
        key->name = arg;
    return key->id || key->name;
}

static int game_fail(const struct domain_result *r, const char *what, const char *arg)
{
    if (r->status == DOMAIN_NOT_FOUND)
        return fail(EXIT_NOT_FOUND, "no %s '%s'", what, arg);
    return refused(r, what);
}

static int cmd_game_add_user(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    char buf[1100];
    MEM_WIPE_ON_RETURN(buf);
    const char *name = argv[0], *email = argv[1];
    const char *password = password_argument(argv[2], buf, sizeof buf);
    if (!valid_game_name(name, strlen(name)))
        return fail(EXIT_USAGE, "invalid name (2..20 letters and digits)");
    if (!valid_email(email, strlen(email)))
        return fail(EXIT_USAGE, "invalid email address");
    if (!password || !*password)
        return fail(EXIT_USAGE, "the password must not be empty");
    struct game_user u;
    struct domain_result r;
    bool ok = game_account_create(&ctl->domain, name, email, password, &u, &r);
    if (!ok)
        return refused(&r, "game user");
    printf("%s %s\n", u.id, u.name);
    return 0;
}

static int change_rights(struct ctl *ctl, int argc, char **argv, bool grant)
{
    unsigned bits = 0;
    for (int i = 1; i < argc; i++) {
        unsigned bit = store_game_right_parse(argv[i]);
        if (!bit)
            return fail(EXIT_USAGE,
                        "unknown right '%s' (Editor, Ban, Kick, Mute, Api, UserQuery, UserManage)",
                        argv[i]);
        bits |= bit;
    }
    char id[GUID_STRING_SIZE];
    struct game_key key;
    struct game_user u;
    struct domain_result r;
    if (!game_key_of(argv[0], id, &key))
        return fail(EXIT_NOT_FOUND, "no game user '%s'", argv[0]);
    if (!game_change_rights(&ctl->domain, &key, grant ? bits : 0, grant ? 0 : bits, &u, &r))
        return game_fail(&r, "game user", argv[0]);
    printf("%s rights:", u.name);
    for (unsigned bit = 1; bit <= RIGHT_USER_MANAGE; bit <<= 1)
        if (u.rights & bit)
            printf(" %s", store_game_right_name(bit));
    printf("\n");
    return 0;
}

static int cmd_game_grant(struct ctl *ctl, int argc, char **argv)
{
    return change_rights(ctl, argc, argv, true);
}

static int cmd_game_revoke(struct ctl *ctl, int argc, char **argv)
{
    return change_rights(ctl, argc, argv, false);
}

static int cmd_game_set_password(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    char buf[1100];
    MEM_WIPE_ON_RETURN(buf);
    const char *password = password_argument(argv[1], buf, sizeof buf);
    if (!password || !*password)
        return fail(EXIT_USAGE, "the password must not be empty");
    char id[GUID_STRING_SIZE];
    struct game_key key;
    struct game_user u;
    struct domain_result r;
    if (!game_key_of(argv[0], id, &key))
        return fail(EXIT_NOT_FOUND, "no game user '%s'", argv[0]);
    bool ok = game_set_password(&ctl->domain, &key, password, &u, &r);
    if (!ok)
        return game_fail(&r, "game user", argv[0]);
    printf("password of %s changed; its tokens no longer work\n", u.name);
    return 0;
}

/* Options after the positional arguments: --map GUID, --x N, --y N, --ip ADDR. */
struct ctl_options {
    const char *map, *ip;
    int64_t x, y;
};

static int parse_options(int argc, char **argv, int first, struct ctl_options *o, const char *allowed)
{
    for (int i = first; i < argc; i++) {
        const char *opt = argv[i];
        if (strncmp(opt, "--", 2) != 0 || !strstr(allowed, opt + 2) || i + 1 >= argc)
            return fail(EXIT_USAGE, "unexpected argument '%s'", opt);
        const char *value = argv[++i];
        if (strcmp(opt, "--map") == 0) {
            o->map = value;
        } else if (strcmp(opt, "--ip") == 0) {
            o->ip = value;
        } else if (strcmp(opt, "--x") == 0 || strcmp(opt, "--y") == 0) {
            int64_t n;
            if (parse_int64(value, 0, 255, &n) < 0)
                return fail(EXIT_USAGE, "%s must be an integer in 0..255", opt);
            if (opt[2] == 'x')
                o->x = n;
            else
                o->y = n;
        } else {
            return fail(EXIT_USAGE, "unexpected argument '%s'", opt);
        }
    }
    return 0;
}

static int cmd_game_add_player(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_options o = {NULL, NULL, 0, 0};
    int rc = parse_options(argc, argv, 2, &o, "map x y");
    if (rc)
        return rc;
    char map[GUID_STRING_SIZE] = "00000000-0000-0000-0000-000000000000";
    if (o.map && !guid_parse(o.map, map))
        return fail(EXIT_USAGE, "--map must be a GUID");
    if (!valid_game_name(argv[1], strlen(argv[1])))
        return fail(EXIT_USAGE, "invalid player name (2..20 letters and digits)");
    char id[GUID_STRING_SIZE];
    struct game_key owner;
    struct player p;
    struct domain_result r;
    if (!game_key_of(argv[0], id, &owner))
        return fail(EXIT_NOT_FOUND, "no game user '%s'", argv[0]);
    if (!game_player_create(&ctl->domain, &owner, argv[1], map, o.x, o.y, &p, &r))
        return game_fail(&r, "game user", argv[0]);
    printf("%s %s\n", p.id, p.name);
    return 0;
}

static int cmd_game_presence(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_options o = {NULL, NULL, 0, 0};
    int rc = parse_options(argc, argv, 2, &o, "ip");
    if (rc)
        return rc;
    bool online;
    if (strcmp(argv[1], "online") == 0)
        online = true;
    else if (strcmp(argv[1], "offline") == 0)
        online = false;
    else
        return fail(EXIT_USAGE, "presence must be online or offline");
    if (o.ip && (strlen(o.ip) > 45 || strspn(o.ip, "0123456789abcdefABCDEF.:") != strlen(o.ip)))
        return fail(EXIT_USAGE, "--ip must be an IPv4 or IPv6 address");
    char id[GUID_STRING_SIZE];
    struct game_key key;
    struct player p;
    struct domain_result r;
    if (!game_key_of(argv[0], id, &key))
        return fail(EXIT_NOT_FOUND, "no player '%s'", argv[0]);
    if (!game_player_presence(&ctl->domain, &key, online, o.ip, &p, &r))
        return game_fail(&r, "player", argv[0]);
    printf("%s is %s\n", p.name, online ? "online" : "offline");
    return 0;
}

/* --- instance invites ------------------------------------------------------ */

static int cmd_make_invite(struct ctl *ctl, int argc, char **argv)
{
    int64_t max_uses = -1;
    if (argc == 1 && (parse_int64(argv[0], -1, INVITE_MAX_USES_LIMIT, &max_uses) < 0 || max_uses == 0))
        return fail(EXIT_USAGE, "MAX_USES must be -1 (unlimited) or 1..%d", INVITE_MAX_USES_LIMIT);
    struct invite inv;
    struct domain_result r;
    if (!invites_create(&ctl->domain, max_uses, &inv, &r))
        return refused(&r, "invite");
    printf("%s\n", inv.code);
    return 0;
}

static int cmd_list_invites(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct invite *invites;
    size_t n;
    struct domain_result r;
    if (!invites_list(&ctl->domain, &invites, &n, &r))
        return refused(&r, "invites");
    printf("%-8s %-32s %6s %8s\n", "CODE", "CREATED", "USES", "MAX");
    for (size_t i = 0; i < n; i++) {
        char created[48];
        format_iso8601(invites[i].created_at, created, sizeof created);
        printf("%-8s %-32s %6lld %8lld\n", invites[i].code, created, (long long)invites[i].uses,
               (long long)invites[i].max_uses);
    }
    return 0;
}

static int cmd_delete_invite(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    struct domain_result r;
    if (!invites_delete(&ctl->domain, argv[0], &r)) {
        if (r.status == DOMAIN_NOT_FOUND)
            return fail(EXIT_NOT_FOUND, "no invite '%s'", argv[0]);
        return refused(&r, "invite");
    }
    printf("invite %s deleted\n", argv[0]);
    return 0;
}

/* --- pool status ---------------------------------------------------------- */

static int cmd_status(struct ctl *ctl, int argc, char **argv)
{
    const char *listen = ctl->cfg.listen[0] ? ctl->cfg.listen : "unix:/run/warden/warden.sock";
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else
            return fail(EXIT_USAGE, "unexpected argument '%s'", argv[i]);
    }
    struct buf body = BUF_INIT;
    char err[256];
    int status;
    if (fcgi_client_get(listen, "/status", 5000, &status, &body, err, sizeof err) < 0) {
        buf_free(&body);
        return fail(1, "%s", err);
    }
    bson_t doc = BSON_INITIALIZER;
    struct json_error jerr;
    int rc = 0;
    if (status != 200 || json_parse_object(buf_cstr(&body), body.len, &doc, &jerr) < 0) {
        rc = fail(1, "the pool answered %d: %.200s", status, buf_cstr(&body));
    } else if (json) {
        printf("%s\n", buf_cstr(&body));
    } else {
        bson_iter_t pool, workers, w;
        bson_t pool_doc;
        const uint8_t *data;
        uint32_t len;
        if (bson_iter_init_find(&pool, &doc, "pool") && BSON_ITER_HOLDS_DOCUMENT(&pool)) {
            bson_iter_document(&pool, &len, &data);
            if (bson_init_static(&pool_doc, data, len))
                printf("pool: up %lld s, %lld workers wanted, %lld processes (%lld busy, %lld idle), "
                       "%lld requests, %lld slow, %lld respawns, %lld timeouts\n",
                       (long long)doc_int(&pool_doc, "uptime_s", 0),
                       (long long)doc_int(&pool_doc, "workers_wanted", 0),
                       (long long)doc_int(&pool_doc, "processes", 0),
                       (long long)doc_int(&pool_doc, "active", 0),
                       (long long)doc_int(&pool_doc, "idle", 0),
                       (long long)doc_int(&pool_doc, "accepted_requests", 0),
                       (long long)doc_int(&pool_doc, "slow_requests", 0),
                       (long long)doc_int(&pool_doc, "respawns", 0),
                       (long long)doc_int(&pool_doc, "timeouts", 0));
        }
        printf("%-5s %-8s %-9s %-9s %s\n", "SLOT", "PID", "STATE", "REQUESTS", "CURRENT");
        if (bson_iter_init_find(&workers, &doc, "workers") && bson_iter_recurse(&workers, &w)) {
            while (bson_iter_next(&w)) {
                bson_t worker;
                bson_iter_document(&w, &len, &data);
                if (!bson_init_static(&worker, data, len))
                    continue;
                char state[16], current[400] = "-";
                doc_string(&worker, "state", state, sizeof state);
                bson_iter_t cur, field;
                if (bson_iter_init_find(&cur, &worker, "current") && BSON_ITER_HOLDS_DOCUMENT(&cur) &&
                    bson_iter_recurse(&cur, &field)) {
                    char method[16] = "", path[200] = "";
                    long long elapsed = 0;
                    while (bson_iter_next(&field)) {
                        const char *k = bson_iter_key(&field);
                        /* a pool of another version may send other types: never a NULL %s */
                        const char *text = BSON_ITER_HOLDS_UTF8(&field) ? bson_iter_utf8(&field, NULL) : "?";
                        if (strcmp(k, "method") == 0)
                            snprintf(method, sizeof method, "%s", text);
                        else if (strcmp(k, "path") == 0)
                            snprintf(path, sizeof path, "%s", text);
                        else if (strcmp(k, "elapsed_ms") == 0)
                            elapsed = (long long)bson_iter_as_int64(&field);
                    }
                    /* Request bytes must not reach the operator's terminal raw
                     * (C1 controls, bidi overrides): escaped as in the log. */
                    char shown_method[64], shown_path[256];
                    log_escape(shown_method, sizeof shown_method, method, strlen(method), false);
                    log_escape(shown_path, sizeof shown_path, path, strlen(path), false);
                    snprintf(current, sizeof current, "%s %s (%lld ms)", shown_method, shown_path,
                             elapsed);
                }
                printf("%-5lld %-8lld %-9s %-9lld %s\n", (long long)doc_int(&worker, "slot", 0),
                       (long long)doc_int(&worker, "pid", 0), state,
                       (long long)doc_int(&worker, "requests", 0), current);
            }
        }
    }
    bson_destroy(&doc);
    buf_free(&body);
    return rc;
}

/* The operator at the shell is the actor of every mutation this run makes. */
static void operator_domain(struct ctl *ctl, struct arena *arena)
{
    uid_t uid = getuid();
    const struct passwd *pw = getpwuid(uid);
    const char *name = pw ? pw->pw_name : getenv("USER");
    ctl->domain = (struct domain){
        .db = ctl->db,
        .arena = arena,
        .actor = {.realm = ACTOR_OPERATOR, .id = (int64_t)uid,
                  .name = arena_strdup(arena, name ? name : "")},
        .request_id = arena_printf(arena, "wardenctl-%ld", (long)getpid()),
    };
}

/* --- dispatch ---------------------------------------------------------------- */

static const struct command commands[] = {
    {"status", "[--listen ADDR] [--json]", 0, 3, false, cmd_status,
     "the pool's scoreboard, read from its socket (WARDEN_LISTEN)"},
    {"migrate", "", 0, 0, true, cmd_migrate, "create the collections' indexes and the claims that lookups need (idempotent)"},
    {"add-user", "USERNAME EMAIL PASSWORD", 3, 3, true, cmd_add_user, "create a chat user"},
    {"make-staff", "USERNAME DISCRIMINATOR", 2, 2, true, cmd_make_staff, "set the staff flag"},
    {"unmake-staff", "USERNAME DISCRIMINATOR", 2, 2, true, cmd_unmake_staff, "clear the staff flag"},
    {"set-flag", "USERNAME DISCRIMINATOR FLAG", 3, 3, true, cmd_set_flag, "set a user flag"},
    {"unset-flag", "USERNAME DISCRIMINATOR FLAG", 3, 3, true, cmd_unset_flag, "clear a user flag"},
    {"set-password", "USERNAME DISCRIMINATOR PASSWORD", 3, 3, true, cmd_set_password,
     "change a password (revokes the user's tokens)"},
    {"token", "USERNAME DISCRIMINATOR", 2, 2, true, cmd_token, "print a token for the user"},
    {"make-invite", "[MAX_USES]", 0, 1, true, cmd_make_invite,
     "create an instance invite (-1 = unlimited, the default)"},
    {"list-invites", "", 0, 0, true, cmd_list_invites, "list instance invites"},
    {"delete-invite", "CODE", 1, 1, true, cmd_delete_invite, "delete an instance invite"},
    {"game-add-user", "NAME EMAIL PASSWORD", 3, 3, true, cmd_game_add_user, "create a game account"},
    {"game-grant", "NAME RIGHT...", 2, -1, true, cmd_game_grant, "grant rights (revokes tokens)"},
    {"game-revoke", "NAME RIGHT...", 2, -1, true, cmd_game_revoke, "revoke rights (revokes tokens)"},
    {"game-set-password", "NAME PASSWORD", 2, 2, true, cmd_game_set_password,
     "change a game password (revokes tokens)"},
    {"game-add-player", "USER NAME [--map GUID] [--x N] [--y N]", 2, 8, true, cmd_game_add_player,
     "create a character"},
    {"game-presence", "PLAYER online|offline [--ip ADDR]", 2, 4, true, cmd_game_presence,
     "set presence as the game server does"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fputs("usage: wardenctl COMMAND [ARGS...]\n\ncommands:\n", out);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].args);
        fprintf(out, "  %-44s %s\n", left, commands[i].help);
    }
    fputs("\nFLAG: ", out);
    for (size_t i = 0; i < sizeof user_flags / sizeof user_flags[0]; i++)
        fprintf(out, "%s%s", i ? ", " : "", user_flags[i].name);
    fputs("\nRIGHT: Editor, Ban, Kick, Mute, Api, UserQuery, UserManage\n"
          "PASSWORD \"-\" reads the password from standard input.\n"
          "\nenvironment: WARDEN_MONGODB_URI (default mongodb://127.0.0.1:27017/warden),\n"
          "WARDEN_SECRET or WARDEN_SECRET_FILE (for token), WARDEN_HOST_ID,\n"
          "WARDEN_LISTEN (for status; default unix:/run/warden/warden.sock).\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    const struct command *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "wardenctl: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    int n_args = argc - 2;
    if (n_args < cmd->min_args || (cmd->max_args >= 0 && n_args > cmd->max_args)) {
        fprintf(stderr, "usage: wardenctl %s %s\n", cmd->name, cmd->args);
        return EXIT_USAGE;
    }

    struct ctl ctl;
    config_defaults(&ctl.cfg);
    char err[512];
    if (config_parse(&ctl.cfg, 1, argv, err, sizeof err) < 0) /* environment only */
        return fail(EXIT_USAGE, "%s", err);
    if (sodium_init() < 0)
        return fail(1, "libsodium failed to initialise");
    log_open(NULL, LOG_ERROR);
    if (!cmd->needs_db)
        return cmd->run(&ctl, n_args, argv + 2);
    db_route_driver_log(); /* before init: its messages too */
    mongoc_init();
    snowflake_init((unsigned)ctl.cfg.host_id, SNOWFLAKE_CTL_PROCESS);
    ctl.db = db_new(ctl.cfg.mongodb_uri, err, sizeof err);
    if (!ctl.db) {
        mongoc_cleanup();
        return fail(EXIT_USAGE, "%s", err);
    }
    struct arena *arena = arena_new();
    operator_domain(&ctl, arena);
    bson_error_t e;
    int rc;
    if (cmd->run != cmd_migrate && !store_schema_ready(ctl.db, &e))
        rc = store_error_kind(&e) == STORE_SCHEMA_MISSING
                 ? fail(1, "the database schema is not in place: run `wardenctl migrate` "
                           "(or start the pool) first")
                 : db_fail(&e);
    else
        rc = cmd->run(&ctl, n_args, argv + 2);
    arena_free(arena);
    db_free(ctl.db);
    mongoc_cleanup();
    mem_wipe(ctl.cfg.secret, sizeof ctl.cfg.secret);
    return rc;
}
