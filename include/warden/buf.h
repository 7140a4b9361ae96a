/*
 * buf: a growable byte buffer, always NUL-terminated.
 *
 * Used for response bodies and anything rendered piece by piece. Allocation
 * failure is fatal (the process cannot serve without memory, and every caller
 * would otherwise need the same error path).
 */
#ifndef WARDEN_BUF_H
#define WARDEN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;   /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/** Append len bytes. */
void buf_append(struct buf *b, const void *data, size_t len);
/** Append a NUL-terminated string. */
void buf_puts(struct buf *b, const char *s);
/** Append one byte. */
void buf_putc(struct buf *b, char c);
/** Append printf-style text. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/** Forget the contents, keep the memory. */
void buf_reset(struct buf *b);
/** Release the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/** The contents as a C string ("" when empty). */
const char *buf_cstr(const struct buf *b);

#endif
