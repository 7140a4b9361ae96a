/*
 * Deployment files: the production nginx site and the systemd units must pass
 * their tools' checks, and the dev config (the one every API test goes
 * through) must behave like production where clients can tell: JSON for
 * nginx's own errors, /status on loopback, the auth rate limit on the auth
 * endpoints only. These hold for any pool behind nginx, so they need no data.
 * warden-relay's unit passes the same checks, its example env file documents
 * every setting and its alert rules pass promtool.
 * The Makefile's side of deployment too: `make install` into a DESTDIR with
 * another PREFIX names that prefix everywhere, and each target's Debian
 * packages are its own (no test package for `make run`, every one for
 * `make test`), installed without touching a running system nginx.
 */
#include <criterion/criterion.h>
#include <dirent.h>
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

/* The site SRC_DIR/SITE (warden.conf, or warden-cluster.conf for several
 * pool hosts) inside a minimal nginx.conf whose every path is in a temp dir;
 * its `listen` lines become one unix socket there, so neither port 80 nor
 * root is needed, and snippets/ (SRC_DIR's warden-http.conf and
 * warden-locations.conf) is the temp dir's own. SRC_DIR is nginx/ in the
 * repository or an installed share/warden/nginx/. */
static void assert_site_passes_nginx_t(const char *src_dir, const char *site_name)
{
    static const char *const snippets[] = {"warden-http.conf", "warden-locations.conf"};
    char dir[64], site_src[PATH_MAX], snippet[PATH_MAX], path[PATH_MAX + 64];
    char *site, *line, *save = NULL, *conf;
    size_t cap, i;
    int listen_seen = 0;
    FILE *out;

    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", src_dir, site_name);
    repo_path(path, site_src);

    snprintf(path, sizeof path, "%s/snippets", dir);
    cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
    for (i = 0; i < sizeof snippets / sizeof *snippets; i++) {
        char rel[PATH_MAX + 64];

        snprintf(rel, sizeof rel, "%s/%s", src_dir, snippets[i]);
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
    cr_assert_gt(listen_seen, 0, "no listen line in %s", site_src);
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

        /* The OpenAPI document: a static file of the site's root, as JSON. */
        url = http_url(base, "/api/openapi.json");
        cr_assert_eq(http_request("GET", url, headers, NULL, 0, &r), 0, "%s: %s", url, r.error);
        type = http_header(&r, "Content-Type");
        cr_expect_eq(r.status, 200, "%s /api/openapi.json: %ld", hosts[i], r.status);
        cr_expect(type && strncmp(type, "application/json", 16) == 0, "%s /api/openapi.json: %s", hosts[i],
                  type ? type : "no Content-Type");
        cr_expect_not_null(strstr(r.body, "\"openapi\": \"3.1.0\""), "%s: not the document", hosts[i]);
        http_response_free(&r);
        free(url);
    }
    stop_debian_nginx();
    stack_remove_dir(dir);
}

Test(deploy, production_site_passes_nginx_t)
{
    assert_site_passes_nginx_t("nginx", "warden.conf");
}

Test(deploy, cluster_site_passes_nginx_t)
{
    assert_site_passes_nginx_t("nginx", "warden-cluster.conf");
}

/* Whether a line of nginx/NAME that is not a comment holds word. */
static bool directive_mentions(const char *name, const char *word)
{
    char path[PATH_MAX], rel[128], *text, *line, *save = NULL;
    bool found = false;

    snprintf(rel, sizeof rel, "nginx/%s", name);
    repo_path(rel, path);
    text = read_file(path);
    for (line = strtok_r(text, "\n", &save); line != NULL && !found; line = strtok_r(NULL, "\n", &save)) {
        const char *p = line + strspn(line, " \t");

        found = *p != '#' && strstr(p, word) != NULL;
    }
    free(text);
    return found;
}

/* The choices nginx/warden-cluster.conf documents, as its directives: every
 * pool host with max_fails and fail_timeout, no kept-alive FastCGI
 * connections, and nothing that lets nginx resend a request a host has
 * received unless it only reads (non_idempotent nowhere; PUT, DELETE and
 * any other method through @warden_api_once, where nothing is passed on).
 * tests/cluster/run exercises them. */
Test(deploy, cluster_site_passes_on_only_what_is_safe)
{
    static const char *const files[] = {"warden-cluster.conf", "warden-http.conf", "warden-locations.conf"};
    char path[PATH_MAX], *site, *locations, *http, *line, *save = NULL;
    int servers = 0;
    size_t i;

    for (i = 0; i < sizeof files / sizeof *files; i++) {
        cr_expect(!directive_mentions(files[i], "non_idempotent"), "%s: non_idempotent", files[i]);
        cr_expect(!directive_mentions(files[i], "keepalive"), "%s: keepalive", files[i]);
        cr_expect(!directive_mentions(files[i], "fastcgi_keep_conn"), "%s: fastcgi_keep_conn", files[i]);
    }
    repo_path("nginx/warden-cluster.conf", path);
    site = read_file(path);
    for (line = strtok_r(site, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *p = line + strspn(line, " \t");

        if (strncmp(p, "server ", 7) == 0 && p[7] != '{') {
            servers++;
            cr_expect_not_null(strstr(p, " max_fails="), "no max_fails: %s", p);
            cr_expect_not_null(strstr(p, " fail_timeout="), "no fail_timeout: %s", p);
        }
    }
    cr_expect_geq(servers, 2, "warden-cluster.conf lists %d pool hosts", servers);
    repo_path("nginx/warden-locations.conf", path);
    locations = read_file(path);
    repo_path("nginx/warden-http.conf", path);
    http = read_file(path);
    cr_expect_not_null(strstr(locations, "location @warden_api_once {\n    fastcgi_pass warden;\n"
                                         "    fastcgi_next_upstream off;\n}"),
                       "no @warden_api_once passing nothing on:\n%s", locations);
    cr_expect_not_null(strstr(http, "map $request_method $warden_api_once {\n    GET     0;\n    HEAD    0;\n"
                                    "    POST    0;\n    PATCH   0;\n    default 1;\n}"),
                       "$warden_api_once is not GET, HEAD, POST and PATCH only:\n%s", http);
    free(site);
    free(locations);
    free(http);
}

static bool systemd_analyze_available(void)
{
    const char *version_argv[] = {"systemd-analyze", "--version", NULL};
    char *ignored = NULL;
    int rc = stack_run(version_argv, &ignored);

    free(ignored);
    return rc == 0;
}

/* A copy in dir of the unit src_dir/name whose exec_start line (the unit's
 * own, e.g. "ExecStart=/usr/local/sbin/warden") names binary instead:
 * systemd-analyze insists that ExecStart exists. Its path into out. */
static void copy_unit(const char *src_dir, const char *name, const char *exec_start, const char *binary,
                      const char *dir, char *out, size_t size)
{
    char src[PATH_MAX + 32];
    char *text, *at, *rewritten;

    snprintf(src, sizeof src, "%s/%s", src_dir, name);
    text = read_file(src);
    snprintf(out, size, "%s/%s", dir, name);
    if (!exec_start) {
        write_file(out, text);
        free(text);
        return;
    }
    at = strstr(text, exec_start);
    cr_assert_not_null(at, "%s has no %s", src, exec_start);
    rewritten = malloc(strlen(text) + strlen(binary) + 16);
    cr_assert_not_null(rewritten);
    sprintf(rewritten, "%.*sExecStart=%s%s", (int)(at - text), text, binary, at + strlen(exec_start));
    write_file(out, rewritten);
    free(rewritten);
    free(text);
}

/* systemd-analyze verify on units; its complaints about them may come with
 * exit status 0 ("..., ignoring"), so any line naming one fails the test. */
static void assert_verify_passes(const char *const *units, const char *const *names)
{
    const char *argv[8] = {"systemd-analyze", "verify"};
    char *output = NULL;
    size_t n = 2;
    int rc;

    for (size_t i = 0; units[i] != NULL && n < 7; i++)
        argv[n++] = units[i];
    argv[n] = NULL;
    rc = stack_run(argv, &output);
    cr_assert_eq(rc, 0, "systemd-analyze verify exited %d:\n%s", rc, output);
    for (size_t i = 0; names[i] != NULL; i++)
        cr_assert(strstr(output, names[i]) == NULL, "systemd-analyze verify complains about %s:\n%s", names[i],
                  output);
    free(output);
}

/* The pool's units SRC_DIR/warden.service and warden.socket, the service's
 * EXEC_START naming POOL. */
static void assert_units_pass_verify(const char *src_dir, const char *exec_start, const char *pool)
{
    char dir[64], service[PATH_MAX + 32], socket_unit[PATH_MAX + 32];

    make_temp_dir(dir, sizeof dir);
    copy_unit(src_dir, "warden.service", exec_start, pool, dir, service, sizeof service);
    copy_unit(src_dir, "warden.socket", NULL, NULL, dir, socket_unit, sizeof socket_unit);
    assert_verify_passes((const char *const[]){service, socket_unit, NULL},
                         (const char *const[]){"warden.service", "warden.socket", NULL});
    stack_remove_dir(dir);
}

/* The relay's unit SRC_DIR/warden-relay.service, EXEC_START naming RELAY. */
static void assert_relay_unit_passes_verify(const char *src_dir, const char *exec_start, const char *relay)
{
    char dir[64], service[PATH_MAX + 32];

    make_temp_dir(dir, sizeof dir);
    copy_unit(src_dir, "warden-relay.service", exec_start, relay, dir, service, sizeof service);
    assert_verify_passes((const char *const[]){service, NULL}, (const char *const[]){"warden-relay.service", NULL});
    stack_remove_dir(dir);
}

/* A program of the build under test (WARDEN_BIN_DIR, else build/release), as an absolute path. */
static void built_program(const char *name, char path[PATH_MAX])
{
    const char *bin_dir = getenv("WARDEN_BIN_DIR");
    char rel[PATH_MAX];

    snprintf(rel, sizeof rel, "%s/%s", bin_dir != NULL && *bin_dir ? bin_dir : "build/release", name);
    repo_path(rel, path);
}

Test(deploy, systemd_units_pass_systemd_analyze_verify)
{
    char pool[PATH_MAX], relay[PATH_MAX];

    if (!systemd_analyze_available())
        cr_skip_test("systemd-analyze is not available");
    built_program("warden", pool);
    assert_units_pass_verify("systemd", "ExecStart=/usr/local/sbin/warden", pool);
    built_program("warden-relay", relay);
    assert_relay_unit_passes_verify("systemd", "ExecStart=/usr/local/sbin/warden-relay", relay);
}

static void assert_has_line(const char *root, const char *file, const char *line);

/* The relay's unit is hardened as the pool's is, with what it needs on top:
 * outbound connections, its own env file, restarts that never give up but
 * pause, and none for a configuration error. */
Test(deploy, relay_unit_is_hardened_and_restarts_with_a_pause)
{
    static const char *const lines[] = {
        "User=warden", "EnvironmentFile=/etc/warden/relay.env", "NoNewPrivileges=yes", "ProtectSystem=strict",
        "PrivateTmp=yes", "PrivateDevices=yes", "SystemCallFilter=@system-service",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "ProtectProc=invisible", "CapabilityBoundingSet=",
        "MemoryDenyWriteExecute=yes", "Restart=always", "RestartSec=5", "StartLimitIntervalSec=0",
        "RestartPreventExitStatus=1 2", NULL,
    };

    for (size_t i = 0; lines[i] != NULL; i++)
        assert_has_line("", "systemd/warden-relay.service", lines[i]);
}

/* Every setting of warden-relay is documented in the example env file, as
 * a line (or a commented-out line) of its own. */
Test(deploy, relay_env_example_documents_every_setting)
{
    static const char *const settings[] = {
        "WARDEN_MONGODB_URI", "WARDEN_RELAY_GATEWAY_URL", "WARDEN_RELAY_GATEWAY_SECRET",
        "WARDEN_RELAY_GATEWAY_SECRET_FILE", "WARDEN_RELAY_GAME_URL", "WARDEN_RELAY_GAME_SECRET",
        "WARDEN_RELAY_GAME_SECRET_FILE", "WARDEN_RELAY_TIMEOUT_MS", "WARDEN_RELAY_BACKOFF_MIN_MS",
        "WARDEN_RELAY_BACKOFF_MAX_MS", "WARDEN_RELAY_MAX_AGE_S", "WARDEN_RELAY_RETENTION_S",
        "WARDEN_RELAY_POLL_MS", "WARDEN_RELAY_LEASE_MS", "WARDEN_RELAY_LATE_MS", "WARDEN_RELAY_SETTLE_MS",
        "WARDEN_RELAY_CONCURRENCY",
        "WARDEN_RELAY_METRICS", "WARDEN_RELAY_ID", NULL,
    };
    static const char *const types[] = {"USER_UPDATE", "USER_DISCONNECT", "GUILD_UPDATE", "GUILD_DELETE", "KICK",
                                        "KILL", "WARP", "DISCONNECT", "MUTE", NULL};
    char *text = read_file("systemd/relay.env.example");

    for (size_t i = 0; settings[i] != NULL; i++) {
        char line[96], commented[100];

        snprintf(line, sizeof line, "\n%s=", settings[i]);
        snprintf(commented, sizeof commented, "\n#%s=", settings[i]);
        cr_expect(strstr(text, line) != NULL || strstr(text, commented) != NULL,
                  "relay.env.example does not document %s", settings[i]);
    }
    cr_expect_not_null(strstr(text, "WARDEN_RELAY_<TYPE>_URL"), "the per-type endpoints are not documented");
    for (size_t i = 0; types[i] != NULL; i++)
        cr_expect_not_null(strstr(text, types[i]), "relay.env.example does not name the type %s", types[i]);
    free(text);
}

/* The relay's alert rules use only the relay's metrics (the contract's
 * names) and pass promtool where it is installed. */
Test(deploy, relay_alert_rules_use_its_metrics_and_pass_promtool)
{
    static const char *const metrics[] = {
        "warden_relay_leader", "warden_relay_delivered_total", "warden_relay_failed_total",
        "warden_relay_retries_total", "warden_relay_skipped_total", "warden_relay_backlog",
        "warden_relay_oldest_pending_seconds", "warden_relay_delivery_latency_seconds", NULL,
    };
    char *rules = read_file("systemd/warden-relay.rules.yml");
    int used = 0;

    for (const char *p = rules; (p = strstr(p, "warden_relay_")) != NULL; used++) {
        char name[96];
        size_t k = 0, i;

        while (k + 1 < sizeof name && (p[k] == '_' || (p[k] >= 'a' && p[k] <= 'z')))
            name[k] = p[k], k++;
        name[k] = '\0';
        p += k;
        for (i = 0; metrics[i] != NULL; i++) {
            size_t n = strlen(metrics[i]);
            if (strncmp(name, metrics[i], n) == 0 &&
                (name[n] == '\0' || strcmp(name + n, "_bucket") == 0 || strcmp(name + n, "_count") == 0))
                break;
        }
        cr_expect_not_null(metrics[i], "the relay's rules use %s, which the relay does not export", name);
    }
    cr_expect_geq(used, 6, "only %d metrics used", used);
    free(rules);
    {
        const char *version_argv[] = {"promtool", "--version", NULL};
        const char *argv[] = {"promtool", "check", "rules", "systemd/warden-relay.rules.yml", NULL};
        char *output = NULL;

        if (stack_run(version_argv, &output) != 0) {
            free(output);
            cr_skip_test("promtool is not installed (Debian package prometheus): rules not checked");
        }
        free(output);
        output = NULL;
        int rc = stack_run(argv, &output);
        cr_expect_eq(rc, 0, "promtool check rules exited %d:\n%s", rc, output);
        free(output);
    }
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

/* --- make install and make deps ------------------------------------------- */

/* Packages that only the tests, the fuzzers and the benchmark need: neither
 * `make` nor `make run` may install any of them. */
/* libcurl4-openssl-dev is not one: warden-relay links libcurl. */
static const char *const test_only_packages[] = {
    "libcriterion-dev", "clang", "libclang-rt-dev", "chromium",
    "npm", "wrk", "strace", "logrotate", "python3", "python3-venv", NULL,
};

/* Every package the full `make test` run uses (chromium's npm aside, which
 * e2e-deps installs when no npm command exists): a fresh machine gets them
 * all from `make test`. */
static const char *const full_test_packages[] = {
    "gcc", "make", "pkg-config", "libfcgi-dev", "libmongoc-dev", "libbson-dev", "libsodium-dev",
    "nginx-light", "curl", "procps", "patch", "libcriterion-dev", "libcurl4-openssl-dev",
    "clang", "libclang-rt-dev", "chromium", "strace", "logrotate", "python3", "python3-venv", NULL,
};

/* A make run from inside a test: the runner's own make (make test) must not
 * lend it its jobserver or its flags. */
static void clear_make_env(void)
{
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    unsetenv("MAKEOVERRIDES");
}

/* "SANITIZE=1" when the suite runs against the sanitizer build, so that
 * `make install` finds its binaries up to date instead of building others. */
static const char *sanitize_arg(void)
{
    const char *bin_dir = getenv("WARDEN_BIN_DIR");

    return bin_dir != NULL && strstr(bin_dir, "asan") != NULL ? "SANITIZE=1" : "SANITIZE=";
}

/* Does the whitespace- or ';'-separated word WORD occur in TEXT? */
static bool has_word(const char *text, const char *word)
{
    size_t len = strlen(word);
    const char *p;

    for (p = strstr(text, word); p != NULL; p = strstr(p + 1, word)) {
        bool starts = p == text || strchr(" \t\n;'\"", p[-1]) != NULL;
        bool ends = p[len] == '\0' || strchr(" \t\n;'\"", p[len]) != NULL;

        if (starts && ends)
            return true;
    }
    return false;
}

/* `make -s print-deps-NAME`: that set's packages, one line (the caller frees it). */
static char *deps_of(const char *name)
{
    char target[64];
    const char *argv[] = {"make", "-s", "--no-print-directory", target, NULL};
    char *output = NULL;
    int rc;

    clear_make_env();
    snprintf(target, sizeof target, "print-deps-%s", name);
    rc = stack_run(argv, &output);
    cr_assert_eq(rc, 0, "make %s exited %d:\n%s", target, rc, output ? output : "");
    cr_assert_gt(strlen(output), 1, "make %s printed nothing", target);
    return output;
}

/* Assert that no regular text file under DIR names /usr/local (binaries,
 * which start with ELF's magic, are skipped). Returns how many files it read. */
static int assert_no_default_prefix(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;

    cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        char *text;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode)) {
            files += assert_no_default_prefix(path);
            continue;
        }
        cr_assert(S_ISREG(st.st_mode), "%s: not a regular file", path);
        files++;
        text = read_file(path);
        if (strncmp(text, "\177ELF", 4) != 0)
            cr_assert_null(strstr(text, "/usr/local"), "%s names /usr/local:\n%s", path, text);
        free(text);
    }
    closedir(d);
    return files;
}

/* Assert that FILE (under ROOT) holds the line LINE (no newline). */
static void assert_has_line(const char *root, const char *file, const char *line)
{
    char path[PATH_MAX + 64], *text, *at;
    size_t len = strlen(line);

    snprintf(path, sizeof path, "%s%s", root, file);
    text = read_file(path);
    for (at = strstr(text, line); at != NULL; at = strstr(at + 1, line)) {
        if ((at == text || at[-1] == '\n') && (at[len] == '\n' || at[len] == '\0'))
            break;
    }
    cr_assert_not_null(at, "%s has no line \"%s\":\n%s", path, line, text);
    free(text);
}

/* Every file of the admin console (nginx/html/admin/) is installed, same bytes. */
static void assert_console_installed(const char *dir, const char *prefix)
{
    char src_dir[PATH_MAX], src[PATH_MAX + 256], dst[PATH_MAX + 512];
    struct dirent *e;
    size_t n = 0;

    repo_path("nginx/html/admin", src_dir);
    DIR *d = opendir(src_dir);
    cr_assert_not_null(d, "%s: %s", src_dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(src, sizeof src, "%s/%s", src_dir, e->d_name);
        snprintf(dst, sizeof dst, "%s%s/share/warden/html/admin/%s", dir, prefix, e->d_name);
        char *want = read_file(src), *got = read_file(dst);
        cr_assert_str_eq(got, want, "%s differs from %s", dst, src);
        free(want);
        free(got);
        n++;
    }
    closedir(d);
    cr_assert_gt(n, 2, "the console has only %zu files in %s", n, src_dir);
}

/* make install into a DESTDIR with PREFIX: every installed file that names a
 * path names that prefix, and the installed unit and site pass their tools. */
static void assert_install_with_prefix(const char *prefix)
{
    char dir[64], destdir_arg[96], prefix_arg[PATH_MAX], path[PATH_MAX + 128], line[PATH_MAX + 64];
    const char *argv[] = {"make", "-s", "--no-print-directory", "install", destdir_arg, prefix_arg,
                          sanitize_arg(), NULL};
    static const char *const installed[] = {
        "/sbin/warden", "/sbin/warden-relay", "/bin/wardenctl", "/share/warden/html/invite_register.html",
        "/share/warden/html/openapi.json", "/share/warden/html/index.html",
        "/share/warden/html/admin/index.html",
        "/share/warden/nginx/warden.conf", "/share/warden/nginx/warden-cluster.conf",
        "/share/warden/nginx/warden-http.conf", "/share/warden/nginx/warden-locations.conf", NULL,
    };
    size_t i;

    clear_make_env();
    make_temp_dir(dir, sizeof dir);
    snprintf(destdir_arg, sizeof destdir_arg, "DESTDIR=%s", dir);
    snprintf(prefix_arg, sizeof prefix_arg, "PREFIX=%s", prefix);
    assert_command_ok(argv);

    for (i = 0; installed[i] != NULL; i++) {
        snprintf(path, sizeof path, "%s%s%s", dir, prefix, installed[i]);
        cr_assert_eq(access(path, R_OK), 0, "%s: %s", path, strerror(errno));
    }
    assert_console_installed(dir, prefix);
    snprintf(path, sizeof path, "%s%s/sbin/warden", dir, prefix);
    cr_assert_eq(access(path, X_OK), 0, "%s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s%s/sbin/warden-relay", dir, prefix);
    cr_assert_eq(access(path, X_OK), 0, "%s: %s", path, strerror(errno));
    /* Both env files, 0640 (secrets are in them). */
    for (i = 0; i < 2; i++) {
        struct stat st;

        snprintf(path, sizeof path, "%s/etc/warden/%s", dir, i ? "relay.env" : "warden.env");
        cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
        cr_expect_eq(st.st_mode & 07777, 0640, "%s: mode %o", path, (unsigned)(st.st_mode & 07777));
    }
    if (strcmp(prefix, "/usr/local") != 0)
        cr_assert_gt(assert_no_default_prefix(dir), 10, "fewer files installed than expected");

    snprintf(line, sizeof line, "ExecStart=%s/sbin/warden", prefix);
    assert_has_line(dir, "/lib/systemd/system/warden.service", line);
    snprintf(line, sizeof line, "ExecStart=%s/sbin/warden-relay", prefix);
    assert_has_line(dir, "/lib/systemd/system/warden-relay.service", line);
    assert_has_line(dir, "/etc/warden/relay.env", "WARDEN_RELAY_GATEWAY_URL=");
    snprintf(line, sizeof line, "    root %s/share/warden/html;", prefix);
    snprintf(path, sizeof path, "%s/share/warden/nginx/warden.conf", prefix);
    assert_has_line(dir, path, line);
    snprintf(path, sizeof path, "%s/share/warden/nginx/warden-cluster.conf", prefix);
    assert_has_line(dir, path, line);

    snprintf(path, sizeof path, "%s%s/share/warden/nginx", dir, prefix);
    assert_site_passes_nginx_t(path, "warden.conf");
    assert_site_passes_nginx_t(path, "warden-cluster.conf");
    if (systemd_analyze_available()) {
        char units[PATH_MAX], pool[PATH_MAX + 64];

        snprintf(units, sizeof units, "%s/lib/systemd/system", dir);
        snprintf(pool, sizeof pool, "%s%s/sbin/warden", dir, prefix);
        snprintf(line, sizeof line, "ExecStart=%s/sbin/warden", prefix);
        assert_units_pass_verify(units, line, pool);
        snprintf(pool, sizeof pool, "%s%s/sbin/warden-relay", dir, prefix);
        snprintf(line, sizeof line, "ExecStart=%s/sbin/warden-relay", prefix);
        assert_relay_unit_passes_verify(units, line, pool);
    }

    /* Installing again keeps the env files as the operator edited them. */
    snprintf(path, sizeof path, "%s/etc/warden/relay.env", dir);
    {
        FILE *f = fopen(path, "a");

        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        fputs("WARDEN_RELAY_ID=edited-by-the-operator\n", f);
        fclose(f);
    }
    assert_command_ok(argv);
    assert_has_line(dir, "/etc/warden/relay.env", "WARDEN_RELAY_ID=edited-by-the-operator");
    stack_remove_dir(dir);
}

Test(deploy, install_with_prefix_opt_names_it_everywhere, .timeout = 120)
{
    assert_install_with_prefix("/opt/warden");
}

Test(deploy, install_with_prefix_usr_names_it_everywhere, .timeout = 120)
{
    assert_install_with_prefix("/usr");
}

/* `make` and `make run` install nothing that only the tests, the fuzzers or
 * the benchmark use; `make test` installs everything the full run uses. */
Test(deploy, run_packages_hold_no_test_package)
{
    static const char *const sets[] = {"build", "run", NULL};
    size_t s, i;

    for (s = 0; sets[s] != NULL; s++) {
        char *deps = deps_of(sets[s]);

        for (i = 0; test_only_packages[i] != NULL; i++)
            cr_assert(!has_word(deps, test_only_packages[i]), "deps-%s installs %s: %s", sets[s],
                      test_only_packages[i], deps);
        free(deps);
    }
}

/* `make` builds warden-relay, which links libcurl: its headers are a build
 * package (the pool and wardenctl do not link it). */
Test(deploy, build_packages_hold_the_relays_libcurl)
{
    char *build = deps_of("build");

    cr_assert(has_word(build, "libcurl4-openssl-dev"), "deps-build lacks libcurl4-openssl-dev: %s", build);
    free(build);
}

Test(deploy, test_packages_hold_everything_the_full_run_uses)
{
    char *test = deps_of("test"), *run = deps_of("run"), *bench = deps_of("bench");
    char *fuzz = deps_of("fuzz"), *all = deps_of("all");
    char *word, *save = NULL;
    size_t i;

    for (i = 0; full_test_packages[i] != NULL; i++) {
        cr_assert(has_word(test, full_test_packages[i]), "deps-test lacks %s: %s", full_test_packages[i], test);
        cr_assert(has_word(all, full_test_packages[i]), "make deps lacks %s: %s", full_test_packages[i], all);
    }
    cr_assert(has_word(bench, "wrk") && has_word(all, "wrk"), "wrk: bench %s, all %s", bench, all);
    /* make bench loads the admin console in Chromium (its first usable paint). */
    cr_assert(has_word(bench, "chromium"), "chromium: bench %s", bench);
    cr_assert(has_word(fuzz, "clang") && has_word(fuzz, "libclang-rt-dev"), "deps-fuzz: %s", fuzz);
    /* Every run package is a bench and a test package too. */
    for (word = strtok_r(run, " \n", &save); word != NULL; word = strtok_r(NULL, " \n", &save)) {
        cr_assert(has_word(test, word), "deps-test lacks run's %s", word);
        cr_assert(has_word(bench, word), "deps-bench lacks run's %s", word);
    }
    free(test);
    free(run);
    free(bench);
    free(fuzz);
    free(all);
}

/* What `make run`, `make` and `make install` would do (make -n): the run
 * packages at most, never a test-only one; no apt-get for the last two. */
Test(deploy, make_run_and_install_plan_no_test_package, .timeout = 60)
{
    static const char *const targets[] = {"run", "all", "install", NULL};
    size_t t, i;

    clear_make_env();
    for (t = 0; targets[t] != NULL; t++) {
        const char *argv[] = {"make", "-n", "--no-print-directory", targets[t], sanitize_arg(),
                              "DESTDIR=/nonexistent", NULL};
        char *output = NULL;
        int rc = stack_run(argv, &output);

        cr_assert_eq(rc, 0, "make -n %s exited %d:\n%s", targets[t], rc, output);
        for (i = 0; test_only_packages[i] != NULL; i++)
            cr_assert(!has_word(output, test_only_packages[i]), "make -n %s names %s:\n%s", targets[t],
                      test_only_packages[i], output);
        if (strcmp(targets[t], "run") == 0)
            cr_assert(has_word(output, "nginx-light") && strstr(output, "apt-get") != NULL,
                      "make -n run does not install the run packages:\n%s", output);
        else
            cr_assert_null(strstr(output, "apt-get"), "make -n %s runs apt-get:\n%s", targets[t], output);
        free(output);
    }
}

/* make deps with a system nginx running: stand-ins for dpkg-query (every
 * package installed but $MISSING), apt-get and systemctl (nginx "active")
 * record what they are asked. apt-get installs only what is missing, and
 * nobody asks systemctl (or service) anything. */
Test(deploy, deps_leaves_a_running_system_nginx_alone, .timeout = 60)
{
    static const char *const fakes[][2] = {
        {"dpkg-query", "#!/bin/sh\nfor p; do :; done\ncase \" $MISSING \" in *\" $p \"*) exit 1 ;; esac\n"
                       "echo 'install ok installed'\n"},
        {"apt-get", "#!/bin/sh\necho \"apt-get $*\" >>\"$FAKE_LOG\"\n"},
        {"systemctl", "#!/bin/sh\necho \"systemctl $*\" >>\"$FAKE_LOG\"\n"},
        {"service", "#!/bin/sh\necho \"service $*\" >>\"$FAKE_LOG\"\n"},
    };
    static const struct {
        const char *target, *expect;
    } runs[] = {
        {"deps-run", "apt-get install -y -q --no-install-recommends curl\n"},
        {"deps", "apt-get install -y -q --no-install-recommends curl wrk\n"},
        {"deps-test", "apt-get install -y -q --no-install-recommends curl\n"},
    };
    char dir[64], bin[128], log[128], path[PATH_MAX + 256], *makefile;
    size_t i;

    make_temp_dir(dir, sizeof dir);
    snprintf(bin, sizeof bin, "%s/bin", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    cr_assert_eq(mkdir(bin, 0700), 0, "mkdir %s: %s", bin, strerror(errno));
    for (i = 0; i < sizeof fakes / sizeof *fakes; i++) {
        snprintf(path, sizeof path, "%s/%s", bin, fakes[i][0]);
        write_file(path, fakes[i][1]);
        cr_assert_eq(chmod(path, 0700), 0, "chmod %s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH"));
    cr_assert_eq(setenv("PATH", path, 1), 0);
    cr_assert_eq(setenv("FAKE_LOG", log, 1), 0);
    cr_assert_eq(setenv("MISSING", "curl wrk", 1), 0);
    clear_make_env();

    for (i = 0; i < sizeof runs / sizeof *runs; i++) {
        const char *argv[] = {"make", "-s", "--no-print-directory", runs[i].target, NULL};
        char *text;

        write_file(log, "");
        assert_command_ok(argv);
        text = read_file(log);
        cr_assert_not_null(strstr(text, "apt-get update -q\n"), "make %s:\n%s", runs[i].target, text);
        cr_assert_not_null(strstr(text, runs[i].expect), "make %s:\n%s", runs[i].target, text);
        cr_assert_null(strstr(text, "systemctl"), "make %s asks systemctl:\n%s", runs[i].target, text);
        cr_assert_null(strstr(text, "service "), "make %s asks service:\n%s", runs[i].target, text);
        free(text);
    }
    /* Nothing missing: no apt-get at all (and so no root needed). */
    cr_assert_eq(setenv("MISSING", "", 1), 0);
    {
        const char *argv[] = {"make", "-s", "--no-print-directory", "deps", NULL};
        char *text;

        write_file(log, "");
        assert_command_ok(argv);
        text = read_file(log);
        cr_assert_str_empty(text, "make deps with nothing missing:\n%s", text);
        free(text);
    }
    makefile = read_file("Makefile");
    cr_assert_null(strstr(makefile, "systemctl"), "the Makefile calls systemctl");
    free(makefile);
    stack_remove_dir(dir);
}
