/*
 * jsonw: the writer behind every response. Checked on exact output text,
 * and where the output is meant to be valid JSON whatever the input (string
 * escaping), also by reading it back with the strict reader.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/json.h"
#include "warden/jsonw.h"

static struct buf out;
static struct jsonw w;

static void setup(void)
{
    out = (struct buf)BUF_INIT;
    jsonw_init(&w, &out);
}

static void teardown(void)
{
    buf_free(&out);
}

TestSuite(jsonw, .init = setup, .fini = teardown);

static void assert_output(const char *expected)
{
    cr_assert_str_eq(buf_cstr(&out), expected);
}

/* Start over with an empty buffer. */
static void restart(void)
{
    buf_reset(&out);
    jsonw_init(&w, &out);
}

/* {"s": <string of len bytes>} rendered, then read back: the value must be expected. */
static void assert_string_round_trip(const char *s, size_t len, const char *expected)
{
    restart();
    jsonw_object_begin(&w);
    jsonw_key(&w, "s");
    jsonw_string_len(&w, s, len);
    jsonw_object_end(&w);
    bson_t doc = BSON_INITIALIZER;
    struct json_error err;
    cr_assert_eq(json_parse_object(out.data, out.len, &doc, &err), 0,
                 "writer produced invalid JSON %s: %s", out.data, err.message);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &doc, "s"));
    cr_assert_str_eq(bson_iter_utf8(&it, NULL), expected);
    bson_destroy(&doc);
}

/* The text jsonw_string_len writes for len bytes of s (quotes included). */
static void assert_escaped(const char *s, size_t len, const char *expected)
{
    restart();
    jsonw_string_len(&w, s, len);
    assert_output(expected);
}

Test(jsonw, empty_containers)
{
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    assert_output("{}");
    restart();
    jsonw_array_begin(&w);
    jsonw_array_end(&w);
    assert_output("[]");
}

Test(jsonw, commas_between_members)
{
    jsonw_object_begin(&w);
    jsonw_kv_int(&w, "a", 1);
    jsonw_kv_string(&w, "b", "x");
    jsonw_kv_bool(&w, "c", true);
    jsonw_kv_bool(&w, "d", false);
    jsonw_kv_null(&w, "e");
    jsonw_object_end(&w);
    assert_output("{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":false,\"e\":null}");
}

Test(jsonw, commas_and_nesting)
{
    jsonw_object_begin(&w);
    jsonw_key(&w, "list");
    jsonw_array_begin(&w);
    jsonw_int(&w, 1);
    jsonw_array_begin(&w);
    jsonw_array_end(&w);
    jsonw_object_begin(&w);
    jsonw_kv_int(&w, "k", 2);
    jsonw_object_end(&w);
    jsonw_string(&w, "s");
    jsonw_array_end(&w);
    jsonw_key(&w, "obj");
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    jsonw_kv_int(&w, "last", 3);
    jsonw_object_end(&w);
    assert_output("{\"list\":[1,[],{\"k\":2},\"s\"],\"obj\":{},\"last\":3}");
}

Test(jsonw, array_of_scalars)
{
    jsonw_array_begin(&w);
    jsonw_null(&w);
    jsonw_bool(&w, true);
    jsonw_int(&w, -5);
    jsonw_string_or_null(&w, NULL);
    jsonw_string_or_null(&w, "v");
    jsonw_array_end(&w);
    assert_output("[null,true,-5,null,\"v\"]");
}

Test(jsonw, deep_nesting_below_the_limit)
{
    int n = JSONW_MAX_DEPTH - 1;
    for (int i = 0; i < n; i++)
        jsonw_array_begin(&w);
    jsonw_int(&w, 7);
    for (int i = 0; i < n; i++)
        jsonw_array_end(&w);
    cr_assert_eq(out.len, (size_t)(2 * n + 1));
    cr_assert_eq(out.data[n], '7');
    cr_assert_eq(out.data[0], '[');
    cr_assert_eq(out.data[out.len - 1], ']');
}

Test(jsonw, integers)
{
    jsonw_array_begin(&w);
    jsonw_int(&w, 0);
    jsonw_int(&w, INT64_MAX);
    jsonw_int(&w, INT64_MIN);
    jsonw_array_end(&w);
    assert_output("[0,9223372036854775807,-9223372036854775808]");
}

Test(jsonw, quotes_and_backslashes_are_escaped)
{
    assert_escaped("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
    assert_escaped("a\\b", 3, "\"a\\\\b\"");
    assert_escaped("/", 1, "\"/\"");
}

Test(jsonw, control_characters_are_escaped)
{
    assert_escaped("\n\r\t", 3, "\"\\n\\r\\t\"");
    assert_escaped("\x01", 1, "\"\\u0001\"");
    assert_escaped("\x1f", 1, "\"\\u001f\"");
    assert_escaped("\b\f", 2, "\"\\u0008\\u000c\"");
    assert_escaped("a\0b", 3, "\"a\\u0000b\"");
    assert_escaped("\x7f", 1, "\"\x7f\"");
}

Test(jsonw, valid_multibyte_utf8_is_kept)
{
    const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    char expected[64];
    snprintf(expected, sizeof expected, "\"%s\"", s);
    assert_escaped(s, strlen(s), expected);
}

Test(jsonw, invalid_bytes_become_replacement_characters)
{
    assert_escaped("a\xff" "b", 3, "\"a\\ufffdb\"");
    assert_escaped("\xc3", 1, "\"\\ufffd\"");                   /* truncated */
    assert_escaped("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");        /* overlong */
    assert_escaped("x\xed\xa0\x80y", 5, "\"x\\ufffd\\ufffd\\ufffdy\""); /* surrogate */
    assert_escaped("\xe2\x82\xac\x80", 4, "\"\xe2\x82\xac\\ufffd\"");
}

Test(jsonw, escaped_output_reads_back)
{
    assert_string_round_trip("\"\\\n\x01\x7f", 5, "\"\\\n\x01\x7f");
    assert_string_round_trip("\xc3\xa9\xff", 3, "\xc3\xa9\xef\xbf\xbd");
    assert_string_round_trip("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

Test(jsonw, keys_are_escaped_too)
{
    jsonw_object_begin(&w);
    jsonw_kv_int(&w, "we\"ird\n", 1);
    jsonw_object_end(&w);
    assert_output("{\"we\\\"ird\\n\":1}");
}

Test(jsonw, ids_are_decimal_strings)
{
    jsonw_array_begin(&w);
    jsonw_id(&w, 0);
    jsonw_id(&w, 9007199254740993); /* 2^53 + 1: a JavaScript number would lose it */
    jsonw_id(&w, INT64_MAX);
    jsonw_id(&w, -1);
    jsonw_array_end(&w);
    assert_output("[\"0\",\"9007199254740993\",\"9223372036854775807\",\"-1\"]");
}

Test(jsonw, dates_are_iso8601)
{
    jsonw_array_begin(&w);
    jsonw_date(&w, 0);
    jsonw_date(&w, 1420070400000);
    jsonw_date(&w, 1420070400123);
    jsonw_array_end(&w);
    assert_output("[\"1970-01-01T00:00:00.000000+00:00\",\"2015-01-01T00:00:00.000000+00:00\","
                  "\"2015-01-01T00:00:00.123000+00:00\"]");
}

/* The text jsonw_double writes for v. */
static const char *double_text(double v)
{
    restart();
    jsonw_double(&w, v);
    return buf_cstr(&out);
}

Test(jsonw, doubles_stay_floats)
{
    cr_assert_str_eq(double_text(0.5), "0.5");
    cr_assert_str_eq(double_text(1.0), "1.0");
    cr_assert_str_eq(double_text(-2.0), "-2.0");
    cr_assert_str_eq(double_text(0.0), "0.0");
    cr_assert_str_eq(double_text(1e300), "1e+300");
    cr_assert_str_eq(double_text(123456789.0), "123456789.0");
}

Test(jsonw, doubles_are_shortest_round_trip)
{
    cr_assert_str_eq(double_text(0.1), "0.1");
    cr_assert_str_eq(double_text(2.675), "2.675");
    cr_assert_str_eq(double_text(1.0 / 3.0), "0.3333333333333333");
    cr_assert_str_eq(double_text(0.1 + 0.2), "0.30000000000000004");
    static const double samples[] = {
        0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-7, 5e-324, 1.7976931348623157e308, 123.456, -9.87654321e-12,
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        cr_assert_eq(strtod(double_text(samples[i]), NULL), samples[i], "%s", buf_cstr(&out));
}

Test(jsonw, non_finite_doubles_are_null)
{
    cr_assert_str_eq(double_text(INFINITY), "null");
    cr_assert_str_eq(double_text(-INFINITY), "null");
    cr_assert_str_eq(double_text(NAN), "null");
}

Test(jsonw, doubles_in_context)
{
    jsonw_array_begin(&w);
    jsonw_double(&w, 1.5);
    jsonw_double(&w, NAN);
    jsonw_array_end(&w);
    assert_output("[1.5,null]");
}

/* Render doc (as the value of a key, the way a handler would). */
static void render_document(const bson_t *doc)
{
    bson_t outer = BSON_INITIALIZER;
    BSON_APPEND_DOCUMENT(&outer, "v", doc);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &outer, "v"));
    restart();
    jsonw_bson_value(&w, &it);
    bson_destroy(&outer);
}

Test(jsonw, bson_document_of_every_supported_type)
{
    bson_t doc = BSON_INITIALIZER, arr, inner, sub;
    BSON_APPEND_UTF8(&doc, "s", "x\"y");
    BSON_APPEND_INT32(&doc, "i32", -5);
    BSON_APPEND_INT64(&doc, "i64", 1099511627776);
    BSON_APPEND_DOUBLE(&doc, "d", 2.0);
    BSON_APPEND_BOOL(&doc, "b", true);
    BSON_APPEND_NULL(&doc, "n");
    BSON_APPEND_DATE_TIME(&doc, "dt", 1420070400000);
    BSON_APPEND_ARRAY_BEGIN(&doc, "arr", &arr);
    BSON_APPEND_INT32(&arr, "0", 1);
    BSON_APPEND_UTF8(&arr, "1", "two");
    BSON_APPEND_ARRAY_BEGIN(&arr, "2", &sub);
    BSON_APPEND_INT32(&sub, "0", 3);
    bson_append_array_end(&arr, &sub);
    bson_append_array_end(&doc, &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "doc", &inner);
    BSON_APPEND_BOOL(&inner, "k", false);
    bson_append_document_end(&doc, &inner);
    render_document(&doc);
    assert_output("{\"s\":\"x\\\"y\",\"i32\":-5,\"i64\":1099511627776,\"d\":2.0,\"b\":true,"
                  "\"n\":null,\"dt\":\"2015-01-01T00:00:00.000000+00:00\","
                  "\"arr\":[1,\"two\",[3]],\"doc\":{\"k\":false}}");
    bson_destroy(&doc);
}

Test(jsonw, bson_empty_containers_and_object_id)
{
    bson_t doc = BSON_INITIALIZER, empty_arr, empty_doc;
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
    BSON_APPEND_OID(&doc, "_id", &oid);
    BSON_APPEND_ARRAY_BEGIN(&doc, "a", &empty_arr);
    bson_append_array_end(&doc, &empty_arr);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "o", &empty_doc);
    bson_append_document_end(&doc, &empty_doc);
    render_document(&doc);
    assert_output("{\"_id\":\"0123456789abcdef01234567\",\"a\":[],\"o\":{}}");
    bson_destroy(&doc);
}

Test(jsonw, bson_types_without_a_json_form_are_null)
{
    bson_t doc = BSON_INITIALIZER;
    const uint8_t bytes[] = {1, 2, 3};
    BSON_APPEND_BINARY(&doc, "bin", BSON_SUBTYPE_BINARY, bytes, sizeof bytes);
    BSON_APPEND_REGEX(&doc, "re", "^a", "i");
    BSON_APPEND_INT32(&doc, "after", 1);
    render_document(&doc);
    assert_output("{\"bin\":null,\"re\":null,\"after\":1}");
    bson_destroy(&doc);
}

Test(jsonw, bson_value_inside_a_written_object)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_INT64(&doc, "count", 3);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &doc, "count"));
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "name", "n");
    jsonw_key(&w, "count");
    jsonw_bson_value(&w, &it);
    jsonw_kv_null(&w, "next");
    jsonw_object_end(&w);
    assert_output("{\"name\":\"n\",\"count\":3,\"next\":null}");
    bson_destroy(&doc);
}
