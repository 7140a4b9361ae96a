/*
 * config: the pool's settings, from command-line flags and their WARDEN_*
 * environment equivalents (a flag wins over the environment).
 *
 * One table (config_options) describes every setting: flag, variable, type,
 * range, default and help. The defaults, the environment lookup, the
 * getopt_long parser, the validation, `warden --help` and README.md's
 * table (checked by tests/unit/config_test.c) all come from it.
 * Parsing only validates and stores; nothing here opens sockets.
 */
#ifndef WARDEN_CONFIG_H
#define WARDEN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "warden/log.h"

/* The release, as `warden --version` and `wardenctl --version` print it. */
#define WARDEN_VERSION "0.1.0"

/* The scoreboard needs a slot per worker twice over during a rolling restart,
 * and snowflake ids carry the slot in 5 bits with 31 kept for wardenctl
 * (see snowflake.h): 15 workers use slots 0..29. */
#define CONFIG_MAX_WORKERS 15

/* How the master sizes the pool (PHP-FPM's pm): see config.c's --pm. */
enum pool_mode { POOL_STATIC, POOL_DYNAMIC, POOL_ONDEMAND };

struct config {
    char listen[512];          /* "unix:/path" or "host:port"; "" = inherited socket */
    int workers;
    enum pool_mode pm;
    int workers_min;           /* dynamic */
    int workers_max;           /* dynamic, ondemand; 0 until config_check: --workers */
    int spare_min, spare_max;  /* dynamic: idle workers kept */
    int idle_timeout_s;        /* dynamic, ondemand */
    long max_requests;         /* 0 = never recycle */
    int request_timeout_s;
    int slow_ms;               /* 0 = off */
    int shutdown_timeout_s;    /* bound on a graceful stop */
    char mongodb_uri[1024];
    bool listen_owner_set, listen_group_set;
    uid_t listen_uid;
    gid_t listen_gid;
    unsigned listen_mode;
    enum log_level log_level;
    char log_file[1024];       /* "" = stderr */
    int host_id;               /* 0..31, the snowflake worker field */
    size_t body_limit;         /* bytes */
    bool registrations;        /* WARDEN_REGISTRATIONS: open POST /auth/register */
    int game_access_ttl_s;     /* WARDEN_GAME_ACCESS_TTL (default 300) */
    int game_refresh_ttl_s;    /* WARDEN_GAME_REFRESH_TTL (default 7 days) */
    unsigned char secret[256]; /* WARDEN_SECRET or WARDEN_SECRET_FILE */
    size_t secret_len;
};

/** How a value is read and checked. */
enum config_type {
    CONFIG_INT,        /* a decimal integer in min..max, into an int */
    CONFIG_LONG,       /* the same, into a long */
    CONFIG_BOOL,       /* 0/1, false/true, no/yes */
    CONFIG_LISTEN,     /* unix:/absolute/path or HOST:PORT */
    CONFIG_MONGODB_URI,
    CONFIG_USER,       /* a user name or uid */
    CONFIG_GROUP,      /* a group name or gid */
    CONFIG_MODE,       /* octal, up to 0777 */
    CONFIG_LOG_LEVEL,
    CONFIG_LOG_FILE,   /* a path; "-" is stderr */
    CONFIG_SECRET,     /* min..max bytes, from the variable or the file env_file names */
    CONFIG_PM,         /* static, dynamic or ondemand */
};

struct config_option {
    const char *flag;          /* "--workers"; NULL: environment only (config_load_environment) */
    const char *env;           /* its WARDEN_* variable */
    const char *env_file;      /* a variable naming a file that holds the value, or NULL */
    const char *metavar;       /* the value's name in --help */
    enum config_type type;
    long long min, max;        /* CONFIG_INT, CONFIG_LONG: the range; CONFIG_SECRET: bytes */
    bool required;             /* no default: it must be set */
    const char *default_value; /* applied by config_defaults as if set; NULL: none or computed */
    const char *default_text;  /* shown instead of default_value (Markdown), or NULL */
    const char *help;          /* one sentence or two, Markdown (`code`, **bold**) */
    size_t offset, size;       /* the field of struct config it sets */
};

/** The table of every setting, in --help's and README.md's order; *n gets its length. */
const struct config_option *config_options(size_t *n);

/**
 * The option's accepted values for README.md's table ("1..15", "debug, info,
 * warn, error", ...), Markdown, into out. Returns out.
 */
const char *config_option_values(const struct config_option *o, char *out, size_t size);

/** One row of README.md's configuration table for o, into out (>= 1024 bytes). Returns out. */
const char *config_option_markdown(const struct config_option *o, char *out, size_t size);

/** Defaults: every default_value of the table, and the CPU count for --workers. */
void config_defaults(struct config *c);

/**
 * Apply the WARDEN_* variables of the options that have a flag, then the
 * flags (getopt_long; --flag VALUE or --flag=VALUE, no abbreviations, a
 * later flag wins). On a bad value, writes one line into err and returns -1
 * (the caller exits with status 2). Returns 1 when --help or --version was
 * printed (the caller exits 0), else 0. With argc 1 only the environment is
 * read (wardenctl does so).
 */
int config_parse(struct config *c, int argc, char **argv, char *err, size_t err_size);

/**
 * Apply the environment-only options (no flag): the server secret from
 * WARDEN_SECRET or the file named by WARDEN_SECRET_FILE (trailing newline
 * ignored; required, 32 bytes or more), WARDEN_REGISTRATIONS and the game
 * token lifetimes. Returns 0, or -1 with a one-line reason in err.
 */
int config_load_environment(struct config *c, char *err, size_t err_size);

/**
 * After parsing: check the settings that bound one another (the pool
 * mode's sizes) and resolve --workers-max's default (--workers). Returns 0,
 * or -1 with one line in err.
 */
int config_check(struct config *c, char *err, size_t err_size);

/** "static", "dynamic", "ondemand". */
const char *config_pm_name(enum pool_mode pm);

/** The --help text, generated from the table (plain text, wrapped at 80 columns). */
const char *config_usage(void);

#endif
