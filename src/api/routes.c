/*
 * routes: every route of the service, in one table, each entry the contract
 * of its requests (router.h): caller, database, precheck, body rules.
 *
 * Chat routes are written for /api/v6; the router serves v7, v8 and v9 from
 * the same entries. The game's routes live under /api/v1 and /api/oauth.
 */
#include "warden/api.h"

#define DB ROUTE_NEEDS_DB

const struct route api_routes[] = {
    /* operations (src/api/health.c, src/api/status.c) */
    {"GET", "/livez", AUTH_NONE, 0, NULL, NULL, api_livez, NULL},
    {"GET", "/healthz", AUTH_NONE, 0, NULL, NULL, api_healthz, NULL},
    {"GET", "/status", AUTH_NONE, 0, NULL, NULL, api_status, NULL},

    /* chat: accounts (src/api/accounts.c) */
    {"POST", "/api/v6/auth/login", AUTH_NONE, DB, NULL, &api_login_body, api_auth_login, NULL},
    {"POST", "/api/v6/auth/register", AUTH_NONE, DB, api_registrations_open, &api_register_body,
     api_auth_register, NULL},
    {"GET", "/api/v6/users/@me", AUTH_CHAT_USER, DB, NULL, NULL, api_users_me, NULL},
    {"POST", "/api/v6/auth/register_inv", AUTH_NONE, DB, NULL, &api_register_invite_body,
     api_auth_register_invite, api_register_invite_page},

    /* chat admin: users (src/api/admin_users.c) */
    {"PUT", "/api/v6/admin/users", AUTH_CHAT_STAFF, DB, NULL, &api_user_create_body,
     api_admin_users_create, NULL},
    {"POST", "/api/v6/admin/users", AUTH_CHAT_STAFF, DB, NULL, &api_user_create_body,
     api_admin_users_create, NULL},
    {"GET", "/api/v6/admin/users", AUTH_CHAT_STAFF, DB, NULL, NULL, api_admin_users_search, NULL},
    {"DELETE", "/api/v6/admin/users/{user_id}", AUTH_CHAT_STAFF, DB, api_user_id_known, NULL,
     api_admin_users_delete, NULL},
    {"PATCH", "/api/v6/admin/users/{user_id}", AUTH_CHAT_STAFF, DB, api_user_id_known,
     &api_user_patch_body, api_admin_users_patch, NULL},

    /* chat admin: instance invites (src/api/invites.c) */
    {"GET", "/api/v6/admin/instance/invites", AUTH_CHAT_STAFF, DB, NULL, NULL,
     api_admin_invites_list, NULL},
    {"PUT", "/api/v6/admin/instance/invites", AUTH_CHAT_STAFF, DB, NULL, &api_invite_create_body,
     api_admin_invites_create, NULL},
    {"DELETE", "/api/v6/admin/instance/invites/{code}", AUTH_CHAT_STAFF, DB, NULL, NULL,
     api_admin_invites_delete, NULL},

    /* chat admin: voice (src/api/voice.c) */
    {"GET", "/api/v6/admin/voice/regions", AUTH_CHAT_STAFF, DB, NULL, NULL, api_voice_regions_list, NULL},
    {"PUT", "/api/v6/admin/voice/regions", AUTH_CHAT_STAFF, DB, NULL, &api_region_create_body,
     api_voice_region_create, NULL},
    {"GET", "/api/v6/admin/voice/regions/{region}", AUTH_CHAT_STAFF, DB, NULL, NULL,
     api_voice_region_servers, NULL},
    {"PUT", "/api/v6/admin/voice/regions/{region}/server", AUTH_CHAT_STAFF, DB, NULL,
     &api_server_create_body, api_voice_server_create, NULL},
    {"PUT", "/api/v6/admin/voice/regions/{region}/deprecate", AUTH_CHAT_STAFF, DB, NULL, NULL,
     api_voice_region_deprecate, NULL},

    /* chat admin: the audit log of both realms (src/api/audit_log.c) */
    {"GET", "/api/v6/admin/audit-log", AUTH_CHAT_STAFF, DB, NULL, NULL, api_admin_audit_log, NULL},

    /* chat: guilds (src/api/guilds.c) */
    {"POST", "/api/v6/guilds", AUTH_CHAT_USER, DB, NULL, &api_guild_create_body, api_guilds_create, NULL},
    {"GET", "/api/v6/admin/guilds/{guild_id}", AUTH_CHAT_STAFF, DB, api_guild_id_known, NULL,
     api_admin_guild_get, NULL},
    {"PATCH", "/api/v6/admin/guilds/{guild_id}", AUTH_CHAT_STAFF, DB, api_guild_id_known,
     &api_guild_patch_body, api_admin_guild_patch, NULL},
    {"DELETE", "/api/v6/admin/guilds/{guild_id}", AUTH_CHAT_STAFF, DB, api_guild_id_known, NULL,
     api_admin_guild_delete, NULL},
    {"PATCH", "/api/v6/admin/guilds/{guild_id}/features", AUTH_CHAT_STAFF, DB, api_guild_id_known,
     &api_features_body, api_admin_guild_features_replace, NULL},
    {"PUT", "/api/v6/admin/guilds/{guild_id}/features", AUTH_CHAT_STAFF, DB, api_guild_id_known,
     &api_features_body, api_admin_guild_features_add, NULL},
    {"DELETE", "/api/v6/admin/guilds/{guild_id}/features", AUTH_CHAT_STAFF, DB, api_guild_id_known,
     &api_features_body, api_admin_guild_features_remove, NULL},

    /* game: tokens (src/api/oauth.c) */
    {"POST", "/api/oauth/token", AUTH_NONE, DB, NULL, &api_oauth_token_body, api_oauth_token, NULL},
    {"GET", "/api/v1/info/authorized", AUTH_GAME_API, DB, NULL, NULL, api_game_info_authorized, NULL},

    /* game: admin actions and reads (src/api/game_admin.c, src/api/game_reads.c);
     * "online" is listed before {lookup} so that it is never taken for a name */
    {"POST", "/api/v1/users/{lookup}/admin/{action}", AUTH_GAME_USER_QUERY, DB,
     api_game_action_known, &api_game_action_body, api_game_user_admin, NULL},
    {"POST", "/api/v1/players/{lookup}/admin/{action}", AUTH_GAME_API, DB, api_game_action_known,
     &api_game_action_body, api_game_player_admin, NULL},
    {"GET", "/api/v1/players/online", AUTH_GAME_API, DB, NULL, NULL, api_game_players_online, NULL},
    {"GET", "/api/v1/users/{lookup}", AUTH_GAME_USER_QUERY, DB, api_game_lookup_valid, NULL,
     api_game_user_get, NULL},
    {"GET", "/api/v1/players/{lookup}", AUTH_GAME_API, DB, api_game_lookup_valid, NULL,
     api_game_player_get, NULL},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
