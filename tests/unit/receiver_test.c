/*
 * receiver: the tests' webhook receiver (tests/support/receiver.h) checks
 * signatures as the Standard Webhooks specification computes them (its
 * published example), refuses a bad one with 401, records every request in
 * arrival order, and answers as the test tells it: per webhook-id, per body,
 * a default, and "down" (connection refused) and back.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/http.h"
#include "support/receiver.h"

/* The example of the Standard Webhooks specification. */
#define SPEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SPEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SPEC_TIMESTAMP "1614265330"
#define SPEC_BODY "{\"test\": 2432232314}"
#define SPEC_SIGNATURE "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static struct receiver rx;

static void stop_receiver(void)
{
    receiver_stop(&rx);
}

/* POST body to the receiver's path with the given webhook headers (NULL:
 * left out); the answer's status, 0 when none came. */
static long post(const char *path, const char *id, const char *timestamp, const char *signature,
                 const char *body)
{
    char h_id[128], h_ts[64], h_sig[256], url[128];
    const char *headers[5];
    size_t n = 0;
    headers[n++] = "Content-Type: application/json";
    if (id) {
        snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
        headers[n++] = h_id;
    }
    if (timestamp) {
        snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", timestamp);
        headers[n++] = h_ts;
    }
    if (signature) {
        snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", signature);
        headers[n++] = h_sig;
    }
    headers[n] = NULL;
    snprintf(url, sizeof url, "%s%s", rx.url, path);
    struct http_response r;
    http_request("POST", url, headers, body, strlen(body), &r);
    long status = r.status;
    http_response_free(&r);
    return status;
}

/* A signed POST of body under the receiver's own secret. */
static long post_signed(const char *id, const char *body)
{
    char sig[RECEIVER_SIGNATURE_SIZE];
    cr_assert_eq(receiver_sign(rx.secret, id, "1700000000", body, strlen(body), sig), 0);
    return post("/hook", id, "1700000000", sig, body);
}

Test(receiver, signs_the_specifications_example)
{
    char sig[RECEIVER_SIGNATURE_SIZE];
    cr_assert_eq(receiver_sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY), sig), 0);
    cr_expect_str_eq(sig, SPEC_SIGNATURE);
    cr_expect(receiver_signature_ok(SPEC_SECRET, SPEC_SIGNATURE, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY,
                                    strlen(SPEC_BODY)));
    /* one good signature among several (key rotation) */
    cr_expect(receiver_signature_ok(SPEC_SECRET, "v1,AAAA v1a,xyz " SPEC_SIGNATURE, SPEC_ID,
                                    SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY)));
    /* anything else changed: refused */
    cr_expect(!receiver_signature_ok(SPEC_SECRET, SPEC_SIGNATURE, SPEC_ID, "1614265331", SPEC_BODY,
                                     strlen(SPEC_BODY)));
    cr_expect(!receiver_signature_ok(SPEC_SECRET, SPEC_SIGNATURE, "msg_other", SPEC_TIMESTAMP,
                                     SPEC_BODY, strlen(SPEC_BODY)));
    cr_expect(!receiver_signature_ok(SPEC_SECRET, SPEC_SIGNATURE, SPEC_ID, SPEC_TIMESTAMP,
                                     "{\"test\": 2432232315}", strlen(SPEC_BODY)));
    cr_expect(!receiver_signature_ok("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSX", SPEC_SIGNATURE, SPEC_ID,
                                     SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY)));
    cr_expect(!receiver_signature_ok(SPEC_SECRET, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", SPEC_ID, SPEC_TIMESTAMP,
                                     SPEC_BODY, strlen(SPEC_BODY)));
    cr_expect(!receiver_signature_ok(SPEC_SECRET, "", SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY,
                                     strlen(SPEC_BODY)));
    cr_expect_eq(receiver_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY,
                               strlen(SPEC_BODY), sig), -1, "no whsec_ prefix");
}

Test(receiver, accepts_good_signatures_refuses_bad_ones_and_records_both, .fini = stop_receiver)
{
    cr_assert_eq(receiver_start(&rx, SPEC_SECRET), 0);
    cr_expect_eq(post("/gateway", SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE, SPEC_BODY), 200);
    cr_expect_eq(post("/gateway", SPEC_ID, "1614265331", SPEC_SIGNATURE, SPEC_BODY), 401, "timestamp changed");
    cr_expect_eq(post("/gateway", SPEC_ID, SPEC_TIMESTAMP, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",
                      SPEC_BODY), 401, "truncated signature");
    cr_expect_eq(post("/gateway", SPEC_ID, SPEC_TIMESTAMP, NULL, SPEC_BODY), 401, "no signature");
    cr_expect_eq(post("/gateway", NULL, NULL, NULL, SPEC_BODY), 401, "no webhook headers");

    struct receiver_log log;
    cr_assert_eq(receiver_read(&rx, &log), 0);
    cr_assert_eq(log.n, 5, "every request is recorded");
    const struct receiver_record *first = &log.records[0];
    cr_expect(first->signature_valid);
    cr_expect_eq(first->status, 200);
    cr_expect_str_eq(first->method, "POST");
    cr_expect_str_eq(first->path, "/gateway");
    cr_expect_str_eq(first->id, SPEC_ID);
    cr_expect_str_eq(first->timestamp, SPEC_TIMESTAMP);
    cr_expect_str_eq(first->content_type, "application/json");
    cr_expect_str_eq(first->body, SPEC_BODY);
    cr_expect_eq(first->body_len, strlen(SPEC_BODY));
    cr_expect(first->arrival_ms > 1600000000000LL, "arrival is wall-clock ms");
    for (size_t i = 1; i < log.n; i++) {
        cr_expect(!log.records[i].signature_valid, "request %zu", i);
        cr_expect_eq(log.records[i].status, 401, "request %zu", i);
        cr_expect(log.records[i].arrival_ms >= log.records[i - 1].arrival_ms, "in arrival order");
    }
    cr_expect_str_eq(log.records[4].id, "");
    receiver_log_free(&log);
    cr_expect_eq(receiver_count(&rx, 200), 1);
    cr_expect_eq(receiver_count(&rx, 0), 5);
}

Test(receiver, answers_as_the_test_says, .fini = stop_receiver)
{
    cr_assert_eq(receiver_start(&rx, NULL), 0);
    cr_expect_eq(strncmp(rx.secret, "whsec_", 6), 0);
    cr_expect_eq(post_signed("1", "{\"a\":1}"), 200, "default");

    cr_assert_eq(receiver_answer_id(&rx, "2", 500), 0);
    cr_assert_eq(receiver_answer_body(&rx, 422, "\"user_id\":\"77\"", "USER_UPDATE", NULL), 0);
    cr_expect_eq(post_signed("2", "{\"a\":2}"), 500, "by id");
    cr_expect_eq(post_signed("3", "{\"type\":\"USER_UPDATE\",\"user_id\":\"77\"}"), 422, "every text");
    cr_expect_eq(post_signed("4", "{\"type\":\"USER_DISCONNECT\",\"user_id\":\"77\"}"), 200, "one text missing");
    cr_assert_eq(receiver_answer_id(&rx, "2", 0), 0);
    cr_expect_eq(post_signed("2", "{\"a\":2}"), 200, "rule removed");

    cr_assert_eq(receiver_default_status(&rx, 503), 0);
    cr_expect_eq(post_signed("5", "{}"), 503);
    cr_assert_eq(receiver_clear_rules(&rx), 0);
    cr_assert_eq(receiver_default_status(&rx, 204), 0);
    cr_expect_eq(post_signed("3", "{\"type\":\"USER_UPDATE\",\"user_id\":\"77\"}"), 204, "rules cleared");

    /* down: refused; up again on the same port */
    cr_assert_eq(receiver_set_down(&rx, true), 0);
    cr_expect_eq(post_signed("6", "{}"), 0, "nothing answers while down");
    cr_assert_eq(receiver_set_down(&rx, false), 0);
    cr_assert_eq(receiver_delay(&rx, 20), 0);
    cr_expect_eq(post_signed("7", "{}"), 204);

    struct receiver_log log;
    cr_assert_eq(receiver_read(&rx, &log), 0);
    const char *ids[] = {"1", "2", "3", "4", "2", "5", "3", "7"};
    const int statuses[] = {200, 500, 422, 200, 200, 503, 204, 204};
    cr_assert_eq(log.n, 8, "%zu records", log.n);
    for (size_t i = 0; i < log.n; i++) {
        cr_expect_str_eq(log.records[i].id, ids[i], "record %zu", i);
        cr_expect_eq(log.records[i].status, statuses[i], "record %zu", i);
        cr_expect(log.records[i].signature_valid, "record %zu", i);
    }
    receiver_log_free(&log);
}

Test(receiver, a_large_body_arrives_whole, .fini = stop_receiver)
{
    cr_assert_eq(receiver_start(&rx, NULL), 0);
    size_t n = 300000;
    char *body = malloc(n + 1);
    cr_assert(body);
    memset(body, 'x', n);
    body[0] = '"';
    body[n - 1] = '"';
    body[n] = '\0';
    cr_expect_eq(post_signed("big", body), 200);
    struct receiver_log log;
    cr_assert_eq(receiver_read(&rx, &log), 0);
    cr_assert_eq(log.n, 1);
    cr_expect_eq(log.records[0].body_len, n);
    cr_expect_eq(memcmp(log.records[0].body, body, n), 0);
    receiver_log_free(&log);
    free(body);
}
