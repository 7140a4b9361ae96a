/*
 * relay/queue: events held per target in id order, one target's failure
 * never reordering another's, and the set of ids seen in the late window.
 */
#include <criterion/criterion.h>

#include "warden/relay/queue.h"

static bson_t *doc(void)
{
    return bson_new();
}

Test(relay_queue, keeps_each_target_in_id_order_whatever_the_arrival_order)
{
    struct relay_queue q;
    relay_queue_init(&q);
    relay_queue_add(&q, 0, "guild:1", 30, 0, doc(), 0);
    relay_queue_add(&q, 0, "guild:1", 10, 0, doc(), 0);
    relay_queue_add(&q, 0, "user:2", 20, 0, doc(), 0);
    relay_queue_add(&q, 0, "guild:1", 20, 0, doc(), 0);
    cr_expect_eq(q.events, 4);
    struct relay_target *g = q.active;
    cr_assert_str_eq(g->name, "guild:1");
    cr_expect_eq(g->head->id, 10);
    cr_expect_eq(g->head->next->id, 20);
    cr_expect_eq(g->head->next->next->id, 30);
    cr_expect_str_eq(g->next_active->name, "user:2");
    relay_queue_clear(&q);
}

Test(relay_queue, refuses_an_id_it_holds_already)
{
    struct relay_queue q;
    relay_queue_init(&q);
    cr_expect_not_null(relay_queue_add(&q, 0, "guild:1", 10, 0, doc(), 0));
    cr_expect_null(relay_queue_add(&q, 0, "guild:1", 10, 0, doc(), 0));
    cr_expect_eq(q.events, 1);
    relay_queue_clear(&q);
}

Test(relay_queue, streams_with_the_same_target_name_stay_apart)
{
    struct relay_queue q;
    relay_queue_init(&q);
    relay_queue_add(&q, 0, "user:5", 10, 0, doc(), 0);
    relay_queue_add(&q, 1, "user:5", 11, 1, doc(), 0);
    cr_expect_eq(relay_queue_find(&q, 0, 10)->stream, 0);
    cr_expect_null(relay_queue_find(&q, 0, 11));
    cr_expect_eq(relay_queue_find(&q, 1, 11)->endpoint, 1);
    relay_queue_clear(&q);
}

Test(relay_queue, removing_the_last_event_removes_its_target)
{
    struct relay_queue q;
    relay_queue_init(&q);
    struct relay_event *a = relay_queue_add(&q, 0, "guild:1", 10, 0, doc(), 0);
    struct relay_event *b = relay_queue_add(&q, 0, "guild:2", 5, 0, doc(), 0);
    cr_expect_eq(relay_queue_oldest(&q, 0), 5);
    relay_queue_remove(&q, b);
    cr_expect_eq(relay_queue_oldest(&q, 0), 10);
    cr_expect_str_eq(q.active->name, "guild:1");
    cr_expect_null(q.active->next_active);
    relay_queue_remove(&q, a);
    cr_expect_null(q.active);
    cr_expect_eq(q.events, 0);
    cr_expect_eq(relay_queue_oldest(&q, 0), 0);
    /* The target is made again on its next event. */
    cr_expect_not_null(relay_queue_add(&q, 0, "guild:1", 11, 0, doc(), 0));
    cr_expect_eq(relay_queue_oldest(&q, 0), 11);
    relay_queue_clear(&q);
}

Test(relay_queue, many_targets_share_buckets_without_mixing)
{
    struct relay_queue q;
    relay_queue_init(&q);
    char name[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(name, sizeof name, "guild:%d", i);
        cr_assert_not_null(relay_queue_add(&q, 0, name, 100000 - i, 0, doc(), 0));
    }
    for (int i = 0; i < 10000; i += 997) {
        struct relay_event *ev = relay_queue_find(&q, 0, 100000 - i);
        cr_assert_not_null(ev);
        snprintf(name, sizeof name, "guild:%d", i);
        cr_expect_str_eq(ev->target->name, name);
    }
    cr_expect_eq(relay_queue_oldest(&q, 0), 100000 - 9999);
    relay_queue_clear(&q);
}

Test(relay_queue, the_id_set_remembers_and_prunes_below_a_floor)
{
    struct relay_idset s;
    relay_idset_init(&s);
    for (int64_t id = 1; id <= 50000; id++)
        relay_idset_add(&s, id * 7);
    cr_expect_eq(s.n, 50000);
    cr_expect(relay_idset_has(&s, 7));
    cr_expect(relay_idset_has(&s, 350000));
    cr_expect_not(relay_idset_has(&s, 8));
    relay_idset_prune(&s, 7 * 40001);
    cr_expect_eq(s.n, 10000);
    cr_expect_not(relay_idset_has(&s, 7 * 40000));
    cr_expect(relay_idset_has(&s, 7 * 40001));
    cr_expect(relay_idset_has(&s, 350000));
    relay_idset_add(&s, 350000);
    cr_expect_eq(s.n, 10000, "adding an id twice counts it once");
    relay_idset_free(&s);
}
