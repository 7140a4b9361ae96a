/*
 * chat_admin_support: what the chat admin suites (admin_users, invites,
 * guilds, voice) share on top of support/fixtures.h: checks of the chat
 * error shape, requests fired in parallel from threads, and direct writes to
 * the shared database (for states no route produces).
 *
 * Contract: as fixtures.h, call only inside a test of the API runner. The
 * assertions fail the calling test; ca_parallel's threads never assert (a
 * Criterion assertion outside the test's own thread is not reported), they
 * only record what came back for the caller to check.
 */
#ifndef WARDEN_TESTS_CHAT_ADMIN_SUPPORT_H
#define WARDEN_TESTS_CHAT_ADMIN_SUPPORT_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#include "support/fixtures.h"

/* The chat error shape: status, {"error": true, "status": status,
 * "message": message}, and, when code is non-zero, "code": code. Frees
 * nothing: r stays the caller's. */
void ca_expect_error(const struct http_response *r, long status, const char *message, int code);

/* A 400 "bad payload" whose list for field contains message. */
void ca_expect_field_error(const struct http_response *r, const char *field, const char *message);

/* Whether doc[key] is an array holding the string s. */
bool ca_list_has(const bson_t *doc, const char *key, const char *s);

/* Make sure the instance's first voice region exists (a fixed one no test
 * deprecates). The first region ever created is assigned to every guild
 * (upstream's rule): a test's own region must never be that one, or its
 * guilds' regions would change under another test. */
void ca_ensure_first_region(const char *auth);

/* A new voice region (id from fx_unique, lower-case) into id; deprecated
 * when asked. */
void ca_region(const char *auth, char id[24], bool deprecated);

/* POST /guilds as auth with name and region (a JSON value: "null", "\"x\"",
 * or NULL to leave it out); the answer into doc, the id into id. */
void ca_guild(const char *auth, const char *name, const char *region_json, bson_t *doc, char id[24]);

struct stack;

/* wardenctl (from $WARDEN_BIN_DIR) against a private stack's database; its
 * first output line into line (NULL: ignored). Fails the test unless it
 * succeeds. args: NULL-terminated, at most six. */
void ca_private_ctl(const struct stack *s, char *line, size_t size, const char *const *args);

/* method path on a private stack, with an optional header line and JSON body. */
void ca_private_request(const struct stack *s, const char *method, const char *path,
                        const char *auth, const char *json, struct http_response *r);

/* A staff user on a private stack: its "Authorization: <token>" line. */
void ca_private_staff(const struct stack *s, char *auth, size_t size);

/* One request of a parallel batch: what to send, then what came back. */
struct ca_call {
    const char *method;
    char path[256];
    const char *auth;          /* "Authorization: ..." or NULL */
    const char *content_type;  /* NULL: application/json when body is set */
    char body[512];            /* "" = no body */
    long status;               /* 0: transport failure (see error) */
    char *response;            /* malloc'd body; free with ca_calls_free */
    char error[256];
};

/* Send every call at once (one thread each, released together) and wait for
 * all of them. */
void ca_parallel(struct ca_call *calls, size_t n);
void ca_calls_free(struct ca_call *calls, size_t n);

/* Apply update (extended JSON, e.g. {"$set": {...}}) to the first document of
 * collection matching filter; fails the test unless one matched. */
void ca_db_update_one(const char *collection, const char *filter_json, const char *update_json);

/* Insert doc (BSON) into collection; false with the server's message in
 * error when refused (e.g. a duplicate key). */
bool ca_db_insert(const char *collection, const bson_t *doc, char *error, size_t error_size);

/* The string field of every document of collection matching filter, into
 * out (up to max, each up to 15 bytes); returns how many documents matched. */
size_t ca_db_strings(const char *collection, const char *filter_json, const char *field,
                     char (*out)[16], size_t max);

/* The number of documents matching filter once it has stopped changing (for
 * requests a client gave up on while the pool was still serving them):
 * unchanged for two seconds, or after a minute. */
int64_t ca_db_settled_count(const char *collection, const char *filter_json);

/* Insert n documents into collection of the database at mongodb_uri (NULL:
 * the shared stack's) in one go; fails the test if refused. */
void ca_db_insert_many(const char *mongodb_uri, const char *collection, const bson_t *const *docs,
                       size_t n);
/**
 * Insert user documents as an earlier release stored them, then write their
 * claims and search postings as `wardenctl migrate` does for such data: on a
 * private stack (mongodb_uri set) the whole backfill, on the shared one
 * (NULL) these users' tag claims and postings.
 */
void ca_db_insert_users(const char *mongodb_uri, const bson_t *const *docs, size_t n);

#endif
