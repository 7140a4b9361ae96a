/*
 * warden: the pool binary. Parses the configuration, opens (or inherits) the
 * listening socket, and hands over to the master loop in pool.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <mongoc/mongoc.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/config.h"
#include "warden/store/db.h"
#include "warden/listener.h"
#include "warden/log.h"
#include "warden/pool.h"

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

/* Whether the socket accepts connections from other hosts: only nginx may
 * reach it (libfcgi's parser is not hardened; see README, Deployment). Read
 * from the socket itself, so that an inherited one is checked too. */
static bool beyond_loopback(int fd, char *addr, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        char ip[INET_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(addr, size, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
        return (ntohl(in->sin_addr.s_addr) >> 24) != 127;
    }
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        char ip[INET6_ADDRSTRLEN] = "";
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(addr, size, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return false;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            return in6->sin6_addr.s6_addr[12] != 127;
        return true;
    }
    return false; /* a unix socket: its mode guards it */
}

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
    if (config_load_environment(&cfg, err, sizeof err) < 0 ||
        config_check(&cfg, err, sizeof err) < 0) {
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
    if (env_set("WARDEN_SECRET") && env_set("WARDEN_SECRET_FILE"))
        log_warn("both WARDEN_SECRET and WARDEN_SECRET_FILE are set: WARDEN_SECRET is used, the "
                 "file is ignored; unset one");
    char addr[INET6_ADDRSTRLEN + 8];
    if (beyond_loopback(listener.fd, addr, sizeof addr))
        log_warn("listening on %s, beyond loopback: only nginx may reach this socket; allow "
                 "only nginx's hosts in the firewall (README, Deployment)",
                 addr);
    /* Global driver set-up only: every worker makes its own client after
     * fork, and the master's one client (the schema, in pool_run) is
     * destroyed before the first fork. */
    db_route_driver_log(); /* before init: its messages too */
    mongoc_init();
    rc = pool_run(&cfg, &listener);
    mongoc_cleanup();
    return rc;
}
