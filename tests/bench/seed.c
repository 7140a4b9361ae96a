/*
 * seed: bulk-load the data set `make bench` measures against, in exactly the
 * shapes the store modules write, and grow it between the bench's passes.
 *
 *   seed --uri URI --out DIR [--users N] [--first K] [--guilds G] [--guild-first K]
 *        [--game-users P] [--game-first K] [--invite] [--procs T] [--batch B]
 *        [--sample-every M]
 *   seed --uri URI --clear-mutes
 *
 * Chat users bu<K>..bu<K+N-1> (six digits: up to bu999999), discriminator
 * K % 9999 + 1 (unique per name, as names are), email bu<K>@bench.invalid.
 * Each user is four kinds of documents, all built by the store's own
 * builders (include/warden/store/users.h, user_search.h): the users
 * document (store_users_build_doc), its email and tag claims
 * (store_users_build_claim with store_users_email_key / store_users_tag_key,
 * collections user_emails and user_tags), the first join ordinal of its
 * name (store_users_build_claim with store_users_join_key, collection
 * username_joins) and its search postings
 * (store_user_search_postings, collection user_grams: six trigrams and the
 * discriminator for an eight-letter name). They go in with unordered
 * insert_many, B users' worth per batch, from T processes at once, each
 * with its own connection and its own snowflake process bits (worker bits
 * 30, which no pool host uses while the bench runs). Every user shares one
 * Argon2id hash computed once per run: a hash costs ~50 ms by design.
 *
 * Needles the bench searches for: "bu0" matches every user up to bu099999
 * (thousands); a full name such as "bu004242" matches exactly one; a digit
 * matches about half of them.
 *
 * Guilds g<K>.. (store_guild_create: the guild, its @everyone role, a text
 * channel, the owner as member, the parts' claims; then two features with
 * store_guild_features_add), owned by the users of the same run; game
 * accounts gu<K>.. each with one offline character gp<K>..
 * (store_game_user_create, store_player_create, which write their name and
 * owner claims); with --invite, one unlimited instance invite
 * (store_invite_create). Everything but the users goes through the public
 * store functions, so it cannot drift from what the pool writes.
 *
 * Output, appended to DIR, one record a line, in name order:
 *   users.txt      "<id> <username>"
 *   sample.txt     "<id> <chat token>" for every user whose number is a
 *                  multiple of M (default 50): the targets of GET /users/@me
 *                  and PATCH, spread evenly over the whole data set; the
 *                  tokens are minted with WARDEN_SECRET, as the pool does
 *   guilds.txt     "<id>"
 *   game_users.txt "<guid> <name>"
 *   invites.txt    "<code>"
 * and one line on stdout:
 *   SEED_RESULT users=N guilds=G game_users=P documents=D seconds=S
 *
 * --clear-mutes deletes every mute record (the game scenario's leftovers:
 * a run stops with some targets muted, and muting a muted user is a 400).
 */
#include <errno.h>
#include <mongoc/mongoc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "warden/store/db.h"
#include "warden/guid.h"
#include "warden/log.h"
#include "warden/password.h"
#include "warden/snowflake.h"
#include "warden/store.h"
#include "warden/store/game.h"
#include "warden/store/guilds.h"
#include "warden/store/invites.h"
#include "warden/store/user_search.h"
#include "warden/store/users.h"
#include "warden/token.h"
#include "warden/mem.h"
#include "warden/clock.h"
#include "warden/doc.h"
#include "warden/valid.h"

/* Snowflake worker bits of the seeder's processes: pool hosts use their
 * host id (0 on the bench), the database ceiling 31. */
#define SEED_WORKER 30
#define MAX_PROCS 32
#define SEED_PASSWORD "bench-password"
#define MAX_USERS 1000000 /* bu000000..bu999999 */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("seed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

struct options {
    const char *uri, *out;
    long users, first, guilds, guild_first, game, game_first, batch, sample_every;
    int procs;
    bool invite, clear_mutes;
};

/* --- batches -------------------------------------------------------------------- */

/* Documents for one collection, flushed with one unordered insert_many. */
struct batch {
    mongoc_collection_t *coll;
    bson_t **docs;
    size_t n, cap;
    long long total;
};

static void batch_init(struct batch *b, struct db *db, const char *collection, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->coll = db_collection(db, collection);
    b->cap = cap;
    b->docs = mem_calloc(cap, sizeof *b->docs);
}

static void batch_flush(struct batch *b)
{
    if (b->n == 0)
        return;
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    bson_error_t e;
    if (!mongoc_collection_insert_many(b->coll, (const bson_t **)b->docs, b->n, &opts, NULL, &e))
        die("insert into %s: %s", mongoc_collection_get_name(b->coll), e.message);
    bson_destroy(&opts);
    for (size_t i = 0; i < b->n; i++)
        bson_destroy(b->docs[i]);
    b->total += (long long)b->n;
    b->n = 0;
}

/* Room for k more documents: b->docs + b->n. */
static bson_t **batch_room(struct batch *b, size_t k)
{
    if (b->n + k > b->cap)
        die("batch of %s overflows", mongoc_collection_get_name(b->coll));
    return b->docs + b->n;
}

static void batch_free(struct batch *b)
{
    free(b->docs);
}

/* --- output files ------------------------------------------------------------------ */

static FILE *open_file(const char *dir, const char *name, const char *mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, mode);
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    return f;
}

/* Append DIR/<name>.part<i> for every process to DIR/<name>, in order, and remove the parts. */
static void gather(const char *dir, const char *name, int procs)
{
    FILE *out = open_file(dir, name, "a");
    for (int i = 0; i < procs; i++) {
        char part[256], path[4096], buf[65536];
        snprintf(part, sizeof part, "%s.part%d", name, i);
        snprintf(path, sizeof path, "%s/%s", dir, part);
        FILE *in = fopen(path, "r");
        if (!in)
            continue;
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, n, out) != n)
                die("writing %s/%s failed", dir, name);
        fclose(in);
        unlink(path);
    }
    if (fclose(out) != 0)
        die("writing %s/%s failed", dir, name);
}

static FILE *open_part(const char *dir, const char *name, int index)
{
    char part[256];
    snprintf(part, sizeof part, "%s.part%d", name, index);
    return open_file(dir, part, "w");
}

/* --- one process's share ---------------------------------------------------------------- */

struct share {
    int index;
    long from, to;            /* [from, to) of the numbers to seed */
};

/* The i-th of n contiguous shares of [first, first + count). */
static struct share share_of(int i, int n, long first, long count)
{
    struct share s = {i, first + count * i / n, first + count * (i + 1) / n};
    return s;
}

static struct db *connect_db(const char *uri, int index)
{
    snowflake_init(SEED_WORKER, (unsigned)index);
    char err[256];
    struct db *db = db_new(uri, err, sizeof err);
    if (!db)
        die("%s", err);
    return db;
}

/* Chat users [s.from, s.to): users, user_emails, user_tags, username_joins, user_grams. */
static long long seed_users(const struct options *o, const struct share *s, const char *hash,
                            const struct token_key *key)
{
    struct db *db = connect_db(o->uri, s->index);
    size_t b = (size_t)o->batch;
    struct batch users, emails, tags, joins, grams;
    batch_init(&users, db, "users", b);
    batch_init(&emails, db, "user_emails", b);
    batch_init(&tags, db, "user_tags", b);
    batch_init(&joins, db, "username_joins", b);
    batch_init(&grams, db, "user_grams", b * STORE_USER_POSTINGS_MAX);
    FILE *ids = open_part(o->out, "users.txt", s->index);
    FILE *sample = open_part(o->out, "sample.txt", s->index);
    int64_t issued = clock_wall_ms() / 1000;
    for (long i = s->from; i < s->to; i++) {
        char username[32], discriminator[8], email[64], email_key[EMAIL_MAX + 1], tag_key[96],
            join_key[96];
        snprintf(username, sizeof username, "bu%06ld", i);
        snprintf(discriminator, sizeof discriminator, "%04ld", i % 9999 + 1);
        snprintf(email, sizeof email, "bu%06ld@bench.invalid", i);
        int64_t id = snowflake_next(), now = clock_wall_ms();
        struct user_new in = {.username = username, .email = email, .password_hash = hash};

        bson_t **doc = batch_room(&users, 1);
        *doc = bson_new();
        store_users_build_doc(*doc, id, &in, discriminator, now);
        users.n++;

        store_users_email_key(email, email_key);
        doc = batch_room(&emails, 1);
        *doc = bson_new();
        store_users_build_claim(*doc, email_key, id, now);
        emails.n++;

        store_users_tag_key(username, discriminator, tag_key, sizeof tag_key);
        doc = batch_room(&tags, 1);
        *doc = bson_new();
        store_users_build_claim(*doc, tag_key, id, now);
        tags.n++;

        /* The name's first creation: join ordinal 1 (every name is new). */
        store_users_join_key(username, 1, join_key, sizeof join_key);
        doc = batch_room(&joins, 1);
        *doc = bson_new();
        store_users_build_claim(*doc, join_key, id, now);
        joins.n++;

        grams.n += store_user_search_postings(id, username, discriminator,
                                              batch_room(&grams, STORE_USER_POSTINGS_MAX),
                                              STORE_USER_POSTINGS_MAX);

        fprintf(ids, "%lld %s\n", (long long)id, username);
        if (o->sample_every > 0 && i % o->sample_every == 0) {
            char token[TOKEN_MAX];
            if (token_chat_mint(key, id, issued, hash, token, sizeof token) != 0)
                die("token minting failed");
            fprintf(sample, "%lld %s\n", (long long)id, token);
        }
        if (users.n == b || i + 1 == s->to) {
            /* Claims and postings before the accounts, as store_users_create
             * writes them. */
            batch_flush(&joins);
            batch_flush(&tags);
            batch_flush(&emails);
            batch_flush(&grams);
            batch_flush(&users);
            long done = i + 1 - s->from;
            if (s->index == 0 && done % 100000 < (long)b && s->to - s->from >= 200000)
                fprintf(stderr, "seed: process 0: %ld of %ld users\n", done, s->to - s->from);
        }
    }
    if (fclose(ids) != 0 || fclose(sample) != 0)
        die("writing the ids failed");
    long long docs = users.total + emails.total + tags.total + joins.total + grams.total;
    batch_free(&users);
    batch_free(&emails);
    batch_free(&tags);
    batch_free(&joins);
    batch_free(&grams);
    db_free(db);
    return docs;
}

/* Guilds [s.from, s.to) through src/store/guilds.c, owners taken in turn. */
static void seed_guilds(const struct options *o, const struct share *s, const int64_t *owners,
                        long n_owners)
{
    struct db *db = connect_db(o->uri, s->index);
    FILE *ids = open_part(o->out, "guilds.txt", s->index);
    struct guild_features features = {.names = {"INVITE_SPLASH", "VIP_REGIONS"}, .n = 2};
    for (long i = s->from; i < s->to; i++) {
        char name[48];
        snprintf(name, sizeof name, "Bench guild %06ld", i);
        bson_t doc = BSON_INITIALIZER;
        bson_error_t e;
        if (store_guild_create(db, name, owners[i % n_owners], NULL, &doc, &e) != STORE_OK)
            die("creating guild %ld: %s", i, e.message);
        int64_t id = doc_int(&doc, "_id", 0);
        if (store_guild_features_add(db, id, &features, &e) != STORE_OK)
            die("features of guild %ld: %s", i, e.message);
        fprintf(ids, "%lld\n", (long long)id);
        bson_destroy(&doc);
    }
    if (fclose(ids) != 0)
        die("writing the guild ids failed");
    db_free(db);
}

/* Game accounts and characters [s.from, s.to) through src/store/game.c, sharing one hash. */
static void seed_game(const struct options *o, const struct share *s, const char *hash,
                      const char *map_id)
{
    struct db *db = connect_db(o->uri, s->index);
    FILE *ids = open_part(o->out, "game_users.txt", s->index);
    for (long i = s->from; i < s->to; i++) {
        char name[32], player_name[32], email[64];
        snprintf(name, sizeof name, "gu%06ld", i);
        snprintf(player_name, sizeof player_name, "gp%06ld", i);
        snprintf(email, sizeof email, "gu%06ld@bench.invalid", i);
        struct game_user u;
        struct player p;
        bson_error_t e;
        if (store_game_user_create(db, name, email, hash, &u, &e) != STORE_OK ||
            store_player_create(db, u.id, player_name, map_id, i % 256, (i / 256) % 256, &p, &e) !=
                STORE_OK)
            die("creating game account %s: %s", name, e.message);
        fprintf(ids, "%s %s\n", u.id, u.name);
    }
    if (fclose(ids) != 0)
        die("writing the game ids failed");
    db_free(db);
}

/* --- processes ------------------------------------------------------------------------- */

struct phase {
    const struct options *o;
    const char *chat_hash, *game_hash, *map_id;
    const struct token_key *key;
    const int64_t *owners;
    long n_owners;
};

/* Run fn in n processes (shares 0..n-1) and wait for them; dies if one fails.
 * A process writes its document count to a pipe. */
static long long run_procs(int n, long long (*fn)(const struct phase *, int, int), const struct phase *ph)
{
    pid_t pids[MAX_PROCS];
    int fds[MAX_PROCS];
    for (int i = 0; i < n; i++) {
        int p[2];
        if (pipe(p) != 0)
            die("pipe: %s", strerror(errno));
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
            die("fork: %s", strerror(errno));
        if (pid == 0) {
            close(p[0]);
            long long docs = fn(ph, i, n);
            if (write(p[1], &docs, sizeof docs) != (ssize_t)sizeof docs)
                _exit(1);
            mongoc_cleanup();
            _exit(0);
        }
        close(p[1]);
        pids[i] = pid;
        fds[i] = p[0];
    }
    long long total = 0;
    bool failed = false;
    for (int i = 0; i < n; i++) {
        long long docs = 0;
        if (read(fds[i], &docs, sizeof docs) != (ssize_t)sizeof docs)
            failed = true;
        close(fds[i]);
        int status;
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = true;
        total += docs;
    }
    if (failed)
        die("a seeding process failed");
    return total;
}

static long long users_proc(const struct phase *ph, int i, int n)
{
    struct share s = share_of(i, n, ph->o->first, ph->o->users);
    return seed_users(ph->o, &s, ph->chat_hash, ph->key);
}

static long long others_proc(const struct phase *ph, int i, int n)
{
    const struct options *o = ph->o;
    struct share g = share_of(i, n, o->guild_first, o->guilds);
    struct share p = share_of(i, n, o->game_first, o->game);
    if (g.to > g.from)
        seed_guilds(o, &g, ph->owners, ph->n_owners);
    if (p.to > p.from)
        seed_game(o, &p, ph->game_hash, ph->map_id);
    /* store_guild_create: 6 documents, features 2; a game account and its
     * character: 2 documents and 3 claims. */
    return (g.to - g.from) * 8 + (p.to - p.from) * 5;
}

/* The ids of the users this run seeded (the first max of them). */
static long read_owners(const struct options *o, int64_t *owners, long max)
{
    long n = 0;
    for (int i = 0; i < o->procs && n < max; i++) {
        char part[256], path[4096], line[256];
        snprintf(part, sizeof part, "users.txt.part%d", i);
        snprintf(path, sizeof path, "%s/%s", o->out, part);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (n < max && fgets(line, sizeof line, f))
            owners[n++] = strtoll(line, NULL, 10);
        fclose(f);
    }
    return n;
}

static void clear_mutes(struct db *db)
{
    bson_t filter = BSON_INITIALIZER, reply;
    bson_error_t e;
    BSON_APPEND_UTF8(&filter, "kind", "mute");
    if (!mongoc_collection_delete_many(db_collection(db, "sanctions"), &filter, NULL, &reply, &e))
        die("clearing mutes: %s", e.message);
    bson_destroy(&reply);
    bson_destroy(&filter);
}

static long number(const char *opt, const char *value, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || errno || n < min || n > max)
        die("%s: not a number in %ld..%ld: %s", opt, min, max, value);
    return n;
}

#define USAGE                                                                                     \
    "usage: seed --uri URI --out DIR [--users N] [--first K] [--guilds G] [--guild-first K] "    \
    "[--game-users P] [--game-first K] [--invite] [--procs T] [--batch B] [--sample-every M] | " \
    "--uri URI --clear-mutes"

int main(int argc, char **argv)
{
    struct options o = {.batch = 1000, .sample_every = 50, .procs = 4};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--clear-mutes") == 0) {
            o.clear_mutes = true;
            continue;
        }
        if (strcmp(opt, "--invite") == 0) {
            o.invite = true;
            continue;
        }
        if (i + 1 >= argc)
            die(USAGE);
        const char *v = argv[++i];
        if (strcmp(opt, "--uri") == 0) o.uri = v;
        else if (strcmp(opt, "--out") == 0) o.out = v;
        else if (strcmp(opt, "--users") == 0) o.users = number(opt, v, 0, MAX_USERS);
        else if (strcmp(opt, "--first") == 0) o.first = number(opt, v, 0, MAX_USERS);
        else if (strcmp(opt, "--guilds") == 0) o.guilds = number(opt, v, 0, 1000000);
        else if (strcmp(opt, "--guild-first") == 0) o.guild_first = number(opt, v, 0, 1000000);
        else if (strcmp(opt, "--game-users") == 0) o.game = number(opt, v, 0, 1000000);
        else if (strcmp(opt, "--game-first") == 0) o.game_first = number(opt, v, 0, 1000000);
        else if (strcmp(opt, "--procs") == 0) o.procs = (int)number(opt, v, 1, MAX_PROCS);
        else if (strcmp(opt, "--batch") == 0) o.batch = number(opt, v, 1, 100000);
        else if (strcmp(opt, "--sample-every") == 0) o.sample_every = number(opt, v, 0, MAX_USERS);
        else die("unknown option %s\n%s", opt, USAGE);
    }
    if (!o.uri || (!o.clear_mutes && !o.out))
        die("--uri and --out are required\n%s", USAGE);
    if (o.first + o.users > MAX_USERS)
        die("users are named bu000000..bu999999: --first + --users must be <= %d", MAX_USERS);
    if (o.guild_first + o.guilds > 1000000 || o.game_first + o.game > 1000000)
        die("guilds and game accounts are numbered up to 999999");
    if (o.guilds > 0 && o.users == 0)
        die("guilds need owners: --users must be > 0");

    if (sodium_init() < 0)
        die("libsodium failed to initialise");
    log_open(NULL, LOG_ERROR);
    mongoc_init();
    db_route_driver_log(); /* FerretDB has no endSessions: that warning becomes debug */
    uint64_t started = clock_monotonic_us();

    /* Start-up work in this process, with a client freed before any fork. */
    struct db *db = connect_db(o.uri, MAX_PROCS - 1);
    bson_error_t e;
    if (!store_schema_ensure(db, &e))
        die("creating indexes: %s", e.message);
    if (o.clear_mutes) {
        clear_mutes(db);
        db_free(db);
        mongoc_cleanup();
        return 0;
    }
    if (o.invite) {
        struct invite inv;
        if (store_invite_create(db, -1, &inv, &e) != STORE_OK)
            die("creating the invite: %s", e.message);
        FILE *f = open_file(o.out, "invites.txt", "a");
        fprintf(f, "%s\n", inv.code);
        if (fclose(f) != 0)
            die("writing invites.txt failed");
    }
    db_free(db);

    const char *secret = getenv("WARDEN_SECRET");
    if (o.users > 0 && o.sample_every > 0 && (!secret || !*secret))
        die("WARDEN_SECRET is needed to mint the sample's tokens (or --sample-every 0)");
    struct token_key key = {(const unsigned char *)secret, secret ? strlen(secret) : 0};

    /* What a game client sends is the SHA-256 hex; that is what gets hashed. */
    char chat_hash[PASSWORD_HASH_SIZE], digest[65], game_hash[PASSWORD_HASH_SIZE];
    password_sha256_hex(SEED_PASSWORD, strlen(SEED_PASSWORD), digest);
    if (password_hash(SEED_PASSWORD, strlen(SEED_PASSWORD), chat_hash) < 0 ||
        password_hash(digest, 64, game_hash) < 0)
        die("password hashing failed");
    char map_id[GUID_STRING_SIZE];
    guid_generate(map_id);

    struct phase ph = {&o, chat_hash, game_hash, map_id, &key, NULL, 0};
    long long docs = 0;
    int procs = o.procs;
    if (o.users > 0) {
        if (procs > o.users)
            procs = (int)o.users;
        struct options uo = o;
        uo.procs = procs;
        ph.o = &uo;
        docs += run_procs(procs, users_proc, &ph);
        double s = (double)(clock_monotonic_us() - started) / 1e6;
        fprintf(stderr, "seed: %ld users (bu%06ld..bu%06ld), %lld documents in %.1f s: %.0f users/s, "
                        "%.0f documents/s (%d processes)\n",
                o.users, o.first, o.first + o.users - 1, docs, s, (double)o.users / s,
                (double)docs / s, procs);
        ph.o = &o;
        o.procs = procs; /* the parts to read the owners from */
    }
    if (o.guilds > 0 || o.game > 0) {
        int64_t *owners = mem_calloc(1000, sizeof *owners);
        ph.owners = owners;
        ph.n_owners = o.guilds > 0 ? read_owners(&o, owners, 1000) : 1;
        if (ph.n_owners == 0)
            die("no owners for the guilds");
        int others = (int)(o.guilds + o.game < 4 * MAX_PROCS ? 1 : o.procs);
        uint64_t t0 = clock_monotonic_us();
        docs += run_procs(others, others_proc, &ph);
        fprintf(stderr, "seed: %ld guilds, %ld game accounts with a character in %.1f s\n", o.guilds,
                o.game, (double)(clock_monotonic_us() - t0) / 1e6);
        free(owners);
    }
    if (o.users > 0) {
        gather(o.out, "users.txt", o.procs);
        gather(o.out, "sample.txt", o.procs);
    }
    gather(o.out, "guilds.txt", o.procs);
    gather(o.out, "game_users.txt", o.procs);
    printf("SEED_RESULT users=%ld guilds=%ld game_users=%ld documents=%lld seconds=%.2f\n", o.users,
           o.guilds, o.game, docs, (double)(clock_monotonic_us() - started) / 1e6);
    mongoc_cleanup();
    return 0;
}
