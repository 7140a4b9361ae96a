/*
 * GET /api/v6/admin/audit-log: the audit log of both realms through the
 * API, on the shared stack whose log other suites write to at the same
 * time. So every check reads by this test's own actor or targets, or walks
 * the unfiltered log only between this test's own entries (ids are
 * time-ordered: others' later entries sit above the cursor).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/chat_admin_support.h"
#include "support/fixtures.h"

#define LOG_PATH "/api/v6/admin/audit-log"
#define SNOWFLAKE_EPOCH_MS 1420070400000LL

TestSuite(audit_log, .timeout = 120);

/* GET the log with query (may be ""), as auth. */
static void audit_get(const char *auth, const char *query, struct http_response *r)
{
    char path[1400];
    snprintf(path, sizeof path, "%s%s%s", LOG_PATH, *query ? "?" : "", query);
    fx_request("GET", path, auth, NULL, r);
}

/* A 200 page for query into page (bson_init'ed here); its entries into entries. */
static void audit_page(const char *auth, const char *query, bson_t *page, bson_t *entries)
{
    struct http_response r;
    audit_get(auth, query, &r);
    cr_assert_eq(r.status, 200, "GET ?%s: %ld %s", query, r.status, r.body);
    bson_init(page);
    fx_json(&r, page);
    bson_init(entries);
    cr_assert(fx_sub(page, "entries", entries), "no entries array: %s", r.body);
    http_response_free(&r);
}

static int n_entries(const bson_t *entries)
{
    return fx_count(entries, "");
}

static void entry_at(const bson_t *entries, int i, bson_t *out)
{
    char key[16];
    snprintf(key, sizeof key, "%d", i);
    bson_init(out);
    cr_assert(fx_sub(entries, key, out), "no entry %d", i);
}

static long long entry_id(const bson_t *entry)
{
    const char *id = fx_str(entry, "id");
    cr_assert(*id && strspn(id, "0123456789") == strlen(id), "id is not a decimal string: '%s'", id);
    return atoll(id);
}

/* The nested string at a dotted path ("actor.realm"). */
static const char *path_str(const bson_t *doc, const char *path, char *out, size_t size)
{
    bson_iter_t it, at;
    out[0] = '\0';
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &at) && BSON_ITER_HOLDS_UTF8(&at))
        snprintf(out, size, "%s", bson_iter_utf8(&at, NULL));
    return out;
}

static void expect_path(const bson_t *doc, const char *path, const char *want)
{
    char got[256];
    cr_expect_str_eq(path_str(doc, path, got, sizeof got), want, "%s", path);
}

/* The time in an entry id, as the API's date syntax with milliseconds, shifted by delta ms. */
static void id_time(long long id, long long delta, char *out, size_t size)
{
    long long ms = (id >> 22) + SNOWFLAKE_EPOCH_MS + delta;
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03lldZ", day, ms % 1000);
}

static void patch_flags(const struct fx_chat_user *staff, const char *user_id, int flags)
{
    char path[96], body[48];
    snprintf(path, sizeof path, "/api/v6/admin/users/%s", user_id);
    snprintf(body, sizeof body, "{\"flags\": %d}", flags);
    struct http_response r;
    fx_request("PATCH", path, staff->auth, body, &r);
    cr_assert_eq(r.status, 200, "PATCH flags: %ld %s", r.status, r.body);
    http_response_free(&r);
}

/* How many entries query finds (one page of up to 100). */
static int count_of(const char *auth, const char *query)
{
    bson_t page, entries;
    audit_page(auth, query, &page, &entries);
    int n = n_entries(&entries);
    bson_destroy(&entries);
    bson_destroy(&page);
    return n;
}

Test(audit_log, refuses_callers_without_a_staff_token)
{
    struct http_response r;
    audit_get(NULL, "", &r);
    ca_expect_error(&r, 401, "No token provided", 0);
    http_response_free(&r);
    audit_get("Authorization: abc", "", &r);
    ca_expect_error(&r, 401, "Invalid user ID type", 0);
    http_response_free(&r);
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    audit_get(user.auth, "limit=1", &r);
    ca_expect_error(&r, 403, "you are not staff", 0);
    http_response_free(&r);
    /* A game token is no chat token. */
    struct fx_game_user mod;
    fx_game_user(&mod, "Api UserQuery", true);
    audit_get(mod.auth, "", &r);
    cr_expect(r.status == 401, "game token: %ld %s", r.status, r.body);
    http_response_free(&r);
    /* The aliases serve it too. */
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    fx_request("GET", "/api/v9/admin/audit-log?limit=1", staff.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "v9: %ld %s", r.status, r.body);
    http_response_free(&r);
}

Test(audit_log, chat_entries_carry_actor_target_and_states)
{
    struct fx_chat_user staff, plain;
    fx_chat_user(&staff, true);
    fx_chat_user(&plain, false);
    char code[16];
    fx_api_invite(&staff, code);
    patch_flags(&staff, plain.id, 64);

    char query[128];
    snprintf(query, sizeof query, "actor=%s", staff.id);
    bson_t page, entries, e;
    audit_page(staff.auth, query, &page, &entries);
    cr_assert_eq(n_entries(&entries), 2, "the staff member's two entries");
    cr_expect(fx_is_null(&page, "next_before"), "one page only");

    entry_at(&entries, 0, &e); /* newest first: the PATCH */
    expect_path(&e, "action", "user.update");
    expect_path(&e, "actor.realm", "chat");
    expect_path(&e, "actor.id", staff.id);
    expect_path(&e, "actor.name", staff.username);
    expect_path(&e, "target.type", "user");
    expect_path(&e, "target.id", plain.id);
    expect_path(&e, "before.id", plain.id);
    expect_path(&e, "after.id", plain.id);
    bson_t state = BSON_INITIALIZER;
    cr_assert(fx_sub(&e, "before", &state));
    cr_expect_eq(fx_int(&state, "flags", -1), 0);
    bson_destroy(&state);
    bson_init(&state);
    cr_assert(fx_sub(&e, "after", &state));
    cr_expect_eq(fx_int(&state, "flags", -1), 64);
    bson_destroy(&state);
    char rid[96];
    cr_expect(*path_str(&e, "request_id", rid, sizeof rid), "a request id");
    /* created_at: as the APIs write dates, within a minute of the id's time. */
    const char *at = fx_str(&e, "created_at");
    cr_expect_eq(strlen(at), 32, "created_at '%s'", at);
    cr_expect_str_eq(at + 26, "+00:00", "created_at '%s'", at);
    char id_at[40];
    id_time(entry_id(&e), 0, id_at, sizeof id_at);
    cr_expect_eq(strncmp(at, id_at, 16), 0, "created_at %s, id time %s", at, id_at);
    bson_destroy(&e);

    entry_at(&entries, 1, &e);
    expect_path(&e, "action", "invite.create");
    expect_path(&e, "target.type", "invite");
    expect_path(&e, "target.id", code);
    bson_t made = BSON_INITIALIZER;
    cr_assert(fx_sub(&e, "after", &made), "after: what was made");
    cr_expect_eq(fx_int(&made, "max_uses", -1), 3);
    bson_destroy(&made);
    bson_iter_t it;
    cr_expect(!bson_iter_init_find(&it, &e, "before"), "no before for a creation");
    bson_destroy(&e);
    bson_destroy(&entries);
    bson_destroy(&page);
}

Test(audit_log, game_and_operator_entries_appear_in_their_realms)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    struct fx_game_user mod, owner;
    fx_game_user(&mod, "Api UserQuery Ban", true);
    fx_game_user(&owner, "", false);
    char player_id[40], player[24];
    fx_game_player(owner.name, NULL, 1, 1, NULL, player_id, player);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/players/%s/admin/ban", player);
    struct http_response r;
    fx_request("POST", path, mod.auth, "{\"duration\": 1, \"reason\": \"audit\"}", &r);
    cr_assert_eq(r.status, 200, "ban: %ld %s", r.status, r.body);
    http_response_free(&r);

    char query[160];
    snprintf(query, sizeof query, "actor=%s&action=game.ban", mod.id);
    bson_t page, entries, e;
    audit_page(staff.auth, query, &page, &entries);
    cr_assert_eq(n_entries(&entries), 1);
    entry_at(&entries, 0, &e);
    expect_path(&e, "actor.realm", "game");
    expect_path(&e, "actor.id", mod.id);
    expect_path(&e, "actor.name", mod.name);
    expect_path(&e, "target.type", "player");
    expect_path(&e, "target.id", player_id);
    expect_path(&e, "after.user_id", owner.id);
    expect_path(&e, "after.parameters.reason", "audit");
    char said[64];
    snprintf(said, sizeof said, "%s has been banned!", player);
    expect_path(&e, "after.result.message", said);
    bson_destroy(&e);
    bson_destroy(&entries);
    bson_destroy(&page);

    char line[64];
    fx_ctl_ok(NULL, line, sizeof line, (const char *const[]){"make-invite", "2", NULL});
    snprintf(query, sizeof query, "target=invite:%s", line);
    audit_page(staff.auth, query, &page, &entries);
    cr_assert_eq(n_entries(&entries), 1);
    entry_at(&entries, 0, &e);
    expect_path(&e, "actor.realm", "operator");
    char uid[24];
    snprintf(uid, sizeof uid, "%ld", (long)getuid());
    expect_path(&e, "actor.id", uid);
    expect_path(&e, "action", "invite.create");
    char rid[96];
    cr_expect_eq(strncmp(path_str(&e, "request_id", rid, sizeof rid), "wardenctl-", 10), 0, "rid %s", rid);
    bson_destroy(&e);
    bson_destroy(&entries);
    bson_destroy(&page);
}

Test(audit_log, filters_alone_and_combined)
{
    struct fx_chat_user staff, plain, other;
    fx_chat_user(&staff, true);
    fx_chat_user(&other, true);
    fx_chat_user(&plain, false);
    char a[16], b[16], c[16];
    fx_api_invite(&staff, a);
    fx_api_invite(&staff, b);
    fx_api_invite(&other, c);
    patch_flags(&staff, plain.id, 4);
    patch_flags(&other, plain.id, 8);

    char q[256];
    snprintf(q, sizeof q, "actor=%s", staff.id);
    cr_expect_eq(count_of(staff.auth, q), 3, "%s", q);
    snprintf(q, sizeof q, "actor=%s&action=invite.create", staff.id);
    cr_expect_eq(count_of(staff.auth, q), 2, "%s", q);
    snprintf(q, sizeof q, "actor=%s&action=user.update", other.id);
    cr_expect_eq(count_of(staff.auth, q), 1, "%s", q);
    snprintf(q, sizeof q, "target=invite:%s", a);
    cr_expect_eq(count_of(staff.auth, q), 1, "%s", q);
    snprintf(q, sizeof q, "target=invite:%s&actor=%s", c, staff.id);
    cr_expect_eq(count_of(staff.auth, q), 0, "%s", q);
    snprintf(q, sizeof q, "target=user:%s", plain.id);
    cr_expect_eq(count_of(staff.auth, q), 3, "its creation (by wardenctl) and the two PATCHes; %s", q);
    snprintf(q, sizeof q, "target=user:%s&action=user.update&actor=%s", plain.id, other.id);
    cr_expect_eq(count_of(staff.auth, q), 1, "%s", q);
    snprintf(q, sizeof q, "target=user:%s&action=invite.create", plain.id);
    cr_expect_eq(count_of(staff.auth, q), 0, "%s", q);
    snprintf(q, sizeof q, "action=no.such.action.%s", plain.id);
    cr_expect_eq(count_of(staff.auth, q), 0, "%s", q);

    /* since is inclusive and until exclusive, to the millisecond of the entry's id. */
    bson_t page, entries, e;
    snprintf(q, sizeof q, "target=invite:%s", b);
    audit_page(staff.auth, q, &page, &entries);
    entry_at(&entries, 0, &e);
    long long id = entry_id(&e);
    bson_destroy(&e);
    bson_destroy(&entries);
    bson_destroy(&page);
    char at[40], after[40], day[16];
    id_time(id, 0, at, sizeof at);
    id_time(id, 1, after, sizeof after);
    snprintf(q, sizeof q, "target=invite:%s&since=%s", b, at);
    cr_expect_eq(count_of(staff.auth, q), 1, "%s", q);
    snprintf(q, sizeof q, "target=invite:%s&since=%s", b, after);
    cr_expect_eq(count_of(staff.auth, q), 0, "%s", q);
    snprintf(q, sizeof q, "target=invite:%s&until=%s", b, at);
    cr_expect_eq(count_of(staff.auth, q), 0, "%s", q);
    snprintf(q, sizeof q, "target=invite:%s&until=%s", b, after);
    cr_expect_eq(count_of(staff.auth, q), 1, "%s", q);
    snprintf(q, sizeof q, "actor=%s&since=%s", staff.id, at);
    cr_expect_eq(count_of(staff.auth, q), 2, "since the second invite: it and the PATCH; %s", q);
    snprintf(q, sizeof q, "actor=%s&until=%s", staff.id, at);
    cr_expect_eq(count_of(staff.auth, q), 1, "until the second invite: the first; %s", q);
    snprintf(q, sizeof q, "actor=%s&since=%s&until=%s", staff.id, at, after);
    cr_expect_eq(count_of(staff.auth, q), 1, "%s", q);
    /* Dates alone: a day is its first millisecond. */
    snprintf(day, sizeof day, "%.10s", at);
    snprintf(q, sizeof q, "actor=%s&since=%s", staff.id, day);
    cr_expect_eq(count_of(staff.auth, q), 3, "%s", q);
    snprintf(q, sizeof q, "actor=%s&until=%s", staff.id, day);
    cr_expect_eq(count_of(staff.auth, q), 0, "%s", q);
    snprintf(q, sizeof q, "actor=%s&until=1970-01-01", staff.id);
    cr_expect_eq(count_of(staff.auth, q), 0, "%s", q);
    /* The unfiltered log bounded to this one millisecond holds the entry. */
    snprintf(q, sizeof q, "since=%s&until=%s&limit=100", at, after);
    audit_page(staff.auth, q, &page, &entries);
    bool found = false;
    for (int i = 0; i < n_entries(&entries); i++) {
        entry_at(&entries, i, &e);
        found = found || entry_id(&e) == id;
        bson_destroy(&e);
    }
    cr_expect(found, "the entry is in its millisecond's unfiltered page");
    bson_destroy(&entries);
    bson_destroy(&page);
}

#define WALK_MAX 64

/* Walk query's pages of limit entries from cursor (0: the top) down; ids into ids. */
static int walk(const char *auth, const char *query, int limit, long long cursor, long long stop_at,
                long long *ids, int *pages)
{
    int n = 0;
    *pages = 0;
    for (;;) {
        char q[400];
        int len = snprintf(q, sizeof q, "%s%slimit=%d", query, *query ? "&" : "", limit);
        if (cursor)
            snprintf(q + len, sizeof q - (size_t)len, "&before=%lld", cursor);
        bson_t page, entries, e;
        audit_page(auth, q, &page, &entries);
        (*pages)++;
        int got = n_entries(&entries);
        cr_assert_leq(got, limit, "a page holds at most limit entries");
        bool stopped = false;
        long long last = 0;
        for (int i = 0; i < got; i++) {
            entry_at(&entries, i, &e);
            last = entry_id(&e);
            bson_destroy(&e);
            if (stopped)
                continue;
            cr_assert_lt(n, WALK_MAX);
            ids[n++] = last;
            stopped = last == stop_at;
        }
        const char *next = fx_str(&page, "next_before");
        if (fx_is_null(&page, "next_before")) {
            bson_destroy(&entries);
            bson_destroy(&page);
            return n;
        }
        cr_assert_eq(got, limit, "only a full page has a next page");
        cr_assert_eq(atoll(next), last, "next_before is the last entry's id");
        cursor = atoll(next);
        bson_destroy(&entries);
        bson_destroy(&page);
        if (stopped)
            return n;
        cr_assert_lt(*pages, WALK_MAX, "no end of pages");
    }
}

Test(audit_log, cursor_pages_hold_every_entry_once)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    enum { MADE = 7 };
    char codes[MADE][16];
    for (int i = 0; i < MADE; i++)
        fx_api_invite(&staff, codes[i]);

    char actor[64];
    snprintf(actor, sizeof actor, "actor=%s", staff.id);
    long long all[WALK_MAX];
    int pages;
    int n = walk(staff.auth, actor, MADE, 0, 0, all, &pages);
    cr_assert_eq(n, MADE);
    cr_expect_eq(pages, 1, "exactly limit entries: one page, next_before null");
    for (int i = 1; i < n; i++)
        cr_assert_gt(all[i - 1], all[i], "newest first");

    for (int limit = 1; limit <= MADE + 1; limit++) {
        long long ids[WALK_MAX];
        int got = walk(staff.auth, actor, limit, 0, 0, ids, &pages);
        cr_expect_eq(got, MADE, "limit %d", limit);
        cr_expect_eq(pages, (MADE + limit - 1) / limit, "limit %d: pages", limit);
        for (int i = 0; i < got && i < MADE; i++)
            cr_expect_eq(ids[i], all[i], "limit %d: entry %d", limit, i);
    }

    /* A cursor in the middle: the entries below it, and none at or above. */
    long long ids[WALK_MAX];
    int got = walk(staff.auth, actor, 100, all[2], 0, ids, &pages);
    cr_expect_eq(got, MADE - 3);
    cr_expect_eq(ids[0], all[3]);
    got = walk(staff.auth, actor, 100, all[2] + 1, 0, ids, &pages);
    cr_expect_eq(ids[0], all[2], "before is exclusive: before=id+1 starts at id");
    got = walk(staff.auth, actor, 100, all[MADE - 1], 0, ids, &pages);
    cr_expect_eq(got, 0, "nothing below the oldest");

    /* The unfiltered log, between this test's newest and oldest entries:
     * others' entries may sit between them, but every one of ours is there,
     * once, in order. */
    got = walk(staff.auth, "", 3, all[0] + 1, all[MADE - 1], ids, &pages);
    int k = 0;
    for (int i = 0; i < got; i++) {
        if (i > 0)
            cr_assert_gt(ids[i - 1], ids[i], "unfiltered: newest first, no entry twice");
        if (k < MADE && ids[i] == all[k])
            k++;
    }
    cr_expect_eq(k, MADE, "unfiltered: every entry of ours, in order (%d of %d)", k, MADE);
}

/* A 400 naming param for query. */
static void expect_bad(const char *auth, const char *query, const char *param, const char *message)
{
    struct http_response r;
    audit_get(auth, query, &r);
    cr_expect_eq(r.status, 400, "?%s: %ld %s", query, r.status, r.body);
    if (r.status == 400)
        ca_expect_field_error(&r, param, message);
    http_response_free(&r);
}

Test(audit_log, bad_values_are_400_naming_the_parameter)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    const char *limit = "must be an integer in 1..100";
    expect_bad(staff.auth, "limit=0", "limit", limit);
    expect_bad(staff.auth, "limit=101", "limit", limit);
    expect_bad(staff.auth, "limit=-1", "limit", limit);
    expect_bad(staff.auth, "limit=ten", "limit", limit);
    expect_bad(staff.auth, "limit=1.5", "limit", limit);
    const char *before = "must be an entry id (a positive integer)";
    expect_bad(staff.auth, "before=0", "before", before);
    expect_bad(staff.auth, "before=-3", "before", before);
    expect_bad(staff.auth, "before=abc", "before", before);
    expect_bad(staff.auth, "before=99999999999999999999", "before", before);
    const char *date = "must be a UTC date: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]";
    const char *dates[] = {"yesterday", "2026-13-01", "2026-02-30", "2026-12-01T10",
                           "2026-12-01T10:00:00+01:00", "2026-12-01T24:00:00Z",
                           "2026-12-01T10:00:00.5Z", "1969-12-31", "2026-12-01x"};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char q[96];
        snprintf(q, sizeof q, "since=%s", dates[i]);
        expect_bad(staff.auth, q, "since", date);
        snprintf(q, sizeof q, "until=%s", dates[i]);
        expect_bad(staff.auth, q, "until", date);
    }
    const char *target = "must be TYPE:ID, e.g. user:1234";
    expect_bad(staff.auth, "target=user", "target", target);
    expect_bad(staff.auth, "target=:12", "target", target);
    expect_bad(staff.auth, "target=user:", "target", target);
    expect_bad(staff.auth, "actor=%FF", "actor", "must be UTF-8 text");
    char q[400] = "action=";
    memset(q + 7, 'a', 257);
    q[7 + 257] = '\0';
    expect_bad(staff.auth, q, "action", "must be at most 256 bytes");
    q[7 + 256] = '\0';
    cr_expect_eq(count_of(staff.auth, q), 0, "an action of 256 bytes is fine (and matches nothing)");
    char long_target[600] = "target=u:";
    memset(long_target + 9, 'a', 512);
    long_target[9 + 512] = '\0';
    expect_bad(staff.auth, long_target, "target", "must be at most 513 bytes");
    long_target[9 + 511] = '\0';
    cr_expect_eq(count_of(staff.auth, long_target), 0, "a target of 513 bytes is fine");

    /* Every bad parameter is named at once. */
    struct http_response r;
    audit_get(staff.auth, "limit=0&before=x&since=never", &r);
    ca_expect_field_error(&r, "limit", limit);
    ca_expect_field_error(&r, "before", before);
    ca_expect_field_error(&r, "since", date);
    http_response_free(&r);

    /* The bounds themselves, empty values (absent) and unknown parameters are fine. */
    const char *good[] = {"limit=1", "limit=100", "limit=", "before=9223372036854775807",
                          "since=2026-12-01T10:00:00.123Z", "until=2026-02-28", "since=2024-02-29",
                          "since=2026-12-01T10:00Z", "until=2026-12-01T10:00:00",
                          "actor=&action=&target=", "colour=blue", "since=2030-01-01&until=2020-01-01"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        audit_get(staff.auth, good[i], &r);
        cr_expect_eq(r.status, 200, "?%s: %ld %s", good[i], r.status, r.body);
        http_response_free(&r);
    }
    snprintf(q, sizeof q, "actor=%s&limit=1", staff.id);
    cr_expect_eq(count_of(staff.auth, q), 0, "a staff member who did nothing has no entries");
    /* Dates past the last one an id can carry (2084) bound nothing, or everything. */
    cr_expect_eq(count_of(staff.auth, "until=2099-01-01T00:00:00Z&limit=1"), 1,
                 "until past the ids' range hides entries");
    cr_expect_eq(count_of(staff.auth, "since=2099-01-01&limit=1"), 0, "since past the ids' range");
}
