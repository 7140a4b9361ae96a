/*
 * domain/invites: instance invites (see include/warden/domain/invites.h).
 */
#include "warden/domain/invites.h"

#include <stdlib.h>

#include "warden/arena.h"
#include "warden/domain/journal.h"
#include "warden/log.h"

bool invites_list(const struct domain *d, struct invite **out, size_t *n, struct domain_result *r)
{
    bson_error_t e;
    enum store_status s = store_invite_list(d->db, out, n, &e);
    arena_own(d->arena, *out);
    return s == STORE_OK ? domain_ok(r) : domain_store_error(r, &e);
}

bool invites_create(const struct domain *d, int64_t max_uses, struct invite *out,
                    struct domain_result *r)
{
    if (max_uses == 0 || max_uses < -1 || max_uses > INVITE_MAX_USES_LIMIT)
        return domain_invalid(r, "max_uses", "must be -1 (unlimited) or an integer in 1..1000000");
    bson_error_t e;
    if (store_invite_create(d->db, max_uses, out, &e) != STORE_OK)
        return domain_store_error(r, &e);
    bson_t after = BSON_INITIALIZER;
    BSON_APPEND_INT64(&after, "max_uses", max_uses);
    bool recorded = journal_audit(d, "invite.create", "invite", out->code, NULL, &after, r);
    bson_destroy(&after);
    return recorded;
}

bool invites_delete(const struct domain *d, const char *code, struct domain_result *r)
{
    bson_error_t e;
    struct invite inv;
    enum store_status s = store_invite_code_valid(code) ? store_invite_get(d->db, code, &inv, &e)
                                                  : STORE_NOT_FOUND;
    if (s == STORE_OK)
        s = store_invite_delete(d->db, code, &e);
    if (s == STORE_NOT_FOUND)
        return domain_not_found(r, CODE_UNKNOWN_INVITE, "Unknown invite");
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    bson_t before = BSON_INITIALIZER;
    BSON_APPEND_INT64(&before, "max_uses", inv.max_uses);
    BSON_APPEND_INT64(&before, "uses", inv.uses);
    bool recorded = journal_audit(d, "invite.delete", "invite", code, &before, NULL, r);
    bson_destroy(&before);
    return recorded;
}

bool invites_register(const struct domain *d, const char *code, const struct account_new *in,
                      struct user *out, struct domain_result *r)
{
    struct invite inv;
    bson_error_t e;
    enum store_status s = store_invite_code_valid(code) ? store_invite_get(d->db, code, &inv, &e)
                                                  : STORE_NOT_FOUND;
    if (s == STORE_NOT_FOUND)
        return domain_fail(r, DOMAIN_REFUSED, "unknown instance invite");
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    int64_t slot;
    s = store_invite_consume(d->db, &inv, &slot, &e);
    if (s == STORE_NOT_FOUND)
        return domain_fail(r, DOMAIN_REFUSED, "invite expired");
    if (s != STORE_OK)
        return domain_store_error(r, &e);
    if (!accounts_register(d, in, out, r)) {
        if (store_invite_release(d->db, inv.code, slot, &e) != STORE_OK)
            log_error("invite %s use %lld not given back (rid=%s): %s", inv.code, (long long)slot,
                      d->request_id ? d->request_id : "-", e.message);
        return false;
    }
    if (store_invite_slot_owner(d->db, inv.code, slot, out->id, &e) == STORE_ERROR)
        log_warn("invite %s use %lld: owner not recorded (rid=%s)", inv.code, (long long)slot,
                 d->request_id ? d->request_id : "-");
    return domain_ok(r);
}
