/*
 * pool_support: what the pool and faults suites (tests/api/pool_test.c,
 * tests/api/faults_test.c) share: a private stack that is stopped even when
 * an assertion ends the test, the pool's /status read into a struct, the
 * stack's processes seen from /proc, a load of client threads that counts
 * what they get, a bare FastCGI client that reaches the pool's socket without
 * nginx, and wardenctl run against a private stack.
 *
 * Contract: call from a test's own (main) thread; only the load threads run
 * beside it, and they never call Criterion. Set-up steps (starting,
 * freezing, signalling, running wardenctl) and the *_ok functions fail the
 * test on error; the other readers return 0/-1 or a bool, so that they can
 * be polled.
 */
#ifndef WARDEN_TESTS_API_POOL_SUPPORT_H
#define WARDEN_TESTS_API_POOL_SUPPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "support/http.h"
#include "support/stack.h"
#include "support/wait.h"

/* --- the private stack ----------------------------------------------------- */

/* The test's own stack. Start it with ps_start_private(); give the test
 * `.fini = ps_stop_private` so that it is stopped (database thawed first)
 * even when an assertion ends the test early. */
extern struct stack ps_stack;

/* Start ps_stack with extra pool arguments (NULL-terminated, may be NULL);
 * fail the test if it does not come up. */
void ps_start_private(const char *const *extra_pool_args);
void ps_stop_private(void);
/* The end of a test that passed: stop the stack and fail the test if the
 * pool's log holds a sanitizer report (its processes print them on exit). */
void ps_finish_private(void);

/* SIGSTOP / SIGCONT the private stack's database (a frozen server: its
 * sockets stay open and nothing answers). ps_stop_private thaws it. */
void ps_db_freeze(void);
void ps_db_thaw(void);

/* --- time ------------------------------------------------------------------- */

/* support/wait.h's sleep_ms and now_ms under the names these suites first
 * gave them. */
#define ps_sleep_ms sleep_ms
#define ps_now_ms now_ms

/* --- /status ------------------------------------------------------------------ */

#define PS_MAX_WORKERS 32

struct ps_worker {
    int slot;
    pid_t pid;
    char state[16];      /* "starting", "idle", "busy", "stopping" */
    int64_t requests;
    char path[64];       /* of the request in progress, "" if none */
};

struct ps_status {
    char pm[16];
    int64_t workers_wanted;
    int64_t spawns;
    int64_t reaps;
    int64_t processes;
    int64_t accepted;
    int64_t respawns;
    int64_t timeouts;
    size_t n_workers;
    struct ps_worker workers[PS_MAX_WORKERS];
};

/* GET base/status and parse it; 0, or -1 (transport error, not 200, not the
 * expected JSON). */
int ps_status_read(const char *base, struct ps_status *out);
/* The same, failing the test on error. */
void ps_status_ok(const char *base, struct ps_status *out);
/* Whether pid is listed. */
bool ps_status_lists(const struct ps_status *st, pid_t pid);
/* Workers in state idle or busy (accepting connections). */
int ps_status_serving(const struct ps_status *st);

/* --- processes ----------------------------------------------------------------- */

/* Alive and not a zombie. */
bool ps_pid_alive(pid_t pid);
/* Parent pid from /proc, or -1. */
pid_t ps_parent_of(pid_t pid);
/* Live (non-zombie) children of parent, up to max, into out; their number. */
int ps_children_of(pid_t parent, pid_t *out, int max);
/* Wait up to ms for pid to be gone; whether it is. */
bool ps_wait_gone(pid_t pid, long ms);
/* Send sig to a worker of the private pool, after checking that it is one
 * (a child of ps_stack.pool_pid): never signal a recycled pid. */
void ps_signal_worker(pid_t pid, int sig);

/* Kill each worker of the private pool as soon as it exists, until the
 * master waits 1.5 s or more before its next fork (its crash back-off);
 * fails the test if it never does, forks in a loop, or dies. label starts
 * the line of figures printed. */
void ps_expect_crash_back_off(const char *label);

/* --- files ------------------------------------------------------------------------- */

/* Whole file into a malloc'd string (NULL if unreadable); size in *len if non-NULL. */
char *ps_read_file(const char *path, size_t *len);
/* Size of a file in bytes, 0 if absent. */
size_t ps_file_size(const char *path);
/* Whether the private pool's log contains text. */
bool ps_log_contains(const char *text);
/* The request id (rid=...) of the first line of the private stack's nginx
 * access log that holds text (e.g. "\"GET /healthz HTTP/1.1\" 502 "), into
 * rid; whether there is one. nginx's own answers carry no X-Request-Id (the
 * edge suite tells them from the pool's by that), so this is where a 502's
 * id is found. */
bool ps_access_rid(const char *text, char *rid, size_t size);

/* --- load ---------------------------------------------------------------------------- */

#define PS_LOAD_MAX_THREADS 16
#define PS_LOAD_PAUSE_MS 5          /* between one thread's requests */
#define PS_LOAD_NOTE_MAX 512
#define PS_LOAD_RIDS_MAX 20000

/* Whether a response is what the test accepts (e.g. 200, or 503 in JSON). */
typedef http_accept_fn ps_acceptable_fn;

struct ps_load_counts {
    long total;
    long ok;            /* acceptable responses */
    long bad;           /* responses that were not acceptable */
    long transport;     /* no HTTP response at all (refused, reset, timed out) */
    long status_200;
    long status_502;
    long status_503;
    long status_500;
    int64_t max_latency_ms;
};

struct ps_load {
    char url[STACK_STR_MAX + 128];
    const char *auth;               /* "Authorization: ..." header or NULL */
    ps_acceptable_fn acceptable;
    int threads;
    pthread_t tids[PS_LOAD_MAX_THREADS];
    volatile int stop;
    pthread_mutex_t lock;
    struct ps_load_counts counts;
    char first_bad[PS_LOAD_NOTE_MAX]; /* the first unacceptable answer, for messages */
    bool keep_rids;                 /* PS_LOAD_KEEP_RIDS was given */
    char (*rids)[40];
    size_t n_rids;
};

/* 200 with a body: the default when acceptable is NULL. */
bool ps_accept_200(const struct http_response *r);

/* ps_load_start flags: keep the X-Request-Id of every answer (see ps_load_saw_rid). */
#define PS_LOAD_KEEP_RIDS 1u

/* Start threads clients that GET base+path in a loop (with auth if
 * non-NULL; the string must outlive the load) and classify each answer with
 * acceptable (NULL: ps_accept_200). The load lives in static storage, so
 * that an assertion ending the test cannot pull memory from under its
 * threads; ps_stop_private stops every load still running. At most
 * PS_LOADS_MAX at a time. */
#define PS_LOADS_MAX 4
struct ps_load *ps_load_start(const char *base, const char *path, const char *auth, int threads,
                              ps_acceptable_fn acceptable, unsigned flags);
/* Counts so far. */
void ps_load_counts(struct ps_load *l, struct ps_load_counts *out);
/* Wait until at least n acceptable answers were counted (at most ms); whether they were. */
bool ps_load_wait_ok(struct ps_load *l, long n, long ms);
/* Stop and join the threads (counts and ids stay readable). */
void ps_load_stop(struct ps_load *l);
/* Stop, then release the ids kept. */
void ps_load_free(struct ps_load *l);
/* Whether rid was among the X-Request-Id values collected (keep_rids). */
bool ps_load_saw_rid(const struct ps_load *l, const char *rid);

/* --- FastCGI straight to the pool ----------------------------------------------------- */

struct ps_fcgi_response {
    int status;       /* from the Status header; 200 when absent */
    char *headers;    /* the CGI header block, malloc'd */
    char *body;       /* malloc'd, NUL-terminated */
    size_t body_len;
};

/* One request over the pool's unix socket, as nginx would send it (REQUEST_URI
 * as given, not normalised). content_type may be NULL; body may be NULL.
 * 0, or -1 with the reason on stderr. */
int ps_fcgi_request(const char *socket_path, const char *method, const char *uri,
                    const char *content_type, const char *body, size_t body_len,
                    struct ps_fcgi_response *out);
void ps_fcgi_response_free(struct ps_fcgi_response *r);

/* --- wardenctl on the private stack ------------------------------------------------------ */

/* fx_ctl_ok (tests/support/fixtures.h) on the private stack: wardenctl with
 * its database and secret, its result line into line (may be NULL). */
void ps_ctl_ok(char *line, size_t size, const char *const *argv);

/* A new staff user of the private stack; "Authorization: <token>" into auth. */
void ps_staff_auth(char *auth, size_t size);

#endif
