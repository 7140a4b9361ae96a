/*
 * log: leveled line logging (see include/warden/log.h).
 *
 * The master and the workers share one descriptor (inherited across fork);
 * SIGUSR1 makes each process reopen the path itself. Every line is
 * printable ASCII and one newline: messages are escaped whole, the access
 * line field by field (log.h says why), and lines are capped at about
 * 4 KiB.
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

/* A line is a header (date, pid, level: under LOG_HEAD_MAX bytes), then at
 * most LOG_TEXT_MAX bytes of escaped text, then its newline: about 4 KiB,
 * so that one write(2) to the file stays one piece. A formatted message is
 * cut at LOG_MSG_MAX bytes before it is escaped (each byte escaped takes
 * four), and its escapes at LOG_TEXT_MAX; a cut ends with LOG_CUT. An access
 * line's path is escaped into at most LOG_ACCESS_PATH_MAX bytes and its
 * other fields into LOG_ACCESS_FIELD_MAX each (a method or a request id is a
 * short token when nginx sent it), so that the line always fits whole. */
#define LOG_HEAD_MAX 96
#define LOG_TEXT_MAX 4000
#define LOG_MSG_MAX 2048
#define LOG_ACCESS_PATH_MAX 2048
#define LOG_ACCESS_FIELD_MAX 256

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

static bool log_escaped(unsigned char c, bool space)
{
    return c < 0x20 || c > 0x7e || c == '\\' || (c == ' ' && space);
}

/* How many bytes of src fit in room bytes once escaped. */
static size_t escape_fit(const char *src, size_t len, bool space, size_t room)
{
    size_t o = 0, i = 0;
    for (; i < len; i++) {
        size_t w = log_escaped((unsigned char)src[i], space) ? 4 : 1;
        if (o + w > room)
            break;
        o += w;
    }
    return i;
}

/* log_escape; with cut, src was already cut short, so the result ends with
 * LOG_CUT even when what is left of it fits. */
static size_t escape_into(char *dst, size_t cap, const char *src, size_t len, bool space, bool cut)
{
    size_t n = len;
    if (cut || escape_fit(src, len, space, cap - 1) < len) {
        cut = true; /* room for LOG_CUT and the NUL */
        n = escape_fit(src, len, space, cap - sizeof LOG_CUT);
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (log_escaped(c, space)) {
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
    if (cut) {
        memcpy(dst + o, LOG_CUT, sizeof LOG_CUT - 1);
        o += sizeof LOG_CUT - 1;
    }
    dst[o] = '\0';
    return o;
}

size_t log_escape(char *dst, size_t cap, const char *src, size_t len, bool space)
{
    return escape_into(dst, cap, src, len, space, false);
}

/* Write one line: the header, text (escaped already, at most LOG_TEXT_MAX
 * bytes) and the newline, in one write(2). */
static void log_emit(enum log_level level, const char *text, size_t len)
{
    char line[LOG_HEAD_MAX + LOG_TEXT_MAX + 1];
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
    int head = snprintf(line, LOG_HEAD_MAX, "%.24s.%03ldZ warden[%ld] %s: ", date,
                        ts.tv_nsec / 1000000, log_pid, level_names[level]);
    if (head < 0 || head >= LOG_HEAD_MAX)
        return;
    size_t n = (size_t)head;
    if (len > LOG_TEXT_MAX)
        len = LOG_TEXT_MAX;
    memcpy(line + n, text, len);
    n += len;
    line[n++] = '\n';
    ssize_t w;
    do {
        w = write(log_fd, line, n);
    } while (w < 0 && errno == EINTR);
}

static void log_write(enum log_level level, const char *fmt, va_list ap)
{
    char msg[LOG_MSG_MAX];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        return;
    bool cut = (size_t)n >= sizeof msg;
    char text[LOG_TEXT_MAX + 1];
    size_t len = escape_into(text, sizeof text, msg, cut ? sizeof msg - 1 : (size_t)n, false, cut);
    log_emit(level, text, len);
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
    if (LOG_INFO < log_min)
        return;
    int saved = errno;
    /* Fields escaped with their spaces, so they split on spaces; the path's
     * bound keeps the fields after it on the line (LOG_TEXT_MAX). */
    char m[LOG_ACCESS_FIELD_MAX], p[LOG_ACCESS_PATH_MAX], rid[LOG_ACCESS_FIELD_MAX];
    if (!method || !*method)
        method = "-";
    if (!path || !*path)
        path = "-";
    log_escape(m, sizeof m, method, strlen(method), true);
    log_escape(p, sizeof p, path, strlen(path), true);
    if (request_id && *request_id)
        log_escape(rid, sizeof rid, request_id, strlen(request_id), true);
    else
        strcpy(rid, "-");
    char text[LOG_TEXT_MAX + 1];
    int n = snprintf(text, sizeof text, "access %s %s %d %lluus rid=%s", m, p, status,
                     (unsigned long long)duration_us, rid);
    if (n > 0)
        log_emit(LOG_INFO, text, (size_t)n);
    errno = saved;
}
