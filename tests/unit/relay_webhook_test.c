/*
 * relay/webhook: the signature a receiver checks (the Standard Webhooks
 * reference vector), the secrets it accepts, and the body of each outbox's
 * documents as the README's contract shows them.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "warden/relay/webhook.h"

static void setup(void)
{
    cr_assert_geq(sodium_init(), 0);
}

TestSuite(relay_webhook, .init = setup);

Test(relay_webhook, signs_the_standard_webhooks_reference_vector)
{
    struct webhook_key key;
    char err[160];
    cr_assert(webhook_key_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &key, err, sizeof err), "%s", err);
    cr_assert_eq(key.len, 24);
    const char *body = "{\"test\": 2432232314}";
    char sig[WEBHOOK_SIGNATURE_SIZE];
    webhook_sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig);
    cr_expect_str_eq(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

Test(relay_webhook, a_changed_byte_changes_the_signature)
{
    struct webhook_key key;
    char err[160], a[WEBHOOK_SIGNATURE_SIZE], b[WEBHOOK_SIGNATURE_SIZE];
    cr_assert(webhook_key_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &key, err, sizeof err));
    webhook_sign(&key, "1", 100, "{}", 2, a);
    webhook_sign(&key, "1", 101, "{}", 2, b);
    cr_expect_str_neq(a, b, "the timestamp is signed");
    webhook_sign(&key, "2", 100, "{}", 2, b);
    cr_expect_str_neq(a, b, "the id is signed");
}

Test(relay_webhook, refuses_malformed_and_short_secrets)
{
    struct webhook_key key;
    char err[160];
    cr_expect_not(webhook_key_parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &key, err, sizeof err));
    cr_expect(strstr(err, "whsec_") != NULL, "%s", err);
    cr_expect_not(webhook_key_parse("whsec_not base64!", &key, err, sizeof err));
    cr_expect(strstr(err, "base64") != NULL, "%s", err);
    /* 16 bytes: below the 24 Standard Webhooks asks for. */
    cr_expect_not(webhook_key_parse("whsec_AAAAAAAAAAAAAAAAAAAAAA==", &key, err, sizeof err));
    cr_expect(strstr(err, "at least 24") != NULL, "%s", err);
    cr_expect(strstr(err, "AAAA") == NULL, "the message never quotes the secret: %s", err);
}

Test(relay_webhook, a_gateway_event_body_has_its_ids_as_strings_and_its_data)
{
    bson_t ev = BSON_INITIALIZER, data;
    BSON_APPEND_INT64(&ev, "_id", 1577325371848783622LL);
    BSON_APPEND_UTF8(&ev, "type", "GUILD_UPDATE");
    BSON_APPEND_INT64(&ev, "guild_id", 1234567890123456789LL);
    BSON_APPEND_DOCUMENT_BEGIN(&ev, "data", &data);
    BSON_APPEND_UTF8(&data, "id", "1234567890123456789");
    BSON_APPEND_BOOL(&data, "unavailable", false);
    bson_append_document_end(&ev, &data);
    BSON_APPEND_DATE_TIME(&ev, "created_at", 1796134074059LL);
    struct buf out = BUF_INIT;
    webhook_body(&ev, false, &out);
    cr_expect_str_eq(out.data,
                     "{\"type\":\"GUILD_UPDATE\",\"timestamp\":\"2026-12-01T14:07:54.059000+00:00\","
                     "\"guild_id\":\"1234567890123456789\",\"data\":{\"id\":\"1234567890123456789\","
                     "\"unavailable\":false}}");
    buf_free(&out);
    bson_destroy(&ev);
}

Test(relay_webhook, a_game_command_body_carries_its_fields_under_data)
{
    bson_t ev = BSON_INITIALIZER;
    BSON_APPEND_INT64(&ev, "_id", 7);
    BSON_APPEND_UTF8(&ev, "type", "warp");
    BSON_APPEND_UTF8(&ev, "player_id", "p-guid");
    BSON_APPEND_UTF8(&ev, "user_id", "u-guid");
    BSON_APPEND_UTF8(&ev, "map_id", "m-guid");
    BSON_APPEND_INT64(&ev, "x", 3);
    BSON_APPEND_INT64(&ev, "y", 4);
    BSON_APPEND_DATE_TIME(&ev, "created_at", 0);
    struct buf out = BUF_INIT;
    webhook_body(&ev, true, &out);
    cr_expect_str_eq(out.data,
                     "{\"type\":\"warp\",\"timestamp\":\"1970-01-01T00:00:00.000000+00:00\","
                     "\"data\":{\"player_id\":\"p-guid\",\"user_id\":\"u-guid\",\"map_id\":\"m-guid\","
                     "\"x\":3,\"y\":4}}");
    buf_free(&out);
    bson_destroy(&ev);
}
