/*
 * relay/metrics: the relay's counters, and GET /metrics in Prometheus text
 * on a small listener of its own (WARDEN_RELAY_METRICS, HOST:PORT).
 *
 * Counters are per endpoint (the config's index). The listener is served
 * from the relay's loop: relay_metrics_fd is polled with the transfers, and
 * each connection is answered at once (one read with a short time limit,
 * one response, close), so nothing here blocks the loop for long.
 */
#ifndef WARDEN_RELAY_METRICS_H
#define WARDEN_RELAY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/buf.h"
#include "warden/relay/config.h"

#define RELAY_LATENCY_BUCKETS 12

struct relay_endpoint_counters {
    uint64_t delivered, failed_client, failed_expired, retries, skipped;
    uint64_t latency_buckets[RELAY_LATENCY_BUCKETS]; /* cumulative at render */
    double latency_sum_s;
};

/* What the loop knows at render time. */
struct relay_gauges {
    bool leader;
    uint64_t backlog[RELAY_ENDPOINTS_MAX];
    double oldest_pending_s[RELAY_ENDPOINTS_MAX];
};

struct relay_metrics {
    const struct relay_config *config;
    struct relay_endpoint_counters endpoints[RELAY_ENDPOINTS_MAX];
    int listen_fd;   /* -1 when off */
};

/** Start the listener when config->metrics is set. Returns 0, or -1 with a line in err. */
int relay_metrics_open(struct relay_metrics *m, const struct relay_config *config, char *err,
                       size_t err_size);
void relay_metrics_close(struct relay_metrics *m);

/** A delivery answered 2xx latency_ms after the event was written. */
void relay_metrics_delivered(struct relay_metrics *m, int endpoint, int64_t latency_ms);

/** The Prometheus text of the counters and gauges into out. */
void relay_metrics_render(const struct relay_metrics *m, const struct relay_gauges *g,
                          struct buf *out);

/** Answer the connections waiting on the listener (call when it is readable). */
void relay_metrics_serve(struct relay_metrics *m, const struct relay_gauges *g);

#endif
