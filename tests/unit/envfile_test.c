/*
 * envfile: the NAME=value lines wardenctl reads from /etc/warden/warden.env
 * and a dev stack's stack.env: comments, blanks, `export`, both quotes,
 * nothing expanded, and each kind of malformed line named with its number.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "warden/envfile.h"

struct seen {
    char text[1024]; /* "NAME=value|" per assignment */
    int calls, stop_after;
};

static int collect(const char *name, const char *value, void *ctx)
{
    struct seen *s = ctx;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s=%s|", name, value);
    return ++s->calls == s->stop_after ? -1 : 0;
}

static void expect_parsed(const char *text, const char *expected)
{
    struct seen s = {"", 0, 0};
    char err[256] = "";
    cr_assert_eq(envfile_parse(text, strlen(text), "t", collect, &s, err, sizeof err), 0,
                 "\"%s\" refused: %s", text, err);
    cr_expect_str_eq(s.text, expected, "\"%s\"", text);
}

static void expect_refused(const char *text, const char *message)
{
    struct seen s = {"", 0, 0};
    char err[256] = "";
    cr_assert_eq(envfile_parse(text, strlen(text), "t", collect, &s, err, sizeof err), -1,
                 "\"%s\" accepted: %s", text, s.text);
    cr_expect_str_eq(err, message, "\"%s\"", text);
}

Test(envfile, assignments_comments_and_blanks)
{
    expect_parsed("", "");
    expect_parsed("A=1", "A=1|");
    expect_parsed("A=1\nB=two words\n", "A=1|B=two words|");
    expect_parsed("# a comment\n\n   \n; another\n  # indented\nC=3\r\n", "C=3|");
    expect_parsed("  D =  spaced out  \t\n", "D=spaced out|");
    expect_parsed("E=\nF=", "E=|F=|");
    expect_parsed("export G=7\n", "G=7|");
    expect_parsed("H=a=b#c\n", "H=a=b#c|");
    expect_parsed("WARDEN_MONGODB_URI=mongodb://u:p@h1,h2/warden?replicaSet=rs0\n",
                  "WARDEN_MONGODB_URI=mongodb://u:p@h1,h2/warden?replicaSet=rs0|");
}

Test(envfile, quotes_and_no_expansion)
{
    expect_parsed("A=\"two words\"", "A=two words|");
    expect_parsed("A='$HOME \\n'", "A=$HOME \\n|");
    expect_parsed("A=\"say \\\"hi\\\" \\\\ $X\"", "A=say \"hi\" \\ $X|");
    expect_parsed("A=\"\"  \n", "A=|");
    expect_parsed("A=$HOME", "A=$HOME|");
}

Test(envfile, malformed_lines_are_named)
{
    expect_refused("A=1\nnot an assignment\n", "t:2: expected NAME=value");
    expect_refused("=1", "t:1: expected NAME=value");
    expect_refused("1A=1", "t:1: expected NAME=value");
    expect_refused("A-B=1", "t:1: expected NAME=value");
    expect_refused("A=\"open", "t:1: unterminated quote");
    expect_refused("\n\nA='x' y", "t:3: text after the closing quote");
    struct seen s = {"", 0, 0};
    char err[128] = "";
    cr_expect_eq(envfile_parse("A=1\0B=2", 7, "t", collect, &s, err, sizeof err), -1);
    cr_expect_str_eq(err, "t: holds a NUL byte: not an environment file");
    cr_expect_eq(s.calls, 0, "nothing of it is applied");
}

Test(envfile, parse_stops_when_the_callback_says_so)
{
    struct seen s = {"", 0, 1};
    char err[64] = "";
    const char *text = "A=1\nB=2\n";
    cr_expect_eq(envfile_parse(text, strlen(text), "t", collect, &s, err, sizeof err), -1);
    cr_expect_str_eq(s.text, "A=1|");
    cr_expect_str_eq(err, "");
}

Test(envfile, read_a_file)
{
    char path[] = "/tmp/envfile-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "# settings\nWARDEN_SECRET='s3cret with spaces'\nWARDEN_X=1\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct seen s = {"", 0, 0};
    char err[256] = "";
    cr_expect_eq(envfile_read(path, collect, &s, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(s.text, "WARDEN_SECRET=s3cret with spaces|WARDEN_X=1|");
    unlink(path);

    cr_expect_eq(envfile_read(path, collect, &s, err, sizeof err), -1);
    char expected[128];
    snprintf(expected, sizeof expected, "cannot open %s: No such file or directory", path);
    cr_expect_str_eq(err, expected);
    cr_expect_eq(envfile_read("/tmp", collect, &s, err, sizeof err), -1, "a directory");
}
