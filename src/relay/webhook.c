/*
 * relay/webhook: bodies and signatures (see include/warden/relay/webhook.h).
 */
#include "warden/relay/webhook.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "warden/doc.h"
#include "warden/jsonw.h"

#define SECRET_PREFIX "whsec_"

bool webhook_key_parse(const char *secret, struct webhook_key *key, char *err, size_t err_size)
{
    size_t plen = strlen(SECRET_PREFIX);
    if (strncmp(secret, SECRET_PREFIX, plen) != 0) {
        snprintf(err, err_size, "a webhook secret starts with %s (then base64)", SECRET_PREFIX);
        return false;
    }
    const char *b64 = secret + plen;
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin(key->bytes, sizeof key->bytes, b64, strlen(b64), NULL, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        *end != '\0') {
        snprintf(err, err_size, "the webhook secret after %s is not base64 of at most %d bytes",
                 SECRET_PREFIX, WEBHOOK_KEY_MAX);
        sodium_memzero(key, sizeof *key);
        return false;
    }
    if (len < WEBHOOK_KEY_MIN) {
        snprintf(err, err_size, "the webhook secret's key is %zu bytes; at least %d are needed",
                 len, WEBHOOK_KEY_MIN);
        sodium_memzero(key, sizeof *key);
        return false;
    }
    key->len = len;
    return true;
}

void webhook_sign(const struct webhook_key *key, const char *id, int64_t timestamp,
                  const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_SIZE])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24];
    int ts_len = snprintf(ts, sizeof ts, "%" PRId64, timestamp);
    crypto_auth_hmacsha256_init(&st, key->bytes, key->len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)ts_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, WEBHOOK_SIGNATURE_SIZE - 3, mac, sizeof mac,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(&st, sizeof st);
}

/* "key": the id field of event as a decimal string, when it is there. */
static void id_field(struct jsonw *w, const bson_t *event, const char *key)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, event, key) && BSON_ITER_HOLDS_INT64(&it)) {
        jsonw_key(w, key);
        jsonw_id(w, bson_iter_int64(&it));
    }
}

/* "key": a field of event as it is stored, when it is there. */
static void copy_field(struct jsonw *w, const bson_t *event, const char *key)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, event, key)) {
        jsonw_key(w, key);
        jsonw_bson_value(w, &it);
    }
}

void webhook_body(const bson_t *event, bool game, struct buf *out)
{
    struct jsonw w;
    jsonw_init(&w, out);
    jsonw_object_begin(&w);
    copy_field(&w, event, "type");
    jsonw_key(&w, "timestamp");
    jsonw_date(&w, doc_date(event, "created_at", 0));
    if (!game) {
        id_field(&w, event, "guild_id");
        id_field(&w, event, "user_id");
        bson_iter_t it;
        jsonw_key(&w, "data");
        if (bson_iter_init_find(&it, event, "data") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
            jsonw_bson_value(&w, &it);
        } else {
            jsonw_object_begin(&w);
            jsonw_object_end(&w);
        }
    } else {
        static const char *const fields[] = {"player_id", "user_id", "map_id", "x", "y", "reason"};
        jsonw_key(&w, "data");
        jsonw_object_begin(&w);
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
            copy_field(&w, event, fields[i]);
        jsonw_object_end(&w);
    }
    jsonw_object_end(&w);
}
