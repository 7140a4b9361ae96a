/*
 * envfile: environment files (`/etc/warden/warden.env`, a dev stack's
 * `stack.env`), the format systemd's EnvironmentFile= reads, for wardenctl.
 *
 * A line is `NAME=value`; blank lines and lines whose first non-blank
 * character is `#` or `;` are ignored; a leading `export ` is allowed. The
 * value is taken literally up to the end of the line with surrounding blanks
 * removed, or quoted: '...' literally, "..." with backslash escaping the next
 * character. Nothing is expanded ($VAR stays as written). Parsing never sets
 * anything itself: each assignment goes to a callback.
 */
#ifndef WARDEN_ENVFILE_H
#define WARDEN_ENVFILE_H

#include <stddef.h>

/* Files larger than this are refused (an env file is a few hundred bytes). */
#define ENVFILE_MAX_SIZE (64 * 1024)

/** Called once per assignment, in file order; return 0 to go on, -1 to stop (envfile_* then return -1). */
typedef int (*envfile_fn)(const char *name, const char *value, void *ctx);

/**
 * Parse text (len bytes, NUL bytes refused) and call fn for each assignment.
 * source names the text in messages ("FILE:LINE: ..."). Returns 0, or -1
 * with one line in err for a malformed line (the callback has then seen the
 * lines before it) or when fn returned -1 (err untouched then).
 */
int envfile_parse(const char *text, size_t len, const char *source, envfile_fn fn, void *ctx,
                  char *err, size_t err_size);

/**
 * Read the file at path whole (unbuffered, wiped after: it may hold a
 * secret) and parse it as envfile_parse does. Returns 0, or -1 with one
 * line in err (cannot open, too large, malformed); when the file cannot be
 * opened, errno is open's.
 */
int envfile_read(const char *path, envfile_fn fn, void *ctx, char *err, size_t err_size);

#endif
