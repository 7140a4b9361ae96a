/*
 * domain/voice: voice regions and servers (see include/warden/domain/voice.h).
 */
#include "warden/domain/voice.h"

#include <stdio.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/domain/guilds.h"
#include "warden/domain/journal.h"
#include "warden/log.h"
#include "warden/store/guilds.h"
#include "warden/valid.h"
#include "warden/utf8.h"

static char *lowered(const struct domain *d, const char *s)
{
    size_t len = strlen(s);
    char *out = arena_alloc(d->arena, len + 1);
    utf8_ascii_lower(s, len, out);
    return out;
}

bool voice_regions(const struct domain *d, struct voice_region **out, size_t *n,
                   struct domain_result *r)
{
    bson_error_t e;
    enum store_status s = store_voice_region_list(d->db, out, n, &e);
    arena_own(d->arena, *out);
    return s == STORE_OK ? domain_ok(r) : domain_store_error(r, &e);
}

bool voice_servers(const struct domain *d, const char *region, struct voice_server **out,
                   size_t *n, struct domain_result *r)
{
    bson_error_t e;
    enum store_status s = store_voice_server_list(d->db, lowered(d, region), out, n, &e);
    arena_own(d->arena, *out);
    return s == STORE_OK ? domain_ok(r) : domain_store_error(r, &e);
}

bool voice_region_create(const struct domain *d, const struct voice_region *in,
                         struct domain_result *r)
{
    struct voice_region region = *in;
    utf8_ascii_lower(in->id, strlen(in->id), region.id);
    bool first;
    bson_error_t e;
    enum store_status s = store_voice_region_create(d->db, &region, &first, &e);
    if (s == STORE_DUPLICATE)
        return domain_fail(r, DOMAIN_REFUSED, "voice region already exists");
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&after, "name", region.name);
    BSON_APPEND_BOOL(&after, "vip", region.vip);
    BSON_APPEND_BOOL(&after, "deprecated", region.deprecated);
    BSON_APPEND_BOOL(&after, "custom", region.custom);
    BSON_APPEND_BOOL(&after, "first", first);
    if (first && store_guilds_assign_first_region(d->db, region.id, NULL, &e) != STORE_OK)
        log_error("first region %s not assigned to guilds (rid=%s): %s", region.id,
                  d->request_id ? d->request_id : "-", e.message);
    bool recorded = journal_audit(d, "voice_region.create", "voice_region", region.id, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}

static bool existing_region(const struct domain *d, const char *id, struct voice_region *out,
                            struct domain_result *r)
{
    bson_error_t e;
    enum store_status s = store_voice_region_get(d->db, lowered(d, id), out, &e);
    if (s == STORE_NOT_FOUND)
        return domain_not_found(r, 0, "Unknown voice region");
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    return domain_ok(r);
}

bool voice_server_create(const struct domain *d, const char *region, const char *hostname,
                         struct domain_result *r)
{
    struct voice_region vr;
    if (!existing_region(d, region, &vr, r))
        return false;
    const char *host = lowered(d, hostname);
    bson_error_t e;
    enum store_status s = store_voice_server_create(d->db, vr.id, host, &e);
    if (s == STORE_DUPLICATE)
        return domain_fail(r, DOMAIN_REFUSED, "voice server already exists with given hostname");
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&after, "region_id", vr.id);
    bool recorded = journal_audit(d, "voice_server.create", "voice_server", host, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}

static void guild_left_region(int64_t guild_id, void *ctx)
{
    guilds_update_event(ctx, guild_id);
}

bool voice_region_deprecate(const struct domain *d, const char *region, struct domain_result *r)
{
    struct voice_region vr;
    if (!existing_region(d, region, &vr, r))
        return false;
    bson_error_t e;
    int64_t moved = 0;
    if (store_voice_region_deprecate(d->db, vr.id, &e) == STORE_ERROR ||
        store_guilds_leave_region(d->db, vr.id, guild_left_region, (void *)d, &moved, &e) != STORE_OK)
        return domain_store_error(r, &e);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&after, "deprecated", true);
    BSON_APPEND_INT64(&after, "guilds_moved", moved);
    bool recorded = journal_audit(d, "voice_region.deprecate", "voice_region", vr.id, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}
