/*
 * store/users, from the inside: the static helpers behind the choice of a
 * free discriminator. Past its random draws (a name with more than 9000
 * creations ever, or draws that kept missing), a creation reads the name's
 * tag claims ("<username>#dddd") into a set of used discriminators and
 * picks one of the free ones at random; the name's join ordinals (padded,
 * read back from the highest claim) tell when that point is reached.
 *
 * The module is included whole, as h2o's t/00unit does, so that these
 * functions can stay static; the Makefile links this test without
 * src/store/users.o.
 */
#include "../../src/store/users.c"

#include <criterion/criterion.h>

static void init(void)
{
    cr_assert_geq(sodium_init(), 0, "libsodium");
}

TestSuite(store_users_static, .init = init);

/* --- picking among the free ones ------------------------------------------------ */

Test(store_users_static, with_nothing_used_any_discriminator_can_come)
{
    static unsigned char used[10000];

    for (int i = 0; i < 500; i++) {
        int d = pick_free(used, 0);
        cr_assert(d >= 1 && d <= 9999, "picked %d", d);
    }
}

Test(store_users_static, the_only_free_one_is_picked)
{
    static unsigned char used[10000];

    memset(used, 1, sizeof used);
    used[0] = 0; /* not a discriminator: never picked, never counted */
    used[4242] = 0;
    for (int i = 0; i < 50; i++)
        cr_assert_eq(pick_free(used, 9998), 4242);
    used[4242] = 1;
    used[1] = 0;
    cr_assert_eq(pick_free(used, 9998), 1, "the lowest");
    used[1] = 1;
    used[9999] = 0;
    cr_assert_eq(pick_free(used, 9998), 9999, "the highest");
}

Test(store_users_static, none_free_is_no_pick)
{
    static unsigned char used[10000];

    memset(used, 1, sizeof used);
    cr_assert_eq(pick_free(used, 9999), -1);
    cr_assert_eq(pick_free(used, 12000), -1, "a count past the range");
}

Test(store_users_static, a_used_one_is_never_picked_and_every_free_one_is)
{
    static unsigned char used[10000];
    int seen[3] = {0, 0, 0};
    const int free_ones[3] = {7, 5000, 9998};

    memset(used, 1, sizeof used);
    for (int k = 0; k < 3; k++)
        used[free_ones[k]] = 0;
    /* Uniform over the three: missing one in 600 draws has odds of 3 * (2/3)^600. */
    for (int i = 0; i < 600; i++) {
        int d = pick_free(used, 9996);
        int k = 0;

        while (k < 3 && free_ones[k] != d)
            k++;
        cr_assert_lt(k, 3, "picked %d, which is used", d);
        seen[k]++;
    }
    for (int k = 0; k < 3; k++)
        cr_assert_gt(seen[k], 0, "%d was never picked", free_ones[k]);
}

/* --- the used set, from the name's tag claims ------------------------------------ */

/* mark_used on a claim document whose _id is key. */
static void mark(struct used_set *set, const char *key)
{
    bson_t doc = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&doc, "_id", key);
    cr_assert(mark_used(&doc, set), "mark_used stops the walk");
    bson_destroy(&doc);
}

Test(store_users_static, claims_mark_their_discriminators_once)
{
    static unsigned char used[10000];
    struct used_set set = {used, 0, strlen("bob#")};

    mark(&set, "bob#0042");
    mark(&set, "bob#0042");
    mark(&set, "bob#9999");
    mark(&set, "bob#0001");
    cr_assert_eq(set.count, 3, "a claim read twice counts once");
    cr_assert(used[42] && used[9999] && used[1]);
    cr_assert_not(used[41] || used[43]);
}

Test(store_users_static, keys_that_are_not_a_discriminator_are_ignored)
{
    static unsigned char used[10000];
    struct used_set set = {used, 0, strlen("bob#")};
    const char *keys[] = {
        "bob#0000",   /* 0 is no discriminator */
        "bob#42",     /* not four digits */
        "bob#00042",  /* nor five */
        "bob#00x2",   /* not digits */
        "bob#-042",   /* nor a sign */
        "bob#",
    };

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        mark(&set, keys[i]);
    cr_assert_eq(set.count, 0);
    for (int d = 0; d < 10000; d++)
        cr_assert_not(used[d], "%d marked", d);
}

Test(store_users_static, the_pick_avoids_every_claimed_discriminator)
{
    static unsigned char used[10000];
    struct used_set set = {used, 0, strlen("crowded#")};
    char key[32];

    /* Every discriminator claimed but 17 and 9000. */
    for (int d = 1; d <= 9999; d++) {
        if (d == 17 || d == 9000)
            continue;
        snprintf(key, sizeof key, "crowded#%04d", d);
        mark(&set, key);
    }
    cr_assert_eq(set.count, 9997);
    for (int i = 0; i < 100; i++) {
        int d = pick_free(used, set.count);
        cr_assert(d == 17 || d == 9000, "picked %d", d);
    }
}

/* --- join ordinals ----------------------------------------------------------------- */

Test(store_users_static, ordinal_keys_are_padded_and_read_back)
{
    char key[128]; /* as join_name's */
    struct top_ordinal top = {strlen("bob#"), 0};
    bson_t doc = BSON_INITIALIZER;

    ordinal_key("bob#", 9001, key, sizeof key);
    cr_assert_str_eq(key, "bob#0000009001");
    store_users_join_key("bob", 9001, key, sizeof key);
    cr_assert_str_eq(key, "bob#0000009001", "the public builder agrees");
    BSON_APPEND_UTF8(&doc, "_id", key);
    cr_assert_not(read_ordinal(&doc, &top), "the highest claim is the only one read");
    cr_assert_eq(top.value, 9001);
    cr_assert_gt(top.value, DISCRIMINATOR_LIMIT, "past the limit: the claims are read");
    bson_destroy(&doc);
}

Test(store_users_static, a_key_that_is_not_an_ordinal_reads_as_none)
{
    const char *keys[] = {"bob#9001", "bob#000000900x", "bob#00000090010"};

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        struct top_ordinal top = {strlen("bob#"), 0};
        bson_t doc = BSON_INITIALIZER;

        BSON_APPEND_UTF8(&doc, "_id", keys[i]);
        read_ordinal(&doc, &top);
        cr_assert_eq(top.value, 0, "%s read as %lld", keys[i], (long long)top.value);
        bson_destroy(&doc);
    }
}
