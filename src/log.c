/*
 * log: leveled line logging (see include/warden/log.h).
 *
 * The master and the workers share one descriptor (inherited across fork);
 * SIGUSR1 makes each process reopen the path itself. Lines are capped at
 * LOG_LINE_MAX bytes and control characters in them are escaped, so a
 * request path cannot forge log lines.
 */
#include "warden/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "warden/format.h"

#define LOG_LINE_MAX 2048

static int log_fd = 2;
static enum log_level log_min = LOG_INFO;
static char log_path[1024];
static long log_pid; /* 0 until the first line of this process */

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *name, enum log_level *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

static int log_open_path(void)
{
    if (!log_path[0])
        return 2;
    return open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int log_open(const char *path, enum log_level level)
{
    log_min = level;
    log_path[0] = '\0';
    if (path && *path && strcmp(path, "-") != 0) {
        if (strlen(path) >= sizeof log_path) {
            errno = ENAMETOOLONG;
            return -1;
        }
        strcpy(log_path, path);
    }
    int fd = log_open_path();
    if (fd < 0)
        return -1;
    if (log_fd > 2)
        close(log_fd);
    log_fd = fd;
    return 0;
}

void log_after_fork(void)
{
    log_pid = 0;
}

int log_reopen(void)
{
    if (!log_path[0])
        return 0;
    int fd = log_open_path();
    if (fd < 0)
        return -1;
    int old = log_fd;
    log_fd = fd;
    if (old > 2)
        close(old);
    return 0;
}

/* Escape control bytes so one log call is always exactly one line. */
static size_t escape_into(char *dst, size_t cap, const char *src, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 || c == 0x7f) {
            char hex[3];
            sodium_bin2hex(hex, sizeof hex, &c, 1);
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[0];
            dst[o++] = hex[1];
        } else {
            dst[o++] = (char)c;
        }
    }
    return o;
}

static void log_write(enum log_level level, const char *fmt, va_list ap)
{
    char msg[LOG_LINE_MAX];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        return;
    size_t msg_len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;

    char line[LOG_LINE_MAX * 2];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* Every request logs a line: the date part is formatted once a second
     * and the pid once a process (log_after_fork). */
    static time_t second = -1;
    static char date[64]; /* 19 characters; room for any int the compiler imagines */
    if (ts.tv_sec != second) {
        format_utc(ts.tv_sec, "%04Y-%m-%dT%H:%M:%S", date, sizeof date);
        second = ts.tv_sec;
    }
    if (!log_pid)
        log_pid = (long)getpid();
    int head = snprintf(line, sizeof line, "%s.%03ldZ warden[%ld] %s: ", date,
                        ts.tv_nsec / 1000000, log_pid, level_names[level]);
    size_t len = (size_t)head;
    len += escape_into(line + len, sizeof line - len - 1, msg, msg_len);
    line[len++] = '\n';
    ssize_t w;
    do {
        w = write(log_fd, line, len);
    } while (w < 0 && errno == EINTR);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < log_min)
        return;
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    log_write(level, fmt, ap);
    va_end(ap);
    errno = saved;
}

void log_access(const char *method, const char *path, int status, uint64_t duration_us,
                const char *request_id)
{
    log_msg(LOG_INFO, "access %s %s %d %lluus rid=%s", method, path, status,
            (unsigned long long)duration_us, request_id && *request_id ? request_id : "-");
}
