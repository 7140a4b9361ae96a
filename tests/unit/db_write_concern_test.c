/*
 * db: the write concern and retryable writes the driver is given, read back
 * from the driver itself. By default every write waits for a majority (with
 * a wtimeout) and is retried once by the driver; a URI that chooses its own
 * w, wtimeoutMS or retryWrites keeps it. No server is needed: the driver
 * connects lazily.
 */
#include <criterion/criterion.h>
#include <mongoc/mongoc.h>
#include <string.h>

#include "warden/store/db.h"

static void init(void)
{
    mongoc_init();
}

static void fini(void)
{
    mongoc_cleanup();
}

TestSuite(db_write_concern, .init = init, .fini = fini);

static struct db *open_db(const char *uri)
{
    char err[256] = "";
    struct db *db = db_new(uri, err, sizeof err);

    cr_assert_not_null(db, "db_new(%s): %s", uri, err);
    return db;
}

static bool retry_writes(struct db *db)
{
    return mongoc_uri_get_option_as_bool(mongoc_client_get_uri(db_client(db)), MONGOC_URI_RETRYWRITES, false);
}

/* What a collection's writes carry: the client's, the database's and the
 * collection's concern all read the same. */
static const mongoc_write_concern_t *collection_concern(struct db *db)
{
    const mongoc_write_concern_t *client = mongoc_client_get_write_concern(db_client(db));
    const mongoc_write_concern_t *database = mongoc_database_get_write_concern(db_database(db));
    const mongoc_write_concern_t *coll = mongoc_collection_get_write_concern(db_collection(db, "sanctions"));

    cr_assert_eq(mongoc_write_concern_get_w(client), mongoc_write_concern_get_w(coll));
    cr_assert_eq(mongoc_write_concern_get_w(database), mongoc_write_concern_get_w(coll));
    cr_assert_eq(mongoc_write_concern_get_wtimeout_int64(client), mongoc_write_concern_get_wtimeout_int64(coll));
    return coll;
}

Test(db_write_concern, defaults_to_majority_with_a_timeout_and_retryable_writes)
{
    struct db *db = open_db("mongodb://db1.invalid,db2.invalid/warden?replicaSet=rs0");
    const mongoc_write_concern_t *wc = collection_concern(db);

    cr_expect(mongoc_write_concern_get_wmajority(wc), "w is %d, not majority", mongoc_write_concern_get_w(wc));
    cr_expect_eq(mongoc_write_concern_get_wtimeout_int64(wc), 5000);
    cr_expect(mongoc_write_concern_is_acknowledged(wc));
    cr_expect(retry_writes(db), "retryWrites is off");
    db_free(db);
}

Test(db_write_concern, a_uri_that_sets_w_1_keeps_it)
{
    struct db *db = open_db("mongodb://127.0.0.1:1/warden?w=1");
    const mongoc_write_concern_t *wc = collection_concern(db);

    cr_expect_eq(mongoc_write_concern_get_w(wc), 1);
    cr_expect(!mongoc_write_concern_get_wmajority(wc));
    cr_expect_eq(mongoc_write_concern_get_wtimeout_int64(wc), 0, "a wtimeout was added to the URI's w=1");
    cr_expect(retry_writes(db), "retryWrites is off");
    db_free(db);
}

Test(db_write_concern, a_uri_that_sets_a_tag_or_its_own_timeout_keeps_them)
{
    struct db *db = open_db("mongodb://127.0.0.1:1/warden?w=dc2&wtimeoutMS=750");
    const mongoc_write_concern_t *wc = collection_concern(db);

    cr_expect_str_eq(mongoc_write_concern_get_wtag(wc), "dc2");
    cr_expect_eq(mongoc_write_concern_get_wtimeout_int64(wc), 750);
    db_free(db);

    db = open_db("mongodb://127.0.0.1:1/warden?wtimeoutMS=1500&journal=true");
    wc = collection_concern(db);
    cr_expect(mongoc_write_concern_get_wmajority(wc), "w is %d, not majority", mongoc_write_concern_get_w(wc));
    cr_expect_eq(mongoc_write_concern_get_wtimeout_int64(wc), 1500);
    cr_expect(mongoc_write_concern_get_journal(wc), "the URI's journal=true was dropped");
    db_free(db);
}

Test(db_write_concern, a_uri_that_turns_retryable_writes_off_keeps_it_off)
{
    struct db *db = open_db("mongodb://127.0.0.1:1/warden?retryWrites=false");

    cr_expect(!retry_writes(db), "retryWrites is on");
    cr_expect(mongoc_write_concern_get_wmajority(collection_concern(db)));
    db_free(db);
}
