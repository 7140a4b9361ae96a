/*
 * snowflake: ids strictly increase within a process (also past 4096 ids in
 * one millisecond), processes with distinct worker/process fields never
 * produce the same id, and the time in an id reads back.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "warden/snowflake.h"
#include "warden/clock.h"

#define FIELD(id, shift) ((unsigned)(((id) >> (shift)) & 31))

Test(snowflake, strictly_increasing_within_a_process)
{
    snowflake_init(3, 7);
    enum { N = 50000 }; /* well over 4096 per millisecond: the counter wraps */
    int64_t *ids = malloc(N * sizeof *ids);
    cr_assert(ids);
    for (int i = 0; i < N; i++)
        ids[i] = snowflake_next();
    for (int i = 1; i < N; i++)
        cr_assert_gt(ids[i], ids[i - 1], "id %d (%lld) is not above id %d (%lld)", i,
                     (long long)ids[i], i - 1, (long long)ids[i - 1]);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(FIELD(ids[i], 17), 3u, "worker field of %lld", (long long)ids[i]);
        cr_assert_eq(FIELD(ids[i], 12), 7u, "process field of %lld", (long long)ids[i]);
    }
    free(ids);
}

Test(snowflake, ids_never_run_ahead_of_the_clock_for_long)
{
    snowflake_init(0, 0);
    int64_t before = clock_wall_ms();
    int64_t last = 0;
    for (int i = 0; i < 20000; i++)
        last = snowflake_next();
    int64_t after = clock_wall_ms();
    int64_t t = snowflake_time_ms(last);
    /* Borrowing the next millisecond waits for it, so an id's time is never
     * later than the clock when it was returned. */
    cr_expect_geq(t, before, "id time %lld before the start %lld", (long long)t, (long long)before);
    cr_expect_leq(t, after, "id time %lld after the end %lld", (long long)t, (long long)after);
}

Test(snowflake, time_round_trip)
{
    /* Discord's documented example: 175928847299117063 is 2016-04-30T11:18:25.796Z. */
    cr_expect_eq(snowflake_time_ms(175928847299117063LL), 1462015105796LL);
    cr_expect_eq(snowflake_time_ms(0), SNOWFLAKE_EPOCH_MS);
    int64_t ms = 1700000000123LL;
    int64_t id = (ms - SNOWFLAKE_EPOCH_MS) << 22 | (int64_t)31 << 17 | (int64_t)31 << 12 | 4095;
    cr_expect_eq(snowflake_time_ms(id), ms, "the low 22 bits leak into the time");

    snowflake_init(1, 2);
    int64_t before = clock_wall_ms();
    int64_t fresh = snowflake_next();
    int64_t after = clock_wall_ms();
    cr_expect_geq(snowflake_time_ms(fresh), before);
    cr_expect_leq(snowflake_time_ms(fresh), after);
}

Test(snowflake, worker_field_alone_separates_ids)
{
    /* Same process field, same millisecond, same counter: only the worker
     * (host) field differs, and so do the ids. */
    snowflake_init(0, 5);
    int64_t a = snowflake_next();
    snowflake_init(1, 5);
    int64_t b = snowflake_next();
    cr_expect_neq(a, b);
    cr_expect_eq(FIELD(a, 17), 0u);
    cr_expect_eq(FIELD(b, 17), 1u);
    cr_expect_eq(FIELD(a, 12), 5u);
    cr_expect_eq(FIELD(b, 12), 5u);
    /* With the time and counter masked out they differ only in the worker bits. */
    cr_expect_eq((a ^ b) & ((1LL << 22) - 1) & ~(31LL << 17) & ~4095LL, 0);
}

Test(snowflake, init_keeps_fields_to_five_bits)
{
    snowflake_init(32 + 4, 64 + 9);
    int64_t id = snowflake_next();
    cr_expect_eq(FIELD(id, 17), 4u);
    cr_expect_eq(FIELD(id, 12), 9u);
    cr_expect_gt(id, 0);
}

/* Children with distinct fields, each writing its ids to a pipe. */
#define CHILDREN 6
#define PER_CHILD 20000

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void child(int fd, unsigned worker, unsigned process)
{
    snowflake_init(worker, process);
    int64_t batch[512];
    for (int done = 0; done < PER_CHILD;) {
        int n = PER_CHILD - done < 512 ? PER_CHILD - done : 512;
        for (int i = 0; i < n; i++)
            batch[i] = snowflake_next();
        const char *p = (const char *)batch;
        size_t left = (size_t)n * sizeof batch[0];
        while (left) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(3);
            p += w;
            left -= (size_t)w;
        }
        done += n;
    }
    _exit(0);
}

/* Read exactly len bytes; false on a short read. */
static bool read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        len -= (size_t)r;
    }
    return true;
}

static void run_children(const unsigned fields[CHILDREN][2])
{
    int fds[CHILDREN];
    pid_t pids[CHILDREN];
    for (int c = 0; c < CHILDREN; c++) {
        int p[2];
        cr_assert_eq(pipe(p), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0, "fork");
        if (pid == 0) {
            close(p[0]);
            child(p[1], fields[c][0], fields[c][1]);
        }
        close(p[1]);
        fds[c] = p[0];
        pids[c] = pid;
    }
    /* Children run concurrently; each pipe is drained in turn (a child blocks
     * on a full pipe until its turn, which is fine). */
    int64_t *all = malloc((size_t)CHILDREN * PER_CHILD * sizeof *all);
    cr_assert(all);
    for (int c = 0; c < CHILDREN; c++) {
        int64_t *mine = all + (size_t)c * PER_CHILD;
        cr_assert(read_all(fds[c], mine, PER_CHILD * sizeof *mine), "child %d sent too few ids", c);
        close(fds[c]);
        for (int i = 1; i < PER_CHILD; i++)
            cr_assert_gt(mine[i], mine[i - 1], "child %d: id %d not above the one before", c, i);
        for (int i = 0; i < PER_CHILD; i++) {
            cr_assert_eq(FIELD(mine[i], 17), fields[c][0], "child %d: worker field", c);
            cr_assert_eq(FIELD(mine[i], 12), fields[c][1], "child %d: process field", c);
        }
    }
    for (int c = 0; c < CHILDREN; c++) {
        int status;
        cr_assert_eq(waitpid(pids[c], &status, 0), pids[c]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", c);
    }
    qsort(all, (size_t)CHILDREN * PER_CHILD, sizeof *all, compare_ids);
    for (size_t i = 1; i < (size_t)CHILDREN * PER_CHILD; i++)
        cr_assert_neq(all[i], all[i - 1], "id %lld produced twice", (long long)all[i]);
    free(all);
}

Test(snowflake, unique_across_processes_with_distinct_process_fields, .timeout = 60)
{
    /* One host, six workers: the scoreboard slots 0..4 and wardenctl's 31. */
    const unsigned fields[CHILDREN][2] = {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4},
                                          {0, SNOWFLAKE_CTL_PROCESS}};
    run_children(fields);
}

Test(snowflake, unique_across_hosts_with_the_same_process_field, .timeout = 60)
{
    /* Several hosts (WARDEN_HOST_ID) each with a worker in slot 0 and 1. */
    const unsigned fields[CHILDREN][2] = {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {31, 1}};
    run_children(fields);
}

/* wardenctl's runs share process field 31 and start each millisecond at a
 * random point of the counter; within one run ids still strictly increase,
 * also past the end of the counter, and keep the fields they were given. */
Test(snowflake, wardenctl_ids_start_anywhere_and_still_increase)
{
    snowflake_init(3, SNOWFLAKE_CTL_PROCESS);
    int64_t previous = snowflake_next();
    for (int i = 0; i < 20000; i++) {
        int64_t id = snowflake_next();
        cr_assert_gt(id, previous, "id %d: %lld after %lld", i, (long long)id, (long long)previous);
        cr_assert_eq((id >> 17) & 31, 3);
        cr_assert_eq((id >> 12) & 31, SNOWFLAKE_CTL_PROCESS);
        previous = id;
    }
    /* Over many runs (re-initialised), the first counter of a millisecond varies. */
    unsigned seen_nonzero = 0;
    for (int run = 0; run < 64; run++) {
        snowflake_init(3, SNOWFLAKE_CTL_PROCESS);
        if ((snowflake_next() & 4095) != 0)
            seen_nonzero++;
    }
    cr_expect_gt(seen_nonzero, 32, "the counter starts at 0 in %u of 64 runs", 64 - seen_nonzero);
}

Test(snowflake, the_ids_of_a_millisecond_lie_between_its_first_and_last)
{
    snowflake_init(3, 7);
    int64_t id = snowflake_next();
    int64_t ms = snowflake_time_ms(id);
    cr_expect_leq(snowflake_first_id_at(ms), id);
    cr_expect_geq(snowflake_last_id_at(ms), id);
    cr_expect_gt(snowflake_first_id_at(ms + 1), id);
    cr_expect_lt(snowflake_last_id_at(ms - 1), id);
    cr_expect_eq(snowflake_last_id_at(ms) + 1, snowflake_first_id_at(ms + 1));
    /* Before the epoch nothing; past the ids' range (2084), everything. */
    cr_expect_eq(snowflake_first_id_at(0), 0);
    cr_expect_eq(snowflake_last_id_at(SNOWFLAKE_EPOCH_MS - 1), 0);
    int64_t y2099 = 4070908800000LL;
    cr_expect_eq(snowflake_first_id_at(y2099), INT64_MAX);
    cr_expect_eq(snowflake_last_id_at(y2099), INT64_MAX);
}
