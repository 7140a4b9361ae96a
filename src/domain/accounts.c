/*
 * domain/accounts: chat accounts (see include/warden/domain/accounts.h).
 */
#include "warden/domain/accounts.h"

#include <stdio.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/domain/journal.h"
#include "warden/store/user_search.h"
#include "warden/log.h"
#include "warden/password.h"
#include "warden/clock.h"

#define LOGIN_FAILED "Invalid email or password."

bool accounts_register(const struct domain *d, const struct account_new *in, struct user *out,
                       struct domain_result *r)
{
    char hash[PASSWORD_HASH_SIZE];
    if (password_hash(in->password, in->password_len, hash) < 0)
        return domain_internal(r, "password hashing failed (out of memory)");
    struct user_new new_user = {
        .username = in->username,
        .email = in->email,
        .password_hash = hash,
        .flags = in->flags,
    };
    enum user_create_problem problem;
    bson_error_t e;
    enum store_status s = store_users_create(d->db, &new_user, out, &problem, &e);
    if (s == STORE_DUPLICATE)
        return domain_fail(r, DOMAIN_REFUSED, problem == USER_CREATE_EMAIL_TAKEN
                                                   ? "Email already used."
                                                   : "Too many people.");
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    log_info("user %lld created (rid=%s)", (long long)out->id, d->request_id ? d->request_id : "-");
    return domain_ok(r);
}

/* The audit entry of a change to one user, with its public fields before and after. */
static bool audit_user(const struct domain *d, const char *action, const struct user *before,
                       const struct user *after, struct domain_result *r)
{
    bson_t b = BSON_INITIALIZER, a = BSON_INITIALIZER;
    if (before)
        store_users_append_public(&b, before);
    if (after)
        store_users_append_public(&a, after);
    bool recorded = journal_audit_id(d, action, "user", after ? after->id : before->id,
                                     before ? &b : NULL, after ? &a : NULL, r);
    bson_destroy(&b);
    bson_destroy(&a);
    return recorded;
}

bool accounts_create(const struct domain *d, const struct account_new *in, struct user *out,
                     struct domain_result *r)
{
    return accounts_register(d, in, out, r) && audit_user(d, "user.create", NULL, out, r);
}

bool accounts_login(const struct domain *d, const char *email, size_t email_len,
                    const char *password, size_t password_len, struct user *out,
                    struct domain_result *r)
{
    bson_error_t e;
    /* No account has a longer address, and the lookup key keeps only the
     * first EMAIL_MAX characters: a longer one must not find their owner. */
    enum store_status s = email_len > EMAIL_MAX ? STORE_NOT_FOUND
                                                : store_users_find_by_email(d->db, email, out, &e);
    if (s == STORE_ERROR)
        return domain_store_error(r, &e);
    if (s == STORE_NOT_FOUND) {
        password_verify_dummy(password, password_len);
        return domain_fail(r, DOMAIN_REFUSED, LOGIN_FAILED);
    }
    if (!password_verify(out->password_hash, password, password_len))
        return domain_fail(r, DOMAIN_REFUSED, LOGIN_FAILED);
    return domain_ok(r);
}

bool accounts_token(const struct domain *d, const struct user *u, char out[TOKEN_MAX])
{
    return d->key && token_chat_mint(d->key, u->id, clock_wall_ms() / 1000, u->password_hash, out,
                                     TOKEN_MAX) == 0;
}

static bool user_status(enum store_status s, const bson_error_t *e, struct domain_result *r)
{
    if (s == STORE_OK)
        return domain_ok(r);
    if (s == STORE_NOT_FOUND)
        return domain_not_found(r, CODE_UNKNOWN_USER, "Unknown user");
    return domain_store_error(r, e);
}

bool accounts_get(const struct domain *d, int64_t id, struct user *out, struct domain_result *r)
{
    bson_error_t e;
    return user_status(store_users_get(d->db, id, out, &e), &e, r);
}

bool accounts_find_by_tag(const struct domain *d, const char *username, const char *discriminator,
                          struct user *out, struct domain_result *r)
{
    bson_error_t e;
    return user_status(store_users_find_by_tag(d->db, username, discriminator, out, &e), &e, r);
}

bool accounts_search(const struct domain *d, const struct user_query *q, struct user **out,
                     size_t *n, struct domain_result *r)
{
    bson_error_t e;
    *out = NULL;
    enum store_status s = store_user_search(d->db, q, out, n, &e);
    arena_own(d->arena, *out);
    return s == STORE_OK ? domain_ok(r) : domain_store_error(r, &e);
}

bool accounts_update_flags(const struct domain *d, int64_t id, int64_t set, int64_t clear,
                           enum staff_bit staff, struct user *out, bool *changed,
                           struct domain_result *r)
{
    *changed = false;
    if (!accounts_get(d, id, out, r))
        return false;
    int64_t flags = (out->flags & ~clear) | set;
    if (flags == out->flags)
        return domain_ok(r);
    bool staff_changes = (flags & USER_FLAG_STAFF) != (out->flags & USER_FLAG_STAFF);
    if (staff == STAFF_BIT_LOCKED && staff_changes)
        return domain_fail(r, DOMAIN_FORBIDDEN, "you can not change a users staff badge");
    /* Two writes that cannot undo each other: the other bits in the users
     * document, the staff bit as its grant (store/users.h says why). */
    bson_error_t e;
    enum store_status s = STORE_OK;
    if ((flags & ~(int64_t)USER_FLAG_STAFF) != (out->flags & ~(int64_t)USER_FLAG_STAFF))
        s = store_users_set_flags(d->db, id, flags, &e);
    if (s == STORE_OK && staff_changes)
        s = store_users_set_staff(d->db, id, flags & USER_FLAG_STAFF, &e);
    if (s != STORE_OK)
        return user_status(s, &e, r);
    struct user before = *out;
    out->flags = flags;
    *changed = true;
    bson_t data = BSON_INITIALIZER;
    store_users_append_public(&data, out);
    journal_gateway_event(d, "USER_UPDATE", 0, id, &data);
    bson_destroy(&data);
    return audit_user(d, "user.update", &before, out, r);
}

/* Sessions of a user whose credentials no longer hold are closed by the gateway. */
static void disconnect(const struct domain *d, int64_t id, const char *reason)
{
    bson_t data = BSON_INITIALIZER;
    BSON_APPEND_INT32(&data, "close_code", 4000);
    BSON_APPEND_UTF8(&data, "reason", reason);
    journal_gateway_event(d, "USER_DISCONNECT", 0, id, &data);
    bson_destroy(&data);
}

bool accounts_set_password(const struct domain *d, int64_t id, const char *password,
                           size_t password_len, struct user *out, struct domain_result *r)
{
    if (!accounts_get(d, id, out, r))
        return false;
    char hash[PASSWORD_HASH_SIZE];
    bson_error_t e;
    if (password_hash(password, password_len, hash) < 0)
        return domain_internal(r, "password hashing failed (out of memory)");
    enum store_status s = store_users_set_password(d->db, id, hash, &e);
    if (s != STORE_OK)
        return user_status(s, &e, r);
    snprintf(out->password_hash, sizeof out->password_hash, "%s", hash);
    disconnect(d, id, "password changed");
    return journal_audit_id(d, "user.password", "user", id, NULL, NULL, r);
}

bool accounts_soft_delete(const struct domain *d, int64_t id, struct user *before,
                          struct user *after, struct domain_result *r)
{
    bson_error_t e;
    if (!user_status(store_users_soft_delete(d->db, id, before, after, &e), &e, r))
        return false;
    disconnect(d, id, "user deleted");
    return audit_user(d, "user.delete", before, after, r);
}
