/*
 * outbox_endpoint: an outbox event's endpoint (see include/warden/outbox_endpoint.h).
 */
#include "warden/outbox_endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const gateway_types[] = OUTBOX_GATEWAY_TYPES;
static const char *const game_types[] = OUTBOX_GAME_TYPES;

const char *const *outbox_endpoint_types(const char *outbox)
{
    if (outbox && strcmp(outbox, OUTBOX_GATEWAY) == 0)
        return gateway_types;
    if (outbox && strcmp(outbox, OUTBOX_GAME) == 0)
        return game_types;
    return NULL;
}

const char *outbox_endpoint_getenv(const char *name, void *ctx)
{
    (void)ctx;
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* s in upper (upper set) or lower case into out (size bytes, cut to fit). */
static void recase(const char *s, bool upper, char *out, size_t size)
{
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++) {
        char c = s[i];
        if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!upper && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[i] = c;
    }
    out[i] = '\0';
}

static bool url_set(const char *prefix, outbox_env_fn get, void *ctx)
{
    char name[OUTBOX_ENDPOINT_PREFIX_SIZE + 8];
    snprintf(name, sizeof name, "%s_URL", prefix);
    const char *v = get(name, ctx);
    return v && *v;
}

bool outbox_endpoint_of(const char *outbox, const char *type, outbox_env_fn get, void *ctx,
                        struct outbox_endpoint *out)
{
    const char *const *types = outbox_endpoint_types(outbox);
    if (!types)
        return false;
    for (size_t i = 0; type && types[i]; i++) {
        if (strcmp(type, types[i]) != 0)
            continue;
        char upper[OUTBOX_ENDPOINT_NAME_SIZE];
        recase(type, true, upper, sizeof upper);
        snprintf(out->prefix, sizeof out->prefix, "WARDEN_RELAY_%s", upper);
        if (url_set(out->prefix, get, ctx)) {
            recase(type, false, out->name, sizeof out->name);
            out->configured = true;
            return true;
        }
        break;
    }
    bool gateway = types == gateway_types;
    snprintf(out->name, sizeof out->name, "%s", gateway ? "gateway" : "game");
    snprintf(out->prefix, sizeof out->prefix, "WARDEN_RELAY_%s", gateway ? "GATEWAY" : "GAME");
    out->configured = url_set(out->prefix, get, ctx);
    return true;
}
