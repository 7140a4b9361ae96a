/*
 * listener: the pool's listening socket.
 *
 * Opened by the master before any worker exists (libfcgi's FCGX_OpenSocket is
 * not used: it exits on a bind failure, is IPv4-only and deletes socket files),
 * or inherited from systemd (LISTEN_FDS, fd 3) or spawn-fcgi (fd 0).
 */
#ifndef WARDEN_LISTENER_H
#define WARDEN_LISTENER_H

#include <stddef.h>

#include "warden/config.h"

/** Returns how the socket was obtained, for the start-up log line. */
struct listener {
    int fd;
    int is_unix;
    char description[600];
};

/**
 * Open cfg->listen, or inherit a socket when cfg->listen is empty.
 * A unix socket gets cfg's owner, group and mode; a stale socket file (no one
 * listening) is replaced, a live one is an error. Returns 0, or -1 with a
 * one-line reason in err.
 */
int listener_open(const struct config *cfg, struct listener *out, char *err, size_t err_size);

/** Accept-queue length of a TCP listener (-1 when unknown, e.g. unix sockets). */
int listener_queue_length(const struct listener *l);

/** Close the socket and remove a unix socket file that this process created. */
void listener_close(struct listener *l);

#endif
