/*
 * invites: instance invites and registration with one, on the shared stack
 * (spec: chat-admin.md, rows GET/PUT /admin/instance/invites, DELETE
 * /admin/instance/invites/<code>, POST /auth/register_inv). Litecord's own
 * scenarios first, then the validation of max_uses, the invite's shape and
 * order, every answer of register_inv, a use given back when the account is
 * not created (a tombstone: uses given back admit others), 50 concurrent
 * registrations on five uses, races where some registrations give their use
 * back, and `wardenctl migrate` renumbering slots of the previous release.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "chat_admin_support.h"
#include "support/fixtures.h"
#include "support/stack.h"
#include "support/wait.h"

#define INVITES "/api/v6/admin/instance/invites"
#define REGISTER "/api/v6/auth/register_inv"

/* PUT an invite with this max_uses; its code into code. */
static void create_invite(const char *auth, int max_uses, char code[8])
{
    char body[64];
    snprintf(body, sizeof body, "{\"max_uses\": %d}", max_uses);
    struct http_response r;
    fx_request("PUT", INVITES, auth, body, &r);
    cr_assert_eq(r.status, 200, "create invite: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    snprintf(code, 8, "%.6s", fx_str(&doc, "code"));
    cr_assert_eq(strlen(code), 6, "code %s", fx_str(&doc, "code"));
    bson_destroy(&doc);
    http_response_free(&r);
}

/* The invite's entry of GET /admin/instance/invites into entry (false when
 * it is not listed); *position is its index in the list. */
static bool listed(const char *auth, const char *code, bson_t *entry, int *position)
{
    struct http_response r;
    fx_request("GET", INVITES, auth, NULL, &r);
    cr_assert_eq(r.status, 200, "list: %ld %s", r.status, r.body);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    int n = fx_count(&list, "");
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        char key[24];
        snprintf(key, sizeof key, "%d.code", i);
        if (strcmp(fx_str(&list, key), code) == 0) {
            snprintf(key, sizeof key, "%d", i);
            found = fx_sub(&list, key, entry);
            if (position)
                *position = i;
        }
    }
    bson_destroy(&list);
    return found;
}

static int64_t uses_of(const char *auth, const char *code)
{
    bson_t entry = BSON_INITIALIZER;
    cr_assert(listed(auth, code, &entry, NULL), "invite %s listed", code);
    int64_t uses = fx_int(&entry, "uses", -100);
    bson_destroy(&entry);
    return uses;
}

/* The uses of code as stored: its use slots ("<code>#...") less the uses
 * given back (tombstones, "<code>~..."); settled: after the counts stop
 * moving (registrations that got no answer may still be running). */
static int64_t stored_uses(const char *code, bool settled)
{
    char slots[128], tombstones[128];
    snprintf(slots, sizeof slots, "{\"_id\": {\"$gte\": \"%s#\", \"$lt\": \"%s$\"}}", code, code);
    snprintf(tombstones, sizeof tombstones, "{\"_id\": {\"$gte\": \"%s~\", \"$lt\": \"%s\\u007f\"}}",
             code, code);
    if (settled)
        return ca_db_settled_count("instance_invite_uses", slots) -
               ca_db_settled_count("instance_invite_uses", tombstones);
    return fx_db_count("instance_invite_uses", slots) - fx_db_count("instance_invite_uses", tombstones);
}

/* POST /auth/register_inv as JSON. */
static void register_json(const char *username, const char *email, const char *password,
                          const char *code, struct http_response *r)
{
    char body[1600];
    int n = snprintf(body, sizeof body,
                     "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"%s\",\"invcode\":\"%s\"}",
                     username, email, password, code);
    cr_assert(n > 0 && (size_t)n < sizeof body, "register body too long");
    fx_request("POST", REGISTER, NULL, body, r);
}

/* A new name and its email. */
static void new_identity(char name[24], char email[64], const char *prefix)
{
    fx_unique(name, 24, prefix);
    snprintf(email, 64, "%s@example.com", name);
}

/* Seconds since 1970 of a UTC date (days from the civil calendar). */
static time_t utc_seconds(int y, int mo, int d, int h, int mi, int s)
{
    y -= mo <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return (time_t)(days * 86400L + h * 3600L + mi * 60L + s);
}

/* --- Litecord's own scenarios (tests/test_admin_api/test_instance_invites.py) */

Test(invites, litecord_list_invites)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8];
    create_invite(staff.auth, 3, code);
    struct http_response r;
    fx_request("GET", INVITES, staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(r.body[0], '[', "a list: %s", r.body);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    int n = fx_count(&list, "");
    cr_assert_geq(n, 1);
    for (int i = 0; i < n; i++) {
        char key[32];
        bson_t entry = BSON_INITIALIZER;
        snprintf(key, sizeof key, "%d", i);
        cr_assert(fx_sub(&list, key, &entry));
        cr_expect_eq(fx_count(&entry, ""), 4, "code, created_at, uses, max_uses: element %d", i);
        cr_expect_eq(strlen(fx_str(&entry, "code")), 6);
        cr_expect_neq(fx_int(&entry, "uses", -100), -100);
        cr_expect_neq(fx_int(&entry, "max_uses", -100), -100);
        bson_destroy(&entry);
    }
    bson_destroy(&list);
}

Test(invites, litecord_delete_unknown_invite_is_404)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    const char *paths[] = {INVITES "/aaaaaa", INVITES "/toolongcode", INVITES "/a"};
    for (size_t i = 0; i < 3; i++) {
        struct http_response r;
        fx_request("DELETE", paths[i], staff.auth, NULL, &r);
        ca_expect_error(&r, 404, "Unknown invite", 10006);
        http_response_free(&r);
    }
}

Test(invites, litecord_create_list_delete)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], path[64];
    create_invite(staff.auth, 1, code);
    bson_t entry = BSON_INITIALIZER;
    cr_assert(listed(staff.auth, code, &entry, NULL), "the new invite is listed");
    cr_expect_eq(fx_int(&entry, "max_uses", 0), 1);
    cr_expect_eq(fx_int(&entry, "uses", -1), 0);
    bson_destroy(&entry);

    snprintf(path, sizeof path, INVITES "/%s", code);
    struct http_response r;
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    cr_expect_eq(r.body_len, 0);
    http_response_free(&r);

    bson_init(&entry);
    cr_expect(!listed(staff.auth, code, &entry, NULL), "deleted invite no longer listed");
    bson_destroy(&entry);
    fx_request("DELETE", path, staff.auth, NULL, &r);
    ca_expect_error(&r, 404, "Unknown invite", 10006);
    http_response_free(&r);
    char filter[64];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", code);
    cr_expect_eq(fx_db_count("instance_invites", filter), 0);

    /* and nobody registers with it any more */
    char name[24], email[64];
    new_identity(name, email, "dl");
    register_json(name, email, "password1", code, &r);
    ca_expect_error(&r, 400, "unknown instance invite", 0);
    http_response_free(&r);
}

/* --- creation ------------------------------------------------------------- */

Test(invites, max_uses_must_be_minus_one_or_positive)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    static const struct {
        const char *body;
        const char *message; /* NULL: any */
    } bad[] = {
        {"{\"max_uses\": 0}", NULL},
        {"{\"max_uses\": -2}", NULL},
        {"{\"max_uses\": \"5\"}", "must be of integer type"},
        {"{\"max_uses\": 1.5}", "must be of integer type"},
        {"{\"max_uses\": null}", "null value not allowed"},
        {"{}", "required field"},
        {"{\"max_uses\": 5, \"uses\": 0}", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_response r;
        fx_request("PUT", INVITES, staff.auth, bad[i].body, &r);
        ca_expect_error(&r, 400, "bad payload", 0);
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        const char *field = strstr(bad[i].body, "\"uses\"") ? "uses" : "max_uses";
        cr_expect_geq(fx_count(&doc, field), 1, "%s: %s names %s", bad[i].body, r.body, field);
        if (bad[i].message)
            cr_expect(ca_list_has(&doc, "max_uses", bad[i].message), "%s: %s", bad[i].body, r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
    /* audited creations by this staff member: none of the above */
    char filter[160];
    snprintf(filter, sizeof filter, "{\"action\": \"invite.create\", \"actor.name\": \"%s\"}", staff.username);
    cr_expect_eq(fx_db_count("audit_log", filter), 0, "nothing created");
}

Test(invites, created_invite_has_its_documented_shape)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    time_t before = time(NULL);
    struct http_response r;
    fx_request("PUT", INVITES, staff.auth, "{\"max_uses\": 7}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    http_response_free(&r);
    cr_expect_eq(fx_count(&doc, ""), 4, "code, created_at, uses, max_uses");
    const char *code = fx_str(&doc, "code");
    cr_expect_eq(strlen(code), 6, "%s", code);
    cr_expect_eq(strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 6,
                 "%s", code);
    cr_expect_eq(fx_int(&doc, "uses", -1), 0);
    cr_expect_eq(fx_int(&doc, "max_uses", 0), 7);

    /* YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00, and now */
    const char *at = fx_str(&doc, "created_at");
    int y, mo, d, h, mi, s, n = 0;
    cr_assert_eq(sscanf(at, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n), 6, "%s", at);
    const char *rest = at + n;
    if (*rest == '.') {
        size_t digits = strspn(rest + 1, "0123456789");
        cr_expect(digits >= 1 && digits <= 6, "fraction of %s", at);
        rest += 1 + digits;
    }
    cr_expect_str_eq(rest, "+00:00", "%s ends with +00:00", at);
    time_t when = utc_seconds(y, mo, d, h, mi, s);
    cr_expect(when >= before - 5 && when <= time(NULL) + 5, "%s is now", at);

    /* stored as a date */
    char filter[64];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", code);
    bson_t stored = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("instance_invites", filter, &stored));
    bson_iter_t it;
    cr_expect(bson_iter_init_find(&it, &stored, "created_at") && BSON_ITER_HOLDS_DATE_TIME(&it));
    bson_destroy(&stored);
    bson_destroy(&doc);
}

Test(invites, unlimited_invite_never_expires)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8];
    create_invite(staff.auth, -1, code);
    for (int i = 0; i < 3; i++) {
        char name[24], email[64];
        new_identity(name, email, "ul");
        struct http_response r;
        register_json(name, email, "password1", code, &r);
        cr_expect_eq(r.status, 200, "registration %d: %s", i, r.body);
        http_response_free(&r);
    }
    bson_t entry = BSON_INITIALIZER;
    cr_assert(listed(staff.auth, code, &entry, NULL));
    cr_expect_eq(fx_int(&entry, "uses", -1), 3);
    cr_expect_eq(fx_int(&entry, "max_uses", 0), -1);
    bson_destroy(&entry);
}

Test(invites, list_is_oldest_first_with_uses)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char codes[3][8];
    for (int i = 0; i < 3; i++) {
        create_invite(staff.auth, i + 2, codes[i]);
        sleep_ms(5); /* the scenario's: dates are in milliseconds, three distinct ones */
    }
    char name[24], email[64];
    new_identity(name, email, "ol");
    struct http_response r;
    register_json(name, email, "password1", codes[1], &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    int position[3];
    for (int i = 0; i < 3; i++) {
        bson_t entry = BSON_INITIALIZER;
        cr_assert(listed(staff.auth, codes[i], &entry, &position[i]), "%s listed", codes[i]);
        cr_expect_eq(fx_int(&entry, "max_uses", 0), i + 2);
        cr_expect_eq(fx_int(&entry, "uses", -1), i == 1 ? 1 : 0);
        bson_destroy(&entry);
    }
    cr_expect(position[0] < position[1] && position[1] < position[2], "creation order: %d %d %d",
              position[0], position[1], position[2]);

    /* the whole list by date */
    fx_request("GET", INVITES, staff.auth, NULL, &r);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    int n = fx_count(&list, "");
    for (int i = 1; i < n; i++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%d.created_at", i - 1);
        snprintf(b, sizeof b, "%d.created_at", i);
        cr_expect_leq(strcmp(fx_str(&list, a), fx_str(&list, b)), 0, "%s then %s", fx_str(&list, a),
                      fx_str(&list, b));
    }
    bson_destroy(&list);
}

Test(invites, staff_only)
{
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    struct http_response r;
    fx_request("PUT", INVITES, user.auth, "{\"max_uses\": 1}", &r);
    ca_expect_error(&r, 403, "you are not staff", 0);
    http_response_free(&r);
    fx_request("GET", INVITES, NULL, NULL, &r);
    ca_expect_error(&r, 401, "No token provided", 0);
    http_response_free(&r);
}

/* --- registration ---------------------------------------------------------- */

Test(invites, register_with_json_gives_a_working_token)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], name[24], email[64];
    create_invite(staff.auth, 2, code);
    new_identity(name, email, "rj");
    struct http_response r;
    register_json(name, email, "password1", code, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    http_response_free(&r);
    cr_expect_eq(fx_count(&doc, ""), 2, "token and user_id");
    char auth[400];
    snprintf(auth, sizeof auth, "Authorization: %s", fx_str(&doc, "token"));
    fx_request("GET", "/api/v6/users/@me", auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t me = BSON_INITIALIZER;
    fx_json(&r, &me);
    http_response_free(&r);
    cr_expect_str_eq(fx_str(&me, "id"), fx_str(&doc, "user_id"));
    cr_expect_str_eq(fx_str(&me, "username"), name);
    cr_expect_str_eq(fx_str(&me, "email"), email);
    cr_expect_eq(fx_int(&me, "flags", -1), 0);
    bson_destroy(&me);
    bson_destroy(&doc);
    cr_expect_eq(uses_of(staff.auth, code), 1);

    /* the password logs in */
    char body[160];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"password1\"}", email);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
}

Test(invites, register_with_a_form)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], name[24], email[64], body[256];
    create_invite(staff.auth, 1, code);
    new_identity(name, email, "rf");
    /* a space as "+", the at sign escaped */
    snprintf(body, sizeof body, "username=%s+x&email=%s%%40example.com&password=pass+word1&invcode=%s",
             name, name, code);
    struct http_response r;
    fx_request_raw("POST", REGISTER, NULL, "application/x-www-form-urlencoded", body, strlen(body), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(http_header(&r, "Content-Type"), "application/json"), "JSON for a non-browser client");
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    http_response_free(&r);
    char filter[128], spaced[40];
    snprintf(spaced, sizeof spaced, "%s x", name);
    snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}}", fx_str(&doc, "user_id"));
    bson_t stored = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("users", filter, &stored));
    cr_expect_str_eq(fx_str(&stored, "username"), spaced);
    cr_expect_str_eq(fx_str(&stored, "email"), email);
    bson_destroy(&stored);
    bson_destroy(&doc);

    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"pass word1\"}", email);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    /* the form's errors are the JSON's */
    new_identity(name, email, "rf");
    snprintf(body, sizeof body, "username=%s&email=%s%%40example.com&password=short&invcode=%s",
             name, name, code);
    fx_request_raw("POST", REGISTER, NULL, "application/x-www-form-urlencoded", body, strlen(body), &r);
    ca_expect_field_error(&r, "password", "min length is 8");
    http_response_free(&r);
}

Test(invites, register_fields_are_validated)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], name[24], email[64], password[1100], body[1400];
    create_invite(staff.auth, 1, code);
    new_identity(name, email, "rv");
    memset(password, 'p', 1025);
    password[1025] = '\0';
    struct http_response r;
    register_json(name, email, password, code, &r);
    ca_expect_field_error(&r, "password", "max length is 1024");
    http_response_free(&r);
    register_json(name, "not an email", "password1", code, &r);
    ca_expect_field_error(&r, "email", "must be of email type");
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"password1\"}", name,
             email);
    fx_request("POST", REGISTER, NULL, body, &r);
    ca_expect_field_error(&r, "invcode", "required field");
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"password1\",\"invcode\":6}",
             name, email);
    fx_request("POST", REGISTER, NULL, body, &r);
    ca_expect_field_error(&r, "invcode", "must be of string type");
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 0, "no use taken");
    /* 1024 characters are accepted */
    password[1024] = '\0';
    register_json(name, email, password, code, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
}

Test(invites, register_page_for_a_browser_without_javascript)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], name[24], email[64], body[256];
    create_invite(staff.auth, 1, code);
    new_identity(name, email, "rh");
    snprintf(body, sizeof body, "username=%s&email=%s%%40example.com&password=password1&invcode=%s", name,
             name, code);
    struct http_response r;
    /* a form posted by a browser: the answer is a page */
    fx_request_raw("POST", REGISTER, "Accept: text/html,application/xhtml+xml",
                   "application/x-www-form-urlencoded", body, strlen(body), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(http_header(&r, "Content-Type"), "text/html"), "%s", http_header(&r, "Content-Type"));
    cr_expect(http_header(&r, "Content-Security-Policy"), "the page carries a CSP");
    cr_expect(strstr(r.body, "id=\"token\""), "the token is shown: %s", r.body);
    char filter[96];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    bson_t user = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("users", filter, &user), "the account exists");
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)fx_int(&user, "_id", 0));
    cr_expect(strstr(r.body, id), "the user id %s is shown", id);
    bson_destroy(&user);
    http_response_free(&r);

    /* an error: its text, escaped, and the way back to the form with the code */
    new_identity(name, email, "rh");
    snprintf(body, sizeof body, "username=%s&email=%s%%40example.com&password=password1&invcode=%s", name,
             name, code);
    fx_request_raw("POST", REGISTER, "Accept: text/html", "application/x-www-form-urlencoded", body,
                   strlen(body), &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect(strstr(r.body, "invite expired"), "%s", r.body);
    char back[64];
    snprintf(back, sizeof back, "/invite_register.html?invite=%s", code);
    cr_expect(strstr(r.body, back), "link back with the code: %s", r.body);
    http_response_free(&r);

    snprintf(body, sizeof body, "username=%%3Cb%%3E&email=%s%%40example.com&password=password1&invcode=%s",
             name, code);
    fx_request_raw("POST", REGISTER, "Accept: text/html", "application/x-www-form-urlencoded", body,
                   strlen(body), &r);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect(strstr(r.body, "username: must be of username type"), "the field's error: %s", r.body);
    cr_expect_null(strstr(r.body, "<b>"), "nothing the user sent is markup");
    http_response_free(&r);
}

Test(invites, register_with_an_unknown_code)
{
    char name[24], email[64];
    new_identity(name, email, "uk");
    const char *codes[] = {"zzzzzz", "ab", "abcdefgh", "a-b_c!"};
    for (size_t i = 0; i < 4; i++) {
        struct http_response r;
        register_json(name, email, "password1", codes[i], &r);
        ca_expect_error(&r, 400, "unknown instance invite", 0);
        http_response_free(&r);
    }
    char filter[96];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    cr_expect_eq(fx_db_count("users", filter), 0, "no account");
}

Test(invites, register_with_an_exhausted_invite)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], name[24], email[64];
    create_invite(staff.auth, 1, code);
    new_identity(name, email, "ex");
    struct http_response r;
    register_json(name, email, "password1", code, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    new_identity(name, email, "ex");
    register_json(name, email, "password1", code, &r);
    ca_expect_error(&r, 400, "invite expired", 0);
    http_response_free(&r);
    char filter[96];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    cr_expect_eq(fx_db_count("users", filter), 0, "no account for the second");
    cr_expect_eq(uses_of(staff.auth, code), 1);
}

Test(invites, a_failed_registration_gives_the_use_back)
{
    struct fx_chat_user staff, existing;
    fx_chat_user(&staff, true);
    fx_chat_user(&existing, false);
    char code[8], name[24], email[64], upper[96];
    create_invite(staff.auth, 1, code);

    /* the email is taken (in another case): no account, the use comes back */
    snprintf(upper, sizeof upper, "%s", existing.email);
    upper[0] = (char)(upper[0] - 32);
    new_identity(name, email, "gb");
    struct http_response r;
    register_json(name, upper, "password1", code, &r);
    ca_expect_error(&r, 400, "Email already used.", 0);
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 0, "use given back");

    /* invalid fields never take one */
    register_json(name, email, "short", code, &r);
    ca_expect_field_error(&r, "password", "min length is 8");
    http_response_free(&r);
    register_json("!", email, "password1", code, &r);
    ca_expect_field_error(&r, "username", "must be of username type");
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 0);

    /* so the single use is still there for a valid registration */
    register_json(name, email, "password1", code, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 1);
    char other[24], other_email[64];
    new_identity(other, other_email, "gb");
    register_json(other, other_email, "password1", code, &r);
    ca_expect_error(&r, 400, "invite expired", 0);
    http_response_free(&r);
}

/* --- concurrency ----------------------------------------------------------- */

#define RACERS 50
#define RACE_USES 5

Test(invites, fifty_concurrent_registrations_on_five_uses)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], prefix[24];
    create_invite(staff.auth, RACE_USES, code);
    fx_unique(prefix, sizeof prefix, "rc");
    struct ca_call *calls = calloc(RACERS, sizeof *calls);
    cr_assert(calls);
    for (int i = 0; i < RACERS; i++) {
        calls[i].method = "POST";
        snprintf(calls[i].path, sizeof calls[i].path, "%s", REGISTER);
        snprintf(calls[i].body, sizeof calls[i].body,
                 "{\"username\":\"%s%02d\",\"email\":\"%s%02d@example.com\",\"password\":\"password1\","
                 "\"invcode\":\"%s\"}", prefix, i, prefix, i, code);
    }
    ca_parallel(calls, RACERS);
    int ok = 0, expired = 0;
    char first_token[400] = "";
    for (int i = 0; i < RACERS; i++) {
        cr_assert(calls[i].status == 200 || calls[i].status == 400, "registration %d: %ld %s %s", i,
                  calls[i].status, calls[i].response ? calls[i].response : "", calls[i].error);
        struct http_response r = {.status = calls[i].status, .body = calls[i].response,
                                  .body_len = strlen(calls[i].response)};
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        if (calls[i].status == 200) {
            ok++;
            if (!first_token[0])
                snprintf(first_token, sizeof first_token, "Authorization: %s", fx_str(&doc, "token"));
        } else if (strcmp(fx_str(&doc, "message"), "invite expired") == 0) {
            expired++;
        } else {
            cr_expect_fail("registration %d: %s", i, calls[i].response);
        }
        bson_destroy(&doc);
    }
    ca_calls_free(calls, RACERS);
    free(calls);
    cr_expect_eq(ok, RACE_USES, "successes");
    cr_expect_eq(expired, RACERS - RACE_USES, "\"invite expired\"");

    char filter[128];
    snprintf(filter, sizeof filter, "{\"username\": {\"$regex\": \"^%s\"}}", prefix);
    cr_expect_eq(fx_db_count("users", filter), RACE_USES, "accounts created");
    cr_expect_eq(uses_of(staff.auth, code), RACE_USES, "uses shown");
    cr_expect_eq(stored_uses(code, false), RACE_USES, "use slots stored");

    struct http_response r;
    fx_request("GET", "/api/v6/users/@me", first_token, NULL, &r);
    cr_expect_eq(r.status, 200, "a winner's token works: %s", r.body);
    http_response_free(&r);
}

#define SAME_EMAIL_RACERS 6

Test(invites, one_email_racing_on_one_invite_uses_it_once)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char code[8], stem[24];
    create_invite(staff.auth, RACE_USES, code);
    fx_unique(stem, sizeof stem, "sm");
    struct ca_call calls[SAME_EMAIL_RACERS];
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < SAME_EMAIL_RACERS; i++) {
        calls[i].method = "POST";
        snprintf(calls[i].path, sizeof calls[i].path, "%s", REGISTER);
        snprintf(calls[i].body, sizeof calls[i].body,
                 "{\"username\":\"%s%d\",\"email\":\"%s@example.com\",\"password\":\"password1\","
                 "\"invcode\":\"%s\"}", stem, i, stem, code);
    }
    ca_parallel(calls, SAME_EMAIL_RACERS);
    int ok = 0, gave_up = 0;
    for (int i = 0; i < SAME_EMAIL_RACERS; i++) {
        const char *body = calls[i].response ? calls[i].response : "";
        if (calls[i].status == 200) {
            ok++;
        } else if (calls[i].status == 0) {
            /* each success hashes a password; on a loaded machine the
             * client's bound may pass first: what is stored decides */
            cr_log_warn("registration %d got no answer: %s", i, calls[i].error);
            gave_up++;
        } else {
            cr_expect(calls[i].status == 400 && (strstr(body, "Email already used.") || strstr(body, "invite expired")),
                      "registration %d: %ld %s", i, calls[i].status, body);
        }
    }
    ca_calls_free(calls, SAME_EMAIL_RACERS);
    cr_expect_leq(ok, 1, "one account for one email");
    char filter[96];
    int64_t slots = stored_uses(code, gave_up > 0);
    snprintf(filter, sizeof filter, "{\"username\": {\"$regex\": \"^%s\"}}", stem);
    int64_t accounts = fx_db_count("users", filter);
    cr_expect_leq(accounts, 1);
    if (ok)
        cr_expect_eq(accounts, 1);
    /* every use taken by a registration that failed came back */
    cr_expect_eq(slots, accounts, "use slots stored");
    cr_expect_eq(uses_of(staff.auth, code), accounts, "uses");
}

#define LAST_USE_ROUNDS 10
#define LAST_USE_RACERS 4

/* The one moment a non-atomic count would overshoot is the race for the
 * last use: both workers see it free at once. Many short races on one-use
 * invites catch that far more often than one long race does. */
Test(invites, racing_for_the_only_use_never_overshoots)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    int overshoots = 0;
    for (int round = 0; round < LAST_USE_ROUNDS; round++) {
        char code[8], stem[24];
        create_invite(staff.auth, 1, code);
        fx_unique(stem, sizeof stem, "lu");
        struct ca_call calls[LAST_USE_RACERS];
        memset(calls, 0, sizeof calls);
        for (int i = 0; i < LAST_USE_RACERS; i++) {
            calls[i].method = "POST";
            snprintf(calls[i].path, sizeof calls[i].path, "%s", REGISTER);
            snprintf(calls[i].body, sizeof calls[i].body,
                     "{\"username\":\"%s%d\",\"email\":\"%s%d@example.com\",\"password\":\"password1\","
                     "\"invcode\":\"%s\"}", stem, i, stem, i, code);
        }
        ca_parallel(calls, LAST_USE_RACERS);
        int ok = 0;
        for (int i = 0; i < LAST_USE_RACERS; i++) {
            const char *body = calls[i].response ? calls[i].response : "";
            if (calls[i].status == 200)
                ok++;
            else
                cr_expect(calls[i].status == 400 && strstr(body, "invite expired"), "round %d, %d: %ld %s %s",
                          round, i, calls[i].status, body, calls[i].error);
        }
        ca_calls_free(calls, LAST_USE_RACERS);
        cr_expect_eq(ok, 1, "round %d: registrations on a one-use invite", round);
        overshoots += ok > 1;
        char filter[96];
        snprintf(filter, sizeof filter, "{\"username\": {\"$regex\": \"^%s\"}}", stem);
        cr_expect_eq(fx_db_count("users", filter), ok, "round %d: accounts", round);
    }
    cr_expect_eq(overshoots, 0, "rounds with more than one registration");
}

/* --- uses given back: tombstones -------------------------------------------- */

static int64_t stored_count(const char *code, char mark)
{
    char filter[128];
    snprintf(filter, sizeof filter, "{\"_id\": {\"$gte\": \"%s%c\", \"$lt\": \"%s%c\"}}", code, mark,
             code, (char)(mark + 1));
    return fx_db_count("instance_invite_uses", filter);
}

Test(invites, a_use_given_back_leaves_a_tombstone_and_admits_another)
{
    struct fx_chat_user staff, existing;
    fx_chat_user(&staff, true);
    fx_chat_user(&existing, false);
    char code[8], name[24], email[64], path[64];
    create_invite(staff.auth, 2, code);
    struct http_response r;
    new_identity(name, email, "tb");
    register_json(name, email, "password1", code, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 1);

    /* the account is not created: its slot stays, a tombstone gives the use back */
    new_identity(name, email, "tb");
    register_json(name, existing.email, "password1", code, &r);
    ca_expect_error(&r, 400, "Email already used.", 0);
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 1, "the use came back");
    cr_expect_eq(stored_count(code, '#'), 2, "slots 1 and 2");
    cr_expect_eq(stored_count(code, '~'), 1, "one tombstone");
    char filter[96];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s#0000000002\"}", code);
    cr_expect_eq(fx_db_count("instance_invite_uses", filter), 1, "slots padded to ten digits");

    /* so the second use is there, and then no third */
    register_json(name, email, "password1", code, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 2);
    new_identity(name, email, "tb");
    register_json(name, email, "password1", code, &r);
    ca_expect_error(&r, 400, "invite expired", 0);
    http_response_free(&r);
    cr_expect_eq(uses_of(staff.auth, code), 2);

    /* deleting the invite deletes its slots and tombstones */
    snprintf(path, sizeof path, INVITES "/%s", code);
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(stored_count(code, '#'), 0, "slots left");
    cr_expect_eq(stored_count(code, '~'), 0, "tombstones left");
}

#define GIVE_BACK_RACERS 30
#define GIVE_BACK_USES 4

/* Every third racer's email is taken: it takes a use, fails and gives it
 * back while the others race. Never more than the limit, what is stored
 * agrees with what was answered, and the uses given back are there after. */
Test(invites, racing_registrations_that_give_uses_back_never_overshoot)
{
    struct fx_chat_user staff, existing;
    fx_chat_user(&staff, true);
    fx_chat_user(&existing, false);
    char code[8], prefix[24];
    create_invite(staff.auth, GIVE_BACK_USES, code);
    fx_unique(prefix, sizeof prefix, "gr");
    struct ca_call *calls = calloc(GIVE_BACK_RACERS, sizeof *calls);
    cr_assert(calls);
    for (int i = 0; i < GIVE_BACK_RACERS; i++) {
        char email[96];
        if (i % 3 == 0)
            snprintf(email, sizeof email, "%s", existing.email);
        else
            snprintf(email, sizeof email, "%s%02d@example.com", prefix, i);
        calls[i].method = "POST";
        snprintf(calls[i].path, sizeof calls[i].path, "%s", REGISTER);
        snprintf(calls[i].body, sizeof calls[i].body,
                 "{\"username\":\"%s%02d\",\"email\":\"%s\",\"password\":\"password1\",\"invcode\":\"%s\"}",
                 prefix, i, email, code);
    }
    ca_parallel(calls, GIVE_BACK_RACERS);
    int ok = 0, gave_up = 0;
    for (int i = 0; i < GIVE_BACK_RACERS; i++) {
        const char *body = calls[i].response ? calls[i].response : "";
        if (calls[i].status == 200) {
            ok++;
            cr_expect(i % 3 != 0, "registration %d with a taken email succeeded", i);
        } else if (calls[i].status == 0) {
            cr_log_warn("registration %d got no answer: %s", i, calls[i].error);
            gave_up++;
        } else {
            cr_expect(calls[i].status == 400 && (strstr(body, "invite expired") ||
                                                 (i % 3 == 0 && strstr(body, "Email already used."))),
                      "registration %d: %ld %s", i, calls[i].status, body);
        }
    }
    ca_calls_free(calls, GIVE_BACK_RACERS);
    free(calls);
    cr_expect_leq(ok, GIVE_BACK_USES, "successes");
    char filter[128];
    snprintf(filter, sizeof filter, "{\"username\": {\"$regex\": \"^%s\"}}", prefix);
    int64_t accounts = gave_up ? ca_db_settled_count("users", filter) : fx_db_count("users", filter);
    cr_expect_leq(accounts, GIVE_BACK_USES, "accounts");
    cr_expect_eq(stored_uses(code, gave_up > 0), accounts, "uses stored");
    cr_expect_eq(uses_of(staff.auth, code), accounts, "uses shown");

    /* what the race gave back admits exactly the rest */
    int later = 0;
    for (int i = 0; i < GIVE_BACK_USES + 2; i++) {
        char name[24], email[64];
        new_identity(name, email, "gl");
        struct http_response r;
        register_json(name, email, "password1", code, &r);
        if (r.status == 200)
            later++;
        else
            ca_expect_error(&r, 400, "invite expired", 0);
        http_response_free(&r);
    }
    cr_expect_eq(accounts + later, GIVE_BACK_USES, "%lld during the race, %d after",
                 (long long)accounts, later);
    cr_expect_eq(uses_of(staff.auth, code), GIVE_BACK_USES);
}

/* --- slots of the previous release -------------------------------------------- */

static bson_t *old_slot(const char *code, int n, int64_t user_id)
{
    char id[32];
    snprintf(id, sizeof id, "%s#%d", code, n);
    bson_t *doc = bson_new();
    BSON_APPEND_UTF8(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "code", code);
    BSON_APPEND_INT64(doc, "n", n);
    if (user_id)
        BSON_APPEND_INT64(doc, "user_id", user_id);
    else
        BSON_APPEND_NULL(doc, "user_id");
    BSON_APPEND_DATE_TIME(doc, "created_at", 1700000000000LL + n);
    return doc;
}

static int64_t private_uses(const struct stack *s, const char *auth, const char *code, int64_t *max_uses)
{
    struct http_response r;
    ca_private_request(s, "GET", INVITES, auth, NULL, &r);
    cr_assert_eq(r.status, 200, "list: %s", r.body);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    int64_t uses = -1;
    for (int i = 0; i < fx_count(&list, ""); i++) {
        char key[24];
        snprintf(key, sizeof key, "%d.code", i);
        if (strcmp(fx_str(&list, key), code) != 0)
            continue;
        snprintf(key, sizeof key, "%d.uses", i);
        uses = fx_int(&list, key, -1);
        snprintf(key, sizeof key, "%d.max_uses", i);
        *max_uses = fx_int(&list, key, 0);
    }
    bson_destroy(&list);
    return uses;
}

/*
 * On a private stack: until migrate renumbers them, slots of the previous
 * release make the pool refuse to count the invite's uses.
 */
Test(invites, migrate_renumbers_slots_of_the_previous_release)
{
    struct stack s;
    cr_assert_eq(stack_start(&s, NULL), 0, "the private stack did not start");
    char auth[400];
    ca_private_staff(&s, auth, sizeof auth);
    static const char *const codes[] = {"Old001", "Old002"};
    bson_t *invites[2];
    for (int i = 0; i < 2; i++) {
        invites[i] = bson_new();
        BSON_APPEND_UTF8(invites[i], "_id", codes[i]);
        BSON_APPEND_INT64(invites[i], "max_uses", i == 0 ? 5 : -1);
        BSON_APPEND_DATE_TIME(invites[i], "created_at", 1700000000000LL + i);
    }
    ca_db_insert_many(s.mongodb_uri, "instance_invites", (const bson_t *const *)invites, 2);
    for (int i = 0; i < 2; i++)
        bson_destroy(invites[i]);
    /* Old001: uses 1, 3 and 4 (2 was given back by deleting it); Old002: 1..12 */
    bson_t *slots[15];
    size_t n = 0;
    slots[n++] = old_slot(codes[0], 1, 1001);
    slots[n++] = old_slot(codes[0], 3, 0);
    slots[n++] = old_slot(codes[0], 4, 1004);
    for (int k = 1; k <= 12; k++)
        slots[n++] = old_slot(codes[1], k, 2000 + k);
    ca_db_insert_many(s.mongodb_uri, "instance_invite_uses", (const bson_t *const *)slots, n);
    for (size_t i = 0; i < n; i++)
        bson_destroy(slots[i]);

    for (int run = 0; run < 2; run++) { /* a second run changes nothing */
        fx_ctl_ok(&s, NULL, 0, (const char *const[]){"migrate", NULL});
        int64_t max_uses = 0;
        cr_expect_eq(private_uses(&s, auth, codes[0], &max_uses), 3, "run %d: uses of %s", run, codes[0]);
        cr_expect_eq(max_uses, 5);
        cr_expect_eq(private_uses(&s, auth, codes[1], &max_uses), 12, "run %d: uses of %s", run, codes[1]);
        cr_expect_eq(max_uses, -1);
        cr_expect_eq(fx_db_count_at(s.mongodb_uri, "instance_invite_uses", "{\"code\": {\"$exists\": true}}"), 0,
                     "run %d: slots of the old form left", run);
        cr_expect_eq(fx_db_count_at(s.mongodb_uri, "instance_invite_uses", "{}"), 15, "run %d: slots", run);
    }
    /* renumbered densely, in their old order, with their owners */
    static const struct {
        const char *id;
        int64_t user_id;
    } expect[] = {
        {"Old001#0000000001", 1001}, {"Old001#0000000002", 0}, {"Old001#0000000003", 1004},
        {"Old002#0000000010", 2010}, {"Old002#0000000012", 2012},
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        char filter[128];
        if (expect[i].user_id)
            snprintf(filter, sizeof filter, "{\"_id\": \"%s\", \"user_id\": {\"$numberLong\": \"%lld\"}}",
                     expect[i].id, (long long)expect[i].user_id);
        else
            snprintf(filter, sizeof filter, "{\"_id\": \"%s\", \"user_id\": null}", expect[i].id);
        cr_expect_eq(fx_db_count_at(s.mongodb_uri, "instance_invite_uses", filter), 1, "%s", filter);
    }

    /* Old001 admits the two uses left, and no third */
    for (int i = 0; i < 3; i++) {
        char name[24], body[256];
        fx_unique(name, sizeof name, "mg");
        snprintf(body, sizeof body,
                 "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"password1\",\"invcode\":\"%s\"}",
                 name, name, codes[0]);
        struct http_response r;
        ca_private_request(&s, "POST", REGISTER, NULL, body, &r);
        if (i < 2)
            cr_expect_eq(r.status, 200, "registration %d: %s", i, r.body);
        else
            ca_expect_error(&r, 400, "invite expired", 0);
        http_response_free(&r);
    }
    int64_t max_uses = 0;
    cr_expect_eq(private_uses(&s, auth, codes[0], &max_uses), 5);
    cr_expect_eq(stack_stop(&s), 0, "the private stack's pool reported a sanitizer error");
}
