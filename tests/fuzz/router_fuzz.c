/*
 * router_fuzz: router_match against the service's real route table
 * (api_routes in src/api/routes.c).
 *
 * Input: a request line without the version, "METHOD PATH"; the path is the
 * decoded one the router sees, so it stops at a NUL byte. Without a space
 * the whole input is a GET's path.
 *
 * Properties: a found route has the request's method (GET for HEAD) and its
 * pattern, filled with the captures, spells the path back (less one trailing
 * slash, with /api/v7..v9 read as /api/v6); "method not allowed" lists the
 * methods in a 64-byte Allow value, as src/dispatch.c gives it; the answer does
 * not change with a trailing slash or the chat API's version alias.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "warden/api.h"
#include "warden/arena.h"
#include "warden/router.h"

static struct arena *arena;

struct outcome {
    enum router_result result;
    const struct route *route;
    char allow[64];
};

static struct outcome match(const char *method, const char *path, struct request *req)
{
    memset(req, 0, sizeof *req);
    req->method = method;
    req->path = path;
    req->arena = arena;
    struct outcome o = {0};
    o.result = router_match(api_routes, api_routes_count, req, &o.route, o.allow, sizeof o.allow);
    return o;
}

/* The pattern with its captures filled in, as a path. */
static void spell(const struct route *route, const struct request *req, char *out, size_t size)
{
    size_t o = 0, k = 0;
    for (const char *p = route->pattern; *p;) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            FUZZ_CHECK(close && k < req->n_params);
            FUZZ_CHECK(strlen(req->params[k].name) == (size_t)(close - p - 1) &&
                       memcmp(req->params[k].name, p + 1, (size_t)(close - p - 1)) == 0);
            size_t n = strlen(req->params[k].value);
            FUZZ_CHECK(o + n < size);
            memcpy(out + o, req->params[k].value, n);
            o += n;
            k++;
            p = close + 1;
        } else {
            FUZZ_CHECK(o + 1 < size);
            out[o++] = *p++;
        }
    }
    FUZZ_CHECK(k == req->n_params);
    out[o] = '\0';
}

static void check(const char *method, const char *path)
{
    struct request req;
    struct outcome o = match(method, path, &req);
    size_t len = strlen(path);

    /* What the router compares: one trailing slash less, v7..v9 as v6. */
    char *want = malloc(len + 1);
    memcpy(want, path, len + 1);
    if (len > 1 && want[len - 1] == '/')
        want[len - 1] = '\0';
    if (strlen(want) <= REQUEST_URI_MAX && strncmp(want, "/api/v", 6) == 0 && want[6] >= '7' &&
        want[6] <= '9' && (want[7] == '/' || want[7] == '\0'))
        want[6] = '6';

    switch (o.result) {
    case ROUTER_FOUND: {
        FUZZ_CHECK(o.route >= api_routes && o.route < api_routes + api_routes_count);
        const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
        FUZZ_CHECK(strcmp(o.route->method, m) == 0);
        FUZZ_CHECK(req.n_params <= REQUEST_PATH_PARAMS_MAX);
        for (size_t i = 0; i < req.n_params; i++) {
            FUZZ_CHECK(req.params[i].value[0] && !strchr(req.params[i].value, '/'));
            FUZZ_CHECK(request_param(&req, req.params[i].name) == req.params[i].value);
        }
        char *spelled = malloc(len + 64);
        spell(o.route, &req, spelled, len + 64);
        FUZZ_CHECK(strcmp(spelled, want) == 0);
        free(spelled);
        break;
    }
    case ROUTER_METHOD_NOT_ALLOWED:
        FUZZ_CHECK(o.allow[0] != '\0' && strlen(o.allow) < sizeof o.allow);
        FUZZ_CHECK(o.route == NULL);
        break;
    case ROUTER_NOT_FOUND:
        FUZZ_CHECK(o.route == NULL);
        break;
    default:
        FUZZ_CHECK(!"unknown router result");
    }

    /* The same answer for the normalised path, unless that still ends in a
     * slash (only one is ignored, so "/a//" and "/a/" differ). */
    size_t want_len = strlen(want);
    if (want_len <= 1 || want[want_len - 1] != '/') {
        struct request req2;
        struct outcome o2 = match(method, want, &req2);
        FUZZ_CHECK(o2.result == o.result && o2.route == o.route);
        FUZZ_CHECK(o.result == ROUTER_FOUND || strcmp(o2.allow, o.allow) == 0);
    }
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena)
        arena = arena_new();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *method = "GET";
    const char *path = text;
    char *space = strchr(text, ' ');
    if (space) {
        *space = '\0';
        method = text;
        path = space + 1;
    }
    check(method, path);
    free(text);
    arena_reset(arena);
    return 0;
}
