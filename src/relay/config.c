/*
 * relay/config: the relay's settings (see include/warden/relay/config.h).
 */
#include "warden/relay/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warden/outbox_endpoint.h"
#include "warden/parse.h"

#define DEFAULT_URI "mongodb://127.0.0.1:27017/warden"
/* A secret file holds one line. */
#define SECRET_FILE_MAX 1024


struct number_setting {
    const char *env;
    long long min, max, fallback;
    size_t offset;
    bool wide; /* int64_t field, else int */
};

#define INT_FIELD(f) offsetof(struct relay_config, f), false
#define WIDE_FIELD(f) offsetof(struct relay_config, f), true

static const struct number_setting numbers[] = {
    {"WARDEN_RELAY_TIMEOUT_MS", 100, 600000, 10000, INT_FIELD(timeout_ms)},
    {"WARDEN_RELAY_BACKOFF_MIN_MS", 10, 3600000, 1000, INT_FIELD(backoff_min_ms)},
    {"WARDEN_RELAY_BACKOFF_MAX_MS", 10, 86400000, 300000, INT_FIELD(backoff_max_ms)},
    {"WARDEN_RELAY_MAX_AGE_S", 1, 365LL * 86400, 86400, WIDE_FIELD(max_age_ms)},
    {"WARDEN_RELAY_RETENTION_S", 60, 3650LL * 86400, 7 * 86400, WIDE_FIELD(retention_ms)},
    {"WARDEN_RELAY_POLL_MS", 5, 60000, 100, INT_FIELD(poll_ms)},
    {"WARDEN_RELAY_LEASE_MS", 300, 600000, 15000, INT_FIELD(lease_ms)},
    {"WARDEN_RELAY_LATE_MS", 100, 600000, 30000, INT_FIELD(late_ms)},
    {"WARDEN_RELAY_SETTLE_MS", 0, 60000, 300, INT_FIELD(settle_ms)},
    {"WARDEN_RELAY_CONCURRENCY", 1, 256, 16, INT_FIELD(concurrency)},
};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int load_number(struct relay_config *c, const struct number_setting *s, char *err,
                       size_t err_size)
{
    int64_t v = s->fallback;
    const char *text = env(s->env);
    if (text && parse_int64(text, s->min, s->max, &v) < 0) {
        snprintf(err, err_size, "%s: expected an integer in %lld..%lld, got '%s'", s->env, s->min,
                 s->max, text);
        return -1;
    }
    /* The two ages are given in seconds and kept in milliseconds. */
    if (s->wide)
        *(int64_t *)(void *)((char *)c + s->offset) = v * 1000;
    else
        *(int *)(void *)((char *)c + s->offset) = (int)v;
    return 0;
}

/* The secret of the endpoint whose variables start with prefix. */
static int load_secret(const char *prefix, struct webhook_key *key, char *err, size_t err_size)
{
    char name[96], file_name[96];
    snprintf(name, sizeof name, "%s_SECRET", prefix);
    snprintf(file_name, sizeof file_name, "%s_SECRET_FILE", prefix);
    const char *inline_secret = env(name), *path = env(file_name);
    if (inline_secret && path) {
        snprintf(err, err_size, "%s and %s are both set: give one", name, file_name);
        return -1;
    }
    char text[SECRET_FILE_MAX + 1];
    const char *secret = inline_secret;
    if (path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, err_size, "%s: cannot open %s: %s", file_name, path, strerror(errno));
            return -1;
        }
        ssize_t n = read(fd, text, SECRET_FILE_MAX + 1);
        close(fd);
        if (n < 0 || n > SECRET_FILE_MAX) {
            snprintf(err, err_size, "%s: cannot read %s (or it is over %d bytes)", file_name,
                     path, SECRET_FILE_MAX);
            sodium_memzero(text, sizeof text);
            return -1;
        }
        while (n > 0 && isspace((unsigned char)text[n - 1]))
            n--;
        text[n] = '\0';
        secret = text;
    }
    if (!secret) {
        snprintf(err, err_size, "%s_URL is set: set %s or %s too", prefix, name, file_name);
        return -1;
    }
    char why[160];
    bool ok = webhook_key_parse(secret, key, why, sizeof why);
    sodium_memzero(text, sizeof text);
    if (!ok) {
        snprintf(err, err_size, "%s: %s", path ? file_name : name, why);
        return -1;
    }
    return 0;
}

static bool url_ok(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* The endpoint WARDEN_RELAY_<upper>_URL names, if set; name is its name. */
static int load_endpoint(struct relay_config *c, const char *upper, const char *name, bool game,
                         const char *type, char *err, size_t err_size)
{
    char prefix[64], url_name[96];
    snprintf(prefix, sizeof prefix, "WARDEN_RELAY_%s", upper);
    snprintf(url_name, sizeof url_name, "%s_URL", prefix);
    const char *url = env(url_name);
    if (!url)
        return 0;
    if (!url_ok(url) || strlen(url) >= RELAY_URL_MAX) {
        snprintf(err, err_size, "%s: expected an http:// or https:// URL under %d bytes", url_name,
                 RELAY_URL_MAX);
        return -1;
    }
    struct relay_endpoint *ep = &c->endpoints[c->n_endpoints];
    if (load_secret(prefix, &ep->key, err, err_size) < 0)
        return -1;
    snprintf(ep->name, sizeof ep->name, "%s", name);
    snprintf(ep->url, sizeof ep->url, "%s", url);
    ep->game = game;
    ep->type = type;
    c->n_endpoints++;
    return 0;
}

/* The endpoints of the types outbox writes that have one of their own. */
static int load_type_endpoints(struct relay_config *c, const char *outbox, bool game, char *err,
                               size_t err_size)
{
    const char *const *types = outbox_endpoint_types(outbox);
    for (size_t i = 0; types[i]; i++) {
        char upper[32], lower[32];
        size_t len = strlen(types[i]);
        for (size_t j = 0; j <= len; j++) {
            upper[j] = (char)toupper((unsigned char)types[i][j]);
            lower[j] = (char)tolower((unsigned char)types[i][j]);
        }
        if (load_endpoint(c, upper, lower, game, types[i], err, err_size) < 0)
            return -1;
    }
    return 0;
}

int relay_config_load(struct relay_config *c, char *err, size_t err_size)
{
    memset(c, 0, sizeof *c);
    snprintf(c->mongodb_uri, sizeof c->mongodb_uri, "%s",
             env("WARDEN_MONGODB_URI") ? env("WARDEN_MONGODB_URI") : DEFAULT_URI);
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        if (load_number(c, &numbers[i], err, err_size) < 0)
            return -1;
    if (c->backoff_max_ms < c->backoff_min_ms) {
        snprintf(err, err_size, "WARDEN_RELAY_BACKOFF_MAX_MS (%d) is below WARDEN_RELAY_BACKOFF_MIN_MS (%d)",
                 c->backoff_max_ms, c->backoff_min_ms);
        return -1;
    }
    if (load_type_endpoints(c, OUTBOX_GATEWAY, false, err, err_size) < 0 ||
        load_type_endpoints(c, OUTBOX_GAME, true, err, err_size) < 0 ||
        load_endpoint(c, "GATEWAY", "gateway", false, NULL, err, err_size) < 0 ||
        load_endpoint(c, "GAME", "game", true, NULL, err, err_size) < 0)
        return -1;
    if (c->n_endpoints == 0) {
        snprintf(err, err_size, "no endpoint: set WARDEN_RELAY_GATEWAY_URL and/or "
                                "WARDEN_RELAY_GAME_URL (with their secrets)");
        return -1;
    }
    const char *metrics = env("WARDEN_RELAY_METRICS");
    snprintf(c->metrics, sizeof c->metrics, "%s", metrics ? metrics : "");
    const char *id = env("WARDEN_RELAY_ID");
    if (id) {
        snprintf(c->id, sizeof c->id, "%s", id);
    } else {
        char host[64] = "relay";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(c->id, sizeof c->id, "%s:%ld", host, (long)getpid());
    }
    return 0;
}

const struct relay_endpoint *relay_endpoint_for(const struct relay_config *c, bool game,
                                                const char *type)
{
    const struct relay_endpoint *whole = NULL;
    for (size_t i = 0; i < c->n_endpoints; i++) {
        const struct relay_endpoint *ep = &c->endpoints[i];
        if (ep->game != game)
            continue;
        if (ep->type && type && strcmp(ep->type, type) == 0)
            return ep;
        if (!ep->type)
            whole = ep;
    }
    return whole;
}

void relay_config_wipe(struct relay_config *c)
{
    for (size_t i = 0; i < c->n_endpoints; i++)
        sodium_memzero(&c->endpoints[i].key, sizeof c->endpoints[i].key);
}
