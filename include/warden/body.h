/*
 * body: a request body to a BSON object, or an error answer.
 *
 * JSON bodies go through the strict reader (json.h); form bodies
 * (application/x-www-form-urlencoded) become an object of strings. The
 * result still has to pass fields_validate before any value is used.
 *
 * Every body is read within BODY_MAX_MEMBERS: no JSON object (the top
 * level's or a nested one) may hold more keys, no JSON array more elements,
 * and no form more fields. Past it the answer is a 400 that states the
 * limit, before any handler or the database sees the body: a body of twenty
 * thousand keys once cost the database seconds to store.
 */
#ifndef WARDEN_BODY_H
#define WARDEN_BODY_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#include "warden/request.h"
#include "warden/response.h"

#define BODY_ACCEPT_FORM 1u  /* also take a urlencoded form */
#define BODY_OPTIONAL 2u     /* an empty body reads as {} */

/* Keys of any JSON object, elements of any JSON array, fields of a form.
 * Every route's own rules stay within it (the longest list a route takes,
 * guild features, is 64 long). */
#define BODY_MAX_MEMBERS 64

/**
 * Read req's body into out (bson_init'ed by the caller, destroyed by the
 * caller in every case). Returns true, or false after answering 400:
 * chat "No JSON provided" (no body, or not a JSON content type) or "bad
 * payload" (malformed); game {"Message": "..."} describing the problem.
 * Past BODY_MAX_MEMBERS the message states the limit in both realms, e.g.
 * "too many keys: a JSON object may have at most 64".
 */
bool body_read_object(const struct request *req, struct response *res, unsigned flags, bson_t *out);

struct field_rule;

/**
 * body_read_object, then fields_validate against rules (fields.h); on invalid
 * fields answers 400 naming each one. Returns true when out is valid.
 */
bool body_read_fields(const struct request *req, struct response *res, unsigned body_flags,
                      const struct field_rule *rules, size_t n_rules, unsigned field_options,
                      bson_t *out);

/** Whether a Content-Type names this media type (parameters such as charset ignored). */
bool body_content_type_is(const char *content_type, const char *media_type);

#endif
