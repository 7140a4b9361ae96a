/*
 * arena: a per-request bump allocator.
 *
 * Everything a request needs for its own lifetime (decoded path, query
 * parameters, field errors) comes from the worker's arena, which is reset in
 * one go when the request ends, so the worker loop cannot leak by forgetting a
 * free (arena_defer extends that to memory the arena did not allocate).
 * Allocation failure is fatal. Memory is not zeroed unless asked for.
 */
#ifndef WARDEN_ARENA_H
#define WARDEN_ARENA_H

#include <stddef.h>

struct arena;

/** A new arena; free with arena_free. */
struct arena *arena_new(void);
/** size bytes aligned for any object; valid until arena_reset/arena_free. */
void *arena_alloc(struct arena *a, size_t size);
/** Zeroed allocation of n * size bytes (overflow is fatal). */
void *arena_calloc(struct arena *a, size_t n, size_t size);
/** A NUL-terminated copy of len bytes of s. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
/** printf into arena memory. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/**
 * Run fn(ptr) when the arena is next reset or freed, newest first (h2o's
 * dispose callback): values that own heap memory, such as a bson_t or a
 * store list, are registered once and need no free on any path.
 */
void arena_defer(struct arena *a, void (*fn)(void *), void *ptr);
/** A new empty bson_t that lives until the arena is reset. */
struct _bson_t *arena_bson(struct arena *a);
/** free(ptr) at reset; returns ptr. NULL is allowed. */
void *arena_own(struct arena *a, void *ptr);
/**
 * Release everything allocated so far, zeroed first (requests carry
 * passwords and tokens); keeps the first block for reuse.
 */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
