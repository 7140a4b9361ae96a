/*
 * The edge: what nginx lets through to the handlers that hash a password, and
 * what it answers by itself.
 *
 * Throttling: every spelling of the login, register, register_inv and token
 * routes that nginx and the pool accept (the /api/v7-v9 aliases, a trailing
 * slash, "%2F" for a slash, percent-encoded letters, a query string) draws on
 * the client's one auth budget, and so do the spellings the router refuses
 * ("//", "/./", other case), which never reach a handler. Each spelling gets a
 * burst of parallel requests from a loopback address of its own (127.0.0.0/8
 * is all loopback, and the budget is per address): no more of them than the
 * budget get past nginx. Then all spellings at once from one address share
 * that one budget, and a client's requests in flight are capped (workers
 * frozen, so that the requests nginx let through stay in flight).
 *
 * nginx's own answers: every status it produces is JSON (both dialects in one
 * object), a 405 carries Allow, and no answer names nginx's version. Requests
 * go byte for byte over a socket: curl would tidy up the paths, the methods
 * and the request lines tried here.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pool_support.h"
#include "support/fixtures.h"
#include "support/http.h"
#include "support/stack.h"
#include "support/wait.h"

/* The budget of the throttled private stacks: nginx refuses burst=0, and 1r/m
 * is its lowest rate, so a burst lets BURST + 1 requests through, and one
 * more per minute the test runs. */
#define EDGE_BURST 2
#define EDGE_BURST_STR "2"
/* Parallel requests per spelling: more than the budget lets through. */
#define EDGE_PER_SPELLING 6
/* Requests in flight a client may have on the auth routes (the in-flight test). */
#define EDGE_CONN 2
#define EDGE_CONN_STR "2"
#define EDGE_IN_FLIGHT_TRIES 8

/* --- a raw HTTP/1.1 exchange ------------------------------------------------ */

struct raw_answer {
    long status;      /* 0: no answer */
    char head[8192];  /* status line and header lines, NUL-terminated */
    char *body;       /* malloc'd, NUL-terminated; NULL until an answer */
    size_t body_len;
    char error[128];  /* why there is no answer */
};

/* Send request (len bytes) from source (a loopback address, NULL: the
 * kernel's choice) to 127.0.0.1:port and read one answer: the headers, then
 * Content-Length bytes or up to the end of the connection. 0, or -1 with the
 * reason in a->error. Asserts nothing: load threads call it. */
static int raw_exchange(int port, const char *source, const char *request, size_t len,
                        struct raw_answer *a)
{
    struct sockaddr_in sa;
    struct timeval tv = {15, 0};
    size_t cap = 16384, used = 0, want = (size_t)-1;
    char *buf = NULL, *head_end = NULL;
    int fd;

    memset(a, 0, sizeof *a);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(a->error, sizeof a->error, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    if (source != NULL) {
        inet_pton(AF_INET, source, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            snprintf(a->error, sizeof a->error, "bind %s: %s", source, strerror(errno));
            goto fail;
        }
    }
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(a->error, sizeof a->error, "connect: %s", strerror(errno));
        goto fail;
    }
    if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len) {
        snprintf(a->error, sizeof a->error, "send: %s", strerror(errno));
        goto fail;
    }
    buf = malloc(cap);
    if (buf == NULL)
        goto fail;
    for (;;) {
        ssize_t n;

        if (head_end != NULL && used - (size_t)(head_end + 4 - buf) >= want)
            break;
        if (used + 1 >= cap) {
            ptrdiff_t head_at = head_end != NULL ? head_end - buf : -1;
            char *bigger = realloc(buf, cap *= 2);

            if (bigger == NULL)
                goto fail;
            buf = bigger;
            head_end = head_at >= 0 ? buf + head_at : NULL;
        }
        n = recv(fd, buf + used, cap - used - 1, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
        buf[used] = '\0';
        if (head_end == NULL && (head_end = strstr(buf, "\r\n\r\n")) != NULL) {
            for (const char *line = strstr(buf, "\r\n"); line != NULL && line < head_end;
                 line = strstr(line + 2, "\r\n")) {
                if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
                    want = (size_t)strtoul(line + 17, NULL, 10);
            }
        }
    }
    close(fd);
    fd = -1;
    if (head_end == NULL) {
        snprintf(a->error, sizeof a->error, "no complete answer (%zu bytes)", used);
        goto fail;
    }
    snprintf(a->head, sizeof a->head, "%.*s", (int)(head_end - buf), buf);
    sscanf(a->head, "HTTP/%*s %ld", &a->status);
    a->body_len = used - (size_t)(head_end + 4 - buf);
    if (want != (size_t)-1 && a->body_len > want)
        a->body_len = want;
    a->body = malloc(a->body_len + 1);
    if (a->body == NULL)
        goto fail;
    memcpy(a->body, head_end + 4, a->body_len);
    a->body[a->body_len] = '\0';
    free(buf);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    free(buf);
    a->status = 0;
    return -1;
}

static void raw_free(struct raw_answer *a)
{
    free(a->body);
    a->body = NULL;
}

/* Value of header name (any case) into out; whether it is there. */
static bool raw_header(const struct raw_answer *a, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);

    for (const char *line = strstr(a->head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':') {
            const char *v = line + 3 + n;
            size_t len;

            v += strspn(v, " \t");
            len = strcspn(v, "\r");
            snprintf(out, size, "%.*s", (int)len, v);
            return true;
        }
    }
    return false;
}

static int shared_port(void)
{
    const char *url = stack_shared_url();
    const char *colon;

    cr_assert_not_null(url, "%s is not set: run this through tests/api's main", STACK_SHARED_URL_ENV);
    colon = strrchr(url, ':');
    cr_assert_not_null(colon, "no port in %s", url);
    return atoi(colon + 1);
}

/* An exchange that must get an answer (main thread only). */
static void exchange_ok(int port, const char *source, const char *request, struct raw_answer *a)
{
    cr_assert_eq(raw_exchange(port, source, request, strlen(request), a), 0, "%.80s: %s", request,
                 a->error);
}

/* printf into a malloc'd string. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
    va_list ap;
    int len;
    char *out;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    cr_assert_geq(len, 0);
    out = malloc((size_t)len + 1);
    cr_assert_not_null(out);
    va_start(ap, fmt);
    vsnprintf(out, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return out;
}

/* --- what answers look like ------------------------------------------------------ */

static bool game_path(const char *path)
{
    return strncmp(path, "/api/v1/", 8) == 0 || strncmp(path, "/api/oauth/", 11) == 0;
}

static void parse_json(const char *what, const struct raw_answer *a, bson_t *doc)
{
    struct http_response as_response = {.status = a->status, .body = a->body,
                                         .body_len = a->body_len};
    char type[128];

    cr_assert(raw_header(a, "Content-Type", type, sizeof type), "%s: no Content-Type", what);
    cr_assert_eq(strncmp(type, "application/json", 16), 0, "%s: Content-Type %s: %s", what, type,
                 a->body);
    fx_json(&as_response, doc);
}

/* No answer names nginx's version: "Server: nginx" or no Server at all. */
static void assert_no_version(const char *what, const struct raw_answer *a)
{
    char server[128];

    if (raw_header(a, "Server", server, sizeof server))
        cr_assert_eq(strchr(server, '/'), NULL, "%s: Server: %s", what, server);
}

/* nginx's own error: status, JSON in both dialects at once, no version. */
static void assert_nginx_json(const char *what, const struct raw_answer *a, long status)
{
    char rid[64];
    bson_t doc = BSON_INITIALIZER;

    cr_assert_eq(a->status, status, "%s: status %ld, expected %ld: %s", what, a->status, status,
                 a->body);
    cr_assert_not(raw_header(a, "X-Request-Id", rid, sizeof rid), "%s: the pool answered: %s",
                  what, a->body);
    assert_no_version(what, a);
    parse_json(what, a, &doc);
    cr_assert(fx_bool(&doc, "error", false), "%s: no \"error\": true in %s", what, a->body);
    cr_assert_eq(fx_int(&doc, "status", -1), status, "%s: status in %s", what, a->body);
    cr_assert(*fx_str(&doc, "message") != '\0', "%s: no message in %s", what, a->body);
    cr_assert(*fx_str(&doc, "Message") != '\0', "%s: no Message in %s", what, a->body);
    bson_destroy(&doc);
}

/* The pool's answer: status, JSON in the shape of the game's API or the chat's. */
static void assert_pool_json(const char *what, bool game, const struct raw_answer *a, long status)
{
    char rid[64];
    bson_t doc = BSON_INITIALIZER;

    cr_assert_eq(a->status, status, "%s: status %ld, expected %ld: %s", what, a->status, status,
                 a->body);
    cr_assert(raw_header(a, "X-Request-Id", rid, sizeof rid), "%s: not the pool's answer: %s", what,
              a->body);
    assert_no_version(what, a);
    parse_json(what, a, &doc);
    if (game) {
        cr_assert(*fx_str(&doc, "Message") != '\0', "%s: no Message in %s", what, a->body);
    } else {
        cr_assert(fx_bool(&doc, "error", false), "%s: no \"error\": true in %s", what, a->body);
        cr_assert_eq(fx_int(&doc, "status", -1), status, "%s: status in %s", what, a->body);
        cr_assert(*fx_str(&doc, "message") != '\0', "%s: no message in %s", what, a->body);
    }
    bson_destroy(&doc);
}

/* --- spellings of the throttled routes -------------------------------------------- */

struct spelling {
    char path[512];
    char form[64];  /* what the spelling tries */
    bool routed;    /* the pool serves it, so a handler answers (else 404) */
    bool game;
};

#define MAX_SPELLINGS 96

static void add(struct spelling *s, size_t *n, bool routed, bool game, const char *form,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add(struct spelling *s, size_t *n, bool routed, bool game, const char *form,
                const char *fmt, ...)
{
    va_list ap;

    cr_assert_lt(*n, MAX_SPELLINGS);
    va_start(ap, fmt);
    vsnprintf(s[*n].path, sizeof s[*n].path, fmt, ap);
    va_end(ap);
    snprintf(s[*n].form, sizeof s[*n].form, "%s", form);
    s[*n].routed = routed;
    s[*n].game = game;
    (*n)++;
}

/* Every byte after the leading '/' as %XX (upper-case hex), '/' included. */
static void encode_all(const char *path, char *out, size_t size)
{
    size_t o = 0;

    out[o++] = '/';
    for (const char *p = path + 1; *p && o + 4 < size; p++)
        o += (size_t)snprintf(out + o, size - o, "%%%02X", (unsigned char)*p);
    out[o] = '\0';
}

/* Every '/' after the leading one as %2F. */
static void encode_slashes(const char *path, char *out, size_t size)
{
    size_t o = 0;

    out[o++] = '/';
    for (const char *p = path + 1; *p && o + 4 < size; p++) {
        if (*p == '/')
            o += (size_t)snprintf(out + o, size - o, "%%2F");
        else
            out[o++] = *p;
    }
    out[o] = '\0';
}

static void upper(const char *in, char *out, size_t size)
{
    size_t i;

    for (i = 0; in[i] && i + 1 < size; i++)
        out[i] = (in[i] >= 'a' && in[i] <= 'z') ? (char)(in[i] - 'a' + 'A') : in[i];
    out[i] = '\0';
}

/* The spellings of one route (canonical path; chat routes under /api/v6). */
static void spell(const char *route, struct spelling *s, size_t *n)
{
    bool game = strncmp(route, "/api/oauth/", 11) == 0;
    const char *last = strrchr(route, '/') + 1;
    int dir = (int)(last - route); /* up to and including the last '/' */
    char buf[512], buf2[512];

    add(s, n, true, game, "canonical", "%s", route);
    add(s, n, true, game, "trailing slash", "%s/", route);
    add(s, n, true, game, "query string", "%s?next=1", route);
    add(s, n, true, game, "percent-encoded letter", "%.*s%%%02x%s", dir, route,
        (unsigned char)last[0], last + 1);
    encode_all(route, buf, sizeof buf);
    add(s, n, true, game, "every byte percent-encoded", "%s", buf);
    encode_slashes(route, buf, sizeof buf);
    add(s, n, true, game, "%2F for every slash", "%s", buf);
    add(s, n, true, game, "%2F as the trailing slash", "%s%%2F", route);
    add(s, n, true, game, "encoded letter and trailing slash", "%.*s%%%02X%s/", dir, route,
        (unsigned char)last[0], last + 1);
    add(s, n, false, game, "doubled slash", "%.*s/%s", dir, route, last);
    add(s, n, false, game, "leading doubled slash", "/%s", route);
    add(s, n, false, game, "two trailing slashes", "%s//", route);
    add(s, n, false, game, "dot segment", "%.*s./%s", dir, route, last);
    add(s, n, false, game, "dot-dot segment", "%.*sx/../%s", dir, route, last);
    upper(last, buf, sizeof buf);
    add(s, n, false, game, "upper-case last segment", "%.*s%s", dir, route, buf);
    upper(route, buf2, sizeof buf2);
    add(s, n, false, game, "upper-case path", "%s", buf2);
    if (!game) {
        const char *rest = route + strlen("/api/v6");

        add(s, n, true, game, "/api/v7 alias", "/api/v7%s", rest);
        add(s, n, true, game, "/api/v8 alias", "/api/v8%s", rest);
        add(s, n, true, game, "/api/v9 alias", "/api/v9%s", rest);
        add(s, n, true, game, "v9 alias, encoded letter, trailing slash", "/api/v9%.*s%%%02X%s/",
            dir - (int)strlen("/api/v6"), rest, (unsigned char)last[0], last + 1);
        add(s, n, true, game, "encoded version digit", "/api/v%%37%s", rest);
    }
}

static const char *const throttled_routes[] = {
    "/api/v6/auth/login",
    "/api/v6/auth/register",
    "/api/v6/auth/register_inv",
    "/api/oauth/token",
};

static size_t all_spellings(struct spelling *s)
{
    size_t n = 0;

    for (size_t i = 0; i < sizeof throttled_routes / sizeof *throttled_routes; i++)
        spell(throttled_routes[i], s, &n);
    return n;
}

/* A well-formed guess: a login with an unknown email and the token grant for
 * an unknown name cost a hash each, as real guesses do (the registration
 * routes answer it 400 before hashing: fields missing, or registration
 * closed). */
static char *post_request(const struct spelling *s)
{
    static const char chat[] = "{\"email\": \"nobody@example.org\", \"password\": \"guessing\"}";
    static const char game[] = "{\"grant_type\": \"password\", \"username\": \"nobody\", \"password\": "
                               "\"0000000000000000000000000000000000000000000000000000000000000000\"}";
    const char *body = s->game ? game : chat;

    return format("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                  s->path, strlen(body), body);
}

/* --- parallel requests --------------------------------------------------------------- */

struct shot {
    pthread_t thread;
    int port;
    char source[32];
    const struct spelling *spelling;
    char *request;
    struct raw_answer answer;
    int rc;
};

/* Shots answered so far (a transport failure is no answer). */
static pthread_mutex_t answered_lock = PTHREAD_MUTEX_INITIALIZER;
static int answered;

static void *shot_run(void *arg)
{
    struct shot *s = arg;

    s->rc = raw_exchange(s->port, s->source, s->request, strlen(s->request), &s->answer);
    if (s->rc == 0) {
        pthread_mutex_lock(&answered_lock);
        answered++;
        pthread_mutex_unlock(&answered_lock);
    }
    return NULL;
}

static void shots_fire(struct shot *shots, size_t n)
{
    pthread_mutex_lock(&answered_lock);
    answered = 0;
    pthread_mutex_unlock(&answered_lock);
    for (size_t i = 0; i < n; i++) {
        shots[i].request = post_request(shots[i].spelling);
        cr_assert_eq(pthread_create(&shots[i].thread, NULL, shot_run, &shots[i]), 0);
    }
}

static void shots_join(struct shot *shots, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pthread_join(shots[i].thread, NULL);
}

static void shots_free(struct shot *shots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(shots[i].request);
        raw_free(&shots[i].answer);
    }
}

/* Check each answer: a 429 is nginx's JSON; anything else got past nginx and
 * is what that spelling reaches: its handler (a 400, for the wrong password
 * or the closed registration) or the pool's 404. Returns how many got past. */
static int shots_check(struct shot *shots, size_t n, const char *what)
{
    int passed = 0;

    for (size_t i = 0; i < n; i++) {
        const struct spelling *sp = shots[i].spelling;
        char label[768];

        snprintf(label, sizeof label, "%s: %s (%s) from %s", what, sp->path, sp->form, shots[i].source);
        cr_assert_eq(shots[i].rc, 0, "%s: %s", label, shots[i].answer.error);
        if (shots[i].answer.status == 429) {
            assert_nginx_json(label, &shots[i].answer, 429);
            continue;
        }
        passed++;
        if (sp->routed)
            assert_pool_json(label, sp->game, &shots[i].answer, 400);
        else
            cr_assert_eq(shots[i].answer.status, 404, "%s: status %ld: %s", label,
                         shots[i].answer.status, shots[i].answer.body);
    }
    return passed;
}

/* What the budget lets through between two instants (ms): BURST + 1 at once,
 * one more per minute at 1r/m. */
static int budget(int64_t started, int64_t ended)
{
    return EDGE_BURST + 1 + (int)((ended - started) / 60000);
}

/* --- defect: rate limits bypassed by another spelling ------------------------------ */

static pid_t frozen[PS_MAX_WORKERS];
static int n_frozen;

static void thaw_workers(void)
{
    for (int i = 0; i < n_frozen; i++)
        kill(frozen[i], SIGCONT);
    n_frozen = 0;
}

static void edge_stop(void)
{
    thaw_workers();
    ps_stop_private();
}

/* Each spelling from an address of its own: a burst of parallel attempts, of
 * which at most the budget gets past nginx; then every spelling at once from
 * one more address: still one budget in all. */
Test(edge, auth_routes_are_throttled_in_every_spelling, .fini = edge_stop, .timeout = 300)
{
    static struct spelling spellings[MAX_SPELLINGS];
    static struct shot shots[MAX_SPELLINGS * EDGE_PER_SPELLING];
    size_t n = all_spellings(spellings), k = 0;
    int total_passed = 0;

    cr_assert_eq(setenv("STACK_AUTH_RATE", "1r/m", 1), 0);
    cr_assert_eq(setenv("STACK_AUTH_BURST", EDGE_BURST_STR, 1), 0);
    ps_start_private(NULL);

    for (size_t i = 0; i < n; i++) {
        struct shot *burst = &shots[k];
        int64_t started = now_ms();
        int passed;

        for (size_t j = 0; j < EDGE_PER_SPELLING; j++, k++) {
            shots[k].port = ps_stack.http_port;
            snprintf(shots[k].source, sizeof shots[k].source, "127.0.%zu.%zu", 1 + i / 200, 10 + i % 200);
            shots[k].spelling = &spellings[i];
        }
        shots_fire(burst, EDGE_PER_SPELLING);
        shots_join(burst, EDGE_PER_SPELLING);
        passed = shots_check(burst, EDGE_PER_SPELLING, "burst");
        cr_assert_leq(passed, budget(started, now_ms()),
                      "%s (%s): %d of %d parallel attempts got past nginx, the budget is %d",
                      spellings[i].path, spellings[i].form, passed, EDGE_PER_SPELLING,
                      EDGE_BURST + 1);
        cr_assert_geq(passed, 1, "%s (%s): the first attempt was refused", spellings[i].path,
                      spellings[i].form);
        total_passed += passed;
    }
    shots_free(shots, k);

    /* Every spelling at once, one address: one budget for all of them. */
    {
        int64_t started = now_ms();
        int passed;

        for (size_t i = 0; i < n; i++) {
            shots[i].port = ps_stack.http_port;
            snprintf(shots[i].source, sizeof shots[i].source, "127.0.9.1");
            shots[i].spelling = &spellings[i];
        }
        shots_fire(shots, n);
        shots_join(shots, n);
        passed = shots_check(shots, n, "all spellings at once");
        cr_assert_leq(passed, budget(started, now_ms()),
                      "%d of %zu spellings fired at once got past nginx, the budget is %d", passed,
                      n, EDGE_BURST + 1);
        shots_free(shots, n);
        fprintf(stderr, "edge: %zu spellings x %d attempts: %d past nginx; all at once: %d of %zu\n",
                n, EDGE_PER_SPELLING, total_passed, passed, n);
    }
    ps_finish_private();
}

static bool enough_answers(void *ctx)
{
    int want = *(int *)ctx, got;

    pthread_mutex_lock(&answered_lock);
    got = answered;
    pthread_mutex_unlock(&answered_lock);
    return got >= want;
}

/* A client that ignores 429s keeps at most EDGE_CONN attempts (so password
 * hashes) in flight. The workers are frozen, so whatever nginx lets through
 * stays in flight; the rest must be answered 429 meanwhile. The rate is the
 * dev stack's generous one: only the in-flight cap refuses. */
Test(edge, a_client_keeps_a_bounded_number_of_attempts_in_flight, .fini = edge_stop, .timeout = 180)
{
    static struct spelling spellings[MAX_SPELLINGS];
    struct shot shots[EDGE_IN_FLIGHT_TRIES];
    size_t n = all_spellings(spellings), i, k;
    pid_t workers[PS_MAX_WORKERS];
    int n_workers, refused = EDGE_IN_FLIGHT_TRIES - EDGE_CONN, passed;

    cr_assert_eq(setenv("STACK_AUTH_CONN", EDGE_CONN_STR, 1), 0);
    ps_start_private(NULL);
    n_workers = ps_children_of(ps_stack.pool_pid, workers, PS_MAX_WORKERS);
    cr_assert_gt(n_workers, 0, "no worker of pool %d", (int)ps_stack.pool_pid);
    for (int w = 0; w < n_workers; w++) {
        ps_signal_worker(workers[w], SIGSTOP);
        frozen[n_frozen++] = workers[w];
    }

    /* A mix of routes and forms, all of them ones a handler serves (nginx
     * answers the others' 404 at once: they would not stay in flight). */
    memset(shots, 0, sizeof shots);
    for (i = 0, k = 0; i < EDGE_IN_FLIGHT_TRIES; k = (k + 5) % n) {
        if (!spellings[k].routed)
            continue;
        shots[i].port = ps_stack.http_port;
        snprintf(shots[i].source, sizeof shots[i].source, "127.0.10.1");
        shots[i].spelling = &spellings[k];
        i++;
    }
    shots_fire(shots, EDGE_IN_FLIGHT_TRIES);
    /* Those beyond the cap come back while the others are held. */
    cr_assert(wait_until(enough_answers, &refused, WAIT_LONG_MS),
              "fewer than %d of %d attempts were answered while %d could be in flight", refused,
              EDGE_IN_FLIGHT_TRIES, EDGE_CONN);
    thaw_workers();
    shots_join(shots, EDGE_IN_FLIGHT_TRIES);
    passed = shots_check(shots, EDGE_IN_FLIGHT_TRIES, "in flight");
    cr_assert_leq(passed, EDGE_CONN, "%d attempts were in flight at once, the cap is %d", passed,
                  EDGE_CONN);
    shots_free(shots, EDGE_IN_FLIGHT_TRIES);
    ps_finish_private();
}

/* --- defect: nginx answering errors its own way -------------------------------------- */

/* nginx refuses TRACE and CONNECT before it picks a location. On a page or
 * an operations route it answers 405 itself, GET and HEAD allowed; under
 * /api/ the pool answers, as it does any method it has no route for: 405
 * with the path's Allow (the one it gives another unrouted method there) in
 * the path's API shape, or 404 for a path it does not serve. With a body and
 * with credentials too. */
Test(edge, trace_and_connect_are_refused_in_json_with_allow)
{
    static const char *const nginx_paths[] = {
        "/", "/index.html", "/invite_register.html", "/no-such-page.html", "/healthz", "/livez",
        "/status",
    };
    static const char *const pool_paths[] = {
        "/api/v6/users/@me", "/api/v9/admin/users", "/api/v6/admin/users/1", "/api/v6/auth/login",
        "/api/v7/auth/register_inv/", "/api/oauth/token", "/api/oauth/%74oken",
        "/api/v1/info/authorized", "/api/v1/players/online", "/api/v1/users/someone/admin/ban",
    };
    static const char *const unknown_paths[] = {"/api/v6/no-such-route", "/api/v1/nothing", "/api/"};
    static const char *const methods[] = {"TRACE", "CONNECT"};
    static const char *const extras[] = {
        "", "Content-Length: 5\r\n\r\nhello", "Authorization: Bearer x\r\n",
    };
    int port = shared_port();
    int tried = 0;

    for (size_t m = 0; m < 2; m++) {
        for (size_t e = 0; e < sizeof extras / sizeof *extras; e++) {
            for (size_t i = 0; i < sizeof nginx_paths / sizeof *nginx_paths; i++) {
                struct raw_answer a;
                char allow[128], what[256];
                char *req = format("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s",
                                         methods[m], nginx_paths[i], extras[e],
                                         e == 1 ? "" : "\r\n");

                snprintf(what, sizeof what, "%s %s (%zu)", methods[m], nginx_paths[i], e);
                exchange_ok(port, NULL, req, &a);
                assert_nginx_json(what, &a, 405);
                cr_assert(raw_header(&a, "Allow", allow, sizeof allow), "%s: no Allow", what);
                cr_assert_str_eq(allow, "GET, HEAD", "%s", what);
                raw_free(&a);
                free(req);
                tried++;
            }
            for (size_t i = 0; i < sizeof pool_paths / sizeof *pool_paths; i++) {
                struct raw_answer a, other;
                char allow[128], other_allow[128], what[256];
                char *req = format("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s",
                                         methods[m], pool_paths[i], extras[e],
                                         e == 1 ? "" : "\r\n");
                char *probe = format("PROPFIND %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                           pool_paths[i]);

                snprintf(what, sizeof what, "%s %s (%zu)", methods[m], pool_paths[i], e);
                exchange_ok(port, NULL, req, &a);
                assert_pool_json(what, game_path(pool_paths[i]), &a, 405);
                cr_assert(raw_header(&a, "Allow", allow, sizeof allow), "%s: no Allow", what);
                cr_assert_null(strstr(allow, methods[m]), "%s: Allow: %s", what, allow);
                exchange_ok(port, NULL, probe, &other);
                cr_assert_eq(other.status, 405, "PROPFIND %s: %ld", pool_paths[i], other.status);
                cr_assert(raw_header(&other, "Allow", other_allow, sizeof other_allow));
                cr_assert_str_eq(allow, other_allow, "%s: Allow differs from PROPFIND's", what);
                raw_free(&a);
                raw_free(&other);
                free(req);
                free(probe);
                tried++;
            }
            for (size_t i = 0; i < sizeof unknown_paths / sizeof *unknown_paths; i++) {
                struct raw_answer a;
                char what[256];
                char *req = format("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s",
                                         methods[m], unknown_paths[i], extras[e],
                                         e == 1 ? "" : "\r\n");

                snprintf(what, sizeof what, "%s %s (%zu)", methods[m], unknown_paths[i], e);
                exchange_ok(port, NULL, req, &a);
                assert_pool_json(what, game_path(unknown_paths[i]), &a, 404);
                raw_free(&a);
                free(req);
                tried++;
            }
        }
    }
    fprintf(stderr, "edge: %d TRACE and CONNECT requests\n", tried);
}

/* The static handler takes GET and HEAD only: every other method on a page,
 * whatever the page, is a JSON 405 with that Allow. */
Test(edge, other_methods_on_static_pages_are_json_405_with_allow)
{
    static const char *const paths[] = {"/", "/index.html", "/invite_register.html"};
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "FOO"};
    int port = shared_port();

    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
            struct raw_answer a;
            char allow[128], what[128];
            char *req = format("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                     "Content-Type: application/x-www-form-urlencoded\r\n"
                                     "Content-Length: 3\r\n\r\na=1",
                                     methods[m], paths[p]);

            snprintf(what, sizeof what, "%s %s", methods[m], paths[p]);
            exchange_ok(port, NULL, req, &a);
            assert_nginx_json(what, &a, 405);
            cr_assert(raw_header(&a, "Allow", allow, sizeof allow), "%s: no Allow", what);
            cr_assert_str_eq(allow, "GET, HEAD", "%s", what);
            raw_free(&a);
            free(req);
        }
    }
}

/* One request and the status nginx must answer in JSON. */
struct nginx_case {
    const char *what;
    const char *request;
    long status;
};

static void run_nginx_cases(const struct nginx_case *cases, size_t n)
{
    int port = shared_port();

    for (size_t i = 0; i < n; i++) {
        struct raw_answer a;

        exchange_ok(port, NULL, cases[i].request, &a);
        assert_nginx_json(cases[i].what, &a, cases[i].status);
        raw_free(&a);
    }
}

/* 416 (a Range past the end) and 412 (a failed precondition) arise on the
 * static pages only: nginx offers ranges and validators on nothing else. */
Test(edge, ranges_and_preconditions_on_static_pages_are_json)
{
    static const struct nginx_case cases[] = {
        {"Range past the end of /index.html",
         "GET /index.html HTTP/1.1\r\nHost: x\r\nRange: bytes=1000000-\r\nConnection: close\r\n\r\n", 416},
        {"Range past the end of /invite_register.html",
         "GET /invite_register.html HTTP/1.1\r\nHost: x\r\nRange: bytes=999999-1000000\r\nConnection: close\r\n\r\n",
         416},
        {"Range past the end of /",
         "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=500000-600000, 700000-\r\nConnection: close\r\n\r\n", 416},
        {"Range past the end, HEAD",
         "HEAD /index.html HTTP/1.1\r\nHost: x\r\nRange: bytes=1000000-\r\nConnection: close\r\n\r\n", 416},
        {"If-Match on /index.html",
         "GET /index.html HTTP/1.1\r\nHost: x\r\nIf-Match: \"not-the-etag\"\r\nConnection: close\r\n\r\n", 412},
        {"If-Unmodified-Since on /invite_register.html",
         "GET /invite_register.html HTTP/1.1\r\nHost: x\r\nIf-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
         "Connection: close\r\n\r\n",
         412},
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct raw_answer a;

        exchange_ok(shared_port(), NULL, cases[i].request, &a);
        if (strncmp(cases[i].request, "HEAD", 4) == 0) {
            /* No body to a HEAD: status, type and no version only. */
            char type[128];

            cr_assert_eq(a.status, cases[i].status, "%s: %ld", cases[i].what, a.status);
            cr_assert(raw_header(&a, "Content-Type", type, sizeof type));
            cr_assert_eq(strncmp(type, "application/json", 16), 0, "%s: %s", cases[i].what, type);
            assert_no_version(cases[i].what, &a);
        } else {
            assert_nginx_json(cases[i].what, &a, cases[i].status);
        }
        raw_free(&a);
    }
}

/* A Transfer-Encoding nginx does not implement, on pages and on each API. */
Test(edge, unknown_transfer_encoding_is_json_501)
{
    static const char *const paths[] = {
        "/", "/api/v6/auth/login", "/api/oauth/token", "/api/v1/users/x/admin/ban",
        "/api/v6/admin/users", "/healthz",
    };
    static const char *const codings[] = {"gzip", "foo", "gzip, chunked", "identity"};
    int port = shared_port();

    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        for (size_t c = 0; c < sizeof codings / sizeof *codings; c++) {
            struct raw_answer a;
            char what[128];
            char *req = format("POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                     "Content-Type: application/json\r\nTransfer-Encoding: %s\r\n\r\n"
                                     "2\r\n{}\r\n0\r\n\r\n",
                                     paths[p], codings[c]);

            snprintf(what, sizeof what, "POST %s, Transfer-Encoding: %s", paths[p], codings[c]);
            exchange_ok(port, NULL, req, &a);
            assert_nginx_json(what, &a, 501);
            raw_free(&a);
            free(req);
        }
    }
}

/* A request line with an HTTP version nginx does not speak. */
Test(edge, unsupported_http_versions_are_json_505)
{
    static const char *const paths[] = {"/", "/api/v6/users/@me", "/api/oauth/token", "/api/v1/info/authorized"};
    static const char *const versions[] = {"HTTP/2.0", "HTTP/3.0", "HTTP/2.1", "HTTP/9.9", "HTTP/10.0"};
    int port = shared_port();

    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        for (size_t v = 0; v < sizeof versions / sizeof *versions; v++) {
            struct raw_answer a;
            char what[128];
            char *req = format("GET %s %s\r\nHost: x\r\nConnection: close\r\n\r\n", paths[p],
                                     versions[v]);

            snprintf(what, sizeof what, "GET %s %s", paths[p], versions[v]);
            exchange_ok(port, NULL, req, &a);
            assert_nginx_json(what, &a, 505);
            raw_free(&a);
            free(req);
        }
    }
}

/* The rest of what nginx answers by itself: bad requests, a body too large
 * for a page, /status from another address, its internal error pages asked
 * for by name. */
Test(edge, other_nginx_errors_are_json)
{
    static char long_uri[9000];
    static char long_header[40000];
    static char *long_uri_request, *long_header_request;
    struct nginx_case cases[] = {
        {"a bad request line", "GET /index.html HTTP/1.x\r\nHost: x\r\nConnection: close\r\n\r\n", 400},
        {"no Host", "GET /api/v6/users/@me HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
        {"two Content-Lengths",
         "POST /api/v6/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n"
         "Connection: close\r\n\r\n{}",
         400},
        {"a bad chunked body",
         "POST /api/oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
         400},
        {"%00 in a page's path", "GET /index.html%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400},
        {"a body too large for a page",
         "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n", 413},
        {"no such page", "GET /no-such-page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
        {"the error page by name", "GET /_warden/error HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
        {"the 405 page by name",
         "GET /_warden/method-not-allowed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
        {"the pool's 405 page by name",
         "GET /_warden/refused-method HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
        {"the pool's 405 page by name, TRACE",
         "TRACE /_warden/refused-method HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405},
        {"a URI too long", NULL, 414},
        {"a header too large", NULL, 400},
    };
    size_t n = sizeof cases / sizeof *cases;

    memset(long_uri, 'a', sizeof long_uri - 1);
    long_uri[0] = '/';
    memset(long_header, 'b', sizeof long_header - 1);
    long_uri_request = format("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", long_uri);
    long_header_request = format("GET /api/v6/users/@me HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n"
                                 "Connection: close\r\n\r\n",
                                 long_header);
    cases[n - 2].request = long_uri_request;
    cases[n - 1].request = long_header_request;
    run_nginx_cases(cases, n);
    free(long_uri_request);
    free(long_header_request);

    /* /status is loopback only, and 127.0.0.2 is not 127.0.0.1. */
    {
        struct raw_answer a;

        exchange_ok(shared_port(), "127.0.0.2",
                    "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &a);
        assert_nginx_json("/status from 127.0.0.2", &a, 403);
        raw_free(&a);
    }
}

/* No answer names nginx's version: pages, the pool's answers, nginx's errors. */
Test(edge, no_answer_names_the_nginx_version)
{
    static const char *const requests[] = {
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /invite_register.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "HEAD /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /api/v6/users/@me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /api/v1/info/authorized HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        "GET /index.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\nConnection: close\r\n\r\n",
    };
    int port = shared_port();

    for (size_t i = 0; i < sizeof requests / sizeof *requests; i++) {
        struct raw_answer a;
        char server[128];

        exchange_ok(port, NULL, requests[i], &a);
        cr_assert(raw_header(&a, "Server", server, sizeof server), "%.40s: no Server", requests[i]);
        cr_assert_str_eq(server, "nginx", "%.40s", requests[i]);
        cr_assert_null(strstr(a.body, "nginx/"), "%.40s: %s", requests[i], a.body);
        raw_free(&a);
    }
}

/* The pool gone: what it should have answered (a TRACE under /api/) is
 * nginx's JSON 502, like any other request there. */
Test(edge, trace_with_the_pool_down_is_json_502, .fini = edge_stop, .timeout = 120)
{
    static const char *const paths[] = {"/api/v6/users/@me", "/api/oauth/token", "/api/v1/nothing"};

    ps_start_private(NULL);
    cr_assert_eq(kill(ps_stack.pool_pid, SIGTERM), 0);
    cr_assert(ps_wait_gone(ps_stack.pool_pid, WAIT_LONG_MS), "the pool did not stop");
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        for (int m = 0; m < 2; m++) {
            struct raw_answer a;
            char what[128];
            char *req = format("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                     m ? "CONNECT" : "TRACE", paths[i]);

            snprintf(what, sizeof what, "%s %s, pool down", m ? "CONNECT" : "TRACE", paths[i]);
            exchange_ok(ps_stack.http_port, NULL, req, &a);
            assert_nginx_json(what, &a, 502);
            raw_free(&a);
            free(req);
        }
    }
    ps_finish_private();
}
