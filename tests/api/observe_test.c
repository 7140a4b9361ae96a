/*
 * What an operator sees: the log lines that name a request (a worker that
 * died serving it, nginx's access log, both keyed by the request id), the
 * start-up warnings (both secrets set, a socket beyond loopback), the
 * Prometheus text (states that sum to the total, workers by slot and never
 * by pid, so that a recycle keeps the series), the shipped alert rules and
 * metrics checked with promtool where it is installed, the logrotate
 * snippet, the systemd unit's hardening (every system call the pool makes
 * is in its SystemCallFilter), and `tools/stack run` (what `make run` does)
 * writing the pool's log to log/warden.log as well as the terminal.
 *
 * Each test that breaks something or needs pool flags starts a private stack
 * (ps_stack, stopped by the fixture).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/pool_support.h"
#include "support/http.h"
#include "support/stack.h"
#include "support/wait.h"

/* --- helpers ------------------------------------------------------------------ */

/* Whether a program is on PATH. */
static bool have(const char *program)
{
    char cmd[256];

    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", program);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    return stack_run(argv, NULL) == 0;
}

/* The private pool's /status in Prometheus text (malloc'd). */
static char *prometheus_text(void)
{
    struct http_response r;
    char *url = http_url(ps_stack.url, "/status?format=prometheus");

    cr_assert_eq(http_get(url, &r), 0, "%s: %s", url, r.error);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    char *text = strdup(r.body);
    cr_assert_not_null(text);
    http_response_free(&r);
    free(url);
    return text;
}

/* The value of the sample whose line starts with "name " or "name{labels} "
 * (series given whole, e.g. `warden_workers{state="idle"}`); -1 if absent. */
static long long sample(const char *text, const char *series)
{
    size_t n = strlen(series);

    const char *line = text;

    while (*line) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return atoll(line + n + 1);
        const char *next = strchr(line, '\n');
        if (!next)
            break;
        line = next + 1;
    }
    return -1;
}

/* The slots named by warden_worker_requests_total lines, as "0,1,": into out. */
static void slots_of(const char *text, char *out, size_t size)
{
    const char *prefix = "warden_worker_requests_total{slot=\"";
    size_t used = 0;

    out[0] = '\0';
    for (const char *p = text; (p = strstr(p, prefix)) != NULL; p++) {
        int slot = atoi(p + strlen(prefix));
        int w = snprintf(out + used, size - used, "%d,", slot);
        if (w > 0 && (size_t)w < size - used)
            used += (size_t)w;
    }
}

/* Write text to a file in the private stack's directory; its path into path. */
static void stack_file(const char *name, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", ps_stack.dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fputs(text, f) >= 0, true);
    fclose(f);
}

/* --- a worker that dies serving a request --------------------------------------- */

struct stuck_request {
    char url[STACK_STR_MAX + 32];
    long status;
    char rid[80];
};

static void *send_stuck(void *arg)
{
    struct stuck_request *s = arg;
    struct http_response r;

    if (http_get(s->url, &r) == 0)
        s->status = r.status;
    http_response_free(&r);
    return NULL;
}

static bool one_busy_on_healthz(void *ctx)
{
    struct ps_status *st = ctx;

    if (ps_status_read(ps_stack.url, st) != 0)
        return false;
    for (size_t i = 0; i < st->n_workers; i++)
        if (strcmp(st->workers[i].state, "busy") == 0 && strcmp(st->workers[i].path, "/healthz") == 0)
            return true;
    return false;
}

static bool access_logged(void *ctx)
{
    struct stuck_request *s = ctx;

    return ps_access_rid("\"GET /healthz HTTP/1.1\" 502 ", s->rid, sizeof s->rid);
}

static bool logged(void *ctx)
{
    return ps_log_contains(ctx);
}

/* The request is held on a frozen database (the ping waits on an open
 * socket), the worker serving it is killed: the master's line says what it
 * was serving, under the request id of nginx's access line for its 502. */
Test(observe, worker_dying_mid_request_logs_its_method_path_and_request_id, .fini = ps_stop_private,
     .timeout = 120)
{
    const char *args[] = {"--workers", "2", NULL};
    static struct stuck_request stuck;
    struct ps_status st;
    pthread_t tid;
    pid_t victim = 0;
    int slot = -1;
    char line[256];

    ps_start_private(args);
    snprintf(stuck.url, sizeof stuck.url, "%s/healthz", ps_stack.url);
    ps_db_freeze();
    cr_assert_eq(pthread_create(&tid, NULL, send_stuck, &stuck), 0);
    /* The other worker answers /status (it needs no database). */
    cr_assert(wait_until(one_busy_on_healthz, &st, WAIT_LONG_MS), "no worker busy on /healthz");
    for (size_t i = 0; i < st.n_workers; i++)
        if (strcmp(st.workers[i].state, "busy") == 0 && strcmp(st.workers[i].path, "/healthz") == 0) {
            victim = st.workers[i].pid;
            slot = st.workers[i].slot;
        }
    ps_signal_worker(victim, SIGKILL);
    pthread_join(tid, NULL);
    ps_db_thaw();

    cr_assert_eq(stuck.status, 502, "the stuck request got %ld", stuck.status);
    /* nginx's own 502 carries no X-Request-Id; its access line (written
     * just after the answer) has the id. */
    cr_assert(wait_until(access_logged, &stuck, WAIT_LONG_MS),
              "no access line with a request id for the 502");
    snprintf(line, sizeof line,
             "worker pid %d in slot %d died (signal 9 (Killed)) after ", (int)victim, slot);
    cr_assert(wait_until(logged, line, WAIT_LONG_MS), "no line '%s' in the pool's log", line);
    snprintf(line, sizeof line, " ms, serving GET /healthz (rid=%s)\n", stuck.rid);
    cr_assert(ps_log_contains(line), "the death line does not name the request: no '%s'", line);

    /* Counted as a crash (a storm of them is an alert), and replaced. */
    char *text = prometheus_text();
    cr_assert_eq(sample(text, "warden_worker_crashes_total"), 1, "%s", text);
    free(text);
    ps_finish_private();
}

/* --- Prometheus text ------------------------------------------------------------ */

/* One worker recycled every 5 requests: the series keep their slot label,
 * only the pid gauge's value changes; the states sum to the processes; no
 * pid label anywhere; promtool (when installed) accepts the text and the
 * shipped rules, and every metric the rules use is in the text. */
Test(observe, prometheus_series_are_by_slot_and_states_sum_to_the_total, .fini = ps_stop_private,
     .timeout = 120)
{
    const char *args[] = {"--workers", "1", "--max-requests", "5", NULL};
    char slots_before[64], slots_after[64], path[STACK_STR_MAX + 64];
    long long pid_before, pid_after;

    ps_start_private(args);
    char *text = prometheus_text();
    slots_of(text, slots_before, sizeof slots_before);
    pid_before = sample(text, "warden_worker_pid{slot=\"0\"}");
    cr_assert_str_eq(slots_before, "0,", "slots: %s\n%s", slots_before, text);
    cr_assert_gt(pid_before, 0, "%s", text);
    free(text);

    /* 12 requests: the worker is recycled at least once (5 + 10% at most). */
    char *url = http_url(ps_stack.url, "/healthz");
    for (int i = 0; i < 12; i++) {
        struct http_response r;

        cr_assert_eq(http_get(url, &r), 0, "%s", r.error);
        cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
        http_response_free(&r);
    }
    free(url);

    text = prometheus_text();
    cr_assert_null(strstr(text, "pid=\""), "a pid label:\n%s", text);
    slots_of(text, slots_after, sizeof slots_after);
    cr_assert_str_eq(slots_after, "0,", "slots after recycling: %s\n%s", slots_after, text);
    pid_after = sample(text, "warden_worker_pid{slot=\"0\"}");
    cr_assert_gt(pid_after, 0, "%s", text);
    cr_assert_neq(pid_after, pid_before, "the worker was not recycled:\n%s", text);
    cr_assert_geq(sample(text, "warden_respawns_total"), 2, "%s", text);
    cr_assert_eq(sample(text, "warden_worker_crashes_total"), 0, "recycling counted as crashes");
    cr_assert_eq(sample(text, "warden_db_errors_total"), 0, "%s", text);

    /* sum(warden_workers) is the number of processes: no "total" state. */
    cr_assert_null(strstr(text, "state=\"total\""), "%s", text);
    long long sum = 0, n;
    const char *states[] = {"active", "idle", "starting"};
    for (size_t i = 0; i < 3; i++) {
        char series[64];

        snprintf(series, sizeof series, "warden_workers{state=\"%s\"}", states[i]);
        n = sample(text, series);
        cr_assert_geq(n, 0, "no %s:\n%s", series, text);
        sum += n;
    }
    cr_assert_eq(sum, sample(text, "warden_worker_processes"), "%s", text);
    cr_assert_eq(sample(text, "warden_worker_processes"), 1, "%s", text);
    /* /status itself is being answered by the one worker. */
    cr_assert_eq(sample(text, "warden_workers{state=\"active\"}"), 1, "%s", text);

    /* Every metric the alert rules use is one the pool exports. */
    char *rules = ps_read_file("systemd/warden.rules.yml", NULL);
    cr_assert_not_null(rules, "no systemd/warden.rules.yml");
    for (const char *p = rules; (p = strstr(p, "warden_")) != NULL;) {
        char name[96];
        size_t k = 0;

        while (k + 1 < sizeof name && (p[k] == '_' || (p[k] >= 'a' && p[k] <= 'z')))
            name[k] = p[k], k++;
        name[k] = '\0';
        p += k;
        char typed[128];
        const char *base = name;
        char trimmed[96];
        size_t len = strlen(name);
        if (len > 7 && strcmp(name + len - 7, "_bucket") == 0) {
            snprintf(trimmed, sizeof trimmed, "%.*s", (int)(len - 7), name);
            base = trimmed;
        } else if (len > 6 && strcmp(name + len - 6, "_count") == 0) {
            snprintf(trimmed, sizeof trimmed, "%.*s", (int)(len - 6), name);
            base = trimmed;
        }
        snprintf(typed, sizeof typed, "# TYPE %s ", base);
        cr_assert_not_null(strstr(text, typed), "the rules use %s, which the pool does not export",
                           name);
    }
    free(rules);

    if (!have("promtool")) {
        free(text);
        cr_skip_test("promtool is not installed (Debian package prometheus): text and rules "
                     "checked by hand only");
    }
    stack_file("metrics.txt", text, path, sizeof path);
    free(text);
    {
        char cmd[STACK_STR_MAX + 128], *out = NULL;

        snprintf(cmd, sizeof cmd, "promtool check metrics < '%s'", path);
        const char *argv[] = {"sh", "-c", cmd, NULL};
        int rc = stack_run(argv, &out);
        cr_assert_eq(rc, 0, "promtool check metrics exited %d:\n%s", rc, out);
        cr_assert_str_empty(out, "promtool check metrics complains:\n%s", out);
        free(out);
    }
    {
        char *out = NULL;
        const char *argv[] = {"promtool", "check", "rules", "systemd/warden.rules.yml", NULL};
        int rc = stack_run(argv, &out);
        cr_assert_eq(rc, 0, "promtool check rules exited %d:\n%s", rc, out);
        cr_assert_not_null(strstr(out, "SUCCESS"), "%s", out);
        free(out);
    }
    ps_finish_private();
}

/* --- start-up warnings ---------------------------------------------------------- */

/* A TCP port free on every interface now (the kernel's pick), or 0. */
static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* The pool started by hand on a TCP address beyond loopback with both secret variables set and no database: three warnings,
 * each once. */
Test(observe, start_up_warns_of_both_secrets_an_open_socket_and_no_database, .timeout = 60)
{
    char dir[] = "/tmp/warden-observe-XXXXXX", log_path[64], secret_path[80];
    const char *bin_dir = getenv("WARDEN_BIN_DIR");
    char bin[512];

    cr_assert_not_null(mkdtemp(dir));
    snprintf(log_path, sizeof log_path, "%s/warden.log", dir);
    snprintf(secret_path, sizeof secret_path, "%s/secret", dir);
    snprintf(bin, sizeof bin, "%s/warden", bin_dir && *bin_dir ? bin_dir : "build/release");
    {
        FILE *f = fopen(secret_path, "w");
        cr_assert_not_null(f);
        fputs("0123456789abcdef0123456789abcdef-from-the-file\n", f);
        fclose(f);
    }
    char listen[32];
    int port = free_port();
    cr_assert_gt(port, 0, "no free port");
    snprintf(listen, sizeof listen, "0.0.0.0:%d", port);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0)
            _exit(127);
        dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setenv("WARDEN_SECRET", "0123456789abcdef0123456789abcdef-from-the-variable", 1);
        setenv("WARDEN_SECRET_FILE", secret_path, 1);
        /* Port 1 on loopback: nothing listens there, the ping fails at once. */
        execl(bin, bin, "--listen", listen, "--workers", "1", "--mongodb-uri",
              "mongodb://127.0.0.1:1/warden", (char *)NULL);
        _exit(127);
    }
    int64_t started = now_ms();
    char *log = NULL;
    while (now_ms() - started < 20000) {
        free(log);
        log = ps_read_file(log_path, NULL);
        if (log && strstr(log, "first ping failed"))
            break;
        sleep_ms(50);
    }
    kill(pid, SIGTERM);
    int status;
    if (!ps_wait_gone(pid, 15000))
        kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    free(log);
    log = ps_read_file(log_path, NULL);
    stack_remove_dir(dir);
    cr_assert_not_null(log);
    cr_assert_not_null(strstr(log, "warn: both WARDEN_SECRET and WARDEN_SECRET_FILE are set: "
                                   "WARDEN_SECRET is used"),
                       "%s", log);
    cr_assert_not_null(strstr(log, "warn: listening on 0.0.0.0:"), "%s", log);
    cr_assert_not_null(strstr(log, "beyond loopback"), "%s", log);
    cr_assert_not_null(strstr(log, "warn: database unreachable at start-up: the first ping failed"),
                       "%s", log);
    const char *once[] = {"both WARDEN_SECRET", "beyond loopback", "first ping failed"};
    for (size_t i = 0; i < 3; i++) {
        int count = 0;
        for (const char *p = log; (p = strstr(p, once[i])) != NULL; p++)
            count++;
        cr_assert_eq(count, 1, "'%s' logged %d times:\n%s", once[i], count, log);
    }
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the pool did not stop cleanly:\n%s",
              log);
    free(log);
}

/* --- shipped operations files ---------------------------------------------------- */

/* The logrotate snippet parses and covers the log directory of the unit
 * (checked with this user for `warden`, who does not exist here). */
Test(observe, logrotate_snippet_parses)
{
    if (!have("logrotate"))
        cr_skip_test("logrotate is not installed");
    char dir[] = "/tmp/warden-logrotate-XXXXXX", conf[64], state[64], cmd[512], *out = NULL;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(conf, sizeof conf, "%s/warden", dir);
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(cmd, sizeof cmd,
             "sed \"s/ warden warden$/ $(id -un) $(id -gn)/\" systemd/warden.logrotate > '%s' && "
             "logrotate -d -s '%s' '%s'",
             conf, state, conf);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    int rc = stack_run(argv, &out);
    stack_remove_dir(dir);
    cr_assert_eq(rc, 0, "logrotate -d exited %d:\n%s", rc, out);
    cr_assert_null(strstr(out, "error:"), "%s", out);
    cr_assert_not_null(strstr(out, "/var/log/warden/*.log"), "%s", out);
    free(out);
}

/* The unit's hardening as the operator's path asks, and what systemd says of
 * it (offline: no booted systemd needed; systemd 250 or later). */
Test(observe, systemd_unit_is_hardened)
{
    char *unit = ps_read_file("systemd/warden.service", NULL);
    const char *lines[] = {"\nSystemCallFilter=@system-service\n", "\nProtectProc=invisible\n",
                           "\nProcSubset=pid\n", "\nRemoveIPC=yes\n",
                           "\nRestartPreventExitStatus=2\n"};

    cr_assert_not_null(unit);
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        cr_assert_not_null(strstr(unit, lines[i]), "no%s", lines[i]);
    free(unit);
    if (!have("systemd-analyze"))
        cr_skip_test("systemd-analyze is not available");
    char *out = NULL;
    const char *argv[] = {"systemd-analyze", "security", "--offline=true",
                          "systemd/warden.service", NULL};
    int rc = stack_run(argv, &out);
    const char *at = out ? strstr(out, "Overall exposure level for warden.service: ") : NULL;
    if (!at) {
        free(out);
        cr_skip_test("systemd-analyze security --offline is not supported here");
    }
    double score = atof(at + strlen("Overall exposure level for warden.service: "));
    fprintf(stderr, "observe/systemd: systemd-analyze security: exposure %.1f (rc %d)\n", score, rc);
    cr_assert_leq(score, 2.0, "exposure %.1f:\n%s", score, out);
    free(out);
}

/* --- tools/stack run ------------------------------------------------------------- */

static bool file_has(const char *path, const char *text)
{
    char *s = ps_read_file(path, NULL);
    bool found = s && strstr(s, text);
    free(s);
    return found;
}

struct run_watch {
    const char *out_path;
};

static bool run_is_up(void *ctx)
{
    return file_has(((struct run_watch *)ctx)->out_path, "Warden is up at ");
}

/* `make run`'s mode: the pool's log on the terminal and in log/warden.log. */
Test(observe, stack_run_writes_the_pool_log_to_log_warden_log, .timeout = 120)
{
    char dir[] = "/tmp/warden-run-XXXXXX", out_path[64], log_path[64];
    const char *bin_dir = getenv("WARDEN_BIN_DIR");

    cr_assert_not_null(mkdtemp(dir));
    snprintf(out_path, sizeof out_path, "%s.out", dir);
    snprintf(log_path, sizeof log_path, "%s/log/warden.log", dir);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0)
            _exit(127);
        dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execl("tools/stack", "tools/stack", "run", "--dir", dir, "--bin",
              bin_dir && *bin_dir ? bin_dir : "build/release", "--port", "auto", (char *)NULL);
        _exit(127);
    }
    struct run_watch w = {out_path};
    bool up = wait_until(run_is_up, &w, 60000);
    bool in_file = up && file_has(log_path, "info: pool started: 2 workers on unix:");
    bool access = up && file_has(log_path, "info: access GET /healthz 200 ");
    bool on_terminal = up && file_has(out_path, "info: pool started: 2 workers on unix:");
    kill(pid, SIGTERM);
    int status;
    if (!ps_wait_gone(pid, 30000))
        kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    char *out = ps_read_file(out_path, NULL);
    unlink(out_path);
    stack_remove_dir(dir);
    cr_assert(up, "tools/stack run did not come up:\n%s", out);
    cr_assert(in_file, "no 'pool started' in log/warden.log");
    cr_assert(access, "no access line in log/warden.log");
    cr_assert(on_terminal, "the pool's log is no longer on the terminal:\n%s", out);
    free(out);
}

/* --- the unit's syscall filter ---------------------------------------------------- */

/* The end of a process in an strace output file. */
struct trace_end {
    char path[128];
    char exited[64], killed[64];
};

/* Whether a process whose command line names path (its tracer) is alive. */
static bool tracer_alive(const char *path)
{
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    bool alive = false;

    while (proc && !alive && (entry = readdir(proc)) != NULL) {
        char file[300];
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        snprintf(file, sizeof file, "/proc/%s/cmdline", entry->d_name);
        size_t len = 0;
        char *cmdline = ps_read_file(file, &len);
        for (size_t i = 0; cmdline && i < len; i += strlen(cmdline + i) + 1)
            if (strcmp(cmdline + i, path) == 0)
                alive = true;
        free(cmdline);
    }
    if (proc)
        closedir(proc);
    return alive;
}

/* The trace is complete: it shows the master's end, or its tracer is gone
 * (a stop that kills the process group under load takes strace with it:
 * what it wrote by then is all there will be). */
static bool trace_ended(void *ctx)
{
    const struct trace_end *want = ctx;
    char *t = ps_read_file(want->path, NULL);
    bool done = t && (strstr(t, want->exited) || strstr(t, want->killed));
    free(t);
    return done || !tracer_alive(want->path);
}

/* The pool traced (strace -f, as a detached tracer so that the stack's pid is
 * the pool's own) through a start, requests that reach the database and
 * not, a log reopen (SIGUSR1), a rolling restart (SIGHUP) and a stop: every
 * system call it made is in @system-service, the unit's SystemCallFilter. */
Test(observe, every_syscall_of_the_pool_is_in_the_units_filter, .fini = ps_stop_private,
     .timeout = 180)
{
    if (!have("strace") || !have("systemd-analyze"))
        cr_skip_test("strace or systemd-analyze is not installed");
    char bin_dir[] = "/tmp/warden-strace-XXXXXX", path[128], trace[128], cwd[512];
    const char *real = getenv("WARDEN_BIN_DIR");

    cr_assert_not_null(mkdtemp(bin_dir));
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(trace, sizeof trace, "%s/trace", bin_dir);
    {
        char script[2048];

        snprintf(path, sizeof path, "%s/warden", bin_dir);
        snprintf(script, sizeof script,
                 "#!/bin/sh\nexec strace -D -f -q -o '%s' '%s/%s/warden' \"$@\"\n", trace,
                 real && *real == '/' ? "" : cwd, real && *real ? real : "build/release");
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(script, f);
        fclose(f);
        chmod(path, 0700);
        char target[1024];
        snprintf(target, sizeof target, "%s/%s/wardenctl", real && *real == '/' ? "" : cwd,
                 real && *real ? real : "build/release");
        snprintf(path, sizeof path, "%s/wardenctl", bin_dir);
        cr_assert_eq(symlink(target, path), 0, "%s", strerror(errno));
    }
    setenv("WARDEN_BIN_DIR", bin_dir, 1);
    ps_start_private(NULL);
    const char *paths[] = {"/healthz", "/status?format=prometheus", "/api/v6/users/@me", "/livez"};
    for (size_t i = 0; i < 4; i++) {
        struct http_response r;
        char *url = http_url(ps_stack.url, "%s", paths[i]);

        cr_assert_eq(http_get(url, &r), 0, "%s: %s", url, r.error);
        cr_assert(r.status == 200 || r.status == 401, "%s: %ld", paths[i], r.status);
        http_response_free(&r);
        free(url);
    }
    kill(ps_stack.pool_pid, SIGUSR1);
    kill(ps_stack.pool_pid, SIGHUP);
    cr_assert(wait_until(logged, "rolling restart: 2 new workers serving", WAIT_LONG_MS),
              "the rolling restart did not finish");
    pid_t pool = ps_stack.pool_pid;
    ps_finish_private();
    {
        /* The tracer writes the master's end last, once it has exited (or
         * was killed: a stop that takes too long under load ends in SIGKILL;
         * the trace is complete either way). */
        struct trace_end want;
        snprintf(want.path, sizeof want.path, "%s", trace);
        snprintf(want.exited, sizeof want.exited, "\n%d +++ exited with ", (int)pool);
        snprintf(want.killed, sizeof want.killed, "\n%d +++ killed by ", (int)pool);
        cr_assert(wait_until(trace_ended, &want, WAIT_LONG_MS), "the trace does not show the pool's end");
    }

    char cmd[1024], *out = NULL;
    /* The calls in the trace ("pid name(args) = ..."), less those of the
     * filter set (the groups expanded), one per line. */
    snprintf(cmd, sizeof cmd,
             "expand() { systemd-analyze syscall-filter \"$1\" | sed -n '2,$p' | "
             "sed 's/^ *//' | grep -v '^#' | grep -v '^$' | while read s; do "
             "case $s in @*) expand \"$s\";; *) echo \"$s\";; esac; done; }; "
             "expand @system-service | sort -u > '%s/allowed' && "
             "sed -n 's/^[0-9]* *\\([a-z_0-9]*\\)(.*/\\1/p' '%s' | sort -u > '%s/used' && "
             "test -s '%s/used' && comm -23 '%s/used' '%s/allowed'",
             bin_dir, trace, bin_dir, bin_dir, bin_dir, bin_dir);
    const char *argv[] = {"bash", "-c", cmd, NULL};
    int rc = stack_run(argv, &out);
    stack_remove_dir(bin_dir);
    cr_assert_eq(rc, 0, "the trace could not be read (%d): %s", rc, out);
    cr_assert_str_empty(out, "calls outside @system-service:\n%s", out);
    free(out);
}
