/*
 * warden: the pool binary. Parses the configuration, opens (or inherits) the
 * listening socket, and hands over to the master loop in pool.c.
 */
#include <errno.h>
#include <mongoc/mongoc.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "warden/config.h"
#include "warden/store/db.h"
#include "warden/listener.h"
#include "warden/log.h"
#include "warden/pool.h"

int main(int argc, char **argv)
{
    struct config cfg;
    config_defaults(&cfg);
    char err[512];
    int rc = config_parse(&cfg, argc, argv, err, sizeof err);
    if (rc > 0)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "warden: %s\n", err);
        return 2;
    }
    if (config_load_environment(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "warden: %s\n", err);
        return 2;
    }
    /* cfg.secret stays in the master for its whole life, unwiped: the master
     * forks every worker, and each fork (at start, on respawn after a crash,
     * on recycling after --max-requests and on SIGHUP) hands the new worker
     * its copy of cfg, secret included. The master itself never uses it. */
    if (sodium_init() < 0) {
        fprintf(stderr, "warden: libsodium failed to initialise\n");
        return 1;
    }
    if (log_open(cfg.log_file, cfg.log_level) < 0) {
        fprintf(stderr, "warden: cannot open log file %s: %s\n", cfg.log_file, strerror(errno));
        return 2;
    }
    struct listener listener;
    if (listener_open(&cfg, &listener, err, sizeof err) < 0) {
        fprintf(stderr, "warden: %s\n", err);
        return 1;
    }
    /* Global driver set-up only: every worker makes its own client after
     * fork, and the master's one client (the schema, in pool_run) is
     * destroyed before the first fork. */
    db_route_driver_log(); /* before init: its messages too */
    mongoc_init();
    rc = pool_run(&cfg, &listener);
    mongoc_cleanup();
    return rc;
}
