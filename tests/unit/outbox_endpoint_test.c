/*
 * outbox_endpoint: the endpoint an outbox event goes to: the outbox's own
 * (gateway, game) unless its type has a URL of its own; unknown types and
 * outboxes; empty values counting as unset.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "warden/outbox_endpoint.h"

/* Settings as "NAME=value" strings, NULL-terminated. */
static const char *lookup(const char *name, void *ctx)
{
    const char *const *settings = ctx;
    size_t n = strlen(name);
    for (size_t i = 0; settings[i]; i++)
        if (strncmp(settings[i], name, n) == 0 && settings[i][n] == '=')
            return settings[i] + n + 1;
    return NULL;
}

static struct outbox_endpoint endpoint(const char *outbox, const char *type, const char **settings)
{
    struct outbox_endpoint ep;
    memset(&ep, 0x55, sizeof ep);
    cr_assert(outbox_endpoint_of(outbox, type, lookup, settings, &ep), "%s %s", outbox, type);
    return ep;
}

Test(outbox_endpoint, the_outbox_endpoint_when_no_type_has_one)
{
    const char *none[] = {NULL};
    struct outbox_endpoint ep = endpoint(OUTBOX_GATEWAY, "GUILD_UPDATE", none);
    cr_expect_str_eq(ep.name, "gateway");
    cr_expect_str_eq(ep.prefix, "WARDEN_RELAY_GATEWAY");
    cr_expect_not(ep.configured);
    ep = endpoint(OUTBOX_GAME, "kick", none);
    cr_expect_str_eq(ep.name, "game");
    cr_expect_str_eq(ep.prefix, "WARDEN_RELAY_GAME");
    cr_expect_not(ep.configured);

    const char *both[] = {"WARDEN_RELAY_GATEWAY_URL=http://g/", "WARDEN_RELAY_GAME_URL=http://s/", NULL};
    cr_expect(endpoint(OUTBOX_GATEWAY, "USER_UPDATE", both).configured);
    cr_expect(endpoint(OUTBOX_GAME, "warp", both).configured);
}

Test(outbox_endpoint, a_type_with_its_own_url_goes_there)
{
    const char *settings[] = {"WARDEN_RELAY_GATEWAY_URL=http://g/", "WARDEN_RELAY_GUILD_UPDATE_URL=http://u/",
                              "WARDEN_RELAY_KICK_URL=http://k/", NULL};
    struct outbox_endpoint ep = endpoint(OUTBOX_GATEWAY, "GUILD_UPDATE", settings);
    cr_expect_str_eq(ep.name, "guild_update");
    cr_expect_str_eq(ep.prefix, "WARDEN_RELAY_GUILD_UPDATE");
    cr_expect(ep.configured);
    cr_expect_str_eq(endpoint(OUTBOX_GATEWAY, "GUILD_DELETE", settings).name, "gateway");

    ep = endpoint(OUTBOX_GAME, "kick", settings);
    cr_expect_str_eq(ep.name, "kick");
    cr_expect_str_eq(ep.prefix, "WARDEN_RELAY_KICK");
    cr_expect(ep.configured);
    ep = endpoint(OUTBOX_GAME, "kill", settings);
    cr_expect_str_eq(ep.name, "game");
    cr_expect_not(ep.configured, "no WARDEN_RELAY_GAME_URL: its events wait");
}

Test(outbox_endpoint, empty_values_and_foreign_types_are_unset)
{
    const char *settings[] = {"WARDEN_RELAY_GATEWAY_URL=", "WARDEN_RELAY_USER_UPDATE_URL=",
                              "WARDEN_RELAY_KICK_URL=http://k/", "WARDEN_RELAY_NOPE_URL=http://n/", NULL};
    struct outbox_endpoint ep = endpoint(OUTBOX_GATEWAY, "USER_UPDATE", settings);
    cr_expect_str_eq(ep.name, "gateway");
    cr_expect_not(ep.configured);
    /* a game type's URL does not take a gateway event of that name, nor an unknown type */
    cr_expect_str_eq(endpoint(OUTBOX_GATEWAY, "kick", settings).name, "gateway");
    cr_expect_str_eq(endpoint(OUTBOX_GATEWAY, "NOPE", settings).name, "gateway");
    cr_expect_str_eq(endpoint(OUTBOX_GAME, "KICK", settings).name, "game", "types match as stored");
    cr_expect_str_eq(endpoint(OUTBOX_GAME, NULL, settings).name, "game");
}

Test(outbox_endpoint, other_collections_have_none)
{
    const char *none[] = {NULL};
    struct outbox_endpoint ep = {"x", "y", true};
    cr_expect_not(outbox_endpoint_of("audit_log", "USER_UPDATE", lookup, none, &ep));
    cr_expect_not(outbox_endpoint_of(NULL, "kick", lookup, none, &ep));
    cr_expect_str_eq(ep.name, "x");
    cr_expect_null(outbox_endpoint_types("users"));
    const char *const *types = outbox_endpoint_types(OUTBOX_GAME);
    cr_expect_str_eq(types[0], "kick");
    cr_expect_null(types[5]);
}
