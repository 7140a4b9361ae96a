/*
 * store/users: chat accounts (collection `users`) and the email claims that
 * make emails unique without a partial index (collection `user_emails`,
 * _id = lower-cased email).
 *
 * users: {_id: Int64 snowflake, username, discriminator ("0001".."9999"),
 *         email (string|null), password_hash, flags (Int64), avatar (null|str),
 *         bio, accent_color (null|int), premium, premium_type (null), bot,
 *         verified, mfa_enabled, phone (null), created_at (date)}
 * unique index (username, discriminator).
 */
#ifndef WARDEN_STORE_USERS_H
#define WARDEN_STORE_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/password.h"
#include "warden/store.h"

struct user {
    int64_t id;
    char username[64];
    char discriminator[8];
    char email[256];           /* "" = none (deleted users) */
    char password_hash[PASSWORD_HASH_SIZE];
    int64_t flags;
    char avatar[128];          /* "" = null */
    char bio[256];
    int64_t accent_color;      /* -1 = null */
    bool premium;
    bool bot;
    bool verified;
    bool mfa_enabled;
    int64_t created_at;        /* ms */
};

#define USER_FLAG_STAFF 1

enum user_create_problem {
    USER_CREATE_OK,
    USER_CREATE_EMAIL_TAKEN,   /* "Email already used." */
    USER_CREATE_TOO_MANY,      /* more than 9000 users with this username: "Too many people." */
};

struct user_new {
    const char *username;
    const char *email;
    const char *password_hash;
    int64_t flags;
    bool verified;
};

/**
 * Create a user with a free random discriminator. STORE_OK fills out;
 * STORE_DUPLICATE sets *problem; STORE_ERROR fills e. The email claim is
 * taken first and released again if the account is not created.
 */
enum store_status store_users_create(struct db *db, const struct user_new *in, struct user *out,
                                     enum user_create_problem *problem, bson_error_t *e);

enum store_status store_users_get(struct db *db, int64_t id, struct user *out, bson_error_t *e);
/** By email, case-insensitively (through the claim). */
enum store_status store_users_find_by_email(struct db *db, const char *email, struct user *out,
                                            bson_error_t *e);
enum store_status store_users_find_by_tag(struct db *db, const char *username,
                                          const char *discriminator, struct user *out,
                                          bson_error_t *e);

enum store_status store_users_set_flags(struct db *db, int64_t id, int64_t flags, bson_error_t *e);
enum store_status store_users_set_password(struct db *db, int64_t id, const char *password_hash,
                                           bson_error_t *e);

/** Fill a user from a users document. */
void store_users_from_doc(const bson_t *doc, struct user *out);

#endif
