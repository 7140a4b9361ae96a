/*
 * error: every error answer, in the shape of the API the request belongs to.
 *
 *   chat (Litecord):   {"error": true, "status": 404, "message": "...", "code"?: n,
 *                       "<field>"?: ["..."]}
 *   game (Intersect):  {"Message": "..."}
 *
 * Database failures are mapped to HTTP here and nowhere else, by the kind
 * the store gives them (store_error_kind): unreachable (server selection,
 * network) is 503, so is a schema not in place yet (the pool is still
 * setting it up), and anything unexpected is 500 with the detail logged
 * under the request id and never sent to the client.
 */
#ifndef WARDEN_ERROR_H
#define WARDEN_ERROR_H

#include <bson/bson.h>
#include <stddef.h>

#include "warden/fields.h"
#include "warden/request.h"
#include "warden/response.h"

/** An error with a message, shaped by the request's realm. */
void error_send(struct response *res, const struct request *req, int status, const char *message);
/** The same with a Discord error code (chat realm; ignored for the game's shape). */
void error_send_code(struct response *res, const struct request *req, int status, int code,
                     const char *message);
/**
 * 400 for invalid fields. Chat: message "bad payload" and one key per field
 * holding its messages. Game: {"Message": "<field>: <message>"} for the first.
 */
void error_send_fields(struct response *res, const struct request *req,
                       const struct field_error *errors, size_t n);

/** 503 or 500 for a database error (see above); logs it with the request id. */
void error_send_db(struct response *res, const struct request *req, const bson_error_t *e);
/** 500 for a bug or an impossible state; logs what with the request id. */
void error_send_internal(struct response *res, const struct request *req, const char *what);

#endif
