/*
 * voice: voice regions and servers on the shared stack (spec: chat-admin.md,
 * rows GET /admin/voice/regions/<region>, PUT /admin/voice/regions, PUT
 * .../<region>/server, PUT .../<region>/deprecate). Litecord's own scenario
 * (a region, then a guild in it) first, then every row's answers, and what
 * deprecation does to the guilds of the region.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_admin_support.h"
#include "support/fixtures.h"
#include "support/stack.h"

#define REGIONS "/api/v6/admin/voice/regions"

static void put_region(const char *auth, const char *body, struct http_response *r)
{
    fx_request("PUT", REGIONS, auth, body, r);
}

static void put_server(const char *auth, const char *region, const char *hostname,
                       struct http_response *r)
{
    char path[160], body[160];
    snprintf(path, sizeof path, REGIONS "/%s/server", region);
    snprintf(body, sizeof body, "{\"hostname\": \"%s\"}", hostname);
    fx_request("PUT", path, auth, body, r);
}

/* The element of a region list whose id is id, into out. */
static bool region_in(const bson_t *list, const char *id, bson_t *out)
{
    int n = fx_count(list, "");
    for (int i = 0; i < n; i++) {
        char key[24];
        snprintf(key, sizeof key, "%d.id", i);
        if (strcmp(fx_str(list, key), id) == 0) {
            snprintf(key, sizeof key, "%d", i);
            return fx_sub(list, key, out);
        }
    }
    return false;
}

static void get_guild(const char *auth, const char *id, bson_t *doc)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/guilds/%s", id);
    struct http_response r;
    fx_request("GET", path, auth, NULL, &r);
    cr_assert_eq(r.status, 200, "guild %s: %ld %s", id, r.status, r.body);
    fx_json(&r, doc);
    http_response_free(&r);
}

Test(voice, litecord_region_then_a_guild_in_it)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], guild[24];
    ca_region(staff.auth, region, false);
    char region_json[40];
    snprintf(region_json, sizeof region_json, "\"%s\"", region);
    bson_t doc = BSON_INITIALIZER;
    ca_guild(staff.auth, "voice guild", region_json, &doc, guild);
    cr_expect_str_eq(fx_str(&doc, "region"), region);
    cr_expect_str_eq(fx_str(&doc, "name"), "voice guild");
    bson_destroy(&doc);
    bson_init(&doc);
    get_guild(staff.auth, guild, &doc);
    cr_expect_str_eq(fx_str(&doc, "region"), region);
    bson_destroy(&doc);
}

Test(voice, create_region_answers_every_region_with_ids_lower_cased)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    ca_ensure_first_region(staff.auth);
    char first[24], id[24], upper[24], body[256];
    ca_region(staff.auth, first, false);
    fx_unique(id, sizeof id, "vr");
    snprintf(upper, sizeof upper, "%s", id);
    for (size_t i = 0; upper[i]; i += 2)
        if (upper[i] >= 'a' && upper[i] <= 'z')
            upper[i] = (char)(upper[i] - 32);
    snprintf(body, sizeof body,
             "{\"id\": \"%s\", \"name\": \"Mixed Case Name\", \"vip\": true, \"custom\": true}", upper);
    struct http_response r;
    put_region(staff.auth, body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(r.body[0], '[', "a list: %s", r.body);
    bson_t list = BSON_INITIALIZER, entry = BSON_INITIALIZER;
    fx_json(&r, &list);
    cr_assert(region_in(&list, id, &entry), "%s (lower-cased) in %s", id, r.body);
    http_response_free(&r);
    cr_expect_str_eq(fx_str(&entry, "name"), "Mixed Case Name");
    cr_expect_eq(fx_bool(&entry, "vip", false), true);
    cr_expect_eq(fx_bool(&entry, "custom", false), true);
    cr_expect_eq(fx_bool(&entry, "deprecated", true), false);
    cr_expect_eq(fx_count(&entry, ""), 5, "id, name, vip, deprecated, custom");
    bson_destroy(&entry);
    bson_init(&entry);
    cr_expect(region_in(&list, first, &entry), "the earlier region is in the answer too");
    bson_destroy(&entry);
    bson_init(&entry);
    cr_expect(region_in(&list, "tests-first", &entry), "every region is in the answer");
    bson_destroy(&entry);
    bson_init(&entry);
    cr_expect(!region_in(&list, upper, &entry), "no upper-case id");
    bson_destroy(&entry);
    bson_destroy(&list);

    char filter[64];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", id);
    cr_expect_eq(fx_db_count("voice_regions", filter), 1, "stored under the lower-case id");

    /* GET lists it as well */
    fx_request("GET", REGIONS, staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_init(&list);
    fx_json(&r, &list);
    http_response_free(&r);
    bson_init(&entry);
    cr_expect(region_in(&list, id, &entry));
    bson_destroy(&entry);
    bson_destroy(&list);
}

Test(voice, duplicate_region_is_400)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], body[128];
    ca_region(staff.auth, id, false);
    struct http_response r;
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"name\": \"again\"}", id);
    put_region(staff.auth, body, &r);
    ca_expect_error(&r, 400, "voice region already exists", 0);
    http_response_free(&r);
    id[0] = (char)(id[0] - 32); /* the same id in another case */
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"name\": \"again\"}", id);
    put_region(staff.auth, body, &r);
    ca_expect_error(&r, 400, "voice region already exists", 0);
    http_response_free(&r);
    id[0] = (char)(id[0] + 32);
    char filter[64];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\", \"name\": \"again\"}", id);
    cr_expect_eq(fx_db_count("voice_regions", filter), 0, "the first one is kept");
}

Test(voice, region_fields_are_validated)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char long_id[300], body[400];
    memset(long_id, 'r', 256);
    long_id[256] = '\0';
    static const struct {
        const char *field, *message;
    } expected[] = {
        {"name", "required field"}, {"id", "max length is 255"}, {"vip", "must be of boolean type"},
        {"id", "must be of string type"}, {"colour", "unknown field"},
    };
    const char *bodies[5];
    char b1[64], b3[64], b4[64], b5[96];
    snprintf(b1, sizeof b1, "{\"id\": \"x\"}");
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"name\": \"n\"}", long_id);
    snprintf(b3, sizeof b3, "{\"id\": \"y\", \"name\": \"n\", \"vip\": \"yes\"}");
    snprintf(b4, sizeof b4, "{\"id\": 5, \"name\": \"n\"}");
    snprintf(b5, sizeof b5, "{\"id\": \"z\", \"name\": \"n\", \"colour\": \"red\"}");
    bodies[0] = b1, bodies[1] = body, bodies[2] = b3, bodies[3] = b4, bodies[4] = b5;
    for (size_t i = 0; i < 5; i++) {
        struct http_response r;
        put_region(staff.auth, bodies[i], &r);
        ca_expect_field_error(&r, expected[i].field, expected[i].message);
        http_response_free(&r);
    }
}

Test(voice, unknown_region_has_no_servers)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], path[96];
    fx_unique(id, sizeof id, "nr");
    snprintf(path, sizeof path, REGIONS "/%s", id);
    struct http_response r;
    fx_request("GET", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(r.body, "[]");
    http_response_free(&r);
}

Test(voice, server_is_added_and_listed_with_its_health)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], host_a[64], host_b[64], stem[24], path[96];
    ca_region(staff.auth, region, false);
    fx_unique(stem, sizeof stem, "h");
    snprintf(host_a, sizeof host_a, "a.%s.example", stem);
    snprintf(host_b, sizeof host_b, "b.%s.example", stem);
    struct http_response r;
    put_server(staff.auth, region, host_b, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    cr_expect_eq(r.body_len, 0);
    http_response_free(&r);
    put_server(staff.auth, region, host_a, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    http_response_free(&r);

    snprintf(path, sizeof path, REGIONS "/%s", region);
    fx_request("GET", path, staff.auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    cr_assert_eq(fx_count(&list, ""), 2, "%s", r.body);
    cr_expect_str_eq(fx_str(&list, "0.hostname"), host_a);
    cr_expect_str_eq(fx_str(&list, "1.hostname"), host_b);
    bson_iter_t it;
    cr_expect(bson_iter_init(&it, &list) && bson_iter_find_descendant(&it, "0.last_health", &it) &&
              BSON_ITER_HOLDS_DOUBLE(&it) && bson_iter_double(&it) == 0.5,
              "last_health 0.5 as a float: %s", r.body);
    cr_expect(strstr(r.body, "\"last_health\":0.5"), "%s", r.body);
    bson_t server = BSON_INITIALIZER;
    cr_assert(fx_sub(&list, "0", &server));
    cr_expect_eq(fx_count(&server, ""), 2, "hostname and last_health");
    bson_destroy(&server);
    bson_destroy(&list);
    http_response_free(&r);

    /* the region's id in any case */
    for (size_t i = 0; region[i]; i++)
        path[strlen(REGIONS "/") + i] = (char)(region[i] >= 'a' && region[i] <= 'z' ? region[i] - 32 : region[i]);
    fx_request("GET", path, staff.auth, NULL, &r);
    cr_expect(r.status == 200 && strstr(r.body, host_a), "%s: %s", path, r.body);
    http_response_free(&r);
}

Test(voice, duplicate_hostname_is_400)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], other[24], host[64], stem[24];
    ca_region(staff.auth, region, false);
    ca_region(staff.auth, other, false);
    fx_unique(stem, sizeof stem, "h");
    snprintf(host, sizeof host, "%s.example", stem);
    struct http_response r;
    put_server(staff.auth, region, host, &r);
    cr_assert_eq(r.status, 204, "%s", r.body);
    http_response_free(&r);
    put_server(staff.auth, region, host, &r);
    ca_expect_error(&r, 400, "voice server already exists with given hostname", 0);
    http_response_free(&r);
    /* hostnames are unique across regions */
    put_server(staff.auth, other, host, &r);
    ca_expect_error(&r, 400, "voice server already exists with given hostname", 0);
    http_response_free(&r);
    char filter[96];
    snprintf(filter, sizeof filter, "{\"region_id\": \"%s\"}", other);
    cr_expect_eq(fx_db_count("voice_servers", filter), 0);
}

Test(voice, server_in_unknown_region_is_404)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], host[64];
    fx_unique(region, sizeof region, "nr");
    snprintf(host, sizeof host, "%s.example", region);
    struct http_response r;
    put_server(staff.auth, region, host, &r);
    ca_expect_error(&r, 404, "Unknown voice region", 0);
    http_response_free(&r);
    char filter[96];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", host);
    cr_expect_eq(fx_db_count("voice_servers", filter), 0, "nothing stored");

    /* a missing hostname is a payload error */
    char path[96];
    ca_region(staff.auth, region, false);
    snprintf(path, sizeof path, REGIONS "/%s/server", region);
    fx_request("PUT", path, staff.auth, "{}", &r);
    ca_expect_field_error(&r, "hostname", "required field");
    http_response_free(&r);
}

Test(voice, deprecation_takes_the_region_from_its_guilds)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], kept[24], in_a[24], in_b[24], elsewhere[24], json[40], path[96], filter[192];
    ca_region(staff.auth, region, false);
    ca_region(staff.auth, kept, false);
    snprintf(json, sizeof json, "\"%s\"", region);
    ca_guild(staff.auth, "in the region", json, NULL, in_a);
    ca_guild(staff.auth, "also in it", json, NULL, in_b);
    snprintf(json, sizeof json, "\"%s\"", kept);
    ca_guild(staff.auth, "elsewhere", json, NULL, elsewhere);

    snprintf(path, sizeof path, REGIONS "/%s/deprecate", region);
    struct http_response r;
    fx_request("PUT", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    cr_expect_eq(r.body_len, 0);
    http_response_free(&r);

    const char *moved[] = {in_a, in_b};
    for (int i = 0; i < 2; i++) {
        bson_t doc = BSON_INITIALIZER;
        get_guild(staff.auth, moved[i], &doc);
        cr_expect(fx_is_null(&doc, "region"), "guild %s has no region: %s", moved[i], fx_str(&doc, "region"));
        bson_destroy(&doc);
        snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}, \"region\": null}", moved[i]);
        cr_expect_eq(fx_db_count("guilds", filter), 1, "stored without region");
        snprintf(filter, sizeof filter,
                 "{\"type\": \"GUILD_UPDATE\", \"guild_id\": {\"$numberLong\": \"%s\"}, \"data.region\": null}",
                 moved[i]);
        cr_expect_eq(fx_db_count("gateway_events", filter), 1, "one GUILD_UPDATE for %s", moved[i]);
    }
    bson_t doc = BSON_INITIALIZER;
    get_guild(staff.auth, elsewhere, &doc);
    cr_expect_str_eq(fx_str(&doc, "region"), kept, "a guild of another region keeps it");
    bson_destroy(&doc);
    snprintf(filter, sizeof filter, "{\"type\": \"GUILD_UPDATE\", \"guild_id\": {\"$numberLong\": \"%s\"}}",
             elsewhere);
    cr_expect_eq(fx_db_count("gateway_events", filter), 0);

    /* the region is marked, and new guilds cannot pick it */
    fx_request("GET", REGIONS, staff.auth, NULL, &r);
    bson_t list = BSON_INITIALIZER, entry = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    cr_assert(region_in(&list, region, &entry));
    cr_expect_eq(fx_bool(&entry, "deprecated", false), true);
    bson_destroy(&entry);
    bson_init(&entry);
    cr_assert(region_in(&list, kept, &entry));
    cr_expect_eq(fx_bool(&entry, "deprecated", true), false);
    bson_destroy(&entry);
    bson_destroy(&list);

    char body[96];
    snprintf(body, sizeof body, "{\"name\": \"late\", \"region\": \"%s\"}", region);
    fx_request("POST", "/api/v6/guilds", staff.auth, body, &r);
    ca_expect_error(&r, 400, "bad payload", 0);
    http_response_free(&r);

    /* audited */
    snprintf(filter, sizeof filter, "{\"action\": \"voice_region.deprecate\", \"target.id\": \"%s\"}", region);
    cr_expect_eq(fx_db_count("audit_log", filter), 1);
}

Test(voice, deprecating_an_unknown_region_is_404)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], path[96];
    fx_unique(region, sizeof region, "nr");
    snprintf(path, sizeof path, REGIONS "/%s/deprecate", region);
    struct http_response r;
    fx_request("PUT", path, staff.auth, NULL, &r);
    ca_expect_error(&r, 404, "Unknown voice region", 0);
    http_response_free(&r);
}

Test(voice, staff_only)
{
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    struct http_response r;
    fx_request("PUT", REGIONS, user.auth, "{\"id\": \"x\", \"name\": \"x\"}", &r);
    ca_expect_error(&r, 403, "you are not staff", 0);
    http_response_free(&r);
    fx_request("GET", REGIONS "/x", user.auth, NULL, &r);
    ca_expect_error(&r, 403, "you are not staff", 0);
    http_response_free(&r);
}

/*
 * Upstream's rule: the first region ever created becomes every guild's
 * region (once). On a private stack, since the shared one's first region
 * is made by whichever test runs first.
 */
Test(voice, the_first_region_ever_is_given_to_every_guild)
{
    struct stack s;
    cr_assert_eq(stack_start(&s, NULL), 0, "the private stack did not start");
    char auth[400], ids[3][24];
    ca_private_staff(&s, auth, sizeof auth);
    struct http_response r;
    for (int i = 0; i < 2; i++) {
        ca_private_request(&s, "POST", "/api/v6/guilds", auth, "{\"name\": \"before\"}", &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        cr_expect(fx_is_null(&doc, "region"));
        snprintf(ids[i], sizeof ids[i], "%s", fx_str(&doc, "id"));
        bson_destroy(&doc);
        http_response_free(&r);
    }
    ca_private_request(&s, "PUT", REGIONS, auth, "{\"id\": \"First\", \"name\": \"first\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    ca_private_request(&s, "POST", "/api/v6/guilds", auth, "{\"name\": \"after\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    snprintf(ids[2], sizeof ids[2], "%s", fx_str(&doc, "id"));
    cr_expect(fx_is_null(&doc, "region"), "a guild made afterwards has none");
    bson_destroy(&doc);
    http_response_free(&r);
    ca_private_request(&s, "PUT", REGIONS, auth, "{\"id\": \"second\", \"name\": \"second\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    for (int i = 0; i < 3; i++) {
        char path[96];
        snprintf(path, sizeof path, "/api/v6/admin/guilds/%s", ids[i]);
        ca_private_request(&s, "GET", path, auth, NULL, &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        bson_init(&doc);
        fx_json(&r, &doc);
        if (i < 2)
            cr_expect_str_eq(fx_str(&doc, "region"), "first", "guild %d: %s", i, r.body);
        else
            cr_expect(fx_is_null(&doc, "region"), "only once, only the first: %s", r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
    cr_expect_eq(stack_stop(&s), 0, "the private stack's pool reported a sanitizer error");
}
