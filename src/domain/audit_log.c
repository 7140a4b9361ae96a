/*
 * audit_log: the audit log read for the API (see
 * include/warden/domain/audit_log.h).
 */
#include "warden/domain/audit_log.h"

bool audit_log_read(const struct domain *d, const struct audit_query *q, store_audit_fn fn,
                    void *ctx, struct domain_result *r)
{
    bson_error_t e;
    if (store_audit_list(d->db, q, fn, ctx, &e) != STORE_OK)
        return domain_store_error(r, &e);
    return domain_ok(r);
}
