/*
 * token_fuzz: the bearer tokens of both realms and the game's GUIDs, as they
 * arrive in an Authorization header or a path.
 *
 * Input, by its first byte:
 *   0x01  chat mint: user id (8 bytes, little-endian), issued (8), then the
 *         password hash; the token is minted and read back.
 *   0x02  game mint: issued (8), expires (8), then up to 36 bytes of user id
 *         and up to 32 of stamp (each ends early at a NUL); minted, read back.
 *   else  the whole input is a token (up to a NUL), as a client sends it.
 * Every token is signed with one fixed 32-byte key (seeds minted with it are
 * in tests/fuzz/corpus/token/, so the fuzzer starts from valid signatures).
 *
 * Properties: a client's token is read without a crash, and only yields
 * positive user ids; a minted token reads back to exactly what was minted,
 * fails with another key, another password hash or one byte less; a game
 * token verifies exactly when its claims have the shape the verifier wants;
 * guid_parse accepts exactly the N, D, B and P forms, into canonical text.
 */
#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "fuzz.h"
#include "warden/guid.h"
#include "warden/token.h"

#define NOW INT64_C(1700000000) /* 2023-11-14, a fixed "now" for expiry */

static const unsigned char secret[32] = "warden-fuzz-key-0123456789abcdef";
static const unsigned char other_secret[32] = "warden-fuzz-key-0123456789abcdeF";
static const struct token_key key = {secret, sizeof secret};
static const struct token_key other_key = {other_secret, sizeof other_secret};
static const char password_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$8WZbvbV0Q3x9lVvXQ2bV3pXcKqG0bq0I1cYbXH5PmVg";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    return 0;
}

static int64_t read_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* Reference for guid_parse: the 32 hex digits of an accepted form, or false. */
static bool ref_guid(const char *s, char digits[33])
{
    size_t len = strlen(s);
    const char *body = s;
    size_t body_len = len;
    if (len == 38 && ((s[0] == '{' && s[37] == '}') || (s[0] == '(' && s[37] == ')'))) {
        body = s + 1;
        body_len = 36;
    } else if (len != 36 && len != 32) {
        return false;
    }
    size_t d = 0;
    for (size_t i = 0; i < body_len; i++) {
        bool hyphen_slot = body_len == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
        if (hyphen_slot) {
            if (body[i] != '-')
                return false;
        } else if (isxdigit((unsigned char)body[i])) {
            digits[d++] = (char)tolower((unsigned char)body[i]);
        } else {
            return false;
        }
    }
    digits[d] = '\0';
    return d == 32;
}

static void check_guid(const char *s)
{
    char out[GUID_STRING_SIZE];
    char digits[33];
    bool ok = guid_parse(s, out);
    FUZZ_CHECK(ok == ref_guid(s, digits));
    if (!ok)
        return;
    FUZZ_CHECK(strlen(out) == 36);
    char plain[33];
    size_t d = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            FUZZ_CHECK(out[i] == '-');
        else
            plain[d++] = out[i];
    }
    plain[d] = '\0';
    FUZZ_CHECK(strcmp(plain, digits) == 0);
    char again[GUID_STRING_SIZE];
    FUZZ_CHECK(guid_parse(out, again) && strcmp(again, out) == 0);
}

static void check_client_token(const char *token)
{
    int64_t id = 0;
    if (token_chat_user_id(token, &id))
        FUZZ_CHECK(id > 0);
    (void)token_chat_verify(&key, token, password_hash);
    (void)token_chat_verify(&key, token, "");
    struct game_claims claims;
    if (token_game_verify(&key, token, NOW, &claims)) {
        FUZZ_CHECK(strlen(claims.user_id) == GUID_STRING_SIZE - 1);
        FUZZ_CHECK(strlen(claims.stamp) == TOKEN_STAMP_SIZE - 1);
        FUZZ_CHECK(claims.expires > NOW && claims.issued >= 0);
    }
    check_guid(token);
}

/* The token with its last byte dropped. */
static void check_truncated_fails(const char *token, bool game, const char *hash)
{
    size_t len = strlen(token);
    char cut[TOKEN_MAX + 1];
    FUZZ_CHECK(len > 0 && len <= TOKEN_MAX);
    memcpy(cut, token, len - 1);
    cut[len - 1] = '\0';
    struct game_claims claims;
    if (game)
        FUZZ_CHECK(!token_game_verify(&key, cut, NOW, &claims));
    else
        FUZZ_CHECK(!token_chat_verify(&key, cut, hash));
}

static void check_chat_mint(const uint8_t *data, size_t size)
{
    if (size < 16)
        return;
    int64_t user_id = read_i64(data);
    int64_t ts = read_i64(data + 8);
    char hash[200];
    size_t n = size - 16 < sizeof hash - 1 ? size - 16 : sizeof hash - 1;
    memcpy(hash, data + 16, n);
    hash[n] = '\0';

    char token[TOKEN_MAX];
    if (token_chat_mint(&key, user_id, ts, hash, token, sizeof token) < 0)
        return;
    int64_t id = 0;
    bool has_id = token_chat_user_id(token, &id);
    FUZZ_CHECK(has_id == (user_id > 0));
    FUZZ_CHECK(!has_id || id == user_id);
    FUZZ_CHECK(token_chat_verify(&key, token, hash));
    FUZZ_CHECK(!token_chat_verify(&other_key, token, hash));
    char other_hash[sizeof hash + 1];
    snprintf(other_hash, sizeof other_hash, "%s.", hash);
    FUZZ_CHECK(!token_chat_verify(&key, token, other_hash));
    check_truncated_fails(token, false, hash);

    /* The middle part is the issue time, big-endian without leading zero bytes. */
    const char *first = strchr(token, '.');
    const char *second = strchr(first + 1, '.');
    unsigned char ts_bytes[16];
    size_t ts_len = 0;
    FUZZ_CHECK(sodium_base642bin(ts_bytes, sizeof ts_bytes, first + 1, (size_t)(second - first - 1),
                                 NULL, &ts_len, NULL,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
    uint64_t decoded = 0;
    for (size_t i = 0; i < ts_len; i++)
        decoded = decoded << 8 | ts_bytes[i];
    FUZZ_CHECK(ts_len >= 1 && ts_len <= 8 && decoded == (uint64_t)ts);
    FUZZ_CHECK(ts_len == 1 || ts_bytes[0] != 0);
}

/* Copy up to max bytes (stopping at a NUL) into out; advances *p and *left. */
static void take(const uint8_t **p, size_t *left, size_t max, char *out)
{
    size_t n = 0;
    while (n < max && n < *left && (*p)[n])
        n++;
    memcpy(out, *p, n);
    out[n] = '\0';
    size_t skip = n < *left && n < max ? n + 1 : n; /* and its NUL */
    *p += skip;
    *left -= skip;
}

static void check_game_mint(const uint8_t *data, size_t size)
{
    if (size < 16)
        return;
    struct game_claims claims;
    memset(&claims, 0, sizeof claims);
    claims.issued = read_i64(data);
    claims.expires = read_i64(data + 8);
    const uint8_t *p = data + 16;
    size_t left = size - 16;
    take(&p, &left, GUID_STRING_SIZE - 1, claims.user_id);
    take(&p, &left, TOKEN_STAMP_SIZE - 1, claims.stamp);

    char token[TOKEN_MAX + 1];
    FUZZ_CHECK(token_game_mint(&key, &claims, token, sizeof token) == 0);
    /* '|' separates the claims, in the stamp too (a sixth field is cut off). */
    bool shaped = strlen(claims.user_id) == GUID_STRING_SIZE - 1 && !strchr(claims.user_id, '|') &&
                  strlen(claims.stamp) == TOKEN_STAMP_SIZE - 1 && !strchr(claims.stamp, '|') &&
                  claims.issued >= 0 && claims.expires > NOW;
    struct game_claims back;
    bool ok = token_game_verify(&key, token, NOW, &back);
    FUZZ_CHECK(ok == shaped);
    if (ok) {
        FUZZ_CHECK(strcmp(back.user_id, claims.user_id) == 0);
        FUZZ_CHECK(strcmp(back.stamp, claims.stamp) == 0);
        FUZZ_CHECK(back.issued == claims.issued && back.expires == claims.expires);
        FUZZ_CHECK(!token_game_verify(&other_key, token, NOW, &back));
        FUZZ_CHECK(!token_game_verify(&key, token, claims.expires, &back));
        check_truncated_fails(token, true, NULL);
    }
    /* Minted tokens go through the client path too. */
    check_client_token(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 0x01) {
        check_chat_mint(data + 1, size - 1);
    } else if (size > 0 && data[0] == 0x02) {
        check_game_mint(data + 1, size - 1);
    } else {
        char *token = malloc(size + 1);
        memcpy(token, data, size);
        token[size] = '\0';
        check_client_token(token);
        free(token);
    }
    return 0;
}
