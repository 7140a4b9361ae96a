/*
 * pool_support: helpers of the pool and faults suites (see pool_support.h).
 */
#include "api/pool_support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "support/fixtures.h"
#include "warden/json.h"

struct stack ps_stack;
static bool db_frozen;
static struct ps_load loads[PS_LOADS_MAX];
static int n_loads;

/* --- the private stack ----------------------------------------------------- */

void ps_start_private(const char *const *extra_pool_args)
{
    cr_assert_eq(stack_start(&ps_stack, extra_pool_args), 0, "the private stack did not start");
}

void ps_stop_private(void)
{
    for (int i = 0; i < n_loads; i++)
        ps_load_stop(&loads[i]);
    if (db_frozen)
        ps_db_thaw();
    stack_stop(&ps_stack);
}

void ps_finish_private(void)
{
    for (int i = 0; i < n_loads; i++)
        ps_load_stop(&loads[i]);
    if (db_frozen)
        ps_db_thaw();
    cr_assert_eq(stack_stop(&ps_stack), 0, "the private stack's pool log holds a sanitizer report "
                                           "(see above), or it did not stop");
}

/* Whether every thread of the process *ctx is in state T (stopped). */
static bool all_stopped(void *ctx)
{
    pid_t pid = *(pid_t *)ctx;
    char dir_path[64];
    DIR *dir;
    struct dirent *e;
    bool all;

    snprintf(dir_path, sizeof dir_path, "/proc/%d/task", (int)pid);
    dir = opendir(dir_path);
    all = dir != NULL;
    while (all && (e = readdir(dir)) != NULL) {
        char path[96], line[512], *paren, state = '?';
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%.20s/stat", dir_path, e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue; /* a thread that just exited */
        if (fgets(line, sizeof line, f) != NULL && (paren = strrchr(line, ')')) != NULL)
            sscanf(paren + 1, " %c", &state);
        fclose(f);
        all = state == 'T' || state == 't';
    }
    if (dir != NULL)
        closedir(dir);
    return all;
}

void ps_db_freeze(void)
{
    cr_assert_gt(ps_stack.db_pid, 0, "no database pid");
    cr_assert_eq(kill(ps_stack.db_pid, SIGSTOP), 0, "SIGSTOP %d: %s", (int)ps_stack.db_pid,
                 strerror(errno));
    db_frozen = true;
    /* kill() returns before every thread has stopped: a reply already on its
     * way would still go out. Wait until the whole process is stopped. */
    cr_assert(wait_until(all_stopped, &ps_stack.db_pid, WAIT_LONG_MS), "the database did not stop");
}

void ps_db_thaw(void)
{
    if (ps_stack.db_pid > 0)
        kill(ps_stack.db_pid, SIGCONT);
    db_frozen = false;
}

/* --- /status ------------------------------------------------------------------ */

static int64_t doc_int(const bson_t *doc, const char *key)
{
    bson_iter_t it;

    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_NUMBER(&it))
        return -1;
    return bson_iter_as_int64(&it);
}

static void parse_worker(bson_iter_t *child, struct ps_worker *w)
{
    memset(w, 0, sizeof *w);
    w->slot = -1;
    while (bson_iter_next(child)) {
        const char *key = bson_iter_key(child);

        if (strcmp(key, "slot") == 0 && BSON_ITER_HOLDS_NUMBER(child))
            w->slot = (int)bson_iter_as_int64(child);
        else if (strcmp(key, "pid") == 0 && BSON_ITER_HOLDS_NUMBER(child))
            w->pid = (pid_t)bson_iter_as_int64(child);
        else if (strcmp(key, "requests") == 0 && BSON_ITER_HOLDS_NUMBER(child))
            w->requests = bson_iter_as_int64(child);
        else if (strcmp(key, "state") == 0 && BSON_ITER_HOLDS_UTF8(child))
            snprintf(w->state, sizeof w->state, "%s", bson_iter_utf8(child, NULL));
        else if (strcmp(key, "current") == 0 && BSON_ITER_HOLDS_DOCUMENT(child)) {
            bson_iter_t cur;

            if (bson_iter_recurse(child, &cur) && bson_iter_find(&cur, "path") &&
                BSON_ITER_HOLDS_UTF8(&cur))
                snprintf(w->path, sizeof w->path, "%s", bson_iter_utf8(&cur, NULL));
        }
    }
}

static int parse_status(const char *body, size_t len, struct ps_status *out)
{
    bson_t doc = BSON_INITIALIZER, pool = BSON_INITIALIZER;
    struct json_error err;
    bson_iter_t it, child;
    const uint8_t *data;
    uint32_t dlen;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (json_parse_object(body, len, &doc, &err) != 0)
        goto done;
    if (!bson_iter_init_find(&it, &doc, "pool") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        goto done;
    bson_iter_document(&it, &dlen, &data);
    bson_destroy(&pool);
    if (!bson_init_static(&pool, data, dlen))
        goto done;
    out->workers_wanted = doc_int(&pool, "workers_wanted");
    out->spawns = doc_int(&pool, "spawns");
    out->reaps = doc_int(&pool, "reaps");
    if (bson_iter_init_find(&it, &pool, "pm") && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(out->pm, sizeof out->pm, "%s", bson_iter_utf8(&it, NULL));
    out->processes = doc_int(&pool, "processes");
    out->accepted = doc_int(&pool, "accepted_requests");
    out->respawns = doc_int(&pool, "respawns");
    out->timeouts = doc_int(&pool, "timeouts");
    if (!bson_iter_init_find(&it, &doc, "workers") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &child))
        goto done;
    while (bson_iter_next(&child)) {
        bson_iter_t fields;

        if (!BSON_ITER_HOLDS_DOCUMENT(&child) || out->n_workers == PS_MAX_WORKERS ||
            !bson_iter_recurse(&child, &fields))
            goto done;
        parse_worker(&fields, &out->workers[out->n_workers++]);
    }
    rc = 0;
done:
    bson_destroy(&pool);
    bson_destroy(&doc);
    return rc;
}

int ps_status_read(const char *base, struct ps_status *out)
{
    struct http_response r;
    char *url = http_url(base, "/status");
    int rc = -1;

    if (url == NULL)
        return -1;
    if (http_get(url, &r) == 0 && r.status == 200)
        rc = parse_status(r.body, r.body_len, out);
    http_response_free(&r);
    free(url);
    return rc;
}

void ps_status_ok(const char *base, struct ps_status *out)
{
    cr_assert_eq(ps_status_read(base, out), 0, "GET %s/status failed or is not the status JSON",
                 base);
}

bool ps_status_lists(const struct ps_status *st, pid_t pid)
{
    for (size_t i = 0; i < st->n_workers; i++) {
        if (st->workers[i].pid == pid)
            return true;
    }
    return false;
}

int ps_status_serving(const struct ps_status *st)
{
    int n = 0;

    for (size_t i = 0; i < st->n_workers; i++) {
        if (strcmp(st->workers[i].state, "idle") == 0 || strcmp(st->workers[i].state, "busy") == 0)
            n++;
    }
    return n;
}

/* --- processes ----------------------------------------------------------------- */

/* State letter and parent of a process from /proc/PID/stat; -1 if gone. comm
 * may hold spaces and parentheses: fields are counted from the last ')'. */
static int proc_stat(pid_t pid, char *state, pid_t *ppid)
{
    char path[64], line[512];
    FILE *f;
    char *close_paren;
    int parent;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    if (fgets(line, sizeof line, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    close_paren = strrchr(line, ')');
    if (close_paren == NULL || sscanf(close_paren + 1, " %c %d", state, &parent) != 2)
        return -1;
    *ppid = (pid_t)parent;
    return 0;
}

bool ps_pid_alive(pid_t pid)
{
    char state;
    pid_t ppid;

    return pid > 0 && proc_stat(pid, &state, &ppid) == 0 && state != 'Z' && state != 'X';
}

pid_t ps_parent_of(pid_t pid)
{
    char state;
    pid_t ppid;

    return proc_stat(pid, &state, &ppid) == 0 ? ppid : -1;
}

int ps_children_of(pid_t parent, pid_t *out, int max)
{
    char path[64], line[4096];
    FILE *f;
    int n = 0;

    /* The kernel lists a thread's children here (CONFIG_PROC_CHILDREN). */
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)parent, (int)parent);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fgets(line, sizeof line, f) != NULL) {
        char *tok, *save = NULL;

        for (tok = strtok_r(line, " \n", &save); tok != NULL && n < max;
             tok = strtok_r(NULL, " \n", &save)) {
            pid_t pid = (pid_t)atoi(tok);

            if (ps_pid_alive(pid))
                out[n++] = pid;
        }
    }
    fclose(f);
    return n;
}

static bool gone(void *ctx)
{
    return !ps_pid_alive(*(pid_t *)ctx);
}

bool ps_wait_gone(pid_t pid, long ms)
{
    return wait_until(gone, &pid, ms);
}

void ps_signal_worker(pid_t pid, int sig)
{
    pid_t parent = ps_parent_of(pid);

    cr_assert_eq(parent, ps_stack.pool_pid, "pid %d is not a worker of pool %d (parent %d)",
                 (int)pid, (int)ps_stack.pool_pid, (int)parent);
    cr_assert_eq(kill(pid, sig), 0, "kill %d: %s", (int)pid, strerror(errno));
}

/* --- files ------------------------------------------------------------------------- */

char *ps_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    size_t cap = 8192, n = 0, got;
    char *buf;

    if (f == NULL)
        return NULL;
    buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *bigger = realloc(buf, cap * 2);

            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len != NULL)
            *len = n;
    }
    return buf;
}

size_t ps_file_size(const char *path)
{
    size_t len = 0;
    char *text = ps_read_file(path, &len);

    free(text);
    return text != NULL ? len : 0;
}

bool ps_log_contains(const char *text)
{
    char path[STACK_STR_MAX + 32];
    char *log;
    bool found;

    cr_assert_eq(stack_log_path(&ps_stack, path, sizeof path), 0);
    log = ps_read_file(path, NULL);
    found = log != NULL && strstr(log, text) != NULL;
    free(log);
    return found;
}

bool ps_access_rid(const char *text, char *rid, size_t size)
{
    char path[STACK_STR_MAX + 32];
    char *log, *at, *line_end, *id;
    bool found = false;

    snprintf(path, sizeof path, "%s/log/nginx-access.log", ps_stack.dir);
    log = ps_read_file(path, NULL);
    if (log != NULL && (at = strstr(log, text)) != NULL) {
        line_end = strchr(at, '\n');
        if (line_end != NULL)
            *line_end = '\0';
        id = strstr(at, " rid=");
        if (id != NULL) {
            size_t n = strcspn(id + 5, " ");
            if (n > 0 && n < size) {
                memcpy(rid, id + 5, n);
                rid[n] = '\0';
                found = true;
            }
        }
    }
    free(log);
    return found;
}

/* --- load ---------------------------------------------------------------------------- */

bool ps_accept_200(const struct http_response *r)
{
    return r->status == 200 && r->body_len > 0;
}

static void *load_run(void *arg)
{
    struct ps_load *l = arg;
    const char *headers[2] = {l->auth, NULL};

    while (!l->stop) {
        struct http_response r;
        int64_t started = now_ms();
        int rc = http_request("GET", l->url, l->auth ? headers : NULL, NULL, 0, &r);
        int64_t took = now_ms() - started;
        bool good = rc == 0 && l->acceptable(&r);
        const char *rid = rc == 0 ? http_header(&r, "X-Request-Id") : NULL;

        pthread_mutex_lock(&l->lock);
        l->counts.total++;
        if (took > l->counts.max_latency_ms)
            l->counts.max_latency_ms = took;
        if (rc != 0)
            l->counts.transport++;
        else if (good)
            l->counts.ok++;
        else
            l->counts.bad++;
        if (rc == 0) {
            l->counts.status_200 += r.status == 200;
            l->counts.status_502 += r.status == 502;
            l->counts.status_503 += r.status == 503;
            l->counts.status_500 += r.status == 500;
        }
        if (!good && l->first_bad[0] == '\0') {
            if (rc != 0)
                snprintf(l->first_bad, sizeof l->first_bad, "no response: %s", r.error);
            else
                snprintf(l->first_bad, sizeof l->first_bad, "HTTP %ld: %.400s", r.status, r.body);
        }
        if (l->keep_rids && rid != NULL && l->n_rids < PS_LOAD_RIDS_MAX)
            snprintf(l->rids[l->n_rids++], sizeof l->rids[0], "%s", rid);
        pthread_mutex_unlock(&l->lock);
        http_response_free(&r);
        /* Continuous but not flat out: the machine is shared with the
         * other suites' tests. */
        sleep_ms(PS_LOAD_PAUSE_MS);
    }
    return NULL;
}

struct ps_load *ps_load_start(const char *base, const char *path, const char *auth, int threads,
                              ps_acceptable_fn acceptable, unsigned flags)
{
    bool keep_rids = (flags & PS_LOAD_KEEP_RIDS) != 0;
    struct ps_load *l;

    cr_assert_lt(n_loads, PS_LOADS_MAX, "too many loads");
    l = &loads[n_loads++];
    memset(l, 0, sizeof *l);
    cr_assert(threads > 0 && threads <= PS_LOAD_MAX_THREADS);
    snprintf(l->url, sizeof l->url, "%s%s", base, path);
    l->auth = auth;
    l->acceptable = acceptable ? acceptable : ps_accept_200;
    l->keep_rids = keep_rids;
    if (keep_rids) {
        /* Freed by ps_load_free (or with the test's process). */
        l->rids = calloc(PS_LOAD_RIDS_MAX, sizeof *l->rids);
        cr_assert_not_null(l->rids);
    }
    pthread_mutex_init(&l->lock, NULL);
    for (int i = 0; i < threads; i++) {
        cr_assert_eq(pthread_create(&l->tids[i], NULL, load_run, l), 0, "pthread_create");
        l->threads++;
    }
    return l;
}

void ps_load_counts(struct ps_load *l, struct ps_load_counts *out)
{
    pthread_mutex_lock(&l->lock);
    *out = l->counts;
    pthread_mutex_unlock(&l->lock);
}

struct load_target {
    struct ps_load *load;
    long ok;
};

static bool load_reached(void *ctx)
{
    struct load_target *t = ctx;
    struct ps_load_counts c;

    ps_load_counts(t->load, &c);
    return c.ok >= t->ok;
}

bool ps_load_wait_ok(struct ps_load *l, long n, long ms)
{
    struct load_target t = {l, n};

    return wait_until(load_reached, &t, ms);
}

void ps_load_stop(struct ps_load *l)
{
    l->stop = 1;
    for (int i = 0; i < l->threads; i++)
        pthread_join(l->tids[i], NULL);
    l->threads = 0;
}

void ps_load_free(struct ps_load *l)
{
    ps_load_stop(l);
    free(l->rids);
    l->rids = NULL;
    l->n_rids = 0;
}

bool ps_load_saw_rid(const struct ps_load *l, const char *rid)
{
    for (size_t i = 0; i < l->n_rids; i++) {
        if (strcmp(l->rids[i], rid) == 0)
            return true;
    }
    return false;
}

/* --- FastCGI straight to the pool ----------------------------------------------------- */

enum { FCGI_BEGIN_REQUEST = 1, FCGI_END_REQUEST = 3, FCGI_PARAMS = 4, FCGI_STDIN = 5, FCGI_STDOUT = 6 };
#define FCGI_RECORD_MAX 65535

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t len)
{
    char *p = data;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fcgi_record(int fd, int type, const void *content, size_t len)
{
    unsigned char head[8] = {1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
                             (unsigned char)len, 0, 0};

    if (write_all(fd, head, sizeof head) != 0)
        return -1;
    return len ? write_all(fd, content, len) : 0;
}

/* One name-value pair (both shorter than 128 bytes) appended to buf. */
static size_t fcgi_pair(unsigned char *buf, size_t used, size_t cap, const char *name,
                        const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);

    if (nl >= 128 || vl >= 128 || used + 2 + nl + vl > cap)
        return used;
    buf[used++] = (unsigned char)nl;
    buf[used++] = (unsigned char)vl;
    memcpy(buf + used, name, nl);
    memcpy(buf + used + nl, value, vl);
    return used + nl + vl;
}

int ps_fcgi_request(const char *socket_path, const char *method, const char *uri,
                    const char *content_type, const char *body, size_t body_len,
                    struct ps_fcgi_response *out)
{
    static const unsigned char begin[8] = {0, 1 /* responder */, 0, 0, 0, 0, 0, 0};
    struct sockaddr_un sa;
    unsigned char params[2048];
    char length[32];
    size_t used = 0, sent = 0, out_len = 0, out_cap = 8192;
    char *stdout_data = NULL;
    int fd, rc = -1;
    struct timeval tv = {15, 0};

    memset(out, 0, sizeof *out);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(socket_path) >= sizeof sa.sun_path)
        return -1;
    strcpy(sa.sun_path, socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    /* Never hang a test: 15 s on every read and write, like tests/support/http. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "fcgi: connect %s: %s\n", socket_path, strerror(errno));
        goto done;
    }
    snprintf(length, sizeof length, "%zu", body ? body_len : (size_t)0);
    used = fcgi_pair(params, used, sizeof params, "REQUEST_METHOD", method);
    used = fcgi_pair(params, used, sizeof params, "REQUEST_URI", uri);
    used = fcgi_pair(params, used, sizeof params, "SCRIPT_NAME", "/");
    used = fcgi_pair(params, used, sizeof params, "CONTENT_LENGTH", length);
    used = fcgi_pair(params, used, sizeof params, "REQUEST_ID", "psfcgi0123456789");
    if (content_type)
        used = fcgi_pair(params, used, sizeof params, "CONTENT_TYPE", content_type);
    if (fcgi_record(fd, FCGI_BEGIN_REQUEST, begin, sizeof begin) != 0 ||
        fcgi_record(fd, FCGI_PARAMS, params, used) != 0 || fcgi_record(fd, FCGI_PARAMS, NULL, 0) != 0)
        goto io_error;
    while (body && sent < body_len) {
        size_t chunk = body_len - sent > FCGI_RECORD_MAX ? FCGI_RECORD_MAX : body_len - sent;

        if (fcgi_record(fd, FCGI_STDIN, body + sent, chunk) != 0)
            goto io_error;
        sent += chunk;
    }
    if (fcgi_record(fd, FCGI_STDIN, NULL, 0) != 0)
        goto io_error;

    stdout_data = malloc(out_cap);
    if (stdout_data == NULL)
        goto done;
    for (;;) {
        unsigned char head[8], pad[256];
        size_t len, padding;

        if (read_all(fd, head, sizeof head) != 0)
            goto io_error;
        len = (size_t)head[4] << 8 | head[5];
        padding = head[6];
        if (head[1] == FCGI_STDOUT) {
            while (out_len + len + 1 > out_cap) {
                char *bigger = realloc(stdout_data, out_cap * 2);

                if (bigger == NULL)
                    goto done;
                stdout_data = bigger;
                out_cap *= 2;
            }
            if (len && read_all(fd, stdout_data + out_len, len) != 0)
                goto io_error;
            out_len += len;
        } else {
            unsigned char skip[FCGI_RECORD_MAX];

            if (len && read_all(fd, skip, len) != 0)
                goto io_error;
        }
        if (padding && read_all(fd, pad, padding) != 0)
            goto io_error;
        if (head[1] == FCGI_END_REQUEST)
            break;
    }
    stdout_data[out_len] = '\0';
    {
        char *end = strstr(stdout_data, "\r\n\r\n");
        const char *status;
        size_t head_len;

        if (end == NULL) {
            fprintf(stderr, "fcgi: no end of headers in: %s\n", stdout_data);
            goto done;
        }
        head_len = (size_t)(end - stdout_data);
        out->headers = strndup(stdout_data, head_len);
        out->body_len = out_len - head_len - 4;
        out->body = malloc(out->body_len + 1);
        if (out->headers == NULL || out->body == NULL)
            goto done;
        memcpy(out->body, end + 4, out->body_len);
        out->body[out->body_len] = '\0';
        status = strstr(out->headers, "Status: ");
        out->status = status ? atoi(status + 8) : 200;
    }
    rc = 0;
    goto done;
io_error:
    fprintf(stderr, "fcgi: %s %s: %s\n", method, uri, strerror(errno));
done:
    free(stdout_data);
    close(fd);
    if (rc != 0)
        ps_fcgi_response_free(out);
    return rc;
}

void ps_fcgi_response_free(struct ps_fcgi_response *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* --- wardenctl on the private stack ------------------------------------------------------ */

void ps_ctl_ok(char *line, size_t size, const char *const *argv)
{
    fx_ctl_ok(&ps_stack, line, size, argv);
}

void ps_staff_auth(char *auth, size_t size)
{
    struct fx_chat_user staff;

    fx_chat_user_at(&ps_stack, &staff, true);
    snprintf(auth, size, "%s", staff.auth);
}

void ps_expect_crash_back_off(const char *label)
{
    pid_t pids[8], killed[64];
    int n_killed = 0;
    int64_t last_kill = 0, max_gap = 0, deadline;
    char gaps[512] = "";
    size_t gaps_len = 0;

    /* Kill every worker as soon as it exists and time the master's next
     * fork after each kill, until it waits 1.5 s or more (the back-off
     * doubles from 100 ms per crash: 100, 200, 400, ... capped at 10 s). */
    deadline = now_ms() + 25000;
    while (max_gap < 1500 && now_ms() < deadline) {
        int n = ps_children_of(ps_stack.pool_pid, pids, 8);

        for (int i = 0; i < n; i++) {
            bool done = false;

            for (int k = 0; k < n_killed; k++)
                done = done || killed[k] == pids[i];
            if (done)
                continue;
            cr_assert_lt(n_killed, 64, "the master forks workers in a loop (%d killed)", n_killed);
            if (last_kill != 0) {
                int64_t gap = now_ms() - last_kill;

                if (gap > max_gap)
                    max_gap = gap;
                if (gaps_len < sizeof gaps - 16)
                    gaps_len += (size_t)snprintf(gaps + gaps_len, sizeof gaps - gaps_len, " %lld",
                                                 (long long)gap);
            }
            ps_signal_worker(pids[i], SIGKILL);
            killed[n_killed++] = pids[i];
            last_kill = now_ms();
        }
        sleep_ms(5);
    }
    fprintf(stderr, "%s: %d workers killed; ms from a kill to the next fork:%s\n", label,
            n_killed, gaps);
    cr_assert_geq(max_gap, 1500, "no back-off: %d workers killed, waits (ms):%s", n_killed, gaps);
    cr_assert_geq(n_killed, 4, "only %d workers were started", n_killed);
    cr_assert(ps_log_contains("workers are crashing at start; next spawn in"),
              "the back-off was not logged");
    cr_assert(ps_pid_alive(ps_stack.pool_pid), "the pool itself died");
}
