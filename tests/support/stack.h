/*
 * stack: the real stack (FerretDB, the pool, nginx) for tests/api, driven
 * through tools/stack so that the tests run exactly what `make run` runs.
 *
 * Contract: stack_start() makes a fresh temporary directory (under $TMPDIR or
 * /tmp), starts the three processes on free loopback ports and returns once
 * GET /healthz answers 200 through nginx; it fills *s from DIR/stack.env. The
 * pool is $WARDEN_BIN_DIR/warden (default build/release), FerretDB
 * $WARDEN_FERRETDB (default build/ferretdb/ferretdb). Relative paths, and
 * tools/stack itself, are found from the current directory, which must be
 * the repository root (as under make). A stack belongs to the process that
 * started it; forked test processes may use its URLs and call
 * stack_db_stop()/stack_db_start(), whose effects they then own. The
 * lifecycle calls return 0 or -1 and explain failures on stderr, with the
 * logs' last lines. Nothing here is thread-safe.
 */
#ifndef WARDEN_TESTS_STACK_H
#define WARDEN_TESTS_STACK_H

#include <sys/types.h>

#define STACK_STR_MAX 512
#define STACK_ENV_MAX 4096

/* How tests/api/main.c hands its shared stack to the tests, which run in
 * processes of their own. */
#define STACK_SHARED_URL_ENV "WARDEN_TEST_URL"
#define STACK_SHARED_MONGODB_URI_ENV "WARDEN_TEST_MONGODB_URI"

struct stack {
    char dir[STACK_STR_MAX];         /* the stack's directory: db/, log/, run/ */
    char url[STACK_STR_MAX];         /* "http://127.0.0.1:PORT", no trailing slash */
    char mongodb_uri[STACK_STR_MAX]; /* "mongodb://127.0.0.1:PORT/warden" */
    char socket[STACK_STR_MAX];      /* the pool's unix socket */
    int http_port;
    int db_port;
    pid_t pool_pid;
    pid_t nginx_pid;
    pid_t db_pid;
    char env[STACK_ENV_MAX];         /* stack.env as "KEY=VALUE\0...\0\0", see stack_value */
};

/* Start a stack with 2 workers; extra_pool_args (NULL-terminated, may be
 * NULL) are appended to the pool's command line. On failure nothing is left
 * running and the directory is removed (kept if WARDEN_KEEP_STACK is set). */
int stack_start(struct stack *s, const char *const *extra_pool_args);

/* The same in dir, a directory that exists already (what `make run` does
 * with var/); like one stack_start made, it is removed on failure and by
 * stack_stop. */
int stack_start_in(struct stack *s, const char *dir, const char *const *extra_pool_args);

/* Stop all three processes (bounded waits, then SIGKILL) and remove the
 * directory. Returns -1 if the pool's log holds a sanitizer report (printed
 * to stderr; the directory is then kept), else 0. The directory is also kept
 * when WARDEN_KEEP_STACK is set. Safe on a stack whose processes died. */
int stack_stop(struct stack *s);

/* Crash the database (SIGKILL) and wait until it is gone. */
int stack_db_stop(struct stack *s);

/* Start the database again on the same port and data, wait until it accepts
 * connections, and update s->db_pid. */
int stack_db_start(struct stack *s);

/* A value of stack.env (e.g. "WARDEN_URL", or a line the ready hook of
 * tools/stack adds); NULL if absent. Points into *s. */
const char *stack_value(const struct stack *s, const char *key);

/* The shared stack's base URL (no trailing slash) and MongoDB URI, from the
 * environment above; NULL outside the API suite's runner. */
const char *stack_shared_url(void);
const char *stack_shared_mongodb_uri(void);

/* Path of the pool's log (DIR/log/warden.log) into buf; 0, or -1 if too long. */
int stack_log_path(const struct stack *s, char *buf, size_t size);

/* Run argv (argv[0] searched in PATH) to completion with stdin from
 * /dev/null. With output non-NULL, stdout and stderr are captured into
 * *output (malloc'd, NUL-terminated, the caller frees it); otherwise they are
 * inherited. Returns the exit status, 127 if argv[0] could not be run, or -1
 * if it could not be started or was killed by a signal. */
int stack_run(const char *const *argv, char **output);

/* Remove dir and everything in it (rm -rf); nothing if dir is "". */
void stack_remove_dir(const char *dir);

#endif
