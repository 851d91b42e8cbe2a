/* spsc.h - what the two single-producer / single-consumer rings share (the
 * reader's, reader.c: reader thread to replay thread; the JSON writer's,
 * writer.c: replay thread to writer thread): a pause while spinning, the
 * wakeup, and the producer's wait for the consumer's position to reach a
 * target (a short spin, then sleep on a condition variable).
 * Read first: C11 §7.17 (atomics), pthread_cond_wait(3p), docs/design.md
 * "Replay on two threads". */
#ifndef TCPSIM_REPLAY_SPSC_H
#define TCPSIM_REPLAY_SPSC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define TCPSIM__SPSC_SPIN    200        /* polls before sleeping */
#define TCPSIM__SPSC_NO_WANT UINT64_MAX /* a `want` word: nobody sleeps */

static inline void tcpsim__spsc_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Wake whoever sleeps on cv (taking the mutex, so that a sleeper between its
 * check and pthread_cond_wait is not missed). */
static inline void tcpsim__spsc_wake(pthread_mutex_t *mu, pthread_cond_t *cv)
{
    pthread_mutex_lock(mu);
    pthread_cond_broadcast(cv);
    pthread_mutex_unlock(mu);
}

/* Wait until the other side's published position `pos` reaches `target`:
 * spin a while, then sleep with *want = target. Sequentially consistent
 * store then load here, and in the publisher (store pos, then load want, and
 * wake when pos reaches it): either this side sees the new position or the
 * publisher sees the want; no wakeup is lost. */
static inline void tcpsim__spsc_wait(pthread_mutex_t *mu, pthread_cond_t *cv, _Atomic uint64_t *pos,
                                     _Atomic uint64_t *want, uint64_t target)
{
    for (int i = 0; i < TCPSIM__SPSC_SPIN; i++) {
        if (atomic_load_explicit(pos, memory_order_acquire) >= target)
            return;
        tcpsim__spsc_relax();
    }
    pthread_mutex_lock(mu);
    atomic_store_explicit(want, target, memory_order_seq_cst);
    while (atomic_load_explicit(pos, memory_order_seq_cst) < target)
        pthread_cond_wait(cv, mu);
    atomic_store_explicit(want, TCPSIM__SPSC_NO_WANT, memory_order_relaxed);
    pthread_mutex_unlock(mu);
}

#endif
