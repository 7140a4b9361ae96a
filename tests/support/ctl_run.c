/*
 * ctl_run: wardenctl with stdout and stderr apart (see ctl_run.h).
 */
#include "support/ctl_run.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/stack.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot read %s", path);
    char *text = NULL;
    size_t len = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        text = realloc(text, len + n + 1);
        cr_assert(text);
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!text)
        text = calloc(1, 1);
    cr_assert(text);
    text[len] = '\0';
    return text;
}

/* wardenctl with args in directory cwd (NULL: the checkout), stdin from
 * input (NULL: /dev/null), the environment as the test left it. */
void ctl_run_in(struct ctl_run *r, const char *cwd, const char *input, const char *const *args)
{
    const char *dir = getenv("WARDEN_BIN_DIR");
    char cwd_now[PATH_MAX], bin[PATH_MAX + 512], errpath[] = "/tmp/wardenctl-opt-err-XXXXXX";
    const char *bin_dir = dir && *dir ? dir : "build/release";
    cr_assert(getcwd(cwd_now, sizeof cwd_now));
    /* Absolute: wardenctl runs in another directory. */
    snprintf(bin, sizeof bin, "%s%s%s/wardenctl", bin_dir[0] == '/' ? "" : cwd_now,
             bin_dir[0] == '/' ? "" : "/", bin_dir);
    cr_assert_eq(access(bin, X_OK), 0, "no %s", bin);
    int fd = mkstemp(errpath);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(setenv("CTL_ERR", errpath, 1), 0);
    cr_assert_eq(setenv("CTL_CWD", cwd ? cwd : ".", 1), 0);
    cr_assert_eq(setenv("CTL_INPUT", input ? input : "", 1), 0);
    const char *argv[40] = {"sh", "-c",
                            input ? "cd \"$CTL_CWD\" && printf '%s\\n' \"$CTL_INPUT\" | \"$@\" 2>\"$CTL_ERR\""
                                  : "cd \"$CTL_CWD\" && exec \"$@\" 2>\"$CTL_ERR\"",
                            "sh", bin};
    size_t n = 5;
    for (size_t i = 0; args[i]; i++) {
        cr_assert(n < 39);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    r->status = stack_run(argv, &r->out);
    cr_assert(r->out);
    r->err = slurp(errpath);
    unlink(errpath);
}

void ctl_run_free(struct ctl_run *r)
{
    free(r->out);
    free(r->err);
}

size_t ctl_run_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}
