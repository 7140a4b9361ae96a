/*
 * request_fuzz: FastCGI parameters to a request, then through the real route
 * table, as src/fastcgi.c and src/dispatch.c do it.
 *
 * Input: "NAME=value" strings separated by NUL bytes, the last of which may
 * be unterminated (seeds: tests/fuzz/corpus/request/). Every parameter, with
 * or without '=', is handed over as libfcgi would.
 *
 * Properties: whatever the parameters, the request has a method, a path
 * starting with '/', a realm that matches its path, a plain request id, at
 * most REQUEST_QUERY_PARAMS_MAX decoded query pairs that request_query finds
 * again, and, after routing, captures that request_param finds again.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "warden/api.h"
#include "warden/arena.h"
#include "warden/request.h"
#include "warden/router.h"

static struct arena *arena;

static bool plain_token(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-'))
            return false;
    }
    return true;
}

static void check_request(const struct request *r)
{
    FUZZ_CHECK(r->method && r->method[0]);
    FUZZ_CHECK(r->path && r->path[0] == '/');
    FUZZ_CHECK(r->request_id && plain_token(r->request_id));
    FUZZ_CHECK(r->body && r->body_len == 0);
    FUZZ_CHECK(r->arena == arena);
    FUZZ_CHECK(r->n_params == 0);
    FUZZ_CHECK(r->content_type == NULL || r->content_type[0]);
    /* The realm follows the decoded path; a path that could not be decoded
     * (left as "/") keeps the realm its raw form names. */
    FUZZ_CHECK(r->realm == request_realm_of(r->path) ||
               (r->problem == REQUEST_BAD_URI && strcmp(r->path, "/") == 0));
    if (r->problem != REQUEST_OK) {
        /* A refused URI keeps no query pairs (its path may already be set). */
        FUZZ_CHECK(r->n_query == 0);
        return;
    }
    FUZZ_CHECK(r->n_query <= REQUEST_QUERY_PARAMS_MAX);
    for (size_t i = 0; i < r->n_query; i++) {
        FUZZ_CHECK(r->query[i].name && r->query[i].value);
        /* request_query answers the first pair of a name. */
        const char *v = request_query(r, r->query[i].name);
        FUZZ_CHECK(v != NULL);
        size_t first = 0;
        while (strcmp(r->query[first].name, r->query[i].name) != 0)
            first++;
        FUZZ_CHECK(v == r->query[first].value);
    }
}

static void route(struct request *r)
{
    const struct route *found = NULL;
    char allow[64]; /* the size src/dispatch.c uses */
    enum router_result rr =
        router_match(api_routes, api_routes_count, r, &found, allow, sizeof allow);
    if (rr == ROUTER_FOUND) {
        FUZZ_CHECK(found != NULL);
        FUZZ_CHECK(r->n_params <= REQUEST_PATH_PARAMS_MAX);
        for (size_t i = 0; i < r->n_params; i++) {
            FUZZ_CHECK(r->params[i].value[0] && !strchr(r->params[i].value, '/'));
            FUZZ_CHECK(request_param(r, r->params[i].name) != NULL);
        }
    } else if (rr == ROUTER_METHOD_NOT_ALLOWED) {
        FUZZ_CHECK(allow[0] != '\0');
    }
    /* Names the handlers ask for; absent ones must come back NULL, not crash. */
    static const char *const names[] = {"user_id", "guild_id", "code", "region", "lookup",
                                        "action"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = request_param(r, names[i]);
        FUZZ_CHECK(v == NULL || v[0]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena)
        arena = arena_new();

    /* A private NUL-terminated copy, so each parameter is a C string. */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t n = 1;
    for (size_t i = 0; i < size; i++)
        n += text[i] == '\0';
    char **params = malloc((n + 1) * sizeof *params);
    size_t k = 0;
    for (size_t i = 0; i <= size; i += strlen(text + i) + 1)
        params[k++] = text + i;
    params[k] = NULL;

    struct request r;
    request_from_params(&r, params, arena);
    check_request(&r);

    static const char *const names[] = {"username", "per_page", "page", "q", "limit",
                                        "before", "after", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        (void)request_query(&r, names[i]);

    if (r.problem == REQUEST_OK)
        route(&r);

    /* The body is attached after the parameters; use the last one as a body. */
    request_set_body(&r, params[k - 1], strlen(params[k - 1]));
    FUZZ_CHECK(strcmp(r.body, params[k - 1]) == 0);

    free(params);
    free(text);
    arena_reset(arena);
    return 0;
}
