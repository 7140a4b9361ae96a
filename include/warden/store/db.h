/*
 * db: a worker's connection to MongoDB.
 *
 * mongoc is not fork-safe, so every worker makes its own db after fork (the
 * master may make one for start-up work only if it frees it before forking).
 * Server selection and connect timeouts default to 2 s so a request never
 * waits long on a database that is down; the client reconnects by itself when
 * the database comes back.
 *
 * Writes: w=majority with a 5 s wtimeout and retryable writes, unless the URI
 * sets w, wtimeoutMS or retryWrites itself (each of the URI's own wins). On a
 * single server (FerretDB, a standalone mongod) majority is that server.
 */
#ifndef WARDEN_STORE_DB_H
#define WARDEN_STORE_DB_H

#include <mongoc/mongoc.h>
#include <stdbool.h>
#include <stddef.h>

struct db;

/**
 * Send the driver's own messages to Warden's log (call once after
 * mongoc_init). Its warnings about commands FerretDB lacks at shutdown
 * ("endSessions") are demoted to debug.
 */
void db_route_driver_log(void);

/**
 * Connect lazily to uri (a mongodb:// URI; its path names the database,
 * "warden" when absent). Returns NULL with a reason in err on a bad URI.
 */
struct db *db_new(const char *uri, char *err, size_t err_size);
void db_free(struct db *db);

/** A collection of the Warden database, cached for the life of db; do not destroy. */
mongoc_collection_t *db_collection(struct db *db, const char *name);
mongoc_client_t *db_client(struct db *db);
mongoc_database_t *db_database(struct db *db);
const char *db_name(const struct db *db);

/** Round trip to the server. Returns true, or false with e filled. */
bool db_ping(struct db *db, bson_error_t *e);

#endif
