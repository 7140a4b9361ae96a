/*
 * relay/webhook: one outbox document as a Standard Webhooks request: its
 * body, and the signature of the body.
 *
 * Secrets are written as Standard Webhooks writes them, "whsec_" followed
 * by the base64 of 24 to 64 random bytes; those bytes are the HMAC-SHA256
 * key. The signature of an attempt is "v1," + base64(HMAC-SHA256(key,
 * "<webhook-id>.<webhook-timestamp>.<body>")), base64 with padding.
 */
#ifndef WARDEN_RELAY_WEBHOOK_H
#define WARDEN_RELAY_WEBHOOK_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/buf.h"

#define WEBHOOK_KEY_MIN 24
#define WEBHOOK_KEY_MAX 64
/* "v1," + base64 of 32 bytes (44) + NUL. */
#define WEBHOOK_SIGNATURE_SIZE 48

struct webhook_key {
    unsigned char bytes[WEBHOOK_KEY_MAX];
    size_t len;
};

/**
 * The key of a "whsec_..." secret into *key. Returns false with one line in
 * err (naming no part of the secret) when it is malformed or its key is not
 * WEBHOOK_KEY_MIN..WEBHOOK_KEY_MAX bytes.
 */
bool webhook_key_parse(const char *secret, struct webhook_key *key, char *err, size_t err_size);

/** The webhook-signature value of (id, timestamp, body) into out. */
void webhook_sign(const struct webhook_key *key, const char *id, int64_t timestamp,
                  const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_SIZE]);

/**
 * The JSON body of an outbox document (the README's webhook contract):
 *   gateway_events: {type, timestamp, guild_id?, user_id?, data}
 *   game_commands:  {type, timestamp, data: {player_id, user_id, map_id?, x?, y?, reason?}}
 * ids as decimal strings, timestamp the document's created_at as the APIs
 * render dates. game is set for game_commands.
 */
void webhook_body(const bson_t *event, bool game, struct buf *out);

#endif
