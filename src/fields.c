/*
 * fields: body validation against declared rules (see include/warden/fields.h).
 */
#include "warden/fields.h"

#include <string.h>
#include <strings.h>

#include "warden/arena.h"
#include "warden/utf8.h"

static bool key_equal(const char *a, const char *b, unsigned options)
{
    return options & FIELDS_CASE_INSENSITIVE ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

void fields_error(struct field_errors *errors, const char *field, const char *message)
{
    if (errors->n < FIELDS_MAX_ERRORS) {
        errors->items[errors->n].field = field;
        errors->items[errors->n].message = message;
        errors->n++;
    }
}

bool fields_find(const bson_t *doc, const char *name, unsigned options, bson_iter_t *it)
{
    if (!bson_iter_init(it, doc))
        return false;
    while (bson_iter_next(it))
        if (key_equal(bson_iter_key(it), name, options))
            return true;
    return false;
}

static bool is_integer(bson_type_t t)
{
    return t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64;
}

static int64_t integer_value(const bson_iter_t *it)
{
    return bson_iter_type(it) == BSON_TYPE_INT32 ? bson_iter_int32(it) : bson_iter_int64(it);
}

static const char *type_message(enum field_kind kind)
{
    switch (kind) {
    case FIELD_STRING: return "must be of string type";
    case FIELD_INTEGER: return "must be of integer type";
    case FIELD_BOOLEAN: return "must be of boolean type";
    case FIELD_NUMBER: return "must be of number type";
    case FIELD_LIST: return "must be of list type";
    }
    return "invalid value";
}

static void check_value(const struct field_rule *rule, const bson_iter_t *it,
                        struct field_errors *out, struct arena *a)
{
    bson_type_t t = bson_iter_type(it);
    if (t == BSON_TYPE_NULL) {
        if (!(rule->flags & FIELD_NULLABLE))
            fields_error(out, rule->name, "null value not allowed");
        return;
    }
    bool type_ok;
    switch (rule->kind) {
    case FIELD_STRING: type_ok = t == BSON_TYPE_UTF8; break;
    case FIELD_INTEGER: type_ok = is_integer(t); break;
    case FIELD_BOOLEAN: type_ok = t == BSON_TYPE_BOOL; break;
    case FIELD_NUMBER: type_ok = is_integer(t) || t == BSON_TYPE_DOUBLE; break;
    case FIELD_LIST: type_ok = t == BSON_TYPE_ARRAY; break;
    default: type_ok = false; break;
    }
    if (!type_ok) {
        fields_error(out, rule->name, type_message(rule->kind));
        return;
    }
    if (rule->kind == FIELD_STRING) {
        uint32_t len;
        const char *s = bson_iter_utf8(it, &len);
        if (rule->flags & FIELD_BOUNDED) {
            int64_t chars = (int64_t)utf8_length(s, len);
            if (chars < rule->min) {
                fields_error(out, rule->name, arena_printf(a, "min length is %lld", (long long)rule->min));
                return;
            }
            if (chars > rule->max) {
                fields_error(out, rule->name, arena_printf(a, "max length is %lld", (long long)rule->max));
                return;
            }
        }
        if (rule->check && !rule->check(s, len))
            fields_error(out, rule->name, rule->check_message);
        return;
    }
    if (!(rule->flags & FIELD_BOUNDED))
        return;
    if (rule->kind == FIELD_INTEGER || rule->kind == FIELD_NUMBER) {
        bool below, above;
        if (rule->kind == FIELD_INTEGER) {
            int64_t v = integer_value(it);
            below = v < rule->min;
            above = v > rule->max;
        } else {
            double v = t == BSON_TYPE_DOUBLE ? bson_iter_double(it) : (double)integer_value(it);
            below = v < (double)rule->min;
            above = v > (double)rule->max;
        }
        if ((below || above) && rule->check_message)
            fields_error(out, rule->name, rule->check_message);
        else if (below)
            fields_error(out, rule->name, arena_printf(a, "min value is %lld", (long long)rule->min));
        else if (above)
            fields_error(out, rule->name, arena_printf(a, "max value is %lld", (long long)rule->max));
    } else if (rule->kind == FIELD_LIST) {
        bson_iter_t child;
        int64_t count = 0;
        if (bson_iter_recurse(it, &child))
            while (bson_iter_next(&child))
                count++;
        if (count < rule->min)
            fields_error(out, rule->name, arena_printf(a, "min length is %lld", (long long)rule->min));
        else if (count > rule->max)
            fields_error(out, rule->name, arena_printf(a, "max length is %lld", (long long)rule->max));
    }
}

size_t fields_validate(const bson_t *doc, const struct field_rule *rules, size_t n_rules,
                       unsigned options, struct field_errors *out, struct arena *a)
{
    out->n = 0;
    bson_iter_t it;
    if (!(options & FIELDS_ALLOW_UNKNOWN) && bson_iter_init(&it, doc)) {
        while (bson_iter_next(&it)) {
            const char *key = bson_iter_key(&it);
            bool known = false;
            for (size_t i = 0; i < n_rules && !known; i++)
                known = key_equal(key, rules[i].name, options);
            if (!known)
                fields_error(out, arena_strdup(a, key), "unknown field");
        }
    }
    if (options & FIELDS_CASE_INSENSITIVE) {
        /* {"duration": 5, "Duration": "x"} would be ambiguous: refuse it. */
        for (size_t i = 0; i < n_rules; i++) {
            int seen = 0;
            if (bson_iter_init(&it, doc))
                while (bson_iter_next(&it))
                    seen += key_equal(bson_iter_key(&it), rules[i].name, options);
            if (seen > 1)
                fields_error(out, rules[i].name, "must appear only once");
        }
    }
    for (size_t i = 0; i < n_rules; i++) {
        if (!fields_find(doc, rules[i].name, options, &it)) {
            if (rules[i].flags & FIELD_REQUIRED)
                fields_error(out, rules[i].name, "required field");
            continue;
        }
        check_value(&rules[i], &it, out, a);
    }
    return out->n;
}

const char *fields_string(const bson_t *doc, const char *name, unsigned options, uint32_t *len)
{
    bson_iter_t it;
    if (!fields_find(doc, name, options, &it) || bson_iter_type(&it) != BSON_TYPE_UTF8)
        return NULL;
    uint32_t n;
    const char *s = bson_iter_utf8(&it, &n);
    if (len)
        *len = n;
    return s;
}

bool fields_int(const bson_t *doc, const char *name, unsigned options, int64_t *out)
{
    bson_iter_t it;
    if (!fields_find(doc, name, options, &it) || !is_integer(bson_iter_type(&it)))
        return false;
    *out = integer_value(&it);
    return true;
}

bool fields_bool(const bson_t *doc, const char *name, unsigned options, bool *out)
{
    bson_iter_t it;
    if (!fields_find(doc, name, options, &it) || bson_iter_type(&it) != BSON_TYPE_BOOL)
        return false;
    *out = bson_iter_bool(&it);
    return true;
}

bool fields_number(const bson_t *doc, const char *name, unsigned options, double *out)
{
    bson_iter_t it;
    if (!fields_find(doc, name, options, &it))
        return false;
    bson_type_t t = bson_iter_type(&it);
    if (t == BSON_TYPE_DOUBLE)
        *out = bson_iter_double(&it);
    else if (is_integer(t))
        *out = (double)integer_value(&it);
    else
        return false;
    return true;
}
