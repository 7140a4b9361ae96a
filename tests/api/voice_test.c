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
#include <time.h>
#include <unistd.h>


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

/* --- lookups through claims (guild_regions, voice_region_servers) ------------ */

static void put_region_ok(const char *auth, const char *id)
{
    char body[160];
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"name\": \"Region %s\"}", id, id);
    struct http_response r;
    put_region(auth, body, &r);
    cr_assert_eq(r.status, 200, "region %s: %ld %s", id, r.status, r.body);
    http_response_free(&r);
}

static void deprecate(const char *auth, const char *region)
{
    char path[160];
    snprintf(path, sizeof path, REGIONS "/%s/deprecate", region);
    struct http_response r;
    fx_request("PUT", path, auth, NULL, &r);
    cr_assert_eq(r.status, 204, "deprecate %s: %ld %s", region, r.status, r.body);
    http_response_free(&r);
}

/* The hostnames GET /admin/voice/regions/<region> lists, comma-separated. */
static void hostnames_of(const char *auth, const char *region, char *out, size_t size)
{
    char path[160];
    snprintf(path, sizeof path, REGIONS "/%s", region);
    struct http_response r;
    fx_request("GET", path, auth, NULL, &r);
    cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
    bson_t list = BSON_INITIALIZER;
    fx_json(&r, &list);
    http_response_free(&r);
    out[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < fx_count(&list, ""); i++) {
        char key[24];
        snprintf(key, sizeof key, "%d.hostname", i);
        int n = snprintf(out + used, size - used, "%s%s", i ? "," : "", fx_str(&list, key));
        cr_assert(n > 0 && (size_t)n < size - used);
        used += (size_t)n;
    }
    bson_destroy(&list);
}

static int64_t guild_updates(const char *guild, bool region_null)
{
    char filter[192];
    snprintf(filter, sizeof filter, "{\"type\": \"GUILD_UPDATE\", \"guild_id\": {\"$numberLong\": \"%s\"}%s}",
             guild, region_null ? ", \"data.region\": null" : "");
    return fx_db_count("gateway_events", filter);
}

static int64_t region_claims(const char *region)
{
    char filter[128];
    snprintf(filter, sizeof filter, "{\"region_id\": \"%s\"}", region);
    return fx_db_count("guild_regions", filter);
}

/*
 * Region ids may hold any character: deprecating "<r>" must not touch the
 * guilds of "<r>/west" or "<r>-west", whose ids start the same way (and
 * whose claims' keys would, were the region id not escaped in them).
 */
Test(voice, deprecation_takes_only_its_own_region)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], slash[40], dash[40], json[64], in[3][24], in_slash[24], in_dash[24];
    ca_region(staff.auth, region, false);
    snprintf(slash, sizeof slash, "%s/west", region);
    snprintf(dash, sizeof dash, "%s-west", region);
    put_region_ok(staff.auth, slash);
    put_region_ok(staff.auth, dash);
    snprintf(json, sizeof json, "\"%s\"", region);
    for (int i = 0; i < 3; i++)
        ca_guild(staff.auth, "in the region", json, NULL, in[i]);
    snprintf(json, sizeof json, "\"%s\"", slash);
    ca_guild(staff.auth, "in region/west", json, NULL, in_slash);
    snprintf(json, sizeof json, "\"%s\"", dash);
    ca_guild(staff.auth, "in region-west", json, NULL, in_dash);
    cr_expect_eq(region_claims(region), 3, "a claim per guild of the region");

    deprecate(staff.auth, region);
    for (int i = 0; i < 3; i++) {
        bson_t doc = BSON_INITIALIZER;
        get_guild(staff.auth, in[i], &doc);
        cr_expect(fx_is_null(&doc, "region"), "guild %d keeps %s", i, fx_str(&doc, "region"));
        bson_destroy(&doc);
        cr_expect_eq(guild_updates(in[i], true), 1, "one GUILD_UPDATE without region for guild %d", i);
        cr_expect_eq(guild_updates(in[i], false), 1, "and no other for guild %d", i);
    }
    const char *kept[][2] = {{in_slash, slash}, {in_dash, dash}};
    for (int i = 0; i < 2; i++) {
        bson_t doc = BSON_INITIALIZER;
        get_guild(staff.auth, kept[i][0], &doc);
        cr_expect_str_eq(fx_str(&doc, "region"), kept[i][1]);
        bson_destroy(&doc);
        cr_expect_eq(guild_updates(kept[i][0], false), 0, "no GUILD_UPDATE for the guild of %s", kept[i][1]);
        cr_expect_eq(region_claims(kept[i][1]), 1, "the claim of %s stays", kept[i][1]);
    }
    cr_expect_eq(region_claims(region), 0, "the deprecated region's claims are gone");

    /* again: nothing left to move, nothing sent */
    deprecate(staff.auth, region);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(guild_updates(in[i], false), 1);
    char filter[192];
    snprintf(filter, sizeof filter,
             "{\"action\": \"voice_region.deprecate\", \"target.id\": \"%s\", \"after.guilds_moved\": {\"$numberLong\": \"3\"}}",
             region);
    cr_expect_eq(fx_db_count("audit_log", filter), 1, "the first deprecation moved three guilds");
}

static void insert_or_fail(const char *collection, const bson_t *doc)
{
    char error[256];
    cr_assert(ca_db_insert(collection, doc, error, sizeof error), "insert into %s: %s", collection, error);
}

/* A voice_region_servers claim under key "<key>/<hostname>" for region. */
static void server_claim(const char *key, const char *region, const char *hostname)
{
    char id[160];
    snprintf(id, sizeof id, "%s/%s", key, hostname);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_UTF8(&doc, "region_id", region);
    BSON_APPEND_UTF8(&doc, "hostname", hostname);
    insert_or_fail("voice_region_servers", &doc);
    bson_destroy(&doc);
}

/*
 * A claim only says where to look: the listing re-reads each server and
 * keeps those that are in the region. A region id with '/' has no route of
 * its own (the path is decoded before routing), so the server of "<a>/west"
 * and its claims are written directly: the escaped one, and one keyed
 * without escaping, as a careless writer would, that falls in a's range.
 */
Test(voice, server_listing_skips_stale_claims)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char a[24], b[24], west[40], west_key[48], stem[24], ha[64], hb[64], hw[64], ghost[64], got[256];
    ca_region(staff.auth, a, false);
    ca_region(staff.auth, b, false);
    snprintf(west, sizeof west, "%s/west", a);
    snprintf(west_key, sizeof west_key, "%s%%2Fwest", a);
    put_region_ok(staff.auth, west);
    fx_unique(stem, sizeof stem, "h");
    snprintf(ha, sizeof ha, "a.%s.example", stem);
    snprintf(hb, sizeof hb, "b.%s.example", stem);
    snprintf(hw, sizeof hw, "w.%s.example", stem);
    snprintf(ghost, sizeof ghost, "g.%s.example", stem);
    const char *servers[][2] = {{a, ha}, {b, hb}};
    for (int i = 0; i < 2; i++) {
        struct http_response r;
        put_server(staff.auth, servers[i][0], servers[i][1], &r);
        cr_assert_eq(r.status, 204, "%s", r.body);
        http_response_free(&r);
    }
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", hw);
    BSON_APPEND_UTF8(&doc, "region_id", west);
    BSON_APPEND_DOUBLE(&doc, "last_health", 0.5);
    insert_or_fail("voice_servers", &doc);
    bson_destroy(&doc);
    server_claim(west_key, west, hw);
    server_claim(west, west, hw);
    /* a claim under a for b's server, and one for a server that is not there */
    server_claim(a, a, hb);
    server_claim(a, a, ghost);

    hostnames_of(staff.auth, a, got, sizeof got);
    cr_expect_str_eq(got, ha, "only a's own server");
    hostnames_of(staff.auth, b, got, sizeof got);
    cr_expect_str_eq(got, hb);
}

Test(voice, refused_server_leaves_no_claim_and_takes_none)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], other[24], stem[24], host[64], got[128], filter[160];
    ca_region(staff.auth, region, false);
    ca_region(staff.auth, other, false);
    fx_unique(stem, sizeof stem, "h");
    snprintf(host, sizeof host, "%s.example", stem);
    struct http_response r;
    put_server(staff.auth, region, host, &r);
    cr_assert_eq(r.status, 204, "%s", r.body);
    http_response_free(&r);
    put_server(staff.auth, other, host, &r);
    ca_expect_error(&r, 400, "voice server already exists with given hostname", 0);
    http_response_free(&r);
    snprintf(filter, sizeof filter, "{\"region_id\": \"%s\"}", other);
    cr_expect_eq(fx_db_count("voice_region_servers", filter), 0, "the refused server's claim is taken back");
    hostnames_of(staff.auth, other, got, sizeof got);
    cr_expect_str_eq(got, "");

    /* the same server again in its own region: refused, and its claim stays */
    put_server(staff.auth, region, host, &r);
    ca_expect_error(&r, 400, "voice server already exists with given hostname", 0);
    http_response_free(&r);
    snprintf(filter, sizeof filter, "{\"region_id\": \"%s\"}", region);
    cr_expect_eq(fx_db_count("voice_region_servers", filter), 1);
    hostnames_of(staff.auth, region, got, sizeof got);
    cr_expect_str_eq(got, host);
}

/* An Int64 id no snowflake takes (seconds, not milliseconds, in the high bits). */
static int64_t old_id(void)
{
    static int64_t counter;
    return ((int64_t)time(NULL) << 22) | ((int64_t)(getpid() & 0x3ff) << 12) | (counter++ & 0xfff);
}

/* A guild document as an earlier release stored it (no claims). */
static void old_guild(bson_t *doc, int64_t id, int64_t owner, const char *region)
{
    BSON_APPEND_INT64(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "name", "stored the old way");
    BSON_APPEND_INT64(doc, "owner_id", owner);
    BSON_APPEND_NULL(doc, "icon");
    BSON_APPEND_NULL(doc, "splash");
    if (region)
        BSON_APPEND_UTF8(doc, "region", region);
    else
        BSON_APPEND_NULL(doc, "region");
    BSON_APPEND_INT32(doc, "afk_timeout", 300);
    BSON_APPEND_NULL(doc, "system_channel_id");
    BSON_APPEND_UTF8(doc, "preferred_locale", "en-US");
    BSON_APPEND_BOOL(doc, "unavailable", false);
    BSON_APPEND_NULL(doc, "vanity_url_code");
    BSON_APPEND_INT32(doc, "max_presences", 100000);
    BSON_APPEND_INT32(doc, "max_members", 100000);
    BSON_APPEND_DATE_TIME(doc, "created_at", (int64_t)time(NULL) * 1000);
}

Test(voice, migrate_gives_old_data_its_claims)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char region[24], servers[24], stem[24], host[64], got[128], guild[24], path[96], filter[160];
    ca_region(staff.auth, region, false);
    ca_region(staff.auth, servers, false);
    fx_unique(stem, sizeof stem, "h");
    snprintf(host, sizeof host, "old.%s.example", stem);

    /* stored by an earlier release: a guild in region with its role,
     * channel and owner, and a voice server, none with a claim */
    int64_t id = old_id(), owner = strtoll(staff.id, NULL, 10);
    snprintf(guild, sizeof guild, "%lld", (long long)id);
    bson_t doc = BSON_INITIALIZER;
    old_guild(&doc, id, owner, region);
    insert_or_fail("guilds", &doc);
    bson_reinit(&doc);
    BSON_APPEND_INT64(&doc, "_id", id);
    BSON_APPEND_INT64(&doc, "guild_id", id);
    BSON_APPEND_UTF8(&doc, "name", "@everyone");
    insert_or_fail("guild_roles", &doc);
    bson_reinit(&doc);
    BSON_APPEND_INT64(&doc, "_id", old_id());
    BSON_APPEND_INT64(&doc, "guild_id", id);
    BSON_APPEND_UTF8(&doc, "name", "general");
    insert_or_fail("guild_channels", &doc);
    bson_reinit(&doc);
    snprintf(path, sizeof path, "%s:%s", guild, staff.id);
    BSON_APPEND_UTF8(&doc, "_id", path);
    BSON_APPEND_INT64(&doc, "guild_id", id);
    BSON_APPEND_INT64(&doc, "user_id", owner);
    insert_or_fail("guild_members", &doc);
    bson_reinit(&doc);
    BSON_APPEND_UTF8(&doc, "_id", host);
    BSON_APPEND_UTF8(&doc, "region_id", servers);
    BSON_APPEND_DOUBLE(&doc, "last_health", 0.5);
    insert_or_fail("voice_servers", &doc);
    bson_destroy(&doc);
    hostnames_of(staff.auth, servers, got, sizeof got);
    cr_expect_str_eq(got, "", "without its claim the server is not listed");

    char line[256];
    fx_ctl_ok(NULL, line, sizeof line, (const char *const[]){"migrate", NULL});
    hostnames_of(staff.auth, servers, got, sizeof got);
    cr_expect_str_eq(got, host, "listed once migrate has claimed it");
    /* a second run changes nothing */
    fx_ctl_ok(NULL, line, sizeof line, (const char *const[]){"migrate", NULL});
    snprintf(filter, sizeof filter, "{\"hostname\": \"%s\"}", host);
    cr_expect_eq(fx_db_count("voice_region_servers", filter), 1);

    deprecate(staff.auth, region);
    bson_t got_guild = BSON_INITIALIZER;
    get_guild(staff.auth, guild, &got_guild);
    cr_expect(fx_is_null(&got_guild, "region"), "the old guild left the region: %s", fx_str(&got_guild, "region"));
    bson_destroy(&got_guild);
    cr_expect_eq(guild_updates(guild, true), 1, "with its GUILD_UPDATE");

    snprintf(path, sizeof path, "/api/v6/admin/guilds/%s", guild);
    struct http_response r;
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    http_response_free(&r);
    snprintf(filter, sizeof filter, "{\"guild_id\": {\"$numberLong\": \"%s\"}}", guild);
    const char *parts[] = {"guild_roles", "guild_channels", "guild_members", "guild_parts"};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(fx_db_count(parts[i], filter), 0, "%s of the old guild deleted", parts[i]);
}

/*
 * The first region's assignment and a deprecation walk guilds and claims a
 * batch at a time: with more guilds than a batch (256), each still reaches
 * every guild exactly once. On a private stack, whose first region is ours.
 */
#define MANY_GUILDS 300

Test(voice, first_region_and_its_deprecation_reach_every_guild_past_a_batch, .timeout = 240)
{
    struct stack s;
    cr_assert_eq(stack_start(&s, NULL), 0, "the private stack did not start");
    char auth[400];
    ca_private_staff(&s, auth, sizeof auth);
    bson_t *docs[MANY_GUILDS - 1];
    for (int i = 0; i < MANY_GUILDS - 1; i++) {
        docs[i] = bson_new();
        old_guild(docs[i], old_id(), 1, NULL);
    }
    ca_db_insert_many(s.mongodb_uri, "guilds", (const bson_t *const *)docs, MANY_GUILDS - 1);
    for (int i = 0; i < MANY_GUILDS - 1; i++)
        bson_destroy(docs[i]);
    struct http_response r;
    ca_private_request(&s, "POST", "/api/v6/guilds", auth, "{\"name\": \"through the API\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    ca_private_request(&s, "PUT", REGIONS, auth, "{\"id\": \"first\", \"name\": \"first\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(fx_db_count_at(s.mongodb_uri, "guilds", "{\"region\": \"first\"}"), MANY_GUILDS);
    cr_expect_eq(fx_db_count_at(s.mongodb_uri, "guild_regions", "{\"region_id\": \"first\"}"), MANY_GUILDS);

    ca_private_request(&s, "PUT", REGIONS "/first/deprecate", auth, NULL, &r);
    cr_assert_eq(r.status, 204, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(fx_db_count_at(s.mongodb_uri, "guilds", "{\"region\": null}"), MANY_GUILDS);
    cr_expect_eq(fx_db_count_at(s.mongodb_uri, "gateway_events", "{\"type\": \"GUILD_UPDATE\", \"data.region\": null}"),
                 MANY_GUILDS, "one GUILD_UPDATE per guild");
    cr_expect_eq(fx_db_count_at(s.mongodb_uri, "guild_regions", "{}"), 0);
    cr_expect_eq(stack_stop(&s), 0, "the private stack's pool reported a sanitizer error");
}
