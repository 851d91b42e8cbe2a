/* mem.c - large arenas on transparent huge pages where the kernel offers
 * them: the replay's connection records and read ring (src/replay), the TLS
 * decoders (src/tls); here, in the module every other one links, so that
 * both can use it. They are read at random, a few lines per packet, over
 * megabytes: with 4 KiB pages each connection touched is also a TLB miss
 * (3000 open connections' records are ~7 MB, past what the TLB maps), and
 * under a hypervisor a TLB miss walks two page tables. One 2 MiB page maps
 * 512 times as much.
 * Read first: madvise(2) MADV_HUGEPAGE, the kernel's admin-guide/mm/transhuge. */
#include "wire/mem.h"

#include <stdbool.h>

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *tcpsim__alloc_large(size_t n, size_t align)
{
    void *p = NULL;
    bool big = n >= HUGE_PAGE;
    if (posix_memalign(&p, big ? HUGE_PAGE : align, n) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    /* Advice only: where transparent huge pages are "never" (or the call is
     * refused) the arena works on small pages as before. Only the whole
     * 2 MiB ranges inside [p, p + n) can become huge pages. */
    if (big)
        (void)madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

#if defined(TCPSIM_PREFETCH_AS_LOAD) /* measuring aid: hint.h */
volatile unsigned char tcpsim__prefetch_sink;
#endif

static _Thread_local bool prefault_ok;

void tcpsim__prefault_allow(bool on)
{
    prefault_ok = on;
}

bool tcpsim__prefault_allowed(void)
{
    return prefault_ok;
}

static void *prefault_main(void *arg)
{
    const struct tcpsim__prefault *pf = arg; /* p, n: set before the thread, read-only while it runs */
#ifdef MADV_POPULATE_WRITE
    (void)madvise(pf->p, pf->n, MADV_POPULATE_WRITE);
#else
    (void)pf;
#endif
    return NULL;
}

void tcpsim__prefault_join(struct tcpsim__prefault *pf)
{
    if (pf->live) {
        pthread_join(pf->th, NULL);
        pf->live = false;
    }
}

void tcpsim__prefault_start(struct tcpsim__prefault *pf, void *p, size_t n)
{
    tcpsim__prefault_join(pf);
#ifdef MADV_POPULATE_WRITE
    pf->p = p;
    pf->n = n;
    pf->live = pthread_create(&pf->th, NULL, prefault_main, pf) == 0;
#else
    (void)p;
    (void)n;
#endif
}
