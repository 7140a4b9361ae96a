/*
 * response: the answer being built (see include/warden/response.h).
 */
#include "warden/response.h"

#include <string.h>

void response_init(struct response *r)
{
    memset(r, 0, sizeof *r);
    r->content_type = "application/json";
}

void response_reset(struct response *r)
{
    r->status = 0;
    r->content_type = "application/json";
    r->db_failed = false;
    buf_reset(&r->body);
    buf_reset(&r->headers);
}

void response_free(struct response *r)
{
    buf_free(&r->body);
    buf_free(&r->headers);
}

void response_header(struct response *r, const char *name, const char *value)
{
    if (strpbrk(name, "\r\n") || strpbrk(value, "\r\n"))
        return;
    buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

void response_json(struct response *r, int status, struct jsonw *w)
{
    r->status = status;
    r->content_type = "application/json";
    buf_reset(&r->body);
    jsonw_init(w, &r->body);
}

void response_no_content(struct response *r)
{
    r->status = 204;
    buf_reset(&r->body);
}

void response_text(struct response *r, int status, const char *content_type)
{
    r->status = status;
    r->content_type = content_type;
    buf_reset(&r->body);
}

const char *response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}
