/*
 * guid: the forms .NET's Guid.Parse takes (N, D, B, P; hex in any case) to
 * the canonical lower-case hyphenated form, refusal of anything else, the
 * all-zero check, and fresh version 4 GUIDs.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "warden/guid.h"

#define CANONICAL "6ba7b810-9dad-41d1-80b4-00c04fd430c8"

static void assert_parses(const char *s, const char *expected)
{
    char out[GUID_STRING_SIZE];
    memset(out, 'x', sizeof out);
    cr_assert(guid_parse(s, out), "\"%s\" refused", s);
    cr_expect_str_eq(out, expected, "\"%s\" parsed as %s", s, out);
}

static void assert_refused(const char *s)
{
    char out[GUID_STRING_SIZE];
    cr_expect_not(guid_parse(s, out), "\"%s\" accepted", s);
}

Test(guid, parses_the_four_forms)
{
    assert_parses(CANONICAL, CANONICAL);                             /* D */
    assert_parses("6ba7b8109dad41d180b400c04fd430c8", CANONICAL);    /* N */
    assert_parses("{" CANONICAL "}", CANONICAL);                     /* B */
    assert_parses("(" CANONICAL ")", CANONICAL);                     /* P */
}

Test(guid, any_case_becomes_lower_case)
{
    assert_parses("6BA7B810-9DAD-41D1-80B4-00C04FD430C8", CANONICAL);
    assert_parses("6BA7B8109DAD41D180B400C04FD430C8", CANONICAL);
    assert_parses("{6Ba7B810-9dAd-41D1-80b4-00C04fD430C8}", CANONICAL);
    assert_parses("(6BA7B810-9DAD-41D1-80B4-00C04FD430C8)", CANONICAL);
    assert_parses("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000");
    assert_parses("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

Test(guid, refuses_malformed)
{
    const char *bad[] = {
        "",
        "6ba7b810",
        "6ba7b810-9dad-41d1-80b4-00c04fd430c",       /* 35 */
        "6ba7b810-9dad-41d1-80b4-00c04fd430c8a",     /* 37 */
        "6ba7b8109dad41d180b400c04fd430c",           /* 31 */
        "6ba7b8109dad41d180b400c04fd430c8a",         /* 33 */
        "6ba7b810-9dad-41d1-80b4-00c04fd430cg",      /* non-hex */
        "6ba7b8109dad41d180b400c04fd430cz",
        "6ba7b810_9dad_41d1_80b4_00c04fd430c8",      /* wrong separators */
        "6ba7b8109-dad-41d1-80b4-00c04fd430c8",      /* hyphen one off */
        "6ba7b810-9dad41d1--80b4-00c04fd430c8",
        "-6ba7b810-9dad-41d1-80b400c04fd430c8",
        "6ba7b810-9dad-41d1-80b4-00c0-4fd430c8",
        "{" CANONICAL ")",                           /* mismatched */
        "(" CANONICAL "}",
        "[" CANONICAL "]",
        "{" CANONICAL,
        CANONICAL "}",
        "{6ba7b8109dad41d180b400c04fd430c8}",        /* braces around N: not a .NET form */
        " " CANONICAL,
        CANONICAL " ",
        "6ba7b810-9dad-41d1-80b4-00c04fd430c\xc3",
        "0x6ba7b8109dad41d180b400c04fd430",
        "{0x6ba7b810,0x9dad,0x41d1,{0x80,0xb4,0x00,0xc0,0x4f,0xd4,0x30,0xc8}}",
        "+ba7b810-9dad-41d1-80b4-00c04fd430c8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refused(bad[i]);
}

Test(guid, zero)
{
    cr_expect(guid_is_zero("00000000-0000-0000-0000-000000000000"));
    cr_expect_not(guid_is_zero(CANONICAL));
    cr_expect_not(guid_is_zero("00000000-0000-0000-0000-000000000001"));
    cr_expect_not(guid_is_zero("10000000-0000-0000-0000-000000000000"));
    /* Every zero form parses to the canonical zero. */
    char out[GUID_STRING_SIZE];
    cr_assert(guid_parse("00000000000000000000000000000000", out));
    cr_expect(guid_is_zero(out));
    cr_assert(guid_parse("{00000000-0000-0000-0000-000000000000}", out));
    cr_expect(guid_is_zero(out));
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

Test(guid, generated_are_version_4_canonical_and_distinct)
{
    cr_assert(sodium_init() >= 0);
    enum { N = 200 };
    char ids[N][GUID_STRING_SIZE];
    for (int n = 0; n < N; n++) {
        char *g = ids[n];
        guid_generate(g);
        cr_assert_eq(strlen(g), 36, "%s", g);
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                cr_assert_eq(g[i], '-', "%s: no hyphen at %d", g, i);
            else
                cr_assert(is_lower_hex(g[i]), "%s: '%c' at %d", g, g[i], i);
        }
        cr_assert_eq(g[14], '4', "%s is not version 4", g);
        cr_assert(strchr("89ab", g[19]), "%s: not the RFC 4122 variant", g);
        char again[GUID_STRING_SIZE];
        cr_assert(guid_parse(g, again), "a generated GUID %s does not parse", g);
        cr_assert_str_eq(again, g);
        cr_assert_not(guid_is_zero(g));
        for (int k = 0; k < n; k++)
            cr_assert_str_neq(ids[k], g, "GUID %s generated twice", g);
    }
}
