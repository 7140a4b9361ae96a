/*
 * fastcgi: the only module that speaks libfcgi.
 *
 * Reads an accepted FastCGI request into a request value and writes a
 * response back as CGI-style headers and body. Everything above it (app,
 * router, handlers) works on struct request and struct response only.
 */
#ifndef WARDEN_FASTCGI_H
#define WARDEN_FASTCGI_H

#include <fcgiapp.h>
#include <stddef.h>

#include "warden/request.h"
#include "warden/response.h"

struct arena;

/**
 * Build req from fr's parameters and body. The body's buffer, in a, is
 * sized from CONTENT_LENGTH (request_body_capacity) and grows if more
 * arrives than was announced; a body over body_limit bytes is drained (so
 * nginx is not cut off mid-send) and marked REQUEST_BODY_TOO_LARGE, however
 * long it claimed to be. Every copy of the body but req->body is wiped
 * before this returns (req->body is the caller's to wipe: request_wipe_body).
 */
void fastcgi_read_request(FCGX_Request *fr, struct request *req, struct arena *a, size_t body_limit);

/** Write status, headers and body (no body for HEAD). */
void fastcgi_write_response(FCGX_Request *fr, const struct request *req, const struct response *res);

#endif
