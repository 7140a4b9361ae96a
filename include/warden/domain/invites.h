/*
 * domain/invites: instance invites, and registration with one.
 *
 * Records: invite.create {max_uses} and invite.delete {max_uses, uses}.
 * Registration takes a use slot before it creates the account and gives the
 * slot back if the account is not created (store/invites.h explains slots).
 */
#ifndef WARDEN_DOMAIN_INVITES_H
#define WARDEN_DOMAIN_INVITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/domain/accounts.h"
#include "warden/domain/domain.h"
#include "warden/store/invites.h"

/* Large enough for any community; one slot document per use. */
#define INVITE_MAX_USES_LIMIT 1000000

/** All invites, oldest first; *out lives in d->arena. */
bool invites_list(const struct domain *d, struct invite **out, size_t *n, struct domain_result *r);
/** max_uses: -1 (unlimited) or 1..INVITE_MAX_USES_LIMIT; anything else is INVALID. */
bool invites_create(const struct domain *d, int64_t max_uses, struct invite *out,
                    struct domain_result *r);
/** NOT_FOUND code 10006 "Unknown invite" (a malformed code included). */
bool invites_delete(const struct domain *d, const char *code, struct domain_result *r);
/**
 * Create an account with a use of the invite code. REFUSED "unknown
 * instance invite", "invite expired", or accounts_register's refusals.
 */
bool invites_register(const struct domain *d, const char *code, const struct account_new *in,
                      struct user *out, struct domain_result *r);

#endif
