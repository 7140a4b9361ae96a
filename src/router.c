/*
 * router: match a request against the route table (see include/warden/router.h).
 *
 * A linear scan: the table has a few dozen entries and each comparison stops
 * at the first differing segment, which is cheaper than building a tree.
 *
 * Literal segments compare byte for byte: no case folding, and an empty or
 * dot segment ("//", "/./", "/../") matches nothing. The only latitude is one
 * trailing slash and the v7-v9 aliases, and nginx's rate limit on the routes
 * that hash a password is drawn around exactly that (nginx/warden-http.conf,
 * $warden_auth_client, matches the path nginx normalised, so anything laxer
 * here must stay under its prefixes).
 */
#include "warden/router.h"

#include <stdbool.h>
#include <string.h>

#include "warden/arena.h"

/*
 * Match path (length len) against pattern; on success store captures in req
 * (strings copied into the request's arena) when capture is true.
 */
static bool match_pattern(const char *pattern, const char *path, size_t len, struct request *req,
                          bool capture)
{
    const char *p = pattern;
    size_t i = 0;
    size_t n_params = 0;
    while (*p && i < len) {
        if (*p != '/' || path[i] != '/')
            return false;
        p++;
        i++;
        const char *seg_end = strchr(p, '/');
        size_t pat_len = seg_end ? (size_t)(seg_end - p) : strlen(p);
        size_t seg_len = 0;
        while (i + seg_len < len && path[i + seg_len] != '/')
            seg_len++;
        if (pat_len >= 2 && p[0] == '{' && p[pat_len - 1] == '}') {
            if (seg_len == 0 || n_params >= REQUEST_PATH_PARAMS_MAX)
                return false;
            if (capture) {
                req->params[n_params].name = arena_strndup(req->arena, p + 1, pat_len - 2);
                req->params[n_params].value = arena_strndup(req->arena, path + i, seg_len);
            }
            n_params++;
        } else if (pat_len != seg_len || memcmp(p, path + i, seg_len) != 0) {
            return false;
        }
        p += pat_len;
        i += seg_len;
    }
    if (*p || i != len)
        return false;
    if (capture)
        req->n_params = n_params;
    return true;
}

static void allow_add(char *allow, size_t size, const char *method)
{
    if (strstr(allow, method))
        return;
    size_t used = strlen(allow);
    size_t need = strlen(method) + (used ? 2 : 0);
    if (used + need + 1 > size)
        return;
    if (used)
        strcat(allow, ", ");
    strcat(allow, method);
}

enum router_result router_match(const struct route *routes, size_t n_routes, struct request *req,
                                const struct route **found, char *allow, size_t allow_size)
{
    const char *path = req->path;
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/')
        len--;

    /* /api/v7..v9/ are served by the v6 routes. */
    char aliased[REQUEST_URI_MAX + 1];
    if (len >= 7 && len <= REQUEST_URI_MAX && strncmp(path, "/api/v", 6) == 0 &&
        (path[6] == '7' || path[6] == '8' || path[6] == '9') && (path[7] == '/' || len == 7)) {
        memcpy(aliased, path, len);
        aliased[6] = '6';
        aliased[len] = '\0';
        path = aliased;
    }

    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    if (allow_size)
        allow[0] = '\0';
    bool path_known = false;
    for (size_t i = 0; i < n_routes; i++) {
        if (strcmp(routes[i].method, method) == 0) {
            if (match_pattern(routes[i].pattern, path, len, req, false)) {
                match_pattern(routes[i].pattern, path, len, req, true);
                *found = &routes[i];
                return ROUTER_FOUND;
            }
        } else if (match_pattern(routes[i].pattern, path, len, req, false)) {
            path_known = true;
            allow_add(allow, allow_size, routes[i].method);
            if (strcmp(routes[i].method, "GET") == 0)
                allow_add(allow, allow_size, "HEAD");
        }
    }
    return path_known ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}
