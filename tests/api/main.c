/*
 * The API suites' entry point: one shared stack (FerretDB, the pool with two
 * workers, nginx) for every test, started before Criterion runs anything.
 * Tests run in processes of their own and find the stack through the
 * environment: WARDEN_TEST_URL (base URL, no trailing slash) and
 * WARDEN_TEST_MONGODB_URI, read with stack_shared_url() and
 * stack_shared_mongodb_uri(); WARDEN_SECRET_FILE names the pool's secret,
 * WARDEN_TEST_SOCKET the pool's unix socket (for `wardenctl status`).
 * A test that must break the stack (stop the pool, crash the database)
 * starts a private one with stack_start() instead. WARDEN_ENV_FILE is set
 * empty, so that no wardenctl a test runs reads the machine's
 * /etc/warden/warden.env (tests/api/ctl_options_test.c sets its own).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/stack.h"

int main(int argc, char *argv[])
{
    struct criterion_test_set *tests = criterion_initialize();
    struct stack stack;
    const char *secret_file;
    int result = 0;

    /* 0: --help, --version, --list and the like; nothing to run. */
    if (!criterion_handle_args(argc, argv, true)) {
        criterion_finalize(tests);
        return 0;
    }
    if (setenv("WARDEN_ENV_FILE", "", 1) != 0) {
        perror("tests/api: setenv");
        criterion_finalize(tests);
        return 1;
    }
    if (stack_start(&stack, NULL) != 0) {
        fprintf(stderr, "tests/api: the stack did not start (see above); no test was run\n");
        criterion_finalize(tests);
        return 1;
    }
    secret_file = stack_value(&stack, "WARDEN_SECRET_FILE");
    /* Exported as is too, so that a wardenctl a test runs signs tokens with
     * the shared pool's secret. */
    if (setenv(STACK_SHARED_URL_ENV, stack.url, 1) != 0 ||
        setenv(STACK_SHARED_MONGODB_URI_ENV, stack.mongodb_uri, 1) != 0 ||
        setenv("WARDEN_TEST_SOCKET", stack.socket, 1) != 0 ||
        (secret_file != NULL && *secret_file != '\0' &&
         setenv("WARDEN_SECRET_FILE", secret_file, 1) != 0)) {
        perror("tests/api: setenv");
        result = 1;
    } else {
        result = !criterion_run_all_tests(tests);
    }
    if (stack_stop(&stack) != 0)
        result = 1;
    criterion_finalize(tests);
    return result;
}
