/*
 * ctl_run: wardenctl as a test runs it, with its exit status, its stdout and
 * its stderr apart (fx_ctl in fixtures.h captures both together).
 *
 * Contract: call inside a test of the API runner (the binary is
 * $WARDEN_BIN_DIR/wardenctl, else build/release/wardenctl). Failures to run
 * it at all fail the test.
 */
#ifndef WARDEN_TESTS_CTL_RUN_H
#define WARDEN_TESTS_CTL_RUN_H

#include <stddef.h>

struct ctl_run {
    int status;
    char *out; /* stdout */
    char *err; /* stderr */
};

/*
 * wardenctl with args (NULL-terminated) in directory cwd (NULL: the
 * checkout), stdin from input (NULL: /dev/null), the environment as the
 * test left it. Release with ctl_run_free.
 */
void ctl_run_in(struct ctl_run *r, const char *cwd, const char *input, const char *const *args);
void ctl_run_free(struct ctl_run *r);
/* Number of newline-ended lines in s. */
size_t ctl_run_lines(const char *s);

#endif
