/*
 * token: the chat tokens (Litecord's three-part format, keyed by the secret
 * and the password hash) and the game access tokens. What must hold: a
 * minted token verifies; any change to any part, a different password hash
 * (a password change) or a different secret makes it fail; the id part
 * decodes only to a positive decimal id; game tokens stop at their expiry.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "warden/token.h"

static const char secret_a[] = "0123456789abcdef0123456789abcdef-test-secret-a";
static const char secret_b[] = "0123456789abcdef0123456789abcdef-test-secret-b";
static const char hash_1[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
static const char hash_2[] = "$argon2id$v=19$m=65536,t=2,p=1$b3RoZXJzYWx0c2FsdA$b3RoZXJoYXNo";

static struct token_key key(const char *secret)
{
    struct token_key k = {(const unsigned char *)secret, strlen(secret)};
    return k;
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
}

static void mint_chat(int64_t id, int64_t ts, const char *hash, char out[TOKEN_MAX])
{
    struct token_key k = key(secret_a);
    cr_assert_eq(token_chat_mint(&k, id, ts, hash, out, TOKEN_MAX), 0, "minting failed");
}

static bool verify_chat(const char *token, const char *hash)
{
    struct token_key k = key(secret_a);
    return token_chat_verify(&k, token, hash);
}

/* Offsets of the two dots of a chat token. */
static void dots(const char *token, size_t *first, size_t *second)
{
    const char *a = strchr(token, '.');
    cr_assert(a, "no dot in %s", token);
    const char *b = strchr(a + 1, '.');
    cr_assert(b, "one dot only in %s", token);
    cr_assert_null(strchr(b + 1, '.'), "more than two dots in %s", token);
    *first = (size_t)(a - token);
    *second = (size_t)(b - token);
}

/* A base64 character other than c (stays in both alphabets). */
static char other_b64(char c)
{
    return c == 'A' ? 'B' : 'A';
}

Test(token, chat_round_trip, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(175928847299117063LL, 1700000000, hash_1, t);
    int64_t id = 0;
    cr_assert(token_chat_user_id(t, &id), "the id part of %s does not decode", t);
    cr_expect_eq(id, 175928847299117063LL);
    cr_expect(verify_chat(t, hash_1), "a fresh token %s is refused", t);
    cr_expect(verify_chat(t, hash_1), "verifying twice changes nothing");
}

Test(token, chat_format_is_litecords, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(42, 1700000000, hash_1, t);
    size_t first, second;
    dots(t, &first, &second);
    /* B64("42") = "NDI=" (standard alphabet, padded). */
    cr_expect_eq(first, 4);
    cr_expect_eq(strncmp(t, "NDI=", 4), 0, "id part of %s", t);
    /* 1700000000 = 0x6553F100, big-endian without leading zero bytes, URL-safe unpadded: "ZVPxAA". */
    cr_expect_eq(second - first - 1, 6, "time part of %s", t);
    cr_expect_eq(strncmp(t + first + 1, "ZVPxAA", 6), 0, "time part of %s", t);
    /* HMAC-SHA256: 32 bytes, 43 URL-safe unpadded characters. */
    cr_expect_eq(strlen(t + second + 1), 43, "signature of %s", t);
    cr_expect_eq(strspn(t + second + 1,
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                 43, "signature of %s is not URL-safe base64", t);
}

Test(token, chat_minting_is_deterministic_and_time_bound, .init = setup)
{
    char a[TOKEN_MAX], b[TOKEN_MAX], c[TOKEN_MAX];
    mint_chat(7, 1700000000, hash_1, a);
    mint_chat(7, 1700000000, hash_1, b);
    mint_chat(7, 1700000001, hash_1, c);
    cr_expect_str_eq(a, b);
    cr_expect_str_neq(a, c, "tokens issued at different times are identical");
    cr_expect(verify_chat(c, hash_1));
}

Test(token, chat_time_zero, .init = setup)
{
    char a[TOKEN_MAX], b[TOKEN_MAX];
    mint_chat(7, 0, hash_1, a);
    mint_chat(7, 0, hash_1, b);
    cr_expect_str_eq(a, b, "minting at time 0 is not deterministic");
    size_t first, second;
    dots(a, &first, &second);
    /* One zero byte: "AA". */
    cr_expect_eq(second - first - 1, 2, "time part of %s", a);
    cr_expect_eq(strncmp(a + first + 1, "AA", 2), 0, "time part of %s", a);
    cr_expect(verify_chat(a, hash_1));
}

Test(token, chat_one_character_changed_in_any_part_is_refused, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(175928847299117063LL, 1700000000, hash_1, t);
    size_t len = strlen(t);
    size_t first, second;
    dots(t, &first, &second);
    size_t refused = 0, tried = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == first || i == second)
            continue;
        char copy[TOKEN_MAX];
        memcpy(copy, t, len + 1);
        copy[i] = other_b64(copy[i]);
        tried++;
        if (!verify_chat(copy, hash_1))
            refused++;
        else
            cr_expect_fail("changing character %zu gives %s, which verifies", i, copy);
    }
    cr_expect_eq(refused, tried);
    cr_expect_gt(tried, 50u);
}

Test(token, chat_signature_case_flip_is_refused, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(99, 1700000000, hash_1, t);
    size_t first, second;
    dots(t, &first, &second);
    char copy[TOKEN_MAX];
    strcpy(copy, t);
    for (char *p = copy + second + 1; *p; p++) {
        if (*p >= 'a' && *p <= 'z') {
            *p = (char)(*p - 'a' + 'A');
            break;
        }
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
            break;
        }
    }
    cr_assert_str_neq(copy, t);
    cr_expect_not(verify_chat(copy, hash_1));
}

Test(token, chat_swapped_segments_are_refused, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(175928847299117063LL, 1700000000, hash_1, t);
    size_t first, second;
    dots(t, &first, &second);
    char p1[TOKEN_MAX], p2[TOKEN_MAX], p3[TOKEN_MAX];
    snprintf(p1, sizeof p1, "%.*s", (int)first, t);
    snprintf(p2, sizeof p2, "%.*s", (int)(second - first - 1), t + first + 1);
    snprintf(p3, sizeof p3, "%s", t + second + 1);
    const char *orders[][3] = {
        {p2, p1, p3}, {p1, p3, p2}, {p3, p2, p1}, {p2, p3, p1}, {p3, p1, p2},
    };
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        char swapped[3 * TOKEN_MAX];
        snprintf(swapped, sizeof swapped, "%s.%s.%s", orders[i][0], orders[i][1], orders[i][2]);
        cr_expect_not(verify_chat(swapped, hash_1), "reordered token %s verifies", swapped);
    }
}

Test(token, chat_truncated_is_refused, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(123456789, 1700000000, hash_1, t);
    size_t len = strlen(t);
    for (size_t cut = 0; cut < len; cut++) {
        char copy[TOKEN_MAX];
        memcpy(copy, t, cut);
        copy[cut] = '\0';
        cr_expect_not(verify_chat(copy, hash_1), "token cut to %zu characters (%s) verifies", cut,
                      copy);
    }
}

Test(token, chat_extra_dot_or_part_is_refused, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(123456789, 1700000000, hash_1, t);
    size_t first, second;
    dots(t, &first, &second);
    char copy[2 * TOKEN_MAX];

    snprintf(copy, sizeof copy, "%s.", t);
    cr_expect_not(verify_chat(copy, hash_1), "trailing dot accepted");
    snprintf(copy, sizeof copy, "%s.AAAA", t);
    cr_expect_not(verify_chat(copy, hash_1), "fourth part accepted");
    snprintf(copy, sizeof copy, ".%s", t);
    cr_expect_not(verify_chat(copy, hash_1), "leading dot accepted");
    snprintf(copy, sizeof copy, "%.*s.%s", (int)second, t, t + second);
    cr_expect_not(verify_chat(copy, hash_1), "doubled dot accepted: %s", copy);
    /* Only two parts. */
    snprintf(copy, sizeof copy, "%.*s", (int)second, t);
    cr_expect_not(verify_chat(copy, hash_1));
    snprintf(copy, sizeof copy, "%.*s%s", (int)second, t, t + second + 1);
    cr_expect_not(verify_chat(copy, hash_1), "dot removed: %s", copy);
    /* Padding on the signature. */
    snprintf(copy, sizeof copy, "%s=", t);
    cr_expect_not(verify_chat(copy, hash_1), "padded signature accepted");
    /* Whitespace around. */
    snprintf(copy, sizeof copy, "%s ", t);
    cr_expect_not(verify_chat(copy, hash_1), "trailing space accepted");
}

Test(token, chat_another_password_hash_revokes, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(5, 1700000000, hash_1, t);
    cr_expect(verify_chat(t, hash_1));
    cr_expect_not(verify_chat(t, hash_2), "a token survives a password change");
    cr_expect_not(verify_chat(t, ""), "a token verifies against an empty hash");
    cr_expect_not(verify_chat(t, "!disabled!00"), "a token verifies against an unusable hash");
    /* One character of the hash. */
    char near[sizeof hash_1];
    memcpy(near, hash_1, sizeof hash_1);
    near[sizeof hash_1 - 2] ^= 1;
    cr_expect_not(verify_chat(t, near));
}

Test(token, chat_another_secret_is_refused, .init = setup)
{
    char t[TOKEN_MAX];
    mint_chat(5, 1700000000, hash_1, t);
    struct token_key b = key(secret_b);
    cr_expect_not(token_chat_verify(&b, t, hash_1), "a token verifies under another secret");
    char u[TOKEN_MAX];
    cr_assert_eq(token_chat_mint(&b, 5, 1700000000, hash_1, u, sizeof u), 0);
    cr_expect_str_neq(t, u);
    cr_expect_not(verify_chat(u, hash_1), "a token of another secret verifies");
}

Test(token, chat_token_of_another_user_is_refused, .init = setup)
{
    /* Same hash and time, another id: the signature covers the id part. */
    char a[TOKEN_MAX], b[TOKEN_MAX];
    mint_chat(1001, 1700000000, hash_1, a);
    mint_chat(1002, 1700000000, hash_1, b);
    size_t af, as, bf, bs;
    dots(a, &af, &as);
    dots(b, &bf, &bs);
    char spliced[TOKEN_MAX];
    snprintf(spliced, sizeof spliced, "%.*s%s", (int)bf, b, a + af);
    int64_t id = 0;
    cr_assert(token_chat_user_id(spliced, &id));
    cr_expect_eq(id, 1002);
    cr_expect_not(verify_chat(spliced, hash_1), "user 1001's signature accepted for user 1002");
}

Test(token, chat_mint_refuses_small_buffers, .init = setup)
{
    struct token_key k = key(secret_a);
    char small[16];
    cr_expect_eq(token_chat_mint(&k, 175928847299117063LL, 1700000000, hash_1, small, sizeof small),
                 -1);
    char t[TOKEN_MAX];
    mint_chat(175928847299117063LL, 1700000000, hash_1, t);
    size_t len = strlen(t);
    char exact[TOKEN_MAX];
    cr_expect_eq(token_chat_mint(&k, 175928847299117063LL, 1700000000, hash_1, exact, len + 1), 0);
    cr_expect_str_eq(exact, t);
    cr_expect_eq(token_chat_mint(&k, 175928847299117063LL, 1700000000, hash_1, exact, len), -1);
}

/* The id part of a token whose first part is B64(text). */
static bool id_of(const char *text, int64_t *id)
{
    char part[128], token[256];
    sodium_bin2base64(part, sizeof part, (const unsigned char *)text, strlen(text),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(token, sizeof token, "%s.ZVPxAA.sig", part);
    *id = -4242;
    return token_chat_user_id(token, id);
}

Test(token, chat_user_id_decodes_positive_decimal_ids, .init = setup)
{
    int64_t id;
    cr_expect(id_of("1", &id));
    cr_expect_eq(id, 1);
    cr_expect(id_of("175928847299117063", &id));
    cr_expect_eq(id, 175928847299117063LL);
    cr_expect(id_of("9223372036854775807", &id));
    cr_expect_eq(id, INT64_MAX);
    /* Unpadded base64 is read too (B64("42") without its "="). */
    id = 0;
    cr_expect(token_chat_user_id("NDI.x.y", &id));
    cr_expect_eq(id, 42);
    /* Nothing after the id part. */
    id = 0;
    cr_expect(token_chat_user_id("NDI=", &id));
    cr_expect_eq(id, 42);
}

Test(token, chat_user_id_refuses_what_is_not_an_id, .init = setup)
{
    int64_t id;
    cr_expect_not(id_of("abc", &id), "letters");
    cr_expect_not(id_of("12a", &id), "trailing letter");
    cr_expect_not(id_of("-5", &id), "negative");
    cr_expect_not(id_of("+5", &id), "sign");
    cr_expect_not(id_of("0", &id), "zero");
    cr_expect_not(id_of(" 5", &id), "leading space");
    cr_expect_not(id_of("5 ", &id), "trailing space");
    cr_expect_not(id_of("1.5", &id), "fraction");
    cr_expect_not(id_of("9223372036854775808", &id), "INT64_MAX + 1");
    cr_expect_not(id_of("12345678901234567890", &id), "20 digits");
    cr_expect_not(id_of("123456789012345678901234567890", &id), "30 digits");
    cr_expect_eq(id, -4242, "a refused id must leave *user_id alone");

    int64_t untouched = -4242;
    const char *garbage[] = {"", ".", "..", "abc", "abc.def.ghi", "!!!!.x.y", "NDI=x.y.z",
                             "N", "NDI==.x.y", "\xff\xfe.x.y",
                             /* 44 characters of base64: longer than any id */
                             "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=.x.y"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        cr_expect_not(token_chat_user_id(garbage[i], &untouched), "\"%s\" decoded to an id",
                      garbage[i]);
    }
    cr_expect_eq(untouched, -4242);
}

/* --- game access tokens --------------------------------------------------- */

static struct game_claims claims_for(int64_t issued, int64_t expires)
{
    struct game_claims c;
    memset(&c, 0, sizeof c);
    strcpy(c.user_id, "6ba7b810-9dad-41d1-80b4-00c04fd430c8");
    strcpy(c.stamp, "0123456789abcdef0123456789abcdef");
    c.issued = issued;
    c.expires = expires;
    return c;
}

static void mint_game(const struct game_claims *c, char out[TOKEN_MAX])
{
    struct token_key k = key(secret_a);
    cr_assert_eq(token_game_mint(&k, c, out, TOKEN_MAX), 0, "game minting failed");
}

static bool verify_game(const char *token, int64_t now, struct game_claims *out)
{
    struct token_key k = key(secret_a);
    return token_game_verify(&k, token, now, out);
}

Test(token, game_round_trip, .init = setup)
{
    struct game_claims c = claims_for(1700000000, 1700000300), got;
    char t[TOKEN_MAX];
    mint_game(&c, t);
    memset(&got, 0, sizeof got);
    cr_assert(verify_game(t, 1700000000, &got), "fresh game token %s refused", t);
    cr_expect_str_eq(got.user_id, c.user_id);
    cr_expect_str_eq(got.stamp, c.stamp);
    cr_expect_eq(got.issued, c.issued);
    cr_expect_eq(got.expires, c.expires);
    cr_expect_null(strchr(strchr(t, '.') + 1, '.'), "game token has more than two parts: %s", t);
}

Test(token, game_expiry_boundary, .init = setup)
{
    struct game_claims c = claims_for(1700000000, 1700000300), got;
    char t[TOKEN_MAX];
    mint_game(&c, t);
    cr_expect(verify_game(t, 1700000299, &got), "refused one second before expiry");
    cr_expect_not(verify_game(t, 1700000300, &got), "accepted at the expiry instant");
    cr_expect_not(verify_game(t, 1700000301, &got), "accepted after expiry");
    cr_expect_not(verify_game(t, INT64_MAX, &got));
}

Test(token, game_tampered_parts_are_refused, .init = setup)
{
    struct game_claims c = claims_for(1700000000, 1700000300), got;
    char t[TOKEN_MAX];
    mint_game(&c, t);
    size_t len = strlen(t), dot = (size_t)(strchr(t, '.') - t);
    for (size_t i = 0; i < len; i++) {
        if (i == dot)
            continue;
        char copy[TOKEN_MAX];
        memcpy(copy, t, len + 1);
        copy[i] = other_b64(copy[i]);
        cr_expect_not(verify_game(copy, 1700000000, &got), "character %zu changed: %s verifies", i,
                      copy);
    }
    /* Swapped, truncated, extra part. */
    char copy[2 * TOKEN_MAX];
    snprintf(copy, sizeof copy, "%s.%.*s", t + dot + 1, (int)dot, t);
    cr_expect_not(verify_game(copy, 1700000000, &got), "swapped parts verify");
    for (size_t cut = 0; cut < len; cut++) {
        snprintf(copy, sizeof copy, "%.*s", (int)cut, t);
        cr_expect_not(verify_game(copy, 1700000000, &got), "cut to %zu verifies", cut);
    }
    snprintf(copy, sizeof copy, "%s.", t);
    cr_expect_not(verify_game(copy, 1700000000, &got), "trailing dot verifies");
    snprintf(copy, sizeof copy, "%s.%s", t, t + dot + 1);
    cr_expect_not(verify_game(copy, 1700000000, &got), "third part verifies");
}

Test(token, game_payload_with_later_expiry_under_old_signature_is_refused, .init = setup)
{
    struct game_claims c = claims_for(1700000000, 1700000300), later = claims_for(1700000000, 1800000000), got;
    char t[TOKEN_MAX], u[TOKEN_MAX];
    mint_game(&c, t);
    mint_game(&later, u);
    size_t tdot = (size_t)(strchr(t, '.') - t), udot = (size_t)(strchr(u, '.') - u);
    char forged[2 * TOKEN_MAX];
    snprintf(forged, sizeof forged, "%.*s%s", (int)udot, u, t + tdot);
    cr_expect_not(verify_game(forged, 1700000400, &got), "extended payload with the old signature verifies");
}

Test(token, game_wrong_key_is_refused, .init = setup)
{
    struct game_claims c = claims_for(1700000000, 1700000300), got;
    char t[TOKEN_MAX];
    mint_game(&c, t);
    struct token_key b = key(secret_b);
    cr_expect_not(token_game_verify(&b, t, 1700000000, &got), "game token verifies under another secret");
}

Test(token, game_and_chat_tokens_are_not_interchangeable, .init = setup)
{
    char chat[TOKEN_MAX];
    mint_chat(42, 1700000000, NULL, chat);
    struct game_claims got;
    cr_expect_not(verify_game(chat, 1700000000, &got), "a chat token passes as a game token");
    struct game_claims c = claims_for(1700000000, 1700000300);
    char game[TOKEN_MAX];
    mint_game(&c, game);
    cr_expect_not(verify_chat(game, ""), "a game token passes as a chat token");
}

Test(token, game_garbage_is_refused, .init = setup)
{
    struct game_claims got;
    const char *garbage[] = {"", ".", "abc", "abc.def", "Bearer x.y", "g1|x|1|2|s.sig", "..",
                             "a.b.c"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        cr_expect_not(verify_game(garbage[i], 0, &got), "\"%s\" verifies", garbage[i]);
    /* Longer than any token. */
    char longer[TOKEN_MAX + 64];
    memset(longer, 'A', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    longer[100] = '.';
    cr_expect_not(verify_game(longer, 0, &got));
}

Test(token, game_signed_claims_of_the_wrong_shape_are_refused, .init = setup)
{
    struct game_claims got;
    char t[TOKEN_MAX];
    /* A signature does not make a short stamp or id acceptable. */
    struct game_claims c = claims_for(1700000000, 1700000300);
    strcpy(c.stamp, "abc");
    mint_game(&c, t);
    cr_expect_not(verify_game(t, 1700000000, &got), "a 3-character stamp verifies");
    c = claims_for(1700000000, 1700000300);
    strcpy(c.user_id, "not-a-guid");
    mint_game(&c, t);
    cr_expect_not(verify_game(t, 1700000000, &got), "a short user id verifies");
    c = claims_for(-5, 1700000300);
    mint_game(&c, t);
    cr_expect_not(verify_game(t, 1700000000, &got), "a negative issue time verifies");
}

Test(token, new_stamps_are_random_hex, .init = setup)
{
    char a[TOKEN_STAMP_SIZE], b[TOKEN_STAMP_SIZE];
    token_new_stamp(a);
    token_new_stamp(b);
    cr_expect_eq(strlen(a), TOKEN_STAMP_SIZE - 1);
    cr_expect_eq(strspn(a, "0123456789abcdef"), TOKEN_STAMP_SIZE - 1, "stamp %s", a);
    cr_expect_str_neq(a, b);
}
