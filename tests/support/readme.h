/*
 * README.md's fenced shell blocks, for the tests that run them as written
 * (tests/api/readme_test.c, tests/api/ctl_options_test.c). Paths are
 * relative to the checkout's root, where the suites run. Failures fail the
 * calling test.
 */
#ifndef WARDEN_TESTS_SUPPORT_README_H
#define WARDEN_TESTS_SUPPORT_README_H

#include <stddef.h>

/* README.md whole (malloc'd). */
char *readme_text(void);

/* Call each(body, len, arg) for every fenced block of readme whose info
 * string names a shell (sh, bash, shell, console, sh-session, zsh), fence
 * indented or not; body is the block's text from its first line to the
 * closing fence, not included. */
void readme_each_shell_block(const char *readme, void (*each)(const char *body, size_t len, void *arg),
                             void *arg);

/* The first shell block of README.md whose first line, indentation
 * stripped, starts with first_line (malloc'd). */
char *readme_block(const char *first_line);

/* The first n ```sh blocks of README.md after the line that starts with
 * `after`, joined (malloc'd). */
char *readme_blocks_after(const char *after, int n);

/* Run script with `sh -e` in cwd, stdout and stderr into *output (malloc'd),
 * with $WARDEN_BIN_DIR (default build/release) first on PATH, so that
 * `wardenctl` is the build's; the exit status as stack_run's. Sets PATH in
 * the calling process. */
int readme_run(const char *cwd, const char *script, char **output);

/* Each whole line "# <answer>" of script came in output, in order; returns
 * how many such lines there were. */
int readme_expect_answers(const char *script, const char *output);

#endif
