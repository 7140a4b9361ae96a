/*
 * store/invites, from the inside: the static helpers behind picking an
 * invite's next use slot. A registration reads the highest slot of its code
 * with one descending read of the code's slot range (limit 1), takes the
 * number after it and inserts that slot; a duplicate means someone else took
 * it first. That is only right if slot ids sort as their numbers do, every
 * id of a code (and no other's) falls in its range, the top read off a
 * document is its number, and a slot of an earlier release (unpadded, which
 * would misread the top) is noticed. Slots of that release are renumbered
 * after the padded ones, in their old order, and never twice.
 *
 * The module is included whole, as h2o's t/00unit does, so that these
 * functions can stay static; the Makefile links this test without
 * src/store/invites.o.
 */
#include "../../src/store/invites.c"

#include <criterion/criterion.h>

#define CODE "AbCd12"

Test(store_invites_static, slot_ids_are_the_code_the_mark_and_ten_digits)
{
    char id[SLOT_ID_SIZE];

    slot_id(CODE, SLOT_MARK, 7, id);
    cr_assert_str_eq(id, CODE "#0000000007");
    slot_id(CODE, TOMBSTONE_MARK, 7, id);
    cr_assert_str_eq(id, CODE "~0000000007");
    slot_id(CODE, SLOT_MARK, 9999999999LL, id);
    cr_assert_str_eq(id, CODE "#9999999999");
    /* Only the code's six characters go in, whatever follows them. */
    slot_id(CODE "-and-more", SLOT_MARK, 1, id);
    cr_assert_str_eq(id, CODE "#0000000001");
}

Test(store_invites_static, slot_ids_sort_as_their_numbers)
{
    /* A descending read of the range must meet the highest number first. */
    const int64_t n[] = {0, 1, 9, 10, 99, 100, 999999, 1000000, 9999999999LL};
    char prev[SLOT_ID_SIZE], id[SLOT_ID_SIZE];

    slot_id(CODE, SLOT_MARK, n[0], prev);
    for (size_t i = 1; i < sizeof n / sizeof n[0]; i++) {
        slot_id(CODE, SLOT_MARK, n[i], id);
        cr_assert_lt(strcmp(prev, id), 0, "%s sorts after %s", prev, id);
        memcpy(prev, id, sizeof id);
    }
}

Test(store_invites_static, slot_numbers_read_back_and_refuse_other_ids)
{
    const int64_t n[] = {0, 1, 42, 1000000, 9999999999LL};
    char id[SLOT_ID_SIZE];

    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        slot_id(CODE, SLOT_MARK, n[i], id);
        cr_assert_eq(slot_number(id), n[i], "%s", id);
        slot_id(CODE, TOMBSTONE_MARK, n[i], id);
        cr_assert_eq(slot_number(id), n[i], "%s", id);
    }
    cr_assert_eq(slot_number(CODE "#7"), -1, "a slot of the earlier release (unpadded)");
    cr_assert_eq(slot_number(CODE "#00000000x7"), -1, "a non-digit");
    cr_assert_eq(slot_number(CODE "#000000007"), -1, "nine digits");
    cr_assert_eq(slot_number(CODE "#00000000007"), -1, "eleven digits");
    cr_assert_eq(slot_number(""), -1, "empty");
}

Test(store_invites_static, a_codes_range_holds_its_slots_and_no_other_codes)
{
    char slots[PREFIX_SIZE], tombstones[PREFIX_SIZE], id[SLOT_ID_SIZE];

    range_prefix(CODE, SLOT_MARK, slots);
    range_prefix(CODE, TOMBSTONE_MARK, tombstones);
    cr_assert_str_eq(slots, CODE "#");
    cr_assert_str_eq(tombstones, CODE "~");

    slot_id(CODE, SLOT_MARK, 3, id);
    cr_assert_eq(strncmp(id, slots, strlen(slots)), 0, "%s is outside %s", id, slots);
    cr_assert_neq(strncmp(id, tombstones, strlen(tombstones)), 0, "a slot among tombstones");
    slot_id(CODE, TOMBSTONE_MARK, 3, id);
    cr_assert_eq(strncmp(id, tombstones, strlen(tombstones)), 0, "%s is outside %s", id, tombstones);
    /* A code that extends another is not in its range: codes are six long. */
    slot_id("AbCd1x", SLOT_MARK, 3, id);
    cr_assert_neq(strncmp(id, slots, strlen(slots)), 0, "%s is inside %s", id, slots);
}

/* take_top on a document whose _id is id. */
static struct top_read top_of(const char *id)
{
    struct top_read t = {0, false};
    bson_t doc = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&doc, "_id", id);
    cr_assert_not(take_top(&doc, &t), "take_top asks for more than the first document");
    bson_destroy(&doc);
    return t;
}

Test(store_invites_static, the_top_is_the_first_slot_read_and_the_next_pick_follows_it)
{
    char id[SLOT_ID_SIZE];

    slot_id(CODE, SLOT_MARK, 41, id);
    struct top_read t = top_of(id);
    cr_assert_eq(t.top, 41);
    cr_assert_not(t.unpadded);
    /* what store_invite_consume inserts next */
    slot_id(CODE, SLOT_MARK, t.top + 1, id);
    cr_assert_str_eq(id, CODE "#0000000042");

    t = top_of(CODE "#41");
    cr_assert(t.unpadded, "an unpadded slot must be refused, not read as a top");
    cr_assert_lt(t.top, 0);
}

/* A slot document of the earlier release, or a padded one (old_id set when
 * it was renumbered from one). */
static bson_t *slot_doc(const char *id, int64_t n, const char *old_id)
{
    bson_t *doc = bson_new();

    BSON_APPEND_UTF8(doc, "_id", id);
    if (n >= 0)
        BSON_APPEND_INT64(doc, "n", n);
    if (old_id)
        BSON_APPEND_UTF8(doc, "old_id", old_id);
    BSON_APPEND_NULL(doc, "user_id");
    return doc;
}

static void add(struct code_group *g, const char *id, int64_t n, const char *old_id)
{
    bson_t *doc = slot_doc(id, n, old_id);

    group_add(g, doc, id);
    bson_destroy(doc);
}

Test(store_invites_static, old_slots_follow_the_padded_ones_in_their_old_order)
{
    struct code_group g;
    char padded[SLOT_ID_SIZE];

    memset(&g, 0, sizeof g);
    group_reset(&g, CODE);
    slot_id(CODE, SLOT_MARK, 2, padded);
    add(&g, padded, -1, NULL);
    slot_id(CODE, SLOT_MARK, 5, padded);
    add(&g, padded, -1, CODE "#3");            /* renumbered by an earlier run */
    add(&g, CODE "#10", 10, NULL);
    add(&g, CODE "#9", 9, NULL);
    add(&g, CODE "#3", 3, NULL);
    add(&g, CODE "#x", -1, NULL);              /* no number at all */
    slot_id(CODE, TOMBSTONE_MARK, 1, padded);
    add(&g, padded, -1, NULL);                 /* a tombstone: not a slot */

    cr_assert_eq(g.top, 5, "the highest padded slot");
    cr_assert_eq(g.n_old, 4, "four slots of the earlier release");
    qsort(g.old, g.n_old, sizeof *g.old, by_old_number);
    cr_assert_str_eq(g.old[0].id, CODE "#3");
    cr_assert_str_eq(g.old[1].id, CODE "#9");
    cr_assert_str_eq(g.old[2].id, CODE "#10", "by number, not by text");
    cr_assert_str_eq(g.old[3].id, CODE "#x", "an unreadable number goes last");
    cr_assert(was_migrated(&g, CODE "#3"), "renumbered already: skipped, never twice");
    cr_assert_not(was_migrated(&g, CODE "#9"));

    group_reset(&g, "Zz9999");
    cr_assert_eq(g.n_old + g.n_migrated, 0);
    cr_assert_eq(g.top, 0);
    cr_assert_str_eq(g.code, "Zz9999");
    free(g.old);
    free(g.migrated);
}

Test(store_invites_static, an_old_slot_without_n_is_numbered_from_its_id)
{
    struct code_group g;

    memset(&g, 0, sizeof g);
    group_reset(&g, CODE);
    add(&g, CODE "#12", -1, NULL);
    add(&g, CODE "#4", 40, NULL); /* n wins over the id */
    cr_assert_eq(g.n_old, 2);
    qsort(g.old, g.n_old, sizeof *g.old, by_old_number);
    cr_assert_eq(g.old[0].n, 12);
    cr_assert_eq(g.old[1].n, 40);
    free(g.old);
    free(g.migrated);
}
