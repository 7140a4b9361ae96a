/*
 * The dev stack's files are its user's alone (tools/stack, which `make run`
 * and these suites use): its directory holds the database (FerretDB's SQLite
 * files), the logs (paths, request ids) and nginx's buffered request bodies,
 * so every directory in it must be 0700 and every file 0600, including a
 * directory that an older run left open (var/ from before the fix) and
 * files created while the stack serves (the SQLite -wal and -shm, nginx's
 * temporary body files).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/fixtures.h"
#include "support/http.h"
#include "support/stack.h"

static struct stack ds_stack;
static char ds_dir[STACK_STR_MAX];

static void ds_stop(void)
{
    if (ds_stack.dir[0])
        cr_expect_eq(stack_stop(&ds_stack), 0, "the stack did not stop cleanly");
    else if (ds_dir[0])
        stack_remove_dir(ds_dir);
}

static void write_file(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert_eq(write(fd, "old\n", 4), 4);
    close(fd);
    cr_assert_eq(chmod(path, mode), 0); /* whatever the test runner's umask */
}

struct walk {
    int dirs, files, sockets;
    int sqlite, wal, shm;
    char bad[2048];
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void note_bad(struct walk *w, const char *path, mode_t mode, const char *want)
{
    size_t used = strlen(w->bad);
    snprintf(w->bad + used, sizeof w->bad - used, "\n  %s is %04o, not %s", path,
             (unsigned)(mode & 07777), want);
}

/* Every entry under path (itself included): directories 0700, regular files
 * 0600 or stricter; sockets may keep their own mode (the pool's is 0660 by
 * --listen-mode) as their directory lets nobody else reach them. */
static void walk(const char *path, struct walk *w)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return; /* gone meanwhile: an nginx temporary file, a -journal */
    if (S_ISDIR(st.st_mode)) {
        w->dirs++;
        if ((st.st_mode & 0777) != 0700)
            note_bad(w, path, st.st_mode, "0700");
        DIR *d = opendir(path);
        cr_assert(d, "%s: %s", path, strerror(errno));
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[1024];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            walk(child, w);
        }
        closedir(d);
    } else if (S_ISSOCK(st.st_mode)) {
        w->sockets++;
    } else if (S_ISREG(st.st_mode)) {
        w->files++;
        w->sqlite += ends_with(path, ".sqlite");
        w->wal += ends_with(path, ".sqlite-wal");
        w->shm += ends_with(path, ".sqlite-shm");
        if ((st.st_mode & 077) != 0)
            note_bad(w, path, st.st_mode, "0600");
    }
}

Test(devstack, directory_database_and_logs_are_private, .fini = ds_stop, .timeout = 180)
{
    /* A directory as an older `make run` left var/: open to every local user. */
    snprintf(ds_dir, sizeof ds_dir, "/tmp/warden-devstack-XXXXXX");
    cr_assert(mkdtemp(ds_dir), "mkdtemp");
    char path[STACK_STR_MAX + 64];
    cr_assert_eq(chmod(ds_dir, 0755), 0);
    snprintf(path, sizeof path, "%s/db", ds_dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    cr_assert_eq(chmod(path, 0755), 0);
    snprintf(path, sizeof path, "%s/db/left-by-an-old-run", ds_dir);
    write_file(path, 0644);
    snprintf(path, sizeof path, "%s/log", ds_dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    cr_assert_eq(chmod(path, 0755), 0);
    snprintf(path, sizeof path, "%s/log/ferretdb.log", ds_dir);
    write_file(path, 0644);

    cr_assert_eq(stack_start_in(&ds_stack, ds_dir, NULL), 0, "the stack did not start");

    /* Writes, so that FerretDB's WAL holds something: a user through
     * wardenctl, an invite through the API; and a body larger than nginx's
     * in-memory buffer (it goes through nginx's temporary file). */
    struct fx_chat_user staff;
    fx_chat_user_at(&ds_stack, &staff, true);
    struct http_response r;
    fx_request_at(&ds_stack, "PUT", "/api/v6/admin/instance/invites", staff.auth,
                  "{\"max_uses\": 3}", &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    http_response_free(&r);
    size_t big_len = 64 * 1024;
    char *big = malloc(big_len + 1);
    cr_assert(big);
    memset(big, ' ', big_len);
    memcpy(big, "{\"max_uses\": 2", 14);
    big[big_len - 1] = '}';
    big[big_len] = '\0';
    fx_request_at(&ds_stack, "PUT", "/api/v6/admin/instance/invites", staff.auth, big, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    http_response_free(&r);
    free(big);

    struct walk w = {0};
    walk(ds_stack.dir, &w);
    cr_expect_str_empty(w.bad, "open to other users:%s", w.bad);
    /* What was walked: the database itself with its WAL files, the logs, the
     * pool's socket. */
    cr_expect_geq(w.sqlite, 1, "no SQLite database under %s/db", ds_dir);
    cr_expect_geq(w.wal, 1, "no -wal file under %s/db", ds_dir);
    cr_expect_geq(w.shm, 1, "no -shm file under %s/db", ds_dir);
    cr_expect_geq(w.sockets, 1, "no socket under %s", ds_dir);
    const char *logs[] = {"warden.log", "ferretdb.log", "nginx-error.log", "nginx-access.log"};
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/log/%s", ds_stack.dir, logs[i]);
        cr_expect_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/nginx/tmp/body", ds_stack.dir);
    struct stat st;
    cr_expect_eq(stat(path, &st), 0, "nginx made no body directory: %s", path);
}
