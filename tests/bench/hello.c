/*
 * hello: the smallest preforked libfcgi pool, answering 200 {"status":"ok"} to
 * every request. It is the FastCGI ceiling that `make bench` measures Warden
 * against, and a stand-in pool for checking the nginx and stack plumbing.
 *
 *   hello --listen unix:PATH|HOST:PORT [--workers N] [--listen-mode OCTAL]
 *
 * Any other `--name value` / `--name=value` option of the real pool is accepted
 * and ignored, so tools/stack can start it exactly as it starts build/warden.
 *
 * It opens the socket itself: FCGX_OpenSocket exit()s when bind fails, knows
 * only IPv4 for HOST:PORT, and unlinks an existing socket file (possibly a live
 * pool's). SIGTERM or SIGINT to the master stops the workers and the master.
 * It never retries, respawns or logs: a bench ceiling must do nothing else.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELLO_MAX_WORKERS 256
#define HELLO_BACKLOG 1024

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* arg's first name_len bytes (the part before any '=') are exactly name. */
static int opt_is(const char *arg, size_t name_len, const char *name)
{
    return strlen(name) == name_len && strncmp(arg, name, name_len) == 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: hello --listen unix:PATH|HOST:PORT [--workers N] [--listen-mode OCTAL]\n");
}

static int unix_is_live(const struct sockaddr_un *sa)
{
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int live = probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0;

    if (probe >= 0)
        close(probe);
    return live;
}

/* Bind a unix socket at path. A leftover file is replaced only when nothing
 * answers on it (a stale socket from a killed pool), never a live one. */
static int open_unix(const char *path, mode_t mode, int have_mode)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "hello: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("hello: socket");
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno != EADDRINUSE)
            goto fail;
        if (unix_is_live(&sa)) {
            fprintf(stderr, "hello: %s: a live server is listening there\n", path);
            close(fd);
            return -1;
        }
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
            goto fail;
    }
    if (have_mode && chmod(path, mode) < 0)
        goto fail;
    if (listen(fd, HELLO_BACKLOG) < 0)
        goto fail;
    return fd;
fail:
    fprintf(stderr, "hello: %s: %s\n", path, strerror(errno));
    close(fd);
    return -1;
}

/* HOST:PORT, with [v6]:PORT for IPv6 literals. */
static int open_tcp(const char *spec)
{
    char host[256];
    const char *port;
    struct addrinfo hints, *res, *ai;
    int fd = -1, rc, one = 1;

    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');

        if (end == NULL || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host)
            return fprintf(stderr, "hello: bad address: %s\n", spec), -1;
        memcpy(host, spec + 1, (size_t)(end - spec - 1));
        host[end - spec - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(spec, ':');

        if (colon == NULL || (size_t)(colon - spec) >= sizeof host)
            return fprintf(stderr, "hello: bad address: %s\n", spec), -1;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
        port = colon + 1;
    }

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0)
        return fprintf(stderr, "hello: %s: %s\n", spec, gai_strerror(rc)), -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, HELLO_BACKLOG) == 0)
            break;
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        fprintf(stderr, "hello: %s: %s\n", spec, strerror(errno));
    freeaddrinfo(res);
    return fd;
}

static void worker_loop(int listen_fd)
{
    FCGX_Request req;
    struct sigaction sa;
    sigset_t none;

    /* Default SIGTERM so that FCGX_Init installs its own handler, which makes
     * FCGX_Accept_r return instead of restarting the accept. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (FCGX_Init() != 0 || FCGX_InitRequest(&req, listen_fd, 0) != 0)
        _exit(1);
    while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutS("Status: 200 OK\r\n"
                  "Content-Type: application/json\r\n"
                  "Content-Length: 15\r\n"
                  "\r\n"
                  "{\"status\":\"ok\"}",
                  req.out);
        FCGX_Finish_r(&req);
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *listen_spec = NULL;
    long workers = 1;
    mode_t mode = 0;
    int have_mode = 0, fd, i;
    pid_t pids[HELLO_MAX_WORKERS];
    struct sigaction sa;
    sigset_t stop_sigs, old_mask;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);

        if (strncmp(arg, "--", 2) != 0 || name_len == 2) {
            usage();
            return 2;
        }
        if (strcmp(arg, "--help") == 0) {
            usage();
            return 0;
        }
        if (eq != NULL)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            fprintf(stderr, "hello: %s needs a value\n", arg);
            return 2;
        }
        if (opt_is(arg, name_len, "--listen"))
            listen_spec = val;
        else if (opt_is(arg, name_len, "--workers"))
            workers = strtol(val, NULL, 10);
        else if (opt_is(arg, name_len, "--listen-mode")) {
            mode = (mode_t)strtol(val, NULL, 8);
            have_mode = 1;
        }
        /* Everything else is one of the real pool's options: ignored. */
    }
    if (listen_spec == NULL || workers < 1 || workers > HELLO_MAX_WORKERS) {
        usage();
        return 2;
    }

    if (strncmp(listen_spec, "unix:", 5) == 0)
        fd = open_unix(listen_spec + 5, mode, have_mode);
    else
        fd = open_tcp(listen_spec);
    if (fd < 0)
        return 1;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Blocked until sigsuspend, so a stop signal cannot slip in between the
     * flag test and the wait; the workers unblock them. */
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGTERM);
    sigaddset(&stop_sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_sigs, &old_mask);

    for (i = 0; i < workers; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("hello: fork");
            workers = i;
            stop_requested = 1;
            break;
        }
        if (pids[i] == 0)
            worker_loop(fd);
    }

    /* SIGCHLD is not handled: a dead worker is only reaped at shutdown. */
    while (!stop_requested)
        sigsuspend(&old_mask);
    for (i = 0; i < workers; i++)
        kill(pids[i], SIGTERM);
    for (i = 0; i < workers; i++)
        waitpid(pids[i], NULL, 0);
    if (strncmp(listen_spec, "unix:", 5) == 0)
        unlink(listen_spec + 5);
    return 0;
}
