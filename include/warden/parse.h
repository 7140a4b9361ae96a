/*
 * parse: strict parsing of numbers and dates from text (flags, query and
 * path parameters, wardenctl's arguments).
 */
#ifndef WARDEN_PARSE_H
#define WARDEN_PARSE_H

#include <stdint.h>

/**
 * Parse a whole string as a base-10 integer in [min, max]. No sign other than
 * a leading '-', no spaces, no trailing text. Returns 0 and fills *out, or -1.
 */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* What parse_utc_date takes, for messages. */
#define PARSE_UTC_DATE_FORMS "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]"

/**
 * A UTC date, PARSE_UTC_DATE_FORMS (proleptic Gregorian, years 1970..9999,
 * no other zone), as ms since 1970 into *ms. Returns 0, or -1 for anything
 * else or an impossible date (2026-02-30, 24:00).
 */
int parse_utc_date(const char *s, int64_t *ms);

#endif
