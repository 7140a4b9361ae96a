/*
 * domain/accounts: chat accounts: creation, sign-in, tokens, flags,
 * passwords, soft deletion.
 *
 * Records: an account created by staff or an operator is audited as
 * user.create (self-registration, open or by invite, is not an admin
 * mutation and is not); a flags change is audited as user.update and sent
 * to the gateway as USER_UPDATE; a soft deletion is user.delete plus
 * USER_DISCONNECT; a password change is user.password plus USER_DISCONNECT,
 * since every token the user held stops working.
 *
 * Messages are the chat API's: "Email already used.", "Too many people.",
 * "Invalid email or password.", "you can not change a users staff badge".
 */
#ifndef WARDEN_DOMAIN_ACCOUNTS_H
#define WARDEN_DOMAIN_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/domain/domain.h"
#include "warden/store/users.h"

struct account_new {
    const char *username;  /* already a valid chat username */
    const char *email;     /* already a valid address */
    const char *password;
    size_t password_len;
    int64_t flags;
};

/** Self-registration: create the account, no audit entry. REFUSED: taken email, name full. */
bool accounts_register(const struct domain *d, const struct account_new *in, struct user *out,
                       struct domain_result *r);
/** Creation by staff or an operator: accounts_register plus user.create. */
bool accounts_create(const struct domain *d, const struct account_new *in, struct user *out,
                     struct domain_result *r);

/**
 * Check an email and password; REFUSED "Invalid email or password." for an
 * unknown email and a wrong password alike, in about the same time.
 */
bool accounts_login(const struct domain *d, const char *email, size_t email_len,
                    const char *password, size_t password_len, struct user *out,
                    struct domain_result *r);

/** A chat token for u, issued now with d->key. false only if minting fails. */
bool accounts_token(const struct domain *d, const struct user *u, char out[TOKEN_MAX]);

/** By id. NOT_FOUND code 10013 "Unknown user". */
bool accounts_get(const struct domain *d, int64_t id, struct user *out, struct domain_result *r);
/** By username and four-digit discriminator. NOT_FOUND when there is no such tag. */
bool accounts_find_by_tag(const struct domain *d, const char *username, const char *discriminator,
                          struct user *out, struct domain_result *r);

/** A search page (store/user_search.h); *out lives in d->arena. */
bool accounts_search(const struct domain *d, const struct user_query *q, struct user **out,
                     size_t *n, struct domain_result *r);

/* How accounts_update_flags treats the staff bit. */
enum staff_bit { STAFF_BIT_LOCKED, STAFF_BIT_FREE };

/**
 * Set the bits of set and clear those of clear (set wins). With
 * STAFF_BIT_LOCKED a change of the staff bit is FORBIDDEN (the API: staff
 * cannot make or unmake staff); operators use STAFF_BIT_FREE. *changed tells
 * whether anything was written; out is the user after the change.
 */
bool accounts_update_flags(const struct domain *d, int64_t id, int64_t set, int64_t clear,
                           enum staff_bit staff, struct user *out, bool *changed,
                           struct domain_result *r);

/** Replace the password (length already checked); every old token stops working. */
bool accounts_set_password(const struct domain *d, int64_t id, const char *password,
                           size_t password_len, struct user *out, struct domain_result *r);

/** Soft-delete (store_users_soft_delete); before/after receive both states. */
bool accounts_soft_delete(const struct domain *d, int64_t id, struct user *before,
                          struct user *after, struct domain_result *r);

#endif
