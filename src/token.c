/*
 * token: chat and game bearer tokens (see include/warden/token.h).
 */
#include "warden/token.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "warden/parse.h"

#define CHAT_LABEL "warden chat token v1"
#define GAME_LABEL "warden game access token v1"

static void derive_key(const struct token_key *key, const char *label, const char *extra,
                       unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key->secret, key->secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, strlen(label) + 1);
    if (extra)
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)extra, strlen(extra));
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

static void sign(const unsigned char k[crypto_auth_hmacsha256_BYTES], const char *data, size_t len,
                 unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k, crypto_auth_hmacsha256_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

static size_t b64(char *out, size_t out_size, const unsigned char *bin, size_t len, int variant)
{
    if (sodium_base64_encoded_len(len, variant) > out_size)
        return 0;
    sodium_bin2base64(out, out_size, bin, len, variant);
    return strlen(out);
}

int token_chat_mint(const struct token_key *key, int64_t user_id, int64_t ts,
                    const char *password_hash, char *out, size_t out_size)
{
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%" PRId64, user_id);
    /* Zeroed: time 0 has no significant byte and is written as the single byte 0. */
    unsigned char ts_bytes[8] = {0};
    size_t ts_len = 0;
    /* Big-endian, without leading zero bytes (itsdangerous's timestamp encoding). */
    for (int shift = 56; shift >= 0; shift -= 8) {
        unsigned char byte = (unsigned char)((uint64_t)ts >> shift);
        if (byte || ts_len)
            ts_bytes[ts_len++] = byte;
    }
    char part1[64], part2[32];
    if (!b64(part1, sizeof part1, (const unsigned char *)id_text, strlen(id_text),
             sodium_base64_VARIANT_ORIGINAL) ||
        !b64(part2, sizeof part2, ts_bytes, ts_len ? ts_len : 1,
             sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return -1;
    char payload[100];
    int n = snprintf(payload, sizeof payload, "%s.%s", part1, part2);
    unsigned char k[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
    derive_key(key, CHAT_LABEL, password_hash, k);
    sign(k, payload, (size_t)n, mac);
    sodium_memzero(k, sizeof k);
    char part3[64];
    b64(part3, sizeof part3, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if ((size_t)snprintf(out, out_size, "%s.%s", payload, part3) >= out_size)
        return -1;
    return 0;
}

bool token_chat_user_id(const char *token, int64_t *user_id)
{
    const char *dot = strchr(token, '.');
    size_t len = dot ? (size_t)(dot - token) : strlen(token);
    if (len == 0 || len > 40)
        return false;
    unsigned char bin[32];
    size_t bin_len = 0;
    if (sodium_base642bin(bin, sizeof bin - 1, token, len, NULL, &bin_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 &&
        sodium_base642bin(bin, sizeof bin - 1, token, len, NULL, &bin_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
        return false;
    if (bin_len == 0 || bin_len > 19)
        return false;
    for (size_t i = 0; i < bin_len; i++)
        if (bin[i] < '0' || bin[i] > '9')
            return false;
    bin[bin_len] = '\0';
    int64_t id;
    if (parse_int64((const char *)bin, 1, INT64_MAX, &id) < 0)
        return false;
    *user_id = id;
    return true;
}

/*
 * Whether sig (B64URL) is the HMAC of the first signed_len bytes of token
 * under the key derived from label and extra; compared in constant time.
 */
static bool signature_matches(const struct token_key *key, const char *label, const char *extra,
                              const char *token, size_t signed_len, const char *sig)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES + 1];
    size_t mac_len = 0;
    if (sodium_base642bin(mac, sizeof mac, sig, strlen(sig), NULL, &mac_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        mac_len != crypto_auth_hmacsha256_BYTES)
        return false;
    unsigned char k[crypto_auth_hmacsha256_BYTES], expected[crypto_auth_hmacsha256_BYTES];
    derive_key(key, label, extra, k);
    sign(k, token, signed_len, expected);
    sodium_memzero(k, sizeof k);
    return sodium_memcmp(expected, mac, sizeof expected) == 0;
}

bool token_chat_verify(const struct token_key *key, const char *token, const char *password_hash)
{
    const char *first = strchr(token, '.');
    const char *second = first ? strchr(first + 1, '.') : NULL;
    if (!second || strchr(second + 1, '.'))
        return false;
    return signature_matches(key, CHAT_LABEL, password_hash, token, (size_t)(second - token),
                             second + 1);
}

int token_game_mint(const struct token_key *key, const struct game_claims *claims, char *out,
                    size_t out_size)
{
    char payload[160];
    int n = snprintf(payload, sizeof payload, "g1|%s|%" PRId64 "|%" PRId64 "|%s", claims->user_id,
                     claims->issued, claims->expires, claims->stamp);
    if (n < 0 || (size_t)n >= sizeof payload)
        return -1;
    char part1[240];
    if (!b64(part1, sizeof part1, (const unsigned char *)payload, (size_t)n,
             sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return -1;
    unsigned char k[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
    derive_key(key, GAME_LABEL, NULL, k);
    sign(k, part1, strlen(part1), mac);
    sodium_memzero(k, sizeof k);
    char part2[64];
    b64(part2, sizeof part2, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if ((size_t)snprintf(out, out_size, "%s.%s", part1, part2) >= out_size)
        return -1;
    return 0;
}

bool token_game_verify(const struct token_key *key, const char *token, int64_t now,
                       struct game_claims *claims)
{
    size_t len = strlen(token);
    const char *dot = strchr(token, '.');
    if (!dot || len > TOKEN_MAX || strchr(dot + 1, '.'))
        return false;
    if (!signature_matches(key, GAME_LABEL, NULL, token, (size_t)(dot - token), dot + 1))
        return false;

    char payload[200];
    size_t payload_len = 0;
    if (sodium_base642bin((unsigned char *)payload, sizeof payload - 1, token, (size_t)(dot - token),
                          NULL, &payload_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    payload[payload_len] = '\0';
    /* g1|guid|issued|expires|stamp */
    char *fields[5];
    int count = 0;
    char *p = payload;
    while (count < 5) {
        fields[count++] = p;
        char *bar = strchr(p, '|');
        if (!bar)
            break;
        *bar = '\0';
        p = bar + 1;
    }
    if (count != 5 || strcmp(fields[0], "g1") != 0 || strlen(fields[1]) != GUID_STRING_SIZE - 1 ||
        strlen(fields[4]) != TOKEN_STAMP_SIZE - 1)
        return false;
    if (parse_int64(fields[2], 0, INT64_MAX, &claims->issued) < 0 ||
        parse_int64(fields[3], 0, INT64_MAX, &claims->expires) < 0)
        return false;
    if (claims->expires <= now)
        return false;
    memcpy(claims->user_id, fields[1], GUID_STRING_SIZE);
    memcpy(claims->stamp, fields[4], TOKEN_STAMP_SIZE);
    return true;
}

void token_new_stamp(char out[TOKEN_STAMP_SIZE])
{
    unsigned char random[16];
    randombytes_buf(random, sizeof random);
    sodium_bin2hex(out, TOKEN_STAMP_SIZE, random, sizeof random);
}
