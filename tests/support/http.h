/*
 * http: a small libcurl client for the API suites.
 *
 * Contract: one request per call, on a fresh connection, no proxy (whatever
 * the environment says), no redirects followed, a 15 s bound on the whole
 * exchange so that a test never hangs. A call returns 0 when an HTTP response
 * arrived, whatever its status, and -1 on a transport failure (refused,
 * timed out, ...), with the reason in out->error. Exactly the headers given
 * are sent: curl's default Content-Type for bodies is suppressed, so a body
 * without a "Content-Type: ..." header goes without one. The response owns
 * its memory until http_response_free(). Safe to call from several threads
 * at once (curl_global_init runs once, guarded).
 */
#ifndef WARDEN_TESTS_HTTP_H
#define WARDEN_TESTS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_ERROR_MAX 256 /* CURL_ERROR_SIZE */

struct http_response {
    long status;               /* 0 if no response arrived */
    char *body;                /* malloc'd, NUL-terminated (never NULL after a call) */
    size_t body_len;           /* bytes before the terminating NUL */
    char **headers;            /* malloc'd; headers[2i] name, headers[2i+1] value (trimmed) */
    size_t header_count;       /* number of name/value pairs */
    char error[HTTP_ERROR_MAX]; /* why the call returned -1; "" otherwise */
};

/* method: "GET", "POST", ... headers: NULL-terminated "Name: value" strings,
 * or NULL. body: body_len bytes sent as the request body, or NULL for none
 * (POST, PUT and PATCH then send an empty body, Content-Length: 0). *out is
 * overwritten; free it with http_response_free() in every case. */
int http_request(const char *method, const char *url, const char *const *headers,
                 const char *body, size_t body_len, struct http_response *out);

/* GET url without extra headers. */
int http_get(const char *url, struct http_response *out);

/* Whether an answer is the one awaited. */
typedef bool (*http_accept_fn)(const struct http_response *r);

/* method url (no body) with headers, again and again until accept(out)
 * holds or deadline_ms have passed (support/wait.h): for a state the server
 * reaches on its own (a pool gone, a database back). *out is the last
 * exchange, a transport failure included (free it in every case); returns
 * whether it was accepted. */
bool http_request_until(const char *method, const char *url, const char *const *headers,
                        http_accept_fn accept, long deadline_ms, struct http_response *out);

/* Value of the final response's first header called name (any case), or
 * NULL. Points into *r. */
const char *http_header(const struct http_response *r, const char *name);

/* Release what a call put in *r; r may then be reused. */
void http_response_free(struct http_response *r);

/* base (e.g. a stack's URL, trailing slash or not) joined with a path built
 * from path_fmt and its arguments, like printf. Returns a malloc'd string the
 * caller frees, or NULL when out of memory. */
char *http_url(const char *base, const char *path_fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
