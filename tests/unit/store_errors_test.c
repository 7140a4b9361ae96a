/*
 * store errors: the one place that reads the driver's error domains and
 * codes (store_error_kind, src/store/store.c). errors.c turns its answer
 * into 503 or 500, wardenctl into its messages; a misread here turns an
 * outage into 500s or a bug into "try again later".
 */
#include <criterion/criterion.h>
#include <mongoc/mongoc.h>

#include "warden/store.h"

static enum store_status kind(uint32_t domain, uint32_t code)
{
    bson_error_t e;
    bson_set_error(&e, domain, code, "test error %u/%u", domain, code);
    return store_error_kind(&e);
}

Test(store_errors, an_unreachable_database_is_unavailable)
{
    cr_expect_eq(kind(MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE),
                 STORE_UNAVAILABLE);
    cr_expect_eq(kind(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET), STORE_UNAVAILABLE);
    cr_expect_eq(kind(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_CONNECT), STORE_UNAVAILABLE);
    cr_expect_eq(kind(MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE), STORE_UNAVAILABLE);
}

Test(store_errors, a_busy_or_stopping_server_is_unavailable)
{
    /* not primary, shutdown in progress, interrupted at shutdown, past maxTimeMS */
    const uint32_t codes[] = {10107, 13435, 11600, 91, 189, 50};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        cr_expect_eq(kind(MONGOC_ERROR_SERVER, codes[i]), STORE_UNAVAILABLE, "code %u", codes[i]);
}

Test(store_errors, a_write_the_majority_did_not_confirm_is_unavailable)
{
    /* 64 WriteConcernFailed (wtimeout), 100 UnsatisfiableWriteConcern */
    cr_expect_eq(kind(MONGOC_ERROR_WRITE_CONCERN, 64), STORE_UNAVAILABLE);
    cr_expect_eq(kind(MONGOC_ERROR_WRITE_CONCERN, 100), STORE_UNAVAILABLE);
}

Test(store_errors, a_duplicate_key_is_a_duplicate)
{
    cr_expect_eq(kind(MONGOC_ERROR_SERVER, 11000), STORE_DUPLICATE);
    cr_expect_eq(kind(MONGOC_ERROR_SERVER, 11001), STORE_DUPLICATE);
    cr_expect_eq(kind(MONGOC_ERROR_WRITE_CONCERN, 11000), STORE_DUPLICATE);
}

Test(store_errors, the_missing_schema_marker_has_its_own_kind)
{
    cr_expect_eq(kind(STORE_ERROR_DOMAIN, STORE_ERROR_CODE_SCHEMA_MISSING), STORE_SCHEMA_MISSING);
    cr_expect_eq(kind(STORE_ERROR_DOMAIN, 999), STORE_ERROR, "another code of ours is a plain error");
}

Test(store_errors, anything_else_is_an_error)
{
    cr_expect_eq(kind(MONGOC_ERROR_SERVER, 2), STORE_ERROR, "BadValue");
    cr_expect_eq(kind(MONGOC_ERROR_SERVER, 59), STORE_ERROR, "CommandNotFound");
    cr_expect_eq(kind(MONGOC_ERROR_BSON, MONGOC_ERROR_BSON_INVALID), STORE_ERROR);
    cr_expect_eq(kind(MONGOC_ERROR_COMMAND, MONGOC_ERROR_COMMAND_INVALID_ARG), STORE_ERROR);
}
