/*
 * mem: allocation that cannot fail, wiping (see include/warden/mem.h).
 */
#include "warden/mem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "warden/fatal.h"

void *mem_alloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        fatal("out of memory (%lu bytes)", (unsigned long)size);
    return p;
}

void *mem_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        fatal("out of memory");
    return p;
}

void *mem_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        fatal("out of memory (%lu bytes)", (unsigned long)size);
    return q;
}

char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = mem_alloc(n);
    memcpy(p, s, n);
    return p;
}

void mem_wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}

void mem_wipe_on_return(struct mem_wipe_on_return *w)
{
    sodium_memzero(w->p, w->len);
}
