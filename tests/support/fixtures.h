/*
 * fixtures: what the API suites need over and over, on the shared stack
 * (tests/api/main.c) or a private one: accounts made through wardenctl,
 * authenticated requests, JSON answers as BSON, the one way to name things
 * uniquely (fx_unique) and the one way to reach a database directly
 * (fx_db_open), with reads of what is stored.
 *
 * Contract: call only inside a test (Criterion's own thread); the functions
 * that default to the shared stack need the API runner's environment. Every
 * name fx_unique hands out is new across processes and runs, so tests never
 * collide in the shared database. Failures of set-up steps abort the test
 * with a Criterion assertion naming the step.
 */
#ifndef WARDEN_TESTS_FIXTURES_H
#define WARDEN_TESTS_FIXTURES_H

#include <bson/bson.h>
#include <mongoc/mongoc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support/http.h"

/* A name that is new: prefix + lower-case letters and digits (valid as a chat
 * username and as a game name when prefix is letters and out is <= 20). */
void fx_unique(char *out, size_t size, const char *prefix);

/* Run build/<variant>/wardenctl with the shared database and secret; the
 * output (stdout + stderr) into *output if non-NULL (free it). Returns the
 * exit status. argv: NULL-terminated arguments after "wardenctl". */
int fx_ctl(char **output, const char *const *argv);
struct stack;
/* The same against a stack's database and secret (NULL: the shared stack). */
int fx_ctl_at(const struct stack *s, char **output, const char *const *argv);

struct stack;

/* wardenctl against a stack's database and secret (NULL: the shared stack),
 * failing the test unless it exits 0; its last output line (its result:
 * anything on stderr comes first) into line when line is non-NULL. */
void fx_ctl_ok(const struct stack *s, char *line, size_t size, const char *const *argv);

struct fx_chat_user {
    char id[24];
    char username[40];
    char discriminator[8];
    char email[96];
    char password[40];
    char token[300];
    char auth[320];          /* "Authorization: <token>" */
};

/* A new chat user (staff when asked) with a token. */
void fx_chat_user(struct fx_chat_user *u, bool staff);
/* The same on the stack s (NULL: the shared one): made by wardenctl with its
 * database and secret, so the token is good on its pool. */
void fx_chat_user_at(const struct stack *s, struct fx_chat_user *u, bool staff);

/* An instance invite (max_uses 3) made by staff through the API; its code into code. */
void fx_api_invite(const struct fx_chat_user *staff, char code[16]);

struct fx_game_user {
    char id[40];
    char name[24];
    char password[40];       /* plaintext; the API gets its SHA-256 hex */
    char access_token[512];
    char refresh_token[64];
    char auth[560];          /* "Authorization: Bearer <access token>" */
};

/* A new game user with the given rights ("Api UserQuery Ban", may be "")
 * and, when login is true, tokens from the password grant. */
void fx_game_user(struct fx_game_user *u, const char *rights, bool login);
/* Tokens for u->name and u->password from the password grant (failing the
 * test unless it answers 200) into u's token fields and auth. */
void fx_game_login(struct fx_game_user *u);

/* A character of a game user; online with ip when ip is non-NULL. */
void fx_game_player(const char *user_name, const char *map, int x, int y, const char *ip,
                    char id_out[40], char name_out[24]);

/* SHA-256 hex of text (what game clients send as the password). */
void fx_sha256_hex(const char *text, char out[65]);

/* method path (relative to the shared stack) with an optional header line
 * ("Authorization: ...", or NULL) and an optional JSON body (sent with
 * Content-Type: application/json). *out as http_request. Transport failures
 * fail the test. */
void fx_request(const char *method, const char *path, const char *auth, const char *json,
                struct http_response *out);
/* The same with a body of any content type (content_type NULL: none). */
void fx_request_raw(const char *method, const char *path, const char *auth,
                    const char *content_type, const char *body, size_t len,
                    struct http_response *out);
/* The two on the stack s (NULL: the shared one). */
void fx_request_at(const struct stack *s, const char *method, const char *path, const char *auth,
                   const char *json, struct http_response *out);
void fx_request_raw_at(const struct stack *s, const char *method, const char *path,
                       const char *auth, const char *content_type, const char *body, size_t len,
                       struct http_response *out);

/* A JSON answer (object or array) as a BSON document; an array arrives as
 * {"0": ..., "1": ...}. Fails the test when the body is not JSON. */
void fx_json(const struct http_response *r, bson_t *out);
/* doc[key] as a string ("" when absent or not a string). */
const char *fx_str(const bson_t *doc, const char *key);
/* doc[key] as an integer (fallback when absent or not a number). */
int64_t fx_int(const bson_t *doc, const char *key, int64_t fallback);
/* doc[key] as a bool (fallback when absent or not a bool). */
bool fx_bool(const bson_t *doc, const char *key, bool fallback);
/* Whether doc[key] is null. */
bool fx_is_null(const bson_t *doc, const char *key);
/* Number of elements of an array or keys of a document at key ("" = doc itself). */
int fx_count(const bson_t *doc, const char *key);
/* Sub-document or array at key (a dotted path "a.0.b" works) copied into out. */
bool fx_sub(const bson_t *doc, const char *path, bson_t *out);

/* A client of the database at mongodb_uri (NULL: the shared stack's); that
 * database (the URI's path, "warden" when it names none) into *db when db is
 * non-NULL. The driver is initialised once per process and its log silenced
 * (FerretDB lacks endSessions: not test output). Fails the test on a bad
 * URI. Release both with fx_db_close (db may be NULL). */
mongoc_client_t *fx_db_open(const char *mongodb_uri, mongoc_database_t **db);
void fx_db_close(mongoc_client_t *client, mongoc_database_t *db);

/* Count documents of collection matching filter (extended JSON, may use
 * operators) in the shared database. */
int64_t fx_db_count(const char *collection, const char *filter_json);
/* The same in the database at mongodb_uri (NULL: the shared one). */
int64_t fx_db_count_at(const char *mongodb_uri, const char *collection, const char *filter_json);
/* First document matching filter into out (bson_init'ed by the caller);
 * false when there is none. */
bool fx_db_find_one(const char *collection, const char *filter_json, bson_t *out);

#endif
