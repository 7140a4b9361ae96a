/*
 * password: Argon2id hashes that verify only their own password, the
 * unusable value of deleted accounts that verifies nothing, and the game
 * clients' SHA-256 hex step with its normalisation.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "warden/password.h"

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
}

Test(password, hash_verifies_its_password_only, .init = setup, .timeout = 60)
{
    const char *pw = "correct horse battery staple";
    char h[PASSWORD_HASH_SIZE];
    cr_assert_eq(password_hash(pw, strlen(pw), h), 0);
    cr_expect_eq(strncmp(h, "$argon2id$", 10), 0, "not an Argon2id string: %s", h);
    cr_expect_null(strstr(h, pw), "the hash contains the password");
    cr_expect(password_verify(h, pw, strlen(pw)));
    cr_expect_not(password_verify(h, "correct horse battery stapl", strlen(pw) - 1), "a prefix verifies");
    cr_expect_not(password_verify(h, "Correct horse battery staple", strlen(pw)), "case ignored");
    cr_expect_not(password_verify(h, "", 0), "the empty password verifies");
    /* len counts: the same bytes with one more do not verify. */
    cr_expect_not(password_verify(h, "correct horse battery staple!", strlen(pw) + 1));
}

Test(password, hashes_are_salted, .init = setup, .timeout = 60)
{
    char a[PASSWORD_HASH_SIZE], b[PASSWORD_HASH_SIZE];
    cr_assert_eq(password_hash("hunter22", 8, a), 0);
    cr_assert_eq(password_hash("hunter22", 8, b), 0);
    cr_expect_str_neq(a, b, "the same password hashed twice gives the same string");
    cr_expect(password_verify(a, "hunter22", 8));
    cr_expect(password_verify(b, "hunter22", 8));
}

Test(password, embedded_nul_is_part_of_the_password, .init = setup, .timeout = 60)
{
    char h[PASSWORD_HASH_SIZE];
    cr_assert_eq(password_hash("ab\0cd", 5, h), 0);
    cr_expect(password_verify(h, "ab\0cd", 5));
    cr_expect_not(password_verify(h, "ab", 2), "bytes after a NUL ignored");
    cr_expect_not(password_verify(h, "ab\0ce", 5));
}

Test(password, unusable_value_never_verifies, .init = setup, .timeout = 60)
{
    char u[PASSWORD_HASH_SIZE], v[PASSWORD_HASH_SIZE];
    password_unusable(u);
    password_unusable(v);
    cr_expect_neq(strncmp(u, "$argon2", 7), 0, "the unusable value looks like a hash: %s", u);
    cr_expect_str_neq(u, v, "unusable values repeat (a token key derived from them would too)");
    const char *tries[] = {"", "password", "!disabled!", u, "x"};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
        cr_expect_not(password_verify(u, tries[i], strlen(tries[i])), "\"%s\" verifies", tries[i]);
    cr_expect_not(password_verify(NULL, "x", 1), "a missing hash verifies");
    cr_expect_not(password_verify("", "", 0), "an empty hash verifies");
    cr_expect_not(password_verify("$argon2id$garbage", "x", 1), "a malformed hash verifies");
}

Test(password, dummy_verification_runs, .init = setup, .timeout = 60)
{
    /* No result to see; it must simply not fail, also twice (the dummy hash
     * is made once). */
    password_verify_dummy("anything", 8);
    password_verify_dummy("", 0);
}

Test(password, sha256_hex_known_answers, .init = setup)
{
    char out[65];
    password_sha256_hex("", 0, out);
    cr_expect_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    password_sha256_hex("abc", 3, out);
    cr_expect_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    password_sha256_hex("password", 8, out);
    cr_expect_str_eq(out, "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8");
    cr_expect_eq(strlen(out), 64);
}

Test(password, normalise_sha256_hex)
{
    const char *lower = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    const char *upper = "5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8";
    const char *mixed = "5e884898DA28047151d0e56f8dc6292773603D0D6aabbdd62a11ef721d1542D8";
    char out[65];
    cr_assert(password_normalise_sha256_hex(lower, 64, out));
    cr_expect_str_eq(out, lower);
    memset(out, 0, sizeof out);
    cr_assert(password_normalise_sha256_hex(upper, 64, out), "upper-case hex refused");
    cr_expect_str_eq(out, lower);
    cr_assert(password_normalise_sha256_hex(mixed, 64, out), "mixed-case hex refused");
    cr_expect_str_eq(out, lower);

    cr_expect_not(password_normalise_sha256_hex(lower, 63, out), "63 digits accepted");
    char longer[66];
    memcpy(longer, lower, 64);
    longer[64] = 'a';
    longer[65] = '\0';
    cr_expect_not(password_normalise_sha256_hex(longer, 65, out), "65 digits accepted");
    cr_expect_not(password_normalise_sha256_hex("", 0, out));

    char bad[65];
    const char replacements[] = {'g', 'G', 'x', ' ', '-', '\0', '\xc3'};
    for (size_t i = 0; i < sizeof replacements; i++) {
        memcpy(bad, lower, 65);
        bad[10] = replacements[i];
        cr_expect_not(password_normalise_sha256_hex(bad, 64, out), "'%c' accepted", replacements[i]);
    }
    /* The plaintext itself is not a digest. */
    cr_expect_not(password_normalise_sha256_hex("password", 8, out));
}
