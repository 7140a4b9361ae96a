/*
 * fatal: fatal errors (see include/warden/fatal.h).
 */
#include "warden/fatal.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "warden/log.h"

/* Set in a process the running pool forked; see fatal_at. */
static bool forked_by_pool;

void fatal_after_fork(void)
{
    forked_by_pool = true;
}

_Noreturn void fatal_at(const char *file, int line, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (forked_by_pool) {
        log_error("fatal at %s:%d: %s; this process ends, the master replaces it", file, line,
                  message);
        _exit(1);
    }
    fprintf(stderr, "warden: %s:%d: %s\n", file, line, message);
    exit(1);
}
