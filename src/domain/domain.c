/*
 * domain: the result helpers every operation uses (see include/warden/domain/domain.h).
 */
#include "warden/domain/domain.h"

#include <string.h>

bool domain_ok(struct domain_result *r)
{
    r->status = DOMAIN_OK;
    r->message = NULL;
    r->field = NULL;
    r->code = 0;
    return true;
}

bool domain_fail(struct domain_result *r, enum domain_status status, const char *message)
{
    r->status = status;
    r->message = message;
    r->field = NULL;
    r->code = 0;
    return false;
}

bool domain_not_found(struct domain_result *r, int code, const char *message)
{
    domain_fail(r, DOMAIN_NOT_FOUND, message);
    r->code = code;
    return false;
}

bool domain_invalid(struct domain_result *r, const char *field, const char *message)
{
    domain_fail(r, DOMAIN_INVALID, message);
    r->field = field;
    return false;
}

bool domain_internal(struct domain_result *r, const char *what)
{
    bson_error_t e;
    bson_set_error(&e, 0, 0, "%s", what);
    return domain_store_error(r, &e);
}

bool domain_store_error(struct domain_result *r, const bson_error_t *e)
{
    domain_fail(r, DOMAIN_STORE_ERROR, NULL);
    memcpy(&r->error, e, sizeof r->error);
    return false;
}
