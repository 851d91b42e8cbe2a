/* mem.h - large arenas on transparent huge pages (mem.c), for the modules
 * that keep megabytes read at random: src/replay, src/tls. Not installed.
 * Read first: madvise(2) MADV_HUGEPAGE. */
#ifndef TCPSIM_WIRE_MEM_H
#define TCPSIM_WIRE_MEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Memory for a large arena read at random: aligned to `align` (a power of
 * two, at least sizeof(void *)), or to 2 MiB and advised onto transparent
 * huge pages when it is at least that big. Released with free(). NULL when
 * out of memory. */
void *tcpsim__alloc_large(size_t n, size_t align);

/* Prefaulting: the pages of a new arena made ahead, by a short-lived helper
 * thread, so that the thread that fills the arena does not stop for them
 * when it reaches them. The kernel zeroes each page on its first write: on
 * the replay bench, ~4% of the replay thread's samples were that, for the
 * flow table's chunks and the TLS decoders' slabs. The helper asks the
 * kernel to make the pages as a write would, without writing (madvise
 * MADV_POPULATE_WRITE): no byte is touched, so the owner may start on the
 * arena at any time. Nothing where the kernel lacks it. The scheduler puts
 * the helper where it likes: on the other core as a rule, but a trace once
 * saw one take the filling thread's core for 222 ms (docs/performance.md,
 * round 13). */
struct tcpsim__prefault {
    pthread_t th;
    bool live;
    void *p;
    size_t n;
};
/* Whether arenas made on this thread may be prefaulted (thread-local; off
 * until turned on: the replay turns it on when it runs on two threads, and
 * the second core has room). */
void tcpsim__prefault_allow(bool on);
bool tcpsim__prefault_allowed(void);
/* Starts a helper for [p, p + n), after joining pf's last one (nothing when
 * a thread cannot be had). */
void tcpsim__prefault_start(struct tcpsim__prefault *pf, void *p, size_t n);
/* Waits for pf's helper, if any (before the arena is freed). */
void tcpsim__prefault_join(struct tcpsim__prefault *pf);

#endif
