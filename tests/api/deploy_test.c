/*
 * Deployment files: the production nginx site and the systemd units must pass
 * their tools' checks, and the dev config (the one every API test goes
 * through) must behave like production where clients can tell: JSON for
 * nginx's own errors, /status on loopback, the auth rate limit on the auth
 * endpoints only. These hold for any pool behind nginx, so they need no data.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/http.h"
#include "support/stack.h"
#include "support/wait.h"

/* As many parallel logins as the API suites fire at once. */
#define DEPLOY_PARALLEL 50

/* A test's own stack, for tests that break it on purpose; stopped by the
 * test, or by the fixture if an assertion ends the test first. */
static struct stack private_stack;

static void stop_private_stack(void)
{
    stack_stop(&private_stack);
}

static const char *nginx_bin(void)
{
    const char *nginx = getenv("NGINX");

    return nginx != NULL && *nginx != '\0' ? nginx : "/usr/sbin/nginx";
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long len;

    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    buf = malloc((size_t)len + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len, "%s: short read", path);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fputs(text, f) >= 0 && fclose(f) == 0, 1, "%s: write failed", path);
}

static void make_temp_dir(char *buf, size_t size)
{
    snprintf(buf, size, "/tmp/warden-deploy-XXXXXX");
    cr_assert_not_null(mkdtemp(buf), "mkdtemp: %s", strerror(errno));
}

/* Absolute path of an existing file, given relative to the current
 * directory (tests run from the repository's root). buf holds PATH_MAX. */
static void repo_path(const char *rel, char *buf)
{
    char cwd[PATH_MAX];

    cr_assert_not_null(getcwd(cwd, sizeof cwd), "getcwd: %s", strerror(errno));
    if (rel[0] == '/')
        snprintf(buf, PATH_MAX, "%s", rel);
    else
        cr_assert_lt(snprintf(buf, PATH_MAX, "%s/%s", cwd, rel), PATH_MAX, "path too long: %s", rel);
    cr_assert_eq(access(buf, F_OK), 0, "%s: %s", buf, strerror(errno));
}

/* Run argv; assert exit 0, showing its output if not. */
static void assert_command_ok(const char *const *argv)
{
    char *output = NULL;
    int rc = stack_run(argv, &output);

    cr_assert_eq(rc, 0, "%s exited %d:\n%s", argv[0], rc, output ? output : "");
    free(output);
}

static void assert_json_error(const struct http_response *r, long status)
{
    const char *type = http_header(r, "Content-Type");
    char expect[32];

    cr_assert_eq(r->status, status, "status %ld, body: %s", r->status, r->body);
    cr_assert_not_null(type, "no Content-Type");
    cr_assert_eq(strncmp(type, "application/json", 16), 0, "Content-Type: %s", type);
    snprintf(expect, sizeof expect, "\"status\": %ld", status);
    cr_assert_not_null(strstr(r->body, expect), "body: %s", r->body);
    cr_assert_not_null(strstr(r->body, "\"error\": true"), "body: %s", r->body);
    cr_assert_not_null(strstr(r->body, "\"Message\": "), "body: %s", r->body);
}

static const char *shared_url(void)
{
    const char *url = stack_shared_url();

    cr_assert_not_null(url, "%s is not set: run this through tests/api's main", STACK_SHARED_URL_ENV);
    return url;
}

/* --- the files pass their tools' checks ---------------------------------- */

/* nginx/warden.conf inside a minimal nginx.conf whose every path is in a temp
 * dir; its `listen` lines become one unix socket there, so neither port 80
 * nor root is needed, and snippets/ (warden-http.conf, warden-locations.conf)
 * is the temp dir's own. */
Test(deploy, production_site_passes_nginx_t)
{
    static const char *const snippets[] = {"warden-http.conf", "warden-locations.conf"};
    char dir[64], site_src[PATH_MAX], snippet[PATH_MAX], path[PATH_MAX + 64];
    char *site, *line, *save = NULL, *conf;
    size_t cap, i;
    int listen_seen = 0;
    FILE *out;

    make_temp_dir(dir, sizeof dir);
    repo_path("nginx/warden.conf", site_src);

    snprintf(path, sizeof path, "%s/snippets", dir);
    cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
    for (i = 0; i < sizeof snippets / sizeof *snippets; i++) {
        char rel[64];

        snprintf(rel, sizeof rel, "nginx/%s", snippets[i]);
        repo_path(rel, snippet);
        snprintf(path, sizeof path, "%s/snippets/%s", dir, snippets[i]);
        cr_assert_eq(symlink(snippet, path), 0, "symlink %s: %s", path, strerror(errno));
    }

    site = read_file(site_src);
    snprintf(path, sizeof path, "%s/warden.conf", dir);
    out = fopen(path, "w");
    cr_assert_not_null(out);
    for (line = strtok_r(site, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *p = line + strspn(line, " \t");

        if (strncmp(p, "listen ", 7) == 0) {
            if (!listen_seen++)
                fprintf(out, "    listen unix:%s/http.sock;\n", dir);
            continue;
        }
        fprintf(out, "%s\n", line);
    }
    cr_assert_eq(fclose(out), 0);
    cr_assert_gt(listen_seen, 0, "no listen line in nginx/warden.conf");
    free(site);

    cap = 2048 + 8 * strlen(dir);
    conf = malloc(cap);
    cr_assert_not_null(conf);
    snprintf(conf, cap,
             "pid %1$s/nginx.pid;\n"
             "error_log %1$s/error.log;\n"
             "events {}\n"
             "http {\n"
             "    include /etc/nginx/mime.types;\n"
             "    access_log off;\n"
             "    client_body_temp_path %1$s/body;\n"
             "    fastcgi_temp_path %1$s/fastcgi;\n"
             "    proxy_temp_path %1$s/proxy;\n"
             "    scgi_temp_path %1$s/scgi;\n"
             "    uwsgi_temp_path %1$s/uwsgi;\n"
             "    include %1$s/warden.conf;\n"
             "}\n",
             dir);
    snprintf(path, sizeof path, "%s/nginx.conf", dir);
    write_file(path, conf);
    free(conf);

    {
        char prefix[PATH_MAX], err_log[PATH_MAX];
        const char *argv[] = {nginx_bin(), "-t", "-p", prefix, "-c", path, "-e", err_log, NULL};

        snprintf(prefix, sizeof prefix, "%s/", dir);
        snprintf(err_log, sizeof err_log, "%s/error.log", dir);
        assert_command_ok(argv);
    }
    stack_remove_dir(dir);
}

/* --- the site next to Debian's stock layout -------------------------------- */

/* Debian 12's /etc/nginx/sites-available/default as its nginx-common
 * package ships it, less its comments. */
static const char debian_default_site[] =
    "server {\n"
    "\tlisten 80 default_server;\n"
    "\tlisten [::]:80 default_server;\n"
    "\troot /var/www/html;\n"
    "\tindex index.html index.htm index.nginx-debian.html;\n"
    "\tserver_name _;\n"
    "\tlocation / {\n"
    "\t\ttry_files $uri $uri/ =404;\n"
    "\t}\n"
    "}\n";

/* A free loopback TCP port (free when this returns; nginx binds it next). */
static int free_loopback_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind: %s", strerror(errno));
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* text with the lines a test nginx cannot use rewritten: port 80 becomes
 * 127.0.0.1:port (default_server and all), [::]:80 goes (IPv6 may be off
 * here), and, when pool_socket is set (Warden's site), the upstream, the
 * root and the access log point at the shared stack's pool, the checkout's
 * pages and dir. Written to path. */
static void write_site_for_test(const char *text, const char *path, int port, const char *pool_socket,
                                const char *dir)
{
    char *copy = strdup(text), *line, *save = NULL, html[PATH_MAX];
    FILE *out = fopen(path, "w");
    int listens = 0;

    cr_assert_not_null(copy);
    cr_assert_not_null(out, "%s: %s", path, strerror(errno));
    if (pool_socket)
        repo_path("nginx/html", html);
    for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *p = line + strspn(line, " \t");

        if (strncmp(p, "listen [::]:80", 14) == 0)
            continue;
        if (strncmp(p, "listen 80", 9) == 0) {
            fprintf(out, "    listen 127.0.0.1:%d%s\n", port, p + 9);
            listens++;
        } else if (pool_socket && strncmp(p, "server unix:", 12) == 0) {
            fprintf(out, "    server unix:%s;\n", pool_socket);
        } else if (pool_socket && strncmp(p, "root ", 5) == 0) {
            fprintf(out, "    root %s;\n", html);
        } else if (pool_socket && strncmp(p, "access_log ", 11) == 0) {
            fprintf(out, "    access_log %s/warden-access.log warden;\n", dir);
        } else {
            fprintf(out, "%s\n", line);
        }
    }
    cr_assert_eq(fclose(out), 0);
    cr_assert_eq(listens, 1, "%s: %d `listen 80` lines", path, listens);
    free(copy);
}

static pid_t debian_nginx_pid;

static void stop_debian_nginx(void)
{
    if (debian_nginx_pid > 0) {
        kill(debian_nginx_pid, SIGTERM);
        waitpid(debian_nginx_pid, NULL, 0);
        debian_nginx_pid = 0;
    }
}

static bool answered(const struct http_response *r)
{
    return r->status != 0;
}

/* Debian's layout in a temp prefix: nginx.conf as Debian's (its http block
 * includes conf.d/ and sites-enabled/, with snippets/ beside it),
 * Debian's default site and Warden's in sites-enabled/, both on one port.
 * As shipped side by side, nginx -t refuses them (two default servers), which
 * the operator sees; once the default site is removed as README's
 * *Deployment* says, nginx -t passes and a request with any Host, even an IP
 * address, reaches Warden: its /healthz, its pages, its JSON 404. */
Test(deploy, site_next_to_debians_default_site, .fini = stop_debian_nginx, .timeout = 60)
{
    static const char *const snippets[] = {"warden-http.conf", "warden-locations.conf"};
    const char *pool_socket = getenv("WARDEN_TEST_SOCKET");
    char dir[64], src[PATH_MAX], path[PATH_MAX + 64], conf[PATH_MAX + 64], prefix[PATH_MAX],
        err_log[PATH_MAX], base[64];
    const char *check[] = {nginx_bin(), "-t", "-p", prefix, "-c", conf, "-e", err_log, NULL};
    char *text, *output = NULL;
    int port = free_loopback_port(), rc;
    size_t i;

    cr_assert(pool_socket && *pool_socket, "no WARDEN_TEST_SOCKET from the runner");
    make_temp_dir(dir, sizeof dir);
    static const char *const subdirs[] = {"conf.d", "sites-available", "sites-enabled", "snippets"};
    for (i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
    }
    for (i = 0; i < sizeof snippets / sizeof *snippets; i++) {
        char rel[64];

        snprintf(rel, sizeof rel, "nginx/%s", snippets[i]);
        repo_path(rel, src);
        snprintf(path, sizeof path, "%s/snippets/%s", dir, snippets[i]);
        cr_assert_eq(symlink(src, path), 0, "symlink %s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/sites-available/default", dir);
    write_site_for_test(debian_default_site, path, port, NULL, dir);
    repo_path("nginx/warden.conf", src);
    text = read_file(src);
    snprintf(path, sizeof path, "%s/sites-available/warden.conf", dir);
    write_site_for_test(text, path, port, pool_socket, dir);
    free(text);
    static const char *const sites[] = {"default", "warden.conf"};
    for (i = 0; i < sizeof sites / sizeof *sites; i++) {
        char target[96];

        snprintf(target, sizeof target, "../sites-available/%s", sites[i]);
        snprintf(path, sizeof path, "%s/sites-enabled/%s", dir, sites[i]);
        cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path, strerror(errno));
    }

    /* Debian's nginx.conf, its paths in the temp prefix and as a user may run
     * it; as root, `user root;` as the dev stack's, since the pool's socket
     * is the test user's alone (Debian's www-data could not reach it). */
    size_t cap = 2048 + 16 * strlen(dir);
    text = malloc(cap);
    cr_assert_not_null(text);
    snprintf(text, cap,
             "daemon off;\n"
             "%2$s"
             "worker_processes 1;\n"
             "pid %1$s/nginx.pid;\n"
             "error_log %1$s/error.log;\n"
             "events { worker_connections 768; }\n"
             "http {\n"
             "    sendfile on;\n"
             "    tcp_nopush on;\n"
             "    types_hash_max_size 2048;\n"
             "    include /etc/nginx/mime.types;\n"
             "    default_type application/octet-stream;\n"
             "    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;\n"
             "    ssl_prefer_server_ciphers on;\n"
             "    access_log %1$s/access.log;\n"
             "    gzip on;\n"
             "    client_body_temp_path %1$s/body;\n"
             "    fastcgi_temp_path %1$s/fastcgi;\n"
             "    proxy_temp_path %1$s/proxy;\n"
             "    scgi_temp_path %1$s/scgi;\n"
             "    uwsgi_temp_path %1$s/uwsgi;\n"
             "    include %1$s/conf.d/*.conf;\n"
             "    include %1$s/sites-enabled/*;\n"
             "}\n",
             dir, geteuid() == 0 ? "user root;\n" : "");
    snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
    write_file(conf, text);
    free(text);
    snprintf(prefix, sizeof prefix, "%s/", dir);
    snprintf(err_log, sizeof err_log, "%s/error.log", dir);

    /* Dropped next to the default site: refused, loudly. */
    rc = stack_run(check, &output);
    cr_expect_neq(rc, 0, "nginx -t accepted both default servers:\n%s", output ? output : "");
    cr_expect_not_null(output && strstr(output, "duplicate default server"), "nginx -t said:\n%s",
                       output ? output : "");
    free(output);

    /* The README's step: rm sites-enabled/default. */
    snprintf(path, sizeof path, "%s/sites-enabled/default", dir);
    cr_assert_eq(unlink(path), 0);
    assert_command_ok(check);

    debian_nginx_pid = fork();
    cr_assert_geq(debian_nginx_pid, 0, "fork: %s", strerror(errno));
    if (debian_nginx_pid == 0) {
        execl(nginx_bin(), nginx_bin(), "-p", prefix, "-c", conf, "-e", err_log, (char *)NULL);
        _exit(127);
    }
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);

    struct http_response r;
    char *url = http_url(base, "/healthz");
    cr_assert(http_request_until("GET", url, NULL, answered, 10000, &r), "no answer from %s: %s", url, r.error);
    free(url);
    if (r.status != 200) {
        char *log = read_file(err_log);
        cr_expect_eq(r.status, 200, "/healthz: %ld %s\nnginx's error log:\n%s", r.status, r.body, log);
        free(log);
    }
    cr_expect_not_null(strstr(r.body, "\"status\""), "/healthz is not Warden's: %s", r.body);
    http_response_free(&r);

    /* Any Host (a name nobody configured, an address) is Warden's. */
    static const char *const hosts[] = {"Host: 203.0.113.7", "Host: unknown.example.org"};
    for (i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        const char *headers[] = {hosts[i], NULL};

        url = http_url(base, "/");
        cr_assert_eq(http_request("GET", url, headers, NULL, 0, &r), 0, "%s: %s", url, r.error);
        cr_expect_eq(r.status, 200, "%s /: %ld", hosts[i], r.status);
        cr_expect_not_null(strstr(r.body, "invite_register.html"), "%s /: not Warden's page: %s", hosts[i],
                           r.body);
        http_response_free(&r);
        free(url);

        url = http_url(base, "/api/v6/no-such-route");
        cr_assert_eq(http_request("GET", url, headers, NULL, 0, &r), 0, "%s: %s", url, r.error);
        const char *type = http_header(&r, "Content-Type");
        cr_expect_eq(r.status, 404, "%s: %ld %s", hosts[i], r.status, r.body);
        cr_expect(type && strncmp(type, "application/json", 16) == 0, "%s: not Warden's 404: %s", hosts[i],
                  r.body);
        http_response_free(&r);
        free(url);
    }
    stop_debian_nginx();
    stack_remove_dir(dir);
}

/* systemd-analyze insists that ExecStart exists: the units are checked as
 * copies naming the built pool instead of /usr/local/sbin/warden. Its
 * complaints about our units may come with exit status 0 ("..., ignoring"),
 * so any line naming them fails the test. */
Test(deploy, systemd_units_pass_systemd_analyze_verify)
{
    const char *version_argv[] = {"systemd-analyze", "--version", NULL};
    const char *bin_dir = getenv("WARDEN_BIN_DIR");
    char dir[64], pool[PATH_MAX], rel[PATH_MAX], service[PATH_MAX + 32], socket_unit[PATH_MAX + 32];
    char *text, *at, *rewritten, *output = NULL;
    const char *exec_start = "ExecStart=/usr/local/sbin/warden";
    int rc;

    {
        char *ignored = NULL;

        rc = stack_run(version_argv, &ignored);
        free(ignored);
        if (rc != 0)
            cr_skip_test("systemd-analyze is not available");
    }
    snprintf(rel, sizeof rel, "%s/warden", bin_dir != NULL && *bin_dir ? bin_dir : "build/release");
    repo_path(rel, pool);

    make_temp_dir(dir, sizeof dir);
    text = read_file("systemd/warden.service");
    at = strstr(text, exec_start);
    cr_assert_not_null(at, "systemd/warden.service has no %s", exec_start);
    rewritten = malloc(strlen(text) + strlen(pool) + 16);
    cr_assert_not_null(rewritten);
    sprintf(rewritten, "%.*sExecStart=%s%s", (int)(at - text), text, pool, at + strlen(exec_start));
    snprintf(service, sizeof service, "%s/warden.service", dir);
    write_file(service, rewritten);
    free(rewritten);
    free(text);

    text = read_file("systemd/warden.socket");
    snprintf(socket_unit, sizeof socket_unit, "%s/warden.socket", dir);
    write_file(socket_unit, text);
    free(text);

    {
        const char *argv[] = {"systemd-analyze", "verify", service, socket_unit, NULL};

        rc = stack_run(argv, &output);
    }
    cr_assert_eq(rc, 0, "systemd-analyze verify exited %d:\n%s", rc, output);
    cr_assert(strstr(output, "warden.service") == NULL && strstr(output, "warden.socket") == NULL,
              "systemd-analyze verify complains:\n%s", output);
    free(output);
    stack_remove_dir(dir);
}

Test(deploy, dev_template_renders_and_passes_nginx_t)
{
    char dir[64], conf[128], prefix[128], err_log[128];
    const char *render[] = {"tools/stack", "render", "--dir", dir, "--port", "auto", NULL};
    const char *check[] = {nginx_bin(), "-t", "-p", prefix, "-c", conf, "-e", err_log, NULL};
    char *text;

    make_temp_dir(dir, sizeof dir);
    assert_command_ok(render);
    snprintf(conf, sizeof conf, "%s/nginx/nginx.conf", dir);
    snprintf(prefix, sizeof prefix, "%s/nginx/", dir);
    snprintf(err_log, sizeof err_log, "%s/log/nginx-error.log", dir);
    text = read_file(conf);
    {
        /* Placeholders are documented in comments; none may survive elsewhere. */
        char *line, *save = NULL;

        for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
            if (line[strspn(line, " \t")] != '#')
                cr_assert_null(strchr(line, '@'), "unsubstituted placeholder: %s", line);
        }
    }
    free(text);
    assert_command_ok(check);
    stack_remove_dir(dir);
}

/* --- the dev stack behaves like production -------------------------------- */

/* GET path from the shared stack into *r (the caller frees it); assert 200. */
static void get_shared_ok(const char *path, struct http_response *r)
{
    char *url = http_url(shared_url(), "%s", path);

    cr_assert_eq(http_get(url, r), 0, "%s: %s", url, r->error);
    cr_assert_eq(r->status, 200, "%s: status %ld, body: %s", path, r->status, r->body);
    free(url);
}

Test(deploy, healthz_answers_through_nginx)
{
    struct http_response r;
    const char *type;

    get_shared_ok("/healthz", &r);
    type = http_header(&r, "Content-Type");
    cr_assert(type != NULL && strncmp(type, "application/json", 16) == 0, "Content-Type: %s",
              type ? type : "(none)");
    http_response_free(&r);
}

Test(deploy, status_is_served_on_loopback)
{
    struct http_response r;

    get_shared_ok("/status", &r);
    http_response_free(&r);
}

Test(deploy, static_pages_are_served)
{
    struct http_response r;

    get_shared_ok("/", &r);
    cr_assert_not_null(strstr(r.body, "<html"), "body: %s", r.body);
    /* The root leads to the invite page, in that page's style (its accent,
     * its card, its type). */
    cr_assert_not_null(strstr(r.body, "href=\"/invite_register.html\""), "body: %s", r.body);
    struct http_response inv;
    get_shared_ok("/invite_register.html", &inv);
    static const char *const shared_style[] = {
        "--accent: #2450a6;", "main { max-width: 30rem;", "font: 1rem/1.5 system-ui",
        "name=\"viewport\"",
    };
    for (size_t i = 0; i < sizeof shared_style / sizeof *shared_style; i++) {
        cr_expect_not_null(strstr(inv.body, shared_style[i]), "invite page lacks %s", shared_style[i]);
        cr_expect_not_null(strstr(r.body, shared_style[i]), "/ lacks %s", shared_style[i]);
    }
    http_response_free(&inv);
    http_response_free(&r);
}

Test(deploy, oversized_body_is_a_json_413)
{
    const size_t size = 1024 * 1024 + 1;
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct http_response r;
    char *url = http_url(shared_url(), "/api/v6/admin/users");
    char *body = malloc(size);

    cr_assert_not_null(body);
    memset(body, ' ', size);
    cr_assert_eq(http_request("POST", url, headers, body, size, &r), 0, "%s: %s", url, r.error);
    assert_json_error(&r, 413);
    http_response_free(&r);
    free(body);
    free(url);
}

static bool status_502(const struct http_response *r)
{
    return r->status == 502;
}

/* With the pool gone, nginx answers 502 itself: in JSON, on every FastCGI
 * location. A private stack, since this one is broken on purpose. */
Test(deploy, pool_down_is_a_json_502, .fini = stop_private_stack, .timeout = 120)
{
    const char *paths[] = {"/api/v6/users/@me", "/api/oauth/token", "/healthz", "/status"};
    struct stack *s = &private_stack;
    struct http_response r;
    char *url;
    size_t i;

    cr_assert_eq(stack_start(s, NULL), 0, "the private stack did not start");
    cr_assert_eq(kill(s->pool_pid, SIGTERM), 0, "kill %d: %s", (int)s->pool_pid, strerror(errno));
    /* The pool gone: nginx has nobody to pass to (each path is checked below). */
    url = http_url(s->url, "%s", paths[0]);
    http_request_until("GET", url, NULL, status_502, WAIT_LONG_MS, &r);
    http_response_free(&r);
    free(url);
    for (i = 0; i < sizeof paths / sizeof *paths; i++) {
        url = http_url(s->url, "%s", paths[i]);
        cr_assert_eq(http_get(url, &r), 0, "%s: %s", url, r.error);
        cr_assert_eq(r.status, 502, "%s: status %ld", paths[i], r.status);
        assert_json_error(&r, 502);
        http_response_free(&r);
        free(url);
    }
    cr_assert_eq(stack_stop(s), 0);
}

/* The auth endpoints share one per-client budget; nothing else draws on it.
 * A private stack with a budget of one request per minute and a burst of one
 * (nginx refuses burst=0): two requests pass, the next ones are refused. */
Test(deploy, auth_endpoints_are_rate_limited_in_json, .fini = stop_private_stack, .timeout = 120)
{
    const char *limited[] = {"/api/v9/auth/login", "/api/v7/auth/register", "/api/oauth/token"};
    const char *free_paths[] = {"/healthz", "/api/v6/users/@me", "/api/v6/authx", "/api/v5/auth/login"};
    struct stack *s = &private_stack;
    struct http_response r;
    char *url;
    size_t i, round;

    cr_assert_eq(setenv("STACK_AUTH_RATE", "1r/m", 1), 0);
    cr_assert_eq(setenv("STACK_AUTH_BURST", "1", 1), 0);
    cr_assert_eq(stack_start(s, NULL), 0, "the private stack did not start");

    for (i = 0; i < 2; i++) {
        url = http_url(s->url, "/api/v%zu/auth/login", 6 + i);
        cr_assert_eq(http_request("POST", url, NULL, "{}", 2, &r), 0, "%s: %s", url, r.error);
        cr_assert_neq(r.status, 429, "login attempt %zu was limited", i + 1);
        http_response_free(&r);
        free(url);
    }
    for (i = 0; i < sizeof limited / sizeof *limited; i++) {
        url = http_url(s->url, "%s", limited[i]);
        cr_assert_eq(http_request("POST", url, NULL, "{}", 2, &r), 0, "%s: %s", url, r.error);
        assert_json_error(&r, 429);
        http_response_free(&r);
        free(url);
    }
    for (round = 0; round < 3; round++) {
        for (i = 0; i < sizeof free_paths / sizeof *free_paths; i++) {
            url = http_url(s->url, "%s", free_paths[i]);
            cr_assert_eq(http_get(url, &r), 0, "%s: %s", url, r.error);
            cr_assert_neq(r.status, 429, "%s is rate limited", free_paths[i]);
            http_response_free(&r);
            free(url);
        }
    }
    cr_assert_eq(stack_stop(s), 0);
}

struct parallel_login {
    pthread_t thread;
    char *url;
    long status;
    char error[HTTP_ERROR_MAX];
};

static void *parallel_login_run(void *arg)
{
    struct parallel_login *p = arg;
    const char *headers[] = {"Content-Type: application/json", NULL};
    const char body[] = "{\"login\": \"nobody@example.org\", \"password\": \"x\"}";
    struct http_response r;

    if (http_request("POST", p->url, headers, body, sizeof body - 1, &r) != 0)
        memcpy(p->error, r.error, sizeof p->error);
    p->status = r.status;
    http_response_free(&r);
    return NULL;
}

/* The dev stack's auth limit is generous: a burst of parallel logins, as the
 * API suites fire, must reach the pool rather than nginx's 429. */
Test(deploy, dev_auth_limit_lets_parallel_logins_through)
{
    struct parallel_login logins[DEPLOY_PARALLEL];
    size_t i;

    for (i = 0; i < DEPLOY_PARALLEL; i++) {
        logins[i].url = http_url(shared_url(), "/api/v%zu/auth/login", 6 + i % 4);
        logins[i].error[0] = '\0';
        cr_assert_eq(pthread_create(&logins[i].thread, NULL, parallel_login_run, &logins[i]), 0);
    }
    for (i = 0; i < DEPLOY_PARALLEL; i++) {
        pthread_join(logins[i].thread, NULL);
        free(logins[i].url);
    }
    for (i = 0; i < DEPLOY_PARALLEL; i++) {
        cr_assert_str_empty(logins[i].error, "login %zu: %s", i, logins[i].error);
        cr_assert(logins[i].status != 429 && logins[i].status != 502 && logins[i].status != 504,
                  "login %zu: status %ld", i, logins[i].status);
    }
}
