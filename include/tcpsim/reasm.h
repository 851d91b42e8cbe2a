/* tcpsim/reasm.h - one direction of a TCP byte stream put back in order.
 * Read first: RFC 9293 §3.4 (sequence numbers, modulo 2^32) and §3.10.7.4
 * ("segments with higher beginning sequence numbers may be held").
 *
 * Delivers bytes in sequence order through a callback, whatever order the
 * segments arrived in. Overlaps are resolved "first copy wins": bytes already
 * delivered or already buffered are never replaced by a later copy.
 * Out-of-order data is held in a ring of `cap` bytes (a power of two; the
 * storage is allocated once, on the first out-of-order segment, and reused).
 * When data would not fit the ring, or the caller declares the bytes lost,
 * the missing range is reported as a gap and delivery resumes after it. */
#ifndef TCPSIM_REASM_H
#define TCPSIM_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/error.h"

#define TCPSIM_REASM_DEFAULT_CAP (128u * 1024u) /* per direction */
#define TCPSIM_REASM_MAX_HOLES   32             /* buffered out-of-order islands */

struct tcpsim_reasm_cb {
    /* `len` in-order bytes starting at stream sequence `seq`. */
    void (*data)(void *ctx, uint32_t seq, const uint8_t *data, size_t len);
    /* `len` bytes starting at `seq` will never be delivered. */
    void (*gap)(void *ctx, uint32_t seq, uint32_t len);
    void *ctx;
};

struct tcpsim_reasm_island {
    uint32_t start, end; /* [start, end) buffered, modulo 2^32 */
};

struct tcpsim_reasm {
    struct tcpsim_reasm_cb cb;
    bool started;  /* `next` is known */
    uint32_t next; /* next sequence number to deliver */
    uint8_t *ring; /* `cap` bytes, index = seq & (cap - 1); NULL until needed */
    uint32_t cap;
    struct tcpsim_reasm_island isl[TCPSIM_REASM_MAX_HOLES];
    unsigned nisl;
    /* counters for the summary and for tests */
    uint64_t delivered, dup_bytes, ooo_segments, gap_bytes, gaps, cap_exceeded;
};

/* Set up (no allocation). `cap` is rounded down to a power of two, at least 4096;
 * 0 means TCPSIM_REASM_DEFAULT_CAP. */
void tcpsim_reasm_init(struct tcpsim_reasm *r, uint32_t cap, struct tcpsim_reasm_cb cb);
void tcpsim_reasm_free(struct tcpsim_reasm *r);
/* The stream starts at `seq` (the peer's ISN + 1). Optional: without it the
 * first segment pushed defines the start. */
void tcpsim_reasm_start(struct tcpsim_reasm *r, uint32_t seq);
/* A segment's payload. Returns TCPSIM_ERR_NOMEM if the ring could not be
 * allocated (the data is then treated as lost). */
enum tcpsim_err tcpsim_reasm_push(struct tcpsim_reasm *r, uint32_t seq, const uint8_t *data, size_t len);
/* Everything before `seq` is known lost (e.g. the capture dropped it): report
 * the hole, deliver what is buffered, continue from there. */
void tcpsim_reasm_skip_to(struct tcpsim_reasm *r, uint32_t seq);
/* End of stream (FIN or end of capture): flush buffered islands, reporting
 * the holes between them as gaps. */
void tcpsim_reasm_flush(struct tcpsim_reasm *r);
/* Bytes currently held out of order. */
uint32_t tcpsim_reasm_buffered(const struct tcpsim_reasm *r);

#endif
