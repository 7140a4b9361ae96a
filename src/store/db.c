/*
 * db: per-process MongoDB client and collection handles (see include/warden/store/db.h).
 */
#include "warden/store/db.h"

#include <stdio.h>
#include <string.h>

#include "warden/log.h"
#include "warden/fatal.h"
#include "warden/mem.h"

#define DB_MAX_COLLECTIONS 48

struct db {
    mongoc_client_t *client;
    mongoc_database_t *database;
    char name[128];
    size_t n_collections;
    struct {
        char name[48];
        mongoc_collection_t *handle;
    } collections[DB_MAX_COLLECTIONS];
};

static void driver_log(mongoc_log_level_t level, const char *domain, const char *message, void *data)
{
    (void)data;
    enum log_level ours;
    switch (level) {
    case MONGOC_LOG_LEVEL_ERROR:
    case MONGOC_LOG_LEVEL_CRITICAL: ours = LOG_ERROR; break;
    case MONGOC_LOG_LEVEL_WARNING: ours = LOG_WARN; break;
    default: ours = LOG_DEBUG; break;
    }
    if (ours == LOG_WARN && strstr(message, "endSessions"))
        ours = LOG_DEBUG;
    log_msg(ours, "mongoc %s: %s", domain, message);
}

void db_route_driver_log(void)
{
    mongoc_log_set_handler(driver_log, NULL);
    /* Trace output would carry command bodies, which may hold secrets. */
    mongoc_log_trace_disable();
}

/* Set a timeout unless the operator's URI already chose one. */
static void default_int_option(mongoc_uri_t *uri, const char *option, int32_t value)
{
    if (!mongoc_uri_has_option(uri, option))
        mongoc_uri_set_option_as_int32(uri, option, value);
}

/* Admin mutations are acknowledged by a majority of a replica set's members
 * (one write that a failover cannot roll back), waiting at most
 * DB_MAJORITY_WTIMEOUT_MS for them; a driver retries a write once on a
 * network error or a failover (retryable writes: the server recognises the
 * retry and applies it once). A URI that sets w (or retryWrites) keeps its
 * own: the operator's choice wins, as for the timeouts. */
#define DB_MAJORITY_WTIMEOUT_MS 5000

static void default_write_concern(mongoc_uri_t *uri)
{
    if (!mongoc_uri_has_option(uri, MONGOC_URI_RETRYWRITES))
        mongoc_uri_set_option_as_bool(uri, MONGOC_URI_RETRYWRITES, true);
    if (mongoc_uri_has_option(uri, MONGOC_URI_W))
        return;
    mongoc_write_concern_t *wc = mongoc_write_concern_copy(mongoc_uri_get_write_concern(uri));
    mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_MAJORITY);
    /* Below the socket timeout, so the server answers before the driver gives up. */
    if (!mongoc_uri_has_option(uri, MONGOC_URI_WTIMEOUTMS))
        mongoc_write_concern_set_wtimeout_int64(wc, DB_MAJORITY_WTIMEOUT_MS);
    mongoc_uri_set_write_concern(uri, wc);
    mongoc_write_concern_destroy(wc);
}

struct db *db_new(const char *uri_string, char *err, size_t err_size)
{
    bson_error_t e;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(uri_string, &e);
    if (!uri) {
        snprintf(err, err_size, "invalid MongoDB URI: %s", e.message);
        return NULL;
    }
    default_int_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 2000);
    default_int_option(uri, MONGOC_URI_CONNECTTIMEOUTMS, 2000);
    /* Bounded so a stalled server turns into a 503 instead of a request that
     * waits for --request-timeout to kill the worker. */
    default_int_option(uri, MONGOC_URI_SOCKETTIMEOUTMS, 10000);
    default_write_concern(uri);
    if (!mongoc_uri_has_option(uri, MONGOC_URI_APPNAME))
        mongoc_uri_set_appname(uri, "warden");

    struct db *db = mem_calloc(1, sizeof *db);
    const char *name = mongoc_uri_get_database(uri);
    snprintf(db->name, sizeof db->name, "%s", name && *name ? name : "warden");
    db->client = mongoc_client_new_from_uri_with_error(uri, &e);
    mongoc_uri_destroy(uri);
    if (!db->client) {
        snprintf(err, err_size, "cannot create a MongoDB client: %s", e.message);
        free(db);
        return NULL;
    }
    mongoc_client_set_error_api(db->client, MONGOC_ERROR_API_VERSION_2);
    db->database = mongoc_client_get_database(db->client, db->name);
    return db;
}

void db_free(struct db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n_collections; i++)
        mongoc_collection_destroy(db->collections[i].handle);
    mongoc_database_destroy(db->database);
    mongoc_client_destroy(db->client);
    free(db);
}

mongoc_collection_t *db_collection(struct db *db, const char *name)
{
    for (size_t i = 0; i < db->n_collections; i++)
        if (strcmp(db->collections[i].name, name) == 0)
            return db->collections[i].handle;
    if (db->n_collections == DB_MAX_COLLECTIONS || strlen(name) >= sizeof db->collections[0].name)
        fatal("db_collection: too many collections or name too long (%s)", name);
    size_t i = db->n_collections++;
    snprintf(db->collections[i].name, sizeof db->collections[i].name, "%s", name);
    db->collections[i].handle = mongoc_database_get_collection(db->database, name);
    return db->collections[i].handle;
}

mongoc_client_t *db_client(struct db *db)
{
    return db->client;
}

mongoc_database_t *db_database(struct db *db)
{
    return db->database;
}

const char *db_name(const struct db *db)
{
    return db->name;
}

bool db_ping(struct db *db, bson_error_t *e)
{
    bson_t cmd = BSON_INITIALIZER;
    BSON_APPEND_INT32(&cmd, "ping", 1);
    bool ok = mongoc_client_command_simple(db->client, "admin", &cmd, NULL, NULL, e);
    bson_destroy(&cmd);
    return ok;
}
