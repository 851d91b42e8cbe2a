/* writer.h - a worker thread fed through a bounded single-producer /
 * single-consumer byte ring (writer.c): the JSON view (output.c) hands it its
 * segment and conn records, the summary view its blocks, as compact messages
 * formatted there, off the replay thread. Not installed. Read first: C11 §7.17 (atomics: release/acquire),
 * docs/design.md "JSON on a writer thread". */
#ifndef TCPSIM_REPLAY_WRITER_H
#define TCPSIM_REPLAY_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Called on the worker thread, once per message, in the order committed.
 * `msg` is the function's during the call only (8-byte aligned; it may
 * write there). */
typedef void (*tcpsim__wq_fn)(void *ctx, uint32_t type, void *msg, size_t len);

#define TCPSIM__WQ_HDR   8u  /* {len, type} before each message */
#define TCPSIM__WQ_BATCH 32u /* messages between publications of a position */
#define TCPSIM__WQ_PTRS  16u /* pointers in one message of tcpsim__wq_ptr */

/* Defined here so that reserving and committing a message inline in the
 * caller (the fields below are writer.c's otherwise). */
struct tcpsim__wq {
    /* set before the thread starts, read-only after */
    uint8_t *ring;
    size_t mask; /* ring bytes - 1 (a power of two) */
    size_t max;  /* largest message */
    tcpsim__wq_fn fn;
    void *ctx;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    /* the producer's own */
    _Alignas(64) uint64_t wp; /* bytes written */
    uint64_t chead;           /* the worker's position as last seen */
    unsigned wbatch;
    uint64_t nwait, nwrap; /* times the producer waited for room, wrapped (tests) */
    unsigned bn, bmax;     /* pointers in the open message of tcpsim__wq_ptr (0: none), at most */
    uint32_t btype;

    /* published positions, each on its own line */
    _Alignas(64) _Atomic uint64_t tail;      /* bytes the worker may read */
    _Alignas(64) _Atomic uint64_t head;      /* bytes handled: the producer may overwrite them */
    _Alignas(64) _Atomic uint64_t prod_want; /* the producer sleeps until head reaches this */
    _Atomic uint64_t cons_want;              /* the worker sleeps until tail reaches this */

    /* the worker's own */
    _Alignas(64) uint64_t rpos; /* bytes handled */
    uint64_t ctail;             /* last tail seen */
    unsigned rbatch;
};

/* A ring of `ring_bytes` (a power of two >= 256; 0: the default, 1 MiB)
 * and its thread. NULL when the memory or the thread cannot be had (the
 * caller then does the work itself). */
struct tcpsim__wq *tcpsim__wq_new(size_t ring_bytes, tcpsim__wq_fn fn, void *ctx);
/* The largest message the ring takes (a quarter of it, less a header). */
static inline size_t tcpsim__wq_max(const struct tcpsim__wq *q)
{
    return q->max;
}

static inline size_t tcpsim__wq_size(size_t len)
{
    return TCPSIM__WQ_HDR + ((len + 7u) & ~(size_t)7u);
}

void *tcpsim__wq_reserve_slow(struct tcpsim__wq *q, size_t len);
void tcpsim__wq_publish(struct tcpsim__wq *q);

static inline void tcpsim__wq_commit(struct tcpsim__wq *q, uint32_t type, size_t len);

/* The message tcpsim__wq_ptr keeps open, committed (nothing when none). */
static inline void tcpsim__wq_close(struct tcpsim__wq *q)
{
    if (q->bn) {
        size_t len = 8u * q->bn;
        q->bn = 0;
        tcpsim__wq_commit(q, q->btype, len);
    }
}

/* Room for a message of `len` <= tcpsim__wq_max bytes: waits while the ring
 * is full. Fill it, then tcpsim__wq_commit with the same `len`. */
static inline void *tcpsim__wq_reserve(struct tcpsim__wq *q, size_t len)
{
    tcpsim__wq_close(q);
    size_t need = tcpsim__wq_size(len), cap = q->mask + 1;
    /* before the end of the ring, and free as far as last seen */
    if (cap - (q->wp & q->mask) >= need && cap - (q->wp - q->chead) >= need)
        return q->ring + (q->wp & q->mask) + TCPSIM__WQ_HDR;
    return tcpsim__wq_reserve_slow(q, len);
}

/* The message reserved last is complete (type < 0xfffffff0). Positions are
 * published to the worker every few messages, not every one. */
static inline void tcpsim__wq_commit(struct tcpsim__wq *q, uint32_t type, size_t len)
{
    uint32_t h[2] = {(uint32_t)len, type};
    memcpy(q->ring + (q->wp & q->mask), h, TCPSIM__WQ_HDR);
    q->wp += tcpsim__wq_size(len);
    if (++q->wbatch >= TCPSIM__WQ_BATCH)
        tcpsim__wq_publish(q);
}

/* Pointer `p` added to a message of `type` made of pointers (8 bytes each):
 * consecutive pointers of one type go in one message, of up to
 * TCPSIM__WQ_PTRS, committed when it is full or before any other message (or
 * a drain). Returns the position the worker has passed once it is done with
 * `p` (as q->wp after a commit: the message's end were it committed now;
 * the worker publishes its position after a whole message). */
static inline uint64_t tcpsim__wq_ptr(struct tcpsim__wq *q, uint32_t type, const void *p)
{
    if (q->bn && q->btype == type && q->bn < q->bmax) {
        memcpy(q->ring + (q->wp & q->mask) + TCPSIM__WQ_HDR + 8u * q->bn, &p, sizeof p);
    } else {
        void *m = tcpsim__wq_reserve(q, 8u * q->bmax); /* commits the open one first */
        memcpy(m, &p, sizeof p);
        q->btype = type;
    }
    q->bn++;
    return q->wp + tcpsim__wq_size(8u * q->bn);
}

/* Waits until the worker has handled every message committed: afterwards the
 * caller may touch what the worker's function touches (until the next
 * commit). */
void tcpsim__wq_drain(struct tcpsim__wq *q);
/* Drains, stops and joins the thread, frees the ring. */
void tcpsim__wq_free(struct tcpsim__wq *q);

struct tcpsim_rp_writer;
/* TLS conn records (summary blocks) the JSON (summary) view of output.c sent
 * to its writer thread as messages, their summary packed, so far (tests: the
 * path was taken). */
uint64_t tcpsim__rp_writer_tls_queued(const struct tcpsim_rp_writer *w);
/* Held segment records the JSON view let its writer thread read where they
 * are (handler.segment_ref) so far (tests: the path was taken). */
uint64_t tcpsim__rp_writer_refs(const struct tcpsim_rp_writer *w);

#endif
