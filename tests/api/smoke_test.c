/*
 * The fixtures themselves: a staff user reads itself, a game user gets a token.
 */
#include <criterion/criterion.h>
#include <ctype.h>

#include "support/fixtures.h"

Test(fixtures, staff_user_reads_itself)
{
    struct fx_chat_user u;
    fx_chat_user(&u, true);
    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", u.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "id"), u.id);
    cr_expect_str_eq(fx_str(&doc, "username"), u.username);
    cr_expect_eq(fx_int(&doc, "flags", -1), 1);
    bson_destroy(&doc);
    http_response_free(&r);
}

Test(fixtures, game_user_gets_a_token)
{
    struct fx_game_user g;
    fx_game_user(&g, "Api", true);
    struct http_response r;
    fx_request("GET", "/api/v1/info/authorized", g.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(r.body, "{\"authorized\":true}");
    http_response_free(&r);

    /* The account is the fixture's: its name, in any case, and its password
     * log in, and the new token is good too. */
    struct fx_game_user shouted = g;
    for (char *c = shouted.name; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    fx_game_login(&shouted);
    fx_request("GET", "/api/v1/info/authorized", shouted.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "the new token: %s", r.body);
    http_response_free(&r);
}

Test(fixtures, livez_answers_alive)
{
    struct http_response r;
    fx_request("GET", "/livez", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(r.body, "{\"status\":\"alive\"}");
    cr_expect_str_eq(http_header(&r, "Content-Type"), "application/json");
    http_response_free(&r);
}
