/*
 * listener: open or inherit the listening socket (see include/warden/listener.h).
 */
#define _DEFAULT_SOURCE /* struct tcp_info */
#include "warden/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "warden/parse.h"

/* The kernel caps this at net.core.somaxconn; ask for the most. */
#define LISTEN_BACKLOG 4096

static char unix_path_created[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int is_listening_socket(int fd)
{
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
        return 0;
    len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
        return 0;
    return listening;
}

static int socket_family(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return ss.ss_family;
}

static int inherit(struct listener *out, char *err, size_t err_size)
{
    const char *fds = getenv("LISTEN_FDS");
    const char *pid = getenv("LISTEN_PID");
    int fd = -1;
    if (fds && pid && atol(pid) == (long)getpid()) {
        int64_t n;
        if (parse_int64(fds, 1, 64, &n) < 0) {
            snprintf(err, err_size, "LISTEN_FDS='%s' is not a positive count", fds);
            return -1;
        }
        fd = 3; /* SD_LISTEN_FDS_START: the first passed socket */
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDNAMES");
        snprintf(out->description, sizeof out->description, "socket from systemd (fd 3)");
    } else if (is_listening_socket(0)) {
        /* spawn-fcgi and StandardInput=socket pass the socket as fd 0. Keep
         * fd 0 pointing at something harmless once we have moved it. */
        fd = dup(0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        snprintf(out->description, sizeof out->description, "socket inherited on fd 0");
    } else {
        snprintf(err, err_size,
                 "no --listen given and no socket inherited (LISTEN_FDS or fd 0)");
        return -1;
    }
    if (fd < 0 || !is_listening_socket(fd)) {
        snprintf(err, err_size, "the inherited descriptor is not a listening stream socket");
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    out->fd = fd;
    out->is_unix = socket_family(fd) == AF_UNIX;
    return 0;
}

static int open_unix(const struct config *cfg, const char *path, struct listener *out,
                     char *err, size_t err_size)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, err_size, "unix socket path too long (%zu bytes; the system allows at most %zu): %s",
                 strlen(path), sizeof sa.sun_path - 1, path);
        return -1;
    }
    strcpy(sa.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, err_size, "%s exists and is not a socket", path);
            close(fd);
            return -1;
        }
        /* A socket file nobody answers on is left over from a crash. */
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            snprintf(err, err_size, "%s is in use by another process", path);
            close(fd);
            return -1;
        }
        unlink(path);
        close(fd);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(err, err_size, "socket: %s", strerror(errno));
            return -1;
        }
    }
    /* Bind under a restrictive umask so the file never exists with a wider
     * mode than asked for, even for an instant. */
    mode_t old_mask = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old_mask);
    if (rc < 0) {
        snprintf(err, err_size, "bind %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    strcpy(unix_path_created, path);
    if ((cfg->listen_owner_set || cfg->listen_group_set) &&
        chown(path, cfg->listen_owner_set ? cfg->listen_uid : (uid_t)-1,
              cfg->listen_group_set ? cfg->listen_gid : (gid_t)-1) < 0) {
        snprintf(err, err_size, "chown %s: %s", path, strerror(errno));
        goto fail;
    }
    if (chmod(path, cfg->listen_mode) < 0) {
        snprintf(err, err_size, "chmod %s: %s", path, strerror(errno));
        goto fail;
    }
    if (listen(fd, LISTEN_BACKLOG) < 0) {
        snprintf(err, err_size, "listen %s: %s", path, strerror(errno));
        goto fail;
    }
    out->fd = fd;
    out->is_unix = 1;
    snprintf(out->description, sizeof out->description, "unix:%s (mode %04o)", path,
             cfg->listen_mode);
    return 0;
fail:
    close(fd);
    unlink(path);
    unix_path_created[0] = '\0';
    return -1;
}

static int open_tcp(const char *spec, struct listener *out, char *err, size_t err_size)
{
    char host[256];
    const char *port;
    if (spec[0] == '[') {
        const char *close_bracket = strchr(spec, ']');
        if (!close_bracket || close_bracket[1] != ':' || (size_t)(close_bracket - spec - 1) >= sizeof host) {
            snprintf(err, err_size, "invalid listen address '%s'", spec);
            return -1;
        }
        memcpy(host, spec + 1, (size_t)(close_bracket - spec - 1));
        host[close_bracket - spec - 1] = '\0';
        port = close_bracket + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if ((size_t)(colon - spec) >= sizeof host) {
            snprintf(err, err_size, "invalid listen address '%s'", spec);
            return -1;
        }
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
        port = colon + 1;
    }
    int64_t port_no;
    if (parse_int64(port, 1, 65535, &port_no) < 0) {
        snprintf(err, err_size, "invalid port in listen address '%s'", spec);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai != 0) {
        snprintf(err, err_size, "cannot resolve '%s': %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    int saved_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
            break;
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, err_size, "cannot listen on %s: %s", spec, strerror(saved_errno));
        return -1;
    }
    out->fd = fd;
    out->is_unix = 0;
    snprintf(out->description, sizeof out->description, "%s", spec);
    return 0;
}

int listener_open(const struct config *cfg, struct listener *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    if (!cfg->listen[0])
        return inherit(out, err, err_size);
    if (strncmp(cfg->listen, "unix:", 5) == 0)
        return open_unix(cfg, cfg->listen + 5, out, err, err_size);
    return open_tcp(cfg->listen, out, err, err_size);
}

int listener_queue_length(const struct listener *l)
{
    if (l->is_unix || l->fd < 0)
        return -1;
    /* For a listening TCP socket Linux reports the accept queue in tcpi_unacked. */
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(l->fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        return -1;
    return (int)info.tcpi_unacked;
}

void listener_close(struct listener *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    if (unix_path_created[0]) {
        unlink(unix_path_created);
        unix_path_created[0] = '\0';
    }
}
