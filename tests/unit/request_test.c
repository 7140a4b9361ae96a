/*
 * request: FastCGI parameters ("NAME=value" strings) to a request value, as
 * nginx hands them over: method, strictly decoded path and query, the few
 * headers Warden reads, the request id and the realm.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/buf.h"
#include "warden/request.h"

static struct arena *arena;
static struct request req;

static void setup(void)
{
    arena = arena_new();
}

static void teardown(void)
{
    arena_free(arena);
}

TestSuite(request, .init = setup, .fini = teardown);

/* request_from_params on a NULL-terminated list of "NAME=value" strings. */
static void from_params(const char *first, ...)
{
    char *params[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *p = first; p; p = va_arg(ap, const char *)) {
        cr_assert_lt(n, sizeof params / sizeof params[0] - 1);
        params[n++] = (char *)p;
    }
    va_end(ap);
    params[n] = NULL;
    request_from_params(&req, params, arena);
}

/* A GET of uri, which may be longer than a literal comfortably holds. */
static void get(const char *uri)
{
    char *param = arena_printf(arena, "REQUEST_URI=%s", uri);
    from_params("REQUEST_METHOD=GET", param, NULL);
}

static void assert_bad_uri(const char *uri)
{
    get(uri);
    cr_assert_eq(req.problem, REQUEST_BAD_URI, "%s should be a bad URI", uri);
    /* A path that cannot be decoded is not used at all; with a bad query the
     * decoded path stays (for the log line and the realm of the 400). */
    if (!strchr(uri, '?'))
        cr_assert_str_eq(req.path, "/", "a bad path is replaced by /");
}

static void assert_query(const char *name, const char *value)
{
    const char *got = request_query(&req, name);
    cr_assert_not_null(got, "query parameter %s missing", name);
    cr_assert_str_eq(got, value, "query parameter %s", name);
}

Test(request, method_and_path)
{
    from_params("REQUEST_METHOD=PATCH", "REQUEST_URI=/api/v6/admin/users/1", NULL);
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.method, "PATCH");
    cr_assert_str_eq(req.path, "/api/v6/admin/users/1");
    cr_assert_eq(req.n_query, 0);
    cr_assert_str_eq(req.body, "");
    cr_assert_eq(req.body_len, 0);
    cr_assert_eq(req.arena, arena);
}

Test(request, method_defaults_to_get)
{
    from_params("REQUEST_URI=/x", NULL);
    cr_assert_str_eq(req.method, "GET");
}

Test(request, names_match_whole_parameter_names)
{
    from_params("REQUEST_URI_RAW=/wrong", "REQUEST_URI=/right", "HTTP_AUTHORIZATIONX=no", NULL);
    cr_assert_str_eq(req.path, "/right");
    cr_assert_null(req.authorization);
}

Test(request, path_is_percent_decoded)
{
    get("/api/v6/users/a%20b%2fc%2F%41");
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.path, "/api/v6/users/a b/c/A");
}

Test(request, plus_is_a_space_in_the_query_but_not_in_the_path)
{
    get("/a+b?q=c+d&r=e%2Bf");
    cr_assert_str_eq(req.path, "/a+b");
    assert_query("q", "c d");
    assert_query("r", "e+f");
}

Test(request, query_is_split_and_decoded)
{
    get("/search?name=J%C3%BCrgen&limit=10&x%3Dy=%26%3D");
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.path, "/search");
    cr_assert_eq(req.n_query, 3);
    assert_query("name", "J\xc3\xbcrgen");
    assert_query("limit", "10");
    assert_query("x=y", "&=");
    cr_assert_null(request_query(&req, "missing"));
}

Test(request, repeated_query_key_gives_the_first_value)
{
    get("/x?a=1&a=2&a=3");
    cr_assert_eq(req.n_query, 3);
    assert_query("a", "1");
}

Test(request, query_pair_without_equals_has_an_empty_value)
{
    get("/x?flag&k=v");
    cr_assert_eq(req.n_query, 2);
    assert_query("flag", "");
    assert_query("k", "v");
}

Test(request, empty_query_pairs_are_skipped)
{
    get("/x?&&a=1&&b=&");
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_eq(req.n_query, 2);
    assert_query("a", "1");
    assert_query("b", "");
}

Test(request, empty_query_string)
{
    get("/x?");
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.path, "/x");
    cr_assert_eq(req.n_query, 0);
}

Test(request, nul_byte_is_a_bad_uri)
{
    assert_bad_uri("/a%00b");
    assert_bad_uri("/a?b=%00");
    assert_bad_uri("/a?%00=1");
}

Test(request, malformed_escapes_are_a_bad_uri)
{
    assert_bad_uri("/a%zzb");
    assert_bad_uri("/a%4");
    assert_bad_uri("/a%");
    assert_bad_uri("/a%4/b");
    assert_bad_uri("/a?b=%g1");
    assert_bad_uri("/a?b=1%");
    assert_bad_uri("/a?b=1%2");
}

Test(request, bad_query_keeps_path_and_realm)
{
    assert_bad_uri("/api/v1/players?name=%zz");
    cr_assert_str_eq(req.path, "/api/v1/players");
    cr_assert_eq(req.realm, REALM_GAME, "the 400 is in the game's shape");
}

Test(request, escape_at_the_very_end_is_fine)
{
    get("/a%41?b=%42");
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.path, "/aA");
    assert_query("b", "B");
}

Test(request, uri_must_start_with_a_slash)
{
    assert_bad_uri("api/v6/users");
    assert_bad_uri("http://example.com/api");
}

/* "/" followed by 'a's: a URI of exactly len bytes. */
static char *long_uri(size_t len)
{
    char *uri = arena_alloc(arena, len + 1);
    uri[0] = '/';
    memset(uri + 1, 'a', len - 1);
    uri[len] = '\0';
    return uri;
}

Test(request, uri_length_limit)
{
    get(long_uri(REQUEST_URI_MAX));
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_eq(strlen(req.path), REQUEST_URI_MAX);
    assert_bad_uri(long_uri(REQUEST_URI_MAX + 1));
}

/* "/x?" and n pairs "pI=I". */
static void get_with_params(int n)
{
    struct buf uri = BUF_INIT;
    buf_puts(&uri, "/x?");
    for (int i = 0; i < n; i++)
        buf_printf(&uri, "%sp%d=%d", i ? "&" : "", i, i);
    get(buf_cstr(&uri));
    buf_free(&uri);
}

Test(request, query_parameter_limit)
{
    get_with_params(REQUEST_QUERY_PARAMS_MAX);
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_eq(req.n_query, REQUEST_QUERY_PARAMS_MAX);
    assert_query("p63", "63");

    get_with_params(REQUEST_QUERY_PARAMS_MAX + 1);
    cr_assert_eq(req.problem, REQUEST_TOO_MANY_PARAMS);
}

Test(request, headers_are_picked_up)
{
    from_params("REQUEST_URI=/", "HTTP_AUTHORIZATION=Bearer abc", "CONTENT_TYPE=application/json",
                "REQUEST_ID=0123abcdEF-9", "REMOTE_ADDR=192.0.2.7", NULL);
    cr_assert_str_eq(req.authorization, "Bearer abc");
    cr_assert_str_eq(req.content_type, "application/json");
    cr_assert_str_eq(req.request_id, "0123abcdEF-9");
    cr_assert_str_eq(req.remote_addr, "192.0.2.7");
}

Test(request, absent_headers_are_null)
{
    from_params("REQUEST_URI=/", "CONTENT_TYPE=", NULL);
    cr_assert_null(req.authorization);
    cr_assert_null(req.content_type, "an empty CONTENT_TYPE counts as absent");
    cr_assert_not_null(req.request_id, "a request id is always there");
}

Test(request, parameter_values_are_copied)
{
    char uri[] = "REQUEST_URI=/copied?a=1";
    char auth[] = "HTTP_AUTHORIZATION=secret";
    char *params[] = {uri, auth, NULL};
    request_from_params(&req, params, arena);
    memset(uri, 'x', sizeof uri - 1);
    memset(auth, 'x', sizeof auth - 1);
    cr_assert_str_eq(req.path, "/copied");
    assert_query("a", "1");
    cr_assert_str_eq(req.authorization, "secret");
}

/* The id that a REQUEST_ID value ends up as. */
static const char *request_id_for(const char *value)
{
    char *param = arena_printf(arena, "REQUEST_ID=%s", value);
    from_params("REQUEST_URI=/", param, NULL);
    return req.request_id;
}

static bool is_plain_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '-'))
            return false;
    return true;
}

static void assert_id_replaced(const char *value)
{
    const char *id = request_id_for(value);
    cr_assert_str_neq(id, value, "'%s' should have been replaced", value);
    cr_assert(is_plain_token(id), "generated id '%s'", id);
}

Test(request, odd_request_ids_are_replaced)
{
    assert_id_replaced("has space");
    assert_id_replaced("quote\"");
    assert_id_replaced("line\nbreak");
    assert_id_replaced("semi;colon");
    assert_id_replaced("");
}

Test(request, request_id_length_limit)
{
    char id[66];
    memset(id, 'a', 64);
    id[64] = '\0';
    cr_assert_str_eq(request_id_for(id), id, "64 characters are kept");
    id[64] = 'a';
    id[65] = '\0';
    assert_id_replaced(id);
}

Test(request, generated_request_ids_differ)
{
    from_params("REQUEST_URI=/", NULL);
    const char *first = req.request_id;
    from_params("REQUEST_URI=/", NULL);
    cr_assert(is_plain_token(first));
    cr_assert_str_neq(first, req.request_id);
}

Test(request, realm_of_a_path)
{
    static const char *const game[] = {"/api/v1", "/api/v1/", "/api/v1/players/x",
                                       "/api/oauth", "/api/oauth/token"};
    static const char *const chat[] = {"/", "/api/v6/users", "/api/v10/x", "/api/v1x",
                                       "/api/oauthx", "/api/v11", "/healthz", "/api"};
    for (size_t i = 0; i < sizeof game / sizeof game[0]; i++)
        cr_assert_eq(request_realm_of(game[i]), REALM_GAME, "%s", game[i]);
    for (size_t i = 0; i < sizeof chat / sizeof chat[0]; i++)
        cr_assert_eq(request_realm_of(chat[i]), REALM_CHAT, "%s", chat[i]);
}

Test(request, realm_is_set_from_the_path)
{
    get("/api/v1/players?name=x");
    cr_assert_eq(req.realm, REALM_GAME);
    get("/api/oauth/token");
    cr_assert_eq(req.realm, REALM_GAME);
    get("/api/v6/admin/users");
    cr_assert_eq(req.realm, REALM_CHAT);
    get("/api/v6/admin/users?x=/api/v1/");
    cr_assert_eq(req.realm, REALM_CHAT, "the query does not decide the realm");
}

Test(request, falls_back_to_script_name_and_query_string)
{
    from_params("REQUEST_METHOD=GET", "SCRIPT_NAME=/api/v1/players", "QUERY_STRING=a=1&b=2", NULL);
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.path, "/api/v1/players");
    cr_assert_eq(req.realm, REALM_GAME);
    cr_assert_eq(req.n_query, 2);
    assert_query("b", "2");
}

Test(request, fallback_with_empty_query_string)
{
    from_params("SCRIPT_NAME=/status", "QUERY_STRING=", "REQUEST_URI=", NULL);
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.path, "/status");
    cr_assert_eq(req.n_query, 0);
}

Test(request, no_uri_at_all_is_the_root)
{
    from_params("REQUEST_METHOD=GET", NULL);
    cr_assert_eq(req.problem, REQUEST_OK);
    cr_assert_str_eq(req.path, "/");
}

Test(request, request_uri_wins_over_script_name)
{
    from_params("SCRIPT_NAME=/index.php", "QUERY_STRING=z=9", "REQUEST_URI=/real?a=1", NULL);
    cr_assert_str_eq(req.path, "/real");
    assert_query("a", "1");
    cr_assert_null(request_query(&req, "z"));
}

Test(request, set_body_copies_and_terminates)
{
    from_params("REQUEST_URI=/", NULL);
    char body[] = "{\"a\":1}garbage";
    request_set_body(&req, body, 7);
    memset(body, 'x', sizeof body - 1);
    cr_assert_eq(req.body_len, 7);
    cr_assert_str_eq(req.body, "{\"a\":1}");
}

Test(request, percent_decode_plus_handling)
{
    cr_assert_str_eq(request_percent_decode(arena, "a+b%20c", 7, true), "a b c");
    cr_assert_str_eq(request_percent_decode(arena, "a+b%20c", 7, false), "a+b c");
    cr_assert_str_eq(request_percent_decode(arena, "%2B", 3, true), "+");
    cr_assert_str_eq(request_percent_decode(arena, "", 0, true), "");
    cr_assert_str_eq(request_percent_decode(arena, "ab%41zz", 5, false), "abA",
                     "only len bytes are read");
    cr_assert_null(request_percent_decode(arena, "%41", 2, false), "escape cut by len");
    cr_assert_null(request_percent_decode(arena, "%00", 3, false));
}

/* request_parse_urlencoded of a C string into pairs[max]. */
static struct query_param pairs[8];

static int urlencoded(const char *s, size_t max)
{
    return request_parse_urlencoded(arena, s, strlen(s), pairs, max);
}

Test(request, parse_urlencoded_counts_pairs)
{
    cr_assert_eq(urlencoded("", 8), 0);
    cr_assert_eq(urlencoded("a=1", 8), 1);
    cr_assert_eq(urlencoded("a=1&b=x+y&c", 8), 3);
    cr_assert_str_eq(pairs[1].name, "b");
    cr_assert_str_eq(pairs[1].value, "x y");
    cr_assert_str_eq(pairs[2].value, "");
    cr_assert_eq(urlencoded("a=1&&b=2&", 8), 2);
}

Test(request, parse_urlencoded_malformed_is_minus_one)
{
    cr_assert_eq(urlencoded("a=%zz", 8), -1);
    cr_assert_eq(urlencoded("a%=1", 8), -1);
    cr_assert_eq(urlencoded("a=1&b=%0", 8), -1);
    cr_assert_eq(urlencoded("a=%00", 8), -1);
}

Test(request, parse_urlencoded_too_many_is_minus_two)
{
    cr_assert_eq(urlencoded("a=1&b=2&c=3", 3), 3);
    cr_assert_eq(urlencoded("a=1&b=2&c=3&d=4", 3), -2);
    cr_assert_eq(urlencoded("a=1&&&&b=2", 2), 2, "empty pairs do not count");
    cr_assert_eq(urlencoded("a=1", 0), -2);
    cr_assert_eq(urlencoded("", 0), 0);
}

/* --- the body's buffer ------------------------------------------------------------ */

Test(request, body_capacity_follows_content_length_within_the_limit)
{
    cr_assert_eq(request_body_capacity("0", 1024), 0);
    cr_assert_eq(request_body_capacity("7", 1024), 7);
    cr_assert_eq(request_body_capacity("1024", 1024), 1024, "the limit itself");
    cr_assert_eq(request_body_capacity("1048576", 1048576), 1048576);
}

/* 0 is "not known": the body is then sized as it arrives, and refused by
 * what arrives, never by what was announced. */
Test(request, body_capacity_of_missing_bad_or_over_limit_lengths_is_zero)
{
    static const char *const bad[] = {
        "", "-1", "+5", " 5", "5 ", "0x10", "1e3", "5.0", "abc", "99999999999999999999999",
        "-9223372036854775808", "1025",
    };
    cr_assert_eq(request_body_capacity(NULL, 1024), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(request_body_capacity(bad[i], 1024), 0, "\"%s\"", bad[i]);
    cr_assert_eq(request_body_capacity("9223372036854775807", 1024), 0);
}

Test(request, wipe_body_zeroes_the_arena_copy)
{
    from_params("REQUEST_METHOD=POST", "REQUEST_URI=/api/v6/auth/login", NULL);
    request_set_body(&req, "{\"password\":\"hunter22\"}", 23);
    const char *body = req.body;
    request_wipe_body(&req);
    for (size_t i = 0; i < 23; i++)
        cr_assert_eq(body[i], 0, "byte %zu", i);

    /* Without a body there is nothing to write (req.body is a literal then). */
    from_params("REQUEST_METHOD=GET", "REQUEST_URI=/", NULL);
    cr_assert_eq(req.body_len, 0);
    request_wipe_body(&req);
    cr_assert_str_eq(req.body, "");
}
