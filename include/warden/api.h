/*
 * api: the HTTP handlers, one source file per resource family under src/api/,
 * and the route table that maps them (src/api/routes.c).
 *
 * Handlers parse and validate input, call the store, render output. They never
 * see libfcgi and never build queries.
 */
#ifndef WARDEN_API_H
#define WARDEN_API_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/config.h"
#include "warden/router.h"

/* What a worker hands to every handler. */
struct db;
struct scoreboard;
struct scoreboard_slot;
struct listener;

struct app {
    const struct config *cfg;
    struct db *db;                  /* this process's own client */
    struct scoreboard *scoreboard;  /* shared with the master */
    struct scoreboard_slot *slot;   /* this worker's slot */
    int slot_index;
    const struct listener *listener;
};


extern const struct route api_routes[];
extern const size_t api_routes_count;

/* src/api/health.c */
void api_livez(struct app *app, struct request *req, struct response *res);
void api_healthz(struct app *app, struct request *req, struct response *res);
/* src/api/status.c */
void api_status(struct app *app, struct request *req, struct response *res);

/* src/api/accounts.c: chat accounts */
void api_auth_login(struct app *app, struct request *req, struct response *res);
void api_auth_register(struct app *app, struct request *req, struct response *res);
void api_users_me(struct app *app, struct request *req, struct response *res);
struct user;
/** Create an account from validated username/email/password fields; answers on failure. */
bool api_create_account(struct app *app, struct request *req, struct response *res,
                        const bson_t *body, int64_t flags, struct user *created);

/* src/api/admin_users.c */
void api_admin_users_create(struct app *app, struct request *req, struct response *res);
void api_admin_users_search(struct app *app, struct request *req, struct response *res);
void api_admin_users_delete(struct app *app, struct request *req, struct response *res);
void api_admin_users_patch(struct app *app, struct request *req, struct response *res);

/* src/api/invites.c */
void api_admin_invites_list(struct app *app, struct request *req, struct response *res);
void api_admin_invites_create(struct app *app, struct request *req, struct response *res);
void api_admin_invites_delete(struct app *app, struct request *req, struct response *res);
void api_auth_register_invite(struct app *app, struct request *req, struct response *res);

/* src/api/voice.c */
void api_voice_regions_list(struct app *app, struct request *req, struct response *res);
void api_voice_region_servers(struct app *app, struct request *req, struct response *res);
void api_voice_region_create(struct app *app, struct request *req, struct response *res);
void api_voice_server_create(struct app *app, struct request *req, struct response *res);
void api_voice_region_deprecate(struct app *app, struct request *req, struct response *res);

/* src/api/guilds.c */
void api_guilds_create(struct app *app, struct request *req, struct response *res);
void api_admin_guild_get(struct app *app, struct request *req, struct response *res);
void api_admin_guild_patch(struct app *app, struct request *req, struct response *res);
void api_admin_guild_delete(struct app *app, struct request *req, struct response *res);
void api_admin_guild_features_replace(struct app *app, struct request *req, struct response *res);
void api_admin_guild_features_add(struct app *app, struct request *req, struct response *res);
void api_admin_guild_features_remove(struct app *app, struct request *req, struct response *res);
/** Write a GUILD_UPDATE with the guild's current partial view (failures are logged). */
void api_guild_update_event(struct app *app, const struct request *req, int64_t guild_id);

/* src/api/game_admin.c */
void api_game_user_admin(struct app *app, struct request *req, struct response *res);
void api_game_player_admin(struct app *app, struct request *req, struct response *res);

/* src/api/game_reads.c */
void api_game_user_get(struct app *app, struct request *req, struct response *res);
void api_game_player_get(struct app *app, struct request *req, struct response *res);
void api_game_players_online(struct app *app, struct request *req, struct response *res);
/**
 * The {lookup} path parameter of the game routes: a GUID (any common form,
 * canonical into id) or a name (*name). Answers 400 "Invalid id." (all
 * zeros) or "Invalid name." and returns false otherwise.
 */
bool api_game_lookup(const struct request *req, struct response *res, char id[37],
                     const char **name);
/** 404 "No <what> found for lookup key '<lookup>'". */
void api_game_not_found(const struct request *req, struct response *res, const char *what);

/* src/api/record.c: audit entries and gateway events of mutations (failures are logged) */
void api_audit(struct app *app, const struct request *req, const char *action,
               const char *target_type, const char *target_id, const bson_t *before,
               const bson_t *after);
void api_gateway_event(struct app *app, const struct request *req, const char *type,
                       int64_t guild_id, int64_t user_id, const bson_t *data);

/* src/api/oauth.c: the game's token endpoint */
void api_oauth_token(struct app *app, struct request *req, struct response *res);
void api_game_info_authorized(struct app *app, struct request *req, struct response *res);

#endif
