/*
 * config: flags and their WARDEN_* environment equivalents. Criterion runs
 * every test in a process of its own, so setenv here cannot leak into
 * another test; the fixture still clears the variables the runner might
 * have inherited.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/config.h"

static struct config cfg;
static char err[256];

static const char *const env_names[] = {
    "WARDEN_LISTEN", "WARDEN_WORKERS", "WARDEN_MAX_REQUESTS", "WARDEN_REQUEST_TIMEOUT",
    "WARDEN_SLOW_MS", "WARDEN_SHUTDOWN_TIMEOUT", "WARDEN_MONGODB_URI", "WARDEN_LISTEN_OWNER",
    "WARDEN_LISTEN_GROUP", "WARDEN_LISTEN_MODE", "WARDEN_LOG_LEVEL", "WARDEN_LOG_FILE",
    "WARDEN_HOST_ID",
};

static void setup(void)
{
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        unsetenv(env_names[i]);
}

TestSuite(config, .init = setup);

/* config_parse of "warden" followed by the given arguments (NULL-terminated). */
static int parse(const char *first, ...)
{
    char *argv[16] = {(char *)"warden"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        cr_assert_lt(argc, 15);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    config_defaults(&cfg);
    err[0] = '\0';
    return config_parse(&cfg, argc, argv, err, sizeof err);
}

static void assert_ok(int rc)
{
    cr_assert_eq(rc, 0, "refused: %s", err);
}

/* The arguments are refused, with a message mentioning each of the words. */
#define ASSERT_REFUSED(words, ...)                                                                 \
    do {                                                                                           \
        cr_assert_eq(parse(__VA_ARGS__, NULL), -1, "accepted");                                    \
        assert_mentions(words);                                                                    \
    } while (0)

static void assert_mentions(const char *const *words)
{
    for (; *words; words++)
        cr_assert(strstr(err, *words) != NULL, "message \"%s\" does not mention %s", err, *words);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(config, defaults)
{
    assert_ok(parse(NULL));
    cr_assert_str_eq(cfg.listen, "");
    cr_assert(cfg.workers >= 1 && cfg.workers <= CONFIG_MAX_WORKERS);
    cr_assert_eq(cfg.max_requests, 10000);
    cr_assert_eq(cfg.request_timeout_s, 30);
    cr_assert_eq(cfg.slow_ms, 1000);
    cr_assert_eq(cfg.shutdown_timeout_s, 10);
    cr_assert_str_eq(cfg.mongodb_uri, "mongodb://127.0.0.1:27017/warden");
    cr_assert_eq(cfg.listen_mode, 0660);
    cr_assert_eq(cfg.log_level, LOG_INFO);
    cr_assert_str_eq(cfg.log_file, "");
    cr_assert_eq(cfg.host_id, 0);
    cr_assert_not(cfg.listen_owner_set);
    cr_assert_not(cfg.listen_group_set);
}

Test(config, each_flag_sets_its_field)
{
    assert_ok(parse("--listen", "unix:/run/warden.sock", "--workers", "3", "--max-requests", "500",
                    "--request-timeout", "5", "--slow-ms", "0", "--shutdown-timeout", "2",
                    "--mongodb-uri", "mongodb://db.example:27018/other", NULL));
    cr_assert_str_eq(cfg.listen, "unix:/run/warden.sock");
    cr_assert_eq(cfg.workers, 3);
    cr_assert_eq(cfg.max_requests, 500);
    cr_assert_eq(cfg.request_timeout_s, 5);
    cr_assert_eq(cfg.slow_ms, 0);
    cr_assert_eq(cfg.shutdown_timeout_s, 2);
    cr_assert_str_eq(cfg.mongodb_uri, "mongodb://db.example:27018/other");

    assert_ok(parse("--listen-owner", "root", "--listen-group", "root", "--listen-mode", "0600",
                    "--log-level", "debug", "--log-file", "/var/log/warden.log", "--host-id", "31",
                    NULL));
    cr_assert(cfg.listen_owner_set);
    cr_assert_eq(cfg.listen_uid, 0);
    cr_assert(cfg.listen_group_set);
    cr_assert_eq(cfg.listen_gid, 0);
    cr_assert_eq(cfg.listen_mode, 0600);
    cr_assert_eq(cfg.log_level, LOG_DEBUG);
    cr_assert_str_eq(cfg.log_file, "/var/log/warden.log");
    cr_assert_eq(cfg.host_id, 31);
}

Test(config, equals_form)
{
    assert_ok(parse("--workers=2", "--listen=127.0.0.1:9000", "--log-level=warn",
                    "--listen-mode=0666", NULL));
    cr_assert_eq(cfg.workers, 2);
    cr_assert_str_eq(cfg.listen, "127.0.0.1:9000");
    cr_assert_eq(cfg.log_level, LOG_WARN);
    cr_assert_eq(cfg.listen_mode, 0666);
}

Test(config, later_flag_wins)
{
    assert_ok(parse("--workers", "2", "--workers=4", NULL));
    cr_assert_eq(cfg.workers, 4);
}

Test(config, listen_forms)
{
    assert_ok(parse("--listen", "[::1]:9000", NULL));
    cr_assert_str_eq(cfg.listen, "[::1]:9000");
    assert_ok(parse("--listen", "localhost:9000", NULL));
    cr_assert_str_eq(cfg.listen, "localhost:9000");
}

Test(config, numeric_owner_and_group)
{
    assert_ok(parse("--listen-owner", "4321", "--listen-group", "8765", NULL));
    cr_assert_eq(cfg.listen_uid, 4321);
    cr_assert_eq(cfg.listen_gid, 8765);
}

Test(config, log_file_dash_is_stderr)
{
    assert_ok(parse("--log-file", "-", NULL));
    cr_assert_str_eq(cfg.log_file, "");
}

Test(config, log_levels)
{
    static const struct { const char *name; enum log_level level; } levels[] = {
        {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR},
    };
    for (size_t i = 0; i < 4; i++) {
        assert_ok(parse("--log-level", levels[i].name, NULL));
        cr_assert_eq(cfg.log_level, levels[i].level, "%s", levels[i].name);
    }
}

Test(config, environment_variables)
{
    setenv("WARDEN_LISTEN", "unix:/tmp/w.sock", 1);
    setenv("WARDEN_WORKERS", "2", 1);
    setenv("WARDEN_MAX_REQUESTS", "77", 1);
    setenv("WARDEN_REQUEST_TIMEOUT", "9", 1);
    setenv("WARDEN_SLOW_MS", "250", 1);
    setenv("WARDEN_SHUTDOWN_TIMEOUT", "4", 1);
    setenv("WARDEN_MONGODB_URI", "mongodb://env-host/envdb", 1);
    setenv("WARDEN_LISTEN_OWNER", "0", 1);
    setenv("WARDEN_LISTEN_GROUP", "0", 1);
    setenv("WARDEN_LISTEN_MODE", "0640", 1);
    setenv("WARDEN_LOG_LEVEL", "error", 1);
    setenv("WARDEN_LOG_FILE", "/tmp/w.log", 1);
    setenv("WARDEN_HOST_ID", "7", 1);
    assert_ok(parse(NULL));
    cr_assert_str_eq(cfg.listen, "unix:/tmp/w.sock");
    cr_assert_eq(cfg.workers, 2);
    cr_assert_eq(cfg.max_requests, 77);
    cr_assert_eq(cfg.request_timeout_s, 9);
    cr_assert_eq(cfg.slow_ms, 250);
    cr_assert_eq(cfg.shutdown_timeout_s, 4);
    cr_assert_str_eq(cfg.mongodb_uri, "mongodb://env-host/envdb");
    cr_assert(cfg.listen_owner_set && cfg.listen_group_set);
    cr_assert_eq(cfg.listen_mode, 0640);
    cr_assert_eq(cfg.log_level, LOG_ERROR);
    cr_assert_str_eq(cfg.log_file, "/tmp/w.log");
    cr_assert_eq(cfg.host_id, 7);
}

Test(config, flag_wins_over_environment)
{
    setenv("WARDEN_WORKERS", "2", 1);
    setenv("WARDEN_LOG_LEVEL", "error", 1);
    assert_ok(parse("--workers", "3", NULL));
    cr_assert_eq(cfg.workers, 3);
    cr_assert_eq(cfg.log_level, LOG_ERROR, "variables without a flag still apply");
}

Test(config, empty_environment_variable_is_ignored)
{
    setenv("WARDEN_WORKERS", "", 1);
    assert_ok(parse(NULL));
    cr_assert(cfg.workers >= 1);
}

Test(config, bad_environment_value_names_the_variable)
{
    setenv("WARDEN_WORKERS", "many", 1);
    cr_assert_eq(parse(NULL), -1);
    assert_mentions(WORDS("WARDEN_WORKERS", "--workers", "many"));
}

Test(config, workers_range)
{
    char max[16], over[16];
    snprintf(max, sizeof max, "%d", CONFIG_MAX_WORKERS);
    snprintf(over, sizeof over, "%d", CONFIG_MAX_WORKERS + 1);
    assert_ok(parse("--workers", "1", NULL));
    assert_ok(parse("--workers", max, NULL));
    cr_assert_eq(cfg.workers, CONFIG_MAX_WORKERS);
    ASSERT_REFUSED(WORDS("--workers", over), "--workers", over);
    ASSERT_REFUSED(WORDS("--workers", "'0'"), "--workers", "0");
    ASSERT_REFUSED(WORDS("--workers", "17"), "--workers", "17");
    ASSERT_REFUSED(WORDS("--workers", "'x'"), "--workers", "x");
    ASSERT_REFUSED(WORDS("--workers", "-1"), "--workers", "-1");
    ASSERT_REFUSED(WORDS("--workers"), "--workers=");
    ASSERT_REFUSED(WORDS("--workers"), "--workers", " 2");
}

Test(config, other_integer_ranges)
{
    assert_ok(parse("--max-requests", "0", "--max-requests", "1000000000", NULL));
    ASSERT_REFUSED(WORDS("--max-requests"), "--max-requests", "1000000001");
    assert_ok(parse("--request-timeout", "1", "--request-timeout", "86400", NULL));
    ASSERT_REFUSED(WORDS("--request-timeout"), "--request-timeout", "0");
    ASSERT_REFUSED(WORDS("--request-timeout"), "--request-timeout", "86401");
    ASSERT_REFUSED(WORDS("--slow-ms"), "--slow-ms", "-1");
    ASSERT_REFUSED(WORDS("--shutdown-timeout"), "--shutdown-timeout", "3601");
    assert_ok(parse("--host-id", "0", NULL));
    ASSERT_REFUSED(WORDS("--host-id"), "--host-id", "32");
}

Test(config, listen_mode_must_be_octal_up_to_0777)
{
    assert_ok(parse("--listen-mode", "0777", NULL));
    cr_assert_eq(cfg.listen_mode, 0777);
    assert_ok(parse("--listen-mode", "660", NULL));
    cr_assert_eq(cfg.listen_mode, 0660);
    ASSERT_REFUSED(WORDS("--listen-mode", "0999"), "--listen-mode", "0999");
    ASSERT_REFUSED(WORDS("--listen-mode"), "--listen-mode", "01000");
    ASSERT_REFUSED(WORDS("--listen-mode"), "--listen-mode", "-1");
    ASSERT_REFUSED(WORDS("--listen-mode"), "--listen-mode", "");
    ASSERT_REFUSED(WORDS("--listen-mode"), "--listen-mode", "rw");
}

Test(config, log_level_must_be_known)
{
    ASSERT_REFUSED(WORDS("--log-level", "loud"), "--log-level", "loud");
    ASSERT_REFUSED(WORDS("--log-level"), "--log-level", "INFO");
}

Test(config, unknown_option)
{
    ASSERT_REFUSED(WORDS("--bogus"), "--bogus");
    ASSERT_REFUSED(WORDS("--work"), "--work", "2");
    ASSERT_REFUSED(WORDS("--workersx"), "--workersx=2");
    ASSERT_REFUSED(WORDS("stray"), "stray");
}

Test(config, missing_value)
{
    ASSERT_REFUSED(WORDS("--workers"), "--workers");
    ASSERT_REFUSED(WORDS("--listen"), "--host-id", "1", "--listen");
}

Test(config, mongodb_uri_must_be_a_mongodb_uri)
{
    ASSERT_REFUSED(WORDS("--mongodb-uri"), "--mongodb-uri", "http://x");
    ASSERT_REFUSED(WORDS("--mongodb-uri"), "--mongodb-uri", "not a uri");
    assert_ok(parse("--mongodb-uri", "mongodb://a:1,b:2/db?replicaSet=rs0", NULL));
}

Test(config, listen_needs_a_unix_path_or_host_and_port)
{
    ASSERT_REFUSED(WORDS("--listen", "nohostport"), "--listen", "nohostport");
    ASSERT_REFUSED(WORDS("--listen"), "--listen", "unix:relative.sock");
    ASSERT_REFUSED(WORDS("--listen"), "--listen", "unix:");
}

Test(config, unix_socket_path_length)
{
    /* sun_path holds 108 bytes with its NUL. */
    char ok[128] = "unix:/", too_long[128] = "unix:/";
    memset(ok + 6, 'a', 106);
    ok[112] = '\0';
    memset(too_long + 6, 'a', 107);
    too_long[113] = '\0';
    assert_ok(parse("--listen", ok, NULL));
    cr_assert_str_eq(cfg.listen, ok);
    ASSERT_REFUSED(WORDS("--listen"), "--listen", too_long);
}

Test(config, unknown_user_and_group)
{
    ASSERT_REFUSED(WORDS("--listen-owner", "no-such-user-w"), "--listen-owner", "no-such-user-w");
    ASSERT_REFUSED(WORDS("--listen-group", "no-such-group-w"), "--listen-group", "no-such-group-w");
}

Test(config, help_and_version, .init = cr_redirect_stdout)
{
    cr_assert_eq(parse("--help", NULL), 1);
    cr_assert_eq(parse("-h", NULL), 1);
    cr_assert_eq(parse("--version", NULL), 1);
    cr_assert_eq(parse("--workers", "2", "--help", NULL), 1);
    fflush(stdout);
    cr_assert_stdout_neq_str("");
}

Test(config, usage_lists_every_flag_and_variable)
{
    static const char *const flags[] = {
        "--listen ", "--workers", "--max-requests", "--request-timeout", "--slow-ms",
        "--shutdown-timeout", "--mongodb-uri", "--listen-owner", "--listen-group", "--listen-mode",
        "--log-level", "--log-file", "--host-id", "--help",
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cr_assert(strstr(config_usage(), flags[i]) != NULL, "%s", flags[i]);
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        cr_assert(strstr(config_usage(), env_names[i]) != NULL, "%s", env_names[i]);
}
