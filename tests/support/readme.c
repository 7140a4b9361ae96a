#include "support/readme.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/stack.h"

char *readme_text(void)
{
    FILE *f = fopen("README.md", "r");
    cr_assert(f, "cannot read README.md (run from the checkout's root)");
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    cr_assert(text);
    for (;;) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        cap *= 2;
        text = realloc(text, cap);
        cr_assert(text);
    }
    cr_assert(!ferror(f));
    fclose(f);
    text[len] = '\0';
    return text;
}

/* A fence line ("```" after optional indentation); *shell when its info
 * string names a shell. */
static bool fence(const char *line, size_t len, bool *shell)
{
    size_t i = 0;
    while (i < len && line[i] == ' ')
        i++;
    if (len - i < 3 || strncmp(line + i, "```", 3) != 0)
        return false;
    i += 3;
    static const char *const shells[] = {"sh", "bash", "shell", "console", "sh-session", "zsh"};
    *shell = false;
    for (size_t k = 0; k < sizeof shells / sizeof shells[0]; k++) {
        size_t n = strlen(shells[k]);
        if (len - i >= n && strncmp(line + i, shells[k], n) == 0 &&
            (len - i == n || line[i + n] == ' ' || line[i + n] == '\r'))
            *shell = true;
    }
    return true;
}

void readme_each_shell_block(const char *readme, void (*each)(const char *, size_t, void *), void *arg)
{
    const char *p = readme, *body = NULL;
    bool open = false, shell = false;
    while (*p) {
        size_t len = strcspn(p, "\n");
        bool sh;
        if (fence(p, len, &sh)) {
            if (!open) {
                open = true;
                shell = sh;
                body = p + len + (p[len] == '\n');
            } else {
                if (shell)
                    each(body, (size_t)(p - body), arg);
                open = false;
            }
        }
        p += len + (p[len] == '\n');
    }
    cr_assert(!open, "README.md ends inside a fenced block");
}

struct found {
    const char *first_line;
    char *text;
};

static void find_block(const char *body, size_t len, void *arg)
{
    struct found *f = arg;
    size_t n = strlen(f->first_line);
    while (len && *body == ' ')
        body++, len--;
    if (!f->text && len >= n && strncmp(body, f->first_line, n) == 0) {
        f->text = strndup(body, len);
        cr_assert(f->text);
    }
}

char *readme_block(const char *first_line)
{
    char *readme = readme_text();
    struct found f = {first_line, NULL};
    readme_each_shell_block(readme, find_block, &f);
    free(readme);
    cr_assert(f.text, "README.md has no shell block starting `%s`", first_line);
    return f.text;
}

char *readme_blocks_after(const char *after, int n)
{
    char *readme = readme_text();
    char *at = strstr(readme, after);
    cr_assert(at && (at == readme || at[-1] == '\n'), "README.md has no line starting %s", after);
    size_t cap = strlen(at) + 1, len = 0;
    char *out = calloc(1, cap);
    cr_assert(out);
    for (int i = 0; i < n; i++) {
        char *start = strstr(at, "\n```sh\n");
        cr_assert(start, "README.md: %d ```sh blocks after %s", i, after);
        start += strlen("\n```sh\n");
        char *end = strstr(start, "\n```\n");
        cr_assert(end);
        memcpy(out + len, start, (size_t)(end - start) + 1);
        len += (size_t)(end - start) + 1;
        at = end + 1;
    }
    free(readme);
    return out;
}

int readme_run(const char *cwd, const char *script, char **output)
{
    const char *dir = getenv("WARDEN_BIN_DIR");
    char here[PATH_MAX], path[PATH_MAX * 2 + 600];
    cr_assert(getcwd(here, sizeof here));
    const char *bin_dir = dir && *dir ? dir : "build/release";
    snprintf(path, sizeof path, "%s%s%s:%s", bin_dir[0] == '/' ? "" : here, bin_dir[0] == '/' ? "" : "/",
             bin_dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    cr_assert_eq(setenv("PATH", path, 1), 0);
    cr_assert_eq(setenv("README_CWD", cwd, 1), 0);
    cr_assert_eq(setenv("README_SCRIPT", script, 1), 0);
    return stack_run(
        (const char *const[]){"sh", "-c", "cd \"$README_CWD\" && exec sh -ec \"$README_SCRIPT\" 2>&1", NULL},
        output);
}

int readme_expect_answers(const char *script, const char *output)
{
    const char *from = output;
    int answers = 0;
    for (const char *line = script; line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, "# ", 2) != 0)
            continue;
        char expected[256];
        size_t n = strcspn(line + 2, "\n");
        cr_assert(n < sizeof expected, "an answer line of %zu bytes", n);
        memcpy(expected, line + 2, n);
        expected[n] = '\0';
        const char *found = strstr(from, expected);
        cr_expect(found, "README's answer `%s` is not what came:\n%s", expected, output);
        if (found)
            from = found + n;
        answers++;
    }
    return answers;
}
