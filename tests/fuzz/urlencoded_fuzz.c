/*
 * urlencoded_fuzz: request_percent_decode and request_parse_urlencoded, the
 * decoders behind every path, query string and form body.
 *
 * Input: the encoded text. When its first byte is a control character below
 * 0x20, that byte is the pair limit given to request_parse_urlencoded (so the
 * -2 "too many" answer is reached) and the text starts after it; otherwise
 * the limit is REQUEST_QUERY_PARAMS_MAX, as for a query string.
 *
 * Properties: the decoder agrees with a plain reference decoder written here
 * (same refusals, same bytes); encoding what was decoded and decoding it
 * again gives it back; the pair parser counts and decodes pairs as the
 * reference does, and its results survive a re-encode and re-parse.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "warden/arena.h"
#include "warden/request.h"

static struct arena *arena;

static int ref_hex(unsigned char c)
{
    if (!isxdigit(c))
        return -1;
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Reference: decode into out (size len + 1); false on a bad escape or a NUL. */
static bool ref_decode(const char *s, size_t len, bool plus, char *out, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (len - i < 3 || ref_hex((unsigned char)s[i + 1]) < 0 ||
                ref_hex((unsigned char)s[i + 2]) < 0)
                return false;
            c = (unsigned char)(ref_hex((unsigned char)s[i + 1]) * 16 +
                                ref_hex((unsigned char)s[i + 2]));
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == 0)
            return false;
        out[o++] = (char)c;
    }
    *out_len = o;
    return true;
}

/* Encode everything but unreserved characters; '+' stands for ' ' when plus. */
static size_t encode(const char *s, bool plus, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            out[o++] = (char)*p;
        } else if (*p == ' ' && plus) {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return o;
}

static void check_decode(const char *s, size_t len, bool plus)
{
    char *got = request_percent_decode(arena, s, len, plus);
    char *want = malloc(len + 1);
    size_t want_len = 0;
    bool ok = ref_decode(s, len, plus, want, &want_len);
    FUZZ_CHECK(ok == (got != NULL));
    if (ok) {
        FUZZ_CHECK(strlen(got) == want_len);
        FUZZ_CHECK(memcmp(got, want, want_len) == 0);
        char *again_in = malloc(3 * want_len + 1);
        size_t n = encode(got, plus, again_in);
        char *again = request_percent_decode(arena, again_in, n, plus);
        FUZZ_CHECK(again && strcmp(again, got) == 0);
        free(again_in);
    }
    free(want);
}

/* The pairs the reference finds: -1 malformed, -2 too many, else the count. */
static int ref_pairs(const char *s, size_t len, size_t max)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && s[i] != '&')
            i++;
        size_t end = i++;
        if (end == start)
            continue;
        if ((size_t)n >= max)
            return -2;
        const char *eq = memchr(s + start, '=', end - start);
        size_t name_len = eq ? (size_t)(eq - s - start) : end - start;
        char *tmp = malloc(end - start + 1);
        size_t tmp_len;
        bool ok = ref_decode(s + start, name_len, true, tmp, &tmp_len) &&
                  (!eq || ref_decode(eq + 1, (size_t)(s + end - eq - 1), true, tmp, &tmp_len));
        free(tmp);
        if (!ok)
            return -1;
        n++;
    }
    return n;
}

static void check_pairs(const char *s, size_t len, size_t max)
{
    struct query_param params[REQUEST_QUERY_PARAMS_MAX + 32];
    int n = request_parse_urlencoded(arena, s, len, params, max);
    int want = ref_pairs(s, len, max);
    FUZZ_CHECK(n == want);
    if (n <= 0)
        return;
    FUZZ_CHECK((size_t)n <= max);

    /* Re-encode the pairs and parse them again: the same pairs come back. */
    size_t cap = 1;
    for (int i = 0; i < n; i++)
        cap += 3 * (strlen(params[i].name) + strlen(params[i].value)) + 2;
    char *text = malloc(cap);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            text[o++] = '&';
        o += encode(params[i].name, true, text + o);
        text[o++] = '=';
        o += encode(params[i].value, true, text + o);
    }
    text[o] = '\0';
    struct query_param again[REQUEST_QUERY_PARAMS_MAX + 32];
    int m = request_parse_urlencoded(arena, text, o, again, max);
    /* An empty name and value encode to "=", which is still one pair. */
    FUZZ_CHECK(m == n);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(again[i].name, params[i].name) == 0);
        FUZZ_CHECK(strcmp(again[i].value, params[i].value) == 0);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena)
        arena = arena_new();
    const char *s = (const char *)data;
    size_t len = size;
    size_t max = REQUEST_QUERY_PARAMS_MAX;
    if (len > 0 && data[0] < 0x20) {
        max = data[0];
        s++;
        len--;
    }
    check_decode(s, len, false);
    check_decode(s, len, true);
    check_pairs(s, len, max);
    arena_reset(arena);
    return 0;
}
