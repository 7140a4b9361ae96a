/*
 * store keys: the pieces every index-served lookup is built from (src/store/
 * store.c): padded ids whose string order is their numeric order, prefix
 * ranges that hold exactly the keys of one owner, and $in lists whose array
 * keys are the ones BSON requires ("0", "1", ...; a server refuses others).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "warden/store.h"
#include "warden/doc.h"

Test(store_keys, padded_ids_sort_as_numbers_and_read_back)
{
    const int64_t ids[] = {0, 7, 10, 99, 1577244518409957376LL, INT64_MAX};
    char prev[STORE_ID_DIGITS + 1] = "";
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char out[STORE_ID_DIGITS + 1];
        store_pad_id(ids[i], out);
        cr_assert_eq(strlen(out), STORE_ID_DIGITS);
        cr_assert_eq(store_unpad_id(out), ids[i], "%s", out);
        cr_assert(strcmp(prev, out) < 0, "%s then %s", prev, out);
        memcpy(prev, out, sizeof out);
    }
    cr_assert_eq(store_unpad_id("0000000000000000012x"), -1, "a non-digit is no id");
    cr_assert_eq(store_unpad_id("99999999999999999999"), -1, "past INT64_MAX is no id");
    cr_assert_eq(store_unpad_id("12"), -1, "too short");
}

/* The range's two bounds, from the filter store_prefix_filter wrote. */
static void bounds(const bson_t *filter, const char **from, const char **from_op, const char **to)
{
    bson_iter_t it, range;
    cr_assert(bson_iter_init_find(&it, filter, "_id") && BSON_ITER_HOLDS_DOCUMENT(&it));
    cr_assert(bson_iter_recurse(&it, &range));
    *to = NULL;
    cr_assert(bson_iter_next(&range));
    *from_op = bson_iter_key(&range);
    *from = bson_iter_utf8(&range, NULL);
    if (bson_iter_next(&range)) {
        cr_assert_str_eq(bson_iter_key(&range), "$lt");
        *to = bson_iter_utf8(&range, NULL);
    }
}

Test(store_keys, a_prefix_range_holds_exactly_the_prefixed_keys)
{
    bson_t filter = BSON_INITIALIZER;
    store_prefix_filter(&filter, "abc:", NULL, false);
    const char *from, *op, *to;
    bounds(&filter, &from, &op, &to);
    cr_assert_str_eq(op, "$gte");
    cr_assert_str_eq(from, "abc:");
    cr_assert_str_eq(to, "abc;");
    /* what falls inside, by MongoDB's byte order */
    const char *inside[] = {"abc:", "abc:0", "abc:~~~", "abc:\xc3\xa9"};
    const char *outside[] = {"abc", "abc9", "abc;", "abd:", "ab:"};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++)
        cr_assert(strcmp(inside[i], from) >= 0 && strcmp(inside[i], to) < 0, "%s", inside[i]);
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        cr_assert(strcmp(outside[i], from) < 0 || strcmp(outside[i], to) >= 0, "%s", outside[i]);
    bson_destroy(&filter);
}

Test(store_keys, a_prefix_range_resumes_after_a_key)
{
    bson_t filter = BSON_INITIALIZER;
    store_prefix_filter(&filter, "g/", "00000000000000000042", true);
    const char *from, *op, *to;
    bounds(&filter, &from, &op, &to);
    cr_assert_str_eq(op, "$gt");
    cr_assert_str_eq(from, "g/00000000000000000042");
    cr_assert_str_eq(to, "g0");
    bson_destroy(&filter);
}

Test(store_keys, the_empty_prefix_is_every_string_key)
{
    bson_t filter = BSON_INITIALIZER;
    store_prefix_filter(&filter, "", NULL, false);
    const char *from, *op, *to;
    bounds(&filter, &from, &op, &to);
    cr_assert_str_eq(op, "$gte");
    cr_assert_str_eq(from, "");
    cr_assert_null(to, "no upper bound");
    bson_destroy(&filter);
}

Test(store_keys, an_in_list_has_the_array_keys_bson_requires)
{
    bson_t filter = BSON_INITIALIZER;
    struct store_in in;
    store_in_begin(&filter, &in);
    for (int i = 0; i < 12; i++)
        store_in_int64(&in, 100 + i);
    store_in_utf8(&in, "last");
    store_in_end(&filter, &in);
    cr_assert(bson_validate(&filter, BSON_VALIDATE_NONE, NULL));
    bson_iter_t it, id, list;
    cr_assert(bson_iter_init_find(&it, &filter, "_id") && bson_iter_recurse(&it, &id));
    cr_assert(bson_iter_find(&id, "$in") && BSON_ITER_HOLDS_ARRAY(&id));
    cr_assert(bson_iter_recurse(&id, &list));
    int n = 0;
    while (bson_iter_next(&list)) {
        char expected[12]; /* any int */
        snprintf(expected, sizeof expected, "%d", n);
        cr_assert_str_eq(bson_iter_key(&list), expected);
        if (n < 12)
            cr_assert_eq(bson_iter_int64(&list), 100 + n);
        else
            cr_assert_str_eq(bson_iter_utf8(&list, NULL), "last");
        n++;
    }
    cr_assert_eq(n, 13);
    bson_destroy(&filter);
}

/* Numbers that the game server may write as doubles: in range they read as
 * integers, out of range (or NaN) as the fallback, never as undefined behaviour. */
Test(store_keys, doubles_out_of_int64_range_read_as_the_fallback)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_DOUBLE(&doc, "x", 12.75);
    BSON_APPEND_DOUBLE(&doc, "big", 1e30);
    BSON_APPEND_DOUBLE(&doc, "small", -1e30);
    BSON_APPEND_DOUBLE(&doc, "nan", 0.0 / 0.0);
    cr_assert_eq(doc_int(&doc, "x", -1), 12);
    cr_assert_eq(doc_int(&doc, "big", -1), -1);
    cr_assert_eq(doc_int(&doc, "small", -1), -1);
    cr_assert_eq(doc_int(&doc, "nan", -1), -1);
    bson_destroy(&doc);
}
