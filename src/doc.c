/*
 * doc: typed reads of a BSON document's keys (see include/warden/doc.h).
 */
#include "warden/doc.h"

#include <string.h>

static bool find(const bson_t *doc, const char *key, bson_iter_t *it)
{
    return bson_iter_init_find(it, doc, key);
}

bool doc_string(const bson_t *doc, const char *key, char *out, size_t size)
{
    bson_iter_t it;
    out[0] = '\0';
    if (!find(doc, key, &it) || bson_iter_type(&it) != BSON_TYPE_UTF8)
        return false;
    uint32_t len;
    const char *s = bson_iter_utf8(&it, &len);
    if (len >= size)
        len = (uint32_t)size - 1;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

int64_t doc_int(const bson_t *doc, const char *key, int64_t fallback)
{
    bson_iter_t it;
    if (!find(doc, key, &it))
        return fallback;
    switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32: return bson_iter_int32(&it);
    case BSON_TYPE_INT64: return bson_iter_int64(&it);
    case BSON_TYPE_DOUBLE: {
        /* Casting a double outside int64's range (or NaN) is undefined:
         * such a value is no integer the caller can use. */
        double d = bson_iter_double(&it);
        return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (int64_t)d : fallback;
    }
    default: return fallback;
    }
}

double doc_double(const bson_t *doc, const char *key, double fallback)
{
    bson_iter_t it;
    if (!find(doc, key, &it))
        return fallback;
    switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32: return bson_iter_int32(&it);
    case BSON_TYPE_INT64: return (double)bson_iter_int64(&it);
    case BSON_TYPE_DOUBLE: return bson_iter_double(&it);
    default: return fallback;
    }
}

bool doc_bool(const bson_t *doc, const char *key, bool fallback)
{
    bson_iter_t it;
    if (!find(doc, key, &it) || bson_iter_type(&it) != BSON_TYPE_BOOL)
        return fallback;
    return bson_iter_bool(&it);
}

int64_t doc_date(const bson_t *doc, const char *key, int64_t fallback)
{
    bson_iter_t it;
    if (!find(doc, key, &it) || bson_iter_type(&it) != BSON_TYPE_DATE_TIME)
        return fallback;
    return bson_iter_date_time(&it);
}

bool doc_has(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    return find(doc, key, &it) && bson_iter_type(&it) != BSON_TYPE_NULL;
}
