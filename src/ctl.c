/*
 * wardenctl: the management CLI, the instance's manage.py.
 *
 * Settings: WARDEN_MONGODB_URI (and the secret for `token` and
 * `bootstrap-staff`), each from, first that gives it: a global option
 * (--mongodb-uri, --secret-file), the environment, an env file (--env-file;
 * else $WARDEN_ENV_FILE; else a `make run` stack's var/stack.env in the
 * current directory when no URI is given; else /etc/warden/warden.env if it
 * exists). Global options go before the command only: after it, any word is
 * a command's argument. Every command prints its result on stdout and exits
 * 0; a failure prints one line on stderr and exits 1 (not found, refused) or
 * 2 (usage, configuration). A PASSWORD argument of "-" is read from standard
 * input instead, so it stays out of `ps`.
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
#include <unistd.h>

#include "warden/arena.h"
#include "warden/config.h"
#include "warden/domain/accounts.h"
#include "warden/domain/game.h"
#include "warden/domain/invites.h"
#include "warden/domain/outbox.h"
#include "warden/store/db.h"
#include "warden/fcgi_client.h"
#include "warden/json.h"
#include "warden/jsonw.h"
#include "warden/buf.h"
#include "warden/guid.h"
#include "warden/log.h"
#include "warden/password.h"
#include "warden/snowflake.h"
#include "warden/store.h"
#include "warden/store/audit.h"
#include "warden/store/game.h"
#include "warden/store/game_tokens.h"
#include "warden/store/invites.h"
#include "warden/store/outbox_admin.h"
#include "warden/store/users.h"
#include "warden/token.h"
#include "warden/mem.h"
#include "warden/parse.h"
#include "warden/format.h"
#include "warden/doc.h"
#include "warden/envfile.h"
#include "warden/valid.h"
#include "warden/clock.h"
#include "warden/outbox_endpoint.h"

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
    /* The arguments' own rules, checked before any connection, so that a
     * usage error is status 2 whatever the database's state; NULL: none.
     * A "-" password is read (and checked) later, by run. */
    int (*check)(int argc, char **argv);
    const char *help; /* one line, for the list of commands */
    const char *doc;  /* `wardenctl help COMMAND`: what it does, its arguments, what it prints */
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

/* --- argument rules, checked before the database is reached ----------------------- */

static int check_discriminator(const char *discriminator)
{
    int64_t d;
    if (parse_int64(discriminator, 1, 9999, &d) < 0)
        return fail(EXIT_USAGE, "invalid discriminator '%s' (expected 0001..9999)", discriminator);
    return 0;
}

/* A chat password given on the command line ("-" is read later). */
static int check_chat_password(const char *password)
{
    if (!password || strlen(password) < CHAT_PASSWORD_MIN || strlen(password) > CHAT_PASSWORD_MAX)
        return fail(EXIT_USAGE, "the password needs %d..%d characters", CHAT_PASSWORD_MIN,
                    CHAT_PASSWORD_MAX);
    return 0;
}

static int check_new_chat_user(int argc, char **argv)
{
    if (!valid_chat_username(argv[0], strlen(argv[0])))
        return fail(EXIT_USAGE, "invalid username (2..30 of letters, digits, '_' and space)");
    if (!valid_email(argv[1], strlen(argv[1])))
        return fail(EXIT_USAGE, "invalid email address");
    if (argc > 2 && strcmp(argv[2], "-") != 0)
        return check_chat_password(argv[2]);
    return 0;
}

static int check_user_tag(int argc, char **argv)
{
    (void)argc;
    return check_discriminator(argv[1]);
}

static int check_user_flag(int argc, char **argv)
{
    (void)argc;
    if (!flag_bit(argv[2]))
        return fail(EXIT_USAGE, "unknown flag '%s' (see wardenctl help)", argv[2]);
    return check_discriminator(argv[1]);
}

static int check_set_password(int argc, char **argv)
{
    (void)argc;
    int rc = check_discriminator(argv[1]);
    if (!rc && strcmp(argv[2], "-") != 0)
        rc = check_chat_password(argv[2]);
    return rc;
}

static int find_user(struct ctl *ctl, const char *username, const char *discriminator, struct user *u)
{
    int64_t d;
    if (check_discriminator(discriminator) || parse_int64(discriminator, 1, 9999, &d) < 0)
        return EXIT_USAGE;
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
    int rc = check_new_chat_user(2, argv);
    if (rc || (rc = check_chat_password(password)))
        return rc;
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
    int rc = check_user_flag(argc, argv);
    return rc ? rc : change_flags(ctl, argv, flag_bit(argv[2]), true);
}

static int cmd_unset_flag(struct ctl *ctl, int argc, char **argv)
{
    int rc = check_user_flag(argc, argv);
    return rc ? rc : change_flags(ctl, argv, flag_bit(argv[2]), false);
}

static int cmd_set_password(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    char buf[CHAT_PASSWORD_MAX + 2];
    MEM_WIPE_ON_RETURN(buf);
    const char *password = password_argument(argv[2], buf, sizeof buf);
    int rc = check_chat_password(password);
    if (rc)
        return rc;
    struct user u;
    rc = find_user(ctl, argv[0], argv[1], &u);
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

/* The secret that keys tokens, from the environment (or the env file): ready
 * for accounts_token. Exit status 2 without one. */
static int load_token_key(struct ctl *ctl)
{
    char err[256];
    if (config_load_environment(&ctl->cfg, err, sizeof err) < 0)
        return fail(EXIT_USAGE, "%s", err);
    ctl->key = (struct token_key){ctl->cfg.secret, ctl->cfg.secret_len};
    ctl->domain.key = &ctl->key;
    return 0;
}

static int cmd_token(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    int rc = load_token_key(ctl);
    if (rc)
        return rc;
    struct user u;
    rc = find_user(ctl, argv[0], argv[1], &u);
    if (rc)
        return rc;
    char token[TOKEN_MAX];
    MEM_WIPE_ON_RETURN(token);
    if (!accounts_token(&ctl->domain, &u, token))
        return fail(1, "token minting failed");
    puts(token);
    return 0;
}

/*
 * The first staff member of a new instance, in one step: add-user, then
 * make-staff, then token, each through the same domain operation as its own
 * command (so user.create and user.update are audited, USER_UPDATE is sent).
 * The secret is checked first, so a missing one leaves no half-made account.
 * Without a PASSWORD one is drawn (24 hex digits) and printed.
 */
static int cmd_bootstrap_staff(struct ctl *ctl, int argc, char **argv)
{
    char buf[CHAT_PASSWORD_MAX + 2];
    MEM_WIPE_ON_RETURN(buf);
    char drawn[25];
    MEM_WIPE_ON_RETURN(drawn);
    const char *username = argv[0], *email = argv[1], *password;
    if (argc == 3) {
        password = password_argument(argv[2], buf, sizeof buf);
    } else {
        unsigned char raw[12];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(drawn, sizeof drawn, raw, sizeof raw);
        mem_wipe(raw, sizeof raw);
        password = drawn;
    }
    int rc = check_new_chat_user(2, argv);
    if (rc || (rc = check_chat_password(password)) || (rc = load_token_key(ctl)))
        return rc;
    struct account_new in = {username, email, password, strlen(password), 0};
    struct user u;
    struct domain_result r;
    if (!accounts_create(&ctl->domain, &in, &u, &r))
        return refused(&r, "user");
    printf("%lld %s#%s\n", (long long)u.id, u.username, u.discriminator);
    fflush(stdout);
    bool changed;
    if (!accounts_update_flags(&ctl->domain, u.id, USER_FLAG_STAFF, 0, STAFF_BIT_FREE, &u, &changed,
                               &r)) {
        fprintf(stderr, "wardenctl: %s#%s was created but is not staff; finish with "
                        "`wardenctl make-staff '%s' %s`\n",
                u.username, u.discriminator, u.username, u.discriminator);
        return refused(&r, "user");
    }
    if (argc < 3)
        printf("password %s\n", drawn);
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

static int check_game_password(const char *password)
{
    return password && *password ? 0 : fail(EXIT_USAGE, "the password must not be empty");
}

static int check_game_new_user(int argc, char **argv)
{
    if (!valid_game_name(argv[0], strlen(argv[0])))
        return fail(EXIT_USAGE, "invalid name (2..20 letters and digits)");
    if (!valid_email(argv[1], strlen(argv[1])))
        return fail(EXIT_USAGE, "invalid email address");
    return argc > 2 && strcmp(argv[2], "-") != 0 ? check_game_password(argv[2]) : 0;
}

/* The RIGHT... arguments as bits into *bits (may be NULL). */
static int game_rights_of(int argc, char **argv, unsigned *bits)
{
    unsigned all = 0;
    for (int i = 1; i < argc; i++) {
        unsigned bit = store_game_right_parse(argv[i]);
        if (!bit)
            return fail(EXIT_USAGE,
                        "unknown right '%s' (Editor, Ban, Kick, Mute, Api, UserQuery, UserManage)",
                        argv[i]);
        all |= bit;
    }
    if (bits)
        *bits = all;
    return 0;
}

static int check_game_rights(int argc, char **argv)
{
    return game_rights_of(argc, argv, NULL);
}

static int check_game_set_password(int argc, char **argv)
{
    (void)argc;
    return strcmp(argv[1], "-") != 0 ? check_game_password(argv[1]) : 0;
}

static int cmd_game_add_user(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    char buf[1100];
    MEM_WIPE_ON_RETURN(buf);
    const char *name = argv[0], *email = argv[1];
    const char *password = password_argument(argv[2], buf, sizeof buf);
    int rc = check_game_new_user(2, argv);
    if (rc || (rc = check_game_password(password)))
        return rc;
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
    int rc = game_rights_of(argc, argv, &bits);
    if (rc)
        return rc;
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
    int rc = check_game_password(password);
    if (rc)
        return rc;
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

/* game-add-player's arguments: its options into *o, the map into map. */
static int game_add_player_args(int argc, char **argv, struct ctl_options *o, char map[GUID_STRING_SIZE])
{
    *o = (struct ctl_options){NULL, NULL, 0, 0};
    int rc = parse_options(argc, argv, 2, o, "map x y");
    if (rc)
        return rc;
    snprintf(map, GUID_STRING_SIZE, "%s", "00000000-0000-0000-0000-000000000000");
    if (o->map && !guid_parse(o->map, map))
        return fail(EXIT_USAGE, "--map must be a GUID");
    if (!valid_game_name(argv[1], strlen(argv[1])))
        return fail(EXIT_USAGE, "invalid player name (2..20 letters and digits)");
    return 0;
}

static int check_game_add_player(int argc, char **argv)
{
    struct ctl_options o;
    char map[GUID_STRING_SIZE];
    return game_add_player_args(argc, argv, &o, map);
}

static int cmd_game_add_player(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_options o;
    char map[GUID_STRING_SIZE];
    int rc = game_add_player_args(argc, argv, &o, map);
    if (rc)
        return rc;
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

/* game-presence's arguments: its options into *o, the presence into *online. */
static int game_presence_args(int argc, char **argv, struct ctl_options *o, bool *online)
{
    *o = (struct ctl_options){NULL, NULL, 0, 0};
    int rc = parse_options(argc, argv, 2, o, "ip");
    if (rc)
        return rc;
    if (strcmp(argv[1], "online") == 0)
        *online = true;
    else if (strcmp(argv[1], "offline") == 0)
        *online = false;
    else
        return fail(EXIT_USAGE, "presence must be online or offline");
    if (o->ip && (strlen(o->ip) > 45 || strspn(o->ip, "0123456789abcdefABCDEF.:") != strlen(o->ip)))
        return fail(EXIT_USAGE, "--ip must be an IPv4 or IPv6 address");
    return 0;
}

static int check_game_presence(int argc, char **argv)
{
    struct ctl_options o;
    bool online;
    return game_presence_args(argc, argv, &o, &online);
}

static int cmd_game_presence(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_options o;
    bool online;
    int rc = game_presence_args(argc, argv, &o, &online);
    if (rc)
        return rc;
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

/* MAX_USES into *max_uses (-1 when left out). */
static int make_invite_args(int argc, char **argv, int64_t *max_uses)
{
    *max_uses = -1;
    if (argc == 1 && (parse_int64(argv[0], -1, INVITE_MAX_USES_LIMIT, max_uses) < 0 || *max_uses == 0))
        return fail(EXIT_USAGE, "MAX_USES must be -1 (unlimited) or 1..%d", INVITE_MAX_USES_LIMIT);
    return 0;
}

static int check_make_invite(int argc, char **argv)
{
    int64_t max_uses;
    return make_invite_args(argc, argv, &max_uses);
}

static int cmd_make_invite(struct ctl *ctl, int argc, char **argv)
{
    int64_t max_uses;
    int rc = make_invite_args(argc, argv, &max_uses);
    if (rc)
        return rc;
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

/* --- the audit log ---------------------------------------------------------- */

#define AUDIT_LIMIT_DEFAULT 50

struct audit_args {
    struct audit_query q;
    bool json;
};

/* The arguments of `audit` into a; returns 0, or EXIT_USAGE with the line printed. */
static int parse_audit_args(int argc, char **argv, struct audit_args *a)
{
    *a = (struct audit_args){.q = {.limit = AUDIT_LIMIT_DEFAULT}};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--json") == 0) {
            a->json = true;
            continue;
        }
        static const char *const valued[] = {"--actor", "--action", "--target", "--since", "--limit"};
        const char *name = NULL;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            if (strcmp(arg, valued[k]) == 0)
                name = valued[k];
        if (!name)
            return fail(EXIT_USAGE, "audit: unknown argument '%s' (see wardenctl help audit)", arg);
        if (i + 1 >= argc || !*argv[i + 1])
            return fail(EXIT_USAGE, "audit: %s needs a value", name);
        const char *value = argv[++i];
        if (strcmp(name, "--actor") == 0) {
            a->q.actor = value;
        } else if (strcmp(name, "--action") == 0) {
            a->q.action = value;
        } else if (strcmp(name, "--target") == 0) {
            const char *colon = strchr(value, ':');
            if (!colon || colon == value || !colon[1])
                return fail(EXIT_USAGE, "audit: invalid --target '%s' (expected TYPE:ID, e.g. user:1234)",
                            value);
            a->q.target = value;
        } else if (strcmp(name, "--since") == 0) {
            if (parse_utc_date(value, &a->q.since_ms) < 0)
                return fail(EXIT_USAGE,
                            "audit: invalid --since '%s' (expected " PARSE_UTC_DATE_FORMS ", UTC)",
                            value);
        } else if (parse_int64(value, 1, STORE_AUDIT_LIMIT_MAX, &a->q.limit) < 0) {
            return fail(EXIT_USAGE, "audit: invalid --limit '%s' (expected 1..%d)", value,
                        STORE_AUDIT_LIMIT_MAX);
        }
    }
    return 0;
}

static int check_audit(int argc, char **argv)
{
    struct audit_args a;
    return parse_audit_args(argc, argv, &a);
}

/* The text of a path of an entry (a string, or an integer in decimal); "" when neither. */
static void entry_text(const bson_t *doc, const char *path, char *out, size_t size)
{
    bson_iter_t it, at;
    out[0] = '\0';
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &at))
        return;
    if (BSON_ITER_HOLDS_UTF8(&at))
        snprintf(out, size, "%s", bson_iter_utf8(&at, NULL));
    else if (BSON_ITER_HOLDS_INT64(&at) || BSON_ITER_HOLDS_INT32(&at))
        snprintf(out, size, "%lld", (long long)bson_iter_as_int64(&at));
}

static bool print_audit_line(const bson_t *entry, void *ctx)
{
    (void)ctx;
    char realm[16], actor_id[64], actor[160], action[128], type[64], target_id[128], rid[96];
    char target[200], when[48];
    entry_text(entry, "actor.realm", realm, sizeof realm);
    entry_text(entry, "actor.id", actor_id, sizeof actor_id);
    entry_text(entry, "actor.name", actor, sizeof actor);
    entry_text(entry, "action", action, sizeof action);
    entry_text(entry, "target.type", type, sizeof type);
    entry_text(entry, "target.id", target_id, sizeof target_id);
    entry_text(entry, "request_id", rid, sizeof rid);
    snprintf(target, sizeof target, "%s:%s", type, target_id);
    format_iso8601(doc_date(entry, "created_at", snowflake_time_ms(doc_int(entry, "_id", 0))), when,
                   sizeof when);
    char who[240];
    snprintf(who, sizeof who, "%s:%s", realm, actor[0] ? actor : actor_id);
    printf("%-32s %-24s %-24s %-28s %s\n", when, who, action, target, rid[0] ? rid : "-");
    return true;
}

/* One entry as a line of JSON: ids as strings, dates ISO, before/after as stored. */
static bool print_audit_json(const bson_t *entry, void *ctx)
{
    (void)ctx;
    struct buf out = BUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w);
    jsonw_key(&w, "id");
    jsonw_id(&w, doc_int(entry, "_id", 0));
    jsonw_key(&w, "created_at");
    jsonw_date(&w, doc_date(entry, "created_at", snowflake_time_ms(doc_int(entry, "_id", 0))));
    static const char *const parts[][2] = {{"actor", "realm"}, {"actor", "id"}, {"actor", "name"},
                                           {"target", "type"}, {"target", "id"}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char path[32], text[256];
        if (i == 0 || strcmp(parts[i][0], parts[i - 1][0]) != 0) {
            if (i > 0)
                jsonw_object_end(&w);
            if (i == 3) {
                entry_text(entry, "action", text, sizeof text);
                jsonw_kv_string(&w, "action", text);
            }
            jsonw_key(&w, parts[i][0]);
            jsonw_object_begin(&w);
        }
        snprintf(path, sizeof path, "%s.%s", parts[i][0], parts[i][1]);
        entry_text(entry, path, text, sizeof text);
        jsonw_kv_string(&w, parts[i][1], text);
    }
    jsonw_object_end(&w);
    static const char *const states[] = {"before", "after"};
    for (size_t i = 0; i < 2; i++) {
        bson_iter_t it;
        if (bson_iter_init_find(&it, entry, states[i]) && BSON_ITER_HOLDS_DOCUMENT(&it)) {
            jsonw_key(&w, states[i]);
            jsonw_bson_value(&w, &it);
        }
    }
    char rid[96];
    entry_text(entry, "request_id", rid, sizeof rid);
    jsonw_kv_string(&w, "request_id", rid);
    jsonw_object_end(&w);
    puts(buf_cstr(&out));
    buf_free(&out);
    return true;
}

static int cmd_audit(struct ctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int rc = parse_audit_args(argc, argv, &a);
    if (rc)
        return rc;
    if (!a.json)
        printf("%-32s %-24s %-24s %-28s %s\n", "TIME", "ACTOR", "ACTION", "TARGET", "REQUEST ID");
    bson_error_t e;
    if (store_audit_list(ctl->db, &a.q, a.json ? print_audit_json : print_audit_line, NULL, &e) != STORE_OK)
        return db_fail(&e);
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

/* --- the outbox: warden-relay's state, retry and skip ---------------------------- */

/* The relay's default retention (WARDEN_RELAY_RETENTION_S): what status counts outcomes over. */
#define RELAY_RETENTION_DEFAULT_S 604800

struct outbox_args {
    enum { OUTBOX_STATUS, OUTBOX_RETRY, OUTBOX_SKIP } action;
    bool json;
    int64_t id;
};

/* `outbox status [--json] | retry ID | skip ID` into *a; 0, or EXIT_USAGE with the line printed. */
static int parse_outbox_args(int argc, char **argv, struct outbox_args *a)
{
    *a = (struct outbox_args){OUTBOX_STATUS, false, 0};
    const char *sub = argv[0];
    if (strcmp(sub, "status") == 0) {
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--json") != 0)
                return fail(EXIT_USAGE, "outbox status: unknown argument '%s' (see wardenctl help outbox)",
                            argv[i]);
            a->json = true;
        }
        return 0;
    }
    if (strcmp(sub, "retry") != 0 && strcmp(sub, "skip") != 0)
        return fail(EXIT_USAGE, "outbox: unknown action '%s' (status, retry or skip; see wardenctl help outbox)",
                    sub);
    a->action = sub[0] == 'r' ? OUTBOX_RETRY : OUTBOX_SKIP;
    if (argc != 2)
        return fail(EXIT_USAGE, "usage: wardenctl outbox %s ID", sub);
    if (parse_int64(argv[1], 1, INT64_MAX, &a->id) < 0)
        return fail(EXIT_USAGE, "outbox %s: invalid event id '%s' (the event's decimal _id)", sub, argv[1]);
    return 0;
}

static int check_outbox(int argc, char **argv)
{
    struct outbox_args a;
    return parse_outbox_args(argc, argv, &a);
}

static void print_when(const char *label, int64_t ms)
{
    char when[48];
    format_iso8601(ms, when, sizeof when);
    printf("%s%s", label, when);
}

static void print_checkpoint(const char *stream, const struct outbox_checkpoint *cp)
{
    printf("checkpoint %-16s ", stream);
    if (!cp->present) {
        puts("none yet");
        return;
    }
    printf("up to %lld", (long long)cp->upto);
    print_when(", written ", cp->at_ms);
    printf(" by %s\n", cp->relay[0] ? cp->relay : "?");
}

static void print_outbox_status(const struct outbox_status *st, int64_t now)
{
    if (!st->has_lease) {
        puts("lease: none (no relay has run against this database)");
    } else {
        printf("lease: %s, term %lld", st->holder, (long long)st->term);
        print_when(st->expires_at_ms > now ? ", until " : ", expired at ", st->expires_at_ms);
        puts(st->expires_at_ms > now ? "" : " (no relay is delivering)");
    }
    print_checkpoint(OUTBOX_GATEWAY, &st->gateway);
    print_checkpoint(OUTBOX_GAME, &st->game);
    print_checkpoint("outbox_commands", &st->commands);
    printf("commands not yet applied: %lld\n\n", (long long)st->commands_pending);
    printf("%-16s %-4s %8s %8s %7s %7s %7s  %s\n", "ENDPOINT", "URL", "BACKLOG", "RETRYING", "FAILED",
           "EXPIRED", "SKIPPED", "OLDEST UNDELIVERED (ID TYPE TARGET AGE)");
    for (size_t i = 0; i < st->n_endpoints; i++) {
        const struct outbox_endpoint_status *ep = &st->endpoints[i];
        char oldest[200] = "-";
        if (ep->has_oldest)
            snprintf(oldest, sizeof oldest, "%lld %s %s %llds", (long long)ep->oldest.id, ep->oldest.type,
                     ep->oldest.target, (long long)((now - ep->oldest.created_at_ms) / 1000));
        printf("%-16s %-4s %7lld%s %8lld %7lld %7lld %7lld  %s\n", ep->endpoint.name,
               ep->endpoint.configured ? "set" : "-", (long long)ep->backlog, st->capped ? "+" : " ",
               (long long)ep->retrying, (long long)ep->failed, (long long)ep->expired,
               (long long)ep->skipped, oldest);
    }
    bool header = false;
    for (size_t i = 0; i < st->n_endpoints; i++) {
        const struct outbox_endpoint_status *ep = &st->endpoints[i];
        for (size_t k = 0; k < ep->n_listed; k++) {
            const struct outbox_retrying *r = &ep->listed[k];
            if (!header) {
                printf("\nretrying:\n%-20s %-16s %-16s %-44s %8s  %-32s %s\n", "ID", "ENDPOINT", "TYPE", "TARGET",
                       "ATTEMPTS", "NEXT", "LAST ANSWER");
                header = true;
            }
            char next[48], last[200];
            format_iso8601(r->next_at_ms, next, sizeof next);
            if (r->status)
                snprintf(last, sizeof last, "%lld %s", (long long)r->status, r->error);
            else
                snprintf(last, sizeof last, "%s", r->error[0] ? r->error : "-");
            char shown[400];
            log_escape(shown, sizeof shown, last, strlen(last), false);
            printf("%-20lld %-16s %-16s %-44s %8lld  %-32s %s\n", (long long)r->event.id, ep->endpoint.name,
                   r->event.type, r->event.target, (long long)r->attempts, next, shown);
        }
    }
    if (st->capped)
        printf("\n+: a walk stopped after %d documents: the figures are at least these\n",
               OUTBOX_STATUS_WALK_MAX);
}

static void json_event(struct jsonw *w, const struct outbox_event *ev, int64_t now)
{
    jsonw_key(w, "id");
    jsonw_id(w, ev->id);
    jsonw_kv_string(w, "outbox", ev->outbox);
    jsonw_kv_string(w, "type", ev->type);
    jsonw_kv_string(w, "target", ev->target);
    jsonw_key(w, "created_at");
    jsonw_date(w, ev->created_at_ms);
    jsonw_kv_int(w, "age_s", (now - ev->created_at_ms) / 1000);
}

static void json_checkpoint(struct jsonw *w, const char *stream, const struct outbox_checkpoint *cp)
{
    jsonw_key(w, stream);
    if (!cp->present) {
        jsonw_null(w);
        return;
    }
    jsonw_object_begin(w);
    jsonw_key(w, "upto");
    jsonw_id(w, cp->upto);
    jsonw_key(w, "at");
    jsonw_date(w, cp->at_ms);
    jsonw_kv_string(w, "relay", cp->relay);
    jsonw_object_end(w);
}

static void print_outbox_json(const struct outbox_status *st, int64_t now, int64_t retention_s)
{
    struct buf out = BUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w);
    jsonw_key(&w, "lease");
    if (!st->has_lease) {
        jsonw_null(&w);
    } else {
        jsonw_object_begin(&w);
        jsonw_kv_string(&w, "holder", st->holder);
        jsonw_key(&w, "term");
        jsonw_id(&w, st->term);
        jsonw_key(&w, "expires_at");
        jsonw_date(&w, st->expires_at_ms);
        jsonw_kv_bool(&w, "expired", st->expires_at_ms <= now);
        jsonw_object_end(&w);
    }
    jsonw_key(&w, "checkpoints");
    jsonw_object_begin(&w);
    json_checkpoint(&w, OUTBOX_GATEWAY, &st->gateway);
    json_checkpoint(&w, OUTBOX_GAME, &st->game);
    json_checkpoint(&w, "outbox_commands", &st->commands);
    jsonw_object_end(&w);
    jsonw_kv_int(&w, "commands_pending", st->commands_pending);
    jsonw_kv_int(&w, "retention_s", retention_s);
    jsonw_kv_bool(&w, "capped", st->capped);
    jsonw_key(&w, "endpoints");
    jsonw_array_begin(&w);
    for (size_t i = 0; i < st->n_endpoints; i++) {
        const struct outbox_endpoint_status *ep = &st->endpoints[i];
        jsonw_object_begin(&w);
        jsonw_kv_string(&w, "name", ep->endpoint.name);
        jsonw_kv_bool(&w, "configured", ep->endpoint.configured);
        jsonw_kv_int(&w, "backlog", ep->backlog);
        jsonw_key(&w, "oldest");
        if (ep->has_oldest) {
            jsonw_object_begin(&w);
            json_event(&w, &ep->oldest, now);
            jsonw_object_end(&w);
        } else {
            jsonw_null(&w);
        }
        jsonw_kv_int(&w, "retrying_count", ep->retrying);
        jsonw_key(&w, "retrying");
        jsonw_array_begin(&w);
        for (size_t k = 0; k < ep->n_listed; k++) {
            const struct outbox_retrying *r = &ep->listed[k];
            jsonw_object_begin(&w);
            json_event(&w, &r->event, now);
            jsonw_kv_int(&w, "attempts", r->attempts);
            jsonw_kv_int(&w, "status", r->status);
            jsonw_kv_string(&w, "error", r->error);
            jsonw_key(&w, "next_at");
            jsonw_date(&w, r->next_at_ms);
            jsonw_object_end(&w);
        }
        jsonw_array_end(&w);
        jsonw_kv_int(&w, "failed", ep->failed);
        jsonw_kv_int(&w, "expired", ep->expired);
        jsonw_kv_int(&w, "skipped", ep->skipped);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    puts(buf_cstr(&out));
    buf_free(&out);
}

static int outbox_print_status(struct ctl *ctl, bool json)
{
    int64_t retention_s = RELAY_RETENTION_DEFAULT_S;
    const char *retention = outbox_endpoint_getenv("WARDEN_RELAY_RETENTION_S", NULL);
    if (retention && parse_int64(retention, 1, INT64_MAX / 1000, &retention_s) < 0)
        return fail(EXIT_USAGE, "WARDEN_RELAY_RETENTION_S: must be a number of seconds, not '%s'", retention);
    struct outbox_status *st = mem_calloc(1, sizeof *st);
    int64_t now = clock_wall_ms();
    bson_error_t e;
    int rc = 0;
    if (store_outbox_status(ctl->db, outbox_endpoint_getenv, NULL, now, retention_s * 1000, st, &e) != STORE_OK)
        rc = db_fail(&e);
    else if (json)
        print_outbox_json(st, now, retention_s);
    else
        print_outbox_status(st, now);
    free(st);
    return rc;
}

static int outbox_refused(const struct domain_result *r)
{
    if (r->status == DOMAIN_NOT_FOUND || r->status == DOMAIN_REFUSED)
        return fail(EXIT_NOT_FOUND, "%s", r->message);
    return refused(r, "event");
}

static int cmd_outbox(struct ctl *ctl, int argc, char **argv)
{
    struct outbox_args a;
    int rc = parse_outbox_args(argc, argv, &a);
    if (rc)
        return rc;
    if (a.action == OUTBOX_STATUS)
        return outbox_print_status(ctl, a.json);
    struct outbox_action out;
    struct domain_result r;
    if (a.action == OUTBOX_RETRY) {
        if (!outbox_retry(&ctl->domain, a.id, &out, &r))
            return outbox_refused(&r);
        printf("event %lld (%s %s %s): ", (long long)a.id, out.event.outbox, out.event.type, out.event.target);
        if (out.had_outcome)
            printf("%s outcome deleted; ", out.outcome.state);
        printf("retry command %lld queued for the relay\n", (long long)out.command_id);
        return 0;
    }
    if (!outbox_skip(&ctl->domain, a.id, outbox_endpoint_getenv, NULL, &out, &r))
        return outbox_refused(&r);
    printf("event %lld (%s %s %s) skipped (endpoint %s); skip command %lld queued for the relay\n",
           (long long)a.id, out.event.outbox, out.event.type, out.event.target, out.endpoint,
           (long long)out.command_id);
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
            char pm[16] = "static";
            if (bson_init_static(&pool_doc, data, len)) {
                doc_string(&pool_doc, "pm", pm, sizeof pm);
                printf("pool: up %lld s, pm %s, %lld workers wanted, %lld processes (%lld busy, "
                       "%lld idle), %lld requests, %lld slow, %lld respawns, %lld timeouts, "
                       "%lld spawns, %lld reaps\n",
                       (long long)doc_int(&pool_doc, "uptime_s", 0), pm,
                       (long long)doc_int(&pool_doc, "workers_wanted", 0),
                       (long long)doc_int(&pool_doc, "processes", 0),
                       (long long)doc_int(&pool_doc, "active", 0),
                       (long long)doc_int(&pool_doc, "idle", 0),
                       (long long)doc_int(&pool_doc, "accepted_requests", 0),
                       (long long)doc_int(&pool_doc, "slow_requests", 0),
                       (long long)doc_int(&pool_doc, "respawns", 0),
                       (long long)doc_int(&pool_doc, "timeouts", 0),
                       (long long)doc_int(&pool_doc, "spawns", 0),
                       (long long)doc_int(&pool_doc, "reaps", 0));
            }
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

#define USER_ARGS                                                                                      \
    "  USERNAME        the user's name (quote it if it holds spaces)\n"                               \
    "  DISCRIMINATOR   the four digits after '#' (1..9999; leading zeros optional)\n"
#define PASSWORD_ARG "  PASSWORD        8..1024 characters; \"-\" reads it from the first line of standard input\n"
#define GAME_NAME_ARG "  NAME            the game account's name (2..20 letters and digits) or its GUID\n"
#define RIGHTS_TEXT                                                                                    \
    "  RIGHT           Editor, Ban, Kick, Mute, Api, UserQuery, UserManage (any case):\n"             \
    "                  Api is needed for a token and the /players routes, UserQuery\n"               \
    "                  in addition for the /users routes. Editor, Mute, Kick and Ban\n"              \
    "                  allow nothing by themselves: they rank accounts (as bits, Ban\n"              \
    "                  highest), and no action applies to an account that outranks\n"             \
    "                  the actor\n"

static const struct command commands[] = {
    {"status", "[--listen ADDR] [--json]", 0, 3, false, cmd_status, NULL,
     "the pool's scoreboard, read from its socket (WARDEN_LISTEN)",
     "Ask the running pool for its scoreboard over its FastCGI socket (as nginx\n"
     "would ask for /status) and print one line about the pool and one per worker.\n"
     "Needs no database.\n\n"
     "arguments:\n"
     "  --listen ADDR   the pool's socket, unix:/path or HOST:PORT (default: WARDEN_LISTEN,\n"
     "                  else unix:/run/warden/warden.sock)\n"
     "  --json          print the pool's JSON answer as it is\n"},
    {"migrate", "", 0, 0, true, cmd_migrate, NULL,
     "create the collections' indexes and the claims that lookups need (idempotent)",
     "Put the database schema in place (every index, then the schema marker), drop\n"
     "indexes an older release made, and write the claims and postings of data\n"
     "stored without them. Idempotent: run it after every upgrade, before serving.\n"},
    {"bootstrap-staff", "USERNAME EMAIL [PASSWORD|-]", 2, 3, true, cmd_bootstrap_staff, check_new_chat_user,
     "create the first staff member and print its token",
     "Create a chat user, make it staff and print a token for it: add-user, make-staff\n"
     "and token in one step, audited as those are (user.create, user.update). The\n"
     "secret (WARDEN_SECRET or WARDEN_SECRET_FILE) is checked before anything is\n"
     "written.\n\n"
     "arguments:\n"
     "  USERNAME        2..30 of letters, digits, '_' and space\n"
     "  EMAIL           the user's address (unique, in any case)\n"
     "  PASSWORD        8..1024 characters; \"-\" reads it from standard input; left out,\n"
     "                  24 random hex digits are drawn and printed\n\n"
     "prints: \"<id> <username>#<discriminator>\", then \"password <drawn>\" when it drew\n"
     "one, then the token alone on the last line.\n"},
    {"add-user", "USERNAME EMAIL PASSWORD", 3, 3, true, cmd_add_user, check_new_chat_user, "create a chat user",
     "Create a chat user (audited as user.create). A discriminator is drawn.\n\n"
     "arguments:\n"
     "  USERNAME        2..30 of letters, digits, '_' and space\n"
     "  EMAIL           the user's address (unique, in any case)\n" PASSWORD_ARG "\n"
     "prints: \"<id> <username>#<discriminator>\"\n"},
    {"make-staff", "USERNAME DISCRIMINATOR", 2, 2, true, cmd_make_staff, check_user_tag, "set the staff flag",
     "Make the user staff (audited as user.update, sent as USER_UPDATE).\n\n"
     "arguments:\n" USER_ARGS},
    {"unmake-staff", "USERNAME DISCRIMINATOR", 2, 2, true, cmd_unmake_staff, check_user_tag, "clear the staff flag",
     "Take the staff flag away (audited as user.update, sent as USER_UPDATE).\n\n"
     "arguments:\n" USER_ARGS},
    {"set-flag", "USERNAME DISCRIMINATOR FLAG", 3, 3, true, cmd_set_flag, check_user_flag, "set a user flag",
     "Set one of the user's public flags (audited as user.update).\n\n"
     "arguments:\n" USER_ARGS "  FLAG            a flag's name, listed by `wardenctl help`\n"},
    {"unset-flag", "USERNAME DISCRIMINATOR FLAG", 3, 3, true, cmd_unset_flag, check_user_flag, "clear a user flag",
     "Clear one of the user's public flags (audited as user.update).\n\n"
     "arguments:\n" USER_ARGS "  FLAG            a flag's name, listed by `wardenctl help`\n"},
    {"set-password", "USERNAME DISCRIMINATOR PASSWORD", 3, 3, true, cmd_set_password, check_set_password,
     "change a password (revokes the user's tokens)",
     "Replace the user's password. Every token the user holds stops working; the\n"
     "gateway is told to close the user's sessions (user.password, USER_DISCONNECT).\n\n"
     "arguments:\n" USER_ARGS PASSWORD_ARG},
    {"token", "USERNAME DISCRIMINATOR", 2, 2, true, cmd_token, check_user_tag, "print a token for the user",
     "Print a chat API token for the user, alone on one line (for\n"
     "`Authorization: <token>`). Needs the pool's secret: WARDEN_SECRET or\n"
     "WARDEN_SECRET_FILE, or --secret-file.\n\n"
     "arguments:\n" USER_ARGS},
    {"make-invite", "[MAX_USES]", 0, 1, true, cmd_make_invite, check_make_invite,
     "create an instance invite (-1 = unlimited, the default)",
     "Create an instance invite (audited as invite.create) and print its code, for\n"
     "invite_register.html?invite=CODE.\n\n"
     "arguments:\n"
     "  MAX_USES        -1 (unlimited, the default) or 1..1000000\n"},
    {"list-invites", "", 0, 0, true, cmd_list_invites, NULL, "list instance invites",
     "List the instance invites, oldest first: code, creation date, uses, maximum.\n"},
    {"audit", "[FILTERS] [--since DATE] [--limit N] [--json]", 0, 11, true, cmd_audit, check_audit,
     "the audit log, newest first",
     "Print the audit log's entries, newest first: every mutation made through the\n"
     "API or wardenctl, with who made it and its request id. FILTERS are any of\n"
     "--actor, --action and --target, and combine (an entry must match each one\n"
     "given). Each has its own keys: a filtered read walks the entries of one of\n"
     "them (the target's, else the actor's, else the action's), never the whole log.\n\n"
     "arguments:\n"
     "  --actor ID|NAME    entries by this actor: its id (a chat user's, a game\n"
     "                     account's GUID, the operator's uid) or its name\n"
     "  --action ACTION    entries of this action, e.g. user.delete, invite.create\n"
     "  --target TYPE:ID   entries about this object, e.g. user:1234, invite:AbC123\n"
     "  --since DATE       entries made at or after DATE, UTC: YYYY-MM-DD or\n"
     "                     YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]\n"
     "  --limit N          at most N entries (1..10000; default 50)\n"
     "  --json             one JSON object per line instead of the table\n\n"
     "prints: a table (TIME, ACTOR as realm:name, ACTION, TARGET, REQUEST ID), or with\n"
     "--json lines of {id, created_at, actor: {realm, id, name}, action, target: {type,\n"
     "id}, before?, after?, request_id}\n"},
    {"outbox", "status [--json] | retry ID | skip ID", 1, 2, true, cmd_outbox, check_outbox,
     "warden-relay's backlog and failures; retry or skip one event",
     "Read or act on the outboxes warden-relay delivers (gateway_events for the chat\n"
     "gateway, game_commands for the game server).\n\n"
     "  status [--json]  the relay's lease (holder, expiry) and checkpoints, then per\n"
     "                   endpoint: the backlog (events past the checkpoint without an\n"
     "                   outcome), the oldest of them (id, type, target, age), those\n"
     "                   retrying (attempts, last answer, next attempt), and the failed,\n"
     "                   expired and skipped outcomes within WARDEN_RELAY_RETENTION_S\n"
     "                   (default 604800). An event's endpoint is WARDEN_RELAY_<TYPE>_URL's\n"
     "                   when that is set, else gateway or game: give the relay's env file\n"
     "                   (--env-file /etc/warden/relay.env) to see its endpoints.\n"
     "  retry ID         deliver the event again: its failed, expired or skipped outcome\n"
     "                   is deleted and the relay is told to retry it now (a delivered\n"
     "                   event is refused). Audited as outbox.retry.\n"
     "  skip ID          record the event skipped, so that its target's later events go\n"
     "                   on without it (an event with an outcome is refused, naming it).\n"
     "                   Audited as outbox.skip.\n\n"
     "arguments:\n"
     "  ID               the event's _id, in decimal (either outbox)\n"
     "  --json           one JSON object: {lease, checkpoints, commands_pending,\n"
     "                   retention_s, capped, endpoints: [{name, configured, backlog,\n"
     "                   oldest, retrying_count, retrying: [...], failed, expired, skipped}]}\n\n"
     "exit status: 1 for an unknown event or one whose outcome refuses the action.\n"},
    {"delete-invite", "CODE", 1, 1, true, cmd_delete_invite, NULL, "delete an instance invite",
     "Delete an instance invite (audited as invite.delete).\n\n"
     "arguments:\n"
     "  CODE            the invite's code\n"},
    {"game-add-user", "NAME EMAIL PASSWORD", 3, 3, true, cmd_game_add_user, check_game_new_user, "create a game account",
     "Create a game account with no rights (audited as game_user.create); it logs in\n"
     "at /api/oauth/token with the SHA-256 hex of PASSWORD once it has the Api right.\n\n"
     "arguments:\n"
     "  NAME            2..20 letters and digits\n"
     "  EMAIL           the account's address\n"
     "  PASSWORD        the plaintext, not empty; \"-\" reads it from standard input\n\n"
     "prints: \"<guid> <name>\"\n"},
    {"game-grant", "NAME RIGHT...", 2, -1, true, cmd_game_grant, check_game_rights, "grant rights (revokes tokens)",
     "Grant rights to a game account (audited as game_user.rights). Its tokens stop\n"
     "working.\n\n"
     "arguments:\n" GAME_NAME_ARG RIGHTS_TEXT},
    {"game-revoke", "NAME RIGHT...", 2, -1, true, cmd_game_revoke, check_game_rights, "revoke rights (revokes tokens)",
     "Revoke rights of a game account (audited as game_user.rights). Its tokens stop\n"
     "working.\n\n"
     "arguments:\n" GAME_NAME_ARG RIGHTS_TEXT},
    {"game-set-password", "NAME PASSWORD", 2, 2, true, cmd_game_set_password, check_game_set_password,
     "change a game password (revokes tokens)",
     "Replace a game account's password (audited as game_user.password). Its tokens\n"
     "stop working.\n\n"
     "arguments:\n" GAME_NAME_ARG
     "  PASSWORD        the plaintext, not empty; \"-\" reads it from standard input\n"},
    {"game-add-player", "USER NAME [--map GUID] [--x N] [--y N]", 2, 8, true, cmd_game_add_player, check_game_add_player,
     "create a character",
     "Create a character of a game account (audited as player.create), offline.\n\n"
     "arguments:\n"
     "  USER            the owning account's name or GUID\n"
     "  NAME            the character's name (2..20 letters and digits)\n"
     "  --map GUID      its map (default all zeros)\n"
     "  --x N, --y N    its position, 0..255 (default 0)\n\n"
     "prints: \"<guid> <name>\"\n"},
    {"game-presence", "PLAYER online|offline [--ip ADDR]", 2, 4, true, cmd_game_presence, check_game_presence,
     "set presence as the game server does",
     "Set a character online or offline, writing what the game server writes\n"
     "(audited as player.presence); for operators and tests.\n\n"
     "arguments:\n"
     "  PLAYER          the character's name or GUID\n"
     "  online|offline  the new presence\n"
     "  --ip ADDR       the connection's address (online)\n"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char global_options[] =
    "options (before the command):\n"
    "  --env-file FILE      read NAME=value settings from FILE\n"
    "  --mongodb-uri URI    the database (wins over WARDEN_MONGODB_URI and the file)\n"
    "  --secret-file FILE   the file holding the pool's secret (wins over WARDEN_SECRET,\n"
    "                       WARDEN_SECRET_FILE and the file)\n"
    "  --version            print wardenctl's version\n"
    "  -h, --help           this text; `wardenctl help COMMAND` for one command\n";

static void usage(FILE *out)
{
    fputs("usage: wardenctl [OPTIONS] COMMAND [ARGS...]\n\ncommands:\n", out);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].args);
        fprintf(out, "  %-44s %s\n", left, commands[i].help);
    }
    fputs("\n", out);
    fputs(global_options, out);
    fputs("\nFLAG: ", out);
    for (size_t i = 0; i < sizeof user_flags / sizeof user_flags[0]; i++)
        fprintf(out, "%s%s", i ? ", " : "", user_flags[i].name);
    fputs("\nRIGHT: Editor, Ban, Kick, Mute, Api, UserQuery, UserManage\n"
          "PASSWORD \"-\" reads the password from standard input.\n"
          "\nsettings: WARDEN_MONGODB_URI (default mongodb://127.0.0.1:27017/warden),\n"
          "WARDEN_SECRET or WARDEN_SECRET_FILE (for token and bootstrap-staff), WARDEN_HOST_ID,\n"
          "WARDEN_LISTEN (for status; default unix:/run/warden/warden.sock). Each comes from,\n"
          "first that gives it: an option above, the environment, the env file. The env file\n"
          "is --env-file FILE; else $WARDEN_ENV_FILE if set (empty: none); else ./var/stack.env\n"
          "(a `make run` stack in this checkout) when it exists and no URI is given;\n"
          "else /etc/warden/warden.env when it exists.\n",
          out);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

static void command_help(FILE *out, const struct command *cmd)
{
    fprintf(out, "usage: wardenctl [OPTIONS] %s%s%s\n\n%s", cmd->name, cmd->args[0] ? " " : "", cmd->args,
            cmd->doc);
}

/* --- settings: options, the environment, the env file ----------------------------- */

#define DEFAULT_ENV_FILE "/etc/warden/warden.env"
#define STACK_ENV_FILE "var/stack.env"

struct globals {
    const char *env_file;    /* --env-file */
    const char *mongodb_uri; /* --mongodb-uri */
    const char *secret_file; /* --secret-file */
};

static bool env_given(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

/* The env file's assignments: WARDEN_* names only (a stack.env also holds
 * ports and pids), and only where the environment gives nothing. The secret
 * is one setting in two variables: either one in the environment (or
 * --secret-file) leaves both of the file's aside. */
struct env_apply {
    bool secret_given;
};

static int apply_assignment(const char *name, const char *value, void *ctx)
{
    const struct env_apply *a = ctx;
    if (strncmp(name, "WARDEN_", 7) != 0 || strcmp(name, "WARDEN_ENV_FILE") == 0)
        return 0;
    if (strcmp(name, "WARDEN_SECRET") == 0 || strcmp(name, "WARDEN_SECRET_FILE") == 0) {
        if (a->secret_given)
            return 0;
    } else if (env_given(name)) {
        return 0;
    }
    return setenv(name, value, 1) == 0 ? 0 : -1;
}

/* Options first, into the environment (an option wins over a variable); then
 * the env file, under what the environment gives. Returns 0, or -1 with a
 * line in err (exit status 2). */
static int load_settings(const struct globals *g, char *err, size_t err_size)
{
    if (g->mongodb_uri && setenv("WARDEN_MONGODB_URI", g->mongodb_uri, 1) < 0)
        goto nomem;
    if (g->secret_file && (setenv("WARDEN_SECRET_FILE", g->secret_file, 1) < 0 || unsetenv("WARDEN_SECRET") < 0))
        goto nomem;
    const char *path = NULL;
    bool must_exist = false;
    const char *override = getenv("WARDEN_ENV_FILE");
    if (g->env_file) {
        path = g->env_file;
        must_exist = true;
    } else if (override) {
        path = *override ? override : NULL;
    } else if (!env_given("WARDEN_MONGODB_URI") && access(STACK_ENV_FILE, F_OK) == 0) {
        path = STACK_ENV_FILE;
        must_exist = true;
    } else {
        path = DEFAULT_ENV_FILE;
    }
    /* "Exists" is anything but ENOENT: a file that cannot be read is an
     * error to report, never a reason to fall back to another database. */
    if (!path || (!must_exist && access(path, F_OK) != 0 && errno == ENOENT))
        return 0;
    struct env_apply a = {env_given("WARDEN_SECRET") || env_given("WARDEN_SECRET_FILE")};
    if (envfile_read(path, apply_assignment, &a, err, err_size) < 0) {
        if (!*err)
            goto nomem;
        /* The service's file is root:warden 0640: say what to do about it. */
        if (!must_exist && errno == EACCES) {
            size_t n = strlen(err);
            snprintf(err + n, err_size - n,
                     " (run wardenctl as root or in the file's group, or give --env-file FILE)");
        }
        return -1;
    }
    return 0;
nomem:
    snprintf(err, err_size, "cannot set the environment: %s", strerror(errno));
    return -1;
}

/* The value of a global option at argv[*i] ("--name VALUE" or "--name=VALUE"),
 * advancing *i; NULL (usage error printed) when it has none. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *usage_error)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (arg[n] == '=')
        return arg + n + 1;
    if (*i + 1 >= argc) {
        fail(EXIT_USAGE, "option %s needs a value", name);
        *usage_error = true;
        return NULL;
    }
    return argv[++*i];
}

/* Whether arg is one of the global options, spelt in full (with or without "=VALUE"). */
static const char *global_option_name(const char *arg)
{
    static const char *const names[] = {"--env-file", "--mongodb-uri", "--secret-file", "--version"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(arg, names[i], n) == 0 && (arg[n] == '\0' || arg[n] == '='))
            return names[i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct globals g = {NULL, NULL, NULL};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *arg = argv[i];
        const char *name = global_option_name(arg);
        bool bad = false;
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (name && strcmp(name, "--version") == 0 && arg[9] == '\0') {
            puts("wardenctl " WARDEN_VERSION);
            return 0;
        } else if (name && strcmp(name, "--env-file") == 0) {
            g.env_file = option_value(argc, argv, &i, name, &bad);
        } else if (name && strcmp(name, "--mongodb-uri") == 0) {
            g.mongodb_uri = option_value(argc, argv, &i, name, &bad);
        } else if (name && strcmp(name, "--secret-file") == 0) {
            g.secret_file = option_value(argc, argv, &i, name, &bad);
        } else {
            fprintf(stderr, "wardenctl: unknown option '%s' (see wardenctl help)\n", arg);
            return EXIT_USAGE;
        }
        if (bad)
            return EXIT_USAGE;
        if ((g.env_file && !*g.env_file) || (g.mongodb_uri && !*g.mongodb_uri) ||
            (g.secret_file && !*g.secret_file))
            return fail(EXIT_USAGE, "option %s needs a value", name);
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[i++];
    int n_args = argc - i;
    char **args = argv + i;
    if (strcmp(name, "help") == 0) {
        if (n_args == 0) {
            usage(stdout);
            return 0;
        }
        const struct command *cmd = n_args == 1 ? find_command(args[0]) : NULL;
        if (n_args > 1)
            return fail(EXIT_USAGE, "usage: wardenctl help [COMMAND]");
        if (!cmd)
            return fail(EXIT_USAGE, "unknown command '%s' (wardenctl help lists them)", args[0]);
        command_help(stdout, cmd);
        return 0;
    }
    const struct command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "wardenctl: unknown command '%s'\n", name);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (n_args == 1 && (strcmp(args[0], "--help") == 0 || strcmp(args[0], "-h") == 0)) {
        command_help(stdout, cmd);
        return 0;
    }
    /* Global options go before the command: after it, they would be a
     * command's argument (a password, a name), so they are refused. */
    for (int k = 0; k < n_args; k++) {
        const char *opt = global_option_name(args[k]);
        if (opt)
            return fail(EXIT_USAGE, "%s goes before the command: wardenctl %s%s %s ...", opt, opt,
                        strcmp(opt, "--version") == 0 ? "" : " VALUE", cmd->name);
    }
    if (n_args < cmd->min_args || (cmd->max_args >= 0 && n_args > cmd->max_args)) {
        fprintf(stderr, "usage: wardenctl %s %s\n", cmd->name, cmd->args);
        return EXIT_USAGE;
    }
    if (cmd->check) {
        int rc = cmd->check(n_args, args);
        if (rc)
            return rc;
    }

    struct ctl ctl;
    char err[512];
    err[0] = '\0';
    if (load_settings(&g, err, sizeof err) < 0)
        return fail(EXIT_USAGE, "%s", err);
    config_defaults(&ctl.cfg);
    if (config_parse(&ctl.cfg, 1, argv, err, sizeof err) < 0) /* the environment only */
        return fail(EXIT_USAGE, "%s", err);
    if (sodium_init() < 0)
        return fail(1, "libsodium failed to initialise");
    log_open(NULL, LOG_ERROR);
    if (!cmd->needs_db)
        return cmd->run(&ctl, n_args, args);
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
        rc = cmd->run(&ctl, n_args, args);
    arena_free(arena);
    db_free(ctl.db);
    mongoc_cleanup();
    mem_wipe(ctl.cfg.secret, sizeof ctl.cfg.secret);
    return rc;
}
