/*
 * relay/metrics: counters and their listener (see include/warden/relay/metrics.h).
 */
#include "warden/relay/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "warden/log.h"

/* Upper bounds of the latency histogram, seconds (+Inf follows). */
static const double bucket_le[RELAY_LATENCY_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                        0.5,   1,    2.5,   5,    10,  60};

int relay_metrics_open(struct relay_metrics *m, const struct relay_config *config, char *err,
                       size_t err_size)
{
    memset(m, 0, sizeof *m);
    m->config = config;
    m->listen_fd = -1;
    if (!config->metrics[0])
        return 0;
    char host[256];
    snprintf(host, sizeof host, "%s", config->metrics);
    char *colon = strrchr(host, ':');
    if (!colon || colon == host || !colon[1]) {
        snprintf(err, err_size, "WARDEN_RELAY_METRICS: expected HOST:PORT, got '%s'", config->metrics);
        return -1;
    }
    *colon = '\0';
    const char *port = colon + 1;
    if (host[0] == '[' && colon[-1] == ']') { /* [::1]:9465 */
        colon[-1] = '\0';
        memmove(host, host + 1, strlen(host));
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_size, "WARDEN_RELAY_METRICS: %s: %s", config->metrics, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 16) < 0) {
        snprintf(err, err_size, "WARDEN_RELAY_METRICS: cannot listen on %s: %s", config->metrics,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    m->listen_fd = fd;
    return 0;
}

void relay_metrics_close(struct relay_metrics *m)
{
    if (m->listen_fd >= 0)
        close(m->listen_fd);
    m->listen_fd = -1;
}

void relay_metrics_delivered(struct relay_metrics *m, int endpoint, int64_t latency_ms)
{
    struct relay_endpoint_counters *c = &m->endpoints[endpoint];
    double s = latency_ms < 0 ? 0 : (double)latency_ms / 1000.0;
    c->delivered++;
    c->latency_sum_s += s;
    for (int i = 0; i < RELAY_LATENCY_BUCKETS; i++)
        if (s <= bucket_le[i]) {
            c->latency_buckets[i]++;
            break;
        }
}

static void counter(struct buf *out, const char *name, const char *help, const char *type)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void relay_metrics_render(const struct relay_metrics *m, const struct relay_gauges *g,
                          struct buf *out)
{
    const struct relay_config *c = m->config;
    counter(out, "warden_relay_leader", "1 while this relay holds the delivery lease.", "gauge");
    buf_printf(out, "warden_relay_leader %d\n", g->leader ? 1 : 0);
    counter(out, "warden_relay_delivered_total", "Events answered 2xx.", "counter");
    for (size_t i = 0; i < c->n_endpoints; i++)
        buf_printf(out, "warden_relay_delivered_total{endpoint=\"%s\"} %llu\n",
                   c->endpoints[i].name, (unsigned long long)m->endpoints[i].delivered);
    counter(out, "warden_relay_failed_total",
            "Events given up: answered 4xx (client_error) or still failing past the maximum age (expired).",
            "counter");
    for (size_t i = 0; i < c->n_endpoints; i++) {
        buf_printf(out, "warden_relay_failed_total{endpoint=\"%s\",reason=\"client_error\"} %llu\n",
                   c->endpoints[i].name, (unsigned long long)m->endpoints[i].failed_client);
        buf_printf(out, "warden_relay_failed_total{endpoint=\"%s\",reason=\"expired\"} %llu\n",
                   c->endpoints[i].name, (unsigned long long)m->endpoints[i].failed_expired);
    }
    counter(out, "warden_relay_retries_total", "Failed attempts that will be retried.", "counter");
    for (size_t i = 0; i < c->n_endpoints; i++)
        buf_printf(out, "warden_relay_retries_total{endpoint=\"%s\"} %llu\n", c->endpoints[i].name,
                   (unsigned long long)m->endpoints[i].retries);
    counter(out, "warden_relay_skipped_total", "Events skipped by `wardenctl outbox skip`.", "counter");
    for (size_t i = 0; i < c->n_endpoints; i++)
        buf_printf(out, "warden_relay_skipped_total{endpoint=\"%s\"} %llu\n", c->endpoints[i].name,
                   (unsigned long long)m->endpoints[i].skipped);
    counter(out, "warden_relay_backlog", "Events this relay holds, not yet delivered.", "gauge");
    for (size_t i = 0; i < c->n_endpoints; i++)
        buf_printf(out, "warden_relay_backlog{endpoint=\"%s\"} %llu\n", c->endpoints[i].name,
                   (unsigned long long)g->backlog[i]);
    counter(out, "warden_relay_oldest_pending_seconds",
            "Age of the oldest event held, 0 when none.", "gauge");
    for (size_t i = 0; i < c->n_endpoints; i++)
        buf_printf(out, "warden_relay_oldest_pending_seconds{endpoint=\"%s\"} %.3f\n",
                   c->endpoints[i].name, g->oldest_pending_s[i]);
    counter(out, "warden_relay_delivery_latency_seconds",
            "From the event's write to its 2xx answer.", "histogram");
    for (size_t i = 0; i < c->n_endpoints; i++) {
        const struct relay_endpoint_counters *e = &m->endpoints[i];
        uint64_t sum = 0;
        for (int b = 0; b < RELAY_LATENCY_BUCKETS; b++) {
            sum += e->latency_buckets[b];
            buf_printf(out, "warden_relay_delivery_latency_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                       c->endpoints[i].name, bucket_le[b], (unsigned long long)sum);
        }
        buf_printf(out, "warden_relay_delivery_latency_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                   c->endpoints[i].name, (unsigned long long)e->delivered);
        buf_printf(out, "warden_relay_delivery_latency_seconds_sum{endpoint=\"%s\"} %.6f\n",
                   c->endpoints[i].name, e->latency_sum_s);
        buf_printf(out, "warden_relay_delivery_latency_seconds_count{endpoint=\"%s\"} %llu\n",
                   c->endpoints[i].name, (unsigned long long)e->delivered);
    }
}

static void write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* One connection: read its request line (100 ms at most), answer, close. */
static void answer(int fd, const struct relay_metrics *m, const struct relay_gauges *g)
{
    struct timeval limit = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    char req[2048];
    ssize_t n = read(fd, req, sizeof req - 1);
    if (n <= 0)
        return;
    req[n] = '\0';
    struct buf head = BUF_INIT, body = BUF_INIT;
    if (strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET /metrics?", 13) == 0) {
        relay_metrics_render(m, g, &body);
        buf_printf(&head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n", body.len);
    } else {
        buf_puts(&body, "{\"error\":\"not found: the relay serves GET /metrics only\"}\n");
        buf_printf(&head, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n", body.len);
    }
    write_all(fd, head.data, head.len);
    write_all(fd, body.data, body.len);
    buf_free(&head);
    buf_free(&body);
}

void relay_metrics_serve(struct relay_metrics *m, const struct relay_gauges *g)
{
    for (int i = 0; i < 16 && m->listen_fd >= 0; i++) {
        int fd = accept(m->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warn("metrics: accept: %s", strerror(errno));
            return;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        answer(fd, m, g);
        close(fd);
    }
}
