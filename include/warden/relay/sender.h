/*
 * relay/sender: webhook requests in flight, over libcurl's multi interface,
 * so that one slow endpoint never holds up the rest.
 *
 * Each request is a POST of a signed body (relay/webhook.h) with the
 * Standard Webhooks headers; redirects are not followed, and only http and
 * https are spoken. The answer's body is read and dropped, except its
 * first bytes, kept for the log when the status says the delivery failed.
 */
#ifndef WARDEN_RELAY_SENDER_H
#define WARDEN_RELAY_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/relay/config.h"

struct relay_sender;

/* How a request ended. */
struct relay_outcome {
    void *ctx;          /* what relay_sender_start was given */
    int status;         /* the HTTP status, 0 when there was no answer */
    bool transport;     /* no answer: refused, reset, timed out... (error says which) */
    char error[256];    /* "" on a 2xx */
};

/** Call once at start (curl_global_init), before any thread exists. */
bool relay_sender_global_init(void);
void relay_sender_global_cleanup(void);

struct relay_sender *relay_sender_new(int timeout_ms);
/** Abandon what is in flight and free everything. */
void relay_sender_free(struct relay_sender *s);

/**
 * Start a request: body (copied) signed for id at the current second to
 * endpoint. Returns false (nothing started) when curl refuses.
 */
bool relay_sender_start(struct relay_sender *s, const struct relay_endpoint *endpoint,
                        const char *id, const char *body, size_t body_len, void *ctx);

/** Requests in flight. */
int relay_sender_running(const struct relay_sender *s);

/**
 * Let transfers progress, waiting up to timeout_ms for one of them or for
 * extra_fd (-1: none) to become readable; returns whether extra_fd is.
 */
bool relay_sender_wait(struct relay_sender *s, int timeout_ms, int extra_fd);

/** Call fn for each request that has ended since the last call. */
void relay_sender_collect(struct relay_sender *s,
                          void (*fn)(const struct relay_outcome *outcome, void *arg), void *arg);

/** Abandon every request in flight (their outcomes are never reported). */
void relay_sender_abort_all(struct relay_sender *s);

#endif
