/*
 * parse: strict parsing of numbers from text (flags, query and path parameters).
 */
#ifndef WARDEN_PARSE_H
#define WARDEN_PARSE_H

#include <stdint.h>

/**
 * Parse a whole string as a base-10 integer in [min, max]. No sign other than
 * a leading '-', no spaces, no trailing text. Returns 0 and fills *out, or -1.
 */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
