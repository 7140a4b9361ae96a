/*
 * The pool's log file: one access line per request, reopened on SIGUSR1
 * (what logrotate's postrotate does), with nothing secret in it, and nothing
 * from a request but printable ASCII: hostile bytes in paths, lookup names,
 * invite codes, queries, request id headers and JSON keys reach it only as
 * "\xNN" escapes.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "support/fixtures.h"
#include "support/http.h"
#include "support/stack.h"
#include "support/wait.h"

static struct stack log_stack;
static char log_dir[64];

static void stop_log_stack(void)
{
    stack_stop(&log_stack);
    stack_remove_dir(log_dir);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    cr_assert(text);
    size_t got = fread(text, 1, (size_t)n, f);
    text[got] = '\0';
    fclose(f);
    return text;
}

/* GET path on the private stack; returns the request id it was logged under. */
static void get_logged(const char *path, char *request_id, size_t size)
{
    char *url = http_url(log_stack.url, "%s", path);
    struct http_response r;
    cr_assert(http_get(url, &r) == 0, "%s: %s", url, r.error);
    cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
    const char *id = http_header(&r, "X-Request-Id");
    cr_assert(id && *id, "no X-Request-Id on %s", path);
    snprintf(request_id, size, "%s", id);
    http_response_free(&r);
    free(url);
}

struct in_file {
    const char *path, *needle;
};

static bool file_holds(void *ctx)
{
    const struct in_file *f = ctx;
    char *text = slurp(f->path);
    bool found = text && strstr(text, f->needle);
    free(text);
    return found;
}

/* Whether the file at path comes to hold needle (lines are written as a
 * request ends, after its answer has gone). */
static bool appears(const char *path, const char *needle)
{
    struct in_file f = {path, needle};
    return wait_until(file_holds, &f, WAIT_LONG_MS);
}

static bool exists(void *ctx)
{
    return access(ctx, F_OK) == 0;
}

Test(logs, access_lines_and_reopen_on_sigusr1, .fini = stop_log_stack, .timeout = 120)
{
    snprintf(log_dir, sizeof log_dir, "/tmp/warden-logs-XXXXXX");
    cr_assert(mkdtemp(log_dir), "mkdtemp");
    char log_path[128], rotated[160];
    snprintf(log_path, sizeof log_path, "%s/pool.log", log_dir);
    snprintf(rotated, sizeof rotated, "%s.1", log_path);
    const char *args[] = {"--log-file", log_path, NULL};
    cr_assert(stack_start(&log_stack, args) == 0, "the stack did not start");

    char first[128], second[128];
    get_logged("/healthz", first, sizeof first);
    cr_assert(appears(log_path, first), "no access line for %s in %s", first, log_path);
    char *text = slurp(log_path);
    char *line = strstr(text, first);
    while (line > text && line[-1] != '\n')
        line--;
    cr_expect(strstr(line, "access GET /healthz 200 ") == strstr(line, "access"),
              "access line: %.200s", line);
    free(text);

    /* Rotate as logrotate does: move the file, signal the pool. */
    cr_assert(rename(log_path, rotated) == 0);
    cr_assert(kill(log_stack.pool_pid, SIGUSR1) == 0);
    /* The master reopens the path (creating the file) and passes the signal
     * on to the workers, which reopen before they take their next request. */
    cr_assert(wait_until(exists, log_path, WAIT_LONG_MS), "the pool did not reopen %s", log_path);
    /* Two workers: ask twice per worker so that each has served after the signal. */
    for (int i = 0; i < 4; i++)
        get_logged("/healthz", second, sizeof second);
    cr_expect(appears(log_path, second), "after SIGUSR1 the pool did not write %s", log_path);
    char *old = slurp(rotated);
    cr_expect(old && !strstr(old, second), "the rotated file still receives lines");
    free(old);
}

/* --- hostile bytes ------------------------------------------------------------- */

static struct stack esc_stack;

static void stop_esc_stack(void)
{
    cr_expect_eq(stack_stop(&esc_stack), 0, "the stack did not stop cleanly");
}

struct raw_answer {
    long status;
    char request_id[80];
};

/* Case-insensitive search for a header line "\r\nName: " in head. */
static const char *find_header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
            return p + 2 + n + 1;
    }
    return NULL;
}

/* Send request (exactly these bytes: raw ones in the path and in headers
 * included, which an HTTP library would encode or refuse) to the stack's
 * nginx and read the answer to its end (the request says Connection: close). */
static void raw_exchange(const char *request, size_t len, struct raw_answer *out)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct timeval bound = {.tv_sec = 15}; /* a test never hangs; no timing is asserted */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)esc_stack.http_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect to nginx");
    for (size_t sent = 0; sent < len;) {
        ssize_t w = write(fd, request + sent, len - sent);
        cr_assert(w > 0, "write to nginx");
        sent += (size_t)w;
    }
    static char answer[65536];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof answer - 1 && (n = read(fd, answer + got, sizeof answer - 1 - got)) > 0)
        got += (size_t)n;
    answer[got] = '\0';
    close(fd);
    cr_assert(sscanf(answer, "HTTP/1.%*d %ld", &out->status) == 1, "no HTTP answer: %.200s", answer);
    const char *id = find_header(answer, "X-Request-Id");
    if (id) {
        id += strspn(id, " ");
        snprintf(out->request_id, sizeof out->request_id, "%.*s", (int)strcspn(id, "\r\n"), id);
    }
}

/* method target with an optional extra header block ("Name: value\r\n"...)
 * and JSON body; the answer's status and request id into *out. */
static void raw_request(const char *method, const char *target, const char *headers,
                        const char *body, struct raw_answer *out)
{
    static char req[16384];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, target, headers ? headers : "", body ? strlen(body) : 0,
                     body ? body : "");
    cr_assert(n > 0 && (size_t)n < sizeof req);
    raw_exchange(req, (size_t)n, out);
}

static char esc_log[STACK_STR_MAX + 32];

/* The log's line that holds needle (malloc'd, without its newline), once it
 * is written; NULL if it never is. */
static char *logged_line(const char *needle)
{
    if (!appears(esc_log, needle))
        return NULL;
    char *text = slurp(esc_log);
    char *at = strstr(text, needle);
    char *start = at;
    while (start > text && start[-1] != '\n')
        start--;
    size_t len = strcspn(start, "\n");
    char *line = strndup(start, len);
    free(text);
    return line;
}

/* Every byte of the file is printable ASCII or a newline. */
static void expect_printable(const char *path)
{
    char *text = slurp(path);
    cr_assert(text, "no log at %s", path);
    size_t line = 1;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n')
            line++;
        else
            cr_expect(*p >= 0x20 && *p <= 0x7e, "byte 0x%02x on line %zu of %s", *p, line, path);
    }
    free(text);
}

struct hostile {
    const char *what;
    const char *method;
    const char *target; /* on the wire, raw bytes and all */
    int auth;           /* 0 none, 1 chat staff, 2 game moderator */
    const char *body;
    const char *logged; /* what the access line must show for the path */
};

enum { NO_AUTH, STAFF, GAME };

Test(logs, request_bytes_reach_the_log_only_escaped, .fini = stop_esc_stack, .timeout = 240)
{
    /* debug: the rejected-body line quotes a JSON key; slow-ms 1: most
     * requests also log a "slow request" line quoting the path (how many is
     * not asserted, but each must be escaped like the rest). */
    const char *args[] = {"--log-level", "debug", "--slow-ms", "1", NULL};
    cr_assert_eq(stack_start(&esc_stack, args), 0, "the stack did not start");
    cr_assert_eq(stack_log_path(&esc_stack, esc_log, sizeof esc_log), 0);

    struct fx_chat_user staff;
    fx_chat_user_at(&esc_stack, &staff, true);
    char staff_header[400];
    snprintf(staff_header, sizeof staff_header, "%s\r\n", staff.auth);

    /* A game moderator on this stack, logged in through the password grant. */
    char name[24], email[64], password[40], line[256], hex[65], body[256];
    fx_unique(name, sizeof name, "g");
    fx_unique(password, sizeof password, "pw");
    snprintf(email, sizeof email, "%s@example.com", name);
    fx_ctl_ok(&esc_stack, line, sizeof line,
              (const char *const[]){"game-add-user", name, email, password, NULL});
    fx_ctl_ok(&esc_stack, NULL, 0,
              (const char *const[]){"game-grant", name, "Api", "UserQuery", "Ban", NULL});
    fx_sha256_hex(password, hex);
    snprintf(body, sizeof body, "{\"grant_type\":\"password\",\"username\":\"%s\",\"password\":\"%s\"}",
             name, hex);
    struct http_response r;
    fx_request_at(&esc_stack, "POST", "/api/oauth/token", NULL, body, &r);
    cr_assert_eq(r.status, 200, "password grant: %ld %s", r.status, r.body);
    bson_t doc = BSON_INITIALIZER;
    fx_json(&r, &doc);
    char game_header[700];
    snprintf(game_header, sizeof game_header, "Authorization: Bearer %s\r\n",
             fx_str(&doc, "access_token"));
    bson_destroy(&doc);
    http_response_free(&r);

    char staff_patch[96];
    snprintf(staff_patch, sizeof staff_patch, "/api/v6/admin/users/%s", staff.id);

    static const struct hostile cases[] = {
        {"C1 CSI, percent-encoded", "GET", "/api/v6/x%C2%9B31mred", NO_AUTH, NULL,
         " /api/v6/x\\xc2\\x9b31mred "},
        {"C1 CSI and NEL, raw", "GET", "/api/v6/x\xc2\x9b" "31m\xc2\x85y", NO_AUTH, NULL,
         " /api/v6/x\\xc2\\x9b31m\\xc2\\x85y "},
        {"bare C1 bytes", "GET", "/api/v6/%9B%85", NO_AUTH, NULL, " /api/v6/\\x9b\\x85 "},
        {"right-to-left override", "GET", "/api/v6/users/%E2%80%AEnimda", NO_AUTH, NULL,
         " /api/v6/users/\\xe2\\x80\\xaenimda "},
        {"every embedding and override, raw", "GET",
         "/api/v6/b\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae", NO_AUTH, NULL,
         " /api/v6/b\\xe2\\x80\\xaa\\xe2\\x80\\xab\\xe2\\x80\\xac\\xe2\\x80\\xad\\xe2\\x80\\xae "},
        {"isolates", "GET", "/api/v6/i%E2%81%A6%E2%81%A7%E2%81%A8%E2%81%A9", NO_AUTH, NULL,
         " /api/v6/i\\xe2\\x81\\xa6\\xe2\\x81\\xa7\\xe2\\x81\\xa8\\xe2\\x81\\xa9 "},
        {"invalid UTF-8", "GET", "/api/v6/%FF%FE%C3(%E2%80", NO_AUTH, NULL,
         " /api/v6/\\xff\\xfe\\xc3(\\xe2\\x80 "},
        {"invalid UTF-8, raw", "GET", "/api/v6/r\xff\xfe\x80", NO_AUTH, NULL,
         " /api/v6/r\\xff\\xfe\\x80 "},
        {"overlong forms", "GET", "/api/v6/%C0%AF%C1%9C%E0%80%8A", NO_AUTH, NULL,
         " /api/v6/\\xc0\\xaf\\xc1\\x9c\\xe0\\x80\\x8a "},
        {"C0 controls and DEL", "GET", "/api/v6/a%0A2026-01-01T00:00:00.000Z%0D%1B[2J%7F%09",
         NO_AUTH, NULL, " /api/v6/a\\x0a2026-01-01T00:00:00.000Z\\x0d\\x1b[2J\\x7f\\x09 "},
        {"a backslash typed as an escape", "GET", "/api/v6/a%5Cx0a%5C", NO_AUTH, NULL,
         " /api/v6/a\\x5cx0a\\x5c "},
        {"spaces forging the access line's fields", "GET", "/api/v6/a%20200%201us%20rid=forged",
         NO_AUTH, NULL, " /api/v6/a\\x20200\\x201us\\x20rid=forged "},
        /* Refused by the lookup's precheck (400 "Invalid name."), after the
         * caller's token is checked: still logged. */
        {"game lookup name", "GET", "/api/v1/users/%E2%80%AEnimda%C2%9B", GAME, NULL,
         " /api/v1/users/\\xe2\\x80\\xaenimda\\xc2\\x9b "},
        {"game lookup name, raw", "GET", "/api/v1/players/p\xe2\x81\xa6\xff", GAME, NULL,
         " /api/v1/players/p\\xe2\\x81\\xa6\\xff "},
        {"game action on a hostile name", "POST", "/api/v1/users/%1B%C2%9B/admin/ban", GAME,
         "{\"duration\": 1, \"reason\": \"x\"}", " /api/v1/users/\\x1b\\xc2\\x9b/admin/ban "},
        {"invite code", "DELETE", "/api/v6/admin/instance/invites/c%E2%80%AEd%C2%85e", STAFF, NULL,
         " /api/v6/admin/instance/invites/c\\xe2\\x80\\xaed\\xc2\\x85e "},
        {"a query (never logged)", "GET",
         "/api/v6/users/@me?q=%C2%9BQMARK%E2%80%AE%0A&%FF=QMARK\xe2\x80\xae", STAFF, NULL,
         " /api/v6/users/@me "},
    };

    char want[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct hostile *c = &cases[i];
        struct raw_answer a;
        raw_request(c->method, c->target,
                    c->auth == STAFF ? staff_header : c->auth == GAME ? game_header : NULL, c->body,
                    &a);
        cr_assert(a.request_id[0], "%s: no X-Request-Id (status %ld)", c->what, a.status);
        snprintf(want, sizeof want, "rid=%s", a.request_id);
        char *logged = logged_line(want);
        cr_expect(logged, "%s: no access line with %s", c->what, want);
        if (logged)
            cr_expect(strstr(logged, "access ") && strstr(logged, c->logged),
                      "%s: the access line is\n  %s\nnot with\n  %s", c->what, logged, c->logged);
        free(logged);
    }

    /* A client's request id headers (nginx makes the id; the pool never
     * takes one from the client) reach the log in no form. */
    struct raw_answer a;
    raw_request("GET", "/livez",
                "X-Request-Id: RIDMARK\xe2\x80\xae\xc2\x9b\x1b[31m\r\n"
                "Request-Id: RIDMARK\xff\r\n",
                NULL, &a);
    cr_expect_eq(a.status, 200);
    cr_expect_eq(strlen(a.request_id), 32, "X-Request-Id is not nginx's: %s", a.request_id);
    snprintf(want, sizeof want, "rid=%s", a.request_id);
    char *logged = logged_line(want);
    cr_expect(logged && strstr(logged, "access GET /livez 200 "), "access line: %s", logged);
    free(logged);

    /* Keys of a JSON body, quoted by the rejected-body line (debug), with
     * the bytes raw in the body and as \u escapes. */
    static const struct {
        const char *key, *logged;
    } keys[] = {
        {"k\\u202e\\u009b\\u001b", "duplicate key 'k\\xe2\\x80\\xae\\xc2\\x9b\\x1b'"},
        {"k\xe2\x81\xa6\xc2\x85\\\\x41", "duplicate key 'k\\xe2\\x81\\xa6\\xc2\\x85\\x5cx41'"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"%s\": 1, \"%s\": 2}", keys[i].key, keys[i].key);
        raw_request("PATCH", staff_patch, staff_header, json, &a);
        cr_expect_eq(a.status, 400, "key %zu", i);
        snprintf(want, sizeof want, "(rid=%s)", a.request_id);
        logged = logged_line(want);
        cr_expect(logged && strstr(logged, keys[i].logged), "key %zu: %s", i, logged);
        free(logged);
        raw_request("POST", "/api/v1/users/nobody/admin/ban", game_header, json, &a);
        cr_expect_eq(a.status, 400, "key %zu, game", i);
        snprintf(want, sizeof want, "(rid=%s)", a.request_id);
        logged = logged_line(want);
        cr_expect(logged && strstr(logged, keys[i].logged), "key %zu, game: %s", i, logged);
        free(logged);
    }

    /* Bytes nginx or the pool refuses before routing (a NUL in the path,
     * in a query, in a key): whoever answers, nothing raw is logged. */
    raw_request("GET", "/api/v6/a%00b", NULL, NULL, &a);
    raw_request("GET", "/api/v6/users/@me?a=%00", staff_header, NULL, &a);
    raw_request("PATCH", staff_patch, staff_header, "{\"a\\u0000\\u202e\": 1}", &a);
    raw_request("PATCH", staff_patch, staff_header, "{\"a\xc0\xaf\xff\": 1}", &a);
    /* The last request is logged: everything before it is in the file. */
    cr_expect(appears(esc_log, a.request_id), "no line for the last request");

    expect_printable(esc_log);
    /* nginx's own access log (its default escaping) holds the same requests. */
    char nginx_log[STACK_STR_MAX + 32];
    snprintf(nginx_log, sizeof nginx_log, "%s/log/nginx-access.log", esc_stack.dir);
    expect_printable(nginx_log);
    char *text = slurp(esc_log);
    cr_expect(!strstr(text, "QMARK"), "the query reached the log");
    cr_expect(!strstr(text, "RIDMARK"), "a client's request id header reached the log");
    free(text);
}
