/*
 * response: status, headers and body that a handler produces.
 *
 * Handlers fill it; the worker turns it into FastCGI output. The body buffer
 * is kept across requests (reset, not freed) so steady-state serving does not
 * allocate for it.
 */
#ifndef WARDEN_RESPONSE_H
#define WARDEN_RESPONSE_H

#include "warden/buf.h"
#include "warden/jsonw.h"

struct response {
    int status;                 /* 0 until a handler answers */
    const char *content_type;   /* static string */
    struct buf body;
    struct buf headers;         /* extra "Name: value\r\n" lines */
    bool db_failed;             /* the answer is a database failure (for the route's counters) */
};

void response_init(struct response *r);
/** Forget the previous answer, keep the buffers. */
void response_reset(struct response *r);
void response_free(struct response *r);

/** Add a header line. name and value must not contain CR or LF. */
void response_header(struct response *r, const char *name, const char *value);

/** Start a JSON answer with the given status: w writes into r's body. */
void response_json(struct response *r, int status, struct jsonw *w);
/** 204 with no body. */
void response_no_content(struct response *r);
/** A non-JSON body (static content type, e.g. Prometheus text). */
void response_text(struct response *r, int status, const char *content_type);

/** Reason phrase of a status code ("OK", "Not Found", ...). */
const char *response_reason(int status);

#endif
