/*
 * guid: parse, format and generate GUIDs (see include/warden/guid.h).
 */
#include "warden/guid.h"

#include <sodium.h>
#include <string.h>

/* The canonical form: sodium_bin2hex's lower-case digits, hyphens at 8, 13, 18, 23. */
static void format(const unsigned char bytes[16], char out[GUID_STRING_SIZE])
{
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, bytes, 16);
    memcpy(out, hex, 8);
    out[8] = '-';
    memcpy(out + 9, hex + 8, 4);
    out[13] = '-';
    memcpy(out + 14, hex + 12, 4);
    out[18] = '-';
    memcpy(out + 19, hex + 16, 4);
    out[23] = '-';
    memcpy(out + 24, hex + 20, 12);
    out[36] = '\0';
}

bool guid_parse(const char *s, char out[GUID_STRING_SIZE])
{
    size_t len = strlen(s);
    if (len == 38 && ((s[0] == '{' && s[37] == '}') || (s[0] == '(' && s[37] == ')'))) {
        s++;
        len = 36;
    } else if (len != 36 && len != 32) {
        return false;
    }
    /* The 32 digits alone: hyphens only where the "D" form has them. */
    char digits[32];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        bool hyphen_place = len == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
        if (hyphen_place != (s[i] == '-'))
            return false;
        if (!hyphen_place)
            digits[n++] = s[i];
    }
    unsigned char bytes[16];
    size_t bin_len;
    /* Without hex_end, sodium_hex2bin fails unless every digit is hex (either case). */
    if (n != 32 || sodium_hex2bin(bytes, sizeof bytes, digits, n, NULL, &bin_len, NULL) != 0 ||
        bin_len != sizeof bytes)
        return false;
    format(bytes, out);
    return true;
}

bool guid_is_zero(const char *canonical)
{
    return strcmp(canonical, "00000000-0000-0000-0000-000000000000") == 0;
}

void guid_generate(char out[GUID_STRING_SIZE])
{
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x40); /* version 4 */
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    format(bytes, out);
}
