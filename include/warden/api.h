/*
 * api: the HTTP handlers, one source file per resource family under src/api/,
 * and the route table that maps them (src/api/routes.c).
 *
 * A handler parses, calls and renders: the dispatcher has already checked
 * the caller, the path parameters the route prechecks, and the body against
 * the route's rules (req->fields); the handler reads typed values from them,
 * calls one domain operation (include/warden/domain/), and renders its
 * result or maps its failure to an error (api_fail). Handlers never see
 * libfcgi, never build queries, and never call another handler file.
 */
#ifndef WARDEN_API_H
#define WARDEN_API_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/config.h"
#include "warden/domain/domain.h"
#include "warden/router.h"
#include "warden/store/game.h"
#include "warden/store/users.h"

struct db;
struct scoreboard;
struct scoreboard_slot;
struct listener;

/* What a worker hands to every handler. */
struct app {
    const struct config *cfg;
    struct db *db;                  /* this process's own client */
    struct scoreboard *scoreboard;  /* shared with the master */
    struct scoreboard_slot *slot;   /* this worker's slot */
    int slot_index;
    const struct listener *listener;
};

/** The authenticated caller (request->principal), set by the dispatcher. */
struct principal {
    struct user chat;      /* for AUTH_CHAT_* */
    struct game_user game; /* for AUTH_GAME_* */
};

extern const struct route api_routes[];
extern const size_t api_routes_count;

/* --- src/api/calls.c: how a handler calls the domain ------------------------ */

/** The domain context of a request: its caller as the actor, its id, its arena. */
struct domain api_domain(struct app *app, struct request *req);
/** Answer a failed domain result: 404/400/403 with its message, or the database error. */
void api_fail(struct response *res, const struct request *req, const struct domain_result *r);
struct account_new;
/** The username, email and password of a body validated by an account-creating route. */
struct account_new api_account_fields(const struct request *req);
/**
 * Answer 200 {token} (and "user_id" when asked: invite registration) with a
 * chat token for u, issued now; 500 if minting fails.
 */
void api_send_chat_token(const struct domain *d, const struct request *req, struct response *res,
                         const struct user *u, bool with_user_id);
/** A path parameter that the route's precheck accepted as a positive integer. */
int64_t api_path_id(const struct request *req, const char *name);

/* --- handlers, prechecks and body rules, by file ----------------------------- */

/* src/api/health.c */
void api_livez(struct app *app, struct request *req, struct response *res);
void api_healthz(struct app *app, struct request *req, struct response *res);
/* src/api/status.c */
void api_status(struct app *app, struct request *req, struct response *res);

/* src/api/accounts.c: chat accounts' own entry points */
extern const struct route_body api_login_body, api_register_body;
bool api_registrations_open(struct app *app, struct request *req, struct response *res);
void api_auth_login(struct app *app, struct request *req, struct response *res);
void api_auth_register(struct app *app, struct request *req, struct response *res);
void api_users_me(struct app *app, struct request *req, struct response *res);

/* src/api/admin_users.c */
extern const struct route_body api_user_create_body, api_user_patch_body;
bool api_user_id_known(struct app *app, struct request *req, struct response *res);
void api_admin_users_create(struct app *app, struct request *req, struct response *res);
void api_admin_users_search(struct app *app, struct request *req, struct response *res);
void api_admin_users_delete(struct app *app, struct request *req, struct response *res);
void api_admin_users_patch(struct app *app, struct request *req, struct response *res);

/* src/api/invites.c */
extern const struct route_body api_invite_create_body, api_register_invite_body;
void api_admin_invites_list(struct app *app, struct request *req, struct response *res);
void api_admin_invites_create(struct app *app, struct request *req, struct response *res);
void api_admin_invites_delete(struct app *app, struct request *req, struct response *res);
void api_auth_register_invite(struct app *app, struct request *req, struct response *res);
/** The route's finish: a form posted by a browser gets its answer, errors included, as a page. */
void api_register_invite_page(struct app *app, struct request *req, struct response *res);

/* src/api/voice.c */
extern const struct route_body api_region_create_body, api_server_create_body;
void api_voice_regions_list(struct app *app, struct request *req, struct response *res);
void api_voice_region_servers(struct app *app, struct request *req, struct response *res);
void api_voice_region_create(struct app *app, struct request *req, struct response *res);
void api_voice_server_create(struct app *app, struct request *req, struct response *res);
void api_voice_region_deprecate(struct app *app, struct request *req, struct response *res);

/* src/api/audit_log.c */
void api_admin_audit_log(struct app *app, struct request *req, struct response *res);

/* src/api/guilds.c */
extern const struct route_body api_guild_create_body, api_guild_patch_body, api_features_body;
bool api_guild_id_known(struct app *app, struct request *req, struct response *res);
void api_guilds_create(struct app *app, struct request *req, struct response *res);
void api_admin_guild_get(struct app *app, struct request *req, struct response *res);
void api_admin_guild_patch(struct app *app, struct request *req, struct response *res);
void api_admin_guild_delete(struct app *app, struct request *req, struct response *res);
void api_admin_guild_features_replace(struct app *app, struct request *req, struct response *res);
void api_admin_guild_features_add(struct app *app, struct request *req, struct response *res);
void api_admin_guild_features_remove(struct app *app, struct request *req, struct response *res);

/* src/api/game_admin.c */
extern const struct route_body api_game_action_body;
bool api_game_action_known(struct app *app, struct request *req, struct response *res);
void api_game_user_admin(struct app *app, struct request *req, struct response *res);
void api_game_player_admin(struct app *app, struct request *req, struct response *res);

/* src/api/game_reads.c */
bool api_game_lookup_valid(struct app *app, struct request *req, struct response *res);
void api_game_user_get(struct app *app, struct request *req, struct response *res);
void api_game_player_get(struct app *app, struct request *req, struct response *res);
void api_game_players_online(struct app *app, struct request *req, struct response *res);

/* src/api/game_lookup.c: the {lookup} path parameter of the game routes */
/**
 * A GUID (any common form, canonical into id) or a name: false after
 * answering 400 "Invalid id." (all zeros) or "Invalid name." (when res is
 * not NULL).
 */
bool api_game_key(const struct request *req, struct response *res, char id[37], const char **name);
/** 404 "No <what> found for lookup key '<lookup>'". */
void api_game_not_found(const struct request *req, struct response *res, const char *what);

/* src/api/oauth.c: the game's token endpoint */
extern const struct route_body api_oauth_token_body;
void api_oauth_token(struct app *app, struct request *req, struct response *res);
void api_game_info_authorized(struct app *app, struct request *req, struct response *res);

#endif
