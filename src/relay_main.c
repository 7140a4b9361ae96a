/*
 * warden-relay: delivers the outboxes as signed webhooks (src/relay/,
 * README "Contracts with the other services"). Options first, into the
 * environment (an option wins over a variable), then --env-file under what
 * the environment gives, then the settings (relay/config.h) and the loop.
 */
#include <errno.h>
#include <mongoc/mongoc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/config.h"
#include "warden/envfile.h"
#include "warden/log.h"
#include "warden/relay/config.h"
#include "warden/relay/relay.h"
#include "warden/relay/sender.h"
#include "warden/store/db.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char usage[] =
    "usage: warden-relay [OPTIONS]\n"
    "\n"
    "Delivers gateway_events and game_commands as signed webhooks (Standard\n"
    "Webhooks), at least once and in order per guild, user or player.\n"
    "Settings are WARDEN_RELAY_* variables (README, \"Contracts with the other services\").\n"
    "\n"
    "  --env-file FILE      read WARDEN_* assignments from FILE (the environment wins)\n"
    "  --mongodb-uri URI    the database (WARDEN_MONGODB_URI)\n"
    "  --metrics HOST:PORT  serve GET /metrics there (WARDEN_RELAY_METRICS)\n"
    "  --id NAME            this relay's name in leases and records (WARDEN_RELAY_ID)\n"
    "  --log-level LEVEL    error, warn, info (default) or debug\n"
    "  --version            print the version\n"
    "  --help               print this help\n";

static int apply_assignment(const char *name, const char *value, void *ctx)
{
    (void)ctx;
    if (strncmp(name, "WARDEN_", 7) != 0)
        return 0;
    const char *given = getenv(name);
    if (given && *given)
        return 0;
    return setenv(name, value, 1) == 0 ? 0 : -1;
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; NULL when it has none. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0' || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "warden-relay: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see warden-relay --help)\n");
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *flag, *env;
    } to_env[] = {
        {"--mongodb-uri", "WARDEN_MONGODB_URI"},
        {"--metrics", "WARDEN_RELAY_METRICS"},
        {"--id", "WARDEN_RELAY_ID"},
    };
    const char *env_file = NULL, *log_level = "info";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("warden-relay %s\n", WARDEN_VERSION);
            return 0;
        }
        bool known = false;
        const char *v;
        if (strncmp(arg, "--env-file", 10) == 0 && (arg[10] == '\0' || arg[10] == '=')) {
            if (!(env_file = option_value(argc, argv, &i, "--env-file")) || !*env_file)
                return usage_error("option --env-file needs a value", "");
            known = true;
        } else if (strncmp(arg, "--log-level", 11) == 0 && (arg[11] == '\0' || arg[11] == '=')) {
            if (!(log_level = option_value(argc, argv, &i, "--log-level")))
                return usage_error("option --log-level needs a value", "");
            known = true;
        }
        for (size_t k = 0; !known && k < sizeof to_env / sizeof *to_env; k++) {
            size_t n = strlen(to_env[k].flag);
            if (strncmp(arg, to_env[k].flag, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
                continue;
            if (!(v = option_value(argc, argv, &i, to_env[k].flag)) || !*v)
                return usage_error("option %s needs a value", to_env[k].flag);
            if (setenv(to_env[k].env, v, 1) < 0)
                return usage_error("cannot set the environment for %s", to_env[k].flag);
            known = true;
        }
        if (!known)
            return usage_error("unknown argument '%s'", arg);
    }
    enum log_level level;
    if (log_level_parse(log_level, &level) < 0)
        return usage_error("invalid --log-level '%s' (error, warn, info or debug)", log_level);

    char err[512] = "";
    if (env_file && envfile_read(env_file, apply_assignment, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "warden-relay: %s\n", err[0] ? err : strerror(errno));
        return 1;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "warden-relay: libsodium failed to initialise\n");
        return 1;
    }
    log_open(NULL, level);
    static struct relay_config config;
    if (relay_config_load(&config, err, sizeof err) < 0) {
        log_error("%s", err);
        relay_config_wipe(&config);
        return 1;
    }
    config.log_level = level;

    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!relay_sender_global_init()) {
        log_error("libcurl failed to initialise");
        return 1;
    }
    db_route_driver_log(); /* before init: its messages too */
    mongoc_init();
    int status = relay_run(&config, &stop_requested);
    mongoc_cleanup();
    relay_sender_global_cleanup();
    relay_config_wipe(&config);
    return status;
}
