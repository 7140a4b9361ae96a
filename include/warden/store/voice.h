/*
 * store/voice: voice regions and servers.
 *
 * voice_regions: {_id: region id (lower-case), name, vip, deprecated, custom,
 *                 created_at}
 * voice_servers: {_id: hostname (lower-case, unique by _id), region_id,
 *                 last_health (double, 0.5 when new), created_at}
 * instance_settings: {_id: "first_voice_region", region_id} marks which
 *                 region was created first (an insert under a fixed _id, so
 *                 two concurrent creations cannot both be first).
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
 * Create a region. STORE_DUPLICATE: the id exists. *first tells whether it is
 * the first region ever created.
 */
enum store_status store_voice_region_create(struct db *db, const struct voice_region *r,
                                            bool *first, bson_error_t *e);
enum store_status store_voice_region_get(struct db *db, const char *id, struct voice_region *out,
                                         bson_error_t *e);
/** All regions ordered by id; *out malloc'ed (free it). */
enum store_status store_voice_region_list(struct db *db, struct voice_region **out, size_t *n,
                                          bson_error_t *e);
enum store_status store_voice_region_deprecate(struct db *db, const char *id, bson_error_t *e);

/** Add a server to a region. STORE_DUPLICATE: the hostname exists. */
enum store_status store_voice_server_create(struct db *db, const char *region_id,
                                            const char *hostname, bson_error_t *e);
/** The servers of a region ordered by hostname; *out malloc'ed (free it). */
enum store_status store_voice_server_list(struct db *db, const char *region_id,
                                          struct voice_server **out, size_t *n, bson_error_t *e);

#endif
