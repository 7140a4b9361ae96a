/*
 * arena: per-request bump allocator (see include/warden/arena.h).
 *
 * Blocks are chained; a request that needs more than a block gets a block of
 * its own size. Reset keeps only the first block, so a worker's steady-state
 * memory is one block however large an earlier request was.
 */
#include "warden/arena.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "warden/fatal.h"
#include "warden/mem.h"

#define ARENA_BLOCK_SIZE (16 * 1024)

struct block {
    struct block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct deferred {
    struct deferred *next;
    void (*fn)(void *);
    void *ptr;
};

struct arena {
    struct block *head;  /* current block, newest first */
    struct block *first; /* kept across resets */
    struct deferred *deferred; /* newest first; nodes live in the blocks */
};

static struct block *block_new(size_t size)
{
    struct block *b = mem_alloc(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *arena_new(void)
{
    struct arena *a = mem_alloc(sizeof *a);
    a->first = a->head = block_new(ARENA_BLOCK_SIZE);
    a->deferred = NULL;
    return a;
}

void *arena_alloc(struct arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align)
        fatal("arena allocation overflow");
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    struct block *b = a->head;
    if (b->size - b->used < size) {
        b = block_new(size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        fatal("arena allocation overflow");
    void *p = arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, again);
    va_end(again);
    return p;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
    struct deferred *d = arena_alloc(a, sizeof *d);
    d->fn = fn;
    d->ptr = ptr;
    d->next = a->deferred;
    a->deferred = d;
}

static void bson_dispose(void *ptr)
{
    bson_destroy(ptr);
}

bson_t *arena_bson(struct arena *a)
{
    /* libbson declares bson_t 128-byte aligned, beyond max_align_t. */
    const uintptr_t align = alignof(bson_t);
    uintptr_t raw = (uintptr_t)arena_alloc(a, sizeof(bson_t) + align);
    bson_t *b = (bson_t *)((raw + align - 1) & ~(align - 1));
    bson_init(b);
    arena_defer(a, bson_dispose, b);
    return b;
}

void *arena_own(struct arena *a, void *ptr)
{
    if (ptr)
        arena_defer(a, free, ptr);
    return ptr;
}

void arena_reset(struct arena *a)
{
    /* A callback may not allocate from the arena being reset. */
    struct deferred *d = a->deferred;
    a->deferred = NULL;
    for (; d; d = d->next)
        d->fn(d->ptr);
    /* What a request held (its body, its Authorization header, parsed
     * passwords) does not outlive it in memory that the next one reuses. */
    struct block *b = a->head;
    while (b != a->first) {
        struct block *next = b->next;
        mem_wipe(b->data, b->used);
        free(b);
        b = next;
    }
    mem_wipe(a->first->data, a->first->used);
    a->head = a->first;
    a->first->used = 0;
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    arena_reset(a);
    free(a->first);
    free(a);
}
