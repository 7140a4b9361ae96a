/*
 * config: the pool's settings, from command-line flags and their WARDEN_*
 * environment equivalents (a flag wins over the environment).
 *
 * Parsing only validates and stores; nothing here opens files or sockets.
 */
#ifndef WARDEN_CONFIG_H
#define WARDEN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "warden/log.h"

/* The scoreboard needs a slot per worker twice over during a rolling restart,
 * and snowflake ids carry the slot in 5 bits with 31 kept for wardenctl
 * (see snowflake.h): 15 workers use slots 0..29. */
#define CONFIG_MAX_WORKERS 15

struct config {
    char listen[512];          /* "unix:/path" or "host:port"; "" = inherited socket */
    int workers;
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

/** Defaults: see config.c and `warden --help`. */
void config_defaults(struct config *c);

/**
 * Apply WARDEN_* variables, then flags. On a bad value, writes one line into
 * err and returns -1 (the caller exits with status 2). Returns 1 when --help
 * or --version was printed (the caller exits 0), else 0.
 */
int config_parse(struct config *c, int argc, char **argv, char *err, size_t err_size);

/**
 * Read the server secret from WARDEN_SECRET or the file named by
 * WARDEN_SECRET_FILE (trailing newline ignored) and the other environment-only
 * settings. A secret shorter than 32 bytes is refused. Returns 0, or -1 with
 * a one-line reason in err.
 */
int config_load_environment(struct config *c, char *err, size_t err_size);

/** The --help text. */
const char *config_usage(void);

#endif
