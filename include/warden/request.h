/*
 * request: what a handler gets to see of an HTTP request.
 *
 * Built from the FastCGI parameters (as "NAME=value" strings) and the body by
 * request_from_params, which knows nothing of libfcgi, so that the parsing is
 * unit-tested and fuzzed on its own. All strings live in the request's arena.
 */
#ifndef WARDEN_REQUEST_H
#define WARDEN_REQUEST_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct principal;

/* Limits on what a request may carry; past them the request is refused. */
#define REQUEST_URI_MAX 8192
#define REQUEST_QUERY_PARAMS_MAX 64
#define REQUEST_PATH_PARAMS_MAX 4

/** Which API's error shape the request gets (chat: Litecord, game: Intersect). */
enum realm { REALM_CHAT, REALM_GAME };

struct query_param {
    const char *name;  /* decoded */
    const char *value; /* decoded */
};

struct path_param {
    const char *name;
    const char *value;
};

enum request_problem {
    REQUEST_OK,
    REQUEST_BAD_URI,        /* malformed percent-encoding, NUL byte, too long */
    REQUEST_TOO_MANY_PARAMS,
    REQUEST_BODY_TOO_LARGE,
};

struct request {
    const char *method;
    const char *path;           /* percent-decoded, without the query */
    enum realm realm;
    struct query_param query[REQUEST_QUERY_PARAMS_MAX];
    size_t n_query;
    struct path_param params[REQUEST_PATH_PARAMS_MAX]; /* filled by the router */
    size_t n_params;
    const char *authorization;  /* NULL when absent */
    const char *content_type;   /* NULL when absent */
    const char *accept;         /* NULL when absent */
    const char *request_id;     /* from nginx ($request_id) or generated */
    const char *remote_addr;
    const char *body;           /* NUL-terminated copy; "" when none */
    size_t body_len;
    enum request_problem problem;
    struct principal *principal;  /* set by auth_require for routes that need it */
    const bson_t *fields;         /* the body, validated against the route's rules */
    struct arena *arena;
};

/**
 * Fill r from FastCGI parameters ("NAME=value", NULL-terminated list). The
 * body is attached separately with request_set_body. Never fails outright:
 * a malformed URI sets r->problem; r->path is "/" when the path itself could
 * not be decoded, and the decoded path when only the query was bad.
 */
void request_from_params(struct request *r, char *const *params, struct arena *a);

/** Attach a body (copied into the arena). */
void request_set_body(struct request *r, const char *body, size_t len);

/**
 * Bytes to set aside for a body from its CONTENT_LENGTH parameter (NULL when
 * absent): the announced length when it is a plain decimal within limit,
 * else 0, meaning "not known": a missing, malformed or over-limit value is
 * only a hint that failed, and the body is then sized as it arrives. The
 * length is never trusted beyond sizing: the bytes that arrive decide.
 */
size_t request_body_capacity(const char *content_length, size_t limit);

/**
 * Overwrite the body's bytes with zeros, where they sit in the arena: it
 * may carry a password (login, registration, OAuth). The worker calls it
 * when the request has been answered; r->body_len is kept.
 */
void request_wipe_body(struct request *r);

/**
 * Percent-decode len bytes of src into the arena. With plus_as_space, '+'
 * becomes ' ' (form and query encoding). Returns NULL on a malformed escape or
 * a decoded NUL byte.
 */
char *request_percent_decode(struct arena *a, const char *src, size_t len, bool plus_as_space);

/**
 * Parse an application/x-www-form-urlencoded string into params (at most max).
 * Returns the number parsed, -1 when malformed, -2 when there are more than max pairs.
 */
int request_parse_urlencoded(struct arena *a, const char *s, size_t len, struct query_param *params,
                             size_t max);

/** First value of a query parameter, or NULL. */
const char *request_query(const struct request *r, const char *name);
/** A path parameter captured by the router, or NULL. */
const char *request_param(const struct request *r, const char *name);

/** Realm of a path: /api/v1/... and /api/oauth/... are the game's. */
enum realm request_realm_of(const char *path);

#endif
