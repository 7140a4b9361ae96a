/*
 * parse: the UTC dates the audit log's route and `wardenctl audit` take,
 * their every form, and what they refuse.
 */
#include <criterion/criterion.h>

#include "warden/parse.h"

static int64_t date(const char *s)
{
    int64_t ms = -1;
    cr_assert_eq(parse_utc_date(s, &ms), 0, "'%s' refused", s);
    return ms;
}

Test(parse, utc_dates_in_every_form)
{
    cr_expect_eq(date("1970-01-01"), 0);
    cr_expect_eq(date("2026-12-01"), 1796083200000LL);
    cr_expect_eq(date("2026-12-01T14:07"), 1796083200000LL + (14 * 3600 + 7 * 60) * 1000LL);
    cr_expect_eq(date("2026-12-01T14:07Z"), date("2026-12-01T14:07"));
    cr_expect_eq(date("2026-12-01T14:07:05"), date("2026-12-01T14:07") + 5000);
    cr_expect_eq(date("2026-12-01T14:07:05.123Z"), date("2026-12-01T14:07") + 5123);
    cr_expect_eq(date("2024-02-29"), date("2024-03-01") - 86400000LL, "a leap day");
    cr_expect_eq(date("2000-02-29T23:59:59.999Z"), date("2000-03-01") - 1);
}

Test(parse, utc_dates_refused)
{
    static const char *const bad[] = {"", "yesterday", "2026-13-01", "2026-02-30", "2100-02-29",
                                      "1969-12-31", "2026-12-01T10", "2026-12-01T24:00",
                                      "2026-12-01T10:60", "2026-12-01T10:00:00.5Z",
                                      "2026-12-01T10:00:00+01:00", "2026-12-01x", "2026-1-01",
                                      "2026-12-01T10:00ZZ", " 2026-12-01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms = 42;
        cr_expect_eq(parse_utc_date(bad[i], &ms), -1, "'%s' accepted as %lld", bad[i], (long long)ms);
    }
}
