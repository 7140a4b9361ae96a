/*
 * GET /admin/users?username= on the postings (src/store/user_search.c):
 * the same answers as a literal substring scan, while renames, soft
 * deletes and registrations run beside the searches, and for users an
 * earlier release stored without postings once `wardenctl migrate` ran.
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
#define STABLE 5
#define DOOMED 5
#define NEWCOMERS 5
#define SEARCHES 10

static void create(const char *auth, const char *username, char id[24])
{
    char body[256], mailbox[24];
    fx_unique(mailbox, sizeof mailbox, "m");
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"12345\"}", username,
             mailbox);
    struct http_response r;
    fx_request("PUT", USERS, auth, body, &r);
    cr_assert_eq(r.status, 200, "create %s: %s", username, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    snprintf(id, 24, "%s", fx_str(&doc, "id"));
    bson_destroy(&doc);
    http_response_free(&r);
}

/* Whether id is among the users of list (a JSON array). */
static bool listed(const bson_t *list, const char *id)
{
    int n = fx_count(list, "");
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "%d.id", i);
        if (strcmp(fx_str(list, key), id) == 0)
            return true;
    }
    return false;
}

static void search(const char *auth, const char *query, bson_t *list)
{
    char path[160];
    snprintf(path, sizeof path, USERS "?%s", query);
    struct http_response r;
    fx_request("GET", path, auth, NULL, &r);
    cr_assert_eq(r.status, 200, "GET %s: %s", path, r.body);
    fx_json(&r, list);
    http_response_free(&r);
}

Test(user_search, exact_while_users_are_renamed_deleted_and_created)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char stem[24], name[40];
    fx_unique(stem, sizeof stem, "cs");
    char stable[STABLE][24], doomed[DOOMED][24];
    for (int i = 0; i < STABLE; i++) {
        snprintf(name, sizeof name, "%ss%d", stem, i);
        create(staff.auth, name, stable[i]);
    }
    for (int i = 0; i < DOOMED; i++) {
        snprintf(name, sizeof name, "%sd%d", stem, i);
        create(staff.auth, name, doomed[i]);
    }

    /* Deletions (renames to "Deleted User …"), registrations and searches, all at once. */
    struct ca_call calls[DOOMED + NEWCOMERS + SEARCHES];
    memset(calls, 0, sizeof calls);
    size_t n = 0;
    for (int i = 0; i < DOOMED; i++, n++) {
        calls[n].method = "DELETE";
        snprintf(calls[n].path, sizeof calls[n].path, USERS "/%s", doomed[i]);
        calls[n].auth = staff.auth;
    }
    for (int i = 0; i < NEWCOMERS; i++, n++) {
        calls[n].method = "PUT";
        snprintf(calls[n].path, sizeof calls[n].path, USERS);
        calls[n].auth = staff.auth;
        snprintf(calls[n].body, sizeof calls[n].body,
                 "{\"username\":\"%sn%d\",\"email\":\"%sn%d@example.com\",\"password\":\"12345\"}",
                 stem, i, stem, i);
    }
    for (int i = 0; i < SEARCHES; i++, n++) {
        calls[n].method = "GET";
        snprintf(calls[n].path, sizeof calls[n].path, USERS "?username=%s&per_page=50", stem);
        calls[n].auth = staff.auth;
    }
    ca_parallel(calls, n);

    char newcomers[NEWCOMERS][24];
    int created = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(calls[i].status, 200, "%s %s: %ld %s %s", calls[i].method, calls[i].path,
                     calls[i].status, calls[i].response ? calls[i].response : "", calls[i].error);
        struct http_response r = {.status = calls[i].status, .body = calls[i].response,
                                  .body_len = strlen(calls[i].response)};
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        if (strcmp(calls[i].method, "PUT") == 0)
            snprintf(newcomers[created++], 24, "%s", fx_str(&doc, "id"));
        if (strcmp(calls[i].method, "GET") == 0) {
            /* never wrongly present, never missing */
            int count = fx_count(&doc, "");
            for (int k = 0; k < count; k++) {
                char key[32];
                snprintf(key, sizeof key, "%d.username", k);
                cr_expect(strstr(fx_str(&doc, key), stem), "a search for %s listed %s", stem,
                          fx_str(&doc, key));
            }
            for (int k = 0; k < STABLE; k++)
                cr_expect(listed(&doc, stable[k]), "user %s missing from a search", stable[k]);
            cr_expect_leq(count, STABLE + DOOMED + NEWCOMERS);
        }
        bson_destroy(&doc);
    }
    ca_calls_free(calls, n);

    /* Afterwards: exactly the stable users and the newcomers. */
    bson_t list = BSON_INITIALIZER;
    char query[96];
    snprintf(query, sizeof query, "username=%s&per_page=50", stem);
    search(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), STABLE + NEWCOMERS);
    for (int k = 0; k < STABLE; k++)
        cr_expect(listed(&list, stable[k]), "stable user %s missing", stable[k]);
    for (int k = 0; k < created; k++)
        cr_expect(listed(&list, newcomers[k]), "new user %s missing", newcomers[k]);
    for (int k = 0; k < DOOMED; k++)
        cr_expect(!listed(&list, doomed[k]), "deleted user %s still found by its old name", doomed[k]);
    bson_destroy(&list);
}

Test(user_search, a_deleted_user_is_found_by_its_new_name_and_tag)
{
    struct fx_chat_user staff, victim;
    fx_chat_user(&staff, true);
    fx_chat_user(&victim, false);
    char path[96];
    snprintf(path, sizeof path, USERS "/%s", victim.id);
    struct http_response r;
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    http_response_free(&r);
    char new_name[64], query[128];
    snprintf(new_name, sizeof new_name, "%s", fx_str(&doc, "new.username"));
    bson_destroy(&doc);
    cr_assert(strncmp(new_name, "Deleted User ", 13) == 0, "%s", new_name);

    /* its hex tail is unique: a search for it finds exactly the user */
    bson_t list = BSON_INITIALIZER;
    snprintf(query, sizeof query, "username=%s", new_name + 13);
    search(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 1);
    cr_expect(listed(&list, victim.id));
    bson_destroy(&list);

    /* wardenctl finds it by its new tag, and no longer by the old one */
    char *out = NULL;
    cr_expect_eq(fx_ctl(&out, (const char *const[]){"set-flag", new_name, victim.discriminator,
                                                     "partner", NULL}), 0, "%s", out ? out : "");
    free(out);
    out = NULL;
    cr_expect_eq(fx_ctl(&out, (const char *const[]){"set-flag", victim.username,
                                                     victim.discriminator, "partner", NULL}), 1,
                 "%s", out ? out : "");
    free(out);
}

Test(user_search, needles_of_every_length_and_the_discriminator_filter)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char stem[24], id[24], name[40];
    fx_unique(stem, sizeof stem, "nl");
    snprintf(name, sizeof name, "%s_x y", stem);
    create(staff.auth, name, id);
    bson_t list = BSON_INITIALIZER;
    char query[160];
    /* a needle with a space and an underscore, matched literally */
    snprintf(query, sizeof query, "username=%s_x%%20y", stem + 4);
    search(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 1, "literal substring with punctuation");
    cr_expect(listed(&list, id));
    /* discriminator and a two-byte needle together */
    const char *d = fx_str(&list, "0.discriminator");
    char discriminator[8];
    snprintf(discriminator, sizeof discriminator, "%s", d);
    bson_destroy(&list);
    bson_init(&list);
    snprintf(query, sizeof query, "username=%%20y&discriminator=%s&per_page=50", discriminator);
    for (int page = 0; page < 200 && !listed(&list, id); page++) {
        bson_destroy(&list);
        bson_init(&list);
        snprintf(query, sizeof query, "username=%%20y&discriminator=%s&per_page=50&page=%d",
                 discriminator, page);
        search(staff.auth, query, &list);
        int count = fx_count(&list, "");
        for (int k = 0; k < count; k++) {
            char key[32];
            snprintf(key, sizeof key, "%d.discriminator", k);
            cr_expect_str_eq(fx_str(&list, key), discriminator);
            snprintf(key, sizeof key, "%d.username", k);
            cr_expect(strstr(fx_str(&list, key), " y"), "%s", fx_str(&list, key));
        }
        if (count < 50)
            break;
    }
    cr_expect(listed(&list, id), "found through the discriminator's postings");
    bson_destroy(&list);
    /* case matters: the upper-cased stem matches nobody */
    char upper[24];
    for (size_t i = 0; i <= strlen(stem); i++)
        upper[i] = (char)(stem[i] >= 'a' && stem[i] <= 'z' ? stem[i] - 32 : stem[i]);
    bson_init(&list);
    snprintf(query, sizeof query, "username=%s", upper);
    search(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 0, "case-sensitive");
    bson_destroy(&list);
}

/* Users stored by an earlier release: no claims, no postings, until migrate. */
Test(user_search, migrate_backfills_users_stored_without_postings)
{
    struct stack s;
    cr_assert_eq(stack_start(&s, NULL), 0, "the private stack did not start");
    char auth[400], name[24];
    ca_private_staff(&s, auth, sizeof auth);
    fx_unique(name, sizeof name, "mb");
    bson_t *docs[3];
    for (int i = 0; i < 3; i++) {
        char d[12];
        snprintf(d, sizeof d, "%04d", 7 + i);
        docs[i] = bson_new();
        BSON_APPEND_INT64(docs[i], "_id", ((int64_t)1 << 61) + i);
        BSON_APPEND_UTF8(docs[i], "username", name);
        BSON_APPEND_UTF8(docs[i], "discriminator", d);
        BSON_APPEND_NULL(docs[i], "email");
        BSON_APPEND_INT64(docs[i], "flags", 0);
    }
    ca_db_insert_many(s.mongodb_uri, "users", (const bson_t *const *)docs, 3);
    for (int i = 0; i < 3; i++)
        bson_destroy(docs[i]);

    char path[128];
    snprintf(path, sizeof path, USERS "?username=%s", name);
    struct http_response r;
    ca_private_request(&s, "GET", path, auth, NULL, &r);
    cr_expect_str_eq(r.body, "[]", "not found before the backfill");
    http_response_free(&r);

    fx_ctl_ok(&s, NULL, 0, (const char *const[]){"migrate", NULL});
    ca_private_request(&s, "GET", path, auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    cr_expect_eq(fx_count(&list, ""), 3, "found after the backfill");
    cr_expect_str_eq(fx_str(&list, "0.discriminator"), "0007", "ordered by id");
    bson_destroy(&list);

    /* a second run changes nothing */
    fx_ctl_ok(&s, NULL, 0, (const char *const[]){"migrate", NULL});
    ca_private_request(&s, "GET", path, auth, NULL, &r);
    bson_init(&list);
    fx_json(&r, &list);
    http_response_free(&r);
    cr_expect_eq(fx_count(&list, ""), 3);
    bson_destroy(&list);
    cr_expect_eq(stack_stop(&s), 0, "the private stack's pool reported a sanitizer error");
}

/* Join ordinals only bound a name's users from above: a name with more than
 * 9000 creations ever but few users left counts them, and admits more. */
Test(user_search, a_name_past_9000_creations_counts_its_users_exactly)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char name[24], key[64], error[256] = "", ids[2][24];
    fx_unique(name, sizeof name, "jo");
    snprintf(key, sizeof key, "%s#%010d", name, 9500);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", key);
    BSON_APPEND_INT64(&doc, "user_id", 1);
    cr_assert(ca_db_insert("username_joins", &doc, error, sizeof error), "%s", error);
    bson_destroy(&doc);
    create(staff.auth, name, ids[0]);
    create(staff.auth, name, ids[1]);
    bson_t list = BSON_INITIALIZER;
    char query[64];
    snprintf(query, sizeof query, "username=%s", name);
    search(staff.auth, query, &list);
    cr_expect_eq(fx_count(&list, ""), 2);
    cr_expect(listed(&list, ids[0]) && listed(&list, ids[1]));
    cr_expect_str_neq(fx_str(&list, "0.discriminator"), fx_str(&list, "1.discriminator"));
    bson_destroy(&list);
}
