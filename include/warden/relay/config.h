/*
 * relay/config: warden-relay's settings, read from the environment (which
 * --env-file and the command line fill first: relay_main.c), and the
 * endpoint each event goes to.
 *
 * Endpoints: WARDEN_RELAY_GATEWAY_URL takes every gateway_events document,
 * WARDEN_RELAY_GAME_URL every game_commands document, and
 * WARDEN_RELAY_<TYPE>_URL (TYPE upper-cased: GUILD_UPDATE, KICK...) one
 * type, ahead of its outbox's. Each URL has its secret in
 * WARDEN_..._SECRET or the file WARDEN_..._SECRET_FILE names.
 */
#ifndef WARDEN_RELAY_CONFIG_H
#define WARDEN_RELAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/log.h"
#include "warden/relay/webhook.h"

/* The two outboxes and the nine event types. */
#define RELAY_ENDPOINTS_MAX 11
#define RELAY_URL_MAX 2048

struct relay_endpoint {
    char name[32];            /* "gateway", "game", or the type lower-cased */
    char url[RELAY_URL_MAX];
    struct webhook_key key;
    bool game;                /* game_commands' (else gateway_events') */
    const char *type;         /* the one type it takes, NULL: its whole outbox */
};

struct relay_config {
    char mongodb_uri[1024];
    struct relay_endpoint endpoints[RELAY_ENDPOINTS_MAX];
    size_t n_endpoints;
    int timeout_ms;
    int backoff_min_ms, backoff_max_ms;
    int64_t max_age_ms;
    int64_t retention_ms;
    int poll_ms;
    int lease_ms;
    int late_ms;
    int settle_ms;
    int concurrency;
    char metrics[256];        /* HOST:PORT, "" = off */
    char id[128];
    enum log_level log_level;
};

/**
 * Fill *c from the environment (defaults for what is unset). Returns 0, or
 * -1 with one line in err naming the variable at fault (no endpoint at all
 * is an error too).
 */
int relay_config_load(struct relay_config *c, char *err, size_t err_size);

/** The endpoint of an event of type in its outbox (game: game_commands), or NULL. */
const struct relay_endpoint *relay_endpoint_for(const struct relay_config *c, bool game,
                                                const char *type);

/** Forget the keys (wipe them). */
void relay_config_wipe(struct relay_config *c);

#endif
