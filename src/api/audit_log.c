/*
 * api/audit_log: GET /api/v6/admin/audit-log (staff only; the route table
 * says so): the audit log of both realms, newest first, a page at a time.
 *
 *   ?actor=ID  ?action=ACTION  ?target=TYPE:ID     filters (all must match)
 *   ?since=DATE  ?until=DATE                       created_at in [since, until)
 *   ?before=ID                                     the cursor: older entries only
 *   ?limit=1..100 (50)
 *
 * → {"entries": [...], "next_before": "<id>" | null}. A page asks the store
 * for one entry more than it shows: that entry's presence is what makes
 * next_before non-null, so the last page says so without another request.
 */
#include <stdio.h>
#include <string.h>

#include "warden/api.h"
#include "warden/doc.h"
#include "warden/domain/audit_log.h"
#include "warden/error.h"
#include "warden/fields.h"
#include "warden/format.h"
#include "warden/parse.h"
#include "warden/snowflake.h"
#include "warden/utf8.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 100
/* The store keys at most this many bytes of a filter's value (a target is
 * two of them and its colon); a longer one could only match by its cut. */
#define FILTER_VALUE_MAX 256
#define TARGET_MAX (2 * FILTER_VALUE_MAX + 1)

_Static_assert(LIMIT_MAX == 100, "limit's message states the bound");
_Static_assert(FILTER_VALUE_MAX == 256 && TARGET_MAX == 513, "the filters' messages state their bounds");

/* --- parameters ------------------------------------------------------------- */

/* A query parameter's value; NULL when absent or empty (empty is absent, as on the other routes). */
static const char *param(const struct request *req, const char *name)
{
    const char *v = request_query(req, name);
    return v && *v ? v : NULL;
}

/* A filter's text: UTF-8 of at most max bytes (too_long says so), or an error naming it. */
static const char *text_param(const struct request *req, const char *name, size_t max,
                              const char *too_long, struct field_errors *errors)
{
    const char *v = param(req, name);
    if (!v)
        return NULL;
    size_t len = strlen(v);
    if (!utf8_valid(v, len)) {
        fields_error(errors, name, "must be UTF-8 text");
        return NULL;
    }
    if (len > max) {
        fields_error(errors, name, too_long);
        return NULL;
    }
    return v;
}

static int64_t date_param(const struct request *req, const char *name, struct field_errors *errors)
{
    const char *v = param(req, name);
    int64_t ms = 0;
    if (v && parse_utc_date(v, &ms) < 0)
        fields_error(errors, name, "must be a UTC date: " PARSE_UTC_DATE_FORMS);
    return ms;
}

/* The query's parameters into q (limit: one more than the page shows). false: answered 400. */
static bool parse_query(const struct request *req, struct response *res, struct audit_query *q,
                        int64_t *page_size)
{
    struct field_errors errors = {.n = 0};
    *q = (struct audit_query){0};
    q->actor = text_param(req, "actor", FILTER_VALUE_MAX, "must be at most 256 bytes", &errors);
    q->action = text_param(req, "action", FILTER_VALUE_MAX, "must be at most 256 bytes", &errors);
    q->target = text_param(req, "target", TARGET_MAX, "must be at most 513 bytes", &errors);
    if (q->target) {
        const char *colon = strchr(q->target, ':');
        if (!colon || colon == q->target || !colon[1]) {
            fields_error(&errors, "target", "must be TYPE:ID, e.g. user:1234");
            q->target = NULL;
        }
    }
    q->since_ms = date_param(req, "since", &errors);
    /* Every entry is younger than the snowflake epoch: an until before it
     * (0 would mean no bound) bounds as tightly as its first millisecond. */
    q->until_ms = date_param(req, "until", &errors);
    if (param(req, "until") && q->until_ms < 1)
        q->until_ms = 1;
    const char *before = param(req, "before");
    if (before && parse_int64(before, 1, INT64_MAX, &q->below_id) < 0)
        fields_error(&errors, "before", "must be an entry id (a positive integer)");
    const char *limit = param(req, "limit");
    *page_size = LIMIT_DEFAULT;
    if (limit && parse_int64(limit, 1, LIMIT_MAX, page_size) < 0)
        fields_error(&errors, "limit", "must be an integer in 1..100");
    if (errors.n) {
        error_send_fields(res, req, errors.items, errors.n);
        return false;
    }
    q->limit = *page_size + 1;
    return true;
}

/* --- the answer ------------------------------------------------------------- */

struct page {
    bson_t *entries[LIMIT_MAX + 1];
    size_t n;
};

static bool keep_entry(const bson_t *entry, void *ctx)
{
    struct page *p = ctx;
    p->entries[p->n++] = bson_copy(entry);
    return p->n < sizeof p->entries / sizeof p->entries[0];
}

/* The text at doc's dotted path (a string, or an integer in decimal); "" when neither. */
static void entry_text(struct jsonw *w, const bson_t *doc, const char *path)
{
    bson_iter_t it, at;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &at)) {
        if (BSON_ITER_HOLDS_UTF8(&at)) {
            uint32_t len;
            const char *s = bson_iter_utf8(&at, &len);
            jsonw_string_len(w, s, len);
            return;
        }
        if (BSON_ITER_HOLDS_INT64(&at) || BSON_ITER_HOLDS_INT32(&at)) {
            jsonw_id(w, bson_iter_as_int64(&at));
            return;
        }
    }
    jsonw_string(w, "");
}

static void view_entry(struct jsonw *w, const bson_t *entry)
{
    int64_t id = doc_int(entry, "_id", 0);
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    jsonw_id(w, id);
    jsonw_key(w, "created_at");
    jsonw_date(w, doc_date(entry, "created_at", snowflake_time_ms(id)));
    jsonw_key(w, "actor");
    jsonw_object_begin(w);
    static const char *const actor[][2] = {{"realm", "actor.realm"}, {"id", "actor.id"}, {"name", "actor.name"}};
    for (size_t i = 0; i < 3; i++) {
        jsonw_key(w, actor[i][0]);
        entry_text(w, entry, actor[i][1]);
    }
    jsonw_object_end(w);
    jsonw_key(w, "action");
    entry_text(w, entry, "action");
    jsonw_key(w, "target");
    jsonw_object_begin(w);
    jsonw_key(w, "type");
    entry_text(w, entry, "target.type");
    jsonw_key(w, "id");
    entry_text(w, entry, "target.id");
    jsonw_object_end(w);
    jsonw_key(w, "request_id");
    entry_text(w, entry, "request_id");
    static const char *const states[] = {"before", "after"};
    for (size_t i = 0; i < 2; i++) {
        bson_iter_t it;
        if (bson_iter_init_find(&it, entry, states[i]) && BSON_ITER_HOLDS_DOCUMENT(&it)) {
            jsonw_key(w, states[i]);
            jsonw_bson_value(w, &it);
        }
    }
    jsonw_object_end(w);
}

void api_admin_audit_log(struct app *app, struct request *req, struct response *res)
{
    struct audit_query q;
    int64_t page_size;
    if (!parse_query(req, res, &q, &page_size))
        return;
    struct domain d = api_domain(app, req);
    struct domain_result r;
    struct page page = {.n = 0};
    if (!audit_log_read(&d, &q, keep_entry, &page, &r)) {
        api_fail(res, req, &r);
    } else {
        size_t shown = page.n > (size_t)page_size ? (size_t)page_size : page.n;
        struct jsonw w;
        response_json(res, 200, &w);
        jsonw_object_begin(&w);
        jsonw_key(&w, "entries");
        jsonw_array_begin(&w);
        for (size_t i = 0; i < shown; i++)
            view_entry(&w, page.entries[i]);
        jsonw_array_end(&w);
        jsonw_key(&w, "next_before");
        if (page.n > shown)
            jsonw_id(&w, doc_int(page.entries[shown - 1], "_id", 0));
        else
            jsonw_null(&w);
        jsonw_object_end(&w);
    }
    for (size_t i = 0; i < page.n; i++)
        bson_destroy(page.entries[i]);
}
