/*
 * json_fuzz: the strict JSON reader (json_parse_object) and, for what it
 * accepts, the writer every response goes through (jsonw_bson_value).
 *
 * Input: a request body, as is (seeds: bodies the API takes, and the corner
 * cases of escapes, numbers, nesting and UTF-8).
 *
 * Properties: a refusal names a message and an offset within the input; what
 * is accepted holds no '$' key, no number a double cannot hold (1e400 is
 * refused) and only valid UTF-8, and renders to JSON that the reader accepts
 * again, into the very same document, which renders to the same text.
 *
 * The same text read within limits (json_parse_object_limited, with small
 * limits so that the fuzzer reaches them, and with a request body's): it is
 * accepted, into the same document, exactly when the text is accepted without
 * limits and no object or array of it is larger than they allow; otherwise
 * the refusal says which limit, unless the text is refused anyway.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "warden/buf.h"
#include "warden/json.h"
#include "warden/jsonw.h"

static void render(const bson_t *doc, struct buf *out)
{
    struct jsonw w;
    jsonw_init(&w, out);
    jsonw_object_begin(&w);
    bson_iter_t it;
    FUZZ_CHECK(bson_iter_init(&it, doc));
    while (bson_iter_next(&it)) {
        jsonw_key(&w, bson_iter_key(&it));
        jsonw_bson_value(&w, &it);
    }
    jsonw_object_end(&w);
}

/* Check every value of what the reader produced, at any depth. */
static void walk(bson_iter_t *it, bool in_object)
{
    while (bson_iter_next(it)) {
        if (in_object)
            FUZZ_CHECK(bson_iter_key(it)[0] != '$');
        bson_type_t t = bson_iter_type(it);
        FUZZ_CHECK(t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_ARRAY || t == BSON_TYPE_UTF8 ||
                   t == BSON_TYPE_INT64 || t == BSON_TYPE_DOUBLE || t == BSON_TYPE_BOOL ||
                   t == BSON_TYPE_NULL);
        if (t == BSON_TYPE_DOUBLE)
            FUZZ_CHECK(isfinite(bson_iter_double(it)));
        if (t == BSON_TYPE_UTF8) {
            uint32_t len;
            const char *s = bson_iter_utf8(it, &len);
            FUZZ_CHECK(bson_utf8_validate(s, len, false));
        }
        if (t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_ARRAY) {
            bson_iter_t child;
            FUZZ_CHECK(bson_iter_recurse(it, &child));
            walk(&child, t == BSON_TYPE_DOCUMENT);
        }
    }
}

/* The most keys of any object and elements of any array, at any depth. */
static void largest(bson_iter_t *it, bool in_object, size_t *keys, size_t *elements)
{
    size_t n = 0;
    while (bson_iter_next(it)) {
        n++;
        bson_type_t t = bson_iter_type(it);
        if (t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_ARRAY) {
            bson_iter_t child;
            FUZZ_CHECK(bson_iter_recurse(it, &child));
            largest(&child, t == BSON_TYPE_DOCUMENT, keys, elements);
        }
    }
    size_t *most = in_object ? keys : elements;
    if (n > *most)
        *most = n;
}

/* text read within limits, against what the unlimited reading gave (doc, or
 * NULL when it refused the text). */
static void check_limited(const char *text, size_t size, const bson_t *doc,
                          const struct json_limits *limits)
{
    bson_t limited;
    bson_init(&limited);
    struct json_error err;
    int rc = json_parse_object_limited(text, size, limits, &limited, &err);
    if (rc < 0)
        FUZZ_CHECK(err.message[0] != '\0' && err.offset <= size);
    if (!doc) {
        FUZZ_CHECK(rc < 0); /* limits only ever refuse more */
    } else {
        size_t keys = 0, elements = 0;
        bson_iter_t it;
        FUZZ_CHECK(bson_iter_init(&it, doc));
        largest(&it, true, &keys, &elements);
        bool within = keys <= limits->max_keys && elements <= limits->max_elements;
        FUZZ_CHECK((rc == 0) == within);
        if (rc == 0)
            FUZZ_CHECK(bson_equal(doc, &limited));
        else if (err.problem == JSON_TOO_MANY_KEYS)
            FUZZ_CHECK(keys > limits->max_keys);
        else
            FUZZ_CHECK(err.problem == JSON_TOO_MANY_ELEMENTS && elements > limits->max_elements);
    }
    bson_destroy(&limited);
}

static void report(const char *what, const char *text, size_t len, const struct json_error *err)
{
    fprintf(stderr, "%s: %s at byte %zu\n--- text ---\n%.*s\n------------\n", what,
            err ? err->message : "", err ? err->offset : 0, (int)len, text);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    bson_t doc;
    bson_init(&doc);
    struct json_error err;
    static const struct json_limits small = {3, 3}, body = {64, 64};
    if (json_parse_object(text, size, &doc, &err) < 0) {
        FUZZ_CHECK(err.message[0] != '\0');
        FUZZ_CHECK(err.offset <= size);
        FUZZ_CHECK(err.problem == JSON_MALFORMED || err.problem == JSON_OPERATOR_KEY);
        check_limited(text, size, NULL, &small);
        check_limited(text, size, NULL, &body);
        bson_destroy(&doc);
        return 0;
    }
    check_limited(text, size, &doc, &small);
    check_limited(text, size, &doc, &body);
    FUZZ_CHECK(err.message[0] == '\0');
    bson_iter_t it;
    FUZZ_CHECK(bson_iter_init(&it, &doc));
    walk(&it, true);

    struct buf once = BUF_INIT;
    render(&doc, &once);
    bson_t again;
    bson_init(&again);
    if (json_parse_object(buf_cstr(&once), once.len, &again, &err) < 0)
        report("rendered JSON does not parse again", once.data, once.len, &err);
    if (!bson_equal(&doc, &again))
        report("rendered JSON parses into another document", once.data, once.len, NULL);

    struct buf twice = BUF_INIT;
    render(&again, &twice);
    if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
        report("rendering is not stable", twice.data, twice.len, NULL);

    buf_free(&twice);
    bson_destroy(&again);
    buf_free(&once);
    bson_destroy(&doc);
    return 0;
}
