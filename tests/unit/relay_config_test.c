/*
 * relay/config: endpoints from WARDEN_RELAY_* (a type's own ahead of its
 * outbox's), secrets inline or from a file, bounds, and the message that
 * names the variable at fault. Each test runs in a process of its own.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warden/relay/config.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static void setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    static const char *const names[] = {"WARDEN_RELAY_GATEWAY_URL", "WARDEN_RELAY_GAME_URL",
                                        "WARDEN_RELAY_GATEWAY_SECRET", "WARDEN_RELAY_GAME_SECRET",
                                        "WARDEN_RELAY_ID", "WARDEN_RELAY_METRICS"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unsetenv(names[i]);
}

TestSuite(relay_config, .init = setup);

static void expect_refused(const char *needle)
{
    struct relay_config c;
    char err[512] = "";
    cr_assert_eq(relay_config_load(&c, err, sizeof err), -1);
    cr_expect(strstr(err, needle) != NULL, "'%s' not in: %s", needle, err);
}

Test(relay_config, needs_an_endpoint)
{
    expect_refused("no endpoint");
}

Test(relay_config, a_type_endpoint_goes_ahead_of_its_outbox)
{
    setenv("WARDEN_RELAY_GATEWAY_URL", "http://gw.example/hook", 1);
    setenv("WARDEN_RELAY_GATEWAY_SECRET", SECRET, 1);
    setenv("WARDEN_RELAY_GUILD_UPDATE_URL", "https://guilds.example/hook", 1);
    setenv("WARDEN_RELAY_GUILD_UPDATE_SECRET", SECRET, 1);
    struct relay_config c;
    char err[512];
    cr_assert_eq(relay_config_load(&c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.n_endpoints, 2);
    cr_expect_str_eq(relay_endpoint_for(&c, false, "GUILD_UPDATE")->name, "guild_update");
    cr_expect_str_eq(relay_endpoint_for(&c, false, "USER_UPDATE")->name, "gateway");
    cr_expect_null(relay_endpoint_for(&c, true, "kick"), "no game endpoint");
    cr_expect_eq(c.timeout_ms, 10000);
    cr_expect_eq(c.max_age_ms, 86400 * 1000LL);
    cr_expect_eq(c.concurrency, 16);
    relay_config_wipe(&c);
}

Test(relay_config, reads_a_secret_from_its_file)
{
    char path[] = "/tmp/relay-secret-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, SECRET "\n", strlen(SECRET) + 1), (ssize_t)strlen(SECRET) + 1);
    close(fd);
    setenv("WARDEN_RELAY_GAME_URL", "http://game.example/", 1);
    setenv("WARDEN_RELAY_GAME_SECRET_FILE", path, 1);
    struct relay_config c;
    char err[512];
    int rc = relay_config_load(&c, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_eq(relay_endpoint_for(&c, true, "kill")->key.len, 24);
}

Test(relay_config, names_the_variable_at_fault)
{
    setenv("WARDEN_RELAY_GAME_URL", "ftp://game.example/", 1);
    setenv("WARDEN_RELAY_GAME_SECRET", SECRET, 1);
    expect_refused("WARDEN_RELAY_GAME_URL");
    setenv("WARDEN_RELAY_GAME_URL", "http://game.example/", 1);
    unsetenv("WARDEN_RELAY_GAME_SECRET");
    expect_refused("WARDEN_RELAY_GAME_SECRET");
    setenv("WARDEN_RELAY_GAME_SECRET", "whsec_short", 1);
    expect_refused("WARDEN_RELAY_GAME_SECRET:");
    setenv("WARDEN_RELAY_GAME_SECRET", SECRET, 1);
    setenv("WARDEN_RELAY_TIMEOUT_MS", "0", 1);
    expect_refused("WARDEN_RELAY_TIMEOUT_MS");
    setenv("WARDEN_RELAY_TIMEOUT_MS", "500", 1);
    setenv("WARDEN_RELAY_BACKOFF_MIN_MS", "5000", 1);
    setenv("WARDEN_RELAY_BACKOFF_MAX_MS", "1000", 1);
    expect_refused("WARDEN_RELAY_BACKOFF_MAX_MS");
}
