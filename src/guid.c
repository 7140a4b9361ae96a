/*
 * guid: parse, format and generate GUIDs (see include/warden/guid.h).
 */
#include "warden/guid.h"

#include <sodium.h>
#include <string.h>

#include "warden/util.h"

static const char hex_digits[] = "0123456789abcdef";

static void format(const unsigned char bytes[16], char out[GUID_STRING_SIZE])
{
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex_digits[bytes[i] >> 4];
        out[o++] = hex_digits[bytes[i] & 15];
    }
    out[o] = '\0';
}

bool guid_parse(const char *s, char out[GUID_STRING_SIZE])
{
    size_t len = strlen(s);
    char body[40];
    if (len == 38 && ((s[0] == '{' && s[37] == '}') || (s[0] == '(' && s[37] == ')'))) {
        memcpy(body, s + 1, 36);
        body[36] = '\0';
    } else if (len == 36 || len == 32) {
        memcpy(body, s, len + 1);
    } else {
        return false;
    }
    bool hyphenated = strlen(body) == 36;
    unsigned char bytes[16];
    size_t b = 0;
    for (size_t i = 0; body[i]; i++) {
        if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (body[i] != '-')
                return false;
            continue;
        }
        int hi = hex_digit_value(body[i]);
        int lo = body[i + 1] ? hex_digit_value(body[i + 1]) : -1;
        if (hi < 0 || lo < 0 || b >= 16)
            return false;
        bytes[b++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    if (b != 16)
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
