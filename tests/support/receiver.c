/*
 * receiver: a Standard Webhooks receiver in a child process (see receiver.h).
 *
 * The record file holds, per request, a header line of tab-separated fields
 *   R arrival_ms status valid method path id timestamp content_type user_agent body_len
 * then body_len bytes of body and a newline, written with one write() to a
 * file opened O_APPEND.
 */
#include "support/receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 16384
#define BODY_MAX (4 * 1024 * 1024)
#define RULES_MAX 64
#define RULE_TEXT_MAX 512
#define ACK_TIMEOUT_MS 10000
#define IO_TIMEOUT_S 5
#define TEXT_SEP '\x1f' /* between the texts of a body rule on the control pipe */

/* --- signatures ------------------------------------------------------------ */

static int secret_key(const char *secret, unsigned char *key, size_t size, size_t *len)
{
    if (sodium_init() < 0 || strncmp(secret, "whsec_", 6) != 0)
        return -1;
    const char *b64 = secret + 6;
    if (sodium_base642bin(key, size, b64, strlen(b64), NULL, len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || *len == 0)
        return -1;
    return 0;
}

int receiver_sign(const char *secret, const char *id, const char *timestamp, const char *body,
                  size_t body_len, char out[RECEIVER_SIGNATURE_SIZE])
{
    unsigned char key[256], mac[crypto_auth_hmacsha256_BYTES];
    size_t key_len;
    if (secret_key(secret, key, sizeof key, &key_len) != 0)
        return -1;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)timestamp, strlen(timestamp));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, RECEIVER_SIGNATURE_SIZE - 3, mac, sizeof mac,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof key);
    return 0;
}

bool receiver_signature_ok(const char *secret, const char *header, const char *id,
                           const char *timestamp, const char *body, size_t body_len)
{
    char want[RECEIVER_SIGNATURE_SIZE];
    if (header == NULL || id == NULL || timestamp == NULL || *id == '\0' || *timestamp == '\0' ||
        receiver_sign(secret, id, timestamp, body, body_len, want) != 0)
        return false;
    size_t want_len = strlen(want);
    for (const char *p = header; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == want_len && sodium_memcmp(p, want, n) == 0)
            return true;
        p += n;
    }
    return false;
}

/* --- the child ---------------------------------------------------------------- */

struct rule {
    bool by_id;
    int status;
    char text[RULE_TEXT_MAX]; /* the id, or the texts separated by TEXT_SEP */
};

struct child {
    int listen_fd;
    int port;
    int ctl_fd, ack_fd;
    const char *secret;
    const char *records;
    struct rule rules[RULES_MAX];
    int n_rules;
    int default_status;
    long delay_ms;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool body_matches(const struct rule *rule, const char *body)
{
    const char *p = rule->text;
    while (*p) {
        char text[RULE_TEXT_MAX];
        size_t n = strcspn(p, (char[]){TEXT_SEP, '\0'});
        memcpy(text, p, n);
        text[n] = '\0';
        if (n > 0 && strstr(body, text) == NULL)
            return false;
        p += n;
        if (*p == TEXT_SEP)
            p++;
    }
    return true;
}

static int answer_for(const struct child *c, const char *id, const char *body)
{
    for (int i = 0; i < c->n_rules; i++)
        if (c->rules[i].by_id && strcmp(c->rules[i].text, id) == 0)
            return c->rules[i].status;
    for (int i = 0; i < c->n_rules; i++)
        if (!c->rules[i].by_id && body_matches(&c->rules[i], body))
            return c->rules[i].status;
    return c->default_status;
}

static const char *reason_of(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* A header value with tabs and line ends blanked, for the record line. */
static void field_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < size; i++)
        dst[i] = (src[i] == '\t' || src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
    dst[i] = '\0';
}

static void record(const struct child *c, const struct receiver_record *rec)
{
    char head[1024];
    int n = snprintf(head, sizeof head, "R\t%lld\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%zu\n",
                     (long long)rec->arrival_ms, rec->status, rec->signature_valid ? 1 : 0,
                     rec->method, rec->path, rec->id, rec->timestamp, rec->content_type,
                     rec->user_agent, rec->body_len);
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    size_t total = (size_t)n + rec->body_len + 1;
    char *all = malloc(total);
    if (all == NULL)
        return;
    memcpy(all, head, (size_t)n);
    memcpy(all + n, rec->body, rec->body_len);
    all[total - 1] = '\n';
    int fd = open(c->records, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd >= 0) {
        write_all(fd, all, total);
        close(fd);
    }
    free(all);
}

/* The value of the header called name (any case), or NULL. */
static const char *header_of(char *const *names, char *const *values, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0)
            return values[i];
    return NULL;
}

static void respond(int fd, int status)
{
    char out[256], body[64] = "";
    if (status != 204 && status != 304)
        snprintf(body, sizeof body, "{\"status\":%d}", status);
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, reason_of(status), strlen(body), body);
    if (n > 0 && (size_t)n < sizeof out)
        write_all(fd, out, (size_t)n);
}

static void serve(struct child *c, int fd)
{
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    char *buf = malloc(HEAD_MAX + 1);
    if (buf == NULL)
        return;
    size_t len = 0;
    char *end = NULL;
    while (end == NULL && len < HEAD_MAX) {
        ssize_t r = read(fd, buf + len, HEAD_MAX - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) {
        free(buf);
        return;
    }
    *end = '\0';
    size_t head_len = (size_t)(end - buf) + 4;

    /* request line, then the headers, split in place */
    char *names[64], *values[64];
    int n_headers = 0;
    char *line = buf, *next = strstr(line, "\r\n");
    if (next)
        *next = '\0';
    char *method = line, *path = strchr(line, ' ');
    if (path == NULL) {
        respond(fd, 400);
        free(buf);
        return;
    }
    *path++ = '\0';
    char *version = strchr(path, ' ');
    if (version)
        *version = '\0';
    for (line = next ? next + 2 : NULL; line && *line && n_headers < 64; line = next) {
        next = strstr(line, "\r\n");
        if (next) {
            *next = '\0';
            next += 2;
        }
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        names[n_headers] = line;
        values[n_headers++] = v;
    }

    const char *length_text = header_of(names, values, n_headers, "content-length");
    const char *expect = header_of(names, values, n_headers, "expect");
    long long want = length_text ? strtoll(length_text, NULL, 10) : 0;
    if (header_of(names, values, n_headers, "transfer-encoding") != NULL || want < 0 ||
        want > BODY_MAX) {
        respond(fd, want > BODY_MAX ? 413 : 411);
        free(buf);
        return;
    }
    if (expect && strcasecmp(expect, "100-continue") == 0)
        write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);

    char *body = malloc((size_t)want + 1);
    if (body == NULL) {
        free(buf);
        return;
    }
    size_t have = len - head_len < (size_t)want ? len - head_len : (size_t)want;
    memcpy(body, buf + head_len, have);
    while (have < (size_t)want) {
        ssize_t r = read(fd, body + have, (size_t)want - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    body[have] = '\0';

    struct receiver_record rec;
    memset(&rec, 0, sizeof rec);
    rec.arrival_ms = wall_ms();
    const char *id = header_of(names, values, n_headers, "webhook-id");
    const char *ts = header_of(names, values, n_headers, "webhook-timestamp");
    const char *sig = header_of(names, values, n_headers, "webhook-signature");
    field_copy(rec.method, sizeof rec.method, method);
    field_copy(rec.path, sizeof rec.path, path);
    field_copy(rec.id, sizeof rec.id, id);
    field_copy(rec.timestamp, sizeof rec.timestamp, ts);
    field_copy(rec.content_type, sizeof rec.content_type,
               header_of(names, values, n_headers, "content-type"));
    field_copy(rec.user_agent, sizeof rec.user_agent,
               header_of(names, values, n_headers, "user-agent"));
    rec.body = body;
    rec.body_len = have;
    rec.signature_valid = have == (size_t)want &&
                          receiver_signature_ok(c->secret, sig, id, ts, body, have);
    rec.status = rec.signature_valid ? answer_for(c, rec.id, body) : 401;
    record(c, &rec);
    if (c->delay_ms > 0)
        pause_ms(c->delay_ms);
    respond(fd, rec.status);
    free(body);
    free(buf);
}

/* Apply one control line and acknowledge it ("ok" or "err"). */
static void command(struct child *c, char *line)
{
    const char *answer = "ok\n";
    if (strncmp(line, "id ", 3) == 0 || strncmp(line, "body ", 5) == 0) {
        bool by_id = line[0] == 'i';
        char *p = line + (by_id ? 3 : 5);
        int status = (int)strtol(p, &p, 10);
        if (*p == ' ')
            p++;
        int i = 0;
        if (by_id) /* one rule per id: replaced, or removed with status 0 */
            for (; i < c->n_rules; i++)
                if (c->rules[i].by_id && strcmp(c->rules[i].text, p) == 0)
                    break;
        if (!by_id || i == c->n_rules)
            i = c->n_rules < RULES_MAX ? c->n_rules++ : -1;
        if (i < 0) {
            answer = "err\n";
        } else if (status == 0) {
            c->rules[i] = c->rules[--c->n_rules];
        } else {
            c->rules[i].by_id = by_id;
            c->rules[i].status = status;
            snprintf(c->rules[i].text, sizeof c->rules[i].text, "%s", p);
        }
    } else if (strcmp(line, "clear") == 0) {
        c->n_rules = 0;
    } else if (strncmp(line, "default ", 8) == 0) {
        c->default_status = atoi(line + 8);
    } else if (strncmp(line, "delay ", 6) == 0) {
        c->delay_ms = atol(line + 6);
    } else if (strcmp(line, "down") == 0) {
        if (c->listen_fd >= 0)
            close(c->listen_fd);
        c->listen_fd = -1;
    } else if (strcmp(line, "up") == 0) {
        for (int tries = 0; c->listen_fd < 0 && tries < 200; tries++) {
            c->listen_fd = listen_on(c->port);
            if (c->listen_fd < 0)
                pause_ms(10);
        }
        if (c->listen_fd < 0)
            answer = "err\n";
    } else {
        answer = "err\n";
    }
    write_all(c->ack_fd, answer, strlen(answer));
}

static void child_main(struct child *c)
{
    char pending[4096];
    size_t used = 0;
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        struct pollfd fds[2] = {{c->ctl_fd, POLLIN, 0}, {c->listen_fd, POLLIN, 0}};
        int n = poll(fds, c->listen_fd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
        if (fds[0].revents) {
            ssize_t r = read(c->ctl_fd, pending + used, sizeof pending - 1 - used);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return; /* the test is gone */
            used += (size_t)r;
            char *nl;
            while ((nl = memchr(pending, '\n', used)) != NULL) {
                *nl = '\0';
                command(c, pending);
                size_t consumed = (size_t)(nl - pending) + 1;
                memmove(pending, nl + 1, used - consumed);
                used -= consumed;
            }
            if (used == sizeof pending - 1)
                used = 0; /* a line too long: dropped */
            continue;
        }
        if (c->listen_fd >= 0 && fds[1].revents) {
            int fd = accept(c->listen_fd, NULL, NULL);
            if (fd >= 0) {
                serve(c, fd);
                shutdown(fd, SHUT_WR);
                close(fd);
            }
        }
    }
}

/* --- the test's side ------------------------------------------------------------------ */

static int send_command(struct receiver *r, const char *line)
{
    if (r->pid <= 0 || !write_all(r->ctl_fd, line, strlen(line)))
        return -1;
    char ack[8];
    size_t n = 0;
    while (n < sizeof ack - 1) {
        struct pollfd p = {r->ack_fd, POLLIN, 0};
        int ready = poll(&p, 1, ACK_TIMEOUT_MS);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return -1;
        ssize_t got = read(r->ack_fd, ack + n, 1);
        if (got <= 0)
            return -1;
        if (ack[n++] == '\n')
            break;
    }
    ack[n] = '\0';
    return strcmp(ack, "ok\n") == 0 ? 0 : -1;
}

static void close_on_exec(int fd)
{
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

int receiver_start(struct receiver *r, const char *secret)
{
    memset(r, 0, sizeof *r);
    r->ctl_fd = r->ack_fd = -1;
    if (sodium_init() < 0) {
        fprintf(stderr, "receiver: libsodium did not initialise\n");
        return -1;
    }
    if (secret) {
        snprintf(r->secret, sizeof r->secret, "%s", secret);
    } else {
        unsigned char key[32];
        randombytes_buf(key, sizeof key);
        memcpy(r->secret, "whsec_", 6);
        sodium_bin2base64(r->secret + 6, sizeof r->secret - 6, key, sizeof key,
                          sodium_base64_VARIANT_ORIGINAL);
    }
    unsigned char key[256];
    size_t key_len;
    if (secret_key(r->secret, key, sizeof key, &key_len) != 0) {
        fprintf(stderr, "receiver: the secret is not whsec_ followed by base64\n");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(r->dir, sizeof r->dir, "%s/warden-receiver-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(r->dir) == NULL) {
        fprintf(stderr, "receiver: mkdtemp %s: %s\n", r->dir, strerror(errno));
        r->dir[0] = '\0';
        return -1;
    }
    snprintf(r->records, sizeof r->records, "%s/records", r->dir);
    int fd = open(r->records, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        close(fd);

    int listen_fd = listen_on(0);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    if (listen_fd < 0 || getsockname(listen_fd, (struct sockaddr *)&a, &alen) != 0) {
        fprintf(stderr, "receiver: cannot listen on loopback: %s\n", strerror(errno));
        if (listen_fd >= 0)
            close(listen_fd);
        receiver_stop(r);
        return -1;
    }
    r->port = ntohs(a.sin_port);
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%d", r->port);

    int ctl[2], ack[2];
    if (pipe(ctl) != 0) {
        close(listen_fd);
        receiver_stop(r);
        return -1;
    }
    if (pipe(ack) != 0) {
        close(ctl[0]);
        close(ctl[1]);
        close(listen_fd);
        receiver_stop(r);
        return -1;
    }
    /* The test's ends must not reach programs the test starts. */
    close_on_exec(ctl[1]);
    close_on_exec(ack[0]);
    close_on_exec(listen_fd);
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN); /* a dead child must fail a write, not end the test */

    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "receiver: fork: %s\n", strerror(errno));
        close(ctl[0]);
        close(ctl[1]);
        close(ack[0]);
        close(ack[1]);
        close(listen_fd);
        receiver_stop(r);
        return -1;
    }
    if (pid == 0) {
        /* Keep only its own descriptors: another receiver's control pipe
         * held open here would keep that one alive. */
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
        for (int i = 3; i < max; i++)
            if (i != ctl[0] && i != ack[1] && i != listen_fd)
                close(i);
        struct child c;
        memset(&c, 0, sizeof c);
        c.listen_fd = listen_fd;
        c.port = r->port;
        c.ctl_fd = ctl[0];
        c.ack_fd = ack[1];
        c.secret = r->secret;
        c.records = r->records;
        c.default_status = 200;
        child_main(&c);
        _exit(0);
    }
    close(ctl[0]);
    close(ack[1]);
    close(listen_fd);
    r->pid = pid;
    r->ctl_fd = ctl[1];
    r->ack_fd = ack[0];
    if (send_command(r, "default 200\n") != 0) {
        fprintf(stderr, "receiver: the child does not answer\n");
        receiver_stop(r);
        return -1;
    }
    return 0;
}

void receiver_stop(struct receiver *r)
{
    if (r->pid > 0) {
        if (r->ctl_fd >= 0)
            close(r->ctl_fd);
        r->ctl_fd = -1;
        kill(r->pid, SIGCONT);
        bool gone = false;
        for (int i = 0; i < 200 && !gone; i++) {
            pid_t w = waitpid(r->pid, NULL, WNOHANG);
            gone = w == r->pid || (w < 0 && errno == ECHILD);
            if (!gone)
                pause_ms(10);
        }
        if (!gone) {
            kill(r->pid, SIGKILL);
            waitpid(r->pid, NULL, 0);
        }
        r->pid = 0;
    }
    if (r->ctl_fd >= 0)
        close(r->ctl_fd);
    if (r->ack_fd >= 0)
        close(r->ack_fd);
    r->ctl_fd = r->ack_fd = -1;
    if (r->dir[0]) {
        if (r->records[0])
            unlink(r->records);
        rmdir(r->dir);
        r->dir[0] = '\0';
    }
}

int receiver_answer_id(struct receiver *r, const char *id, int status)
{
    char line[256];
    if (strchr(id, '\n') || snprintf(line, sizeof line, "id %d %s\n", status, id) >= (int)sizeof line)
        return -1;
    return send_command(r, line);
}

int receiver_answer_body(struct receiver *r, int status, const char *text, ...)
{
    char line[RULE_TEXT_MAX + 32];
    int n = snprintf(line, sizeof line, "body %d ", status);
    va_list ap;
    va_start(ap, text);
    for (const char *t = text; t; t = va_arg(ap, const char *)) {
        if (strchr(t, '\n') || strchr(t, TEXT_SEP)) {
            va_end(ap);
            return -1;
        }
        int k = snprintf(line + n, sizeof line - (size_t)n, "%s%s", t == text ? "" : (char[]){TEXT_SEP, '\0'}, t);
        if (k < 0 || (size_t)k >= sizeof line - (size_t)n - 1) {
            va_end(ap);
            return -1;
        }
        n += k;
    }
    va_end(ap);
    line[n++] = '\n';
    line[n] = '\0';
    return send_command(r, line);
}

int receiver_clear_rules(struct receiver *r)
{
    return send_command(r, "clear\n");
}

int receiver_default_status(struct receiver *r, int status)
{
    char line[32];
    snprintf(line, sizeof line, "default %d\n", status);
    return send_command(r, line);
}

int receiver_delay(struct receiver *r, long ms)
{
    char line[40];
    snprintf(line, sizeof line, "delay %ld\n", ms);
    return send_command(r, line);
}

int receiver_set_down(struct receiver *r, bool down)
{
    return send_command(r, down ? "down\n" : "up\n");
}

/* --- reading the records ----------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (cap - used < 65536) {
            cap = cap ? cap * 2 : 131072;
            char *grown = realloc(text, cap + 1);
            if (grown == NULL) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
        }
        size_t n = fread(text + used, 1, cap - used, f);
        used += n;
        if (n == 0)
            break;
    }
    fclose(f);
    text[used] = '\0';
    *len = used;
    return text;
}

static void field_into(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int receiver_read(const struct receiver *r, struct receiver_log *log)
{
    log->records = NULL;
    log->n = 0;
    size_t len;
    char *text = slurp(r->records, &len);
    if (text == NULL)
        return -1;
    size_t cap = 0, pos = 0;
    int result = 0;
    while (pos < len) {
        char *nl = memchr(text + pos, '\n', len - pos);
        if (nl == NULL)
            break; /* being written */
        /* R arrival status valid method path id timestamp content_type user_agent body_len */
        const char *f[11];
        size_t fl[11];
        int nf = 0;
        const char *p = text + pos;
        while (nf < 11) {
            const char *tab = memchr(p, '\t', (size_t)(nl - p));
            f[nf] = p;
            fl[nf] = (size_t)((tab ? tab : nl) - p);
            nf++;
            if (tab == NULL)
                break;
            p = tab + 1;
        }
        if (nf != 11 || fl[0] != 1 || f[0][0] != 'R') {
            result = -1;
            break;
        }
        size_t body_len = (size_t)strtoull(f[10], NULL, 10);
        size_t body_at = (size_t)(nl - text) + 1;
        if (body_at + body_len + 1 > len)
            break; /* being written */
        if (log->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct receiver_record *grown = realloc(log->records, cap * sizeof *grown);
            if (grown == NULL) {
                result = -1;
                break;
            }
            log->records = grown;
        }
        struct receiver_record *rec = &log->records[log->n];
        memset(rec, 0, sizeof *rec);
        rec->arrival_ms = strtoll(f[1], NULL, 10);
        rec->status = atoi(f[2]);
        rec->signature_valid = f[3][0] == '1';
        field_into(rec->method, sizeof rec->method, f[4], fl[4]);
        field_into(rec->path, sizeof rec->path, f[5], fl[5]);
        field_into(rec->id, sizeof rec->id, f[6], fl[6]);
        field_into(rec->timestamp, sizeof rec->timestamp, f[7], fl[7]);
        field_into(rec->content_type, sizeof rec->content_type, f[8], fl[8]);
        field_into(rec->user_agent, sizeof rec->user_agent, f[9], fl[9]);
        rec->body = malloc(body_len + 1);
        if (rec->body == NULL) {
            result = -1;
            break;
        }
        memcpy(rec->body, text + body_at, body_len);
        rec->body[body_len] = '\0';
        rec->body_len = body_len;
        log->n++;
        pos = body_at + body_len + 1;
    }
    free(text);
    if (result != 0)
        receiver_log_free(log);
    return result;
}

void receiver_log_free(struct receiver_log *log)
{
    for (size_t i = 0; i < log->n; i++)
        free(log->records[i].body);
    free(log->records);
    log->records = NULL;
    log->n = 0;
}

long receiver_count(const struct receiver *r, int status)
{
    struct receiver_log log;
    if (receiver_read(r, &log) != 0)
        return -1;
    long n = 0;
    for (size_t i = 0; i < log.n; i++)
        if (status == 0 || log.records[i].status == status)
            n++;
    receiver_log_free(&log);
    return n;
}
