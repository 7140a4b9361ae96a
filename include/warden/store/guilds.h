/*
 * store/guilds: guilds, their features, members, roles and channels, and
 * the claims that find a guild's parts and a region's guilds by _id.
 *
 * guilds:         {_id: Int64, name, owner_id: Int64, region (str|null),
 *                  unavailable, vanity_url_code (str|null), system_channel_id,
 *                  ...the partial guild's other fields..., created_at}
 * guild_features: {_id: "<guild id>:<FEATURE>", guild_id, feature, position}
 *                  one document per feature, so concurrent additions are
 *                  inserts that cannot overwrite each other (FerretDB v1's
 *                  $addToSet is a read-modify-write). Read and deleted by the
 *                  prefix "<guild id>:", ordered by position in C.
 * guild_members:  {_id: "<guild id>:<user id>", guild_id, user_id, joined_at,
 *                  nick, roles, deaf, mute}; read and deleted by the prefix
 *                  "<guild id>:".
 * guild_roles:    {_id: Int64 (the @everyone role's id is the guild's), guild_id,
 *                  name, permissions, position, color, hoist, managed, mentionable}
 * guild_channels: {_id: Int64, guild_id, type, name, position, topic, nsfw,
 *                  parent_id, rate_limit_per_user}
 * guild_parts:    {_id: "<guild id>/<collection>/<part id, 20 digits>",
 *                  guild_id, part_id} the claim of a role (collection
 *                  "guild_roles") or a channel ("guild_channels"): a guild's
 *                  roles and channels are the parts its claims name (prefix
 *                  "<guild id>/<collection>/"), read by _id.
 * guild_regions:  {_id: "<region key>/<guild id, 20 digits>", region_id,
 *                  guild_id} says that the guild may be in the region
 *                  (region key: store_voice_region_prefix, store/voice.h).
 *                  Deprecating a region walks its claims and re-checks each
 *                  guild's region.
 *
 * Contract for the chat server, which shares these collections (README):
 * - Before it inserts a role or a channel of a guild, it inserts the part's
 *   guild_parts claim {_id: "<guild id>/guild_roles/<role id>" (or
 *   "/guild_channels/"), guild_id, part_id}, the ids in decimal, the part's
 *   zero-padded to 20 digits; a duplicate key there means it is already
 *   claimed. Without a claim, a role or channel is left behind when Warden
 *   deletes the guild. After deleting a part it may delete its claim (a
 *   claim without its part is skipped).
 * - Before it gives a guild a region (creation or change), it inserts the
 *   guild_regions claim {_id: "<region key>/<guild id, 20 digits>",
 *   region_id, guild_id}, the region key being the region id with "%" and
 *   "/" written "%25" and "%2F", then "/"; duplicates are fine. The claim
 *   of the region it leaves may stay: Warden re-checks the guild. Without
 *   a claim, deprecating the region leaves the guild in it.
 * - Members and features need no claim: their _id starts with "<guild id>:".
 * Data written before these claims existed gets them from `wardenctl
 * migrate` (store_guild_regions_backfill, store_guild_parts_backfill).
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
/** The guild document into doc (bson_init'ed by the caller). STORE_NOT_FOUND: no such guild. */
enum store_status store_guild_get(struct db *db, int64_t id, bson_t *doc, bson_error_t *e);
enum store_status store_guild_set_unavailable(struct db *db, int64_t id, bool unavailable,
                                              bson_error_t *e);
/** Delete a guild and everything of it; STORE_NOT_FOUND when it did not exist. */
enum store_status store_guild_delete(struct db *db, int64_t id, bson_error_t *e);
/** Called with each guild that left a region. */
typedef void (*store_guild_id_fn)(int64_t guild_id, void *ctx);
/**
 * Take the region from its guilds (region null), walking the region's
 * guild_regions claims: moved (may be NULL) is called once per guild that
 * was in it, after its document changed; *n_moved counts them. Claims are
 * removed as they are done, so a retry after a failure carries on.
 */
enum store_status store_guilds_leave_region(struct db *db, const char *region,
                                            store_guild_id_fn moved, void *ctx, int64_t *n_moved,
                                            bson_error_t *e);
/**
 * Give every guild the region (the first region ever created, once in the
 * instance's life); *n (may be NULL) counts the guilds.
 */
enum store_status store_guilds_assign_first_region(struct db *db, const char *region, int64_t *n,
                                                   bson_error_t *e);
enum store_status store_guild_clear_vanity(struct db *db, int64_t id, bson_error_t *e);

/** The guild's features in order; none (STORE_OK) for a guild that does not exist. */
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

/**
 * The guild's members, roles or channels (collection "guild_members",
 * "guild_roles" or "guild_channels"), as documents in _id order appended
 * to array, for the full guild object.
 */
enum store_status store_guild_parts(struct db *db, int64_t id, const char *collection,
                                    bson_t *array, bson_error_t *e);

/* Backfills (wardenctl migrate), for data stored without its claims;
 * *written: documents looked at. */
/** guild_regions claims of the guilds that have a region. */
enum store_status store_guild_regions_backfill(struct db *db, int64_t *written, bson_error_t *e);
/** guild_parts claims of every role and channel. */
enum store_status store_guild_parts_backfill(struct db *db, int64_t *written, bson_error_t *e);

#endif
