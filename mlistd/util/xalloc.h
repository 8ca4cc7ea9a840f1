/*
 * xalloc - allocation that succeeds or never returns.
 *
 * Out of memory is not a condition mlistd can recover from in the middle of
 * a transaction, so every allocator here aborts the process on failure and
 * callers carry no NULL branches.
 */
#ifndef MLISTD_XALLOC_H
#define MLISTD_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
