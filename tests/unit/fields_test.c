/*
 * fields: validation of parsed bodies against declared rules, and the typed
 * getters that run afterwards. Bodies are written as JSON and go through
 * the real reader, as they do in a handler.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/fields.h"
#include "warden/json.h"

static struct arena *arena;
static bson_t doc;
static struct field_errors errors;

static void setup(void)
{
    arena = arena_new();
    bson_init(&doc);
}

static void teardown(void)
{
    bson_destroy(&doc);
    arena_free(arena);
}

TestSuite(fields, .init = setup, .fini = teardown);

static void parse(const char *json)
{
    struct json_error err;
    bson_reinit(&doc);
    cr_assert_eq(json_parse_object(json, strlen(json), &doc, &err), 0, "%s: %s", json,
                 err.message);
}

/* Validate json against rules; returns the number of errors. */
static size_t validate_opts(const char *json, const struct field_rule *rules, size_t n,
                            unsigned options)
{
    parse(json);
    return fields_validate(&doc, rules, n, options, &errors, arena);
}

#define N_RULES(rules) (sizeof(rules) / sizeof((rules)[0]))
#define VALIDATE(json, rules) validate_opts((json), (rules), N_RULES(rules), 0)
#define ASSERT_VALID(json, rules) assert_valid((json), (rules), N_RULES(rules))
#define ASSERT_ONE_ERROR(json, rules, field, message)                                              \
    assert_one_error((json), (rules), N_RULES(rules), (field), (message))

static void assert_valid(const char *json, const struct field_rule *rules, size_t n_rules)
{
    size_t n = validate_opts(json, rules, n_rules, 0);
    cr_assert_eq(n, 0, "%s: %zu errors, first: %s %s", json, n, n ? errors.items[0].field : "",
                 n ? errors.items[0].message : "");
}

/* json validates against rules with exactly one error, for field, saying message. */
static void assert_one_error(const char *json, const struct field_rule *rules, size_t n_rules,
                             const char *field, const char *message)
{
    size_t n = validate_opts(json, rules, n_rules, 0);
    cr_assert_eq(n, 1, "%s: %zu errors", json, n);
    cr_assert_str_eq(errors.items[0].field, field, "%s", json);
    cr_assert_str_eq(errors.items[0].message, message, "%s", json);
}

static const struct field_rule name_rule[] = {
    {.name = "name", .kind = FIELD_STRING, .flags = FIELD_REQUIRED},
};

Test(fields, required_field)
{
    ASSERT_VALID("{\"name\":\"x\"}", name_rule);
    ASSERT_ONE_ERROR("{}", name_rule, "name", "required field");
}

Test(fields, optional_field_may_be_absent)
{
    static const struct field_rule rules[] = {{.name = "bio", .kind = FIELD_STRING}};
    ASSERT_VALID("{}", rules);
    ASSERT_ONE_ERROR("{\"bio\":1}", rules, "bio", "must be of string type");
}

Test(fields, unknown_field)
{
    ASSERT_ONE_ERROR("{\"name\":\"x\",\"admin\":true}", name_rule, "admin", "unknown field");
}

Test(fields, unknown_fields_allowed_on_request)
{
    cr_assert_eq(validate_opts("{\"name\":\"x\",\"admin\":true}", name_rule, 1,
                               FIELDS_ALLOW_UNKNOWN), 0);
    cr_assert_eq(validate_opts("{\"admin\":true}", name_rule, 1, FIELDS_ALLOW_UNKNOWN), 1,
                 "a required field is still required");
}

Test(fields, null_value)
{
    static const struct field_rule rules[] = {
        {.name = "strict", .kind = FIELD_STRING},
        {.name = "loose", .kind = FIELD_STRING, .flags = FIELD_NULLABLE},
        {.name = "needed", .kind = FIELD_INTEGER, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    };
    ASSERT_VALID("{\"loose\":null,\"needed\":null}", rules);
    ASSERT_ONE_ERROR("{\"strict\":null,\"needed\":1}", rules, "strict", "null value not allowed");
}

Test(fields, null_for_a_required_field)
{
    ASSERT_ONE_ERROR("{\"name\":null}", name_rule, "name", "null value not allowed");
}

static const struct field_rule typed_rules[] = {
    {.name = "s", .kind = FIELD_STRING},
    {.name = "i", .kind = FIELD_INTEGER},
    {.name = "b", .kind = FIELD_BOOLEAN},
    {.name = "l", .kind = FIELD_LIST},
    {.name = "n", .kind = FIELD_NUMBER},
};

Test(fields, each_type_accepts_its_own)
{
    ASSERT_VALID("{\"s\":\"x\",\"i\":-3,\"b\":false,\"l\":[1,\"a\"],\"n\":2.5}", typed_rules);
    ASSERT_VALID("{\"n\":2}", typed_rules);
}

Test(fields, type_messages)
{
    ASSERT_ONE_ERROR("{\"s\":5}", typed_rules, "s", "must be of string type");
    ASSERT_ONE_ERROR("{\"s\":[\"x\"]}", typed_rules, "s", "must be of string type");
    ASSERT_ONE_ERROR("{\"i\":\"5\"}", typed_rules, "i", "must be of integer type");
    ASSERT_ONE_ERROR("{\"i\":true}", typed_rules, "i", "must be of integer type");
    ASSERT_ONE_ERROR("{\"b\":1}", typed_rules, "b", "must be of boolean type");
    ASSERT_ONE_ERROR("{\"b\":\"true\"}", typed_rules, "b", "must be of boolean type");
    ASSERT_ONE_ERROR("{\"l\":{}}", typed_rules, "l", "must be of list type");
    ASSERT_ONE_ERROR("{\"l\":\"a,b\"}", typed_rules, "l", "must be of list type");
    ASSERT_ONE_ERROR("{\"n\":\"1.5\"}", typed_rules, "n", "must be of number type");
}

Test(fields, a_double_is_not_an_integer)
{
    ASSERT_ONE_ERROR("{\"i\":1.0}", typed_rules, "i", "must be of integer type");
    ASSERT_ONE_ERROR("{\"i\":1e2}", typed_rules, "i", "must be of integer type");
    ASSERT_ONE_ERROR("{\"i\":9223372036854775808}", typed_rules, "i", "must be of integer type");
}

Test(fields, operator_objects_never_pass_as_strings)
{
    static const char op[] = "{\"username\":{\"$gt\":\"\"}}";
    struct json_error err;
    bson_reinit(&doc);
    cr_assert_eq(json_parse_object(op, strlen(op), &doc, &err), -1,
                 "the reader must refuse the operator key");

    static const struct field_rule rules[] = {
        {.name = "username", .kind = FIELD_STRING, .flags = FIELD_REQUIRED},
    };
    ASSERT_ONE_ERROR("{\"username\":{\"gt\":\"\"}}", rules, "username", "must be of string type");
    cr_assert_null(fields_string(&doc, "username", 0, NULL));
}

static const struct field_rule name_2_to_4[] = {
    {.name = "name", .kind = FIELD_STRING, .flags = FIELD_BOUNDED, .min = 2, .max = 4},
};

Test(fields, string_length_bounds)
{
    ASSERT_ONE_ERROR("{\"name\":\"\"}", name_2_to_4, "name", "min length is 2");
    ASSERT_ONE_ERROR("{\"name\":\"a\"}", name_2_to_4, "name", "min length is 2");
    ASSERT_VALID("{\"name\":\"ab\"}", name_2_to_4);
    ASSERT_VALID("{\"name\":\"abcd\"}", name_2_to_4);
    ASSERT_ONE_ERROR("{\"name\":\"abcde\"}", name_2_to_4, "name", "max length is 4");
}

Test(fields, string_length_counts_code_points)
{
    static const struct field_rule max_2[] = {
        {.name = "s", .kind = FIELD_STRING, .flags = FIELD_BOUNDED, .min = 0, .max = 2},
    };
    ASSERT_VALID("{\"s\":\"\xc3\xa9\xc3\xa9\"}", max_2);               /* 4 bytes, 2 characters */
    ASSERT_VALID("{\"s\":\"\xf0\x9f\x98\x80\xe2\x82\xac\"}", max_2);   /* 7 bytes, 2 characters */
    ASSERT_ONE_ERROR("{\"s\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}", max_2, "s", "max length is 2");
    ASSERT_VALID("{\"name\":\"\xe6\x97\xa5\xe6\x9c\xac\"}", name_2_to_4); /* 2 characters */
}

Test(fields, unbounded_string_ignores_min_and_max)
{
    static const struct field_rule rules[] = {
        {.name = "s", .kind = FIELD_STRING, .min = 5, .max = 6},
    };
    ASSERT_VALID("{\"s\":\"\"}", rules);
    ASSERT_VALID("{\"s\":\"much longer than six\"}", rules);
}

static bool is_lowercase_for_null(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return false;
    return true;
}

static const struct field_rule age_rule[] = {
    {.name = "age", .kind = FIELD_INTEGER, .flags = FIELD_BOUNDED, .min = -5, .max = 10},
};

Test(fields, integer_value_bounds)
{
    ASSERT_ONE_ERROR("{\"age\":-6}", age_rule, "age", "min value is -5");
    ASSERT_VALID("{\"age\":-5}", age_rule);
    ASSERT_VALID("{\"age\":10}", age_rule);
    ASSERT_ONE_ERROR("{\"age\":11}", age_rule, "age", "max value is 10");
    ASSERT_ONE_ERROR("{\"age\":-9223372036854775808}", age_rule, "age", "min value is -5");
}

Test(fields, int32_values_are_integers_too)
{
    bson_reinit(&doc);
    BSON_APPEND_INT32(&doc, "age", 11);
    cr_assert_eq(fields_validate(&doc, age_rule, 1, 0, &errors, arena), 1);
    cr_assert_str_eq(errors.items[0].message, "max value is 10");
    bson_reinit(&doc);
    BSON_APPEND_INT32(&doc, "age", 7);
    cr_assert_eq(fields_validate(&doc, age_rule, 1, 0, &errors, arena), 0);
    int64_t v = 0;
    cr_assert(fields_int(&doc, "age", 0, &v));
    cr_assert_eq(v, 7);
}

Test(fields, number_value_bounds)
{
    static const struct field_rule rules[] = {
        {.name = "x", .kind = FIELD_NUMBER, .flags = FIELD_BOUNDED, .min = 0, .max = 10},
    };
    ASSERT_VALID("{\"x\":10.0}", rules);
    ASSERT_VALID("{\"x\":10}", rules);
    ASSERT_VALID("{\"x\":0}", rules);
    ASSERT_ONE_ERROR("{\"x\":10.5}", rules, "x", "max value is 10");
    ASSERT_ONE_ERROR("{\"x\":-0.001}", rules, "x", "min value is 0");
    ASSERT_ONE_ERROR("{\"x\":11}", rules, "x", "max value is 10");
}

/* A rule's own message states its whole range, for a value past either end. */
Test(fields, range_message_of_the_rule)
{
    static const struct field_rule rules[] = {
        {.name = "x", .kind = FIELD_INTEGER, .flags = FIELD_BOUNDED, .min = 0, .max = 255,
         .check_message = "must be an integer in 0..255"},
        {.name = "r", .kind = FIELD_NUMBER, .flags = FIELD_BOUNDED, .min = -1, .max = 1,
         .check_message = "must be a number in -1..1"},
    };
    ASSERT_VALID("{\"x\":0,\"r\":-1}", rules);
    ASSERT_VALID("{\"x\":255,\"r\":1.0}", rules);
    ASSERT_ONE_ERROR("{\"x\":256}", rules, "x", "must be an integer in 0..255");
    ASSERT_ONE_ERROR("{\"x\":-1}", rules, "x", "must be an integer in 0..255");
    ASSERT_ONE_ERROR("{\"r\":1.5}", rules, "r", "must be a number in -1..1");
    ASSERT_ONE_ERROR("{\"r\":-2}", rules, "r", "must be a number in -1..1");
    ASSERT_ONE_ERROR("{\"x\":\"1\"}", rules, "x", "must be of integer type");
    ASSERT_ONE_ERROR("{\"x\":null}", rules, "x", "null value not allowed");
}

/* null is refused for every kind of field that is not nullable, bounded or
 * checked ones included: never read as "absent". */
Test(fields, null_is_refused_for_every_kind)
{
    static const struct field_rule rules[] = {
        {.name = "s", .kind = FIELD_STRING, .flags = FIELD_BOUNDED, .min = 0, .max = 4},
        {.name = "i", .kind = FIELD_INTEGER},
        {.name = "b", .kind = FIELD_BOOLEAN},
        {.name = "n", .kind = FIELD_NUMBER},
        {.name = "l", .kind = FIELD_LIST, .flags = FIELD_BOUNDED, .min = 0, .max = 4},
        {.name = "g", .kind = FIELD_STRING, .check = is_lowercase_for_null, .check_message = "lower"},
    };
    static const char *const names[] = {"s", "i", "b", "n", "l", "g"};
    for (size_t i = 0; i < N_RULES(rules); i++) {
        char json[32];
        snprintf(json, sizeof json, "{\"%s\":null}", names[i]);
        ASSERT_ONE_ERROR(json, rules, names[i], "null value not allowed");
        cr_assert_eq(validate_opts(json, rules, N_RULES(rules), FIELDS_ALLOW_UNKNOWN |
                                   FIELDS_CASE_INSENSITIVE), 1, "%s, game options", json);
    }
    cr_assert_eq(validate_opts("{\"S\":null}", rules, N_RULES(rules), FIELDS_CASE_INSENSITIVE), 1);
    cr_assert_str_eq(errors.items[0].field, "s", "named by the rule, as in the game's messages");
}

Test(fields, list_length_bounds)
{
    static const struct field_rule rules[] = {
        {.name = "ids", .kind = FIELD_LIST, .flags = FIELD_BOUNDED, .min = 1, .max = 2},
    };
    ASSERT_ONE_ERROR("{\"ids\":[]}", rules, "ids", "min length is 1");
    ASSERT_VALID("{\"ids\":[1]}", rules);
    ASSERT_VALID("{\"ids\":[1,2]}", rules);
    ASSERT_ONE_ERROR("{\"ids\":[1,2,3]}", rules, "ids", "max length is 2");
}

static bool is_lowercase(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return false;
    return true;
}

static const struct field_rule code_rule[] = {
    {.name = "code", .kind = FIELD_STRING, .flags = FIELD_BOUNDED, .min = 1, .max = 8,
     .check = is_lowercase, .check_message = "must be lowercase letters"},
};

Test(fields, check_callback)
{
    ASSERT_VALID("{\"code\":\"abc\"}", code_rule);
    ASSERT_ONE_ERROR("{\"code\":\"aBc\"}", code_rule, "code", "must be lowercase letters");
}

Test(fields, check_is_not_run_on_a_value_already_refused)
{
    ASSERT_ONE_ERROR("{\"code\":\"TOO-LONG-VALUE\"}", code_rule, "code", "max length is 8");
    ASSERT_ONE_ERROR("{\"code\":7}", code_rule, "code", "must be of string type");
}

static const struct field_rule game_rules[] = {
    {.name = "duration", .kind = FIELD_INTEGER, .flags = FIELD_REQUIRED},
    {.name = "reason", .kind = FIELD_STRING},
};

Test(fields, case_insensitive_keys)
{
    cr_assert_eq(validate_opts("{\"DuRaTiOn\":5,\"REASON\":\"spam\"}", game_rules, 2,
                               FIELDS_CASE_INSENSITIVE), 0);
    int64_t v = 0;
    cr_assert(fields_int(&doc, "duration", FIELDS_CASE_INSENSITIVE, &v));
    cr_assert_eq(v, 5);
    cr_assert_str_eq(fields_string(&doc, "reason", FIELDS_CASE_INSENSITIVE, NULL), "spam");
    cr_assert_not(fields_int(&doc, "duration", 0, &v), "exact matching by default");
}

Test(fields, case_sensitive_by_default)
{
    cr_assert_eq(validate_opts("{\"DuRaTiOn\":5}", game_rules, 2, 0), 2);
    cr_assert_str_eq(errors.items[0].field, "DuRaTiOn");
    cr_assert_str_eq(errors.items[0].message, "unknown field");
    cr_assert_str_eq(errors.items[1].field, "duration");
    cr_assert_str_eq(errors.items[1].message, "required field");
}

Test(fields, case_insensitive_still_checks_types)
{
    cr_assert_eq(validate_opts("{\"Duration\":\"5\"}", game_rules, 2, FIELDS_CASE_INSENSITIVE), 1);
    cr_assert_str_eq(errors.items[0].field, "duration");
    cr_assert_str_eq(errors.items[0].message, "must be of integer type");
}

Test(fields, every_problem_is_reported)
{
    static const struct field_rule rules[] = {
        {.name = "a", .kind = FIELD_STRING, .flags = FIELD_REQUIRED},
        {.name = "b", .kind = FIELD_INTEGER},
        {.name = "c", .kind = FIELD_BOOLEAN},
    };
    cr_assert_eq(VALIDATE("{\"b\":\"x\",\"c\":null,\"zz\":1}", rules), 4);
    static const char *const expected[4][2] = {
        {"zz", "unknown field"},
        {"a", "required field"},
        {"b", "must be of integer type"},
        {"c", "null value not allowed"},
    };
    for (int i = 0; i < 4; i++) {
        cr_assert_str_eq(errors.items[i].field, expected[i][0]);
        cr_assert_str_eq(errors.items[i].message, expected[i][1]);
    }
}

/* {"u0":0,...} with n unknown keys. */
static size_t validate_unknown_keys(int n)
{
    char json[1024] = "{";
    for (int i = 0; i < n; i++) {
        size_t used = strlen(json);
        snprintf(json + used, sizeof json - used, "%s\"u%d\":%d", i ? "," : "", i, i);
    }
    strcat(json, "}");
    return validate_opts(json, name_rule, 0, 0);
}

Test(fields, errors_are_capped)
{
    cr_assert_eq(validate_unknown_keys(FIELDS_MAX_ERRORS), FIELDS_MAX_ERRORS);
    cr_assert_eq(validate_unknown_keys(FIELDS_MAX_ERRORS + 5), FIELDS_MAX_ERRORS);
    cr_assert_str_eq(errors.items[FIELDS_MAX_ERRORS - 1].field, "u15");
}

Test(fields, unknown_field_names_outlive_the_document)
{
    cr_assert_eq(VALIDATE("{\"name\":\"x\",\"extra\":1}", name_rule), 1);
    bson_reinit(&doc);
    cr_assert_str_eq(errors.items[0].field, "extra");
}

Test(fields, error_added_by_hand)
{
    cr_assert_eq(VALIDATE("{\"name\":\"x\"}", name_rule), 0);
    fields_error(&errors, "password", "passwords do not match");
    cr_assert_eq(errors.n, 1);
    cr_assert_str_eq(errors.items[0].field, "password");
    cr_assert_str_eq(errors.items[0].message, "passwords do not match");
}

Test(fields, getters_return_the_values)
{
    parse("{\"s\":\"h\xc3\xa9\",\"i\":-42,\"b\":true,\"d\":2.5,\"n\":null}");
    uint32_t len = 0;
    cr_assert_str_eq(fields_string(&doc, "s", 0, &len), "h\xc3\xa9");
    cr_assert_eq(len, 3, "length in bytes");
    cr_assert_str_eq(fields_string(&doc, "s", 0, NULL), "h\xc3\xa9");

    int64_t i = 0;
    cr_assert(fields_int(&doc, "i", 0, &i));
    cr_assert_eq(i, -42);
    bool b = false;
    cr_assert(fields_bool(&doc, "b", 0, &b));
    cr_assert(b);
    double d = 0;
    cr_assert(fields_number(&doc, "d", 0, &d));
    cr_assert_float_eq(d, 2.5, 1e-12);
    cr_assert(fields_number(&doc, "i", 0, &d), "an integer is a number");
    cr_assert_float_eq(d, -42.0, 1e-12);

    bson_iter_t it;
    cr_assert(fields_find(&doc, "n", 0, &it));
    cr_assert_eq(bson_iter_type(&it), BSON_TYPE_NULL);
}

Test(fields, getters_refuse_absent_null_and_wrong_types)
{
    parse("{\"s\":\"x\",\"i\":1,\"d\":1.0,\"n\":null}");
    int64_t i = 99;
    bool b = true;
    double d = 99;
    bson_iter_t it;
    cr_assert_null(fields_string(&doc, "missing", 0, NULL));
    cr_assert_null(fields_string(&doc, "n", 0, NULL));
    cr_assert_null(fields_string(&doc, "i", 0, NULL));
    cr_assert_not(fields_int(&doc, "d", 0, &i), "1.0 is not an integer");
    cr_assert_not(fields_int(&doc, "s", 0, &i));
    cr_assert_not(fields_bool(&doc, "i", 0, &b));
    cr_assert_not(fields_number(&doc, "s", 0, &d));
    cr_assert_not(fields_number(&doc, "n", 0, &d));
    cr_assert_not(fields_find(&doc, "missing", 0, &it));
    cr_assert_eq(i, 99, "a refusing getter leaves *out alone");
    cr_assert(b);
    cr_assert_float_eq(d, 99.0, 1e-12);
}
