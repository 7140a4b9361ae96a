/*
 * request: FastCGI parameters to a request value (see include/warden/request.h).
 *
 * The URI comes from REQUEST_URI as the client sent it (nginx's $uri is
 * already normalised, which would hide what the client asked for); it is
 * split at '?', the path percent-decoded strictly, the query parsed into
 * decoded pairs.
 */
#include "warden/request.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "warden/arena.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/parse.h"

char *request_percent_decode(struct arena *a, const char *src, size_t len, bool plus_as_space)
{
    char *out = arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            unsigned char byte;
            if (i + 2 >= len ||
                sodium_hex2bin(&byte, 1, src + i + 1, 2, NULL, NULL, NULL) != 0)
                return NULL;
            c = (char)byte;
            i += 2;
        } else if (c == '+' && plus_as_space) {
            c = ' ';
        }
        if (c == '\0')
            return NULL;
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

int request_parse_urlencoded(struct arena *a, const char *s, size_t len, struct query_param *params,
                             size_t max)
{
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && s[i] != '&')
            i++;
        size_t end = i;
        if (i < len)
            i++; /* skip '&' */
        if (end == start)
            continue; /* "a=1&&b=2" */
        const char *eq = memchr(s + start, '=', end - start);
        size_t name_len = eq ? (size_t)(eq - (s + start)) : end - start;
        if (n >= max)
            return -2;
        char *name = request_percent_decode(a, s + start, name_len, true);
        const char *value = "";
        if (eq) {
            value = request_percent_decode(a, eq + 1, (size_t)(s + end - eq - 1), true);
        }
        if (!name || !value)
            return -1;
        params[n].name = name;
        params[n].value = value;
        n++;
    }
    return (int)n;
}

enum realm request_realm_of(const char *path)
{
    if (strncmp(path, "/api/v1/", 8) == 0 || strcmp(path, "/api/v1") == 0 ||
        strncmp(path, "/api/oauth/", 11) == 0 || strcmp(path, "/api/oauth") == 0)
        return REALM_GAME;
    return REALM_CHAT;
}

/* A request id is echoed in logs and error bodies: only short plain tokens pass. */
static bool is_token(const char *s, size_t max)
{
    if (!s || !*s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= max || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                          (c >= 'A' && c <= 'Z') || c == '-'))
            return false;
    }
    return true;
}

/* A parameter's value copied into the arena (libfcgi frees its own copy when
 * the request is finished, before the access log line is written). */
static const char *param_value(char *const *params, const char *name, struct arena *a)
{
    size_t len = strlen(name);
    for (char *const *p = params; p && *p; p++)
        if (strncmp(*p, name, len) == 0 && (*p)[len] == '=')
            return arena_strdup(a, *p + len + 1);
    return NULL;
}

void request_from_params(struct request *r, char *const *params, struct arena *a)
{
    memset(r, 0, sizeof *r);
    r->arena = a;
    r->body = "";

    const char *method = param_value(params, "REQUEST_METHOD", a);
    r->method = method && *method ? method : "GET";
    r->authorization = param_value(params, "HTTP_AUTHORIZATION", a);
    r->content_type = param_value(params, "CONTENT_TYPE", a);
    if (r->content_type && !*r->content_type)
        r->content_type = NULL;
    r->accept = param_value(params, "HTTP_ACCEPT", a);
    r->remote_addr = param_value(params, "REMOTE_ADDR", a);
    r->request_id = param_value(params, "REQUEST_ID", a);
    if (!is_token(r->request_id, 64)) {
        static unsigned long counter;
        /* The pid keeps ids of workers generating in the same millisecond apart. */
        r->request_id = arena_printf(a, "w%ld-%lx-%lu", (long)getpid(),
                                     (unsigned long)clock_wall_ms(), ++counter);
    }

    const char *uri = param_value(params, "REQUEST_URI", a);
    if (!uri || !*uri) {
        /* Without REQUEST_URI (a bare FastCGI client), fall back to the CGI pair. */
        const char *script = param_value(params, "SCRIPT_NAME", a);
        const char *qs = param_value(params, "QUERY_STRING", a);
        uri = arena_printf(a, "%s%s%s", script ? script : "/", qs && *qs ? "?" : "", qs ? qs : "");
    }
    r->path = "/";
    r->realm = REALM_CHAT;
    size_t uri_len = strlen(uri);
    if (uri_len > REQUEST_URI_MAX || uri[0] != '/') {
        r->problem = REQUEST_BAD_URI;
        return;
    }
    const char *q = memchr(uri, '?', uri_len);
    size_t path_len = q ? (size_t)(q - uri) : uri_len;
    char *path = request_percent_decode(a, uri, path_len, false);
    if (!path) {
        /* Still answer in the shape of the API the client was calling. */
        r->realm = request_realm_of(uri);
        r->problem = REQUEST_BAD_URI;
        return;
    }
    r->path = path;
    r->realm = request_realm_of(path);
    if (q) {
        int n = request_parse_urlencoded(a, q + 1, uri_len - path_len - 1, r->query,
                                         REQUEST_QUERY_PARAMS_MAX);
        if (n < 0) {
            r->problem = n == -2 ? REQUEST_TOO_MANY_PARAMS : REQUEST_BAD_URI;
            return;
        }
        r->n_query = (size_t)n;
    }
}

void request_set_body(struct request *r, const char *body, size_t len)
{
    r->body = arena_strndup(r->arena, body, len);
    r->body_len = len;
}

size_t request_body_capacity(const char *content_length, size_t limit)
{
    int64_t n;
    /* parse_int64: digits only, no sign but '-', which the range refuses. */
    if (!content_length || parse_int64(content_length, 0, INT64_MAX, &n) < 0 ||
        (uint64_t)n > limit)
        return 0;
    return (size_t)n;
}

void request_wipe_body(struct request *r)
{
    /* Zero bytes means r->body may be the literal "", which is not ours to write. */
    if (r->body_len)
        mem_wipe((char *)r->body, r->body_len);
}

const char *request_query(const struct request *r, const char *name)
{
    for (size_t i = 0; i < r->n_query; i++)
        if (strcmp(r->query[i].name, name) == 0)
            return r->query[i].value;
    return NULL;
}

const char *request_param(const struct request *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}
