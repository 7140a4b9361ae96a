/*
 * buf: the growable buffer every response body is rendered into.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "warden/buf.h"

static struct buf b;

static void setup(void)
{
    b = (struct buf)BUF_INIT;
}

static void teardown(void)
{
    buf_free(&b);
}

TestSuite(buf, .init = setup, .fini = teardown);

/* The contents, length and terminating NUL all agree with expected. */
static void assert_contents(const char *expected)
{
    size_t n = strlen(expected);
    cr_assert_eq(b.len, n, "len %zu, expected %zu", b.len, n);
    cr_assert_str_eq(buf_cstr(&b), expected);
    cr_assert_eq(b.data[b.len], '\0');
    cr_assert_gt(b.cap, b.len);
}

Test(buf, empty_buffer_reads_as_empty_string)
{
    cr_assert_null(b.data);
    cr_assert_str_eq(buf_cstr(&b), "");
}

Test(buf, pieces_accumulate_in_order)
{
    buf_puts(&b, "id=");
    buf_printf(&b, "%d", 42);
    buf_putc(&b, ';');
    buf_append(&b, "xyz", 2);
    assert_contents("id=42;xy");
}

Test(buf, appending_nothing_still_gives_a_string)
{
    buf_append(&b, "", 0);
    cr_assert_not_null(b.data);
    assert_contents("");
}

Test(buf, binary_data_with_nul_bytes)
{
    buf_append(&b, "a\0b", 3);
    cr_assert_eq(b.len, 3);
    cr_assert_eq(memcmp(b.data, "a\0b", 4), 0, "bytes and the terminating NUL");
}

/* buf_vprintf renders into a 256-byte stack buffer first: check both sides. */
Test(buf, printf_around_the_small_buffer_size)
{
    static const size_t sizes[] = {255, 256, 257, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char expected[5001];
        memset(expected, 'q', sizes[i]);
        expected[sizes[i]] = '\0';
        buf_reset(&b);
        buf_puts(&b, "<");
        buf_printf(&b, "%s", expected);
        buf_puts(&b, ">");
        cr_assert_eq(b.len, sizes[i] + 2, "size %zu", sizes[i]);
        cr_assert_eq(b.data[0], '<');
        cr_assert_eq(memcmp(b.data + 1, expected, sizes[i]), 0, "size %zu", sizes[i]);
        cr_assert_str_eq(b.data + 1 + sizes[i], ">");
    }
}

Test(buf, grows_over_many_appends)
{
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, (char)('a' + i % 26));
    cr_assert_eq(b.len, 100000);
    for (int i = 0; i < 100000; i++)
        cr_assert_eq(b.data[i], 'a' + i % 26, "byte %d", i);
    cr_assert_eq(b.data[100000], '\0');
}

Test(buf, reset_forgets_contents_but_keeps_memory)
{
    buf_puts(&b, "some response body");
    char *data = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    assert_contents("");
    cr_assert_eq(b.data, data);
    cr_assert_eq(b.cap, cap);
    buf_puts(&b, "next");
    assert_contents("next");
}

Test(buf, reset_of_an_untouched_buffer)
{
    buf_reset(&b);
    cr_assert_str_eq(buf_cstr(&b), "");
}

Test(buf, free_leaves_an_empty_reusable_buffer)
{
    buf_puts(&b, "first");
    buf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
    cr_assert_str_eq(buf_cstr(&b), "");
    buf_puts(&b, "second");
    assert_contents("second");
}
