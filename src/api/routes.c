/*
 * routes: every route of the service, in one table.
 *
 * Chat routes are written for /api/v6; the router serves v7, v8 and v9 from
 * the same entries. The game's routes live under /api/v1 and /api/oauth.
 */
#include "warden/api.h"

const struct route api_routes[] = {
    /* operations */
    {"GET", "/livez", AUTH_NONE, api_livez},
    {"GET", "/healthz", AUTH_NONE, api_healthz},
    {"GET", "/status", AUTH_NONE, api_status},

    /* chat: accounts (src/api/accounts.c) */
    {"POST", "/api/v6/auth/login", AUTH_NONE, api_auth_login},
    {"POST", "/api/v6/auth/register", AUTH_NONE, api_auth_register},
    {"GET", "/api/v6/users/@me", AUTH_CHAT_USER, api_users_me},
    {"POST", "/api/v6/auth/register_inv", AUTH_NONE, api_auth_register_invite},

    /* chat admin: users (src/api/admin_users.c) */
    {"PUT", "/api/v6/admin/users", AUTH_CHAT_STAFF, api_admin_users_create},
    {"POST", "/api/v6/admin/users", AUTH_CHAT_STAFF, api_admin_users_create},
    {"GET", "/api/v6/admin/users", AUTH_CHAT_STAFF, api_admin_users_search},
    {"DELETE", "/api/v6/admin/users/{user_id}", AUTH_CHAT_STAFF, api_admin_users_delete},
    {"PATCH", "/api/v6/admin/users/{user_id}", AUTH_CHAT_STAFF, api_admin_users_patch},

    /* chat admin: instance invites (src/api/invites.c) */
    {"GET", "/api/v6/admin/instance/invites", AUTH_CHAT_STAFF, api_admin_invites_list},
    {"PUT", "/api/v6/admin/instance/invites", AUTH_CHAT_STAFF, api_admin_invites_create},
    {"DELETE", "/api/v6/admin/instance/invites/{code}", AUTH_CHAT_STAFF, api_admin_invites_delete},

    /* chat admin: voice (src/api/voice.c) */
    {"GET", "/api/v6/admin/voice/regions", AUTH_CHAT_STAFF, api_voice_regions_list},
    {"PUT", "/api/v6/admin/voice/regions", AUTH_CHAT_STAFF, api_voice_region_create},
    {"GET", "/api/v6/admin/voice/regions/{region}", AUTH_CHAT_STAFF, api_voice_region_servers},
    {"PUT", "/api/v6/admin/voice/regions/{region}/server", AUTH_CHAT_STAFF, api_voice_server_create},
    {"PUT", "/api/v6/admin/voice/regions/{region}/deprecate", AUTH_CHAT_STAFF, api_voice_region_deprecate},

    /* chat: guilds (src/api/guilds.c) */
    {"POST", "/api/v6/guilds", AUTH_CHAT_USER, api_guilds_create},
    {"GET", "/api/v6/admin/guilds/{guild_id}", AUTH_CHAT_STAFF, api_admin_guild_get},
    {"PATCH", "/api/v6/admin/guilds/{guild_id}", AUTH_CHAT_STAFF, api_admin_guild_patch},
    {"DELETE", "/api/v6/admin/guilds/{guild_id}", AUTH_CHAT_STAFF, api_admin_guild_delete},
    {"PATCH", "/api/v6/admin/guilds/{guild_id}/features", AUTH_CHAT_STAFF, api_admin_guild_features_replace},
    {"PUT", "/api/v6/admin/guilds/{guild_id}/features", AUTH_CHAT_STAFF, api_admin_guild_features_add},
    {"DELETE", "/api/v6/admin/guilds/{guild_id}/features", AUTH_CHAT_STAFF, api_admin_guild_features_remove},

    /* game: tokens (src/api/oauth.c) */
    {"POST", "/api/oauth/token", AUTH_NONE, api_oauth_token},
    {"GET", "/api/v1/info/authorized", AUTH_GAME_API, api_game_info_authorized},

    /* game: admin actions and reads (src/api/game_admin.c, src/api/game_reads.c);
     * "online" is listed before {lookup} so that it is never taken for a name */
    {"POST", "/api/v1/users/{lookup}/admin/{action}", AUTH_GAME_USER_QUERY, api_game_user_admin},
    {"POST", "/api/v1/players/{lookup}/admin/{action}", AUTH_GAME_API, api_game_player_admin},
    {"GET", "/api/v1/players/online", AUTH_GAME_API, api_game_players_online},
    {"GET", "/api/v1/users/{lookup}", AUTH_GAME_USER_QUERY, api_game_user_get},
    {"GET", "/api/v1/players/{lookup}", AUTH_GAME_API, api_game_player_get},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
