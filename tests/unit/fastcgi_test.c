/*
 * fastcgi: bodies read through the real libfcgi, from a FastCGI client in a
 * forked child over a unix socket: sized from CONTENT_LENGTH, whatever that
 * claims the bytes that arrive decide (as nginx never lies, only another
 * client on the socket could), a body past the limit is 413, and no copy of
 * it is left in libfcgi's buffer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "warden/arena.h"
#include "warden/fastcgi.h"

#define LIMIT (1024u * 1024)
#define RECORD_MAX 65535u

enum { BEGIN_REQUEST = 1, PARAMS = 4, STDIN = 5 };

static char socket_path[108];
static int listen_fd = -1;
static struct arena *arena;

static void setup(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(socket_path, sizeof socket_path, "/tmp/warden-fastcgi-test-%ld.sock", (long)getpid());
    unlink(socket_path);
    strcpy(sa.sun_path, socket_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_geq(listen_fd, 0);
    cr_assert_eq(bind(listen_fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    cr_assert_eq(listen(listen_fd, 4), 0);
    cr_assert_eq(FCGX_Init(), 0);
    arena = arena_new();
}

static void teardown(void)
{
    arena_free(arena);
    close(listen_fd);
    unlink(socket_path);
}

TestSuite(fastcgi, .init = setup, .fini = teardown, .timeout = 60);

static void write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(3);
        p += n;
        len -= (size_t)n;
    }
}

static void record(int fd, int type, const void *content, size_t len)
{
    unsigned char head[8] = {1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
                             (unsigned char)len, 0, 0};
    write_all(fd, head, sizeof head);
    if (len)
        write_all(fd, content, len);
}

static size_t pair(unsigned char *buf, size_t used, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    buf[used++] = (unsigned char)nl;
    buf[used++] = (unsigned char)vl;
    memcpy(buf + used, name, nl);
    memcpy(buf + used + nl, value, vl);
    return used + nl + vl;
}

/* In a child: a POST announcing content_length (none when NULL) that sends
 * body, then reads the answer to its end. */
static pid_t send_request(const char *content_length, const char *body, size_t body_len)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid > 0)
        return pid;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        _exit(2);
    static const unsigned char begin[8] = {0, 1 /* responder */, 0, 0, 0, 0, 0, 0};
    unsigned char params[512];
    size_t used = 0;
    used = pair(params, used, "REQUEST_METHOD", "POST");
    used = pair(params, used, "REQUEST_URI", "/api/v6/auth/login");
    used = pair(params, used, "CONTENT_TYPE", "application/json");
    if (content_length)
        used = pair(params, used, "CONTENT_LENGTH", content_length);
    record(fd, BEGIN_REQUEST, begin, sizeof begin);
    record(fd, PARAMS, params, used);
    record(fd, PARAMS, NULL, 0);
    for (size_t sent = 0; sent < body_len;) {
        size_t n = body_len - sent > RECORD_MAX ? RECORD_MAX : body_len - sent;
        record(fd, STDIN, body + sent, n);
        sent += n;
    }
    record(fd, STDIN, NULL, 0);
    char sink[4096];
    while (read(fd, sink, sizeof sink) > 0)
        ;
    _exit(0);
}

/* libfcgi's private stream state starts so (see src/fastcgi.c). */
struct stream_data_head {
    unsigned char *buff;
    int bufflen;
};

/* Whether needle occurs in libfcgi's read buffer of fr's input. */
static bool in_libfcgi_buffer(FCGX_Request *fr, const char *needle)
{
    const struct stream_data_head *d = fr->in->data;
    size_t n = strlen(needle);
    for (int i = 0; i + (int)n <= d->bufflen; i++)
        if (memcmp(d->buff + i, needle, n) == 0)
            return true;
    return false;
}

struct outcome {
    enum request_problem problem;
    char *body; /* a malloc'd copy, or NULL when the request has none */
    size_t body_len;
    bool left_in_libfcgi; /* the body's last bytes still in libfcgi's buffer */
};

/* Serve one request of the given announced length and body; the outcome as
 * fastcgi_read_request saw it. */
static struct outcome serve(const char *content_length, const char *body, size_t body_len)
{
    signal(SIGPIPE, SIG_IGN);
    pid_t child = send_request(content_length, body, body_len);
    FCGX_Request fr;
    cr_assert_eq(FCGX_InitRequest(&fr, listen_fd, 0), 0);
    cr_assert_eq(FCGX_Accept_r(&fr), 0);
    struct request req;
    fastcgi_read_request(&fr, &req, arena, LIMIT);

    struct outcome o = {.problem = req.problem, .body_len = req.body_len};
    if (req.body_len) {
        o.body = malloc(req.body_len + 1);
        memcpy(o.body, req.body, req.body_len + 1);
    }
    /* The tail of the body (a record's worth at most) is what the buffer would keep. */
    if (body_len >= 16) {
        char tail[17];
        memcpy(tail, body + body_len - 16, 16);
        tail[16] = '\0';
        o.left_in_libfcgi = in_libfcgi_buffer(&fr, tail);
    }
    cr_assert_eq(req.body[req.body_len], '\0', "the body is NUL-terminated");
    request_wipe_body(&req);
    for (size_t i = 0; i < req.body_len; i++)
        cr_assert_eq(req.body[i], 0, "request_wipe_body left byte %zu", i);
    FCGX_Finish_r(&fr);
    arena_reset(arena);

    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "client status %d", status);
    return o;
}

/* A body of n bytes that reads as JSON-ish text and differs along its length. */
static char *make_body(size_t n)
{
    char *b = malloc(n + 1);
    cr_assert_not_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)('a' + (i * 7 + i / 251) % 26);
    b[n] = '\0';
    return b;
}

static void assert_read_whole(const char *content_length, size_t n)
{
    char *body = make_body(n);
    struct outcome o = serve(content_length, body, n);
    cr_assert_eq(o.problem, REQUEST_OK, "CONTENT_LENGTH %s, %zu bytes: problem %d",
                 content_length ? content_length : "(none)", n, o.problem);
    cr_assert_eq(o.body_len, n, "CONTENT_LENGTH %s: read %zu of %zu bytes",
                 content_length ? content_length : "(none)", o.body_len, n);
    if (n)
        cr_assert_eq(memcmp(o.body, body, n), 0, "CONTENT_LENGTH %s: bytes differ",
                     content_length ? content_length : "(none)");
    cr_assert_not(o.left_in_libfcgi, "the body's tail is still in libfcgi's buffer");
    free(o.body);
    free(body);
}

static void assert_too_large(const char *content_length, size_t n)
{
    char *body = make_body(n);
    struct outcome o = serve(content_length, body, n);
    cr_assert_eq(o.problem, REQUEST_BODY_TOO_LARGE, "CONTENT_LENGTH %s, %zu bytes: problem %d",
                 content_length ? content_length : "(none)", n, o.problem);
    cr_assert_eq(o.body_len, 0, "a refused body is not attached");
    cr_assert_not(o.left_in_libfcgi, "the body's tail is still in libfcgi's buffer");
    free(o.body);
    free(body);
}

static const char *decimal(size_t n)
{
    static char text[4][32];
    static int next;
    char *t = text[next++ % 4];
    snprintf(t, sizeof text[0], "%zu", n);
    return t;
}

Test(fastcgi, small_and_large_announced_bodies_are_read)
{
    assert_read_whole("23", 23);
    assert_read_whole(decimal(100000), 100000);
    assert_read_whole(decimal(LIMIT), LIMIT);
}

Test(fastcgi, a_body_over_the_limit_is_too_large)
{
    assert_too_large(decimal(LIMIT + 1), LIMIT + 1);
    assert_too_large(decimal(3 * LIMIT), 3 * LIMIT);
}

Test(fastcgi, empty_body)
{
    char *body = make_body(0);
    struct outcome o = serve("0", body, 0);
    cr_assert_eq(o.problem, REQUEST_OK);
    cr_assert_eq(o.body_len, 0);
    o = serve(NULL, body, 0);
    cr_assert_eq(o.problem, REQUEST_OK);
    cr_assert_eq(o.body_len, 0);
    free(body);
}

/* Without a usable CONTENT_LENGTH the body is sized as it arrives. */
Test(fastcgi, missing_or_malformed_length_still_reads_the_body)
{
    assert_read_whole(NULL, 40);
    assert_read_whole(NULL, 200000);
    assert_read_whole(NULL, LIMIT);
    assert_read_whole("", 5000);
    assert_read_whole("abc", 5000);
    assert_read_whole("-1", 5000);
    assert_too_large(NULL, LIMIT + 1);
    assert_too_large("abc", LIMIT + 1);
}

/* A lying length changes only how the buffer starts: what arrives decides,
 * up to the limit, as when the buffer was always the limit's size. */
Test(fastcgi, lying_lengths_are_judged_by_what_arrives)
{
    assert_read_whole("10", 50000);             /* more than announced */
    assert_read_whole("16384", 16385);          /* one byte more */
    assert_read_whole("10", LIMIT);             /* up to the limit */
    assert_read_whole(decimal(LIMIT), 100);     /* less than announced */
    assert_read_whole(decimal(LIMIT + 1), 100); /* announced over the limit */
    assert_read_whole("99999999999999999999", 100);
    assert_too_large("10", LIMIT + 1);
    assert_too_large("0", 2 * LIMIT);
}
