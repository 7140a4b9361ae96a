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
 * and snowflake ids carry the slot in 5 bits (see snowflake.h). */
#define CONFIG_MAX_WORKERS 16

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
};

/** Defaults: see config.c and `warden --help`. */
void config_defaults(struct config *c);

/**
 * Apply WARDEN_* variables, then flags. On a bad value, writes one line into
 * err and returns -1 (the caller exits with status 2). Returns 1 when --help
 * or --version was printed (the caller exits 0), else 0.
 */
int config_parse(struct config *c, int argc, char **argv, char *err, size_t err_size);

/** The --help text. */
const char *config_usage(void);

#endif
