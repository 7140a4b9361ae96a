/*
 * utf8: strict UTF-8 validation (no overlong forms, no surrogates, nothing
 * past U+10FFFF), the only one in Warden: the JSON reader and writer, form
 * bodies, field lengths and query checks all go through it. libbson's own
 * validator is not used on input, so every path refuses the same bytes.
 */
#ifndef WARDEN_UTF8_H
#define WARDEN_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Length (1..4) of the valid sequence starting at s (n bytes available), or 0. */
size_t utf8_sequence_length(const unsigned char *s, size_t n);
/** Whether len bytes are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);
/** Number of code points in valid UTF-8 text. */
size_t utf8_length(const char *s, size_t len);
/** Encode a code point (<= U+10FFFF, not a surrogate) into out; returns the length. */
size_t utf8_encode(uint32_t cp, char out[4]);
/**
 * Copy len bytes into out (size > len) with ASCII letters lower-cased; every
 * other byte, those of multi-byte sequences included, is kept as it is.
 */
void utf8_ascii_lower(const char *s, size_t len, char *out);

#endif
