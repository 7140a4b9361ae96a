/*
 * fields_fuzz: a body through json_parse_object_limited (a request body's
 * limits) and then fields_validate, as body_read_fields does for every
 * handler that takes one.
 *
 * Input: the body. When its first byte is 0x00..0x03 it is the validation
 * options instead (FIELDS_ALLOW_UNKNOWN, FIELDS_CASE_INSENSITIVE) and the
 * body follows; otherwise the options are 0, as for the chat API.
 *
 * The rules cover every kind (string, integer, boolean, number, list), with
 * and without bounds, nullable or required, and the format checks of
 * src/valid.c. Properties: the errors are exactly those a plain reading
 * of the rules gives, in order (unknown keys, fields named twice in
 * different case, then each rule's), at most FIELDS_MAX_ERRORS; after a clean
 * validation the typed getters find every present value.
 */
#include <strings.h>
#include <string.h>

#include "fuzz.h"
#include "warden/arena.h"
#include "warden/fields.h"
#include "warden/json.h"
#include "warden/valid.h"

static const struct field_rule rules[] = {
    {"username", FIELD_STRING, FIELD_REQUIRED, 0, 0, valid_chat_username,
     "must be of username type"},
    {"email", FIELD_STRING, 0, 0, 0, valid_email, "must be of email type"},
    {"password", FIELD_STRING, FIELD_REQUIRED | FIELD_BOUNDED, 5, 1024, NULL, NULL},
    {"name", FIELD_STRING, FIELD_NULLABLE | FIELD_BOUNDED, 2, 20, valid_game_name,
     "must be a name"},
    {"max_uses", FIELD_INTEGER, FIELD_BOUNDED, -1, 1000, NULL, NULL},
    {"duration", FIELD_INTEGER, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"flags", FIELD_INTEGER, FIELD_BOUNDED, 0, INT64_MAX, NULL, NULL},
    {"unavailable", FIELD_BOOLEAN, 0, 0, 0, NULL, NULL},
    {"ip", FIELD_BOOLEAN, FIELD_NULLABLE, 0, 0, NULL, NULL},
    {"ratio", FIELD_NUMBER, FIELD_BOUNDED, -5, 5, NULL, NULL},
    {"score", FIELD_NUMBER, FIELD_NULLABLE | FIELD_BOUNDED, INT64_MIN, INT64_MAX, NULL, NULL},
    {"features", FIELD_LIST, FIELD_BOUNDED, 0, 4, NULL, NULL},
    {"tags", FIELD_LIST, FIELD_NULLABLE, 0, 0, NULL, NULL},
};
#define N_RULES (sizeof rules / sizeof rules[0])

static struct arena *arena;

static bool key_matches(const char *key, const char *name, unsigned options)
{
    return options & FIELDS_CASE_INSENSITIVE ? strcasecmp(key, name) == 0 : strcmp(key, name) == 0;
}

static bool find(const bson_t *doc, const char *name, unsigned options, bson_iter_t *it)
{
    FUZZ_CHECK(bson_iter_init(it, doc));
    while (bson_iter_next(it))
        if (key_matches(bson_iter_key(it), name, options))
            return true;
    return false;
}

static size_t code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

/* Whether a present value breaks its rule (the reference reading). */
static bool breaks(const struct field_rule *rule, const bson_iter_t *it)
{
    bson_type_t t = bson_iter_type(it);
    if (t == BSON_TYPE_NULL)
        return !(rule->flags & FIELD_NULLABLE);
    bool bounded = rule->flags & FIELD_BOUNDED;
    switch (rule->kind) {
    case FIELD_STRING: {
        if (t != BSON_TYPE_UTF8)
            return true;
        uint32_t len;
        const char *s = bson_iter_utf8(it, &len);
        int64_t chars = (int64_t)code_points(s, len);
        if (bounded && (chars < rule->min || chars > rule->max))
            return true;
        return rule->check && !rule->check(s, len);
    }
    case FIELD_INTEGER: {
        if (t != BSON_TYPE_INT64 && t != BSON_TYPE_INT32)
            return true;
        int64_t v = bson_iter_as_int64(it);
        return bounded && (v < rule->min || v > rule->max);
    }
    case FIELD_BOOLEAN:
        return t != BSON_TYPE_BOOL;
    case FIELD_NUMBER: {
        if (t != BSON_TYPE_INT64 && t != BSON_TYPE_INT32 && t != BSON_TYPE_DOUBLE)
            return true;
        double v = t == BSON_TYPE_DOUBLE ? bson_iter_double(it) : (double)bson_iter_as_int64(it);
        return bounded && (v < (double)rule->min || v > (double)rule->max);
    }
    case FIELD_LIST: {
        if (t != BSON_TYPE_ARRAY)
            return true;
        bson_iter_t child;
        int64_t count = 0;
        FUZZ_CHECK(bson_iter_recurse(it, &child));
        while (bson_iter_next(&child))
            count++;
        return bounded && (count < rule->min || count > rule->max);
    }
    }
    return true;
}

static void check_getters(const bson_t *doc, unsigned options)
{
    for (size_t i = 0; i < N_RULES; i++) {
        bson_iter_t it;
        if (!find(doc, rules[i].name, options, &it) || bson_iter_type(&it) == BSON_TYPE_NULL)
            continue;
        int64_t iv;
        bool bv;
        double dv;
        uint32_t len;
        switch (rules[i].kind) {
        case FIELD_STRING:
            FUZZ_CHECK(fields_string(doc, rules[i].name, options, &len) != NULL);
            break;
        case FIELD_INTEGER:
            FUZZ_CHECK(fields_int(doc, rules[i].name, options, &iv));
            break;
        case FIELD_BOOLEAN:
            FUZZ_CHECK(fields_bool(doc, rules[i].name, options, &bv));
            break;
        case FIELD_NUMBER:
            FUZZ_CHECK(fields_number(doc, rules[i].name, options, &dv));
            break;
        case FIELD_LIST:
            FUZZ_CHECK(fields_find(doc, rules[i].name, options, &it) &&
                       bson_iter_type(&it) == BSON_TYPE_ARRAY);
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena)
        arena = arena_new();
    unsigned options = 0;
    if (size > 0 && data[0] <= 0x03) {
        options = data[0];
        data++;
        size--;
    }
    bson_t doc;
    bson_init(&doc);
    struct json_error err;
    static const struct json_limits body_limits = {64, 64}; /* body.h's BODY_MAX_MEMBERS */
    if (json_parse_object_limited((const char *)data, size, &body_limits, &doc, &err) < 0) {
        bson_destroy(&doc);
        return 0;
    }

    struct field_errors errors;
    size_t n = fields_validate(&doc, rules, N_RULES, options, &errors, arena);
    FUZZ_CHECK(n == errors.n && n <= FIELDS_MAX_ERRORS);

    /* The reference: which fields should be named, in order. */
    const char *want[FIELDS_MAX_ERRORS];
    size_t total = 0;
    bson_iter_t it;
    if (!(options & FIELDS_ALLOW_UNKNOWN)) {
        FUZZ_CHECK(bson_iter_init(&it, &doc));
        while (bson_iter_next(&it)) {
            bool known = false;
            for (size_t i = 0; i < N_RULES && !known; i++)
                known = key_matches(bson_iter_key(&it), rules[i].name, options);
            if (!known && total++ < FIELDS_MAX_ERRORS)
                want[total - 1] = bson_iter_key(&it);
        }
    }
    if (options & FIELDS_CASE_INSENSITIVE) {
        /* A rule's field named twice in different case is ambiguous. */
        for (size_t i = 0; i < N_RULES; i++) {
            int seen = 0;
            FUZZ_CHECK(bson_iter_init(&it, &doc));
            while (bson_iter_next(&it))
                seen += key_matches(bson_iter_key(&it), rules[i].name, options);
            if (seen > 1 && total++ < FIELDS_MAX_ERRORS)
                want[total - 1] = rules[i].name;
        }
    }
    for (size_t i = 0; i < N_RULES; i++) {
        bool bad = find(&doc, rules[i].name, options, &it) ? breaks(&rules[i], &it)
                                                           : (rules[i].flags & FIELD_REQUIRED) != 0;
        if (bad && total++ < FIELDS_MAX_ERRORS)
            want[total - 1] = rules[i].name;
    }
    FUZZ_CHECK(n == (total < FIELDS_MAX_ERRORS ? total : FIELDS_MAX_ERRORS));
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(errors.items[i].field && errors.items[i].message && errors.items[i].message[0]);
        FUZZ_CHECK(strcmp(errors.items[i].field, want[i]) == 0);
    }
    if (n == 0)
        check_getters(&doc, options);

    bson_destroy(&doc);
    arena_reset(arena);
    return 0;
}
