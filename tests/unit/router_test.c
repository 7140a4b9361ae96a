/*
 * router: method + path to a route, captures into the request. The tables
 * here are the test's own; the handlers are never called, only told apart.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/router.h"

static void h_users(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    (void)res;
}

static void h_other(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    (void)res;
}

/* Designated, so that fields the router does not read stay zero. */
#define ROUTE(m, p, h) {.method = (m), .pattern = (p), .handler = (h)}

static const struct route table[] = {
    ROUTE("GET", "/", h_other),
    ROUTE("GET", "/api/v6", h_other),
    ROUTE("GET", "/api/v6/admin/users", h_users),
    ROUTE("POST", "/api/v6/admin/users", h_users),
    ROUTE("GET", "/api/v6/admin/users/{user_id}", h_users),
    ROUTE("PUT", "/api/v6/admin/users/{user_id}", h_users),
    ROUTE("GET", "/api/v6/guilds/{guild_id}/members/{member_id}", h_other),
    ROUTE("POST", "/api/v6/admin/invites", h_other),
    ROUTE("GET", "/api/v1/players/{name}", h_other),
    ROUTE("GET", "/four/{a}/{b}/{c}/{d}", h_other),
    ROUTE("GET", "/five/{a}/{b}/{c}/{d}/{e}", h_other),
};
#define N_TABLE (sizeof table / sizeof table[0])

static struct arena *arena;
static struct request req;
static const struct route *found;
static char allow[64];

static void setup(void)
{
    arena = arena_new();
}

static void teardown(void)
{
    arena_free(arena);
}

TestSuite(router, .init = setup, .fini = teardown);

static enum router_result match_in(const struct route *routes, size_t n, const char *method,
                                   const char *path)
{
    memset(&req, 0, sizeof req);
    req.arena = arena;
    req.method = method;
    req.path = path;
    found = NULL;
    return router_match(routes, n, &req, &found, allow, sizeof allow);
}

static enum router_result match(const char *method, const char *path)
{
    return match_in(table, N_TABLE, method, path);
}

/* The path is served by exactly table[index]. */
static void assert_found(const char *method, const char *path, size_t index)
{
    cr_assert_eq(match(method, path), ROUTER_FOUND, "%s %s not found", method, path);
    cr_assert_eq(found, &table[index], "%s %s matched %s %s", method, path, found->method,
                 found->pattern);
}

static void assert_not_found(const char *method, const char *path)
{
    cr_assert_eq(match(method, path), ROUTER_NOT_FOUND, "%s %s should be 404", method, path);
}

Test(router, literal_path)
{
    assert_found("GET", "/api/v6/admin/users", 2);
    assert_found("POST", "/api/v6/admin/users", 3);
    assert_found("POST", "/api/v6/admin/invites", 7);
    assert_found("GET", "/", 0);
    cr_assert_eq(req.n_params, 0);
}

Test(router, capture_value)
{
    assert_found("GET", "/api/v6/admin/users/1234", 4);
    cr_assert_eq(req.n_params, 1);
    cr_assert_str_eq(req.params[0].name, "user_id");
    cr_assert_str_eq(request_param(&req, "user_id"), "1234");
    cr_assert_null(request_param(&req, "guild_id"));
}

Test(router, two_captures)
{
    assert_found("GET", "/api/v6/guilds/11/members/22", 6);
    cr_assert_eq(req.n_params, 2);
    cr_assert_str_eq(request_param(&req, "guild_id"), "11");
    cr_assert_str_eq(request_param(&req, "member_id"), "22");
}

Test(router, captures_live_in_the_arena_not_in_the_path)
{
    char path[] = "/api/v6/admin/users/5678";
    assert_found("GET", path, 4);
    const char *value = request_param(&req, "user_id");
    cr_assert(value < path || value >= path + sizeof path, "capture points into the path");
    memset(path, 'x', sizeof path - 1);
    cr_assert_str_eq(value, "5678");
}

Test(router, capture_does_not_match_an_empty_segment)
{
    assert_not_found("GET", "/api/v6/guilds//members/22");
    assert_not_found("GET", "/api/v6/guilds/11/members/");
}

Test(router, capture_takes_one_segment_only)
{
    assert_not_found("GET", "/api/v6/admin/users/1/2");
}

Test(router, one_trailing_slash_is_ignored)
{
    assert_found("GET", "/api/v6/admin/users/", 2);
    assert_found("GET", "/api/v6/admin/users/42/", 4);
    cr_assert_str_eq(request_param(&req, "user_id"), "42", "the slash is not part of the capture");
}

Test(router, two_trailing_slashes_are_not)
{
    assert_not_found("GET", "/api/v6/admin/users//");
    assert_not_found("GET", "/api/v6/admin/users/42//");
}

/* What nginx normalises away before its rate limit looks at the path (case
 * aside, which its match ignores) is no route here: only the one trailing
 * slash and the aliases spell a route differently (nginx/warden-http.conf). */
Test(router, other_spellings_of_a_path_are_not_routes)
{
    static const char *const paths[] = {
        "/API/v6/admin/users", "/api/v6/ADMIN/users", "/api/V7/admin/users", "/api/v6/admin/Users",
        "/api/v6//admin/users", "//api/v6/admin/users", "/api/v6/admin//users",
        "/api/v6/./admin/users", "/api/v6/admin/./users", "/api/v6/x/../admin/users",
        "/api/v6/admin/users/x/..",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        assert_not_found("GET", paths[i]);
}

Test(router, chat_versions_7_to_9_alias_v6)
{
    static const char *const paths[] = {
        "/api/v7/admin/users", "/api/v8/admin/users", "/api/v9/admin/users/",
    };
    for (size_t i = 0; i < 3; i++)
        assert_found("GET", paths[i], 2);
    assert_found("PUT", "/api/v8/admin/users/77", 5);
    cr_assert_str_eq(request_param(&req, "user_id"), "77");
}

Test(router, bare_version_prefix_is_aliased_too)
{
    assert_found("GET", "/api/v6", 1);
    assert_found("GET", "/api/v7", 1);
    assert_found("GET", "/api/v9/", 1);
}

Test(router, other_versions_are_not_aliases)
{
    assert_not_found("GET", "/api/v5/admin/users");
    assert_not_found("GET", "/api/v10/admin/users");
    assert_not_found("GET", "/api/v70/admin/users");
    assert_not_found("GET", "/api/v7x/admin/users");
}

Test(router, alias_does_not_touch_the_request_path)
{
    assert_found("GET", "/api/v7/admin/users", 2);
    cr_assert_str_eq(req.path, "/api/v7/admin/users");
}

Test(router, head_is_served_by_get)
{
    assert_found("HEAD", "/api/v6/admin/users/9", 4);
    cr_assert_str_eq(request_param(&req, "user_id"), "9");
}

Test(router, head_on_a_path_without_get_is_405)
{
    cr_assert_eq(match("HEAD", "/api/v6/admin/invites"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(allow, "POST");
}

Test(router, method_not_allowed_lists_the_methods)
{
    cr_assert_eq(match("DELETE", "/api/v6/admin/users/3"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(allow, "GET, HEAD, PUT");
    cr_assert_eq(match("PATCH", "/api/v6/admin/users"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(allow, "GET, HEAD, POST");
    cr_assert_eq(match("GET", "/api/v6/admin/invites"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(allow, "POST");
}

Test(router, allow_list_never_overflows_a_small_buffer)
{
    char small[10]; /* room for "GET, HEAD" and its NUL, not for ", PUT" */
    memset(&req, 0, sizeof req);
    req.arena = arena;
    req.method = "DELETE";
    req.path = "/api/v6/admin/users/3";
    cr_assert_eq(router_match(table, N_TABLE, &req, &found, small, sizeof small),
                 ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(small, "GET, HEAD");
}

Test(router, unknown_path_is_404)
{
    assert_not_found("GET", "/nope");
    assert_not_found("POST", "/api/v6/unknown");
    cr_assert_str_eq(allow, "", "no Allow list for a 404");
}

Test(router, longer_and_shorter_paths_do_not_match)
{
    assert_not_found("GET", "/api/v6/admin");
    assert_not_found("GET", "/api/v6/admin/user");
    assert_not_found("GET", "/api/v6/admin/usersx");
    assert_not_found("GET", "/api/v6/admin/users/1/extra");
    assert_not_found("GET", "/api/v6/guilds/11/members");
    assert_not_found("GET", "");
}

Test(router, captures_up_to_the_limit)
{
    assert_found("GET", "/four/1/2/3/4", 9);
    cr_assert_eq(req.n_params, REQUEST_PATH_PARAMS_MAX);
    cr_assert_str_eq(request_param(&req, "d"), "4");
    /* A pattern with more captures than a request can hold never matches. */
    assert_not_found("GET", "/five/1/2/3/4/5");
}

Test(router, game_paths_are_not_rewritten)
{
    cr_assert_eq(match("GET", "/api/v1/players/bob"), ROUTER_FOUND);
    cr_assert_str_eq(request_param(&req, "name"), "bob");
}

Test(router, first_match_wins)
{
    static const struct route me_first[] = {
        ROUTE("GET", "/users/@me", h_users),
        ROUTE("GET", "/users/{id}", h_other),
    };
    static const struct route capture_first[] = {
        ROUTE("GET", "/users/{id}", h_other),
        ROUTE("GET", "/users/@me", h_users),
    };
    cr_assert_eq(match_in(me_first, 2, "GET", "/users/@me"), ROUTER_FOUND);
    cr_assert_eq(found, &me_first[0]);
    cr_assert_eq(req.n_params, 0);
    cr_assert_eq(match_in(me_first, 2, "GET", "/users/5"), ROUTER_FOUND);
    cr_assert_eq(found, &me_first[1]);
    cr_assert_eq(match_in(capture_first, 2, "GET", "/users/@me"), ROUTER_FOUND);
    cr_assert_eq(found, &capture_first[0]);
    cr_assert_str_eq(request_param(&req, "id"), "@me");
}

Test(router, many_routes)
{
    enum { N = 300 };
    static char patterns[N][32];
    static struct route routes[N];
    for (int i = 0; i < N; i++) {
        snprintf(patterns[i], sizeof patterns[i], "/r/%d/{id}", i);
        routes[i] = (struct route)ROUTE(i % 2 ? "POST" : "GET", patterns[i], h_other);
    }
    cr_assert_eq(match_in(routes, N, "GET", "/r/250/x"), ROUTER_FOUND);
    cr_assert_eq(found, &routes[250]);
    cr_assert_eq(match_in(routes, N, "POST", "/r/299/y"), ROUTER_FOUND);
    cr_assert_eq(found, &routes[299]);
    cr_assert_str_eq(request_param(&req, "id"), "y");
    cr_assert_eq(match_in(routes, N, "GET", "/r/299/y"), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(allow, "POST");
    cr_assert_eq(match_in(routes, N, "GET", "/r/300/y"), ROUTER_NOT_FOUND);
}
