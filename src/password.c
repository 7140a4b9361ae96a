/*
 * password: Argon2id hashing through libsodium (see include/warden/password.h).
 */
#include "warden/password.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>


int password_hash(const char *password, size_t len, char out[PASSWORD_HASH_SIZE])
{
    return crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
               ? 0
               : -1;
}

bool password_verify(const char *stored_hash, const char *password, size_t len)
{
    if (!stored_hash || strncmp(stored_hash, "$argon2", 7) != 0)
        return false;
    return crypto_pwhash_str_verify(stored_hash, password, len) == 0;
}

/* An Argon2id hash, with the limits password_hash uses, of 32 random bytes
 * that were thrown away: verifying against it costs what a real check costs,
 * and no password matches it. Fixed, so the first failed login of a worker
 * costs no more than the others. */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$/aK8Iq61xj2emAQKFjxfLA$iLaOtdHYKCQl6TECFJiRxAtKnwcoWrG4iwZIuZxB04A";

void password_verify_dummy(const char *password, size_t len)
{
    if (crypto_pwhash_str_verify(dummy_hash, password, len) == 0)
        return; /* cannot happen: nobody knows the dummy's password */
}

void password_unusable(char out[PASSWORD_HASH_SIZE])
{
    /* Not an Argon2 string, so password_verify refuses it before hashing;
     * random so that a token key derived from it is unguessable. */
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, random, sizeof random);
    snprintf(out, PASSWORD_HASH_SIZE, "!disabled!%s", hex);
}

void password_sha256_hex(const char *text, size_t len, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)text, len);
    sodium_bin2hex(out, 65, digest, sizeof digest);
    sodium_memzero(digest, sizeof digest);
}

bool password_normalise_sha256_hex(const char *s, size_t len, char out[65])
{
    /* Decoded and encoded again: lower-case digits whatever the case that came. */
    unsigned char digest[crypto_hash_sha256_BYTES];
    size_t digest_len;
    if (len != 2 * sizeof digest ||
        sodium_hex2bin(digest, sizeof digest, s, len, NULL, &digest_len, NULL) != 0 ||
        digest_len != sizeof digest)
        return false;
    sodium_bin2hex(out, 65, digest, sizeof digest);
    sodium_memzero(digest, sizeof digest); /* it stands for the password */
    return true;
}
