/* analysis_fast.h - the common segment's shortcuts of the per-segment analysis
 * and bookkeeping (analysis.c), inline so that replay.c's per-packet path does
 * not pay two calls and their registers for what is a few compares and stores
 * on most segments. Each decides up front whether the whole path would do
 * anything else and then hands the segment to it, changing nothing.
 * tests/replay/test_replay_fast.c holds each against its whole path.
 * Read first: analysis.c, RFC 1323 appendix A (header prediction),
 * reference-facts.md (Wireshark analysis, Zeek history). Not installed. */
#ifndef TCPSIM_REPLAY_ANALYSIS_FAST_H
#define TCPSIM_REPLAY_ANALYSIS_FAST_H

#include "replay/replay.h"

/* analysis.c: the whole analysis and bookkeeping (not static so that the unit
 * test can hold the shortcuts against them), and one Zeek letter of the
 * a/d/i/q kind, written at most once per direction. */
uint32_t tcpsim__rp_analyze_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                                 tcpsim_ns_t ts);
void tcpsim__rp_account_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                             uint32_t analysis, tcpsim_ns_t ts);
void tcpsim__rp_hist_once(struct tcpsim_rp_conn *c, int dir, char letter, uint8_t bit);

/* Wireshark's analysis (tcpsim__rp_analyze). The common case first (header
 * prediction, as RFC 1323 appendix A does for the endpoints): the next bytes
 * in order, or an ACK that moves on, or a FIN in order, into an open window,
 * no SYN or RST. Then none of the checks of the whole analysis can set a flag
 * except zero window probe, window full, spurious retransmission and ACKed
 * lost segment, tested here (a FIN that only window full would flag, which
 * Wireshark does not test on a FIN, goes the whole way too); the checks for
 * a segment without data (window update, keep-alive, duplicate ACK) leave a
 * FIN alone. The updates at its end are done in place. */
static inline uint32_t tcpsim__rp_analyze_quick(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s,
                                                uint32_t seglen, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *fwd = &c->d[dir];
    const struct tcpsim_rp_dir *rev = &c->d[!dir];
    const uint8_t flags = s->flags;
    const uint32_t seq = s->seq - fwd->base_seq;
    const uint32_t window = s->window;
    const uint32_t nextseq = fwd->nextseq;
    if ((flags & (TCPSIM_SYN | TCPSIM_RST)) || seq != nextseq || !nextseq || window == 0 || !fwd->window_set ||
        c->reused_ports_pending)
        return tcpsim__rp_analyze_full(c, dir, s, seglen, ts);
    const bool fin = (flags & TCPSIM_FIN) != 0;
    /* Without ACK Wireshark keeps the raw field (normally 0). */
    const uint32_t ack = (flags & TCPSIM_ACK) ? s->ack - rev->base_seq : s->ack;
    bool quiet;
    if (seglen == 0) /* no window update, keep-alive ACK or duplicate ACK: those repeat the ACK (and skip a FIN) */
        quiet = fin || ack != fwd->lastack;
    else
        quiet = !(seglen == 1 && rev->window_set && rev->window == 0) &&
                !(rev->win_scale != -1 && rev->window_set &&
                  seq + seglen == rev->lastack + (rev->window << (rev->win_scale < 0 ? 0 : rev->win_scale))) &&
                !(rev->lastack && tcpsim_seq_leq(seq + seglen, rev->lastack));
    if (!quiet || (rev->maxseqtobeacked && tcpsim_seq_gt(ack, rev->maxseqtobeacked) && (flags & TCPSIM_ACK)))
        return tcpsim__rp_analyze_full(c, dir, s, seglen, ts);
    fwd->dupacknum = 0;
    const uint32_t nseq = seq + seglen + (fin ? 1u : 0u); /* = nextseq when there is neither data nor FIN */
    if (seglen > 0 || fin) {
        fwd->nextseq = nseq;
        fwd->nextseqtime = ts;
    }
    if (seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked)
        fwd->maxseqtobeacked = nseq;
    fwd->window = window;
    fwd->lastack = ack;
    fwd->lastacktime = ts;
    fwd->lastsegmentflags = 0;
    return 0;
}

/* Completeness, Zeek history, counters (tcpsim__rp_account). The common
 * segment: ACK or PSH|ACK (no SYN, FIN, RST), nothing flagged by the
 * analysis, an open window, after the handshake RTT was taken (so both
 * directions have sent: this is not a conversation's first packet), this
 * direction's stream seen before (its SYN at least), no hole open either way,
 * the data not starting past the highest byte seen (a new hole) and the ACK
 * not passing the peer's (a gap). Of the whole bookkeeping only the counters,
 * completeness, the stream's high-water mark and the first 'a' or 'd' of this
 * direction can move. */
static inline void tcpsim__rp_account_quick(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s,
                                            uint32_t seglen, uint32_t analysis, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *d = &c->d[dir];
    const struct tcpsim_rp_dir *pd = &c->d[!dir];
    if ((s->flags & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST | TCPSIM_ACK)) != TCPSIM_ACK || analysis != 0 ||
        !c->rtt_known || s->window == 0 || !d->z.hi_set || d->z.nholes != 0 || pd->z.nholes != 0 ||
        (pd->z.hi_set && tcpsim_seq_gt(s->ack, pd->z.hi) && tcpsim_seq_lt(s->ack - pd->z.hi, 1u << 30))) {
        tcpsim__rp_account_full(c, dir, s, seglen, analysis, ts);
        return;
    }
    if (seglen == 0) {
        c->completeness |= 4;
        if (!(d->z.once & 0x1))
            tcpsim__rp_hist_once(c, dir, 'a', 0x1);
    } else {
        uint32_t hi = s->seq + seglen;
        if (tcpsim_seq_gt(s->seq, d->z.hi)) { /* a hole opens */
            tcpsim__rp_account_full(c, dir, s, seglen, analysis, ts);
            return;
        }
        if (tcpsim_seq_gt(hi, d->z.hi))
            d->z.hi = hi;
        c->completeness |= 8;
        if (!(d->z.once & 0x2))
            tcpsim__rp_hist_once(c, dir, 'd', 0x2);
    }
    d->packets++;
    d->bytes += seglen;
    d->sent_any = true;
}

#endif
