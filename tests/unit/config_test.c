/*
 * config: flags and their WARDEN_* environment equivalents, the
 * environment-only settings, --help, and README.md's table, which must be
 * the option table's rows. Criterion runs every test in a process of its
 * own, so setenv here cannot leak into another test; the fixture still
 * clears the variables the runner might have inherited.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    size_t n;
    const struct config_option *o = config_options(&n);
    for (size_t i = 0; i < n; i++) {
        unsetenv(o[i].env);
        if (o[i].env_file)
            unsetenv(o[i].env_file);
    }
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
    cr_assert_eq(cfg.body_limit, 1024 * 1024);
    cr_assert_not(cfg.registrations);
    cr_assert_eq(cfg.game_access_ttl_s, 300);
    cr_assert_eq(cfg.game_refresh_ttl_s, 7 * 24 * 3600);
    cr_assert_eq(cfg.secret_len, 0);
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
    /* The message says what is wrong, not that the form is. */
    ASSERT_REFUSED(WORDS("--listen", "too long", "108 bytes", "at most 107", too_long + 5), "--listen", too_long);
    cr_assert_null(strstr(err, "expected unix:"), "message: %s", err);
    cr_assert_eq(setenv("WARDEN_LISTEN", too_long, 1), 0);
    cr_assert_eq(parse("--workers", "2", NULL), -1, "accepted");
    unsetenv("WARDEN_LISTEN");
    assert_mentions(WORDS("WARDEN_LISTEN", "too long", "at most 107"));
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

Test(config, abbreviations_and_stray_arguments_are_refused)
{
    ASSERT_REFUSED(WORDS("--max-req"), "--max-req", "5");
    ASSERT_REFUSED(WORDS("--hel"), "--hel");
    ASSERT_REFUSED(WORDS("--vers"), "--vers");
    ASSERT_REFUSED(WORDS("--help=x"), "--help=x");
    ASSERT_REFUSED(WORDS("'--'"), "--");
    ASSERT_REFUSED(WORDS("'--'"), "--workers", "2", "--", "x");
    ASSERT_REFUSED(WORDS("-x"), "-x");
    ASSERT_REFUSED(WORDS("stray"), "--workers", "2", "stray", "--workers", "3");
}

/* A value may look like an option: it is still the value. */
Test(config, values_that_start_with_a_dash)
{
    ASSERT_REFUSED(WORDS("--workers", "'--listen'"), "--workers", "--listen");
    assert_ok(parse("--log-file", "-", "--workers", "2", NULL));
    cr_assert_str_eq(cfg.log_file, "");
    cr_assert_eq(cfg.workers, 2);
}

/* config_parse runs again in one process (wardenctl, these tests): each
 * run starts the scan afresh. */
Test(config, parse_twice_in_one_process)
{
    assert_ok(parse("--workers", "2", NULL));
    assert_ok(parse("--workers", "3", NULL));
    cr_assert_eq(cfg.workers, 3);
    assert_ok(parse(NULL));
    cr_assert_neq(cfg.workers, 0);
}

Test(config, version, .init = cr_redirect_stdout)
{
    cr_assert_eq(parse("--version", NULL), 1);
    fflush(stdout);
    cr_assert_stdout_eq_str("warden 0.1.0\n");
}

/* --- the environment-only settings --------------------------------------------- */

static int load(void)
{
    config_defaults(&cfg);
    err[0] = '\0';
    return config_load_environment(&cfg, err, sizeof err);
}

#define SECRET "0123456789abcdef0123456789abcdef"

Test(config, secret_from_the_environment)
{
    setenv("WARDEN_SECRET", SECRET, 1);
    cr_assert_eq(load(), 0, "%s", err);
    cr_assert_eq(cfg.secret_len, 32);
    cr_assert_eq(memcmp(cfg.secret, SECRET, 32), 0);
}

Test(config, secret_from_a_file)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/warden-secret-test-%ld", (long)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(SECRET "xyz\n", f);
    fclose(f);
    setenv("WARDEN_SECRET_FILE", path, 1);
    int rc = load();
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(cfg.secret_len, 35, "the trailing newline is not part of it");
    cr_assert_eq(memcmp(cfg.secret, SECRET "xyz", 35), 0);
}

Test(config, secret_is_required_and_long_enough)
{
    cr_assert_eq(load(), -1);
    cr_assert_str_eq(err, "no secret: set WARDEN_SECRET (or WARDEN_SECRET_FILE) to 32 random "
                          "bytes or more, e.g. `openssl rand -hex 32`");
    setenv("WARDEN_SECRET", "0123456789abcdef0123456789abcde", 1);
    cr_assert_eq(load(), -1);
    cr_assert_str_eq(err, "the secret is 31 bytes; at least 32 are required");
    char longer[300];
    memset(longer, 'k', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    setenv("WARDEN_SECRET", longer, 1);
    cr_assert_eq(load(), -1);
    cr_assert_str_eq(err, "WARDEN_SECRET: longer than 255 bytes");
    unsetenv("WARDEN_SECRET");
    setenv("WARDEN_SECRET_FILE", "/nonexistent/warden-secret", 1);
    cr_assert_eq(load(), -1);
    static const char cannot[] = "WARDEN_SECRET_FILE: cannot open /nonexistent/warden-secret: ";
    cr_assert(strncmp(err, cannot, strlen(cannot)) == 0, "%s", err);
}

Test(config, registrations_and_token_lifetimes)
{
    setenv("WARDEN_SECRET", SECRET, 1);
    setenv("WARDEN_REGISTRATIONS", "yes", 1);
    setenv("WARDEN_GAME_ACCESS_TTL", "10", 1);
    setenv("WARDEN_GAME_REFRESH_TTL", "60", 1);
    cr_assert_eq(load(), 0, "%s", err);
    cr_assert(cfg.registrations);
    cr_assert_eq(cfg.game_access_ttl_s, 10);
    cr_assert_eq(cfg.game_refresh_ttl_s, 60);

    setenv("WARDEN_REGISTRATIONS", "maybe", 1);
    cr_assert_eq(load(), -1);
    cr_assert_str_eq(err, "WARDEN_REGISTRATIONS: invalid value 'maybe' (expected 0 or 1)");
    setenv("WARDEN_REGISTRATIONS", "0", 1);
    setenv("WARDEN_GAME_ACCESS_TTL", "9", 1);
    cr_assert_eq(load(), -1);
    cr_assert_str_eq(err, "WARDEN_GAME_ACCESS_TTL: invalid value '9' (expected an integer in 10..86400)");
}

/* Flags and their variables are config_parse's; these are not. */
Test(config, parse_leaves_the_environment_only_settings_alone)
{
    setenv("WARDEN_REGISTRATIONS", "maybe", 1);
    setenv("WARDEN_GAME_ACCESS_TTL", "x", 1);
    assert_ok(parse(NULL));
    cr_assert_not(cfg.registrations);
    cr_assert_eq(cfg.game_access_ttl_s, 300);
}

/* --- one table: --help and README.md ---------------------------------------------- */

Test(config, usage_shows_every_option_of_the_table)
{
    size_t n;
    const struct config_option *o = config_options(&n);
    const char *usage = config_usage();
    for (size_t i = 0; i < n; i++) {
        char flag[64];
        if (o[i].flag) {
            snprintf(flag, sizeof flag, "  %s %s", o[i].flag, o[i].metavar);
            cr_assert(strstr(usage, flag) != NULL, "no \"%s\" in --help", flag);
        }
        cr_assert(strstr(usage, o[i].env) != NULL, "no %s in --help", o[i].env);
        if (o[i].env_file)
            cr_assert(strstr(usage, o[i].env_file) != NULL, "no %s in --help", o[i].env_file);
    }
    /* Lines fit 80 columns, and no Markdown reaches the terminal. */
    for (const char *line = usage; *line;) {
        size_t len = strcspn(line, "\n");
        cr_assert_leq(len, 80, "--help line too long: %.*s", (int)len, line);
        line += len + (line[len] == '\n');
    }
    cr_assert_null(strchr(usage, '`'));
    cr_assert_null(strstr(usage, "**"));
}

/* Every flag and variable of the table, and nothing else, takes effect. */
Test(config, every_table_option_is_parsed)
{
    /* No number, name, mode, level, address or URI; for a path, too long. */
    static char too_long[2001];
    memset(too_long, 'x', sizeof too_long - 1);
    size_t n;
    const struct config_option *o = config_options(&n);
    for (size_t i = 0; i < n; i++) {
        if (!o[i].flag)
            continue;
        const char *bad = o[i].type == CONFIG_LOG_FILE ? too_long : "bad\x01";
        ASSERT_REFUSED(WORDS(o[i].flag), o[i].flag);
        ASSERT_REFUSED(WORDS(o[i].flag), o[i].flag, bad);
        setenv(o[i].env, bad, 1);
        cr_assert_eq(parse(NULL), -1, "%s accepted a bad value", o[i].env);
        assert_mentions(WORDS(o[i].env, o[i].flag));
        unsetenv(o[i].env);
    }
}

/* README.md, from the repository's top (where the suites run), else found
 * beside this file. */
static char *read_readme(void)
{
    char path[512] = "README.md";
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(path, sizeof path, "%s", __FILE__);
        char *cut = strstr(path, "tests/unit/config_test.c");
        cr_assert_not_null(cut, "README.md not found (run the suite from the repository's top)");
        strcpy(cut, "README.md");
        f = fopen(path, "r");
    }
    cr_assert_not_null(f, "cannot open %s", path);
    static char text[256 * 1024];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    return text;
}

/* The configuration table of README.md is the option table, row for row:
 * a setting added, renamed or changed in one and not the other fails here,
 * and the message holds the table to paste. */
Test(config, readme_table_is_the_option_table)
{
    const char *readme = read_readme();
    static const char header[] = "| flag | environment | values | default | meaning |\n"
                                 "| --- | --- | --- | --- | --- |\n";
    const char *table = strstr(readme, header);

    size_t n;
    const struct config_option *o = config_options(&n);
    static char expected[16 * 1024];
    size_t used = snprintf(expected, sizeof expected, "%s", header);
    for (size_t i = 0; i < n; i++) {
        char row[2048];
        used += snprintf(expected + used, sizeof expected - used, "%s\n",
                         config_option_markdown(&o[i], row, sizeof row));
    }
    cr_assert_not_null(table, "README.md has no configuration table; it should read:\n%s", expected);
    /* The table ends at the first line that is not a row. */
    const char *end = table;
    while (*end == '|')
        end = strchr(end, '\n') ? strchr(end, '\n') + 1 : end + strlen(end);
    cr_assert(strlen(expected) == (size_t)(end - table) &&
                  memcmp(table, expected, strlen(expected)) == 0,
              "README.md's configuration table differs from src/config.c's; it should read:\n%s",
              expected);
}

/* --- the pool mode ------------------------------------------------------------------ */

Test(config, pm_defaults_to_static_and_workers_max_to_workers)
{
    assert_ok(parse("--workers", "3", NULL));
    cr_assert_eq(config_check(&cfg, err, sizeof err), 0, "%s", err);
    cr_expect_eq(cfg.pm, POOL_STATIC);
    cr_expect_eq(cfg.workers_max, 3);
    cr_expect_eq(cfg.workers_min, 1);
    cr_expect_eq(cfg.spare_min, 1);
    cr_expect_eq(cfg.spare_max, 3);
    cr_expect_eq(cfg.idle_timeout_s, 10);
}

Test(config, pm_dynamic_and_ondemand_take_their_bounds)
{
    assert_ok(parse("--pm", "dynamic", "--workers-min", "2", "--workers-max", "6", "--spare-min",
                    "1", "--spare-max", "2", "--idle-timeout", "30", NULL));
    cr_assert_eq(config_check(&cfg, err, sizeof err), 0, "%s", err);
    cr_expect_eq(cfg.pm, POOL_DYNAMIC);
    cr_expect_eq(cfg.workers_min, 2);
    cr_expect_eq(cfg.workers_max, 6);
    cr_expect_eq(cfg.idle_timeout_s, 30);
    assert_ok(parse("--pm", "ondemand", NULL));
    cr_expect_eq(cfg.pm, POOL_ONDEMAND);
    cr_expect_str_eq(config_pm_name(cfg.pm), "ondemand");
}

Test(config, pm_refuses_an_unknown_mode)
{
    ASSERT_REFUSED(WORDS("--pm", "'sometimes'", "static, dynamic or ondemand"), "--pm", "sometimes");
}

Test(config, pm_refuses_bounds_that_contradict_each_other)
{
    assert_ok(parse("--pm", "dynamic", "--workers-min", "5", "--workers-max", "2", NULL));
    cr_expect_eq(config_check(&cfg, err, sizeof err), -1);
    cr_expect(strstr(err, "--workers-min (5) is above --workers-max (2)"), "%s", err);
    assert_ok(parse("--pm", "dynamic", "--spare-min", "4", "--spare-max", "2", NULL));
    cr_expect_eq(config_check(&cfg, err, sizeof err), -1);
    cr_expect(strstr(err, "--spare-min (4) is above --spare-max (2)"), "%s", err);
    /* The same bounds mean nothing to a static pool. */
    assert_ok(parse("--workers-min", "5", "--workers-max", "2", NULL));
    cr_expect_eq(config_check(&cfg, err, sizeof err), 0, "%s", err);
}
