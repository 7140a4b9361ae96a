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
 *
 * user_tags: {_id: "<username>#<discriminator>", user_id, created_at}
 *   the claim that makes a tag taken and finds a user by it; inserted
 *   before the account, moved by renames (the new one inserted, the old one
 *   deleted). Postings for search: include/warden/store/user_search.h.
 * username_joins: {_id: "<username>#<ordinal, 10 digits>", user_id, created_at}
 *   one per creation under the name, never deleted: the highest ordinal
 *   bounds the name's users from above without a count.
 * staff_grants: {_id: Int64 user id, granted_at}
 *   the staff bit (1) of a user's flags. It is a document of its own, so that
 *   no write of `flags` (which FerretDB v1 applies as a read and a rewrite of
 *   the whole document) can restore or grant it: it is granted by an insert
 *   and revoked by a delete, both by _id, and only store_users_set_staff
 *   does either. The flags read from a users document never carry it.
 */
#ifndef WARDEN_STORE_USERS_H
#define WARDEN_STORE_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/password.h"
#include "warden/store.h"
#include "warden/valid.h"

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

/** By _id. STORE_NOT_FOUND: no such user. */
enum store_status store_users_get(struct db *db, int64_t id, struct user *out, bson_error_t *e);
/** By email, case-insensitively (through the claim). STORE_NOT_FOUND: no user has it. */
enum store_status store_users_find_by_email(struct db *db, const char *email, struct user *out,
                                            bson_error_t *e);
/** By username and discriminator (the tag claim). STORE_NOT_FOUND: no user has the tag. */
enum store_status store_users_find_by_tag(struct db *db, const char *username,
                                          const char *discriminator, struct user *out,
                                          bson_error_t *e);

/** Set the flags other than staff (its bit in flags is ignored). */
enum store_status store_users_set_flags(struct db *db, int64_t id, int64_t flags, bson_error_t *e);
/** Grant (an insert) or revoke (a delete) the staff bit; doing either twice is STORE_OK. */
enum store_status store_users_set_staff(struct db *db, int64_t id, bool staff, bson_error_t *e);
/**
 * Schema step of version 2: the staff bit of users stored by an earlier
 * release (in users.flags) becomes a grant, and leaves the flags. Run only
 * while the schema is being set up (no request writes then); idempotent.
 * *moved counts the users converted.
 */
enum store_status store_users_staff_to_grants(struct db *db, int64_t *moved, bson_error_t *e);
/** Set the staff bit in the flags of each of users that holds a grant (one query). */
enum store_status store_users_add_staff_bits(struct db *db, struct user *users, size_t n,
                                             bson_error_t *e);
enum store_status store_users_set_password(struct db *db, int64_t id, const char *password_hash,
                                           bson_error_t *e);

/** A search (store_user_search, include/warden/store/user_search.h). */
struct user_query {
    const char *username;       /* substring, matched literally and case-sensitively; NULL = any */
    const char *discriminator;  /* exact; NULL = any */
    int64_t skip, limit;
};

/**
 * Soft-delete: username becomes "Deleted User " + 8 hex digits, email,
 * avatar, phone and premium are cleared, flags 0, mfa and verified false,
 * the password hash replaced by an unusable value (which revokes every
 * token); the discriminator stays. before/after receive both states.
 */
enum store_status store_users_soft_delete(struct db *db, int64_t id, struct user *before,
                                          struct user *after, bson_error_t *e);

/**
 * Write the tag claim and search postings of a user stored without them
 * (by an earlier release, or by hand); present ones are kept.
 */
enum store_status store_users_index_existing(struct db *db, const struct user *u, bson_error_t *e);
/**
 * Backfill step: store_users_index_existing for every user, in id order,
 * then join ordinals 1..k for each name's k tag claims.
 */
enum store_status store_users_backfill(struct db *db, int64_t *written, bson_error_t *e);

/** Append a user's public fields to doc (for audit and outbox documents). */
void store_users_append_public(bson_t *doc, const struct user *u);

/*
 * Document builders, for the store itself and for bulk loaders (the bench
 * seed) that must write exactly what the store writes.
 */
/** A users document. */
void store_users_build_doc(bson_t *doc, int64_t id, const struct user_new *in,
                           const char *discriminator, int64_t now);
/** A claim document of user_emails or user_tags: {_id: key, user_id, created_at}. */
void store_users_build_claim(bson_t *doc, const char *key, int64_t user_id, int64_t now);
/** The user_tags key of a tag: "<username>#<discriminator>". */
void store_users_tag_key(const char *username, const char *discriminator, char *out, size_t size);
/** The username_joins key of a name's ordinal: "<username>#<10 digits>". */
void store_users_join_key(const char *username, int64_t ordinal, char *out, size_t size);
/** The user_emails key of an email: lower-cased, at most EMAIL_MAX bytes. */
void store_users_email_key(const char *email, char out[EMAIL_MAX + 1]);

/** Fill a user from a users document. */
void store_users_from_doc(const bson_t *doc, struct user *out);

#endif
