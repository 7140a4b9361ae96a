/*
 * fastcgi: libfcgi to request/response and back (see include/warden/fastcgi.h).
 */
#include "warden/fastcgi.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/mem.h"

/* Read past the limit, discarding, up to this much; beyond it the connection
 * is simply finished (nginx's own client_max_body_size is 1 MiB anyway). */
#define BODY_DRAIN_MAX (16u * 1024 * 1024)
/* What a body of unknown length starts with, and what bytes past a full
 * buffer are read into before the buffer grows. */
#define BODY_CHUNK (16u * 1024)

/*
 * libfcgi 2.4 reads each connection through a buffer of its own (8 KiB, on
 * the heap, freed unwiped by FCGX_Finish_r) that holds the last records read,
 * body bytes included. Its state, FCGX_Stream_Data, is private to fcgiapp.c
 * but has begun {unsigned char *buff; int bufflen; ...} since libfcgi 2.0;
 * the buffer is wiped only when the stream's public pointers lie inside it,
 * so a libfcgi laid out otherwise is left alone rather than written to.
 */
struct fcgx_stream_data_head {
    unsigned char *buff;
    int bufflen;
};

static void wipe_stream_buffer(FCGX_Stream *in)
{
    const struct fcgx_stream_data_head *d = in->data;
    if (!d || !d->buff || d->bufflen <= 0)
        return;
    uintptr_t lo = (uintptr_t)d->buff, hi = lo + (uintptr_t)d->bufflen;
    uintptr_t unget = (uintptr_t)in->stopUnget, next = (uintptr_t)in->rdNext,
              stop = (uintptr_t)in->stop;
    if (lo <= unget && unget <= next && next <= stop && stop <= hi)
        mem_wipe(d->buff, (size_t)d->bufflen);
}

/* A copy of the len bytes of body in a new arena buffer of capacity cap (+1
 * for the NUL); the old one is wiped, since the arena keeps it until reset. */
static char *body_regrow(struct arena *a, char *body, size_t len, size_t cap)
{
    char *bigger = arena_alloc(a, cap + 1);
    if (len) {
        memcpy(bigger, body, len);
        mem_wipe(body, len);
    }
    return bigger;
}

void fastcgi_read_request(FCGX_Request *fr, struct request *req, struct arena *a, size_t body_limit)
{
    request_from_params(req, fr->envp, a);

    /* Sized as announced; what arrives decides, as before: a body longer
     * than CONTENT_LENGTH (or with none) grows the buffer, up to the limit;
     * past the limit it is drained and refused, whatever was announced. */
    size_t cap = request_body_capacity(FCGX_GetParam("CONTENT_LENGTH", fr->envp), body_limit);
    char *body = cap ? arena_alloc(a, cap + 1) : NULL;
    size_t len = 0, total = 0;
    char chunk[BODY_CHUNK];
    for (;;) {
        /* Straight into the buffer while it has room; beyond, into chunk. */
        bool direct = len < cap;
        size_t room = direct ? cap - len : sizeof chunk;
        if (room > INT_MAX)
            room = INT_MAX;
        int n = FCGX_GetStr(direct ? body + len : chunk, (int)room, fr->in);
        if (n <= 0)
            break;
        total += (size_t)n;
        if (direct) {
            len += (size_t)n;
        } else if (total <= body_limit) {
            size_t grown = cap * 2 > BODY_CHUNK ? cap * 2 : BODY_CHUNK;
            if (grown > body_limit)
                grown = body_limit;
            if (grown < len + (size_t)n)
                grown = len + (size_t)n;
            body = body_regrow(a, body, len, grown);
            cap = grown;
            memcpy(body + len, chunk, (size_t)n);
            len += (size_t)n;
        }
        if (total > BODY_DRAIN_MAX)
            break;
    }
    /* The body may carry a password: no copy outlives its use but the
     * request's own, which the worker wipes when the request ends. */
    mem_wipe(chunk, sizeof chunk);
    wipe_stream_buffer(fr->in);
    if (total > body_limit) {
        if (body)
            mem_wipe(body, len);
        if (req->problem == REQUEST_OK)
            req->problem = REQUEST_BODY_TOO_LARGE;
        return;
    }
    if (body) {
        body[len] = '\0';
        req->body = body;
        req->body_len = len;
    }
}

void fastcgi_write_response(FCGX_Request *fr, const struct request *req, const struct response *res)
{
    char head[512];
    int n;
    if (res->status == 204) {
        n = snprintf(head, sizeof head, "Status: 204 No Content\r\nX-Request-Id: %s\r\n",
                     req->request_id);
    } else {
        n = snprintf(head, sizeof head,
                     "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %lu\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "X-Request-Id: %s\r\n",
                     res->status, response_reason(res->status), res->content_type,
                     (unsigned long)res->body.len, req->request_id);
    }
    if (n < 0 || (size_t)n >= sizeof head)
        n = (int)strlen(head);
    FCGX_PutStr(head, n, fr->out);
    if (res->headers.len)
        FCGX_PutStr(res->headers.data, (int)res->headers.len, fr->out);
    FCGX_PutStr("\r\n", 2, fr->out);
    if (res->status != 204 && res->body.len && strcmp(req->method, "HEAD") != 0)
        FCGX_PutStr(res->body.data, (int)res->body.len, fr->out);
}
