/*
 * stack: tests/api's handle on the real stack. All the work is tools/stack's
 * (one implementation for `make run` and the tests); this file spawns it,
 * reads the stack.env it writes, and after a stop looks through the pool's
 * log for sanitizer reports, which a test can otherwise never see: they are
 * printed by the pool's processes as they exit.
 */
#include "support/stack.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define STACK_SCRIPT "tools/stack"
/* Enough of a sanitizer report to act on; the rest is in the kept log. */
#define STACK_REPORT_LINES 200

static int copy_str(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);

    if (len >= size)
        return -1;
    memcpy(dst, src, len + 1);
    return 0;
}

static int keep_dir(void)
{
    const char *keep = getenv("WARDEN_KEEP_STACK");

    return keep != NULL && *keep != '\0' && strcmp(keep, "0") != 0;
}

/* Read the whole of fd from its start into a malloc'd string. */
static char *slurp_fd(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t n;

    if (buf == NULL || lseek(fd, 0, SEEK_SET) < 0) {
        free(buf);
        return NULL;
    }
    for (;;) {
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap * 2);

            if (bigger == NULL) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

int stack_run(const char *const *argv, char **output)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t sigs;
    char tmpl[] = "/tmp/warden-run-XXXXXX";
    int out_fd = -1, rc, status;
    pid_t pid;

    if (output != NULL) {
        *output = NULL;
        out_fd = mkstemp(tmpl);
        if (out_fd < 0) {
            perror("stack: mkstemp");
            return -1;
        }
        unlink(tmpl);
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
        posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
    }
    /* The child must not inherit a test runner's blocked or ignored signals:
     * the stack's processes are stopped with SIGTERM and SIGQUIT. */
    posix_spawnattr_init(&attr);
    sigemptyset(&sigs);
    posix_spawnattr_setsigmask(&attr, &sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGQUIT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGPIPE);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGUSR1);
    posix_spawnattr_setsigdefault(&attr, &sigs);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    /* posix_spawnp's argv is char *const[] for historical reasons only. */
    rc = posix_spawnp(&pid, argv[0], &actions, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "stack: cannot run %s: %s\n", argv[0], strerror(rc));
        if (out_fd >= 0)
            close(out_fd);
        return rc == ENOENT || rc == EACCES ? 127 : -1;
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("stack: waitpid");
            status = -1;
            break;
        }
    }
    if (out_fd >= 0) {
        *output = slurp_fd(out_fd);
        close(out_fd);
    }
    if (status != -1 && WIFEXITED(status))
        return WEXITSTATUS(status);
    return -1;
}

void stack_remove_dir(const char *dir)
{
    const char *argv[] = {"rm", "-rf", "--", dir, NULL};

    if (dir[0] != '\0')
        stack_run(argv, NULL);
}

/* tools/stack COMMAND --dir DIR [more...] [-- extra...]; 0 if it exits 0. */
static int run_script(const char *command, const char *dir, const char *const *more,
                      const char *const *extra)
{
    const char **argv;
    size_t n_more = 0, n_extra = 0, i = 0, j;
    int rc;

    if (access(STACK_SCRIPT, X_OK) != 0) {
        fprintf(stderr, "stack: %s not found: run the tests from the repository root\n",
                STACK_SCRIPT);
        return -1;
    }
    while (more != NULL && more[n_more] != NULL)
        n_more++;
    while (extra != NULL && extra[n_extra] != NULL)
        n_extra++;
    argv = calloc(n_more + n_extra + 6, sizeof *argv);
    if (argv == NULL)
        return -1;
    argv[i++] = STACK_SCRIPT;
    argv[i++] = command;
    argv[i++] = "--dir";
    argv[i++] = dir;
    for (j = 0; j < n_more; j++)
        argv[i++] = more[j];
    if (n_extra > 0) {
        argv[i++] = "--";
        for (j = 0; j < n_extra; j++)
            argv[i++] = extra[j];
    }
    argv[i] = NULL;
    rc = stack_run(argv, NULL);
    free(argv);
    if (rc != 0) {
        fprintf(stderr, "stack: %s %s failed (status %d)\n", STACK_SCRIPT, command, rc);
        return -1;
    }
    return 0;
}

static int env_int(const struct stack *s, const char *key)
{
    const char *value = stack_value(s, key);

    return value != NULL ? atoi(value) : 0;
}

/* Fill s from DIR/stack.env. */
static int load_env(struct stack *s)
{
    char path[STACK_STR_MAX + 16];
    size_t len;
    FILE *f;
    char *p, *end;

    snprintf(path, sizeof path, "%s/stack.env", s->dir);
    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "stack: %s: %s\n", path, strerror(errno));
        return -1;
    }
    len = fread(s->env, 1, sizeof s->env - 2, f);
    fclose(f);
    if (len == sizeof s->env - 2) {
        fprintf(stderr, "stack: %s is larger than %zu bytes\n", path, sizeof s->env - 2);
        return -1;
    }
    s->env[len] = '\0';
    s->env[len + 1] = '\0';
    for (p = s->env; (end = strchr(p, '\n')) != NULL; p = end + 1)
        *end = '\0';

    if (stack_value(s, "WARDEN_URL") == NULL || stack_value(s, "WARDEN_MONGODB_URI") == NULL ||
        stack_value(s, "SOCKET") == NULL ||
        copy_str(s->url, sizeof s->url, stack_value(s, "WARDEN_URL")) != 0 ||
        copy_str(s->mongodb_uri, sizeof s->mongodb_uri, stack_value(s, "WARDEN_MONGODB_URI")) != 0 ||
        copy_str(s->socket, sizeof s->socket, stack_value(s, "SOCKET")) != 0) {
        fprintf(stderr, "stack: %s lacks WARDEN_URL, WARDEN_MONGODB_URI or SOCKET\n", path);
        return -1;
    }
    s->http_port = env_int(s, "HTTP_PORT");
    s->db_port = env_int(s, "DB_PORT");
    s->pool_pid = (pid_t)env_int(s, "POOL_PID");
    s->nginx_pid = (pid_t)env_int(s, "NGINX_PID");
    s->db_pid = (pid_t)env_int(s, "DB_PID");
    return 0;
}

const char *stack_value(const struct stack *s, const char *key)
{
    size_t key_len = strlen(key);
    const char *p;

    for (p = s->env; *p != '\0'; p += strlen(p) + 1) {
        if (strncmp(p, key, key_len) == 0 && p[key_len] == '=')
            return p + key_len + 1;
    }
    return NULL;
}

const char *stack_shared_url(void)
{
    return getenv(STACK_SHARED_URL_ENV);
}

const char *stack_shared_mongodb_uri(void)
{
    return getenv(STACK_SHARED_MONGODB_URI_ENV);
}

int stack_log_path(const struct stack *s, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/log/warden.log", s->dir);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int stack_start(struct stack *s, const char *const *extra_pool_args)
{
    const char *tmp = getenv("TMPDIR");
    char dir[STACK_STR_MAX];

    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    if (snprintf(dir, sizeof dir, "%s/warden-stack-XXXXXX", tmp) >= (int)sizeof dir) {
        fprintf(stderr, "stack: TMPDIR too long\n");
        return -1;
    }
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "stack: mkdtemp %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return stack_start_in(s, dir, extra_pool_args);
}

int stack_start_in(struct stack *s, const char *dir, const char *const *extra_pool_args)
{
    const char *bin = getenv("WARDEN_BIN_DIR");
    const char *more[] = {"--bin", NULL, "--port", "auto", NULL};

    memset(s, 0, sizeof *s);
    if (bin == NULL || *bin == '\0')
        bin = "build/release";
    more[1] = bin;
    if (copy_str(s->dir, sizeof s->dir, dir) != 0) {
        fprintf(stderr, "stack: directory name too long: %s\n", dir);
        return -1;
    }
    if (run_script("start", s->dir, more, extra_pool_args) != 0 || load_env(s) != 0) {
        /* tools/stack has stopped what it started; only the directory is left. */
        if (keep_dir())
            fprintf(stderr, "stack: kept %s\n", s->dir);
        else
            stack_remove_dir(s->dir);
        s->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* Print the pool's sanitizer reports; 1 if there were any. */
static int report_sanitizer(const struct stack *s)
{
    char path[STACK_STR_MAX + 32];
    char *line = NULL;
    size_t cap = 0;
    int printed = 0, found = 0;
    FILE *f;

    if (stack_log_path(s, path, sizeof path) != 0 || (f = fopen(path, "r")) == NULL)
        return 0;
    while (getline(&line, &cap, f) > 0) {
        if (!found && (strstr(line, "runtime error:") != NULL ||
                       (strstr(line, "Sanitizer") != NULL &&
                        (strstr(line, "ERROR") != NULL || strstr(line, "SUMMARY") != NULL)))) {
            found = 1;
            fprintf(stderr, "stack: sanitizer report in %s:\n", path);
        }
        if (found && printed++ < STACK_REPORT_LINES)
            fputs(line, stderr);
    }
    free(line);
    fclose(f);
    return found;
}

int stack_stop(struct stack *s)
{
    int rc = 0;

    if (s->dir[0] == '\0')
        return 0;
    if (run_script("stop", s->dir, NULL, NULL) != 0)
        rc = -1;
    if (report_sanitizer(s))
        rc = -1;
    if (rc != 0 || keep_dir())
        fprintf(stderr, "stack: kept %s\n", s->dir);
    else
        stack_remove_dir(s->dir);
    s->dir[0] = '\0';
    s->pool_pid = s->nginx_pid = s->db_pid = 0;
    return rc;
}

int stack_db_stop(struct stack *s)
{
    if (run_script("db-stop", s->dir, NULL, NULL) != 0)
        return -1;
    s->db_pid = 0;
    return 0;
}

int stack_db_start(struct stack *s)
{
    if (run_script("db-start", s->dir, NULL, NULL) != 0)
        return -1;
    return load_env(s);
}
