/*
 * seed: bulk-load the data set `make bench` measures against, straight into
 * the database, in exactly the shapes the store modules write.
 *
 *   seed --uri URI --out DIR [--users N] [--first K] [--guilds G] [--game-users P]
 *   seed --uri URI --clear-mutes
 *
 * Chat users bu<K>..bu<K+N-1> (src/store/users.c build_user_doc) with their
 * email claims (user_emails), G guilds owned by the first users, each with
 * its @everyone role, one text channel and the owner as member
 * (src/store/guilds.c store_guild_create), and P game accounts gu<i>, each
 * with one offline character gp<i> (src/store/game.c). Every chat user
 * shares one precomputed Argon2id hash, every game account another: a hash
 * costs ~50 ms by design, which is why the API and wardenctl are not used to
 * create thousands of accounts.
 *
 * Ids go to DIR, one record a line, appended: users.txt ("<id> <username>"),
 * guilds.txt ("<id>"), game_users.txt ("<guid> <name>").
 *
 * --clear-mutes deletes every mute record (the game scenario's leftovers:
 * a run stops with some targets muted, and muting a muted user is a 400).
 *
 * Chat users (the many) are inserted with insert_many in batches, in the
 * shape build_user_doc writes; guilds and game accounts go through the store
 * modules themselves. The indexes are created first (db_ensure_schema), so
 * the unique ones check the data.
 */
#include <mongoc/mongoc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/db.h"
#include "warden/guid.h"
#include "warden/log.h"
#include "warden/password.h"
#include "warden/snowflake.h"
#include "warden/store.h"
#include "warden/store/game.h"
#include "warden/store/guilds.h"
#include "warden/token.h"
#include "warden/util.h"

#define BATCH 1000
/* Snowflake process bits of the seeder: workers use their slot (0..29),
 * wardenctl 31. */
#define SEED_PROCESS 30
#define SEED_PASSWORD "bench-password"

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

/* A batch of documents for one collection, flushed with insert_many. */
struct batch {
    mongoc_collection_t *coll;
    bson_t *docs[BATCH];
    size_t n;
    long long total;
};

static void batch_init(struct batch *b, struct db *db, const char *collection)
{
    memset(b, 0, sizeof *b);
    b->coll = db_collection(db, collection);
}

static void batch_flush(struct batch *b)
{
    if (b->n == 0)
        return;
    bson_error_t e;
    if (!mongoc_collection_insert_many(b->coll, (const bson_t **)b->docs, b->n, NULL, NULL, &e))
        die("insert into %s: %s", mongoc_collection_get_name(b->coll), e.message);
    for (size_t i = 0; i < b->n; i++)
        bson_destroy(b->docs[i]);
    b->total += (long long)b->n;
    b->n = 0;
}

/* A fresh document owned by the batch. */
static bson_t *batch_doc(struct batch *b)
{
    if (b->n == BATCH)
        batch_flush(b);
    return b->docs[b->n++] = bson_new();
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "a");
    if (!f)
        die("cannot open %s", path);
    return f;
}

/* users + user_emails; the first min(n, max_owners) ids go to owners. */
static void seed_users(struct db *db, const char *out_dir, long first, long n, int64_t *owners,
                       long max_owners)
{
    char hash[PASSWORD_HASH_SIZE];
    if (password_hash(SEED_PASSWORD, strlen(SEED_PASSWORD), hash) < 0)
        die("password hashing failed");
    struct batch users, emails;
    batch_init(&users, db, "users");
    batch_init(&emails, db, "user_emails");
    FILE *ids = open_out(out_dir, "users.txt");
    for (long i = first; i < first + n; i++) {
        char username[32], discriminator[8], email[64];
        snprintf(username, sizeof username, "bu%06ld", i);
        snprintf(discriminator, sizeof discriminator, "%04ld", i % 9999 + 1);
        snprintf(email, sizeof email, "bu%06ld@bench.invalid", i); /* already lower case */
        int64_t id = snowflake_next(), now = clock_wall_ms();

        /* src/store/users.c build_user_doc */
        bson_t *doc = batch_doc(&users);
        BSON_APPEND_INT64(doc, "_id", id);
        BSON_APPEND_UTF8(doc, "username", username);
        BSON_APPEND_UTF8(doc, "discriminator", discriminator);
        BSON_APPEND_UTF8(doc, "email", email);
        BSON_APPEND_UTF8(doc, "password_hash", hash);
        BSON_APPEND_INT64(doc, "flags", 0);
        BSON_APPEND_NULL(doc, "avatar");
        BSON_APPEND_UTF8(doc, "bio", "");
        BSON_APPEND_NULL(doc, "accent_color");
        BSON_APPEND_BOOL(doc, "premium", false);
        BSON_APPEND_NULL(doc, "premium_type");
        BSON_APPEND_BOOL(doc, "bot", false);
        BSON_APPEND_BOOL(doc, "verified", false);
        BSON_APPEND_BOOL(doc, "mfa_enabled", false);
        BSON_APPEND_NULL(doc, "phone");
        BSON_APPEND_DATE_TIME(doc, "created_at", now);

        /* src/store/users.c claim_email */
        bson_t *claim = batch_doc(&emails);
        BSON_APPEND_UTF8(claim, "_id", email);
        BSON_APPEND_INT64(claim, "user_id", id);
        BSON_APPEND_DATE_TIME(claim, "created_at", now);

        if (i - first < max_owners)
            owners[i - first] = id;
        fprintf(ids, "%lld %s\n", (long long)id, username);
    }
    batch_flush(&users);
    batch_flush(&emails);
    fclose(ids);
    fprintf(stderr, "seed: %lld users (bu%06ld..bu%06ld), %lld email claims\n", users.total, first,
            first + n - 1, emails.total);
}

/* Guilds through src/store/guilds.c itself: a hundred of them take a moment,
 * and the shapes cannot drift from what the pool writes. */
static void seed_guilds(struct db *db, const char *out_dir, long n, const int64_t *owners,
                        long n_owners)
{
    FILE *ids = open_out(out_dir, "guilds.txt");
    for (long i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "Bench guild %03ld", i);
        bson_t doc = BSON_INITIALIZER;
        bson_error_t e;
        if (store_guild_create(db, name, owners[i % n_owners], NULL, &doc, &e) != STORE_OK)
            die("creating guild %ld: %s", i, e.message);
        fprintf(ids, "%lld\n", (long long)doc_int(&doc, "_id", 0));
        bson_destroy(&doc);
    }
    fclose(ids);
    fprintf(stderr, "seed: %ld guilds with their role, channel and owner\n", n);
}

/* Game accounts and characters through src/store/game.c, sharing one hash. */
static void seed_game(struct db *db, const char *out_dir, long n)
{
    /* What a game client sends is the SHA-256 hex; that is what gets hashed. */
    char digest[65], hash[PASSWORD_HASH_SIZE];
    password_sha256_hex(SEED_PASSWORD, strlen(SEED_PASSWORD), digest);
    if (password_hash(digest, 64, hash) < 0)
        die("password hashing failed");
    char map_id[GUID_STRING_SIZE];
    guid_generate(map_id);
    FILE *ids = open_out(out_dir, "game_users.txt");
    for (long i = 0; i < n; i++) {
        char name[32], player_name[32], email[64];
        snprintf(name, sizeof name, "gu%04ld", i);
        snprintf(player_name, sizeof player_name, "gp%04ld", i);
        snprintf(email, sizeof email, "gu%04ld@bench.invalid", i);
        struct game_user u;
        struct player p;
        bson_error_t e;
        if (store_game_user_create(db, name, email, hash, &u, &e) != STORE_OK ||
            store_player_create(db, u.id, player_name, map_id, i % 256, (i / 256) % 256, &p, &e) !=
                STORE_OK)
            die("creating game account %s: %s", name, e.message);
        fprintf(ids, "%s %s\n", u.id, u.name);
    }
    fclose(ids);
    fprintf(stderr, "seed: %ld game accounts, each with one offline character\n", n);
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

static long number(const char *opt, const char *value, long max)
{
    char *end;
    long n = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || n < 0 || n > max)
        die("%s: not a number in 0..%ld: %s", opt, max, value);
    return n;
}

int main(int argc, char **argv)
{
    const char *uri = NULL, *out = NULL;
    long users = 0, first = 0, guilds = 0, game = 0;
    bool mutes = false;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--clear-mutes") == 0) {
            mutes = true;
            continue;
        }
        if (i + 1 >= argc)
            die("usage: seed --uri URI --out DIR [--users N] [--first K] [--guilds G] "
                "[--game-users P] | --uri URI --clear-mutes");
        const char *v = argv[++i];
        if (strcmp(opt, "--uri") == 0)
            uri = v;
        else if (strcmp(opt, "--out") == 0)
            out = v;
        else if (strcmp(opt, "--users") == 0)
            users = number(opt, v, 10000000);
        else if (strcmp(opt, "--first") == 0)
            first = number(opt, v, 10000000);
        else if (strcmp(opt, "--guilds") == 0)
            guilds = number(opt, v, 100000);
        else if (strcmp(opt, "--game-users") == 0)
            game = number(opt, v, 10000);
        else
            die("unknown option %s", opt);
    }
    if (!uri || (!mutes && !out))
        die("--uri and --out are required");
    if (guilds > 0 && users == 0)
        die("guilds need owners: --users must be > 0");

    if (sodium_init() < 0)
        die("libsodium failed to initialise");
    log_open(NULL, LOG_ERROR);
    mongoc_init();
    db_route_driver_log(); /* FerretDB has no endSessions: that warning becomes debug */
    snowflake_init(0, SEED_PROCESS);
    char err[256];
    struct db *db = db_new(uri, err, sizeof err);
    if (!db)
        die("%s", err);
    bson_error_t e;
    if (!db_ensure_schema(db, &e))
        die("creating indexes: %s", e.message);

    if (mutes) {
        clear_mutes(db);
    } else {
        long n_owners = users < 1000 ? users : 1000;
        int64_t *owners = xcalloc((size_t)(n_owners ? n_owners : 1), sizeof *owners);
        if (users > 0)
            seed_users(db, out, first, users, owners, n_owners);
        if (guilds > 0)
            seed_guilds(db, out, guilds, owners, n_owners);
        if (game > 0)
            seed_game(db, out, game);
        free(owners);
    }
    db_free(db);
    mongoc_cleanup();
    return 0;
}
