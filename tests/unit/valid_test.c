/*
 * validators: the specs' regular expressions, written by hand, on both sides
 * of every boundary:
 *   chat username ^[a-zA-Z0-9_ ]{2,30}$
 *   email         ^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$, under 256 characters
 *   game name     ^[a-zA-Z0-9]{2,20}$
 */
#include <criterion/criterion.h>
#include <string.h>

#include "warden/valid.h"
#include "warden/utf8.h"

static bool username(const char *s)
{
    return valid_chat_username(s, strlen(s));
}

static bool email(const char *s)
{
    return valid_email(s, strlen(s));
}

static bool game_name(const char *s)
{
    return valid_game_name(s, strlen(s));
}

/* n copies of c. */
static const char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

Test(valid, username_length_boundaries)
{
    char buf[64];
    cr_expect_not(username(""), "0 characters");
    cr_expect_not(username(repeat(buf, 'a', 1)), "1 character");
    cr_expect(username(repeat(buf, 'a', 2)), "2 characters");
    cr_expect(username(repeat(buf, 'a', 30)), "30 characters");
    cr_expect_not(username(repeat(buf, 'a', 31)), "31 characters");
    cr_expect_not(username(repeat(buf, 'a', 60)), "60 characters");
}

Test(valid, username_allowed_characters)
{
    cr_expect(username("Alice"));
    cr_expect(username("bob_the_builder"));
    cr_expect(username("John Smith"));
    cr_expect(username("ZZ09"));
    cr_expect(username("__"));
    cr_expect(username("  "), "two spaces match the regex");
    cr_expect(username("a "));
    cr_expect(username("0123456789"));
    cr_expect(username("abcdefghijklmnopqrstuvwxyzABCD"));
    cr_expect(username("EFGHIJKLMNOPQRSTUVWXYZ"));
}

Test(valid, username_refused_characters)
{
    const char *bad[] = {"al-ice", "al.ice", "al@ce", "al'ce", "al\"ce", "al\tce", "al\nce",
                         "caf\xc3\xa9",     /* é */
                         "\xe5\xbc\xa0\xe4\xb8\x89", /* CJK */
                         "ab\x7f", "a$b", "a{b}", "a/b", "a\\b", "a:b", "a#b", "a%b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(username(bad[i]), "\"%s\" accepted", bad[i]);
    /* An embedded NUL counts as a character, and is refused. */
    cr_expect_not(valid_chat_username("ab\0cd", 5));
    /* Only len bytes are looked at. */
    cr_expect(valid_chat_username("ab-", 2));
    cr_expect_not(valid_chat_username("a-b", 3));
}

Test(valid, email_accepted_by_the_regex)
{
    const char *good[] = {
        "a@b.c",
        "alice@example.com",
        "Alice.Smith+tag@Example.COM",
        "a_b-c.d+e@sub-domain.example.org",
        "a@b..c",          /* [a-zA-Z0-9-.]+ after the first dot takes another dot */
        "a@b.c.",          /* ... and a trailing one */
        "a@b.-",
        "a@b-.c",
        "a@-.c",
        ".a@b.c",          /* the local part takes dots anywhere */
        "a.@b.c",
        "a..b@b.c",
        "+@b.c",
        "1@2.3",
        "a@b.c-d.e",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect(email(good[i]), "\"%s\" refused", good[i]);
}

Test(valid, email_refused_by_the_regex)
{
    const char *bad[] = {
        "",
        "a@b",             /* no dot in the domain */
        "a@.c",            /* empty first label */
        "@b.c",            /* empty local part */
        "a@b.",            /* nothing after the dot */
        "a@",
        "a",
        "ab.c",
        "a@@b.c",
        "a@b@c.d",
        "a b@c.d",
        "a@b c.d",
        "a@b.c d",
        "a@b_c.d",         /* no underscore in the domain */
        "a@b.c_d",
        "a@b.c/",
        "a!@b.c",
        "caf\xc3\xa9@b.c",
        "a@\xc3\xa9.c",
        "<a@b.c>",
        "a@[1.2.3.4]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(email(bad[i]), "\"%s\" accepted", bad[i]);
    cr_expect_not(valid_email("a@b.c\0", 6), "embedded NUL accepted");
}

Test(valid, trailing_newline_is_not_swallowed)
{
    /* Python's "$" also matches before a final newline; here the whole text
     * must match, so a newline never reaches a stored name or address. */
    cr_expect_not(email("a@b.c\n"));
    cr_expect_not(username("ab\n"));
    cr_expect_not(game_name("ab\n"));
}

Test(valid, email_length_boundary)
{
    /* "<local>@example.com": 12 characters after the local part. */
    char buf[400];
    size_t tail = strlen("@example.com");
    memset(buf, 'a', 255 - tail);
    strcpy(buf + 255 - tail, "@example.com");
    cr_assert_eq(strlen(buf), 255);
    cr_expect(email(buf), "255 characters refused");

    memset(buf, 'a', 256 - tail);
    strcpy(buf + 256 - tail, "@example.com");
    cr_assert_eq(strlen(buf), 256);
    cr_expect_not(email(buf), "256 characters accepted");

    memset(buf, 'a', 300);
    strcpy(buf + 300, "@example.com");
    cr_expect_not(email(buf), "312 characters accepted");
}

Test(valid, game_name_rules)
{
    char buf[64];
    cr_expect_not(game_name(""));
    cr_expect_not(game_name("a"), "1 character");
    cr_expect(game_name("ab"), "2 characters");
    cr_expect(game_name(repeat(buf, 'z', 20)), "20 characters");
    cr_expect_not(game_name(repeat(buf, 'z', 21)), "21 characters");
    cr_expect(game_name("Hero42"));
    cr_expect(game_name("ABCDEFGHIJKLMNOPQRST"));
    cr_expect(game_name("0123456789"));
    const char *bad[] = {"ab_c", "ab c", "ab-c", "ab.c", "ab'c", "h\xc3\xa9ro", "ab\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(game_name(bad[i]), "\"%s\" accepted", bad[i]);
}

Test(valid, utf8_ascii_lower)
{
    char out[32];
    utf8_ascii_lower("Alice.Smith@EXAMPLE.com", 23, out);
    cr_expect_str_eq(out, "alice.smith@example.com");
    /* Bytes past len are not read, and the copy is terminated. */
    utf8_ascii_lower("ABCDEF", 3, out);
    cr_expect_str_eq(out, "abc");
    /* Non-ASCII bytes pass through untouched. */
    utf8_ascii_lower("\xc3\x89Z", 3, out);
    cr_expect_str_eq(out, "\xc3\x89z");
    utf8_ascii_lower("", 0, out);
    cr_expect_str_eq(out, "");
}
