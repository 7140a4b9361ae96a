/*
 * log: leveled, line-oriented logging to stderr or a file.
 *
 * Each line is written with one write(2) on an O_APPEND descriptor, so lines
 * from the master and every worker interleave whole. Nothing secret (tokens,
 * passwords, hashes, request bodies) may ever be passed to these functions.
 *
 * Escaping. A log line holds printable ASCII only (0x20-0x7e) and ends with
 * its one newline: every other byte, and the backslash itself, is written as
 * "\xNN" (two lower-case hex digits), byte by byte. So a value from a request
 * (a path, a lookup key, an invite code, a name, a key that a database error
 * quotes) can neither start a line of its own nor carry C1 controls,
 * bidirectional overrides (U+202E...) or invalid UTF-8 to whoever reads the
 * log, and "\x41" typed by a client reads "\x5cx41": a backslash in a line
 * always starts an escape. Valid non-ASCII text is escaped too (é is
 * "\xc3\xa9"): which code points are harmless depends on the reader's
 * terminal, and one rule is easier to rely on.
 *
 * Where: log_msg escapes the whole formatted message, not each argument.
 * Call sites then need nothing, so a new log call cannot forget to escape,
 * and text that quotes request data without the caller seeing it (errors
 * from the driver and the database) is escaped as well. The formats' fixed
 * text is ASCII without backslashes, so it reads as written. The access line
 * is the one exception: log_access escapes its fields itself, the space
 * included, so that its fields split on spaces whatever the path holds, and
 * caps the path so that the status, duration and request id always follow.
 */
#ifndef WARDEN_LOG_H
#define WARDEN_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/** Ends a value that log_escape cut to fit; escaped text cannot contain it. */
#define LOG_CUT "\\..."

/** Parse "debug|info|warn|error"; returns 0 or -1. */
int log_level_parse(const char *name, enum log_level *out);

/**
 * Start logging at the given level to path (NULL or "-" = stderr).
 * Returns 0, or -1 with errno set when the file cannot be opened.
 */
int log_open(const char *path, enum log_level level);
/** In a freshly forked child: forget the parent's pid cached for log lines. */
void log_after_fork(void);
/** Reopen the log file (after rotation, on SIGUSR1). Returns 0 or -1. */
int log_reopen(void);

/**
 * Escape len bytes of src into dst as a log line holds them (see the top of
 * this file); with space, the space is escaped too ("\x20"). Writes whole
 * escapes only: when the result would not fit in cap bytes (NUL included),
 * it stops at a byte boundary and ends with LOG_CUT. cap must be at least
 * sizeof LOG_CUT. Returns the length written; dst is NUL-terminated.
 */
size_t log_escape(char *dst, size_t cap, const char *src, size_t len, bool space);

/** Format and log one line; the message is escaped whole (see above). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/**
 * One access line, at level info: "access METHOD PATH STATUS DURATIONus
 * rid=ID". Method, path (never the query) and request id come from the
 * request: each is escaped with its spaces, the path cut (ending with
 * LOG_CUT) past a bound, so the line always has these six fields.
 */
void log_access(const char *method, const char *path, int status, uint64_t duration_us,
                const char *request_id);

#endif
