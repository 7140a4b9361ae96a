/*
 * domain: the operations of both realms, each one whole.
 *
 * An operation owns the rules that are not about HTTP, its store calls, its
 * audit entry and its outbox events (domain/journal.h). The API handlers and
 * wardenctl both call it, so a mutation leaves the same records whatever its
 * entry point: what `wardenctl make-staff` does is audited exactly as a
 * PATCH /admin/users/{id} is.
 *
 * Every call gets a struct domain: who acts, for which request, against
 * which database, and the arena that owns what the operation hands back
 * (lists, documents, messages). Results are a struct domain_result: a status
 * the caller maps to its own answer (an HTTP error, an exit code) and a
 * message meant for the user, in the wording of the API the operation
 * belongs to.
 *
 * Layering: domain calls the store and the base modules, never the API.
 */
#ifndef WARDEN_DOMAIN_H
#define WARDEN_DOMAIN_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "warden/token.h"

struct arena;
struct db;

/* Discord error codes that chat NOT_FOUNDs carry. */
#define CODE_UNKNOWN_GUILD 10004
#define CODE_UNKNOWN_INVITE 10006
#define CODE_UNKNOWN_USER 10013

enum actor_realm {
    ACTOR_CHAT,      /* a chat user with a token */
    ACTOR_GAME,      /* a game user with an access token */
    ACTOR_OPERATOR,  /* someone at the host's shell, through wardenctl */
};

struct actor {
    enum actor_realm realm;
    int64_t id;           /* chat: the user's id; operator: the Unix uid */
    const char *game_id;  /* game: the user's GUID */
    const char *name;     /* username, game name, or the operator's login */
    unsigned game_rights; /* game: for authority comparisons */
};

struct domain {
    struct db *db;
    struct arena *arena;           /* owns what operations hand back */
    struct actor actor;
    const char *request_id;        /* recorded in audit entries */
    const struct token_key *key;   /* for minting tokens; NULL when none is needed */
};

enum domain_status {
    DOMAIN_OK,
    DOMAIN_NOT_FOUND,   /* the target does not exist */
    DOMAIN_INVALID,     /* one input field breaks a rule: field and message name it */
    DOMAIN_REFUSED,     /* a rule refuses the operation (taken, expired, already done...) */
    DOMAIN_FORBIDDEN,   /* the actor may not do this */
    DOMAIN_STORE_ERROR, /* the database failed: error says how */
    DOMAIN_UNRECORDED,  /* done (or refused), but its audit entry could not be written */
};

struct domain_result {
    enum domain_status status;
    const char *message;  /* every status but OK and STORE_ERROR; static or in the arena */
    const char *field;    /* DOMAIN_INVALID */
    int code;             /* a Discord error code for chat NOT_FOUNDs, else 0 */
    bson_error_t error;   /* DOMAIN_STORE_ERROR, DOMAIN_UNRECORDED */
};

/** Helpers for operations: set r and return false (OK: true). */
bool domain_ok(struct domain_result *r);
bool domain_fail(struct domain_result *r, enum domain_status status, const char *message);
bool domain_not_found(struct domain_result *r, int code, const char *message);
bool domain_invalid(struct domain_result *r, const char *field, const char *message);
/** A store failure: e is copied into r. */
bool domain_store_error(struct domain_result *r, const bson_error_t *e);
/** A failure of Warden's own (hashing, minting): answered as a store error of no kind (500). */
bool domain_internal(struct domain_result *r, const char *what);

#endif
