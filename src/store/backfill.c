/*
 * backfill: the claim and posting documents that index-served lookups need,
 * written for data that an earlier release stored without them (see
 * include/warden/store.h). `wardenctl migrate` runs it after the indexes.
 *
 * Every step is idempotent: claims go in with duplicate-tolerant inserts,
 * so a second run, or a run beside a live pool, changes nothing that is
 * already right. Steps walk whole collections: this is the one place that
 * may, as it runs outside any request.
 */
#include "warden/store.h"

#include "warden/store/audit.h"
#include "warden/store/game.h"
#include "warden/store/guilds.h"
#include "warden/store/invites.h"
#include "warden/store/users.h"
#include "warden/store/voice.h"

struct backfill_step {
    const char *name;
    enum store_status (*run)(struct db *db, int64_t *written, bson_error_t *e);
};

static const struct backfill_step steps[] = {
    {"users", store_users_backfill},
    {"guild_regions", store_guild_regions_backfill},
    {"guild_parts", store_guild_parts_backfill},
    {"voice_region_servers", store_voice_servers_backfill},
    {"game_user_names", store_game_users_backfill},
    {"players", store_players_backfill},
    {"invite_slots", store_invites_backfill},
    {"audit_keys", store_audit_backfill},
};

bool store_backfill(struct db *db, store_backfill_report_fn report, void *ctx, bson_error_t *e)
{
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int64_t written = 0;
        if (steps[i].run(db, &written, e) != STORE_OK)
            return false;
        if (report)
            report(steps[i].name, written, ctx);
    }
    return true;
}
