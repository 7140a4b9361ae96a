/*
 * fastcgi: libfcgi to request/response and back (see include/warden/fastcgi.h).
 */
#include "warden/fastcgi.h"

#include <stdio.h>
#include <string.h>

#include "warden/arena.h"

/* Read past the limit, discarding, up to this much; beyond it the connection
 * is simply finished (nginx's own client_max_body_size is 1 MiB anyway). */
#define BODY_DRAIN_MAX (16u * 1024 * 1024)

void fastcgi_read_request(FCGX_Request *fr, struct request *req, struct arena *a, size_t body_limit)
{
    request_from_params(req, fr->envp, a);

    char *body = NULL;
    size_t len = 0, total = 0;
    char chunk[16384];
    for (;;) {
        int n = FCGX_GetStr(chunk, (int)sizeof chunk, fr->in);
        if (n <= 0)
            break;
        total += (size_t)n;
        if (total <= body_limit) {
            if (!body)
                body = arena_alloc(a, body_limit + 1);
            memcpy(body + len, chunk, (size_t)n);
            len += (size_t)n;
        }
        if (total > BODY_DRAIN_MAX)
            break;
    }
    if (total > body_limit) {
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
