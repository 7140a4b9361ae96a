/*
 * http: libcurl behind a few calls, so that a test reads as method, URL,
 * headers, body, then assertions on status, headers and body. Every request
 * gets its own easy handle: no shared state between threads but the global
 * init, and no connection reuse that could hide a server's connection bugs.
 */
#include "support/http.h"
#include "support/wait.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(HTTP_ERROR_MAX >= CURL_ERROR_SIZE, "curl's error buffer must fit");

#define HTTP_TIMEOUT_MS 15000L
#define HTTP_CONNECT_TIMEOUT_MS 5000L

struct buffer {
    char *data;
    size_t len;
    size_t cap;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_ALL);
}

/* Append n bytes and keep the buffer NUL-terminated; 0, or -1 out of memory. */
static int buffer_add(struct buffer *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *bigger;

        while (b->len + n + 1 > cap)
            cap *= 2;
        bigger = realloc(b->data, cap);
        if (bigger == NULL)
            return -1;
        b->data = bigger;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    return buffer_add(userdata, data, size * nmemb) == 0 ? size * nmemb : 0;
}

static void free_headers(struct http_response *r)
{
    size_t i;

    for (i = 0; i < 2 * r->header_count; i++)
        free(r->headers[i]);
    free(r->headers);
    r->headers = NULL;
    r->header_count = 0;
}

static char *dup_trimmed(const char *s, size_t n)
{
    char *copy;

    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    copy = malloc(n + 1);
    if (copy != NULL) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

/* One header line at a time. A status line starts a new response (after a
 * 100 Continue, say): only the last response's headers are kept. */
static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
    struct http_response *r = userdata;
    size_t n = size * nitems;
    const char *colon = memchr(line, ':', n);
    char **bigger;

    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        free_headers(r);
        return n;
    }
    if (colon == NULL)
        return n; /* the blank line ending the headers */
    bigger = realloc(r->headers, (r->header_count + 1) * 2 * sizeof *bigger);
    if (bigger == NULL)
        return 0;
    r->headers = bigger;
    r->headers[2 * r->header_count] = dup_trimmed(line, (size_t)(colon - line));
    r->headers[2 * r->header_count + 1] = dup_trimmed(colon + 1, n - (size_t)(colon - line) - 1);
    r->header_count++;
    if (r->headers[2 * r->header_count - 2] == NULL || r->headers[2 * r->header_count - 1] == NULL)
        return 0;
    return n;
}

static int has_header(const char *const *headers, const char *name)
{
    size_t len = strlen(name);

    for (; headers != NULL && *headers != NULL; headers++) {
        if (strncasecmp(*headers, name, len) == 0 && (*headers)[len] == ':')
            return 1;
    }
    return 0;
}

int http_request(const char *method, const char *url, const char *const *headers,
                 const char *body, size_t body_len, struct http_response *out)
{
    struct buffer resp = {NULL, 0, 0};
    struct curl_slist *list = NULL, *grown;
    const char *const *h;
    CURLcode rc;
    CURL *curl;
    int sends_body;

    memset(out, 0, sizeof *out);
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK || (curl = curl_easy_init()) == NULL) {
        snprintf(out->error, sizeof out->error, "curl initialisation failed");
        out->body = calloc(1, 1);
        return -1;
    }

    sends_body = body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                 strcmp(method, "PATCH") == 0;
    for (h = headers; h != NULL && *h != NULL; h++) {
        if ((grown = curl_slist_append(list, *h)) == NULL)
            goto oom;
        list = grown;
    }
    /* With a body, curl would add "Content-Type: application/x-www-form-
     * urlencoded"; an empty "Content-Type:" removes it. */
    if (sends_body && !has_header(headers, "Content-Type")) {
        if ((grown = curl_slist_append(list, "Content-Type:")) == NULL)
            goto oom;
        list = grown;
    }

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, out->error);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else if (sends_body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body != NULL ? body_len : 0));
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);

    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
        out->error[0] = '\0';
    } else {
        if (out->error[0] == '\0')
            snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(rc));
        out->status = 0;
    }
    curl_easy_cleanup(curl);
    curl_slist_free_all(list);
    if (resp.data == NULL && buffer_add(&resp, "", 0) != 0) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return -1;
    }
    out->body = resp.data;
    out->body_len = resp.len;
    return rc == CURLE_OK ? 0 : -1;

oom:
    curl_easy_cleanup(curl);
    curl_slist_free_all(list);
    snprintf(out->error, sizeof out->error, "out of memory");
    out->body = calloc(1, 1);
    return -1;
}

int http_get(const char *url, struct http_response *out)
{
    return http_request("GET", url, NULL, NULL, 0, out);
}

struct until {
    const char *method, *url;
    const char *const *headers;
    http_accept_fn accept;
    struct http_response *out;
    int called;
};

static bool until_accepted(void *ctx)
{
    struct until *u = ctx;

    if (u->called)
        http_response_free(u->out);
    u->called = 1;
    return http_request(u->method, u->url, u->headers, NULL, 0, u->out) == 0 && u->accept(u->out);
}

bool http_request_until(const char *method, const char *url, const char *const *headers,
                        http_accept_fn accept, long deadline_ms, struct http_response *out)
{
    struct until u = {method, url, headers, accept, out, 0};

    return wait_until(until_accepted, &u, deadline_ms);
}

const char *http_header(const struct http_response *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->header_count; i++) {
        if (strcasecmp(r->headers[2 * i], name) == 0)
            return r->headers[2 * i + 1];
    }
    return NULL;
}

void http_response_free(struct http_response *r)
{
    free_headers(r);
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    r->status = 0;
}

char *http_url(const char *base, const char *path_fmt, ...)
{
    size_t base_len = strlen(base);
    va_list ap;
    char *url;
    int path_len;

    while (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
    va_start(ap, path_fmt);
    path_len = vsnprintf(NULL, 0, path_fmt, ap);
    va_end(ap);
    if (path_len < 0)
        return NULL;
    url = malloc(base_len + 1 + (size_t)path_len + 1);
    if (url == NULL)
        return NULL;
    memcpy(url, base, base_len);
    va_start(ap, path_fmt);
    vsnprintf(url + base_len, (size_t)path_len + 1, path_fmt, ap);
    va_end(ap);
    /* One slash between the two, whether or not the path brought its own. */
    if (url[base_len] != '/') {
        memmove(url + base_len + 1, url + base_len, (size_t)path_len + 1);
        url[base_len] = '/';
    }
    return url;
}
