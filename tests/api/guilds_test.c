/*
 * guilds: guild creation and the staff's guild admin on the shared stack
 * (spec: chat-admin.md, rows POST /guilds, GET/PATCH/DELETE
 * /admin/guilds/<id>, PATCH/PUT/DELETE /admin/guilds/<id>/features, and the
 * gateway outbox). Litecord's own scenarios first, then every row's answers,
 * the outbox documents, and concurrent feature additions.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_admin_support.h"
#include "support/fixtures.h"

#define GUILDS "/api/v6/admin/guilds"

static void guild_path(char *out, size_t size, const char *id, const char *suffix)
{
    snprintf(out, size, GUILDS "/%s%s", id, suffix);
}

static void get_guild(const char *auth, const char *id, struct http_response *r)
{
    char path[96];
    guild_path(path, sizeof path, id, "");
    fx_request("GET", path, auth, NULL, r);
}

static void get_guild_ok(const char *auth, const char *id, bson_t *doc)
{
    struct http_response r;
    get_guild(auth, id, &r);
    cr_assert_eq(r.status, 200, "guild %s: %ld %s", id, r.status, r.body);
    fx_json(&r, doc);
    http_response_free(&r);
}

static void features(const char *auth, const char *method, const char *id, const char *body,
                     struct http_response *r)
{
    char path[96];
    guild_path(path, sizeof path, id, "/features");
    fx_request(method, path, auth, body, r);
}

/* The guild's features as a comma-separated list, from GET. */
static void features_of(const char *auth, const char *id, char *out, size_t size)
{
    bson_t doc = BSON_INITIALIZER, list = BSON_INITIALIZER;
    get_guild_ok(auth, id, &doc);
    cr_assert(fx_sub(&doc, "features", &list), "features in the partial guild");
    out[0] = '\0';
    bson_iter_t it;
    size_t used = 0;
    if (bson_iter_init(&it, &list)) {
        while (bson_iter_next(&it)) {
            cr_assert(BSON_ITER_HOLDS_UTF8(&it));
            int n = snprintf(out + used, size - used, "%s%s", used ? "," : "", bson_iter_utf8(&it, NULL));
            cr_assert(n > 0 && (size_t)n < size - used);
            used += (size_t)n;
        }
    }
    bson_destroy(&list);
    bson_destroy(&doc);
}

/* The features of an answer {"features": [...]} as a comma-separated list. */
static void answer_features(const struct http_response *r, char *out, size_t size)
{
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    cr_expect_eq(fx_count(&doc, ""), 1, "only features: %s", r->body);
    out[0] = '\0';
    size_t used = 0;
    int n = fx_count(&doc, "features");
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "features.%d", i);
        int k = snprintf(out + used, size - used, "%s%s", i ? "," : "", fx_str(&doc, key));
        cr_assert(k > 0 && (size_t)k < size - used);
        used += (size_t)k;
    }
    bson_destroy(&doc);
}

static int64_t events_for(const char *type, const char *guild_id)
{
    char filter[160];
    snprintf(filter, sizeof filter, "{\"type\": \"%s\", \"guild_id\": {\"$numberLong\": \"%s\"}}", type,
             guild_id);
    return fx_db_count("gateway_events", filter);
}

/* The partial guild's keys (spec: Objects, "Partial guild"). */
static const char *const partial_keys[] = {
    "id", "owner_id", "name", "icon", "splash", "region", "afk_channel_id", "afk_timeout",
    "verification_level", "default_message_notifications", "explicit_content_filter", "mfa_level",
    "embed_enabled", "embed_channel_id", "widget_enabled", "widget_channel_id", "system_channel_id",
    "rules_channel_id", "public_updates_channel_id", "features", "banner", "description",
    "preferred_locale", "discovery_splash", "unavailable", "vanity_url_code", "max_presences",
    "max_members", "guild_scheduled_events",
};
#define N_PARTIAL_KEYS (sizeof partial_keys / sizeof partial_keys[0])

/* doc has exactly the partial guild's keys. */
static void expect_partial_keys(const bson_t *doc)
{
    for (size_t k = 0; k < N_PARTIAL_KEYS; k++)
        cr_expect(bson_has_field(doc, partial_keys[k]), "%s in the partial guild", partial_keys[k]);
    cr_expect_eq(fx_count(doc, ""), (int)N_PARTIAL_KEYS, "no other keys");
}

/* A fresh guild owned by the staff user. */
static void new_guild(const struct fx_chat_user *staff, char id[24])
{
    ca_guild(staff->auth, "guild under test", NULL, NULL, id);
}

/* --- Litecord's own scenarios (tests/test_admin_api/test_guilds.py) ------- */

Test(guilds, litecord_create_and_fetch)
{
    struct fx_chat_user staff, owner;
    fx_chat_user(&staff, true);
    fx_chat_user(&owner, false); /* any user may create one */
    char id[24];
    bson_t full = BSON_INITIALIZER;
    ca_guild(owner.auth, "Litecord guild", NULL, &full, id);
    cr_expect_str_eq(fx_str(&full, "name"), "Litecord guild");
    cr_expect_str_eq(fx_str(&full, "owner_id"), owner.id);
    cr_expect_eq(fx_bool(&full, "owner", false), true);
    cr_expect_eq(fx_int(&full, "member_count", 0), 1);
    cr_expect_eq(fx_count(&full, "members"), 1);
    cr_expect_str_eq(fx_str(&full, "members.0.user.id"), owner.id);
    cr_expect_eq(fx_count(&full, "channels"), 1);
    cr_expect_eq(fx_int(&full, "channels.0.type", -1), 0, "a text channel");
    cr_expect_str_eq(fx_str(&full, "roles.0.id"), id, "@everyone's id is the guild's");
    cr_expect_str_eq(fx_str(&full, "roles.0.name"), "@everyone");
    cr_expect_eq(fx_count(&full, "features"), 0);
    cr_expect_eq(fx_count(&full, "presences"), 0);
    cr_expect_eq(fx_count(&full, "emojis"), 0);
    cr_expect_eq(fx_count(&full, "voice_states"), 0);
    cr_expect_eq(fx_count(&full, "guild_scheduled_events"), 0);
    cr_expect(fx_is_null(&full, "region"));
    cr_expect_eq(fx_int(&full, "afk_timeout", 0), 300);
    cr_expect_str_eq(fx_str(&full, "preferred_locale"), "en-US");
    cr_expect_eq(fx_int(&full, "max_members", 0), 100000);

    bson_t partial = BSON_INITIALIZER;
    get_guild_ok(staff.auth, id, &partial);
    cr_expect_str_eq(fx_str(&partial, "id"), id);
    cr_expect_str_eq(fx_str(&partial, "name"), "Litecord guild");
    cr_expect_str_eq(fx_str(&partial, "owner_id"), owner.id);
    cr_expect_eq(fx_bool(&partial, "unavailable", true), false);
    cr_expect_eq(fx_count(&partial, "features"), 0, "features is [] (never null)");
    cr_expect_eq(fx_count(&partial, "guild_scheduled_events"), 0);
    cr_expect(fx_is_null(&partial, "vanity_url_code"));
    cr_expect_eq(fx_count(&partial, "members"), -1, "no members in the partial guild");
    expect_partial_keys(&partial);
    bson_destroy(&partial);
    bson_destroy(&full);
}

static const char *const reduced_keys[] = {"id", "unavailable", "vanity_url_code", "max_presences",
                                           "max_members", "preferred_locale", "guild_scheduled_events"};

static void expect_reduced(const struct http_response *r, const char *id)
{
    bson_t doc = BSON_INITIALIZER;
    fx_json(r, &doc);
    cr_expect_eq(fx_count(&doc, ""), 7, "only the reduced form: %s", r->body);
    for (size_t k = 0; k < 7; k++)
        cr_expect(bson_has_field(&doc, reduced_keys[k]), "%s in %s", reduced_keys[k], r->body);
    cr_expect_str_eq(fx_str(&doc, "id"), id);
    cr_expect_eq(fx_bool(&doc, "unavailable", false), true);
    cr_expect(fx_is_null(&doc, "vanity_url_code"));
    cr_expect_eq(fx_int(&doc, "max_presences", 0), 100000);
    cr_expect_eq(fx_int(&doc, "max_members", 0), 100000);
    cr_expect_str_eq(fx_str(&doc, "preferred_locale"), "en-US");
    cr_expect_eq(fx_count(&doc, "guild_scheduled_events"), 0);
    bson_destroy(&doc);
}

Test(guilds, litecord_unavailable_on_every_worker)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], path[96];
    new_guild(&staff, id);
    guild_path(path, sizeof path, id, "");
    struct http_response r;
    fx_request("PATCH", path, staff.auth, "{\"unavailable\": true}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    expect_reduced(&r, id);
    http_response_free(&r);

    /* one request per connection: over ten, both workers answer */
    for (int i = 0; i < 10; i++) {
        get_guild(staff.auth, id, &r);
        cr_assert_eq(r.status, 200, "GET %d: %s", i, r.body);
        expect_reduced(&r, id);
        http_response_free(&r);
    }
    char filter[128];
    snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}, \"unavailable\": true}", id);
    cr_expect_eq(fx_db_count("guilds", filter), 1, "stored in the guild document");
    cr_expect_eq(events_for("GUILD_UPDATE", id), 1);

    /* and back */
    fx_request("PATCH", path, staff.auth, "{\"unavailable\": false}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    http_response_free(&r);
    cr_expect_eq(fx_bool(&doc, "unavailable", true), false);
    cr_expect_str_eq(fx_str(&doc, "name"), "guild under test");
    cr_expect_eq(fx_count(&doc, "features"), 0);
    bson_destroy(&doc);
    for (int i = 0; i < 4; i++) {
        bson_init(&doc);
        get_guild_ok(staff.auth, id, &doc);
        expect_partial_keys(&doc);
        bson_destroy(&doc);
    }
    cr_expect_eq(events_for("GUILD_UPDATE", id), 2);
}

Test(guilds, litecord_delete)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], path[96], filter[128];
    new_guild(&staff, id);
    struct http_response r;
    features(staff.auth, "PUT", id, "{\"features\": [\"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);

    guild_path(path, sizeof path, id, "");
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    cr_expect_eq(r.body_len, 0);
    http_response_free(&r);
    get_guild(staff.auth, id, &r);
    ca_expect_error(&r, 404, "Unknown guild", 10004);
    http_response_free(&r);
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 204, "deleting again: %s", r.body);
    http_response_free(&r);

    cr_expect_eq(events_for("GUILD_DELETE", id), 1, "one GUILD_DELETE, not one per call");
    snprintf(filter, sizeof filter, "{\"type\": \"GUILD_DELETE\", \"guild_id\": {\"$numberLong\": \"%s\"}}", id);
    bson_t event = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("gateway_events", filter, &event));
    cr_expect_str_eq(fx_str(&event, "data.id"), id);
    cr_expect_eq(fx_bool(&event, "data.unavailable", true), false);
    bson_destroy(&event);
    snprintf(filter, sizeof filter, "{\"guild_id\": {\"$numberLong\": \"%s\"}}", id);
    const char *parts[] = {"guild_members", "guild_roles", "guild_channels", "guild_features"};
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(fx_db_count(parts[i], filter), 0, "%s removed", parts[i]);
}

/* --- creation --------------------------------------------------------------- */

Test(guilds, create_name_length_bounds)
{
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    char hundred[101], hundred_one[102], body[200];
    memset(hundred, 'n', 100);
    hundred[100] = '\0';
    memset(hundred_one, 'n', 101);
    hundred_one[101] = '\0';
    struct http_response r;
    fx_request("POST", "/api/v6/guilds", user.auth, "{\"name\": \"a\"}", &r);
    ca_expect_field_error(&r, "name", "min length is 2");
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"name\": \"%s\"}", hundred_one);
    fx_request("POST", "/api/v6/guilds", user.auth, body, &r);
    ca_expect_field_error(&r, "name", "max length is 100");
    http_response_free(&r);
    fx_request("POST", "/api/v6/guilds", user.auth, "{}", &r);
    ca_expect_field_error(&r, "name", "required field");
    http_response_free(&r);
    fx_request("POST", "/api/v6/guilds", user.auth, "{\"name\": 12}", &r);
    ca_expect_field_error(&r, "name", "must be of string type");
    http_response_free(&r);
    char filter[96];
    snprintf(filter, sizeof filter, "{\"owner_id\": {\"$numberLong\": \"%s\"}}", user.id);
    cr_expect_eq(fx_db_count("guilds", filter), 0, "nothing created");

    char id[24];
    ca_guild(user.auth, "ab", NULL, NULL, id);
    bson_t doc = BSON_INITIALIZER;
    ca_guild(user.auth, hundred, NULL, &doc, id);
    cr_expect_str_eq(fx_str(&doc, "name"), hundred);
    bson_destroy(&doc);
    cr_expect_eq(fx_db_count("guilds", filter), 2);
}

Test(guilds, create_region_must_exist_and_not_be_deprecated)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char unknown[24], deprecated[24], body[128], filter[96];
    fx_unique(unknown, sizeof unknown, "nr");
    ca_region(staff.auth, deprecated, true);
    const char *regions[] = {unknown, deprecated};
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof body, "{\"name\": \"refused\", \"region\": \"%s\"}", regions[i]);
        struct http_response r;
        fx_request("POST", "/api/v6/guilds", staff.auth, body, &r);
        ca_expect_error(&r, 400, "bad payload", 0);
        bson_t doc = BSON_INITIALIZER;
        fx_json(&r, &doc);
        cr_expect_geq(fx_count(&doc, "region"), 1, "region named: %s", r.body);
        bson_destroy(&doc);
        http_response_free(&r);
    }
    snprintf(filter, sizeof filter, "{\"owner_id\": {\"$numberLong\": \"%s\"}}", staff.id);
    cr_expect_eq(fx_db_count("guilds", filter), 0, "nothing created");

    char id[24];
    bson_t doc = BSON_INITIALIZER;
    ca_guild(staff.auth, "no region", "null", &doc, id);
    cr_expect(fx_is_null(&doc, "region"));
    bson_destroy(&doc);
    struct http_response r;
    fx_request("POST", "/api/v6/guilds", staff.auth, "{\"name\": \"xx\", \"region\": 5}", &r);
    ca_expect_field_error(&r, "region", "must be of string type");
    http_response_free(&r);
}

/* --- admin: GET / PATCH ------------------------------------------------------ */

Test(guilds, patch_needs_unavailable_as_a_boolean)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], path[96];
    new_guild(&staff, id);
    guild_path(path, sizeof path, id, "");
    static const struct {
        const char *body, *field, *message;
    } cases[] = {
        {"{}", "unavailable", "required field"},
        {"{\"unavailable\": \"yes\"}", "unavailable", "must be of boolean type"},
        {"{\"unavailable\": null}", "unavailable", "null value not allowed"},
        {"{\"unavailable\": true, \"name\": \"x\"}", "name", "unknown field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response r;
        fx_request("PATCH", path, staff.auth, cases[i].body, &r);
        ca_expect_field_error(&r, cases[i].field, cases[i].message);
        http_response_free(&r);
    }
    bson_t doc = BSON_INITIALIZER;
    get_guild_ok(staff.auth, id, &doc);
    cr_expect_eq(fx_bool(&doc, "unavailable", true), false, "unchanged");
    bson_destroy(&doc);
    cr_expect_eq(events_for("GUILD_UPDATE", id), 0);
}

Test(guilds, unknown_guild_is_404_everywhere)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    const char *ids[] = {"1", "999999999999999999", "abc"};
    for (size_t i = 0; i < 3; i++) {
        char path[96];
        struct http_response r;
        get_guild(staff.auth, ids[i], &r);
        ca_expect_error(&r, 404, "Unknown guild", 10004);
        http_response_free(&r);
        guild_path(path, sizeof path, ids[i], "");
        fx_request("PATCH", path, staff.auth, "{\"unavailable\": true}", &r);
        ca_expect_error(&r, 404, "Unknown guild", 10004);
        http_response_free(&r);
        const char *methods[] = {"PATCH", "PUT", "DELETE"};
        for (size_t m = 0; m < 3; m++) {
            features(staff.auth, methods[m], ids[i], "{\"features\": [\"VERIFIED\"]}", &r);
            ca_expect_error(&r, 404, "Unknown guild", 10004);
            http_response_free(&r);
        }
    }
    cr_expect_eq(fx_db_count("guild_features", "{\"guild_id\": {\"$numberLong\": \"1\"}}"), 0,
                 "no feature stored for a guild that does not exist");
}

Test(guilds, staff_only)
{
    struct fx_chat_user staff, user;
    fx_chat_user(&staff, true);
    fx_chat_user(&user, false);
    char id[24];
    ca_guild(user.auth, "mine", NULL, NULL, id);
    struct http_response r;
    get_guild(user.auth, id, &r);
    ca_expect_error(&r, 403, "you are not staff", 0);
    http_response_free(&r);
    features(user.auth, "PUT", id, "{\"features\": [\"VERIFIED\"]}", &r);
    ca_expect_error(&r, 403, "you are not staff", 0);
    http_response_free(&r);
    char buf[160];
    features_of(staff.auth, id, buf, sizeof buf);
    cr_expect_str_eq(buf, "");
}

/* --- features ------------------------------------------------------------------ */

Test(guilds, features_put_adds_to_a_guild_that_never_had_any)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], got[160];
    new_guild(&staff, id);
    struct http_response r;
    features(staff.auth, "PUT", id, "{\"features\": [\"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    answer_features(&r, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED");
    http_response_free(&r);
    features(staff.auth, "PUT", id, "{\"features\": [\"INVITE_SPLASH\", \"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    answer_features(&r, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,INVITE_SPLASH", "a union: present ones stay where they are");
    http_response_free(&r);
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,INVITE_SPLASH");
    features(staff.auth, "PUT", id, "{\"features\": []}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    answer_features(&r, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,INVITE_SPLASH", "adding nothing changes nothing");
    http_response_free(&r);
}

Test(guilds, features_patch_replaces_deduplicated_in_first_order)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], got[160];
    new_guild(&staff, id);
    struct http_response r;
    features(staff.auth, "PUT", id, "{\"features\": [\"MORE_EMOJI\", \"INVITE_SPLASH\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    features(staff.auth, "PATCH", id, "{\"features\": [\"VERIFIED\", \"INVITE_SPLASH\", \"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    answer_features(&r, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,INVITE_SPLASH");
    http_response_free(&r);
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,INVITE_SPLASH");

    /* order is the body's, even for features already there */
    features(staff.auth, "PATCH", id, "{\"features\": [\"INVITE_SPLASH\", \"VIP_REGIONS\", \"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    answer_features(&r, got, sizeof got);
    cr_expect_str_eq(got, "INVITE_SPLASH,VIP_REGIONS,VERIFIED");
    http_response_free(&r);
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "INVITE_SPLASH,VIP_REGIONS,VERIFIED");

    features(staff.auth, "PATCH", id, "{\"features\": []}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "");
}

Test(guilds, features_delete_removes)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], got[160];
    new_guild(&staff, id);
    struct http_response r;
    features(staff.auth, "PUT", id, "{\"features\": [\"VERIFIED\", \"MORE_EMOJI\", \"VIP_REGIONS\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    features(staff.auth, "DELETE", id, "{\"features\": [\"MORE_EMOJI\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    answer_features(&r, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,VIP_REGIONS");
    http_response_free(&r);
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,VIP_REGIONS");
}

Test(guilds, removing_an_absent_feature_changes_nothing)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], got[160];
    new_guild(&staff, id);
    struct http_response r;
    features(staff.auth, "DELETE", id, "{\"features\": [\"VERIFIED\"]}", &r);
    ca_expect_error(&r, 400, "Trying to remove already removed feature.", 0);
    http_response_free(&r);
    features(staff.auth, "PUT", id, "{\"features\": [\"VERIFIED\", \"MORE_EMOJI\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    int64_t updates = events_for("GUILD_UPDATE", id);
    /* one present, one absent: neither is removed */
    features(staff.auth, "DELETE", id, "{\"features\": [\"VERIFIED\", \"VANITY_URL\"]}", &r);
    ca_expect_error(&r, 400, "Trying to remove already removed feature.", 0);
    http_response_free(&r);
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,MORE_EMOJI");
    cr_expect_eq(events_for("GUILD_UPDATE", id), updates, "no GUILD_UPDATE for a refusal");
}

Test(guilds, unsupported_features_change_nothing)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], got[160], body[128];
    new_guild(&staff, id);
    struct http_response r;
    features(staff.auth, "PUT", id, "{\"features\": [\"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    int64_t updates = events_for("GUILD_UPDATE", id);
    const char *names[] = {"PUBLIC", "COMMERCE", "NEWS", "foo", "verified", ""};
    const char *methods[] = {"PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (size_t m = 0; m < 3; m++) {
            snprintf(body, sizeof body, "{\"features\": [\"MORE_EMOJI\", \"%s\"]}", names[i]);
            features(staff.auth, methods[m], id, body, &r);
            ca_expect_error(&r, 400, "bad payload", 0);
            bson_t doc = BSON_INITIALIZER;
            fx_json(&r, &doc);
            cr_expect_geq(fx_count(&doc, "features"), 1, "%s %s: %s", methods[m], names[i], r.body);
            bson_destroy(&doc);
            http_response_free(&r);
        }
    }
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED", "nothing changed");
    cr_expect_eq(events_for("GUILD_UPDATE", id), updates);
}

Test(guilds, features_must_be_a_list_of_strings)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], got[160];
    new_guild(&staff, id);
    static const struct {
        const char *body, *message;
    } cases[] = {
        {"{\"features\": [1]}", "must be of string type"},
        {"{\"features\": [\"VERIFIED\", null]}", "must be of string type"},
        {"{\"features\": [[\"VERIFIED\"]]}", "must be of string type"},
        {"{\"features\": [{\"$ne\": 1}]}", NULL},
        {"{\"features\": \"VERIFIED\"}", "must be of list type"},
        {"{\"features\": null}", "null value not allowed"},
        {"{}", "required field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response r;
        features(staff.auth, "PUT", id, cases[i].body, &r);
        if (cases[i].message) {
            ca_expect_field_error(&r, "features", cases[i].message);
        } else {
            ca_expect_error(&r, 400, "bad payload", 0);
        }
        http_response_free(&r);
    }
    features_of(staff.auth, id, got, sizeof got);
    cr_expect_str_eq(got, "");
}

Test(guilds, dropping_vanity_url_clears_the_vanity_code)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], filter[128], vanity[24];
    fx_unique(vanity, sizeof vanity, "vanity");
    const char *ways[] = {"DELETE", "PATCH"};
    for (int w = 0; w < 2; w++) {
        new_guild(&staff, id);
        struct http_response r;
        features(staff.auth, "PUT", id, "{\"features\": [\"VANITY_URL\", \"VERIFIED\"]}", &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        http_response_free(&r);
        /* no route sets a vanity code: straight into the document */
        snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}}", id);
        char update[96];
        snprintf(update, sizeof update, "{\"$set\": {\"vanity_url_code\": \"%s\"}}", vanity);
        ca_db_update_one("guilds", filter, update);
        bson_t doc = BSON_INITIALIZER;
        get_guild_ok(staff.auth, id, &doc);
        cr_assert_str_eq(fx_str(&doc, "vanity_url_code"), vanity);
        bson_destroy(&doc);

        /* dropping another feature keeps it */
        features(staff.auth, "DELETE", id, "{\"features\": [\"VERIFIED\"]}", &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        http_response_free(&r);
        bson_init(&doc);
        get_guild_ok(staff.auth, id, &doc);
        cr_expect_str_eq(fx_str(&doc, "vanity_url_code"), vanity);
        bson_destroy(&doc);

        features(staff.auth, ways[w], id, w == 0 ? "{\"features\": [\"VANITY_URL\"]}"
                                                 : "{\"features\": [\"MORE_EMOJI\"]}", &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        http_response_free(&r);
        bson_init(&doc);
        get_guild_ok(staff.auth, id, &doc);
        cr_expect(fx_is_null(&doc, "vanity_url_code"), "%s VANITY_URL: vanity code %s", ways[w],
                  fx_str(&doc, "vanity_url_code"));
        bson_destroy(&doc);
        bson_t stored = BSON_INITIALIZER;
        cr_assert(fx_db_find_one("guilds", filter, &stored));
        cr_expect(fx_is_null(&stored, "vanity_url_code"), "stored as null");
        bson_destroy(&stored);
        /* the last GUILD_UPDATE says so too */
        snprintf(filter, sizeof filter,
                 "{\"type\": \"GUILD_UPDATE\", \"guild_id\": {\"$numberLong\": \"%s\"}, \"data.vanity_url_code\": null}",
                 id);
        cr_expect_geq(fx_db_count("gateway_events", filter), 1);
    }
}

Test(guilds, feature_changes_reach_the_outbox_in_its_documented_shape)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    char id[24], filter[192];
    new_guild(&staff, id);
    struct http_response r;
    features(staff.auth, "PUT", id, "{\"features\": [\"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(events_for("GUILD_UPDATE", id), 1);
    features(staff.auth, "PATCH", id, "{\"features\": [\"MORE_EMOJI\", \"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    features(staff.auth, "DELETE", id, "{\"features\": [\"VERIFIED\"]}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    cr_expect_eq(events_for("GUILD_UPDATE", id), 3, "one GUILD_UPDATE per change");

    snprintf(filter, sizeof filter,
             "{\"type\": \"GUILD_UPDATE\", \"guild_id\": {\"$numberLong\": \"%s\"}, \"data.features\": [\"MORE_EMOJI\"]}",
             id);
    bson_t event = BSON_INITIALIZER;
    cr_assert(fx_db_find_one("gateway_events", filter, &event), "the last state in data.features");
    /* {_id, type, guild_id, data, created_at}: the guild event has no user_id */
    bson_iter_t it;
    cr_expect(bson_iter_init_find(&it, &event, "_id") && BSON_ITER_HOLDS_INT64(&it), "_id is an Int64");
    cr_expect(bson_iter_init_find(&it, &event, "type") && BSON_ITER_HOLDS_UTF8(&it));
    cr_expect(bson_iter_init_find(&it, &event, "guild_id") && BSON_ITER_HOLDS_INT64(&it) &&
              bson_iter_int64(&it) == strtoll(id, NULL, 10), "guild_id is the guild's Int64");
    cr_expect(bson_iter_init_find(&it, &event, "data") && BSON_ITER_HOLDS_DOCUMENT(&it));
    cr_expect(bson_iter_init_find(&it, &event, "created_at") && BSON_ITER_HOLDS_DATE_TIME(&it),
              "created_at is a date");
    cr_expect(!bson_has_field(&event, "user_id"));
    cr_expect_eq(fx_count(&event, ""), 5, "no other keys");
    cr_expect_str_eq(fx_str(&event, "data.id"), id, "data is the partial guild");
    cr_expect_str_eq(fx_str(&event, "data.name"), "guild under test");
    bson_destroy(&event);

    /* a user event: user_id, no guild_id */
    struct fx_chat_user other;
    fx_chat_user(&other, false);
    char path[96];
    snprintf(path, sizeof path, "/api/v6/admin/users/%s", other.id);
    fx_request("PATCH", path, staff.auth, "{\"flags\": 4}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_response_free(&r);
    snprintf(filter, sizeof filter, "{\"type\": \"USER_UPDATE\", \"user_id\": {\"$numberLong\": \"%s\"}}", other.id);
    bson_init(&event);
    cr_assert(fx_db_find_one("gateway_events", filter, &event));
    cr_expect(bson_iter_init_find(&it, &event, "user_id") && BSON_ITER_HOLDS_INT64(&it));
    cr_expect(!bson_has_field(&event, "guild_id"));
    cr_expect_eq(fx_count(&event, ""), 5, "{_id, type, user_id, data, created_at}");
    bson_destroy(&event);
}

/* --- concurrency --------------------------------------------------------------- */

#define ROUNDS 20

Test(guilds, concurrent_feature_additions_are_never_lost)
{
    struct fx_chat_user staff;
    fx_chat_user(&staff, true);
    static const char *const all[] = {"INVITE_SPLASH", "VIP_REGIONS", "VANITY_URL", "MORE_EMOJI", "VERIFIED"};
    int lost_rounds = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char id[24];
        new_guild(&staff, id);
        struct ca_call calls[5];
        memset(calls, 0, sizeof calls);
        for (int i = 0; i < 5; i++) {
            calls[i].method = "PUT";
            guild_path(calls[i].path, sizeof calls[i].path, id, "/features");
            calls[i].auth = staff.auth;
            snprintf(calls[i].body, sizeof calls[i].body, "{\"features\": [\"%s\"]}", all[i]);
        }
        ca_parallel(calls, 5);
        for (int i = 0; i < 5; i++)
            cr_expect_eq(calls[i].status, 200, "round %d, %s: %ld %s %s", round, all[i], calls[i].status,
                         calls[i].response ? calls[i].response : "", calls[i].error);
        ca_calls_free(calls, 5);
        char got[160];
        features_of(staff.auth, id, got, sizeof got);
        int present = 0;
        for (int i = 0; i < 5; i++)
            present += strstr(got, all[i]) != NULL;
        cr_expect_eq(present, 5, "round %d: %s", round, got);
        lost_rounds += present != 5;
    }
    cr_expect_eq(lost_rounds, 0, "rounds that lost a feature");
}

/* --- deletion through the claims ---------------------------------------------- */

static int64_t stored_for(const char *collection, const char *guild)
{
    char filter[128];
    snprintf(filter, sizeof filter, "{\"guild_id\": {\"$numberLong\": \"%s\"}}", guild);
    return fx_db_count(collection, filter);
}

static void insert_or_fail(const char *collection, const bson_t *doc)
{
    char error[256];
    cr_assert(ca_db_insert(collection, doc, error, sizeof error), "insert into %s: %s", collection, error);
}

/* A role or channel added the way the chat server does (guilds.h's contract):
 * its guild_parts claim first, then the part. */
static void chat_server_part(const char *collection, const char *guild, long long part)
{
    char claim_id[96];
    long long gid = strtoll(guild, NULL, 10);
    snprintf(claim_id, sizeof claim_id, "%s/%s/%020lld", guild, collection, part);
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", claim_id);
    BSON_APPEND_INT64(&doc, "guild_id", gid);
    BSON_APPEND_INT64(&doc, "part_id", part);
    insert_or_fail("guild_parts", &doc);
    bson_reinit(&doc);
    BSON_APPEND_INT64(&doc, "_id", part);
    BSON_APPEND_INT64(&doc, "guild_id", gid);
    BSON_APPEND_UTF8(&doc, "name", "added by the chat server");
    BSON_APPEND_INT32(&doc, "position", 1);
    insert_or_fail(collection, &doc);
    bson_destroy(&doc);
}

Test(guilds, deletion_removes_features_members_roles_channels_and_claims)
{
    struct fx_chat_user staff, member;
    fx_chat_user(&staff, true);
    fx_chat_user(&member, false);
    char region[24], json[40], gone[24], kept[24], path[96];
    ca_region(staff.auth, region, false);
    snprintf(json, sizeof json, "\"%s\"", region);
    ca_guild(staff.auth, "to be deleted", json, NULL, gone);
    ca_guild(staff.auth, "to be kept", json, NULL, kept);
    const char *guilds[] = {gone, kept};
    for (int i = 0; i < 2; i++) {
        struct http_response r;
        features(staff.auth, "PUT", guilds[i], "{\"features\": [\"VERIFIED\", \"MORE_EMOJI\"]}", &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        http_response_free(&r);
    }
    /* what the chat server adds later: a role, a channel, a member */
    long long base = strtoll(gone, NULL, 10);
    chat_server_part("guild_roles", gone, base + 101);
    chat_server_part("guild_channels", gone, base + 102);
    bson_t doc = BSON_INITIALIZER;
    snprintf(path, sizeof path, "%s:%s", gone, member.id);
    BSON_APPEND_UTF8(&doc, "_id", path);
    BSON_APPEND_INT64(&doc, "guild_id", base);
    BSON_APPEND_INT64(&doc, "user_id", strtoll(member.id, NULL, 10));
    insert_or_fail("guild_members", &doc);
    bson_destroy(&doc);
    cr_expect_eq(stored_for("guild_roles", gone), 2);
    cr_expect_eq(stored_for("guild_channels", gone), 2);
    cr_expect_eq(stored_for("guild_members", gone), 2);
    cr_expect_eq(stored_for("guild_parts", gone), 4, "a claim per role and channel");
    cr_expect_eq(stored_for("guild_regions", gone), 1, "a claim for its region");

    guild_path(path, sizeof path, gone, "");
    struct http_response r;
    fx_request("DELETE", path, staff.auth, NULL, &r);
    cr_expect_eq(r.status, 204, "%s", r.body);
    http_response_free(&r);

    char filter[96];
    snprintf(filter, sizeof filter, "{\"_id\": {\"$numberLong\": \"%s\"}}", gone);
    cr_expect_eq(fx_db_count("guilds", filter), 0);
    const char *collections[] = {"guild_features", "guild_members", "guild_roles", "guild_channels",
                                 "guild_parts", "guild_regions"};
    for (size_t i = 0; i < 6; i++)
        cr_expect_eq(stored_for(collections[i], gone), 0, "%s of the deleted guild", collections[i]);

    /* the other guild has everything it had */
    const int64_t expected[] = {2, 1, 1, 1, 2, 1};
    for (size_t i = 0; i < 6; i++)
        cr_expect_eq(stored_for(collections[i], kept), expected[i], "%s of the other guild", collections[i]);
    char got[160];
    features_of(staff.auth, kept, got, sizeof got);
    cr_expect_str_eq(got, "VERIFIED,MORE_EMOJI");
}

/* POST /guilds answers the parts its claims name, read by _id. */
Test(guilds, full_guild_lists_the_parts_stored)
{
    struct fx_chat_user user;
    fx_chat_user(&user, false);
    char id[24];
    bson_t full = BSON_INITIALIZER;
    ca_guild(user.auth, "parts", NULL, &full, id);
    cr_expect_eq(fx_count(&full, "roles"), 1);
    cr_expect_eq(fx_count(&full, "channels"), 1);
    cr_expect_eq(stored_for("guild_parts", id), 2, "the role's and the channel's claims");
    char filter[128];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s/guild_channels/%020lld\"}", id,
             strtoll(fx_str(&full, "channels.0.id"), NULL, 10));
    cr_expect_eq(fx_db_count("guild_parts", filter), 1, "claimed under %s", filter);
    bson_destroy(&full);
}
