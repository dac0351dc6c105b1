/*
 * mem.h — allocation helpers and the out-of-memory policy.
 *
 * Policy: sluice treats failure to allocate as fatal. sl_xmalloc and friends
 * print "sluice: out of memory" to stderr and exit with status 1 (a failed
 * run); staged output is never published, so nothing half-written becomes
 * visible. Bad *data* never takes this path: it is reported through sl_error
 * and the run's error output.
 */
#ifndef SL_MEM_H
#define SL_MEM_H

#include <stddef.h>

void *sl_xmalloc(size_t size);                 /* never returns NULL */
void *sl_xcalloc(size_t count, size_t size);   /* never returns NULL */
void *sl_xrealloc(void *ptr, size_t size);     /* never returns NULL */
char *sl_xstrdup(const char *s);               /* never returns NULL */
char *sl_xstrndup(const char *s, size_t len);  /* NUL-terminated copy */

#endif
