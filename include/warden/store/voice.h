/*
 * store/voice: voice regions and servers.
 *
 * voice_regions: {_id: region id (lower-case), name, vip, deprecated, custom,
 *                 created_at}; a small collection that staff create by hand,
 *                 listed whole.
 * voice_servers: {_id: hostname (lower-case, unique by _id), region_id,
 *                 last_health (double, 0.5 when new), created_at}
 * voice_region_servers: {_id: "<region key>/<hostname>", region_id, hostname}
 *                 the claim that lists a server under its region: inserted
 *                 before the server document, removed if that insert fails.
 *                 A claim whose server is missing or now in another region
 *                 is stale and ignored (the listing re-checks the server).
 * instance_settings: {_id: "first_voice_region", region_id} marks which
 *                 region was created first (an insert under a fixed _id, so
 *                 two concurrent creations cannot both be first).
 *
 * The region key (store_voice_region_prefix) is the region id with '%' and
 * '/' escaped as "%25" and "%2F", then '/': region ids may hold any
 * character, and escaping keeps the claims of region "eu" apart from those
 * of "eu/west" ("eu/..." against "eu%2Fwest/..."). guild_regions
 * (store/guilds.h) uses the same key.
 */
#ifndef WARDEN_STORE_VOICE_H
#define WARDEN_STORE_VOICE_H

#include <stdbool.h>
#include <stddef.h>

#include "warden/store.h"

#define VOICE_TEXT_MAX 255

struct voice_region {
    char id[VOICE_TEXT_MAX * 4 + 1];
    char name[VOICE_TEXT_MAX * 4 + 1];
    bool vip, deprecated, custom;
};

struct voice_server {
    char hostname[VOICE_TEXT_MAX * 4 + 1];
    double last_health;
};

/**
 * The prefix of a region's claims: its id escaped ('%' → "%25", '/' →
 * "%2F") and a final '/'. No region's prefix starts another's. malloc'ed:
 * free it.
 */
char *store_voice_region_prefix(const char *region_id);

/**
 * Create a region. STORE_DUPLICATE: the id exists. *first tells whether it is
 * the first region ever created.
 */
enum store_status store_voice_region_create(struct db *db, const struct voice_region *r,
                                            bool *first, bson_error_t *e);
/** By id (already lower-cased). STORE_NOT_FOUND: no such region. */
enum store_status store_voice_region_get(struct db *db, const char *id, struct voice_region *out,
                                         bson_error_t *e);
/** All regions ordered by id; *out malloc'ed (free it). */
enum store_status store_voice_region_list(struct db *db, struct voice_region **out, size_t *n,
                                          bson_error_t *e);
enum store_status store_voice_region_deprecate(struct db *db, const char *id, bson_error_t *e);

/** Add a server to a region. STORE_DUPLICATE: the hostname exists (in any region). */
enum store_status store_voice_server_create(struct db *db, const char *region_id,
                                            const char *hostname, bson_error_t *e);
/** The servers of a region ordered by hostname; *out malloc'ed (free it, also on error). */
enum store_status store_voice_server_list(struct db *db, const char *region_id,
                                          struct voice_server **out, size_t *n, bson_error_t *e);

/**
 * Backfill (wardenctl migrate): the voice_region_servers claims of servers
 * stored without one. *written: servers looked at.
 */
enum store_status store_voice_servers_backfill(struct db *db, int64_t *written, bson_error_t *e);

#endif
