/*
 * log: the shape of a line (UTC date to the millisecond, pid, level), the
 * escaper on every class of byte a request can carry (C0, DEL, C1 as UTF-8,
 * bidirectional controls, invalid UTF-8, overlong forms, embedded NULs, the
 * backslash), and lines read back from a log file: one line per call, only
 * printable ASCII, cut with LOG_CUT and never past the access line's last
 * field. Criterion runs each test in a process of its own, so the logger's
 * global state is fresh.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "warden/log.h"

static char path[64];

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/warden-log-test-%ld", (long)getpid());
    cr_assert_eq(log_open(path, LOG_DEBUG), 0);
}

static void teardown(void)
{
    unlink(path);
}

TestSuite(log, .init = setup, .fini = teardown);

/* The log file's first line, without its newline. */
static void first_line(char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(out, (int)size, f));
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

Test(log, line_starts_with_utc_date_pid_and_level)
{
    time_t before = time(NULL);
    log_info("hello");
    char line[256];
    first_line(line, sizeof line);
    /* "YYYY-MM-DDTHH:MM:SS.mmmZ warden[<pid>] info: hello" */
    cr_assert_eq(strlen(line) > 24, 1, "%s", line);
    for (size_t i = 0; i < 24; i++) {
        char c = line[i];
        bool ok;
        switch (i) {
        case 4: case 7: ok = c == '-'; break;
        case 10: ok = c == 'T'; break;
        case 13: case 16: ok = c == ':'; break;
        case 19: ok = c == '.'; break;
        case 23: ok = c == 'Z'; break;
        default: ok = c >= '0' && c <= '9';
        }
        cr_assert(ok, "byte %zu of %s", i, line);
    }
    struct tm tm;
    gmtime_r(&before, &tm);
    char year[16];
    snprintf(year, sizeof year, "%04d-", tm.tm_year + 1900);
    cr_assert_eq(strncmp(line, year, 5), 0, "not this year in UTC: %s", line);
    char rest[64];
    snprintf(rest, sizeof rest, " warden[%ld] info: hello", (long)getpid());
    cr_assert_str_eq(line + 24, rest);
}

/* log_escape of len bytes into a roomy buffer. */
static const char *esc(const char *src, size_t len, bool space)
{
    static char out[4096];
    log_escape(out, sizeof out, src, len, space);
    return out;
}
#define ESC(lit) esc(lit, sizeof lit - 1, false)

/* Every byte outside 0x20-0x7e, and '\', is "\xNN"; nothing else changes. */
Test(log_escape, each_byte_value)
{
    for (int c = 0; c < 256; c++) {
        char in[3] = {'a', (char)c, 'b'};
        char want[8];
        if (c >= 0x20 && c <= 0x7e && c != '\\')
            snprintf(want, sizeof want, "a%cb", c);
        else
            snprintf(want, sizeof want, "a\\x%02xb", c);
        cr_assert_str_eq(esc(in, 3, false), want, "byte 0x%02x", c);
    }
}

Test(log_escape, c0_controls_and_del)
{
    cr_assert_str_eq(ESC("a\nb\rc\td\x1b[31me\x7f"),
                     "a\\x0ab\\x0dc\\x09d\\x1b[31me\\x7f");
    /* A forged line: the newline and what follows stay on this one. */
    cr_assert_str_eq(ESC("/x\n2026-01-01T00:00:00.000Z warden[1] error: forged"),
                     "/x\\x0a2026-01-01T00:00:00.000Z warden[1] error: forged");
}

/* U+0080-U+009F in UTF-8 (0xc2 0x80-0x9f): CSI (U+009B) starts a terminal
 * escape sequence on terminals that honour 8-bit controls. */
Test(log_escape, c1_controls_as_utf8)
{
    for (int c = 0x80; c <= 0x9f; c++) {
        char in[2] = {(char)0xc2, (char)c}, want[16];
        snprintf(want, sizeof want, "\\xc2\\x%02x", c);
        cr_assert_str_eq(esc(in, 2, false), want, "U+%04X", c);
    }
    cr_assert_str_eq(ESC("/a\xc2\x9b" "31mred"), "/a\\xc2\\x9b31mred");
    /* The bare C1 bytes, as Latin-1 would send them. */
    cr_assert_str_eq(ESC("\x9b\x85"), "\\x9b\\x85");
}

/* U+202A-U+202E (embeddings, overrides) and U+2066-U+2069 (isolates), plus
 * the marks: each would reorder what a reader sees. */
Test(log_escape, bidirectional_controls)
{
    static const struct {
        const char *utf8, *want;
    } cases[] = {
        {"\xe2\x80\xaa", "\\xe2\\x80\\xaa"}, /* U+202A LRE */
        {"\xe2\x80\xab", "\\xe2\\x80\\xab"}, /* U+202B RLE */
        {"\xe2\x80\xac", "\\xe2\\x80\\xac"}, /* U+202C PDF */
        {"\xe2\x80\xad", "\\xe2\\x80\\xad"}, /* U+202D LRO */
        {"\xe2\x80\xae", "\\xe2\\x80\\xae"}, /* U+202E RLO */
        {"\xe2\x81\xa6", "\\xe2\\x81\\xa6"}, /* U+2066 LRI */
        {"\xe2\x81\xa7", "\\xe2\\x81\\xa7"}, /* U+2067 RLI */
        {"\xe2\x81\xa8", "\\xe2\\x81\\xa8"}, /* U+2068 FSI */
        {"\xe2\x81\xa9", "\\xe2\\x81\\xa9"}, /* U+2069 PDI */
        {"\xe2\x80\x8e", "\\xe2\\x80\\x8e"}, /* U+200E LRM */
        {"\xe2\x80\x8f", "\\xe2\\x80\\x8f"}, /* U+200F RLM */
        {"\xd8\x9c", "\\xd8\\x9c"},          /* U+061C ALM */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_str_eq(esc(cases[i].utf8, strlen(cases[i].utf8), false), cases[i].want,
                         "case %zu", i);
    /* "admin" shown reversed after the override: the bytes are what is logged. */
    cr_assert_str_eq(ESC("/users/\xe2\x80\xae" "nimda"), "/users/\\xe2\\x80\\xaenimda");
}

Test(log_escape, invalid_and_overlong_utf8)
{
    cr_assert_str_eq(ESC("\xff\xfe"), "\\xff\\xfe");
    cr_assert_str_eq(ESC("a\x80"), "a\\x80");             /* lone continuation byte */
    cr_assert_str_eq(ESC("\xc3(b"), "\\xc3(b");           /* truncated sequence */
    cr_assert_str_eq(ESC("\xe2\x80"), "\\xe2\\x80");      /* sequence cut at the end */
    cr_assert_str_eq(ESC("\xc0\xaf"), "\\xc0\\xaf");      /* overlong '/' */
    cr_assert_str_eq(ESC("\xc1\x9c"), "\\xc1\\x9c");      /* overlong '\' */
    cr_assert_str_eq(ESC("\xe0\x80\x8a"), "\\xe0\\x80\\x8a"); /* overlong newline */
    cr_assert_str_eq(ESC("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf");
    cr_assert_str_eq(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* UTF-16 surrogate */
    cr_assert_str_eq(ESC("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
    /* Valid text outside ASCII is escaped as well: one rule for every reader. */
    cr_assert_str_eq(ESC("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

/* A NUL inside the given length is a byte like any other. */
Test(log_escape, embedded_nul)
{
    cr_assert_str_eq(esc("a\0b", 3, false), "a\\x00b");
}

/* A backslash is always escaped, so a client's literal "\x0a" cannot pass for
 * an escaped newline, nor "\..." for a cut. */
Test(log_escape, backslash_itself)
{
    cr_assert_str_eq(ESC("\\x0a"), "\\x5cx0a");
    cr_assert_str_eq(ESC("a\\\\b"), "a\\x5c\\x5cb");
    cr_assert_str_eq(ESC("end\\..."), "end\\x5c...");
    cr_assert_str_eq(ESC("\\"), "\\x5c");
}

Test(log_escape, space_only_when_asked)
{
    cr_assert_str_eq(esc("a b", 3, false), "a b");
    cr_assert_str_eq(esc("/a 200 1us rid=x", 16, true), "/a\\x20200\\x201us\\x20rid=x");
}

/* Cut to fit at a whole escape, ending with LOG_CUT; fits exactly otherwise. */
Test(log_escape, cut_to_fit)
{
    char out[16];
    cr_assert_eq(log_escape(out, sizeof out, "abcdefghijklmno", 15, false), 15);
    cr_assert_str_eq(out, "abcdefghijklmno");
    cr_assert_eq(log_escape(out, sizeof out, "abcdefghijklmnop", 16, false), 15);
    cr_assert_str_eq(out, "abcdefghijk" LOG_CUT);
    /* "\xe2" would straddle the bound: it goes whole. */
    cr_assert_eq(log_escape(out, sizeof out, "abcdefgh\xe2\x80\xae", 11, false), 12);
    cr_assert_str_eq(out, "abcdefgh" LOG_CUT);
    char small[sizeof LOG_CUT];
    cr_assert_eq(log_escape(small, sizeof small, "\x01\x02", 2, false), 4);
    cr_assert_str_eq(small, LOG_CUT);
    cr_assert_eq(log_escape(small, sizeof small, "", 0, false), 0);
    cr_assert_str_eq(small, "");
}

/* The whole file: only printable ASCII and newlines, and how many lines. */
static size_t assert_printable_lines(void)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    size_t lines = 0, i = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        cr_assert((c >= 0x20 && c <= 0x7e) || c == '\n', "byte 0x%02x at %zu", c, i);
        lines += c == '\n';
        i++;
    }
    fclose(f);
    return lines;
}

Test(log, every_message_is_escaped_whole)
{
    log_warn("a\nb\rc\x1f" "d\x7f" "e\x01\x0a\xc3\xa9");
    char line[256];
    first_line(line, sizeof line);
    const char *msg = strstr(line, "warn: ");
    cr_assert_not_null(msg, "%s", line);
    cr_assert_str_eq(msg + 6, "a\\x0ab\\x0dc\\x1fd\\x7fe\\x01\\x0a\\xc3\\xa9");
}

/* Request values reach messages through %s arguments: each one's bytes come
 * out escaped, the format's fixed text as written. */
Test(log, arguments_from_requests_are_escaped)
{
    log_warn("invite %s use %d not given back (rid=%s): %s", "c\xe2\x80\xae" "de\\x41", 3,
             "r\xc2\x9b", "dup key: { _id: \"\xff\" }");
    char line[512];
    first_line(line, sizeof line);
    const char *msg = strstr(line, "warn: ");
    cr_assert_not_null(msg, "%s", line);
    cr_assert_str_eq(msg + 6, "invite c\\xe2\\x80\\xaede\\x5cx41 use 3 not given back "
                              "(rid=r\\xc2\\x9b): dup key: { _id: \"\\xff\" }");
    cr_assert_eq(assert_printable_lines(), 1);
}

Test(log, access_line_escapes_each_field_with_its_spaces)
{
    log_access("GET", "/api/v1/users/a b\xe2\x80\xae\n\\x0a", 404, 12, "r id\x1b");
    char line[512];
    first_line(line, sizeof line);
    const char *msg = strstr(line, "info: ");
    cr_assert_not_null(msg, "%s", line);
    cr_assert_str_eq(msg + 6, "access GET /api/v1/users/a\\x20b\\xe2\\x80\\xae\\x0a\\x5cx0a "
                              "404 12us rid=r\\x20id\\x1b");
    cr_assert_eq(assert_printable_lines(), 1);
}

Test(log, access_line_without_request_id)
{
    log_access("POST", "/x", 200, 1, NULL);
    char line[256];
    first_line(line, sizeof line);
    const char *msg = strstr(line, "info: ");
    cr_assert_not_null(msg, "%s", line);
    cr_assert_str_eq(msg + 6, "access POST /x 200 1us rid=-");
}

/* The longest path a request can carry (8 KiB, every byte escaped) is cut,
 * and the status, duration and request id still end the line. */
Test(log, access_line_keeps_its_fields_after_a_long_path)
{
    static char long_path[8193];
    long_path[0] = '/';
    memset(long_path + 1, 0x9b, sizeof long_path - 2);
    log_access("GET", long_path, 414, 7, "abc-123");
    static char line[8192];
    first_line(line, sizeof line);
    size_t len = strlen(line);
    const char *tail = LOG_CUT " 414 7us rid=abc-123";
    cr_assert(len > strlen(tail) && strcmp(line + len - strlen(tail), tail) == 0, "%s", line);
    cr_assert(len < 4096, "%zu bytes", len);
    cr_assert_eq(assert_printable_lines(), 1);
}

/* A message longer than a line is cut, and says so; still one line. */
Test(log, long_message_is_cut_and_marked)
{
    static char big[6000];
    memset(big, '\x85', sizeof big - 1);
    log_error("big %s", big);
    log_error("short %s", "a");
    static char line[8192];
    first_line(line, sizeof line);
    size_t len = strlen(line);
    cr_assert(len > sizeof LOG_CUT && strcmp(line + len - (sizeof LOG_CUT - 1), LOG_CUT) == 0,
              "%.80s...%s", line, line + len - 20);
    cr_assert(len < 4096, "%zu bytes", len);
    memset(big, 'a', sizeof big - 1);
    log_error("%s", big);
    cr_assert_eq(assert_printable_lines(), 3);
}
