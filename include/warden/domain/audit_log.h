/*
 * audit_log: reading the audit log that every mutation leaves
 * (domain/journal.h writes it), for GET /api/v6/admin/audit-log.
 *
 * The read itself is the store's (store/audit.h): newest first, index-served
 * whatever the filters, bounded above by a time or a cursor and below by a
 * time. Who may read it is the route's business (chat staff).
 */
#ifndef WARDEN_DOMAIN_AUDIT_LOG_H
#define WARDEN_DOMAIN_AUDIT_LOG_H

#include <stdbool.h>

#include "warden/domain/domain.h"
#include "warden/store/audit.h"

/**
 * Pass the entries matching q to fn, newest first, at most q->limit. false:
 * the database failed (r says how); the entries passed before still count.
 */
bool audit_log_read(const struct domain *d, const struct audit_query *q, store_audit_fn fn,
                    void *ctx, struct domain_result *r);

#endif
