/*
 * mem: allocation that cannot fail, and wiping secrets (libsodium).
 */
#ifndef WARDEN_MEM_H
#define WARDEN_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** malloc/calloc/realloc/strdup that never return NULL (out of memory is fatal). */
void *mem_alloc(size_t size);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t size);
char *mem_strdup(const char *s);

/** Overwrite memory in a way the compiler may not drop (for secrets): sodium_memzero. */
void mem_wipe(void *p, size_t len);

/* What MEM_WIPE_ON_RETURN registers: an array and its size. */
struct mem_wipe_on_return {
    void *p;
    size_t len;
};
/** mem_wipe(w->p, w->len); MEM_WIPE_ON_RETURN's cleanup function. */
void mem_wipe_on_return(struct mem_wipe_on_return *w);
/**
 * Wipe the array buf when the block it is declared in is left, by any
 * return (the cleanup attribute of GCC and clang). Goes on the line after
 * buf's declaration; buf must be an array, not a pointer.
 */
#define MEM_WIPE_ON_RETURN(buf)                                                                        \
    struct mem_wipe_on_return buf##_wiper __attribute__((cleanup(mem_wipe_on_return), unused)) = {(buf), sizeof(buf)}

#endif
