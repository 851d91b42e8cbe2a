/* writer.c - the JSON view's writer thread: a bounded single-producer /
 * single-consumer byte ring of variable-size messages, and the thread that
 * takes them in order and hands each to the view's function (output.c).
 * Read first: C11 §7.17 (atomics: release/acquire), pthread_cond_wait(3p),
 * docs/design.md "JSON on a writer thread". */
#include "replay/writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "replay/spsc.h"

/* The same plan as the reader's ring (reader.c), for the other end of the
 * replay thread: each side owns its position and publishes it to the other
 * with a release store only every BATCH messages or before it waits, so the
 * two cores do not pass the position lines back and forth per record. A side
 * with nothing to do spins briefly, then sleeps on a condition variable; the
 * other side wakes it only when it has published what the sleeper waits for:
 * the producer, on a full ring, waits for a quarter of it to be free, and the
 * worker (faster than the replay thread, so often out of work) for a quarter
 * of it to be filled, or for a drain or the end (a wakeup per batch was a
 * futex call every 32 records).
 * Messages are 8-byte aligned, an 8-byte header {len, type} first, never
 * split at the end of the ring (a WRAP header fills the rest). The consumer
 * publishes its position after handling a message, not after reading it: a
 * drained ring means the worker is done with every message and idle. */
/* 1 MiB, ~4000 segment records of ~240 bytes: with 256 KiB the writer thread
 * was woken four times as often and `--format json` was no faster than
 * formatting on the replay thread (wall clock); 1 and 4 MiB were alike. */
#define DEFAULT_RING ((size_t)1 << 20)
#define MIN_RING     256u
#define HDR          TCPSIM__WQ_HDR
#define BATCH        TCPSIM__WQ_BATCH
#define SPIN         TCPSIM__SPSC_SPIN
#define T_WRAP       0xffffffffu
#define T_END        0xfffffffeu
#define NO_WANT      TCPSIM__SPSC_NO_WANT

struct hdr {
    uint32_t len;
    uint32_t type;
};

static inline size_t msg_size(size_t len)
{
    return tcpsim__wq_size(len);
}

/* Sequentially consistent store then load on both sides (the sleeper's
 * store-then-load under the mutex, spsc.h): either the sleeper sees the new
 * position or the publisher sees the sleeper and wakes it; no wakeup is lost. */
static void publish_tail(struct tcpsim__wq *q, bool force)
{
    q->wbatch = 0;
    atomic_store_explicit(&q->tail, q->wp, memory_order_seq_cst);
    uint64_t want = atomic_load_explicit(&q->cons_want, memory_order_seq_cst);
    if (want != NO_WANT && (force || q->wp >= want))
        tcpsim__spsc_wake(&q->mu, &q->cv);
}

void tcpsim__wq_publish(struct tcpsim__wq *q)
{
    publish_tail(q, false);
}

static void publish_head(struct tcpsim__wq *q)
{
    q->rbatch = 0;
    atomic_store_explicit(&q->head, q->rpos, memory_order_seq_cst);
    uint64_t want = atomic_load_explicit(&q->prod_want, memory_order_seq_cst);
    if (want != NO_WANT && q->rpos >= want)
        tcpsim__spsc_wake(&q->mu, &q->cv);
}

/* The producer waits until the worker has handled everything before `target`. */
static void prod_wait(struct tcpsim__wq *q, uint64_t target)
{
    publish_tail(q, true); /* the worker must see everything before target */
    tcpsim__spsc_wait(&q->mu, &q->cv, &q->head, &q->prod_want, target);
}

static void *wq_main(void *arg)
{
    struct tcpsim__wq *q = arg;
    size_t cap = q->mask + 1;
    for (;;) {
        if (q->rpos == q->ctail) {
            q->ctail = atomic_load_explicit(&q->tail, memory_order_acquire);
            if (q->rpos == q->ctail) {
                publish_head(q); /* all handled: a drain may be waiting for it */
                for (int i = 0; i < SPIN && q->rpos == q->ctail; i++) {
                    tcpsim__spsc_relax();
                    q->ctail = atomic_load_explicit(&q->tail, memory_order_acquire);
                }
                if (q->rpos == q->ctail) {
                    pthread_mutex_lock(&q->mu);
                    atomic_store_explicit(&q->cons_want, q->rpos + cap / 4, memory_order_seq_cst);
                    while ((q->ctail = atomic_load_explicit(&q->tail, memory_order_seq_cst)) == q->rpos)
                        pthread_cond_wait(&q->cv, &q->mu);
                    atomic_store_explicit(&q->cons_want, NO_WANT, memory_order_relaxed);
                    pthread_mutex_unlock(&q->mu);
                }
            }
        }
        struct hdr h;
        memcpy(&h, q->ring + (q->rpos & q->mask), HDR);
        if (h.type == T_WRAP) {
            q->rpos += cap - (q->rpos & q->mask);
            continue;
        }
        if (h.type == T_END) {
            q->rpos += HDR;
            publish_head(q);
            return NULL;
        }
        q->fn(q->ctx, h.type, q->ring + (q->rpos & q->mask) + HDR, h.len);
        q->rpos += msg_size(h.len);
        if (++q->rbatch >= BATCH)
            publish_head(q);
    }
}

struct tcpsim__wq *tcpsim__wq_new(size_t ring_bytes, tcpsim__wq_fn fn, void *ctx)
{
    size_t cap = DEFAULT_RING;
    if (ring_bytes >= MIN_RING && !(ring_bytes & (ring_bytes - 1)))
        cap = ring_bytes;
    size_t qsize = (sizeof(struct tcpsim__wq) + 63u) & ~(size_t)63u;
    struct tcpsim__wq *q = aligned_alloc(64, qsize);
    if (!q)
        return NULL;
    memset(q, 0, sizeof *q);
    q->ring = aligned_alloc(64, cap);
    if (!q->ring) {
        free(q);
        return NULL;
    }
    q->mask = cap - 1;
    q->max = cap / 4 - HDR;
    q->bmax = q->max / 8u < TCPSIM__WQ_PTRS ? (unsigned)(q->max / 8u) : TCPSIM__WQ_PTRS;
    q->fn = fn;
    q->ctx = ctx;
    atomic_init(&q->tail, 0);
    atomic_init(&q->head, 0);
    atomic_init(&q->prod_want, NO_WANT);
    atomic_init(&q->cons_want, NO_WANT);
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        goto fail_mu;
    if (pthread_cond_init(&q->cv, NULL) != 0)
        goto fail_cv;
    if (pthread_create(&q->th, NULL, wq_main, q) != 0)
        goto fail_th;
    return q;
fail_th:
    pthread_cond_destroy(&q->cv);
fail_cv:
    pthread_mutex_destroy(&q->mu);
fail_mu:
    free(q->ring);
    free(q);
    return NULL;
}

void *tcpsim__wq_reserve_slow(struct tcpsim__wq *q, size_t len)
{
    size_t cap = q->mask + 1, need = msg_size(len);
    size_t room = cap - (q->wp & q->mask); /* to the end of the ring: a multiple of 8 */
    size_t total = room < need ? room + need : need;
    q->chead = atomic_load_explicit(&q->head, memory_order_acquire);
    if (cap - (q->wp - q->chead) < total) {
        /* Full: wait until the message fits and a quarter of the ring is
         * free, so the worker does not wake the producer per message. */
        uint64_t target = q->wp + total - cap;
        if (total < cap / 4)
            target = q->wp + cap / 4 - cap;
        q->nwait++;
        prod_wait(q, target);
        q->chead = atomic_load_explicit(&q->head, memory_order_acquire);
    }
    if (room < need) {
        struct hdr h = {(uint32_t)(room - HDR), T_WRAP};
        memcpy(q->ring + (q->wp & q->mask), &h, HDR);
        q->wp += room;
        q->nwrap++;
    }
    return q->ring + (q->wp & q->mask) + HDR;
}

void tcpsim__wq_drain(struct tcpsim__wq *q)
{
    tcpsim__wq_close(q);
    prod_wait(q, q->wp);
}

void tcpsim__wq_free(struct tcpsim__wq *q)
{
    if (!q)
        return;
    tcpsim__wq_reserve(q, 0);
    tcpsim__wq_commit(q, T_END, 0); /* T_END is no message type: the loop returns */
    publish_tail(q, true);
    pthread_join(q->th, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->ring);
    free(q);
}
