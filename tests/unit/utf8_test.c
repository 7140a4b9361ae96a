/*
 * utf8: the strict validator the JSON reader and writer share. Each boundary
 * of the encoding (overlong forms, surrogates, U+10FFFF) is tested on both
 * sides.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "warden/utf8.h"

/* Length of the sequence at the start of a string literal (its bytes only, no NUL). */
static size_t seq_len(const char *s)
{
    return utf8_sequence_length((const unsigned char *)s, strlen(s));
}

Test(utf8, ascii_is_one_byte)
{
    cr_assert_eq(seq_len("a"), 1);
    cr_assert_eq(seq_len("\x7f"), 1);
}

Test(utf8, two_byte_boundaries)
{
    cr_assert_eq(seq_len("\xc2\x80"), 2);     /* U+0080, smallest */
    cr_assert_eq(seq_len("\xdf\xbf"), 2);     /* U+07FF, largest */
    cr_assert_eq(seq_len("\xc0\x80"), 0);     /* overlong NUL */
    cr_assert_eq(seq_len("\xc1\xbf"), 0);     /* overlong U+007F */
}

Test(utf8, three_byte_boundaries)
{
    cr_assert_eq(seq_len("\xe0\xa0\x80"), 3); /* U+0800 */
    cr_assert_eq(seq_len("\xe0\x9f\xbf"), 0); /* overlong U+07FF */
    cr_assert_eq(seq_len("\xef\xbf\xbf"), 3); /* U+FFFF */
}

Test(utf8, surrogates_are_refused)
{
    cr_assert_eq(seq_len("\xed\x9f\xbf"), 3); /* U+D7FF, just below */
    cr_assert_eq(seq_len("\xed\xa0\x80"), 0); /* U+D800 */
    cr_assert_eq(seq_len("\xed\xbf\xbf"), 0); /* U+DFFF */
    cr_assert_eq(seq_len("\xee\x80\x80"), 3); /* U+E000, just above */
}

Test(utf8, four_byte_boundaries)
{
    cr_assert_eq(seq_len("\xf0\x90\x80\x80"), 4); /* U+10000 */
    cr_assert_eq(seq_len("\xf0\x8f\xbf\xbf"), 0); /* overlong U+FFFF */
    cr_assert_eq(seq_len("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF */
    cr_assert_eq(seq_len("\xf4\x90\x80\x80"), 0); /* U+110000 */
    cr_assert_eq(seq_len("\xf5\x80\x80\x80"), 0);
}

Test(utf8, overlong_forms_of_every_length)
{
    cr_assert_eq(seq_len("\xc0\xaf"), 0);             /* '/' in two bytes */
    cr_assert_eq(seq_len("\xe0\x80\xaf"), 0);         /* '/' in three */
    cr_assert_eq(seq_len("\xf0\x80\x80\xaf"), 0);     /* '/' in four */
    cr_assert_eq(seq_len("\xf0\x80\x80\x80"), 0);     /* NUL in four */
    cr_assert_eq(seq_len("\xe0\x80\x80"), 0);         /* NUL in three */
    cr_assert_eq(seq_len("\xf8\x88\x80\x80\x80"), 0); /* the old five-byte forms */
    cr_assert_eq(seq_len("\xfc\x84\x80\x80\x80\x80"), 0);
}

Test(utf8, encoded_surrogate_pairs_are_refused)
{
    /* CESU-8 / WTF-8: U+1F600 as two encoded surrogates is not UTF-8. */
    const char *pair = "\xed\xa0\xbd\xed\xb8\x80";
    cr_assert_not(utf8_valid(pair, strlen(pair)));
    cr_assert_not(utf8_valid("\xed\xb8\x80", 3), "lone low surrogate");
    cr_assert_not(utf8_valid("a\xed\xaf\xbfz", 5), "U+DBFF");
}

Test(utf8, past_u10ffff_in_texts)
{
    cr_assert(utf8_valid("\xf4\x8f\xbf\xbf", 4));
    cr_assert_not(utf8_valid("\xf4\x90\x80\x80", 4));         /* U+110000 */
    cr_assert_not(utf8_valid("\xf7\xbf\xbf\xbf", 4));         /* U+1FFFFF */
    cr_assert_not(utf8_valid("ok \xf5\x80\x80\x80 ok", 10));
}

Test(utf8, truncated_sequences_in_texts)
{
    /* Cut at every byte of each length, at the end and before more text. */
    static const char *const whole[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(whole[i]);
        cr_assert(utf8_valid(whole[i], n));
        for (size_t cut = 1; cut < n; cut++) {
            char text[8];
            memcpy(text, whole[i], cut);
            cr_assert_not(utf8_valid(text, cut), "sequence %zu cut to %zu at the end", i, cut);
            text[cut] = 'a';
            cr_assert_not(utf8_valid(text, cut + 1), "sequence %zu cut to %zu before 'a'", i, cut);
        }
    }
    /* A lead byte alone, then a new lead byte. */
    cr_assert_not(utf8_valid("\xe2\xe2\x82\xac", 4));
}

Test(utf8, bytes_that_never_start_a_sequence)
{
    cr_assert_eq(seq_len("\x80"), 0);
    cr_assert_eq(seq_len("\xbf"), 0);
    cr_assert_eq(seq_len("\xfe"), 0);
    cr_assert_eq(seq_len("\xff"), 0);
}

Test(utf8, bad_continuation_bytes)
{
    cr_assert_eq(seq_len("\xe2\x28\xa1"), 0);
    cr_assert_eq(seq_len("\xe2\x82\x28"), 0);
    cr_assert_eq(seq_len("\xc3\xc3"), 0);
}

Test(utf8, truncated_sequences_do_not_read_past_n)
{
    const unsigned char euro[] = {0xe2, 0x82, 0xac};
    cr_assert_eq(utf8_sequence_length(euro, 3), 3);
    cr_assert_eq(utf8_sequence_length(euro, 2), 0);
    cr_assert_eq(utf8_sequence_length(euro, 1), 0);
}

Test(utf8, valid_texts)
{
    cr_assert(utf8_valid("", 0));
    cr_assert(utf8_valid("plain", 5));
    const char *mixed = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
    cr_assert(utf8_valid(mixed, strlen(mixed)));
}

Test(utf8, invalid_texts)
{
    cr_assert_not(utf8_valid("ab\xff", 3));
    cr_assert_not(utf8_valid("\xed\xa0\x80", 3));
    cr_assert_not(utf8_valid("x\xe2\x82", 3), "truncated at the end");
    /* A valid text cut inside its last sequence is no longer valid. */
    const char *euro = "a\xe2\x82\xac";
    cr_assert(utf8_valid(euro, 4));
    cr_assert_not(utf8_valid(euro, 3));
}

Test(utf8, length_counts_code_points)
{
    cr_assert_eq(utf8_length("", 0), 0);
    cr_assert_eq(utf8_length("abc", 3), 3);
    cr_assert_eq(utf8_length("h\xc3\xa9llo", 6), 5);
    cr_assert_eq(utf8_length("\xe6\x97\xa5\xe6\x9c\xac", 6), 2);
    cr_assert_eq(utf8_length("\xf0\x9f\x98\x80!", 5), 2);
}

static void assert_encodes(uint32_t cp, const char *expected)
{
    char out[4];
    size_t n = utf8_encode(cp, out);
    cr_assert_eq(n, strlen(expected), "U+%04X: length %zu", (unsigned)cp, n);
    cr_assert_eq(memcmp(out, expected, n), 0, "U+%04X: wrong bytes", (unsigned)cp);
    cr_assert_eq(utf8_sequence_length((const unsigned char *)out, n), n,
                 "U+%04X: encoding does not validate", (unsigned)cp);
}

Test(utf8, encode_at_every_length_boundary)
{
    assert_encodes(0x41, "A");
    assert_encodes(0x7f, "\x7f");
    assert_encodes(0x80, "\xc2\x80");
    assert_encodes(0xe9, "\xc3\xa9");
    assert_encodes(0x7ff, "\xdf\xbf");
    assert_encodes(0x800, "\xe0\xa0\x80");
    assert_encodes(0x20ac, "\xe2\x82\xac");
    assert_encodes(0xffff, "\xef\xbf\xbf");
    assert_encodes(0x10000, "\xf0\x90\x80\x80");
    assert_encodes(0x1f600, "\xf0\x9f\x98\x80");
    assert_encodes(0x10ffff, "\xf4\x8f\xbf\xbf");
}
