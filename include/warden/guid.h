/*
 * guid: the game realm's ids (.NET Guid), kept as lower-case hyphenated
 * strings ("6ba7b810-9dad-41d1-80b4-00c04fd430c8") in the database and in
 * every response.
 */
#ifndef WARDEN_GUID_H
#define WARDEN_GUID_H

#include <stdbool.h>

#define GUID_STRING_SIZE 37 /* 36 characters and the NUL */

/**
 * Parse the forms .NET's Guid.Parse accepts: 32 hex digits ("N"),
 * hyphenated ("D"), in braces ("B") or parentheses ("P"); hex in any case.
 * Writes the canonical form into out. Returns true on success.
 */
bool guid_parse(const char *s, char out[GUID_STRING_SIZE]);
/** Whether a canonical GUID is all zeros. */
bool guid_is_zero(const char *canonical);
/** A random (version 4) GUID in canonical form. */
void guid_generate(char out[GUID_STRING_SIZE]);

#endif
