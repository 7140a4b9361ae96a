/*
 * domain/voice: voice regions and their servers.
 *
 * Region ids and hostnames are lower-cased here, wherever they come from.
 * Records: voice_region.create {name, vip, deprecated, custom, first},
 * voice_server.create {region_id}, voice_region.deprecate {deprecated,
 * guilds_moved}, and a GUILD_UPDATE for each guild that leaves a region.
 */
#ifndef WARDEN_DOMAIN_VOICE_H
#define WARDEN_DOMAIN_VOICE_H

#include <stdbool.h>
#include <stddef.h>

#include "warden/domain/domain.h"
#include "warden/store/voice.h"

/** All regions ordered by id; *out lives in d->arena. */
bool voice_regions(const struct domain *d, struct voice_region **out, size_t *n,
                   struct domain_result *r);
/** The servers of a region ([] for an unknown one); *out lives in d->arena. */
bool voice_servers(const struct domain *d, const char *region, struct voice_server **out,
                   size_t *n, struct domain_result *r);
/**
 * Create a region (in->id is lower-cased first). REFUSED "voice region
 * already exists". The first region ever created becomes every guild's
 * region (upstream's rule).
 */
bool voice_region_create(const struct domain *d, const struct voice_region *in,
                         struct domain_result *r);
/**
 * Add a server to an existing region. NOT_FOUND "Unknown voice region";
 * REFUSED "voice server already exists with given hostname".
 */
bool voice_server_create(const struct domain *d, const char *region, const char *hostname,
                         struct domain_result *r);
/**
 * Deprecate a region; its guilds leave it. The region is marked first, so
 * no guild picks it while its guilds leave; a retry after a failure carries
 * on where this one stopped. NOT_FOUND "Unknown voice region".
 */
bool voice_region_deprecate(const struct domain *d, const char *region, struct domain_result *r);

#endif
