/*
 * wardenctl audit: the audit log read newest first, through its own keys.
 * Entries are made through the API (a staff user's invites) and through
 * wardenctl (the operator's), on the shared stack whose log other suites
 * write to at the same time: so each check reads by this test's own actor
 * or targets, or bounds what it expects by time. Also: the usage errors
 * (status 2, before any connection), the --json shape, and `wardenctl
 * migrate` writing the postings of entries that lack them.
 */
#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/ctl_run.h"
#include "support/fixtures.h"
#include "support/stack.h"

#define MAX_LINES 64

static void quiet_driver(void)
{
    /* As in ctl_test.c: no driver counters file for the processes a test starts. */
    cr_assert_eq(setenv("MONGOC_DISABLE_SHM", "1", 1), 0);
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
}

TestSuite(audit_ctl, .init = quiet_driver);

/* wardenctl args, expected to succeed; its stdout (the caller frees it). */
static char *ctl_ok(const char *const *args)
{
    struct ctl_run r;
    ctl_run_in(&r, NULL, NULL, args);
    cr_assert_eq(r.status, 0, "wardenctl %s: exit %d: %s", args[0], r.status, r.err);
    char *out = r.out;
    r.out = NULL;
    ctl_run_free(&r);
    return out;
}

struct entries {
    bson_t docs[MAX_LINES];
    size_t n;
};

/* `wardenctl audit --json` with args: each line parsed. */
static void audit_json(struct entries *en, const char *const *args)
{
    const char *argv[24] = {"audit", "--json"};
    size_t k = 2;
    for (; args[k - 2]; k++) {
        cr_assert_lt(k, 23);
        argv[k] = args[k - 2];
    }
    argv[k] = NULL;
    char *out = ctl_ok(argv);
    en->n = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cr_assert_lt(en->n, MAX_LINES, "too many lines");
        bson_error_t e;
        cr_assert(bson_init_from_json(&en->docs[en->n], line, -1, &e), "not JSON: %s (%s)", line, e.message);
        en->n++;
    }
    free(out);
}

static void entries_free(struct entries *en)
{
    for (size_t i = 0; i < en->n; i++)
        bson_destroy(&en->docs[i]);
    en->n = 0;
}

static long long entry_id(const bson_t *doc)
{
    const char *id = fx_str(doc, "id");
    cr_assert(*id && strspn(id, "0123456789") == strlen(id), "id is not a decimal string: %s", id);
    return atoll(id);
}

/* Ids strictly descending: newest first, no entry twice. */
static void expect_newest_first(const struct entries *en, const char *what)
{
    for (size_t i = 1; i < en->n; i++)
        cr_expect_gt(entry_id(&en->docs[i - 1]), entry_id(&en->docs[i]), "%s: line %zu is out of order", what, i);
}

/* An invite made by the operator through wardenctl. */
static void ctl_invite(char code[16])
{
    char *out = ctl_ok((const char *const[]){"make-invite", "2", NULL});
    out[strcspn(out, "\n")] = '\0';
    snprintf(code, 16, "%s", out);
    free(out);
}

Test(audit_ctl, api_and_ctl_entries_by_each_filter_newest_first, .timeout = 120)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char api_code[16], ctl_code[16], target_api[32], target_ctl[32];
    fx_api_invite(&staff, api_code);
    ctl_invite(ctl_code);
    {
        struct http_response r;
        char path[96];
        snprintf(path, sizeof path, "/api/v6/admin/instance/invites/%s", api_code);
        fx_request("DELETE", path, staff.auth, NULL, &r);
        cr_assert_eq(r.status, 204, "DELETE invite: %ld %s", r.status, r.body);
        http_response_free(&r);
    }
    snprintf(target_api, sizeof target_api, "invite:%s", api_code);
    snprintf(target_ctl, sizeof target_ctl, "invite:%s", ctl_code);
    struct entries en;

    /* By actor (its id): the staff user's two API actions, newest first, with their shape. */
    audit_json(&en, (const char *const[]){"--actor", staff.id, NULL});
    cr_assert_eq(en.n, 2, "by actor %s: %zu entries", staff.id, en.n);
    expect_newest_first(&en, "by actor");
    cr_expect_str_eq(fx_str(&en.docs[0], "action"), "invite.delete");
    cr_expect_str_eq(fx_str(&en.docs[1], "action"), "invite.create");
    for (size_t i = 0; i < en.n; i++) {
        const bson_t *d = &en.docs[i];
        cr_expect_str_eq(fx_str(d, "actor.realm"), "chat");
        cr_expect_str_eq(fx_str(d, "actor.id"), staff.id);
        cr_expect_str_eq(fx_str(d, "actor.name"), staff.username);
        cr_expect_str_eq(fx_str(d, "target.type"), "invite");
        cr_expect_str_eq(fx_str(d, "target.id"), api_code);
        const char *at = fx_str(d, "created_at");
        cr_expect(strlen(at) >= 20 && at[4] == '-' && at[10] == 'T', "created_at: %s", at);
        cr_expect(*fx_str(d, "request_id"), "no request id");
    }
    bson_t sub = BSON_INITIALIZER;
    char *shown = bson_as_relaxed_extended_json(&en.docs[0], NULL);
    cr_assert(fx_sub(&en.docs[0], "before", &sub), "invite.delete has no before: %s", shown);
    cr_expect_eq(fx_int(&sub, "max_uses", -1), 3, "before: %s", shown);
    bson_free(shown);
    bson_reinit(&sub);
    cr_assert(fx_sub(&en.docs[1], "after", &sub), "invite.create has no after");
    bson_destroy(&sub);
    char created_id[24];
    snprintf(created_id, sizeof created_id, "%s", fx_str(&en.docs[1], "id"));
    entries_free(&en);

    /* By actor name: the same entries. */
    audit_json(&en, (const char *const[]){"--actor", staff.username, NULL});
    cr_expect_eq(en.n, 2, "by actor name: %zu entries", en.n);
    entries_free(&en);

    /* By target: the API's invite (both), the operator's (its create, by the operator). */
    audit_json(&en, (const char *const[]){"--target", target_api, NULL});
    cr_expect_eq(en.n, 2, "by target: %zu entries", en.n);
    expect_newest_first(&en, "by target");
    entries_free(&en);
    audit_json(&en, (const char *const[]){"--target", target_ctl, NULL});
    cr_assert_eq(en.n, 1, "by the operator's target: %zu entries", en.n);
    cr_expect_str_eq(fx_str(&en.docs[0], "actor.realm"), "operator");
    cr_expect_str_eq(fx_str(&en.docs[0], "action"), "invite.create");
    cr_expect(strncmp(fx_str(&en.docs[0], "request_id"), "wardenctl-", 10) == 0, "request id %s",
              fx_str(&en.docs[0], "request_id"));
    entries_free(&en);

    /* By action: newest first, every line that action; this test's entry among them. */
    audit_json(&en, (const char *const[]){"--action", "invite.create", "--limit", "60", NULL});
    cr_expect_gt(en.n, 0);
    expect_newest_first(&en, "by action");
    bool seen = false;
    for (size_t i = 0; i < en.n; i++) {
        cr_expect_str_eq(fx_str(&en.docs[i], "action"), "invite.create");
        seen = seen || strcmp(fx_str(&en.docs[i], "id"), created_id) == 0;
    }
    cr_expect(seen || en.n == 60, "invite.create %s not listed", created_id);
    entries_free(&en);

    /* Combined: every filter must hold. */
    audit_json(&en, (const char *const[]){"--actor", staff.id, "--action", "invite.delete", NULL});
    cr_expect_eq(en.n, 1, "actor + action: %zu", en.n);
    entries_free(&en);
    audit_json(&en, (const char *const[]){"--actor", staff.id, "--action", "invite.create", "--target",
                                          target_api, NULL});
    cr_expect_eq(en.n, 1, "actor + action + target: %zu", en.n);
    cr_expect(en.n == 0 || strcmp(fx_str(&en.docs[0], "id"), created_id) == 0);
    entries_free(&en);
    audit_json(&en, (const char *const[]){"--actor", staff.id, "--target", target_ctl, NULL});
    cr_expect_eq(en.n, 0, "the staff user did not make the operator's invite: %zu", en.n);
    entries_free(&en);

    /* --limit: the newest only. */
    audit_json(&en, (const char *const[]){"--actor", staff.id, "--limit", "1", NULL});
    cr_expect_eq(en.n, 1);
    cr_expect(en.n == 0 || strcmp(fx_str(&en.docs[0], "action"), "invite.delete") == 0);
    entries_free(&en);

    /* --since: from a day ago, the entries stay; from next year, none (filtered or not). */
    char yesterday[32], next_year[32];
    time_t now = time(NULL), then = now - 86400;
    struct tm tm;
    strftime(yesterday, sizeof yesterday, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&then, &tm));
    gmtime_r(&now, &tm);
    snprintf(next_year, sizeof next_year, "%04d-01-01", tm.tm_year + 1900 + 1);
    audit_json(&en, (const char *const[]){"--actor", staff.id, "--since", yesterday, NULL});
    cr_expect_eq(en.n, 2, "since %s: %zu", yesterday, en.n);
    entries_free(&en);
    audit_json(&en, (const char *const[]){"--actor", staff.id, "--since", next_year, NULL});
    cr_expect_eq(en.n, 0, "since %s: %zu", next_year, en.n);
    entries_free(&en);
    audit_json(&en, (const char *const[]){"--since", next_year, NULL});
    cr_expect_eq(en.n, 0, "unfiltered since %s: %zu", next_year, en.n);
    entries_free(&en);

    /* Unfiltered: newest first, and this test's newest entry within the last ones. */
    audit_json(&en, (const char *const[]){"--since", yesterday, "--limit", "60", NULL});
    cr_expect_gt(en.n, 0);
    expect_newest_first(&en, "unfiltered");
    entries_free(&en);

    /* The table: a header, then one line per entry with time, actor, action, target, request id. */
    char *table = ctl_ok((const char *const[]){"audit", "--target", target_api, NULL});
    cr_expect_eq(ctl_run_lines(table), 3, "%s", table);
    cr_expect_eq(strncmp(table, "TIME", 4), 0, "%s", table);
    cr_expect_neq(strstr(table, "REQUEST ID"), NULL, "%s", table);
    char *first = strchr(table, '\n');
    cr_assert_not_null(first, "%s", table);
    first++;
    char actor[64];
    snprintf(actor, sizeof actor, "chat:%s", staff.username);
    cr_expect_neq(strstr(first, actor), NULL, "%s", table);
    cr_expect_neq(strstr(first, "invite.delete"), NULL, "newest not first: %s", table);
    cr_expect_neq(strstr(first, target_api), NULL, "%s", table);
    free(table);
}

/* Unknown arguments, filters without values, bad dates and limits: status 2,
 * one line on stderr, nothing on stdout (checked before the database). */
Test(audit_ctl, usage_errors_are_status_2)
{
    static const char *const cases[][4] = {
        {"--user", "x", NULL},
        {"--actor", NULL},
        {"--since", "yesterday", NULL},
        {"--since", "2024-13-01", NULL},
        {"--since", "2023-02-29", NULL},
        {"--since", "2024-01-01T25:00", NULL},
        {"--since", "2024-01-01 10:00", NULL},
        {"--limit", "0", NULL},
        {"--limit", "10001", NULL},
        {"--limit", "many", NULL},
        {"--target", "invite", NULL},
        {"--target", ":x", NULL},
        {"stray", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[6] = {"audit"};
        for (size_t k = 0; cases[i][k]; k++)
            argv[k + 1] = cases[i][k];
        struct ctl_run r;
        /* An unreachable database: the refusal must come first. */
        cr_assert_eq(setenv("WARDEN_MONGODB_URI", "mongodb://127.0.0.1:1/warden?serverSelectionTimeoutMS=200", 1), 0);
        ctl_run_in(&r, NULL, NULL, argv);
        cr_expect_eq(r.status, 2, "audit %s %s: exit %d (%s)", cases[i][0], cases[i][1] ? cases[i][1] : "",
                     r.status, r.err);
        cr_expect_str_eq(r.out, "", "audit %s: stdout", cases[i][0]);
        cr_expect_eq(ctl_run_lines(r.err), 1, "audit %s: stderr %s", cases[i][0], r.err);
        ctl_run_free(&r);
    }
    /* Good ones, for contrast: each date form is taken. */
    cr_assert_eq(setenv("WARDEN_MONGODB_URI", stack_shared_mongodb_uri(), 1), 0);
    static const char *const dates[] = {"2024-02-29", "2024-02-29T23:59", "2024-02-29T23:59:59Z"};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        free(ctl_ok((const char *const[]){"audit", "--since", dates[i], "--limit", "1", NULL}));
}

/* Entries whose postings are gone (an older release wrote none): the
 * filtered reads miss them until `wardenctl migrate` writes them again. */
Test(audit_ctl, migrate_backfills_the_postings, .timeout = 120)
{
    char code[16], target[32];
    ctl_invite(code);
    snprintf(target, sizeof target, "invite:%s", code);
    struct entries en;
    audit_json(&en, (const char *const[]){"--target", target, NULL});
    cr_assert_eq(en.n, 1, "%zu", en.n);
    char id[24];
    snprintf(id, sizeof id, "%s", fx_str(&en.docs[0], "id"));
    entries_free(&en);

    /* Delete every posting of the entry (test-only query: by the id in the key). */
    mongoc_database_t *db;
    mongoc_client_t *client = fx_db_open(stack_shared_mongodb_uri(), &db);
    mongoc_collection_t *keys = mongoc_database_get_collection(db, "audit_keys");
    char pattern[48];
    snprintf(pattern, sizeof pattern, ":0*%s$", id);
    bson_t *filter = BCON_NEW("_id", "{", "$regex", BCON_UTF8(pattern), "}");
    bson_t reply;
    bson_error_t e;
    cr_assert(mongoc_collection_delete_many(keys, filter, NULL, &reply, &e), "%s", e.message);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &reply, "deletedCount"));
    cr_expect_geq(bson_iter_as_int64(&it), 3, "postings deleted: %lld", (long long)bson_iter_as_int64(&it));
    bson_destroy(&reply);
    bson_destroy(filter);
    mongoc_collection_destroy(keys);
    fx_db_close(client, db);

    audit_json(&en, (const char *const[]){"--target", target, NULL});
    cr_expect_eq(en.n, 0, "postings deleted, yet found: %zu", en.n);
    entries_free(&en);

    char *out = ctl_ok((const char *const[]){"migrate", NULL});
    cr_expect_neq(strstr(out, "audit_keys"), NULL, "migrate: %s", out);
    free(out);

    static const char *const filters[][2] = {{"--target", NULL}, {"--action", "invite.create"}, {"--actor", NULL}};
    char uid[16];
    snprintf(uid, sizeof uid, "%ld", (long)getuid());
    for (size_t i = 0; i < 3; i++) {
        const char *value = i == 0 ? target : i == 2 ? uid : filters[i][1];
        audit_json(&en, (const char *const[]){filters[i][0], value, "--limit", "60", NULL});
        bool found = false;
        for (size_t k = 0; k < en.n; k++)
            found = found || strcmp(fx_str(&en.docs[k], "id"), id) == 0;
        cr_expect(found || en.n == 60, "after migrate, %s %s misses entry %s", filters[i][0], value, id);
        entries_free(&en);
    }
}
