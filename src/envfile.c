/*
 * envfile: NAME=value files (see include/warden/envfile.h).
 *
 * A parser only: what to do with an assignment (wardenctl sets the variables
 * the environment does not already give) is the caller's. The text is copied
 * line by line into a buffer that is wiped before returning, since
 * warden.env holds the server secret and the database password.
 */
#include "warden/envfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "warden/mem.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool name_char(char c, bool first)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}

/* One line (NUL-terminated, no '\n'), rewritten in place: the name and the
 * unquoted value end up as NUL-terminated strings inside it. 1: an
 * assignment in *name and *value; 0: nothing on the line; -1: malformed,
 * *why says how. */
static int parse_line(char *line, char **name, char **value, const char **why)
{
    char *p = line;
    while (is_blank(*p))
        p++;
    if (*p == '\0' || *p == '#' || *p == ';')
        return 0;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
        p += 6;
        while (is_blank(*p))
            p++;
    }
    *name = p;
    if (!name_char(*p, true)) {
        *why = "expected NAME=value";
        return -1;
    }
    while (name_char(*p, false))
        p++;
    char *name_end = p;
    while (is_blank(*p))
        p++;
    if (*p != '=') {
        *why = "expected NAME=value";
        return -1;
    }
    *name_end = '\0';
    p++;
    while (is_blank(*p))
        p++;
    char *out = p;
    *value = out;
    if (*p == '\'' || *p == '"') {
        char quote = *p++;
        for (;;) {
            if (*p == '\0') {
                *why = "unterminated quote";
                return -1;
            }
            if (*p == quote)
                break;
            if (quote == '"' && *p == '\\' && p[1] != '\0')
                p++;
            *out++ = *p++;
        }
        p++;
        while (is_blank(*p))
            p++;
        if (*p != '\0') {
            *why = "text after the closing quote";
            return -1;
        }
        *out = '\0';
        return 1;
    }
    size_t n = strlen(p);
    while (n && is_blank(p[n - 1]))
        n--;
    p[n] = '\0';
    return 1;
}

int envfile_parse(const char *text, size_t len, const char *source, envfile_fn fn, void *ctx,
                  char *err, size_t err_size)
{
    if (memchr(text, '\0', len)) {
        snprintf(err, err_size, "%s: holds a NUL byte: not an environment file", source);
        return -1;
    }
    char line[4096];
    MEM_WIPE_ON_RETURN(line);
    size_t at = 0;
    for (unsigned lineno = 1; at < len; lineno++) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        if (n >= sizeof line) {
            snprintf(err, err_size, "%s:%u: line longer than %zu bytes", source, lineno, sizeof line - 1);
            return -1;
        }
        memcpy(line, text + at, n);
        line[n] = '\0';
        at += n + (nl ? 1 : 0);
        char *name, *value;
        const char *why = NULL;
        int rc = parse_line(line, &name, &value, &why);
        if (rc < 0) {
            snprintf(err, err_size, "%s:%u: %s", source, lineno, why);
            return -1;
        }
        if (rc > 0 && fn(name, value, ctx) < 0)
            return -1;
    }
    return 0;
}

int envfile_read(const char *path, envfile_fn fn, void *ctx, char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, err_size, "cannot open %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    static char text[ENVFILE_MAX_SIZE + 1];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, text + len, sizeof text - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            mem_wipe(text, len);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof text) {
            snprintf(err, err_size, "%s: larger than %d bytes: not an environment file", path,
                     ENVFILE_MAX_SIZE);
            close(fd);
            mem_wipe(text, len);
            return -1;
        }
    }
    close(fd);
    int rc = envfile_parse(text, len, path, fn, ctx, err, err_size);
    mem_wipe(text, len);
    return rc;
}
