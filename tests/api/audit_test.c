/*
 * audit: a mutation whose audit entry cannot be written is never a silent
 * success. The private stack's audit_log gets a unique index on `action`,
 * so the second entry of any action is refused by the database; each
 * operation that then cannot record itself must answer an error that says
 * so (the change itself stands: it was made before the record), and the
 * pool's log must name the lost entry with the request id.
 *
 * The refusal comes from a unique index on actor.realm over an emptied
 * audit_log: once a realm has one entry, the database refuses every further
 * one.
 */
#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/pool_support.h"
#include "support/fixtures.h"

#define UNRECORDED "The audit entry of this operation could not be written"

/* From now on, one audit entry per actor realm: every later one is refused. */
static void one_entry_per_action(void)
{
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(ps_stack.mongodb_uri, &db);
    mongoc_collection_t *log = mongoc_database_get_collection(db, "audit_log");
    bson_t all = BSON_INITIALIZER;
    bson_error_t cleared;
    cr_assert(mongoc_collection_delete_many(log, &all, NULL, NULL, &cleared), "%s", cleared.message);
    mongoc_collection_destroy(log);
    bson_t *cmd = BCON_NEW("createIndexes", "audit_log", "indexes", "[", "{", "key", "{", "actor.realm",
                           BCON_INT32(1), "}", "name", "one_per_realm", "unique", BCON_BOOL(true),
                           "}", "]");
    bson_error_t e;
    bool ok = mongoc_database_write_command_with_opts(db, cmd, NULL, NULL, &e);
    bson_destroy(cmd);
    fx_db_close(client, db);
    cr_assert(ok, "cannot create the index: %s", e.message);
}

static void expect_unrecorded(const char *what, const struct http_response *r)
{
    cr_expect_eq(r->status, 500, "%s: %ld %s", what, r->status, r->body);
    cr_expect_not_null(strstr(r->body, UNRECORDED), "%s: %s", what, r->body);
    cr_expect_not_null(strstr(r->body, "\"error\":true"), "%s: not the chat shape: %s", what, r->body);
}

Test(audit, a_lost_audit_entry_is_an_error_the_caller_and_the_log_see, .fini = ps_stop_private,
     .timeout = 120)
{
    ps_start_private(NULL);
    char auth[400];
    ps_staff_auth(auth, sizeof auth); /* its make-staff wrote the first user.update */
    char line[160], id[32] = "";
    char name[40], email[80];
    fx_unique(name, sizeof name, "unrec");
    snprintf(email, sizeof email, "%s@example.com", name);
    ps_ctl_ok(line, sizeof line, (const char *const[]){"add-user", name, email, "password1", NULL});
    cr_assert_eq(sscanf(line, "%31s", id), 1, "%s", line);
    one_entry_per_action();

    /* invite.create: the chat realm's first entry is recorded, the next cannot be. */
    struct http_response r;
    fx_request_at(&ps_stack, "PUT", "/api/v6/admin/instance/invites", auth, "{\"max_uses\": 2}", &r);
    cr_assert_eq(r.status, 200, "first invite: %ld %s", r.status, r.body);
    http_response_free(&r);
    fx_request_at(&ps_stack, "PUT", "/api/v6/admin/instance/invites", auth, "{\"max_uses\": 3}", &r);
    expect_unrecorded("second invite", &r);
    http_response_free(&r);
    cr_expect_eq(fx_db_count_at(ps_stack.mongodb_uri, "instance_invites", "{\"max_uses\": 3}"), 1,
                 "the invite itself was made");
    cr_expect(ps_log_contains("audit entry for invite.create invite:"), "the loss is not in the log");

    /* user.update (a PATCH of flags): the change and its gateway event stand. */
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/users/%s", id);
    fx_request_at(&ps_stack, "PATCH", path, auth, "{\"flags\": 2}", &r);
    expect_unrecorded("flags", &r);
    http_response_free(&r);
    char filter[160];
    snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}, \"flags\": 2}", id);
    cr_expect_eq(fx_db_count_at(ps_stack.mongodb_uri, "users", filter), 1, "the flags were stored");
    snprintf(filter, sizeof filter, "{\"type\": \"USER_UPDATE\", \"user_id\": {\"$numberLong\": \"%s\"}}", id);
    cr_expect_eq(fx_db_count_at(ps_stack.mongodb_uri, "gateway_events", filter), 1);

    /* voice_region.create, then the same region again, which changes nothing:
     * an answer about the rule, not about the record. */
    fx_request_at(&ps_stack, "PUT", "/api/v6/admin/voice/regions", auth,
                  "{\"id\": \"unrec1\", \"name\": \"One\"}", &r);
    expect_unrecorded("region", &r);
    http_response_free(&r);
    cr_expect_eq(fx_db_count_at(ps_stack.mongodb_uri, "voice_regions", "{\"_id\": \"unrec1\"}"), 1,
                 "the region itself was made");
    fx_request_at(&ps_stack, "PUT", "/api/v6/admin/voice/regions", auth,
                  "{\"id\": \"unrec1\", \"name\": \"Again\"}", &r);
    cr_expect_eq(r.status, 400, "a duplicate region is still refused for what it is: %s", r.body);
    http_response_free(&r);

    /* wardenctl: the operator's first entry is written, the next is not. */
    char *out = NULL;
    int status = fx_ctl_at(&ps_stack, &out, (const char *const[]){"make-invite", "4", NULL});
    cr_expect_eq(status, 0, "first make-invite: exit %d, %s", status, out ? out : "");
    free(out);
    out = NULL;
    status = fx_ctl_at(&ps_stack, &out, (const char *const[]){"make-invite", "5", NULL});
    cr_expect_eq(status, 1, "second make-invite: exit %d, %s", status, out ? out : "");
    cr_expect_not_null(out ? strstr(out, UNRECORDED) : NULL, "%s", out ? out : "");
    free(out);
    cr_expect_eq(fx_db_count_at(ps_stack.mongodb_uri, "instance_invites", "{\"max_uses\": 5}"), 1,
                 "the invite itself was made");
    ps_finish_private();
}
