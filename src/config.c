/*
 * config: flags and WARDEN_* environment variables (see include/warden/config.h).
 *
 * Every option is described once in the table below; the same table drives
 * the environment lookup, the flag parser and the validation, so a flag and
 * its variable cannot drift apart.
 */
#include "warden/config.h"

#include <errno.h>
#include <grp.h>
#include <mongoc/mongoc.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warden/util.h"

#define WARDEN_VERSION "0.1.0"

enum option_id {
    OPT_LISTEN, OPT_WORKERS, OPT_MAX_REQUESTS, OPT_REQUEST_TIMEOUT, OPT_SLOW_MS,
    OPT_SHUTDOWN_TIMEOUT, OPT_MONGODB_URI, OPT_LISTEN_OWNER, OPT_LISTEN_GROUP,
    OPT_LISTEN_MODE, OPT_LOG_LEVEL, OPT_LOG_FILE, OPT_HOST_ID,
};

struct option_desc {
    enum option_id id;
    const char *flag;
    const char *env;
};

static const struct option_desc options[] = {
    {OPT_LISTEN, "--listen", "WARDEN_LISTEN"},
    {OPT_WORKERS, "--workers", "WARDEN_WORKERS"},
    {OPT_MAX_REQUESTS, "--max-requests", "WARDEN_MAX_REQUESTS"},
    {OPT_REQUEST_TIMEOUT, "--request-timeout", "WARDEN_REQUEST_TIMEOUT"},
    {OPT_SLOW_MS, "--slow-ms", "WARDEN_SLOW_MS"},
    {OPT_SHUTDOWN_TIMEOUT, "--shutdown-timeout", "WARDEN_SHUTDOWN_TIMEOUT"},
    {OPT_MONGODB_URI, "--mongodb-uri", "WARDEN_MONGODB_URI"},
    {OPT_LISTEN_OWNER, "--listen-owner", "WARDEN_LISTEN_OWNER"},
    {OPT_LISTEN_GROUP, "--listen-group", "WARDEN_LISTEN_GROUP"},
    {OPT_LISTEN_MODE, "--listen-mode", "WARDEN_LISTEN_MODE"},
    {OPT_LOG_LEVEL, "--log-level", "WARDEN_LOG_LEVEL"},
    {OPT_LOG_FILE, "--log-file", "WARDEN_LOG_FILE"},
    {OPT_HOST_ID, "--host-id", "WARDEN_HOST_ID"},
};

static const char usage_text[] =
    "usage: warden [options]\n"
    "\n"
    "Preforked FastCGI pool serving the Warden admin API. Every option can also be\n"
    "set through the environment variable shown; a flag wins over the variable.\n"
    "\n"
    "  --listen ADDR            unix:/path/to.sock or HOST:PORT ([::1]:9000 for IPv6).\n"
    "                           Without it the socket is inherited: LISTEN_FDS (systemd\n"
    "                           socket activation) or fd 0 (spawn-fcgi, StandardInput=socket).\n"
    "                           WARDEN_LISTEN\n"
    "  --workers N              worker processes, 1..15 (default: number of CPUs)   WARDEN_WORKERS\n"
    "  --max-requests N         recycle a worker after about N requests, with up to 10%\n"
    "                           jitter; 0 = never (default 10000)   WARDEN_MAX_REQUESTS\n"
    "  --request-timeout S      kill and replace a worker whose request runs longer than\n"
    "                           S seconds (default 30)   WARDEN_REQUEST_TIMEOUT\n"
    "  --slow-ms MS             log requests slower than MS milliseconds; 0 = off\n"
    "                           (default 1000)   WARDEN_SLOW_MS\n"
    "  --shutdown-timeout S     on SIGTERM, wait up to S seconds for in-flight requests\n"
    "                           (default 10)   WARDEN_SHUTDOWN_TIMEOUT\n"
    "  --mongodb-uri URI        database (default mongodb://127.0.0.1:27017/warden); the\n"
    "                           path names the database   WARDEN_MONGODB_URI\n"
    "  --listen-owner USER      owner of the unix socket   WARDEN_LISTEN_OWNER\n"
    "  --listen-group GROUP     group of the unix socket (e.g. www-data)   WARDEN_LISTEN_GROUP\n"
    "  --listen-mode MODE       octal mode of the unix socket (default 0660)   WARDEN_LISTEN_MODE\n"
    "  --log-level LEVEL        debug, info, warn or error (default info)   WARDEN_LOG_LEVEL\n"
    "  --log-file PATH          log file; - = stderr (default)   WARDEN_LOG_FILE\n"
    "  --host-id N              0..31, distinct per host sharing one database; part of\n"
    "                           every generated id (default 0)   WARDEN_HOST_ID\n"
    "  --help, --version\n"
    "\n"
    "Signals: SIGTERM/SIGINT graceful stop, SIGHUP rolling restart of the workers,\n"
    "SIGUSR1 reopen the log file.\n"
    "\n"
    "Environment only:\n"
    "  WARDEN_SECRET            server secret, 32 bytes or more (required); it keys every\n"
    "                           token. Or WARDEN_SECRET_FILE naming a file that holds it.\n"
    "  WARDEN_REGISTRATIONS     1 opens POST /api/v6/auth/register (default 0)\n"
    "  WARDEN_GAME_ACCESS_TTL   game access token lifetime in seconds (default 300)\n"
    "  WARDEN_GAME_REFRESH_TTL  game refresh token lifetime in seconds (default 604800)\n";

const char *config_usage(void)
{
    return usage_text;
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = cpus < 1 ? 1 : cpus > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : (int)cpus;
    c->max_requests = 10000;
    c->request_timeout_s = 30;
    c->slow_ms = 1000;
    c->shutdown_timeout_s = 10;
    strcpy(c->mongodb_uri, "mongodb://127.0.0.1:27017/warden");
    c->listen_mode = 0660;
    c->log_level = LOG_INFO;
    c->body_limit = 1024 * 1024;
    c->game_access_ttl_s = 300;
    c->game_refresh_ttl_s = 7 * 24 * 3600;
}

static int read_secret_file(struct config *c, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "WARDEN_SECRET_FILE: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(c->secret, 1, sizeof c->secret, f);
    int too_long = n == sizeof c->secret && fgetc(f) != EOF;
    fclose(f);
    if (too_long) {
        snprintf(err, err_size, "WARDEN_SECRET_FILE: %s holds more than %lu bytes", path,
                 (unsigned long)sizeof c->secret - 1);
        return -1;
    }
    while (n && (c->secret[n - 1] == '\n' || c->secret[n - 1] == '\r'))
        n--;
    c->secret_len = n;
    return 0;
}

static int env_int(const char *name, int64_t min, int64_t max, int *out, char *err, size_t err_size)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    int64_t n;
    if (parse_int64(v, min, max, &n) < 0) {
        snprintf(err, err_size, "%s: invalid value '%s' (expected an integer in %lld..%lld)", name,
                 v, (long long)min, (long long)max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

int config_load_environment(struct config *c, char *err, size_t err_size)
{
    const char *reg = getenv("WARDEN_REGISTRATIONS");
    if (reg && *reg) {
        if (strcmp(reg, "1") == 0 || strcmp(reg, "true") == 0 || strcmp(reg, "yes") == 0) {
            c->registrations = true;
        } else if (strcmp(reg, "0") == 0 || strcmp(reg, "false") == 0 || strcmp(reg, "no") == 0) {
            c->registrations = false;
        } else {
            snprintf(err, err_size, "WARDEN_REGISTRATIONS: invalid value '%s' (expected 0 or 1)", reg);
            return -1;
        }
    }
    if (env_int("WARDEN_GAME_ACCESS_TTL", 10, 86400, &c->game_access_ttl_s, err, err_size) < 0 ||
        env_int("WARDEN_GAME_REFRESH_TTL", 60, 365 * 86400, &c->game_refresh_ttl_s, err, err_size) < 0)
        return -1;

    const char *secret = getenv("WARDEN_SECRET");
    const char *file = getenv("WARDEN_SECRET_FILE");
    if (secret && *secret) {
        size_t n = strlen(secret);
        if (n >= sizeof c->secret) {
            snprintf(err, err_size, "WARDEN_SECRET: longer than %lu bytes",
                     (unsigned long)sizeof c->secret - 1);
            return -1;
        }
        memcpy(c->secret, secret, n);
        c->secret_len = n;
    } else if (file && *file) {
        if (read_secret_file(c, file, err, err_size) < 0)
            return -1;
    } else {
        snprintf(err, err_size,
                 "no secret: set WARDEN_SECRET (or WARDEN_SECRET_FILE) to 32 random bytes or more, "
                 "e.g. `openssl rand -hex 32`");
        return -1;
    }
    if (c->secret_len < 32) {
        snprintf(err, err_size, "the secret is %lu bytes; at least 32 are required",
                 (unsigned long)c->secret_len);
        return -1;
    }
    return 0;
}

static int copy_string(char *dst, size_t size, const char *value)
{
    if (strlen(value) >= size)
        return -1;
    strcpy(dst, value);
    return 0;
}

static int int_option(const char *value, int64_t min, int64_t max, int64_t *out)
{
    return parse_int64(value, min, max, out);
}

/* Validate and store one option; on error, a message naming the option. */
static int apply(struct config *c, const struct option_desc *o, const char *value, char *err,
                 size_t err_size, const char *source)
{
    int64_t n;
    switch (o->id) {
    case OPT_LISTEN:
        if (strncmp(value, "unix:", 5) == 0) {
            if (value[5] != '/' || copy_string(c->listen, sizeof c->listen, value) < 0 ||
                strlen(value + 5) >= 108)
                goto bad_listen;
            return 0;
        }
        {
            /* HOST:PORT with a port in range; an empty host means every address. */
            const char *colon = strrchr(value, ':');
            int64_t port;
            if (!colon || parse_int64(colon + 1, 1, 65535, &port) < 0 ||
                copy_string(c->listen, sizeof c->listen, value) < 0)
                goto bad_listen;
        }
        return 0;
    bad_listen:
        snprintf(err, err_size,
                 "%sinvalid %s '%s' (expected unix:/absolute/path or HOST:PORT)", source,
                 o->flag, value);
        return -1;
    case OPT_WORKERS:
        if (int_option(value, 1, CONFIG_MAX_WORKERS, &n) < 0)
            goto bad_range;
        c->workers = (int)n;
        return 0;
    case OPT_MAX_REQUESTS:
        if (int_option(value, 0, 1000000000, &n) < 0)
            goto bad_range;
        c->max_requests = (long)n;
        return 0;
    case OPT_REQUEST_TIMEOUT:
        if (int_option(value, 1, 86400, &n) < 0)
            goto bad_range;
        c->request_timeout_s = (int)n;
        return 0;
    case OPT_SLOW_MS:
        if (int_option(value, 0, 86400000, &n) < 0)
            goto bad_range;
        c->slow_ms = (int)n;
        return 0;
    case OPT_SHUTDOWN_TIMEOUT:
        if (int_option(value, 0, 3600, &n) < 0)
            goto bad_range;
        c->shutdown_timeout_s = (int)n;
        return 0;
    case OPT_HOST_ID:
        if (int_option(value, 0, 31, &n) < 0)
            goto bad_range;
        c->host_id = (int)n;
        return 0;
    case OPT_MONGODB_URI: {
        bson_error_t e;
        mongoc_uri_t *uri = mongoc_uri_new_with_error(value, &e);
        if (!uri) {
            snprintf(err, err_size, "%sinvalid %s: %s", source, o->flag, e.message);
            return -1;
        }
        mongoc_uri_destroy(uri);
        if (copy_string(c->mongodb_uri, sizeof c->mongodb_uri, value) < 0) {
            snprintf(err, err_size, "%s%s is too long", source, o->flag);
            return -1;
        }
        return 0;
    }
    case OPT_LISTEN_OWNER: {
        struct passwd *pw = getpwnam(value);
        if (!pw && int_option(value, 0, 0x7fffffff, &n) == 0) {
            c->listen_uid = (uid_t)n;
        } else if (!pw) {
            snprintf(err, err_size, "%sunknown user '%s' for %s", source, value, o->flag);
            return -1;
        } else {
            c->listen_uid = pw->pw_uid;
        }
        c->listen_owner_set = true;
        return 0;
    }
    case OPT_LISTEN_GROUP: {
        struct group *gr = getgrnam(value);
        if (!gr && int_option(value, 0, 0x7fffffff, &n) == 0) {
            c->listen_gid = (gid_t)n;
        } else if (!gr) {
            snprintf(err, err_size, "%sunknown group '%s' for %s", source, value, o->flag);
            return -1;
        } else {
            c->listen_gid = gr->gr_gid;
        }
        c->listen_group_set = true;
        return 0;
    }
    case OPT_LISTEN_MODE: {
        char *end;
        errno = 0;
        unsigned long mode = strtoul(value, &end, 8);
        if (!*value || *end || errno || mode > 0777 || strspn(value, "01234567") != strlen(value)) {
            snprintf(err, err_size, "%sinvalid %s '%s' (expected octal, e.g. 0660)", source,
                     o->flag, value);
            return -1;
        }
        c->listen_mode = (unsigned)mode;
        return 0;
    }
    case OPT_LOG_LEVEL:
        if (log_level_parse(value, &c->log_level) < 0) {
            snprintf(err, err_size, "%sinvalid %s '%s' (expected debug, info, warn or error)",
                     source, o->flag, value);
            return -1;
        }
        return 0;
    case OPT_LOG_FILE:
        if (copy_string(c->log_file, sizeof c->log_file, strcmp(value, "-") ? value : "") < 0) {
            snprintf(err, err_size, "%s%s is too long", source, o->flag);
            return -1;
        }
        return 0;
    }
    return 0;
bad_range: {
    static const struct { enum option_id id; const char *range; } ranges[] = {
        {OPT_WORKERS, "1..15"}, {OPT_MAX_REQUESTS, "0..1000000000"},
        {OPT_REQUEST_TIMEOUT, "1..86400"}, {OPT_SLOW_MS, "0..86400000"},
        {OPT_SHUTDOWN_TIMEOUT, "0..3600"}, {OPT_HOST_ID, "0..31"},
    };
    const char *range = "";
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (ranges[i].id == o->id)
            range = ranges[i].range;
    snprintf(err, err_size, "%sinvalid %s '%s' (expected an integer in %s)", source,
             o->flag, value, range);
    return -1;
}
}

int config_parse(struct config *c, int argc, char **argv, char *err, size_t err_size)
{
    const size_t n_options = sizeof options / sizeof options[0];
    for (size_t i = 0; i < n_options; i++) {
        const char *value = getenv(options[i].env);
        char source[64];
        snprintf(source, sizeof source, "%s: ", options[i].env);
        if (value && *value && apply(c, &options[i], value, err, err_size, source) < 0)
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (strcmp(arg, "--version") == 0) {
            puts("warden " WARDEN_VERSION);
            return 1;
        }
        const struct option_desc *o = NULL;
        const char *value = NULL;
        for (size_t k = 0; k < n_options; k++) {
            size_t len = strlen(options[k].flag);
            if (strncmp(arg, options[k].flag, len) == 0 && (arg[len] == '\0' || arg[len] == '=')) {
                o = &options[k];
                value = arg[len] == '=' ? arg + len + 1 : NULL;
                break;
            }
        }
        if (!o) {
            snprintf(err, err_size, "unknown option '%s' (see --help)", arg);
            return -1;
        }
        if (!value) {
            if (i + 1 >= argc) {
                snprintf(err, err_size, "option %s needs a value", o->flag);
                return -1;
            }
            value = argv[++i];
        }
        if (apply(c, o, value, err, err_size, "") < 0)
            return -1;
    }
    return 0;
}
