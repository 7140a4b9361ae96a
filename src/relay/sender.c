/*
 * relay/sender: requests in flight (see include/warden/relay/sender.h).
 */
#include "warden/relay/sender.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/clock.h"
#include "warden/config.h"
#include "warden/mem.h"
#include "warden/relay/webhook.h"

/* Bytes of an answer's body kept for the log. */
#define ANSWER_KEPT 200

struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    char answer[ANSWER_KEPT + 1];
    size_t answer_len;
    char curl_error[CURL_ERROR_SIZE];
    void *ctx;
    struct transfer *next;
};

struct relay_sender {
    CURLM *multi;
    int timeout_ms;
    struct transfer *transfers;
    int running;
};

bool relay_sender_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void relay_sender_global_cleanup(void)
{
    curl_global_cleanup();
}

struct relay_sender *relay_sender_new(int timeout_ms)
{
    struct relay_sender *s = mem_calloc(1, sizeof *s);
    s->multi = curl_multi_init();
    s->timeout_ms = timeout_ms;
    if (!s->multi) {
        free(s);
        return NULL;
    }
    return s;
}

static void transfer_free(struct relay_sender *s, struct transfer *t)
{
    curl_multi_remove_handle(s->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t);
}

void relay_sender_abort_all(struct relay_sender *s)
{
    for (struct transfer *t = s->transfers, *n; t; t = n) {
        n = t->next;
        transfer_free(s, t);
    }
    s->transfers = NULL;
    s->running = 0;
}

void relay_sender_free(struct relay_sender *s)
{
    if (!s)
        return;
    relay_sender_abort_all(s);
    curl_multi_cleanup(s->multi);
    free(s);
}

static size_t keep_answer(char *data, size_t size, size_t n, void *ctx)
{
    struct transfer *t = ctx;
    size_t len = size * n, room = ANSWER_KEPT - t->answer_len;
    size_t take = len < room ? len : room;
    memcpy(t->answer + t->answer_len, data, take);
    t->answer_len += take;
    t->answer[t->answer_len] = '\0';
    return len;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
    char line[256];
    snprintf(line, sizeof line, "%s: %s", name, value);
    return list ? curl_slist_append(list, line) : NULL;
}

bool relay_sender_start(struct relay_sender *s, const struct relay_endpoint *endpoint,
                        const char *id, const char *body, size_t body_len, void *ctx)
{
    struct transfer *t = mem_calloc(1, sizeof *t);
    t->ctx = ctx;
    t->body = mem_alloc(body_len + 1);
    memcpy(t->body, body, body_len);
    t->body[body_len] = '\0';
    t->easy = curl_easy_init();
    int64_t now_s = clock_wall_ms() / 1000;
    char timestamp[24], signature[WEBHOOK_SIGNATURE_SIZE];
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)now_s);
    webhook_sign(&endpoint->key, id, now_s, body, body_len, signature);
    t->headers = curl_slist_append(NULL, "Content-Type: application/json");
    t->headers = add_header(t->headers, "User-Agent", "warden-relay/" WARDEN_VERSION);
    t->headers = add_header(t->headers, "webhook-id", id);
    t->headers = add_header(t->headers, "webhook-timestamp", timestamp);
    t->headers = add_header(t->headers, "webhook-signature", signature);
    /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
    t->headers = add_header(t->headers, "Expect", "");
    if (!t->easy || !t->headers) {
        if (t->easy)
            curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        free(t->body);
        free(t);
        return false;
    }
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, endpoint->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(s->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        curl_slist_free_all(t->headers);
        free(t->body);
        free(t);
        return false;
    }
    t->next = s->transfers;
    s->transfers = t;
    s->running++;
    return true;
}

int relay_sender_running(const struct relay_sender *s)
{
    return s->running;
}

bool relay_sender_wait(struct relay_sender *s, int timeout_ms, int extra_fd)
{
    int still;
    curl_multi_perform(s->multi, &still);
    struct curl_waitfd extra = {.fd = extra_fd, .events = CURL_WAIT_POLLIN};
    curl_multi_poll(s->multi, extra_fd >= 0 ? &extra : NULL, extra_fd >= 0 ? 1 : 0,
                    timeout_ms < 0 ? 0 : timeout_ms, NULL);
    curl_multi_perform(s->multi, &still);
    return extra_fd >= 0 && (extra.revents & CURL_WAIT_POLLIN);
}

static void unlink_transfer(struct relay_sender *s, struct transfer *t)
{
    for (struct transfer **p = &s->transfers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
}

void relay_sender_collect(struct relay_sender *s,
                          void (*fn)(const struct relay_outcome *outcome, void *arg), void *arg)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *private = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &private);
        struct transfer *t = (struct transfer *)(void *)private;
        struct relay_outcome o = {.ctx = t->ctx};
        if (msg->data.result != CURLE_OK) {
            o.transport = true;
            snprintf(o.error, sizeof o.error, "%s",
                     t->curl_error[0] ? t->curl_error : curl_easy_strerror(msg->data.result));
        } else {
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            o.status = (int)code;
            if (code < 200 || code > 299)
                snprintf(o.error, sizeof o.error, "HTTP %ld: %.*s", code, (int)t->answer_len,
                         t->answer);
        }
        unlink_transfer(s, t);
        s->running--;
        transfer_free(s, t);
        fn(&o, arg);
    }
}
