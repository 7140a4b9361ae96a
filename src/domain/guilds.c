/*
 * domain/guilds: guilds and their features (see include/warden/domain/guilds.h).
 */
#include "warden/domain/guilds.h"

#include <stdio.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/domain/journal.h"
#include "warden/log.h"
#include "warden/store.h"
#include "warden/store/voice.h"
#include "warden/doc.h"
#include "warden/valid.h"
#include "warden/utf8.h"

/* The features this instance supports (upstream also lists PUBLIC, COMMERCE, NEWS). */
static const char *const supported_features[] = {
    "INVITE_SPLASH", "VIP_REGIONS", "VANITY_URL", "MORE_EMOJI", "VERIFIED",
};
#define N_SUPPORTED (sizeof supported_features / sizeof supported_features[0])

const char *guilds_feature_name(const char *name)
{
    for (size_t i = 0; i < N_SUPPORTED; i++)
        if (strcmp(name, supported_features[i]) == 0)
            return supported_features[i];
    return NULL;
}

enum field_shape { SHAPE_ID, SHAPE_STR, SHAPE_INT, SHAPE_BOOL };

struct shaped_field {
    const char *key;
    enum field_shape shape;
};

static const struct shaped_field guild_fields[] = {
    {"id", SHAPE_ID}, {"owner_id", SHAPE_ID}, {"name", SHAPE_STR}, {"icon", SHAPE_STR},
    {"splash", SHAPE_STR}, {"region", SHAPE_STR}, {"afk_channel_id", SHAPE_ID},
    {"afk_timeout", SHAPE_INT}, {"verification_level", SHAPE_INT},
    {"default_message_notifications", SHAPE_INT}, {"explicit_content_filter", SHAPE_INT},
    {"mfa_level", SHAPE_INT}, {"embed_enabled", SHAPE_BOOL}, {"embed_channel_id", SHAPE_ID},
    {"widget_enabled", SHAPE_BOOL}, {"widget_channel_id", SHAPE_ID},
    {"system_channel_id", SHAPE_ID}, {"rules_channel_id", SHAPE_ID},
    {"public_updates_channel_id", SHAPE_ID}, {"banner", SHAPE_STR}, {"description", SHAPE_STR},
    {"preferred_locale", SHAPE_STR}, {"discovery_splash", SHAPE_STR},
    {"unavailable", SHAPE_BOOL}, {"vanity_url_code", SHAPE_STR}, {"max_presences", SHAPE_INT},
    {"max_members", SHAPE_INT},
};

static const struct shaped_field unavailable_fields[] = {
    {"id", SHAPE_ID}, {"unavailable", SHAPE_BOOL}, {"vanity_url_code", SHAPE_STR},
    {"max_presences", SHAPE_INT}, {"max_members", SHAPE_INT}, {"preferred_locale", SHAPE_STR},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Copy guild[key] to out in its shape; absent or null values as null. */
static void shaped_fields(const bson_t *guild, const struct shaped_field *fields, size_t n,
                          bson_t *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct shaped_field *f = &fields[i];
        const char *key = strcmp(f->key, "id") == 0 ? "_id" : f->key;
        bson_iter_t it;
        if (!bson_iter_init_find(&it, guild, key) || BSON_ITER_HOLDS_NULL(&it)) {
            BSON_APPEND_NULL(out, f->key);
            continue;
        }
        switch (f->shape) {
        case SHAPE_ID: {
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)doc_int(guild, key, 0));
            BSON_APPEND_UTF8(out, f->key, id);
            break;
        }
        case SHAPE_INT: BSON_APPEND_INT64(out, f->key, doc_int(guild, key, 0)); break;
        case SHAPE_BOOL: BSON_APPEND_BOOL(out, f->key, doc_bool(guild, key, false)); break;
        case SHAPE_STR: bson_append_iter(out, f->key, -1, &it); break;
        }
    }
}

static void append_features(bson_t *out, const char *key, const struct guild_features *features)
{
    bson_t list;
    BSON_APPEND_ARRAY_BEGIN(out, key, &list);
    for (size_t i = 0; features && i < features->n; i++) {
        char index[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, index, sizeof index);
        BSON_APPEND_UTF8(&list, k, features->names[i]);
    }
    bson_append_array_end(out, &list);
}

void guilds_partial(const bson_t *guild, const struct guild_features *features, bson_t *out)
{
    if (doc_bool(guild, "unavailable", false)) {
        shaped_fields(guild, unavailable_fields, COUNT(unavailable_fields), out);
    } else {
        shaped_fields(guild, guild_fields, COUNT(guild_fields), out);
        append_features(out, "features", features);
    }
    bson_t none;
    BSON_APPEND_ARRAY_BEGIN(out, "guild_scheduled_events", &none);
    bson_append_array_end(out, &none);
}

static bool guild_status(enum store_status s, const bson_error_t *e, struct domain_result *r)
{
    if (s == STORE_OK)
        return domain_ok(r);
    if (s == STORE_NOT_FOUND)
        return domain_not_found(r, CODE_UNKNOWN_GUILD, "Unknown guild");
    return domain_store_error(r, e);
}

bool guilds_get(const struct domain *d, int64_t id, struct guild_view *out, struct domain_result *r)
{
    out->id = id;
    out->doc = arena_bson(d->arena);
    out->partial = arena_bson(d->arena);
    bson_error_t e;
    enum store_status s = store_guild_get(d->db, id, out->doc, &e);
    if (s == STORE_OK)
        s = store_guild_features(d->db, id, &out->features, &e);
    if (!guild_status(s, &e, r))
        return false;
    guilds_partial(out->doc, &out->features, out->partial);
    return true;
}

void guilds_update_event(const struct domain *d, int64_t id)
{
    struct guild_view g;
    struct domain_result r;
    if (guilds_get(d, id, &g, &r))
        journal_gateway_event(d, "GUILD_UPDATE", id, 0, g.partial);
    else
        log_error("GUILD_UPDATE for %lld lost (rid=%s): %s", (long long)id,
                  d->request_id ? d->request_id : "-",
                  r.status == DOMAIN_STORE_ERROR ? r.error.message : "guild gone");
}

bool guilds_create(const struct domain *d, const char *name, const char *region, int64_t owner,
                   struct guild_created *out, struct domain_result *r)
{
    bson_error_t e;
    char *lower = NULL;
    if (region) {
        size_t len = strlen(region);
        lower = arena_alloc(d->arena, len + 1);
        utf8_ascii_lower(region, len, lower);
        struct voice_region vr;
        enum store_status s = store_voice_region_get(d->db, lower, &vr, &e);
        if (s == STORE_ERROR)
            return domain_store_error(r, &e);
        if (s == STORE_NOT_FOUND || vr.deprecated)
            return domain_invalid(r, "region", "must be an existing, non-deprecated voice region");
    }
    struct guild_view *g = &out->guild;
    g->doc = arena_bson(d->arena);
    g->partial = arena_bson(d->arena);
    g->features.n = 0;
    out->members = arena_bson(d->arena);
    out->channels = arena_bson(d->arena);
    out->roles = arena_bson(d->arena);
    if (store_guild_create(d->db, name, owner, lower, g->doc, &e) != STORE_OK)
        return domain_store_error(r, &e);
    g->id = doc_int(g->doc, "_id", 0);
    if (store_guild_parts(d->db, g->id, "guild_members", out->members, &e) != STORE_OK ||
        store_guild_parts(d->db, g->id, "guild_channels", out->channels, &e) != STORE_OK ||
        store_guild_parts(d->db, g->id, "guild_roles", out->roles, &e) != STORE_OK)
        return domain_store_error(r, &e);
    guilds_partial(g->doc, &g->features, g->partial);
    return domain_ok(r);
}

bool guilds_set_unavailable(const struct domain *d, int64_t id, bool unavailable,
                            struct guild_view *out, struct domain_result *r)
{
    bson_error_t e;
    if (!guild_status(store_guild_set_unavailable(d->db, id, unavailable, &e), &e, r))
        return false;
    if (!guilds_get(d, id, out, r))
        return false;
    journal_gateway_event(d, "GUILD_UPDATE", id, 0, out->partial);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&after, "unavailable", unavailable);
    bool recorded = journal_audit_id(d, "guild.update", "guild", id, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}

bool guilds_delete(const struct domain *d, int64_t id, struct domain_result *r)
{
    bson_error_t e;
    enum store_status s = store_guild_delete(d->db, id, &e);
    if (s == STORE_ERROR)
        return domain_store_error(r, &e);
    if (s != STORE_OK)
        return domain_ok(r); /* nothing was there: nothing to record */
    char target[24];
    snprintf(target, sizeof target, "%lld", (long long)id);
    bson_t data = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&data, "id", target);
    BSON_APPEND_BOOL(&data, "unavailable", false);
    journal_gateway_event(d, "GUILD_DELETE", id, 0, &data);
    bson_destroy(&data);
    return journal_audit(d, "guild.delete", "guild", target, NULL, NULL, r);
}

static bool has_feature(const struct guild_features *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0)
            return true;
    return false;
}

bool guilds_change_features(const struct domain *d, int64_t id, enum features_op op,
                            const struct guild_features *given, struct guild_features *after,
                            struct domain_result *r)
{
    after->n = 0;
    struct guild_view g;
    if (!guilds_get(d, id, &g, r))
        return false;
    const struct guild_features *before = &g.features;
    if (op == FEATURES_REMOVE)
        for (size_t i = 0; i < given->n; i++)
            if (!has_feature(before, given->names[i]))
                return domain_fail(r, DOMAIN_REFUSED, "Trying to remove already removed feature.");
    bson_error_t e;
    enum store_status s = op == FEATURES_REPLACE ? store_guild_features_replace(d->db, id, given, &e)
                        : op == FEATURES_ADD     ? store_guild_features_add(d->db, id, given, &e)
                                                 : store_guild_features_remove(d->db, id, given, &e);
    if (s == STORE_OK)
        s = store_guild_features(d->db, id, after, &e);
    /* A vanity URL needs the feature: losing it clears the code. */
    if (s == STORE_OK && has_feature(before, "VANITY_URL") && !has_feature(after, "VANITY_URL"))
        s = store_guild_clear_vanity(d->db, id, &e);
    if (s != STORE_OK && s != STORE_NOT_FOUND)
        return domain_store_error(r, &e);
    bson_t b = BSON_INITIALIZER, a = BSON_INITIALIZER;
    append_features(&b, "features", before);
    append_features(&a, "features", after);
    static const char *const actions[] = {"guild.features.replace", "guild.features.add",
                                          "guild.features.remove"};
    guilds_update_event(d, id);
    bool recorded = journal_audit_id(d, actions[op], "guild", id, &b, &a, r);
    bson_destroy(&b);
    bson_destroy(&a);
    return recorded;
}
