/*
 * body: request body to a BSON object, or a 400 in the realm's error shape.
 * Error answers are read back with the JSON reader, so they are checked as
 * a client would see them.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "warden/arena.h"
#include "warden/body.h"
#include "warden/buf.h"
#include "warden/json.h"

static struct arena *arena;
static struct request req;
static struct response res;
static bson_t out;   /* what body_read_object filled */
static bson_t answer; /* the error body, parsed */

static void setup(void)
{
    arena = arena_new();
    response_init(&res);
    bson_init(&out);
    bson_init(&answer);
}

static void teardown(void)
{
    bson_destroy(&answer);
    bson_destroy(&out);
    response_free(&res);
    arena_free(arena);
}

TestSuite(body, .init = setup, .fini = teardown);

/* body_read_object on a request of this realm, content type and body. */
static bool read_body(enum realm realm, const char *content_type, const char *body, unsigned flags)
{
    memset(&req, 0, sizeof req);
    req.arena = arena;
    req.method = "POST";
    req.path = realm == REALM_GAME ? "/api/v1/x" : "/api/v6/x";
    req.realm = realm;
    req.request_id = "test-rid";
    req.content_type = content_type;
    req.body = body ? arena_strdup(arena, body) : "";
    req.body_len = body ? strlen(body) : 0;
    response_reset(&res);
    bson_reinit(&out);
    return body_read_object(&req, &res, flags, &out);
}

static bool read_chat(const char *content_type, const char *body, unsigned flags)
{
    return read_body(REALM_CHAT, content_type, body, flags);
}

/* The string member key of the error answer, which must be valid JSON. */
static const char *answer_string(const char *key)
{
    struct json_error err;
    bson_reinit(&answer);
    cr_assert_eq(json_parse_object(res.body.data, res.body.len, &answer, &err), 0,
                 "answer is not a JSON object: %s", buf_cstr(&res.body));
    bson_iter_t it;
    if (!bson_iter_init_find(&it, &answer, key) || !BSON_ITER_HOLDS_UTF8(&it))
        return NULL;
    return bson_iter_utf8(&it, NULL);
}

/* A chat 400: {"error": true, "status": 400, "message": message}. */
static void assert_chat_400(const char *message)
{
    cr_assert_eq(res.status, 400);
    const char *got = answer_string("message");
    cr_assert_not_null(got, "no message in %s", res.body.data);
    cr_assert_str_eq(got, message);
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &answer, "error") && bson_iter_bool(&it));
    cr_assert(bson_iter_init_find(&it, &answer, "status") && bson_iter_as_int64(&it) == 400);
}

/* A game 400: {"Message": "..."} starting with prefix, and nothing else. */
static void assert_game_400(const char *prefix)
{
    cr_assert_eq(res.status, 400);
    const char *got = answer_string("Message");
    cr_assert_not_null(got, "no Message in %s", res.body.data);
    cr_assert_eq(strncmp(got, prefix, strlen(prefix)), 0, "Message: %s", got);
    cr_assert_eq(bson_count_keys(&answer), 1, "game errors carry only Message: %s", res.body.data);
}

static void assert_out_string(const char *key, const char *value)
{
    bson_iter_t it;
    cr_assert(bson_iter_init_find(&it, &out, key), "no %s", key);
    cr_assert(BSON_ITER_HOLDS_UTF8(&it), "%s is not a string", key);
    cr_assert_str_eq(bson_iter_utf8(&it, NULL), value);
}

Test(body, chat_json_object)
{
    cr_assert(read_chat("application/json", "{\"name\":\"x\",\"n\":2}", 0));
    cr_assert_eq(res.status, 0, "no answer on success");
    cr_assert_eq(bson_count_keys(&out), 2);
    assert_out_string("name", "x");
}

Test(body, chat_without_body)
{
    cr_assert_not(read_chat("application/json", NULL, 0));
    assert_chat_400("No JSON provided");
}

Test(body, chat_blank_body)
{
    cr_assert_not(read_chat("application/json", " \r\n\t", 0));
    assert_chat_400("No JSON provided");
}

Test(body, chat_wrong_or_missing_content_type)
{
    cr_assert_not(read_chat("text/plain", "{\"a\":1}", 0));
    assert_chat_400("No JSON provided");
    cr_assert_not(read_chat(NULL, "{\"a\":1}", 0));
    assert_chat_400("No JSON provided");
    cr_assert_not(read_chat("application/jsonx", "{\"a\":1}", 0));
    assert_chat_400("No JSON provided");
    cr_assert_not(read_chat("application/x-www-form-urlencoded", "a=1", 0),
                  "forms only where the handler accepts them");
    assert_chat_400("No JSON provided");
}

Test(body, content_type_parameters_are_ignored)
{
    cr_assert(read_chat("application/json; charset=utf-8", "{\"a\":1}", 0));
    cr_assert(read_chat("application/json;charset=UTF-8", "{\"a\":1}", 0));
    cr_assert(read_chat("Application/JSON", "{\"a\":1}", 0));
}

Test(body, chat_malformed_json)
{
    static const char *const bad[] = {"{", "{\"a\":}", "[1]", "{\"a\":1,\"a\":2}", "nope"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not(read_chat("application/json", bad[i], 0), "%s", bad[i]);
        assert_chat_400("bad payload");
    }
}

Test(body, game_json_object)
{
    cr_assert(read_body(REALM_GAME, "application/json", "{\"Name\":\"p\"}", 0));
    assert_out_string("Name", "p");
}

Test(body, game_accepts_unlabelled_json)
{
    cr_assert(read_body(REALM_GAME, NULL, "{\"Name\":\"p\"}", 0));
    assert_out_string("Name", "p");
}

Test(body, game_malformed_json)
{
    cr_assert_not(read_body(REALM_GAME, "application/json", "{\"a\":tru}", 0));
    assert_game_400("Malformed JSON body: ");
}

Test(body, game_without_body)
{
    cr_assert_not(read_body(REALM_GAME, "application/json", "", 0));
    assert_game_400("A request body is required.");
}

Test(body, game_wrong_content_type)
{
    cr_assert_not(read_body(REALM_GAME, "text/plain", "{\"a\":1}", 0));
    assert_game_400("Unsupported content type");
}

Test(body, optional_body_may_be_empty)
{
    cr_assert(read_chat(NULL, NULL, BODY_OPTIONAL));
    cr_assert_eq(bson_count_keys(&out), 0);
    cr_assert_eq(res.status, 0);
    cr_assert(read_chat("application/json", "  \n", BODY_OPTIONAL));
    cr_assert_eq(bson_count_keys(&out), 0);
    cr_assert(read_body(REALM_GAME, NULL, NULL, BODY_OPTIONAL));
}

Test(body, optional_body_is_still_parsed_when_present)
{
    cr_assert(read_chat("application/json", "{\"a\":\"b\"}", BODY_OPTIONAL));
    assert_out_string("a", "b");
    cr_assert_not(read_chat("application/json", "{\"a\"", BODY_OPTIONAL));
    assert_chat_400("bad payload");
}

static const char form_type[] = "application/x-www-form-urlencoded";

Test(body, form_fields_become_strings)
{
    cr_assert(read_chat(form_type, "username=ann+lee&age=30&note=caf%C3%A9", BODY_ACCEPT_FORM));
    cr_assert_eq(bson_count_keys(&out), 3);
    assert_out_string("username", "ann lee");
    assert_out_string("age", "30");
    assert_out_string("note", "caf\xc3\xa9");
}

Test(body, form_with_charset_parameter)
{
    cr_assert(read_chat("application/x-www-form-urlencoded; charset=utf-8", "a=1",
                        BODY_ACCEPT_FORM));
    assert_out_string("a", "1");
}

Test(body, form_flag_still_takes_json)
{
    cr_assert(read_chat("application/json", "{\"a\":\"1\"}", BODY_ACCEPT_FORM));
    assert_out_string("a", "1");
}

Test(body, repeated_form_field_is_refused)
{
    cr_assert_not(read_chat(form_type, "a=1&b=2&a=3", BODY_ACCEPT_FORM));
    assert_chat_400("bad payload");
}

Test(body, malformed_form_is_refused)
{
    static const char *const bad[] = {"a=%zz", "a=%00", "%24where=1", "a=%ff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not(read_chat(form_type, bad[i], BODY_ACCEPT_FORM), "%s", bad[i]);
        assert_chat_400("bad payload");
    }
}

/* Form fields pass the JSON reader's UTF-8 rules (utf8.h), in names and values. */
Test(body, form_text_must_be_strict_utf8)
{
    static const char *const bad[] = {
        "a=%C0%AF",          /* overlong '/' */
        "a=%E0%80%AF",       /* overlong, three bytes */
        "a=%ED%A0%80",       /* surrogate U+D800 */
        "a=%F4%90%80%80",    /* past U+10FFFF */
        "a=%E2%82",          /* truncated */
        "%C3=1",             /* in the name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not(read_chat(form_type, bad[i], BODY_ACCEPT_FORM), "%s", bad[i]);
        assert_chat_400("bad payload");
    }
    cr_assert(read_chat(form_type, "a=%F4%8F%BF%BF&%E2%82%AC=%ED%9F%BF", BODY_ACCEPT_FORM));
    assert_out_string("a", "\xf4\x8f\xbf\xbf");
    assert_out_string("\xe2\x82\xac", "\xed\x9f\xbf");
}

Test(body, game_form_errors_are_in_the_game_shape)
{
    cr_assert_not(read_body(REALM_GAME, form_type, "a=1&a=2", BODY_ACCEPT_FORM));
    assert_game_400("Malformed form body.");
}

/* --- the member limit (BODY_MAX_MEMBERS) ------------------------------------------- */

/* {"k0":0,...} with n keys; or, when inner is set, {"name":"x","<inner>":{n keys}}. */
static char *object_of(int n, const char *inner)
{
    struct buf b = BUF_INIT;
    if (inner)
        buf_printf(&b, "{\"name\":\"x\",\"%s\":", inner);
    buf_putc(&b, '{');
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    buf_putc(&b, '}');
    if (inner)
        buf_putc(&b, '}');
    char *text = arena_strdup(arena, buf_cstr(&b));
    buf_free(&b);
    return text;
}

/* {"features":[n strings]} */
static char *list_of(int n)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"features\":[");
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s\"F%d\"", i ? "," : "", i);
    buf_puts(&b, "]}");
    char *text = arena_strdup(arena, buf_cstr(&b));
    buf_free(&b);
    return text;
}

/* k0=0&k1=1&... with n fields (and empty pairs between them, which do not count). */
static char *form_of(int n)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%sk%d=%d", i ? "&&" : "", i, i);
    char *text = arena_strdup(arena, buf_cstr(&b));
    buf_free(&b);
    return text;
}

Test(body, objects_of_up_to_the_limit_are_read)
{
    cr_assert(read_chat("application/json", object_of(BODY_MAX_MEMBERS, NULL), 0));
    cr_assert_eq(bson_count_keys(&out), BODY_MAX_MEMBERS);
    cr_assert(read_chat("application/json", object_of(BODY_MAX_MEMBERS, "extra"), 0));
    cr_assert(read_body(REALM_GAME, "application/json", object_of(BODY_MAX_MEMBERS, NULL), 0));
    cr_assert(read_chat("application/json", list_of(BODY_MAX_MEMBERS), 0));
}

Test(body, one_key_past_the_limit_is_refused_naming_it)
{
    cr_assert_not(read_chat("application/json", object_of(BODY_MAX_MEMBERS + 1, NULL), 0));
    assert_chat_400("too many keys: a JSON object may have at most 64");
    cr_assert_not(read_chat("application/json", object_of(BODY_MAX_MEMBERS + 1, "extra"), 0));
    assert_chat_400("too many keys in 'extra': a JSON object may have at most 64");
    cr_assert_not(read_body(REALM_GAME, "application/json", object_of(BODY_MAX_MEMBERS + 1, NULL), 0));
    assert_game_400("Too many keys: a JSON object may have at most 64.");
    cr_assert_not(read_body(REALM_GAME, NULL, object_of(20000, "Reason"), BODY_OPTIONAL));
    assert_game_400("Too many keys in 'Reason': a JSON object may have at most 64.");
}

Test(body, one_element_past_the_limit_is_refused_naming_it)
{
    cr_assert_not(read_chat("application/json", list_of(BODY_MAX_MEMBERS + 1), 0));
    assert_chat_400("too many elements in 'features': a JSON array may have at most 64");
    cr_assert_not(read_body(REALM_GAME, "application/json", list_of(5000), 0));
    assert_game_400("Too many elements in 'features': a JSON array may have at most 64.");
}

Test(body, forms_of_up_to_the_limit_are_read)
{
    cr_assert(read_chat(form_type, form_of(BODY_MAX_MEMBERS), BODY_ACCEPT_FORM));
    cr_assert_eq(bson_count_keys(&out), BODY_MAX_MEMBERS);
    assert_out_string("k63", "63");
    cr_assert(read_body(REALM_GAME, form_type, form_of(BODY_MAX_MEMBERS), BODY_ACCEPT_FORM));
}

Test(body, one_form_field_past_the_limit_is_refused_naming_it)
{
    cr_assert_not(read_chat(form_type, form_of(BODY_MAX_MEMBERS + 1), BODY_ACCEPT_FORM));
    assert_chat_400("too many fields: a form may have at most 64");
    cr_assert_not(read_body(REALM_GAME, form_type, form_of(20000), BODY_ACCEPT_FORM));
    assert_game_400("Too many fields: a form may have at most 64.");
}

Test(body, content_type_matching)
{
    cr_assert(body_content_type_is("application/json", "application/json"));
    cr_assert(body_content_type_is("application/json; charset=utf-8", "application/json"));
    cr_assert(body_content_type_is("application/json ;charset=utf-8", "application/json"));
    cr_assert(body_content_type_is("  application/json", "application/json"));
    cr_assert(body_content_type_is("APPLICATION/JSON", "application/json"));
    cr_assert_not(body_content_type_is(NULL, "application/json"));
    cr_assert_not(body_content_type_is("", "application/json"));
    cr_assert_not(body_content_type_is("application/jso", "application/json"));
    cr_assert_not(body_content_type_is("application/json-seq", "application/json"));
    cr_assert_not(body_content_type_is("text/application/json", "application/json"));
}
