/*
 * receiver: a Standard Webhooks receiver for the tests, in a child process
 * on a free loopback port.
 *
 * It answers HTTP/1.1 requests one at a time, one per connection
 * (Connection: close; bodies by Content-Length). Every request's
 * webhook-signature is checked against the secret: HMAC-SHA256 with the key
 * = the base64-decoded text after "whsec_", over "<webhook-id>.<webhook-
 * timestamp>.<body>", sent as "v1,<base64>" (several space-separated
 * signatures may be given; one good one is enough). A request without a good
 * one is answered 401. The others are answered by the rules the test set
 * (receiver_answer_id, receiver_answer_body: first a rule on the webhook-id,
 * then the body rules in the order given), else by the default status (200).
 *
 * Every request that arrives is recorded, in arrival order, in a file the
 * test reads with receiver_read(): its arrival (wall clock), the answer it
 * got, whether its signature was good, method, path, the webhook headers,
 * content-type, user-agent and the body. A request is recorded before it is
 * answered, so a client that times out or dies is still seen.
 *
 * The child lives as long as its control pipe: a test process that ends
 * for any reason takes its receivers with it. The control calls return once
 * the child has applied the change (0), or -1 when it does not answer.
 * "Down" closes the listener (connections are refused) and "up" listens
 * again on the same port. The pid may be sent SIGSTOP/SIGCONT (a receiver
 * that accepts nothing); receiver_stop ends it in every case.
 *
 * Contract: not thread-safe; nothing here calls Criterion, so it runs in
 * any process (tests/unit, tests/api, the bench). A receiver belongs to the
 * process that started it.
 */
#ifndef WARDEN_TESTS_RECEIVER_H
#define WARDEN_TESTS_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RECEIVER_SECRET_MAX 128
#define RECEIVER_SIGNATURE_SIZE 48 /* "v1," + base64 of 32 bytes + NUL */

struct receiver {
    pid_t pid;
    int port;
    char url[64];                     /* "http://127.0.0.1:PORT" (append a path) */
    char secret[RECEIVER_SECRET_MAX]; /* "whsec_..." */
    char dir[256];                    /* its directory: the record file */
    char records[300];                /* the record file */
    int ctl_fd;                       /* commands to the child */
    int ack_fd;                       /* its answers */
};

struct receiver_record {
    int64_t arrival_ms;       /* wall clock (ms since the epoch) when the request was read */
    int status;               /* the answer given */
    bool signature_valid;
    char method[16];
    char path[128];
    char id[64];              /* webhook-id ("" if absent) */
    char timestamp[32];       /* webhook-timestamp as sent */
    char content_type[96];
    char user_agent[96];
    char *body;               /* malloc'd, NUL-terminated */
    size_t body_len;
};

struct receiver_log {
    struct receiver_record *records;
    size_t n;
};

/* Start a receiver with secret (a "whsec_..." string), or a new random one
 * (32 bytes) when secret is NULL. 0, or -1 with the reason on stderr. */
int receiver_start(struct receiver *r, const char *secret);

/* End the child (its control pipe closed, then SIGKILL if it lingers, and
 * SIGCONT for one that was stopped), reap it and remove its directory.
 * Safe to call twice, and on a receiver that never started (zeroed). */
void receiver_stop(struct receiver *r);

/* Answer status to the requests whose webhook-id is id (0: remove the rule). */
int receiver_answer_id(struct receiver *r, const char *id, int status);
/* Answer status to the requests whose body contains every one of the
 * NULL-terminated texts (none may hold a newline). Rules add up; the first
 * that matches decides. */
int receiver_answer_body(struct receiver *r, int status, const char *text, ...)
    __attribute__((sentinel));
/* Remove every rule (id and body). */
int receiver_clear_rules(struct receiver *r);
/* The answer when no rule matches (initially 200). */
int receiver_default_status(struct receiver *r, int status);
/* Wait ms before answering each request (0: none). */
int receiver_delay(struct receiver *r, long ms);
/* Close the listener (down: connections refused) or listen again. */
int receiver_set_down(struct receiver *r, bool down);

/* Read every record so far into *log (free with receiver_log_free). 0, or
 * -1 when the file cannot be read or is malformed. A record being written
 * while it is read is left for the next read. */
int receiver_read(const struct receiver *r, struct receiver_log *log);
void receiver_log_free(struct receiver_log *log);

/* Records so far whose answer was status (0: any), -1 if unreadable. */
long receiver_count(const struct receiver *r, int status);

/* The Standard Webhooks signature of (id, timestamp, body) under secret
 * into out ("v1,<base64>"); -1 when the secret is not "whsec_" + base64. */
int receiver_sign(const char *secret, const char *id, const char *timestamp, const char *body,
                  size_t body_len, char out[RECEIVER_SIGNATURE_SIZE]);

/* Whether a webhook-signature header value holds a good signature of
 * (id, timestamp, body) under secret. */
bool receiver_signature_ok(const char *secret, const char *header, const char *id,
                           const char *timestamp, const char *body, size_t body_len);

#endif
