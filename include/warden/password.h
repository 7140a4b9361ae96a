/*
 * password: slow salted password hashes (libsodium's Argon2id,
 * crypto_pwhash_str with the "interactive" limits).
 *
 * The game realm's clients send SHA-256 hex of the plaintext instead of the
 * plaintext; that hex (lower-cased) is what gets hashed, never stored as is.
 * Hashing is only ever done at login, registration and password changes:
 * per-request authentication uses tokens.
 */
#ifndef WARDEN_PASSWORD_H
#define WARDEN_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_SIZE 128 /* crypto_pwhash_STRBYTES */

/** Hash len bytes of password into out. Returns 0, or -1 when out of memory. */
int password_hash(const char *password, size_t len, char out[PASSWORD_HASH_SIZE]);
/** Whether password matches the stored hash. */
bool password_verify(const char *stored_hash, const char *password, size_t len);
/**
 * Spend the time of a verification without a hash (the account does not
 * exist), so that "unknown account" and "wrong password" cannot be told apart
 * by timing.
 */
void password_verify_dummy(const char *password, size_t len);

/** An unusable stored value: never matches any password (for deleted accounts). */
void password_unusable(char out[PASSWORD_HASH_SIZE]);

/** SHA-256 of text as 64 lower-case hex digits (what game clients send). */
void password_sha256_hex(const char *text, size_t len, char out[65]);
/**
 * Normalise a client-sent SHA-256 hex digest: 64 hex digits in any case to
 * lower case in out. Returns false when it is not 64 hex digits.
 */
bool password_normalise_sha256_hex(const char *s, size_t len, char out[65]);

#endif
