/*
 * fatal: the end of a process that cannot go on, with where it happened.
 */
#ifndef WARDEN_FATAL_H
#define WARDEN_FATAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * fatal(fmt, ...): an unrecoverable failure, reported with the file and
 * line of the call, ending the process. For start-up, out of memory and
 * "cannot happen" only; a request's own failures are error answers.
 *
 * What it does depends on the process, not on the call site, because the
 * same code (xmalloc, the arena, the JSON writer, the store) runs in the
 * master, in wardenctl and in the workers, and cannot tell which it is in:
 *
 * - before fatal_after_fork (the master starting, wardenctl, tests): print
 *   "warden: FILE:LINE: message" on stderr and exit(1);
 * - after it (a worker, or the schema process, forked by a running pool):
 *   log "fatal at FILE:LINE: message" at error level to the pool's log,
 *   beside the line the master writes when it reaps the process, and
 *   _exit(1): that process only ends, the master replaces it, and the pool
 *   keeps serving. _exit, not exit: after a broken invariant or a failed
 *   allocation mid-request, atexit handlers and stdio buffers inherited
 *   from the master are not to be trusted; the client gets nginx's 502.
 *
 * Nothing on the worker path allocates (the message is formatted on the
 * stack), so it works when memory has run out.
 */
#define fatal(...) fatal_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void fatal_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Called first thing by every process the running pool forks (worker_run,
 * the schema process): from then on fatal() logs and ends only this process
 * (see above).
 */
void fatal_after_fork(void);

#endif
