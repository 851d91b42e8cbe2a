/* reasm.c - in-order delivery of one TCP direction (include/tcpsim/reasm.h).
 * Read first: RFC 9293 §3.4 (sequence space modulo 2^32) and §3.10.7.4
 * (out-of-order segments may be held until the hole is filled).
 * Policy: first copy wins; a byte is delivered exactly once; memory is one
 * ring of `cap` bytes allocated on the first out-of-order segment. */
#include "tcpsim/reasm.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/tcp.h"
#include "tls/tls_internal.h"

/* isl[] is read only below nisl, so it is not cleared: a TLS decoder sets
 * up two reassemblers per connection, and the table is most of their size. */
_Static_assert(offsetof(struct tcpsim_reasm, isl) + sizeof(((struct tcpsim_reasm *)0)->isl) ==
                   offsetof(struct tcpsim_reasm, nisl),
               "tcpsim_reasm_init clears around isl[]");

void tcpsim_reasm_init(struct tcpsim_reasm *r, uint32_t cap, struct tcpsim_reasm_cb cb)
{
    memset(r, 0, offsetof(struct tcpsim_reasm, isl));
    memset(&r->nisl, 0, sizeof *r - offsetof(struct tcpsim_reasm, nisl));
    r->cb = cb;
    if (cap == 0)
        cap = TCPSIM_REASM_DEFAULT_CAP;
    if (cap < 4096)
        cap = 4096;
    /* round down to a power of two so that seq & (cap-1) stays consistent
     * across the 2^32 wrap */
    uint32_t p = cap; /* the highest bit of cap: smear it down, keep it alone */
    p |= p >> 1;
    p |= p >> 2;
    p |= p >> 4;
    p |= p >> 8;
    p |= p >> 16;
    r->cap = p - (p >> 1);
}

void tcpsim__reasm_restart(struct tcpsim_reasm *r, struct tcpsim_reasm_cb cb, bool used)
{
    r->cb = cb;
    r->started = false;
    r->next = 0;
    if (used)
        memset(&r->nisl, 0, sizeof *r - offsetof(struct tcpsim_reasm, nisl));
}

void tcpsim_reasm_free(struct tcpsim_reasm *r)
{
    free(r->ring);
    r->ring = NULL;
    r->nisl = 0;
}

void tcpsim_reasm_start(struct tcpsim_reasm *r, uint32_t seq)
{
    if (!r->started) {
        r->started = true;
        r->next = seq;
    }
}

uint32_t tcpsim_reasm_buffered(const struct tcpsim_reasm *r)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < r->nisl; i++)
        n += r->isl[i].end - r->isl[i].start;
    return n;
}

static void deliver(struct tcpsim_reasm *r, const uint8_t *data, uint32_t len)
{
    if (len == 0)
        return;
    if (r->cb.data)
        r->cb.data(r->cb.ctx, r->next, data, len);
    r->next += len;
    r->delivered += len;
}

/* Deliver [next, end) from the ring, which may wrap around its end. */
static void deliver_ring(struct tcpsim_reasm *r, uint32_t end)
{
    while (r->next != end) {
        uint32_t idx = r->next & (r->cap - 1);
        uint32_t n = end - r->next;
        if (n > r->cap - idx)
            n = r->cap - idx;
        deliver(r, r->ring + idx, n);
    }
}

static void drop_island(struct tcpsim_reasm *r, unsigned i)
{
    memmove(&r->isl[i], &r->isl[i + 1], (r->nisl - i - 1) * sizeof r->isl[0]);
    r->nisl--;
}

/* Islands that now start at (or before) `next` are delivered. */
static void drain(struct tcpsim_reasm *r)
{
    while (r->nisl > 0 && tcpsim_seq_leq(r->isl[0].start, r->next)) {
        uint32_t end = r->isl[0].end;
        drop_island(r, 0);
        if (tcpsim_seq_gt(end, r->next))
            deliver_ring(r, end);
    }
}

static void report_gap(struct tcpsim_reasm *r, uint32_t to)
{
    uint32_t n = to - r->next;
    if (n == 0)
        return;
    r->gaps++;
    r->gap_bytes += n;
    if (r->cb.gap)
        r->cb.gap(r->cb.ctx, r->next, n);
    r->next = to;
}

void tcpsim_reasm_skip_to(struct tcpsim_reasm *r, uint32_t seq)
{
    if (!r->started) {
        tcpsim_reasm_start(r, seq);
        return;
    }
    /* Anything buffered before `seq` is still delivered in order, holes in
     * between become gaps. */
    while (r->nisl > 0 && tcpsim_seq_lt(r->isl[0].start, seq)) {
        report_gap(r, r->isl[0].start);
        drain(r);
    }
    if (tcpsim_seq_lt(r->next, seq))
        report_gap(r, seq);
    drain(r);
}

void tcpsim_reasm_flush(struct tcpsim_reasm *r)
{
    while (r->nisl > 0) {
        if (tcpsim_seq_lt(r->next, r->isl[0].start))
            report_gap(r, r->isl[0].start);
        drain(r);
    }
}

static void copy_in(struct tcpsim_reasm *r, uint32_t from, uint32_t to, const uint8_t *data, uint32_t seq)
{
    while (from != to) {
        uint32_t idx = from & (r->cap - 1);
        uint32_t n = to - from;
        if (n > r->cap - idx)
            n = r->cap - idx;
        memcpy(r->ring + idx, data + (from - seq), n);
        from += n;
    }
}

/* Copy [seq, seq+len) into the ring where no island already holds the byte
 * (first copy wins), then record the island, merging neighbours. The caller
 * guarantees next < seq and seq+len <= next+cap. Returns false when the island
 * table is full. */
static bool store(struct tcpsim_reasm *r, uint32_t seq, const uint8_t *data, uint32_t len)
{
    uint32_t end = seq + len;
    unsigned i;
    /* would it need a new slot? */
    bool touches = false;
    for (i = 0; i < r->nisl; i++)
        if (tcpsim_seq_leq(r->isl[i].start, end) && tcpsim_seq_geq(r->isl[i].end, seq))
            touches = true;
    if (!touches && r->nisl == TCPSIM_REASM_MAX_HOLES)
        return false;
    /* copy the pieces no island holds yet (islands are sorted by start) */
    uint32_t cur = seq;
    for (i = 0; i < r->nisl && tcpsim_seq_lt(cur, end); i++) {
        if (tcpsim_seq_leq(r->isl[i].end, cur))
            continue;
        if (tcpsim_seq_geq(r->isl[i].start, end))
            break;
        if (tcpsim_seq_gt(r->isl[i].start, cur))
            copy_in(r, cur, r->isl[i].start, data, seq);
        uint32_t from = tcpsim_seq_gt(r->isl[i].start, cur) ? r->isl[i].start : cur;
        uint32_t to = tcpsim_seq_lt(r->isl[i].end, end) ? r->isl[i].end : end;
        r->dup_bytes += to - from;
        cur = to;
    }
    if (tcpsim_seq_lt(cur, end))
        copy_in(r, cur, end, data, seq);
    /* insert the island sorted, then merge overlapping or adjacent ones */
    for (i = 0; i < r->nisl && tcpsim_seq_lt(r->isl[i].start, seq); i++)
        ;
    if (r->nisl == TCPSIM_REASM_MAX_HOLES) {
        /* it touches an existing island: widen that one in place */
        unsigned j = i > 0 && tcpsim_seq_geq(r->isl[i - 1].end, seq) ? i - 1 : i;
        if (tcpsim_seq_lt(seq, r->isl[j].start))
            r->isl[j].start = seq;
        if (tcpsim_seq_gt(end, r->isl[j].end))
            r->isl[j].end = end;
    } else {
        memmove(&r->isl[i + 1], &r->isl[i], (r->nisl - i) * sizeof r->isl[0]);
        r->isl[i].start = seq;
        r->isl[i].end = end;
        r->nisl++;
    }
    for (i = 0; i + 1 < r->nisl;) {
        if (tcpsim_seq_geq(r->isl[i].end, r->isl[i + 1].start)) {
            if (tcpsim_seq_gt(r->isl[i + 1].end, r->isl[i].end))
                r->isl[i].end = r->isl[i + 1].end;
            drop_island(r, i + 1);
        } else {
            i++;
        }
    }
    return true;
}

enum tcpsim_err tcpsim_reasm_push(struct tcpsim_reasm *r, uint32_t seq, const uint8_t *data, size_t len_in)
{
    enum tcpsim_err err = TCPSIM_OK;
    if (len_in == 0)
        return TCPSIM_OK;
    /* A TCP segment carries < 2^31 bytes; clamp so the arithmetic below holds. */
    uint32_t len = len_in > (1u << 30) ? (1u << 30) : (uint32_t)len_in;
    tcpsim_reasm_start(r, seq);

    /* Trim what was already delivered (retransmission, RFC 9293 §3.10.7.4). */
    if (tcpsim_seq_lt(seq, r->next)) {
        uint32_t old = r->next - seq;
        if (old >= len) {
            r->dup_bytes += len;
            return TCPSIM_OK;
        }
        r->dup_bytes += old;
        data += old;
        len -= old;
        seq = r->next;
    }

    while (len > 0) {
        if (seq == r->next) {
            /* In order: deliver up to the first island; bytes the island
             * already holds are delivered from the ring (first copy wins). */
            uint32_t lim = len;
            if (r->nisl > 0 && tcpsim_seq_lt(r->isl[0].start, seq + len))
                lim = r->isl[0].start - seq;
            deliver(r, data, lim);
            data += lim;
            len -= lim;
            seq += lim;
            uint32_t before = r->next;
            drain(r);
            uint32_t skipped = r->next - before;
            if (skipped >= len) {
                r->dup_bytes += len;
                len = 0;
            } else {
                r->dup_bytes += skipped;
                data += skipped;
                len -= skipped;
                seq += skipped;
            }
            continue;
        }
        /* Out of order: hold it. */
        r->ooo_segments++;
        if (!r->ring) {
            r->ring = malloc(r->cap);
            if (!r->ring) {
                err = TCPSIM_ERR_NOMEM;
                break;
            }
        }
        uint32_t off = seq - r->next;
        if (off >= r->cap || len > r->cap - off || !store(r, seq, data, len)) {
            /* Beyond what we may hold: the hole before the first island is
             * declared lost so memory stays bounded, then retry. */
            r->cap_exceeded++;
            uint32_t to = r->nisl > 0 ? r->isl[0].start : seq;
            if (tcpsim_seq_gt(to, seq))
                to = seq;
            report_gap(r, to);
            drain(r);
            if (tcpsim_seq_lt(seq, r->next)) {
                uint32_t old = r->next - seq;
                if (old >= len)
                    break;
                data += old;
                len -= old;
                seq = r->next;
            }
            continue;
        }
        break;
    }
    return err;
}
