/*
 * game_support: what the game suites (game_admin_test.c, game_reads_test.c)
 * share on top of support/fixtures.h: a moderator and its targets, the admin
 * action request, exact {"Message"} checks, and direct database edits (an
 * expired sanction, a forged expired token) that no API call can make.
 *
 * Contract: as fixtures.h (inside a test of the API runner). Failures of
 * set-up steps fail the test with an assertion naming the step.
 */
#ifndef WARDEN_TESTS_GAME_SUPPORT_H
#define WARDEN_TESTS_GAME_SUPPORT_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "support/fixtures.h"

/* Rights of the suites' moderator: score Ban 8 + Kick 4 + Mute 2 = 14. */
#define GS_MODERATOR_RIGHTS "Api UserQuery Ban Kick Mute"
#define GS_DAY_MS (24LL * 3600 * 1000)

/* A game account with one character (the account's name and id, the
 * character's name and id, where it stands). */
struct gs_target {
    struct fx_game_user user;
    char player_id[40];
    char player[24];
    char map[40];            /* lower-case hyphenated */
    int x, y;
};

/* A logged-in moderator (GS_MODERATOR_RIGHTS). */
void gs_moderator(struct fx_game_user *mod);

/* A target with the given rights and one character on a new random map at
 * (x, y); online from ip when ip is non-NULL. */
void gs_target(struct gs_target *t, const char *rights, int x, int y, const char *ip);

/* POST /api/v1/{route}/{lookup}/admin/{action} ("users" or "players") with
 * json as body (NULL: none). */
void gs_action(const struct fx_game_user *caller, const char *route, const char *lookup,
               const char *action, const char *json, struct http_response *out);

/* Assert r's status and that its body is exactly {"Message": message}. */
void gs_expect_message(const struct http_response *r, long status, const char *message);

/* A random GUID, lower-case hyphenated. */
void gs_guid(char out[40]);

/* Documents of a collection whose user_id is user_id. */
int64_t gs_count_of_user(const char *collection, const char *user_id);

/* Apply update (extended JSON) to the documents matching filter, directly in
 * the shared database; returns how many matched. */
int64_t gs_db_update(const char *collection, const char *filter_json, const char *update_json);

/* doc[key] as a BSON date in ms; fails the test when it is not one. */
int64_t gs_date(const bson_t *doc, const char *key);

/* An access token for user signed with the shared pool's secret, issued and
 * expiring at the given unix times, carrying the user's current security
 * stamp: "Authorization: Bearer ..." into header. */
void gs_forge_token(const struct fx_game_user *user, int64_t issued, int64_t expires,
                    char header[560]);

#endif
