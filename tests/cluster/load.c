/*
 * cluster_load: continuous HTTP load for tests/cluster/run, one line per
 * request on stdout, so that the script can judge every answer.
 *
 *   cluster_load --url BASE --token TOKEN [--concurrency N] [--requests N]
 *                [--seconds S] [--timeout S] [--tag-base N]
 *                --req 'METHOD PATH [BODY]' [--req ...]
 *
 * Requests cycle through the --req specs, N at a time, until --requests have
 * been sent or --seconds have passed (whichever first), and each is waited
 * for (at most --timeout seconds, then it counts as status 0). In a PATH or
 * a BODY, %d becomes the request's tag: --tag-base plus its index, distinct
 * for every request of a run, so that nginx's log line and what a write
 * stored can be matched with the request.
 *
 * Output, one line per request, in the order they finish:
 *   TAG METHOD START_MS END_MS STATUS JSON BODY
 * START_MS and END_MS are wall-clock milliseconds (comparable with
 * `date +%s%3N`), STATUS 0 when no answer came (the curl error is in BODY),
 * JSON 1 when the body is one JSON object, BODY the body on one line.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SPECS 8
#define MAX_CONCURRENCY 64
#define MAX_BODY 65536

struct spec {
    char method[16];
    char path[512];
    const char *body; /* NULL: none; may hold one %d */
};

struct slot {
    CURL *easy;
    struct curl_slist *headers;
    long long tag;
    const struct spec *spec;
    long long start_ms;
    char request_body[1024];
    char body[MAX_BODY];
    size_t body_len;
    char error[CURL_ERROR_SIZE];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t collect(char *data, size_t size, size_t n, void *user)
{
    struct slot *s = user;
    size_t len = size * n, room = sizeof s->body - 1 - s->body_len;
    memcpy(s->body + s->body_len, data, len < room ? len : room);
    s->body_len += len < room ? len : room;
    return len;
}

static void usage(void)
{
    fprintf(stderr, "usage: cluster_load --url BASE --token TOKEN [--concurrency N] [--requests N]\n"
                    "                    [--seconds S] [--timeout S] [--tag-base N] --req 'METHOD PATH [BODY]'...\n");
    exit(2);
}

static void parse_spec(const char *text, struct spec *spec)
{
    int used = 0;
    if (sscanf(text, "%15s %511s %n", spec->method, spec->path, &used) < 2)
        usage();
    spec->body = text[used] ? text + used : NULL;
}

static void start(CURLM *multi, struct slot *s, const char *base, const char *token, const struct spec *spec,
                  long long tag, long timeout)
{
    char url[1024], auth[1024];
    s->spec = spec;
    s->tag = tag;
    s->body_len = 0;
    s->error[0] = '\0';
    s->easy = curl_easy_init();
    const char *at = strstr(spec->path, "%d");
    if (at)
        snprintf(url, sizeof url, "%s%.*s%lld%s", base, (int)(at - spec->path), spec->path, tag, at + 2);
    else
        snprintf(url, sizeof url, "%s%s", base, spec->path);
    snprintf(auth, sizeof auth, "Authorization: %s", token);
    s->headers = curl_slist_append(NULL, auth);
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, spec->method);
    if (strcmp(spec->method, "HEAD") == 0)
        curl_easy_setopt(s->easy, CURLOPT_NOBODY, 1L);
    if (spec->body) {
        const char *mark = strstr(spec->body, "%d");
        if (mark)
            snprintf(s->request_body, sizeof s->request_body, "%.*s%lld%s", (int)(mark - spec->body),
                     spec->body, tag, mark + 2);
        else
            snprintf(s->request_body, sizeof s->request_body, "%s", spec->body);
        s->headers = curl_slist_append(s->headers, "Content-Type: application/json");
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->request_body);
    }
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->error);
    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    /* A fresh connection each time, as every client of a busy site looks to nginx. */
    curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE, 1L);
    s->start_ms = now_ms();
    curl_multi_add_handle(multi, s->easy);
}

static void finish(CURLM *multi, struct slot *s, CURLcode result)
{
    long status = 0;
    if (result == CURLE_OK)
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    s->body[s->body_len] = '\0';
    for (size_t i = 0; i < s->body_len; i++)
        if (s->body[i] == '\n' || s->body[i] == '\r')
            s->body[i] = ' ';
    size_t end = s->body_len;
    while (end > 0 && s->body[end - 1] == ' ')
        s->body[--end] = '\0';
    int json = end >= 2 && s->body[0] == '{' && s->body[end - 1] == '}';
    printf("%lld %s %lld %lld %ld %d %s\n", s->tag, s->spec->method, s->start_ms, now_ms(), status, json,
           result == CURLE_OK ? s->body : (s->error[0] ? s->error : curl_easy_strerror(result)));
    curl_multi_remove_handle(multi, s->easy);
    curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->headers);
    s->easy = NULL;
    s->headers = NULL;
}

int main(int argc, char **argv)
{
    const char *base = NULL, *token = "";
    struct spec specs[MAX_SPECS];
    int n_specs = 0, concurrency = 4;
    long long requests = 1000000000LL, tag_base = 0;
    double seconds = 3600;
    long timeout = 60;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (strcmp(a, "--url") == 0)
            base = v;
        else if (strcmp(a, "--token") == 0)
            token = v;
        else if (strcmp(a, "--concurrency") == 0)
            concurrency = atoi(v);
        else if (strcmp(a, "--requests") == 0)
            requests = atoll(v);
        else if (strcmp(a, "--seconds") == 0)
            seconds = atof(v);
        else if (strcmp(a, "--timeout") == 0)
            timeout = atol(v);
        else if (strcmp(a, "--tag-base") == 0)
            tag_base = atoll(v);
        else if (strcmp(a, "--req") == 0 && n_specs < MAX_SPECS)
            parse_spec(v, &specs[n_specs++]);
        else
            usage();
        i++;
    }
    if (!base || n_specs == 0 || concurrency < 1 || concurrency > MAX_CONCURRENCY || timeout < 1)
        usage();

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    static struct slot slots[MAX_CONCURRENCY];
    long long sent = 0, stop_ms = now_ms() + (long long)(seconds * 1000);
    int running = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
        int active = 0;
        for (int i = 0; i < concurrency; i++) {
            if (!slots[i].easy && sent < requests && now_ms() < stop_ms) {
                start(multi, &slots[i], base, token, &specs[sent % n_specs], tag_base + sent, timeout);
                sent++;
            }
            active += slots[i].easy != NULL;
        }
        if (active == 0)
            break;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct slot *s;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            finish(multi, s, msg->data.result);
        }
        curl_multi_poll(multi, NULL, 0, 50, NULL);
    }
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return 0;
}
