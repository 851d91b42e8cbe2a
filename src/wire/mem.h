/* mem.h - large arenas on transparent huge pages (mem.c), for the modules
 * that keep megabytes read at random: src/replay, src/tls. Not installed.
 * Read first: madvise(2) MADV_HUGEPAGE. */
#ifndef TCPSIM_WIRE_MEM_H
#define TCPSIM_WIRE_MEM_H

#include <stddef.h>

/* Memory for a large arena read at random: aligned to `align` (a power of
 * two, at least sizeof(void *)), or to 2 MiB and advised onto transparent
 * huge pages when it is at least that big. Released with free(). NULL when
 * out of memory. */
void *tcpsim__alloc_large(size_t n, size_t align);

#endif
