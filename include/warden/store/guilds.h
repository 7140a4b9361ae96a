/*
 * store/guilds: guilds, their features, members, roles and channels.
 *
 * guilds:         {_id: Int64, name, owner_id: Int64, region (str|null),
 *                  unavailable, vanity_url_code (str|null), system_channel_id,
 *                  ...the partial guild's other fields..., created_at}
 * guild_features: {_id: "<guild id>:<FEATURE>", guild_id, feature, position}
 *                  one document per feature, so concurrent additions are
 *                  inserts that cannot overwrite each other (FerretDB v1's
 *                  $addToSet is a read-modify-write).
 * guild_members:  {_id: "<guild id>:<user id>", guild_id, user_id, joined_at,
 *                  nick, roles, deaf, mute}
 * guild_roles:    {_id: Int64 (the @everyone role's id is the guild's), guild_id,
 *                  name, permissions, position, color, hoist, managed, mentionable}
 * guild_channels: {_id: Int64, guild_id, type, name, position, topic, nsfw,
 *                  parent_id, rate_limit_per_user}
 */
#ifndef WARDEN_STORE_GUILDS_H
#define WARDEN_STORE_GUILDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/store.h"

#define GUILD_FEATURES_MAX 8

struct guild_features {
    char names[GUILD_FEATURES_MAX][24];
    size_t n;
};

/**
 * Create a guild owned by owner_id with its @everyone role, one text
 * channel and the owner as sole member. region may be NULL. doc receives
 * the guild document (bson_init'ed by the caller).
 */
enum store_status store_guild_create(struct db *db, const char *name, int64_t owner_id,
                                     const char *region, bson_t *doc, bson_error_t *e);
/** The guild document into doc (bson_init'ed by the caller). */
enum store_status store_guild_get(struct db *db, int64_t id, bson_t *doc, bson_error_t *e);
enum store_status store_guild_set_unavailable(struct db *db, int64_t id, bool unavailable,
                                              bson_error_t *e);
/** Delete a guild and everything of it; STORE_NOT_FOUND when it did not exist. */
enum store_status store_guild_delete(struct db *db, int64_t id, bson_error_t *e);
/** Guild ids in a region; *out malloc'ed (free it). */
enum store_status store_guilds_in_region(struct db *db, const char *region, int64_t **out,
                                         size_t *n, bson_error_t *e);
/** Set the region of the guilds in from_region (of every guild when all) to
 * to_region (NULL: no region). */
enum store_status store_guilds_set_region(struct db *db, const char *from_region,
                                          const char *to_region, bool all, bson_error_t *e);
enum store_status store_guild_clear_vanity(struct db *db, int64_t id, bson_error_t *e);

/** The guild's features in order. */
enum store_status store_guild_features(struct db *db, int64_t id, struct guild_features *out,
                                       bson_error_t *e);
/** Add features (already present ones are kept where they are). */
enum store_status store_guild_features_add(struct db *db, int64_t id,
                                           const struct guild_features *add, bson_error_t *e);
/** Make the features exactly these, in this order. */
enum store_status store_guild_features_replace(struct db *db, int64_t id,
                                               const struct guild_features *set, bson_error_t *e);
/** Remove features. */
enum store_status store_guild_features_remove(struct db *db, int64_t id,
                                              const struct guild_features *remove, bson_error_t *e);

/** Members, roles and channels of a guild, as documents, for the full guild object. */
enum store_status store_guild_parts(struct db *db, int64_t id, const char *collection,
                                    bson_t *array, bson_error_t *e);

#endif
