/*
 * log: leveled, line-oriented logging to stderr or a file.
 *
 * Each line is written with one write(2) on an O_APPEND descriptor, so lines
 * from the master and every worker interleave whole. Nothing secret (tokens,
 * passwords, hashes, request bodies) may ever be passed to these functions.
 */
#ifndef WARDEN_LOG_H
#define WARDEN_LOG_H

#include <stdint.h>
#include <sys/types.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

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

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/** One access line: method, path (never the query), status, duration, worker pid, request id. */
void log_access(const char *method, const char *path, int status, uint64_t duration_us,
                const char *request_id);

#endif
