/*
 * domain/guilds: guild creation by any user and the staff's guild admin.
 *
 * Every change lands in the guild's documents and leaves an audit entry
 * (guild.update, guild.delete, guild.features.replace|add|remove) and a
 * gateway event: GUILD_UPDATE with the guild's partial object after the
 * change, or GUILD_DELETE. The partial object is built here, as BSON, once:
 * the API renders the same document (view.h) that the outbox carries.
 */
#ifndef WARDEN_DOMAIN_GUILDS_H
#define WARDEN_DOMAIN_GUILDS_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "warden/domain/domain.h"
#include "warden/store/guilds.h"
#include "warden/store/users.h"

/* A guild as the API shows it; documents live in d->arena. */
struct guild_view {
    int64_t id;
    bson_t *doc;                   /* the guilds document */
    struct guild_features features;
    bson_t *partial;               /* the partial guild object */
};

/* A new guild and its first parts (POST /guilds renders them all). */
struct guild_created {
    struct guild_view guild;
    bson_t *members, *channels, *roles;  /* arrays of the parts' documents */
};

/**
 * The partial guild object of a guilds document: every documented field
 * (ids as decimal strings, absent ones null) and features; the reduced
 * form {id, unavailable, vanity_url_code, max_presences, max_members,
 * preferred_locale} when unavailable; always guild_scheduled_events: [].
 */
void guilds_partial(const bson_t *guild, const struct guild_features *features, bson_t *out);

/** The canonical name of a supported feature (of the five), or NULL. */
const char *guilds_feature_name(const char *name);

/**
 * Create a guild owned by owner. region: NULL or a region id in any case;
 * an unknown or deprecated one is INVALID on field "region".
 */
bool guilds_create(const struct domain *d, const char *name, const char *region, int64_t owner,
                   struct guild_created *out, struct domain_result *r);
/** NOT_FOUND code 10004 "Unknown guild". */
bool guilds_get(const struct domain *d, int64_t id, struct guild_view *out, struct domain_result *r);
/** Mark unavailable or available; out is the guild after. */
bool guilds_set_unavailable(const struct domain *d, int64_t id, bool unavailable,
                            struct guild_view *out, struct domain_result *r);
/** Delete with everything of it. Deleting what is not there is OK, with no records. */
bool guilds_delete(const struct domain *d, int64_t id, struct domain_result *r);

enum features_op { FEATURES_REPLACE, FEATURES_ADD, FEATURES_REMOVE };
/**
 * Change the features (given: supported names, no duplicates). Removing a
 * feature the guild lacks is REFUSED "Trying to remove already removed
 * feature."; losing VANITY_URL clears the vanity code. after: the features now.
 */
bool guilds_change_features(const struct domain *d, int64_t id, enum features_op op,
                            const struct guild_features *given, struct guild_features *after,
                            struct domain_result *r);

/** A GUILD_UPDATE with the guild's current partial object (failures are logged). */
void guilds_update_event(const struct domain *d, int64_t id);

#endif
