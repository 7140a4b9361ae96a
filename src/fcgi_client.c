/*
 * fcgi_client: one FastCGI GET over a fresh connection (see
 * include/warden/fcgi_client.h). Records as the FastCGI 1.0 specification
 * defines them: BEGIN_REQUEST, PARAMS, empty PARAMS, empty STDIN, then read
 * STDOUT until END_REQUEST.
 */
#include "warden/fcgi_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { FCGI_BEGIN_REQUEST = 1, FCGI_END_REQUEST = 3, FCGI_PARAMS = 4, FCGI_STDIN = 5, FCGI_STDOUT = 6 };

static void record(struct buf *out, int type, const void *content, size_t len)
{
    unsigned char head[8] = {1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
                             (unsigned char)len, 0, 0};
    buf_append(out, head, sizeof head);
    buf_append(out, content, len);
}

static void name_value_length(struct buf *out, size_t len)
{
    if (len < 128) {
        buf_putc(out, (char)len);
    } else {
        unsigned char four[4] = {(unsigned char)(0x80 | (len >> 24)), (unsigned char)(len >> 16),
                                 (unsigned char)(len >> 8), (unsigned char)len};
        buf_append(out, four, 4);
    }
}

static void param(struct buf *out, const char *name, const char *value)
{
    name_value_length(out, strlen(name));
    name_value_length(out, strlen(value));
    buf_puts(out, name);
    buf_puts(out, value);
}

static int connect_to(const char *listen, char *err, size_t err_size)
{
    if (strncmp(listen, "unix:", 5) == 0) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        if (strlen(listen + 5) >= sizeof sa.sun_path) {
            snprintf(err, err_size, "socket path too long");
            return -1;
        }
        strcpy(sa.sun_path, listen + 5);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        snprintf(err, err_size, "cannot connect to %s: %s", listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        snprintf(err, err_size, "invalid address '%s'", listen);
        return -1;
    }
    const char *h = listen;
    size_t hlen = (size_t)(colon - listen);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        snprintf(err, err_size, "cannot resolve '%s'", listen);
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, err_size, "cannot connect to %s: %s", listen, strerror(errno));
    return fd;
}

static int read_exact(int fd, unsigned char *p, size_t len, int timeout_ms)
{
    while (len) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, timeout_ms) <= 0)
            return -1;
        ssize_t n = read(fd, p, len);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fcgi_client_get(const char *listen, const char *uri, int timeout_ms, int *status,
                    struct buf *body, char *err, size_t err_size)
{
    int fd = connect_to(listen, err, err_size);
    if (fd < 0)
        return -1;
    struct buf out = BUF_INIT, params = BUF_INIT, stdout_data = BUF_INIT;
    const unsigned char begin[8] = {0, 1 /* responder */, 0, 0, 0, 0, 0, 0};
    record(&out, FCGI_BEGIN_REQUEST, begin, sizeof begin);
    param(&params, "REQUEST_METHOD", "GET");
    param(&params, "REQUEST_URI", uri);
    param(&params, "SCRIPT_NAME", uri);
    param(&params, "GATEWAY_INTERFACE", "CGI/1.1");
    record(&out, FCGI_PARAMS, params.data, params.len);
    record(&out, FCGI_PARAMS, NULL, 0);
    record(&out, FCGI_STDIN, NULL, 0);
    int rc = -1;
    if (write(fd, out.data, out.len) != (ssize_t)out.len) {
        snprintf(err, err_size, "write to %s failed", listen);
        goto done;
    }
    for (;;) {
        unsigned char head[8];
        if (read_exact(fd, head, sizeof head, timeout_ms) < 0) {
            snprintf(err, err_size, "no complete answer from %s", listen);
            goto done;
        }
        size_t len = (size_t)head[4] << 8 | head[5];
        size_t padding = head[6];
        unsigned char content[65536 + 256];
        if (read_exact(fd, content, len + padding, timeout_ms) < 0) {
            snprintf(err, err_size, "truncated answer from %s", listen);
            goto done;
        }
        if (head[1] == FCGI_STDOUT)
            buf_append(&stdout_data, content, len);
        else if (head[1] == FCGI_END_REQUEST)
            break;
    }
    /* CGI-style headers, a blank line, the body. */
    const char *text = buf_cstr(&stdout_data);
    const char *split = strstr(text, "\r\n\r\n");
    size_t skip = 4;
    if (!split) {
        split = strstr(text, "\n\n");
        skip = 2;
    }
    if (!split) {
        snprintf(err, err_size, "malformed answer from %s", listen);
        goto done;
    }
    *status = 200;
    const char *st = strstr(text, "Status: ");
    if (st && st < split)
        *status = atoi(st + 8);
    buf_append(body, split + skip, stdout_data.len - (size_t)(split + skip - text));
    rc = 0;
done:
    close(fd);
    buf_free(&out);
    buf_free(&params);
    buf_free(&stdout_data);
    return rc;
}
