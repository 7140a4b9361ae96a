/*
 * api: the HTTP handlers, one source file per resource family under src/api/,
 * and the route table that maps them (src/api/routes.c).
 *
 * Handlers parse and validate input, call the store, render output. They never
 * see libfcgi and never build queries.
 */
#ifndef WARDEN_API_H
#define WARDEN_API_H

#include <stddef.h>

#include "warden/router.h"

extern const struct route api_routes[];
extern const size_t api_routes_count;

/* src/api/health.c */
void api_healthz(struct app *app, struct request *req, struct response *res);
/* src/api/status.c */
void api_status(struct app *app, struct request *req, struct response *res);

#endif
