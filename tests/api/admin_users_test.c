/*
 * admin_users: /api/v6/admin/users on the shared stack (spec: chat-admin.md,
 * rows PUT|POST /admin/users, GET /admin/users, DELETE and PATCH
 * /admin/users/<id>). Litecord's own admin test scenarios first, then every
 * error text and status of those rows, the literal username search, soft
 * deletion's consequences, the staff bit, the 9000 discriminators of a
 * name, and concurrent creations of one username or one email.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_admin_support.h"
#include "support/fixtures.h"
#include "support/http.h"
#include "support/stack.h"

#define USERS "/api/v6/admin/users"

/* PUT /admin/users with the three fields. */
static void create_user(const char *auth, const char *username, const char *email,
                        const char *password, struct http_response *r)
{
    char body[1600];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"%s\"}",
             username, email, password);
    fx_request("PUT", USERS, auth, body, r);
}

/* A user created through the API; its public object into doc. */
static void create_ok(const char *auth, const char *username, const char *email, bson_t *doc)
{
    struct http_response r;
    create_user(auth, username, email, "secret123", &r);
    cr_assert_eq(r.status, 200, "create %s: %ld %s", username, r.status, r.body);
    fx_json(&r, doc);
    http_response_free(&r);
}

static void search(const char *auth, const char *query, struct http_response *r)
{
    char path[512];
    snprintf(path, sizeof path, USERS "?%s", query);
    fx_request("GET", path, auth, NULL, r);
}

/* GET /admin/users?query answering 200: the list into list. */
static void search_ok(const char *auth, const char *query, bson_t *list)
{
    struct http_response r;
    search(auth, query, &r);
    cr_assert_eq(r.status, 200, "search %s: %ld %s", query, r.status, r.body);
    fx_json(&r, list);
    http_response_free(&r);
}

/* Index of the element of list whose "id" is id, or -1. */
static int find_id(const bson_t *list, const char *id)
{
    int n = fx_count(list, "");
    for (int i = 0; i < n; i++) {
        char key[24];
        snprintf(key, sizeof key, "%d.id", i);
        if (strcmp(fx_str(list, key), id) == 0)
            return i;
    }
    return -1;
}

static void user_filter(char *out, size_t size, const char *id)
{
    snprintf(out, size, "{\"_id\": {\"$numberLong\": \"%s\"}}", id);
}

/* A user's flags as stored: the users document's, and the staff bit as its
 * grant document in staff_grants (store/users.h says why it lives apart). */
static int64_t stored_flags(const char *id)
{
    char filter[96];
    user_filter(filter, sizeof filter, id);
    bson_t stored = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("users", filter, &stored), "no user %s", id);
    int64_t flags = fx_int(&stored, "flags", -1);
    bson_destroy(&stored);
    cr_expect_eq(flags & 1, 0, "the users document holds the staff bit itself");
    return flags | (fx_db_count("staff_grants", filter) ? 1 : 0);
}

/* Store n users called name directly in the database at mongodb_uri (NULL:
 * the shared stack's), without password (they never log in), discriminators
 * first_discriminator, first_discriminator + 1, ...; ids above every
 * snowflake of this era, in insertion order. */
static void insert_users(const char *mongodb_uri, const char *name, int n, int first_discriminator)
{
    bson_t **docs = calloc((size_t)n, sizeof *docs);
    cr_assert(docs);
    /* blocks of 100000 ids, one per name (from its random tail) */
    int64_t block = (int64_t)(strtoull(name + strlen(name) - 6, NULL, 36) % 100000);
    int64_t base = ((int64_t)1 << 62) + block * 100000;
    for (int i = 0; i < n; i++) {
        char d[12];
        snprintf(d, sizeof d, "%04d", first_discriminator + i);
        docs[i] = bson_new();
        BSON_APPEND_INT64(docs[i], "_id", base + i);
        BSON_APPEND_UTF8(docs[i], "username", name);
        BSON_APPEND_UTF8(docs[i], "discriminator", d);
        BSON_APPEND_NULL(docs[i], "email");
        BSON_APPEND_INT64(docs[i], "flags", 0);
    }
    ca_db_insert_users(mongodb_uri, (const bson_t *const *)docs, (size_t)n);
    for (int i = 0; i < n; i++)
        bson_destroy(docs[i]);
    free(docs);
}

/* --- Litecord's own scenarios (tests/test_admin_api/test_users.py) ------- */

Test(admin_users, litecord_list_users_by_search)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char query[96];
    snprintf(query, sizeof query, "username=%s", staff.username);
    bson_t list = BSON_INITIALIZER;
    search_ok(staff.auth, query, &list);
    cr_assert_eq(fx_count(&list, ""), 1, "only the staff user is called %s", staff.username);
    cr_expect_str_eq(fx_str(&list, "0.id"), staff.id);
    cr_expect_str_eq(fx_str(&list, "0.username"), staff.username);
    cr_expect_str_eq(fx_str(&list, "0.discriminator"), staff.discriminator);
    cr_expect_eq(fx_int(&list, "0.flags", -1), 1);
    cr_expect_eq(fx_int(&list, "0.public_flags", -1), 1);
    bson_destroy(&list);
}

Test(admin_users, litecord_find_single_user)
{
    struct fx_chat_user staff, other;
    fx_chat_user(&staff, true);
    fx_chat_user(&other, false);
    char query[128];
    snprintf(query, sizeof query, "username=%s&discriminator=%s", other.username,
             other.discriminator);
    bson_t list = BSON_INITIALIZER;
    search_ok(staff.auth, query, &list);
    cr_assert_eq(fx_count(&list, ""), 1, "one user with that name and discriminator");
    cr_expect_str_eq(fx_str(&list, "0.id"), other.id);
    cr_expect_str_eq(fx_str(&list, "0.username"), other.username);
    cr_expect_str_eq(fx_str(&list, "0.discriminator"), other.discriminator);
    /* a public user: its ten keys, no email, no password in any form */
    bson_t user = BSON_INITIALIZER;
    cr_assert(fx_sub(&list, "0", &user));
    cr_expect_eq(fx_count(&user, ""), 10, "keys of a public user");
    cr_expect(!bson_has_field(&user, "email") && !bson_has_field(&user, "password_hash"));
    bson_destroy(&user);
    bson_destroy(&list);
}

Test(admin_users, litecord_create_search_delete)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], email[64], query[96];
    fx_unique(name, sizeof name, "cr");
    snprintf(email, sizeof email, "%s@example.com", name);
    bson_t created = BSON_INITIALIZER, list = BSON_INITIALIZER;
    create_ok(staff.auth, name, email, &created);
    cr_expect_str_eq(fx_str(&created, "username"), name);
    cr_expect_eq(fx_int(&created, "flags", -1), 0);
    cr_expect_eq(strlen(fx_str(&created, "discriminator")), 4);
    const char *id = fx_str(&created, "id");

    snprintf(query, sizeof query, "username=%s", name);
    search_ok(staff.auth, query, &list);
    cr_assert_eq(fx_count(&list, ""), 1);
    cr_expect_str_eq(fx_str(&list, "0.id"), id);
    bson_destroy(&list);

    char path[96];
    snprintf(path, sizeof path, USERS "/%s", id);
    struct http_response r;
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    bson_init(&list);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 0, "the deleted user no longer has its name");
    bson_destroy(&list);
    bson_destroy(&created);
}

Test(admin_users, litecord_patch_flags)
{
    struct fx_chat_user staff, other;
    fx_chat_user(&staff, true);
    fx_chat_user(&other, false);
    char path[96];
    snprintf(path, sizeof path, USERS "/%s", other.id);
    struct http_response r;
    /* partner | hypesquad */
    fx_request("PATCH", path, staff.auth, "{\"flags\": 6}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_str_eq(fx_str(&doc, "id"), other.id);
    cr_expect_eq(fx_int(&doc, "flags", -1), 6);
    cr_expect_eq(fx_int(&doc, "public_flags", -1), 6);
    bson_destroy(&doc);
    http_response_free(&r);
}

/* --- creation: every field's error --------------------------------------- */

Test(admin_users, create_rejects_a_bad_username)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char email[64], name[24], long_name[80];
    fx_unique(name, sizeof name, "bn");
    snprintf(email, sizeof email, "%s@example.com", name);
    /* 31 characters: one over the limit */
    snprintf(long_name, sizeof long_name, "%s%s%s", name, name, "abcdefghijklm");
    long_name[31] = '\0';
    const char *bad[] = {"a", "bad!name", "dot.name", long_name, ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_response r;
        create_user(staff.auth, bad[i], email, "secret123", &r);
        ca_expect_field_error(&r, "username", "must be of username type");
        http_response_free(&r);
    }
    char filter[128];
    snprintf(filter, sizeof filter, "{\"email\": \"%s\"}", email);
    cr_expect_eq(fx_db_count("users", filter), 0, "nothing stored");
}

Test(admin_users, create_rejects_a_bad_email)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], long_email[300];
    fx_unique(name, sizeof name, "be");
    /* 256 characters: the address must be shorter than 256 */
    memset(long_email, 'a', 244);
    snprintf(long_email + 244, sizeof long_email - 244, "@example.com");
    cr_assert_eq(strlen(long_email), 256);
    const char *bad[] = {"nobody", "a@b", "a b@example.com", "@example.com", long_email};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_response r;
        create_user(staff.auth, name, bad[i], "secret123", &r);
        ca_expect_field_error(&r, "email", "must be of email type");
        http_response_free(&r);
    }
    char filter[96];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    cr_expect_eq(fx_db_count("users", filter), 0, "nothing stored");
}

Test(admin_users, create_password_length_bounds)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], email[64], password[1100];
    fx_unique(name, sizeof name, "pl");
    snprintf(email, sizeof email, "%s@example.com", name);
    struct http_response r;

    create_user(staff.auth, name, email, "1234", &r);
    ca_expect_field_error(&r, "password", "min length is 5");
    http_response_free(&r);

    memset(password, 'p', 1025);
    password[1025] = '\0';
    create_user(staff.auth, name, email, password, &r);
    ca_expect_field_error(&r, "password", "max length is 1024");
    http_response_free(&r);

    char filter[96];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    cr_expect_eq(fx_db_count("users", filter), 0, "nothing stored");

    /* both limits themselves are accepted */
    create_user(staff.auth, name, email, "12345", &r);
    cr_expect_eq(r.status, 200, "5 characters: %s", r.body);
    http_response_free(&r);
    password[1024] = '\0';
    char email2[64];
    snprintf(email2, sizeof email2, "%s.2@example.com", name);
    create_user(staff.auth, name, email2, password, &r);
    cr_expect_eq(r.status, 200, "1024 characters: %s", r.body);
    http_response_free(&r);
}

Test(admin_users, create_rejects_unknown_keys_and_names_every_bad_field)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    struct http_response r;
    fx_request("PUT", USERS, staff.auth,
               "{\"username\":\"x\",\"email\":\"nope\",\"password\":\"1\",\"admin\":true}", &r);
    ca_expect_field_error(&r, "admin", "unknown field");
    ca_expect_field_error(&r, "username", "must be of username type");
    ca_expect_field_error(&r, "email", "must be of email type");
    ca_expect_field_error(&r, "password", "min length is 5");
    http_response_free(&r);

    /* an operator object is a wrong type, never a query */
    fx_request("POST", USERS, staff.auth,
               "{\"username\":{\"$gt\":\"\"},\"email\":\"a@example.com\",\"password\":\"12345\"}", &r);
    ca_expect_error(&r, 400, "bad payload", 0);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_geq(fx_count(&doc, "username"), 1, "username named: %s", r.body);
    bson_destroy(&doc);
    http_response_free(&r);

    fx_request("PUT", USERS, staff.auth, "{\"email\":\"a@example.com\",\"password\":\"12345\"}", &r);
    ca_expect_field_error(&r, "username", "required field");
    http_response_free(&r);
}

Test(admin_users, create_with_post_too)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], body[160];
    fx_unique(name, sizeof name, "po");
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"12345\"}", name, name);
    struct http_response r;
    fx_request("POST", USERS, staff.auth, body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    char filter[96];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    cr_expect_eq(fx_db_count("users", filter), 1);
}

Test(admin_users, create_duplicate_email_in_any_case)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], email[64], upper[64], mixed[64], other[24];
    fx_unique(name, sizeof name, "de");
    fx_unique(other, sizeof other, "de");
    snprintf(email, sizeof email, "%s@example.com", name);
    snprintf(upper, sizeof upper, "%s@EXAMPLE.COM", name);
    for (size_t i = 0; upper[i] != '@'; i++)
        upper[i] = (char)(upper[i] >= 'a' && upper[i] <= 'z' ? upper[i] - 32 : upper[i]);
    snprintf(mixed, sizeof mixed, "%s@Example.Com", name);
    mixed[0] = (char)(mixed[0] - 32);
    bson_t doc = BSON_INITIALIZER;
    create_ok(staff.auth, name, email, &doc);
    bson_destroy(&doc);
    const char *again[] = {email, upper, mixed};
    for (size_t i = 0; i < 3; i++) {
        struct http_response r;
        create_user(staff.auth, other, again[i], "secret123", &r);
        ca_expect_error(&r, 400, "Email already used.", 0);
        http_response_free(&r);
    }
    char filter[96];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", other);
    cr_expect_eq(fx_db_count("users", filter), 0, "no account for the second name");
}

Test(admin_users, staff_only)
{
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    struct http_response r;
    fx_request("GET", USERS "?username=a", user.auth, NULL, &r);
    ca_expect_error(&r, 403, "you are not staff", 0);
    http_response_free(&r);
    fx_request("GET", USERS "?username=a", NULL, NULL, &r);
    ca_expect_error(&r, 401, "No token provided", 0);
    http_response_free(&r);
}

/* --- search --------------------------------------------------------------- */

Test(admin_users, search_errors)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    static const struct {
        const char *query;
        const char *message;
    } cases[] = {
        {"username=a&per_page=x", "invalid per_page value"},
        {"username=a&per_page=51", "invalid per page number"},
        {"username=a&per_page=-1", "invalid per page number"},
        {"username=a&page=x", "invalid page value"},
        {"username=a&page=-1", "invalid page number"},
        {"username=&discriminator=", "must insert username or discrim"},
        {"", "must insert username or discrim"},
        {"page=0&per_page=5", "must insert username or discrim"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response r;
        search(staff.auth, cases[i].query, &r);
        ca_expect_error(&r, 400, cases[i].message, 0);
        http_response_free(&r);
    }
}

Test(admin_users, search_per_page_bounds)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char query[128];
    bson_t list = BSON_INITIALIZER;
    snprintf(query, sizeof query, "username=%s&per_page=0", staff.username);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 0, "per_page=0 is an empty page");
    bson_destroy(&list);

    bson_init(&list);
    snprintf(query, sizeof query, "username=%s&per_page=50", staff.username);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 1);
    bson_destroy(&list);

    /* 50 is also the most one page holds: a name every test user has */
    bson_init(&list);
    search_ok(staff.auth, "username=u&per_page=50", &list);
    cr_expect_leq(fx_count(&list, ""), 50);
    bson_destroy(&list);
}

Test(admin_users, search_pages_hold_20_by_default)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], query[96];
    fx_unique(name, sizeof name, "dp");
    insert_users(NULL, name, 25, 1);
    bson_t list = BSON_INITIALIZER;
    snprintf(query, sizeof query, "username=%s", name);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 20, "page 0 by default, 20 per page");
    cr_expect_str_eq(fx_str(&list, "0.discriminator"), "0001", "ordered by id");
    cr_expect_str_eq(fx_str(&list, "19.discriminator"), "0020");
    bson_destroy(&list);
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s&page=1", name);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 5);
    cr_expect_str_eq(fx_str(&list, "0.discriminator"), "0021");
    bson_destroy(&list);
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s&per_page=50", name);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 25);
    bson_destroy(&list);
}

Test(admin_users, search_by_discriminator_alone)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    /* Page through every user with the staff user's discriminator. */
    bool found = false;
    for (int page = 0; page < 100 && !found; page++) {
        char query[96];
        snprintf(query, sizeof query, "discriminator=%s&per_page=50&page=%d", staff.discriminator, page);
        bson_t list = BSON_INITIALIZER;
        search_ok(staff.auth, query, &list);
        int n = fx_count(&list, "");
        for (int i = 0; i < n; i++) {
            char key[48];
            snprintf(key, sizeof key, "%d.discriminator", i);
            cr_expect_str_eq(fx_str(&list, key), staff.discriminator);
        }
        found = find_id(&list, staff.id) >= 0;
        bson_destroy(&list);
        if (n < 50)
            break;
    }
    cr_expect(found, "the user is among those with discriminator %s", staff.discriminator);
}

Test(admin_users, search_by_both_filters_is_an_and)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], email[64], query[128];
    fx_unique(name, sizeof name, "bt");
    bson_t a = BSON_INITIALIZER, b = BSON_INITIALIZER, list = BSON_INITIALIZER;
    snprintf(email, sizeof email, "%s.a@example.com", name);
    create_ok(staff.auth, name, email, &a);
    snprintf(email, sizeof email, "%s.b@example.com", name);
    create_ok(staff.auth, name, email, &b);
    cr_assert_str_neq(fx_str(&a, "discriminator"), fx_str(&b, "discriminator"));

    snprintf(query, sizeof query, "username=%s&discriminator=%s", name, fx_str(&b, "discriminator"));
    search_ok(staff.auth, query, &list);
    cr_assert_eq(fx_count(&list, ""), 1);
    cr_expect_str_eq(fx_str(&list, "0.id"), fx_str(&b, "id"));
    bson_destroy(&list);

    /* the name with a discriminator nobody of that name has */
    const char *unused = "0001";
    for (const char *const *d = (const char *const[]){"0001", "0002", "0003", NULL}; *d; d++) {
        if (strcmp(fx_str(&a, "discriminator"), *d) && strcmp(fx_str(&b, "discriminator"), *d)) {
            unused = *d;
            break;
        }
    }
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s&discriminator=%s", name, unused);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 0);
    bson_destroy(&list);

    /* "1" stands for "0001": the same filter either way */
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s&discriminator=%d", name,
             atoi(fx_str(&a, "discriminator")));
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 1);
    cr_expect_str_eq(fx_str(&list, "0.id"), fx_str(&a, "id"));
    bson_destroy(&list);
    bson_destroy(&a);
    bson_destroy(&b);
}

Test(admin_users, search_pages_in_id_order)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char prefix[24], name[32], email[64], query[128];
    fx_unique(prefix, sizeof prefix, "pg");
    char ids[3][24];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%c", prefix, 'a' + i);
        snprintf(email, sizeof email, "%s@example.com", name);
        bson_t doc = BSON_INITIALIZER;
        create_ok(staff.auth, name, email, &doc);
        snprintf(ids[i], sizeof ids[i], "%s", fx_str(&doc, "id"));
        bson_destroy(&doc);
    }
    cr_assert(strtoll(ids[0], NULL, 10) < strtoll(ids[1], NULL, 10) &&
              strtoll(ids[1], NULL, 10) < strtoll(ids[2], NULL, 10), "ids grow with time");

    bson_t list = BSON_INITIALIZER;
    snprintf(query, sizeof query, "username=%s&per_page=2&page=0", prefix);
    search_ok(staff.auth, query, &list);
    cr_assert_eq(fx_count(&list, ""), 2);
    cr_expect_str_eq(fx_str(&list, "0.id"), ids[0]);
    cr_expect_str_eq(fx_str(&list, "1.id"), ids[1]);
    bson_destroy(&list);

    bson_init(&list);
    snprintf(query, sizeof query, "username=%s&per_page=2&page=1", prefix);
    search_ok(staff.auth, query, &list);
    cr_assert_eq(fx_count(&list, ""), 1);
    cr_expect_str_eq(fx_str(&list, "0.id"), ids[2]);
    bson_destroy(&list);

    bson_init(&list);
    snprintf(query, sizeof query, "username=%s&per_page=2&page=2", prefix);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 0);
    bson_destroy(&list);

    /* the default page size (20) holds all three, in order */
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s", prefix);
    search_ok(staff.auth, query, &list);
    cr_assert_eq(fx_count(&list, ""), 3);
    cr_expect_str_eq(fx_str(&list, "2.id"), ids[2]);
    bson_destroy(&list);
}

Test(admin_users, search_matches_the_username_literally)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char stem[24], with_underscore[32], without[32], email[64], query[128];
    fx_unique(stem, sizeof stem, "li");
    snprintf(with_underscore, sizeof with_underscore, "%s_z", stem);
    snprintf(without, sizeof without, "%sqz", stem);
    bson_t a = BSON_INITIALIZER, b = BSON_INITIALIZER, list;
    snprintf(email, sizeof email, "%s.a@example.com", stem);
    create_ok(staff.auth, with_underscore, email, &a);
    snprintf(email, sizeof email, "%s.b@example.com", stem);
    create_ok(staff.auth, without, email, &b);

    /* "_" is a character, not LIKE's any-character */
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s_", stem);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 1, "only the name with an underscore");
    cr_expect_str_eq(fx_str(&list, "0.id"), fx_str(&a, "id"));
    bson_destroy(&list);

    /* "%" is not LIKE's any-string, "." and ".*" are not regex */
    const char *patterns[] = {"%s%%25", "%s.", "%s.%%2A", "%s.z", "%%25", ".%%2A", "%s%%5Bq_%%5Dz", "%s.%%2Bz"};
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        bson_init(&list);
        char pattern[64];
        snprintf(pattern, sizeof pattern, patterns[i], stem);
        snprintf(query, sizeof query, "username=%s", pattern);
        search_ok(staff.auth, query, &list);
        cr_expect_eq(fx_count(&list, ""), 0, "%s matched %d users", pattern, fx_count(&list, ""));
        bson_destroy(&list);
    }

    /* a substring, case-sensitively */
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s", stem + 2);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 2, "a substring finds both");
    bson_destroy(&list);
    char upper[24];
    snprintf(upper, sizeof upper, "%s", stem);
    upper[0] = 'L';
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s", upper);
    search_ok(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 0, "the match is case-sensitive");
    bson_destroy(&list);

    bson_destroy(&a);
    bson_destroy(&b);
}

Test(admin_users, search_with_bytes_that_are_no_text_matches_nobody)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    const char *queries[] = {"username=%FF", "username=a%C3", "username=%C0%AF"};
    for (size_t i = 0; i < 3; i++) {
        bson_t list = BSON_INITIALIZER;
        search_ok(staff.auth, queries[i], &list);
        cr_expect_eq(fx_count(&list, ""), 0, "%s", queries[i]);
        bson_destroy(&list);
    }
}

/* --- deletion ------------------------------------------------------------- */

Test(admin_users, delete_or_patch_unknown_user_is_404)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    const char *paths[] = {USERS "/1", USERS "/999999999999999999", USERS "/abc"};
    for (size_t i = 0; i < 3; i++) {
        struct http_response r;
        fx_request("DELETE", paths[i], staff.auth, NULL, &r);
        ca_expect_error(&r, 404, "Unknown user", 10013);
        http_response_free(&r);
        fx_request("PATCH", paths[i], staff.auth, "{\"flags\": 2}", &r);
        ca_expect_error(&r, 404, "Unknown user", 10013);
        http_response_free(&r);
    }
}

Test(admin_users, delete_is_a_soft_delete_with_every_consequence)
{
    struct fx_chat_user staff, victim;
    fx_chat_user(&staff, true);
    fx_chat_user(&victim, false);
    struct http_response r;

    /* the victim's token and password work before */
    fx_request("GET", "/api/v6/users/@me", victim.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    char path[96], filter[128], body[256];
    snprintf(path, sizeof path, USERS "/%s", victim.id);
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    http_response_free(&r);
    cr_expect_str_eq(fx_str(&doc, "old.id"), victim.id);
    cr_expect_str_eq(fx_str(&doc, "old.username"), victim.username);
    cr_expect_str_eq(fx_str(&doc, "new.id"), victim.id);
    const char *new_name = fx_str(&doc, "new.username");
    cr_expect_eq(strlen(new_name), strlen("Deleted User ") + 8, "%s", new_name);
    cr_expect_eq(strncmp(new_name, "Deleted User ", 13), 0, "%s", new_name);
    cr_expect_eq(strspn(new_name + 13, "0123456789abcdef"), 8, "%s", new_name);
    cr_expect_str_eq(fx_str(&doc, "new.discriminator"), victim.discriminator);
    cr_expect_eq(fx_int(&doc, "new.flags", -1), 0);
    cr_expect(fx_is_null(&doc, "new.avatar"));
    cr_expect_eq(fx_bool(&doc, "new.premium", true), false);

    /* stored: cleared email, the new name */
    user_filter(filter, sizeof filter, victim.id);
    bson_t stored = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("users", filter, &stored));
    cr_expect_str_eq(fx_str(&stored, "username"), new_name);
    cr_expect(fx_is_null(&stored, "email"), "email cleared");
    cr_expect_eq(fx_int(&stored, "flags", -1), 0);
    cr_expect_eq(fx_bool(&stored, "verified", true), false);
    cr_expect_eq(fx_bool(&stored, "mfa_enabled", true), false);
    bson_destroy(&stored);
    bson_destroy(&doc);

    /* the old token is refused */
    fx_request("GET", "/api/v6/users/@me", victim.auth, NULL, &r);
    cr_expect(r.status == 401 || r.status == 403, "old token: %ld %s", r.status, r.body);
    http_response_free(&r);

    /* the old email and password no longer log in */
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", victim.email, victim.password);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    ca_expect_error(&r, 400, "Invalid email or password.", 0);
    http_response_free(&r);

    /* the email is free again */
    char name[24];
    fx_unique(name, sizeof name, "re");
    bson_t again = BSON_INITIALIZER;
    create_ok(staff.auth, name, victim.email, &again);
    bson_destroy(&again);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    ca_expect_error(&r, 400, "Invalid email or password.", 0); /* other password: still refused */
    http_response_free(&r);

    /* the gateway closes the sessions; the action is audited */
    snprintf(filter, sizeof filter,
             "{\"type\": \"USER_DISCONNECT\", \"user_id\": {\"$numberLong\": \"%s\"},"
             " \"data.close_code\": 4000}", victim.id);
    cr_expect_eq(fx_db_count("gateway_events", filter), 1, "one USER_DISCONNECT with code 4000");
    snprintf(filter, sizeof filter, "{\"action\": \"user.delete\", \"target.id\": \"%s\"}", victim.id);
    bson_t audit = BSON_INITIALIZER;
    cr_expect(fx_db_find_one("audit_log", filter, &audit), "user.delete audited");
    cr_expect_str_eq(fx_str(&audit, "target.type"), "user");
    cr_expect_str_eq(fx_str(&audit, "actor.name"), staff.username);
    cr_expect_str_eq(fx_str(&audit, "before.username"), victim.username);
    bson_destroy(&audit);
}

Test(admin_users, deleted_users_email_registers_again_in_other_case)
{
    struct fx_chat_user staff, victim;
    fx_chat_user(&staff, true);
    fx_chat_user(&victim, false);
    char path[96], email[96];
    snprintf(path, sizeof path, USERS "/%s", victim.id);
    struct http_response r;
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    snprintf(email, sizeof email, "%s", victim.email);
    email[0] = (char)(email[0] - 32);
    char name[24], body[256];
    fx_unique(name, sizeof name, "ra");
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"another1\"}", name, email);
    fx_request("PUT", USERS, staff.auth, body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    /* and the new account logs in with it */
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"another1\"}", victim.email);
    fx_request("POST", "/api/v6/auth/login", NULL, body, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
}

/* --- flags ---------------------------------------------------------------- */

Test(admin_users, patch_flags_is_stored_and_announced)
{
    struct fx_chat_user staff, other;
    fx_chat_user(&staff, true);
    fx_chat_user(&other, false);
    char path[96], filter[160];
    snprintf(path, sizeof path, USERS "/%s", other.id);
    struct http_response r;
    fx_request("PATCH", path, staff.auth, "{\"flags\": 2}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    cr_expect_eq(fx_int(&doc, "flags", -1), 2);
    cr_expect_str_eq(fx_str(&doc, "username"), other.username);
    bson_destroy(&doc);
    http_response_free(&r);

    user_filter(filter, sizeof filter, other.id);
    bson_t stored = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("users", filter, &stored));
    cr_expect_eq(fx_int(&stored, "flags", -1), 2);
    bson_destroy(&stored);

    snprintf(filter, sizeof filter,
             "{\"type\": \"USER_UPDATE\", \"user_id\": {\"$numberLong\": \"%s\"}}", other.id);
    bson_t event = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("gateway_events", filter, &event), "USER_UPDATE in the outbox");
    cr_expect_eq(fx_int(&event, "data.flags", -1), 2);
    cr_expect_str_eq(fx_str(&event, "data.id"), other.id);
    bson_destroy(&event);

    /* the staff bit may stay set while others change */
    struct fx_chat_user other_staff;
    fx_chat_user(&other_staff, true);
    snprintf(path, sizeof path, USERS "/%s", other_staff.id);
    fx_request("PATCH", path, staff.auth, "{\"flags\": 3}", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(stored_flags(other_staff.id), 3);
}

Test(admin_users, patch_cannot_change_the_staff_bit)
{
    struct fx_chat_user staff, plain, other_staff;
    fx_chat_user(&staff, true);
    fx_chat_user(&plain, false);
    fx_chat_user(&other_staff, true);
    static const struct {
        int who; /* 0 plain, 1 other staff */
        const char *body;
    } cases[] = {
        {0, "{\"flags\": 1}"}, {0, "{\"flags\": 3}"}, {1, "{\"flags\": 0}"}, {1, "{\"flags\": 2}"},
    };
    const struct fx_chat_user *targets[] = {&plain, &other_staff};
    /* wardenctl make-staff, which made the staff fixtures, sent its own USER_UPDATE */
    int64_t updates_before[2];
    for (int k = 0; k < 2; k++) {
        char filter[1024];
        snprintf(filter, sizeof filter,
                 "{\"type\": \"USER_UPDATE\", \"user_id\": {\"$numberLong\": \"%s\"}}", targets[k]->id);
        updates_before[k] = fx_db_count("gateway_events", filter);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fx_chat_user *target = cases[i].who ? &other_staff : &plain;
        char path[96];
        snprintf(path, sizeof path, USERS "/%s", target->id);
        struct http_response r;
        fx_request("PATCH", path, staff.auth, cases[i].body, &r);
        ca_expect_error(&r, 403, "you can not change a users staff badge", 0);
        http_response_free(&r);
    }
    for (int k = 0; k < 2; k++) {
        char filter[160];
        cr_expect_eq(stored_flags(targets[k]->id), k, "flags unchanged");
        snprintf(filter, sizeof filter,
                 "{\"type\": \"USER_UPDATE\", \"user_id\": {\"$numberLong\": \"%s\"}}", targets[k]->id);
        cr_expect_eq(fx_db_count("gateway_events", filter), updates_before[k], "no USER_UPDATE");
    }
    /* the other staff member still passes as staff */
    struct http_response r;
    fx_request("GET", USERS "?username=a&per_page=1", other_staff.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
}

Test(admin_users, patch_flags_must_be_an_integer_below_2_31)
{
    struct fx_chat_user staff, other;
    fx_chat_user(&staff, true);
    fx_chat_user(&other, false);
    char path[96];
    snprintf(path, sizeof path, USERS "/%s", other.id);
    const char *bad[] = {"{\"flags\": -1}", "{\"flags\": 2147483648}", "{\"flags\": \"2\"}",
                         "{\"flags\": 1.5}", "{\"flags\": null}", "{\"flags\": 2, \"username\": \"x\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_response r;
        fx_request("PATCH", path, staff.auth, bad[i], &r);
        ca_expect_error(&r, 400, "bad payload", 0);
        http_response_free(&r);
    }
    char filter[128];
    user_filter(filter, sizeof filter, other.id);
    bson_t stored = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("users", filter, &stored));
    cr_expect_eq(fx_int(&stored, "flags", -1), 0, "nothing stored");
    bson_destroy(&stored);

    /* the largest allowed value (without the staff bit) */
    struct http_response r;
    fx_request("PATCH", path, staff.auth, "{\"flags\": 2147483646}", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
}

/* --- the discriminator space ----------------------------------------------- */

/*
 * On a private stack: 9000 users of one name make every later query on
 * users slower on FerretDB v1 (which scans the collection for a filter on
 * username), and the shared stack serves every other suite.
 */
Test(admin_users, more_than_9000_of_one_name_is_too_many_people)
{
    struct stack s;
    cr_assert_eq(stack_start(&s, NULL), 0, "the private stack did not start");
    char name[24], auth[400], body[256];
    fx_unique(name, sizeof name, "tm");
    ca_private_staff(&s, auth, sizeof auth);

    insert_users(s.mongodb_uri, name, 8999, 1);

    /* the 9000th draws one of the discriminators still free */
    struct http_response r;
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"email\":\"%s.a@example.com\",\"password\":\"12345\"}",
             name, name);
    ca_private_request(&s, "PUT", USERS, auth, body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    http_response_free(&r);
    cr_expect_geq(atoi(fx_str(&doc, "discriminator")), 9000, "a free one: %s", fx_str(&doc, "discriminator"));
    bson_destroy(&doc);

    /* the next one is refused, and its email stays free */
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"email\":\"%s.b@example.com\",\"password\":\"12345\"}",
             name, name);
    ca_private_request(&s, "PUT", USERS, auth, body, &r);
    ca_expect_error(&r, 400, "Too many people.", 0);
    http_response_free(&r);
    char path[128];
    snprintf(path, sizeof path, USERS "?username=%s&per_page=1&page=8999", name);
    ca_private_request(&s, "GET", path, auth, NULL, &r);
    cr_expect(r.status == 200 && strstr(r.body, "\"discriminator\""), "a 9000th: %s", r.body);
    http_response_free(&r);
    snprintf(path, sizeof path, USERS "?username=%s&per_page=1&page=9000", name);
    ca_private_request(&s, "GET", path, auth, NULL, &r);
    cr_expect_str_eq(r.body, "[]", "no 9001st");
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"x%s\",\"email\":\"%s.b@example.com\",\"password\":\"12345\"}",
             name, name);
    ca_private_request(&s, "PUT", USERS, auth, body, &r);
    cr_expect_eq(r.status, 200, "the refused one's email: %s", r.body);
    http_response_free(&r);

    cr_expect_eq(stack_stop(&s), 0, "the private stack's pool reported a sanitizer error");
}

/* --- uniqueness under concurrency ---------------------------------------- */

/*
 * Every creation hashes a password (Argon2id) and the two workers take the
 * queued ones in turn, so on a loaded machine the last of a burst may wait
 * longer than the client's bound. A call the client gave up on proves
 * nothing either way: it is logged, and what counts is what the database
 * holds once the pool has caught up.
 */
static int count_gave_up(const struct ca_call *calls, int n)
{
    int gave_up = 0;
    for (int i = 0; i < n; i++) {
        if (calls[i].status == 0) {
            cr_log_warn("call %d got no answer: %s", i, calls[i].error);
            gave_up++;
        }
    }
    return gave_up;
}

#define PARALLEL_CREATES 20

Test(admin_users, parallel_creates_of_one_username_never_share_a_discriminator)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24];
    fx_unique(name, sizeof name, "pc");
    struct ca_call calls[PARALLEL_CREATES];
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < PARALLEL_CREATES; i++) {
        calls[i].method = "PUT";
        snprintf(calls[i].path, sizeof calls[i].path, "%s", USERS);
        calls[i].auth = staff.auth;
        snprintf(calls[i].body, sizeof calls[i].body,
                 "{\"username\":\"%s\",\"email\":\"%s.%d@example.com\",\"password\":\"12345\"}", name,
                 name, i);
    }
    ca_parallel(calls, PARALLEL_CREATES);
    int gave_up = count_gave_up(calls, PARALLEL_CREATES);
    char seen[PARALLEL_CREATES][8];
    int ok = 0;
    for (int i = 0; i < PARALLEL_CREATES; i++) {
        if (calls[i].status == 0)
            continue;
        cr_assert(calls[i].status == 200 || calls[i].status == 400, "call %d: %ld %s", i,
                  calls[i].status, calls[i].response);
        struct http_response r = {.status = calls[i].status, .body = calls[i].response,
                                  .body_len = strlen(calls[i].response)};
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        if (calls[i].status == 400) {
            cr_expect_str_eq(fx_str(&doc, "message"), "Too many people.", "%s", calls[i].response);
        } else {
            cr_expect_str_eq(fx_str(&doc, "username"), name);
            const char *d = fx_str(&doc, "discriminator");
            for (int k = 0; k < ok; k++)
                cr_expect_str_neq(seen[k], d, "discriminator %s given twice", d);
            snprintf(seen[ok++], sizeof seen[0], "%s", d);
        }
        bson_destroy(&doc);
    }
    ca_calls_free(calls, PARALLEL_CREATES);
    cr_expect_geq(ok, 1);

    char filter[256];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", name);
    int64_t stored = gave_up ? ca_db_settled_count("users", filter) : fx_db_count("users", filter);
    cr_expect(stored >= ok && stored <= ok + gave_up, "%lld stored for %d answers 200 (%d unanswered)",
              (long long)stored, ok, gave_up);
    char discriminators[PARALLEL_CREATES + 1][16];
    size_t n = ca_db_strings("users", filter, "discriminator", discriminators, PARALLEL_CREATES + 1);
    cr_assert_leq(n, PARALLEL_CREATES);
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            cr_expect_str_neq(discriminators[a], discriminators[b], "%s#%s stored twice", name,
                              discriminators[a]);
    for (int k = 0; k < ok; k++) {
        snprintf(filter, sizeof filter, "{\"username\": \"%s\", \"discriminator\": \"%s\"}", name, seen[k]);
        cr_expect_eq(fx_db_count("users", filter), 1, "#%s stored once", seen[k]);
    }
}

Test(admin_users, the_database_refuses_a_second_username_discriminator_pair)
{
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    /* what a create that drew a taken discriminator would insert */
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_INT64(&doc, "_id", strtoll(user.id, NULL, 10) + 1);
    BSON_APPEND_UTF8(&doc, "username", user.username);
    BSON_APPEND_UTF8(&doc, "discriminator", user.discriminator);
    BSON_APPEND_NULL(&doc, "email");
    char error[256] = "";
    bool inserted = ca_db_insert("users", &doc, error, sizeof error);
    bson_destroy(&doc);
    cr_expect(!inserted, "a second %s#%s was stored", user.username, user.discriminator);
    cr_expect(strstr(error, "duplicate") || strstr(error, "E11000"), "refused for: %s", error);
    char filter[128];
    snprintf(filter, sizeof filter, "{\"username\": \"%s\"}", user.username);
    cr_expect_eq(fx_db_count("users", filter), 1);
}

/* Named so that it does not run next to the other burst of creations:
 * every creation hashes a password, and the two workers serve them in turn. */
#define SAME_EMAIL_CREATES 6

Test(admin_users, email_stays_unique_under_parallel_creates)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char stem[24];
    fx_unique(stem, sizeof stem, "se");
    struct ca_call calls[SAME_EMAIL_CREATES];
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < SAME_EMAIL_CREATES; i++) {
        calls[i].method = "PUT";
        snprintf(calls[i].path, sizeof calls[i].path, "%s", USERS);
        calls[i].auth = staff.auth;
        /* the same address, in a different case each time */
        snprintf(calls[i].body, sizeof calls[i].body,
                 "{\"username\":\"%s%d\",\"email\":\"%s@%s.example.com\",\"password\":\"12345\"}",
                 stem, i, stem, i % 2 ? "MAIL" : "mail");
    }
    ca_parallel(calls, SAME_EMAIL_CREATES);
    int gave_up = count_gave_up(calls, SAME_EMAIL_CREATES);
    int ok = 0, taken = 0;
    for (int i = 0; i < SAME_EMAIL_CREATES; i++) {
        if (calls[i].status == 200)
            ok++;
        else if (calls[i].status == 400 && strstr(calls[i].response, "Email already used."))
            taken++;
        else if (calls[i].status != 0)
            cr_expect_fail("create %d: %ld %s", i, calls[i].status, calls[i].response);
    }
    ca_calls_free(calls, SAME_EMAIL_CREATES);
    cr_expect_leq(ok, 1, "at most one account answered");
    cr_expect_eq(ok + taken + gave_up, SAME_EMAIL_CREATES, "every other answer is \"Email already used.\"");
    char filter[128];
    snprintf(filter, sizeof filter, "{\"username\": {\"$regex\": \"^%s\"}}", stem);
    int64_t stored = gave_up ? ca_db_settled_count("users", filter) : fx_db_count("users", filter);
    cr_expect_leq(stored, 1, "one account at most");
    if (ok)
        cr_expect_eq(stored, 1, "the account answered is stored");
    snprintf(filter, sizeof filter, "{\"_id\": \"%s@mail.example.com\"}", stem);
    cr_expect_eq(fx_db_count("user_emails", filter), stored, "the claim, lower-cased");
}
