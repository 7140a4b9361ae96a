/*
 * body: request bodies to BSON (see include/warden/body.h).
 */
#include "warden/body.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "warden/error.h"
#include "warden/fields.h"
#include "warden/json.h"
#include "warden/log.h"
#include "warden/utf8.h"

/* What the JSON reader may build of a client's text (body.h). */
static const struct json_limits body_limits = {BODY_MAX_MEMBERS, BODY_MAX_MEMBERS};

bool body_content_type_is(const char *content_type, const char *media_type)
{
    if (!content_type)
        return false;
    while (*content_type == ' ')
        content_type++;
    size_t n = strlen(media_type);
    if (strncasecmp(content_type, media_type, n) != 0)
        return false;
    char next = content_type[n];
    return next == '\0' || next == ';' || next == ' ';
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/*
 * 400 for a body past BODY_MAX_MEMBERS, stating the limit: what (keys,
 * elements, fields), in which top-level field when there is one (field may
 * be NULL or ""), and of what (a JSON object, a JSON array, a form).
 */
static void send_too_many(const struct request *req, struct response *res, const char *what,
                          const char *field, const char *container)
{
    bool game = req->realm == REALM_GAME;
    char where[96] = "";
    if (field && *field)
        snprintf(where, sizeof where, " in '%.60s'", field);
    char msg[192];
    snprintf(msg, sizeof msg, "%s%s%s: %s may have at most %d%s", game ? "Too many " : "too many ",
             what, where, container, BODY_MAX_MEMBERS, game ? "." : "");
    error_send(res, req, 400, msg);
}

static bool read_form(const struct request *req, struct response *res, bson_t *out)
{
    struct query_param pairs[BODY_MAX_MEMBERS];
    int n = request_parse_urlencoded(req->arena, req->body, req->body_len, pairs,
                                     BODY_MAX_MEMBERS);
    if (n == -2) {
        send_too_many(req, res, "fields", NULL, "a form");
        return false;
    }
    if (n < 0) {
        error_send(res, req, 400, req->realm == REALM_GAME ? "Malformed form body." : "bad payload");
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (pairs[i].name[0] == '$') {
            error_send(res, req, 400, req->realm == REALM_GAME ? "Malformed form body." : "bad payload");
            return false;
        }
        /* A repeated form field is ambiguous: refuse it like a duplicate JSON key. */
        for (int k = 0; k < i; k++) {
            if (strcmp(pairs[k].name, pairs[i].name) == 0) {
                error_send(res, req, 400,
                           req->realm == REALM_GAME ? "Malformed form body." : "bad payload");
                return false;
            }
        }
        /* The JSON reader's rules: no overlong forms, surrogates or code points past U+10FFFF. */
        if (!utf8_valid(pairs[i].value, strlen(pairs[i].value)) ||
            !utf8_valid(pairs[i].name, strlen(pairs[i].name))) {
            error_send(res, req, 400, req->realm == REALM_GAME ? "Malformed form body." : "bad payload");
            return false;
        }
        bson_append_utf8(out, pairs[i].name, -1, pairs[i].value, -1);
    }
    return true;
}

bool body_read_object(const struct request *req, struct response *res, unsigned flags, bson_t *out)
{
    bool empty = req->body_len == 0 || blank(req->body, req->body_len);
    if (empty && (flags & BODY_OPTIONAL))
        return true;
    if ((flags & BODY_ACCEPT_FORM) &&
        body_content_type_is(req->content_type, "application/x-www-form-urlencoded"))
        return read_form(req, res, out);

    bool json_type = body_content_type_is(req->content_type, "application/json");
    if (req->realm == REALM_GAME) {
        /* The game's clients do not always label their JSON. */
        if (!json_type && req->content_type && !empty) {
            error_send(res, req, 400, "Unsupported content type; send application/json.");
            return false;
        }
        if (empty) {
            error_send(res, req, 400, "A request body is required.");
            return false;
        }
    } else if (empty || !json_type) {
        error_send(res, req, 400, "No JSON provided");
        return false;
    }

    struct json_error err;
    if (json_parse_object_limited(req->body, req->body_len, &body_limits, out, &err) < 0) {
        log_debug("rejected body (rid=%s): %s at byte %lu", req->request_id, err.message,
                  (unsigned long)err.offset);
        if (err.problem == JSON_TOO_MANY_KEYS) {
            send_too_many(req, res, "keys", err.field, "a JSON object");
        } else if (err.problem == JSON_TOO_MANY_ELEMENTS) {
            send_too_many(req, res, "elements", err.field, "a JSON array");
        } else if (err.problem == JSON_OPERATOR_KEY && err.field[0]) {
            /* {"field": {"$gt": ""}}: name the field, like any other bad value. */
            struct field_error fe = {err.field, "must not contain keys starting with '$'"};
            error_send_fields(res, req, &fe, 1);
        } else if (req->realm == REALM_GAME) {
            char msg[160];
            snprintf(msg, sizeof msg, "Malformed JSON body: %s.", err.message);
            error_send(res, req, 400, msg);
        } else {
            error_send(res, req, 400, "bad payload");
        }
        return false;
    }
    return true;
}

bool body_read_fields(const struct request *req, struct response *res, unsigned body_flags,
                      const struct field_rule *rules, size_t n_rules, unsigned field_options,
                      bson_t *out)
{
    if (!body_read_object(req, res, body_flags, out))
        return false;
    struct field_errors errors;
    if (fields_validate(out, rules, n_rules, field_options, &errors, req->arena) == 0)
        return true;
    error_send_fields(res, req, errors.items, errors.n);
    return false;
}
