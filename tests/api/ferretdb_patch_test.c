/*
 * ferretdb_patch: Warden's FerretDB patch set (tools/ferretdb/patches/, see
 * tools/ferretdb/README.md) against the release it patches.
 *
 * Each test starts its own FerretDB processes (SQLite backend, a temporary
 * directory, a free loopback port, as tools/stack starts them) and talks to
 * them with mongoc directly; the shared stack is not used. The patched
 * FerretDB is $WARDEN_FERRETDB (default build/ferretdb/ferretdb), the stock
 * one $WARDEN_FERRETDB_STOCK (default build/ferretdb-stock/ferretdb; `make
 * test` builds both).
 *
 *   explain_*       every access path of Warden's store (tools/ferretdb/README.md)
 *                   is served by an index on the patched FerretDB: the SQLite
 *                   plan that `explain` reports has no SCAN of the table, and
 *                   no temporary B-tree where the sort is pushed down.
 *   same_results_*  stock and patched FerretDB given the same documents (every
 *                   numeric type and edge value, strings with escapes, control
 *                   and non-ASCII characters, ObjectIDs, other types) and the
 *                   same reads and writes answer the same: same documents in
 *                   the same order, same counts, same final contents.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <mongoc/mongoc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/fixtures.h"
#include "support/stack.h"
#include "support/wait.h"

#define DB_NAME "patchtest"

/* --- FerretDB processes --------------------------------------------------- */

struct fdb {
    pid_t pid;
    int port;
    char dir[256];
    char bin[512];
    mongoc_client_t *client;
};

static bool port_accepts(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;

    if (fd >= 0)
        close(fd);
    return ok;
}

static bool port_bindable(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;

    if (fd >= 0)
        close(fd);
    return ok;
}

static void fdb_print_log(const struct fdb *f)
{
    char path[300], line[512];
    snprintf(path, sizeof path, "%s/log", f->dir);
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return;
    fprintf(stderr, "--- %s\n", path);
    while (fgets(line, sizeof line, in) != NULL)
        fputs(line, stderr);
    fclose(in);
}

/* A FerretDB child that is starting: up once its port accepts, or gone. */
struct fdb_starting {
    pid_t pid;
    int port;
    bool exited;
};

static bool fdb_up_or_gone(void *ctx)
{
    struct fdb_starting *st = ctx;
    int status;

    if (waitpid(st->pid, &status, WNOHANG) == st->pid) {
        st->exited = true;
        return true;
    }
    return port_accepts(st->port);
}

/* Whether the child *pid has exited (and is reaped). */
static bool reaped(void *ctx)
{
    pid_t pid = *(pid_t *)ctx;

    return waitpid(pid, NULL, WNOHANG) == pid;
}

/* Start the FerretDB named by env (default def) on a free port in a new
 * temporary directory, and connect a client to it. */
static void fdb_start(struct fdb *f, const char *env, const char *def)
{
    const char *bin = getenv(env);
    const char *tmp = getenv("TMPDIR");

    memset(f, 0, sizeof *f);
    snprintf(f->bin, sizeof f->bin, "%s", bin != NULL && *bin != '\0' ? bin : def);
    cr_assert(access(f->bin, X_OK) == 0, "%s (%s) is not an executable: run make ferretdb ferretdb-stock",
              f->bin, env);
    snprintf(f->dir, sizeof f->dir, "%s/warden-fdbpatch-XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    cr_assert(mkdtemp(f->dir) != NULL, "mkdtemp: %s", strerror(errno));
    srand((unsigned)getpid() ^ (unsigned)time(NULL));

    for (int attempt = 0; attempt < 10; attempt++) {
        /* below Linux's ephemeral range, as tools/stack picks them */
        int port = 20000 + rand() % 12768;
        if (!port_bindable(port))
            continue;

        char url[300], state[300], listen[64], log[300];
        snprintf(url, sizeof url, "--sqlite-url=file:%s/db/", f->dir);
        snprintf(state, sizeof state, "--state-dir=%s/state", f->dir);
        snprintf(listen, sizeof listen, "--listen-addr=127.0.0.1:%d", port);
        snprintf(log, sizeof log, "%s/log", f->dir);
        char sub[300];
        snprintf(sub, sizeof sub, "%s/db", f->dir);
        mkdir(sub, 0700);
        snprintf(sub, sizeof sub, "%s/state", f->dir);
        mkdir(sub, 0700);

        pid_t parent = getpid();
        pid_t pid = fork();
        cr_assert(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            /* Gone with the test, even if it is killed before fdb_stop. */
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
                _exit(127);
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
            int null = open("/dev/null", O_RDONLY);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            if (null >= 0)
                dup2(null, 0);
            execl(f->bin, f->bin, "--handler=sqlite", url, state, listen, "--telemetry=disable",
                  "--debug-addr=-", "--log-level=warn", (char *)NULL);
            _exit(127);
        }

        struct fdb_starting st = {pid, port, false};
        if (wait_until(fdb_up_or_gone, &st, WAIT_LONG_MS) && !st.exited) {
            char uri[128];
            f->pid = pid;
            f->port = port;
            snprintf(uri, sizeof uri,
                     "mongodb://127.0.0.1:%d/" DB_NAME "?serverSelectionTimeoutMS=10000", port);
            f->client = fx_db_open(uri, NULL);
            return;
        }
        if (!st.exited) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
    }
    fdb_print_log(f);
    cr_assert_fail("%s did not start", f->bin);
}

static void fdb_stop(struct fdb *f)
{
    fx_db_close(f->client, NULL);
    f->client = NULL;
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        if (!wait_until(reaped, &f->pid, 10000)) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, NULL, 0);
        }
        f->pid = 0;
    }
    if (f->dir[0] != '\0' && getenv("WARDEN_KEEP_STACK") == NULL)
        stack_remove_dir(f->dir);
}

static mongoc_collection_t *coll(const struct fdb *f, const char *name)
{
    return mongoc_client_get_collection(f->client, DB_NAME, name);
}

/* --- _id values --------------------------------------------------------------- */

enum kind { K_I64, K_I32, K_DBL, K_STR, K_OID, K_NULL, K_BOOL, K_DATE, K_BIN, K_DOC, K_TS };

struct idv {
    enum kind k;
    int64_t i;
    double d;
    const char *s; /* K_STR, K_BIN (slen bytes, may hold NUL), K_OID (24 hex digits) */
    size_t slen;
};

#define I64(v) {.k = K_I64, .i = (v)}
#define I32(v) {.k = K_I32, .i = (v)}
#define DBL(v) {.k = K_DBL, .d = (v)}
#define STR(v) {.k = K_STR, .s = (v), .slen = sizeof(v) - 1}
#define OID(v) {.k = K_OID, .s = (v)}

static void append_idv(bson_t *b, const char *key, const struct idv *v)
{
    bson_oid_t oid;
    bson_t sub;

    switch (v->k) {
    case K_I64: BSON_APPEND_INT64(b, key, v->i); break;
    case K_I32: BSON_APPEND_INT32(b, key, (int32_t)v->i); break;
    case K_DBL: BSON_APPEND_DOUBLE(b, key, v->d); break;
    case K_STR: bson_append_utf8(b, key, -1, v->s, (int)v->slen); break;
    case K_OID: bson_oid_init_from_string(&oid, v->s); BSON_APPEND_OID(b, key, &oid); break;
    case K_NULL: BSON_APPEND_NULL(b, key); break;
    case K_BOOL: BSON_APPEND_BOOL(b, key, v->i != 0); break;
    case K_DATE: BSON_APPEND_DATE_TIME(b, key, v->i); break;
    case K_BIN: bson_append_binary(b, key, -1, BSON_SUBTYPE_BINARY, (const uint8_t *)v->s, (uint32_t)v->slen); break;
    case K_TS: BSON_APPEND_TIMESTAMP(b, key, (uint32_t)v->i, 1); break;
    case K_DOC:
        BSON_APPEND_DOCUMENT_BEGIN(b, key, &sub);
        BSON_APPEND_INT64(&sub, "a", v->i);
        bson_append_document_end(b, &sub);
        break;
    }
}

#define POW2_53 9007199254740992LL
#define POW2_60 1152921504606846976LL

/* _id values stored in the "plain" collection: numbers, strings and ObjectIDs
 * whose order the patched FerretDB serves from its index. */
static const struct idv plain_ids[] = {
    I64(0), I64(1), I64(2), I64(-7), I64(42), I64(1000), I64(POW2_53 - 1), I64(POW2_53), I64(POW2_53 + 1),
    I64(POW2_60), I64(POW2_60 + 1), I64(INT64_MAX), I64(INT64_MIN), I64(1190748396741468160LL),
    I32(3), I32(-8), I32(INT32_MAX), I32(INT32_MIN),
    DBL(4.0), DBL(1.5), DBL(-2.25), DBL(0.1), DBL(1e-7), DBL(123456.789), DBL(9007199254740994.0),
    DBL(3e18), DBL(9223372036854775808.0), DBL(1e21), DBL(-1e40),
    STR(""), STR("a"), STR("a "), STR("a!"), STR("a\""), STR("a\\"), STR("a<"), STR("a>"), STR("a&"),
    STR("a\x01"), STR("a\t"), STR("a\n"), STR("a\x7f"), STR("\xc3\xa9"), STR("\xe6\x97\xa5\xe6\x9c\xac"),
    STR("\xf0\x9f\x98\x80"), STR("ab"), STR("abc"), STR("abc:"), STR("abc:1"), STR("abc:10"), STR("abc:2"),
    STR("abc:\xc3\xa9"), STR("abc:~"), STR("abc;"), STR("abd"), STR("b"), STR("~"), STR("A"), STR("Z"),
    STR("5f0000000000000000000001"), STR("a\x00" "b"), STR("u\xe2\x80\xa8"),
    OID("5f0000000000000000000002"), OID("000000000000000000000000"), OID("ffffffffffffffffffffffff"),
};

/* _id values added to them in the "mix" collection: values equal to stored
 * ones under another type (rejected as duplicates, or not), doubles far out,
 * and types whose order the index does not give (binData: by length first,
 * while the stored base64 text puts "//8=" before "AA=="). */
static const struct idv mix_ids[] = {
    I32(42), DBL(42.0), DBL(-0.0), DBL(0.0), I32(0), DBL(9007199254740992.0), DBL(1152921504606846976.0),
    DBL(1e300), DBL(-1e-300), DBL(5e-324), DBL(1e100), OID("5f0000000000000000000001"), STR("5f0000000000000000000002"),
    {.k = K_NULL}, {.k = K_BOOL, .i = 1}, {.k = K_BOOL, .i = 0}, {.k = K_DATE, .i = 1700000000000LL},
    {.k = K_DATE, .i = 42}, {.k = K_BIN, .s = "\xff\xff", .slen = 2}, {.k = K_BIN, .s = "", .slen = 1}, {.k = K_DOC, .i = 1}, {.k = K_TS, .i = 7},
};

/* Values looked up that are stored under another type, or not at all. */
static const struct idv probe_ids[] = {
    I32(1), DBL(1.0), DBL(2.0), I64(3), DBL(3.0), I64(4), I32(4), DBL(-7.0), I32(42), DBL(42.0),
    DBL(9007199254740992.0), DBL(9007199254740993.0), I64(9007199254740994LL), DBL(1152921504606846976.0),
    DBL(-0.0), DBL(0.0), I32(0), I64(5), DBL(1.25), DBL(NAN), DBL(INFINITY), DBL(-INFINITY),
    I64(3000000000000000000LL), DBL(9223372036854775807.0), STR("missing"), STR("abc:3"),
    OID("5f0000000000000000000001"), STR("5f0000000000000000000002"), OID("5f0000000000000000000003"),
    {.k = K_NULL}, {.k = K_BOOL, .i = 1}, {.k = K_DATE, .i = 42},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- running the same thing on both ------------------------------------------- */

struct pair {
    struct fdb stock, patched;
    int compared, mismatches;
};

static struct pair P;

static void mismatch(const char *what, const char *detail_fmt, ...)
{
    va_list ap;
    char detail[8192];

    va_start(ap, detail_fmt);
    vsnprintf(detail, sizeof detail, detail_fmt, ap);
    va_end(ap);
    P.mismatches++;
    if (P.mismatches <= 30)
        fprintf(stderr, "ferretdb_patch: stock and patched differ on %s:\n%s\n", what, detail);
}

struct result {
    char **docs;
    size_t n, cap;
    bool failed;
    uint32_t code;
};

static void result_free(struct result *r)
{
    for (size_t i = 0; i < r->n; i++)
        bson_free(r->docs[i]);
    free(r->docs);
    memset(r, 0, sizeof *r);
}

static void result_add(struct result *r, const bson_t *doc)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->docs = realloc(r->docs, r->cap * sizeof *r->docs);
        cr_assert(r->docs != NULL);
    }
    r->docs[r->n++] = bson_as_canonical_extended_json(doc, NULL);
}

static void run_find(struct fdb *f, const char *c, const bson_t *filter, const bson_t *opts,
                     struct result *r)
{
    mongoc_collection_t *col = coll(f, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(col, filter, opts, NULL);
    const bson_t *doc;
    bson_error_t e;

    while (mongoc_cursor_next(cur, &doc))
        result_add(r, doc);
    if (mongoc_cursor_error(cur, &e)) {
        r->failed = true;
        r->code = e.code;
    }
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(col);
}

/* The numeric value of a document's _id, if it is a number. */
static bool doc_num_id(const char *json, long double *out)
{
    bson_t *b = bson_new_from_json((const uint8_t *)json, -1, NULL);
    bson_iter_t it;
    bool ok = false;

    if (b != NULL && bson_iter_init_find(&it, b, "_id")) {
        switch (bson_iter_type(&it)) {
        case BSON_TYPE_INT32: *out = bson_iter_int32(&it); ok = true; break;
        case BSON_TYPE_INT64: *out = (long double)bson_iter_int64(&it); ok = true; break;
        case BSON_TYPE_DOUBLE: *out = bson_iter_double(&it); ok = true; break;
        default: break;
        }
    }
    bson_destroy(b);
    return ok;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* MongoDB has no two equal _ids, but FerretDB's unique index is on _id's text,
 * so 0 and -0.0, or an Int64 above 2^53 and the double of equal value, can
 * both be stored; stock sorts with Go's sort.Sort, which is not stable, so
 * the order of such equal _ids is unspecified: put runs of them in one order
 * before comparing sorted results. */
static void normalise_ties(struct result *r)
{
    size_t i = 0;
    while (i < r->n) {
        long double v, w;
        size_t j = i + 1;
        if (doc_num_id(r->docs[i], &v))
            while (j < r->n && doc_num_id(r->docs[j], &w) && w == v)
                j++;
        if (j - i > 1)
            qsort(r->docs + i, j - i, sizeof *r->docs, cmp_str);
        i = j;
    }
}

static void compare_results(const char *what, struct result *a, struct result *b)
{
    P.compared++;
    if (a->failed != b->failed || (a->failed && a->code != b->code)) {
        mismatch(what, "stock %s (%u), patched %s (%u)", a->failed ? "failed" : "succeeded", a->code,
                 b->failed ? "failed" : "succeeded", b->code);
        return;
    }
    if (a->n != b->n) {
        mismatch(what, "stock returned %zu documents (first %s), patched %zu (first %s)", a->n,
                 a->n ? a->docs[0] : "-", b->n, b->n ? b->docs[0] : "-");
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->docs[i], b->docs[i]) != 0) {
            mismatch(what, "document %zu: stock %s, patched %s", i, a->docs[i], b->docs[i]);
            return;
        }
    }
}

/* find filter with sort {_id: sort} (0: none) and limit on both. */
static void both_find(const char *c, const bson_t *filter, int sort, int64_t limit)
{
    bson_t opts = BSON_INITIALIZER;
    struct result a = {0}, b = {0};
    char *fj = bson_as_canonical_extended_json(filter, NULL);
    char what[4096];

    if (sort != 0) {
        bson_t s;
        BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &s);
        BSON_APPEND_INT32(&s, "_id", sort);
        bson_append_document_end(&opts, &s);
    }
    if (limit != 0)
        BSON_APPEND_INT64(&opts, "limit", limit);
    snprintf(what, sizeof what, "%s: find %s sort %d limit %lld", c, fj, sort, (long long)limit);
    run_find(&P.stock, c, filter, &opts, &a);
    run_find(&P.patched, c, filter, &opts, &b);
    if (sort != 0) {
        normalise_ties(&a);
        normalise_ties(&b);
    }
    compare_results(what, &a, &b);
    result_free(&a);
    result_free(&b);
    bson_free(fj);
    bson_destroy(&opts);
}

/* Every document of c, in table order, on both. */
static void both_contents(const char *c, const char *when)
{
    bson_t empty = BSON_INITIALIZER;
    struct result a = {0}, b = {0};
    char what[256];

    snprintf(what, sizeof what, "%s: contents %s", c, when);
    run_find(&P.stock, c, &empty, NULL, &a);
    run_find(&P.patched, c, &empty, NULL, &b);
    compare_results(what, &a, &b);
    result_free(&a);
    result_free(&b);
}

/* Insert one document with the given _id into both; both must accept it or
 * both reject it with the same code. */
static void both_insert(const char *c, const struct idv *id, int n)
{
    bson_t doc = BSON_INITIALIZER;
    bson_error_t e1, e2;

    append_idv(&doc, "_id", id);
    BSON_APPEND_INT32(&doc, "n", n);
    BSON_APPEND_UTF8(&doc, "tag", n % 3 == 0 ? "x" : "y");
    BSON_APPEND_INT32(&doc, "grp", n % 5);

    mongoc_collection_t *a = coll(&P.stock, c), *b = coll(&P.patched, c);
    bool ok1 = mongoc_collection_insert_one(a, &doc, NULL, NULL, &e1);
    bool ok2 = mongoc_collection_insert_one(b, &doc, NULL, NULL, &e2);
    char *j = bson_as_canonical_extended_json(&doc, NULL);
    char what[1024];

    snprintf(what, sizeof what, "%s: insert %s", c, j);
    P.compared++;
    if (ok1 != ok2 || (!ok1 && e1.code != e2.code))
        mismatch(what, "stock %s (%s), patched %s (%s)", ok1 ? "ok" : "error", ok1 ? "" : e1.message,
                 ok2 ? "ok" : "error", ok2 ? "" : e2.message);
    bson_free(j);
    mongoc_collection_destroy(a);
    mongoc_collection_destroy(b);
    bson_destroy(&doc);
}

/* A write command's outcome: the reply with what differs between servers removed. */
static char *write_outcome(bool ok, const bson_t *reply, const bson_error_t *e)
{
    if (!ok)
        return bson_strdup_printf("error %u", e->code);
    bson_t clean = BSON_INITIALIZER;
    bson_copy_to_excluding_noinit(reply, &clean, "lastErrorObject_unused", "ok", "$clusterTime",
                                  "operationTime", NULL);
    char *j = bson_as_canonical_extended_json(&clean, NULL);
    bson_destroy(&clean);
    return j;
}

enum write_op { W_UPDATE_ONE, W_UPDATE_MANY, W_DELETE_ONE, W_DELETE_MANY, W_FAM_UPDATE, W_FAM_REMOVE };

static void both_write(const char *c, enum write_op op, const bson_t *filter, int value)
{
    char *out[2];
    struct fdb *fs[2] = {&P.stock, &P.patched};
    char *fj = bson_as_canonical_extended_json(filter, NULL);
    char what[4096];
    static const char *names[] = {"update_one", "update_many", "delete_one", "delete_many",
                                  "findAndModify update", "findAndModify remove"};

    for (int i = 0; i < 2; i++) {
        mongoc_collection_t *col = coll(fs[i], c);
        bson_t reply, update = BSON_INITIALIZER, set;
        bson_error_t e;
        bool ok = false;

        BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
        BSON_APPEND_INT32(&set, "u", value);
        bson_append_document_end(&update, &set);

        switch (op) {
        case W_UPDATE_ONE: ok = mongoc_collection_update_one(col, filter, &update, NULL, &reply, &e); break;
        case W_UPDATE_MANY: ok = mongoc_collection_update_many(col, filter, &update, NULL, &reply, &e); break;
        case W_DELETE_ONE: ok = mongoc_collection_delete_one(col, filter, NULL, &reply, &e); break;
        case W_DELETE_MANY: ok = mongoc_collection_delete_many(col, filter, NULL, &reply, &e); break;
        case W_FAM_UPDATE:
        case W_FAM_REMOVE: {
            mongoc_find_and_modify_opts_t *o = mongoc_find_and_modify_opts_new();
            if (op == W_FAM_UPDATE) {
                mongoc_find_and_modify_opts_set_update(o, &update);
                mongoc_find_and_modify_opts_set_flags(o, MONGOC_FIND_AND_MODIFY_RETURN_NEW);
            } else {
                mongoc_find_and_modify_opts_set_flags(o, MONGOC_FIND_AND_MODIFY_REMOVE);
            }
            ok = mongoc_collection_find_and_modify_with_opts(col, filter, o, &reply, &e);
            mongoc_find_and_modify_opts_destroy(o);
            break;
        }
        }
        out[i] = write_outcome(ok, &reply, &e);
        bson_destroy(&reply);
        bson_destroy(&update);
        mongoc_collection_destroy(col);
    }
    snprintf(what, sizeof what, "%s: %s %s", c, names[op], fj);
    P.compared++;
    if (strcmp(out[0], out[1]) != 0)
        mismatch(what, "stock %s\npatched %s", out[0], out[1]);
    bson_free(out[0]);
    bson_free(out[1]);
    bson_free(fj);
}

/* --- filters ---------------------------------------------------------------------- */

static void filter_eq(bson_t *f, const struct idv *v, bool op_eq, bool extra)
{
    bson_init(f);
    if (op_eq) {
        bson_t e;
        BSON_APPEND_DOCUMENT_BEGIN(f, "_id", &e);
        append_idv(&e, "$eq", v);
        bson_append_document_end(f, &e);
    } else {
        append_idv(f, "_id", v);
    }
    if (extra)
        BSON_APPEND_UTF8(f, "tag", "x");
}

/* {_id: {op1: v1[, op2: v2]}}[, tag: "x"] */
static void filter_range(bson_t *f, const char *op1, const struct idv *v1, const char *op2,
                         const struct idv *v2, bool extra)
{
    bson_t r;
    bson_init(f);
    BSON_APPEND_DOCUMENT_BEGIN(f, "_id", &r);
    append_idv(&r, op1, v1);
    if (op2 != NULL)
        append_idv(&r, op2, v2);
    bson_append_document_end(f, &r);
    if (extra)
        BSON_APPEND_UTF8(f, "tag", "x");
}

static void filter_in(bson_t *f, const struct idv *vs, size_t n)
{
    bson_t r, arr;
    char key[24];
    bson_init(f);
    BSON_APPEND_DOCUMENT_BEGIN(f, "_id", &r);
    BSON_APPEND_ARRAY_BEGIN(&r, "$in", &arr);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%zu", i);
        append_idv(&arr, key, &vs[i]);
    }
    bson_append_array_end(&r, &arr);
    bson_append_document_end(f, &r);
}

/* --- correctness -------------------------------------------------------------------- */

static void pair_start(void)
{
    memset(&P, 0, sizeof P);
    fdb_start(&P.stock, "WARDEN_FERRETDB_STOCK", "build/ferretdb-stock/ferretdb");
    fdb_start(&P.patched, "WARDEN_FERRETDB", "build/ferretdb/ferretdb");
}

static void pair_stop(void)
{
    fdb_stop(&P.stock);
    fdb_stop(&P.patched);
}

/* Fill c with the given _ids plus 150 "abc:NNN" keys and 150 Int64 ids, in a
 * shuffled order (so that table order is not _id order). */
static void seed(const char *c, const struct idv *const *sets, const size_t *lens, size_t nsets)
{
    enum { EXTRA = 300 };
    static char keys[150][16];
    size_t total = EXTRA, k = 0;
    for (size_t s = 0; s < nsets; s++)
        total += lens[s];
    struct idv *all = calloc(total, sizeof *all);
    cr_assert(all != NULL);
    for (size_t s = 0; s < nsets; s++)
        for (size_t i = 0; i < lens[s]; i++)
            all[k++] = sets[s][i];
    for (int i = 0; i < 150; i++) {
        snprintf(keys[i], sizeof keys[i], "abc:%03d", (i * 37) % 150);
        all[k++] = (struct idv){.k = K_STR, .s = keys[i], .slen = strlen(keys[i])};
        all[k++] = (struct idv){.k = K_I64, .i = 1190748396741468160LL + (int64_t)((i * 53) % 150) * 4096};
    }
    srand(12345);
    for (size_t i = total - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1);
        struct idv t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    for (size_t i = 0; i < total; i++)
        both_insert(c, &all[i], (int)i);
    free(all);
    both_contents(c, "after the inserts");
}

/* The reads; all of them, or (after the writes) all but the one-sided ranges. */
static void check_reads(const char *c, bool all)
{
    static const int sorts[] = {0, 1, -1};
    static const int64_t limits[] = {0, 1, 3, 64};
    bson_t f;

    /* equality on every stored and probed value, with and without an extra field */
    const struct idv *sets[] = {plain_ids, mix_ids, probe_ids};
    const size_t lens[] = {N(plain_ids), N(mix_ids), N(probe_ids)};
    for (size_t s = 0; s < N(sets); s++) {
        for (size_t i = 0; i < lens[s]; i++) {
            for (int variant = 0; variant < 4; variant++) {
                filter_eq(&f, &sets[s][i], variant & 1, variant & 2);
                both_find(c, &f, 0, variant == 0 ? 1 : 0);
                bson_destroy(&f);
            }
        }
    }

    /* string ranges, as prefix walks do, and a few more */
    static const struct idv lo[] = {STR("abc:"), STR("abc:"), STR("a"), STR(""), STR("a"), STR("a "),
                                    STR("abc"), STR("abc:1"), STR("\xc3\xa0"), STR("A")};
    static const struct idv hi[] = {STR("abc;"), STR("abc:\xf4\x8f\xbf\xbf"), STR("b"), STR("\xf4\x8f\xbf\xbf"),
                                    STR("a\""), STR("a#"), STR("abd"), STR("abc:2"), STR("\xc4\x80"), STR("a")};
    static const char *ops[][2] = {{"$gte", "$lt"}, {"$gt", "$lte"}, {"$gte", "$lte"}, {"$gt", "$lt"}};
    for (size_t i = 0; i < N(lo); i++)
        for (size_t o = 0; o < N(ops); o++)
            for (size_t si = 0; si < N(sorts); si++)
                for (size_t li = 0; li < N(limits); li++) {
                    filter_range(&f, ops[o][0], &lo[i], ops[o][1], &hi[i], false);
                    both_find(c, &f, sorts[si], limits[li]);
                    bson_destroy(&f);
                    if (o == 0) {
                        filter_range(&f, ops[o][0], &lo[i], ops[o][1], &hi[i], true);
                        both_find(c, &f, sorts[si], limits[li]);
                        bson_destroy(&f);
                    }
                }

    /* one-sided ranges: strings and numbers of every type */
    static const struct idv bounds[] = {
        STR("abc:"), STR("a"), STR(""), STR("~"), I64(INT64_MIN), I64(-8), I64(0), I64(1), I64(POW2_53 - 1),
        I64(POW2_53), I64(POW2_60 - 1), I64(POW2_60), I64(1190748396741468160LL + 4096 * 70), I64(INT64_MAX),
        I32(0), I32(3), DBL(-0.0), DBL(0.05), DBL(1.5), DBL(9007199254740993.0), DBL(1152921504606846976.0),
        DBL(1e19), DBL(1e30), DBL(1e60), DBL(-1e60), DBL(1e-60), DBL(INFINITY), DBL(-INFINITY), DBL(NAN),
        {.k = K_DATE, .i = 0}, OID("000000000000000000000000"),
    };
    static const char *ops1[] = {"$gt", "$gte", "$lt", "$lte"};
    for (size_t i = 0; all && i < N(bounds); i++)
        for (size_t o = 0; o < N(ops1); o++)
            for (size_t si = 0; si < N(sorts); si++)
                for (size_t li = 0; li < N(limits); li += 1 + (li == 1)) {
                    filter_range(&f, ops1[o], &bounds[i], NULL, NULL, li == 3);
                    both_find(c, &f, sorts[si], limits[li]);
                    bson_destroy(&f);
                }

    /* mixed-type bounds, which are not pushed down */
    static const struct idv five = I64(5), x = STR("x");
    filter_range(&f, "$gt", &five, "$lt", &x, false);
    both_find(c, &f, 1, 10);
    bson_destroy(&f);

    /* the whole collection, or other fields only, in _id order */
    for (size_t si = 0; si < N(sorts); si++)
        for (size_t li = 0; li < N(limits); li++) {
            bson_init(&f);
            both_find(c, &f, sorts[si], limits[li]);
            bson_destroy(&f);
            bson_init(&f);
            BSON_APPEND_UTF8(&f, "tag", "x");
            both_find(c, &f, sorts[si], limits[li]);
            bson_destroy(&f);
        }

    /* $in: Int64s (some missing), strings, everything stored or probed */
    struct idv in[220];
    for (int i = 0; i < 200; i++)
        in[i] = (struct idv){.k = K_I64, .i = 1190748396741468160LL + (int64_t)i * 2048};
    filter_in(&f, in, 200);
    for (size_t si = 0; si < N(sorts); si++) {
        both_find(c, &f, sorts[si], 0);
        both_find(c, &f, sorts[si], 5);
    }
    bson_destroy(&f);
    static char keys[200][16];
    for (int i = 0; i < 200; i++) {
        snprintf(keys[i], sizeof keys[i], "abc:%03d", 199 - i);
        in[i] = (struct idv){.k = K_STR, .s = keys[i], .slen = strlen(keys[i])};
    }
    filter_in(&f, in, 200);
    both_find(c, &f, 0, 0);
    both_find(c, &f, 1, 10);
    bson_destroy(&f);
    for (size_t s = 0; s < N(sets); s++) {
        filter_in(&f, sets[s], lens[s]);
        both_find(c, &f, 0, 0);
        both_find(c, &f, -1, 0);
        bson_destroy(&f);
    }
}

static void check_writes(const char *c)
{
    bson_t f;
    int value = 1;

    /* by _id, also through an equal value of another type, and with an extra field */
    const struct idv *sets[] = {plain_ids, probe_ids, mix_ids};
    const size_t lens[] = {N(plain_ids), N(probe_ids), N(mix_ids)};
    for (size_t s = 0; s < N(sets); s++)
        for (size_t i = 0; i < lens[s]; i++) {
            filter_eq(&f, &sets[s][i], false, i % 2 == 1);
            both_write(c, (enum write_op)(i % 3 == 2 ? W_FAM_UPDATE : W_UPDATE_ONE), &f, value++);
            bson_destroy(&f);
        }
    both_contents(c, "after the updates by _id");

    /* ranges: which document update_one and findAndModify take first */
    static const struct idv lo = STR("abc:"), hi = STR("abc;"), n0 = I64(0);
    filter_range(&f, "$gte", &lo, "$lt", &hi, false);
    both_write(c, W_UPDATE_ONE, &f, value++);
    both_write(c, W_FAM_UPDATE, &f, value++);
    both_write(c, W_UPDATE_MANY, &f, value++);
    bson_destroy(&f);
    filter_range(&f, "$gt", &n0, NULL, NULL, true);
    both_write(c, W_UPDATE_ONE, &f, value++);
    bson_destroy(&f);
    both_contents(c, "after the updates by range");

    /* deletes: by _id (one, many, findAndModify), by range, by $in */
    for (size_t i = 0; i < N(probe_ids); i += 2) {
        filter_eq(&f, &probe_ids[i], false, false);
        both_write(c, (enum write_op)(i % 3 == 0 ? W_DELETE_ONE : i % 3 == 1 ? W_DELETE_MANY : W_FAM_REMOVE), &f, 0);
        bson_destroy(&f);
    }
    for (size_t i = 0; i < N(plain_ids); i += 3) {
        filter_eq(&f, &plain_ids[i], false, i % 2 == 1);
        both_write(c, i % 2 ? W_DELETE_MANY : W_DELETE_ONE, &f, 0);
        bson_destroy(&f);
    }
    filter_range(&f, "$gte", &lo, "$lt", &hi, false);
    both_write(c, W_DELETE_ONE, &f, 0);
    bson_destroy(&f);
    filter_range(&f, "$gte", &lo, "$lt", &hi, true);
    both_write(c, W_DELETE_MANY, &f, 0);
    bson_destroy(&f);
    both_contents(c, "after the deletes by _id and range");
    filter_range(&f, "$gte", &lo, "$lt", &hi, false);
    both_write(c, W_DELETE_MANY, &f, 0);
    bson_destroy(&f);
    filter_in(&f, mix_ids, N(mix_ids));
    both_write(c, W_DELETE_MANY, &f, 0);
    bson_destroy(&f);
    both_contents(c, "after the deletes");
    check_reads(c, false);
}

static void report(void)
{
    fprintf(stderr, "ferretdb_patch: %d comparisons, %d mismatches\n", P.compared, P.mismatches);
    cr_expect_gt(P.compared, 1000);
    cr_assert_eq(P.mismatches, 0, "stock and patched FerretDB differ %d times in %d comparisons (above)",
                 P.mismatches, P.compared);
}

Test(ferretdb_patch, same_results_on_numbers_strings_and_objectids)
{
    pair_start();
    const struct idv *sets[] = {plain_ids};
    const size_t lens[] = {N(plain_ids)};
    seed("plain", sets, lens, 1);
    check_reads("plain", true);
    check_writes("plain");
    pair_stop();
    report();
}

Test(ferretdb_patch, same_results_with_mixed_types_and_duplicates)
{
    pair_start();
    const struct idv *sets[] = {plain_ids, mix_ids};
    const size_t lens[] = {N(plain_ids), N(mix_ids)};
    seed("mix", sets, lens, 2);
    check_reads("mix", true);
    check_writes("mix");
    pair_stop();
    report();
}

/* --- explain -------------------------------------------------------------------------- */

static struct fdb X;

static void explain_seed(void)
{
    enum { DOCS = 3000 };
    mongoc_collection_t *col = coll(&X, "c");
    bson_t *docs[DOCS];
    bson_error_t e;

    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < DOCS; i++) {
            char key[32];
            docs[i] = bson_new();
            switch (pass) {
            case 0: BSON_APPEND_INT64(docs[i], "_id", 1190748396741468160LL + (int64_t)i * 4096); break;
            case 1:
                snprintf(key, sizeof key, "%s:%05d", i % 2 ? "abc" : "zzz", i);
                BSON_APPEND_UTF8(docs[i], "_id", key);
                break;
            case 2: {
                bson_oid_t oid;
                bson_oid_init(&oid, NULL);
                BSON_APPEND_OID(docs[i], "_id", &oid);
                break;
            }
            }
            BSON_APPEND_UTF8(docs[i], "tag", i % 3 ? "y" : "x");
            BSON_APPEND_INT32(docs[i], "n", i);
        }
        cr_assert(mongoc_collection_insert_many(col, (const bson_t **)docs, DOCS, NULL, NULL, &e), "%s",
                  e.message);
        for (int i = 0; i < DOCS; i++)
            bson_destroy(docs[i]);
    }
    mongoc_collection_destroy(col);
}

/* explain find filter_json (extended JSON) with sort {_id: sort} (0: none)
 * and limit; fail unless the plan is served by an index (an ordered SCAN of
 * the _id order index only if scan_ok: for find {} sorted by _id), and, if
 * sorted, unless the sort is pushed down without a temporary B-tree. */
static void expect_indexed(const char *what, const char *filter_json, int sort, int64_t limit, bool scan_ok)
{
    bson_error_t e;
    bson_t *filter = bson_new_from_json((const uint8_t *)filter_json, -1, &e);
    bson_t cmd = BSON_INITIALIZER, find, s, reply;
    bson_iter_t it, plan;

    cr_assert(filter != NULL, "%s: %s", filter_json, e.message);
    BSON_APPEND_DOCUMENT_BEGIN(&cmd, "explain", &find);
    BSON_APPEND_UTF8(&find, "find", "c");
    BSON_APPEND_DOCUMENT(&find, "filter", filter);
    if (sort != 0) {
        BSON_APPEND_DOCUMENT_BEGIN(&find, "sort", &s);
        BSON_APPEND_INT32(&s, "_id", sort);
        bson_append_document_end(&find, &s);
    }
    if (limit != 0)
        BSON_APPEND_INT64(&find, "limit", limit);
    bson_append_document_end(&cmd, &find);

    bool ok = mongoc_client_command_simple(X.client, DB_NAME, &cmd, NULL, &reply, &e);
    cr_assert(ok, "%s: explain failed: %s", what, e.message);
    char *rj = bson_as_relaxed_extended_json(&reply, NULL);

    bool indexed = false, scan = false, temp_sort = false;
    cr_assert(bson_iter_init(&it, &reply) && bson_iter_find_descendant(&it, "queryPlanner.Plan", &plan) &&
                  BSON_ITER_HOLDS_ARRAY(&plan) && bson_iter_recurse(&plan, &it),
              "%s: no plan in %s", what, rj);
    while (bson_iter_next(&it)) {
        const char *line = bson_iter_utf8(&it, NULL);
        const char *detail = strstr(line, "detail=");
        cr_assert(detail != NULL, "%s: %s", what, line);
        detail += strlen("detail=");
        if (strncmp(detail, "SEARCH ", 7) == 0 &&
            (strstr(detail, " USING INDEX ") != NULL || strstr(detail, " USING COVERING INDEX ") != NULL))
            indexed = true;
        else if (strncmp(detail, "SCAN ", 5) == 0) {
            if (scan_ok && strstr(detail, " USING INDEX ") != NULL && strstr(detail, "_ferretdb_id_order") != NULL)
                indexed = true;
            else
                scan = true;
        }
        if (strstr(detail, "TEMP B-TREE FOR ORDER BY") != NULL)
            temp_sort = true;
    }
    cr_expect(indexed && !scan, "%s (find %s): the plan is not index-served: %s", what, filter_json, rj);
    if (sort != 0) {
        bool pushed = bson_iter_init_find(&it, &reply, "sortPushdown") && bson_iter_as_bool(&it);
        cr_expect(pushed && !temp_sort, "%s (find %s sort %d): the sort is not served by the index: %s", what,
                  filter_json, sort, rj);
    }
    if (strcmp(filter_json, "{}") != 0) {
        bool pushed = bson_iter_init_find(&it, &reply, "filterPushdown") && bson_iter_as_bool(&it);
        cr_expect(pushed, "%s: filterPushdown is false: %s", what, rj);
    }
    bson_free(rj);
    bson_destroy(&reply);
    bson_destroy(&cmd);
    bson_destroy(filter);
}

Test(ferretdb_patch, explain_every_store_access_path_is_index_served)
{
    fdb_start(&X, "WARDEN_FERRETDB", "build/ferretdb/ferretdb");
    explain_seed();

    /* 1. find by _id (limit 1), every _id type, with and without other fields */
    expect_indexed("Int64 _id", "{\"_id\": {\"$numberLong\": \"1190748396741472256\"}}", 0, 1, false);
    expect_indexed("Int32 _id", "{\"_id\": {\"$numberInt\": \"7\"}}", 0, 1, false);
    expect_indexed("double _id", "{\"_id\": {\"$numberDouble\": \"1190748396741472256\"}}", 0, 1, false);
    expect_indexed("string _id", "{\"_id\": \"abc:00005\"}", 0, 1, false);
    expect_indexed("ObjectID _id", "{\"_id\": {\"$oid\": \"5f0000000000000000000001\"}}", 0, 1, false);
    expect_indexed("_id and another field", "{\"_id\": \"abc:00005\", \"tag\": \"x\", \"n\": 5}", 0, 1, false);
    expect_indexed("Int64 _id and another field",
                   "{\"_id\": {\"$numberLong\": \"1190748396741472256\"}, \"tag\": \"x\"}", 0, 1, false);
    expect_indexed("$eq", "{\"_id\": {\"$eq\": {\"$numberLong\": \"1190748396741472256\"}}}", 0, 1, false);

    /* 2. the filters of update_one, delete_one, delete_many and findAndModify by _id
     * (their handlers query the backend with the filter as find does; the
     * update's and delete's own SQL are by _id through the _id_ index) */
    expect_indexed("update/delete/findAndModify by _id", "{\"_id\": \"abc:00007\"}", 0, 0, false);
    expect_indexed("update/delete by _id and another field",
                   "{\"_id\": {\"$numberLong\": \"1190748396741472256\"}, \"tag\": \"y\"}", 0, 0, false);

    /* 3. string ranges with sort and limit, also with other fields; delete_many by range */
    expect_indexed("prefix walk", "{\"_id\": {\"$gte\": \"abc:\", \"$lt\": \"abc;\"}}", 1, 64, false);
    expect_indexed("prefix walk, next page", "{\"_id\": {\"$gt\": \"abc:00101\", \"$lt\": \"abc;\"}}", 1, 64, false);
    expect_indexed("highest key under a prefix", "{\"_id\": {\"$gte\": \"abc:\", \"$lt\": \"abc;\"}}", -1, 1, false);
    expect_indexed("highest key, $lte", "{\"_id\": {\"$gt\": \"abc:\", \"$lte\": \"abc:~\"}}", -1, 1, false);
    expect_indexed("prefix walk with another field",
                   "{\"_id\": {\"$gte\": \"abc:\", \"$lt\": \"abc;\"}, \"tag\": \"x\"}", 1, 64, false);
    expect_indexed("delete_many by range", "{\"_id\": {\"$gte\": \"abc:\", \"$lt\": \"abc;\"}}", 0, 0, false);

    /* 4. Int64 walks */
    expect_indexed("Int64 walk, first page", "{}", 1, 64, true);
    expect_indexed("Int64 walk, next page", "{\"_id\": {\"$gt\": {\"$numberLong\": \"1190748396741472256\"}}}", 1, 64,
                   false);
    expect_indexed("Int64 walk backwards", "{}", -1, 64, true);

    /* 5. $in of Int64s and of strings, 200 values */
    char in_json[16384];
    size_t off = (size_t)snprintf(in_json, sizeof in_json, "{\"_id\": {\"$in\": [");
    for (int i = 0; i < 200; i++)
        off += (size_t)snprintf(in_json + off, sizeof in_json - off, "%s{\"$numberLong\": \"%lld\"}", i ? ", " : "",
                                1190748396741468160LL + (long long)i * 4096 * 7);
    snprintf(in_json + off, sizeof in_json - off, "]}}");
    expect_indexed("$in of 200 Int64s", in_json, 0, 0, false);
    off = (size_t)snprintf(in_json, sizeof in_json, "{\"_id\": {\"$in\": [");
    for (int i = 0; i < 200; i++)
        off += (size_t)snprintf(in_json + off, sizeof in_json - off, "%s\"abc:%05d\"", i ? ", " : "", i * 11);
    snprintf(in_json + off, sizeof in_json - off, "]}}");
    expect_indexed("$in of 200 strings", in_json, 0, 0, false);

    fdb_stop(&X);
}
