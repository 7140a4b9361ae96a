/*
 * json: the strict JSON to BSON reader that every request body goes through.
 * What it accepts is checked by the BSON it builds (types and values); what
 * it refuses, by the return value and a non-empty error message.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "warden/buf.h"
#include "warden/json.h"

static bson_t doc;
static struct json_error err;

static void setup(void)
{
    bson_init(&doc);
}

static void teardown(void)
{
    bson_destroy(&doc);
}

TestSuite(json, .init = setup, .fini = teardown);

/* Parse len bytes into a fresh doc. */
static int parse_len(const char *text, size_t len)
{
    bson_reinit(&doc);
    memset(&err, 0, sizeof err);
    return json_parse_object(text, len, &doc, &err);
}

static void assert_accepts(const char *text)
{
    int rc = parse_len(text, strlen(text));
    cr_assert_eq(rc, 0, "refused %s: %s at %zu", text, err.message, err.offset);
}

static void assert_refuses_len(const char *text, size_t len)
{
    cr_assert_eq(parse_len(text, len), -1, "accepted %.*s", (int)len, text);
    cr_assert_neq(err.message[0], '\0', "no error message for %.*s", (int)len, text);
}

static void assert_refuses(const char *text)
{
    assert_refuses_len(text, strlen(text));
}

/* The value at a dotted path ("a.b.0") of the last parsed document. */
static bson_iter_t at(const char *path)
{
    bson_iter_t it, found;
    cr_assert(bson_iter_init(&it, &doc));
    cr_assert(bson_iter_find_descendant(&it, path, &found), "no %s in the document", path);
    return found;
}

static void assert_type(const char *path, bson_type_t type)
{
    bson_iter_t it = at(path);
    cr_assert_eq(bson_iter_type(&it), type, "%s has BSON type 0x%02x, expected 0x%02x", path,
                 bson_iter_type(&it), type);
}

static void assert_int64(const char *path, int64_t v)
{
    assert_type(path, BSON_TYPE_INT64);
    bson_iter_t it = at(path);
    cr_assert_eq(bson_iter_int64(&it), v, "%s", path);
}

static void assert_double(const char *path, double v)
{
    assert_type(path, BSON_TYPE_DOUBLE);
    bson_iter_t it = at(path);
    cr_assert_eq(bson_iter_double(&it), v, "%s is %g", path, bson_iter_double(&it));
}

static void assert_utf8(const char *path, const char *expected)
{
    assert_type(path, BSON_TYPE_UTF8);
    bson_iter_t it = at(path);
    uint32_t len;
    const char *s = bson_iter_utf8(&it, &len);
    cr_assert_eq(len, strlen(expected), "%s has %u bytes", path, len);
    cr_assert_eq(memcmp(s, expected, len), 0, "%s is \"%s\"", path, s);
}

/* A string value decoded from the JSON string literal body (without quotes). */
static void assert_string_decodes(const char *literal, const char *expected)
{
    char text[256];
    snprintf(text, sizeof text, "{\"s\":\"%s\"}", literal);
    assert_accepts(text);
    assert_utf8("s", expected);
}

static void assert_string_refused(const char *literal)
{
    char text[256];
    snprintf(text, sizeof text, "{\"s\":\"%s\"}", literal);
    assert_refuses(text);
}

/* A key's value in its own object: {"v": <value>}. */
static void assert_value_refused(const char *value)
{
    char text[256];
    snprintf(text, sizeof text, "{\"v\":%s}", value);
    assert_refuses(text);
}

Test(json, every_value_type)
{
    assert_accepts("{\"i\":42,\"neg\":-7,\"d\":1.5,\"s\":\"text\",\"t\":true,\"f\":false,"
                   "\"n\":null,\"o\":{\"k\":1},\"a\":[1,\"x\"]}");
    cr_assert_eq(bson_count_keys(&doc), 9);
    assert_int64("i", 42);
    assert_int64("neg", -7);
    assert_double("d", 1.5);
    assert_utf8("s", "text");
    assert_type("t", BSON_TYPE_BOOL);
    bson_iter_t t = at("t"), f = at("f");
    cr_assert(bson_iter_bool(&t));
    cr_assert_not(bson_iter_bool(&f));
    assert_type("n", BSON_TYPE_NULL);
    assert_type("o", BSON_TYPE_DOCUMENT);
    assert_int64("o.k", 1);
    assert_type("a", BSON_TYPE_ARRAY);
}

Test(json, empty_object)
{
    assert_accepts("{}");
    cr_assert_eq(bson_count_keys(&doc), 0);
}

Test(json, keys_keep_their_order)
{
    assert_accepts("{\"z\":1,\"a\":2,\"m\":3}");
    bson_iter_t it;
    bson_iter_init(&it, &doc);
    static const char *const order[] = {"z", "a", "m"};
    for (int i = 0; i < 3; i++) {
        cr_assert(bson_iter_next(&it));
        cr_assert_str_eq(bson_iter_key(&it), order[i]);
    }
}

Test(json, numbers_with_fraction_or_exponent_are_doubles)
{
    assert_accepts("{\"a\":1.5,\"b\":1e3,\"c\":1.0,\"d\":-0.25,\"e\":2E-2,\"f\":1e+2,\"g\":0.0}");
    assert_double("a", 1.5);
    assert_double("b", 1000.0);
    assert_double("c", 1.0);
    assert_double("d", -0.25);
    assert_double("e", 0.02);
    assert_double("f", 100.0);
    assert_double("g", 0.0);
}

Test(json, int64_limits)
{
    assert_accepts("{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"zero\":0,"
                   "\"negzero\":-0}");
    assert_int64("max", INT64_MAX);
    assert_int64("min", INT64_MIN);
    assert_int64("zero", 0);
    assert_int64("negzero", 0);
}

Test(json, integers_beyond_int64_become_doubles)
{
    assert_accepts("{\"big\":9223372036854775808,\"small\":-9223372036854775809,"
                   "\"huge\":123456789012345678901234567890}");
    assert_double("big", 9223372036854775808.0);
    assert_double("small", -9223372036854775809.0);
    assert_double("huge", 123456789012345678901234567890.0);
}

Test(json, nested_arrays_use_index_keys)
{
    assert_accepts("{\"a\":[10,[20,21],{\"k\":\"v\"},[]]}");
    bson_iter_t a = at("a"), child;
    cr_assert(bson_iter_recurse(&a, &child));
    static const char *const keys[] = {"0", "1", "2", "3"};
    for (int i = 0; i < 4; i++) {
        cr_assert(bson_iter_next(&child));
        cr_assert_str_eq(bson_iter_key(&child), keys[i]);
    }
    cr_assert_not(bson_iter_next(&child));
    assert_int64("a.0", 10);
    assert_type("a.1", BSON_TYPE_ARRAY);
    assert_int64("a.1.1", 21);
    assert_utf8("a.2.k", "v");
    assert_type("a.3", BSON_TYPE_ARRAY);
}

Test(json, array_keys_past_ten)
{
    assert_accepts("{\"a\":[0,1,2,3,4,5,6,7,8,9,10,11]}");
    assert_int64("a.10", 10);
    assert_int64("a.11", 11);
}

Test(json, top_level_must_be_an_object)
{
    assert_refuses("[1,2]");
    assert_refuses("[]");
    assert_refuses("\"text\"");
    assert_refuses("42");
    assert_refuses("true");
    assert_refuses("null");
}

Test(json, empty_and_blank_input)
{
    assert_refuses_len("", 0);
    assert_refuses("   ");
    assert_refuses("\n");
}

Test(json, whitespace_around_and_inside)
{
    assert_accepts(" \t\r\n{ \"a\" :\t1 ,\n\"b\" : [ 1 , 2 ] }\r\n ");
    assert_int64("a", 1);
    assert_int64("b.1", 2);
}

Test(json, only_json_whitespace)
{
    assert_refuses("\f{}");
    assert_refuses("{}\v");
    assert_refuses("{\"a\":\f1}");
}

Test(json, trailing_garbage)
{
    assert_refuses("{}x");
    assert_refuses("{\"a\":1} {\"b\":2}");
    assert_refuses("{}}");
    assert_refuses_len("{}\0", 3);
}

Test(json, error_offset_points_at_the_problem)
{
    assert_refuses("{\"a\":1}  x");
    cr_assert_eq(err.offset, 9);
}

Test(json, structural_errors)
{
    static const char *const bad[] = {
        "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{a:1}",
        "{'a':1}", "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":[}", "{\"a\":1;\"b\":2}",
        "{\"a\":1,,\"b\":2}", "{\"a\":\"unterminated}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refuses(bad[i]);
}

Test(json, duplicate_keys)
{
    assert_refuses("{\"a\":1,\"a\":2}");
    cr_assert(strstr(err.message, "duplicate") != NULL, "message: %s", err.message);
    assert_refuses("{\"a\":1,\"b\":2,\"a\":{}}");
    assert_refuses("{\"o\":{\"x\":1,\"x\":1}}");
    assert_refuses("{\"l\":[{\"x\":1,\"y\":2,\"x\":3}]}");
    assert_refuses("{\"a\":1,\"\\u0061\":2}"); /* equal once decoded */
}

Test(json, equal_keys_in_different_objects_are_fine)
{
    assert_accepts("{\"a\":{\"a\":1},\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}");
    assert_int64("b.a", 2);
    assert_accepts("{\"a\":1,\"A\":2,\"a \":3}");
}

/* {"k0":0,"k1":1,...} with n keys, the last one optionally repeating "k0". */
static void parse_many_keys(int n, bool repeat_first)
{
    struct buf text = BUF_INIT;
    buf_putc(&text, '{');
    for (int i = 0; i < n; i++)
        buf_printf(&text, "%s\"k%d\":%d", i ? "," : "", i, i);
    if (repeat_first)
        buf_puts(&text, ",\"k0\":0");
    buf_putc(&text, '}');
    parse_len(text.data, text.len);
    buf_free(&text);
}

Test(json, fifty_thousand_distinct_keys)
{
    parse_many_keys(50000, false);
    cr_assert_eq(err.message[0], '\0', "refused: %s", err.message);
    cr_assert_eq(bson_count_keys(&doc), 50000);
    assert_int64("k49999", 49999);
}

Test(json, duplicate_among_many_keys)
{
    parse_many_keys(50000, true);
    cr_assert(strstr(err.message, "duplicate key 'k0'") != NULL, "message: %s", err.message);
}

/* --- limits on keys and elements ------------------------------------------------ */

static const struct json_limits four = {4, 3};

static int parse_limited(const char *text, const struct json_limits *limits)
{
    bson_reinit(&doc);
    memset(&err, 0, sizeof err);
    return json_parse_object_limited(text, strlen(text), limits, &doc, &err);
}

static void assert_limited_accepts(const char *text)
{
    cr_assert_eq(parse_limited(text, &four), 0, "refused %s: %s", text, err.message);
    cr_assert_eq(err.problem, JSON_MALFORMED, "no problem recorded");
}

/* Refused for problem, at the byte where needle starts, inside top-level field. */
static void assert_limited_refuses(const char *text, enum json_problem problem, const char *needle,
                                   const char *field)
{
    cr_assert_eq(parse_limited(text, &four), -1, "accepted %s", text);
    cr_assert_eq(err.problem, problem, "%s: problem %d (%s)", text, err.problem, err.message);
    cr_assert_eq(err.offset, (size_t)(strstr(text, needle) - text), "%s: offset %zu", text, err.offset);
    cr_assert_str_eq(err.field, field, "%s", text);
}

Test(json, keys_up_to_the_limit_are_read)
{
    assert_limited_accepts("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
    cr_assert_eq(bson_count_keys(&doc), 4);
    assert_limited_accepts("{\"o\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4},\"p\":[{\"a\":1,\"b\":2,\"c\":3,\"d\":4}]}");
    assert_limited_accepts("{}");
}

Test(json, one_key_past_the_limit_is_refused_where_it_starts)
{
    assert_limited_refuses("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}", JSON_TOO_MANY_KEYS, "\"e\"", "");
    cr_assert(strstr(err.message, "more than 4 keys") != NULL, "message: %s", err.message);
    /* nested objects, in an object and in an array, name the top-level field */
    assert_limited_refuses("{\"x\":1,\"o\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}}", JSON_TOO_MANY_KEYS,
                           "\"e\"", "o");
    assert_limited_refuses("{\"l\":[{\"a\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}}]}",
                           JSON_TOO_MANY_KEYS, "\"e\"", "l");
    /* even when the extra key is malformed, a repeat or a '$' key: the count comes first */
    assert_limited_refuses("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"$e\":5}", JSON_TOO_MANY_KEYS, "\"$e\"", "");
    assert_limited_refuses("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"a\":5}", JSON_TOO_MANY_KEYS, "\"a\":5", "");
}

Test(json, elements_up_to_the_limit_are_read)
{
    assert_limited_accepts("{\"l\":[1,2,3],\"m\":[[1,2,3],[],[\"x\",null,true]]}");
    assert_int64("l.2", 3);
    assert_limited_accepts("{\"l\":[]}");
}

Test(json, one_element_past_the_limit_is_refused_where_it_starts)
{
    assert_limited_refuses("{\"l\":[1,2,3,4]}", JSON_TOO_MANY_ELEMENTS, "4", "l");
    cr_assert(strstr(err.message, "more than 3 elements") != NULL, "message: %s", err.message);
    assert_limited_refuses("{\"m\":[[1,2,3],[1,2,3,\"x\"]]}", JSON_TOO_MANY_ELEMENTS, "\"x\"", "m");
    assert_limited_refuses("{\"o\":{\"l\":[{},{},{},{\"k\":1}]}}", JSON_TOO_MANY_ELEMENTS, "{\"k\"", "o");
}

/* The reader stops at the limit: the partial document holds no more than it. */
Test(json, a_huge_object_is_never_built)
{
    const struct json_limits limits = {64, 64};
    struct buf text = BUF_INIT;
    buf_putc(&text, '{');
    for (int i = 0; i < 50000; i++)
        buf_printf(&text, "%s\"k%d\":%d", i ? "," : "", i, i);
    buf_putc(&text, '}');
    bson_reinit(&doc);
    cr_assert_eq(json_parse_object_limited(text.data, text.len, &limits, &doc, &err), -1);
    cr_assert_eq(err.problem, JSON_TOO_MANY_KEYS);
    cr_assert_eq(bson_count_keys(&doc), 64, "built %u keys", bson_count_keys(&doc));
    buf_reset(&text);
    buf_puts(&text, "{\"l\":[");
    for (int i = 0; i < 50000; i++)
        buf_printf(&text, "%s%d", i ? "," : "", i);
    buf_puts(&text, "]}");
    bson_reinit(&doc);
    cr_assert_eq(json_parse_object_limited(text.data, text.len, &limits, &doc, &err), -1);
    cr_assert_eq(err.problem, JSON_TOO_MANY_ELEMENTS);
    buf_free(&text);
}

Test(json, zero_or_no_limits_count_nothing)
{
    const struct json_limits none = {0, 0};
    const char *text = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"l\":[1,2,3,4,5,6]}";
    cr_assert_eq(parse_limited(text, &none), 0, "%s", err.message);
    cr_assert_eq(parse_limited(text, NULL), 0, "%s", err.message);
    cr_assert_eq(parse_len(text, strlen(text)), 0, "json_parse_object counts nothing");
}

Test(json, other_problems_are_malformed_or_operator_keys)
{
    cr_assert_eq(parse_limited("{\"a\":1,\"a\":2}", &four), -1);
    cr_assert_eq(err.problem, JSON_MALFORMED);
    cr_assert_eq(parse_limited("{\"a\":", &four), -1);
    cr_assert_eq(err.problem, JSON_MALFORMED);
    cr_assert_eq(parse_limited("{\"a\":{\"$gt\":1}}", &four), -1);
    cr_assert_eq(err.problem, JSON_OPERATOR_KEY);
    cr_assert_str_eq(err.field, "a");
}

Test(json, dollar_keys_are_refused_at_any_depth)
{
    assert_refuses("{\"$where\":\"1\"}");
    assert_refuses("{\"username\":{\"$gt\":\"\"}}");
    assert_refuses("{\"a\":[{\"$numberLong\":\"1\"}]}");
    assert_refuses("{\"a\":{\"b\":{\"c\":{\"$x\":1}}}}");
    assert_refuses("{\"\\u0024gt\":1}"); /* '$' written as an escape */
}

Test(json, dollar_elsewhere_in_keys_and_values_is_fine)
{
    assert_accepts("{\"a$\":\"$gt\",\"price\":{\"us$\":1}}");
    assert_utf8("a$", "$gt");
}

/*
 * n nested containers in total, counting the top-level object:
 * {"a":{"a":{}}} for objects, {"a":[[]]} for arrays (n = 3).
 */
static void parse_nested(int n, bool arrays)
{
    struct buf text = BUF_INIT;
    buf_puts(&text, arrays && n > 1 ? "{\"a\":" : "{");
    for (int i = 1; i < n; i++)
        buf_puts(&text, arrays ? "[" : "\"a\":{");
    for (int i = 1; i < n; i++)
        buf_putc(&text, arrays ? ']' : '}');
    buf_putc(&text, '}');
    parse_len(text.data, text.len);
    buf_free(&text);
}

Test(json, nesting_depth_limit_with_objects)
{
    parse_nested(JSON_MAX_DEPTH, false);
    cr_assert_eq(err.message[0], '\0', "depth %d refused: %s", JSON_MAX_DEPTH, err.message);
    parse_nested(JSON_MAX_DEPTH + 1, false);
    cr_assert_neq(err.message[0], '\0', "depth %d accepted", JSON_MAX_DEPTH + 1);
}

Test(json, nesting_depth_limit_with_arrays)
{
    parse_nested(JSON_MAX_DEPTH, true);
    cr_assert_eq(err.message[0], '\0', "depth %d refused: %s", JSON_MAX_DEPTH, err.message);
    parse_nested(JSON_MAX_DEPTH + 1, true);
    cr_assert_neq(err.message[0], '\0', "depth %d accepted", JSON_MAX_DEPTH + 1);
}

Test(json, deep_nesting_is_refused_without_exhausting_the_stack)
{
    parse_nested(100000, true);
    cr_assert_neq(err.message[0], '\0');
}

Test(json, valid_multibyte_utf8_is_kept)
{
    const char *text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    assert_string_decodes(text, text);
    assert_accepts("{\"cl\xc3\xa9\":1}");
    assert_int64("cl\xc3\xa9", 1);
}

Test(json, invalid_utf8_is_refused)
{
    assert_string_refused("\xc0\xaf");         /* overlong '/' */
    assert_string_refused("\xe0\x80\xaf");     /* overlong, three bytes */
    assert_string_refused("\xed\xa0\x80");     /* surrogate U+D800 */
    assert_string_refused("\xf4\x90\x80\x80"); /* past U+10FFFF */
    assert_string_refused("\xff");
    assert_string_refused("\x80");
    assert_string_refused("ab\xe2\x82");       /* truncated before the closing quote */
    assert_refuses_len("{\"s\":\"\xe2\x82", 8); /* truncated at the end of input */
    assert_refuses("{\"k\xff\":1}");           /* in a key */
}

Test(json, simple_escapes)
{
    assert_string_decodes("a\\nb", "a\nb");
    assert_string_decodes("\\\"quoted\\\"", "\"quoted\"");
    assert_string_decodes("back\\\\slash", "back\\slash");
    assert_string_decodes("\\/", "/");
    assert_string_decodes("\\b\\f\\r\\t", "\b\f\r\t");
}

Test(json, unicode_escapes)
{
    assert_string_decodes("\\u0041", "A");
    assert_string_decodes("\\u00e9\\u00E9", "\xc3\xa9\xc3\xa9");
    assert_string_decodes("\\u20ac", "\xe2\x82\xac");
    assert_string_decodes("\\uffff", "\xef\xbf\xbf");
    assert_string_decodes("\\u007f", "\x7f");
}

Test(json, surrogate_pairs)
{
    assert_string_decodes("\\ud83d\\ude00", "\xf0\x9f\x98\x80");
    assert_string_decodes("\\uD800\\uDC00", "\xf0\x90\x80\x80");
    assert_string_decodes("\\udbff\\udfff", "\xf4\x8f\xbf\xbf");
}

Test(json, lone_surrogates_are_refused)
{
    assert_string_refused("\\ud83d");
    assert_string_refused("\\ud83dx");
    assert_string_refused("\\ude00");
    assert_string_refused("\\ud83d\\u0041");
    assert_string_refused("\\ud83d\\ud83d");
    assert_string_refused("\\ude00\\ud83d");
}

Test(json, bad_escapes_are_refused)
{
    assert_string_refused("\\u0000");
    assert_string_refused("\\x41");
    assert_string_refused("\\a");
    assert_string_refused("\\u12");
    assert_string_refused("\\u12g4");
    assert_string_refused("\\U0041");
    assert_refuses("{\"s\":\"\\");
}

Test(json, raw_control_characters_are_refused)
{
    assert_string_refused("a\x01z");
    assert_string_refused("tab\there");
    assert_string_refused("new\nline");
    assert_string_refused("\x1f");
    assert_refuses_len("{\"s\":\"a\0b\"}", 11);
    assert_string_decodes("del\x7f", "del\x7f");
}

Test(json, number_grammar)
{
    static const char *const bad[] = {
        "01", "-01", "00", "-", "1.", ".5", "+1", "1e", "1e+", "-.5", "1.e3", "0x10", "1_000",
        "NaN", "Infinity", "-Infinity", "--1", "1.5.2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused(bad[i]);
}

Test(json, literals)
{
    static const char *const bad[] = {
        "tru", "nul", "fals", "True", "NULL", "truex", "nullnull", "t",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused(bad[i]);
    assert_refuses_len("{\"v\":tr", 7);
}

Test(json, unquoted_and_single_quoted_values)
{
    assert_value_refused("abc");
    assert_value_refused("'abc'");
    assert_value_refused("undefined");
}

Test(json, error_message_is_filled_on_every_failure)
{
    assert_refuses("nope");
    char first[sizeof err.message];
    strcpy(first, err.message);
    assert_refuses("{\"a\":1,\"a\":1}");
    cr_assert_str_neq(err.message, first, "each failure describes its own problem");
}
