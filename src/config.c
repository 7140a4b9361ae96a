/*
 * config: flags and WARDEN_* environment variables (see include/warden/config.h).
 *
 * Every setting is one row of the table below: flag, variable, type, range,
 * default and help. The defaults, the environment lookup, getopt_long's
 * option list, the validation, `warden --help` and README.md's table (which
 * tests/unit/config_test.c compares with the file) are all generated from
 * it, so none of them can drift from the others. Adding a setting is adding
 * a row (and a field to struct config).
 */
#include "warden/config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <mongoc/mongoc.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "warden/buf.h"
#include "warden/parse.h"

#define FIELD(member) offsetof(struct config, member), sizeof(((struct config *)0)->member)

static const struct config_option options[] = {
    {"--listen", "WARDEN_LISTEN", NULL, "ADDR", CONFIG_LISTEN, 0, 0, false, NULL, "inherited",
     "the socket to listen on; without it the socket is inherited from systemd (`LISTEN_FDS`) "
     "or spawn-fcgi (fd 0)",
     FIELD(listen)},
    {"--workers", "WARDEN_WORKERS", NULL, "N", CONFIG_INT, 1, CONFIG_MAX_WORKERS, false, NULL,
     "CPUs (max 15)", "worker processes (`--pm static`)", FIELD(workers)},
    {"--pm", "WARDEN_PM", NULL, "MODE", CONFIG_PM, 0, 0, false, "static", NULL,
     "how the pool is sized, as PHP-FPM's `pm`: `static` runs `--workers`; `dynamic` keeps "
     "`--spare-min`..`--spare-max` idle workers between `--workers-min` and `--workers-max`; "
     "`ondemand` starts none until a connection waits and reaps each after `--idle-timeout`",
     FIELD(pm)},
    {"--workers-min", "WARDEN_WORKERS_MIN", NULL, "N", CONFIG_INT, 0, CONFIG_MAX_WORKERS, false,
     "1", NULL, "`dynamic`: the fewest workers kept", FIELD(workers_min)},
    {"--workers-max", "WARDEN_WORKERS_MAX", NULL, "N", CONFIG_INT, 1, CONFIG_MAX_WORKERS, false,
     NULL, "`--workers`", "`dynamic`, `ondemand`: the most workers", FIELD(workers_max)},
    {"--spare-min", "WARDEN_SPARE_MIN", NULL, "N", CONFIG_INT, 0, CONFIG_MAX_WORKERS, false, "1",
     NULL, "`dynamic`: start workers while fewer than this are idle", FIELD(spare_min)},
    {"--spare-max", "WARDEN_SPARE_MAX", NULL, "N", CONFIG_INT, 1, CONFIG_MAX_WORKERS, false, "3",
     NULL, "`dynamic`: stop idle workers above this many", FIELD(spare_max)},
    {"--idle-timeout", "WARDEN_IDLE_TIMEOUT", NULL, "S", CONFIG_INT, 1, 86400, false, "10", NULL,
     "`dynamic`, `ondemand`: seconds a worker stays idle before it may be stopped",
     FIELD(idle_timeout_s)},
    {"--max-requests", "WARDEN_MAX_REQUESTS", NULL, "N", CONFIG_LONG, 0, 1000000000, false, "10000",
     NULL, "recycle a worker after about this many requests (+ up to 10 % jitter); 0 = never",
     FIELD(max_requests)},
    {"--request-timeout", "WARDEN_REQUEST_TIMEOUT", NULL, "S", CONFIG_INT, 1, 86400, false, "30",
     NULL, "seconds before a stuck worker is killed and replaced", FIELD(request_timeout_s)},
    {"--slow-ms", "WARDEN_SLOW_MS", NULL, "MS", CONFIG_INT, 0, 86400000, false, "1000", NULL,
     "log requests slower than this; 0 = off", FIELD(slow_ms)},
    {"--shutdown-timeout", "WARDEN_SHUTDOWN_TIMEOUT", NULL, "S", CONFIG_INT, 0, 3600, false, "10",
     NULL, "seconds a graceful stop waits for in-flight requests", FIELD(shutdown_timeout_s)},
    {"--mongodb-uri", "WARDEN_MONGODB_URI", NULL, "URI", CONFIG_MONGODB_URI, 0, 0, false,
     "mongodb://127.0.0.1:27017/warden", NULL, "the database; the URI's path names it",
     FIELD(mongodb_uri)},
    {"--listen-owner", "WARDEN_LISTEN_OWNER", NULL, "USER", CONFIG_USER, 0, 0, false, NULL, NULL,
     "owner of the unix socket", FIELD(listen_uid)},
    {"--listen-group", "WARDEN_LISTEN_GROUP", NULL, "GROUP", CONFIG_GROUP, 0, 0, false, NULL, NULL,
     "group of the unix socket (nginx's, e.g. `www-data`)", FIELD(listen_gid)},
    {"--listen-mode", "WARDEN_LISTEN_MODE", NULL, "MODE", CONFIG_MODE, 0, 0, false, "0660", NULL,
     "mode of the unix socket", FIELD(listen_mode)},
    {"--log-level", "WARDEN_LOG_LEVEL", NULL, "LEVEL", CONFIG_LOG_LEVEL, 0, 0, false, "info", NULL,
     "the least severe level logged", FIELD(log_level)},
    {"--log-file", "WARDEN_LOG_FILE", NULL, "PATH", CONFIG_LOG_FILE, 0, 0, false, NULL, "stderr",
     "log file (reopened on SIGUSR1)", FIELD(log_file)},
    {"--host-id", "WARDEN_HOST_ID", NULL, "N", CONFIG_INT, 0, 31, false, "0", NULL,
     "distinct per host when several share one database (part of every id)", FIELD(host_id)},
    {NULL, "WARDEN_SECRET", "WARDEN_SECRET_FILE", "SECRET", CONFIG_SECRET, 32, 255, true, NULL,
     NULL,
     "keys every token; the pool refuses to start without it. `WARDEN_SECRET_FILE` names a file "
     "that holds it instead (a trailing newline is ignored)",
     FIELD(secret)},
    {NULL, "WARDEN_REGISTRATIONS", NULL, "0|1", CONFIG_BOOL, 0, 0, false, "0", NULL,
     "1 opens `POST /api/v6/auth/register`", FIELD(registrations)},
    {NULL, "WARDEN_GAME_ACCESS_TTL", NULL, "S", CONFIG_INT, 10, 86400, false, "300", NULL,
     "game access token lifetime, seconds", FIELD(game_access_ttl_s)},
    {NULL, "WARDEN_GAME_REFRESH_TTL", NULL, "S", CONFIG_INT, 60, 365 * 86400, false, "604800", NULL,
     "game refresh token lifetime, seconds", FIELD(game_refresh_ttl_s)},
};

#define N_OPTIONS (sizeof options / sizeof options[0])

_Static_assert(sizeof(((struct config *)0)->secret) == 255 + 1,
               "WARDEN_SECRET's range in the table is what struct config holds");

const struct config_option *config_options(size_t *n)
{
    *n = N_OPTIONS;
    return options;
}

/* --- values ------------------------------------------------------------------ */

/* A field of c by its offset. */
#define AT(c, o, type) ((type *)(void *)((char *)(c) + (o)->offset))

static int copy_string(char *dst, size_t size, const char *value)
{
    if (strlen(value) >= size)
        return -1;
    strcpy(dst, value);
    return 0;
}

/* The option's name in messages: its flag, or "value" for a variable alone
 * ("WARDEN_WORKERS: invalid --workers 'x'", "WARDEN_GAME_ACCESS_TTL: invalid value 'x'"). */
static const char *name_of(const struct config_option *o)
{
    return o->flag ? o->flag : "value";
}

static int set_secret(struct config *c, const struct config_option *o, char *err, size_t err_size);

/*
 * Validate and store one value of o. source prefixes every message: the
 * variable it came from ("WARDEN_WORKERS: "), or "" for a flag.
 */
static int apply(struct config *c, const struct config_option *o, const char *value, char *err,
                 size_t err_size, const char *source)
{
    int64_t n;
    switch (o->type) {
    case CONFIG_INT:
    case CONFIG_LONG:
        if (parse_int64(value, o->min, o->max, &n) < 0) {
            snprintf(err, err_size, "%sinvalid %s '%s' (expected an integer in %lld..%lld)", source,
                     name_of(o), value, o->min, o->max);
            return -1;
        }
        if (o->type == CONFIG_INT)
            *AT(c, o, int) = (int)n;
        else
            *AT(c, o, long) = (long)n;
        return 0;
    case CONFIG_BOOL:
        if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0) {
            *AT(c, o, bool) = true;
        } else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 || strcmp(value, "no") == 0) {
            *AT(c, o, bool) = false;
        } else {
            snprintf(err, err_size, "%sinvalid %s '%s' (expected 0 or 1)", source, name_of(o), value);
            return -1;
        }
        return 0;
    case CONFIG_LISTEN: {
        /* unix:/path (sun_path holds 108 bytes with its NUL), or HOST:PORT
         * with a port in range; an empty host means every address. */
        const char *colon = strrchr(value, ':');
        size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
        if (strncmp(value, "unix:", 5) == 0 && value[5] == '/' && strlen(value + 5) > sun_max) {
            snprintf(err, err_size, "%sinvalid %s: unix socket path too long (%zu bytes; "
                     "the system allows at most %zu): %s", source, name_of(o), strlen(value + 5),
                     sun_max, value + 5);
            return -1;
        }
        bool ok = strncmp(value, "unix:", 5) == 0
                      ? value[5] == '/'
                      : colon && parse_int64(colon + 1, 1, 65535, &n) == 0;
        if (!ok || copy_string(AT(c, o, char), o->size, value) < 0) {
            snprintf(err, err_size, "%sinvalid %s '%s' (expected unix:/absolute/path or HOST:PORT)",
                     source, name_of(o), value);
            return -1;
        }
        return 0;
    }
    case CONFIG_MONGODB_URI: {
        bson_error_t e;
        mongoc_uri_t *uri = mongoc_uri_new_with_error(value, &e);
        if (!uri) {
            snprintf(err, err_size, "%sinvalid %s: %s", source, name_of(o), e.message);
            return -1;
        }
        mongoc_uri_destroy(uri);
        if (copy_string(AT(c, o, char), o->size, value) < 0) {
            snprintf(err, err_size, "%s%s is too long", source, name_of(o));
            return -1;
        }
        return 0;
    }
    case CONFIG_USER: {
        struct passwd *pw = getpwnam(value);
        if (!pw && parse_int64(value, 0, 0x7fffffff, &n) == 0) {
            *AT(c, o, uid_t) = (uid_t)n;
        } else if (!pw) {
            snprintf(err, err_size, "%sunknown user '%s' for %s", source, value, name_of(o));
            return -1;
        } else {
            *AT(c, o, uid_t) = pw->pw_uid;
        }
        c->listen_owner_set = true;
        return 0;
    }
    case CONFIG_GROUP: {
        struct group *gr = getgrnam(value);
        if (!gr && parse_int64(value, 0, 0x7fffffff, &n) == 0) {
            *AT(c, o, gid_t) = (gid_t)n;
        } else if (!gr) {
            snprintf(err, err_size, "%sunknown group '%s' for %s", source, value, name_of(o));
            return -1;
        } else {
            *AT(c, o, gid_t) = gr->gr_gid;
        }
        c->listen_group_set = true;
        return 0;
    }
    case CONFIG_MODE: {
        char *end;
        errno = 0;
        unsigned long mode = strtoul(value, &end, 8);
        if (!*value || *end || errno || mode > 0777 || strspn(value, "01234567") != strlen(value)) {
            snprintf(err, err_size, "%sinvalid %s '%s' (expected octal, e.g. 0660)", source,
                     name_of(o), value);
            return -1;
        }
        *AT(c, o, unsigned) = (unsigned)mode;
        return 0;
    }
    case CONFIG_LOG_LEVEL:
        if (log_level_parse(value, AT(c, o, enum log_level)) < 0) {
            snprintf(err, err_size, "%sinvalid %s '%s' (expected debug, info, warn or error)",
                     source, name_of(o), value);
            return -1;
        }
        return 0;
    case CONFIG_LOG_FILE:
        if (copy_string(AT(c, o, char), o->size, strcmp(value, "-") ? value : "") < 0) {
            snprintf(err, err_size, "%s%s is too long", source, name_of(o));
            return -1;
        }
        return 0;
    case CONFIG_SECRET:
        return set_secret(c, o, err, err_size);
    case CONFIG_PM:
        for (int pm = POOL_STATIC; pm <= POOL_ONDEMAND; pm++)
            if (strcmp(value, config_pm_name((enum pool_mode)pm)) == 0) {
                *AT(c, o, enum pool_mode) = (enum pool_mode)pm;
                return 0;
            }
        snprintf(err, err_size, "%sinvalid %s '%s' (expected static, dynamic or ondemand)", source,
                 name_of(o), value);
        return -1;
    }
    return 0;
}

const char *config_pm_name(enum pool_mode pm)
{
    switch (pm) {
    case POOL_DYNAMIC: return "dynamic";
    case POOL_ONDEMAND: return "ondemand";
    default: return "static";
    }
}

int config_check(struct config *c, char *err, size_t err_size)
{
    if (c->workers_max == 0)
        c->workers_max = c->workers;
    if (c->pm == POOL_STATIC)
        return 0;
    if (c->pm == POOL_DYNAMIC && c->workers_min > c->workers_max) {
        snprintf(err, err_size, "--workers-min (%d) is above --workers-max (%d)", c->workers_min,
                 c->workers_max);
        return -1;
    }
    if (c->pm == POOL_DYNAMIC && c->spare_min > c->spare_max) {
        snprintf(err, err_size, "--spare-min (%d) is above --spare-max (%d)", c->spare_min,
                 c->spare_max);
        return -1;
    }
    return 0;
}

/* Apply o's variable, if set and not empty. */
static int apply_env(struct config *c, const struct config_option *o, char *err, size_t err_size)
{
    if (o->type == CONFIG_SECRET)
        return set_secret(c, o, err, err_size);
    const char *value = getenv(o->env);
    if (!value || !*value)
        return 0;
    char source[64];
    snprintf(source, sizeof source, "%s: ", o->env);
    return apply(c, o, value, err, err_size, source);
}

/* The file is read unbuffered: no copy of the secret is left behind in a
 * stdio buffer that fclose frees. */
static int read_secret_file(struct config *c, const struct config_option *o, const char *path,
                            char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot open %s: %s", o->env_file, path, strerror(errno));
        return -1;
    }
    setvbuf(f, NULL, _IONBF, 0);
    size_t n = fread(c->secret, 1, sizeof c->secret, f);
    int too_long = n == sizeof c->secret && fgetc(f) != EOF;
    fclose(f);
    if (too_long) {
        snprintf(err, err_size, "%s: %s holds more than %lu bytes", o->env_file, path,
                 (unsigned long)sizeof c->secret - 1);
        return -1;
    }
    while (n && (c->secret[n - 1] == '\n' || c->secret[n - 1] == '\r'))
        n--;
    c->secret_len = n;
    return 0;
}

/* The secret from o's variable, else from the file its env_file names. */
static int set_secret(struct config *c, const struct config_option *o, char *err, size_t err_size)
{
    const char *secret = getenv(o->env);
    const char *file = getenv(o->env_file);
    if (secret && *secret) {
        size_t n = strlen(secret);
        if (n >= sizeof c->secret) {
            snprintf(err, err_size, "%s: longer than %lu bytes", o->env,
                     (unsigned long)sizeof c->secret - 1);
            return -1;
        }
        memcpy(c->secret, secret, n);
        c->secret_len = n;
    } else if (file && *file) {
        if (read_secret_file(c, o, file, err, err_size) < 0)
            return -1;
    } else {
        snprintf(err, err_size,
                 "no secret: set %s (or %s) to %lld random bytes or more, "
                 "e.g. `openssl rand -hex 32`",
                 o->env, o->env_file, o->min);
        return -1;
    }
    if (c->secret_len < (size_t)o->min) {
        snprintf(err, err_size, "the secret is %lu bytes; at least %lld are required",
                 (unsigned long)c->secret_len, o->min);
        return -1;
    }
    return 0;
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char err[256];
        /* A default the table gets wrong is a bug, and config_test fails on it. */
        if (options[i].default_value &&
            apply(c, &options[i], options[i].default_value, err, sizeof err, "") < 0)
            abort();
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = cpus < 1 ? 1 : cpus > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : (int)cpus;
    c->body_limit = 1024 * 1024;
}

int config_load_environment(struct config *c, char *err, size_t err_size)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (!options[i].flag && apply_env(c, &options[i], err, err_size) < 0)
            return -1;
    return 0;
}

/* --- the command line ---------------------------------------------------------- */

/* getopt_long's codes: an option's index in the table plus this; -h and --version. */
#define OPTION_CODE 256
#define VERSION_CODE 255

/* Whether arg names o's flag in full ("--flag" or "--flag=..."): getopt_long
 * also takes unambiguous abbreviations, which a config file or a unit file
 * should not come to rely on. */
static bool names_in_full(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

int config_parse(struct config *c, int argc, char **argv, char *err, size_t err_size)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].flag && apply_env(c, &options[i], err, err_size) < 0)
            return -1;

    struct option longopts[N_OPTIONS + 3];
    size_t n = 0;
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].flag)
            longopts[n++] = (struct option){options[i].flag + 2, required_argument, NULL,
                                            OPTION_CODE + (int)i};
    longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n++] = (struct option){"version", no_argument, NULL, VERSION_CODE};
    longopts[n] = (struct option){NULL, 0, NULL, 0};

    /* "+": stop at the first argument that is not an option (there are none
     * to take); ":": report a missing value as ':', quietly. optind 0 starts
     * glibc's scan afresh, as config_parse may run more than once. */
    opterr = 0;
    optind = 0;
    for (;;) {
        int at = optind ? optind : 1; /* the argument getopt_long is about to read */
        int code = getopt_long(argc, argv, "+:h", longopts, NULL);
        if (code == -1) {
            if (optind > at) { /* it took a "--": an argument, not an end of options */
                snprintf(err, err_size, "unknown option '%s' (see --help)", argv[at]);
                return -1;
            }
            break;
        }
        const char *arg = argv[at];
        const struct config_option *o = NULL;
        if (code >= OPTION_CODE && code < OPTION_CODE + (int)N_OPTIONS)
            o = &options[code - OPTION_CODE];
        else if (code == ':' && optopt >= OPTION_CODE && optopt < OPTION_CODE + (int)N_OPTIONS)
            o = &options[optopt - OPTION_CODE];
        bool full = o ? names_in_full(arg, o->flag)
                  : code == 'h' ? strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0
                  : code == VERSION_CODE ? strcmp(arg, "--version") == 0
                                         : false;
        if (!full) {
            snprintf(err, err_size, "unknown option '%s' (see --help)", arg);
            return -1;
        }
        if (code == 'h') {
            fputs(config_usage(), stdout);
            return 1;
        }
        if (code == VERSION_CODE) {
            puts("warden " WARDEN_VERSION);
            return 1;
        }
        if (code == ':') {
            snprintf(err, err_size, "option %s needs a value", o->flag);
            return -1;
        }
        if (apply(c, o, optarg, err, err_size, "") < 0)
            return -1;
    }
    if (optind < argc) {
        snprintf(err, err_size, "unknown option '%s' (see --help)", argv[optind]);
        return -1;
    }
    return 0;
}

/* --- help and README ------------------------------------------------------------ */

const char *config_option_values(const struct config_option *o, char *out, size_t size)
{
    switch (o->type) {
    case CONFIG_INT:
    case CONFIG_LONG: snprintf(out, size, "%lld..%lld", o->min, o->max); break;
    case CONFIG_BOOL: snprintf(out, size, "0 or 1"); break;
    case CONFIG_LISTEN: snprintf(out, size, "`unix:/path`, `HOST:PORT` (`[::1]:9000` for IPv6)"); break;
    case CONFIG_MONGODB_URI: snprintf(out, size, "a MongoDB URI"); break;
    case CONFIG_USER: snprintf(out, size, "a user name or uid"); break;
    case CONFIG_GROUP: snprintf(out, size, "a group name or gid"); break;
    case CONFIG_MODE: snprintf(out, size, "octal, up to 0777"); break;
    case CONFIG_LOG_LEVEL: snprintf(out, size, "debug, info, warn, error"); break;
    case CONFIG_LOG_FILE: snprintf(out, size, "a path; `-` = stderr"); break;
    case CONFIG_SECRET: snprintf(out, size, "%lld..%lld bytes", o->min, o->max); break;
    case CONFIG_PM: snprintf(out, size, "static, dynamic, ondemand"); break;
    }
    return out;
}

const char *config_option_markdown(const struct config_option *o, char *out, size_t size)
{
    char flag[64] = "", env[96], values[128], def[128] = "";
    if (o->flag)
        snprintf(flag, sizeof flag, "`%s`", o->flag);
    if (o->env_file)
        snprintf(env, sizeof env, "`%s` (or `%s`)", o->env, o->env_file);
    else
        snprintf(env, sizeof env, "`%s`", o->env);
    if (o->required)
        snprintf(def, sizeof def, "**required**");
    else if (o->default_text)
        snprintf(def, sizeof def, "%s", o->default_text);
    else if (o->default_value)
        snprintf(def, sizeof def, "`%s`", o->default_value);
    const char *cells[] = {flag, env, config_option_values(o, values, sizeof values), def, o->help};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof cells / sizeof cells[0] && used < size; i++) {
        /* "| a " per cell, "| " alone for an empty one, as a Markdown table is written by hand */
        int n = snprintf(out + used, size - used, *cells[i] ? "| %s " : "| ", cells[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used < size)
        snprintf(out + used, size - used, "|");
    return out;
}

/* s without Markdown's ` and ** marks, appended to b. */
static void put_plain(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '`')
            continue;
        if (s[0] == '*' && s[1] == '*') {
            s++;
            continue;
        }
        buf_putc(b, *s);
    }
}

#define HELP_INDENT 28
#define HELP_WIDTH 80

/* text's words appended to b, starting at column col, wrapped at
 * HELP_WIDTH and continued at HELP_INDENT; ends the line. */
static void put_wrapped(struct buf *b, const char *text, size_t col)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        if (!first && col + 1 + len > HELP_WIDTH) {
            buf_putc(b, '\n');
            for (col = 0; col < HELP_INDENT; col++)
                buf_putc(b, ' ');
        } else if (!first) {
            buf_putc(b, ' ');
            col++;
        }
        buf_append(b, p, len);
        col += len;
        p += len;
        first = false;
    }
    buf_putc(b, '\n');
}

/* One option in --help: the flag and its value's name (or the variable and
 * its value), the help wrapped beside it, then a line of its values,
 * default and variable. */
static void put_option(struct buf *b, const struct config_option *o)
{
    size_t start = b->len;
    if (o->flag)
        buf_printf(b, "  %s %s", o->flag, o->metavar);
    else
        buf_printf(b, "  %s=%s", o->env, o->metavar);
    size_t col = b->len - start;
    if (col >= HELP_INDENT) {
        buf_putc(b, '\n');
        col = 0;
    }
    for (; col < HELP_INDENT; col++)
        buf_putc(b, ' ');

    struct buf plain = BUF_INIT;
    put_plain(&plain, o->help);
    put_wrapped(b, buf_cstr(&plain), HELP_INDENT);

    char values[128];
    buf_reset(&plain);
    put_plain(&plain, config_option_values(o, values, sizeof values));
    if (o->required) {
        buf_puts(&plain, "; required");
    } else if (o->default_text || o->default_value) {
        buf_puts(&plain, "; default: ");
        put_plain(&plain, o->default_text ? o->default_text : o->default_value);
    }
    if (o->flag)
        buf_printf(&plain, "; %s", o->env);
    for (col = 0; col < HELP_INDENT; col++)
        buf_putc(b, ' ');
    put_wrapped(b, buf_cstr(&plain), HELP_INDENT);
    buf_free(&plain);
}

const char *config_usage(void)
{
    static struct buf text;
    if (text.len)
        return buf_cstr(&text);
    buf_puts(&text,
             "usage: warden [options]\n"
             "\n"
             "Preforked FastCGI pool serving the Warden admin API. Every option can also be\n"
             "set through the environment variable shown; a flag wins over the variable.\n"
             "\n");
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].flag)
            put_option(&text, &options[i]);
    buf_puts(&text, "  -h, --help                this text\n"
                    "  --version                 the version\n"
                    "\n"
                    "Environment only:\n");
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (!options[i].flag)
            put_option(&text, &options[i]);
    buf_puts(&text, "\n"
                    "A bad value is one line on stderr and exit status 2.\n"
                    "Signals: SIGTERM/SIGINT graceful stop, SIGHUP rolling restart of the workers,\n"
                    "SIGUSR1 reopen the log file.\n");
    return buf_cstr(&text);
}
