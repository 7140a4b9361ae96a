/*
 * outbox_endpoint: which configured endpoint an outbox event goes to, the
 * one rule warden-relay delivers by and `wardenctl outbox status` reports by.
 *
 * An event of outbox gateway_events goes to the endpoint `gateway`, one of
 * game_commands to `game`, unless WARDEN_RELAY_<TYPE>_URL is set (not empty)
 * for its type: then to the endpoint named by the lower-cased type
 * (`guild_update`, `kick`). TYPE is the event's type upper-cased, and only a
 * type the outbox writes has an endpoint of its own (OUTBOX_GATEWAY_TYPES,
 * OUTBOX_GAME_TYPES): any other type goes to the outbox's endpoint.
 *
 * The settings come through a getter, so the relay (its environment, its env
 * file) and wardenctl (its environment after the env file) share the rule.
 * Pure: no allocation, no I/O beyond the getter.
 */
#ifndef WARDEN_OUTBOX_ENDPOINT_H
#define WARDEN_OUTBOX_ENDPOINT_H

#include <stdbool.h>

#define OUTBOX_GATEWAY "gateway_events"
#define OUTBOX_GAME "game_commands"

/* The event types each outbox writes (store/events.h), as stored. */
#define OUTBOX_GATEWAY_TYPES {"USER_UPDATE", "USER_DISCONNECT", "GUILD_UPDATE", "GUILD_DELETE", NULL}
#define OUTBOX_GAME_TYPES {"kick", "kill", "warp", "disconnect", "mute", NULL}

/* Longest endpoint name ("user_disconnect") and variable prefix, with the NUL. */
#define OUTBOX_ENDPOINT_NAME_SIZE 32
#define OUTBOX_ENDPOINT_PREFIX_SIZE 48

/** A setting by name: its value, or NULL when unset. ctx is the getter's own. */
typedef const char *(*outbox_env_fn)(const char *name, void *ctx);

struct outbox_endpoint {
    char name[OUTBOX_ENDPOINT_NAME_SIZE];     /* "gateway", "game", or e.g. "guild_update" */
    char prefix[OUTBOX_ENDPOINT_PREFIX_SIZE]; /* its variables' prefix, e.g. "WARDEN_RELAY_GATEWAY":
                                                 append "_URL", "_SECRET", "_SECRET_FILE" */
    bool configured;                          /* its _URL is set and not empty */
};

/**
 * The endpoint of an event of outbox (OUTBOX_GATEWAY or OUTBOX_GAME) with
 * type (as stored; NULL or unknown: the outbox's endpoint) into *out, the
 * settings read through get(name, ctx). Returns false, *out untouched, when
 * outbox is neither outbox.
 */
bool outbox_endpoint_of(const char *outbox, const char *type, outbox_env_fn get, void *ctx,
                        struct outbox_endpoint *out);

/**
 * The types outbox writes, as a NULL-terminated list of static strings
 * (OUTBOX_GATEWAY_TYPES or OUTBOX_GAME_TYPES); NULL for any other outbox.
 */
const char *const *outbox_endpoint_types(const char *outbox);

/** A getter over the process environment (getenv; an empty value counts as unset). */
const char *outbox_endpoint_getenv(const char *name, void *ctx);

#endif
