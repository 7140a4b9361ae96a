/*
 * fcgi_client: the smallest FastCGI client, for wardenctl to read the pool's
 * own /status straight from its socket (no nginx needed, so it works where
 * nginx exposes nothing). One GET request, one connection.
 */
#ifndef WARDEN_FCGI_CLIENT_H
#define WARDEN_FCGI_CLIENT_H

#include <stddef.h>

#include "warden/buf.h"

/**
 * GET uri from the pool listening on listen ("unix:/path" or "host:port").
 * Fills *status (from the Status header, 200 when absent) and body. Returns
 * 0, or -1 with a one-line reason in err. Gives up after timeout_ms.
 */
int fcgi_client_get(const char *listen, const char *uri, int timeout_ms, int *status,
                    struct buf *body, char *err, size_t err_size);

#endif
